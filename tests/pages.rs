//! People's pages: labels, CSRF, cookies and headers, the same message for unknown email and wrong
//! password, sign-up behind its switch, the first-admin setup link, the app panel.

mod common;

use common::*;
use guestlist::service::auth::Actor;
use guestlist::service::bootstrap;

#[actix_web::test]
async fn sign_in_page_has_labels_csrf_and_security_headers() {
    let server = TestServer::start().await;
    let browser = server.browser();
    let resp = browser.get(&format!("{}/signin", server.issuer())).await;
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        csp.contains("img-src 'self' data:;") && !csp.contains("https:"),
        "images only from here: {csp}"
    );
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over plain http"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let csrf_cookie = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with("gl_csrf="))
        .unwrap();
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"),
        "{csrf_cookie}"
    );
    let body = resp.text().await.unwrap();
    for label in [
        "<label for=\"email\">Email</label>",
        "<label for=\"password\">Password</label>",
        ">Sign in</button>",
        "<h1>Sign in</h1>",
        "Contoso",
    ] {
        assert!(body.contains(label), "missing {label}");
    }
    assert!(hidden(&body, "csrf").is_some());
    assert!(!body.contains("<script"), "no inline script");
}

#[actix_web::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let server = TestServer::start().await;
    server.member("amy@contoso.example").await;
    let browser = server.browser();
    let page = browser.page(&format!("{}/signin", server.issuer())).await;
    let csrf = hidden(&page, "csrf").unwrap();
    let mut answers = Vec::new();
    for (email, password) in [
        ("amy@contoso.example", "wrong password!"),
        ("nobody@contoso.example", PASSWORD),
    ] {
        let resp = browser
            .post_form(
                &format!("{}/signin", server.issuer()),
                &[
                    ("csrf", &csrf),
                    ("email", email),
                    ("password", password),
                    ("request", ""),
                ],
            )
            .await;
        assert_eq!(resp.status(), 401);
        assert!(!sets_session(&resp), "no session for bad credentials");
        let body = resp.text().await.unwrap();
        let start = body.find("role=\"alert\">").unwrap();
        answers.push(body[start..start + 80].to_string());
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].contains("The email or password is not right."));
}

