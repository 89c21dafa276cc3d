//! `/api/v1/tenants/{slug}/audit`: the event log, filtered, paged and exportable.

use super::problem::Problem;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::audit::{self, AuditPage, AuditQuery};
use actix_web::http::header;
use actix_web::{HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/audit", operation_id = "listAuditEvents", tag = "audit",
    params(("slug" = String, Path), AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    c: ApiCaller,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(audit::list(&svc, &c.actor, &c.tenant, q.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/audit/export", operation_id = "exportAuditEvents", tag = "audit",
    params(("slug" = String, Path), AuditQuery),
    responses((status = 200, description = "the matching events as CSV", content_type = "text/csv", body = String),
        (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    svc: web::Data<Services>,
    c: ApiCaller,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let body = audit::export_csv(&svc, &c.actor, &c.tenant, q.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"audit-{}.csv\"", c.tenant.slug),
        ))
        .body(body))
}
