//! Fuzzing over HTTP: a server with apps, a signed-in person and live tokens (the fixture that fills in
//! the placeholders of generated requests), sending, and the checks every protocol answer must pass.

use crate::common::*;
use crate::requests::{Auth, Body, Request, encode};
use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// What a generated request may refer to, by placeholder.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub base: String,
    values: Vec<(&'static str, String)>,
}

/// The member the fixture signs in.
const MEMBER: &str = "fuzz.member@contoso.example";

impl Fixture {
    /// contoso with a confidential and a public app and a member who consented to the confidential
    /// one, signed in: see [`Fixture::signed_in`].
    pub async fn new(server: &TestServer) -> Fixture {
        server.member(MEMBER).await;
        let app = server.app(|_| {}).await;
        let public = server.app(|a| a.public = true).await;
        let secret = app.client_secret.clone().expect("a confidential app");
        let values = vec![
            ("{client}", app.client_id.clone()),
            ("{secret}", secret),
            ("{public}", public.client_id.clone()),
            ("{redirect}", REDIRECT.to_string()),
            ("{logout_redirect}", LOGOUT_REDIRECT.to_string()),
            ("{issuer}", server.issuer()),
            ("{api}", format!("{}/api/v1", server.base)),
        ];
        let apps = Fixture {
            base: server.base.clone(),
            values,
        };
        apps.signed_in(server).await
    }

    /// The fixture with a fresh sign-in of the member (requests may revoke tokens and end sessions):
    /// ID, access and refresh tokens, an unused authorization code, a browser session with its CSRF
    /// cookie, and a parked authorization request waiting for sign-in.
    pub async fn signed_in(&self, server: &TestServer) -> Fixture {
        let (client, secret) = (self.fill("{client}"), self.fill("{secret}"));
        let (browser, tokens) = sign_in(server, &server.issuer(), &client, &secret, MEMBER).await;
        let token = |name: &str| tokens[name].as_str().unwrap_or_default().to_string();
        let code = code_of(
            &browser
                .silent_callback(&authorize_url(&server.issuer(), &client))
                .await,
        );
        let anonymous = server.browser();
        let parked = location(
            &anonymous
                .get(&authorize_url(&server.issuer(), &client))
                .await,
        );
        let pending = query_of(&anonymous.absolute(&parked))
            .remove("request")
            .expect("a parked request");
        let csrf =
            hidden(&anonymous.page("/t/contoso/signin").await, "csrf").expect("a CSRF token");
        let session = set_cookies(&anonymous.sign_in_directly("contoso", MEMBER).await)
            .into_iter()
            .filter_map(|c| c.split(';').next().map(str::to_string))
            .find(|c| c.starts_with("gl_session=") && c.len() > "gl_session=".len())
            .expect("a session cookie");
        let mut fixture = self.clone();
        fixture.values.retain(|(k, _)| {
            !matches!(
                *k,
                "{access_token}"
                    | "{id_token}"
                    | "{refresh_token}"
                    | "{code}"
                    | "{pending}"
                    | "{csrf}"
                    | "{cookies}"
            )
        });
        fixture.values.extend([
            ("{access_token}", token("access_token")),
            ("{id_token}", token("id_token")),
            ("{refresh_token}", token("refresh_token")),
            ("{code}", code),
            ("{pending}", pending),
            ("{csrf}", csrf.clone()),
            ("{cookies}", format!("{session}; gl_csrf={csrf}")),
        ]);
        fixture
    }

    /// `text` with every placeholder replaced by what it stands for.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (placeholder, value) in &self.values {
            if out.contains(placeholder) {
                out = out.replace(placeholder, value);
            }
        }
        out
    }

    /// The redirect URIs the fixture's apps registered (for redirects and for logout).
    pub fn registered_redirects(&self) -> [&'static str; 2] {
        [REDIRECT, LOGOUT_REDIRECT]
    }
}

fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The longest query string sent (percent-encoded, so ASCII). Proxies pass 8 KiB; the client cannot
/// send a URI past 64 KiB and the HTTP server refuses a request head past 32 KiB before any handler
/// sees it.
const MAX_QUERY: usize = 8 * 1024;

fn fill_all(fixture: &Fixture, params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (fixture.fill(k), fixture.fill(v)))
        .collect()
}

