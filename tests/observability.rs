//! What operators watch: `/metrics` after real sign-ins, token grants and invitations (bounded labels,
//! no ids), `/healthz` and `/readyz`, request ids, structured request logs that never carry a ticket or
//! a code, and a graceful shutdown of the binary on SIGTERM.

mod common;

use common::*;
use common::{cli, invite};
use guestlist::config::LogFormat;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

/// One sample of the text exposition: name, labels, value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse_labels(text: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut chars = text.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        assert_eq!(chars.next(), Some('"'), "a quoted label value in {text}");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(other) => value.push(other),
                    None => break,
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key.trim_start_matches(',').to_string(), value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
    labels
}

fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("name and value");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (
                    name.to_string(),
                    parse_labels(rest.strip_suffix('}').expect("closing brace")),
                ),
                None => (series.to_string(), BTreeMap::new()),
            };
            Sample {
                name,
                labels,
                value: value
                    .parse()
                    .unwrap_or_else(|_| panic!("a number in {line}")),
            }
        })
        .collect()
}

struct Scrape(Vec<Sample>);

impl Scrape {
    /// The sum of the samples of `name` whose labels include `labels` (0 when none).
    fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.0
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.0.iter().any(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }
}

async fn scrape(server: &TestServer) -> Scrape {
    let answer = send(server, "GET", "/metrics", None, Body::None, &[]).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain; version=0.0.4"),
        "Prometheus text format"
    );
    Scrape(parse(&answer.text))
}

/// Every secret and id that the scenario handled, which must appear in no label and no log line.
#[derive(Debug, Default)]
struct Handled {
    code: String,
    ticket: String,
    refresh_tokens: Vec<String>,
    access_tokens: Vec<String>,
    client_secret: String,
    ids: Vec<String>,
}

impl Handled {
    fn secrets(&self) -> Vec<&str> {
        let mut all = vec![
            self.code.as_str(),
            self.ticket.as_str(),
            self.client_secret.as_str(),
            PASSWORD,
        ];
        all.extend(self.refresh_tokens.iter().map(String::as_str));
        all.extend(self.access_tokens.iter().map(String::as_str));
        all
    }
}

const TOKEN_REQUEST_ID: &str = "obs-token-exchange-1";
const REDEEM_REQUEST_ID: &str = "obs-redeem-1";

