//! Liveness and readiness.

use crate::service::Services;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

/// The process is up and answering.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "ok" }))
}

/// Ready when the database answers, every migration this build embeds is applied, and signing keys
/// are loaded; otherwise 503. The body lists each check and names the failed ones:
/// `{"status":"ready","checks":{"database":{"ok":true},"migrations":{"ok":true,"applied":4,
/// "embedded":4,"pending":0},"keys":{"ok":true,"loaded":1}},"failed":[]}`.
///
/// Migrations count as applied when none of this build's is missing: a database that a newer
/// build already migrated further (a rolling upgrade) keeps the older processes ready.
pub async fn readyz(svc: web::Data<Services>) -> HttpResponse {
    let database = svc.store.ping().await;
    let migrations = if database {
        svc.store.migration_status().await.ok()
    } else {
        None
    };
    let migrations_ok = migrations.is_some_and(|m| m.pending == 0);
    let keys = svc.keys.kids().len();
    let mut failed = Vec::new();
    if !database {
        failed.push("database");
    }
    if !migrations_ok {
        failed.push("migrations");
    }
    if keys == 0 {
        failed.push("keys");
    }
    let migration_check = match migrations {
        Some(m) => json!({
            "ok": migrations_ok,
            "applied": m.applied,
            "embedded": m.embedded,
            "pending": m.pending,
        }),
        None => json!({ "ok": false }),
    };
    let ready = failed.is_empty();
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "database": { "ok": database },
            "migrations": migration_check,
            "keys": { "ok": keys > 0, "loaded": keys },
        },
        "failed": failed,
    });
    let mut res = if ready {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}
