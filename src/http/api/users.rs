//! `/api/v1/tenants/{slug}/users`: members and guests.

use super::problem::Problem;
use super::{delete_one, json_body, patch_one, path_param, read_one, tagged};
use crate::domain::access::Action;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::invitations::{self, Reissued};
use crate::service::lifecycle::sponsors::{self, Sponsor};
use crate::service::users::{self, NewUserBody, UserDetail, UserPage, UserPatch, UserQuery};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRedemptionBody {
    /// Send the new invitation to this address instead.
    #[serde(default)]
    pub invited_user_email_address: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/users", operation_id = "listUsers", tag = "users",
    params(("slug" = String, Path), UserQuery),
    responses((status = 200, body = UserPage), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    c: ApiCaller,
    q: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = users::list(&svc, &c.actor, &c.tenant, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users", operation_id = "createUser", tag = "users",
    params(("slug" = String, Path)), request_body = NewUserBody,
    responses((status = 201, body = UserDetail), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let b: NewUserBody = json_body(&body)?;
    let detail = users::create(&svc, &c.actor, &c.tenant, b.into_member()?).await?;
    Ok(tagged(StatusCode::CREATED, &detail))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/users/{id}", operation_id = "getUser", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = UserDetail, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    read_one(users::get(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
    ))
    .await
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/users/{id}", operation_id = "updateUser", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    request_body = UserPatch,
    responses((status = 200, body = UserDetail), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 412, body = Problem),
        (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    patch_one(&c, &req, &body, |patch: UserPatch, tag| {
        users::update(&svc, &c.actor, &c.tenant, &id, patch, Some(tag))
    })
    .await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/users/{id}", operation_id = "deleteUser", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem)),
    security(("bearer" = [])))]
pub async fn delete(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    delete_one(&c, &req, |tag| {
        users::delete(&svc, &c.actor, &c.tenant, &id, Some(tag))
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users/{id}/password-reset", operation_id = "createPasswordResetLink", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = users::ResetLink), (status = 400, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn password_reset(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let link =
        users::password_reset_link(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Created().json(link))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users/{id}/resend-invitation", operation_id = "resendUserInvitation", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = Reissued), (status = 404, body = Problem),
        (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn resend_invitation(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let r = invitations::resend(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Created().json(r))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users/{id}/reset-redemption", operation_id = "resetUserRedemption", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = ResetRedemptionBody,
    responses((status = 201, body = Reissued), (status = 400, body = Problem),
        (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn reset_redemption(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::ResetRedemption).await?;
    let b: ResetRedemptionBody = if body.is_empty() {
        ResetRedemptionBody {
            invited_user_email_address: None,
        }
    } else {
        json_body(&body)?
    };
    let r = invitations::reset_redemption(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
        b.invited_user_email_address.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Created().json(r))
}

/// A guest's complete list of sponsors.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SponsorsBody {
    /// User ids or addresses of users of this tenant; an empty list leaves the guest to the admins.
    pub sponsors: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/users/{id}/sponsors", operation_id = "listSponsors", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<Sponsor>), (status = 404, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn sponsors(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let list = sponsors::list(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(put, path = "/api/v1/tenants/{slug}/users/{id}/sponsors", operation_id = "setSponsors", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = SponsorsBody,
    responses((status = 200, body = Vec<Sponsor>), (status = 400, body = Problem),
        (status = 404, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn set_sponsors(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let b: SponsorsBody = json_body(&body)?;
    let list = sponsors::set(
        &svc,
        &c.actor,
        &c.tenant,
        &path_param(&req, "id"),
        b.sponsors,
    )
    .await?;
    Ok(HttpResponse::Ok().json(list))
}
