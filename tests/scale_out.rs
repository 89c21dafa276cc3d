//! Scale-out: two `guestlist serve` processes on one PostgreSQL database, one shared keys directory
//! and one public URL (as behind a load balancer), each request sent to one process or the other.
//! Codes, sessions and refresh tokens work across processes, a key rotation reaches the other
//! process's JWKS, the two outbox workers send every email once, and two processes starting at once
//! on an empty database migrate it once.
//!
//! PostgreSQL only: runs when `GUESTLIST_TEST_DATABASE_URL` is set (as `.ci/run` does), otherwise
//! each test prints SKIPPED.

mod common;
mod processes;

use common::{PgDatabase, get_json, introspect, jwt_header, kids_of, userinfo_at};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use processes::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The keys reload interval of `serve` (`server::KEY_RELOAD_INTERVAL`).
const KEY_RELOAD: Duration = guestlist::server::KEY_RELOAD_INTERVAL;

fn postgres(test: &str) -> Option<String> {
    let url = pg_admin_url();
    if url.is_none() {
        common::other_pass(test, "PostgreSQL (GUESTLIST_TEST_DATABASE_URL)");
    }
    url
}

/// Two processes, A and B, on one fresh database: same keys directory and public URL (A's address),
/// each its own data directory (so the file mail transport writes per process).
struct Pair {
    a: Node,
    b: Node,
    setup_a: Setup,
    setup_b: Setup,
    _dir: tempfile::TempDir,
    _db: PgDatabase,
}

impl Pair {
    fn setups(admin_url: &str) -> (Setup, Setup, u16, u16, tempfile::TempDir, PgDatabase) {
        let db = PgDatabase::create(admin_url);
        let dir = tempfile::tempdir().unwrap();
        let (pa, pb) = (free_port(), free_port());
        let setup_a = Setup {
            database_url: db.url.clone(),
            keys_dir: dir.path().join("keys"),
            data_dir: dir.path().join("a-data"),
            public_url: format!("http://127.0.0.1:{pa}"),
            extra: vec![],
        };
        let setup_b = Setup {
            data_dir: dir.path().join("b-data"),
            ..setup_a.clone()
        };
        (setup_a, setup_b, pa, pb, dir, db)
    }

    /// Seeds through the CLI, then starts both processes and waits until both are ready.
    async fn start(admin_url: &str) -> (Pair, Seeded) {
        let (setup_a, setup_b, pa, pb, dir, db) = Self::setups(admin_url);
        let seeded = seed(&setup_a);
        let mut a = setup_a.spawn(pa);
        let mut b = setup_b.spawn(pb);
        a.ready(Duration::from_secs(30)).await;
        b.ready(Duration::from_secs(30)).await;
        (
            Pair {
                a,
                b,
                setup_a,
                setup_b,
                _dir: dir,
                _db: db,
            },
            seeded,
        )
    }

    fn issuer(&self) -> String {
        format!("{}/t/contoso", self.setup_a.public_url)
    }
}

