//! The provider's protocol as a relying app speaks it: authorization URLs, the token endpoint (codes,
//! refresh tokens, client credentials), userinfo, and reading what comes back (callback URLs, JWTs).
//! The functions that take an issuer URL serve the in-process server and `guestlist serve` processes
//! alike.

use super::*;
use serde_json::Value;

/// The scopes a first-party tool asks for: a person gets the admin API's only with a role for them.
pub const TOOL_SCOPE: &str = "openid offline_access guestlist.admin guestlist.invite";

/// An HTTP client for the relying app: no cookies, no redirects, as `openidconnect` wants it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// GETs `url` and reads its body as JSON.
pub async fn get_json(url: &str) -> Value {
    let resp = http_client().get(url).send().await.expect("GET");
    resp.json()
        .await
        .unwrap_or_else(|e| panic!("{url} answered no JSON: {e}"))
}

/// The provider metadata of `issuer`, by discovery (its JWKS included).
pub async fn discover(issuer: &str) -> openidconnect::core::CoreProviderMetadata {
    openidconnect::core::CoreProviderMetadata::discover_async(
        openidconnect::IssuerUrl::new(issuer.into()).unwrap(),
        &http_client(),
    )
    .await
    .expect("discovery")
}

// ---------------------------------------------------------------------------------------------------
// Authorization requests and their answers.

/// A code request of `client_id` at `issuer` for [`TOOL_SCOPE`].
pub fn authorize_url(issuer: &str, client_id: &str) -> String {
    authorize_url_for(issuer, client_id, TOOL_SCOPE)
}

/// A code request of `client_id` at `issuer` for `scope`, redirecting to [`REDIRECT`].
pub fn authorize_url_for(issuer: &str, client_id: &str, scope: &str) -> String {
    authorize_url_with(issuer, &code_request(client_id, scope, &[]))
}

/// An authorization request at `issuer` with exactly these parameters.
pub fn authorize_url_with(issuer: &str, params: &[(&str, &str)]) -> String {
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{issuer}/authorize?{q}")
}

/// The parameters of a code request of `client_id` for `scope`, redirecting to [`REDIRECT`], then
/// `extra` ones (state, prompt, PKCE …).
pub fn code_request<'a>(
    client_id: &'a str,
    scope: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
    ];
    params.extend_from_slice(extra);
    params
}

/// The `Location` of a redirect.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location in the {} answer", resp.status()))
        .to_str()
        .unwrap()
        .to_string()
}

/// The query parameters of a callback URL.
pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The code of an app's callback URL.
pub fn code_of(callback: &str) -> String {
    query_of(callback)
        .remove("code")
        .unwrap_or_else(|| panic!("no code in {callback}"))
}

// ---------------------------------------------------------------------------------------------------
// The token endpoint.

