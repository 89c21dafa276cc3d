//! `loadgen soak`: a long run at a fixed share of the server's capacity on a mixed workload, sampling
//! the server's memory, open files and database size once per interval, to show whether anything grows
//! that should not. `bench/soak` seeds the server and calls it; see `bench/README.md`.
//!
//! The workload is a mix of operations, each one or two HTTP requests:
//!
//! - `signin`: `POST /t/{tenant}/signin` with a seeded user's email and password (303);
//! - `code`: `GET /t/{tenant}/authorize` (scope `openid offline_access`) with a signed-in session,
//!   then the exchange of the code it returns at `/token` (303, then 200): a new grant with a refresh
//!   token and an access token, which the other operations use;
//! - `refresh`: `grant_type=refresh_token` with the newest refresh token of a grant (tokens rotate: the
//!   answer's refresh token replaces the one sent; no token is used by two requests at once) (200);
//! - `userinfo`: `GET /t/{tenant}/userinfo` with a recent access token (200);
//! - `invite`: `POST /api/v1/tenants/{tenant}/invitations` with an admin client-credentials token and an
//!   address never used before, no email sent (201).
//!
//! First a closed loop measures the capacity of the mix (operations per second); then an open loop
//! sends operations on a fixed schedule at `--load` times that rate, whatever the answers, with at most
//! `--max-in-flight` at once. Latency runs from the scheduled start, so a server that falls behind
//! shows it in the latencies (no coordinated omission).

use crate::client::{self, Error, Reply, Sender, Target, Template};
use crate::process;
use crate::scenarios::form_encode;
use crate::seed::AppSecret;
use crate::stats::Stats;
use crate::workloads::code_in;
use hyper::StatusCode;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderName};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tokio::time::{Instant, sleep, sleep_until, timeout_at};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The default mix, in operations per 100.
pub const DEFAULT_MIX: &str = "signin=2,code=20,refresh=30,userinfo=46,invite=2";

/// Grants whose refresh tokens are kept for `refresh`; beyond that the oldest are let go.
const REFRESH_POOL: usize = 4096;
/// Recent access tokens kept for `userinfo`.
const ACCESS_POOL: usize = 1024;
/// The open loop wakes this much before an operation's scheduled time (timers fire late by up to a
/// millisecond); an operation sent early is timed from when it was sent.
const TIMER_SLACK: Duration = Duration::from_millis(1);
/// The open loop closes connections idle this long rather than reuse them: the server closes them at
/// 30 s (its keep-alive), and a request sent as it does so fails without being the server's fault.
const IDLE_LIMIT: Duration = Duration::from_secs(10);
/// Longest wait for the server to go idle between the capacity probe and the open loop.
const SETTLE_LIMIT: Duration = Duration::from_secs(15);

/// The verdict's tolerances, first interval against last.
const RSS_SHARE: f64 = 0.10;
const RSS_FLOOR_MB: f64 = 2.0;
const FD_SHARE: f64 = 0.10;
const FD_FLOOR: f64 = 8.0;
const P99_FACTOR: f64 = 1.5;
const P99_FLOOR_MS: f64 = 1.0;

#[derive(clap::Args)]
pub struct SoakArgs {
    /// http://127.0.0.1:PORT (loopback only).
    #[arg(long)]
    base: String,
    /// JSON written by bench/soak: tenant, redirect_uri, app, admin, users, password.
    #[arg(long)]
    seed: PathBuf,
    /// The server's process id, for VmRSS and open files.
    #[arg(long)]
    server_pid: u32,
    /// The server's database (GUESTLIST_DATABASE_URL): sqlite://PATH (file plus -wal) or a
    /// PostgreSQL URL (pg_database_size, read with psql). Without it the size is not sampled.
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds of the closed-loop capacity probe.
    #[arg(long, default_value_t = 20.0)]
    probe: f64,
    /// Connections of the capacity probe, one operation in flight each.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Operations per second of the open loop: this share of the measured capacity.
    #[arg(long, default_value_t = 0.5)]
    load: f64,
    /// Skip the probe and send this many operations per second.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of the open loop.
    #[arg(long, default_value_t = 600.0)]
    seconds: f64,
    /// Seconds between samples (one table row each).
    #[arg(long, default_value_t = 60.0)]
    interval: f64,
    /// Most operations in flight in the open loop; past it, operations wait (and their latency shows it).
    #[arg(long, default_value_t = 256)]
    max_in_flight: usize,
    /// Weights of the operations: signin, code, refresh, userinfo, invite.
    #[arg(long, default_value = DEFAULT_MIX)]
    mix: String,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Write the table here, tab-separated.
    #[arg(long)]
    results: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
struct SoakSeed {
    tenant: String,
    redirect_uri: String,
    /// First-party confidential app whose codes, refresh and access tokens are used.
    app: AppSecret,
    /// App allowed the scope `guestlist.admin`, for the invitations.
    admin: AppSecret,
    users: Vec<String>,
    password: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Signin,
    Code,
    Refresh,
    Userinfo,
    Invite,
}

const KINDS: [Kind; 5] = [
    Kind::Signin,
    Kind::Code,
    Kind::Refresh,
    Kind::Userinfo,
    Kind::Invite,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Signin => "signin",
            Kind::Code => "code",
            Kind::Refresh => "refresh",
            Kind::Userinfo => "userinfo",
            Kind::Invite => "invite",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// HTTP requests the operation makes when it succeeds.
    fn requests(self) -> u64 {
        if self == Kind::Code { 2 } else { 1 }
    }
}

/// `name=weight,…` in any order; kinds left out get weight 0.
fn parse_mix(text: &str) -> Result<[u32; 5], String> {
    let mut weights = [0u32; 5];
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = part
            .split_once('=')
            .ok_or_else(|| format!("mix: {part:?} is not name=weight"))?;
        let kind = KINDS
            .iter()
            .find(|k| k.name() == name.trim())
            .ok_or_else(|| format!("mix: unknown operation {name:?}"))?;
        weights[kind.index()] = weight
            .trim()
            .parse()
            .map_err(|e| format!("mix: weight of {name}: {e}"))?;
    }
    if weights.iter().all(|&w| w == 0) {
        return Err("mix: every weight is 0".into());
    }
    Ok(weights)
}

