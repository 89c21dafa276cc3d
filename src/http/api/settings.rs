//! `/api/v1/tenants/{slug}/branding` and `/policies`.

use super::problem::Problem;
use super::{patch_one, read_one, tagged};
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::settings::{self, BrandingPatch, BrandingView, PoliciesPatch, PoliciesView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/branding", operation_id = "getBranding", tag = "branding",
    params(("slug" = String, Path)),
    responses((status = 200, body = BrandingView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn branding(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    read_one(settings::branding(&svc, &c.actor, &c.tenant)).await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/branding", operation_id = "updateBranding", tag = "branding",
    params(("slug" = String, Path), ("If-Match" = String, Header)), request_body = BrandingPatch,
    responses((status = 200, body = BrandingView), (status = 400, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_branding(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    patch_one(&c, &req, &body, |patch: BrandingPatch, tag| {
        settings::update_branding(&svc, &c.actor, &c.tenant, patch, Some(tag))
    })
    .await
}

#[utoipa::path(put, path = "/api/v1/tenants/{slug}/branding/logo", operation_id = "putLogo", tag = "branding",
    params(("slug" = String, Path)),
    request_body(content = Vec<u8>, description = "a PNG, JPEG or SVG image of at most 256 KiB", content_type = "application/octet-stream"),
    responses((status = 200, body = BrandingView), (status = 400, body = Problem), (status = 413, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_logo(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let v = settings::set_logo(&svc, &c.actor, &c.tenant, body.to_vec()).await?;
    Ok(tagged(StatusCode::OK, &v))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/branding/logo", operation_id = "deleteLogo", tag = "branding",
    params(("slug" = String, Path)),
    responses((status = 200, body = BrandingView), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_logo(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    let v = settings::remove_logo(&svc, &c.actor, &c.tenant).await?;
    Ok(tagged(StatusCode::OK, &v))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/policies", operation_id = "getPolicies", tag = "policies",
    params(("slug" = String, Path)),
    responses((status = 200, body = PoliciesView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn policies(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    read_one(settings::policies(&svc, &c.actor, &c.tenant)).await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/policies", operation_id = "updatePolicies", tag = "policies",
    params(("slug" = String, Path), ("If-Match" = String, Header)), request_body = PoliciesPatch,
    responses((status = 200, body = PoliciesView), (status = 400, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_policies(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    patch_one(&c, &req, &body, |patch: PoliciesPatch, tag| {
        settings::update_policies(&svc, &c.actor, &c.tenant, patch, Some(tag))
    })
    .await
}
