//! A tiny relying app for guestlist: the authorization code flow with PKCE and a nonce through the
//! `openidconnect` crate, a page with the verified ID token's claims, and RP-initiated logout.
//!
//! ```sh
//! guestlist app create --tenant default --name "Sample app" \
//!     --redirect-uri http://127.0.0.1:3000/callback \
//!     --post-logout-redirect-uri http://127.0.0.1:3000/ --optional-claim email
//! cargo run --example sample_rp -- --issuer http://localhost:8080/t/default \
//!     --client-id ID --client-secret SECRET --listen 127.0.0.1:3000
//! ```
//!
//! Every option can also come from the environment (`SAMPLE_RP_ISSUER`, `SAMPLE_RP_CLIENT_ID`,
//! `SAMPLE_RP_CLIENT_SECRET`, `SAMPLE_RP_LISTEN`, `SAMPLE_RP_PUBLIC_URL`).
//!
//! Routes: `/` (a "Sign in" link, or the claims of the signed-in person, or the signed-out page when
//! the provider sends the browser back after logout), `/login` (starts a sign-in), `/callback` (the
//! redirect URI), `/logout` (ends the local session and the provider's). Pending sign-ins (state,
//! nonce, PKCE verifier) and sessions live in memory; the browser holds only random keys in cookies.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieAge};
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use clap::Parser;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Cookie with the state of the sign-in this browser started.
const LOGIN_COOKIE: &str = "sample_rp_login";
/// Cookie with the key of this browser's session.
const SESSION_COOKIE: &str = "sample_rp_session";
/// How long a started sign-in may take.
const LOGIN_TTL: Duration = Duration::from_secs(600);
/// How long a session of this app lasts.
const SESSION_TTL: Duration = Duration::from_secs(3600);
/// How long discovery and the keys are reused before being fetched again (key rotation).
const METADATA_TTL: Duration = Duration::from_secs(60);
/// Most pending sign-ins, sessions and sign-outs kept at once.
const MAX_ENTRIES: usize = 10_000;

#[derive(Parser, Debug)]
#[command(
    name = "sample_rp",
    about = "A sample relying app that signs in with a guestlist tenant"
)]
struct Args {
    /// The tenant's issuer, e.g. http://localhost:8080/t/default.
    #[arg(long, env = "SAMPLE_RP_ISSUER")]
    issuer: String,
    /// The app's client id (`guestlist app create` prints it).
    #[arg(long, env = "SAMPLE_RP_CLIENT_ID")]
    client_id: String,
    /// The app's client secret; leave it out for a public client.
    #[arg(long, env = "SAMPLE_RP_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "SAMPLE_RP_LISTEN", default_value = "127.0.0.1:3000")]
    listen: String,
    /// This app's address as browsers see it (default: http://{listen}). The redirect URI is
    /// {public_url}/callback and the post-logout redirect URI {public_url}/.
    #[arg(long, env = "SAMPLE_RP_PUBLIC_URL")]
    public_url: Option<String>,
}

/// A sign-in this app started and the provider has not answered yet.
struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    started: Instant,
}

/// A signed-in browser.
struct Session {
    id_token: CoreIdToken,
    claims: Map<String, Value>,
    started: Instant,
}

struct Rp {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    post_logout: PostLogoutRedirectUrl,
    secure_cookies: bool,
    http: reqwest::Client,
    metadata: Mutex<Option<(Instant, Arc<ProviderMetadataWithLogout>)>>,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Session>>,
    /// `state` values of sign-outs sent to the provider, to recognise the way back.
    signing_out: Mutex<HashMap<String, Instant>>,
}

/// What went wrong, as a page.
struct Problem {
    status: StatusCode,
    title: &'static str,
    detail: String,
}

impl Problem {
    fn bad_request(title: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status: StatusCode::BAD_REQUEST,
            title,
            detail: detail.into(),
        }
    }

    fn provider(title: &'static str, detail: impl std::fmt::Display) -> Problem {
        Problem {
            status: StatusCode::BAD_GATEWAY,
            title,
            detail: detail.to_string(),
        }
    }

    fn page(&self) -> HttpResponse {
        let body = format!(
            "<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n<p><a href=\"/\">Back to the start page</a></p>",
            esc(self.title),
            esc(&self.detail)
        );
        html(self.status, self.title, &body)
    }
}

