//! The token endpoint's grants (`access` mints and checks access tokens, `reading` serves the endpoints
//! that read tokens back: userinfo, revocation, introspection).
//!
//! Access tokens are JWTs (RFC 9068, `typ` `at+jwt`). Each one from a user flow names its grant
//! (`gid`); revoking the grant (code replay, refresh token reuse, a disabled user) makes every token of
//! that family fail at userinfo and introspection at once. Refresh tokens and codes are random values
//! stored as SHA-256 hashes.

mod access;
mod reading;

pub use access::{
    AccessToken, Holder, Resource, admin_api_uri, check_access_token, parse_resource,
};
pub use reading::{give_up, introspect, revoke, userinfo};

use super::Services;
use super::apps::App;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use crate::crypto::{hash_secret, left_half_hash, random_token};
use crate::domain::claims::{self, Membership, OptionalClaim, RequestedClaims, Subject};
use crate::domain::pkce;
use crate::domain::scope::Scopes;
use crate::domain::user::RoleSet;
use crate::error::{Error, OAuthErrorCode, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{CodeRow, GrantRow, RefreshTokenRow, UserRow};
use crate::store::queries;
use access::{Minting, mint_access_token};
use josekit::jwt::JwtPayload;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

fn invalid_grant(d: &str) -> Error {
    Error::oauth(OAuthErrorCode::InvalidGrant, d)
}

/// The directory facts the claim rules need about a user object. Token paths read the row without its
/// roles: no claim is made of them.
fn subject_of(user: &UserRow) -> Subject {
    Subject::of(&user.clone().into_user(RoleSet::EMPTY))
}

/// Groups and app roles, read only when the app asks for them.
fn wants_membership(app: &App) -> bool {
    let wanted = &app.settings.optional_claims;
    wanted.contains(&OptionalClaim::Groups) || wanted.contains(&OptionalClaim::Roles)
}

/// Groups and app roles, read only when the app asks for them (no database trip otherwise).
pub(super) async fn load_membership(
    svc: &Services,
    app: &App,
    user_id: &str,
) -> Result<Membership> {
    if !wants_membership(app) {
        return Ok(Membership::default());
    }
    let (app, user_id) = (app.clone(), user_id.to_string());
    svc.store.read(move |c| membership(c, &app, &user_id)).await
}

fn membership(c: &mut AnyConnection, app: &App, user_id: &str) -> Result<Membership> {
    let groups = queries::groups::group_ids_of(c, user_id)?;
    let mut roles: Vec<String> = queries::apps::assignments_for(c, &app.id, user_id, &groups)?
        .into_iter()
        .map(|a| a.app_role)
        .filter(|r| !r.is_empty())
        .collect();
    roles.sort();
    roles.dedup();
    Ok(Membership { groups, roles })
}

/// What a user-bound token family needs to mint tokens.
struct Family<'a> {
    tenant: &'a Tenant,
    app: &'a App,
    grant: &'a GrantRow,
    user: &'a UserRow,
    /// The resource the client named for this access token (RFC 8707), if any.
    resource: Option<Resource>,
}

/// The token response of a user-bound grant (code exchange or refresh).
async fn respond(
    svc: &Services,
    family: &Family<'_>,
    scope: &Scopes,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<TokenResponse> {
    let membership = load_membership(svc, family.app, &family.user.id).await?;
    let (access, id_token) = mint_user_tokens(svc, family, &membership, scope, nonce)?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: svc.config.access_token_ttl,
        id_token,
        refresh_token,
        scope: scope.to_stored(),
    })
}

