//! `/api/v1/tenants`: the server's tenants (operators only).

use super::openapi::Problem;
use super::{actor, json_body};
use crate::error::Error;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::settings::{self, CreatedTenant, TenantInput, TenantView};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

/// Operators act from their home tenant: the token's issuer names it, so the caller says which one in
/// the `X-Guestlist-Tenant` header (default `default`).
async fn operator(
    svc: &Services,
    req: &HttpRequest,
) -> Result<crate::service::invitations::Actor, ApiError> {
    let slug = req
        .headers()
        .get("x-guestlist-tenant")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("default");
    let tenant = svc
        .tenants
        .by_slug(slug)
        .await
        .map_err(|_| Error::Unauthenticated)?;
    actor(svc, &tenant, req).await
}

#[utoipa::path(get, path = "/api/v1/tenants", operation_id = "listTenants", tag = "tenants",
    params(("X-Guestlist-Tenant" = Option<String>, Header, description = "the operator's home tenant (default: default)")),
    responses((status = 200, body = Vec<TenantView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let actor = operator(&svc, &req).await?;
    Ok(HttpResponse::Ok().json(settings::list_tenants(&svc, &actor).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants", operation_id = "createTenant", tag = "tenants",
    params(("X-Guestlist-Tenant" = Option<String>, Header)), request_body = TenantInput,
    responses((status = 201, body = CreatedTenant), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let actor = operator(&svc, &req).await?;
    crate::service::admin::require_operator(&actor)?;
    let input: TenantInput = json_body(&body)?;
    let created = settings::create_tenant(&svc, &actor, input).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/tenants/{}", created.tenant.slug),
        ))
        .json(created))
}
