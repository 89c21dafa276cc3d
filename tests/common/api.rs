//! Talking to the admin API as its callers do: bearer tokens from the token endpoint, and the answers.

use super::*;
use guestlist::service::apps::manage::CreatedApp;
use serde_json::{Value, json};

pub const API: &str = "/api/v1/tenants/contoso";
pub const ADMIN_SCOPE: &str = "guestlist.admin";
pub const INVITE_SCOPE: &str = "guestlist.invite";

// ---------------------------------------------------------------------------------------------------
// Talking to the API.

/// One answer of the server.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("an ETag on {self}"))
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

pub enum Body {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

pub async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Body,
    headers: &[(&str, &str)],
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = server.rp_http().request(method, server.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req = match body {
        Body::None => req,
        Body::Json(v) => req.json(&v),
        Body::Raw(ct, bytes) => req.header("content-type", ct).body(bytes),
    };
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        text: resp.text().await.unwrap(),
    }
}

/// A caller of the API holding one bearer token.
pub struct Api<'a> {
    pub server: &'a TestServer,
    pub token: String,
}

impl Api<'_> {
    pub async fn get(&self, path: &str) -> Answer {
        send(self.server, "GET", path, Some(&self.token), Body::None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        send(
            self.server,
            "POST",
            path,
            Some(&self.token),
            Body::Json(body),
            &[],
        )
        .await
    }

    pub async fn post_raw(&self, path: &str, content_type: &'static str, body: &[u8]) -> Answer {
        send(
            self.server,
            "POST",
            path,
            Some(&self.token),
            Body::Raw(content_type, body.to_vec()),
            &[],
        )
        .await
    }

    pub async fn put_raw(&self, path: &str, content_type: &'static str, body: &[u8]) -> Answer {
        send(
            self.server,
            "PUT",
            path,
            Some(&self.token),
            Body::Raw(content_type, body.to_vec()),
            &[],
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value, if_match: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = if_match.map(|t| ("if-match", t)).into_iter().collect();
        send(
            self.server,
            "PATCH",
            path,
            Some(&self.token),
            Body::Json(body),
            &headers,
        )
        .await
    }

    pub async fn delete(&self, path: &str, if_match: Option<&str>) -> Answer {
        let headers: Vec<(&str, &str)> = if_match.map(|t| ("if-match", t)).into_iter().collect();
        send(
            self.server,
            "DELETE",
            path,
            Some(&self.token),
            Body::None,
            &headers,
        )
        .await
    }

    /// `POST /users`: a member, with a password so they can sign in.
    pub async fn new_member(&self, email: &str, roles: &[&str]) -> String {
        let a = self
            .post(
                &format!("{API}/users"),
                json!({ "mail": email, "displayName": email.split('@').next().unwrap(),
                        "password": PASSWORD, "roles": roles }),
            )
            .await;
        assert_eq!(a.status, 201, "{a}");
        a.json()["user"]["id"].as_str().unwrap().to_string()
    }

    /// `POST /invitations` of a guest: the answer's body.
    pub async fn invite(&self, email: &str, send_message: bool) -> Value {
        let a = self
            .post(
                &format!("{API}/invitations"),
                json!({ "invitedUserEmailAddress": email, "inviteRedirectUrl": "https://moodle.example/",
                        "sendInvitationMessage": send_message }),
            )
            .await;
        assert_eq!(a.status, 201, "{a}");
        a.json()
    }

    /// The audit events of the tenant with this name (newest first).
    pub async fn audit(&self, event_name: &str) -> Vec<Value> {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("eventName", event_name)
            .finish();
        let a = self.get(&format!("{API}/audit?{q}")).await;
        assert_eq!(a.status, 200, "{a}");
        a.json()["value"].as_array().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------------------------------
// Tokens.

pub async fn token_endpoint(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let resp = server
        .rp_http()
        .post(format!("{issuer}/token"))
        .basic_auth(client_id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A `client_credentials` access token.
pub async fn app_token(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> String {
    let (status, body) = token_endpoint(
        server,
        issuer,
        client_id,
        secret,
        &[("grant_type", "client_credentials"), ("scope", scope)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// An app of contoso allowed both API scopes, and a caller with its `guestlist.admin` token.
pub async fn admin_api(server: &TestServer) -> Api<'_> {
    let app = server
        .app(|a| a.allowed_scopes = vec![ADMIN_SCOPE.into(), INVITE_SCOPE.into()])
        .await;
    let token = app_token(
        server,
        &server.issuer(),
        &app.client_id,
        app.client_secret.as_deref().unwrap(),
        ADMIN_SCOPE,
    )
    .await;
    Api { server, token }
}

/// The scopes a first-party tool asks for: a person gets the admin API's only with a role for them.
pub const TOOL_SCOPE: &str = "openid offline_access guestlist.admin guestlist.invite";

pub fn authorize_url(issuer: &str, client_id: &str) -> String {
    authorize_url_for(issuer, client_id, TOOL_SCOPE)
}

pub fn authorize_url_for(issuer: &str, client_id: &str, scope: &str) -> String {
    let scope: String = url::form_urlencoded::byte_serialize(scope.as_bytes()).collect();
    format!(
        "{issuer}/authorize?client_id={client_id}&redirect_uri={REDIRECT}&response_type=code&scope={scope}"
    )
}

/// Redeems the code of an app's callback URL: the token response.
pub async fn tokens_for_callback(
    server: &TestServer,
    issuer: &str,
    client_id: &str,
    secret: &str,
    callback: &str,
) -> Value {
    let (status, body) = token_endpoint(
        server,
        issuer,
        client_id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", query_of(callback)["code"].as_str()),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

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

/// A member's access token for `app` of contoso.
pub async fn user_token(server: &TestServer, app: &CreatedApp, email: &str) -> String {
    let (_, tokens) = sign_in(
        server,
        &server.issuer(),
        &app.client_id,
        app.client_secret.as_deref().unwrap(),
        email,
    )
    .await;
    tokens["access_token"].as_str().unwrap().to_string()
}

/// Invites `email` through the API and registers through the link, accepting: the guest's object id
/// and the browser, signed in with the guest's new home account.
pub async fn redeemed_guest(api: &Api<'_>, email: &str) -> (String, Browser) {
    let invitation = api.invite(email, false).await;
    let url = invitation["inviteRedeemUrl"].as_str().unwrap().to_string();
    let browser = api.server.browser();
    let page = browser.get(&url).await.text().await.unwrap();
    let csrf = hidden(&page, "csrf").expect("the redemption form");
    let resp = browser
        .post_form(
            &format!("{url}/register"),
            &[
                ("csrf", csrf.as_str()),
                ("display_name", "Guest"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "registering while redeeming");
    let consent = browser
        .get(resp.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let resp = browser
        .post_form(
            &format!("{url}/consent"),
            &[
                ("csrf", &hidden(&consent, "csrf").expect("the consent form")),
                ("decision", "accept"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "accepting the invitation");
    (
        invitation["invitedUser"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        browser,
    )
}

/// The guest's access token for a first-party `app` of contoso, from the browser already signed in.
pub async fn guest_token(server: &TestServer, browser: &Browser, app: &CreatedApp) -> String {
    let resp = browser
        .get(&authorize_url(&server.issuer(), &app.client_id))
        .await;
    let cb = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(cb.starts_with(REDIRECT), "the guest is signed in: {cb}");
    let tokens = tokens_for_callback(
        server,
        &server.issuer(),
        &app.client_id,
        app.client_secret.as_deref().unwrap(),
        &cb,
    )
    .await;
    tokens["access_token"].as_str().unwrap().to_string()
}
