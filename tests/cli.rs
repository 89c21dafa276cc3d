//! The `guestlist` binary as operators script it: create things with `--json`, rotate keys, and the
//! first `serve` on an empty directory.

mod common;

use common::TestDatabase;
use common::cli::{self, Run};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

struct Cli {
    db: TestDatabase,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            db: TestDatabase::new(),
        }
    }

    /// The binary on this test's database, in its temporary directory.
    fn command(&self) -> Command {
        let mut c = cli::command(&cli::database_env(&self.db));
        c.current_dir(self.db.dir.path());
        c
    }

    /// Runs with `args` (and `stdin`).
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        cli::run(self.command(), args, stdin)
    }

    /// Runs with `--json` and `args` (and `stdin`), which must succeed and print one JSON object.
    fn json(&self, args: &[&str], stdin: Option<&str>) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.run(&all, stdin);
        assert!(run.ok(), "{args:?} failed: {}", run.err);
        run.json()
    }
}

#[test]
fn operators_create_tenants_users_groups_and_apps_with_json_output() {
    let cli = Cli::new();
    let t = cli.json(&cli::CREATE_CONTOSO, None);
    assert_eq!(t["tenant"]["slug"], "contoso");
    assert!(
        t["tenant"]["issuer"]
            .as_str()
            .unwrap()
            .ends_with("/t/contoso")
    );
    let list = cli.json(&["tenant", "list"], None);
    assert_eq!(list["slug"], "contoso");
    let u = cli.json(
        &[
            "user",
            "create",
            "--tenant",
            "contoso",
            "--email",
            "alice@contoso.example",
            "--name",
            "Alice",
            "--password-stdin",
            "--admin",
            "--profile",
            r#"{"given_name":"Alice","birthdate":"1990-01-31"}"#,
        ],
        Some("a long enough password\n"),
    );
    assert_eq!(u["user"]["userPrincipalName"], "alice@contoso.example");
    assert_eq!(u["user"]["roles"], serde_json::json!(["Admin"]));
    let g = cli.json(
        &[
            "group", "create", "--tenant", "contoso", "--name", "Partners",
        ],
        None,
    );
    assert!(uuid::Uuid::parse_str(g["group"]["id"].as_str().unwrap()).is_ok());
    let plain = cli.run(
        &["group", "create", "--tenant", "contoso", "--name", "Others"],
        None,
    );
    assert!(
        uuid::Uuid::parse_str(plain.stdout().trim()).is_ok(),
        "without --json the group id alone: {}",
        plain.out
    );
    let a = cli.json(
        &[
            "app",
            "create",
            "--tenant",
            "contoso",
            "--name",
            "Moodle",
            "--redirect-uri",
            "https://moodle.example/cb",
            "--post-logout-redirect-uri",
            "https://moodle.example/",
            "--signing-alg",
            "ES256",
        ],
        None,
    );
    assert!(
        a["clientSecret"].as_str().unwrap().len() >= 43,
        "secrets carry at least 256 bits"
    );
    assert_eq!(a["signingAlg"], "ES256");
    let p = cli.json(
        &[
            "app",
            "create",
            "--tenant",
            "contoso",
            "--name",
            "SPA",
            "--redirect-uri",
            "https://spa.example/cb",
            "--public",
        ],
        None,
    );
    assert!(p.get("clientSecret").is_none());
}

#[test]
fn bad_input_is_a_clear_error_and_a_non_zero_exit() {
    let cli = Cli::new();
    cli.run(
        &[
            "tenant",
            "create",
            "--slug",
            "Bad Slug",
            "--name",
            "X",
            "--domain",
            "x.example",
        ],
        None,
    )
    .assert_refused("slug");
    let create_dup = [
        "tenant",
        "create",
        "--slug",
        "dup",
        "--name",
        "Dup",
        "--domain",
        "dup.example",
    ];
    cli.json(&create_dup, None);
    cli.run(&create_dup, None).assert_refused("exists");
    cli.run(
        &[
            "app",
            "create",
            "--tenant",
            "dup",
            "--name",
            "X",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        None,
    )
    .assert_refused("redirectUris");
    let bad_profile = r#"{"birthdate":"yesterday"}"#;
    cli.run(
        &[
            "user",
            "create",
            "--tenant",
            "dup",
            "--email",
            "p@b.example",
            "--name",
            "P",
            "--profile",
            bad_profile,
        ],
        None,
    )
    .assert_refused("birthdate");
    cli.run(
        &[
            "user",
            "create",
            "--tenant",
            "nope",
            "--email",
            "a@b.example",
            "--name",
            "A",
        ],
        None,
    )
    .assert_refused("no tenant");
    cli.run(
        &[
            "user",
            "create",
            "--tenant",
            "dup",
            "--email",
            "a@b.example",
            "--name",
            "A",
            "--password-stdin",
        ],
        Some("short\n"),
    )
    .assert_refused("10 characters");
}

#[test]
fn keys_rotate_adds_keys_and_keeps_the_old_ones() {
    let cli = Cli::new();
    cli.json(&["migrate"], None);
    cli.json(
        &[
            "tenant",
            "create",
            "--slug",
            "keys",
            "--name",
            "K",
            "--domain",
            "k.example",
        ],
        None,
    );
    let first: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cli.db.dir.path().join("keys/keyset.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(first["keys"].as_array().unwrap().len(), 3);
    let r = cli.json(&["keys", "rotate", "--activate-in", "0"], None);
    assert_eq!(r["kids"].as_array().unwrap().len(), 3);
    let after: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(cli.db.dir.path().join("keys/keyset.json")).unwrap(),
    )
    .unwrap();
    let kids = |set: &serde_json::Value| -> Vec<String> {
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect()
    };
    let (old_kids, new_kids) = (kids(&first), kids(&after));
    assert_eq!(new_kids.len(), 6);
    for kid in &old_kids {
        assert!(
            new_kids.contains(kid),
            "{kid} is kept so tokens it signed still verify"
        );
    }
    for kid in r["kids"].as_array().unwrap() {
        let kid = kid.as_str().unwrap();
        assert!(
            new_kids.iter().any(|k| k == kid) && !old_kids.iter().any(|k| k == kid),
            "{kid} is a new key in the set"
        );
    }
}

#[test]
fn first_serve_creates_the_default_tenant_and_prints_a_setup_link() {
    let cli = Cli::new();
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = cli
        .command()
        .arg("serve")
        .env("GUESTLIST_LISTEN", format!("127.0.0.1:{port}"))
        .env("GUESTLIST_PUBLIC_URL", &base)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut link = None;
    for line in lines.by_ref().take(20) {
        let line = line.unwrap();
        if let Some(pos) = line.find(&format!("{base}/t/default/setup/")) {
            link = Some(line[pos..].trim().to_string());
        }
        if line.contains("listening") {
            break;
        }
    }
    let link = link.expect("a setup link is printed");
    let ready = (0..100).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (discovery, setup) = rt.block_on(async {
        let d = reqwest::get(format!("{base}/t/default/.well-known/openid-configuration"))
            .await
            .unwrap();
        let s = reqwest::get(&link).await.unwrap();
        (d.status().as_u16(), s.status().as_u16())
    });
    child.kill().ok();
    child.wait().ok();
    assert_eq!(discovery, 200);
    assert_eq!(setup, 200, "the setup link opens its form");
    assert!(
        cli.db.dir.path().join("keys/keyset.json").exists(),
        "keys were generated"
    );
}
