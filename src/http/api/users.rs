//! `/api/v1/tenants/{slug}/users`: members and guests.

use super::{admin_context, if_match, json_body, path_param, with_etag};
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::directory::NewMember;
use crate::service::invitations;
use crate::service::users::{self, UserDetail, UserPage, UserPatch, UserQuery};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new member of the tenant's own directory.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserBody {
    pub mail: String,
    pub display_name: String,
    /// Leave out to let the person set one through a password reset link.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A one-time link to hand to the user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkBody {
    pub url: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetRedemptionBody {
    /// Send the new invitation to this address instead.
    #[serde(default)]
    pub invited_user_email_address: Option<String>,
}

/// The outcome of resending or resetting an invitation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReissuedBody {
    pub id: String,
    pub invite_redeem_url: String,
    pub invited_user: crate::service::invitation_admin::InvitedUserRef,
    pub status: String,
}

impl From<invitations::Reissued> for ReissuedBody {
    fn from(r: invitations::Reissued) -> Self {
        ReissuedBody {
            id: r.invitation_id,
            invite_redeem_url: r.redeem_url,
            invited_user: crate::service::invitation_admin::InvitedUserRef { id: r.user_id },
            status: r.status.into(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/users", operation_id = "listUsers", tag = "users",
    params(("slug" = String, Path), UserQuery),
    responses((status = 200, body = UserPage), (status = 400, body = super::openapi::Problem),
        (status = 401, body = super::openapi::Problem), (status = 403, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    req: HttpRequest,
    q: web::Query<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let page = users::list(&svc, &actor, &tenant, q.into_inner()).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users", operation_id = "createUser", tag = "users",
    params(("slug" = String, Path)), request_body = NewUserBody,
    responses((status = 201, body = UserDetail), (status = 400, body = super::openapi::Problem),
        (status = 401, body = super::openapi::Problem), (status = 403, body = super::openapi::Problem),
        (status = 409, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let b: NewUserBody = json_body(&body)?;
    let roles = b
        .roles
        .iter()
        .map(|r| crate::domain::user::Role::parse(r).map_err(crate::error::Error::from))
        .collect::<Result<Vec<_>, _>>()?;
    if roles.contains(&crate::domain::user::Role::Operator) {
        crate::service::admin::require_operator(&actor)?;
    }
    let created = crate::service::directory::create_member(
        &svc,
        &actor.id,
        &tenant,
        NewMember {
            email: b.mail,
            display_name: b.display_name,
            password: b.password,
            roles,
            creation_type: None,
            email_verified: true,
            profile: Default::default(),
        },
    )
    .await?;
    let detail = users::get(&svc, &actor, &tenant, &created.id).await?;
    Ok(with_etag(StatusCode::CREATED, &detail, &detail.etag))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/users/{id}", operation_id = "getUser", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = UserDetail, headers(("ETag" = String))), (status = 404, body = super::openapi::Problem),
        (status = 401, body = super::openapi::Problem), (status = 403, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn get(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let d = users::get(&svc, &actor, &tenant, &path_param(&req, "id")).await?;
    Ok(with_etag(StatusCode::OK, &d, &d.etag))
}

#[utoipa::path(patch, path = "/api/v1/tenants/{slug}/users/{id}", operation_id = "updateUser", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header, description = "the ETag you read")),
    request_body = UserPatch,
    responses((status = 200, body = UserDetail), (status = 400, body = super::openapi::Problem),
        (status = 404, body = super::openapi::Problem), (status = 412, body = super::openapi::Problem),
        (status = 428, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn update(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    let patch: UserPatch = json_body(&body)?;
    let d = users::update(
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

#[utoipa::path(delete, path = "/api/v1/tenants/{slug}/users/{id}", operation_id = "deleteUser", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 404, body = super::openapi::Problem),
        (status = 412, body = super::openapi::Problem), (status = 428, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn delete(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let tag = if_match(&req)?;
    users::delete(&svc, &actor, &tenant, &path_param(&req, "id"), Some(tag)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users/{id}/password-reset", operation_id = "createPasswordResetLink", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = LinkBody), (status = 400, body = super::openapi::Problem),
        (status = 404, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn password_reset(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let url = users::password_reset_link(&svc, &actor, &tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Created().json(LinkBody { url }))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users/{id}/resend-invitation", operation_id = "resendUserInvitation", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = ReissuedBody), (status = 404, body = super::openapi::Problem),
        (status = 409, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn resend_invitation(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let r = invitations::resend(&svc, &actor, &tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Created().json(ReissuedBody::from(r)))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/users/{id}/reset-redemption", operation_id = "resetUserRedemption", tag = "users",
    params(("slug" = String, Path), ("id" = String, Path)), request_body = ResetRedemptionBody,
    responses((status = 201, body = ReissuedBody), (status = 400, body = super::openapi::Problem),
        (status = 404, body = super::openapi::Problem)),
    security(("bearer" = [])))]
pub async fn reset_redemption(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = admin_context(&svc, &req).await?;
    let b: ResetRedemptionBody = if body.is_empty() {
        ResetRedemptionBody {
            invited_user_email_address: None,
        }
    } else {
        json_body(&body)?
    };
    let r = invitations::reset_redemption(
        &svc,
        &actor,
        &tenant,
        &path_param(&req, "id"),
        b.invited_user_email_address.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Created().json(ReissuedBody::from(r)))
}
