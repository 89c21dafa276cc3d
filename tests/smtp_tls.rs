//! Mail through a real SMTP server: `.ci/smtp-sink.py` (aiosmtpd) on loopback offers STARTTLS with a
//! certificate from a CA made here, requires it before AUTH and MAIL, and requires AUTH. The server's
//! outbox trusts that CA through `smtp_ca_file`; each test reads what arrived through the sink's HTTP API.
//!
//! - An invitation email arrives over STARTTLS with AUTH, and its link opens the redemption page.
//! - A CA that does not match keeps the email queued with the TLS error; a second server instance with
//!   the right CA on the same database delivers it, once.
//! - An SMTP outage during a bulk upload of 200 invitations delays them (failed attempts, backoff) and
//!   loses none: each recipient gets exactly one email once the sink is up.
//!
//! The sink runs under `GUESTLIST_TEST_PYTHON` (default `python3`). Without aiosmtpd these tests print
//! a SKIPPED line and pass, unless `GUESTLIST_REQUIRE_SMTP_SINK=1` (as `.ci/run` sets) makes that a
//! failure.

mod common;

use common::mail::outbox_rows;
use common::{TestDatabase, TestServer, invite};
use guestlist::config::Config;
use guestlist::mail::sender;
use guestlist::mail::transport::Transport;
use guestlist::server;
use guestlist::service::auth::Actor;
use guestlist::service::invitations::{CsvUpload, InviteRequest, invite, invite_from_csv};
use guestlist::store::Store;
use guestlist::store::models::OutboxRow;
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Name, X509NameBuilder};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SMTP_USER: &str = "guestlist";
/// Has characters that the URL carries percent-encoded (`SMTP_PASSWORD_IN_URL`).
const SMTP_PASSWORD: &str = "s3cret/p:ss";
const SMTP_PASSWORD_IN_URL: &str = "s3cret%2Fp%3Ass";

// ---------------------------------------------------------------------------------------------------
// The sink.