/// One cycle of the mix, each kind as often as its weight and spread evenly (smooth weighted
/// round-robin), so that any stretch of operations has about the mix's shares.
fn schedule(weights: &[u32; 5]) -> Vec<Kind> {
    let total: i64 = weights.iter().map(|&w| i64::from(w)).sum();
    let mut current = [0i64; 5];
    (0..total)
        .map(|_| {
            for (c, &w) in current.iter_mut().zip(weights) {
                *c += i64::from(w);
            }
            let best = (0..5)
                .max_by_key(|&i| (current[i], -(i as i64)))
                .unwrap_or(0);
            current[best] -= total;
            KINDS[best]
        })
        .collect()
}

fn describe_mix(weights: &[u32; 5]) -> String {
    let total: u32 = weights.iter().sum();
    KINDS
        .iter()
        .filter(|k| weights[k.index()] > 0)
        .map(|k| {
            format!(
                "{} {:.0}%",
                k.name(),
                f64::from(weights[k.index()]) * 100.0 / f64::from(total)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn seconds(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("bad duration {s}: {e}"))
}

/// The text of `<input … name="NAME" value="…">` in an HTML page.
fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let value = html[tag_start..tag_end].split_once("value=\"")?.1;
    Some(value.split_once('"')?.0.to_string())
}

fn expect(reply: &Reply, status: StatusCode, what: &str) -> Result<(), String> {
    if reply.status == status {
        Ok(())
    } else {
        Err(format!(
            "{what}: status {}: {}",
            reply.status,
            reply.snippet()
        ))
    }
}

/// `access_token` and `refresh_token` of a token answer.
fn token_pair(reply: &Reply) -> Result<(String, Option<String>), String> {
    let v: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("token answer: {e}"))?;
    let field = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let access = field("access_token").ok_or("token answer without access_token")?;
    Ok((access, field("refresh_token")))
}

/// Connections this process holds open now: each is a socket of the server's too, so the server's
/// open files are judged net of them.
static OPEN: AtomicU64 = AtomicU64::new(0);

/// A connection, counted in `OPEN` while it exists.
struct Counted(Sender);

impl Counted {
    async fn open(target: &Target) -> Result<Counted, Error> {
        let sender = client::connect(target).await?;
        OPEN.fetch_add(1, Ordering::Relaxed);
        Ok(Counted(sender))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One keep-alive connection, opened when first needed and again when the server closed it.
#[derive(Default)]
struct Conn {
    sender: Option<Counted>,
    /// When it went back to the open loop's idle connections.
    idle_since: Option<Instant>,
}

impl Conn {
    fn is_open(&self) -> bool {
        self.sender.as_ref().is_some_and(|s| !s.0.is_closed())
    }

    /// Open, and not idle so long that the server may be closing it right now.
    fn is_usable(&self) -> bool {
        self.is_open() && self.idle_since.is_none_or(|t| t.elapsed() < IDLE_LIMIT)
    }

    async fn send(&mut self, target: &Target, t: &Template, what: &str) -> Result<Reply, String> {
        let fail = |e: Error| format!("{what}: {e}");
        let mut sender = match self.sender.take() {
            Some(s) if !s.0.is_closed() => s,
            _ => Counted::open(target).await.map_err(fail)?,
        };
        if sender.0.ready().await.is_err() {
            sender = Counted::open(target).await.map_err(fail)?;
            sender.0.ready().await.map_err(|e| fail(e.into()))?;
        }
        let req = t.build(target).map_err(fail)?;
        let reply = client::send(&mut sender.0, req).await.map_err(fail)?;
        self.sender = Some(sender);
        Ok(reply)
    }
}

/// The database whose size is sampled.
#[derive(Debug, PartialEq, Eq)]
enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    fn parse(url: &str) -> Result<Database, String> {
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split_once('?').map_or(path, |(p, _)| p);
            if path.is_empty() || path == ":memory:" {
                return Err(format!("{url}: no database file to measure"));
            }
            Ok(Database::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Database::Postgres(url.to_string()))
        } else {
            Err(format!("{url}: neither sqlite: nor postgres://"))
        }
    }

    /// Bytes on disk: the SQLite file and its write-ahead log, or `pg_database_size`.
    fn size(&self) -> Option<u64> {
        match self {
            Database::Sqlite(path) => {
                let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).ok();
                let mut wal = path.clone().into_os_string();
                wal.push("-wal");
                Some(len(path)? + len(Path::new(&wal)).unwrap_or(0))
            }
            Database::Postgres(url) => {
                let out = std::process::Command::new("psql")
                    .args([
                        url.as_str(),
                        "-qAtc",
                        "SELECT pg_database_size(current_database())",
                    ])
                    .output()
                    .ok()?;
                String::from_utf8_lossy(&out.stdout).trim().parse().ok()
            }
        }
    }

    /// Bytes of each table with its indexes (SQLite: `dbstat`, through the sqlite3 shell; PostgreSQL:
    /// `pg_total_relation_size`), to tell what the growth is made of.
    fn tables(&self) -> Option<Vec<(String, u64)>> {
        let out = match self {
            Database::Sqlite(path) => std::process::Command::new("sqlite3")
                .args(["-readonly", "-separator", "\t"])
                .arg(path)
                .arg(
                    "SELECT COALESCE(m.tbl_name, d.name), SUM(d.pgsize) FROM dbstat d \
                     LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1",
                )
                .output(),
            Database::Postgres(url) => std::process::Command::new("psql")
                .args([
                    url.as_str(),
                    "-qAt",
                    "-F",
                    "\t",
                    "-c",
                    "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' \
                     AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
                ])
                .output(),
        }
        .ok()?;
        out.status
            .success()
            .then(|| parse_tables(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// `name<TAB>bytes` lines.
fn parse_tables(text: &str) -> Vec<(String, u64)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(name, bytes)| Some((name.trim().to_string(), bytes.trim().parse().ok()?)))
        .collect()
}

/// Tables an invitation adds rows to (besides its audit event).
const INVITATION_TABLES: [&str; 3] = ["users", "invitations", "guest_sponsors"];

/// Growth of each table that grew by at least a page, largest first.
fn table_growth(before: &[(String, u64)], after: &[(String, u64)]) -> Vec<(String, i64)> {
    let mut grown: Vec<(String, i64)> = after
        .iter()
        .map(|(name, b)| {
            let a = before
                .iter()
                .find(|(n, _)| n == name)
                .map_or(0, |(_, a)| *a);
            (name.clone(), *b as i64 - a as i64)
        })
        .filter(|(_, g)| *g >= 4096)
        .collect();
    grown.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    grown
}

/// What the server process looks like at one moment.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    rss_kb: Option<u64>,
    fds: Option<u64>,
    /// The load generator's open connections at the same moment.
    conns: u64,
    db_bytes: Option<u64>,
}

async fn sample(pid: u32, db: Arc<Option<Database>>) -> Sample {
    let conns = OPEN.load(Ordering::Relaxed);
    tokio::task::spawn_blocking(move || Sample {
        conns,
        rss_kb: process::status_kb(pid, "VmRSS"),
        fds: std::fs::read_dir(format!("/proc/{pid}/fd"))
            .ok()
            .map(|d| d.count() as u64),
        db_bytes: db.as_ref().as_ref().and_then(Database::size),
    })
    .await
    .unwrap_or_default()
}

/// Answers counted in one stretch of time.
#[derive(Default)]
struct Window {
    ops: Stats,
    requests: u64,
    ok_by_kind: [u64; 5],
}

impl Window {
    fn record(&mut self, kind: Kind, latency: Duration, result: &Result<(), String>) {
        let now = std::time::Instant::now();
        match result {
            Ok(()) => {
                self.ops.record(latency, true, now);
                self.requests += kind.requests();
                self.ok_by_kind[kind.index()] += 1;
            }
            Err(e) => {
                self.ops.record(latency, false, now);
                self.requests += 1;
                if self.ops.first_error.is_none() {
                    self.ops.first_error = Some(e.clone());
                }
            }
        }
    }
}

/// One row of the table: a sample, and the answers of the interval that ended there.
struct Row {
    at: f64,
    seconds: f64,
    ops: u64,
    requests: u64,
    errors: u64,
    p50_ms: f64,
    p99_ms: f64,
    invitations: u64,
    sample: Sample,
}

fn mb(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "-".into(), |b| format!("{:.1}", b as f64 / 1e6))
}

