//! `/api/v1/tenants/{slug}/branding` and `/policies`.

use super::openapi::Problem;
use super::{admin_context, if_match, json_body, with_etag};
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::settings::{self, BrandingPatch, BrandingView, PoliciesPatch, PoliciesView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/branding", operation_id = "getBranding", tag = "branding",
    params(("slug" = String, Path)),
    responses((status = 200, body = BrandingView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn branding(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let v = settings::branding(&svc, &actor, &tenant).await?;
    Ok(with_etag(StatusCode::OK, &v, &v.etag))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/branding", operation_id = "updateBranding", tag = "branding",
    params(("slug" = String, Path), ("If-Match" = String, Header)), request_body = BrandingPatch,
    responses((status = 200, body = BrandingView), (status = 400, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_branding(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    let patch: BrandingPatch = json_body(&body)?;
    let v = settings::update_branding(&svc, &actor, &tenant, patch, Some(tag)).await?;
    Ok(with_etag(StatusCode::OK, &v, &v.etag))
}

#[utoipa::path(put, path = "/api/v1/tenants/{slug}/branding/logo", operation_id = "putLogo", tag = "branding",
    params(("slug" = String, Path)),
    request_body(content = Vec<u8>, description = "a PNG, JPEG or SVG image of at most 256 KiB", content_type = "application/octet-stream"),
    responses((status = 200, body = BrandingView), (status = 400, body = Problem), (status = 413, body = Problem)),
    security(("bearer" = [])))]
pub async fn put_logo(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let v = settings::set_logo(&svc, &actor, &tenant, body.to_vec()).await?;
    Ok(with_etag(StatusCode::OK, &v, &v.etag))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/branding/logo", operation_id = "deleteLogo", tag = "branding",
    params(("slug" = String, Path)),
    responses((status = 200, body = BrandingView), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_logo(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let v = settings::remove_logo(&svc, &actor, &tenant).await?;
    Ok(with_etag(StatusCode::OK, &v, &v.etag))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/policies", operation_id = "getPolicies", tag = "policies",
    params(("slug" = String, Path)),
    responses((status = 200, body = PoliciesView, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn policies(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let v = settings::policies(&svc, &actor, &tenant).await?;
    Ok(with_etag(StatusCode::OK, &v, &v.etag))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/policies", operation_id = "updatePolicies", tag = "policies",
    params(("slug" = String, Path), ("If-Match" = String, Header)), request_body = PoliciesPatch,
    responses((status = 200, body = PoliciesView), (status = 400, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update_policies(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    let patch: PoliciesPatch = json_body(&body)?;
    let v = settings::update_policies(&svc, &actor, &tenant, patch, Some(tag)).await?;
    Ok(with_etag(StatusCode::OK, &v, &v.etag))
}