fn python() -> String {
    std::env::var("GUESTLIST_TEST_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

fn sink_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/smtp-sink.py")
}

/// Whether the sink can run here. When it cannot, `GUESTLIST_REQUIRE_SMTP_SINK=1` makes that a failure;
/// otherwise a SKIPPED line goes to the terminal (past the test harness's capture) and the test passes.
fn sink_available(test: &str) -> bool {
    let py = python();
    let probe = Command::new(&py)
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .output();
    let problem = match probe {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!(
            "{py} cannot import aiosmtpd: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or_default()
                .trim()
        ),
        Err(e) => format!("cannot run {py}: {e}"),
    };
    common::cannot_run(
        "SMTP_SINK",
        &format!("smtp_tls::{test}"),
        &format!("{problem}; set GUESTLIST_TEST_PYTHON to a python with aiosmtpd"),
    );
    false
}

/// A message as the sink's `GET /messages` reports it.
#[derive(Debug, Clone, Deserialize)]
struct Received {
    from: String,
    to: Vec<String>,
    subject: String,
    raw: String,
    tls: bool,
    tls_version: Option<String>,
    auth: bool,
    user: Option<String>,
}

/// A running `.ci/smtp-sink.py`; killed when dropped.
struct Sink {
    child: Child,
    smtp_port: u16,
    http_port: u16,
    log: PathBuf,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Ports {
    smtp_port: u16,
    http_port: u16,
}

impl Sink {
    /// Starts the sink with the server certificate of `pki`, requiring AUTH as `SMTP_USER`, on
    /// `smtp_port` (0: any free port), and waits until it listens.
    async fn start(pki: &Pki, smtp_port: u16) -> Sink {
        let log = pki
            .dir
            .join(format!("sink-{}.log", uuid::Uuid::new_v4().simple()));
        let mut child = Command::new(python())
            .arg(sink_script())
            .args(["--cert", &pki.server_cert.display().to_string()])
            .args(["--key", &pki.server_key.display().to_string()])
            .args(["--user", SMTP_USER, "--password", SMTP_PASSWORD])
            .args(["--smtp-port", &smtp_port.to_string(), "--verbose"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start .ci/smtp-sink.py");
        let stdout = child.stdout.take().unwrap();
        // The first line says where it listens; reading it blocks, so not on the test's runtime thread.
        let line = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                std::io::BufReader::new(stdout)
                    .read_line(&mut line)
                    .map(|_| line)
            }),
        )
        .await;
        let line = match line {
            Ok(Ok(Ok(line))) if !line.trim().is_empty() => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the sink did not start ({other:?}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let ports: Ports = serde_json::from_str(line.trim()).expect("the sink's ports line");
        if smtp_port != 0 {
            assert_eq!(ports.smtp_port, smtp_port);
        }
        Sink {
            child,
            smtp_port: ports.smtp_port,
            http_port: ports.http_port,
            log,
            http: reqwest::Client::new(),
        }
    }

    fn api(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn messages(&self) -> Vec<Received> {
        let resp = self
            .http
            .get(self.api("/messages"))
            .send()
            .await
            .expect("GET /messages");
        assert_eq!(resp.status(), 200);
        resp.json().await.expect("the sink's messages")
    }

    async fn clear(&self) -> usize {
        let body: serde_json::Value = self
            .http
            .delete(self.api("/messages"))
            .send()
            .await
            .expect("DELETE /messages")
            .json()
            .await
            .unwrap();
        body["deleted"].as_u64().unwrap() as usize
    }

    /// Polls the API until at least `n` messages arrived; panics after `within`.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.messages().await;
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "{} of {n} messages arrived within {within:?}; sink log:\n{}",
                got.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGTERM, and the sink exits by itself with status 0.
    async fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status}: {}", self.log());
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the sink ignored SIGTERM: {}", self.log());
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------------
// Certificates: a CA that issues the sink's certificate (127.0.0.1 and localhost), and another CA.

struct Pki {
    dir: PathBuf,
    /// The CA that issued the sink's certificate.
    ca: PathBuf,
    /// A CA that did not.
    other_ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn name(cn: &str) -> X509Name {
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    name.build()
}

fn certificate_builder(cn: &str, key: &PKey<Private>) -> X509Builder {
    let mut serial = BigNum::new().unwrap();
    serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
    let mut b = X509Builder::new().unwrap();
    b.set_version(2).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name(cn)).unwrap();
    b.set_pubkey(key).unwrap();
    let now = guestlist::clock::now();
    b.set_not_before(&Asn1Time::from_unix(now - 3600).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(now + 86_400).unwrap())
        .unwrap();
    b
}

fn make_ca(cn: &str) -> (X509, PKey<Private>) {
    let key = ec_key();
    let mut b = certificate_builder(cn, &key);
    b.set_issuer_name(&name(cn)).unwrap();
    b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .unwrap(),
    )
    .unwrap();
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .unwrap();
    b.append_extension(ski).unwrap();
    b.sign(&key, MessageDigest::sha256()).unwrap();
    (b.build(), key)
}

fn pki(dir: &Path) -> Pki {
    let (ca, ca_key) = make_ca("guestlist test SMTP CA");
    let (other, _) = make_ca("guestlist test SMTP CA");
    let key = ec_key();
    let mut b = certificate_builder("127.0.0.1", &key);
    b.set_issuer_name(ca.subject_name()).unwrap();
    b.append_extension(BasicConstraints::new().build().unwrap())
        .unwrap();
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .build()
            .unwrap(),
    )
    .unwrap();
    b.append_extension(ExtendedKeyUsage::new().server_auth().build().unwrap())
        .unwrap();
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .dns("localhost")
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(san).unwrap();
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&b.x509v3_context(Some(&ca), None))
        .unwrap();
    b.append_extension(aki).unwrap();
    b.sign(&ca_key, MessageDigest::sha256()).unwrap();
    let cert = b.build();

    let dir = dir.join("pki");
    std::fs::create_dir_all(&dir).unwrap();
    let pki = Pki {
        ca: dir.join("ca.pem"),
        other_ca: dir.join("other-ca.pem"),
        server_cert: dir.join("server.pem"),
        server_key: dir.join("server.key"),
        dir,
    };
    std::fs::write(&pki.ca, ca.to_pem().unwrap()).unwrap();
    std::fs::write(&pki.other_ca, other.to_pem().unwrap()).unwrap();
    std::fs::write(&pki.server_cert, cert.to_pem().unwrap()).unwrap();
    std::fs::write(&pki.server_key, key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    pki
}

// ---------------------------------------------------------------------------------------------------
// The server, its outbox, and the messages.

fn smtp_url(port: u16) -> String {
    format!("smtp://{SMTP_USER}:{SMTP_PASSWORD_IN_URL}@127.0.0.1:{port}?tls=starttls")
}

/// Sends through the sink on `port`, trusting `ca`, retrying after a second.
fn mail_settings(port: u16, ca: &Path) -> impl FnOnce(&mut Config) + Send + use<> {
    let ca = ca.to_path_buf();
    move |c: &mut Config| {
        c.smtp_url = Some(smtp_url(port));
        c.smtp_ca_file = Some(ca);
        c.mail_retry_delay = 1;
    }
}

/// An invitation of `email`, named `name`, with its email sent.
fn request(email: &str, name: &str) -> InviteRequest {
    let mut request = invite::invite_request(email);
    request.display_name = Some(name.into());
    request
}

/// Invites `email` with the email sent; returns the redeem URL.
async fn invite_guest(server: &TestServer, email: &str, name: &str) -> String {
    invite::invite(server, request(email, name))
        .await
        .redeem_url
}

/// Polls the tenant's outbox until `done` holds for its rows; panics with them after `within`.
async fn wait_outbox(
    store: &Store,
    tenant_id: &str,
    within: Duration,
    what: &str,
    done: impl Fn(&[OutboxRow]) -> bool,
) -> Vec<OutboxRow> {
    let start = Instant::now();
    loop {
        let rows = outbox_rows(store, tenant_id).await;
        if done(&rows) {
            return rows;
        }
        assert!(
            start.elapsed() < within,
            "the outbox did not reach \"{what}\" within {within:?}: {:#?}",
            rows.iter()
                .map(|r| (&r.recipient, &r.state, r.attempts, &r.last_error))
                .take(5)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A server instance on a thread and runtime of its own, so that the test can stop it, outbox worker
/// and all, and go on with its database: an operator's restart.
struct Instance {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<TestDatabase>>,
}

impl Instance {
    /// Starts a `TestServer` configured by `adjust`, runs `then` on it, and hands back its configuration
    /// and tenant id and what `then` returned.
    fn start<T: Send + 'static, F: std::future::Future<Output = T>>(
        adjust: impl FnOnce(&mut Config) + Send + 'static,
        then: impl FnOnce(&TestServer) -> F + Send + 'static,
    ) -> (Instance, Config, String, T) {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = TestServer::start_with(adjust).await;
                let value = then(&server).await;
                let config = (*server.svc.config).clone();
                ready_tx
                    .send((config, server.tenant.id.clone(), value))
                    .unwrap();
                let _ = stop_rx.await;
                let TestServer { db, .. } = server;
                db
            })
        });
        let (config, tenant_id, value) = ready_rx.recv().expect("the instance started");
        let instance = Instance {
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        (instance, config, tenant_id, value)
    }

    /// Stops the instance (its runtime and every task on it); its database stays.
    fn stop(mut self) -> TestDatabase {
        let _ = self.stop.take().unwrap().send(());
        self.thread
            .take()
            .unwrap()
            .join()
            .expect("the instance stopped")
    }
}

/// How many messages each envelope recipient got.
fn per_recipient(messages: &[Received]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for m in messages {
        for to in &m.to {
            *counts.entry(to.to_ascii_lowercase()).or_default() += 1;
        }
    }
    counts
}

fn assert_protected(m: &Received) {
    assert!(m.tls, "the session was STARTTLS'd: {m:?}");
    assert!(
        m.tls_version
            .as_deref()
            .is_some_and(|v| v.starts_with("TLSv1.")),
        "{m:?}"
    );
    assert!(m.auth, "the session authenticated: {m:?}");
    assert_eq!(m.user.as_deref(), Some(SMTP_USER));
}

// ---------------------------------------------------------------------------------------------------
// The tests.

#[actix_web::test]
async fn invitation_arrives_over_starttls_with_auth_and_its_link_opens_the_redemption_page() {
    if !sink_available("invitation_arrives_over_starttls") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = pki(tmp.path());
    let sink = Sink::start(&pki, 0).await;
    let server = TestServer::start_with(mail_settings(sink.smtp_port, &pki.ca)).await;

    let redeem_url = invite_guest(&server, "minsu@fabrikam.example", "Minsu Kim").await;
    let got = sink.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    assert_protected(m);
    assert_eq!(m.from, "no-reply@localhost");
    assert_eq!(m.to, vec!["minsu@fabrikam.example".to_string()]);
    assert_eq!(m.subject, "Administrator invited you to Contoso");

    let (store, tenant_id) = (&server.svc.store, server.tenant.id.as_str());
    let rows = wait_outbox(store, tenant_id, Duration::from_secs(10), "sent", |rows| {
        rows.iter().all(|r| r.state == "sent")
    })
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].attempts, 1, "delivered at the first attempt");
    assert!(
        m.raw.contains(&format!("Message-ID: <{}@", rows[0].id)),
        "the outbox's message: {}",
        m.raw
    );

    // The link in the message, decoded from its transfer encoding, is the one the invitation made and
    // opens the tenant's redemption page.
    let link = common::mail::invitation_link(&m.raw, &server.svc.config.public_url);
    assert_eq!(link, redeem_url);
    let browser = server.browser();
    let page = browser.get(&link).await;
    assert_eq!(page.status(), 200);
    let body = page.text().await.unwrap();
    assert!(
        body.contains("Contoso"),
        "the page names the tenant: {body}"
    );
    assert!(body.contains("csrf"), "the page offers its forms: {body}");

    // The sink holds the line too: no mail without STARTTLS, none without the password, and the
    // server's certificate is not trusted without the test CA.
    let from = sender(&server.svc.config.mail_from).unwrap();
    let raw = "Subject: probe\r\n\r\nprobe\r\n";
    let out = tmp.path().join("unused");
    let attempt = |transport: Transport| {
        let from = from.clone();
        async move {
            transport
                .deliver("probe", &from, "probe@fabrikam.example", raw)
                .await
                .expect_err("refused")
                .to_string()
        }
    };
    // (Without a user: lettre itself offers no credentials over a plain connection.)
    let plain = format!("smtp://127.0.0.1:{}", sink.smtp_port);
    let e = attempt(Transport::from_config(Some(&plain), out.clone()).unwrap()).await;
    assert!(e.contains("530"), "STARTTLS first: {e}");
    let wrong = format!(
        "smtp://{SMTP_USER}:nope@127.0.0.1:{}?tls=starttls",
        sink.smtp_port
    );
    let e =
        attempt(Transport::with_roots(Some(&wrong), Some(pki.ca.as_path()), out.clone()).unwrap())
            .await;
    assert!(e.contains("535"), "a wrong password: {e}");
    let e = attempt(Transport::from_config(Some(&smtp_url(sink.smtp_port)), out.clone()).unwrap())
        .await;
    assert!(
        e.to_ascii_lowercase().contains("certificate"),
        "the webpki roots alone do not trust the test CA: {e}"
    );
    assert_eq!(sink.messages().await.len(), 1, "no probe got through");
    assert_eq!(sink.clear().await, 1);
    assert!(sink.messages().await.is_empty());
    sink.terminate().await;
}