impl Row {
    fn rate(&self, n: u64) -> f64 {
        if self.seconds > 0.0 {
            n as f64 / self.seconds
        } else {
            0.0
        }
    }

    fn cells(&self) -> Vec<String> {
        let s = &self.sample;
        let measured = self.seconds > 0.0;
        let dash = |v: String| if measured { v } else { "-".into() };
        vec![
            format!("{:.0}", self.at),
            dash(format!("{:.1}", self.rate(self.ops))),
            dash(format!("{:.1}", self.rate(self.requests))),
            dash(self.errors.to_string()),
            dash(format!("{:.2}", self.p50_ms)),
            dash(format!("{:.2}", self.p99_ms)),
            mb(s.rss_kb.map(|k| k * 1024)),
            s.fds.map_or_else(|| "-".into(), |f| f.to_string()),
            s.conns.to_string(),
            mb(s.db_bytes),
            dash(self.invitations.to_string()),
        ]
    }
}

const HEADER: [&str; 11] = [
    "t (s)", "ops/s", "req/s", "errors", "p50 ms", "p99 ms", "RSS MB", "fds", "conns", "DB MB",
    "invites",
];
const TSV_HEADER: &str = "seconds\tops_per_s\trequests_per_s\terrors\tp50_ms\tp99_ms\trss_mb\tfds\tclient_connections\tdb_mb\tinvitations";
const WIDTHS: [usize; 11] = [6, 9, 9, 7, 8, 8, 8, 6, 6, 8, 8];

fn line(cells: &[String]) -> String {
    cells
        .iter()
        .zip(WIDTHS)
        .map(|(c, w)| format!("{c:>w$}"))
        .collect::<Vec<_>>()
        .join("  ")
}

/// The seeded server and what the operations share: templates, tokens, counters.
struct Soak {
    target: Target,
    tenant: String,
    redirect_uri: String,
    signins: Vec<Template>,
    authorize: Vec<Template>,
    token: Template,
    exchange_prefix: String,
    refresh_prefix: String,
    admin_request: Template,
    admin_token: RwLock<String>,
    /// Lifetime of the first admin token, in seconds.
    admin_life: u64,
    /// Invited addresses are `soak-{run}-{n}@guests.example`.
    run_id: u64,
    refresh_pool: Mutex<VecDeque<String>>,
    access_pool: Mutex<VecDeque<String>>,
    order: Vec<Kind>,
    next_op: AtomicUsize,
    next_signin: AtomicUsize,
    next_authorize: AtomicUsize,
    next_access: AtomicUsize,
    next_invite: AtomicU64,
}

