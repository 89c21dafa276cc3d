//! Load driver for the guestlist benchmark. `bench/run` builds and seeds a server, then calls
//! `loadgen run`; see `bench/README.md`.

mod argon;
mod client;
mod driver;
mod process;
mod report;
mod scenarios;
mod seed;
mod soak;
mod stats;
mod workloads;

use clap::{Parser, Subcommand};
use client::{Target, Template};
use driver::LoadOptions;
use scenarios::{Bench, ClientAuth, Scenario};
use seed::Seed;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Parser)]
#[command(name = "loadgen", about = "Load driver for the guestlist benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a free TCP port on 127.0.0.1.
    FreePort,
    /// Poll GET /readyz every 5 ms until it answers 200; print milliseconds since --since-ns.
    WaitReady {
        /// http://127.0.0.1:PORT
        #[arg(long)]
        base: String,
        /// The path to poll (another provider has no /readyz).
        #[arg(long, default_value = "/readyz")]
        path: String,
        /// When the server was started, in nanoseconds since the Unix epoch (`date +%s%N`).
        #[arg(long)]
        since_ns: u128,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 30.0)]
        timeout: f64,
    },
    /// Measure raw argon2id verification (the server's parameters) on some threads.
    Argon2 {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Run scenarios against a seeded server and print one line each.
    Run(RunArgs),
    /// Capacity of a mixed workload, then a long open loop at a share of it (bench/soak).
    Soak(soak::SoakArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// http://127.0.0.1:PORT (loopback only); several, comma-separated, for server processes that
    /// share one database: the connections are spread over them evenly.
    #[arg(long, value_delimiter = ',', required = true)]
    base: Vec<String>,
    /// JSON written by bench/run: tenant, apps, users, password.
    #[arg(long)]
    seed: PathBuf,
    /// Scenarios, in order (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenarios: Vec<Scenario>,
    /// Open connections, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unmeasured seconds before each scenario's window.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    #[arg(long, value_enum, default_value_t = ClientAuth::Post)]
    client_auth: ClientAuth,
    /// Authorization codes to mint before code-exchange.
    #[arg(long, default_value_t = 60_000)]
    max_codes: usize,
    /// Most seconds to spend minting codes.
    #[arg(long, default_value_t = 30.0)]
    mint_seconds: f64,
    /// Seconds of raw argon2id verification for the sign-in baseline (0: skip).
    #[arg(long, default_value_t = 5.0)]
    argon2_seconds: f64,
    /// Threads for the argon2id baseline (the cores the server has).
    #[arg(long, default_value_t = 2)]
    argon2_threads: usize,
    /// The server's process ids (comma-separated): wait for them to go idle before each scenario
    /// and print their memory after each.
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<u32>,
    /// Append tab-separated summary rows to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// An executable run as `HOOK before NAME` before each measured phase and `HOOK after NAME
    /// SENT` after it (requests sent, warm-up and those in flight at the end included), while no
    /// load runs.
    #[arg(long)]
    phase_hook: Option<PathBuf>,
}

/// Longest wait for the server to go idle between scenarios.
const SETTLE_LIMIT: Duration = Duration::from_secs(15);

fn seconds(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|e| format!("bad duration {s}: {e}"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::FreePort => free_port(),
        Command::WaitReady {
            base,
            path,
            since_ns,
            timeout,
        } => runtime(1).and_then(|rt| rt.block_on(wait_ready(&base, &path, since_ns, timeout))),
        Command::Argon2 {
            threads,
            seconds: s,
        } => argon2_only(threads, s),
        Command::Run(args) => runtime(args.threads).and_then(|rt| rt.block_on(run(args))),
        Command::Soak(args) => runtime(args.threads).and_then(|rt| rt.block_on(soak::run(args))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

fn free_port() -> Result<(), String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    println!("{port}");
    Ok(())
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

async fn wait_ready(base: &str, path: &str, since_ns: u128, timeout: f64) -> Result<(), String> {
    let target = Target::parse(base).map_err(|e| e.to_string())?;
    let probe = Template::get(path);
    let give_up = Instant::now() + seconds(timeout)?;
    let mut interval = tokio::time::interval(Duration::from_millis(5));
    while Instant::now() < give_up {
        interval.tick().await;
        let attempt = tokio::time::timeout(Duration::from_secs(1), client::once(&target, &probe));
        if let Ok(Ok(reply)) = attempt.await
            && reply.status == hyper::StatusCode::OK
        {
            let ms = unix_nanos().saturating_sub(since_ns) as f64 / 1e6;
            println!("{ms:.1}");
            return Ok(());
        }
    }
    Err(format!(
        "{base}{path} did not answer 200 within {timeout} s"
    ))
}

/// Raw argon2id verification for `--argon2-seconds` on `--argon2-threads` threads.
async fn measure_baseline(args: &RunArgs) -> Result<argon::Baseline, String> {
    let (threads, duration) = (args.argon2_threads, seconds(args.argon2_seconds)?);
    tokio::task::spawn_blocking(move || argon::measure(threads, duration))
        .await
        .map_err(|e| e.to_string())?
}

fn argon2_only(threads: usize, s: f64) -> Result<(), String> {
    let b = argon::measure(threads, seconds(s)?)?;
    println!("{}", report::baseline_line(&b, threads));
    Ok(())
}

async fn run(args: RunArgs) -> Result<(), String> {
    let targets = args
        .base
        .iter()
        .map(|b| Target::parse(b).map_err(|e| format!("{b}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let seed = Seed::load(&args.seed)?;
    let scenarios = if args.scenarios.is_empty() {
        vec![
            Scenario::Discovery,
            Scenario::Jwks,
            Scenario::CcEs256,
            Scenario::CcRs256,
            Scenario::CodeExchange,
            Scenario::Signin,
            Scenario::Flood,
            Scenario::Throttled,
        ]
    } else {
        args.scenarios.clone()
    };
    let bench = Bench {
        targets,
        seed,
        load: LoadOptions {
            concurrency: args.concurrency,
            warmup: seconds(args.warmup)?,
            duration: seconds(args.duration)?,
        },
        client_auth: args.client_auth,
        max_codes: args.max_codes,
        mint_time: seconds(args.mint_seconds)?,
        hook: args.phase_hook.clone(),
    };
    // The baseline runs first, with the server idle, on as many threads as the server has cores.
    let baseline = if args.argon2_seconds > 0.0 {
        let b = measure_baseline(&args).await?;
        println!("{}", report::baseline_line(&b, args.argon2_threads));
        Some(b)
    } else {
        None
    };
    // Sign-in is compared with the baseline measured just before and just after it: this machine's
    // speed can move by a third within minutes, and a baseline from a minute earlier then says more
    // about the machine than about the server.
    let mut signin_baseline = None;
    let mut outcomes = Vec::new();
    let mut failed = Vec::new();
    for scenario in scenarios {
        for &pid in &args.server_pid {
            process::settle(pid, SETTLE_LIMIT).await;
        }
        let beside = matches!(scenario, Scenario::Signin) && baseline.is_some();
        let before = if beside {
            Some(measure_baseline(&args).await?)
        } else {
            None
        };
        let result = bench.run(scenario).await;
        if let Some(before) = before {
            // The requests still in flight at the end finish first (each is a hash).
            for &pid in &args.server_pid {
                process::settle(pid, SETTLE_LIMIT).await;
            }
            let after = measure_baseline(&args).await?;
            for (when, b) in [("just before", &before), ("just after", &after)] {
                println!(
                    "{} ({when} sign-in)",
                    report::baseline_line(b, args.argon2_threads)
                );
            }
            signin_baseline = Some(before.combined(&after));
        }
        match result {
            Ok(results) => {
                for o in results {
                    println!("{}", o.line());
                    outcomes.push(o);
                }
            }
            Err(e) => {
                println!("{:<16} failed: {e}", scenario.name());
                failed.push(scenario.name());
            }
        }
        for &pid in &args.server_pid {
            println!("{:<16} {}", "", process::memory_line(pid));
        }
    }
    let beside_signin = signin_baseline.as_ref().or(baseline.as_ref());
    if let (Some(b), Some(s)) = (beside_signin, outcomes.iter().find(|o| o.name == "signin")) {
        println!(
            "{:<16} sign-in reaches {:.0}% of raw argon2id verification ({:.1}/s, measured around it)",
            "",
            s.rate() / b.rate().max(f64::MIN_POSITIVE) * 100.0,
            b.rate()
        );
    }
    let find = |name: &str| outcomes.iter().find(|o| o.name == name);
    if let (Some(b), Some(attack), Some(people)) =
        (&baseline, find("flood-attacker"), find("flood-rightful"))
    {
        let succeeded = people.requests.saturating_sub(people.errors) as f64
            / (people.requests.max(1) as f64)
            * 100.0;
        println!(
            "{:<16} the flood ran at {:.0}x raw argon2id capacity; rightful sign-ins: {succeeded:.1}% succeeded, p99 {:.0} ms",
            "",
            attack.rate() / b.rate().max(f64::MIN_POSITIVE),
            people.p99_ms
        );
    }
    if let Some(path) = &args.summary {
        let mut rows: Vec<String> = outcomes
            .iter()
            .map(|o| match o.name.as_str() {
                "signin" => report::row(o, beside_signin),
                _ => report::row(o, baseline.as_ref()),
            })
            .collect();
        if let Some(b) = &baseline {
            rows.push(report::baseline_row(b, args.argon2_threads));
        }
        rows.extend(
            failed
                .iter()
                .map(|name| format!("{name}\tfailed\t-\t-\t-\t-\tno")),
        );
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        for r in rows {
            writeln!(file, "{r}").map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}
