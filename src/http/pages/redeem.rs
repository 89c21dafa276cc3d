//! `/invite/{ticket}`: the branded redemption pages (spec §3.4) and the "block future invitations" link.
//!
//! The pages speak the invitation's language: their sentences are the `page_…` keys of `locales/{code}.toml`
//! (see [`crate::locale`]), filled here and handed to the templates as `t.<key without page_>`, so tera escapes
//! them. A sentence with an emphasised value (an address, a name) is cut there into `t.<key>_before` and
//! `t.<key>_after`, and the template puts the value between them.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::{Error, Result};
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{accepted_or_english, branded_in, render_page, see_other};
use crate::locale::Locale;
use crate::service::Services;
use crate::service::one_time_code;
use crate::service::redemption::{self, OpenInvitation, Registration};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::BTreeMap;

/// The language the pages of an invitation are shown in: the invitation's own.
fn language_of(open: &OpenInvitation) -> Language {
    open.invitation.language
}

/// An error on an invitation's page, in its tenant's frame and its language.
fn branded(open: &OpenInvitation) -> impl Fn(Error) -> PageError + '_ {
    branded_in(&open.tenant, language_of(open))
}

/// An invitation's page in its tenant's frame and its language.
fn render(
    open: &OpenInvitation,
    name: &str,
    ctx: tera::Context,
) -> Result<HttpResponse, PageError> {
    let tenant: &Tenant = &open.tenant;
    render_page(tenant, language_of(open), name, ctx)
}

/// The filled sentences of one page, keyed without the `page_` prefix.
struct Texts {
    locale: Locale,
    map: BTreeMap<String, String>,
}

impl Texts {
    fn new(language: Language) -> Result<Self> {
        Ok(Texts {
            locale: Locale::new(language)?,
            map: BTreeMap::new(),
        })
    }

    fn name(key: &str) -> String {
        key.strip_prefix("page_").unwrap_or(key).to_string()
    }

    /// `t.<key>`: the sentence with `vars` filled in.
    fn text(mut self, key: &str, vars: &[(&str, &str)]) -> Result<Self> {
        let filled = self.locale.text(key, vars)?;
        self.map.insert(Self::name(key), filled);
        Ok(self)
    }

    /// `t.<key>_before` and `t.<key>_after`: the sentence cut at `marker`, each side filled with `vars`.
    fn around(mut self, key: &str, marker: &str, vars: &[(&str, &str)]) -> Result<Self> {
        let (before, after) = self.locale.around(key, marker, vars)?;
        let name = Self::name(key);
        self.map.insert(format!("{name}_before"), before);
        self.map.insert(format!("{name}_after"), after);
        Ok(self)
    }

    fn into_map(self) -> BTreeMap<String, String> {
        self.map
    }
}

/// The sentences of `pages/redeem.html`. `current_email` is the signed-in account's address, if any.
fn redeem_texts(
    language: Language,
    tenant: &str,
    inviter: &str,
    invitee_email: &str,
    current_email: Option<&str>,
) -> Result<BTreeMap<String, String>> {
    let current = current_email.unwrap_or_default();
    let tenant_vars = [("tenant", tenant)];
    Ok(Texts::new(language)?
        .text("page_invitation_title", &tenant_vars)?
        .text("page_invited_heading", &tenant_vars)?
        .text("page_signin_to_heading", &tenant_vars)?
        .around(
            "page_invited_intro",
            "{email}",
            &[("tenant", tenant), ("inviter", inviter)],
        )?
        .around("page_signed_in_as", "{email}", &[])?
        .text("page_continue_as", &[("email", current)])?
        .text("page_other_account_heading", &[])?
        .text("page_signin_heading", &[])?
        .text("page_email_label", &[])?
        .text("page_password_label", &[])?
        .text("page_signin_button", &[])?
        .text("page_forgot_password", &[])?
        .text("page_email_code", &[])?
        .text("page_code_intro", &[])?
        .text("page_register_heading", &[])?
        .around("page_register_intro", "{email}", &[])?
        .text("page_display_name_label", &[])?
        .text("page_confirm_password_label", &[])?
        .text("page_create_button", &[])?
        .text("page_block_link", &[("email", invitee_email)])?
        .into_map())
}

