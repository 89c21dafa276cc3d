//! The JSON admin API (`/api/v1`). Callers present a bearer access token from the tenant's own token
//! endpoint: an app's `client_credentials` token carrying the `guestlist.admin` scope (everything an
//! admin may do) or the `guestlist.invite` scope (inviting only), or a user's token held by a
//! first-party app of the tenant (the user's roles decide). The CLI calls the same handlers in-process
//! as the operator (see [`LocalOperator`]).

pub mod apps;
pub mod audit;
pub mod directory;
pub mod groups;
pub mod invitations;
pub mod openapi;
pub mod settings;
pub mod users;

use crate::error::{Error, OAuthErrorCode};
use crate::service::Services;
use crate::service::invitations::Actor;
use crate::service::tenants::Tenant;
use crate::service::tokens;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use std::sync::Arc;

use super::errors::ApiError;

/// The scope an app needs to invite through the API.
pub const INVITE_SCOPE: &str = "guestlist.invite";
/// The scope an app needs for everything else an admin does.
pub const ADMIN_SCOPE: &str = "guestlist.admin";

/// Marks a request the CLI dispatches in-process: it acts as the operator. Only code can attach
/// request extensions, so no network request can carry it.
#[derive(Debug, Clone, Copy)]
pub struct LocalOperator;

pub async fn tenant(svc: &Services, req: &HttpRequest) -> Result<Arc<Tenant>, ApiError> {
    let slug = req.match_info().get("slug").unwrap_or_default();
    Ok(svc.tenants.by_slug(slug).await?)
}

/// The actor behind the bearer token of `req`, in `tenant`.
pub async fn actor(svc: &Services, tenant: &Tenant, req: &HttpRequest) -> Result<Actor, ApiError> {
    if req.extensions().get::<LocalOperator>().is_some() {
        return Ok(Actor::operator());
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())
        .ok_or(Error::Unauthenticated)?;
    let active = tokens::check_access_token(svc, tenant, &token)
        .await
        .map_err(|e| match e {
            // The database is down (503) or failed (500): not the token's fault.
            Error::Unavailable(_) | Error::Internal(_) => e,
            _ => Error::oauth(
                OAuthErrorCode::InvalidToken,
                "the access token is not valid for this organisation",
            ),
        })?;
    if let Some(user) = active.user.clone() {
        // A user's token acts for them only when a first-party app of the tenant holds it (the console,
        // the operator's own tools), never when a third-party app passes a token along.
        let client_id = active.str_claim("client_id").unwrap_or_default();
        let first_party = svc
            .apps
            .find(&tenant.id, client_id)
            .await?
            .is_some_and(|a| a.first_party);
        if !first_party {
            return Err(Error::Forbidden(
                "only tokens of the organisation's own apps may use the admin API".into(),
            )
            .into());
        }
        return Ok(Actor {
            inviter: crate::domain::policy::Inviter {
                user_type: crate::domain::user::UserType::parse(&user.user_type)
                    .map_err(Error::from)?,
                roles: crate::domain::user::parse_roles(&user.roles),
            },
            id: user.id,
            display_name: user.display_name,
        });
    }
    let scopes =
        crate::domain::scope::Scopes::from_stored(active.str_claim("scope").unwrap_or_default());
    let role = if scopes.contains(ADMIN_SCOPE) {
        crate::domain::user::Role::Admin
    } else if scopes.contains(INVITE_SCOPE) {
        crate::domain::user::Role::GuestInviter
    } else {
        return Err(Error::Forbidden(format!(
            "the token carries neither the {ADMIN_SCOPE} nor the {INVITE_SCOPE} scope"
        ))
        .into());
    };
    let client_id = active
        .str_claim("client_id")
        .unwrap_or_default()
        .to_string();
    Ok(Actor {
        id: format!("app:{client_id}"),
        display_name: tenant.display_name.clone(),
        inviter: crate::domain::policy::Inviter {
            user_type: crate::domain::user::UserType::Member,
            roles: vec![role],
        },
    })
}

/// The tenant of the path and the caller acting in it.
pub async fn context(svc: &Services, req: &HttpRequest) -> Result<(Arc<Tenant>, Actor), ApiError> {
    let tenant = tenant(svc, req).await?;
    let actor = actor(svc, &tenant, req).await?;
    Ok((tenant, actor))
}

/// [`context`] for the routes only admins may use: the caller's role is checked before anything of the
/// request (body, `If-Match`) is, so whoever may not call the route learns nothing but 403.
pub async fn admin_context(
    svc: &Services,
    req: &HttpRequest,
) -> Result<(Arc<Tenant>, Actor), ApiError> {
    let (tenant, actor) = context(svc, req).await?;
    crate::service::admin::require_admin(&actor)?;
    Ok((tenant, actor))
}

/// The `If-Match` of an update; updates without one are refused (428) so no admin overwrites
/// another's change without seeing it.
pub fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::PreconditionRequired(
                "send If-Match with the ETag of the object as you read it".into(),
            )
            .into()
        })
}

/// A JSON answer carrying the object's ETag.
pub fn with_etag<T: serde::Serialize>(
    status: actix_web::http::StatusCode,
    body: &T,
    etag: &str,
) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    if !etag.is_empty() {
        resp.insert_header((header::ETAG, etag.to_string()));
    }
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    resp.json(body)
}

/// Parses a JSON body into `T`, naming what was wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| Error::invalid("body", format!("not valid here: {e}")).into())
}

/// A path segment by name.
pub fn path_param(req: &HttpRequest, name: &str) -> String {
    req.match_info().get(name).unwrap_or_default().to_string()
}

/// Pagination by offset (small lists).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}
