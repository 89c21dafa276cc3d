//! `/api/v1/tenants`: the server's tenants (operators only). Operators act from their home tenant: the
//! token's issuer names it, so the caller says which one in the `X-Guestlist-Tenant` header.

use super::json_body;
use super::problem::Problem;
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::tenants::manage::{self, CreatedTenant, TenantInput, TenantView};
use actix_web::http::header;
use actix_web::{HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants", operation_id = "listTenants", tag = "tenants",
    params(("X-Guestlist-Tenant" = Option<String>, Header, description = "the operator's home tenant (default: default)")),
    responses((status = 200, body = Vec<TenantView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(manage::list(&svc, &c.actor, Some(&c.tenant)).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants", operation_id = "createTenant", tag = "tenants",
    params(("X-Guestlist-Tenant" = Option<String>, Header)), request_body = TenantInput,
    responses((status = 201, body = CreatedTenant), (status = 400, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::ManageTenants).await?;
    let input: TenantInput = json_body(&body)?;
    let created = manage::create(&svc, &c.actor, Some(&c.tenant), input).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/tenants/{}", created.tenant.slug),
        ))
        .json(created))
}
