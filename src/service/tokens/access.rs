//! Access tokens: JWTs (RFC 9068, `typ` `at+jwt`) whose `aud` names the resource they are for, and the
//! check every resource runs on them.
//!
//! The resources are the tenant's userinfo endpoint and the server's admin API. A token is for the admin
//! API only when it carries an admin API scope, and for userinfo only when it carries `openid`; a client
//! may narrow a token to one of them with RFC 8707's `resource` parameter. A token for neither (an app's
//! token for its own scopes) names the tenant's issuer, the resource of last resort.

use super::super::Services;
use super::super::apps::{App, credential_fingerprint};
use super::super::tenants::Tenant;
use crate::domain::scope::{ADMIN_API_SCOPES, Scopes};
use crate::domain::user::User;
use crate::error::{Error, OAuthErrorCode, Result};
use crate::store::queries;
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};
use std::time::UNIX_EPOCH;

/// The claim that binds an app's token to the client secret it was issued for: rotating the secret
/// ends every token of the old one. It holds a digest of the stored hash, never the secret.
pub const CREDENTIAL_CLAIM: &str = "cfp";

/// What an access token may be for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// `{public_url}/api/v1`, the admin API.
    AdminApi,
    /// `{issuer}/userinfo`.
    UserInfo,
}

impl Resource {
    pub fn uri(self, svc: &Services, tenant: &Tenant) -> String {
        match self {
            Resource::AdminApi => admin_api_uri(svc),
            Resource::UserInfo => format!("{}/userinfo", tenant.issuer),
        }
    }

    /// The resource a client named (RFC 8707), if it is one of ours.
    pub fn named(svc: &Services, tenant: &Tenant, raw: &str) -> Option<Resource> {
        [Resource::AdminApi, Resource::UserInfo]
            .into_iter()
            .find(|r| r.uri(svc, tenant) == raw)
    }

    /// Whether a token with `scope` may be for this resource.
    fn fits(self, scope: &Scopes) -> bool {
        match self {
            Resource::AdminApi => ADMIN_API_SCOPES.iter().any(|s| scope.contains(s)),
            Resource::UserInfo => scope.contains("openid"),
        }
    }
}

/// The admin API's resource identifier (the audience of its tokens).
pub fn admin_api_uri(svc: &Services) -> String {
    format!("{}/api/v1", svc.config.public_url.trim_end_matches('/'))
}

/// The `aud` of a token with `scope`: the resources the scope opens, or only `named` when the client
/// asked for one (`invalid_target` when the scope does not open it).
pub fn audiences(
    svc: &Services,
    tenant: &Tenant,
    scope: &Scopes,
    named: Option<Resource>,
) -> Result<Vec<String>> {
    if let Some(r) = named {
        if !r.fits(scope) {
            return Err(Error::oauth(
                OAuthErrorCode::InvalidTarget,
                "the granted scope does not open that resource",
            ));
        }
        return Ok(vec![r.uri(svc, tenant)]);
    }
    let mut aud: Vec<String> = [Resource::AdminApi, Resource::UserInfo]
        .into_iter()
        .filter(|r| r.fits(scope))
        .map(|r| r.uri(svc, tenant))
        .collect();
    if aud.is_empty() {
        aud.push(tenant.issuer.clone());
    }
    Ok(aud)
}

/// Parses the `resource` parameter of a token request: absent, or one absolute URI of ours.
pub fn parse_resource(
    svc: &Services,
    tenant: &Tenant,
    raw: Option<&str>,
) -> Result<Option<Resource>> {
    match raw {
        None => Ok(None),
        Some(r) => Resource::named(svc, tenant, r).map(Some).ok_or_else(|| {
            Error::oauth(
                OAuthErrorCode::InvalidTarget,
                "the resource is not one this server issues tokens for",
            )
        }),
    }
}

pub(super) struct Minting<'a> {
    pub tenant: &'a Tenant,
    pub app: &'a App,
    pub sub: &'a str,
    pub scope: &'a Scopes,
    pub resource: Option<Resource>,
}

