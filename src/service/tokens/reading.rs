//! The endpoints that read tokens back: userinfo, revocation (RFC 7009), introspection (RFC 7662).

use super::super::Services;
use super::super::apps::App;
use super::super::tenants::Tenant;
use super::access::{Holder, Resource, check_access_token, invalid_token};
use super::load_membership;
use crate::crypto::hash_secret;
use crate::domain::claims::{self, RequestedClaims, Subject};
use crate::error::Result;
use crate::store::models::UserRow;
use crate::store::queries;
use serde_json::{Value, json};

/// The userinfo answer for a live user access token meant for userinfo.
pub async fn userinfo(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
) -> Result<serde_json::Map<String, Value>> {
    let active = check_access_token(svc, tenant, token, Some(Resource::UserInfo)).await?;
    let Holder::User { user, grant_id } = active.holder else {
        return Err(invalid_token("this access token does not belong to a user"));
    };
    let (app, grant) = svc
        .store
        .read(move |c| {
            let grant = queries::oauth::grant_by_id(c, &grant_id)?;
            let app = match &grant {
                Some(g) => queries::apps::by_id(c, &g.app_id)?,
                None => None,
            };
            Ok((app, grant))
        })
        .await?;
    let (Some(app), Some(grant)) = (app.map(App::from_row), grant) else {
        return Err(invalid_token("the application no longer exists"));
    };
    let m = load_membership(svc, &app, &user.id).await?;
    let requested = grant
        .claims
        .as_deref()
        .and_then(|c| RequestedClaims::parse(c).ok())
        .unwrap_or_default();
    Ok(claims::userinfo_claims(
        &Subject::of(&user),
        &active.scopes,
        &app.settings.optional_claims,
        &m,
        &requested,
    ))
}

/// RFC 7009: revokes a refresh token (its whole grant) or an access token of this client. Unknown
/// tokens are not an error.
pub async fn revoke(svc: &Services, tenant: &Tenant, app: &App, token: &str) -> Result<()> {
    if token.is_empty() || token.len() > 8192 {
        return Ok(());
    }
    let hash = hash_secret(token);
    let now = svc.now();
    let app_id = app.id.clone();
    let revoked_refresh = svc
        .store
        .write(move |c| {
            let Some(rt) = queries::oauth::refresh_by_hash(c, &hash)? else {
                return Ok(false);
            };
            match queries::oauth::grant_by_id(c, &rt.grant_id)? {
                Some(g) if g.app_id == app_id => {
                    queries::oauth::revoke_grant(c, &g.id, now)?;
                    Ok(true)
                }
                _ => Ok(true),
            }
        })
        .await?;
    if revoked_refresh {
        return Ok(());
    }
    if let Ok(active) = check_access_token(svc, tenant, token, None).await
        && active.client_id == app.client_id
    {
        let (jti, exp) = (active.jti, active.expires_at);
        svc.store
            .write(move |c| queries::oauth::revoke_jti(c, &jti, exp))
            .await?;
    }
    Ok(())
}

/// The holder of an access token gives it up (the console's sign-out): the token's grant is revoked,
/// so neither it nor any refresh token of the grant works again; an app's own token is marked revoked.
/// A token that is no longer valid needs nothing.
pub async fn give_up(svc: &Services, tenant: &Tenant, token: &str) -> Result<()> {
    let Ok(active) = check_access_token(svc, tenant, token, None).await else {
        return Ok(());
    };
    let (jti, exp, now) = (active.jti, active.expires_at, svc.now());
    let grant = match active.holder {
        Holder::User { grant_id, .. } => Some(grant_id),
        Holder::App { .. } => None,
    };
    svc.store
        .write(move |c| {
            queries::oauth::revoke_jti(c, &jti, exp)?;
            if let Some(id) = grant {
                queries::oauth::revoke_grant(c, &id, now)?;
            }
            Ok(())
        })
        .await
}

/// RFC 7662: what a resource server may know about a token of this tenant.
pub async fn introspect(svc: &Services, tenant: &Tenant, token: &str) -> Result<Value> {
    let inactive = json!({ "active": false });
    if token.is_empty() || token.len() > 8192 {
        return Ok(inactive);
    }
    if token.contains('.') {
        return Ok(match check_access_token(svc, tenant, token, None).await {
            Ok(a) => {
                let mut out = json!({ "active": true, "token_type": "Bearer" });
                for k in [
                    "scope",
                    "client_id",
                    "sub",
                    "exp",
                    "iat",
                    "iss",
                    "aud",
                    "jti",
                    "tid",
                    "oid",
                    "acct",
                    "idp",
                    "altsecid",
                ] {
                    if let Some(v) = a.claims.get(k) {
                        out[k] = v.clone();
                    }
                }
                if let Holder::User { user, .. } = &a.holder {
                    out["username"] = json!(user.upn.as_str());
                }
                out
            }
            Err(_) => inactive,
        });
    }
    let hash = hash_secret(token);
    let now = svc.now();
    let tenant_id = tenant.id.clone();
    svc.store
        .read(move |c| {
            let Some(rt) = queries::oauth::refresh_by_hash(c, &hash)? else {
                return Ok(inactive);
            };
            let Some(g) = queries::oauth::grant_by_id(c, &rt.grant_id)? else {
                return Ok(inactive);
            };
            let live = rt.rotated_at.is_none()
                && rt.expires_at > now
                && g.revoked_at.is_none()
                && g.tenant_id == tenant_id;
            let user = queries::users::by_id(c, &g.user_id)?.filter(UserRow::may_hold_tokens);
            let (true, Some(user)) = (live, user) else {
                return Ok(inactive);
            };
            let app = queries::apps::by_id(c, &g.app_id)?;
            Ok(json!({
                "active": true,
                "token_type": "refresh_token",
                "scope": rt.scope,
                "client_id": app.map(|a| a.client_id),
                "sub": user.id,
                "exp": rt.expires_at,
                "iat": rt.created_at,
                "username": user.user_principal_name,
            }))
        })
        .await
}