#[actix_web::test]
async fn forms_without_a_matching_csrf_token_are_refused() {
    let server = TestServer::start().await;
    server.member("cat@contoso.example").await;
    let browser = server.browser();
    browser.get(&format!("{}/signin", server.issuer())).await;
    let resp = browser
        .post_form(
            &format!("{}/signin", server.issuer()),
            &[
                ("csrf", "forged"),
                ("email", "cat@contoso.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        !sets_session(&resp),
        "no session without a matching CSRF token"
    );
}

/// Whether an answer sets the session cookie (any of its `Set-Cookie` headers).
fn sets_session(resp: &reqwest::Response) -> bool {
    set_cookies(resp)
        .iter()
        .any(|c| c.starts_with("gl_session="))
}

#[actix_web::test]
async fn session_cookie_flags_and_app_panel() {
    let server = TestServer::start().await;
    server.member("dee@contoso.example").await;
    server.app(|a| a.name = "Payroll".into()).await;
    server
        .app(|a| {
            a.name = "Restricted".into();
            a.assignment_required = true;
        })
        .await;
    let browser = server.browser();
    let resp = browser
        .sign_in_directly("contoso", "dee@contoso.example")
        .await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/t/contoso/apps");
    let cookie = set_cookies(&resp)
        .into_iter()
        .find(|c| c.starts_with("gl_session="))
        .expect("a session cookie");
    assert!(
        cookie.starts_with("gl_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "http public URL: no Secure flag"
    );
    let panel = browser.page("/t/contoso/apps").await;
    assert!(panel.contains("Payroll"));
    assert!(
        !panel.contains("Restricted"),
        "unassigned apps are not listed"
    );
}

#[actix_web::test]
async fn secure_cookie_when_public_url_is_https() {
    let server = TestServer::start_with(|c| c.public_url = "https://id.example".into()).await;
    let resp = server.browser().get(&server.url("/t/contoso/signin")).await;
    let cookies = set_cookies(&resp);
    // The sign-in page sets the CSRF cookie; every cookie it sets is Secure over https.
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| c.contains("Secure")),
        "{cookies:?}"
    );
}

#[actix_web::test]
async fn assignment_required_apps_refuse_unassigned_users_with_a_page() {
    let server = TestServer::start().await;
    let eve = server.member("eve@contoso.example").await;
    let app = server
        .app(|a| {
            a.assignment_required = true;
            a.first_party = true;
        })
        .await;
    let browser = server.browser();
    let url = authorize_url_for(&server.issuer(), &app.client_id, "openid");
    match browser
        .run_flow(&url, "eve@contoso.example", "accept")
        .await
    {
        Step::Page(status, body) => {
            assert_eq!(status, 403);
            assert!(body.contains("has not been given access"), "{body}");
        }
        Step::Callback(u) => panic!("an unassigned user got through: {u}"),
    }
    // Assigning a group the user is in lets them through.
    let group = server.group("Staff").await;
    let op = Actor::operator();
    guestlist::service::groups::add_member(&server.svc, &op, &server.tenant, &group.id, &eve.id)
        .await
        .unwrap();
    let assignment = guestlist::service::apps::manage::AssignmentInput {
        principal_type: "group".into(),
        principal_id: group.id.clone(),
        app_role: String::new(),
    };
    guestlist::service::apps::manage::assign(&server.svc, &op, &server.tenant, &app.id, assignment)
        .await
        .unwrap();
    assert!(
        browser
            .callback(&url, "eve@contoso.example")
            .await
            .contains("code=")
    );
}

/// Posts the sign-up form at `url` for new@fabrikam.example, named New, with [`PASSWORD`] confirmed
/// as `confirm_password`.
async fn sign_up(
    browser: &Browser,
    url: &str,
    csrf: &str,
    confirm_password: &str,
) -> reqwest::Response {
    let form = [
        ("csrf", csrf),
        ("email", "new@fabrikam.example"),
        ("display_name", "New"),
        ("password", PASSWORD),
        ("confirm_password", confirm_password),
    ];
    browser.post_form(url, &form).await
}

#[actix_web::test]
async fn sign_up_is_off_by_default_and_works_when_enabled() {
    let server = TestServer::start().await;
    let resp = server
        .browser()
        .get(&format!("{}/signup", server.issuer()))
        .await;
    assert_eq!(resp.status(), 404);

    let open = create_tenant_with(
        &server.svc,
        "fabrikam",
        "Fabrikam",
        "fabrikam.example",
        true,
    )
    .await;
    let browser = server.browser();
    let url = format!("{}/signup", open.issuer);
    let page = browser.page(&url).await;
    for label in [
        "Email",
        "Display name",
        "Password",
        "Confirm password",
        ">Create account</button>",
    ] {
        assert!(page.contains(label), "missing {label}");
    }
    let csrf = hidden(&page, "csrf").unwrap();
    let resp = sign_up(&browser, &url, &csrf, "different").await;
    assert_eq!(resp.status(), 400);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("id=\"confirm_password-error\" role=\"alert\""),
        "the error sits next to its field"
    );
    let resp = sign_up(&browser, &url, &csrf, PASSWORD).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("We sent a link to new@fabrikam.example"),
        "the account waits for its address: {body}"
    );
    assert!(
        server
            .find_user_by_mail(&open, "new@fabrikam.example")
            .await
            .is_some_and(|u| !u.email_verified),
        "made, unverified"
    );
    // The same email cannot sign up twice.
    let again = server.browser();
    let page = again.page(&url).await;
    let resp = again
        .post_form(
            &url,
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("email", "NEW@fabrikam.example"),
                ("display_name", "Again"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
}

#[actix_web::test]
async fn first_admin_setup_link_works_once() {
    let server = TestServer::start().await;
    let link = bootstrap::first_admin_link(&server.svc, &server.tenant)
        .await
        .unwrap()
        .expect("no admin yet");
    let older = bootstrap::first_admin_link(&server.svc, &server.tenant)
        .await
        .unwrap()
        .unwrap();
    let browser = server.browser();
    assert_eq!(
        browser.get(&link).await.status(),
        404,
        "a newer link voids the older one"
    );
    let page = browser.page(&older).await;
    let csrf = hidden(&page, "csrf").unwrap();
    let resp = browser
        .post_form(
            &older,
            &[
                ("csrf", &csrf),
                ("email", "root@contoso.example"),
                ("display_name", "Root"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Administrator created"));
    assert_eq!(
        browser.get(&older).await.status(),
        404,
        "the link works once"
    );
    assert!(
        bootstrap::first_admin_link(&server.svc, &server.tenant)
            .await
            .unwrap()
            .is_none(),
        "an admin exists now"
    );
}

/// What ends a user: disabled by an admin, or deleted.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Disabled,
    Deleted,
}

#[actix_web::test]
async fn disabled_users_lose_sign_in_and_tokens() {
    loses_sign_in_and_tokens(Ending::Disabled).await;
}

#[actix_web::test]
async fn deleted_users_lose_sign_in_and_tokens() {
    loses_sign_in_and_tokens(Ending::Deleted).await;
}

async fn loses_sign_in_and_tokens(ending: Ending) {
    let server = TestServer::start().await;
    let user = server.member("gone@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let browser = server.browser();
    let url = authorize_url_for(&server.issuer(), &app.client_id, "openid offline_access");
    let cb = browser.callback(&url, "gone@contoso.example").await;
    let tokens = app_tokens_for_callback(&server, &app, &cb).await;
    let (op, t) = (Actor::operator(), &server.tenant);
    match ending {
        Ending::Disabled => server.disable_user(&user.id).await,
        Ending::Deleted => guestlist::service::users::delete(&server.svc, &op, t, &user.id, None)
            .await
            .unwrap(),
    }
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let resp = token_request(&server, &app, &refresh_form(refresh_token)).await;
    assert_eq!(resp.status(), 400, "{ending:?}: refresh stops at once");
    let refused: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant", "{refused}");
    let ui = userinfo(&server, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(ui.status(), 401, "{ending:?}: the access token stops");
    let fresh = server.browser();
    match fresh.run_flow(&url, "gone@contoso.example", "accept").await {
        Step::Page(status, _) => assert_eq!(status, 401, "{ending:?}: sign-in stops at once"),
        Step::Callback(u) => panic!("a {ending:?} user signed in: {u}"),
    }
    // The existing browser session is no longer honoured either.
    let resp = browser.get(&url).await;
    assert!(location(&resp).contains("/signin"));
}

#[actix_web::test]
async fn a_logo_from_elsewhere_is_allowed_from_its_origin_only_on_its_tenants_pages() {
    let server = TestServer::start().await;
    server
        .set_settings(&server.tenant, |s| {
            s.logo_url = Some("https://cdn.contoso.example/brand/logo.png".into())
        })
        .await;
    server.svc.tenants.forget(&server.tenant.slug);
    let browser = server.browser();
    let page = browser.get(&format!("{}/signin", server.issuer())).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.contoso.example;"),
        "{csp}"
    );
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("src=\"https://cdn.contoso.example/brand/logo.png\"")
    );
    // Another tenant's page does not allow contoso's image host.
    let other = server.fabrikam().await;
    let theirs = browser.get(&format!("{}/signin", other.issuer)).await;
    let csp = theirs.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(!csp.contains("cdn.contoso.example"), "{csp}");
}