/// The sentences of `pages/redeem_consent.html`.
fn consent_texts(
    language: Language,
    tenant: &str,
    user_email: &str,
) -> Result<BTreeMap<String, String>> {
    let tenant_vars = [("tenant", tenant)];
    Ok(Texts::new(language)?
        .text("page_consent_title", &tenant_vars)?
        .text("page_consent_heading", &tenant_vars)?
        .around(
            "page_consent_signed_in_as",
            "{name}",
            &[("email", user_email)],
        )?
        .text("page_consent_body", &tenant_vars)?
        .around("page_privacy_sentence", "{link}", &[])?
        .text("page_privacy_link", &tenant_vars)?
        .text("page_accept_button", &[])?
        .text("page_cancel_button", &[])?
        .into_map())
}

/// The sentences of `pages/redeem_block.html`.
fn block_texts(language: Language, tenant: &str) -> Result<BTreeMap<String, String>> {
    Ok(Texts::new(language)?
        .text("page_block_title", &[("tenant", tenant)])?
        .text("page_block_heading", &[])?
        .around("page_block_body", "{email}", &[])?
        .text("page_block_button", &[])?
        .into_map())
}

/// The invitation of `ticket`. A link that leads nowhere belongs to no tenant yet: its page is in the
/// browser's language.
async fn opened(
    svc: &Services,
    req: &HttpRequest,
    ticket: &str,
) -> Result<OpenInvitation, PageError> {
    redemption::open(svc, ticket, &crate::http::client_ip(svc, req))
        .await
        .map_err(|e| PageError::plain(e, accepted_or_english(req)))
}

