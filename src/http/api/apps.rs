//! `/api/v1/tenants/{slug}/apps`: OIDC clients, their secrets and assignments.

use super::openapi::Problem;
use super::{admin_context, if_match, json_body, path_param, with_etag};
use crate::domain::claims::OptionalClaim;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::app_admin::{self, AppDetail, AppPatch, AppView, AssignmentInput, parse_claim};
use crate::service::directory::NewApp;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAppBody {
    pub name: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client has no secret and must use PKCE.
    #[serde(default)]
    pub public: bool,
    /// The tenant's own app: no consent page, may hold users' tokens for this API.
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub assignment_required: bool,
    /// `RS256` (default), `ES256` or `EdDSA`.
    #[serde(default)]
    pub signing_alg: Option<String>,
    #[serde(default)]
    pub optional_claims: Vec<String>,
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
}

/// A created app; `clientSecret` appears only here (and when rotated).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedAppBody {
    pub id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretBody {
    pub client_id: String,
    pub client_secret: String,
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/apps", operation_id = "listApps", tag = "apps",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<AppView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    Ok(HttpResponse::Ok().json(app_admin::list(&svc, &actor, &tenant).await?))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/apps", operation_id = "createApp", tag = "apps",
    params(("slug" = String, Path)), request_body = NewAppBody,
    responses((status = 201, body = CreatedAppBody), (status = 400, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let b: NewAppBody = json_body(&body)?;
    let optional_claims = b
        .optional_claims
        .iter()
        .map(|c| parse_claim(c))
        .collect::<Result<Vec<OptionalClaim>, _>>()?;
    let created = app_admin::create(
        &svc,
        &actor,
        &tenant,
        NewApp {
            name: b.name,
            redirect_uris: b.redirect_uris,
            post_logout_redirect_uris: b.post_logout_redirect_uris,
            public: b.public,
            first_party: b.first_party,
            assignment_required: b.assignment_required,
            signing_alg: b.signing_alg.unwrap_or_else(|| "RS256".into()),
            optional_claims,
            allowed_scopes: b.allowed_scopes,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(CreatedAppBody {
        id: created.id,
        client_id: created.client_id,
        client_secret: created.client_secret,
        name: created.name,
    }))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/apps/{id}", operation_id = "getApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = AppDetail, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let d = app_admin::get(&svc, &actor, &tenant, &path_param(&req, "id")).await?;
    Ok(with_etag(StatusCode::OK, &d, &d.etag))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/apps/{id}", operation_id = "updateApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    request_body = AppPatch,
    responses((status = 200, body = AppDetail), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    let patch: AppPatch = json_body(&body)?;
    let d = app_admin::update(
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

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/apps/{id}", operation_id = "deleteApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    app_admin::delete(&svc, &actor, &tenant, &path_param(&req, "id"), Some(tag)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/apps/{id}/secret", operation_id = "rotateAppSecret", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = SecretBody), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn rotate_secret(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let id = path_param(&req, "id");
    let secret = app_admin::rotate_secret(&svc, &actor, &tenant, &id).await?;
    let d = app_admin::get(&svc, &actor, &tenant, &id).await?;
    Ok(HttpResponse::Created().json(SecretBody {
        client_id: d.app.client_id,
        client_secret: secret,
    }))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/apps/{id}/assignments", operation_id = "assignApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = AssignmentInput,
    responses((status = 200, body = AppDetail), (status = 400, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn assign(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let input: AssignmentInput = json_body(&body)?;
    let d = app_admin::assign(&svc, &actor, &tenant, &path_param(&req, "id"), input).await?;
    Ok(with_etag(StatusCode::OK, &d, &d.etag))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/apps/{id}/assignments/{principalType}/{principalId}", operation_id = "unassignApp", tag = "apps",
    params(("slug" = String, Path), ("id" = String, Path), ("principalType" = String, Path), ("principalId" = String, Path)),
    responses((status = 200, body = AppDetail), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn unassign(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let d = app_admin::unassign(
        &svc,
        &actor,
        &tenant,
        &path_param(&req, "id"),
        &path_param(&req, "principalType"),
        &path_param(&req, "principalId"),
    )
    .await?;
    Ok(with_etag(StatusCode::OK, &d, &d.etag))
}