/// Access token, ID token (when `openid` was granted) and the scope string for a token family.
fn mint_user_tokens(
    svc: &Services,
    f: &Family<'_>,
    membership: &Membership,
    scope: &Scopes,
    nonce: Option<&str>,
) -> Result<(String, Option<String>)> {
    let subject = subject_of(f.user);
    let directory = claims::access_token_claims(&subject);
    let mut access_claims: Vec<(&str, Value)> = directory
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    access_claims.push(("gid", json!(f.grant.id)));
    access_claims.push(("auth_time", json!(f.grant.auth_time)));
    let access = mint_access_token(
        svc,
        &Minting {
            tenant: f.tenant,
            app: f.app,
            sub: &f.user.id,
            scope,
            resource: f.resource,
        },
        &access_claims,
    )?;
    if !scope.contains("openid") {
        return Ok((access, None));
    }
    let requested = f
        .grant
        .claims
        .as_deref()
        .and_then(|c| RequestedClaims::parse(c).ok())
        .unwrap_or_default();
    let body = claims::id_token_claims(
        &subject,
        scope,
        &f.app.settings.optional_claims,
        membership,
        &requested,
    );
    let now = svc.now();
    let mut p = JwtPayload::new();
    for (k, v) in body {
        p.set_claim(&k, Some(v)).map_err(Error::internal)?;
    }
    p.set_issuer(&f.tenant.issuer);
    p.set_audience(vec![f.app.client_id.clone()]);
    let mut put = |k: &str, v: Value| p.set_claim(k, Some(v)).map_err(Error::internal);
    put("iat", json!(now))?;
    put("exp", json!(now + svc.config.id_token_ttl))?;
    put("auth_time", json!(f.grant.auth_time))?;
    put("acr", json!(f.grant.acr))?;
    put("amr", json!(f.grant.amr.split(' ').collect::<Vec<_>>()))?;
    if let Some(sid) = &f.grant.session_id {
        put("sid", json!(sid))?;
    }
    if let Some(n) = nonce {
        put("nonce", json!(n))?;
    }
    put(
        "at_hash",
        json!(left_half_hash(&access, f.app.signing_alg.as_str())),
    )?;
    let id_token = svc.keys.sign(f.app.signing_alg, &p, "JWT")?;
    Ok((access, Some(id_token)))
}

pub struct CodeExchange {
    pub code: String,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// RFC 8707: the one resource the access token is for.
    pub resource: Option<Resource>,
}

/// Revokes a grant after a replayed code or a reused refresh token, with its audit event.
async fn revoke_after_reuse(
    svc: &Services,
    tenant: &Tenant,
    app: &App,
    grant_id: Option<String>,
    user_id: &str,
    kind: &'static str,
) -> Result<()> {
    crate::observability::metrics::token_reuse(kind);
    let (tenant_id, client_id, user_id, now) = (
        tenant.id.clone(),
        app.client_id.clone(),
        user_id.to_string(),
        svc.now(),
    );
    svc.store
        .write(move |c| {
            if let Some(gid) = &grant_id {
                let ended = queries::backchannel::Ended::Grant(gid);
                queries::backchannel::queue(c, ended, "token reused", now)?;
                queries::oauth::revoke_grant(c, gid, now)?;
            }
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::TOKEN_REUSE,
                    actor: &client_id,
                    target: &user_id,
                    outcome: "grant revoked",
                    details: json!({ "kind": kind, "grant": grant_id }),
                },
            )
        })
        .await
}

/// What one transaction made of a presented code.
enum Redeemed {
    /// The code was good and is now spent: the grant it made, its user, and the refresh token when
    /// `offline_access` was granted.
    Granted(Box<(GrantRow, UserRow, Option<String>)>),
    /// The code was spent before (by an earlier request, or by a racing one just now): the grant it
    /// made, to be revoked, and its user.
    Replayed {
        grant_id: Option<String>,
        user_id: String,
    },
}

/// The checks of an unspent code of this client against what the request presents.
fn check_code(
    code: &CodeRow,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
    now: i64,
) -> Result<()> {
    if code.expires_at <= now {
        return Err(invalid_grant("the code has expired"));
    }
    if redirect_uri != Some(code.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&code.code_challenge, code_verifier) {
        (Some(ch), Some(v)) if pkce::verify(v, ch) => Ok(()),
        (Some(_), _) => Err(invalid_grant(
            "code_verifier does not match the code_challenge",
        )),
        (None, Some(_)) => Err(invalid_grant(
            "code_verifier given but no code_challenge was sent",
        )),
        (None, None) => Ok(()),
    }
}

