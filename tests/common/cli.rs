//! The `guestlist` binary run as an operator runs it: a process of its own whose configuration is
//! only what the test gives it, its output collected.

use super::TestDatabase;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_guestlist");

/// The arguments that create contoso, the tenant of the harness.
pub const CREATE_CONTOSO: [&str; 8] = [
    "tenant",
    "create",
    "--slug",
    "contoso",
    "--name",
    "Contoso",
    "--domain",
    "contoso.example",
];

/// The binary with the configuration `vars` alone: no `GUESTLIST_` variable of the test's own
/// environment reaches it (one could point it at another database or server), and it logs warnings
/// unless `vars` says otherwise.
pub fn command(vars: &[(&str, String)]) -> Command {
    let mut c = Command::new(BIN);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GUESTLIST_") {
            c.env_remove(name);
        }
    }
    c.env("GUESTLIST_LOG", "warn");
    c.envs(vars.iter().map(|(k, v)| (*k, v)));
    c
}

/// The configuration of a process on `db`: its database, and its data and keys directories in the
/// database's temporary directory.
pub fn database_env(db: &TestDatabase) -> Vec<(&'static str, String)> {
    let dir = db.dir.path();
    vec![
        ("GUESTLIST_DATABASE_URL", db.url()),
        ("GUESTLIST_DATA_DIR", dir.join("data").display().to_string()),
        ("GUESTLIST_KEYS_DIR", dir.join("keys").display().to_string()),
    ]
}

/// What a run of the binary gave: exit code, standard output and error.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub out: String,
    pub err: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == 0
    }

    /// Asserts that the run failed and said why in a message holding `says`.
    #[track_caller]
    pub fn assert_refused(&self, says: &str) {
        assert!(!self.ok(), "refused: {}", self.out);
        assert!(self.err.contains(says), "{}", self.err);
    }

    /// Standard output of a run that succeeded.
    pub fn stdout(&self) -> &str {
        assert!(self.ok(), "failed ({}): {}", self.code, self.err);
        &self.out
    }

    /// The output of a run that succeeded as JSON objects, one per line.
    pub fn lines(&self) -> Vec<Value> {
        self.stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
            .collect()
    }

    /// The output of a run that succeeded as one JSON object on one line.
    pub fn json(&self) -> Value {
        let mut lines = self.lines();
        assert_eq!(lines.len(), 1, "one object: {}", self.out);
        lines.remove(0)
    }
}

/// Runs `command` with `args`, writing `stdin` to it (closed at once when `None`).
pub fn run(mut command: Command, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start guestlist");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into(),
        err: String::from_utf8_lossy(&out.stderr).into(),
    }
}

/// [`run`] off the async runtime's thread, so that a server on the same runtime answers meanwhile.
pub async fn run_async(command: Command, args: &[&str], stdin: Option<&str>) -> Run {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(command, &args, stdin.as_deref())
    })
    .await
    .unwrap()
}
