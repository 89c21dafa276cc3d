//! A real guestlist server on a random loopback port, a browser-like user agent, and seeding helpers.
//! The database is a fresh SQLite file, or a fresh PostgreSQL database when
//! `GUESTLIST_TEST_DATABASE_URL` is set (CI runs the suite both ways).
//!
//! Beside it: `api` (the admin API as its callers use it), `oidc` (authorization and token requests,
//! userinfo, JWTs), `invite` (invitations by the operator), `mail` (delivered messages decoded, an
//! outbox worker of the test's own), `smtp` (a fake SMTP server) and `cli` (the binary run as a
//! process). Each helper exists once, here; a test file keeps only what is about its own subject.

#![allow(dead_code)]

pub mod api;
pub mod cli;
pub mod invite;
pub mod mail;
pub mod oidc;
pub mod receiver;
pub mod smtp;
#[allow(unused_imports)]
pub use api::*;
#[allow(unused_imports)]
pub use oidc::*;

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
        // Before libpq's first TLS attempt initialises OpenSSL with its exit handler (see
        // `guestlist::crypto::init`).
        guestlist::crypto::init();
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

    /// The store on this database, migrated.
    pub fn store(&self) -> guestlist::store::Store {
        let store = guestlist::store::Store::connect(&self.url(), 4).expect("connect");
        store.migrate().expect("migrate");
        store
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

    /// The partner organisation of most tests: tenant `fabrikam` (Fabrikam, fabrikam.example).
    pub async fn fabrikam(&self) -> Tenant {
        self.tenant_named("fabrikam", "Fabrikam", "fabrikam.example")
            .await
    }

    /// An app of contoso, as `adjust` changes the harness's defaults.
    pub async fn app(&self, adjust: impl FnOnce(&mut NewApp)) -> CreatedApp {
        self.app_in(&self.tenant, adjust).await
    }

    /// An app of `tenant`, as `adjust` changes the harness's defaults.
    pub async fn app_in(&self, tenant: &Tenant, adjust: impl FnOnce(&mut NewApp)) -> CreatedApp {
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
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        };
        adjust(&mut app);
        apps::create(&self.svc, &Actor::operator(), tenant, app)
            .await
            .expect("app")
    }

    /// Stores `tenant`'s settings as `adjust` changes them, behind the services' back (the tenant
    /// cache may hold the old ones for a few seconds).
    pub async fn set_settings(
        &self,
        tenant: &Tenant,
        adjust: impl FnOnce(&mut guestlist::service::tenants::TenantSettings),
    ) {
        let mut settings = tenant.settings.clone();
        adjust(&mut settings);
        let (id, json) = (tenant.id.clone(), serde_json::to_string(&settings).unwrap());
        self.svc
            .store
            .write(move |c| {
                use diesel::prelude::*;
                use guestlist::store::schema::tenants::dsl as t;
                diesel::update(t::tenants.find(&id))
                    .set(t::settings.eq(json))
                    .execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
    }

    /// Disables the account of user `id`, as an admin does.
    pub async fn disable_user(&self, id: &str) {
        let patch = guestlist::service::users::UserPatch {
            account_enabled: Some(false),
            ..Default::default()
        };
        users::update(&self.svc, &Actor::operator(), &self.tenant, id, patch, None)
            .await
            .expect("disable the user");
    }

    /// The stored user object `id`, if there is one.
    pub async fn find_user(&self, id: &str) -> Option<guestlist::store::models::UserRow> {
        let id = id.to_string();
        self.svc
            .store
            .read(move |c| guestlist::store::queries::users::by_id(c, &id))
            .await
            .unwrap()
    }

    /// The stored user object of `tenant` with `email`, if there is one.
    pub async fn find_user_by_mail(
        &self,
        tenant: &Tenant,
        email: &str,
    ) -> Option<guestlist::store::models::UserRow> {
        let (tenant_id, email) = (tenant.id.clone(), email.to_string());
        self.svc
            .store
            .read(move |c| {
                guestlist::store::queries::users::by_tenant_and_mail(c, &tenant_id, &email)
            })
            .await
            .unwrap()
    }

    /// The stored user object `id`.
    pub async fn user(&self, id: &str) -> guestlist::store::models::UserRow {
        self.find_user(id)
            .await
            .unwrap_or_else(|| panic!("no user object {id}"))
    }

    /// A group of `tenant` named `name`, created by the operator.
    pub async fn group_in(
        &self,
        tenant: &Tenant,
        name: &str,
    ) -> guestlist::service::groups::GroupView {
        guestlist::service::groups::create(&self.svc, &Actor::operator(), tenant, name, None)
            .await
            .expect("group")
            .group
    }

    /// A group of contoso named `name`, created by the operator.
    pub async fn group(&self, name: &str) -> guestlist::service::groups::GroupView {
        self.group_in(&self.tenant, name).await
    }

    pub fn browser(&self) -> Browser {
        self.browser_with(&[])
    }

    /// A browser whose `Accept-Language` is `language`.
    pub fn browser_in(&self, language: &str) -> Browser {
        self.browser_with(&[("accept-language", language)])
    }

    /// A browser that sends `headers` with every request (a language, a forwarding proxy's headers).
    pub fn browser_with(&self, headers: &[(&str, &str)]) -> Browser {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                value.parse().expect("a header value"),
            );
        }
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .default_headers(map)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
            jar,
        }
    }

    /// An HTTP client for the relying app (no cookies, no redirects), as `openidconnect` wants it.
    pub fn rp_http(&self) -> reqwest::Client {
        oidc::http_client()
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
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

/// Reads `name="NAME" value="..."` from a page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}

/// The first `attribute="…"` value on a page (an `action`, an `href`) that `pick` accepts.
pub fn attribute_value(html: &str, attribute: &str, pick: impl Fn(&str) -> bool) -> String {
    html.split(&format!("{attribute}=\""))
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|value| pick(value))
        .unwrap_or_else(|| panic!("no such {attribute} in {html}"))
        .replace("&amp;", "&")
}