async fn page(
    svc: &Services,
    req: &HttpRequest,
    ticket: &str,
    open: &OpenInvitation,
    p: &Params,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let current = cookies::signed_in(svc, req)
        .await
        .map_err(branded(open))?
        .map(|s| s.home_user.mail);
    let texts = redeem_texts(
        language_of(open),
        &open.tenant.display_name,
        &open.inviter_name,
        &open.invitation.email,
        current.as_deref(),
    )
    .map_err(branded(open))?;
    let mut ctx = tera::Context::new();
    ctx.insert("t", &texts);
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("ticket", ticket);
    ctx.insert("redeemed", &open.redeemed);
    ctx.insert("inviter_name", &open.inviter_name);
    ctx.insert("invitee_email", &open.invitation.email);
    ctx.insert("current_email", &current);
    ctx.insert("email", input::field(p, "email"));
    let name = input::field(p, "display_name");
    ctx.insert(
        "display_name",
        if name.is_empty() {
            open.invitation.display_name.as_str()
        } else {
            name
        },
    );
    ctx.insert("may_register", &(!open.redeemed && !open.invitation.has_cc));
    ctx.insert("forgot_href", &format!("/t/{}/forgot", open.tenant.slug));
    ctx.insert(
        "code_offered",
        &one_time_code::offered(svc, &open.tenant, &open.invitation.email).await,
    );
    let locale = Locale::new(language_of(open)).map_err(branded(open))?;
    let providers = super::federation::buttons(
        svc,
        &open.tenant,
        &locale,
        Some(&open.invitation.email),
        super::federation::ButtonsOn::Invitation,
    )
    .await;
    ctx.insert("providers", &providers);
    ctx.insert(
        "error_message",
        &error.map(|e| {
            crate::locale::Locale::new(language_of(open))
                .map(|l| l.message(e))
                .unwrap_or_else(|_| e.to_string())
        }),
    );
    let mut resp = render(open, "pages/redeem.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

/// A form posted to a redemption page: its ticket, the open invitation, and the checked fields.
async fn posted(
    svc: &Services,
    req: &HttpRequest,
    body: &[u8],
) -> Result<(String, OpenInvitation, Params), PageError> {
    let ticket = ticket_of(req);
    let open = opened(svc, req, &ticket).await?;
    let p = input::form(req, body).map_err(branded(&open))?;
    cookies::check_csrf(req, input::field(&p, "csrf")).map_err(branded(&open))?;
    Ok((ticket, open, p))
}

fn ticket_of(req: &HttpRequest) -> String {
    req.match_info()
        .get("ticket")
        .unwrap_or_default()
        .to_string()
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &req, &ticket).await?;
    page(&svc, &req, &ticket, &open, &Params::new(), None).await
}

fn with_session(to: &str, secret: String, svc: &Services) -> HttpResponse {
    let mut resp = see_other(to);
    resp.add_cookie(&cookies::session(
        secret,
        svc.config.secure_cookies(),
        svc.config.session_ttl,
    ))
    .ok();
    resp
}

pub async fn sign_in(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (ticket, open, p) = posted(&svc, &req, &body).await?;
    let origin = crate::http::origin(&svc, &req);
    let (email, password) = (input::field(&p, "email"), input::field(&p, "password"));
    let outcome = redemption::sign_in(&svc, &open, email, password, &origin).await;
    let signed_in = outcome.is_ok();
    let mut resp = to_consent(&svc, &req, (&ticket, &open, &p), outcome).await?;
    if signed_in {
        crate::http::remember_device(&svc, &mut resp, email);
    }
    Ok(resp)
}

pub async fn register(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (ticket, open, p) = posted(&svc, &req, &body).await?;
    let reg = Registration {
        display_name: input::field(&p, "display_name").to_string(),
        password: input::field(&p, "password").to_string(),
        confirm_password: input::field(&p, "confirm_password").to_string(),
    };
    let outcome = redemption::register(&svc, &open, reg)
        .await
        .map(|(secret, _)| secret);
    to_consent(&svc, &req, (&ticket, &open, &p), outcome).await
}

/// After signing in or registering to redeem: on to consent with the new session, or the form again
/// with what was wrong.
async fn to_consent(
    svc: &Services,
    req: &HttpRequest,
    (ticket, open, p): (&str, &OpenInvitation, &input::Params),
    outcome: crate::error::Result<String>,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(secret) => Ok(with_session(
            &format!("/invite/{ticket}/consent"),
            secret,
            svc,
        )),
        Err(Error::Invalid { message, .. } | Error::Forbidden(message)) => {
            page(svc, req, ticket, open, p, Some(&message)).await
        }
        Err(e) => Err(branded(open)(e)),
    }
}

fn code_form<'a>(
    ticket: &str,
    challenge: &'a str,
    open: &'a OpenInvitation,
) -> super::code::CodeForm<'a> {
    super::code::CodeForm {
        verify_action: format!("/invite/{ticket}/code/verify"),
        send_action: format!("/invite/{ticket}/code"),
        challenge,
        email: &open.invitation.email,
        request: "",
        sent_key: "code_sent_invitation",
    }
}

/// "Email me a code": a one-time code to the invited address, and the page to type it in.
pub async fn send_code(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (ticket, open, p) = posted(&svc, &req, &body).await?;
    let address = crate::http::client_ip(&svc, &req);
    match one_time_code::send_for_redemption(&svc, &open, &address).await {
        Ok(challenge) => super::code::code_page(
            &svc,
            &req,
            &open.tenant,
            language_of(&open),
            code_form(&ticket, &challenge.handle, &open),
            None,
        ),
        Err(
            Error::Invalid { message, .. } | Error::Forbidden(message) | Error::Conflict(message),
        ) => page(&svc, &req, &ticket, &open, &p, Some(&message)).await,
        Err(e) => Err(branded(&open)(e)),
    }
}