/// A mutex guard even when another request panicked while holding it (the maps stay usable).
fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Drops entries older than `ttl`, and the oldest ones beyond `MAX_ENTRIES`.
fn prune<V>(map: &mut HashMap<String, V>, ttl: Duration, started: impl Fn(&V) -> Instant) {
    map.retain(|_, v| started(v).elapsed() < ttl);
    while map.len() >= MAX_ENTRIES {
        let oldest = map
            .iter()
            .min_by_key(|(_, v)| started(v))
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => map.remove(&k),
            None => break,
        };
    }
}

impl Rp {
    /// The provider's discovery document and keys, fetched again after `METADATA_TTL`.
    async fn provider(&self) -> Result<Arc<ProviderMetadataWithLogout>, Problem> {
        if let Some((at, meta)) = locked(&self.metadata).as_ref()
            && at.elapsed() < METADATA_TTL
        {
            return Ok(meta.clone());
        }
        let meta = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| {
                Problem::provider(
                    "The identity provider cannot be reached",
                    format!(
                        "Discovery at {} failed: {}",
                        self.issuer.as_str(),
                        error_chain(&e)
                    ),
                )
            })?;
        let meta = Arc::new(meta);
        *locked(&self.metadata) = Some((Instant::now(), meta.clone()));
        Ok(meta)
    }

    fn client(
        &self,
        meta: &ProviderMetadataWithLogout,
    ) -> CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    > {
        CoreClient::from_provider_metadata(
            meta.clone(),
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(self.redirect.clone())
    }

    fn cookie(&self, name: &'static str, value: String, max_age: Duration) -> Cookie<'static> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(CookieAge::seconds(max_age.as_secs() as i64))
            .finish()
    }

    fn removal(&self, name: &'static str) -> Cookie<'static> {
        let mut c = self.cookie(name, String::new(), Duration::ZERO);
        c.make_removal();
        c
    }
}

/// A value of the query string, once; `None` when absent, an error when repeated.
fn query_param<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, Problem> {
    let mut found = pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(Problem::bad_request(
            "This sign-in answer is malformed",
            format!("The parameter {name} appears more than once."),
        ));
    }
    Ok(first)
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

/// `/`: the signed-out page after a provider logout, the claims of a signed-in browser, or the start.
async fn home(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    let pairs = query_pairs(&req);
    if let Ok(Some(state)) = query_param(&pairs, "state")
        && locked(&rp.signing_out).remove(state).is_some()
    {
        let body = "<h1>You are signed out</h1>\n\
            <p>You signed out of this app and of the identity provider.</p>\n\
            <p><a class=\"button\" href=\"/login\">Sign in</a></p>";
        return html(StatusCode::OK, "Signed out", body);
    }
    if let Some(resp) = session_page(&rp, &req) {
        return resp;
    }
    let body = format!(
        "<h1>Sample relying app</h1>\n<p>This app signs people in with <code>{}</code>.</p>\n\
         <p><a class=\"button\" href=\"/login\">Sign in</a></p>",
        esc(rp.issuer.as_str())
    );
    html(StatusCode::OK, "Sample relying app", &body)
}

/// The claims page of the browser's session, if it has one.
fn session_page(rp: &Rp, req: &HttpRequest) -> Option<HttpResponse> {
    let key = req.cookie(SESSION_COOKIE)?.value().to_string();
    let mut sessions = locked(&rp.sessions);
    let expired = sessions.get(&key)?.started.elapsed() >= SESSION_TTL;
    if expired {
        sessions.remove(&key);
        return None;
    }
    let s = sessions.get(&key)?;
    Some(claims_page(&s.claims))
}

/// `/login`: a new state, nonce and PKCE verifier, remembered here; the browser goes to the provider.
async fn login(rp: web::Data<Rp>) -> HttpResponse {
    let meta = match rp.provider().await {
        Ok(m) => m,
        Err(p) => return p.page(),
    };
    let client = rp.client(&meta);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    {
        let mut pending = locked(&rp.pending);
        prune(&mut pending, LOGIN_TTL, |p| p.started);
        pending.insert(
            state.secret().clone(),
            Pending {
                verifier,
                nonce,
                started: Instant::now(),
            },
        );
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .cookie(rp.cookie(LOGIN_COOKIE, state.secret().clone(), LOGIN_TTL))
        .finish()
}

/// `/callback`: checks the answer, exchanges the code, verifies the ID token, shows its claims.
async fn callback(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    match finish_sign_in(&rp, &req).await {
        Ok((key, claims)) => {
            let mut resp = claims_page(&claims);
            let _ = resp.add_cookie(&rp.cookie(SESSION_COOKIE, key, SESSION_TTL));
            let _ = resp.add_cookie(&rp.removal(LOGIN_COOKIE));
            resp
        }
        Err(p) => {
            let mut resp = p.page();
            let _ = resp.add_cookie(&rp.removal(LOGIN_COOKIE));
            resp
        }
    }
}

async fn finish_sign_in(
    rp: &Rp,
    req: &HttpRequest,
) -> Result<(String, Map<String, Value>), Problem> {
    let pairs = query_pairs(req);
    if let Some(error) = query_param(&pairs, "error")? {
        let description = query_param(&pairs, "error_description")?.unwrap_or("");
        let title = if error == "access_denied" {
            "You did not sign in"
        } else {
            "The identity provider refused the sign-in"
        };
        return Err(Problem::bad_request(
            title,
            format!("{error}: {description}")
                .trim_end_matches([':', ' '])
                .to_string(),
        ));
    }
    let state = query_param(&pairs, "state")?.ok_or_else(|| {
        Problem::bad_request("This sign-in answer is malformed", "It has no state.")
    })?;
    let code = query_param(&pairs, "code")?.ok_or_else(|| {
        Problem::bad_request("This sign-in answer is malformed", "It has no code.")
    })?;
    let started_here = req.cookie(LOGIN_COOKIE).is_some_and(|c| c.value() == state);
    if !started_here {
        return Err(Problem::bad_request(
            "This sign-in was not started in this browser",
            "Start again from the Sign in link.",
        ));
    }
    let pending = locked(&rp.pending)
        .remove(state)
        .filter(|p| p.started.elapsed() < LOGIN_TTL)
        .ok_or_else(|| {
            Problem::bad_request(
                "This sign-in has expired or was already used",
                "Start again from the Sign in link.",
            )
        })?;
    // RFC 9207: the answer names the issuer it comes from.
    if let Some(iss) = query_param(&pairs, "iss")?
        && iss != rp.issuer.as_str()
    {
        return Err(Problem::bad_request(
            "This sign-in answer comes from another issuer",
            format!("Expected {}, got {iss}.", rp.issuer.as_str()),
        ));
    }

    let meta = rp.provider().await?;
    let client = rp.client(&meta);
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|e| Problem::provider("The identity provider has no token endpoint", e))?
        .set_pkce_verifier(pending.verifier)
        .request_async(&rp.http)
        .await
        .map_err(|e| Problem::provider("The code exchange failed", error_chain(&e)))?;
    let id_token = token
        .id_token()
        .ok_or_else(|| Problem::provider("The token response has no ID token", "no id_token"))?;
    let algs: Vec<CoreJwsSigningAlgorithm> = meta
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|a| asymmetric(a))
        .cloned()
        .collect();
    let verifier = client.id_token_verifier().set_allowed_algs(algs);
    let verified = id_token
        .claims(&verifier, &pending.nonce)
        .map_err(|e| Problem::provider("The ID token does not verify", error_chain(&e)))?;
    if let Some(expected) = verified.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|e| Problem::provider("The ID token does not verify", e))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| Problem::provider("The ID token does not verify", e))?;
        let actual = AccessTokenHash::from_token(token.access_token(), alg, key)
            .map_err(|e| Problem::provider("The ID token does not verify", e))?;
        if actual != *expected {
            return Err(Problem::provider(
                "The ID token does not verify",
                "at_hash does not match the access token",
            ));
        }
    }
    // The signature, issuer, audience, expiry and nonce are verified: show what the token says,
    // including the directory claims the library does not model (tid, oid, idp, acct, ...).
    let claims = payload(&id_token.to_string())
        .ok_or_else(|| Problem::provider("The ID token is malformed", "unreadable payload"))?;
    let key = CsrfToken::new_random().secret().clone();
    let mut sessions = locked(&rp.sessions);
    prune(&mut sessions, SESSION_TTL, |s| s.started);
    sessions.insert(
        key.clone(),
        Session {
            id_token: id_token.clone(),
            claims: claims.clone(),
            started: Instant::now(),
        },
    );
    Ok((key, claims))
}