/// `grant_type=authorization_code`.
///
/// One write transaction reads the code and its user, checks them, spends the code and records the
/// grant: one trip to the database instead of a read and then a write (on SQLite the group-commit
/// writer runs it with others; its reads are lookups by primary key). The conditional update is what
/// makes a code single-use, even between two racing requests in two processes.
pub async fn exchange_code(
    svc: &Services,
    tenant: &Tenant,
    app: &App,
    input: CodeExchange,
) -> Result<TokenResponse> {
    if input.code.is_empty() || input.code.len() > 256 {
        return Err(invalid_grant("the code is not valid"));
    }
    let hash = hash_secret(&input.code);
    let now = svc.now();
    let refresh_ttl = svc.config.refresh_token_ttl;
    let (tenant_id, app_id) = (tenant.id.clone(), app.id.clone());
    let CodeExchange {
        redirect_uri,
        code_verifier,
        resource,
        ..
    } = input;
    let redeemed = svc
        .store
        .write(move |c| {
            let Some(code) = queries::oauth::code_by_hash(c, &hash)? else {
                return Err(invalid_grant("the code is not valid"));
            };
            if code.tenant_id != tenant_id || code.app_id != app_id {
                return Err(invalid_grant("the code was not issued to this client"));
            }
            if code.consumed_at.is_some() {
                // Replay: whoever holds the code may have stolen it. Kill everything it produced.
                return Ok(Redeemed::Replayed {
                    grant_id: code.grant_id,
                    user_id: code.user_id,
                });
            }
            check_code(
                &code,
                redirect_uri.as_deref(),
                code_verifier.as_deref(),
                now,
            )?;
            let Some(user) =
                queries::users::by_id(c, &code.user_id)?.filter(UserRow::may_hold_tokens)
            else {
                return Err(invalid_grant("the user can no longer sign in"));
            };
            // A code whose session ended (signed out before the app exchanged it) makes no grant:
            // the apps of that session were told it ended, and this one would never be.
            if let Some(sid) = &code.session_id
                && !queries::sessions::exists(c, sid)?
            {
                return Err(invalid_grant("the session this code came from has ended"));
            }
            let grant = GrantRow {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id,
                app_id,
                user_id: user.id.clone(),
                session_id: code.session_id,
                scope: code.scope,
                claims: code.claims,
                nonce: code.nonce,
                auth_time: code.auth_time,
                acr: code.acr,
                amr: code.amr,
                created_at: now,
                expires_at: now + refresh_ttl,
                revoked_at: None,
            };
            if !queries::oauth::consume_code(c, &hash, &grant.id, now)? {
                // Another request spent it between our read and our update: a replay too.
                let winner = queries::oauth::code_by_hash(c, &hash)?;
                return Ok(Redeemed::Replayed {
                    grant_id: winner.and_then(|w| w.grant_id),
                    user_id: user.id,
                });
            }
            queries::oauth::insert_grant(c, &grant)?;
            let refresh = Scopes::from_stored(&grant.scope)
                .contains("offline_access")
                .then(random_token);
            if let Some(token) = &refresh {
                queries::oauth::insert_refresh(
                    c,
                    &RefreshTokenRow {
                        token_hash: hash_secret(token),
                        grant_id: grant.id.clone(),
                        scope: grant.scope.clone(),
                        created_at: now,
                        expires_at: grant.expires_at,
                        rotated_at: None,
                    },
                )?;
            }
            Ok(Redeemed::Granted(Box::new((grant, user, refresh))))
        })
        .await?;
    let (grant, user, refresh) = match redeemed {
        Redeemed::Granted(granted) => *granted,
        Redeemed::Replayed { grant_id, user_id } => {
            revoke_after_reuse(svc, tenant, app, grant_id, &user_id, "authorization_code").await?;
            return Err(invalid_grant("the code has been used already"));
        }
    };
    let scope = Scopes::from_stored(&grant.scope);
    let family = Family {
        tenant,
        app,
        grant: &grant,
        user: &user,
        resource,
    };
    respond(svc, &family, &scope, grant.nonce.as_deref(), refresh).await
}

