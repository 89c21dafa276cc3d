//! `/api/v1/tenants/{slug}/groups`.

use super::openapi::Problem;
use super::{Paging, admin_context, if_match, json_body, path_param, with_etag};
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::groups::{self, GroupDetail, GroupPatch, GroupView};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewGroupBody {
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/groups", operation_id = "listGroups", tag = "groups",
    params(("slug" = String, Path), Paging),
    responses((status = 200, body = Vec<GroupView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    req: HttpRequest,
    q: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    Ok(HttpResponse::Ok().json(groups::list(&svc, &actor, &tenant, q.limit, q.offset).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/groups", operation_id = "createGroup", tag = "groups",
    params(("slug" = String, Path)), request_body = NewGroupBody,
    responses((status = 201, body = GroupDetail), (status = 400, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let b: NewGroupBody = json_body(&body)?;
    let d = groups::create(
        &svc,
        &actor,
        &tenant,
        &b.display_name,
        b.description.as_deref(),
    )
    .await?;
    Ok(with_etag(StatusCode::CREATED, &d, &d.etag))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/groups/{id}", operation_id = "getGroup", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = GroupDetail, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let d = groups::get(&svc, &actor, &tenant, &path_param(&req, "id")).await?;
    Ok(with_etag(StatusCode::OK, &d, &d.etag))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/groups/{id}", operation_id = "updateGroup", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    request_body = GroupPatch,
    responses((status = 200, body = GroupDetail), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    let patch: GroupPatch = json_body(&body)?;
    let d = groups::update(
        &svc,
        &actor,
        &tenant,
        &path_param(&req, "id"),
        patch,
        Some(tag),
    )
    .await?;
    Ok(with_etag(StatusCode::OK, &d, &d.etag))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/groups/{id}", operation_id = "deleteGroup", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    groups::delete(&svc, &actor, &tenant, &path_param(&req, "id"), Some(tag)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/api/v1/tenants/{slug}/groups/{id}/members/{userId}", operation_id = "addGroupMember", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("userId" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_member(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    groups::add_member(
        &svc,
        &actor,
        &tenant,
        &path_param(&req, "id"),
        &path_param(&req, "userId"),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/groups/{id}/members/{userId}", operation_id = "removeGroupMember", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("userId" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove_member(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    groups::remove_member(
        &svc,
        &actor,
        &tenant,
        &path_param(&req, "id"),
        &path_param(&req, "userId"),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