/// `/logout`: forgets the session here and sends the browser to the provider's end-session
/// endpoint with the ID token as hint, to come back to `/` with a state this app recognises.
async fn logout(rp: web::Data<Rp>, req: HttpRequest) -> HttpResponse {
    let session = req
        .cookie(SESSION_COOKIE)
        .and_then(|c| locked(&rp.sessions).remove(c.value()));
    let mut resp = match session {
        None => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/"))
            .finish(),
        Some(s) => match rp.provider().await {
            Err(p) => p.page(),
            Ok(meta) => match meta.additional_metadata().end_session_endpoint.clone() {
                None => html(
                    StatusCode::OK,
                    "Signed out",
                    "<h1>You are signed out of this app</h1>\n\
                     <p>The identity provider offers no sign-out, so you may still be signed in there.</p>\n\
                     <p><a class=\"button\" href=\"/login\">Sign in</a></p>",
                ),
                Some(end_session) => {
                    let state = CsrfToken::new_random();
                    {
                        let mut out = locked(&rp.signing_out);
                        prune(&mut out, LOGIN_TTL, |at| *at);
                        out.insert(state.secret().clone(), Instant::now());
                    }
                    let url = LogoutRequest::from(end_session)
                        .set_id_token_hint(&s.id_token)
                        .set_post_logout_redirect_uri(rp.post_logout.clone())
                        .set_state(state)
                        .http_get_url();
                    HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, url.to_string()))
                        .finish()
                }
            },
        },
    };
    let _ = resp.add_cookie(&rp.removal(SESSION_COOKIE));
    resp
}

