//! The token endpoint's grants, and the endpoints that read tokens back: userinfo, revocation,
//! introspection.
//!
//! Access tokens are JWTs (RFC 9068, `typ` `at+jwt`). Each one from a user flow names its grant
//! (`gid`); revoking the grant (code replay, refresh token reuse, a disabled user) makes every token of
//! that family fail at userinfo and introspection at once. Refresh tokens and codes are random values
//! stored as SHA-256 hashes.

use super::Services;
use super::apps::App;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use crate::crypto::{hash_secret, left_half_hash, random_token};
use crate::domain::claims::{self, Membership, OptionalClaim, Profile, RequestedClaims, Subject};
use crate::domain::pkce;
use crate::domain::scope::Scopes;
use crate::domain::user::{ExternalUserState, Upn, UserType};
use crate::error::{Error, OAuthErrorCode, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{GrantRow, RefreshTokenRow, UserRow};
use crate::store::queries;
use josekit::jwt::JwtPayload;
use serde::Serialize;
use serde_json::{Value, json};
use std::time::UNIX_EPOCH;

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

/// The directory facts the claim rules need about a user object.
fn subject_of(user: &UserRow) -> Subject {
    Subject {
        oid: user.id.clone(),
        tid: user.tenant_id.clone(),
        user_type: UserType::parse(&user.user_type).unwrap_or(UserType::Member),
        upn: Upn::from_stored(user.user_principal_name.clone()),
        display_name: user.display_name.clone(),
        mail: user.mail.clone(),
        email_verified: user.email_verified,
        profile: serde_json::from_str::<Profile>(&user.profile).unwrap_or_default(),
        home_issuer: user.home_issuer.clone(),
        alt_sec_id: user.alt_sec_id.clone(),
        updated_at: user.updated_at,
    }
}

/// A user may hold tokens while enabled and, for guests, while their invitation stays accepted.
fn may_hold_tokens(user: &UserRow) -> bool {
    user.enabled
        && (user.user_type != UserType::Guest.as_str()
            || user.external_user_state.as_deref() == Some(ExternalUserState::Accepted.as_str()))
}

/// Groups and app roles, read only when the app asks for them.
fn wants_membership(app: &App) -> bool {
    let wanted = &app.settings.optional_claims;
    wanted.contains(&OptionalClaim::Groups) || wanted.contains(&OptionalClaim::Roles)
}

/// Groups and app roles, read only when the app asks for them (no database trip otherwise).
async fn load_membership(svc: &Services, app: &App, user_id: &str) -> Result<Membership> {
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

fn mint_access_token(
    svc: &Services,
    tenant: &Tenant,
    app: &App,
    sub: &str,
    scope: &str,
    extra: &[(&str, Value)],
) -> Result<String> {
    let now = svc.now();
    let mut p = JwtPayload::new();
    p.set_issuer(&tenant.issuer);
    p.set_subject(sub);
    p.set_audience(vec![tenant.issuer.clone()]);
    p.set_jwt_id(uuid::Uuid::new_v4().to_string());
    let mut put = |k: &str, v: Value| p.set_claim(k, Some(v)).map_err(Error::internal);
    // Whole seconds, as integers: josekit's time setters may write fractions.
    put("iat", json!(now))?;
    put("exp", json!(now + svc.config.access_token_ttl))?;
    put("client_id", json!(app.client_id))?;
    put("scope", json!(scope))?;
    put("tid", json!(tenant.id))?;
    for (k, v) in extra {
        put(k, v.clone())?;
    }
    svc.keys.sign(app.signing_alg, &p, "at+jwt")
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
    let acct = if subject.user_type == UserType::Guest {
        1
    } else {
        0
    };
    let access = mint_access_token(
        svc,
        f.tenant,
        f.app,
        &f.user.id,
        &scope.to_stored(),
        &[
            ("oid", json!(f.user.id)),
            ("acct", json!(acct)),
            ("gid", json!(f.grant.id)),
            ("auth_time", json!(f.grant.auth_time)),
        ],
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

/// `grant_type=authorization_code`.
///
/// Everything that only reads runs on the shared read connections; the write transaction holds just
/// the conditional "consume" of the code and the new grant, so SQLite's single writer is held briefly.
/// The conditional update is what makes a code single-use, even between two racing requests.
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
    let lookup = hash.clone();
    let found = svc
        .store
        .read(move |c| {
            let Some(code) = queries::oauth::code_by_hash(c, &lookup)? else {
                return Ok(None);
            };
            let user = queries::users::by_id(c, &code.user_id)?;
            Ok(Some((code, user)))
        })
        .await?;
    let Some((code, user)) = found else {
        return Err(invalid_grant("the code is not valid"));
    };
    if code.tenant_id != tenant.id || code.app_id != app.id {
        return Err(invalid_grant("the code was not issued to this client"));
    }
    if code.consumed_at.is_some() {
        // Replay: whoever holds the code may have stolen it. Kill everything it produced.
        revoke_after_reuse(
            svc,
            tenant,
            app,
            code.grant_id.clone(),
            &code.user_id,
            "authorization_code",
        )
        .await?;
        return Err(invalid_grant("the code has been used already"));
    }
    if code.expires_at <= now {
        return Err(invalid_grant("the code has expired"));
    }
    if input.redirect_uri.as_deref() != Some(code.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&code.code_challenge, &input.code_verifier) {
        (Some(ch), Some(v)) if pkce::verify(v, ch) => {}
        (Some(_), _) => {
            return Err(invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid_grant(
                "code_verifier given but no code_challenge was sent",
            ));
        }
        (None, None) => {}
    }
    let Some(user) = user.filter(may_hold_tokens) else {
        return Err(invalid_grant("the user can no longer sign in"));
    };
    let grant = GrantRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        app_id: app.id.clone(),
        user_id: user.id.clone(),
        session_id: code.session_id.clone(),
        scope: code.scope.clone(),
        claims: code.claims.clone(),
        nonce: code.nonce.clone(),
        auth_time: code.auth_time,
        acr: code.acr.clone(),
        amr: code.amr.clone(),
        created_at: now,
        expires_at: now + svc.config.refresh_token_ttl,
        revoked_at: None,
    };
    let refresh = Scopes::from_stored(&grant.scope)
        .contains("offline_access")
        .then(random_token);
    let (grant_c, refresh_hash) = (grant.clone(), refresh.as_deref().map(hash_secret));
    let won = svc
        .store
        .write(move |c| {
            if !queries::oauth::consume_code(c, &hash, &grant_c.id, now)? {
                return Ok(false);
            }
            queries::oauth::insert_grant(c, &grant_c)?;
            if let Some(token_hash) = refresh_hash {
                queries::oauth::insert_refresh(
                    c,
                    &RefreshTokenRow {
                        token_hash,
                        grant_id: grant_c.id.clone(),
                        scope: grant_c.scope.clone(),
                        created_at: now,
                        expires_at: grant_c.expires_at,
                        rotated_at: None,
                    },
                )?;
            }
            Ok(true)
        })
        .await?;
    if !won {
        // Another request exchanged it between our read and our write: a replay too.
        let lookup = hash_secret(&input.code);
        let winner = svc
            .store
            .read(move |c| queries::oauth::code_by_hash(c, &lookup))
            .await?;
        revoke_after_reuse(
            svc,
            tenant,
            app,
            winner.and_then(|w| w.grant_id),
            &user.id,
            "authorization_code",
        )
        .await?;
        return Err(invalid_grant("the code has been used already"));
    }
    let scope = Scopes::from_stored(&grant.scope);
    let family = Family {
        tenant,
        app,
        grant: &grant,
        user: &user,
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
            Ok(Some((rt, grant, user)))
        })
        .await?;
    let Some((rt, grant, user)) = found else {
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
    let Some(user) = user.filter(may_hold_tokens) else {
        let gid = grant.id.clone();
        svc.store
            .write(move |c| queries::oauth::revoke_grant(c, &gid, now))
            .await?;
        return Err(invalid_grant("the user can no longer sign in"));
    };
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
        tenant,
        app,
        &app.id,
        &scope.to_stored(),
        &[("oid", json!(app.id))],
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

/// A verified access token of this tenant, still live.
#[derive(Debug, Clone)]
pub struct ActiveAccessToken {
    pub claims: serde_json::Map<String, Value>,
    pub grant: Option<GrantRow>,
    pub user: Option<UserRow>,
}

impl ActiveAccessToken {
    pub fn str_claim(&self, k: &str) -> Option<&str> {
        self.claims.get(k).and_then(Value::as_str)
    }
}

fn invalid_token(d: &str) -> Error {
    Error::oauth(OAuthErrorCode::InvalidToken, d)
}

/// Checks signature, issuer, type and expiry, then that neither the token nor its grant was revoked
/// and that its user may still hold tokens.
pub async fn check_access_token(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
) -> Result<ActiveAccessToken> {
    if token.is_empty() || token.len() > 8192 {
        return Err(invalid_token("the access token is not valid"));
    }
    let (payload, header) = svc
        .keys
        .verify(token)
        .map_err(|_| invalid_token("the access token is not valid"))?;
    if header.token_type() != Some("at+jwt") || payload.issuer() != Some(tenant.issuer.as_str()) {
        return Err(invalid_token("the access token is not valid here"));
    }
    let exp = payload.expires_at().map(|t| {
        t.duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    });
    if exp.is_none_or(|e| e <= svc.now()) {
        return Err(invalid_token("the access token has expired"));
    }
    let claims = payload.claims_set().clone();
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let gid = claims
        .get("gid")
        .and_then(Value::as_str)
        .map(str::to_string);
    let now = svc.now();
    let (grant, user) = svc
        .store
        .read(move |c| {
            if queries::oauth::is_jti_revoked(c, &jti)? {
                return Ok(Err(invalid_token("the access token has been revoked")));
            }
            let Some(gid) = gid else {
                return Ok(Ok((None, None)));
            };
            let Some(grant) = queries::oauth::grant_by_id(c, &gid)?
                .filter(|g| g.revoked_at.is_none() && g.expires_at > now)
            else {
                return Ok(Err(invalid_token("the access token has been revoked")));
            };
            let Some(user) = queries::users::by_id(c, &grant.user_id)?.filter(may_hold_tokens)
            else {
                return Ok(Err(invalid_token("the user can no longer sign in")));
            };
            Ok(Ok((Some(grant), Some(user))))
        })
        .await??;
    Ok(ActiveAccessToken {
        claims,
        grant,
        user,
    })
}

/// The userinfo answer for a live user access token.
pub async fn userinfo(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
) -> Result<serde_json::Map<String, Value>> {
    let active = check_access_token(svc, tenant, token).await?;
    let (Some(grant), Some(user)) = (active.grant, active.user) else {
        return Err(invalid_token("this access token does not belong to a user"));
    };
    let app = svc
        .store
        .read({
            let id = grant.app_id.clone();
            move |c| queries::apps::by_id(c, &id)
        })
        .await?
        .map(App::from_row)
        .ok_or_else(|| invalid_token("the application no longer exists"))?;
    let m = load_membership(svc, &app, &user.id).await?;
    let requested = grant
        .claims
        .as_deref()
        .and_then(|c| RequestedClaims::parse(c).ok())
        .unwrap_or_default();
    let scope = active
        .claims
        .get("scope")
        .and_then(Value::as_str)
        .map(Scopes::from_stored)
        .unwrap_or_else(|| Scopes::from_stored(&grant.scope));
    Ok(claims::userinfo_claims(
        &subject_of(&user),
        &scope,
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
    if let Ok(active) = check_access_token(svc, tenant, token).await
        && active.str_claim("client_id") == Some(app.client_id.as_str())
    {
        let jti = active.str_claim("jti").unwrap_or_default().to_string();
        let exp = active
            .claims
            .get("exp")
            .and_then(Value::as_i64)
            .unwrap_or(now + svc.config.access_token_ttl);
        svc.store
            .write(move |c| queries::oauth::revoke_jti(c, &jti, exp))
            .await?;
    }
    Ok(())
}

/// RFC 7662: what a resource server may know about a token of this tenant.
pub async fn introspect(svc: &Services, tenant: &Tenant, token: &str) -> Result<Value> {
    let inactive = json!({ "active": false });
    if token.is_empty() || token.len() > 8192 {
        return Ok(inactive);
    }
    if token.contains('.') {
        return Ok(match check_access_token(svc, tenant, token).await {
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
                ] {
                    if let Some(v) = a.claims.get(k) {
                        out[k] = v.clone();
                    }
                }
                if let Some(u) = &a.user {
                    out["username"] = json!(u.user_principal_name);
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
            let user = queries::users::by_id(c, &g.user_id)?.filter(may_hold_tokens);
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
