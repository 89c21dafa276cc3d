//! Email one-time codes: a guest without a password redeems an invitation with an 8-digit code read
//! from the delivered email (real SMTP), becomes a guest whose `idp` is `mail`, and signs in again later
//! with a new code from the sign-in page. Wrong, expired, exhausted and reused codes sign nobody in; the
//! sign-in page does not tell who may use codes; the policy switches codes off; an unverified account
//! that claimed the address is taken over by its proven owner.

mod common;

use common::invite::invite_quietly;
use common::smtp::FakeSmtp;
use common::*;
use guestlist::store::queries;
use serde_json::Value;
use std::time::Duration;

const GUEST: &str = "pat@partner.example";

async fn server_with_mail(smtp: &FakeSmtp) -> TestServer {
    let url = smtp.url();
    TestServer::start_with(move |c| c.smtp_url = Some(url)).await
}

/// The codes emailed to `email` so far, once there are `count` (15 s at most): the 8 digits on the line
/// of their own in each plain-text part, which the HTML part shows too.
async fn codes_for(smtp: &FakeSmtp, email: &str, count: usize) -> Vec<String> {
    let mut codes = Vec::new();
    for _ in 0..150 {
        codes = smtp
            .accepted()
            .into_iter()
            .filter(|m| m.recipients.iter().any(|r| r == email))
            .filter(|m| mail::subject(&m.raw).contains("sign-in code"))
            .map(|m| {
                let text = mail::part_body(&m.raw, "text/plain");
                let code = text
                    .lines()
                    .map(str::trim)
                    .find(|l| l.len() == 8 && l.bytes().all(|b| b.is_ascii_digit()))
                    .unwrap_or_else(|| panic!("no code in {text}"))
                    .to_string();
                assert!(mail::part_body(&m.raw, "text/html").contains(&code));
                code
            })
            .collect();
        if codes.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(codes.len(), count, "codes emailed to {email}");
    codes
}

/// Asks for a code on the redemption page at `url`: the status and the page.
async fn ask_at_invitation(browser: &Browser, url: &str) -> (u16, String) {
    let resp = browser.submit_form(url, &format!("{url}/code"), &[]).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Types `code` on the code page `page` (whose form posts to `action`): the answer.
async fn type_code(browser: &Browser, page: &str, action: &str, code: &str) -> reqwest::Response {
    let field = |name| hidden(page, name).unwrap_or_default();
    browser
        .post_form(
            action,
            &[
                ("csrf", field("csrf").as_str()),
                ("challenge", field("challenge").as_str()),
                ("request", field("request").as_str()),
                ("email", field("email").as_str()),
                ("code", code),
            ],
        )
        .await
}

/// Accepts the consent page the browser was sent to after a code: where it lands.
async fn consent(browser: &Browser, url: &str, resp: reqwest::Response) -> String {
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let page = browser.page(&oidc::location(&resp)).await;
    let accepted = browser
        .post_form(
            &format!("{url}/consent"),
            &[
                (
                    "csrf",
                    hidden(&page, "csrf").expect("the consent form").as_str(),
                ),
                ("decision", "accept"),
            ],
        )
        .await;
    assert_eq!(accepted.status(), 303);
    oidc::location(&accepted)
}

/// Redeems the invitation at `url` with a code from the email (the `nth` to `GUEST`, counting from 1).
async fn redeem_with_code(smtp: &FakeSmtp, browser: &Browser, url: &str, nth: usize) -> String {
    let (status, page) = ask_at_invitation(browser, url).await;
    assert_eq!(status, 200, "{page}");
    let code = codes_for(smtp, GUEST, nth).await.pop().unwrap();
    let resp = type_code(browser, &page, &format!("{url}/code/verify"), &code).await;
    consent(browser, url, resp).await
}

/// Signs `GUEST` in through `app` with a code asked for on contoso's sign-in page: the token response.
async fn sign_in_with_code(
    server: &TestServer,
    smtp: &FakeSmtp,
    app: &guestlist::service::apps::manage::CreatedApp,
    nth: usize,
) -> Value {
    let browser = server.browser();
    let start = oidc::authorize_url_for(&server.issuer(), &app.client_id, "openid email");
    let signin = oidc::location(&browser.get(&start).await);
    assert!(signin.contains("/signin?request="), "{signin}");
    let page = browser.page(&signin).await;
    assert!(page.contains(">Email me a code</button>"), "{page}");
    let resp = browser
        .post_form(
            &format!("/t/{}/signin/code", server.tenant.slug),
            &[
                ("csrf", hidden(&page, "csrf").unwrap().as_str()),
                ("request", hidden(&page, "request").unwrap().as_str()),
                ("email", GUEST),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let code_page = resp.text().await.unwrap();
    let code = codes_for(smtp, GUEST, nth).await.pop().unwrap();
    let action = format!("/t/{}/signin/code/verify", server.tenant.slug);
    let resp = type_code(&browser, &code_page, &action, &code).await;
    assert_eq!(resp.status(), 303);
    let resume = oidc::location(&resp);
    assert!(resume.contains("/authorize/resume?request="), "{resume}");
    let cb = browser.silent_callback(&resume).await;
    app_tokens_for_callback(server, app, &cb).await
}

#[actix_web::test]
async fn a_guest_redeems_with_an_emailed_code_and_signs_in_again_later_with_a_new_one() {
    let smtp = FakeSmtp::start().await;
    let server = server_with_mail(&smtp).await;
    let app = server.app(|a| a.first_party = true).await;
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let url = invited.redeem_url.clone();

    let browser = server.browser();
    let page = browser.page(&url).await;
    assert!(page.contains(">Email me a code</button>"), "{page}");
    let (status, code_page) = ask_at_invitation(&browser, &url).await;
    assert_eq!(status, 200, "{code_page}");
    assert!(code_page.contains("autocomplete=\"one-time-code\""));
    assert!(code_page.contains(&format!("<strong>{GUEST}</strong>")));
    let code = codes_for(&smtp, GUEST, 1).await.remove(0);

    // Only hashes are stored: neither the code nor the page's handle is in the table.
    let handle = hidden(&code_page, "challenge").unwrap();
    let row = server
        .svc
        .store
        .read(move |c| queries::one_time_codes::by_id(c, &guestlist::crypto::hash_secret(&handle)))
        .await
        .unwrap()
        .expect("the code is stored under the handle's hash");
    assert!(!row.code_hash.contains(&code) && row.code_hash.len() == 64);

    // A wrong code first: it says how many tries are left, and signs nobody in.
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let verify = format!("{url}/code/verify");
    let resp = type_code(&browser, &code_page, &verify, wrong).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("4 tries left"));
    assert!(browser.cookie_value(&server.base, "gl_session").is_none());

    // The right one (as copied, with a space) signs in as the address's own identity; consent.
    let spaced = format!("{} {}", &code[..4], &code[4..]);
    let resp = type_code(&browser, &code_page, &verify, &spaced).await;
    let landed = consent(&browser, &url, resp).await;
    assert!(landed.ends_with("/t/contoso/apps"), "{landed}");
    let guest = server.user(&invited.user_id).await;
    assert_eq!(guest.external_user_state.as_deref(), Some("Accepted"));
    assert_eq!(guest.home_issuer.as_deref(), Some("mail"));
    let altsecid = guest.alt_sec_id.clone().expect("bound");

    // The code is spent.
    let resp = type_code(&browser, &code_page, &verify, &code).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("no longer works"));

    // The app sees a guest from `mail`, authenticated by a one-time code.
    let cb = browser
        .silent_callback(&oidc::authorize_url_for(
            &server.issuer(),
            &app.client_id,
            "openid email",
        ))
        .await;
    let tokens = app_tokens_for_callback(&server, &app, &cb).await;
    let id = oidc::jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["idp"], "mail", "{id}");
    assert_eq!(id["altsecid"], altsecid.as_str());
    assert_eq!(id["oid"], invited.user_id.as_str());
    assert_eq!(id["acct"], 1);
    assert_eq!(id["email"], GUEST);
    assert!(
        id["amr"]
            .as_array()
            .is_some_and(|a| a.iter().any(|m| m == "otp")),
        "{id}"
    );
    assert!(
        server
            .svc
            .store
            .read(|c| queries::users::account_by_email(c, GUEST))
            .await
            .unwrap()
            .is_none(),
        "no password anywhere"
    );

    // Later, in a new browser: identifier first on the sign-in page, a new code, the same guest.
    let later = sign_in_with_code(&server, &smtp, &app, 2).await;
    let id = oidc::jwt_claims(later["id_token"].as_str().unwrap());
    assert_eq!(id["oid"], invited.user_id.as_str());
    assert_eq!(id["altsecid"], altsecid.as_str());
    assert_eq!(id["idp"], "mail");

    // The redeemed link signs them in again with a code too, as the identity it is bound to.
    let back = server.browser();
    let landed = {
        let (status, page) = ask_at_invitation(&back, &url).await;
        assert_eq!(status, 200, "{page}");
        let code = codes_for(&smtp, GUEST, 3).await.pop().unwrap();
        let resp = type_code(&back, &page, &verify, &code).await;
        assert_eq!(resp.status(), 303);
        oidc::location(&back.get(&oidc::location(&resp)).await)
    };
    assert!(landed.ends_with("/t/contoso/apps"), "{landed}");
}

#[actix_web::test]
async fn exhausted_and_expired_codes_sign_nobody_in() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    // Wrong codes count as sign-in failures too; here they should only use codes up.
    let server = TestServer::start_with(move |c| {
        c.smtp_url = Some(url);
        c.limits.sign_in_failures = 100;
    })
    .await;
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let url = invited.redeem_url.clone();
    let verify = format!("{url}/code/verify");

    // Five wrong tries use the code up: the right one no longer works after them.
    let browser = server.browser();
    let (_, page) = ask_at_invitation(&browser, &url).await;
    let code = codes_for(&smtp, GUEST, 1).await.remove(0);
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for left in (1..5).rev() {
        let resp = type_code(&browser, &page, &verify, wrong).await;
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains(&format!("{left} tries left"))
        );
    }
    let resp = type_code(&browser, &page, &verify, wrong).await;
    assert!(resp.text().await.unwrap().contains("no longer works"));
    let resp = type_code(&browser, &page, &verify, &code).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("no longer works"));
    // Garbage is a wrong try too, never a server error.
    let resp = type_code(&browser, &page, &verify, "12ab'; --").await;
    assert_eq!(resp.status(), 400);

    // A code past its ten minutes does not work either.
    let browser = server.browser();
    let (_, page) = ask_at_invitation(&browser, &url).await;
    let code = codes_for(&smtp, GUEST, 2).await.pop().unwrap();
    let id = guestlist::crypto::hash_secret(&hidden(&page, "challenge").unwrap());
    server
        .svc
        .store
        .write(move |c| {
            use diesel::prelude::*;
            use guestlist::store::schema::one_time_codes::dsl as otc;
            diesel::update(otc::one_time_codes.find(&id))
                .set(otc::expires_at.eq(guestlist::clock::now() - 1))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let resp = type_code(&browser, &page, &verify, &code).await;
    assert!(resp.text().await.unwrap().contains("no longer works"));

    // A new code replaces the older ones still unused.
    let browser = server.browser();
    let (_, first) = ask_at_invitation(&browser, &url).await;
    let (_, second) = ask_at_invitation(&browser, &url).await;
    // (The two emails may arrive in either order.)
    let codes = codes_for(&smtp, GUEST, 4).await;
    for code in &codes[2..] {
        let resp = type_code(&browser, &first, &verify, code).await;
        assert!(resp.text().await.unwrap().contains("no longer works"));
    }
    let mut answers = Vec::new();
    for code in &codes[2..] {
        answers.push(
            type_code(&browser, &second, &verify, code)
                .await
                .status()
                .as_u16(),
        );
    }
    assert!(answers.contains(&303), "the newest code works: {answers:?}");
    assert_eq!(
        server
            .user(&invited.user_id)
            .await
            .external_user_state
            .as_deref(),
        Some("PendingAcceptance"),
        "signed in, not yet consented"
    );
}

#[actix_web::test]
async fn wrong_codes_are_throttled_like_wrong_passwords() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let server = TestServer::start_with(move |c| {
        c.smtp_url = Some(url);
        c.limits.sign_in_failures = 3;
    })
    .await;
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let url = invited.redeem_url.clone();
    let verify = format!("{url}/code/verify");
    let browser = server.browser();
    let (_, page) = ask_at_invitation(&browser, &url).await;
    let code = codes_for(&smtp, GUEST, 1).await.remove(0);
    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..3 {
        assert_eq!(
            type_code(&browser, &page, &verify, wrong).await.status(),
            400
        );
    }
    // The address waits now: even the right code is not looked at until the wait is over.
    let resp = type_code(&browser, &page, &verify, &code).await;
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().contains_key("retry-after"));
    assert_eq!(
        server.user(&invited.user_id).await.home_user_id,
        None,
        "nobody signed in"
    );
}