fn asymmetric(alg: &CoreJwsSigningAlgorithm) -> bool {
    use CoreJwsSigningAlgorithm as A;
    matches!(
        alg,
        A::RsaSsaPkcs1V15Sha256
            | A::RsaSsaPkcs1V15Sha384
            | A::RsaSsaPkcs1V15Sha512
            | A::RsaSsaPssSha256
            | A::RsaSsaPssSha384
            | A::RsaSsaPssSha512
            | A::EcdsaP256Sha256
            | A::EcdsaP384Sha384
            | A::EcdsaP521Sha512
            | A::EdDsa
    )
}

/// The JSON object in the middle of a compact JWS.
fn payload(jwt: &str) -> Option<Map<String, Value>> {
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Claims shown first, in this order; the rest follow alphabetically.
const FIRST: &[&str] = &[
    "iss", "sub", "aud", "tid", "oid", "idp", "acct", "email", "name", "upn", "altsecid",
];

fn claims_page(claims: &Map<String, Value>) -> HttpResponse {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or("");
    let who = [text("name"), text("email"), text("sub")]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or("someone");
    let kind = match claims.get("acct").and_then(Value::as_i64) {
        Some(1) => format!(
            "a guest (<code>acct</code> 1) whose home is <code>{}</code>",
            esc(text("idp"))
        ),
        Some(0) => "a member of the tenant (<code>acct</code> 0)".to_string(),
        _ => "someone without an <code>acct</code> claim".to_string(),
    };
    let mut names: Vec<&String> = claims.keys().collect();
    names.sort_by_key(|n| {
        (
            FIRST.iter().position(|f| f == n).unwrap_or(FIRST.len()),
            n.as_str(),
        )
    });
    let mut rows = String::new();
    for n in names {
        let shown = match &claims[n] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let _ = writeln!(
            rows,
            "<tr data-claim=\"{0}\"><th scope=\"row\"><code>{0}</code></th><td>{1}</td></tr>",
            esc(n),
            esc(&shown)
        );
    }
    let raw = serde_json::to_string_pretty(claims).unwrap_or_default();
    let body = format!(
        "<h1>Signed in as {who}</h1>\n<p>You are {kind}.</p>\n\
         <p><a class=\"button\" href=\"/logout\">Sign out</a></p>\n\
         <h2>The verified ID token's claims</h2>\n\
         <table id=\"claims\">\n<thead><tr><th scope=\"col\">claim</th><th scope=\"col\">value</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table>\n<h2>Raw JSON</h2>\n<pre id=\"raw\">{raw}</pre>",
        who = esc(who),
        raw = esc(&raw),
    );
    html(StatusCode::OK, "Signed in", &body)
}

fn html(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · Sample relying app</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header>Sample relying app</header>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = esc(title)
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ))
        .body(page)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1f;background:#f6f6f8}\
