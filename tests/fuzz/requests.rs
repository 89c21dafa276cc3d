//! Generated protocol requests: for each route, requests that pass its checks (as far as the fixture's
//! apps, tokens and session allow), then changed in a few places: a parameter dropped, repeated or
//! replaced by noise, another client authentication, other cookies, a body that is not a form. Values
//! name the fixture's secrets by placeholder (`{secret}`), so a failing case reads the same every run.

use crate::support::{long_text, nasty_text};
use proptest::prelude::*;

/// Every parameter name a protocol endpoint reads.
pub const NAMES: &[&str] = &[
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "response_mode",
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
    "request",
    "request_uri",
    "grant_type",
    "code",
    "code_verifier",
    "refresh_token",
    "resource",
    "token",
    "token_type_hint",
    "access_token",
    "id_token_hint",
    "post_logout_redirect_uri",
    "confirm",
    "csrf",
];

/// RFC 7636 Appendix B.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Client authentication as sent: none, HTTP Basic with (form-encoded) id and secret, or any header.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Basic(String, String),
    Header(String),
}

/// A request body: none, a form, or any bytes with any content type.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Form(Vec<(String, String)>),
    Raw(Option<String>, Vec<u8>),
}

/// One request to a route (its method and path are the route's).
#[derive(Debug, Clone)]
pub struct Request {
    pub query: Vec<(String, String)>,
    pub auth: Auth,
    pub body: Body,
    pub cookie: Option<String>,
    pub accept_language: Option<String>,
}

/// A request that passes the checks of one route: its parameters, authentication and cookie.
struct Template {
    params: &'static [(&'static str, &'static str)],
    auth: fn() -> Auth,
    cookie: bool,
}

fn no_auth() -> Auth {
    Auth::None
}

fn basic() -> Auth {
    Auth::Basic("{client}".into(), "{secret}".into())
}

fn bearer() -> Auth {
    Auth::Header("Bearer {access_token}".into())
}

const fn t(
    params: &'static [(&'static str, &'static str)],
    auth: fn() -> Auth,
    cookie: bool,
) -> Template {
    Template {
        params,
        auth,
        cookie,
    }
}

const CODE_REQUEST: &[(&str, &str)] = &[
    ("client_id", "{client}"),
    ("redirect_uri", "{redirect}"),
    ("response_type", "code"),
    ("scope", "openid offline_access"),
    ("state", "s-1"),
    ("nonce", "n-1"),
    ("code_challenge", CHALLENGE),
    ("code_challenge_method", "S256"),
];

/// The valid requests of a route, by the path after `/t/{slug}`; a route not listed here is fuzzed
/// from an empty request.
fn templates(route: &str) -> Vec<Template> {
    let path = route.strip_prefix("/t/{slug}").unwrap_or(route);
    match path {
        "/authorize" => vec![
            t(CODE_REQUEST, no_auth, true),
            t(
                &[
                    ("client_id", "{public}"),
                    ("redirect_uri", "{redirect}"),
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("code_challenge", CHALLENGE),
                    ("code_challenge_method", "S256"),
                    ("prompt", "none"),
                ],
                no_auth,
                true,
            ),
        ],
        "/authorize/resume" => vec![t(&[("request", "{pending}")], no_auth, true)],
        "/token" => vec![
            t(
                &[("grant_type", "client_credentials"), ("scope", "api.read")],
                basic,
                false,
            ),
            t(
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "{refresh_token}"),
                ],
                basic,
                false,
            ),
            t(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", "{code}"),
                    ("redirect_uri", "{redirect}"),
                ],
                basic,
                false,
            ),
            t(
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", "{public}"),
                    ("code", "c0de"),
                    ("redirect_uri", "{redirect}"),
                    ("code_verifier", VERIFIER),
                ],
                no_auth,
                false,
            ),
            t(
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "{client}"),
                    ("client_secret", "{secret}"),
                ],
                no_auth,
                false,
            ),
        ],
        "/userinfo" => vec![
            t(&[], bearer, false),
            t(&[("access_token", "{access_token}")], no_auth, false),
        ],
        "/revoke" => vec![
            t(
                &[
                    ("token", "{refresh_token}"),
                    ("token_type_hint", "refresh_token"),
                ],
                basic,
                false,
            ),
            t(&[("token", "{access_token}")], basic, false),
        ],
        "/introspect" => vec![
            t(&[("token", "{access_token}")], basic, false),
            t(&[("token", "{refresh_token}")], basic, false),
        ],
        "/logout" => vec![
            t(
                &[
                    ("id_token_hint", "{id_token}"),
                    ("post_logout_redirect_uri", "{logout_redirect}"),
                    ("state", "s-1"),
                    ("client_id", "{client}"),
                ],
                no_auth,
                true,
            ),
            t(
                &[
                    ("confirm", "yes"),
                    ("csrf", "{csrf}"),
                    ("post_logout_redirect_uri", "{logout_redirect}"),
                    ("client_id", "{client}"),
                ],
                no_auth,
                true,
            ),
        ],
        _ => vec![t(&[], no_auth, false)],
    }
}

