//! `guestlist idp …`: upstream identity providers managed with the binary, in-process on the server's
//! database (as the operator) and against the running server with `--server URL --token T`. The client
//! secret goes in on standard input and never comes out.

mod common;

use common::cli::{self, Run};
use common::*;
use guestlist::service::auth::Actor;
use guestlist::service::federation::{self, events};
use serde_json::{Value, json};
use std::cell::RefCell;

const SECRET: &str = "fabrikam-upstream-secret-4f9c21";
const NEW_SECRET: &str = "replaced-upstream-secret-77ab03";

/// An operator running the binary in tenant contoso; every output is kept, so that the test can check
/// that none of them ever held a secret.
struct Operator {
    env: Vec<(&'static str, String)>,
    /// Put before every command: `--server URL --token T` in remote mode.
    prefix: Vec<String>,
    printed: RefCell<String>,
}

impl Operator {
    /// On the test server's database, keys and public URL; issuers may be `http` (the test server is one).
    fn local(server: &TestServer) -> Operator {
        let mut env = cli::database_env(&server.db);
        env.push(("GUESTLIST_PUBLIC_URL", server.base.clone()));
        env.push(("GUESTLIST_FEDERATION_ALLOW_HTTP", "true".into()));
        Operator {
            env,
            prefix: vec![],
            printed: RefCell::default(),
        }
    }

    /// Against the test server's API with `token`; nothing local is used (the database points nowhere).
    fn remote(server: &TestServer, token: &str) -> Operator {
        Operator {
            env: vec![(
                "GUESTLIST_DATABASE_URL",
                "sqlite:///nonexistent/dir/x.db".into(),
            )],
            prefix: vec![
                "--server".into(),
                server.base.clone(),
                "--token".into(),
                token.into(),
            ],
            printed: RefCell::default(),
        }
    }

    /// Runs `args` then `--tenant contoso`, with `stdin`.
    async fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut all: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        all.extend_from_slice(args);
        all.extend(["--tenant", "contoso"]);
        let r = cli::run_async(cli::command(&self.env), &all, stdin).await;
        let mut printed = self.printed.borrow_mut();
        printed.push_str(&r.out);
        printed.push_str(&r.err);
        r
    }

    /// Runs `--json` and `args`, which must succeed and print one object.
    async fn json(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let r = self.run(&all, stdin).await;
        assert!(r.ok(), "{args:?} failed: {}", r.err);
        r.json()
    }

    /// The ETag `idp show` prints.
    async fn etag(&self, id: &str) -> String {
        let shown = self.run(&["idp", "show", id], None).await;
        shown
            .stdout()
            .lines()
            .find_map(|l| l.strip_prefix("etag: "))
            .unwrap_or_else(|| panic!("show prints the ETag: {}", shown.out))
            .to_string()
    }