#[actix_web::test]
async fn a_certificate_of_another_ca_keeps_the_email_queued_until_the_right_ca_delivers_it_once() {
    if !sink_available("a_certificate_of_another_ca") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = pki(tmp.path());
    let sink = Sink::start(&pki, 0).await;
    // The first instance trusts a CA that did not issue the sink's certificate (one with the same
    // name, another key).
    let (first, config, tenant_id, ()) = Instance::start(
        mail_settings(sink.smtp_port, &pki.other_ca),
        |server: &TestServer| {
            let server_svc = server.svc.clone();
            let tenant = server.tenant.clone();
            async move {
                invite(
                    &server_svc,
                    &Actor::operator(),
                    &tenant,
                    request("ann@fabrikam.example", "Ann"),
                    None,
                )
                .await
                .expect("invite");
            }
        },
    );
    // The second instance, on the same database, trusts the right one; it is not running yet.
    let mut fixed_config = config.clone();
    fixed_config.smtp_ca_file = Some(pki.ca.clone());
    let fixed = server::prepare(fixed_config).expect("second instance");
    let store = &fixed.store;

    let rows = wait_outbox(
        store,
        &tenant_id,
        Duration::from_secs(30),
        "two failed attempts",
        |rows| rows.len() == 1 && rows[0].attempts >= 2,
    )
    .await;
    let row = &rows[0];
    assert_eq!(row.state, "pending", "still queued: {row:?}");
    assert!(row.sent_at.is_none());
    let error = row.last_error.clone().expect("the attempt's error");
    assert!(
        error.to_ascii_lowercase().contains("certificate"),
        "the TLS error is recorded: {error}"
    );
    assert!(
        row.next_attempt_at > row.created_at,
        "retried later: {row:?}"
    );
    assert!(sink.messages().await.is_empty(), "nothing was delivered");

    // The operator fixes the setting and restarts: the first instance stops, the second one runs.
    let db = first.stop();
    let id = row.id.clone();
    let row = store
        .read(move |c| guestlist::store::queries::outbox::by_id(c, &id))
        .await
        .unwrap()
        .expect("the message is still there");
    assert_eq!(row.state, "pending", "{row:?}");
    // Were it stopped in the middle of an attempt, its lease would have to run out first.
    let leased = row
        .claimed_until
        .map_or(0, |until| (until - guestlist::clock::now()).max(0) as u64);
    server::spawn_background(&fixed).expect("the second instance's background tasks");

    let got = sink.wait_for(1, Duration::from_secs(30 + leased)).await;
    assert_eq!(got[0].to, vec!["ann@fabrikam.example".to_string()]);
    assert_protected(&got[0]);
    let rows = wait_outbox(store, &tenant_id, Duration::from_secs(10), "sent", |rows| {
        rows[0].state == "sent"
    })
    .await;
    assert!(rows[0].attempts >= 3, "{:?}", rows[0]);
    assert!(rows[0].last_error.is_none(), "{:?}", rows[0]);
    // The worker goes round a few more times: nothing more arrives.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let got = sink.messages().await;
    assert_eq!(
        per_recipient(&got),
        BTreeMap::from([("ann@fabrikam.example".to_string(), 1)]),
        "delivered exactly once"
    );
    drop(fixed);
    drop(db);
}

