//! Signing out: the provider's confirmation form (`POST /t/{slug}/logout`) and the console's sign-out, each
//! ending what it says it ends.

mod common;

use common::*;
use guestlist::domain::user::Role;

/// A `prompt=none` authorization: whether the browser still has a session the app can use silently.
async fn silently_signed_in(server: &TestServer, browser: &Browser, client_id: &str) -> bool {
    let url = format!(
        "{}/authorize?client_id={client_id}&redirect_uri={REDIRECT}&response_type=code&scope=openid&prompt=none&state=q",
        server.issuer()
    );
    let resp = browser.get(&url).await;
    assert_eq!(resp.status(), 303, "prompt=none always answers the app");
    let back = query_of(&location(&resp));
    match (back.get("code"), back.get("error")) {
        (Some(_), None) => true,
        (None, Some(e)) if e == "login_required" => false,
        other => panic!("unexpected prompt=none answer {other:?}"),
    }
}

/// Whether an answer clears the session cookie.
fn clears(resp: &reqwest::Response, cookie: &str) -> bool {
    resp.headers().get_all("set-cookie").iter().any(|c| {
        c.to_str()
            .is_ok_and(|c| c.starts_with(&format!("{cookie}=;")) && c.contains("Max-Age=0"))
    })
}

#[actix_web::test]
async fn the_sign_out_form_ends_the_session_and_returns_only_to_registered_addresses() {
    let server = TestServer::start().await;
    server.member("lou@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let browser = server.browser();
    browser
        .callback(
            &authorize_url_for(&server.issuer(), &app.client_id, "openid"),
            "lou@contoso.example",
        )
        .await;
    assert!(silently_signed_in(&server, &browser, &app.client_id).await);
    let logout = format!("{}/logout", server.issuer());

    // Without a hint the person is asked; the page carries the app's request into the form.
    let asked = browser
        .get(&format!(
            "{logout}?client_id={}&post_logout_redirect_uri={LOGOUT_REDIRECT}&state=bye",
            app.client_id
        ))
        .await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    let csrf = hidden(&page, "csrf").unwrap();
    assert_eq!(
        hidden(&page, "post_logout_redirect_uri").unwrap(),
        LOGOUT_REDIRECT
    );
    assert_eq!(hidden(&page, "state").unwrap(), "bye");

    // Posting the request without confirming only shows the question again.
    let unconfirmed = browser
        .post_form(
            &logout,
            &[
                ("client_id", app.client_id.as_str()),
                ("post_logout_redirect_uri", LOGOUT_REDIRECT),
            ],
        )
        .await;
    assert_eq!(unconfirmed.status(), 200);
    assert!(unconfirmed.text().await.unwrap().contains("Sign out?"));
    assert!(silently_signed_in(&server, &browser, &app.client_id).await);

    // A confirmed form naming an address the app did not register is refused, and signs nobody out.
    let foreign = browser
        .post_form(
            &logout,
            &[
                ("csrf", csrf.as_str()),
                ("confirm", "yes"),
                ("client_id", app.client_id.as_str()),
                ("post_logout_redirect_uri", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(foreign.status(), 400);
    assert!(foreign.headers().get("location").is_none());
    assert!(silently_signed_in(&server, &browser, &app.client_id).await);

    // Confirmed: the session ends, the cookie goes, and the browser returns to the app with its state.
    let done = browser
        .post_form(
            &logout,
            &[
                ("csrf", csrf.as_str()),
                ("confirm", "yes"),
                ("client_id", app.client_id.as_str()),
                ("post_logout_redirect_uri", LOGOUT_REDIRECT),
                ("state", "bye"),
            ],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), format!("{LOGOUT_REDIRECT}?state=bye"));
    assert!(clears(&done, "gl_session"), "the session cookie is cleared");
    assert!(!silently_signed_in(&server, &browser, &app.client_id).await);
    let panel = browser.get("/t/contoso/apps").await;
    assert_eq!(panel.status(), 303, "the app panel asks to sign in again");
    assert!(location(&panel).contains("/signin"));
}

#[actix_web::test]
async fn a_session_ended_by_signing_out_cannot_be_replayed_with_its_cookie() {
    let server = TestServer::start().await;
    server.member("kim@contoso.example").await;
    let browser = server.browser();
    let signin = format!("{}/signin", server.issuer());
    let page = browser.get(&signin).await.text().await.unwrap();
    let signed_in = browser
        .post_form(
            &signin,
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("email", "kim@contoso.example"),
                ("password", PASSWORD),
                ("request", ""),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    // Someone copies the session cookie while it is good …
    let session = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find_map(|c| c.strip_prefix("gl_session="))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let panel = server.url("/t/contoso/apps");
    let with_copy = || {
        server
            .rp_http()
            .get(&panel)
            .header("cookie", format!("gl_session={session}"))
            .send()
    };
    assert_eq!(with_copy().await.unwrap().status(), 200, "the copy works");
    // … and the person signs out.
    let page = browser
        .get(&format!("{}/logout", server.issuer()))
        .await
        .text()
        .await
        .unwrap();
    let done = browser
        .post_form(
            &format!("{}/logout", server.issuer()),
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status(), 200, "signed out, with a page saying so");
    let replay = with_copy().await.unwrap();
    assert_eq!(
        replay.status(),
        303,
        "the old session cookie is worth nothing"
    );
    assert!(location(&replay).contains("/signin"));
}

#[actix_web::test]
async fn console_sign_out_forgets_the_console_and_leads_to_the_providers_sign_out() {
    let server = TestServer::start().await;
    server
        .member_in(&server.tenant, "root@contoso.example", vec![Role::Admin])
        .await;
    let admin = server.browser();
    let (status, body) = admin
        .console_sign_in("contoso", "root@contoso.example")
        .await;
    assert_eq!(status, 200, "the console opens: {body}");
    let page = admin
        .get("/admin/t/contoso/users")
        .await
        .text()
        .await
        .unwrap();
    let out = admin
        .post_form(
            "/admin/t/contoso/signout",
            &[("csrf", &hidden(&page, "csrf").unwrap())],
        )
        .await;
    assert_eq!(out.status(), 303);
    assert!(clears(&out, "gl_console"), "the console cookie is cleared");
    let next = location(&out);
    assert_eq!(next, "/t/contoso/logout");

    // The console asks to sign in again at once …
    let console = admin.get("/admin/t/contoso/users").await;
    assert_eq!(console.status(), 303);
    assert!(
        location(&console).starts_with("/admin/t/contoso/login"),
        "the console no longer knows the browser"
    );
    // … and the provider's sign-out, confirmed, ends the session behind it, so signing in to the console
    // again needs the password.
    let confirm = admin.get(&next).await.text().await.unwrap();
    let done = admin
        .post_form(
            &next,
            &[
                ("csrf", &hidden(&confirm, "csrf").unwrap()),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status(), 200);
    assert!(clears(&done, "gl_session"));
    let mut url = "/admin/t/contoso/users".to_string();
    for _ in 0..6 {
        let resp = admin.get(&url).await;
        if resp.status() != 303 {
            panic!("stopped at {url}: {}", resp.status());
        }
        url = location(&resp);
        if url.contains("/t/contoso/signin") {
            return;
        }
    }
    panic!("signing in to the console again did not ask for the password: {url}");
}