fn turn(counter: &AtomicUsize, len: usize) -> usize {
    counter.fetch_add(1, Ordering::Relaxed) % len.max(1)
}

impl Soak {
    fn path(&self, rest: &str) -> String {
        format!("/t/{}{rest}", self.tenant)
    }

    fn next_kind(&self) -> Kind {
        self.order[turn(&self.next_op, self.order.len())]
    }

    fn keep_refresh(&self, token: String) {
        let mut pool = lock(&self.refresh_pool);
        if pool.len() >= REFRESH_POOL {
            pool.pop_front();
        }
        pool.push_back(token);
    }

    fn keep_access(&self, token: String) {
        let mut pool = lock(&self.access_pool);
        if pool.len() >= ACCESS_POOL {
            pool.pop_front();
        }
        pool.push_back(token);
    }

    async fn op(&self, kind: Kind, conn: &mut Conn) -> Result<(), String> {
        let target = &self.target;
        match kind {
            Kind::Signin => {
                let t = &self.signins[turn(&self.next_signin, self.signins.len())];
                let reply = conn.send(target, t, "sign-in").await?;
                expect(&reply, StatusCode::SEE_OTHER, "sign-in")
            }
            Kind::Code => {
                let t = &self.authorize[turn(&self.next_authorize, self.authorize.len())];
                let reply = conn.send(target, t, "authorize").await?;
                expect(&reply, StatusCode::SEE_OTHER, "authorize")?;
                let code = reply
                    .location()
                    .and_then(code_in)
                    .ok_or_else(|| format!("authorize: no code in {:?}", reply.location()))?;
                let body = format!("{}{code}", self.exchange_prefix);
                let reply = conn
                    .send(target, &self.token.with_body(body), "code exchange")
                    .await?;
                expect(&reply, StatusCode::OK, "code exchange")?;
                let (access, refresh) = token_pair(&reply)?;
                let refresh = refresh.ok_or("code exchange: no refresh_token")?;
                self.keep_access(access);
                self.keep_refresh(refresh);
                Ok(())
            }
            Kind::Refresh => {
                // Taken out of the pool, so no other request sends it; the new one goes back.
                let Some(rt) = lock(&self.refresh_pool).pop_front() else {
                    return Err("refresh: no refresh token is free".into());
                };
                let body = format!("{}{}", self.refresh_prefix, form_encode(&rt));
                let reply = conn
                    .send(target, &self.token.with_body(body), "refresh")
                    .await?;
                expect(&reply, StatusCode::OK, "refresh")?;
                let (access, next) = token_pair(&reply)?;
                let next = next.ok_or("refresh: no new refresh_token")?;
                self.keep_access(access);
                self.keep_refresh(next);
                Ok(())
            }
            Kind::Userinfo => {
                let token = {
                    let pool = lock(&self.access_pool);
                    if pool.is_empty() {
                        return Err("userinfo: no access token yet".into());
                    }
                    pool[turn(&self.next_access, pool.len())].clone()
                };
                let t = Template::get(self.path("/userinfo"))
                    .with_header(AUTHORIZATION, &format!("Bearer {token}"))
                    .map_err(|e| format!("userinfo: {e}"))?;
                let reply = conn.send(target, &t, "userinfo").await?;
                expect(&reply, StatusCode::OK, "userinfo")
            }
            Kind::Invite => {
                let n = self.next_invite.fetch_add(1, Ordering::Relaxed);
                let body = json!({
                    "invitedUserEmailAddress": format!("soak-{}-{n}@guests.example", self.run_id),
                    "inviteRedirectUrl": self.redirect_uri,
                    "sendInvitationMessage": false,
                });
                let bearer = format!(
                    "Bearer {}",
                    self.admin_token.read().map_err(|e| e.to_string())?
                );
                let t = Template::post_form(
                    format!("/api/v1/tenants/{}/invitations", self.tenant),
                    body.to_string(),
                )
                .with_header(CONTENT_TYPE, "application/json")
                .and_then(|t| t.with_header(AUTHORIZATION, &bearer))
                .map_err(|e| format!("invite: {e}"))?;
                let reply = conn.send(target, &t, "invite").await?;
                expect(&reply, StatusCode::CREATED, "invite")
            }
        }
    }
}

/// A client-credentials token for the admin API, and its lifetime in seconds.
async fn admin_token(target: &Target, request: &Template) -> Result<(String, u64), String> {
    let reply = client::once(target, request)
        .await
        .map_err(|e| format!("admin token: {e}"))?;
    expect(&reply, StatusCode::OK, "admin token")?;
    let v: Value = serde_json::from_slice(&reply.body).map_err(|e| format!("admin token: {e}"))?;
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or("admin token: no access_token")?;
    let life = v.get("expires_in").and_then(Value::as_u64).unwrap_or(3600);
    Ok((token.to_string(), life))
}

/// Renews the admin token at half its lifetime, until aborted.
fn renew_admin_token(soak: Arc<Soak>, mut life: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            sleep(Duration::from_secs((life / 2).max(10))).await;
            match admin_token(&soak.target, &soak.admin_request).await {
                Ok((token, l)) => {
                    if let Ok(mut t) = soak.admin_token.write() {
                        *t = token;
                    }
                    life = l;
                }
                Err(e) => {
                    eprintln!("soak: renewing the admin token failed: {e}");
                    life = 20;
                }
            }
        }
    })
}