/// `grant_type=refresh_token`, with rotation: the presented token is spent, a new one is returned.
/// A spent token presented again revokes the whole grant (it may have been stolen).
pub async fn refresh(
    svc: &Services,
    tenant: &Tenant,
    app: &App,
    token: &str,
    scope: Option<&str>,
    resource: Option<Resource>,
) -> Result<TokenResponse> {
    if token.is_empty() || token.len() > 256 {
        return Err(invalid_grant("the refresh token is not valid"));
    }
    let requested = match scope {
        Some(s) => Some(
            Scopes::parse(s).map_err(|e| Error::oauth(OAuthErrorCode::InvalidScope, e.message))?,
        ),
        None => None,
    };
    let hash = hash_secret(token);
    let now = svc.now();
    let lookup = hash.clone();
    let found = svc
        .store
        .read(move |c| {
            let Some(rt) = queries::oauth::refresh_by_hash(c, &lookup)? else {
                return Ok(None);
            };
            let Some(grant) = queries::oauth::grant_by_id(c, &rt.grant_id)? else {
                return Ok(None);
            };
            let user = queries::users::by_id(c, &grant.user_id)?;
            let guest_here = user.as_ref().is_some_and(|u| {
                u.tenant_id == grant.tenant_id
                    && u.user_type == crate::domain::user::UserType::Guest.as_str()
            });
            let terms_due =
                crate::service::terms::pending_on(c, &grant.tenant_id, &grant.user_id, guest_here)?;
            Ok(Some((rt, grant, user, terms_due)))
        })
        .await?;
    let Some((rt, grant, user, terms_due)) = found else {
        return Err(invalid_grant("the refresh token is not valid"));
    };
    // Ownership first (before scope): another client's token is simply not valid here.
    if grant.app_id != app.id || grant.tenant_id != tenant.id {
        return Err(invalid_grant(
            "the refresh token was not issued to this client",
        ));
    }
    if grant.revoked_at.is_some() {
        return Err(invalid_grant("the refresh token has been revoked"));
    }
    if rt.rotated_at.is_some() {
        revoke_after_reuse(
            svc,
            tenant,
            app,
            Some(grant.id.clone()),
            &grant.user_id,
            "refresh_token",
        )
        .await?;
        return Err(invalid_grant("the refresh token has been used already"));
    }
    if rt.expires_at <= now || grant.expires_at <= now {
        return Err(invalid_grant("the refresh token has expired"));
    }
    let Some(user) = user.filter(UserRow::may_hold_tokens) else {
        let gid = grant.id.clone();
        svc.store
            .write(move |c| queries::oauth::revoke_grant(c, &gid, now))
            .await?;
        return Err(invalid_grant("the user can no longer sign in"));
    };
    // A guest who has not accepted the tenant's newest terms gets no new token until they sign in
    // (and accept) again; the token stays usable for then.
    if terms_due.is_some() {
        return Err(invalid_grant(
            "the organisation's terms of use changed: sign in again to accept them",
        ));
    }
    let original = Scopes::from_stored(&rt.scope);
    let scope = match &requested {
        Some(r) if !r.is_subset_of(&original) => {
            return Err(Error::oauth(
                OAuthErrorCode::InvalidScope,
                "scope exceeds what was granted",
            ));
        }
        Some(r) if !r.is_empty() => r.clone(),
        _ => original.clone(),
    };
    let next = random_token();
    let next_row = RefreshTokenRow {
        token_hash: hash_secret(&next),
        grant_id: grant.id.clone(),
        // The family keeps its original scope; a narrower request narrows this response only.
        scope: original.to_stored(),
        created_at: now,
        expires_at: grant.expires_at,
        rotated_at: None,
    };
    let rotated = svc
        .store
        .write(move |c| {
            if !queries::oauth::rotate_refresh(c, &hash, now)? {
                return Ok(false);
            }
            queries::oauth::insert_refresh(c, &next_row)?;
            Ok(true)
        })
        .await?;
    if !rotated {
        // Spent by a concurrent request between our read and our write: reuse.
        revoke_after_reuse(
            svc,
            tenant,
            app,
            Some(grant.id.clone()),
            &grant.user_id,
            "refresh_token",
        )
        .await?;
        return Err(invalid_grant("the refresh token has been used already"));
    }
    let family = Family {
        tenant,
        app,
        grant: &grant,
        user: &user,
        resource,
    };
    // Refreshed ID tokens carry no nonce: it belonged to the original authentication request.
    respond(svc, &family, &scope, None, Some(next)).await
}

/// `grant_type=client_credentials`: a token for the app itself, with the scopes it was granted.
pub fn client_credentials(
    svc: &Services,
    tenant: &Tenant,
    app: &App,
    scope: Option<&str>,
    resource: Option<Resource>,
) -> Result<TokenResponse> {
    if app.is_public() {
        return Err(Error::oauth(
            OAuthErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        ));
    }
    let allowed = Scopes::from_stored(&app.allowed_scopes);
    let scope = match scope {
        Some(s) => {
            let asked = Scopes::parse(s)
                .map_err(|e| Error::oauth(OAuthErrorCode::InvalidScope, e.message))?;
            if !asked.is_subset_of(&allowed) {
                return Err(Error::oauth(
                    OAuthErrorCode::InvalidScope,
                    "the client may not request that scope",
                ));
            }
            asked
        }
        None => allowed,
    };
    let access = mint_access_token(
        svc,
        &Minting {
            tenant,
            app,
            sub: &app.id,
            scope: &scope,
            resource,
        },
        &[
            ("oid", json!(app.id)),
            (
                access::CREDENTIAL_CLAIM,
                json!(app.credential_fingerprint()),
            ),
        ],
    )?;
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: svc.config.access_token_ttl,
        id_token: None,
        refresh_token: None,
        scope: scope.to_stored(),
    })
}
