//! Liveness and readiness.

use crate::service::Services;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// Ready when the database answers and signing keys are loaded.
pub async fn readyz(svc: web::Data<Services>) -> HttpResponse {
    let db = svc.store.ping().await;
    let keys = !svc.keys.kids().is_empty();
    let body = json!({ "database": db, "keys": keys });
    if db && keys {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