/// A token request at `issuer` with `form`, the client authenticated with client_secret_basic when
/// `client` (id and secret) is given, else only by what `form` carries.
pub async fn token_call(
    http: &reqwest::Client,
    issuer: &str,
    client: Option<(&str, &str)>,
    form: &[(&str, &str)],
) -> Answer {
    let mut req = http.post(format!("{issuer}/token")).form(form);
    if let Some((id, secret)) = client {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.expect("POST /token");
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

/// The form that exchanges `code` (issued for [`REDIRECT`]), with `extra` fields (a PKCE verifier, a
/// client id).
pub fn code_form<'a>(code: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    form.extend_from_slice(extra);
    form
}

/// The form that presents `refresh_token`.
pub fn refresh_form(refresh_token: &str) -> [(&str, &str); 2] {
    [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ]
}

/// A token-endpoint request by `app` of contoso with client_secret_basic (no password for a public app).
pub async fn token_request(
    server: &TestServer,
    app: &CreatedApp,
    form: &[(&str, &str)],
) -> reqwest::Response {
    server
        .rp_http()
        .post(format!("{}/token", server.issuer()))
        .basic_auth(&app.client_id, app.client_secret.clone())
        .form(form)
        .send()
        .await
        .unwrap()
}

/// A token request of `client_id` at `issuer`: status and JSON body (null when not JSON).
pub async fn token_endpoint(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let answer = token_call(&server.rp_http(), issuer, Some((client_id, secret)), form).await;
    (answer.status, answer.json())
}

/// A `client_credentials` request of `client_id` at `issuer` for `scope`: the token endpoint's answer.
pub async fn client_credentials(
    http: &reqwest::Client,
    issuer: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> Answer {
    token_call(
        http,
        issuer,
        Some((client_id, secret)),
        &[("grant_type", "client_credentials"), ("scope", scope)],
    )
    .await
}

/// A `client_credentials` access token of `client_id` at `issuer` for `scope`.
pub async fn client_credentials_token(
    http: &reqwest::Client,
    issuer: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> String {
    let answer = client_credentials(http, issuer, client_id, secret, scope).await;
    assert_eq!(answer.status, 200, "client_credentials: {answer}");
    answer.json()["access_token"].as_str().unwrap().to_string()
}

/// [`client_credentials_token`] with the server's relying-party client.
pub async fn app_token(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> String {
    client_credentials_token(&server.rp_http(), issuer, client_id, secret, scope).await
}

/// A `client_credentials` token of `app` (confidential) at `issuer` for `scope`.
pub async fn app_token_of(
    server: &TestServer,
    issuer: &str,
    app: &CreatedApp,
    scope: &str,
) -> String {
    app_token(
        server,
        issuer,
        &app.client_id,
        app.client_secret.as_deref().expect("a confidential app"),
        scope,
    )
    .await
}

/// Redeems the code of an app's callback URL: the token response.
pub async fn tokens_for_callback(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    callback: &str,
) -> Value {
    let code = code_of(callback);
    let answer = token_call(
        &server.rp_http(),
        issuer,
        Some((client_id, secret)),
        &code_form(&code, &[]),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer}");
    answer.json()
}

/// [`tokens_for_callback`] for `app` (confidential) of contoso.
pub async fn app_tokens_for_callback(
    server: &TestServer,
    app: &CreatedApp,
    callback: &str,
) -> Value {
    tokens_for_callback(
        server,
        &server.issuer(),
        &app.client_id,
        app.client_secret.as_deref().expect("a confidential app"),
        callback,
    )
    .await
}

// ---------------------------------------------------------------------------------------------------
// People signing in through apps.

/// Signs `email` in at `issuer` through the app (a fresh browser, consent accepted when asked): the
/// browser (signed in) and the token response.
pub async fn sign_in(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    email: &str,
) -> (Browser, Value) {
    let browser = server.browser();
    let cb = browser
        .callback(&authorize_url(issuer, client_id), email)
        .await;
    let tokens = tokens_for_callback(server, issuer, client_id, secret, &cb).await;
    (browser, tokens)
}

/// [`sign_in`] through `app` (confidential) at `issuer`.
pub async fn sign_in_through(
    server: &TestServer,
    issuer: &str,
    app: &CreatedApp,
    email: &str,
) -> (Browser, Value) {
    let secret = app.client_secret.as_deref().expect("a confidential app");
    sign_in(server, issuer, &app.client_id, secret, email).await
}

/// A member's access token for `app` of contoso.
pub async fn user_token(server: &TestServer, app: &CreatedApp, email: &str) -> String {
    let (_, tokens) = sign_in_through(server, &server.issuer(), app, email).await;
    tokens["access_token"].as_str().unwrap().to_string()
}

/// The guest's access token for a first-party `app` of contoso, from the browser already signed in.
pub async fn guest_token(server: &TestServer, browser: &Browser, app: &CreatedApp) -> String {
    let cb = browser
        .silent_callback(&authorize_url(&server.issuer(), &app.client_id))
        .await;
    let tokens = app_tokens_for_callback(server, app, &cb).await;
    tokens["access_token"].as_str().unwrap().to_string()
}

/// `email` signs in through a first-party app asking for a refresh token: the app and the token
/// response.
pub async fn signed_in_with_refresh(
    server: &TestServer,
    email: &str,
) -> (guestlist::service::apps::manage::CreatedApp, Value) {
    let app = server.app(|a| a.first_party = true).await;
    let browser = server.browser();
    let cb = browser
        .callback(
            &authorize_url_for(&server.issuer(), &app.client_id, "openid offline_access"),
            email,
        )
        .await;
    let tokens = app_tokens_for_callback(server, &app, &cb).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    (app, tokens)
}

/// Whether the token response's refresh token still gets new tokens, and its access token is still
/// accepted by userinfo.
pub async fn tokens_work(
    server: &TestServer,
    app: &guestlist::service::apps::manage::CreatedApp,
    tokens: &Value,
) -> (bool, bool) {
    let refreshed = token_request(
        server,
        app,
        &refresh_form(tokens["refresh_token"].as_str().unwrap()),
    )
    .await;
    let refresh_ok = match refreshed.status().as_u16() {
        200 => true,
        400 => {
            let body: Value = refreshed.json().await.unwrap();
            assert_eq!(body["error"], "invalid_grant", "{body}");
            false
        }
        other => panic!("refresh answered {other}"),
    };
    let info = userinfo(server, tokens["access_token"].as_str().unwrap()).await;
    (refresh_ok, info.status() == 200)
}

// ---------------------------------------------------------------------------------------------------
// Tokens in use.

/// The JSON payload of a JWT (after the library verified it, to read non-standard claims).
pub fn jwt_claims(jwt: &str) -> Value {
    jwt_part(jwt, 1)
}

/// The JSON header of a JWT.
pub fn jwt_header(jwt: &str) -> Value {
    jwt_part(jwt, 0)
}

fn jwt_part(jwt: &str, n: usize) -> Value {
    use base64::Engine;
    let part = jwt.split('.').nth(n).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The key ids of a JWKS document.
pub fn kids_of(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// Introspection of `token` at `issuer` by the client `client_id` (with client_secret_basic): the
/// answer's JSON.
pub async fn introspect(
    http: &reqwest::Client,
    issuer: &str,
    client_id: &str,
    secret: Option<&str>,
    token: &str,
) -> Value {
    http.post(format!("{issuer}/introspect"))
        .basic_auth(client_id, secret)
        .form(&[("token", token)])
        .send()
        .await
        .expect("POST /introspect")
        .json()
        .await
        .expect("an introspection answer")
}

/// Sends `access_token` to the tenant's userinfo endpoint as a bearer token.
pub async fn userinfo(server: &TestServer, access_token: &str) -> reqwest::Response {
    userinfo_at(&server.rp_http(), &server.issuer(), access_token).await
}

/// Sends `access_token` to the userinfo endpoint of `issuer` as a bearer token.
pub async fn userinfo_at(
    http: &reqwest::Client,
    issuer: &str,
    access_token: &str,
) -> reqwest::Response {
    http.get(format!("{issuer}/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

/// Asserts that userinfo refuses `access_token` as RFC 6750 describes: 401 with an `invalid_token` challenge.
pub async fn assert_token_refused_by_userinfo(server: &TestServer, access_token: &str, why: &str) {
    let resp = userinfo(server, access_token).await;
    assert_eq!(resp.status(), 401, "{why}");
    let challenge = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_token\""),
        "{why}: challenge {challenge:?}"
    );
}

/// Asserts that a token request made through the relying-party library failed with `invalid_grant`.
pub fn assert_invalid_grant<T: std::fmt::Debug, HE: std::error::Error + 'static>(
    outcome: Result<
        T,
        openidconnect::RequestTokenError<
            HE,
            openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
        >,
    >,
    why: &str,
) {
    use openidconnect::core::CoreErrorResponseType;
    match outcome {
        Err(openidconnect::RequestTokenError::ServerResponse(answer))
            if *answer.error() == CoreErrorResponseType::InvalidGrant => {}
        other => panic!("{why}: expected invalid_grant, got {other:?}"),
    }
}