/// A sign-in with the code flow, its token exchange, a refresh and a replayed refresh token, client
/// credentials, a failed sign-in, and an invitation redeemed by registering.
async fn scenario(server: &TestServer) -> Handled {
    let alice = server.member("alice@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let secret = app.client_secret.clone().unwrap();
    let mut handled = Handled {
        client_secret: secret.clone(),
        ids: vec![
            alice.id.clone(),
            app.id.clone(),
            app.client_id.clone(),
            server.tenant.id.clone(),
        ],
        ..Handled::default()
    };

    let browser = server.browser();
    let start = format!(
        "{}/authorize?client_id={}&redirect_uri={REDIRECT}&response_type=code&scope=openid%20offline_access&state=st-obs&nonce=n-obs",
        server.issuer(),
        app.client_id
    );
    let callback = browser.callback(&start, "alice@contoso.example").await;
    handled.code = query_of(&callback)["code"].clone();

    let http = server.rp_http();
    let token_url = format!("{}/token", server.issuer());
    let exchanged: serde_json::Value = {
        let resp = http
            .post(&token_url)
            .basic_auth(&app.client_id, Some(&secret))
            .header("X-Request-Id", TOKEN_REQUEST_ID)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", handled.code.as_str()),
                ("redirect_uri", REDIRECT),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["x-request-id"], TOKEN_REQUEST_ID);
        resp.json().await.unwrap()
    };
    let first_rt = exchanged["refresh_token"].as_str().unwrap().to_string();
    handled
        .access_tokens
        .push(exchanged["access_token"].as_str().unwrap().into());
    let refresh = |rt: String| {
        let (http, url, id, secret) = (
            http.clone(),
            token_url.clone(),
            app.client_id.clone(),
            secret.clone(),
        );
        async move {
            http.post(url)
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let refreshed = refresh(first_rt.clone()).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: serde_json::Value = refreshed.json().await.unwrap();
    handled.refresh_tokens.push(first_rt.clone());
    handled
        .refresh_tokens
        .push(refreshed["refresh_token"].as_str().unwrap().into());
    let replayed = refresh(first_rt).await;
    assert_eq!(replayed.status(), 400, "a spent refresh token is reuse");

    let cc = token_request(server, &app, &[("grant_type", "client_credentials")]).await;
    assert_eq!(cc.status(), 200);
    let cc: serde_json::Value = cc.json().await.unwrap();
    handled
        .access_tokens
        .push(cc["access_token"].as_str().unwrap().into());

    // A wrong email: the sign-in page answers with the form again, and the one message for bad
    // credentials.
    let stranger = server.browser();
    match stranger
        .run_flow(&start, "nobody@contoso.example", "accept")
        .await
    {
        Step::Page(status, body) => {
            assert_eq!(status, 401, "{body}");
            assert!(
                body.contains("The email or password is not right."),
                "{body}"
            );
        }
        Step::Callback(url) => panic!("an unknown account signed in: {url}"),
    }

    let mut request = invite::invite_request("bob@fabrikam.example");
    request.display_name = Some("Bob".into());
    let invite::Invited {
        invitation_id,
        user_id,
        redeem_url,
    } = invite::invite(server, request).await;
    handled.ids.extend([user_id, invitation_id]);
    handled.ticket = redeem_url.rsplit('/').next().unwrap().to_string();
    let guest = server.browser();
    let page = guest
        .client
        .get(&redeem_url)
        .header("X-Request-Id", REDEEM_REQUEST_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-request-id"], REDEEM_REQUEST_ID);
    let accepted = register_as_guest(&guest, &redeem_url, "Bob").await;
    assert_eq!(accepted.status(), 303, "the invitation is redeemed");
    handled
}

#[actix_web::test]
async fn metrics_count_sign_ins_tokens_and_invitations_with_bounded_labels() {
    let server = TestServer::start().await;
    let before = scrape(&server).await;
    let handled = scenario(&server).await;
    let after = scrape(&server).await;
    // Counters are per process and tests run side by side: each grew by at least this test's share.
    let grew = |name: &str, labels: &[(&str, &str)], by: f64| {
        let delta = after.sum(name, labels) - before.sum(name, labels);
        assert!(
            delta >= by,
            "{name}{labels:?} grew by {delta}, expected {by}"
        );
    };
    grew("guestlist_sign_ins_total", &[("outcome", "success")], 1.0);
    grew(
        "guestlist_sign_ins_total",
        &[("outcome", "bad_credentials")],
        1.0,
    );
    for grant in ["authorization_code", "refresh_token", "client_credentials"] {
        grew(
            "guestlist_tokens_issued_total",
            &[("grant_type", grant)],
            1.0,
        );
    }
    grew(
        "guestlist_token_reuse_detected_total",
        &[("kind", "refresh_token")],
        1.0,
    );
    grew("guestlist_invitations_total", &[("event", "created")], 1.0);
    grew("guestlist_invitations_total", &[("event", "redeemed")], 1.0);
    grew(
        "guestlist_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/t/{slug}/token"),
            ("status", "200"),
        ],
        3.0,
    );
    grew(
        "guestlist_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/t/{slug}/token"),
            ("status", "400"),
        ],
        1.0,
    );
    grew(
        "guestlist_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/invite/{ticket}"),
            ("status", "200"),
        ],
        1.0,
    );
    grew(
        "guestlist_http_request_duration_seconds_count",
        &[("route", "/t/{slug}/authorize"), ("status_class", "3xx")],
        1.0,
    );
    assert!(after.has("guestlist_http_requests_in_flight", &[]));

    // Scrape-time gauges: the outbox (the invitation email was queued; no delivery worker runs in this
    // server, so it is still pending) and the pools.
    let (pending, failed) = server
        .svc
        .store
        .read(|c| {
            Ok((
                guestlist::store::queries::outbox::depth(c)?,
                guestlist::store::queries::outbox::failed_count(c)?,
            ))
        })
        .await
        .unwrap();
    assert!(pending >= 1, "the invitation email is queued");
    assert_eq!(
        after.sum("guestlist_outbox_messages", &[("state", "pending")]),
        pending as f64
    );
    assert!(after.has("guestlist_outbox_messages", &[("state", "failed")]));
    assert_eq!(
        after.sum("guestlist_outbox_messages", &[("state", "failed")]),
        failed as f64
    );
    let pools: Vec<&str> = if server.db.is_postgres() {
        vec!["shared"]
    } else {
        vec!["read", "write"]
    };
    for pool in pools {
        assert!(after.has(
            "guestlist_db_pool_connections",
            &[("pool", pool), ("state", "in_use")]
        ));
        assert!(after.has(
            "guestlist_db_pool_connections",
            &[("pool", pool), ("state", "idle")]
        ));
        assert!(after.sum("guestlist_db_pool_max_connections", &[("pool", pool)]) >= 1.0);
    }
    assert!(after.sum("guestlist_signing_keys", &[]) >= 1.0);
    assert!(after.has("guestlist_db_admission_waits_total", &[("gate", "read")]));

    // Bounded labels: route patterns only, nothing that names a tenant, a user, a client or a secret.
    for s in &after.0 {
        for (key, value) in &s.labels {
            if key == "route" {
                assert!(
                    value == "unmatched" || value.starts_with('/'),
                    "{}: route {value}",
                    s.name
                );
                assert!(!value.contains("contoso"), "a raw path as a label: {value}");
            }
            for secret in handled
                .secrets()
                .into_iter()
                .chain(handled.ids.iter().map(String::as_str))
            {
                assert!(!value.contains(secret), "{} label {key}={value}", s.name);
            }
        }
    }
}