pub enum Step {
    /// The browser reached the app's redirect URI with this full URL.
    Callback(String),
    /// The browser stopped at a page (status and body).
    Page(u16, String),
}

impl Browser {
    /// The value of the cookie `name` the browser would send to `url`.
    pub fn cookie_value(&self, url: &str, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = url::Url::parse(&self.absolute(url)).expect("a URL");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

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

    /// The body of the page at `url`.
    pub async fn page(&self, url: &str) -> String {
        self.get(url).await.text().await.expect("a page")
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
        follow_flow(
            &self.client,
            |url| self.absolute(url),
            |url| url.starts_with("http://localhost/"),
            start,
            email,
            consent,
        )
        .await
    }

    pub async fn callback(&self, start: &str, email: &str) -> String {
        match self.run_flow(start, email, "accept").await {
            Step::Callback(u) => u,
            Step::Page(s, body) => panic!("flow stopped at a page ({s}): {body}"),
        }
    }

    /// GETs `url` with `Accept-Language: accept_language` (no such header when `None`): status and body.
    pub async fn get_in(&self, url: &str, accept_language: Option<&str>) -> (u16, String) {
        let mut request = self.client.get(self.absolute(url));
        if let Some(languages) = accept_language {
            request = request.header("accept-language", languages);
        }
        let resp = request.send().await.expect("GET");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap())
    }

    /// Requests `authorize_url` as a person already signed in who consented before: the app's
    /// callback URL, at once.
    pub async fn silent_callback(&self, authorize_url: &str) -> String {
        let callback = oidc::location(&self.get(authorize_url).await);
        assert!(
            callback.starts_with(REDIRECT),
            "the browser is signed in: {callback}"
        );
        callback
    }

    /// Opens the page at `page_url` and posts `fields` with the page's CSRF token to `action`.
    pub async fn submit_form(
        &self,
        page_url: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let page = self.page(page_url).await;
        let csrf = hidden(&page, "csrf").unwrap_or_else(|| panic!("no form at {page_url}: {page}"));
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_form(action, &form).await
    }

    /// Signs `email` in on the sign-in page of tenant `slug`, without an authorization request: the
    /// answer to the form.
    pub async fn sign_in_directly(&self, slug: &str, email: &str) -> reqwest::Response {
        let url = format!("/t/{slug}/signin");
        self.submit_form(
            &url,
            &url,
            &[("email", email), ("password", PASSWORD), ("request", "")],
        )
        .await
    }

