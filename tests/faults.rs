//! Faults, each bounded in time and on loopback only, with every process stopped by its PID:
//! `kill -9` during a CSV upload and during outbox sending, PostgreSQL restarted under load (a private
//! cluster, never the machine's), and SQLite on a read-only and on a full file system.
//!
//! The `kill -9` tests run on the suite's database (SQLite, or PostgreSQL when
//! `GUESTLIST_TEST_DATABASE_URL` is set); the PostgreSQL restart runs in the PostgreSQL pass, the
//! SQLite storage faults in the SQLite pass and as root only (they mount a small tmpfs). A test that
//! cannot run prints SKIPPED and why.

mod common;
mod processes;

use common::smtp::{FakeSmtp, SmtpBehaviour};
use processes::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A setup on the suite's database, with the keys and data directories in its temporary directory.
fn local_setup(db: &common::TestDatabase, port: u16) -> Setup {
    Setup {
        database_url: db.url(),
        keys_dir: db.dir.path().join("keys"),
        data_dir: db.dir.path().join("data"),
        public_url: format!("http://127.0.0.1:{port}"),
        extra: vec![],
    }
}

fn invitations_csv(rows: usize, group: Option<&str>) -> String {
    let mut text = String::from("Email,DisplayName,InvitedToGroups\r\n");
    for i in 0..rows {
        text.push_str(&format!(
            "guest{i}@fabrikam.example,Guest {i},{}\r\n",
            group.unwrap_or("")
        ));
    }
    text
}