pub(super) fn mint_access_token(
    svc: &Services,
    m: &Minting<'_>,
    extra: &[(&str, Value)],
) -> Result<String> {
    let now = svc.now();
    let mut p = JwtPayload::new();
    p.set_issuer(&m.tenant.issuer);
    p.set_subject(m.sub);
    p.set_audience(audiences(svc, m.tenant, m.scope, m.resource)?);
    p.set_jwt_id(uuid::Uuid::new_v4().to_string());
    let mut put = |k: &str, v: Value| p.set_claim(k, Some(v)).map_err(Error::internal);
    // Whole seconds, as integers: josekit's time setters may write fractions.
    put("iat", json!(now))?;
    put("exp", json!(now + svc.config.access_token_ttl))?;
    put("client_id", json!(m.app.client_id))?;
    put("scope", json!(m.scope.to_stored()))?;
    put("tid", json!(m.tenant.id))?;
    for (k, v) in extra {
        put(k, v.clone())?;
    }
    svc.keys.sign(m.app.signing_alg, &p, "at+jwt")
}

/// Who holds a live access token.
#[derive(Debug, Clone)]
pub enum Holder {
    /// A person, through the grant the token belongs to.
    User { user: Box<User>, grant_id: String },
    /// An app with its own (`client_credentials`) token.
    App { app_id: String, credential: String },
}

/// A verified, live access token of a tenant.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub jti: String,
    pub client_id: String,
    pub scopes: Scopes,
    pub expires_at: i64,
    pub holder: Holder,
    /// Every claim, for introspection.
    pub claims: serde_json::Map<String, Value>,
}

pub(super) fn invalid_token(d: &str) -> Error {
    Error::oauth(OAuthErrorCode::InvalidToken, d)
}

fn audience_contains(claims: &serde_json::Map<String, Value>, uri: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == uri,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(uri)),
        _ => false,
    }
}

/// Checks signature, issuer, type, expiry and (when `for_resource` names one) audience, then that
/// neither the token nor its grant was revoked, that its user may still hold tokens, and that its app
/// (for an app's token) still exists, is enabled and has the secret the token was issued for.
pub async fn check_access_token(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    for_resource: Option<Resource>,
) -> Result<AccessToken> {
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
    let expires_at = payload
        .expires_at()
        .map(|t| {
            t.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
        .unwrap_or(0);
    if expires_at <= svc.now() {
        return Err(invalid_token("the access token has expired"));
    }
    let claims = payload.claims_set().clone();
    if let Some(r) = for_resource
        && !audience_contains(&claims, &r.uri(svc, tenant))
    {
        return Err(invalid_token("the access token is not for this resource"));
    }
    let text = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (jti, client_id, gid) = (text("jti"), text("client_id"), text("gid"));
    let credential = text(CREDENTIAL_CLAIM);
    let (now, tenant_id) = (svc.now(), tenant.id.clone());
    let lookup_client = client_id.clone();
    let holder = svc
        .store
        .read(move |c| {
            if queries::oauth::is_jti_revoked(c, &jti)? {
                return Ok(Err(invalid_token("the access token has been revoked")));
            }
            if gid.is_empty() {
                // An app's own token: only while the app is as it was when the token was issued.
                let app = queries::apps::by_client_id(c, &tenant_id, &lookup_client)?
                    .filter(|a| a.enabled)
                    .filter(|a| {
                        a.secret_hash
                            .as_deref()
                            .is_some_and(|h| credential_fingerprint(h) == credential)
                    });
                return Ok(match app {
                    Some(a) => Ok(Holder::App {
                        app_id: a.id,
                        credential,
                    }),
                    None => Err(invalid_token(
                        "the application was removed, disabled or given a new secret",
                    )),
                });
            }
            let Some(grant) = queries::oauth::grant_by_id(c, &gid)?
                .filter(|g| g.revoked_at.is_none() && g.expires_at > now)
            else {
                return Ok(Err(invalid_token("the access token has been revoked")));
            };
            match queries::users::user(c, &grant.user_id)?.filter(User::may_hold_tokens) {
                Some(user) => Ok(Ok(Holder::User {
                    user: Box::new(user),
                    grant_id: grant.id,
                })),
                None => Ok(Err(invalid_token("the user can no longer sign in"))),
            }
        })
        .await??;
    Ok(AccessToken {
        jti: text("jti"),
        scopes: Scopes::from_stored(&text("scope")),
        client_id,
        expires_at,
        holder,
        claims,
    })
}
