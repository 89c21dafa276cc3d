//! What the provider refuses, and how: error pages where a redirect would be unsafe, OAuth errors at
//! the app's redirect URI otherwise, OAuth error JSON at the token endpoint, and never a 5xx.

mod common;

use common::*;
use guestlist::service::apps::manage::CreatedApp;

/// An authorization request at contoso with exactly these parameters.
fn authorize_url(server: &TestServer, params: &[(&str, &str)]) -> String {
    authorize_url_with(&server.issuer(), params)
}

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// A token request at contoso, the client authenticated with client_secret_basic when `basic` is
/// given: status, JSON body (null when not JSON) and headers.
async fn token_answer(
    server: &TestServer,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let answer = token_call(&server.rp_http(), &server.issuer(), basic, form).await;
    let body = answer.json();
    (answer.status, body, answer.headers)
}

/// The member `email` of contoso with a browser of their own, and a first-party app (no consent).
async fn member_and_first_party_app(server: &TestServer, email: &str) -> (CreatedApp, Browser) {
    server.member(email).await;
    let app = server.app(|a| a.first_party = true).await;
    (app, server.browser())
}

/// A `client_credentials` request that names the client `client_id` and gives no secret.
fn named_only(client_id: &str) -> [(&str, &str); 2] {
    [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
    ]
}

/// Asserts that a token answer (`status` and `body`) is the OAuth error `error` with `expected`
/// as its status; `why` says what the request lacked.
#[track_caller]
fn assert_oauth_error(
    status: u16,
    body: &serde_json::Value,
    expected: u16,
    error: &str,
    why: &str,
) {
    assert_eq!(
        (status, body["error"].as_str()),
        (expected, Some(error)),
        "{why}: {status} {body}"
    );
}

/// Signs in through the browser and returns a fresh code for `app` (first-party, so no consent).
async fn fresh_code(
    server: &TestServer,
    browser: &Browser,
    app: &CreatedApp,
    email: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut params = code_request(&app.client_id, "openid offline_access", &[("state", "st")]);
    params.extend_from_slice(extra);
    let cb = browser
        .callback(&authorize_url(server, &params), email)
        .await;
    code_of(&cb)
}

#[actix_web::test]
async fn bad_client_or_redirect_uri_shows_a_page_and_never_redirects() {
    let server = TestServer::start().await;
    let app = server.app(|_| {}).await;
    let browser = server.browser();
    let cases = [
        vec![
            ("client_id", "unknown"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
        vec![
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", "http://localhost/cb/extra"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
        vec![
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", "http://localhost/cb?x=1"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
        vec![
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
        vec![
            ("client_id", app.client_id.as_str()),
            ("response_type", "code"),
            ("scope", "openid"),
        ],
        vec![("redirect_uri", REDIRECT), ("response_type", "code")],
    ];
    for params in cases {
        let resp = browser.get(&authorize_url(&server, &params)).await;
        assert_eq!(resp.status(), 400, "{params:?}");
        assert!(
            resp.headers().get("location").is_none(),
            "{params:?} must not redirect"
        );
        assert!(
            resp.text().await.unwrap().contains("<h1>"),
            "a readable page"
        );
    }
}

#[actix_web::test]
async fn request_errors_after_the_redirect_check_go_back_with_state_and_iss() {
    let server = TestServer::start().await;
    let app = server.app(|_| {}).await;
    let public = server.app(|a| a.public = true).await;
    let browser = server.browser();
    let id = app.client_id.as_str();
    let base = [
        ("client_id", id),
        ("redirect_uri", REDIRECT),
        ("state", "xyz"),
    ];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("scope", "openid")], "invalid_request"),
        (
            vec![("response_type", "token"), ("scope", "openid")],
            "unsupported_response_type",
        ),
        (
            vec![("response_type", "code"), ("scope", "profile")],
            "invalid_scope",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("request", "x.y.z"),
            ],
            "request_not_supported",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("request_uri", "https://x"),
            ],
            "request_uri_not_supported",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", CHALLENGE),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "none"),
            ],
            "login_required",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("max_age", "-1"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("response_type", "code"),
                ("scope", "openid"),
                ("claims", "{not json"),
            ],
            "invalid_request",
        ),
    ];
    for (extra, expected) in cases {
        let mut params = base.to_vec();
        params.extend(extra.iter().copied());
        let resp = browser.get(&authorize_url(&server, &params)).await;
        assert_eq!(resp.status(), 303, "{extra:?}");
        let q = query_of(&location(&resp));
        assert_eq!(q["error"], expected, "{extra:?}");
        assert_eq!(q["state"], "xyz");
        assert_eq!(q["iss"], server.issuer());
        assert!(!q.contains_key("code"));
        let d = &q["error_description"];
        assert!(
            !d.contains('"') && !d.contains('\\') && !d.contains('\n'),
            "{d}"
        );
        let keys: Vec<&String> = q.keys().collect();
        assert!(
            keys.iter()
                .all(|k| ["error", "error_description", "state", "iss"].contains(&k.as_str())),
            "{keys:?}"
        );
    }
    // A public client without PKCE is refused.
    let resp = browser
        .get(&authorize_url_for(
            &server.issuer(),
            &public.client_id,
            "openid",
        ))
        .await;
    let q = query_of(&location(&resp));
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("PKCE"));
}