/// Signs the seeded users in, fetches an admin token and opens `families` grants.
async fn prepare(args: &SoakArgs, weights: &[u32; 5]) -> Result<Arc<Soak>, String> {
    let target = Target::parse(&args.base).map_err(|e| format!("{}: {e}", args.base))?;
    let text = std::fs::read_to_string(&args.seed)
        .map_err(|e| format!("cannot read {}: {e}", args.seed.display()))?;
    let seed: SoakSeed =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", args.seed.display()))?;
    if seed.users.is_empty() {
        return Err(format!("{}: no users", args.seed.display()));
    }
    let path = |rest: &str| format!("/t/{}{rest}", seed.tenant);
    let post_auth = |app: &AppSecret| {
        format!(
            "client_id={}&client_secret={}",
            form_encode(&app.client_id),
            form_encode(&app.client_secret)
        )
    };

    // One CSRF token and cookie for every sign-in, as the `signin` scenario does.
    let page = client::once(&target, &Template::get(path("/signin")))
        .await
        .map_err(|e| format!("GET signin: {e}"))?;
    expect(&page, StatusCode::OK, "GET signin")?;
    let csrf_cookie = page
        .set_cookie("gl_csrf")
        .ok_or("GET signin set no gl_csrf cookie")?;
    let csrf = input_value(&String::from_utf8_lossy(&page.body), "csrf")
        .ok_or("the sign-in page has no csrf input")?;
    // Each user signs in from an address of its own (bench/soak makes 127.0.0.1 a trusted proxy).
    let signins = seed
        .users
        .iter()
        .enumerate()
        .map(|(i, email)| {
            let form = format!(
                "csrf={}&email={}&password={}&request=",
                form_encode(&csrf),
                form_encode(email),
                form_encode(&seed.password)
            );
            Template::post_form(path("/signin"), form)
                .with_header(COOKIE, &format!("gl_csrf={csrf_cookie}"))
                .and_then(|t| {
                    t.with_header(X_FORWARDED_FOR, &format!("10.{}.{}.1", i / 250, i % 250))
                })
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;

    // A session per user; authorization requests take them in turn.
    let mut authorize = Vec::new();
    for t in &signins {
        let reply = client::once(&target, t)
            .await
            .map_err(|e| format!("sign-in: {e}"))?;
        expect(&reply, StatusCode::SEE_OTHER, "sign-in")?;
        let session = reply
            .set_cookie("gl_session")
            .ok_or("sign-in set no gl_session cookie")?;
        let t = Template::get(path(&format!(
            "/authorize?client_id={}&redirect_uri={}&response_type=code&scope={}&state=soak",
            form_encode(&seed.app.client_id),
            form_encode(&seed.redirect_uri),
            form_encode("openid offline_access")
        )))
        .with_header(COOKIE, &format!("gl_session={session}"))
        .map_err(|e| e.to_string())?;
        authorize.push(t);
    }

    let admin_request = Template::post_form(
        path("/token"),
        format!(
            "grant_type=client_credentials&scope=guestlist.admin&{}",
            post_auth(&seed.admin)
        ),
    );
    let (admin, admin_life) = admin_token(&target, &admin_request).await?;
    let run_id = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let auth = post_auth(&seed.app);
    let soak = Soak {
        target,
        tenant: seed.tenant.clone(),
        redirect_uri: seed.redirect_uri.clone(),
        signins,
        authorize,
        token: Template::post_form(path("/token"), String::new()),
        exchange_prefix: format!(
            "grant_type=authorization_code&redirect_uri={}&{auth}&code=",
            form_encode(&seed.redirect_uri)
        ),
        refresh_prefix: format!("grant_type=refresh_token&{auth}&refresh_token="),
        admin_request,
        admin_token: RwLock::new(admin),
        admin_life,
        run_id,
        refresh_pool: Mutex::new(VecDeque::new()),
        access_pool: Mutex::new(VecDeque::new()),
        order: schedule(weights),
        next_op: AtomicUsize::new(0),
        next_signin: AtomicUsize::new(0),
        next_authorize: AtomicUsize::new(0),
        next_access: AtomicUsize::new(0),
        next_invite: AtomicU64::new(0),
    };

    // Each kind once, so a wrong setup fails here and not as a table of errors.
    let mut conn = Conn::default();
    for kind in KINDS {
        soak.op(kind, &mut conn).await?;
    }
    let soak = Arc::new(soak);
    // Enough grants that a refresh always finds one no other request holds.
    let families = args.max_in_flight.max(args.concurrency) + 64;
    let workers = 8;
    let made = Arc::new(AtomicUsize::new(1));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let (soak, made) = (soak.clone(), made.clone());
            tokio::spawn(async move {
                let mut conn = Conn::default();
                while made.fetch_add(1, Ordering::Relaxed) < families {
                    soak.op(Kind::Code, &mut conn).await?;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(soak)
}

/// The closed loop: `concurrency` connections, each starting its next operation when the last one
/// ended. Returns the operations per second after a short warm-up, and the stats.
async fn probe(soak: &Arc<Soak>, concurrency: usize, total: Duration) -> (f64, Stats) {
    let warmup = (total / 5).min(Duration::from_secs(2));
    let measure_from = Instant::now() + warmup;
    let deadline = Instant::now() + total;
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let soak = soak.clone();
            tokio::spawn(async move {
                let mut window = Window::default();
                let mut conn = Conn::default();
                while Instant::now() < deadline {
                    let kind = soak.next_kind();
                    let started = Instant::now();
                    let Ok(result) = timeout_at(deadline, soak.op(kind, &mut conn)).await else {
                        break;
                    };
                    if Instant::now() >= measure_from {
                        window.record(kind, started.elapsed(), &result);
                    }
                    if result.is_err() {
                        conn = Conn::default();
                    }
                }
                window.ops
            })
        })
        .collect();
    let mut stats = Stats::default();
    for t in tasks {
        match t.await {
            Ok(s) => stats.merge(s),
            Err(e) => stats.error(|| format!("probe task failed: {e}")),
        }
    }
    let measured = (total - warmup).as_secs_f64();
    let rate = if measured > 0.0 {
        stats.ok as f64 / measured
    } else {
        0.0
    };
    (rate, stats)
}

/// What the open loop shares between the scheduler, the operations and the sampler.
struct OpenLoop {
    window: Mutex<Window>,
    by_kind: Mutex<Vec<Stats>>,
    idle: Mutex<Vec<Conn>>,
    unfinished: AtomicU64,
}

/// The most recently used idle connection; the others were idle longer, so when it is too old they
/// all are, and they go.
fn take_idle(idle: &Mutex<Vec<Conn>>) -> Conn {
    let mut idle = lock(idle);
    match idle.pop() {
        Some(c) if c.is_usable() => c,
        Some(_) => {
            idle.clear();
            Conn::default()
        }
        None => Conn::default(),
    }
}

fn first_error_line(stats: &Stats) -> String {
    stats
        .first_error
        .as_deref()
        .map(|e| format!("   first error: {e}"))
        .unwrap_or_default()
}

fn pct(first: f64, last: f64) -> f64 {
    if first > 0.0 {
        (last - first) / first * 100.0
    } else {
        0.0
    }
}

/// `last` is within `share` of `first`, or within `floor` of it when that is more.
fn within(first: f64, last: f64, share: f64, floor: f64) -> bool {
    last - first <= (first * share).max(floor)
}

fn flat(ok: bool) -> &'static str {
    if ok { "flat" } else { "GROWS" }
}

pub async fn run(args: SoakArgs) -> Result<(), String> {
    let weights = parse_mix(&args.mix)?;
    let db = Arc::new(
        args.database_url
            .as_deref()
            .map(Database::parse)
            .transpose()?,
    );
    let interval = seconds(args.interval)?;
    let duration = seconds(args.seconds)?;
    if interval.is_zero() || duration.is_zero() {
        return Err("--seconds and --interval must be more than 0".into());
    }
    println!("mix: {}", describe_mix(&weights));
    let soak = prepare(&args, &weights).await?;
    let renewer = renew_admin_token(soak.clone(), soak.admin_life);

    let rate = match args.rate {
        Some(r) => r,
        None => {
            let (capacity, stats) = probe(&soak, args.concurrency, seconds(args.probe)?).await;
            println!(
                "capacity: {capacity:.1} ops/s (closed loop, {} connections, {} s)   p50 {:.2} ms   p99 {:.2} ms   errors {}{}",
                args.concurrency,
                args.probe,
                stats.percentile_ms(0.50),
                stats.percentile_ms(0.99),
                stats.errors,
                first_error_line(&stats)
            );
            capacity * args.load
        }
    };
    if !(rate.is_finite() && rate > 0.0) {
        renewer.abort();
        return Err(format!("no rate to run at ({rate})"));
    }
    process::settle(args.server_pid, SETTLE_LIMIT).await;
    println!(
        "open loop: {rate:.1} ops/s for {} s, at most {} in flight, a row every {} s; latency from each operation's scheduled start",
        args.seconds, args.max_in_flight, args.interval
    );

    let shared = Arc::new(OpenLoop {
        window: Mutex::new(Window::default()),
        by_kind: Mutex::new(KINDS.iter().map(|_| Stats::default()).collect()),
        idle: Mutex::new(Vec::new()),
        unfinished: AtomicU64::new(0),
    });
    let start = Instant::now();
    let end = start + duration;
    let before = sample(args.server_pid, db.clone()).await;
    let tables_before = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || db.as_ref().as_ref().and_then(Database::tables))
    };
    let tables_before = tables_before.await.ok().flatten();
    let first_row = Row {
        at: 0.0,
        seconds: 0.0,
        ops: 0,
        requests: 0,
        errors: 0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        invitations: 0,
        sample: before,
    };
    println!("{}", line(&HEADER.map(String::from)));
    println!("{}", line(&first_row.cells()));

    // The sampler: one row at the end of each interval.
    let sampler = {
        let (shared, db, pid) = (shared.clone(), db.clone(), args.server_pid);
        tokio::spawn(async move {
            let mut rows = Vec::new();
            let mut from = start;
            while from < end {
                let to = (from + interval).min(end);
                sleep_until(to).await;
                let w = std::mem::take(&mut *lock(&shared.window));
                // Connections the server closed while idle are let go first, so the count is of
                // sockets the server holds.
                lock(&shared.idle).retain(Conn::is_usable);
                let s = sample(pid, db.clone()).await;
                let row = Row {
                    at: (to - start).as_secs_f64(),
                    seconds: (to - from).as_secs_f64(),
                    ops: w.ops.requests(),
                    requests: w.requests,
                    errors: w.ops.errors,
                    p50_ms: w.ops.percentile_ms(0.50),
                    p99_ms: w.ops.percentile_ms(0.99),
                    invitations: w.ok_by_kind[Kind::Invite.index()],
                    sample: s,
                };
                println!("{}{}", line(&row.cells()), first_error_line(&w.ops));
                rows.push(row);
                from = to;
            }
            rows
        })
    };

    // The scheduler: operation k is due at start + k / rate.
    let gate = Arc::new(Semaphore::new(args.max_in_flight.max(1)));
    let mut sent: u64 = 0;
    loop {
        let due = start + Duration::from_secs_f64(sent as f64 / rate);
        if due >= end {
            break;
        }
        if let Some(wake) = due.checked_sub(TIMER_SLACK)
            && wake > Instant::now()
        {
            sleep_until(wake).await;
        }
        let permit = tokio::select! {
            p = gate.clone().acquire_owned() => p.map_err(|e| e.to_string())?,
            _ = sleep_until(end) => break,
        };
        let from = due.min(Instant::now());
        let (soak, shared) = (soak.clone(), shared.clone());
        tokio::spawn(async move {
            let mut conn = take_idle(&shared.idle);
            let kind = soak.next_kind();
            match timeout_at(end, soak.op(kind, &mut conn)).await {
                Ok(result) => {
                    let latency = from.elapsed();
                    lock(&shared.window).record(kind, latency, &result);
                    let mut by_kind = lock(&shared.by_kind);
                    by_kind[kind.index()].record(
                        latency,
                        result.is_ok(),
                        std::time::Instant::now(),
                    );
                    if let Err(e) = result
                        && by_kind[kind.index()].first_error.is_none()
                    {
                        by_kind[kind.index()].first_error = Some(e);
                    }
                    drop(by_kind);
                    if conn.is_open() {
                        conn.idle_since = Some(Instant::now());
                        lock(&shared.idle).push(conn);
                    }
                }
                Err(_) => {
                    shared.unfinished.fetch_add(1, Ordering::Relaxed);
                }
            }
            drop(permit);
        });
        sent += 1;
    }
    let due_total = (duration.as_secs_f64() * rate).ceil() as u64;
    let rows = sampler.await.map_err(|e| e.to_string())?;
    // Operations cut off at the end give their permits back right after it.
    let max = u32::try_from(args.max_in_flight.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), gate.acquire_many(max)).await;
    renewer.abort();

    let by_kind = std::mem::take(&mut *lock(&shared.by_kind));
    println!("by operation (whole open loop):");
    for (kind, s) in KINDS.iter().zip(&by_kind) {
        if s.requests() == 0 {
            continue;
        }
        println!(
            "  {:<9} {:>9} ops   errors {:>6}   p50 {:>8.2} ms   p99 {:>8.2} ms{}",
            kind.name(),
            s.requests(),
            s.errors,
            s.percentile_ms(0.50),
            s.percentile_ms(0.99),
            first_error_line(s)
        );
    }
    let unfinished = shared.unfinished.load(Ordering::Relaxed);
    let unsent = due_total.saturating_sub(sent);
    let ok_of = |k: Kind| by_kind[k.index()].ok;
    let errors: u64 = rows.iter().map(|r| r.errors).sum();
    println!(
        "errors {errors}; {unsent} operations not sent by the end (behind schedule), {unfinished} in flight at the end"
    );
    if let Some(path) = &args.results {
        let mut tsv = format!("{TSV_HEADER}\n");
        for r in std::iter::once(&first_row).chain(&rows) {
            let _ = writeln!(tsv, "{}", r.cells().join("\t"));
        }
        std::fs::write(path, tsv).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(());
    };
    let mut verdict = Vec::new();
    let mut all_flat = errors == 0 && unsent == 0;
    if let (Some(a), Some(b)) = (first.sample.rss_kb, last.sample.rss_kb) {
        let (a, b) = (a as f64 * 1024.0 / 1e6, b as f64 * 1024.0 / 1e6);
        let ok = within(a, b, RSS_SHARE, RSS_FLOOR_MB);
        all_flat &= ok;
        verdict.push(format!(
            "RSS {a:.1} -> {b:.1} MB ({:+.1}%, {})",
            pct(a, b),
            flat(ok)
        ));
    }
    if let (Some(a), Some(b)) = (first.sample.fds, last.sample.fds) {
        // The server's files besides the sockets of the load generator's connections.
        let (a, b) = (
            a.saturating_sub(first.sample.conns),
            b.saturating_sub(last.sample.conns),
        );
        let ok = within(a as f64, b as f64, FD_SHARE, FD_FLOOR);
        all_flat &= ok;
        verdict.push(format!(
            "fds besides our connections {a} -> {b} ({})",
            flat(ok)
        ));
    }
    let ok = within(first.p99_ms, last.p99_ms, P99_FACTOR - 1.0, P99_FLOOR_MS);
    all_flat &= ok;
    verdict.push(format!(
        "p99 {:.2} -> {:.2} ms ({})",
        first.p99_ms,
        last.p99_ms,
        flat(ok)
    ));
    println!(
        "verdict: {} (first interval against last; flat = RSS within {:.0}% or {RSS_FLOOR_MB} MB, fds (net of the load generator's connections) within {:.0}% or {FD_FLOOR}, p99 within {P99_FACTOR}x or {P99_FLOOR_MS} ms; no errors, none left unsent): {}",
        if all_flat { "FLAT" } else { "NOT FLAT" },
        RSS_SHARE * 100.0,
        FD_SHARE * 100.0,
        verdict.join("; ")
    );
    if let (Some(a), Some(b)) = (before.db_bytes, last.sample.db_bytes) {
        let grown = b as f64 - a as f64;
        let minutes = last.at / 60.0;
        let invites = ok_of(Kind::Invite);
        let writes = invites + ok_of(Kind::Code) + ok_of(Kind::Refresh) + ok_of(Kind::Signin);
        let per = |bytes: f64, n: u64| {
            if n > 0 {
                format!("{:.0} B", bytes / n as f64)
            } else {
                "-".into()
            }
        };
        let tables_after = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || db.as_ref().as_ref().and_then(Database::tables))
        };
        let tables = match (tables_before, tables_after.await.ok().flatten()) {
            (Some(x), Some(y)) => Some(table_growth(&x, &y)),
            _ => None,
        };
        let per_invitation = match &tables {
            Some(t) => {
                let bytes: i64 = t
                    .iter()
                    .filter(|(n, _)| INVITATION_TABLES.contains(&n.as_str()))
                    .map(|(_, g)| g)
                    .sum();
                format!(
                    "{} per invitation (its rows in {})",
                    per(bytes as f64, invites),
                    INVITATION_TABLES.join(", ")
                )
            }
            None => format!(
                "{} per invitation if they alone grew it",
                per(grown, invites)
            ),
        };
        println!(
            "database: {} -> {} MB, {:+.2} MB/min; made {invites} invitations, {} grants, {} refreshes, {} sign-ins: {per_invitation}; {} per write of any kind",
            mb(Some(a)),
            mb(Some(b)),
            grown / 1e6 / minutes.max(f64::MIN_POSITIVE),
            ok_of(Kind::Code),
            ok_of(Kind::Refresh),
            ok_of(Kind::Signin),
            per(grown, writes)
        );
        if let Some(t) = tables {
            // What makes the rows of the tables that grow most.
            let made_by = |table: &str| match table {
                "users" | "invitations" | "guest_sponsors" => Some(("invitation", invites)),
                "grants" | "authorization_codes" => Some(("grant", ok_of(Kind::Code))),
                "refresh_tokens" => {
                    Some(("refresh token", ok_of(Kind::Code) + ok_of(Kind::Refresh)))
                }
                "sessions" => Some(("sign-in", ok_of(Kind::Signin))),
                "audit_events" => Some(("write", writes)),
                _ => None,
            };
            let total: i64 = t.iter().map(|(_, g)| g).sum();
            let parts: Vec<String> = t
                .iter()
                .take(8)
                .map(|(name, g)| match made_by(name) {
                    Some((what, n)) => format!(
                        "{name} {:+.2} MB ({} per {what})",
                        *g as f64 / 1e6,
                        per(*g as f64, n)
                    ),
                    None => format!("{name} {:+.2} MB", *g as f64 / 1e6),
                })
                .collect();
            println!(
                "database growth by table, with indexes: {}; all tables {:+.2} MB, database files {:+.2} MB (they differ by free pages and the write-ahead log)",
                parts.join(", "),
                total as f64 / 1e6,
                grown / 1e6
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_mix() {
        let w = parse_mix(DEFAULT_MIX).unwrap();
        assert_eq!(w, [2, 20, 30, 46, 2]);
        assert_eq!(parse_mix("userinfo=1").unwrap(), [0, 0, 0, 1, 0]);
        assert!(parse_mix("nope=1").is_err());
        assert!(parse_mix("signin=0").is_err());
        assert!(parse_mix("signin").is_err());
    }

    #[test]
    fn the_schedule_keeps_the_weights_and_spreads_them() {
        let w = [2, 20, 30, 46, 2];
        let order = schedule(&w);
        assert_eq!(order.len(), 100);
        for k in KINDS {
            let n = order.iter().filter(|&&o| o == k).count();
            assert_eq!(n as u32, w[k.index()], "{k:?}");
        }
        // The two sign-ins are half a cycle apart, not side by side.
        let at: Vec<usize> = (0..100).filter(|&i| order[i] == Kind::Signin).collect();
        assert!(at[1] - at[0] >= 40, "{at:?}");
    }

    #[test]
    fn reads_database_urls() {
        assert_eq!(
            Database::parse("sqlite:///tmp/x/guestlist.db").unwrap(),
            Database::Sqlite(PathBuf::from("/tmp/x/guestlist.db"))
        );
        assert_eq!(
            Database::parse("sqlite://data/g.db?mode=rwc").unwrap(),
            Database::Sqlite(PathBuf::from("data/g.db"))
        );
        assert!(matches!(
            Database::parse("postgres://postgres@127.0.0.1:5432/soak").unwrap(),
            Database::Postgres(_)
        ));
        assert!(Database::parse("mysql://x").is_err());
    }

    #[test]
    fn table_sizes_and_their_growth() {
        let before = parse_tables("users\t8192\ngrants\t4096\nbad line\n");
        let after = parse_tables("users\t12288\ngrants\t40960\nsessions\t4096\ntenants\t4096\n");
        assert_eq!(
            table_growth(&before, &after),
            vec![
                ("grants".to_string(), 36864),
                ("sessions".to_string(), 4096),
                ("tenants".to_string(), 4096),
                ("users".to_string(), 4096),
            ]
        );
    }

    #[test]
    fn tolerances() {
        assert!(within(40.0, 43.9, RSS_SHARE, RSS_FLOOR_MB));
        assert!(!within(40.0, 44.5, RSS_SHARE, RSS_FLOOR_MB));
        assert!(within(10.0, 11.9, RSS_SHARE, RSS_FLOOR_MB));
        assert!(within(2.0, 2.9, P99_FACTOR - 1.0, P99_FLOOR_MS));
        assert!(!within(4.0, 6.5, P99_FACTOR - 1.0, P99_FLOOR_MS));
        assert!(within(30.0, 25.0, FD_SHARE, FD_FLOOR));
    }

    #[test]
    fn reads_an_input() {
        let html = r#"<form><input type="hidden" name="csrf" value="t_1"></form>"#;
        assert_eq!(input_value(html, "csrf").as_deref(), Some("t_1"));
        assert_eq!(input_value(html, "x"), None);
    }
}