/// Sends `request` to `path` (a route with its slug) with `method`, placeholders filled in. Header
/// values that HTTP cannot carry (line breaks, controls) are left out: no server would see them.
pub fn send(
    runtime: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    fixture: &Fixture,
    method: &str,
    path: &str,
    request: &Request,
) -> Answer {
    let mut query = encode(&fill_all(fixture, &request.query));
    query.truncate(MAX_QUERY);
    let url = if query.is_empty() {
        format!("{}{path}", fixture.base)
    } else {
        format!("{}{path}?{query}", fixture.base)
    };
    let mut headers = HeaderMap::new();
    let mut put = |name: &str, value: String| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(n, v);
        }
    };
    match &request.auth {
        Auth::None => {}
        Auth::Basic(id, secret) => {
            let pair = format!(
                "{}:{}",
                form_encode(&fixture.fill(id)),
                form_encode(&fixture.fill(secret))
            );
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            put("authorization", format!("Basic {encoded}"));
        }
        Auth::Header(h) => put("authorization", fixture.fill(h)),
    }
    if let Some(c) = &request.cookie {
        put("cookie", fixture.fill(c));
    }
    if let Some(l) = &request.accept_language {
        put("accept-language", l.clone());
    }
    let body = match &request.body {
        Body::None => Vec::new(),
        Body::Form(params) => {
            put(
                "content-type",
                "application/x-www-form-urlencoded".to_string(),
            );
            encode(&fill_all(fixture, params)).into_bytes()
        }
        Body::Raw(content_type, bytes) => {
            if let Some(ct) = content_type {
                put("content-type", ct.clone());
            }
            bytes.clone()
        }
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    runtime.block_on(async {
        let resp = http
            .request(method, &url)
            .headers(headers)
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}…: {e:?}", url.chars().take(120).collect::<String>()));
        Answer {
            status: resp.status().as_u16(),
            headers: resp.headers().clone(),
            text: resp.text().await.unwrap_or_default(),
        }
    })
}

/// The error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 8707 and OIDC
/// Core §3.1.2.6 that a protocol endpoint may answer.
pub const OAUTH_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_response_type",
    "invalid_scope",
    "invalid_target",
    "access_denied",
    "login_required",
    "consent_required",
    "interaction_required",
    "request_not_supported",
    "request_uri_not_supported",
    "invalid_token",
    "unsupported_token_type",
    "temporarily_unavailable",
];

/// An answer of an endpoint that speaks JSON: never a 5xx, `no-store` on errors, and every error a
/// JSON object with a known `error` and a string `error_description`; 401 only for a client or token
/// that did not authenticate. A 429 (a rate limit) is a clean refusal whatever its body.
pub fn check_json_answer(answer: &Answer) -> Result<(), TestCaseError> {
    prop_assert!(answer.status < 500, "a server error: {}", answer);
    if answer.status == 429 {
        return Ok(());
    }
    let json_type = answer
        .header("content-type")
        .is_some_and(|ct| ct.starts_with("application/json"));
    if answer.status >= 400 {
        prop_assert!(json_type, "an error that is not JSON: {}", answer);
        let body = answer.json();
        let error = body["error"].as_str().unwrap_or_default();
        prop_assert!(
            OAUTH_ERRORS.contains(&error),
            "not an OAuth error: {}",
            answer
        );
        prop_assert!(body["error_description"].is_string(), "{}", answer);
        let cache = answer.header("cache-control");
        prop_assert_eq!(cache.as_deref(), Some("no-store"), "{}", answer);
        if answer.status == 401 {
            prop_assert!(
                matches!(error, "invalid_client" | "invalid_token"),
                "401 for {}",
                error
            );
        }
    } else if answer.status == 200 && !answer.text.is_empty() {
        prop_assert!(json_type, "a success that is not JSON: {}", answer);
        prop_assert!(answer.json().is_object(), "{}", answer);
    }
    Ok(())
}

/// An answer of a page people's browsers see: never a 5xx; an error is a readable HTML page; a
/// redirect goes to this server's own pages or to an address an app registered, nowhere else.
pub fn check_page_answer(answer: &Answer, fixture: &Fixture) -> Result<(), TestCaseError> {
    prop_assert!(answer.status < 500, "a server error: {}", answer);
    if matches!(answer.status, 301..=303 | 307 | 308) {
        let location = answer.header("location").unwrap_or_default();
        let own_page = location.starts_with('/') && !location.starts_with("//");
        let to_app = url::Url::parse(&location).ok().is_some_and(|u| {
            let without_query = format!("{}{}", u.origin().ascii_serialization(), u.path());
            fixture
                .registered_redirects()
                .iter()
                .any(|r| without_query == *r)
        });
        prop_assert!(own_page || to_app, "a redirect to {:?}", location);
    } else if answer.status != 429 {
        let html = answer
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("text/html"));
        prop_assert!(html, "not a page: {}", answer);
        let body = answer.text.to_ascii_lowercase();
        prop_assert!(
            body.contains("<h1") && body.contains("</html>"),
            "not a readable page: {}",
            answer
        );
    }
    Ok(())
}
