//! A real guestlist server on a random loopback port, a browser-like user agent, and seeding helpers.
//! The database is a fresh SQLite file, or a fresh PostgreSQL database when
//! `GUESTLIST_TEST_DATABASE_URL` is set (CI runs the suite both ways).

#![allow(dead_code)]

pub mod api;
#[allow(unused_imports)]
pub use api::*;

use guestlist::config::Config;
use guestlist::domain::claims::OptionalClaim;
use guestlist::domain::user::{Role, RoleSet};
use guestlist::server;
use guestlist::service::Services;
use guestlist::service::apps::manage::{self as apps, CreatedApp, NewApp};
use guestlist::service::auth::Actor;
use guestlist::service::tenants::Tenant;
use guestlist::service::tenants::manage::{self as tenants, TenantInput};
use guestlist::service::users::{self, NewMember, UserView};
use std::net::TcpListener;

pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT: &str = "http://localhost/cb";
pub const LOGOUT_REDIRECT: &str = "http://localhost/signed-out";

/// A test that cannot run here for want of `what`: a failure when the switch `GUESTLIST_REQUIRE_{what}`
/// is `1` (`.ci/run` sets the switches of everything it installs), else a `SKIPPED` line on standard
/// error, past the test harness's capture, so a local run shows what it did not test.
pub fn cannot_run(what: &str, test: &str, reason: &str) {
    let switch = format!("GUESTLIST_REQUIRE_{what}");
    let required = std::env::var(&switch).is_ok_and(|v| v == "1");
    assert!(!required, "{switch}=1 but {test} cannot run: {reason}");
    eprintln!("SKIPPED {test}: {reason} (with {switch}=1 this fails)");
}

/// A test that belongs to the other database pass of the suite (SQLite or PostgreSQL), said on
/// standard error.
pub fn other_pass(test: &str, pass: &str) {
    eprintln!("SKIPPED {test}: runs in the {pass} pass");
}

/// A port for a server this test starts in another process (or a port nothing listens on). A port the kernel hands out for `:0` may be handed
/// out again (to an outgoing connection, or another test) between our probe and the server's bind, so
/// the port comes from below the kernel's ephemeral range, is never given twice in this process, and is
/// free when probed.
pub fn free_port() -> u16 {
    use std::sync::Mutex;
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    let (low, _) = ephemeral_range();
    let span = u32::from(low.saturating_sub(10_000)).max(1000);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..1000 {
        let offset = (rand_u32() % span) as u16;
        let port = low.saturating_sub(1).saturating_sub(offset);
        if port < 1024 || given.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    panic!("no free port below the ephemeral range ({low})");
}

/// The kernel's ephemeral port range (Linux), or the usual default.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| {
            let mut it = s.split_whitespace().map(|n| n.parse::<u16>().ok());
            Some((it.next()??, it.next()??))
        })
        .unwrap_or((32768, 60999))
}

fn rand_u32() -> u32 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// A fresh PostgreSQL database for one test, dropped when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub fn create(admin_url: &str) -> PgDatabase {
        use diesel::{Connection, RunQueryDsl, pg::PgConnection};
        let name = format!("gl_test_{}", uuid::Uuid::new_v4().simple());
        let mut c =
            PgConnection::establish(admin_url).expect("connect to GUESTLIST_TEST_DATABASE_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .expect("create test database");
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b)
            .unwrap_or(admin_url);
        PgDatabase {
            admin_url: admin_url.to_string(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use diesel::{Connection, RunQueryDsl, pg::PgConnection};
        if let Ok(mut c) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut c);
        }
    }
}

/// Where a test's data lives: a SQLite file in `dir`, or a PostgreSQL database.
pub struct TestDatabase {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgDatabase>,
}

impl TestDatabase {
    pub fn new() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = std::env::var("GUESTLIST_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .map(|u| PgDatabase::create(&u));
        TestDatabase { dir, pg }
    }

    pub fn url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}/guestlist.db", self.dir.path().display()),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

pub struct TestServer {
    pub base: String,
    pub svc: Services,
    pub tenant: Tenant,
    pub db: TestDatabase,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let db = TestDatabase::new();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let vars = [
            ("GUESTLIST_PUBLIC_URL", base.clone()),
            (
                "GUESTLIST_DATA_DIR",
                db.dir.path().join("data").display().to_string(),
            ),
            (
                "GUESTLIST_KEYS_DIR",
                db.dir.path().join("keys").display().to_string(),
            ),
            ("GUESTLIST_DATABASE_URL", db.url()),
        ];
        let mut config = config_from(&vars);
        config.http_workers = 1;
        config.db_pool_size = 4;
        adjust(&mut config);
        let svc = server::prepare(config).expect("prepare");
        let tenant = create_tenant(&svc, "contoso", "Contoso", "contoso.example").await;
        server::spawn_background(&svc).expect("background tasks");
        let http = server::http_server(svc.clone(), listener).expect("server");
        actix_web::rt::spawn(http);
        TestServer {
            base,
            svc,
            tenant,
            db,
        }
    }

    pub fn issuer(&self) -> String {
        self.tenant.issuer.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn member(&self, email: &str) -> UserView {
        self.member_in(&self.tenant, email, vec![]).await
    }

    /// A member with the password [`PASSWORD`], created by the operator.
    pub async fn member_in(&self, tenant: &Tenant, email: &str, roles: Vec<Role>) -> UserView {
        users::create(
            &self.svc,
            &Actor::operator(),
            tenant,
            NewMember {
                email: email.into(),
                display_name: email.split('@').next().unwrap().into(),
                password: Some(PASSWORD.into()),
                roles: RoleSet::of(&roles),
                creation_type: None,
                email_verified: true,
                profile: Default::default(),
            },
        )
        .await
        .expect("member")
        .user
    }

    /// Another tenant, created by the operator.
    pub async fn tenant_named(&self, slug: &str, name: &str, domain: &str) -> Tenant {
        create_tenant(&self.svc, slug, name, domain).await
    }

    pub async fn app(&self, adjust: impl FnOnce(&mut NewApp)) -> CreatedApp {
        let mut app = NewApp {
            name: "Moodle".into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![LOGOUT_REDIRECT.into()],
            public: false,
            first_party: false,
            assignment_required: false,
            signing_alg: "RS256".into(),
            optional_claims: vec![OptionalClaim::Email],
            allowed_scopes: vec!["api.read".into()],
        };
        adjust(&mut app);
        apps::create(&self.svc, &Actor::operator(), &self.tenant, app)
            .await
            .expect("app")
    }

    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    /// A browser whose `Accept-Language` is `language`.
    pub fn browser_in(&self, language: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("accept-language", language.parse().expect("a header value"));
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .default_headers(headers)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    /// An HTTP client for the relying app (no cookies, no redirects), as `openidconnect` wants it.
    pub fn rp_http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }
}

