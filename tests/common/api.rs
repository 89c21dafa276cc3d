//! Talking to the admin API as its callers do: bearer tokens from the token endpoint, and the answers.

use super::*;
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

    /// Asserts that this answer has `status` and a problem detail that says `says`.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, says: &str) {
        assert_eq!(self.status, status, "{self}");
        let detail = self.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(detail.contains(says), "the detail says {says:?}: {self}");
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

    /// Asserts that each of `event_names` was audited at least once.
    pub async fn assert_audited(&self, event_names: &[&str]) {
        for event in event_names {
            assert!(!self.audit(event).await.is_empty(), "{event} is audited");
        }
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

/// An app of contoso allowed both API scopes, and a caller with its `guestlist.admin` token.
pub async fn admin_api(server: &TestServer) -> Api<'_> {
    let app = server
        .app(|a| a.allowed_scopes = vec![ADMIN_SCOPE.into(), INVITE_SCOPE.into()])
        .await;
    let token = app_token_of(server, &server.issuer(), &app, ADMIN_SCOPE).await;
    Api { server, token }
}

/// Invites `email` through the API and registers through the link, accepting: the guest's object id
/// and the browser, signed in with the guest's new home account.
pub async fn redeemed_guest(api: &Api<'_>, email: &str) -> (String, Browser) {
    let invitation = api.invite(email, false).await;
    let url = invitation["inviteRedeemUrl"].as_str().unwrap();
    let browser = api.server.browser();
    let accepted = register_as_guest(&browser, url, "Guest").await;
    assert_eq!(accepted.status(), 303, "accepting the invitation");
    (
        invitation["invitedUser"]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        browser,
    )
}
