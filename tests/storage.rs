//! Storage behaviour on SQLite, and on PostgreSQL when `GUESTLIST_TEST_DATABASE_URL` is set (each test
//! in its own database).

mod common;

use common::TestDatabase;
use guestlist::error::Error;
use guestlist::store::Store;
use guestlist::store::connection::Backend;
use guestlist::store::models::{CodeRow, GrantRow, RefreshTokenRow, TenantRow, UserRow};
use guestlist::store::queries;

fn tenant(id: &str) -> TenantRow {
    TenantRow {
        id: id.into(),
        slug: id.into(),
        display_name: id.into(),
        primary_domain: format!("{id}.example"),
        unmanaged: false,
        self_service_signup: false,
        settings: "{}".into(),
        created_at: 1,
        updated_at: 1,
    }
}

fn user(id: &str, tenant_id: &str, mail: &str) -> UserRow {
    UserRow {
        id: id.into(),
        tenant_id: tenant_id.into(),
        user_type: "Member".into(),
        creation_type: None,
        user_principal_name: mail.into(),
        display_name: id.into(),
        mail: mail.into(),
        mail_lower: mail.to_lowercase(),
        preferred_language: None,
        enabled: true,
        external_user_state: None,
        external_user_state_changed_at: None,
        sign_in_name: None,
        alt_sec_id: None,
        home_user_id: None,
        home_issuer: None,
        email_verified: true,
        profile: "{}".into(),
        last_sign_in_at: None,
        created_at: 1,
        updated_at: 1,
    }
}

#[test]
fn migrations_are_idempotent_and_pick_the_backend_from_the_url() {
    let db = TestDatabase::new();
    let s = Store::connect(&db.url(), 2).unwrap();
    assert!(s.migrate().unwrap() >= 1);
    assert_eq!(s.migrate().unwrap(), 0, "a second run applies nothing");
    let expected = if db.is_postgres() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    assert_eq!(s.backend(), expected);
}

#[test]
fn a_bad_postgres_url_reports_postgres_error() {
    let err = Store::connect("postgres://nobody@127.0.0.1:1/none", 2)
        .err()
        .expect("cannot connect");
    assert!(
        matches!(err, Error::Unavailable(ref m) if m.contains("PostgreSQL")),
        "{err}"
    );
    let err = Store::connect("mysql://x", 2).err().expect("unsupported");
    assert!(matches!(err, Error::Config(_)), "{err}");
}

/// A member object, its audit event and (with a hash) its account, as one transaction writes them: the
/// store's unique keys refuse a second object for an address in a tenant and a second account for it.
fn member(
    c: &mut guestlist::store::connection::AnyConnection,
    row: &guestlist::store::models::UserRow,
    hash: Option<&str>,
) -> guestlist::error::Result<()> {
    guestlist::service::audit::record(
        c,
        guestlist::service::audit::AuditEvent {
            tenant_id: &row.tenant_id,
            event_name: "Add user",
            actor: "test",
            target: &row.id,
            outcome: "success",
            details: serde_json::json!({}),
        },
    )?;
    queries::users::insert(c, row)?;
    if let Some(hash) = hash {
        queries::users::insert_credential(
            c,
            &guestlist::store::models::CredentialRow {
                user_id: row.id.clone(),
                email_lower: row.mail_lower.clone(),
                password_hash: hash.into(),
                updated_at: row.created_at,
            },
        )?;
    }
    Ok(())
}

