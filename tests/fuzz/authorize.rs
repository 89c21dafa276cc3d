//! Authorization requests (`service::authorize::check_request`): any parameter map is either a checked
//! request or a clean refusal, and a refusal goes back to the app only at a registered redirect URI.

use crate::redirect::{near_misses, registrable_uri};
use crate::requests::CHALLENGE;
use crate::support::{config, long_text, nasty_text};
use guestlist::service::authorize::{
    AuthorizeError, RegisteredClient, check_request, error_redirect, requested_client_id,
};
use guestlist::service::tenants::Tenant;
use proptest::prelude::*;
use std::collections::HashMap;

/// The parameters an authorization request may carry, and a few it should not.
const NAMES: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "claims",
    "acr_values",
    "login_hint",
    "ui_locales",
    "response_mode",
    "request",
    "request_uri",
];

/// Values `name` accepts, for `redirect`, the registered URI the request uses.
fn good(name: &str, redirect: &str) -> BoxedStrategy<String> {
    match name {
        "client_id" => select(&["app-1"]),
        "redirect_uri" => Just(redirect.to_string()).boxed(),
        "response_type" => select(&["code"]),
        "scope" => select(&[
            "openid",
            "openid profile email",
            "openid offline_access guestlist.admin",
            "email openid x.y",
        ]),
        "code_challenge" => select(&[CHALLENGE]),
        "code_challenge_method" => select(&["S256"]),
        "prompt" => select(&[
            "none",
            "login",
            "consent",
            "select_account",
            "login consent",
            "",
        ]),
        "max_age" => (0i64..i64::MAX).prop_map(|n| n.to_string()).boxed(),
        "claims" => select(&[
            r#"{"id_token":{"email":null},"userinfo":{"name":{"essential":true}}}"#,
            "{}",
        ]),
        "response_mode" => select(&["query"]),
        "request" | "request_uri" => select(&[""]),
        _ => "[a-zA-Z0-9._~ -]{0,40}".boxed(),
    }
}

/// Values that look right for `name` and are not (or are only in some combinations).
fn bad(name: &str, redirect: &str) -> BoxedStrategy<String> {
    match name {
        "redirect_uri" => prop::sample::select(near_misses(redirect)).boxed(),
        "response_type" => select(&["token", "code id_token", "none", "CODE", " code"]),
        "scope" => select(&[
            "profile",
            "openid \"x\"",
            "openid\tprofile",
            "openid\u{e9}",
            &"a".repeat(129),
        ]),
        "code_challenge" => select(&[
            "short",
            &"A".repeat(42),
            &format!("{CHALLENGE}="),
            &CHALLENGE.replace('-', "+"),
        ]),
        "code_challenge_method" => select(&["plain", "s256", "S512"]),
        "prompt" => select(&["none login", "bogus", "none none", "LOGIN"]),
        "max_age" => prop_oneof![
            (i64::MIN..0).prop_map(|n| n.to_string()),
            select(&["+5", "1e3", "99999999999999999999", " 5", "5.0"]),
        ]
        .boxed(),
        "claims" => select(&[
            "[]",
            "null",
            "{\"id_token\":",
            &format!("{}{}", "[".repeat(200), "]".repeat(200)),
        ]),
        "response_mode" => select(&["fragment", "form_post"]),
        "request" => select(&["eyJhbGciOiJub25lIn0.e30."]),
        "request_uri" => select(&["urn:ietf:params:oauth:request_uri:x"]),
        "state" => Just("s".repeat(2049)).boxed(),
        "nonce" => Just("n".repeat(513)).boxed(),
        _ => long_text().boxed(),
    }
}

fn select(values: &[&str]) -> BoxedStrategy<String> {
    prop::sample::select(values.iter().map(|v| v.to_string()).collect::<Vec<_>>()).boxed()
}