    #[track_caller]
    fn assert_never_printed(&self, secret: &str) {
        let printed = self.printed.borrow();
        assert!(!printed.is_empty());
        assert!(
            !printed.contains(secret),
            "a client secret was printed: {printed}"
        );
    }
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// The client secret the server holds for provider `id`, unsealed.
async fn stored_secret(server: &TestServer, id: &str) -> String {
    federation::offered_one(&server.svc, &server.tenant, id)
        .await
        .expect("an enabled provider")
        .client_secret(&server.svc)
        .expect("the secret opens")
}

fn create_args<'a>(name: &'a str, issuer: &'a str) -> Vec<&'a str> {
    vec![
        "idp",
        "create",
        "--name",
        name,
        "--issuer",
        issuer,
        "--client-id",
        "guestlist-at-fabrikam",
        "--client-secret-stdin",
    ]
}

#[actix_web::test]
async fn local_mode_creates_lists_shows_updates_tests_and_deletes_providers() {
    let server = TestServer::start().await;
    let op = Operator::local(&server);
    // The test server's own tenant is an OpenID Connect provider: the upstream of this test.
    let issuer = server.issuer();

    // The secret comes only from standard input, and not empty.
    let no_flag = op
        .run(
            &[
                "idp",
                "create",
                "--name",
                "Fabrikam",
                "--issuer",
                &issuer,
                "--client-id",
                "x",
            ],
            Some("s\n"),
        )
        .await;
    assert_eq!(no_flag.code, 2, "{}", no_flag.err);
    assert!(
        no_flag.err.contains("--client-secret-stdin"),
        "{}",
        no_flag.err
    );
    let empty = op.run(&create_args("Fabrikam", &issuer), Some("\n")).await;
    assert_eq!(empty.code, 2, "{}", empty.err);
    assert!(
        empty.err.starts_with("error: ") && empty.err.contains("empty"),
        "{}",
        empty.err
    );
    let without_members = op
        .run(
            &[&create_args("Fabrikam", &issuer)[..], &["--create-members"]].concat(),
            Some("s\n"),
        )
        .await;
    assert_eq!(without_members.code, 2, "--create-members needs --members");
    let none = op.run(&["--json", "idp", "list"], None).await.lines();
    assert!(none.is_empty(), "the refusals created nothing: {none:?}");

    // Create: the secret (without its line ending) is stored, and the answer does not hold it.
    let mut args = create_args("Fabrikam", &issuer);
    args.extend([
        "--domain",
        "fabrikam.example",
        "--scope",
        "email",
        "--members",
        "--create-members",
        "--name-claim",
        "given_name",
    ]);
    let created = op.json(&args, Some(&format!("{SECRET}\n"))).await;
    let id = str_of(&created["id"]);
    assert_eq!(created["displayName"], "Fabrikam");
    assert_eq!(created["issuer"], issuer.as_str());
    assert_eq!(created["clientId"], "guestlist-at-fabrikam");
    assert_eq!(created["domains"], json!(["fabrikam.example"]));
    assert_eq!(created["scopes"], json!(["openid", "email"]));
    assert_eq!(created["nameClaim"], "given_name");
    assert_eq!(
        created["emailClaim"], "email",
        "the generic preset's default"
    );
    assert_eq!(
        (&created["members"], &created["createMembers"]),
        (&json!(true), &json!(true))
    );
    assert_eq!(created["enabled"], true);
    assert_eq!(
        created["redirectUri"],
        server.url("/federation/callback").as_str()
    );
    assert!(created.get("clientSecret").is_none(), "{created}");
    assert_eq!(stored_secret(&server, &id).await, SECRET);

    // List, as JSON and as a table.
    let listed = op.run(&["--json", "idp", "list"], None).await.lines();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["shared"], false);
    let table = op.run(&["idp", "list"], None).await;
    let table = table.stdout();
    assert!(table.starts_with("ID "), "{table}");
    assert!(
        table.contains(&id) && table.contains("Fabrikam") && table.contains("fabrikam.example"),
        "{table}"
    );

    // Show: field by field with the redirect URI to register and the ETag.
    let shown = op.run(&["idp", "show", &id], None).await;
    let shown = shown.stdout();
    assert!(
        shown.contains(&format!(
            "redirect uri: {}",
            server.url("/federation/callback")
        )),
        "{shown}"
    );
    assert!(
        shown.contains("client id: guestlist-at-fabrikam"),
        "{shown}"
    );

    // Update the domains with the ETag read; a stale ETag is then refused.
    let etag = op.etag(&id).await;
    let updated = op
        .json(
            &[
                "idp",
                "update",
                &id,
                "--domain",
                "fabrikam.example",
                "--domain",
                "Partners.Fabrikam.example",
                "--if-match",
                &etag,
            ],
            None,
        )
        .await;
    assert_eq!(
        updated["domains"],
        json!(["fabrikam.example", "partners.fabrikam.example"])
    );
    assert_eq!(
        updated["clientId"], "guestlist-at-fabrikam",
        "other fields stay"
    );
    let stale = op
        .run(
            &["idp", "update", &id, "--name", "Stale", "--if-match", &etag],
            None,
        )
        .await;
    assert_eq!(stale.code, 1, "a stale ETag is refused: {}", stale.out);
    assert!(stale.err.starts_with("error: "), "{}", stale.err);
    let nothing = op.run(&["idp", "update", &id], None).await;
    assert_eq!(nothing.code, 2, "an update without fields is a usage error");

    // Replace the secret (standard input again), switch the provider off and on.
    let before = op.etag(&id).await;
    let empty = op
        .run(&["idp", "update", &id, "--client-secret-stdin"], Some(""))
        .await;
    assert_eq!(empty.code, 2, "{}", empty.err);
    assert_eq!(stored_secret(&server, &id).await, SECRET, "kept");
    let replaced = op
        .run(
            &["idp", "update", &id, "--client-secret-stdin"],
            Some(&format!("{NEW_SECRET}\r\n")),
        )
        .await;
    assert_eq!(replaced.code, 0, "{}", replaced.err);
    assert_eq!(stored_secret(&server, &id).await, NEW_SECRET);
    assert_ne!(op.etag(&id).await, before, "a new secret is a new version");
    let off = op
        .json(&["idp", "update", &id, "--enabled", "false"], None)
        .await;
    assert_eq!(off["enabled"], false);
    assert!(
        federation::offered(&server.svc, &server.tenant)
            .await
            .unwrap()
            .iter()
            .all(|p| p.id != id),
        "the sign-in pages no longer offer it"
    );
    let on = op
        .json(
            &[
                "idp",
                "update",
                &id,
                "--enabled",
                "true",
                "--trust-email",
                "yes",
            ],
            None,
        )
        .await;
    assert_eq!(
        (&on["enabled"], &on["trustEmail"]),
        (&json!(true), &json!(true))
    );

