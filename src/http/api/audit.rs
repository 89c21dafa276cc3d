//! `/api/v1/tenants/{slug}/audit`: the event log, filtered, paged and exportable.

use super::admin_context;
use super::openapi::Problem;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::audit::{self, AuditPage, AuditQuery};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/audit", operation_id = "listAuditEvents", tag = "audit",
    params(("slug" = String, Path), AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    req: HttpRequest,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    Ok(HttpResponse::Ok().json(audit::list(&svc, &actor, &tenant, q.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/audit/export", operation_id = "exportAuditEvents", tag = "audit",
    params(("slug" = String, Path), AuditQuery),
    responses((status = 200, description = "the matching events as CSV", content_type = "text/csv", body = String),
        (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn export(
    svc: web::Data<Services>,
    req: HttpRequest,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let body = audit::export_csv(&svc, &actor, &tenant, q.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"audit-{}.csv\"", tenant.slug),
        ))
        .body(body))
}