/// The code typed: signed in as the address's own identity, on to consent.
pub async fn verify_code(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (ticket, open, p) = posted(&svc, &req, &body).await?;
    let origin = crate::http::origin(&svc, &req);
    let challenge = input::field(&p, "challenge");
    match one_time_code::redeem(&svc, &open, challenge, input::field(&p, "code"), &origin).await {
        Ok(secret) => Ok(with_session(
            &format!("/invite/{ticket}/consent"),
            secret,
            &svc,
        )),
        Err(Error::Invalid { message, .. }) => super::code::code_page(
            &svc,
            &req,
            &open.tenant,
            language_of(&open),
            code_form(&ticket, challenge, &open),
            Some(&message),
        ),
        Err(Error::Forbidden(message) | Error::Conflict(message)) => {
            page(&svc, &req, &ticket, &open, &p, Some(&message)).await
        }
        Err(e) => Err(branded(&open)(e)),
    }
}

/// "Continue as …": the signed-in account redeems.
pub async fn continue_as(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (ticket, open, p) = posted(&svc, &req, &body).await?;
    let Some(signed_in) = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&open))?
    else {
        return Ok(see_other(&format!("/invite/{ticket}")));
    };
    match redemption::admissible(&open, &signed_in) {
        Ok(()) => Ok(see_other(&format!("/invite/{ticket}/consent"))),
        Err(Error::Invalid { message, .. } | Error::Forbidden(message)) => {
            page(&svc, &req, &ticket, &open, &p, Some(&message)).await
        }
        Err(e) => Err(branded(&open)(e)),
    }
}

pub async fn consent_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &req, &ticket).await?;
    let Some(signed_in) = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&open))?
    else {
        return Ok(see_other(&format!("/invite/{ticket}")));
    };
    if open.redeemed {
        // A redeemed link signs in and forwards; `accept` admits only the bound identity.
        let to = redemption::accept(&svc, &open, &signed_in)
            .await
            .map_err(branded(&open))?;
        return Ok(see_other(&to));
    }
    // An account that may not redeem is told why on the invitation's page, not offered a consent that
    // would then fail.
    match redemption::admissible(&open, &signed_in) {
        Ok(()) => {}
        Err(Error::Invalid { message, .. } | Error::Forbidden(message)) => {
            return page(&svc, &req, &ticket, &open, &Params::new(), Some(&message)).await;
        }
        Err(e) => return Err(branded(&open)(e)),
    }
    let texts = consent_texts(
        language_of(&open),
        &open.tenant.display_name,
        &signed_in.home_user.mail,
    )
    .map_err(branded(&open))?;
    let mut ctx = tera::Context::new();
    ctx.insert("t", &texts);
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("ticket", &ticket);
    ctx.insert("user_name", &signed_in.home_user.display_name);
    ctx.insert("user_email", &signed_in.home_user.mail);
    let terms = crate::service::terms::current(&svc, &open.tenant)
        .await
        .map_err(branded(&open))?;
    if let Some(terms) = terms {
        ctx.insert(
            "terms",
            &super::terms::block(&open.tenant, language_of(&open), &terms)?,
        );
    }
    Ok(set_cookie(
        render(&open, "pages/redeem_consent.html", ctx)?,
        cookie,
    ))
}

pub async fn consent_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (ticket, open, p) = posted(&svc, &req, &body).await?;
    let signed_in = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&open))?
        .ok_or_else(|| branded(&open)(Error::Unauthenticated))?;
    match input::field(&p, "decision") {
        "accept" => {
            // The tenant's terms, when it has any, are accepted with the invitation.
            let terms = crate::service::terms::current(&svc, &open.tenant)
                .await
                .map_err(branded(&open))?;
            let version = match terms {
                Some(_) => Some(super::terms::accepted_version(&p).map_err(branded(&open))?),
                None => None,
            };
            let to = redemption::accept(&svc, &open, &signed_in)
                .await
                .map_err(branded(&open))?;
            if let Some(version) = version {
                crate::service::terms::accept(&svc, &open.tenant, &signed_in.home_user, version)
                    .await
                    .map_err(branded(&open))?;
            }
            Ok(see_other(&to))
        }
        _ => Ok(see_other(&format!("/invite/{ticket}"))),
    }
}

