//! `/api/v1/tenants/{slug}/groups`.

use super::problem::Problem;
use super::{Paging, delete_one, json_body, patch_one, path_param, read_one, tagged};
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::groups::{self, GroupDetail, GroupPatch, GroupView, NewGroupBody};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/groups", operation_id = "listGroups", tag = "groups",
    params(("slug" = String, Path), Paging),
    responses((status = 200, body = Vec<GroupView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    c: ApiCaller,
    q: web::Query<Paging>,
) -> Result<HttpResponse, ApiError> {
    let groups = groups::list(&svc, &c.actor, &c.tenant, q.limit, q.offset).await?;
    Ok(HttpResponse::Ok().json(groups))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/groups", operation_id = "createGroup", tag = "groups",
    params(("slug" = String, Path)), request_body = NewGroupBody,
    responses((status = 201, body = GroupDetail), (status = 400, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let b: NewGroupBody = json_body(&body)?;
    let d = groups::create(
        &svc,
        &c.actor,
        &c.tenant,
        &b.display_name,
        b.description.as_deref(),
    )
    .await?;
    Ok(tagged(StatusCode::CREATED, &d))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/groups/{id}", operation_id = "getGroup", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = GroupDetail, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    read_one(groups::get(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
    ))
    .await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/groups/{id}", operation_id = "updateGroup", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    request_body = GroupPatch,
    responses((status = 200, body = GroupDetail), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    patch_one(&c, &req, &body, |patch: GroupPatch, tag| {
        groups::update(&svc, &c.actor, &c.tenant, &id, patch, Some(tag))
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/groups/{id}", operation_id = "deleteGroup", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    delete_one(&c, &req, |tag| {
        groups::delete(&svc, &c.actor, &c.tenant, &id, Some(tag))
    })
    .await
}

#[utoipa::path(put, path = "/api/v1/tenants/{slug}/groups/{id}/members/{userId}", operation_id = "addGroupMember", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("userId" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn add_member(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = (path_param(&req, "id"), path_param(&req, "userId"));
    groups::add_member(&svc, &c.actor, &c.tenant, &id, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/groups/{id}/members/{userId}", operation_id = "removeGroupMember", tag = "groups",
    params(("slug" = String, Path), ("id" = String, Path), ("userId" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn remove_member(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = (path_param(&req, "id"), path_param(&req, "userId"));
    groups::remove_member(&svc, &c.actor, &c.tenant, &id, &user).await?;
    Ok(HttpResponse::NoContent().finish())
}