/// A value for a parameter or header: the fixture's secrets and tokens, words the endpoints know, and
/// noise.
pub fn value() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "{client}", "{secret}", "{public}", "{redirect}", "{logout_redirect}", "{issuer}",
            "{api}", "{access_token}", "{id_token}", "{refresh_token}", "{csrf}", "{pending}",
            "{code}", "{redirect}/x", "{access_token}x", "{id_token}.", "openid",
            "openid profile email offline_access", "api.read", "guestlist.admin", "code", "S256",
            "yes", "none", "login", "consent", "access_token", "refresh_token",
            "authorization_code", "client_credentials", "0", "-1",
        ])
        .prop_map(str::to_string),
        3 => nasty_text(40),
        1 => long_text(),
        1 => Just(String::new()),
    ]
    .boxed()
}

pub fn auth() -> BoxedStrategy<Auth> {
    prop_oneof![
        2 => Just(Auth::None),
        3 => (
            prop_oneof![Just("{client}".to_string()), Just("{public}".to_string()), nasty_text(20)],
            prop_oneof![Just("{secret}".to_string()), Just(String::new()), nasty_text(20)],
        )
            .prop_map(|(id, secret)| Auth::Basic(id, secret)),
        2 => prop_oneof![
            Just("Bearer {access_token}".to_string()),
            Just("bearer {id_token}".to_string()),
            Just("Basic".to_string()),
            Just("Basic !!!".to_string()),
            Just("Basic Og==".to_string()),
            Just("Basic /w==".to_string()),
            Just("Negotiate abc".to_string()),
            nasty_text(40),
            nasty_text(6).prop_map(|t| format!("Bearer {t}")),
        ]
        .prop_map(Auth::Header),
    ]
    .boxed()
}

/// A body that is not the expected form: any bytes, or a form under another content type.
fn odd_body() -> BoxedStrategy<Body> {
    (
        prop::option::of(
            prop::sample::select(vec![
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=utf-8",
                "APPLICATION/X-WWW-FORM-URLENCODED",
                "application/json",
                "multipart/form-data; boundary=x",
                "text/plain",
                "",
            ])
            .prop_map(str::to_string),
        ),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            Just(b"{\"grant_type\":\"client_credentials\"}".to_vec()),
            Just(b"a=%zz&b=%&&=&c".to_vec()),
            Just(vec![b'a'; guestlist::http::MAX_BODY + 1]),
        ],
    )
        .prop_map(|(ct, bytes)| Body::Raw(ct, bytes))
        .boxed()
}

/// One change to a template request.
#[derive(Debug, Clone)]
enum Change {
    Remove(prop::sample::Index),
    Repeat(prop::sample::Index, String),
    Replace(prop::sample::Index, String),
    Add(String, String),
    Auth(Auth),
    Cookie(Option<String>),
    Body(Body),
    AcceptLanguage(String),
}

fn change() -> BoxedStrategy<Change> {
    let name = prop_oneof![
        4 => prop::sample::select(NAMES.to_vec()).prop_map(str::to_string),
        1 => nasty_text(12),
    ];
    prop_oneof![
        2 => any::<prop::sample::Index>().prop_map(Change::Remove),
        2 => (any::<prop::sample::Index>(), value()).prop_map(|(i, v)| Change::Repeat(i, v)),
        4 => (any::<prop::sample::Index>(), value()).prop_map(|(i, v)| Change::Replace(i, v)),
        3 => (name, value()).prop_map(|(n, v)| Change::Add(n, v)),
        2 => auth().prop_map(Change::Auth),
        1 => prop::option::of(prop_oneof![
            Just("gl_session=x; gl_csrf={csrf}".to_string()),
            Just("gl_csrf=x".to_string()),
            nasty_text(40),
        ])
        .prop_map(Change::Cookie),
        1 => odd_body().prop_map(Change::Body),
        1 => prop_oneof![Just("ko-KR,ko;q=0.9,en;q=0.5".to_string()), nasty_text(30)]
            .prop_map(Change::AcceptLanguage),
    ]
    .boxed()
}

/// Requests to `route` (sent with `method`): a template with up to four changes.
pub fn request(method: &str, route: &str) -> BoxedStrategy<Request> {
    let post = method == "POST";
    let templates = templates(route);
    let count = templates.len();
    (0..count, prop::collection::vec(change(), 0..5))
        .prop_map(move |(pick, changes)| {
            let template = &templates[pick];
            let mut params: Vec<(String, String)> = template
                .params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let mut auth = (template.auth)();
            let mut cookie = template.cookie.then(|| "{cookies}".to_string());
            let mut body = None;
            let mut accept_language = None;
            for c in changes {
                match c {
                    Change::Remove(i) if !params.is_empty() => {
                        params.remove(i.index(params.len()));
                    }
                    Change::Repeat(i, v) if !params.is_empty() => {
                        let name = params[i.index(params.len())].0.clone();
                        params.push((name, v));
                    }
                    Change::Replace(i, v) if !params.is_empty() => {
                        let at = i.index(params.len());
                        params[at].1 = v;
                    }
                    Change::Add(n, v) => params.push((n, v)),
                    Change::Auth(a) => auth = a,
                    Change::Cookie(c) => cookie = c,
                    Change::Body(b) if post => body = Some(b),
                    Change::AcceptLanguage(l) => accept_language = Some(l),
                    _ => {}
                }
            }
            let (query, body) = match (post, body) {
                (false, _) => (params, Body::None),
                (true, Some(odd)) => (Vec::new(), odd),
                (true, None) => (Vec::new(), Body::Form(params)),
            };
            Request {
                query,
                auth,
                body,
                cookie,
                accept_language,
            }
        })
        .boxed()
}

/// `application/x-www-form-urlencoded` of `params`.
pub fn encode(params: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}