#[test]
fn an_email_has_one_account_on_the_server_and_one_object_per_tenant() {
    let db = TestDatabase::new();
    let s = db.store();
    s.write_blocking(|c| {
        queries::tenants::insert(c, &tenant("t1"))?;
        queries::tenants::insert(c, &tenant("t2"))?;
        member(c, &user("u1", "t1", "a@x.example"), Some("hash"))
    })
    .unwrap();
    let dup_object = s.write_blocking(|c| member(c, &user("u2", "t1", "A@x.example"), None));
    assert!(
        matches!(dup_object, Err(Error::Conflict(_))),
        "{dup_object:?}"
    );
    let dup_account = s.write_blocking(|c| member(c, &user("u3", "t2", "a@x.example"), Some("h")));
    assert!(
        matches!(dup_account, Err(Error::Conflict(_))),
        "{dup_account:?}"
    );
    // A failed transaction leaves nothing behind: no user object u3, no audit row for it.
    let left = s.read_blocking(|c| queries::users::by_id(c, "u3")).unwrap();
    assert!(left.is_none());
    let audit = s
        .read_blocking(|c| queries::audit::recent(c, "t2", 10))
        .unwrap();
    assert!(audit.is_empty(), "{audit:?}");
    // The account is found by email from anywhere.
    let (cred, home) = s
        .read_blocking(|c| queries::users::account_by_email(c, "a@x.example"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (cred.user_id.as_str(), home.tenant_id.as_str()),
        ("u1", "t1")
    );
}

#[test]
fn codes_are_consumed_once_and_refresh_tokens_rotate_once() {
    let db = TestDatabase::new();
    let s = db.store();
    s.write_blocking(|c| {
        queries::tenants::insert(c, &tenant("t1"))?;
        queries::users::insert(c, &user("u1", "t1", "a@x.example"))?;
        queries::apps::insert(
            c,
            &guestlist::store::models::AppRow {
                id: "app1".into(),
                tenant_id: "t1".into(),
                client_id: "client1".into(),
                name: "App".into(),
                secret_hash: None,
                redirect_uris: "[]".into(),
                post_logout_redirect_uris: "[]".into(),
                first_party: false,
                assignment_required: false,
                id_token_signing_alg: "RS256".into(),
                allowed_scopes: String::new(),
                settings: "{}".into(),
                enabled: true,
                created_at: 1,
                updated_at: 1,
                backchannel_logout_uri: None,
                backchannel_logout_session_required: false,
            },
        )?;
        queries::oauth::insert_code(
            c,
            &CodeRow {
                code_hash: "h1".into(),
                tenant_id: "t1".into(),
                app_id: "app1".into(),
                user_id: "u1".into(),
                session_id: None,
                redirect_uri: "https://x/cb".into(),
                scope: "openid".into(),
                claims: None,
                nonce: None,
                code_challenge: None,
                auth_time: 1,
                acr: "a".into(),
                amr: "pwd".into(),
                created_at: 1,
                expires_at: 100,
                consumed_at: None,
                grant_id: None,
            },
        )?;
        queries::oauth::insert_grant(
            c,
            &GrantRow {
                id: "g1".into(),
                tenant_id: "t1".into(),
                app_id: "app1".into(),
                user_id: "u1".into(),
                session_id: None,
                scope: "openid".into(),
                claims: None,
                nonce: None,
                auth_time: 1,
                acr: "a".into(),
                amr: "pwd".into(),
                created_at: 1,
                expires_at: i64::MAX / 2,
                revoked_at: None,
            },
        )?;
        queries::oauth::insert_refresh(
            c,
            &RefreshTokenRow {
                token_hash: "r1".into(),
                grant_id: "g1".into(),
                scope: "openid".into(),
                created_at: 1,
                expires_at: i64::MAX / 2,
                rotated_at: None,
            },
        )
    })
    .unwrap();
    assert!(
        s.write_blocking(|c| queries::oauth::consume_code(c, "h1", "g1", 5))
            .unwrap()
    );
    assert!(
        !s.write_blocking(|c| queries::oauth::consume_code(c, "h1", "g2", 6))
            .unwrap(),
        "second consumption fails"
    );
    let code = s
        .read_blocking(|c| queries::oauth::code_by_hash(c, "h1"))
        .unwrap()
        .unwrap();
    assert_eq!(
        code.grant_id.as_deref(),
        Some("g1"),
        "the first grant stays recorded"
    );
    assert!(
        s.write_blocking(|c| queries::oauth::rotate_refresh(c, "r1", 7))
            .unwrap()
    );
    assert!(
        !s.write_blocking(|c| queries::oauth::rotate_refresh(c, "r1", 8))
            .unwrap()
    );
    s.write_blocking(|c| queries::oauth::revoke_grant(c, "g1", 9))
        .unwrap();
    let g = s
        .read_blocking(|c| queries::oauth::grant_by_id(c, "g1"))
        .unwrap()
        .unwrap();
    assert_eq!(g.revoked_at, Some(9));
    // Deleting the user removes what hangs on it (grants, tokens) with it.
    s.write_blocking(|c| {
        use diesel::prelude::*;
        diesel::delete(guestlist::store::schema::users::table.find("u1")).execute(c)?;
        Ok(())
    })
    .unwrap();
    assert!(
        s.read_blocking(|c| queries::oauth::grant_by_id(c, "g1"))
            .unwrap()
            .is_none()
    );
    assert!(
        s.read_blocking(|c| queries::oauth::refresh_by_hash(c, "r1"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn concurrent_migrations_on_one_database_do_not_fail() {
    let db = TestDatabase::new();
    let url = db.url();
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Store::connect(&url, 2).and_then(|s| s.migrate()))
        })
        .collect();
    let applied: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().unwrap().expect("migrate"))
        .collect();
    assert_eq!(
        applied.iter().filter(|n| **n > 0).count(),
        1,
        "exactly one process applied them: {applied:?}"
    );
}

#[test]
fn concurrent_writes_commit_independently() {
    // On SQLite these go through the group-commit writer: one failing write must not take the writes
    // batched with it down, and its own changes must vanish.
    let db = TestDatabase::new();
    let s = db.store();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let results: Vec<Result<(), Error>> = rt.block_on(async {
        let writes = (0..60).map(|i| {
            let s = s.clone();
            async move {
                s.write(move |c| {
                    queries::tenants::insert(c, &tenant(&format!("w{i}")))?;
                    if i % 5 == 0 {
                        // Fails after a first insert: the whole write must roll back.
                        queries::tenants::insert(c, &tenant(&format!("w{i}")))?;
                    }
                    Ok(())
                })
                .await
            }
        });
        futures_util::future::join_all(writes).await
    });
    for (i, r) in results.iter().enumerate() {
        if i % 5 == 0 {
            assert!(
                matches!(r, Err(Error::Conflict(_))),
                "write {i} breaks uniqueness: {r:?}"
            );
        } else {
            assert!(r.is_ok(), "write {i}: {r:?}");
        }
    }
    let slugs: Vec<String> = s
        .read_blocking(queries::tenants::list)
        .unwrap()
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(slugs.len(), 48);
    assert!(!slugs.contains(&"w0".to_string()) && slugs.contains(&"w1".to_string()));
}

/// Throttle counts are compare-and-set updates: failures recorded at once by many connections (as by
/// several processes on one PostgreSQL) are all counted, none lost to a race.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_throttle_failures_are_all_counted() {
    use guestlist::domain::throttle::ThrottleState;
    let db = TestDatabase::new();
    let store = db.store();
    let writers = (0..24).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .write(|c| {
                    queries::throttles::update(c, "test", "subject", |s| ThrottleState {
                        count: s.count + 1,
                        ..s
                    })
                    .map(|_| ())
                })
                .await
        })
    });
    for w in futures_util::future::join_all(writers).await {
        w.unwrap().unwrap();
    }
    let state = store
        .read(|c| queries::throttles::get(c, "test", "subject"))
        .await
        .unwrap()
        .expect("the subject's state");
    assert_eq!(state.count, 24);
    store
        .write(|c| queries::throttles::clear(c, "test", "subject"))
        .await
        .unwrap();
    assert!(
        store
            .read(|c| queries::throttles::get(c, "test", "subject"))
            .await
            .unwrap()
            .is_none()
    );
}