/// A tenant created by the operator.
pub async fn create_tenant(svc: &Services, slug: &str, name: &str, domain: &str) -> Tenant {
    create_tenant_with(svc, slug, name, domain, false).await
}

/// [`create_tenant`], open to self-service sign-up or not.
pub async fn create_tenant_with(
    svc: &Services,
    slug: &str,
    name: &str,
    domain: &str,
    self_service_sign_up: bool,
) -> Tenant {
    let created = tenants::create(
        svc,
        &Actor::operator(),
        None,
        TenantInput {
            slug: slug.into(),
            display_name: name.into(),
            primary_domain: domain.into(),
            self_service_sign_up,
        },
    )
    .await
    .expect("tenant");
    let tenant = (*svc
        .tenants
        .by_slug(&created.tenant.slug)
        .await
        .expect("tenant"))
    .clone();
    // Tests change settings behind the cache's back; the pages must read them fresh.
    svc.tenants.forget(&tenant.slug);
    tenant
}

/// A configuration as `Config::load` builds it, from these variables only.
fn config_from(vars: &[(&str, String)]) -> Config {
    // Config::load reads the process environment; tests run in parallel, so build from a file instead.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guestlist.toml");
    let mut text = String::new();
    for (k, v) in vars {
        let key = k.trim_start_matches("GUESTLIST_").to_ascii_lowercase();
        text.push_str(&format!("{key} = {}\n", toml_string(v)));
    }
    std::fs::write(&path, text).unwrap();
    Config::load(Some(&path)).expect("config")
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A user agent with a cookie jar that stops at every redirect, like a browser driven by a test.
pub struct Browser {
    pub client: reqwest::Client,
    base: String,
}

/// Reads `name="NAME" value="..."` from a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

pub enum Step {
    /// The browser reached the app's redirect URI with this full URL.
    Callback(String),
    /// The browser stopped at a page (status and body).
    Page(u16, String),
}

impl Browser {
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') {
            format!("{}{}", self.base, location)
        } else {
            location.to_string()
        }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.client
            .get(self.absolute(url))
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.absolute(url))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// Follows redirects from `start`, signing in with `email` when asked and answering consent
    /// with `consent` (accept or cancel), until the app's redirect URI or a page.
    pub async fn run_flow(&self, start: &str, email: &str, consent: &str) -> Step {
        let mut url = start.to_string();
        for _ in 0..12 {
            if url.starts_with("http://localhost/") {
                return Step::Callback(url);
            }
            let resp = self.get(&url).await;
            let status = resp.status().as_u16();
            if status == 303 || status == 302 {
                url = self.absolute(resp.headers()["location"].to_str().unwrap());
                continue;
            }
            let body = resp.text().await.unwrap();
            if url.contains("/signin") && status == 200 {
                let resp = self
                    .post_form(
                        url.split('?').next().unwrap(),
                        &[
                            ("csrf", &hidden(&body, "csrf").unwrap()),
                            ("request", &hidden(&body, "request").unwrap_or_default()),
                            ("email", email),
                            ("password", PASSWORD),
                        ],
                    )
                    .await;
                if resp.status().as_u16() != 303 {
                    let s = resp.status().as_u16();
                    return Step::Page(s, resp.text().await.unwrap());
                }
                url = self.absolute(resp.headers()["location"].to_str().unwrap());
                continue;
            }
            if url.contains("/consent") && status == 200 {
                let resp = self
                    .post_form(
                        url.split('?').next().unwrap(),
                        &[
                            ("csrf", &hidden(&body, "csrf").unwrap()),
                            ("request", &hidden(&body, "request").unwrap()),
                            ("decision", consent),
                        ],
                    )
                    .await;
                assert_eq!(resp.status().as_u16(), 303, "consent answer");
                url = self.absolute(resp.headers()["location"].to_str().unwrap());
                continue;
            }
            return Step::Page(status, body);
        }
        panic!("too many redirects from {start}");
    }

    pub async fn callback(&self, start: &str, email: &str) -> String {
        match self.run_flow(start, email, "accept").await {
            Step::Callback(u) => u,
            Step::Page(s, body) => panic!("flow stopped at a page ({s}): {body}"),
        }
    }
}

/// The query parameters of a callback URL.
pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The JSON payload of a JWT (after the library verified it, to read non-standard claims).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

pub fn jwt_header(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let part = jwt.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Sends `access_token` to the tenant's userinfo endpoint as a bearer token.
pub async fn userinfo(server: &TestServer, access_token: &str) -> reqwest::Response {
    server
        .rp_http()
        .get(format!("{}/userinfo", server.issuer()))
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

/// A token-endpoint request by `app` with client_secret_basic.
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
