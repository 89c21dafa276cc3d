//! Real `guestlist` processes for the scale-out and fault tests: the binary started with its own
//! environment on a free loopback port, the CLI to seed it, and a browser-like client to drive sign-in.
//! Every process is stopped by its PID when the test drops it.

#![allow(dead_code)]

use crate::common::cli::{self, Run};
use crate::common::{Step, follow_flow};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use crate::common::{PASSWORD, REDIRECT, client_credentials_token, query_of};

/// The PostgreSQL server the suite uses (`GUESTLIST_TEST_DATABASE_URL`), when set.
pub fn pg_admin_url() -> Option<String> {
    std::env::var("GUESTLIST_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

pub use crate::common::free_port;

/// What a process needs: database, keys, its own data directory, and the public URL it names.
#[derive(Clone)]
pub struct Setup {
    pub database_url: String,
    pub keys_dir: PathBuf,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub extra: Vec<(String, String)>,
}

impl Setup {
    /// The binary with this setup's configuration, in the directory above its data directory.
    fn command(&self) -> Command {
        let mut vars = vec![
            ("GUESTLIST_DATABASE_URL", self.database_url.clone()),
            ("GUESTLIST_KEYS_DIR", self.keys_dir.display().to_string()),
            ("GUESTLIST_DATA_DIR", self.data_dir.display().to_string()),
            ("GUESTLIST_PUBLIC_URL", self.public_url.clone()),
        ];
        vars.extend(self.extra.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let mut c = cli::command(&vars);
        c.current_dir(self.data_dir.parent().unwrap_or(Path::new("/")));
        c
    }

    /// Runs the CLI with `args` (and `stdin`); panics with its stderr when it fails.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        let run = self.try_cli(args, stdin);
        assert!(run.ok(), "guestlist {args:?} failed: {}", run.err);
        run.out
    }

    pub fn try_cli(&self, args: &[&str], stdin: Option<&str>) -> Run {
        cli::run(self.command(), args, stdin)
    }

    pub fn cli_json(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.try_cli(&all, stdin).json()
    }

    /// Starts `guestlist serve` on `port` (not waiting for it).
    pub fn spawn(&self, port: u16) -> Node {
        std::fs::create_dir_all(&self.data_dir).unwrap();
        // Beside the keys directory: the data directory may be read-only or full in a test.
        let log = self.keys_dir.with_file_name(format!("serve-{port}.log"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut c = self.command();
        c.arg("serve")
            .env("GUESTLIST_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = c.spawn().expect("start guestlist serve");
        Node {
            child: Some(child),
            port,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }
}

/// A running `guestlist serve`.
pub struct Node {
    child: Option<Child>,
    pub port: u16,
    /// This process's own address (requests go here; the public URL may name another).
    pub base: String,
    pub log: PathBuf,
}

impl Node {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Whether the process still runs (it has not exited, and was not killed or stopped).
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `/readyz` answers 200; panics with the log after `timeout`.
    pub async fn ready(&mut self, timeout: Duration) -> Duration {
        let start = Instant::now();
        let http = plain_client();
        while start.elapsed() < timeout {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                panic!("{} exited ({status}): {}", self.base, self.log_text());
            }
            if let Ok(r) = http.get(self.url("/readyz")).send().await
                && r.status() == 200
            {
                return start.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "{} not ready after {timeout:?}: {}",
            self.base,
            self.log_text()
        );
    }

    /// `kill -9` by PID, then reaps the process.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM by PID, waiting up to 15 s for it to end, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut c) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A client without cookies or redirects.
pub use crate::common::http_client as plain_client;

/// A client that keeps cookies and stops at every redirect, like a browser driven by a test. Cookies
/// are per host, not per port, so one jar serves every process on 127.0.0.1, as a load balancer's
/// single name would.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// What a seeded tenant gives a test.
pub struct Seeded {
    pub tenant: String,
    pub email: String,
    pub client_id: String,
    pub client_secret: String,
    /// An app that may call the admin API with `client_credentials`.
    pub admin_client_id: String,
    pub admin_client_secret: String,
}

impl Seeded {
    /// The tenant's issuer as the process at `base` serves it.
    pub fn issuer_at(&self, base: &str) -> String {
        format!("{base}/t/{}", self.tenant)
    }

    /// A `guestlist.admin` token of the admin-API app from the process at `base`.
    pub async fn admin_token(&self, base: &str) -> String {
        client_credentials_token(
            &plain_client(),
            &self.issuer_at(base),
            &self.admin_client_id,
            &self.admin_client_secret,
            "guestlist.admin",
        )
        .await
    }

    /// A `client_credentials` token of the first-party app for `scope` from the process at `base`.
    pub async fn app_token(&self, base: &str, scope: &str) -> String {
        client_credentials_token(
            &plain_client(),
            &self.issuer_at(base),
            &self.client_id,
            &self.client_secret,
            scope,
        )
        .await
    }

    /// A token request of the first-party app at the process at `base`: status and JSON body.
    pub async fn token_request(
        &self,
        base: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let answer = crate::common::token_call(
            &plain_client(),
            &self.issuer_at(base),
            Some((&self.client_id, &self.client_secret)),
            form,
        )
        .await;
        (answer.status, answer.json())
    }
}

/// Tenant `contoso` with one member (an Admin, so no process prints or voids a first-admin setup
/// link), a first-party app and an admin-API app, through the CLI.
pub fn seed(setup: &Setup) -> Seeded {
    setup.cli(&cli::CREATE_CONTOSO, None);
    let email = "alice@contoso.example";
    setup.cli(
        &[
            "user",
            "create",
            "--tenant",
            "contoso",
            "--email",
            email,
            "--name",
            "Alice",
            "--password-stdin",
            "--admin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let app = setup.cli_json(
        &[
            "app",
            "create",
            "--tenant",
            "contoso",
            "--name",
            "Moodle",
            "--redirect-uri",
            REDIRECT,
            "--first-party",
            "--allowed-scope",
            "api.read",
        ],
        None,
    );
    let admin = setup.cli_json(
        &[
            "app",
            "create",
            "--tenant",
            "contoso",
            "--name",
            "Automation",
            "--redirect-uri",
            "http://localhost/automation",
            "--allowed-scope",
            "guestlist.admin",
        ],
        None,
    );
    let s = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap().to_string();
    Seeded {
        tenant: "contoso".into(),
        email: email.into(),
        client_id: s(&app, "clientId"),
        client_secret: s(&app, "clientSecret"),
        admin_client_id: s(&admin, "clientId"),
        admin_client_secret: s(&admin, "clientSecret"),
    }
}

/// Follows an authorization request from `start` with `client`, signing in as `email` when asked and
/// accepting consent, sending every request to `base` (whatever host the redirects name), until the
/// app's redirect URI; returns that URL.
pub async fn authorize(client: &reqwest::Client, base: &str, start: &str, email: &str) -> String {
    let rebase = |u: &str| -> String {
        if u.starts_with('/') {
            return format!("{base}{u}");
        }
        let parsed = url::Url::parse(u).unwrap();
        let mut tail = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            tail = format!("{tail}?{q}");
        }
        format!("{base}{tail}")
    };
    let arrived = |u: &str| u.starts_with(REDIRECT);
    match follow_flow(client, rebase, arrived, start, email, "accept").await {
        Step::Callback(url) => url,
        Step::Page(status, body) => {
            panic!("the flow from {start} stopped at a page ({status}): {body}")
        }
    }
}

/// Uploads `csv` of invitations to contoso at the process at `base` with an admin `token`: status and
/// report; an error when the process never answers (it may be killed meanwhile).
pub async fn upload_invitations_csv(
    base: &str,
    token: &str,
    csv: String,
) -> reqwest::Result<(u16, serde_json::Value)> {
    let resp = plain_client()
        .post(format!("{base}/api/v1/tenants/contoso/invitations/csv"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .timeout(Duration::from_secs(300))
        .body(csv)
        .send()
        .await?;
    let status = resp.status().as_u16();
    Ok((status, resp.json().await.unwrap_or_default()))
}

/// A database connection for checks with SQL (either backend).
pub fn connect(url: &str) -> guestlist::store::connection::AnyConnection {
    guestlist::store::connection::ConnectionManager::new(url)
        .unwrap()
        .connect_now()
        .expect("connect to the test database")
}

/// One number from SQL (`SELECT count(*) …`).
pub fn count(c: &mut guestlist::store::connection::AnyConnection, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT ({sql}) AS n"))
        .get_result::<N>(c)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Polls `check` every 50 ms until it is true or `timeout` passes; returns whether it became true.
pub async fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}
