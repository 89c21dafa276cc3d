//! `/api/v1/tenants/{slug}/apps`: OIDC clients, their secrets and assignments.

use super::problem::Problem;
use super::{delete_one, json_body, patch_one, path_param, read_one, tagged};
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::apps::manage::{
    self as apps, AppDetail, AppPatch, AppView, AssignmentInput, CreatedApp, NewAppBody,
    RotatedSecret,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/apps", operation_id = "listApps", tag = "apps",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<AppView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(apps::list(&svc, &c.actor, &c.tenant).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/apps", operation_id = "createApp", tag = "apps",
    params(("slug" = String, Path)), request_body = NewAppBody,
    responses((status = 201, body = CreatedApp), (status = 400, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let b: NewAppBody = json_body(&body)?;
    let created = apps::create(&svc, &c.actor, &c.tenant, b.into_new_app()?).await?;
    Ok(HttpResponse::Created().json(created))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/apps/{id}", operation_id = "getApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = AppDetail, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    read_one(apps::get(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
    ))
    .await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/apps/{id}", operation_id = "updateApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    request_body = AppPatch,
    responses((status = 200, body = AppDetail), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    patch_one(&c, &req, &body, |patch: AppPatch, tag| {
        apps::update(&svc, &c.actor, &c.tenant, &id, patch, Some(tag))
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/apps/{id}", operation_id = "deleteApp", tag = "apps",
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
        apps::delete(&svc, &c.actor, &c.tenant, &id, Some(tag))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/apps/{id}/secret", operation_id = "rotateAppSecret", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = RotatedSecret), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn rotate_secret(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    let rotated = apps::rotate_secret(&svc, &c.actor, &c.tenant, &id).await?;
    Ok(HttpResponse::Created().json(rotated))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/apps/{id}/assignments", operation_id = "assignApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = AssignmentInput,
    responses((status = 200, body = AppDetail), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn assign(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let input: AssignmentInput = json_body(&body)?;
    let d = apps::assign(&svc, &c.actor, &c.tenant, &path_param(&req, "id"), input).await?;
    Ok(tagged(StatusCode::OK, &d))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/apps/{id}/assignments/{principalType}/{principalId}", operation_id = "unassignApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path), ("principalType" = String, Path), ("principalId" = String, Path)),
    responses((status = 200, body = AppDetail), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn unassign(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let d = apps::unassign(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
        &path_param(&req, "principalType"),
        &path_param(&req, "principalId"),
    )
    .await?;
    Ok(tagged(StatusCode::OK, &d))
}