    let cleared = op.json(&["idp", "update", &id, "--domain", ""], None).await;
    assert_eq!(cleared["domains"], json!([]), "--domain \"\" serves none");

    // The connection test reads the provider's discovery document and keys.
    let tested = op.json(&["idp", "test", &id], None).await;
    assert_eq!(tested["ok"], true, "{tested}");
    assert!(
        str_of(&tested["authorizationEndpoint"]).starts_with(&issuer),
        "{tested}"
    );
    let text = op.run(&["idp", "test", &id], None).await;
    assert!(text.stdout().contains("ok: true"), "{}", text.out);
    assert!(!text.out.contains("error"), "{}", text.out);

    // A provider nobody answers for: the test fails with exit code 1 and says why.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let broken = op
        .json(&create_args("Nowhere", &nowhere), Some("another secret\n"))
        .await;
    let broken = str_of(&broken["id"]);
    let failed = op.run(&["idp", "test", &broken], None).await;
    assert_eq!(failed.code, 1, "{}", failed.out);
    assert!(
        failed
            .err
            .starts_with("error: the connection test failed: "),
        "{}",
        failed.err
    );
    let failed = op.run(&["--json", "idp", "test", &broken], None).await;
    assert_eq!(failed.code, 1);
    let answer: Value = serde_json::from_str(failed.out.trim()).expect("the JSON answer");
    assert_eq!(answer["ok"], false, "{answer}");

    // Delete: only with --yes, and with the ETag.
    let refused = op.run(&["idp", "delete", &id], None).await;
    assert_eq!(refused.code, 2);
    assert!(refused.err.contains("--yes"), "{}", refused.err);
    assert_eq!(
        op.run(&["idp", "show", &id], None).await.code,
        0,
        "still there"
    );
    let stale = op
        .run(&["idp", "delete", &id, "--yes", "--if-match", &etag], None)
        .await;
    assert_eq!(stale.code, 1, "a stale ETag is refused: {}", stale.out);
    let current = op.etag(&id).await;
    let deleted = op
        .run(
            &["idp", "delete", &id, "--yes", "--if-match", &current],
            None,
        )
        .await;
    assert_eq!(deleted.code, 0, "{}", deleted.err);
    assert!(
        deleted
            .out
            .contains(&format!("deleted identity provider {id}")),
        "{}",
        deleted.out
    );
    let gone = op.run(&["idp", "show", &id], None).await;
    assert_eq!(gone.code, 1);
    let left = op.run(&["--json", "idp", "list"], None).await.lines();
    assert!(left.iter().all(|p| p["id"] != id.as_str()), "{left:?}");

    // The audit log has each change, by the operator.
    for name in [
        events::ADD_PROVIDER,
        events::UPDATE_PROVIDER,
        events::DELETE_PROVIDER,
    ] {
        let log = op
            .run(&["--json", "audit", "list", "--event", name], None)
            .await
            .lines();
        assert!(
            log.iter()
                .any(|e| e["target"] == id.as_str() && e["actor"] == "operator"),
            "{name}: {log:?}"
        );
    }

    op.assert_never_printed(SECRET);
    op.assert_never_printed(NEW_SECRET);
    op.assert_never_printed("another secret");
}

