//! The console's identity-provider pages: an admin adds a partner's provider, tests the connection,
//! changes it without retyping the secret, and deletes it; the secret is never shown again; a provider
//! the operator shares is shown but not changed.

mod common;

use common::oidc::location;
use common::{Browser, TestServer, hidden};
use guestlist::domain::user::Role;
use guestlist::service::auth::Actor;
use guestlist::service::federation::{self, NewIdentityProvider};

const SECRET: &str = "Upstream-Secret-7fq2";

async fn admin_console(server: &TestServer) -> (Browser, String) {
    server
        .member_in(&server.tenant, "root@contoso.example", vec![Role::Admin])
        .await;
    let browser = server.browser();
    let (status, body) = browser
        .console_sign_in(&server.tenant.slug, "root@contoso.example")
        .await;
    assert_eq!(status, 200, "the console opens: {body}");
    (browser, format!("/admin/t/{}", server.tenant.slug))
}

fn etag(page: &str) -> String {
    hidden(page, "etag")
        .map(|e| e.replace("&quot;", "\""))
        .expect("the page carries the version it shows")
}

/// Posts `form` (with the page's CSRF token) and returns the status and, after a redirect, the page
/// it leads to (or the answer's own body).
async fn submit(browser: &Browser, url: &str, csrf: &str, form: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("csrf", csrf)];
    all.extend_from_slice(form);
    let resp = browser.post_form(url, &all).await;
    let status = resp.status().as_u16();
    if status == 303 {
        (status, browser.page(&location(&resp)).await)
    } else {
        (status, resp.text().await.unwrap_or_default())
    }
}