/// A change to a valid request.
#[derive(Debug, Clone)]
enum Change {
    Remove(&'static str),
    /// The parameter given twice, the second time with this value.
    Repeat(&'static str, String),
    Replace(&'static str, String),
    Add(String, String),
}

fn change(redirect: String) -> impl Strategy<Value = Change> {
    prop::sample::select(NAMES.to_vec()).prop_flat_map(move |name| {
        prop_oneof![
            1 => Just(Change::Remove(name)),
            1 => good(name, &redirect).prop_map(move |v| Change::Repeat(name, v)),
            3 => bad(name, &redirect).prop_map(move |v| Change::Replace(name, v)),
            2 => prop_oneof![nasty_text(40), long_text(), Just(String::new())]
                .prop_map(move |v| Change::Replace(name, v)),
            1 => ("[a-z_]{1,12}", nasty_text(20)).prop_map(|(k, v)| Change::Add(k, v)),
        ]
    })
}

/// An app's registered redirect URIs, whether it is public, and a request to it: a valid request (each
/// optional parameter present or not) with a few changes that may make it invalid.
fn request() -> impl Strategy<Value = (Vec<String>, bool, HashMap<String, Vec<String>>)> {
    (
        prop::collection::vec(registrable_uri(), 1..4),
        any::<bool>(),
        any::<prop::sample::Index>(),
    )
        .prop_flat_map(|(registered, public, pick)| {
            let redirect = registered[pick.index(registered.len())].clone();
            let valid: Vec<BoxedStrategy<Option<(String, String)>>> = NAMES
                .iter()
                .map(|&name| {
                    let required = ["client_id", "redirect_uri", "response_type", "scope"]
                        .contains(&name)
                        || (public && name.starts_with("code_challenge"));
                    let value =
                        good(name, &redirect).prop_map(move |v| Some((name.to_string(), v)));
                    if required {
                        value.boxed()
                    } else {
                        prop_oneof![Just(None), value].boxed()
                    }
                })
                .collect();
            let changes = prop::collection::vec(change(redirect), 0..4);
            (Just(registered), Just(public), valid, changes)
        })
        .prop_map(|(registered, public, valid, changes)| {
            let mut params: HashMap<String, Vec<String>> = HashMap::new();
            for (name, value) in valid.into_iter().flatten() {
                params.insert(name, vec![value]);
            }
            for c in changes {
                match c {
                    Change::Remove(name) => {
                        params.remove(name);
                    }
                    Change::Repeat(name, v) => params.entry(name.to_string()).or_default().push(v),
                    Change::Replace(name, v) => {
                        params.insert(name.to_string(), vec![v]);
                    }
                    Change::Add(name, v) => params.entry(name).or_default().push(v),
                }
            }
            (registered, public, params)
        })
}

/// A tenant as the error redirects name it (their `iss`).
fn tenant() -> Tenant {
    Tenant {
        id: "tenant-1".into(),
        slug: "contoso".into(),
        display_name: "Contoso".into(),
        primary_domain: "contoso.example".into(),
        issuer: "http://127.0.0.1/t/contoso".into(),
        unmanaged: false,
        self_service_signup: false,
        settings: Default::default(),
        discovery_json: Default::default(),
    }
}

/// The one value of `name`, as the request rules read it (absent, empty or repeated are `None`).
fn one<'a>(params: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    match params.get(name).map(Vec::as_slice) {
        Some([v]) if !v.is_empty() => Some(v),
        _ => None,
    }
}

proptest! {
    #![proptest_config(config())]

    /// No panic; a redirect URI that is not exactly one registered value (missing, repeated, near miss)
    /// is refused with a page, never a redirect; every other refusal goes to that exact URI with the
    /// request's state; an accepted request satisfies every rule it was checked against.
    #[test]
    fn requests_are_checked_or_refused_cleanly((registered, public, params) in request()) {
        let _ = requested_client_id(&params);
        let client = RegisteredClient { client_id: "app-1", redirect_uris: &registered, public };
        let exact = one(&params, "redirect_uri").filter(|r| registered.iter().any(|x| x == r));
        match check_request(&params, client) {
            Err(AuthorizeError::Page(e)) => {
                prop_assert!(!e.to_string().is_empty());
                prop_assert!(exact.is_none(), "a page for a registered redirect URI: {e}");
            }
            Err(AuthorizeError::Redirect { redirect_uri, state, code, description }) => {
                prop_assert_eq!(Some(redirect_uri.as_str()), exact, "redirect to an unregistered URI");
                let first_state = params.get("state").and_then(|v| v.first()).filter(|s| !s.is_empty());
                prop_assert_eq!(state.as_ref(), first_state);
                prop_assert!(!description.is_empty());
                // Where the endpoint then sends the browser.
                let tenant = tenant();
                let to = error_redirect(&tenant, &redirect_uri, state.as_deref(), code, &description)
                    .map_err(|e| TestCaseError::fail(format!("no error redirect: {e}")))?;
                let (to, registered_url) = (url::Url::parse(&to).expect("a URL"), url::Url::parse(&redirect_uri).expect("a URL"));
                let query: HashMap<String, String> = to.query_pairs().into_owned().collect();
                prop_assert_eq!(query.get("error").map(String::as_str), Some(code.as_str()));
                prop_assert_eq!(query.get("state"), state.as_ref());
                prop_assert_eq!(query.get("iss"), Some(&tenant.issuer));
                prop_assert_eq!(
                    (to.scheme(), to.host_str(), to.port(), to.path()),
                    (registered_url.scheme(), registered_url.host_str(), registered_url.port(), registered_url.path())
                );
            }
            Ok(request) => {
                prop_assert_eq!(Some(request.redirect_uri.as_str()), exact);
                prop_assert_eq!(request.client_id.as_str(), "app-1");
                prop_assert_eq!(one(&params, "response_type"), Some("code"));
                prop_assert!(request.scope.split(' ').any(|s| s == "openid"));
                prop_assert!(request.state.as_ref().is_none_or(|s| s.len() <= 2048));
                prop_assert!(request.nonce.as_ref().is_none_or(|n| n.len() <= 512));
                prop_assert!(request.max_age.is_none_or(|m| m >= 0));
                prop_assert!(!public || request.code_challenge.is_some(), "a public client without PKCE");
                if let Some(c) = &request.code_challenge {
                    prop_assert_eq!(c.len(), 43);
                    prop_assert_eq!(one(&params, "code_challenge_method"), Some("S256"));
                }
                let prompts = &request.prompt;
                prop_assert!(prompts.iter().all(|p| ["none", "login", "consent", "select_account"].contains(&p.as_str())));
                prop_assert!(!prompts.iter().any(|p| p == "none") || prompts.len() == 1);
                prop_assert!(one(&params, "request").is_none() && one(&params, "request_uri").is_none());
                prop_assert!(request.login_hint.as_ref().is_none_or(|h| h.chars().count() <= 256));
                // What is stored (with the code, or parked) is text any database takes: no NUL byte.
                let stored = serde_json::to_string(&request).expect("a request serialises");
                prop_assert!(!stored.contains("\\u0000"), "a NUL byte accepted: {}", stored);
            }
        }
    }
}