#[actix_web::test]
async fn metrics_can_require_a_bearer_token() {
    let server = TestServer::start_with(|c| c.metrics_token = Some("scrape-token".into())).await;
    let http = server.rp_http();
    let bare = http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    assert!(bare.headers().contains_key("www-authenticate"));
    let wrong = http
        .get(server.url("/metrics"))
        .bearer_auth("scrape-tokem")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let right = http
        .get(server.url("/metrics"))
        .bearer_auth("scrape-token")
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("guestlist_http_requests_total")
    );
}

#[actix_web::test]
async fn health_and_readiness_list_their_checks() {
    let server = TestServer::start().await;
    let http = server.rp_http();
    let health = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["failed"], serde_json::json!([]));
    assert_eq!(body["checks"]["database"]["ok"], true);
    let migrations = &body["checks"]["migrations"];
    assert_eq!(migrations["ok"], true);
    assert_eq!(migrations["pending"], 0);
    assert!(migrations["embedded"].as_u64().unwrap() >= 1);
    assert_eq!(migrations["applied"], migrations["embedded"]);
    assert_eq!(body["checks"]["keys"]["ok"], true);
    assert!(body["checks"]["keys"]["loaded"].as_u64().unwrap() >= 1);

    // A database that misses one of this build's migrations is not ready, and says why.
    server
        .svc
        .store
        .write(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query(
                "DELETE FROM __diesel_schema_migrations WHERE version = (SELECT MAX(version) FROM __diesel_schema_migrations)",
            )
            .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let unready = http.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(unready.status(), 503);
    let body: serde_json::Value = unready.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["failed"], serde_json::json!(["migrations"]));
    assert_eq!(body["checks"]["migrations"]["pending"], 1);
    assert_eq!(body["checks"]["database"]["ok"], true);
}