#[actix_web::test]
async fn an_admin_adds_tests_changes_and_deletes_a_provider_and_never_sees_its_secret_again() {
    let server = TestServer::start_with(|c| c.federation_allow_http = true).await;
    let (browser, base) = admin_console(&server).await;
    let list = browser.page(&format!("{base}/identity-providers")).await;
    assert!(list.contains("No identity providers yet."), "{list}");
    assert!(
        list.contains(&format!("{}/federation/callback", server.base)),
        "the redirect URI to register is shown: {list}"
    );
    let new = browser
        .page(&format!("{base}/identity-providers/new"))
        .await;
    let csrf = hidden(&new, "csrf").expect("the form's token");

    // Bad input is a readable page, and nothing is added.
    let (status, refused) = submit(
        &browser,
        &format!("{base}/identity-providers/new"),
        &csrf,
        &[
            ("display_name", "Fabrikam"),
            ("preset", "generic"),
            ("issuer", "ftp://login.fabrikam.example"),
            ("client_id", "guestlist"),
            ("client_secret", SECRET),
        ],
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused.contains("<html"), "a page: {refused}");
    let none = federation::list(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");

    // The server's own tenant stands in for the partner's provider: its discovery and keys are real.
    let (status, page) = submit(
        &browser,
        &format!("{base}/identity-providers/new"),
        &csrf,
        &[
            ("display_name", "Fabrikam"),
            ("preset", "generic"),
            ("issuer", &server.issuer()),
            ("client_id", "guestlist-at-fabrikam"),
            ("client_secret", SECRET),
            ("domains", "fabrikam.example\r\nFabrikam.Test"),
            ("members", "on"),
            ("create_members", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    assert!(page.contains("The identity provider was added."), "{page}");
    assert!(
        page.contains("fabrikam.test"),
        "domains are kept, lower-cased: {page}"
    );
    assert!(!page.contains(SECRET), "the secret is never shown");
    let id = federation::list(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap()[0]
        .id
        .clone();
    let url = format!("{base}/identity-providers/{id}");
    let added = federation::offered_one(&server.svc, &server.tenant, &id)
        .await
        .unwrap();
    assert_eq!(added.client_secret(&server.svc).unwrap(), SECRET);
    assert!(added.members && added.create_members);
    assert_eq!(added.domains, ["fabrikam.example", "fabrikam.test"]);

    // The connection test reads the discovery document and the keys.
    let (status, tested) = submit(&browser, &url, &csrf, &[("action", "test")]).await;
    assert_eq!(status, 303);
    assert!(tested.contains("The provider answered"), "{tested}");

    // Saved with the secret left empty: the secret stays; unticked boxes switch off.
    let version = etag(&tested);
    let save = |version: String, name: &'static str| {
        let (browser, url, csrf) = (&browser, url.clone(), csrf.clone());
        async move {
            submit(
                browser,
                &url,
                &csrf,
                &[
                    ("action", "save"),
                    ("etag", &version),
                    ("display_name", name),
                    ("issuer", "http://127.0.0.1:9/unreachable"),
                    ("client_id", "guestlist-at-fabrikam"),
                    ("client_secret", ""),
                    ("domains", "fabrikam.example"),
                    ("enabled", "on"),
                ],
            )
            .await
        }
    };
    let (status, saved) = save(version.clone(), "Fabrikam Corp").await;
    assert_eq!(status, 303, "{saved}");
    assert!(saved.contains("Saved."), "{saved}");
    let changed = federation::offered_one(&server.svc, &server.tenant, &id)
        .await
        .unwrap();
    assert_eq!(changed.display_name, "Fabrikam Corp");
    assert_eq!(changed.client_secret(&server.svc).unwrap(), SECRET);
    assert!(!changed.members && !changed.create_members);
    assert_eq!(changed.domains, ["fabrikam.example"]);

    // A form read before that change does not overwrite it.
    let (status, stale) = save(version, "Stale").await;
    assert_eq!(status, 412, "{stale}");
    let kept = federation::offered_one(&server.svc, &server.tenant, &id)
        .await
        .unwrap();
    assert_eq!(kept.display_name, "Fabrikam Corp");

    // An issuer that does not answer fails the test, with the reason.
    let (status, tested) = submit(&browser, &url, &csrf, &[("action", "test")]).await;
    assert_eq!(status, 303);
    assert!(
        tested.contains("The provider did not answer as it should:"),
        "{tested}"
    );

    // Deleting needs the box ticked.
    let page = browser.page(&url).await;
    let (status, unconfirmed) = submit(
        &browser,
        &url,
        &csrf,
        &[("action", "delete"), ("etag", &etag(&page))],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        unconfirmed.contains("Tick the confirmation box"),
        "{unconfirmed}"
    );
    let (status, list) = submit(
        &browser,
        &url,
        &csrf,
        &[
            ("action", "delete"),
            ("etag", &etag(&page)),
            ("confirm", "on"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(
        list.contains("The identity provider was deleted."),
        "{list}"
    );
    assert!(!list.contains("Fabrikam Corp"), "{list}");
    assert_eq!(browser.get(&url).await.status().as_u16(), 404);

    // Every change is in the audit log.
    let audit = browser.page(&format!("{base}/audit")).await;
    for event in [
        "Add identity provider",
        "Update identity provider",
        "Delete identity provider",
    ] {
        assert!(audit.contains(event), "{event} in {audit}");
    }
}

#[actix_web::test]
async fn a_provider_the_operator_shares_is_shown_but_a_tenant_admin_cannot_change_it() {
    let server = TestServer::start().await;
    let shared = federation::create_shared(
        &server.svc,
        &Actor::operator(),
        None,
        NewIdentityProvider {
            display_name: "Everyone's IdP".into(),
            issuer: Some("https://idp.shared.example".into()),
            client_id: "guestlist".into(),
            client_secret: SECRET.into(),
            domains: vec!["shared.example".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let (browser, base) = admin_console(&server).await;
    let list = browser.page(&format!("{base}/identity-providers")).await;
    assert!(list.contains("offered by the operator"), "{list}");
    let url = format!("{base}/identity-providers/{}", shared.id);
    let page = browser.page(&url).await;
    assert!(
        page.contains("only the operator changes or removes it"),
        "{page}"
    );
    assert!(
        !page.contains("value=\"save\""),
        "no form to change it: {page}"
    );
    assert!(
        !page.contains("value=\"delete\""),
        "no form to delete it: {page}"
    );
    let csrf = hidden(&page, "csrf").unwrap();
    for action in ["save", "delete"] {
        let (status, refused) = submit(
            &browser,
            &url,
            &csrf,
            &[
                ("action", action),
                ("etag", &shared.etag),
                ("display_name", "Taken over"),
                ("confirm", "on"),
            ],
        )
        .await;
        assert_eq!(status, 403, "{action}: {refused}");
    }
    let still = federation::list(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap();
    assert_eq!(still[0].display_name, "Everyone's IdP");
}

#[actix_web::test]
async fn a_member_who_is_not_an_admin_cannot_open_or_post_the_provider_pages() {
    let server = TestServer::start().await;
    let provider = federation::create(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        NewIdentityProvider {
            display_name: "Fabrikam".into(),
            issuer: Some("https://login.fabrikam.example".into()),
            client_id: "guestlist".into(),
            client_secret: SECRET.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    server
        .member_in(
            &server.tenant,
            "inviter@contoso.example",
            vec![Role::GuestInviter],
        )
        .await;
    let browser = server.browser();
    let (status, _) = browser
        .console_sign_in(&server.tenant.slug, "inviter@contoso.example")
        .await;
    assert_eq!(status, 403);
    let base = format!("/admin/t/{}", server.tenant.slug);
    for path in ["/identity-providers", "/identity-providers/new"] {
        let status = browser
            .get(&format!("{base}{path}"))
            .await
            .status()
            .as_u16();
        // Without an admin's console session: sent to sign in, or refused.
        assert!(status == 303 || status == 403, "{path}: {status}");
        assert!(
            !browser
                .page(&format!("{base}{path}"))
                .await
                .contains("Fabrikam")
        );
    }
    let resp = browser
        .post_form(
            &format!("{base}/identity-providers/{}", provider.id),
            &[("csrf", "x"), ("action", "delete"), ("confirm", "on")],
        )
        .await;
    assert!([303, 403].contains(&resp.status().as_u16()));
    assert!(
        federation::offered_one(&server.svc, &server.tenant, &provider.id)
            .await
            .is_ok(),
        "still there"
    );
}
