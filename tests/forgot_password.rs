//! Forgotten passwords: `/t/{slug}/forgot` sends a single-use link (one hour) by email over SMTP; the
//! page answers the same whether or not the address has an account; setting the password from the
//! link ends the account's tokens; a partner who registered at redemption gets back in the same way;
//! requests are budgeted per recipient (silently) and per source address (429).

mod common;

use common::smtp::{Accepted, FakeSmtp};
use common::*;
use std::time::Duration;

const NEW_PASSWORD: &str = "a brand new passphrase 9";

async fn server_with_mail(smtp: &FakeSmtp) -> TestServer {
    let url = smtp.url();
    TestServer::start_with(move |c| c.smtp_url = Some(url)).await
}

/// Asks for a link for `email` on contoso's forgotten-password page: the status and the page.
async fn ask(server: &TestServer, browser: &Browser, email: &str) -> (u16, String) {
    let url = format!("/t/{}/forgot", server.tenant.slug);
    let resp = browser.submit_form(&url, &url, &[("email", email)]).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// The messages the SMTP server accepted for `email`, once there are `count` of them (15 s at most).
async fn mail_for(smtp: &FakeSmtp, email: &str, count: usize) -> Vec<Accepted> {
    let mut got = Vec::new();
    for _ in 0..150 {
        got = smtp
            .accepted()
            .into_iter()
            .filter(|m| m.recipients.iter().any(|r| r == email))
            .collect();
        if got.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    got
}

/// The reset link of a delivered message: `<{issuer}/reset/…>` in the plain-text part, linked the same
/// in the HTML part.
fn reset_link(raw: &str, issuer: &str) -> String {
    let text = mail::part_body(raw, "text/plain");
    let marker = format!("<{issuer}/reset/");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no reset link in {text}"))
        + 1;
    let end = start + text[start..].find('>').expect("the link's end");
    let link = text[start..end].to_string();
    let html = mail::part_body(raw, "text/html");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    link
}

async fn set_password(browser: &Browser, link: &str, password: &str) -> reqwest::Response {
    browser
        .submit_form(
            link,
            link,
            &[("password", password), ("confirm_password", password)],
        )
        .await
}

async fn signs_in_with(server: &TestServer, email: &str, password: &str) -> bool {
    let url = format!("/t/{}/signin", server.tenant.slug);
    let resp = server
        .browser()
        .submit_form(
            &url,
            &url,
            &[("email", email), ("password", password), ("request", "")],
        )
        .await;
    resp.status().as_u16() == 303
}

#[actix_web::test]
async fn a_member_resets_a_forgotten_password_from_the_emailed_link_and_old_tokens_end() {
    let smtp = FakeSmtp::start().await;
    let server = server_with_mail(&smtp).await;
    server.member("ann@contoso.example").await;
    let (app, tokens) = signed_in_with_refresh(&server, "ann@contoso.example").await;

    // The sign-in page links the form.
    let signin = server
        .browser()
        .page(&format!("/t/{}/signin", server.tenant.slug))
        .await;
    assert!(
        signin.contains(&format!(
            "href=\"/t/{}/forgot\">Forgot password?<",
            server.tenant.slug
        )),
        "{signin}"
    );

    let browser = server.browser();
    let (status, known) = ask(&server, &browser, "Ann@Contoso.example").await;
    assert_eq!(status, 200, "{known}");
    let (status, unknown) = ask(&server, &browser, "nobody@contoso.example").await;
    assert_eq!(status, 200, "{unknown}");
    assert_eq!(
        known.replace("Ann@Contoso.example", "X"),
        unknown.replace("nobody@contoso.example", "X"),
        "the answer does not tell whether the address has an account"
    );
    let (status, malformed) = ask(&server, &browser, "not an address").await;
    assert_eq!(status, 200, "{malformed}");

    let got = mail_for(&smtp, "ann@contoso.example", 1).await;
    assert_eq!(got.len(), 1, "one email to the account");
    assert!(
        smtp.accepted()
            .iter()
            .all(|m| m.recipients == ["ann@contoso.example"]),
        "nothing to anyone else"
    );
    assert_eq!(mail::subject(&got[0].raw), "Reset your Contoso password");
    let link = reset_link(&got[0].raw, &server.issuer());
    // Stored as its hash only, for one hour.
    let token = link.rsplit('/').next().unwrap().to_string();
    let row = server
        .svc
        .store
        .read(move |c| {
            guestlist::store::queries::action_tokens::usable(
                c,
                &guestlist::crypto::hash_secret(&token),
                guestlist::service::users::PASSWORD_RESET_PURPOSE,
                guestlist::clock::now(),
            )
        })
        .await
        .unwrap()
        .expect("the link's token is stored by its hash");
    assert_eq!(row.expires_at - row.created_at, 3600);

    // The link sets the password once; the old password and the old tokens end with it.
    let done = set_password(&browser, &link, NEW_PASSWORD).await;
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    assert_eq!(
        tokens_work(&server, &app, &tokens).await,
        (false, false),
        "neither the refresh token nor the access token outlives the reset"
    );
    assert!(signs_in_with(&server, "ann@contoso.example", NEW_PASSWORD).await);
    assert!(!signs_in_with(&server, "ann@contoso.example", PASSWORD).await);
    assert_eq!(
        browser.get(&link).await.status().as_u16(),
        404,
        "the link works once"
    );
    assert!(signs_in_with(&server, "ann@contoso.example", NEW_PASSWORD).await);

    // The request and the reset are in the tenant's audit log.
    let events = audit_events(&server).await;
    assert!(
        events.contains(&"Request password reset".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"Reset user password".to_string()),
        "{events:?}"
    );
}

#[actix_web::test]
async fn a_partner_who_registered_at_redemption_gets_back_in_and_strangers_get_nothing() {
    let smtp = FakeSmtp::start().await;
    let server = server_with_mail(&smtp).await;
    let invited = invite::invite_quietly(&server, &server.tenant, "pat@partner.example").await;
    let resp = register_as_guest(&server.browser(), &invited.redeem_url, "Pat Partner").await;
    assert!(resp.status().is_success() || resp.status().is_redirection());

    // The redemption page's sign-in form links the form too.
    let other = invite::invite_quietly(&server, &server.tenant, "other@partner.example").await;
    let page = server.browser().page(&other.redeem_url).await;
    assert!(
        page.contains(&format!("/t/{}/forgot", server.tenant.slug)),
        "{page}"
    );

    // A member of another tenant (managed there) resets there, not on contoso's pages.
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "fay@fabrikam.example", vec![])
        .await;

    let browser = server.browser();
    ask(&server, &browser, "pat@partner.example").await;
    ask(&server, &browser, "fay@fabrikam.example").await;
    let got = mail_for(&smtp, "pat@partner.example", 1).await;
    assert_eq!(got.len(), 1);
    let link = reset_link(&got[0].raw, &server.issuer());
    let done = set_password(&browser, &link, NEW_PASSWORD).await;
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    assert!(signs_in_with(&server, "pat@partner.example", NEW_PASSWORD).await);
    // Emails are queued in the request's own transaction: none was, for her.
    let queued = mail::outbox_rows(&server.svc.store, &server.tenant.id).await;
    assert!(
        queued.iter().all(|r| !r.recipient.contains("fay@")),
        "no link for another tenant's member: {queued:?}"
    );
}

#[actix_web::test]
async fn a_recipient_gets_at_most_its_hourly_budget_and_a_source_address_is_held_back() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let server = TestServer::start_with(move |c| {
        c.smtp_url = Some(url);
        c.limits.account_emails_per_hour = 2;
        c.limits.account_email_requests_per_hour = 4;
    })
    .await;
    server.member("ann@contoso.example").await;
    let browser = server.browser();
    for _ in 0..3 {
        let (status, page) = ask(&server, &browser, "ann@contoso.example").await;
        assert_eq!(
            status, 200,
            "past the recipient's budget the page answers as usual: {page}"
        );
    }
    let (status, _) = ask(&server, &browser, "someone@contoso.example").await;
    assert_eq!(status, 200);
    let resp = {
        let url = format!("/t/{}/forgot", server.tenant.slug);
        browser
            .submit_form(&url, &url, &[("email", "ann@contoso.example")])
            .await
    };
    assert_eq!(resp.status().as_u16(), 429, "the address asked too often");
    assert!(resp.headers().contains_key("retry-after"));

    // Two emails, and only the newest link works.
    // Emails are queued in the request's own transaction: two were, for her.
    let queued = mail::outbox_rows(&server.svc.store, &server.tenant.id).await;
    assert_eq!(
        queued
            .iter()
            .filter(|r| r.recipient.contains("ann@contoso.example"))
            .count(),
        2,
        "{queued:?}"
    );
    let got = mail_for(&smtp, "ann@contoso.example", 2).await;
    assert_eq!(got.len(), 2);
    let first = reset_link(&got[0].raw, &server.issuer());
    let second = reset_link(&got[1].raw, &server.issuer());
    let (older, newer) = if first == second {
        panic!("two links are different")
    } else {
        // Delivery order is not request order: the one that works is the newer.
        let works = |link: String| {
            let b = server.browser();
            async move { b.get(&link).await.status().as_u16() == 200 }
        };
        if works(first.clone()).await {
            (second, first)
        } else {
            (first, second)
        }
    };
    assert_eq!(server.browser().get(&older).await.status().as_u16(), 404);
    assert_eq!(server.browser().get(&newer).await.status().as_u16(), 200);
}

/// The event names of contoso's audit log.
async fn audit_events(server: &TestServer) -> Vec<String> {
    let tenant_id = server.tenant.id.clone();
    server
        .svc
        .store
        .read(move |c| {
            guestlist::store::queries::audit::list(c, &tenant_id, &Default::default(), 500)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_name)
        .collect()
}
