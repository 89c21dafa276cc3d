//! Every form a browser posts carries the double-submit CSRF token. Each POST route outside the admin API and
//! the client-authenticated protocol endpoints is listed here with a submission that would succeed: it is
//! refused without a token, with an empty one and with another browser's token (changing nothing), and
//! accepted with the browser's own. The routes come from the router's tables, so a new form that no case
//! covers fails this file.

mod common;

use common::*;
use guestlist::domain::user::Role;
use guestlist::service::auth::Actor;
use std::collections::BTreeSet;

/// What every form says when its token does not match the browser's cookie.
const CSRF_REFUSAL: &str = "This form has expired or was not sent from this site";

/// The smallest PNG the logo check accepts (the signature is what it looks at).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

/// A file part of a multipart form.
struct FilePart {
    field: &'static str,
    name: &'static str,
    content_type: &'static str,
    bytes: Vec<u8>,
}

/// One form as a browser submits it, without its CSRF token.
struct Submission {
    /// The route as the router lists it, e.g. `/t/{slug}/signin`.
    route: &'static str,
    url: String,
    fields: Vec<(&'static str, String)>,
    file: Option<FilePart>,
}

impl Submission {
    fn form(route: &'static str, url: impl Into<String>, fields: &[(&'static str, &str)]) -> Self {
        Submission {
            route,
            url: url.into(),
            fields: fields.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            file: None,
        }
    }

    fn with_file(mut self, file: FilePart) -> Self {
        self.file = Some(file);
        self
    }

    async fn send(&self, browser: &Browser, csrf: Option<&str>) -> (u16, String) {
        let mut fields = self.fields.clone();
        if let Some(token) = csrf {
            fields.push(("csrf", token.to_string()));
        }
        let request = browser.client.post(browser.absolute(&self.url));
        let request = match &self.file {
            None => request.form(&fields),
            Some(file) => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(k, v);
                }
                let part = reqwest::multipart::Part::bytes(file.bytes.clone())
                    .file_name(file.name)
                    .mime_str(file.content_type)
                    .unwrap();
                request.multipart(form.part(file.field, part))
            }
        };
        let resp = request.send().await.expect("POST");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }
}

/// The number of audit events of the whole server: every change a form makes is audited, so a refused
/// form must leave it as it was.
async fn audit_total(server: &TestServer) -> i64 {
    use diesel::prelude::*;
    server
        .svc
        .store
        .read(|c| {
            Ok(guestlist::store::schema::audit_events::table
                .count()
                .get_result::<i64>(c)?)
        })
        .await
        .unwrap()
}

/// What the cases share: a token another browser was given, and the routes checked so far.
struct Bench {
    strangers_token: String,
    covered: BTreeSet<&'static str>,
}

impl Bench {
    async fn start(server: &TestServer) -> Bench {
        // Another person's browser (an attacker's own, say) gets a valid token of its own.
        let stranger = server.browser();
        let page = page_of(&stranger, &format!("{}/signin", server.issuer())).await;
        Bench {
            strangers_token: csrf_of(&page),
            covered: BTreeSet::new(),
        }
    }

    /// Checks one form: refused three ways without any change, then accepted with `own_token` with one of
    /// `accepted` statuses. Returns the accepted answer's body.
    async fn check(
        &mut self,
        server: &TestServer,
        browser: &Browser,
        form: Submission,
        own_token: &str,
        accepted: &[u16],
    ) -> String {
        assert_ne!(own_token, self.strangers_token, "two browsers, two tokens");
        let before = audit_total(server).await;
        let stranger = self.strangers_token.clone();
        for (how, token) in [
            ("without a token", None),
            ("with an empty token", Some("")),
            ("with another browser's token", Some(stranger.as_str())),
        ] {
            let (status, body) = form.send(browser, token).await;
            assert_eq!(status, 400, "{} {how}: {body}", form.route);
            assert!(
                body.contains(CSRF_REFUSAL),
                "{} {how} is refused for its token: {body}",
                form.route
            );
        }
        assert_eq!(
            audit_total(server).await,
            before,
            "{}: a refused form changes nothing",
            form.route
        );
        let (status, body) = form.send(browser, Some(own_token)).await;
        assert!(
            accepted.contains(&status) && !body.contains(CSRF_REFUSAL),
            "{} with the browser's own token: {status} {body}",
            form.route
        );
        self.covered.insert(form.route);
        body
    }
}

async fn page_of(browser: &Browser, url: &str) -> String {
    let resp = browser.get(url).await;
    assert_eq!(resp.status(), 200, "GET {url}");
    resp.text().await.unwrap()
}