#[actix_web::test]
async fn request_ids_round_trip_or_are_made_up() {
    let server = TestServer::start().await;
    let http = server.rp_http();
    let get = |id: Option<&str>| {
        let mut req = http.get(server.url("/t/contoso/jwks"));
        if let Some(id) = id {
            req = req.header("X-Request-Id", id);
        }
        async move {
            let resp = req.send().await.unwrap();
            resp.headers()["x-request-id"].to_str().unwrap().to_string()
        }
    };
    assert_eq!(get(Some("lb-7f3a.42_x")).await, "lb-7f3a.42_x");
    let made = get(None).await;
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
    assert_ne!(get(None).await, made, "each request gets its own id");
    for odd in ["has space", "a/b", &"x".repeat(65)] {
        let replaced = get(Some(odd)).await;
        assert_ne!(replaced, odd);
        assert!(uuid::Uuid::parse_str(&replaced).is_ok(), "{replaced}");
    }
    // Unknown paths and errors carry an id too.
    let missing = http.get(server.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
}

/// Log lines written by this test binary, as the server writes them (JSON format).
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let writer = move || Sink(sink.clone());
        tracing::subscriber::set_global_default(guestlist::observability::logging::subscriber(
            "info",
            LogFormat::Json,
            writer,
            false,
        ))
        .expect("the first subscriber of this test binary");
        buffer
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The request lines (`message` = `request`) of a JSON log.
fn request_lines(log: &str) -> Vec<serde_json::Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["message"] == "request" && v["target"] == "guestlist::request")
        .collect()
}