/// Checks that every invited guest is whole (object, invitation, outbox email, audit event, group
/// membership) and nothing is half there; returns how many guests exist.
fn check_whole_rows(url: &str) -> i64 {
    let mut c = connect(url);
    let guests = count(
        &mut c,
        "SELECT count(*) FROM users WHERE creation_type = 'Invitation'",
    );
    let orphans = [
        (
            "invitations without their guest",
            "SELECT count(*) FROM invitations i WHERE NOT EXISTS \
             (SELECT 1 FROM users u WHERE u.id = i.user_id)",
        ),
        (
            "guests without an invitation",
            "SELECT count(*) FROM users u WHERE u.creation_type = 'Invitation' AND NOT EXISTS \
             (SELECT 1 FROM invitations i WHERE i.user_id = u.id)",
        ),
        (
            "invitations without their email in the outbox",
            "SELECT count(*) FROM invitations i WHERE i.outbox_id IS NULL OR NOT EXISTS \
             (SELECT 1 FROM outbox_messages o WHERE o.id = i.outbox_id)",
        ),
        (
            "invitation emails without an invitation",
            "SELECT count(*) FROM outbox_messages o WHERE o.kind = 'invitation' AND NOT EXISTS \
             (SELECT 1 FROM invitations i WHERE i.outbox_id = o.id)",
        ),
        (
            "guests without their audit event",
            "SELECT count(*) FROM users u WHERE u.creation_type = 'Invitation' AND NOT EXISTS \
             (SELECT 1 FROM audit_events a WHERE a.event_name = 'Invite external user' \
             AND a.target = u.id)",
        ),
        (
            "audit events of guests that do not exist",
            "SELECT count(*) FROM audit_events a WHERE a.event_name = 'Invite external user' \
             AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.target)",
        ),
        (
            "guests outside their group",
            "SELECT count(*) FROM users u WHERE u.creation_type = 'Invitation' AND NOT EXISTS \
             (SELECT 1 FROM group_members g WHERE g.user_id = u.id)",
        ),
        (
            "duplicate addresses",
            "SELECT count(*) - count(DISTINCT mail_lower) FROM users",
        ),
        (
            "guests invited twice",
            "SELECT count(*) - count(DISTINCT user_id) FROM invitations",
        ),
    ];
    for (what, sql) in orphans {
        assert_eq!(count(&mut c, sql), 0, "{what}");
    }
    guests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_csv_upload_leaves_whole_rows_and_a_reupload_completes_them() {
    const ROWS: usize = 2000;
    let db = common::TestDatabase::new();
    let port = free_port();
    let setup = local_setup(&db, port);
    let s = seed(&setup);
    let group = setup
        .cli(
            &[
                "group", "create", "--tenant", "contoso", "--name", "Partners",
            ],
            None,
        )
        .trim()
        .to_string();
    let csv = invitations_csv(ROWS, Some(&group));
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    let token = s.admin_token(&node.base).await;

    let base = node.base.clone();
    let (t, body) = (token.clone(), csv.clone());
    let upload = tokio::spawn(async move { upload_invitations_csv(&base, &t, body).await });
    // Kill the server once a good part of the rows exist, well before the last.
    let mut c = connect(&setup.database_url);
    let started = eventually(Duration::from_secs(120), || {
        count(&mut c, "SELECT count(*) FROM invitations") >= 150
    })
    .await;
    node.kill9();
    assert!(started, "the upload made progress: {}", node.log_text());
    let answer = upload.await.unwrap();
    assert!(
        answer.is_err(),
        "the upload was cut off by the kill, not answered: {answer:?}"
    );
    let created = check_whole_rows(&setup.database_url);
    println!("rows created before kill -9: {created} of {ROWS}");
    assert!(
        created > 0 && (created as usize) < ROWS,
        "the kill landed mid-upload ({created} rows)"
    );

    // After a restart, the same file again completes the rest, once each.
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    let (status, report) = upload_invitations_csv(&node.base, &token, csv)
        .await
        .unwrap();
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["failed"], 0, "{report}");
    assert_eq!(report["existing"], created, "{report}");
    assert_eq!(report["created"], ROWS as i64 - created, "{report}");
    assert_eq!(check_whole_rows(&setup.database_url), ROWS as i64);
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_outbox_sending_delivers_every_email_at_least_once_at_most_twice() {
    const MAILS: usize = 300;
    let db = common::TestDatabase::new();
    // A slow relay, so that the kill lands while messages are in flight.
    let smtp = FakeSmtp::start_with(SmtpBehaviour {
        delay: Duration::from_millis(40),
        ..Default::default()
    })
    .await;
    let port = free_port();
    let mut setup = local_setup(&db, port);
    setup.extra.push(("GUESTLIST_SMTP_URL".into(), smtp.url()));
    seed(&setup);
    // The emails are queued before any server runs (the CLI only writes the outbox).
    let csv_path = db.dir.path().join("invites.csv");
    std::fs::write(&csv_path, invitations_csv(MAILS, None)).unwrap();
    setup.cli(
        &[
            "invite",
            "--tenant",
            "contoso",
            "--csv",
            csv_path.to_str().unwrap(),
        ],
        None,
    );
    let mut node = setup.spawn(port);
    let sending = eventually(Duration::from_secs(60), || smtp.deliveries() >= 40).await;
    node.kill9();
    assert!(sending, "the worker started sending: {}", node.log_text());
    let mut c = connect(&setup.database_url);
    let at_kill = (
        smtp.deliveries(),
        count(
            &mut c,
            "SELECT count(*) FROM outbox_messages WHERE state = 'sent'",
        ),
        count(
            &mut c,
            "SELECT count(*) FROM outbox_messages WHERE state = 'pending' AND claim IS NOT NULL",
        ),
    );
    println!(
        "at kill -9: {} delivered, {} marked sent, {} claimed and not finished",
        at_kill.0, at_kill.1, at_kill.2
    );
    // The kill landed while sending: some emails out, not all of them.
    assert!(
        at_kill.0 < MAILS && (at_kill.1 as usize) < MAILS,
        "the kill landed mid-sending: {at_kill:?}"
    );

    // The restarted server sends the rest; messages the dead one had claimed wait for their lease
    // (2 minutes) to run out.
    let restarted = Instant::now();
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    let done = eventually(Duration::from_secs(240), || {
        count(
            &mut c,
            "SELECT count(*) FROM outbox_messages WHERE state <> 'sent'",
        ) == 0
    })
    .await;
    node.stop();
    assert!(done, "every message was sent after the restart");
    println!(
        "all {MAILS} sent {:?} after the restart",
        restarted.elapsed()
    );
    let got = smtp.per_recipient();
    let mut twice = 0;
    for i in 0..MAILS {
        let n = got
            .get(&format!("guest{i}@fabrikam.example"))
            .copied()
            .unwrap_or(0);
        assert!(
            (1..=2).contains(&n),
            "guest{i} got {n} copies of the invitation"
        );
        twice += usize::from(n == 2);
    }
    println!("delivered twice (sent, then killed before it was marked): {twice}");
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL restarted under load: a private cluster in a temporary directory.

struct PrivatePg {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    /// initdb refuses root: as root the cluster belongs to the `postgres` user.
    run_as_postgres: bool,
    _tmp: tempfile::TempDir,
}

impl PrivatePg {
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// initdb and start, or the reason why not.
    fn start() -> Result<PrivatePg, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|e| format!("no /usr/lib/postgresql: {e}"))?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
            .max()
            .ok_or("no initdb under /usr/lib/postgresql/*/bin")?;
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        let tmp = tempfile::Builder::new()
            .prefix("guestlist-pg-")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?;
        let dir = tmp.path().join("cluster");
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        if root {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(tmp.path())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !owned {
                return Err("running as root and cannot hand a directory to user postgres".into());
            }
        }
        let pg = PrivatePg {
            dir,
            bin,
            port: free_port(),
            run_as_postgres: root,
            _tmp: tmp,
        };
        let dir = pg.dir.to_str().unwrap().to_string();
        pg.run(
            "initdb",
            &[
                "-D",
                &dir,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        pg.start_again()?;
        Ok(pg)
    }

    fn start_again(&self) -> Result<(), String> {
        let dir = self.dir.to_str().unwrap();
        let options = format!("-p {} -k {dir} -c listen_addresses=127.0.0.1", self.port);
        let log = format!("{dir}/server.log");
        self.run(
            "pg_ctl",
            &[
                "-D", dir, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        )
    }

    /// `pg_ctl stop -m immediate`: the postmaster (by the PID in its pid file) ends every backend
    /// at once, as a crash would.
    fn stop_immediately(&self) -> Result<(), String> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.dir.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
    }

    fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        if self.dir.join("postmaster.pid").exists() {
            let _ = self.stop_immediately();
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    kind: &'static str,
    sent: Instant,
    took: Duration,
    status: u16,
}

/// Requests in a loop until `stop`: token requests, admin API reads and readiness, one client each.
fn load(
    base: String,
    s: &Seeded,
    api_token: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> (Arc<Mutex<Vec<Sample>>>, Vec<tokio::task::JoinHandle<()>>) {
    let samples: Arc<Mutex<Vec<Sample>>> = Arc::default();
    let mut tasks = Vec::new();
    for kind in ["token", "api", "readyz"] {
        let (base, samples, stop) = (base.clone(), samples.clone(), stop.clone());
        let (id, secret, api_token) = (
            s.client_id.clone(),
            s.client_secret.clone(),
            api_token.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = plain_client();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let req = match kind {
                    "token" => http
                        .post(format!("{base}/t/contoso/token"))
                        .basic_auth(&id, Some(&secret))
                        .form(&[("grant_type", "client_credentials"), ("scope", "api.read")]),
                    "api" => http
                        .get(format!("{base}/api/v1/tenants/contoso/users?$top=5"))
                        .bearer_auth(&api_token),
                    _ => http.get(format!("{base}/readyz")),
                };
                let sent = Instant::now();
                let status = match req.send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let _ = r.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                samples.lock().unwrap().push(Sample {
                    kind,
                    sent,
                    took: sent.elapsed(),
                    status,
                });
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    (samples, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_restarted_under_load_fails_fast_and_recovers_without_a_server_restart() {
    let test = "postgresql_restarted_under_load";
    if pg_admin_url().is_none() {
        common::other_pass(test, "PostgreSQL (GUESTLIST_TEST_DATABASE_URL)");
        return;
    }
    let pg = match PrivatePg::start() {
        Ok(pg) => pg,
        Err(reason) => {
            common::cannot_run(
                "PRIVATE_POSTGRES",
                test,
                &format!("no private cluster: {reason}"),
            );
            return;
        }
    };
    {
        use diesel::{Connection, RunQueryDsl, pg::PgConnection};
        guestlist::crypto::init();
        let mut c = PgConnection::establish(&pg.url("postgres")).expect("private cluster");
        diesel::sql_query("CREATE DATABASE guestlist")
            .execute(&mut c)
            .unwrap();
    }
    const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let setup = Setup {
        database_url: pg.url("guestlist"),
        keys_dir: dir.path().join("keys"),
        data_dir: dir.path().join("data"),
        public_url: format!("http://127.0.0.1:{port}"),
        extra: vec![
            (
                "GUESTLIST_DB_CONNECT_TIMEOUT".into(),
                CONNECT_TIMEOUT.as_secs_f64().to_string(),
            ),
            ("GUESTLIST_DB_POOL_SIZE".into(), "4".into()),
        ],
    };
    let s = seed(&setup);
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    let api_token = s.admin_token(&node.base).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (samples, tasks) = load(node.base.clone(), &s, api_token, stop.clone());

    // Polled states instead of fixed periods: the load is answered before the stop, and has met the
    // outage a few times on every database route before the cluster comes back.
    let answered =
        |samples: &Mutex<Vec<Sample>>, since: Instant, status: u16, kinds: &[&str], n: usize| {
            let samples = samples.lock().unwrap();
            kinds.iter().all(|k| {
                samples
                    .iter()
                    .filter(|x| x.kind == *k && x.sent >= since && x.status == status)
                    .count()
                    >= n
            })
        };
    let loaded = Instant::now();
    assert!(
        eventually(Duration::from_secs(30), || answered(
            &samples,
            loaded,
            200,
            &["token", "api", "readyz"],
            3
        ))
        .await,
        "the load is answered before the stop"
    );
    let stopping = Instant::now();
    pg.stop_immediately().expect("stop the private cluster");
    let down = Instant::now();
    assert!(
        eventually(Duration::from_secs(30), || answered(
            &samples,
            down,
            503,
            &["api", "readyz"],
            5
        ))
        .await,
        "api and readyz answer 503 while the database is down: {}",
        node.log_text()
    );
    let readyz = plain_client()
        .get(node.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(readyz.status(), 503, "not ready without its database");
    let starting = Instant::now();
    pg.start_again().expect("start the private cluster again");
    let up = Instant::now();
    let recovered = eventually(Duration::from_secs(60), || {
        let samples = samples.lock().unwrap();
        ["token", "api", "readyz"].iter().all(|k| {
            samples
                .iter()
                .any(|x| x.kind == *k && x.sent >= up && x.status == 200)
        })
    })
    .await;
    let settled = Instant::now();
    eventually(Duration::from_secs(10), || {
        answered(&samples, settled, 200, &["token", "api", "readyz"], 3)
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for t in tasks {
        let _ = t.await;
    }
    // The server rode out the outage in one piece: the same process, never restarted.
    let alive = node.running();
    node.stop();
    assert!(alive, "the server process exited: {}", node.log_text());
    assert!(recovered, "requests succeed again: {}", node.log_text());

    let samples = samples.lock().unwrap().clone();
    let before: Vec<_> = samples.iter().filter(|x| x.sent < stopping).collect();
    let stopping_now: Vec<_> = samples
        .iter()
        .filter(|x| x.sent >= stopping && x.sent < down)
        .collect();
    let during: Vec<_> = samples
        .iter()
        .filter(|x| x.sent >= down && x.sent + x.took < starting)
        .collect();
    // Requests while the cluster stops or starts may meet it either way.
    let stopping_now: Vec<_> = stopping_now
        .into_iter()
        .chain(
            samples
                .iter()
                .filter(|x| x.sent < up && x.sent >= down && x.sent + x.took >= starting),
        )
        .collect();
    let after: Vec<_> = samples.iter().filter(|x| x.sent >= up).collect();
    assert!(!before.is_empty());
    let unhealthy: Vec<_> = before.iter().filter(|x| x.status != 200).collect();
    assert!(
        unhealthy.is_empty(),
        "healthy before the stop: {unhealthy:?}"
    );
    // Fail fast: every answer while the database is down is a 503 (or a 200 that needed no
    // database), within the pool's connection timeout and some slack; never a 500 or a hang.
    let bound = CONNECT_TIMEOUT + Duration::from_secs(2);
    for x in &stopping_now {
        assert!(
            matches!(x.status, 200 | 503) && x.took <= bound,
            "answer while the database stops or starts: {x:?}"
        );
    }
    for x in &during {
        assert!(
            x.status == 503 || (x.status == 200 && x.kind == "token"),
            "answer {:?} after the stop: {x:?}",
            x.sent - down
        );
        assert!(x.took <= bound, "slow answer while down: {x:?}");
    }
    for kind in ["api", "readyz"] {
        assert!(
            during.iter().any(|x| x.kind == kind && x.status == 503),
            "{kind} answered 503 while the database was down"
        );
    }
    let slowest = during.iter().map(|x| x.took).max().unwrap_or_default();
    let first_ok = |k: &str| {
        after
            .iter()
            .filter(|x| x.kind == k && x.status == 200)
            .map(|x| x.sent + x.took - up)
            .min()
    };
    let recovery: Vec<(&str, Option<Duration>)> = ["token", "api", "readyz"]
        .iter()
        .map(|k| (*k, first_ok(k)))
        .collect();
    let worst = recovery
        .iter()
        .filter_map(|(_, d)| *d)
        .max()
        .unwrap_or_default();
    let failures_after: Vec<_> = after.iter().filter(|x| x.status != 200).collect();
    println!(
        "PostgreSQL down: {} answers, all 503 (or 200 without the database), slowest {slowest:?} (connect timeout {CONNECT_TIMEOUT:?}); \
         recovery after `pg_ctl start` returned: {recovery:?}; non-200 answers after the restart: {}",
        during.len(),
        failures_after.len()
    );
    assert!(
        worst <= Duration::from_secs(30),
        "recovered within 30 s: {recovery:?}"
    );
    for x in &failures_after {
        assert_eq!(x.status, 503, "only 503s while reconnecting: {x:?}");
    }
}

// ---------------------------------------------------------------------------------------------------
// SQLite storage faults on a tmpfs mounted by the test.

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

struct Tmpfs {
    path: PathBuf,
}

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(path).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(path)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs {
            path: path.to_path_buf(),
        })
    }

    fn remount(&self, mode: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(&self.path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "remount {mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.path).status();
        }
    }
}

/// A tmpfs for a SQLite storage test, or the reason the test cannot run here.
fn sqlite_tmpfs(test: &str, dir: &Path, size: &str) -> Option<Tmpfs> {
    if pg_admin_url().is_some() {
        common::other_pass(test, "SQLite");
        return None;
    }
    if !is_root() {
        common::cannot_run("TMPFS", test, "mounting a tmpfs needs root");
        return None;
    }
    match Tmpfs::mount(&dir.join("mnt"), size) {
        Ok(t) => Some(t),
        Err(reason) => {
            common::cannot_run("TMPFS", test, &reason);
            None
        }
    }
}

/// Where a SQLite storage fault test starts: a server with its database on a tmpfs of its own, which
/// has invited one guest. (Fields drop in order: the server before the file system it uses.)
struct SqliteOnTmpfs {
    node: Node,
    mnt: Tmpfs,
    setup: Setup,
    port: u16,
    /// An admin API token.
    token: String,
    _dir: tempfile::TempDir,
}

/// [`SqliteOnTmpfs`] on a tmpfs of `size`, or `None` when `test` cannot run here.
async fn sqlite_on_tmpfs(test: &str, size: &str) -> Option<SqliteOnTmpfs> {
    let dir = tempfile::tempdir().unwrap();
    let mnt = sqlite_tmpfs(test, dir.path(), size)?;
    let port = free_port();
    let setup = sqlite_setup(dir.path(), &mnt.path, port);
    let s = seed(&setup);
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    let token = s.admin_token(&node.base).await;
    let (status, body) = invite_one(&node.base, &token, "before@fabrikam.example").await;
    assert_eq!(status, 201, "{body}");
    Some(SqliteOnTmpfs {
        node,
        mnt,
        setup,
        port,
        token,
        _dir: dir,
    })
}

fn sqlite_setup(dir: &Path, mnt: &Path, port: u16) -> Setup {
    Setup {
        database_url: format!("sqlite://{}/guestlist.db", mnt.join("data").display()),
        keys_dir: dir.join("keys"),
        data_dir: mnt.join("data"),
        public_url: format!("http://127.0.0.1:{port}"),
        extra: vec![],
    }
}

async fn invite_one(base: &str, token: &str, email: &str) -> (u16, Value) {
    let resp = plain_client()
        .post(format!("{base}/api/v1/tenants/contoso/invitations"))
        .bearer_auth(token)
        .json(&json!({
            "invitedUserEmailAddress": email,
            "inviteRedirectUrl": "https://moodle.example/",
            "sendInvitationMessage": true
        }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

async fn get_status(url: &str, token: Option<&str>) -> u16 {
    let mut req = plain_client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().status().as_u16()
}

/// A refused write: 503 problem JSON that says what happened in words, from a server still running.
fn assert_clear_refusal(node: &mut Node, status: u16, body: &Value) {
    assert_eq!(status, 503, "{body}");
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty())
            && body["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "a readable problem: {body}"
    );
    assert!(
        !node.log_text().contains("panicked"),
        "no panic: {}",
        node.log_text()
    );
}

fn integrity(url: &str) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let mut c = connect(url);
    diesel::sql_query("PRAGMA integrity_check")
        .load::<Check>(&mut c)
        .unwrap()
        .into_iter()
        .map(|r| r.integrity_check)
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_read_only_data_dir_reads_and_refuses_writes_clearly() {
    let test = "sqlite_on_a_read_only_data_dir_reads_and_refuses_writes_clearly";
    let Some(mut fault) = sqlite_on_tmpfs(test, "64m").await else {
        return;
    };
    let (setup, port, token) = (fault.setup.clone(), fault.port, fault.token.clone());
    fault.node.stop();

    fault.mnt.remount("ro");
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    assert_eq!(
        get_status(
            &node.url("/t/contoso/.well-known/openid-configuration"),
            None
        )
        .await,
        200
    );
    assert_eq!(get_status(&node.url("/t/contoso/jwks"), None).await, 200);
    let users = plain_client()
        .get(node.url("/api/v1/tenants/contoso/users"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(users.status(), 200, "reads work on a read-only database");
    let users: Value = users.json().await.unwrap();
    assert!(users.to_string().contains("before@fabrikam.example"));
    for i in 0..3 {
        let (status, body) =
            invite_one(&node.base, &token, &format!("ro{i}@fabrikam.example")).await;
        assert_clear_refusal(&mut node, status, &body);
    }
    println!(
        "read-only data dir: reads 200, writes 503 {}",
        invite_one(&node.base, &token, "ro9@fabrikam.example")
            .await
            .1
    );
    assert!(
        node.log_text().contains("the database is read-only"),
        "the log names the cause: {}",
        node.log_text()
    );
    node.stop();

    fault.mnt.remount("rw");
    assert_eq!(integrity(&setup.database_url), "ok");
    let mut node = setup.spawn(port);
    node.ready(Duration::from_secs(30)).await;
    let (status, body) = invite_one(&node.base, &token, "after@fabrikam.example").await;
    assert_eq!(status, 201, "writable again: {body}");
    node.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_refuses_writes_clearly_and_recovers() {
    let test = "sqlite_on_a_full_disk_refuses_writes_clearly_and_recovers";
    let Some(mut fault) = sqlite_on_tmpfs(test, "12m").await else {
        return;
    };
    let SqliteOnTmpfs {
        node,
        mnt,
        setup,
        token,
        ..
    } = &mut fault;

    // Fill the file system to the last block.
    let filler = mnt.path.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        for chunk in [1 << 20, 4096, 512] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).and_then(|_| f.flush()).is_ok() {}
        }
    }
    let mut refused = None;
    for i in 0..200 {
        let (status, body) =
            invite_one(&node.base, token, &format!("full{i}@fabrikam.example")).await;
        match status {
            201 => continue, // the write-ahead log still had room for this one
            _ => {
                assert_clear_refusal(node, status, &body);
                refused = Some(body);
                break;
            }
        }
    }
    let refused = refused.expect("a write on a full disk is refused");
    println!("full disk: a write answers 503 {refused}");
    assert!(
        node.log_text()
            .contains("the disk holding the database is full"),
        "the log names the cause: {}",
        node.log_text()
    );
    assert_eq!(
        get_status(&node.url("/api/v1/tenants/contoso/users"), Some(token)).await,
        200,
        "reads still work on a full disk"
    );
    assert_eq!(get_status(&node.url("/readyz"), None).await, 200);

    // Space again: writes succeed without a restart.
    std::fs::remove_file(&filler).unwrap();
    let mut ok = false;
    for i in 0..50 {
        let (status, _) =
            invite_one(&node.base, token, &format!("after{i}@fabrikam.example")).await;
        if status == 201 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        ok,
        "writes work again once there is space: {}",
        node.log_text()
    );
    node.stop();
    assert_eq!(integrity(&setup.database_url), "ok");
}