#[actix_web::test]
async fn the_sign_in_page_does_not_tell_who_may_use_codes() {
    let smtp = FakeSmtp::start().await;
    let server = server_with_mail(&smtp).await;
    server.member("ann@contoso.example").await;
    let ask = |email: &'static str| {
        let browser = server.browser();
        let slug = server.tenant.slug.clone();
        async move {
            let url = format!("/t/{slug}/signin");
            let resp = browser
                .submit_form(
                    &url,
                    &format!("{url}/code"),
                    &[("email", email), ("request", "")],
                )
                .await;
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    // Pat is invited and has a code for the invitation; a stranger asking the sign-in page for a code
    // for Pat (not a guest yet) neither sends one nor spoils Pat's.
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let pat = server.browser();
    let (_, pats_page) = ask_at_invitation(&pat, &invited.redeem_url).await;
    let pats_code = codes_for(&smtp, GUEST, 1).await.remove(0);
    assert_eq!(ask(GUEST).await.0, 200);
    let verify = format!("{}/code/verify", invited.redeem_url);
    let landed = consent(
        &pat,
        &invited.redeem_url,
        type_code(&pat, &pats_page, &verify, &pats_code).await,
    )
    .await;
    assert!(landed.ends_with("/t/contoso/apps"), "{landed}");

    // Now Pat signs in with codes here. Pat, a member and an unknown address get the same page.
    let strip = |page: &str, email: &str| {
        page.replace(email, "X")
            .lines()
            .filter(|l| !l.contains("name=\"challenge\"") && !l.contains("name=\"csrf\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut pages = Vec::new();
    for email in [GUEST, "ann@contoso.example", "nobody@partner.example"] {
        let (status, page) = ask(email).await;
        assert_eq!(status, 200, "{email}");
        pages.push(strip(&page, email));
    }
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[0], pages[2]);
    // Only Pat gets a code: a member signs in with a password, and nobody is nobody.
    codes_for(&smtp, GUEST, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.accepted().len(), 2, "no email to anyone else");
    // A malformed address is told so.
    let (status, page) = ask("not an address").await;
    assert_eq!(status, 400, "{page}");
}

#[actix_web::test]
async fn codes_are_not_offered_when_the_policy_is_off_or_the_address_has_a_password() {
    let smtp = FakeSmtp::start().await;
    let server = server_with_mail(&smtp).await;
    // An address with a password here signs in with it.
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "gail@fabrikam.example", vec![])
        .await;
    let invited = invite_quietly(&server, &server.tenant, "gail@fabrikam.example").await;
    let (status, page) = ask_at_invitation(&server.browser(), &invited.redeem_url).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("An account with this email exists already"),
        "{page}"
    );

    // The policy off: no button, and asking anyway is refused.
    server
        .set_settings(&server.tenant, |s| s.email_one_time_passcode = false)
        .await;
    server.svc.tenants.forget(&server.tenant.slug);
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let browser = server.browser();
    let page = browser.page(&invited.redeem_url).await;
    assert!(!page.contains("Email me a code"), "{page}");
    let (status, page) = ask_at_invitation(&browser, &invited.redeem_url).await;
    assert_eq!(status, 400);
    assert!(page.contains("not offered"), "{page}");
    let signin = browser
        .page(&format!("/t/{}/signin", server.tenant.slug))
        .await;
    assert!(!signin.contains("Email me a code"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.accepted().is_empty(), "no email sent");
}

#[actix_web::test]
async fn an_unverified_account_that_claimed_the_address_is_taken_over_by_its_owner() {
    let smtp = FakeSmtp::start().await;
    let server = server_with_mail(&smtp).await;
    // Someone signs up at an open tenant with an address that is not theirs.
    let open = create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;
    let squatter_browser = server.browser();
    let url = format!("{}/signup", open.issuer);
    let page = squatter_browser.page(&url).await;
    let resp = squatter_browser
        .post_form(
            &url,
            &[
                ("csrf", hidden(&page, "csrf").unwrap().as_str()),
                ("email", GUEST),
                ("display_name", "Not Pat"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let squatter = server.find_user_by_mail(&open, GUEST).await.expect("made");
    assert!(!squatter.email_verified);

    // The owner is invited and proves the address with a code: the claim does not stand in the way.
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let landed = redeem_with_code(&smtp, &server.browser(), &invited.redeem_url, 1).await;
    assert!(landed.ends_with("/t/contoso/apps"), "{landed}");
    assert_eq!(
        server.user(&invited.user_id).await.home_issuer.as_deref(),
        Some("mail")
    );

    // The squatter's account is disabled, its password gone, and it is audited.
    let squatter = server.user(&squatter.id).await;
    assert!(!squatter.enabled);
    let signin = format!("/t/{}/signin", open.slug);
    let resp = server
        .browser()
        .submit_form(
            &signin,
            &signin,
            &[("email", GUEST), ("password", PASSWORD), ("request", "")],
        )
        .await;
    assert_eq!(resp.status(), 401);
    for tenant_id in [open.id.clone(), server.tenant.id.clone()] {
        let events = server
            .svc
            .store
            .read(move |c| {
                queries::audit::list(
                    c,
                    &tenant_id,
                    &queries::audit::AuditFilter {
                        event_name: Some("Take over unverified account".into()),
                        ..Default::default()
                    },
                    10,
                )
            })
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "audited in both directories");
    }
}