#[actix_web::test]
async fn an_smtp_outage_during_a_bulk_upload_delays_mail_and_loses_none() {
    if !sink_available("an_smtp_outage_during_a_bulk_upload") {
        return;
    }
    const GUESTS: usize = 200;
    let tmp = tempfile::tempdir().unwrap();
    let pki = pki(tmp.path());
    // The sink's port, free for now: nothing listens there during the outage.
    let port = common::free_port();
    let server = TestServer::start_with(mail_settings(port, &pki.ca)).await;

    let mut csv = String::from(
        "Email,DisplayName,InvitationText,InvitedToApplications,InvitedToGroups,\
         InviteRedirectURL,CcEmailAddress,Language\r\n",
    );
    for i in 0..GUESTS {
        csv.push_str(&format!(
            "guest{i:03}@fabrikam.example,Guest {i},,,,,,en\r\n"
        ));
    }
    let report = invite_from_csv(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        CsvUpload {
            file_name: "outage.csv",
            bytes: csv.as_bytes(),
            max_rows: 2000,
            validate_only: false,
        },
        &|_, _| {},
    )
    .await
    .expect("upload");
    assert_eq!(report.created, GUESTS, "{report:?}");

    // Every email is queued and has failed at least twice, each retry later than the one before.
    let (store, tenant_id) = (&server.svc.store, server.tenant.id.as_str());
    let rows = wait_outbox(
        store,
        tenant_id,
        Duration::from_secs(90),
        "every message failed twice",
        |rows| rows.len() == GUESTS && rows.iter().all(|r| r.attempts >= 2),
    )
    .await;
    let base = server.svc.config.mail_retry_delay;
    assert_eq!(base, 1);
    for r in &rows {
        assert_eq!(r.state, "pending", "{r:?}");
        let error = r.last_error.as_deref().unwrap_or_default();
        assert!(error.contains("SMTP"), "{r:?}");
        // Each failed attempt n waited base · 2^(n-1) after the previous one.
        let backoff = base * ((1i64 << r.attempts.min(11)) - 1);
        assert!(
            r.next_attempt_at >= r.created_at + backoff,
            "backoff after {} attempts: {r:?}",
            r.attempts
        );
    }

    // The mail server comes back on the same port: every invitation's email arrives, once.
    let sink = Sink::start(&pki, port).await;
    let got = sink.wait_for(GUESTS, Duration::from_secs(120)).await;
    wait_outbox(
        store,
        tenant_id,
        Duration::from_secs(30),
        "all sent",
        |rows| rows.iter().all(|r| r.state == "sent"),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let got_later = sink.messages().await;
    assert_eq!(got_later.len(), got.len(), "nothing arrived twice later");
    let counts = per_recipient(&got_later);
    let expected: BTreeMap<String, usize> = (0..GUESTS)
        .map(|i| (format!("guest{i:03}@fabrikam.example"), 1))
        .collect();
    assert_eq!(counts, expected, "every invitation's email exactly once");
    for m in &got_later {
        assert_protected(m);
        assert!(m.subject.contains("Contoso"), "{m:?}");
    }
}
