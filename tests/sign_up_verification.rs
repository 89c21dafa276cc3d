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

/// Opens `link` and presses its button with `password`: the status and the page.
async fn confirm(browser: &Browser, link: &str, password: &str) -> (u16, String) {
    let resp = browser
        .submit_form(link, link, &[("password", password)])
        .await;
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
    // The address's owner who did not sign up cannot confirm someone else's account: the password
    // chosen at sign-up is asked.
    let (status, page) = confirm(&browser, &links[1], "not the password").await;
    assert_eq!(status, 400, "{page}");
    assert!(
        page.contains("not the password chosen at sign-up"),
        "{page}"
    );
    assert!(!server.user(&user.id).await.email_verified);
    let (status, page) = confirm(&browser, &links[1], PASSWORD).await;
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
    let open = create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;
    assert_eq!(sign_up(&server, "open").await.0, 200);
    links_for(&smtp, EMAIL, &open.issuer, 1).await;
    server.member_in(&open, "ann@open.example", vec![]).await;
    let ask = |email: &'static str| {
        let browser = server.browser();
        async move {
            let resp = browser
                .submit_form("/t/open/signin", "/t/open/verify", &[("email", email)])
                .await;
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let mut pages = Vec::new();
    for email in [EMAIL, "ann@open.example", "nobody@open.example"] {
        let (status, page) = ask(email).await;
        assert_eq!(status, 200, "{email}");
        pages.push(page.replace(email, "X"));
    }
    assert_eq!(
        pages[0], pages[1],
        "waiting and verified accounts look alike"
    );
    assert_eq!(pages[0], pages[2], "and so does an unknown address");
    // Only the account that waits gets a new link.
    links_for(&smtp, EMAIL, &open.issuer, 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.accepted().len(), 2, "nothing sent to anyone else");
}

#[actix_web::test]
async fn a_password_reset_from_the_emailed_link_proves_the_address_too() {
    let smtp = FakeSmtp::start().await;
    let url = smtp.url();
    let server = TestServer::start_with(move |c| c.smtp_url = Some(url)).await;
    let open = create_tenant_with(&server.svc, "open", "Open", "open.example", true).await;
    assert_eq!(sign_up(&server, "open").await.0, 200);
    let browser = server.browser();
    let resp = browser
        .submit_form("/t/open/forgot", "/t/open/forgot", &[("email", EMAIL)])
        .await;
    assert_eq!(resp.status(), 200);
    let link = {
        let mut found = None;
        for _ in 0..150 {
            found = smtp.accepted().into_iter().find_map(|m| {
                let text = mail::part_body(&m.raw, "text/plain");
                let start = text.find(&format!("<{}/reset/", open.issuer))? + 1;
                let end = start + text[start..].find('>')?;
                Some(text[start..end].to_string())
            });
            if found.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.expect("a reset link")
    };
    const NEW: &str = "the owner's own passphrase";
    let resp = browser
        .submit_form(
            &link,
            &link,
            &[("password", NEW), ("confirm_password", NEW)],
        )
        .await;
    assert!(resp.status().is_success() || resp.status().is_redirection());
    let user = server.find_user_by_mail(&open, EMAIL).await.unwrap();
    assert!(user.email_verified, "the reset link reached the address");
    assert_eq!(sign_in(&server.browser(), "open", NEW).await.0, 303);
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