/// The provider metadata as process `base` serves it, with its JWKS fetched from that process too.
async fn metadata_from(base: &str) -> CoreProviderMetadata {
    let discovery = get_json(&format!(
        "{base}/t/contoso/.well-known/openid-configuration"
    ))
    .await;
    let meta: CoreProviderMetadata = serde_json::from_value(discovery).expect("discovery document");
    let jwks: CoreJsonWebKeySet =
        serde_json::from_value(get_json(&format!("{base}/t/contoso/jwks")).await).expect("JWKS");
    meta.set_jwks(jwks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_sessions_and_refresh_tokens_work_across_processes() {
    let Some(admin) = postgres("codes_sessions_and_refresh_tokens_work_across_processes") else {
        return;
    };
    let (pair, s) = Pair::start(&admin).await;

    // The relying app discovers at A (the public URL) but its token request lands on B.
    let meta = metadata_from(&pair.a.base).await;
    assert_eq!(meta.issuer().as_str(), pair.issuer());
    let client = CoreClient::from_provider_metadata(
        metadata_from(&pair.b.base).await,
        ClientId::new(s.client_id.clone()),
        Some(ClientSecret::new(s.client_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
    .set_token_uri(TokenUrl::new(pair.b.url("/t/contoso/token")).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let agent = browser();
    let callback = authorize(&agent, &pair.a.base, url.as_str(), &s.email).await;
    let q = query_of(&callback);
    assert_eq!(q["state"], *state.secret());
    assert_eq!(q["iss"], pair.issuer());
    let first_verifier = verifier.secret().clone();
    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&plain_client())
        .await
        .expect("a code issued by A is redeemed at B");
    let id_token = token.id_token().expect("an ID token");
    let claims = id_token
        .claims(
            &client
                .id_token_verifier()
                .set_allowed_algs(vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]),
            &nonce,
        )
        .expect("B's ID token verifies against B's JWKS with the shared issuer");
    assert_eq!(claims.issuer().as_str(), pair.issuer());

    // A's session cookie signs the browser in at B: B mints a code without asking for a password.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let at_b = url::Url::parse(url.as_str()).unwrap();
    let direct = agent
        .get(format!(
            "{}{}?{}",
            pair.b.base,
            at_b.path(),
            at_b.query().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 303);
    let location = common::location(&direct);
    assert!(
        location.starts_with(REDIRECT) && query_of(&location).contains_key("code"),
        "the session from A is valid at B (no sign-in): {location}"
    );
    // …and that code is redeemed at A.
    let (status, body) = s
        .token_request(
            &pair.a.base,
            &[
                ("grant_type", "authorization_code"),
                ("code", &query_of(&location)["code"]),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier.secret()),
            ],
        )
        .await;
    assert_eq!(status, 200, "a code issued by B is redeemed at A: {body}");

    // A refresh token rotated at A and presented again at B is reuse: refused, grant revoked.
    let first = token
        .refresh_token()
        .expect("offline_access")
        .secret()
        .clone();
    let (status, rotated) = s
        .token_request(
            &pair.a.base,
            &[("grant_type", "refresh_token"), ("refresh_token", &first)],
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    let (status, reuse) = s
        .token_request(
            &pair.b.base,
            &[("grant_type", "refresh_token"), ("refresh_token", &first)],
        )
        .await;
    assert_eq!(status, 400, "{reuse}");
    assert_eq!(reuse["error"], "invalid_grant");
    let (status, _) = s
        .token_request(
            &pair.a.base,
            &[("grant_type", "refresh_token"), ("refresh_token", &second)],
        )
        .await;
    assert_eq!(status, 400, "the newest refresh token died with the grant");
    let mut c = connect(&pair.setup_a.database_url);
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) FROM audit_events WHERE event_name = 'Token reuse detected'"
        ),
        1,
        "the reuse is audited once"
    );
    assert!(
        count(
            &mut c,
            "SELECT count(*) FROM grants WHERE revoked_at IS NOT NULL"
        ) >= 1,
        "the grant is revoked"
    );
    let access_token = rotated["access_token"].as_str().unwrap();
    let userinfo = userinfo_at(&plain_client(), &s.issuer_at(&pair.b.base), access_token).await;
    assert_eq!(
        userinfo.status(),
        401,
        "access tokens of the revoked grant stop working at B too"
    );

    // The first code again, at A this time, with everything right but that it was spent at B: a
    // replay, refused.
    let (status, body) = s
        .token_request(
            &pair.a.base,
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", REDIRECT),
                ("code_verifier", &first_verifier),
            ],
        )
        .await;
    assert_eq!(status, 400, "a code redeemed at B is spent at A: {body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("used already")),
        "refused as a replay: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_through_one_process_is_published_by_the_other() {
    let Some(admin) = postgres("a_key_rotated_through_one_process_is_published_by_the_other")
    else {
        return;
    };
    let (pair, s) = Pair::start(&admin).await;
    let kids_at = |base: &str| {
        let url = format!("{base}/t/contoso/jwks");
        async move { kids_of(&get_json(&url).await) }
    };
    let before = kids_at(&pair.b.base).await;
    assert_eq!(before.len(), 3);
    // Rotation is a CLI command on the shared keys directory, run beside process A; new keys sign
    // from 0 s so that tokens signed with them must verify at B.
    let rotated = pair
        .setup_a
        .cli_json(&["keys", "rotate", "--activate-in", "0"], None);
    let written = Instant::now();
    let new_kids: Vec<String> = rotated["kids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let mut seen_at = HashMap::new();
    let bound = KEY_RELOAD * 2 + Duration::from_secs(2);
    while seen_at.len() < 2 && written.elapsed() < bound + Duration::from_secs(5) {
        for (name, base) in [("A", &pair.a.base), ("B", &pair.b.base)] {
            if !seen_at.contains_key(name) {
                let kids = kids_at(base).await;
                if new_kids.iter().all(|k| kids.contains(k)) {
                    assert!(
                        before.iter().all(|k| kids.contains(k)),
                        "old keys stay published"
                    );
                    seen_at.insert(name, written.elapsed());
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    println!(
        "key propagation after `keys rotate`: A {:?}, B {:?} (reload interval {KEY_RELOAD:?})",
        seen_at.get("A"),
        seen_at.get("B")
    );
    let at_b = *seen_at
        .get("B")
        .expect("B publishes the rotated keys at all");
    assert!(
        at_b <= bound,
        "B published the rotated keys after {at_b:?}, more than {bound:?}"
    );
    assert!(seen_at.contains_key("A"));
    // Once both have reloaded: a token A signs with a new key verifies at B (introspection).
    let token = s.app_token(&pair.a.base, "api.read").await;
    let header = jwt_header(&token);
    assert!(
        new_kids.iter().any(|k| header["kid"] == k.as_str()),
        "A signs with the rotated key: {header}"
    );
    let at_b = s.issuer_at(&pair.b.base);
    let secret = Some(s.client_secret.as_str());
    let intro = introspect(&plain_client(), &at_b, &s.client_id, secret, &token).await;
    assert_eq!(
        intro["active"], true,
        "B accepts a token signed with the new key: {intro}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_outbox_workers_send_every_email_exactly_once() {
    let Some(admin) = postgres("two_outbox_workers_send_every_email_exactly_once") else {
        return;
    };
    let (pair, s) = Pair::start(&admin).await;
    const N: usize = 100;
    // Two uploads of 50 invitations, one to each process at the same time; both workers poll the
    // outbox meanwhile.
    let csv = |from: usize| {
        let mut text = String::from("Email,DisplayName\r\n");
        for i in from..from + N / 2 {
            text.push_str(&format!("guest{i}@fabrikam.example,Guest {i}\r\n"));
        }
        text
    };
    let upload = |base: String, body: String| {
        let s = &s;
        async move {
            let token = s.admin_token(&base).await;
            let (status, report) = upload_invitations_csv(&base, &token, body).await.unwrap();
            assert_eq!(status, 200, "{report}");
            assert_eq!(report["created"], N / 2, "{report}");
        }
    };
    futures_util::future::join(
        upload(pair.a.base.clone(), csv(0)),
        upload(pair.b.base.clone(), csv(N / 2)),
    )
    .await;
    let mut c = connect(&pair.setup_a.database_url);
    let delivered = eventually(Duration::from_secs(60), || {
        count(
            &mut c,
            "SELECT count(*) FROM outbox_messages WHERE state = 'sent'",
        ) == N as i64
    })
    .await;
    assert!(delivered, "every email was delivered within 60 s");
    // Files of both processes' transports, counted per recipient.
    let mut per_recipient: HashMap<String, usize> = HashMap::new();
    let mut per_process = Vec::new();
    for setup in [&pair.setup_a, &pair.setup_b] {
        let dir = setup.data_dir.join("outbox");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let to = text
                .lines()
                .find_map(|l| l.strip_prefix("To: "))
                .unwrap_or_else(|| panic!("no To: in {}", entry.path().display()));
            let address = to
                .rsplit_once('<')
                .map(|(_, a)| a.trim_end_matches('>'))
                .unwrap_or(to);
            *per_recipient.entry(address.to_string()).or_default() += 1;
            n += 1;
        }
        per_process.push(n);
    }
    println!(
        "emails written by A: {}, by B: {}",
        per_process[0], per_process[1]
    );
    assert!(
        per_process.iter().all(|n| *n > 0),
        "both processes' workers sent: {per_process:?}"
    );
    assert_eq!(per_recipient.len(), N, "every invitee got an email");
    let twice: Vec<_> = per_recipient.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
}

/// The claim itself, raced: several connections try to claim the same due messages at once; each
/// message is won by exactly one of them (PostgreSQL re-checks the conditional update's lease after
/// waiting for the row lock).
#[test]
fn concurrent_claims_on_postgresql_are_won_once() {
    let Some(admin) = postgres("concurrent_claims_on_postgresql_are_won_once") else {
        return;
    };
    use guestlist::store::models::OutboxRow;
    use guestlist::store::queries::outbox as q;
    let db = PgDatabase::create(&admin);
    let mut c = connect(&db.url);
    guestlist::store::connection::run_migrations(&mut c, None).unwrap();
    let now = 1_000;
    let ids: Vec<String> = (0..200).map(|i| format!("m{i:03}")).collect();
    for id in &ids {
        q::insert(
            &mut c,
            &OutboxRow {
                id: id.clone(),
                tenant_id: "t".into(),
                kind: "test".into(),
                recipient: "x@example.com".into(),
                message: "raw".into(),
                state: q::PENDING.into(),
                attempts: 0,
                next_attempt_at: now,
                claim: None,
                claimed_until: None,
                last_error: None,
                created_at: now,
                sent_at: None,
            },
        )
        .unwrap_or_else(|e| panic!("insert {id}: {e}"));
    }
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (url, ids, barrier) = (db.url.clone(), ids.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut c = connect(&url);
                let claim = format!("worker-{w}");
                barrier.wait();
                let mut won = Vec::new();
                // Every worker walks the same due page in the same order, as two workers that read
                // it at the same moment do: each claim is contested.
                for id in &ids {
                    if q::claim(&mut c, id, &claim, now, now + 120)
                        .unwrap()
                        .is_some()
                    {
                        won.push(id.clone());
                    }
                }
                won
            })
        })
        .collect();
    let mut winners: HashMap<String, usize> = HashMap::new();
    let mut shares = Vec::new();
    for w in workers {
        let won = w.join().unwrap();
        shares.push(won.len());
        for id in won {
            *winners.entry(id).or_default() += 1;
        }
    }
    println!("claims won per worker: {shares:?}");
    assert!(
        shares.iter().filter(|n| **n > 0).count() >= 2,
        "the claims were contested, not all won by one worker: {shares:?}"
    );
    assert_eq!(winners.len(), ids.len(), "every message was claimed");
    assert!(
        winners.values().all(|n| *n == 1),
        "no message was claimed twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_starting_at_once_migrate_an_empty_database_once() {
    let Some(admin) = postgres("two_processes_starting_at_once_migrate_an_empty_database_once")
    else {
        return;
    };
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    for round in 0..3 {
        let (setup_a, setup_b, pa, pb, _dir, db) = Pair::setups(&admin);
        // Both processes are created before either is waited for: they connect and migrate at once.
        let mut a = setup_a.spawn(pa);
        let mut b = setup_b.spawn(pb);
        let ta = a.ready(Duration::from_secs(30)).await;
        let tb = b.ready(Duration::from_secs(30)).await;
        println!("round {round}: A ready after {ta:?}, B after {tb:?}");
        let mut c = connect(&db.url);
        assert_eq!(
            count(&mut c, "SELECT count(*) FROM __diesel_schema_migrations"),
            migrations,
            "each migration recorded"
        );
        assert_eq!(
            count(
                &mut c,
                "SELECT count(DISTINCT version) FROM __diesel_schema_migrations"
            ),
            migrations,
            "each migration recorded once"
        );
        assert_eq!(
            count(
                &mut c,
                "SELECT count(*) FROM tenants WHERE slug = 'default'"
            ),
            1,
            "one default tenant"
        );
        for node in [&a, &b] {
            let d = plain_client()
                .get(node.url("/t/default/.well-known/openid-configuration"))
                .send()
                .await
                .unwrap();
            assert_eq!(d.status(), 200);
        }
        a.stop();
        b.stop();
    }
}

/// One password attempt for `email` at the sign-in page of the process at `base`: the status.
async fn sign_in_attempt(base: &str, email: &str, password: &str) -> u16 {
    let agent = browser();
    let url = format!("{base}/t/contoso/signin");
    let page = agent.get(&url).send().await.unwrap().text().await.unwrap();
    let csrf = common::hidden(&page, "csrf").expect("the sign-in form");
    agent
        .post(&url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
            ("request", ""),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_at_one_process_count_at_the_other() {
    let Some(admin) = postgres("failures_at_one_process_count_at_the_other") else {
        return;
    };
    let (pair, s) = Pair::start(&admin).await;
    // The default limit: five wrong passwords for one account from one address, spread over both.
    for (n, base) in [
        &pair.a.base,
        &pair.b.base,
        &pair.a.base,
        &pair.b.base,
        &pair.a.base,
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            sign_in_attempt(base, &s.email, "guess").await,
            401,
            "attempt {n}"
        );
    }
    for base in [&pair.a.base, &pair.b.base] {
        assert_eq!(
            sign_in_attempt(base, &s.email, PASSWORD).await,
            429,
            "the right password waits at both processes"
        );
    }
    // Client secrets alike: failures at B count at A.
    let wrong = |base: &str| {
        let issuer = s.issuer_at(base);
        let client_id = s.client_id.clone();
        async move {
            common::token_call(
                &plain_client(),
                &issuer,
                Some((&client_id, "wrong")),
                &[("grant_type", "client_credentials"), ("scope", "api.read")],
            )
            .await
            .status
        }
    };
    for base in [
        &pair.b.base,
        &pair.a.base,
        &pair.b.base,
        &pair.a.base,
        &pair.b.base,
    ] {
        assert_eq!(wrong(base).await, 401);
    }
    let (status, body) = s
        .token_request(
            &pair.a.base,
            &[("grant_type", "client_credentials"), ("scope", "api.read")],
        )
        .await;
    assert_eq!(status, 429, "{body}");
}