#[actix_web::test]
async fn remote_mode_manages_providers_through_the_servers_api() {
    let server = TestServer::start_with(|c| c.federation_allow_http = true).await;
    let automation = server
        .app(|a| a.allowed_scopes = vec!["guestlist.admin".into()])
        .await;
    let token = app_token_of(&server, &server.issuer(), &automation, "guestlist.admin").await;
    let op = Operator::remote(&server, &token);
    let issuer = server.issuer();

    let mut args = create_args("Fabrikam", &issuer);
    args.extend(["--domain", "fabrikam.example", "--disabled"]);
    let created = op.json(&args, Some(&format!("{SECRET}\n"))).await;
    let id = str_of(&created["id"]);
    assert_eq!(created["enabled"], false);
    assert!(created.get("clientSecret").is_none(), "{created}");
    let stored = federation::get(&server.svc, &Actor::operator(), &server.tenant, &id)
        .await
        .expect("the server's database has it");
    assert_eq!(stored.domains, vec!["fabrikam.example".to_string()]);

    let listed = op.run(&["--json", "idp", "list"], None).await.lines();
    assert!(listed.iter().any(|p| p["id"] == id.as_str()), "{listed:?}");

    let etag = op.etag(&id).await;
    let updated = op
        .json(
            &[
                "idp",
                "update",
                &id,
                "--domain",
                "fabrikam.example",
                "--domain",
                "contractors.example",
                "--enabled",
                "true",
                "--client-secret-stdin",
                "--if-match",
                &etag,
            ],
            Some(&format!("{NEW_SECRET}\n")),
        )
        .await;
    assert_eq!(
        updated["domains"],
        json!(["fabrikam.example", "contractors.example"])
    );
    assert_eq!(updated["enabled"], true);
    assert_eq!(stored_secret(&server, &id).await, NEW_SECRET);
    let stale = op
        .run(
            &["idp", "update", &id, "--name", "Stale", "--if-match", &etag],
            None,
        )
        .await;
    assert_eq!(stale.code, 1, "the server refuses a stale ETag");
    assert!(stale.err.starts_with("error: "), "{}", stale.err);

    // The server reads its upstream's documents (its own tenant here).
    let tested = op.json(&["idp", "test", &id], None).await;
    assert_eq!(tested["ok"], true, "{tested}");

    let deleted = op.run(&["idp", "delete", &id, "--yes"], None).await;
    assert_eq!(deleted.code, 0, "{}", deleted.err);
    let gone = federation::get(&server.svc, &Actor::operator(), &server.tenant, &id).await;
    assert!(gone.is_err(), "deleted on the server");

    let log = op
        .run(
            &["--json", "audit", "list", "--event", events::ADD_PROVIDER],
            None,
        )
        .await
        .lines();
    let by = format!("app:{}", automation.client_id);
    assert!(
        log.iter().any(|e| e["actor"] == by.as_str()),
        "the app is the actor: {log:?}"
    );

    op.assert_never_printed(SECRET);
    op.assert_never_printed(NEW_SECRET);
}

#[actix_web::test]
async fn the_operator_shares_a_provider_with_every_tenant_and_withdraws_it() {
    let server = TestServer::start_with(|c| c.federation_allow_http = true).await;
    let op = Operator::local(&server);
    let run = |args: Vec<&str>, stdin: Option<&'static str>| {
        let env = op.env.clone();
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli::run_async(cli::command(&env), &args, stdin).await
        }
    };
    let mut shared = vec!["--json"];
    shared.extend(create_args("Everyone's IdP", "https://idp.shared.example"));
    shared.push("--shared");

    // A provider is either a tenant's or everyone's.
    let mut both = shared.clone();
    both.extend(["--tenant", "contoso"]);
    let refused = run(both, Some(SECRET)).await;
    assert_eq!(refused.code, 2, "{}", refused.err);

    let created = run(shared, Some(SECRET)).await;
    assert!(created.ok(), "{}", created.err);
    let created = created.json();
    assert_eq!(created["shared"], json!(true), "{created}");
    assert!(!created.to_string().contains(SECRET));
    let id = str_of(&created["id"]);
    assert_eq!(stored_secret(&server, &id).await, SECRET);
    // Every tenant sees it (and cannot change it: tests/federation.rs).
    let northwind = server
        .tenant_named("northwind", "Northwind", "northwind.example")
        .await;
    let seen = federation::list(&server.svc, &Actor::operator(), &northwind)
        .await
        .unwrap();
    assert!(seen.iter().any(|p| p.id == id && p.shared), "{seen:?}");

    // Withdrawing it needs --yes, then it is offered nowhere.
    let unconfirmed = run(vec!["idp", "delete-shared", &id], None).await;
    assert_eq!(unconfirmed.code, 2, "{}", unconfirmed.err);
    assert!(unconfirmed.err.contains("--yes"), "{}", unconfirmed.err);
    assert!(
        federation::offered_one(&server.svc, &northwind, &id)
            .await
            .is_ok()
    );
    let withdrawn = run(vec!["idp", "delete-shared", &id, "--yes"], None).await;
    assert!(withdrawn.ok(), "{}", withdrawn.err);
    assert!(
        federation::offered_one(&server.svc, &northwind, &id)
            .await
            .is_err()
    );
    assert!(
        federation::offered_one(&server.svc, &server.tenant, &id)
            .await
            .is_err()
    );
}
