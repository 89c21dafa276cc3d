//! Redirect URIs (`domain::redirect`): what may be registered, the exact match of a request's value, and
//! where an invitation may send its guest.

use crate::support::{config, nasty_text};
use guestlist::domain::redirect::{
    RedirectRefusal, check_invite_redirect, matches_registered, parse_registered,
};
use proptest::prelude::*;

/// URIs an admin might register: https apps, loopback http, private schemes, with paths and queries.
pub fn registrable_uri() -> impl Strategy<Value = String> {
    let host = prop::sample::select(vec![
        "app.example",
        "APP.example",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "dev.localhost",
        "xn--bcher-kva.example",
        "bücher.example",
    ]);
    let scheme = prop::sample::select(vec!["https", "http", "com.example.app"]);
    let port = prop::option::of(1u16..65535);
    let path = "(/[a-zA-Z0-9._~%-]{0,8}){0,3}";
    let query = prop::option::of("[a-z]{1,5}=[a-zA-Z0-9%+]{0,6}");
    (scheme, host, port, path, query).prop_map(|(scheme, host, port, path, query)| {
        let authority = match (scheme, port) {
            ("com.example.app", _) => String::new(),
            (_, Some(p)) => format!("//{host}:{p}"),
            (_, None) => format!("//{host}"),
        };
        let path = if scheme == "com.example.app" && path.is_empty() {
            "/cb".to_string()
        } else {
            path
        };
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        format!("{scheme}:{authority}{path}{query}")
    })
}

/// Values a request might carry instead of a registered one: each differs from `uri` in a way that
/// must not match (a slash, a query, letter case, a fragment, an encoding, a prefix, spaces).
pub fn near_misses(uri: &str) -> Vec<String> {
    let mut v = vec![
        format!("{uri}/"),
        format!("{uri}?x=1"),
        format!("{uri}&x=1"),
        format!("{uri}#x"),
        format!("{uri}%20"),
        format!("{uri}/../evil"),
        format!(" {uri}"),
        format!("{uri} "),
        format!("{uri}.evil.example"),
        format!("{uri}@evil.example"),
        uri.to_ascii_uppercase(),
        uri.replacen("https:", "http:", 1),
        uri.replacen("://", "://evil.example/", 1),
        uri.replace('/', "%2F"),
    ];
    if uri.len() > 1 {
        v.push(uri[..uri.len() - 1].to_string());
    }
    v.retain(|m| m != uri);
    v
}

proptest! {
    #![proptest_config(config())]

    /// Matching is string equality with one registered value: whatever is asked for, a match is that
    /// exact value, and nothing else matches.
    #[test]
    fn a_redirect_uri_matches_only_a_registered_value_exactly(
        registered in prop::collection::vec(registrable_uri(), 0..4),
        pick in any::<prop::sample::Index>(),
        mutation in any::<prop::sample::Index>(),
        random in nasty_text(80),
        choice in 0u8..3,
    ) {
        let requested = match (choice, registered.is_empty()) {
            (0, false) => registered[pick.index(registered.len())].clone(),
            (1, false) => {
                let misses = near_misses(&registered[pick.index(registered.len())]);
                misses[mutation.index(misses.len())].clone()
            }
            _ => random,
        };
        let found = matches_registered(&requested, &registered);
        prop_assert_eq!(found.is_some(), registered.contains(&requested));
        if let Some(m) = found {
            prop_assert_eq!(m, requested.as_str());
        }
    }

    /// Registration never panics, and what it accepts is a usable, trimmed, fragment-free absolute URI
    /// of an allowed scheme (http only for loopback), accepted again unchanged.
    #[test]
    fn registration_accepts_only_safe_absolute_uris(
        raw in prop_oneof![registrable_uri(), nasty_text(60), "[a-zA-Z]{1,10}:[ -~]{0,30}"],
    ) {
        if let Ok(uri) = parse_registered(&raw) {
            prop_assert_eq!(uri.as_str(), raw.trim());
            let parsed = url::Url::parse(&uri).expect("an accepted URI parses");
            prop_assert!(parsed.fragment().is_none());
            prop_assert!(!matches!(parsed.scheme(), "javascript" | "data" | "file" | "vbscript"));
            if parsed.scheme() == "http" {
                let host = parsed.host_str().unwrap_or_default();
                prop_assert!(
                    matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.ends_with(".localhost"),
                    "http to {host}"
                );
            }
            prop_assert_eq!(parse_registered(&uri), Ok(uri.clone()));
        }
    }

    /// An invitation redirects to a registered address for anyone; elsewhere only for a caller who may
    /// (an admin), and then only to https (or loopback http); never to a fragment or a non-web scheme.
    #[test]
    fn invitation_redirects_are_registered_or_safe(
        registered in prop::collection::vec(registrable_uri(), 0..4),
        raw in prop_oneof![registrable_uri(), nasty_text(60)],
        may_redirect_anywhere in any::<bool>(),
    ) {
        match check_invite_redirect(&raw, may_redirect_anywhere, &registered) {
            Ok(value) => {
                prop_assert_eq!(value.as_str(), raw.trim());
                let parsed = url::Url::parse(&value).expect("an accepted URL parses");
                prop_assert!(matches!(parsed.scheme(), "http" | "https"));
                prop_assert!(parsed.host_str().is_some() && parsed.fragment().is_none());
                if !may_redirect_anywhere {
                    prop_assert!(registered.contains(&value), "{value} is not registered");
                }
                if !registered.contains(&value) && parsed.scheme() == "http" {
                    let host = parsed.host_str().unwrap_or_default();
                    prop_assert!(
                        matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.ends_with(".localhost"),
                        "http to {host}"
                    );
                }
            }
            Err(RedirectRefusal::NotRegistered(_)) => {
                prop_assert!(!may_redirect_anywhere);
                prop_assert!(!registered.iter().any(|r| r == raw.trim()));
            }
            Err(RedirectRefusal::Invalid(e)) => prop_assert!(!e.message.is_empty()),
        }
    }
}
