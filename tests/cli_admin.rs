//! Admin commands of the `guestlist` binary: locally (the admin API in-process on the server's
//! database, as the operator) and against a running server with `--server URL --token T`.

mod common;

use common::cli::{self, Run};
use common::*;
use guestlist::service::audit::events;
use serde_json::Value;

/// Runs the binary with `env` alone as its configuration, without blocking the server's runtime.
async fn run(env: Vec<(&'static str, String)>, args: &[&str]) -> Run {
    cli::run_async(cli::command(&env), args, None).await
}

/// The environment of a local run on the test server's database, keys and public URL.
fn local_env(server: &TestServer) -> Vec<(&'static str, String)> {
    let mut env = cli::database_env(&server.db);
    env.push(("GUESTLIST_PUBLIC_URL", server.base.clone()));
    env
}

/// A local run in tenant `contoso` (the harness's tenant): `args` then `--tenant contoso`.
async fn local(server: &TestServer, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--tenant", "contoso"]);
    run(local_env(server), &all).await
}

fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

#[actix_web::test]
async fn local_mode_manages_users_groups_apps_settings_and_reads_the_audit_log() {
    let server = TestServer::start().await;

    // Users: create, list as JSON, update with the ETag round trip, disable, reset password.
    let created = local(
        &server,
        &[
            "--json",
            "user",
            "create",
            "--email",
            "alice@contoso.example",
            "--name",
            "Alice",
        ],
    )
    .await
    .json();
    let alice = str_of(&created["user"]["id"]);
    let users = local(&server, &["--json", "user", "list"]).await.lines();
    let listed = users
        .iter()
        .find(|u| u["id"] == alice.as_str())
        .expect("alice listed");
    assert_eq!(listed["userPrincipalName"], "alice@contoso.example");
    assert_eq!(listed["accountEnabled"], true);
    let guests = local(&server, &["--json", "user", "list", "--type", "Guest"]).await;
    assert!(guests.lines().is_empty(), "no guests: {}", guests.out);

    let shown = local(&server, &["user", "show", &alice]).await;
    assert_eq!(shown.code, 0, "{}", shown.err);
    assert!(
        shown
            .out
            .contains("user principal name: alice@contoso.example"),
        "{}",
        shown.out
    );
    let etag = shown
        .out
        .lines()
        .find_map(|l| l.strip_prefix("etag: "))
        .expect("show prints the ETag")
        .to_string();
    let renamed = local(
        &server,
        &[
            "--json",
            "user",
            "update",
            &alice,
            "--display-name",
            "Alice Liddell",
            "--if-match",
            &etag,
        ],
    )
    .await
    .json();
    assert_eq!(renamed["user"]["displayName"], "Alice Liddell");
    let stale = local(
        &server,
        &[
            "user",
            "update",
            &alice,
            "--display-name",
            "Stale",
            "--if-match",
            &etag,
        ],
    )
    .await;
    assert_eq!(stale.code, 1, "a stale ETag is refused");
    assert!(stale.err.starts_with("error: "), "{}", stale.err);
    let disabled = local(
        &server,
        &[
            "--json",
            "user",
            "update",
            &alice,
            "--disable",
            "--roles",
            "GuestInviter",
        ],
    )
    .await
    .json();
    assert_eq!(disabled["user"]["accountEnabled"], false);
    assert_eq!(
        disabled["user"]["roles"],
        serde_json::json!(["GuestInviter"])
    );
    assert_eq!(
        disabled["user"]["displayName"], "Alice Liddell",
        "other fields stay"
    );
    let nothing = local(&server, &["user", "update", &alice]).await;
    assert_eq!(nothing.code, 2, "an update without fields is a usage error");
    let link = local(&server, &["user", "reset-password", &alice]).await;
    assert_eq!(link.code, 0, "{}", link.err);
    assert!(
        link.out
            .trim()
            .starts_with(&format!("{}/", server.issuer())),
        "prints the link: {}",
        link.out
    );

    // Groups: create, add a member, show.
    let group = local(&server, &["group", "create", "--name", "Partners"]).await;
    let group = group.out.trim().to_string();
    let added = local(&server, &["group", "add-member", &group, &alice]).await;
    assert_eq!(added.code, 0, "{}", added.err);
    let g = local(&server, &["--json", "group", "show", &group])
        .await
        .json();
    assert_eq!(g["group"]["memberCount"], 1);
    assert_eq!(g["members"][0]["id"], alice.as_str());
    let g = local(
        &server,
        &["group", "update", &group, "--description", "Our partners"],
    )
    .await;
    assert!(g.out.contains("description: Our partners"), "{}", g.out);

    // Apps: update, assign, and rotate the secret (the token endpoint takes only the new one).
    let app = local(
        &server,
        &[
            "--json",
            "app",
            "create",
            "--name",
            "Moodle",
            "--redirect-uri",
            REDIRECT,
            "--allowed-scope",
            "api.read",
            "--backchannel-logout-uri",
            "https://moodle.example/bc",
        ],
    )
    .await
    .json();
    let (app_id, client_id) = (str_of(&app["id"]), str_of(&app["clientId"]));
    let old_secret = str_of(&app["clientSecret"]);
    let updated = local(
        &server,
        &[
            "--json",
            "app",
            "update",
            &app_id,
            "--name",
            "Moodle LMS",
            "--app-role",
            "Reader:Readers",
            "--assignment-required",
            "true",
            "--redirect-uri",
            REDIRECT,
            "--redirect-uri",
            "http://localhost/cb2",
            "--backchannel-logout-session-required",
            "true",
        ],
    )
    .await
    .json();
    assert_eq!(updated["app"]["name"], "Moodle LMS");
    assert_eq!(
        updated["app"]["backchannelLogoutUri"],
        "https://moodle.example/bc"
    );
    assert_eq!(updated["app"]["backchannelLogoutSessionRequired"], true);
    let plain = local(
        &server,
        &[
            "app",
            "update",
            &app_id,
            "--backchannel-logout-uri",
            "http://moodle.example/bc",
        ],
    )
    .await;
    assert_eq!(plain.code, 1, "http outside loopback: {}", plain.out);
    assert!(plain.err.contains("backchannelLogoutUri"), "{}", plain.err);
    assert_eq!(updated["app"]["assignmentRequired"], true);
    assert_eq!(updated["app"]["appRoles"][0]["displayName"], "Readers");
    assert_eq!(
        updated["app"]["redirectUris"].as_array().map(Vec::len),
        Some(2)
    );
    let assigned = local(
        &server,
        &[
            "app", "assign", &app_id, "--group", &group, "--role", "Reader",
        ],
    )
    .await;
    assert_eq!(assigned.code, 0, "{}", assigned.err);
    let shown = local(&server, &["--json", "app", "show", &app_id])
        .await
        .json();
    assert_eq!(shown["assignments"][0]["principalId"], group.as_str());
    assert_eq!(shown["assignments"][0]["appRole"], "Reader");
    let rotated = local(&server, &["--json", "app", "rotate-secret", &app_id])
        .await
        .json();
    let new_secret = str_of(&rotated["clientSecret"]);
    assert_ne!(new_secret, old_secret);
    let (http, issuer) = (server.rp_http(), server.issuer());
    let answer = client_credentials(&http, &issuer, &client_id, &new_secret, "api.read").await;
    assert_eq!(answer.status, 200, "the new secret works: {answer}");
    let answer = client_credentials(&http, &issuer, &client_id, &old_secret, "api.read").await;
    assert_eq!(answer.status, 401, "the old secret no longer works");

    // Branding and policies: set, then show.
    let set = local(
        &server,
        &[
            "branding",
            "set",
            "--name",
            "Contoso Ltd",
            "--primary-color",
            "#123456",
        ],
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.err);
    let b = local(&server, &["--json", "branding", "show"]).await.json();
    assert_eq!(
        (b["displayName"].as_str(), b["primaryColor"].as_str()),
        (Some("Contoso Ltd"), Some("#123456"))
    );
    let bad = local(&server, &["branding", "set", "--primary-color", "red"]).await;
    assert_eq!(bad.code, 1);
    assert!(
        bad.err.starts_with("error: primaryColor"),
        "the API's detail: {}",
        bad.err
    );
    let set = local(
        &server,
        &[
            "policy",
            "set",
            "--invite-policy",
            "admins_and_guest_inviters",
            "--domain-list",
            "allow",
            "--domain",
            "fabrikam.example",
            "--ticket-lifetime-days",
            "10",
            "--guest-lifecycle",
            r#"{"inactiveAfterDays": 90, "reviewEveryDays": 180, "disableUnreviewed": true}"#,
        ],
    )
    .await;
    assert_eq!(set.code, 0, "{}", set.err);
    let out_of_range = local(
        &server,
        &[
            "policy",
            "set",
            "--guest-lifecycle",
            r#"{"inactiveAfterDays": 0}"#,
        ],
    )
    .await;
    assert_eq!(out_of_range.code, 1, "{}", out_of_range.out);
    let p = local(&server, &["--json", "policy", "show"]).await.json();
    assert_eq!(p["invitePolicy"], "admins_and_guest_inviters");
    assert_eq!(p["domainListMode"], "allow");
    assert_eq!(p["domains"], serde_json::json!(["fabrikam.example"]));
    assert_eq!(p["ticketLifetimeDays"], 10);
    assert_eq!(p["guestLifecycle"]["inactiveAfterDays"], 90);
    assert_eq!(p["guestLifecycle"]["reviewEveryDays"], 180);
    assert_eq!(p["guestLifecycle"]["reviewRespondDays"], 14);
    assert_eq!(p["guestLifecycle"]["disableUnreviewed"], true);

    // Terms of use: publish from a file and a link, show them, list who accepted (nobody yet).
    let none = local(&server, &["terms", "show"]).await;
    assert_eq!(none.code, 1, "no terms yet: {}", none.out);
    let file = std::env::temp_dir().join(format!("terms-{}.txt", std::process::id()));
    std::fs::write(&file, "Be kind to the shared drive.").unwrap();
    let text = format!("en={}", file.display());
    let published = local(
        &server,
        &[
            "--json",
            "terms",
            "publish",
            "--text",
            &text,
            "--url",
            "ko=https://contoso.example/terms/ko",
        ],
    )
    .await
    .json();
    std::fs::remove_file(&file).ok();
    assert_eq!(published["version"], 1);
    let shown = local(&server, &["--json", "terms", "show"]).await.json();
    assert_eq!(shown["texts"][0]["language"], "en");
    assert_eq!(shown["texts"][0]["text"], "Be kind to the shared drive.");
    assert_eq!(shown["texts"][1]["url"], "https://contoso.example/terms/ko");
    let republished = local(
        &server,
        &[
            "--json",
            "terms",
            "publish",
            "--url",
            "en=https://contoso.example/t2",
        ],
    )
    .await
    .json();
    assert_eq!(
        republished["version"], 2,
        "each publication is a new version"
    );
    let bad = local(&server, &["terms", "publish", "--url", "en=ftp://x"]).await;
    assert_eq!(bad.code, 1, "the API's rule holds: {}", bad.out);
    let unnamed = local(&server, &["terms", "publish", "--url", "https://x"]).await;
    assert_eq!(unnamed.code, 2, "LANG=URL is required: {}", unnamed.err);
    let accepted = local(&server, &["--json", "terms", "acceptances"]).await;
    assert_eq!(accepted.code, 0, "{}", accepted.err);
    assert!(accepted.lines().is_empty(), "nobody accepted yet");

    // Webhooks: add (the secret once), list, change, read the log, replay, rotate, delete.
    let hook = local(
        &server,
        &[
            "--json",
            "webhook",
            "create",
            "--url",
            "https://hooks.contoso.example/in",
            "--event",
            "*",
            "--description",
            "SIEM",
        ],
    )
    .await
    .json();
    let hook_id = str_of(&hook["webhook"]["id"]);
    assert!(str_of(&hook["secret"]).starts_with("whsec_"), "{hook}");
    let listed = local(&server, &["webhook", "list"]).await;
    assert!(
        listed.out.contains("https://hooks.contoso.example/in"),
        "{}",
        listed.out
    );
    let changed = local(
        &server,
        &[
            "--json",
            "webhook",
            "update",
            &hook_id,
            "--event",
            "Disable user",
            "--event",
            "Delete user",
        ],
    )
    .await
    .json();
    assert_eq!(
        changed["events"],
        serde_json::json!(["Disable user", "Delete user"])
    );
    let log = local(&server, &["--json", "webhook", "deliveries", &hook_id])
        .await
        .lines();
    let first = log
        .iter()
        .find(|d| d["eventName"] == "Add webhook")
        .unwrap_or_else(|| panic!("adding it was sent to it: {log:?}"));
    let table = local(&server, &["webhook", "deliveries", &hook_id]).await;
    assert!(table.out.contains("Add webhook"), "{}", table.out);
    let replayed = local(
        &server,
        &["webhook", "replay", &hook_id, &str_of(&first["id"])],
    )
    .await;
    assert_eq!(replayed.code, 0, "{}", replayed.err);
    let rotated = local(&server, &["--json", "webhook", "rotate-secret", &hook_id])
        .await
        .json();
    assert_ne!(rotated["secret"], hook["secret"]);
    let private = local(
        &server,
        &[
            "webhook",
            "create",
            "--url",
            "https://10.0.0.5/in",
            "--event",
            "*",
        ],
    )
    .await;
    assert_eq!(private.code, 1, "a private address: {}", private.out);
    let deleted = local(&server, &["webhook", "delete", &hook_id, "--yes"]).await;
    assert_eq!(deleted.code, 0, "{}", deleted.err);

    // Invitations: follow up on one the CLI sent.
    let invited = local(
        &server,
        &[
            "--json",
            "invite",
            "--email",
            "gus@fabrikam.example",
            "--name",
            "Gus",
            "--access-days",
            "90",
        ],
    )
    .await
    .json();
    let (first, gus) = (
        str_of(&invited["invitation_id"]),
        str_of(&invited["user_id"]),
    );
    // The end date is the guest's, ninety days on.
    let guest = local(&server, &["--json", "user", "show", &gus])
        .await
        .json();
    let ends = str_of(&guest["lifecycle"]["accessExpiresAt"]);
    let expected = guestlist::domain::calendar::date_of(server.svc.now() + 90 * 86_400);
    assert!(ends.starts_with(&expected), "{ends} vs {expected}");
    let later = guestlist::domain::calendar::date_of(server.svc.now() + 400 * 86_400);
    let moved = local(
        &server,
        &["user", "update", &gus, "--access-expires-on", &later],
    )
    .await;
    assert_eq!(moved.code, 0, "{}", moved.err);
    let guest = local(&server, &["--json", "user", "show", &gus])
        .await
        .json();
    assert_eq!(
        guest["lifecycle"]["accessExpiresAt"],
        format!("{later}T00:00:00Z").as_str()
    );
    // The operator invited Gus, so nobody sponsors him until someone is named.
    let none = local(&server, &["--json", "user", "sponsors", &gus]).await;
    assert_eq!(none.code, 0, "{}", none.err);
    assert!(none.lines().is_empty(), "{}", none.out);
    let named = local(
        &server,
        &["user", "sponsors", &gus, "--set", "alice@contoso.example"],
    )
    .await;
    assert_eq!(named.code, 0, "{}", named.err);
    assert!(named.out.contains("alice@contoso.example"), "{}", named.out);
    let unknown = local(
        &server,
        &["user", "sponsors", &gus, "--set", "nobody@contoso.example"],
    )
    .await;
    assert_eq!(unknown.code, 1, "{}", unknown.out);
    let pending = local(&server, &["--json", "invitation", "list"])
        .await
        .lines();
    assert!(
        pending
            .iter()
            .any(|i| i["id"] == first.as_str() && i["status"] == "PendingAcceptance")
    );
    let resent = local(&server, &["--json", "user", "resend-invitation", &gus])
        .await
        .json();
    let second = str_of(&resent["id"]);
    assert_ne!(second, first, "a new invitation");
    assert!(str_of(&resent["inviteRedeemUrl"]).starts_with(&server.url("/invite/")));
    let revoked = local(&server, &["--json", "invitation", "revoke", &second])
        .await
        .json();
    assert_eq!(revoked["status"], "Voided");
    let shown = local(&server, &["--json", "invitation", "show", &second])
        .await
        .json();
    assert_eq!(shown["status"], "Voided");
    let reset = local(
        &server,
        &[
            "--json",
            "user",
            "reset-redemption",
            &gus,
            "--email",
            "gus@mail.fabrikam.example",
        ],
    )
    .await
    .json();
    assert_eq!(reset["status"], "PendingAcceptance");
    let third = local(
        &server,
        &["--json", "invitation", "show", &str_of(&reset["id"])],
    )
    .await
    .json();
    assert_eq!(
        third["invitedUserEmailAddress"],
        "gus@mail.fabrikam.example"
    );

    // Deleting needs --yes; without it nothing happens.
    let refused = local(&server, &["user", "delete", &alice]).await;
    assert_eq!(refused.code, 2);
    assert!(refused.err.contains("--yes"), "{}", refused.err);
    assert_eq!(
        local(&server, &["user", "show", &alice]).await.code,
        0,
        "still there"
    );
    let deleted = local(&server, &["user", "delete", &alice, "--yes"]).await;
    assert_eq!(deleted.code, 0, "{}", deleted.err);
    let gone = local(&server, &["user", "show", &alice]).await;
    assert_eq!(gone.code, 1);
    assert!(gone.err.starts_with("error: "), "{}", gone.err);

    // The audit log shows each change, by the operator.
    let log = local(&server, &["--json", "audit", "list", "--all"])
        .await
        .lines();
    for name in [
        events::UPDATE_USER,
        events::DISABLE_USER,
        events::RESET_PASSWORD,
        events::ADD_GROUP_MEMBER,
        events::UPDATE_APP,
        events::ASSIGN_APP,
        events::ROTATE_APP_SECRET,
        events::UPDATE_BRANDING,
        events::UPDATE_POLICY,
        events::DELETE_USER,
    ] {
        let e = log.iter().find(|e| e["eventName"] == name);
        let e = e.unwrap_or_else(|| panic!("{name} is in the log"));
        assert_eq!(e["actor"], "operator", "{e}");
    }
    let filtered = local(
        &server,
        &["--json", "audit", "list", "--event", events::UPDATE_POLICY],
    )
    .await;
    // One policy change was made above: the filter finds it, and only such events.
    let filtered = filtered.lines();
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    assert!(
        filtered
            .iter()
            .all(|e| e["eventName"] == events::UPDATE_POLICY)
    );
    let csv = server.db.dir.path().join("audit.csv");
    let csv_arg = csv.display().to_string();
    let export = local(&server, &["audit", "export", "--output", &csv_arg]).await;
    assert_eq!(export.code, 0, "{}", export.err);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("at,eventName"), "{text}");
    assert!(text.contains(events::DELETE_USER));

    // Bad input ends with a message, never a crash.
    for args in [
        &["user", "show", ".."][..],
        &["--json", "group", "show", "no such group"],
    ] {
        let r = local(&server, args).await;
        assert!(matches!(r.code, 1 | 2), "{args:?}: {} {}", r.code, r.err);
        assert!(
            r.err.starts_with("error: ") && !r.err.contains("panicked"),
            "{}",
            r.err
        );
    }
    let r = run(local_env(&server), &["user", "list", "--tenant", "nowhere"]).await;
    assert_eq!(r.code, 1, "{}", r.err);
}

