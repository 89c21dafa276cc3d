//! Verified addresses: a self-service sign-up gets a link by email (real SMTP) and cannot sign in until
//! it follows it; the sign-in page says why only to whoever knows the password, and sends the link again;
//! opening the link confirms nothing until its button is pressed; links work once; an unverified
//! account cannot redeem an invitation either.

mod common;

use common::invite::invite_quietly;
use common::smtp::FakeSmtp;
use common::*;
use std::time::Duration;

const EMAIL: &str = "new@open.example";

/// The verification links emailed to `email` so far, once there are `count` (15 s at most).
async fn links_for(smtp: &FakeSmtp, email: &str, issuer: &str, count: usize) -> Vec<String> {
    let mut links = Vec::new();
    for _ in 0..150 {
        links = smtp
            .accepted()
            .into_iter()
            .filter(|m| m.recipients.iter().any(|r| r == email))
            .filter_map(|m| {
                let text = mail::part_body(&m.raw, "text/plain");
                let start = text.find(&format!("<{issuer}/verify/"))? + 1;
                let end = start + text[start..].find('>')?;
                Some(text[start..end].to_string())
            })
            .collect();
        if links.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(links.len(), count, "verification links to {email}");
    links
}

async fn sign_up(server: &TestServer, slug: &str) -> (u16, String) {
    let url = format!("/t/{slug}/signup");
    let resp = server
        .browser()
        .submit_form(
            &url,
            &url,
            &[
                ("email", EMAIL),
                ("display_name", "New Person"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

async fn sign_in(browser: &Browser, slug: &str, password: &str) -> (u16, String) {
    let url = format!("/t/{slug}/signin");
    let resp = browser
        .submit_form(
            &url,
            &url,
            &[("email", EMAIL), ("password", password), ("request", "")],
        )
        .await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Opens `link` and presses its button: the status and the page.
async fn confirm(browser: &Browser, link: &str) -> (u16, String) {
    let resp = browser.submit_form(link, link, &[]).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[actix_web::test]
async fn a_sign_up_signs_in_only_after_following_the_emailed_link() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let server = TestServer::start_with(move |c| c.smtp_url = Some(url)).await;
    let open = create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;

    let (status, page) = sign_up(&server, "open").await;
    assert_eq!(status, 200);
    assert!(page.contains("Check your email"), "{page}");
    links_for(&smtp, EMAIL, &open.issuer, 1).await;

    // Before: the right password is told why, and offered the link again; a wrong one learns nothing.
    let browser = server.browser();
    let (status, page) = sign_in(&browser, "open", PASSWORD).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("Confirm your email address first"), "{page}");
    assert!(page.contains(">Send the link again</button>"), "{page}");
    let (status, page) = sign_in(&server.browser(), "open", "not the password").await;
    assert_eq!(status, 401);
    assert!(!page.contains("Confirm your email address"), "{page}");

    // "Send the link again": a new link replaces the first.
    let resp = browser
        .submit_form("/t/open/signin", "/t/open/verify", &[("email", EMAIL)])
        .await;
    assert_eq!(resp.status(), 200);
    let links = links_for(&smtp, EMAIL, &open.issuer, 2).await;
    assert_eq!(
        browser.get(&links[0]).await.status(),
        404,
        "the older link no longer works"
    );

    // Opening the link confirms nothing (mail scanners open links); its button does.
    let page = browser.page(&links[1]).await;
    assert!(
        page.contains(&format!("<strong>{EMAIL}</strong>")),
        "{page}"
    );
    let user = server.find_user_by_mail(&open, EMAIL).await.unwrap();
    assert!(!user.email_verified);
    let (status, page) = confirm(&browser, &links[1]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Address confirmed"), "{page}");
    assert!(server.user(&user.id).await.email_verified);
    assert_eq!(
        browser.get(&links[1]).await.status(),
        404,
        "a link works once"
    );

    // Now the password signs in.
    let (status, _) = sign_in(&browser, "open", PASSWORD).await;
    assert_eq!(status, 303);
}

#[actix_web::test]
async fn asking_for_a_link_again_tells_nobody_who_has_an_account() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let server = TestServer::start_with(move |c| c.smtp_url = Some(url)).await;
    create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;
    server.member("ann@contoso.example").await;
    let ask = |email: &'static str| {
        let browser = server.browser();
        async move {
            let resp = browser
                .submit_form("/t/open/signin", "/t/open/verify", &[("email", email)])
                .await;
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let (s1, verified) = ask("ann@contoso.example").await;
    let (s2, unknown) = ask("nobody@open.example").await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(
        verified.replace("ann@contoso.example", "X"),
        unknown.replace("nobody@open.example", "X")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        smtp.accepted().is_empty(),
        "nothing sent: {:?}",
        smtp.accepted().len()
    );
}

#[actix_web::test]
async fn an_unverified_account_cannot_redeem_an_invitation() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let server = TestServer::start_with(move |c| c.smtp_url = Some(url)).await;
    create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;
    assert_eq!(sign_up(&server, "open").await.0, 200);
    let invited = invite_quietly(&server, &server.tenant, EMAIL).await;
    let browser = server.browser();
    let resp = redeem(
        &browser,
        &invited.redeem_url,
        "signin",
        &[("email", EMAIL), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Confirm your email address first")
    );
    assert_eq!(
        server.user(&invited.user_id).await.home_user_id,
        None,
        "not redeemed"
    );
}