    /// Signs `email` in to the admin console of tenant `slug`: the page it lands on.
    pub async fn console_sign_in(&self, slug: &str, email: &str) -> (u16, String) {
        match self
            .run_flow(&format!("/admin/t/{slug}/users"), email, "accept")
            .await
        {
            Step::Page(s, body) => (s, body),
            Step::Callback(u) => panic!("unexpected callback {u}"),
        }
    }
}

/// The `Set-Cookie` headers of an answer.
pub fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .collect()
}

/// Follows an authorization request from `start` with `client`: every redirect, the sign-in form as
/// `email` (with [`PASSWORD`]) and the consent form answered with `consent` (accept or cancel), until
/// a URL that `arrived` says is the end, or a page that is neither form. Each URL is requested as
/// `absolute` makes it (relative ones need a base; a test may also send every request to one process).
pub async fn follow_flow(
    client: &reqwest::Client,
    absolute: impl Fn(&str) -> String,
    arrived: impl Fn(&str) -> bool,
    start: &str,
    email: &str,
    consent: &str,
) -> Step {
    let mut url = start.to_string();
    for _ in 0..12 {
        if arrived(&url) {
            return Step::Callback(url);
        }
        let target = absolute(&url);
        let resp = client.get(&target).send().await.expect("GET");
        let status = resp.status().as_u16();
        if status == 303 || status == 302 {
            url = oidc::location(&resp);
            continue;
        }
        let body = resp.text().await.unwrap();
        let action = target.split('?').next().unwrap();
        if target.contains("/signin") && status == 200 {
            let resp = client
                .post(action)
                .form(&sign_in_form(&body, email))
                .send()
                .await
                .expect("POST");
            if resp.status().as_u16() != 303 {
                let s = resp.status().as_u16();
                return Step::Page(s, resp.text().await.unwrap());
            }
            url = oidc::location(&resp);
            continue;
        }
        if target.contains("/consent") && status == 200 {
            let resp = client
                .post(action)
                .form(&[
                    ("csrf", hidden(&body, "csrf").unwrap().as_str()),
                    ("request", hidden(&body, "request").unwrap().as_str()),
                    ("decision", consent),
                ])
                .send()
                .await
                .expect("POST");
            assert_eq!(resp.status().as_u16(), 303, "consent answer");
            url = oidc::location(&resp);
            continue;
        }
        return Step::Page(status, body);
    }
    panic!("too many redirects from {start}");
}

/// The fields of the provider's sign-in form on `page` (with its CSRF token and pending request) for
/// `email` with [`PASSWORD`].
pub fn sign_in_form(page: &str, email: &str) -> [(&'static str, String); 4] {
    [
        ("csrf", hidden(page, "csrf").expect("the sign-in form")),
        ("request", hidden(page, "request").unwrap_or_default()),
        ("email", email.to_string()),
        ("password", PASSWORD.to_string()),
    ]
}

/// Follows the link of an invitation: opens it, posts its `form` (`register`, `signin`) with
/// `fields`, and accepts on the consent page that follows. The answer to the last form posted.
pub async fn redeem(
    browser: &Browser,
    url: &str,
    form: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    redeem_consenting(browser, url, form, fields, |_| {}).await
}

/// [`redeem`], with `check` run on the consent page before it is accepted.
pub async fn redeem_consenting(
    browser: &Browser,
    url: &str,
    form: &str,
    fields: &[(&str, &str)],
    check: impl FnOnce(&str),
) -> reqwest::Response {
    let resp = browser
        .submit_form(url, &format!("{url}/{form}"), fields)
        .await;
    if resp.status() != 303 {
        return resp;
    }
    let consent = oidc::location(&resp);
    let page = browser.page(&consent).await;
    check(&page);
    browser
        .post_form(
            &format!("{url}/consent"),
            &[
                ("csrf", &hidden(&page, "csrf").expect("the consent form")),
                ("decision", "accept"),
            ],
        )
        .await
}

/// The fields of the `register` form of an invitation: a new account named `display_name` with
/// [`PASSWORD`].
pub fn registration(display_name: &str) -> [(&str, &str); 3] {
    [
        ("display_name", display_name),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ]
}

/// [`redeem`] by registering a new account named `display_name` with [`PASSWORD`].
pub async fn register_as_guest(
    browser: &Browser,
    url: &str,
    display_name: &str,
) -> reqwest::Response {
    redeem(browser, url, "register", &registration(display_name)).await
}