#[actix_web::test]
async fn remote_mode_uses_the_servers_api_with_a_bearer_token() {
    let server = TestServer::start().await;
    let carol = server.member("carol@contoso.example").await;
    // An automation app with the admin scope, made with the CLI.
    let admin_app = local(
        &server,
        &[
            "--json",
            "app",
            "create",
            "--name",
            "Automation",
            "--redirect-uri",
            REDIRECT,
            "--allowed-scope",
            "guestlist.admin",
        ],
    )
    .await
    .json();
    let token = app_token(
        &server,
        &server.issuer(),
        &str_of(&admin_app["clientId"]),
        &str_of(&admin_app["clientSecret"]),
        "guestlist.admin",
    )
    .await;
    // Nothing local is used: the database setting points nowhere.
    let remote_env = || {
        vec![(
            "GUESTLIST_DATABASE_URL",
            "sqlite:///nonexistent/dir/x.db".to_string(),
        )]
    };
    let remote = |args: &[&str]| {
        let mut all = vec!["--server", server.base.as_str(), "--token", token.as_str()];
        all.extend_from_slice(args);
        all.extend(["--tenant", "contoso"]);
        all.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let args = remote(&["--json", "user", "list"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let users = run(remote_env(), &args).await.lines();
    assert!(
        users.iter().any(|u| u["id"] == carol.id.as_str()),
        "{users:?}"
    );

    // Terms through the API: published remotely, then read back locally.
    let args = remote(&[
        "--json",
        "terms",
        "publish",
        "--url",
        "en=https://contoso.example/t",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(run(remote_env(), &args).await.json()["version"], 1);
    let args = remote(&["--json", "terms", "acceptances"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let listed = run(remote_env(), &args).await;
    assert_eq!(listed.code, 0, "{}", listed.err);
    let shown = local(&server, &["--json", "terms", "show"]).await.json();
    assert_eq!(shown["texts"][0]["url"], "https://contoso.example/t");

    let args = remote(&[
        "--json",
        "user",
        "update",
        &carol.id,
        "--display-name",
        "Carol C",
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let updated = run(remote_env(), &args).await.json();
    assert_eq!(updated["user"]["displayName"], "Carol C");
    let stored = guestlist::service::users::get(
        &server.svc,
        &guestlist::service::auth::Actor::operator(),
        &server.tenant,
        &carol.id,
    )
    .await
    .unwrap();
    assert_eq!(
        stored.user.display_name, "Carol C",
        "the server's database changed"
    );
    let audit = local(
        &server,
        &["--json", "audit", "list", "--event", events::UPDATE_USER],
    )
    .await
    .lines();
    let by = format!("app:{}", str_of(&admin_app["clientId"]));
    assert!(
        audit.iter().any(|e| e["actor"] == by.as_str()),
        "the app is the actor: {audit:?}"
    );

    // The server and token may come from the environment.
    let mut env = remote_env();
    env.push(("GUESTLIST_SERVER", server.base.clone()));
    env.push(("GUESTLIST_TOKEN", token.clone()));
    let g = run(
        env,
        &[
            "group",
            "create",
            "--tenant",
            "contoso",
            "--name",
            "Remote partners",
        ],
    )
    .await;
    assert_eq!(g.code, 0, "{}", g.err);
    assert!(
        uuid::Uuid::parse_str(g.out.trim()).is_ok(),
        "prints the group id: {}",
        g.out
    );

    // Tenant commands go through /api/v1/tenants, which only operators may use (locally it lists).
    let tenants = run(
        remote_env(),
        &[
            "--server",
            &server.base,
            "--token",
            &token,
            "tenant",
            "list",
            "--home-tenant",
            "contoso",
        ],
    )
    .await;
    assert_eq!(tenants.code, 1);
    assert!(tenants.err.contains("Operator"), "{}", tenants.err);
    let listed = run(local_env(&server), &["--json", "tenant", "list"])
        .await
        .lines();
    assert!(listed.iter().any(|t| t["slug"] == "contoso"));

    // A token without the admin scope gets the API's reason and exit code 1.
    let reader = server.app(|_| {}).await;
    let weak = app_token_of(&server, &server.issuer(), &reader, "api.read").await;
    let denied = run(
        remote_env(),
        &[
            "--server",
            &server.base,
            "--token",
            &weak,
            "user",
            "list",
            "--tenant",
            "contoso",
        ],
    )
    .await;
    assert_eq!(denied.code, 1);
    assert!(
        denied.err.starts_with("error: ") && denied.err.contains("not for this resource"),
        "{}",
        denied.err
    );
    assert!(denied.out.is_empty());
    let forged = run(
        remote_env(),
        &[
            "--server",
            &server.base,
            "--token",
            "forged",
            "user",
            "list",
            "--tenant",
            "contoso",
        ],
    )
    .await;
    assert_eq!(forged.code, 1);
    assert!(forged.err.contains("not valid"), "{}", forged.err);

    // Usage problems are exit code 2.
    let no_token = run(remote_env(), &["--server", &server.base, "user", "list"]).await;
    assert_eq!(no_token.code, 2);
    assert!(no_token.err.contains("--token"), "{}", no_token.err);
    let unreachable = run(
        remote_env(),
        &[
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "t",
            "user",
            "list",
        ],
    )
    .await;
    assert_eq!(unreachable.code, 1);
    assert!(
        unreachable.err.contains("cannot reach"),
        "{}",
        unreachable.err
    );
}
