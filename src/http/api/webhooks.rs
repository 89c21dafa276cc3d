//! `/api/v1/tenants/{slug}/webhooks`: signed webhook endpoints for audit events, their secrets (shown
//! when made or rotated, never again), their delivery log and replay.

use super::problem::Problem;
use super::{delete_one, json_body, patch_one, path_param, read_one};
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::webhooks::{
    self, DeliveryView, NewWebhook, WebhookPatch, WebhookView, WebhookWithSecret,
};
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/webhooks", operation_id = "listWebhooks", tag = "webhooks",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<WebhookView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(webhooks::list(&svc, &c.actor, &c.tenant).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/webhooks", operation_id = "createWebhook", tag = "webhooks",
    params(("slug" = String, Path)), request_body = NewWebhook,
    responses((status = 201, body = WebhookWithSecret), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let input: NewWebhook = json_body(&body)?;
    let created = webhooks::create(&svc, &c.actor, &c.tenant, input).await?;
    Ok(HttpResponse::Created()
        .insert_header(("etag", created.webhook.etag.clone()))
        .json(created))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/webhooks/{id}", operation_id = "getWebhook", tag = "webhooks",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = WebhookView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    read_one(webhooks::get(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
    ))
    .await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/webhooks/{id}", operation_id = "updateWebhook", tag = "webhooks",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    request_body = WebhookPatch,
    responses((status = 200, body = WebhookView), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    patch_one(&c, &req, &body, |patch: WebhookPatch, tag| {
        webhooks::update(&svc, &c.actor, &c.tenant, &id, patch, Some(tag))
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/webhooks/{id}", operation_id = "deleteWebhook", tag = "webhooks",
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
        webhooks::delete(&svc, &c.actor, &c.tenant, &id, Some(tag))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/webhooks/{id}/secret", operation_id = "rotateWebhookSecret", tag = "webhooks",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = RotateBody,
    responses((status = 200, body = WebhookWithSecret), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn rotate_secret(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let b: RotateBody = if body.is_empty() {
        RotateBody::default()
    } else {
        c.admit(Action::Administer).await?;
        json_body(&body)?
    };
    let rotated = webhooks::rotate_secret(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
        b.keep_previous_hours.unwrap_or(0),
    )
    .await?;
    Ok(HttpResponse::Ok().json(rotated))
}

/// How a rotation treats the old secret.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RotateBody {
    /// Hours (0–168) during which the old secret still signs beside the new one; 0 (the default)
    /// retires it at once.
    #[serde(default)]
    pub keep_previous_hours: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/webhooks/{id}/deliveries", operation_id = "listWebhookDeliveries", tag = "webhooks",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn deliveries(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let log = webhooks::deliveries(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Ok().json(log))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/webhooks/{id}/deliveries/{delivery}/replay", operation_id = "replayWebhookDelivery", tag = "webhooks",
    params(("slug" = String, Path), ("id" = String, Path), ("delivery" = String, Path)),
    responses((status = 202, body = DeliveryView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn replay(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let again = webhooks::replay(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
        &path_param(&req, "delivery"),
    )
    .await?;
    Ok(HttpResponse::Accepted().json(again))
}