#[actix_web::test]
async fn pkce_verifier_must_match() {
    let server = TestServer::start().await;
    let (app, browser) = member_and_first_party_app(&server, "ann@contoso.example").await;
    let secret = app.client_secret.as_deref().unwrap();
    let pkce = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let code = fresh_code(&server, &browser, &app, "ann@contoso.example", &pkce).await;
    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx";
    let (status, body, _) = token_answer(
        &server,
        &code_form(&code, &[("code_verifier", wrong)]),
        Some((&app.client_id, secret)),
    )
    .await;
    assert_oauth_error(status, &body, 400, "invalid_grant", "a wrong verifier");
    let code = fresh_code(&server, &browser, &app, "ann@contoso.example", &pkce).await;
    let (status, body, _) = token_answer(
        &server,
        &code_form(&code, &[]),
        Some((&app.client_id, secret)),
    )
    .await;
    assert_oauth_error(
        status,
        &body,
        400,
        "invalid_grant",
        "a missing verifier fails",
    );
    let code = fresh_code(&server, &browser, &app, "ann@contoso.example", &pkce).await;
    let (status, _, headers) = token_answer(
        &server,
        &code_form(&code, &[("code_verifier", VERIFIER)]),
        Some((&app.client_id, secret)),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
}

#[actix_web::test]
async fn public_client_exchanges_with_pkce_and_no_secret() {
    let server = TestServer::start().await;
    server.member("pub@contoso.example").await;
    let app = server
        .app(|a| {
            a.public = true;
            a.first_party = true;
        })
        .await;
    assert!(app.client_secret.is_none());
    let browser = server.browser();
    let code = fresh_code(
        &server,
        &browser,
        &app,
        "pub@contoso.example",
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let (status, body, _) = token_answer(
        &server,
        &code_form(
            &code,
            &[("code_verifier", VERIFIER), ("client_id", &app.client_id)],
        ),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A public client cannot use client_credentials.
    let (status, body, _) = token_answer(&server, &named_only(&app.client_id), None).await;
    assert_oauth_error(
        status,
        &body,
        400,
        "unauthorized_client",
        "a public client asks for client_credentials",
    );
}

#[actix_web::test]
async fn replayed_code_is_refused_and_revokes_what_it_issued() {
    let server = TestServer::start().await;
    let (app, browser) = member_and_first_party_app(&server, "rex@contoso.example").await;
    let secret = app.client_secret.as_deref().unwrap();
    let code = fresh_code(&server, &browser, &app, "rex@contoso.example", &[]).await;
    let form = code_form(&code, &[]);
    let (status, first, _) = token_answer(&server, &form, Some((&app.client_id, secret))).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().unwrap();
    let ui = userinfo(&server, access).await;
    assert_eq!(ui.status(), 200);
    let (status, body, _) = token_answer(&server, &form, Some((&app.client_id, secret))).await;
    assert_oauth_error(status, &body, 400, "invalid_grant", "the code again");
    let why = "the first access token died with the replay";
    assert_token_refused_by_userinfo(&server, access, why).await;
    let (status, body, _) = token_answer(
        &server,
        &refresh_form(first["refresh_token"].as_str().unwrap()),
        Some((&app.client_id, secret)),
    )
    .await;
    assert_oauth_error(
        status,
        &body,
        400,
        "invalid_grant",
        "and so did its refresh token",
    );
}

#[actix_web::test]
async fn a_code_needs_its_redirect_uri_and_its_client() {
    // The default lifetime (60 s): each refusal here is for the reason it names, never expiry.
    let server = TestServer::start().await;
    server.member("exp@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let other = server.app(|a| a.first_party = true).await;
    let browser = server.browser();
    let secret = app.client_secret.as_deref().unwrap();
    let code = fresh_code(&server, &browser, &app, "exp@contoso.example", &[]).await;
    for (redirect, (client, client_secret), reason) in [
        (
            "http://localhost/other",
            (app.client_id.as_str(), secret),
            "redirect_uri does not match",
        ),
        (
            REDIRECT,
            (
                other.client_id.as_str(),
                other.client_secret.as_deref().unwrap(),
            ),
            "not issued to this client",
        ),
    ] {
        let (status, body, _) = token_answer(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
            ],
            Some((client, client_secret)),
        )
        .await;
        assert_oauth_error(status, &body, 400, "invalid_grant", reason);
        assert!(
            body["error_description"].as_str().unwrap().contains(reason),
            "{reason}: {body}"
        );
    }
    // Neither refusal spent the code: its own client, with its redirect URI, still exchanges it.
    let (status, body, _) = token_answer(
        &server,
        &code_form(&code, &[]),
        Some((&app.client_id, secret)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn an_expired_code_is_refused_as_expired() {
    let server = TestServer::start_with(|c| c.code_ttl = 1).await;
    let (app, browser) = member_and_first_party_app(&server, "exp@contoso.example").await;
    let code = fresh_code(&server, &browser, &app, "exp@contoso.example", &[]).await;
    // Past the code's one-second life, whatever the machine's speed.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body, _) = token_answer(
        &server,
        &code_form(&code, &[]),
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
    )
    .await;
    assert_oauth_error(status, &body, 400, "invalid_grant", "an expired code");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

#[actix_web::test]
async fn client_authentication_failures() {
    let server = TestServer::start().await;
    let app = server.app(|_| {}).await;
    let form = [("grant_type", "client_credentials")];
    let (status, body, headers) =
        token_answer(&server, &form, Some((&app.client_id, "wrong-secret"))).await;
    assert_oauth_error(
        status,
        &body,
        401,
        "invalid_client",
        "a wrong secret (basic)",
    );
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    let (status, body, _) = token_answer(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &app.client_id),
            ("client_secret", "wrong"),
        ],
        None,
    )
    .await;
    assert_oauth_error(
        status,
        &body,
        401,
        "invalid_client",
        "a wrong secret (post)",
    );
    let (status, body, _) = token_answer(&server, &form, None).await;
    assert_oauth_error(
        status,
        &body,
        401,
        "invalid_client",
        "no credentials at all",
    );
    let (status, body, _) = token_answer(&server, &named_only(&app.client_id), None).await;
    assert_oauth_error(
        status,
        &body,
        401,
        "invalid_client",
        "a confidential client needs its secret",
    );
    let (status, body, _) = token_answer(
        &server,
        &[("grant_type", "password")],
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
    )
    .await;
    assert_oauth_error(
        status,
        &body,
        400,
        "unsupported_grant_type",
        "a grant the provider does not offer",
    );
    let (status, body, _) = token_answer(
        &server,
        &[],
        Some((&app.client_id, app.client_secret.as_deref().unwrap())),
    )
    .await;
    assert_oauth_error(status, &body, 400, "invalid_request", "no grant type");
    // client_secret_post works.
    let (status, _, _) = token_answer(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &app.client_id),
            ("client_secret", app.client_secret.as_deref().unwrap()),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn malformed_and_oversized_input_never_gets_a_5xx() {
    let server = TestServer::start().await;
    let app = server.app(|_| {}).await;
    let http = server.rp_http();
    let iss = server.issuer();
    let huge = "a".repeat(200 * 1024);
    let sends = vec![
        http.post(format!("{iss}/token"))
            .header("content-type", "application/json")
            .body("{\"grant_type\":\"client_credentials\"}"),
        http.post(format!("{iss}/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge.clone()),
        http.post(format!("{iss}/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("%%%&&&==\u{0}"),
        http.post(format!("{iss}/token"))
            .header("authorization", "Basic !!!!")
            .form(&[("grant_type", "client_credentials")]),
        http.post(format!("{iss}/token"))
            .header("authorization", "Bearer x")
            .form(&[("grant_type", "client_credentials")]),
        http.get(format!("{iss}/userinfo"))
            .header("authorization", "Bearer not.a.jwt"),
        http.get(format!("{iss}/userinfo")).header(
            "authorization",
            "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        ),
        http.get(format!("{iss}/userinfo")),
        http.post(format!("{iss}/userinfo"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge.clone()),
        http.post(format!("{iss}/introspect"))
            .basic_auth(&app.client_id, app.client_secret.clone())
            .form(&[("token", "\u{1}\u{2}")]),
        http.post(format!("{iss}/revoke"))
            .basic_auth(&app.client_id, app.client_secret.clone())
            .form(&[("token", huge.as_str())]),
        http.post(format!("{iss}/authorize"))
            .header("content-type", "text/plain")
            .body("x"),
        http.get(format!("{iss}/authorize?client_id=%FF%FE&redirect_uri=%00")),
        http.get(format!("{iss}/logout?id_token_hint=%%%")),
        http.post(format!("{iss}/signin")).form(&[("email", "x")]),
        http.post(format!("{iss}/consent"))
            .form(&[("request", "nope")]),
        http.get(format!("{iss}/authorize/resume?request=nope")),
        http.get(format!("{iss}/setup/nope")),
        http.get(server.url("/t/NOPE!/jwks")),
        http.get(server.url("/nothing/here")),
    ];
    for (i, req) in sends.into_iter().enumerate() {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        // Introspection answers {"active": false} for a garbage token; everything else is refused.
        if i == 9 {
            assert_eq!(status, 200, "case {i}");
            let answer: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(answer, serde_json::json!({ "active": false }), "case {i}");
        } else {
            assert!((400..500).contains(&status), "case {i}: got {status}");
        }
    }
    let resp = http
        .post(format!("{iss}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

/// PostgreSQL refuses text holding a NUL byte: a name with one must be refused before any query, not
/// become a server error (the SQLite pass cannot show the difference; the PostgreSQL pass does).
#[actix_web::test]
async fn names_with_a_nul_byte_name_nothing() {
    let server = TestServer::start().await;
    let http = server.rp_http();
    let iss = server.issuer();
    let resp = http
        .get(server.url("/t/contoso%00/jwks"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "a tenant slug");
    let resp = http
        .get(server.url("/t/contoso%00/authorize"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404, "a tenant slug on a page");
    for page in ["authorize/resume", "signin", "consent"] {
        let resp = http
            .get(format!("{iss}/{page}?request=%00"))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "a request handle on {page}: {status}"
        );
    }
    let resp = http
        .get(format!("{iss}/authorize?client_id=app%00&redirect_uri=x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "a client id on a page");
    let answer = token_call(
        &http,
        &iss,
        None,
        &[("grant_type", "client_credentials"), ("client_id", "app\0")],
    )
    .await;
    assert_eq!(answer.status, 401, "a client id: {answer}");
    assert_eq!(answer.json()["error"], "invalid_client");
    // A parameter that would be stored with the code (the nonce) goes back to the app as an error.
    let (app, browser) = member_and_first_party_app(&server, "nul@contoso.example").await;
    browser
        .sign_in_directly("contoso", "nul@contoso.example")
        .await;
    let request = code_request(&app.client_id, "openid", &[("nonce", "n\0")]);
    let callback = location(&browser.get(&authorize_url(&server, &request)).await);
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(
        query_of(&callback)["error"],
        "invalid_request",
        "{callback}"
    );
}

#[actix_web::test]
async fn a_body_past_the_limit_is_refused_in_the_endpoint_s_own_format() {
    let server = TestServer::start().await;
    let http = server.rp_http();
    let iss = server.issuer();
    let huge = format!("a={}", "b".repeat(guestlist::http::MAX_BODY));
    let post = |endpoint: &str| {
        http.post(format!("{iss}/{endpoint}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge.clone())
            .send()
    };
    for endpoint in ["token", "revoke", "introspect", "userinfo"] {
        let resp = post(endpoint).await.unwrap();
        assert_eq!(resp.status(), 413, "{endpoint}");
        let body: serde_json::Value = resp.json().await.expect("OAuth error JSON");
        assert_eq!(body["error"], "invalid_request", "{endpoint}: {body}");
    }
    for endpoint in ["authorize", "logout"] {
        let resp = post(endpoint).await.unwrap();
        assert_eq!(resp.status(), 413, "{endpoint}");
        let html = resp.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            html.starts_with("text/html"),
            "{endpoint}: a page, not {html}"
        );
    }
}

#[actix_web::test]
async fn prompt_none_and_consent_rules() {
    let server = TestServer::start().await;
    server.member("pat@contoso.example").await;
    let app = server.app(|_| {}).await;
    let browser = server.browser();
    let id = app.client_id.as_str();
    let base = code_request(id, "openid email", &[("state", "s")]);
    // Cancel at the consent page: access_denied goes back to the app.
    match browser
        .run_flow(
            &authorize_url(&server, &base),
            "pat@contoso.example",
            "cancel",
        )
        .await
    {
        Step::Callback(u) => assert_eq!(query_of(&u)["error"], "access_denied"),
        Step::Page(s, b) => panic!("{s} {b}"),
    }
    // Signed in but no consent on record: prompt=none says consent_required.
    let mut silent = base.clone();
    silent.push(("prompt", "none"));
    let resp = browser.get(&authorize_url(&server, &silent)).await;
    assert_eq!(query_of(&location(&resp))["error"], "consent_required");
    // After consenting once, prompt=none returns a code at once.
    browser
        .callback(&authorize_url(&server, &base), "pat@contoso.example")
        .await;
    let resp = browser.get(&authorize_url(&server, &silent)).await;
    assert!(query_of(&location(&resp)).contains_key("code"));
    // prompt=consent asks again.
    let mut again = base.clone();
    again.push(("prompt", "consent"));
    let resp = browser.get(&authorize_url(&server, &again)).await;
    assert!(location(&resp).contains("/consent?request="));
    // A wider scope than consented asks again too.
    let mut wider = silent.clone();
    wider[3] = ("scope", "openid email phone");
    let resp = browser.get(&authorize_url(&server, &wider)).await;
    assert_eq!(query_of(&location(&resp))["error"], "consent_required");
}

#[actix_web::test]
async fn prompt_login_and_max_age_force_a_new_sign_in() {
    let server = TestServer::start().await;
    let (app, browser) = member_and_first_party_app(&server, "max@contoso.example").await;
    let secret = app.client_secret.as_deref().unwrap();
    let id = app.client_id.as_str();
    let auth_time = |code: String| {
        let server = &server;
        async move {
            let (_, body, _) =
                token_answer(server, &code_form(&code, &[]), Some((id, secret))).await;
            jwt_claims(body["id_token"].as_str().unwrap())["auth_time"]
                .as_i64()
                .unwrap()
        }
    };
    let first =
        auth_time(fresh_code(&server, &browser, &app, "max@contoso.example", &[]).await).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // A large max_age needs no new sign-in and keeps auth_time.
    let url = authorize_url(
        &server,
        &code_request(id, "openid", &[("max_age", "10000")]),
    );
    let resp = browser.get(&url).await;
    let loc = location(&resp);
    assert!(loc.starts_with(REDIRECT), "{loc}");
    assert_eq!(auth_time(query_of(&loc)["code"].clone()).await, first);
    // prompt=login shows the form although a session exists, and auth_time moves on.
    let url = authorize_url(&server, &code_request(id, "openid", &[("prompt", "login")]));
    let resp = browser.get(&url).await;
    assert!(location(&resp).contains("/signin?request="));
    let cb = browser.callback(&url, "max@contoso.example").await;
    let second = auth_time(query_of(&cb)["code"].clone()).await;
    assert!(second > first, "{second} > {first}");
    // max_age=0 also demands a fresh sign-in.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let url = authorize_url(&server, &code_request(id, "openid", &[("max_age", "0")]));
    let resp = browser.get(&url).await;
    assert!(location(&resp).contains("/signin?request="));
}

#[actix_web::test]
async fn authorize_by_post_means_the_same_as_get() {
    let server = TestServer::start().await;
    let (app, browser) = member_and_first_party_app(&server, "post@contoso.example").await;
    browser
        .callback(
            &authorize_url_for(&server.issuer(), &app.client_id, "openid"),
            "post@contoso.example",
        )
        .await;
    let resp = browser
        .post_form(
            &format!("{}/authorize", server.issuer()),
            &code_request(
                &app.client_id,
                "openid",
                &[("state", "p"), ("extra", "foobar")],
            ),
        )
        .await;
    let q = query_of(&location(&resp));
    assert!(q.contains_key("code"));
    assert_eq!(q["state"], "p");
}

#[actix_web::test]
async fn racing_exchanges_of_one_code_yield_one_token() {
    let server = TestServer::start().await;
    let (app, browser) = member_and_first_party_app(&server, "race@contoso.example").await;
    let secret = app.client_secret.as_deref().unwrap();
    for _ in 0..3 {
        let code = fresh_code(&server, &browser, &app, "race@contoso.example", &[]).await;
        let form = code_form(&code, &[]);
        let attempts = (0..4).map(|_| token_answer(&server, &form, Some((&app.client_id, secret))));
        let results = futures_util::future::join_all(attempts).await;
        let ok = results.iter().filter(|(s, _, _)| *s == 200).count();
        assert_eq!(
            ok,
            1,
            "exactly one exchange wins: {:?}",
            results.iter().map(|r| r.0).collect::<Vec<_>>()
        );
        assert!(
            results
                .iter()
                .all(|(s, b, _)| *s == 200 || b["error"] == "invalid_grant")
        );
    }
}