#[actix_web::test]
async fn request_logs_carry_route_and_request_id_but_never_tickets_or_codes() {
    let logs = captured_logs();
    let server = TestServer::start().await;
    let handled = scenario(&server).await;
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let lines = request_lines(&text);
    let line_of = |request_id: &str| {
        lines
            .iter()
            .find(|l| l["span"]["request_id"] == request_id)
            .unwrap_or_else(|| panic!("no request line with id {request_id} in\n{text}"))
            .clone()
    };
    let token = line_of(TOKEN_REQUEST_ID);
    assert_eq!(token["route"], "/t/{slug}/token");
    assert_eq!(token["span"]["method"], "POST");
    assert_eq!(token["status"], 200);
    assert!(
        token["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0),
        "a token request that checks a client secret takes measurable time: {token}"
    );
    assert_eq!(token["level"], "INFO");
    let redeem = line_of(REDEEM_REQUEST_ID);
    assert_eq!(redeem["route"], "/invite/{ticket}");
    assert_eq!(redeem["status"], 200);
    assert!(
        lines.iter().any(|l| l["route"] == "/t/{slug}/authorize"),
        "authorization requests are logged by their route"
    );
    for (n, line) in text.lines().enumerate() {
        for secret in handled.secrets() {
            assert!(
                !line.contains(secret),
                "log line {n} holds a secret ({secret}): {line}"
            );
        }
        assert!(!line.contains("state=st-obs"), "a query string: {line}");
        assert!(!line.contains("/t/contoso/"), "a raw path: {line}");
    }
}

/// `guestlist serve` as a child process, its stderr collected.
struct Served {
    child: std::process::Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        // Only this test's own child, by its handle; a no-op once it exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary on `db`, logging JSON lines at info.
fn guestlist(db: &TestDatabase) -> Command {
    let mut env = cli::database_env(db);
    env.push(("GUESTLIST_LOG", "info".into()));
    env.push(("GUESTLIST_LOG_FORMAT", "json".into()));
    let mut c = cli::command(&env);
    c.current_dir(db.dir.path());
    c
}

/// Runs the binary on `db` with `--json` and `args`, which must succeed and print one JSON object.
fn run_json(db: &TestDatabase, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    cli::run(guestlist(db), &all, None).json()
}

fn serve(db: &TestDatabase) -> Served {
    let mut child = guestlist(db)
        .arg("serve")
        .env("GUESTLIST_LISTEN", "127.0.0.1:0")
        .env("GUESTLIST_SHUTDOWN_TIMEOUT", "20")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    {
        let (sink, mut pipe) = (stderr.clone(), child.stderr.take().unwrap());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split_once("listening on http://")
                .map(|(_, rest)| rest.split_whitespace().next().unwrap().to_string())
        })
        .expect("serve prints its address");
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Served {
        child,
        addr,
        stderr,
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body.
fn read_response(stream: &mut BufReader<std::net::TcpStream>) -> (String, String) {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stream.read_line(&mut line).unwrap() > 0,
            "the connection closed early: {head}"
        );
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("gave up waiting: {what}");
}

#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_cleanly() {
    let db = TestDatabase::new();
    run_json(&db, &cli::CREATE_CONTOSO);
    let app = run_json(
        &db,
        &[
            "app",
            "create",
            "--tenant",
            "contoso",
            "--name",
            "Batch",
            "--redirect-uri",
            REDIRECT,
        ],
    );
    let (client_id, secret) = (
        app["clientId"].as_str().unwrap().to_string(),
        app["clientSecret"].as_str().unwrap().to_string(),
    );
    let mut served = serve(&db);

    // A token request whose body waits for `100 Continue`: once the server answers that, the request
    // has started (it is in flight) when the signal comes, and its body follows only afterwards.
    let stream = std::net::TcpStream::connect(&served.addr).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let body =
        format!("grant_type=client_credentials&client_id={client_id}&client_secret={secret}");
    write!(
        writer,
        "POST /t/contoso/token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\nX-Request-Id: in-flight-1\r\nConnection: close\r\n\r\n",
        served.addr,
        body.len()
    )
    .unwrap();
    writer.flush().unwrap();
    let mut interim = String::new();
    reader.read_line(&mut interim).unwrap();
    assert!(interim.starts_with("HTTP/1.1 100"), "{interim}");
    let mut blank = String::new();
    reader.read_line(&mut blank).unwrap();
    assert_eq!(blank, "\r\n");

    let status = Command::new("kill")
        .args(["-TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let stderr = served.stderr.clone();
    wait_until("the server logs that it is shutting down", || {
        stderr.lock().unwrap().contains("shutting down")
    });
    // No new connections are taken.
    let addr = served.addr.clone();
    wait_until("the listener closes", || {
        std::net::TcpStream::connect(&addr).is_err()
    });
    assert!(
        served.child.try_wait().unwrap().is_none(),
        "the server waits for the request in flight:\n{}",
        stderr.lock().unwrap()
    );

    if let Err(e) = writer.write_all(body.as_bytes()) {
        let mut got = String::new();
        let _ = reader.read_to_string(&mut got);
        panic!(
            "the rest of the body: {e}\nreceived {got:?}\n{}",
            stderr.lock().unwrap()
        );
    }
    writer.flush().unwrap();
    let (head, body) = read_response(&mut reader);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-request-id: in-flight-1"),
        "{head}"
    );
    let token: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(token["token_type"], "Bearer");

    let mut exit = None;
    wait_until("the server exits", || {
        exit = served.child.try_wait().unwrap();
        exit.is_some()
    });
    assert!(exit.unwrap().success(), "exit status {exit:?}");

    let log = stderr.lock().unwrap().clone();
    let lines = request_lines(&log);
    let line = lines
        .iter()
        .find(|l| l["span"]["request_id"] == "in-flight-1")
        .unwrap_or_else(|| panic!("the in-flight request is logged:\n{log}"));
    assert_eq!(line["route"], "/t/{slug}/token");
    assert_eq!(line["status"], 200);
    assert!(log.contains("the outbox worker stopped"), "{log}");
    assert!(!log.contains(&secret), "the client secret is not logged");
}
