//! The JSON admin API (`/api/v1`). Callers present a bearer access token from the tenant's own token
//! endpoint: an app's `client_credentials` token carrying the `guestlist.invite` scope, or a user's
//! token held by a first-party app of the tenant (the user's roles and the invite policy decide).

pub mod invitations;

use crate::error::{Error, OAuthErrorCode};
use crate::service::Services;
use crate::service::invitations::Actor;
use crate::service::tenants::Tenant;
use crate::service::tokens;
use actix_web::HttpRequest;
use actix_web::http::header;
use std::sync::Arc;

use super::errors::ApiError;

/// The scope an app needs to invite through the API.
pub const INVITE_SCOPE: &str = "guestlist.invite";

pub async fn tenant(svc: &Services, req: &HttpRequest) -> Result<Arc<Tenant>, ApiError> {
    let slug = req.match_info().get("slug").unwrap_or_default();
    Ok(svc.tenants.by_slug(slug).await?)
}

/// The actor behind the bearer token of `req`, in `tenant`.
pub async fn actor(svc: &Services, tenant: &Tenant, req: &HttpRequest) -> Result<Actor, ApiError> {
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
        .map_err(|_| {
            Error::oauth(
                OAuthErrorCode::InvalidToken,
                "the access token is not valid for this organisation",
            )
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
    if !scopes.contains(INVITE_SCOPE) {
        return Err(Error::Forbidden(format!("the token lacks the {INVITE_SCOPE} scope")).into());
    }
    let client_id = active
        .str_claim("client_id")
        .unwrap_or_default()
        .to_string();
    Ok(Actor {
        id: format!("app:{client_id}"),
        display_name: tenant.display_name.clone(),
        inviter: crate::domain::policy::Inviter {
            user_type: crate::domain::user::UserType::Member,
            roles: vec![crate::domain::user::Role::Admin],
        },
    })
}