pub async fn block_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &req, &ticket).await?;
    let texts =
        block_texts(language_of(&open), &open.tenant.display_name).map_err(branded(&open))?;
    let mut ctx = tera::Context::new();
    ctx.insert("t", &texts);
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("ticket", &ticket);
    ctx.insert("invitee_email", &open.invitation.email);
    Ok(set_cookie(
        render(&open, "pages/redeem_block.html", ctx)?,
        cookie,
    ))
}

pub async fn block_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (_, open, _) = posted(&svc, &req, &body).await?;
    redemption::block(&svc, &open)
        .await
        .map_err(branded(&open))?;
    let locale = Locale::new(language_of(&open)).map_err(branded(&open))?;
    let title = locale
        .text("page_blocked_title", &[])
        .map_err(branded(&open))?;
    let message = locale
        .text("page_blocked_message", &[("email", &open.invitation.email)])
        .map_err(branded(&open))?;
    let mut ctx = tera::Context::new();
    ctx.insert("title", &title);
    ctx.insert("message", &message);
    ctx.insert("link_href", &None::<String>);
    ctx.insert("link_text", "");
    render(&open, "pages/message.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::Templates;

    fn render(name: &str, texts: BTreeMap<String, String>) -> String {
        let mut ctx = tera::Context::new();
        ctx.insert("t", &texts);
        ctx.insert("csrf", "csrf-token");
        ctx.insert("ticket", "abc");
        ctx.insert("redeemed", &false);
        ctx.insert("inviter_name", "Ada Admin");
        ctx.insert("invitee_email", "minsu@fabrikam.example");
        ctx.insert("current_email", &Some("minsu@home.example"));
        ctx.insert("email", "");
        ctx.insert("display_name", "Minsu Kim");
        ctx.insert("may_register", &true);
        ctx.insert(
            "providers",
            &[serde_json::json!({"id": "p1", "label": "Continue with Fabrikam", "serves": true})],
        );
        ctx.insert("error_message", &None::<String>);
        ctx.insert("user_name", "Minsu Kim");
        ctx.insert("user_email", "minsu@home.example");
        ctx.insert("tenant_name", "Contoso");
        ctx.insert("privacy_url", &Some("https://contoso.example/privacy"));
        ctx.insert("slug", "contoso");
        Templates::global().render(name, &ctx).unwrap()
    }

    fn pages(language: Language) -> [String; 3] {
        let current = Some("minsu@home.example");
        [
            render(
                "pages/redeem.html",
                redeem_texts(
                    language,
                    "Contoso",
                    "Ada Admin",
                    "minsu@fabrikam.example",
                    current,
                )
                .unwrap(),
            ),
            render(
                "pages/redeem_consent.html",
                consent_texts(language, "Contoso", "minsu@home.example").unwrap(),
            ),
            render(
                "pages/redeem_block.html",
                block_texts(language, "Contoso").unwrap(),
            ),
        ]
    }

    #[test]
    fn a_korean_invitation_renders_korean_labels() {
        let [redeem, consent, block] = pages(Language::Ko);
        for text in [
            "<title>초대 · Contoso</title>",
            "<h1>Contoso에 초대되었습니다</h1>",
            "Contoso의 Ada Admin님이 <strong>minsu@fabrikam.example</strong> 주소를 게스트로 초대했습니다.",
            "<strong>minsu@home.example</strong> 계정으로 로그인되어 있습니다.",
            ">minsu@home.example(으)로 계속</button>",
            "<label for=\"email\">이메일</label>",
            "<label for=\"password\">비밀번호</label>",
            ">로그인</button>",
            "<h2>아직 계정이 없으신가요?</h2>",
            "<label for=\"display_name\">표시 이름</label>",
            "<label for=\"confirm_password\">비밀번호 확인</label>",
            ">계정 만들기</button>",
            "minsu@fabrikam.example(으)로 오는 향후 초대 차단</a>",
        ] {
            assert!(redeem.contains(text), "missing {text} in {redeem}");
        }
        for text in [
            "<h1>Contoso에 게스트로 참여하시겠습니까?</h1>",
            "<strong>Minsu Kim</strong>(minsu@home.example) 계정으로 로그인되어 있습니다.",
            "<a href=\"https://contoso.example/privacy\">Contoso 개인정보처리방침</a>을(를) 확인하세요.",
            "value=\"accept\">수락</button>",
            "value=\"cancel\" class=\"secondary\">취소</button>",
        ] {
            assert!(consent.contains(text), "missing {text} in {consent}");
        }
        for text in [
            "<h1>향후 초대를 차단하시겠습니까?</h1>",
            "<strong>minsu@fabrikam.example</strong>(으)로 초대를 보낼 수 없게 됩니다.",
            ">초대 차단</button>",
        ] {
            assert!(block.contains(text), "missing {text} in {block}");
        }
        for page in [&redeem, &consent, &block] {
            assert!(!page.contains("Create account") && !page.contains("Sign in"));
            // Field names and form targets do not change with the language.
            assert!(page.contains("name=\"csrf\" value=\"csrf-token\""));
        }
        assert!(redeem.contains("action=\"/invite/abc/register\""));
        assert!(redeem.contains("name=\"confirm_password\""));
    }

    #[test]
    fn an_english_invitation_keeps_the_english_wording() {
        let [redeem, consent, block] = pages(Language::En);
        for text in [
            "<h1>You are invited to Contoso</h1>",
            "Ada Admin at Contoso invited <strong>minsu@fabrikam.example</strong> as a guest.",
            "You are signed in as <strong>minsu@home.example</strong>.",
            ">Continue as minsu@home.example</button>",
            "<h2>Or sign in with another account</h2>",
            "<h2>No account yet?</h2>",
            "Create one for <strong>minsu@fabrikam.example</strong>.",
            ">Create account</button>",
            "Block future invitations to minsu@fabrikam.example</a>",
        ] {
            assert!(redeem.contains(text), "missing {text} in {redeem}");
        }
        for text in [
            "<h1>Join Contoso as a guest?</h1>",
            "You are signed in as <strong>Minsu Kim</strong> (minsu@home.example).",
            "Read the <a href=\"https://contoso.example/privacy\">privacy statement of Contoso</a>.",
        ] {
            assert!(consent.contains(text), "missing {text} in {consent}");
        }
        assert!(block.contains("<h1>Block future invitations?</h1>"));
        assert!(block.contains(">Block invitations</button>"));
    }

    #[test]
    fn names_in_sentences_are_escaped_and_not_expanded() {
        let texts =
            redeem_texts(Language::En, "A&B <Co>", "{email}", "x@example.com", None).unwrap();
        assert_eq!(
            texts["invited_intro_before"],
            "{email} at A&B <Co> invited "
        );
        let page = render("pages/redeem.html", texts);
        assert!(
            page.contains("You are invited to A&amp;B &lt;Co&gt;"),
            "{page}"
        );
        assert!(!page.contains("<Co>"));
    }

    #[test]
    fn every_language_fills_every_page_sentence() {
        for language in Language::ALL {
            for page in pages(language) {
                assert!(
                    !page.contains('{') && !page.contains('}'),
                    "{language}: a leftover placeholder in {page}"
                );
            }
        }
    }
}