header{background:#3b3f8f;color:#fff;padding:.8rem 1.5rem;font-weight:600}\
main{max-width:56rem;margin:1.5rem auto;padding:0 1.5rem}\
table{border-collapse:collapse;width:100%;background:#fff}\
th,td{border:1px solid #d4d4dc;padding:.35rem .6rem;text-align:left;vertical-align:top;word-break:break-all}\
thead th{background:#ececf2}\
pre{background:#fff;border:1px solid #d4d4dc;padding:.8rem;overflow:auto}\
.button{display:inline-block;background:#3b3f8f;color:#fff;padding:.5rem 1rem;border-radius:4px;text-decoration:none}\
.error{color:#a4000f}";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An error and its sources on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let _ = write!(s, ": {inner}");
        source = inner.source();
    }
    s
}

fn setup(args: Args) -> Result<Rp, String> {
    let issuer = IssuerUrl::new(args.issuer.trim_end_matches('/').to_string())
        .map_err(|e| format!("--issuer: {e}"))?;
    let public = args
        .public_url
        .unwrap_or_else(|| format!("http://{}", args.listen));
    let public = public.trim_end_matches('/');
    let redirect =
        RedirectUrl::new(format!("{public}/callback")).map_err(|e| format!("--public-url: {e}"))?;
    let post_logout = PostLogoutRedirectUrl::new(format!("{public}/"))
        .map_err(|e| format!("--public-url: {e}"))?;
    let http = reqwest::Client::builder()
        // The library's advice: never follow redirects from the provider's endpoints (SSRF).
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    Ok(Rp {
        issuer,
        client_id: ClientId::new(args.client_id),
        client_secret: args
            .client_secret
            .filter(|s| !s.is_empty())
            .map(ClientSecret::new),
        redirect,
        post_logout,
        secure_cookies: public.starts_with("https://"),
        http,
        metadata: Mutex::new(None),
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
        signing_out: Mutex::new(HashMap::new()),
    })
}

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let listen = args.listen.clone();
    let rp = match setup(args) {
        Ok(rp) => rp,
        Err(e) => {
            eprintln!("sample_rp: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    // Discovery now shows a wrong issuer at once; sign-ins try again if the provider is not up yet.
    if let Err(p) = rp.provider().await {
        eprintln!("sample_rp: warning: {}: {}", p.title, p.detail);
    }
    println!(
        "sample_rp: listening on {listen}; redirect URI {}, post-logout redirect URI {}, issuer {}",
        rp.redirect.as_str(),
        rp.post_logout.as_str(),
        rp.issuer.as_str()
    );
    let rp = web::Data::new(rp);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(rp.clone())
            .route("/", web::get().to(home))
            .route("/login", web::get().to(login))
            .route("/callback", web::get().to(callback))
            .route("/logout", web::get().to(logout))
    })
    .workers(2)
    .bind(&listen);
    let result = match server {
        Ok(s) => s.run().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sample_rp: cannot serve on {listen}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