fn csrf_of(page: &str) -> String {
    hidden(page, "csrf").expect("the page has a form with a CSRF token")
}

/// Invites `email` to contoso as the operator, without an email: the redeem URL and the invitation.
async fn invite(server: &TestServer, email: &str) -> (String, String) {
    let invited = invite::invite_quietly(server, &server.tenant, email).await;
    (invited.redeem_url, invited.invitation_id)
}

/// The POST routes of `tables` that browsers submit as forms.
fn form_routes(tables: &[&[(&'static str, &'static str)]]) -> BTreeSet<&'static str> {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .filter(|(method, _)| *method == "POST")
        .map(|(_, path)| *path)
        .filter(|path| !guestlist::http::oidc::CLIENT_POSTS.contains(path))
        .collect()
}

#[actix_web::test]
async fn every_form_of_the_people_pages_needs_its_own_token() {
    let server = &TestServer::start().await;
    let mut bench = Bench::start(server).await;
    let issuer = server.issuer();
    let sam = server.member("sam@contoso.example").await;
    let consented = server.app(|a| a.first_party = false).await;
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "ivy@fabrikam.example", vec![])
        .await;
    server
        .member_in(&fabrikam, "cal@fabrikam.example", vec![])
        .await;
    let open = create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;
    let fresh = server.tenant_named("fresh", "Fresh", "fresh.example").await;
    let setup = guestlist::service::bootstrap::first_admin_link(&server.svc, &fresh)
        .await
        .unwrap()
        .expect("a tenant without admins has a setup link");
    let reset = guestlist::service::users::password_reset_link(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &sam.id,
    )
    .await
    .unwrap()
    .url;

    // Sign-in, then consent and sign-out in the same browser.
    let browser = server.browser();
    let page = page_of(&browser, &format!("{issuer}/signin")).await;
    let form = Submission::form(
        "/t/{slug}/signin",
        format!("{issuer}/signin"),
        &[
            ("email", "sam@contoso.example"),
            ("password", PASSWORD),
            ("request", ""),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[303])
        .await;
    let asked = browser
        .get(&authorize_url(&issuer, &consented.client_id))
        .await;
    let consent = page_of(&browser, &location(&asked)).await;
    let form = Submission::form(
        "/t/{slug}/consent",
        format!("{issuer}/consent"),
        &[
            ("request", &hidden(&consent, "request").unwrap()),
            ("decision", "accept"),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&consent), &[303])
        .await;
    let confirm = page_of(&browser, &format!("{issuer}/logout")).await;
    let form = Submission::form(
        "/t/{slug}/logout",
        format!("{issuer}/logout"),
        &[("confirm", "yes")],
    );
    bench
        .check(server, &browser, form, &csrf_of(&confirm), &[200, 303])
        .await;

    // Self-service sign-up where the tenant allows it.
    let signup = server.browser();
    let page = page_of(&signup, &format!("{}/signup", open.issuer)).await;
    let form = Submission::form(
        "/t/{slug}/signup",
        format!("{}/signup", open.issuer),
        &[
            ("email", "new@open.example"),
            ("display_name", "New"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
            ("request", ""),
        ],
    );
    bench
        .check(server, &signup, form, &csrf_of(&page), &[200])
        .await;
    // "Send the link again", and a verification link's button.
    let form = Submission::form(
        "/t/{slug}/verify",
        format!("{}/verify", open.issuer),
        &[("email", "new@open.example")],
    );
    bench
        .check(server, &signup, form, &csrf_of(&page), &[200])
        .await;
    let form = Submission::form(
        "/t/{slug}/verify/{token}",
        format!("{}/verify/{}", open.issuer, "x".repeat(43)),
        &[],
    );
    bench
        .check(server, &signup, form, &csrf_of(&page), &[404])
        .await;

    // A sponsor's review link (an unknown one: the refusal comes after the CSRF check).
    let form = Submission::form(
        "/t/{slug}/review/{token}",
        format!("{}/review/{}", open.issuer, "x".repeat(43)),
        &[("decision", "keep")],
    );
    bench
        .check(server, &signup, form, &csrf_of(&page), &[404])
        .await;

    // Accepting the terms of use (none are pending for a member: on to the app panel).
    let form = Submission::form(
        "/t/{slug}/terms",
        format!("{issuer}/terms"),
        &[
            ("request", ""),
            ("accept_terms", "yes"),
            ("terms_version", "1"),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&confirm), &[303])
        .await;

    // Asking for a forgotten password's link.
    let browser = server.browser();
    let forgot = format!("{}/forgot", server.issuer());
    let page = page_of(&browser, &forgot).await;
    let form = Submission::form(
        "/t/{slug}/forgot",
        forgot,
        &[("email", "nobody@contoso.example")],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[200])
        .await;

    // A one-time code asked for on the sign-in page, then typed (a wrong one: the form is heard).
    let browser = server.browser();
    let page = page_of(&browser, &format!("{issuer}/signin")).await;
    let form = Submission::form(
        "/t/{slug}/signin/code",
        format!("{issuer}/signin/code"),
        &[("email", "nobody@partner.example"), ("request", "")],
    );
    let code_page = bench
        .check(server, &browser, form, &csrf_of(&page), &[200])
        .await;
    let form = Submission::form(
        "/t/{slug}/signin/code/verify",
        format!("{issuer}/signin/code/verify"),
        &[
            ("challenge", &hidden(&code_page, "challenge").unwrap()),
            ("code", "00000000"),
            ("email", "nobody@partner.example"),
            ("request", ""),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&code_page), &[400])
        .await;

    // The first administrator's setup link and a password reset link.
    let browser = server.browser();
    let page = page_of(&browser, &setup).await;
    let form = Submission::form(
        "/t/{slug}/setup/{token}",
        setup.clone(),
        &[
            ("email", "first@fresh.example"),
            ("display_name", "First"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[200])
        .await;
    let browser = server.browser();
    let page = page_of(&browser, &reset).await;
    let new_password = "a new and longer passphrase";
    let form = Submission::form(
        "/t/{slug}/reset/{token}",
        reset.clone(),
        &[
            ("password", new_password),
            ("confirm_password", new_password),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[200, 303])
        .await;

    // Redeeming: with an existing account, with a new one, then consent; as the signed-in account; and
    // the link that blocks further invitations.
    let (url, _) = invite(server, "ivy@fabrikam.example").await;
    let browser = server.browser();
    let page = page_of(&browser, &url).await;
    let form = Submission::form(
        "/invite/{ticket}/signin",
        format!("{url}/signin"),
        &[("email", "ivy@fabrikam.example"), ("password", PASSWORD)],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[303])
        .await;

    // A one-time code for an invitation, then typed (a wrong one).
    let (url, _) = invite(server, "otp@partner.example").await;
    let browser = server.browser();
    let page = page_of(&browser, &url).await;
    let form = Submission::form("/invite/{ticket}/code", format!("{url}/code"), &[]);
    let code_page = bench
        .check(server, &browser, form, &csrf_of(&page), &[200])
        .await;
    let form = Submission::form(
        "/invite/{ticket}/code/verify",
        format!("{url}/code/verify"),
        &[
            ("challenge", &hidden(&code_page, "challenge").unwrap()),
            ("code", "00000000"),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&code_page), &[400])
        .await;

    let (url, _) = invite(server, "reg@partner.example").await;
    let browser = server.browser();
    let page = page_of(&browser, &url).await;
    let form = Submission::form(
        "/invite/{ticket}/register",
        format!("{url}/register"),
        &[
            ("display_name", "Reg"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[303])
        .await;
    let page = page_of(&browser, &format!("{url}/consent")).await;
    let form = Submission::form(
        "/invite/{ticket}/consent",
        format!("{url}/consent"),
        &[("decision", "accept")],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[303])
        .await;

    let (url, _) = invite(server, "cal@fabrikam.example").await;
    let browser = server.browser();
    assert!(matches!(
        browser
            .run_flow(
                &format!("{}/signin", fabrikam.issuer),
                "cal@fabrikam.example",
                "accept"
            )
            .await,
        Step::Page(..)
    ));
    let page = page_of(&browser, &url).await;
    assert!(
        page.contains("/continue"),
        "a signed-in invitee is offered to continue: {page}"
    );
    let form = Submission::form("/invite/{ticket}/continue", format!("{url}/continue"), &[]);
    bench
        .check(server, &browser, form, &csrf_of(&page), &[303])
        .await;

    let (url, _) = invite(server, "blk@partner.example").await;
    let browser = server.browser();
    let page = page_of(&browser, &format!("{url}/block")).await;
    let form = Submission::form("/invite/{ticket}/block", format!("{url}/block"), &[]);
    bench
        .check(server, &browser, form, &csrf_of(&page), &[200])
        .await;

    // "Continue with …" on an invitation and on the sign-in page. The provider answers nowhere, so the
    // accepted form ends at its 503 page; a refused token is a 400 before the provider is looked at.
    let provider = guestlist::service::federation::create(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        guestlist::service::federation::NewIdentityProvider {
            display_name: "Partner".into(),
            issuer: Some(format!("https://127.0.0.1:{}/idp", free_port())),
            client_id: "client".into(),
            client_secret: "a secret".into(),
            domains: vec!["partner.example".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (url, _) = invite(server, "fed@partner.example").await;
    let browser = server.browser();
    let page = page_of(&browser, &url).await;
    let form = Submission::form(
        "/invite/{ticket}/federation",
        format!("{url}/federation"),
        &[("provider", &provider.id)],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[503])
        .await;
    let browser = server.browser();
    let page = page_of(&browser, &format!("{issuer}/signin")).await;
    let form = Submission::form(
        "/t/{slug}/federation",
        format!("{issuer}/federation"),
        &[
            ("provider", &provider.id),
            ("request", ""),
            ("email", "fed@partner.example"),
        ],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[503])
        .await;

    // The account page of a signed-in member.
    server.member("acc@contoso.example").await;
    // Signed in elsewhere too, so the page offers to end the other session.
    let elsewhere = server.browser();
    elsewhere
        .sign_in_directly(&server.tenant.slug, "acc@contoso.example")
        .await;
    let browser = server.browser();
    let signed_in = browser
        .sign_in_directly(&server.tenant.slug, "acc@contoso.example")
        .await;
    assert_eq!(signed_in.status(), 303);
    let account = format!("{}/account", server.issuer());
    let page = page_of(&browser, &account).await;
    let form = Submission::form(
        "/t/{slug}/account",
        account,
        &[("action", "sign_out_elsewhere")],
    );
    bench
        .check(server, &browser, form, &csrf_of(&page), &[303])
        .await;

    use guestlist::http::{oidc, pages};
    assert_eq!(
        bench.covered,
        form_routes(&[
            pages::PAGE_ROUTES,
            pages::INVITE_ROUTES,
            oidc::PROTOCOL_ROUTES
        ]),
        "every form of the people pages has a case here"
    );
}

#[actix_web::test]
async fn every_form_of_the_console_needs_its_own_token() {
    let server = &TestServer::start().await;
    let mut bench = Bench::start(server).await;
    server
        .member_in(&server.tenant, "root@contoso.example", vec![Role::Admin])
        .await;
    let member = server.member("dis@contoso.example").await;
    let group = guestlist::service::groups::create(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        "Partners",
        None,
    )
    .await
    .unwrap()
    .group;
    let app = server.app(|_| {}).await;
    let (_, invitation_id) = invite(server, "again@partner.example").await;
    let admin = server.browser();
    let (status, body) = admin
        .console_sign_in("contoso", "root@contoso.example")
        .await;
    assert_eq!(status, 200, "the console opens: {body}");
    let base = "/admin/t/contoso";
    let token = csrf_of(&page_of(&admin, &format!("{base}/users/new")).await);
    let etag_of = |page: &str| {
        hidden(page, "etag")
            .map(|e| e.replace("&quot;", "\""))
            .unwrap_or_default()
    };

    let cases = vec![
        Submission::form(
            "/admin/t/{slug}/users/new",
            format!("{base}/users/new"),
            &[("email", "made@contoso.example"), ("display_name", "Made")],
        ),
        Submission::form(
            "/admin/t/{slug}/users/{id}",
            format!("{base}/users/{}", member.id),
            &[("action", "disable")],
        ),
        Submission::form(
            "/admin/t/{slug}/invitations/new",
            format!("{base}/invitations/new"),
            &[("email", "one@partner.example"), ("display_name", "One")],
        ),
        Submission::form(
            "/admin/t/{slug}/invitations/{id}",
            format!("{base}/invitations/{invitation_id}"),
            &[("action", "resend")],
        ),
        Submission::form(
            "/admin/t/{slug}/groups",
            format!("{base}/groups"),
            &[("display_name", "Suppliers")],
        ),
        Submission::form(
            "/admin/t/{slug}/groups/{id}",
            format!("{base}/groups/{}", group.id),
            &[("action", "save"), ("display_name", "Key partners")],
        ),
        Submission::form(
            "/admin/t/{slug}/apps/new",
            format!("{base}/apps/new"),
            &[("name", "Wiki"), ("redirect_uris", REDIRECT)],
        ),
        Submission::form(
            "/admin/t/{slug}/apps/{id}",
            format!("{base}/apps/{}", app.id),
            &[("action", "rotate_secret")],
        ),
        Submission::form(
            "/admin/t/{slug}/branding/logo",
            format!("{base}/branding/logo"),
            &[],
        )
        .with_file(FilePart {
            field: "logo",
            name: "logo.png",
            content_type: "image/png",
            bytes: PNG.to_vec(),
        }),
    ];
    for case in cases {
        bench.check(server, &admin, case, &token, &[200, 303]).await;
    }

    // Forms that carry the version they were read at.
    let branding = page_of(&admin, &format!("{base}/branding")).await;
    let form = Submission::form(
        "/admin/t/{slug}/branding",
        format!("{base}/branding"),
        &[
            ("etag", &etag_of(&branding)),
            ("display_name", "Contoso Partners"),
            ("primary_color", "#aa0000"),
            ("background_color", "#ffffff"),
        ],
    );
    bench.check(server, &admin, form, &token, &[303]).await;
    let policies = page_of(&admin, &format!("{base}/policies")).await;
    let form = Submission::form(
        "/admin/t/{slug}/policies",
        format!("{base}/policies"),
        &[
            ("etag", &etag_of(&policies)),
            ("invite_policy", "admins_and_guest_inviters"),
            ("ticket_lifetime_days", "30"),
        ],
    );
    bench.check(server, &admin, form, &token, &[303]).await;
    let form = Submission::form(
        "/admin/t/{slug}/terms",
        format!("{base}/terms"),
        &[("text_en", "Be kind.")],
    );
    bench.check(server, &admin, form, &token, &[303]).await;

    // A webhook endpoint is added (its page shows the secret once), then rotated.
    let form = Submission::form(
        "/admin/t/{slug}/webhooks",
        format!("{base}/webhooks"),
        &[
            ("url", "https://hooks.partner.example/in"),
            ("events", "Disable user"),
        ],
    );
    bench.check(server, &admin, form, &token, &[200]).await;
    let hooks = guestlist::service::webhooks::list(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap();
    let form = Submission::form(
        "/admin/t/{slug}/webhooks/{id}",
        format!("{base}/webhooks/{}", hooks[0].id),
        &[("action", "rotate_secret")],
    );
    bench.check(server, &admin, form, &token, &[200]).await;

    // A CSV upload is checked, then committed.
    let csv = "Email,DisplayName\nup@partner.example,Up\n";
    let form = Submission::form(
        "/admin/t/{slug}/invitations/upload",
        format!("{base}/invitations/upload"),
        &[],
    )
    .with_file(FilePart {
        field: "file",
        name: "guests.csv",
        content_type: "text/csv",
        bytes: csv.as_bytes().to_vec(),
    });
    let checked = bench.check(server, &admin, form, &token, &[200]).await;
    let marker = "/invitations/upload/";
    let start = checked.find(marker).expect("the commit form") + marker.len();
    let upload_id: String = checked[start..].chars().take_while(|c| *c != '"').collect();
    let form = Submission::form(
        "/admin/t/{slug}/invitations/upload/{id}",
        format!("{base}/invitations/upload/{upload_id}"),
        &[],
    );
    bench.check(server, &admin, form, &token, &[303]).await;

    // An identity provider is added, then changed at the version it was read at (nothing is fetched
    // from its issuer for either).
    let form = Submission::form(
        "/admin/t/{slug}/identity-providers/new",
        format!("{base}/identity-providers/new"),
        &[
            ("display_name", "Partner"),
            ("preset", "generic"),
            ("issuer", "https://idp.partner.example"),
            ("client_id", "client"),
            ("client_secret", "a secret"),
        ],
    );
    bench.check(server, &admin, form, &token, &[303]).await;
    let providers =
        guestlist::service::federation::list(&server.svc, &Actor::operator(), &server.tenant)
            .await
            .unwrap();
    let idp_url = format!("{base}/identity-providers/{}", providers[0].id);
    let idp_page = page_of(&admin, &idp_url).await;
    let form = Submission::form(
        "/admin/t/{slug}/identity-providers/{id}",
        idp_url.clone(),
        &[
            ("action", "save"),
            ("etag", &etag_of(&idp_page)),
            ("display_name", "Partner Corp"),
            ("issuer", "https://idp.partner.example"),
            ("client_id", "client"),
        ],
    );
    bench.check(server, &admin, form, &token, &[303]).await;

    // Signing out last: it ends the console session.
    let form = Submission::form("/admin/t/{slug}/signout", format!("{base}/signout"), &[]);
    bench.check(server, &admin, form, &token, &[303]).await;

    assert_eq!(
        bench.covered,
        form_routes(&[guestlist::http::admin::CONSOLE_ROUTES]),
        "every form of the console has a case here"
    );
}
