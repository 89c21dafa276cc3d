//! `/api/v1/tenants/{slug}/identity-providers`: the upstream OpenID Connect providers a tenant's
//! guests (and, where allowed, members) sign in through. The client secret goes in and never comes out.

use super::problem::Problem;
use super::{delete_one, json_body, patch_one, path_param, read_one, tagged};
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::federation::{
    self, ConnectionTest, IdentityProviderPatch, IdentityProviderView, NewIdentityProvider,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/identity-providers", operation_id = "listIdentityProviders", tag = "identity providers",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<IdentityProviderView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    let providers = federation::list(&svc, &c.actor, &c.tenant).await?;
    Ok(HttpResponse::Ok().json(providers))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/identity-providers", operation_id = "createIdentityProvider", tag = "identity providers",
    params(("slug" = String, Path)), request_body = NewIdentityProvider,
    responses((status = 201, body = IdentityProviderView), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let b: NewIdentityProvider = json_body(&body)?;
    let created = federation::create(&svc, &c.actor, &c.tenant, b).await?;
    Ok(tagged(StatusCode::CREATED, &created))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/identity-providers/{id}", operation_id = "getIdentityProvider", tag = "identity providers",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = IdentityProviderView, headers(("ETag" = String))), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    read_one(federation::get(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
    ))
    .await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/identity-providers/{id}", operation_id = "updateIdentityProvider", tag = "identity providers",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    request_body = IdentityProviderPatch,
    responses((status = 200, body = IdentityProviderView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    patch_one(&c, &req, &body, |patch: IdentityProviderPatch, tag| {
        federation::update(&svc, &c.actor, &c.tenant, &id, patch, Some(tag))
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/identity-providers/{id}", operation_id = "deleteIdentityProvider", tag = "identity providers",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    delete_one(&c, &req, |tag| {
        federation::delete(&svc, &c.actor, &c.tenant, &id, Some(tag))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/identity-providers/{id}/test", operation_id = "testIdentityProvider", tag = "identity providers",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = ConnectionTest), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn test(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let outcome =
        federation::test_connection(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[utoipa::path(get, path = "/api/v1/identity-providers", operation_id = "listSharedIdentityProviders", tag = "identity providers",
    params(("X-Guestlist-Tenant" = Option<String>, Header, description = "the operator's home tenant (default: default)")),
    responses((status = 200, body = Vec<IdentityProviderView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_shared(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    let providers = federation::list_shared(&svc, &c.actor, Some(&c.tenant)).await?;
    Ok(HttpResponse::Ok().json(providers))
}

#[utoipa::path(post, path = "/api/v1/identity-providers", operation_id = "createSharedIdentityProvider", tag = "identity providers",
    params(("X-Guestlist-Tenant" = Option<String>, Header)), request_body = NewIdentityProvider,
    responses((status = 201, body = IdentityProviderView), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn create_shared(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::ManageTenants).await?;
    let b: NewIdentityProvider = json_body(&body)?;
    let created = federation::create_shared(&svc, &c.actor, Some(&c.tenant), b).await?;
    Ok(tagged(StatusCode::CREATED, &created))
}

#[utoipa::path(delete, path = "/api/v1/identity-providers/{id}", operation_id = "deleteSharedIdentityProvider", tag = "identity providers",
    params(("X-Guestlist-Tenant" = Option<String>, Header), ("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_shared(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::ManageTenants).await?;
    federation::delete_shared(&svc, &c.actor, Some(&c.tenant), &path_param(&req, "id")).await?;
    Ok(HttpResponse::NoContent().finish())
}
