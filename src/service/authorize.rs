//! The authorization endpoint's use case: check the request, then decide whether the person must sign
//! in, consent, or gets a code.
//!
//! Order of checks (OIDC Core §3.1.2.2, RFC 6749 §4.1.2.1): `client_id`, then `redirect_uri` by exact
//! match. Until both pass, errors are shown as a page and never redirected; after, every error goes
//! back to the app's redirect URI with `state` and `iss`.

use super::Services;
use super::apps::App;
use super::audit::{self, AuditEvent, events};
use super::signin::{SignedIn, subject_in_tenant};
use super::tenants::Tenant;
use super::throttle::{self, Limit, Subject};
use crate::crypto::{hash_secret, is_random_token, random_token};
use crate::domain::access::user_may_receive_scope;
use crate::domain::claims::RequestedClaims;
use crate::domain::pkce;
use crate::domain::redirect::matches_registered;
use crate::domain::scope::{ADMIN_API_SCOPES, STANDARD_SCOPES, Scopes};
use crate::error::{Error, OAuthErrorCode, Result};
use crate::store::models::{CodeRow, ConsentRow, PendingAuthorizationRow};
use crate::store::queries;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The authentication context class of a password sign-in (advertised in discovery).
pub const ACR_PASSWORD: &str = "urn:guestlist:acr:password";

/// How long a person has to sign in or consent before the request must start again.
const PENDING_TTL: i64 = 30 * 60;

/// An authorization request whose client and redirect URI passed, with every parameter checked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub claims: Option<String>,
    pub acr_values: Vec<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
}

impl AuthorizationRequest {
    fn prompts(&self, p: &str) -> bool {
        self.prompt.iter().any(|x| x == p)
    }

    /// The `acr` the ID token carries: the requested value when we satisfy it, else password.
    pub fn acr(&self) -> &'static str {
        ACR_PASSWORD
    }
}

/// A failure while checking a request: shown as a page (client or redirect URI unusable) or sent
/// back to the app.
#[derive(Debug)]
pub enum AuthorizeError {
    Page(Error),
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        code: OAuthErrorCode,
        description: String,
    },
}

impl From<Error> for AuthorizeError {
    fn from(e: Error) -> Self {
        AuthorizeError::Page(e)
    }
}

/// What the browser does next.
#[derive(Debug)]
pub enum Next {
    /// Show the sign-in page for this pending request.
    SignIn {
        pending: String,
        login_hint: Option<String>,
    },
    /// Show the consent page for this pending request.
    Consent { pending: String },
    /// Show the tenant's terms of use, which the guest has not accepted yet.
    Terms { pending: String },
    /// Send the browser to the app (with a code or an error).
    Redirect(String),
    /// Show a page: the person may not use this app.
    Page(Error),
}

/// Appends `params` to a registered redirect URI, keeping its own query.
pub fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Result<String> {
    let mut url = url::Url::parse(redirect_uri).map_err(Error::internal)?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    Ok(url.to_string())
}

/// Keeps an error description within RFC 6749's character set (no quotes, backslashes, controls).
pub fn safe_description(d: &str) -> String {
    d.chars()
        .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\')
        .collect()
}

/// The redirect that reports `code` to the app, with `state` and `iss` (RFC 9207).
pub fn error_redirect(
    tenant: &Tenant,
    redirect_uri: &str,
    state: Option<&str>,
    code: OAuthErrorCode,
    description: &str,
) -> Result<String> {
    let description = safe_description(description);
    let mut params = vec![
        ("error", code.as_str()),
        ("error_description", description.as_str()),
    ];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", &tenant.issuer));
    redirect_with(redirect_uri, &params)
}

fn single<'a>(
    params: &'a HashMap<String, Vec<String>>,
    name: &str,
) -> std::result::Result<Option<&'a str>, String> {
    match params.get(name).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([v]) if v.is_empty() => Ok(None),
        Some([v]) => Ok(Some(v.as_str())),
        Some(_) => Err(format!("{name} was given more than once")),
    }
}

/// What the checks of an authorization request need to know of the app its `client_id` names.
#[derive(Debug, Clone, Copy)]
pub struct RegisteredClient<'a> {
    pub client_id: &'a str,
    pub redirect_uris: &'a [String],
    /// A public client (no secret) must use PKCE.
    pub public: bool,
}

impl<'a> RegisteredClient<'a> {
    pub fn of(app: &'a App) -> Self {
        RegisteredClient {
            client_id: &app.client_id,
            redirect_uris: &app.redirect_uris,
            public: app.is_public(),
        }
    }
}

fn page_error(m: &str) -> AuthorizeError {
    AuthorizeError::Page(Error::oauth(OAuthErrorCode::InvalidRequest, m))
}

/// The `client_id` of an authorization request: present once, or the request is refused with a page.
pub fn requested_client_id(
    params: &HashMap<String, Vec<String>>,
) -> std::result::Result<&str, AuthorizeError> {
    single(params, "client_id")
        .map_err(|m| page_error(&m))?
        .ok_or_else(|| page_error("The request has no client_id."))
}

/// Checks an authorization request (query or form, same meaning).
pub async fn validate(
    svc: &Services,
    tenant: &Tenant,
    params: &HashMap<String, Vec<String>>,
) -> std::result::Result<(AuthorizationRequest, Arc<App>), AuthorizeError> {
    let client_id = requested_client_id(params)?;
    let app = svc
        .apps
        .find(&tenant.id, client_id)
        .await?
        .filter(|a| a.enabled)
        .ok_or_else(|| {
            page_error(
                "The application that sent you here is not registered with this organisation.",
            )
        })?;
    let request = check_request(params, RegisteredClient::of(&app))?;
    Ok((request, app))
}

/// Checks every parameter of a request for `client`, the app its `client_id` names, without I/O: the
/// redirect URI first (until it matches exactly, errors are pages, never redirects), then the rest
/// (errors go back to that redirect URI).
pub fn check_request(
    params: &HashMap<String, Vec<String>>,
    client: RegisteredClient<'_>,
) -> std::result::Result<AuthorizationRequest, AuthorizeError> {
    let redirect_uri = single(params, "redirect_uri")
        .map_err(|m| page_error(&m))?
        .ok_or_else(|| page_error("The request has no redirect_uri."))?;
    let redirect_uri = matches_registered(redirect_uri, client.redirect_uris)
        .ok_or_else(|| {
            page_error(
                "The redirect_uri does not match any address registered for this application.",
            )
        })?
        .to_string();

    // From here on, errors go back to the app.
    let state = params
        .get("state")
        .and_then(|v| v.first())
        .filter(|s| !s.is_empty())
        .cloned();
    let fail = |code: OAuthErrorCode, d: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        code,
        description: d.to_string(),
    };
    let get =
        |name: &str| single(params, name).map_err(|m| fail(OAuthErrorCode::InvalidRequest, &m));
    // Some values are stored (the nonce goes with the code) and PostgreSQL refuses text holding a NUL
    // byte; no parameter has a use for one.
    if params.values().flatten().any(|v| v.contains('\0')) {
        return Err(fail(
            OAuthErrorCode::InvalidRequest,
            "a parameter contains a NUL character",
        ));
    }
    if get("state")?.is_some_and(|s| s.len() > 2048) {
        return Err(fail(OAuthErrorCode::InvalidRequest, "state is too long"));
    }
    match get("response_type")? {
        None => {
            return Err(fail(
                OAuthErrorCode::InvalidRequest,
                "response_type is required",
            ));
        }
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                OAuthErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    if let Some(mode) = get("response_mode")?
        && mode != "query"
    {
        return Err(fail(
            OAuthErrorCode::InvalidRequest,
            "only response_mode=query is supported",
        ));
    }
    if get("request")?.is_some() {
        return Err(fail(
            OAuthErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if get("request_uri")?.is_some() {
        return Err(fail(
            OAuthErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    let scopes = Scopes::parse(get("scope")?.unwrap_or_default())
        .map_err(|e| fail(OAuthErrorCode::InvalidScope, &e.message))?;
    if !scopes.contains("openid") {
        return Err(fail(
            OAuthErrorCode::InvalidScope,
            "scope must include openid",
        ));
    }
    // Unknown scopes are ignored, as OIDC Core allows; what is granted is what we know. The admin API's
    // scopes are known, and decided once the person is: see `decide`.
    let scopes = scopes.retain(|s| STANDARD_SCOPES.contains(&s) || ADMIN_API_SCOPES.contains(&s));
    let code_challenge = match get("code_challenge")? {
        Some(ch) => Some(
            pkce::parse_challenge(ch, get("code_challenge_method")?)
                .map_err(|e| fail(OAuthErrorCode::InvalidRequest, &e.message))?,
        ),
        None if client.public => {
            return Err(fail(
                OAuthErrorCode::InvalidRequest,
                "public clients must use PKCE (code_challenge with S256)",
            ));
        }
        None => None,
    };
    let prompt: Vec<String> = get("prompt")?
        .unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    for p in &prompt {
        if !matches!(p.as_str(), "none" | "login" | "consent" | "select_account") {
            return Err(fail(
                OAuthErrorCode::InvalidRequest,
                "prompt has an unknown value",
            ));
        }
    }
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(fail(
            OAuthErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        ));
    }
    let max_age = match get("max_age")? {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            fail(
                OAuthErrorCode::InvalidRequest,
                "max_age must be a non-negative integer",
            )
        })?),
    };
    let claims = match get("claims")? {
        None => None,
        Some(raw) => {
            RequestedClaims::parse(raw)
                .map_err(|e| fail(OAuthErrorCode::InvalidRequest, &e.message))?;
            Some(raw.to_string())
        }
    };
    let nonce = get("nonce")?.map(str::to_string);
    if nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err(fail(OAuthErrorCode::InvalidRequest, "nonce is too long"));
    }
    let acr_values = get("acr_values")?
        .unwrap_or_default()
        .split(' ')
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    let login_hint = get("login_hint")?.map(|h| h.chars().take(256).collect());
    let ui_locales = get("ui_locales")?.map(|h| h.chars().take(64).collect());
    let request = AuthorizationRequest {
        client_id: client.client_id.to_string(),
        redirect_uri: redirect_uri.clone(),
        scope: scopes.to_stored(),
        state: state.clone(),
        nonce,
        code_challenge,
        prompt,
        max_age,
        claims,
        acr_values,
        login_hint,
        ui_locales,
    };
    Ok(request)
}

/// Stores a request that waits for the person; returns its handle. Each address may leave only so many
/// requests waiting per window (each is a row until it expires).
async fn park(
    svc: &Services,
    tenant: &Tenant,
    request: &AuthorizationRequest,
    address: &str,
) -> Result<String> {
    let id = random_token();
    let row = PendingAuthorizationRow {
        id: id.clone(),
        tenant_id: tenant.id.clone(),
        request: serde_json::to_string(request).map_err(Error::internal)?,
        created_at: svc.now(),
        expires_at: svc.now() + PENDING_TTL,
    };
    let budget = Subject::new(Limit::Authorize, &[address]);
    let (limits, now) = (svc.config.limits.clone(), svc.now());
    svc.store
        .write(move |c| {
            throttle::spend_on(c, &limits, &budget, now)?;
            queries::oauth::insert_pending(c, &row)
        })
        .await?;
    Ok(id)
}

/// A parked request, with the time it was parked.
pub struct Pending {
    pub id: String,
    pub request: AuthorizationRequest,
    pub created_at: i64,
    pub app: Arc<App>,
}

pub async fn load_pending(svc: &Services, tenant: &Tenant, id: &str) -> Result<Pending> {
    let expired = || {
        Error::NotFound(
            "This sign-in request has expired. Go back to the application and start again.".into(),
        )
    };
    // A handle is a `random_token`; anything else names no request and gets no query (PostgreSQL
    // refuses text with a NUL byte, which a query string may carry).
    if !is_random_token(id) {
        return Err(expired());
    }
    let (id_c, tenant_id, now) = (id.to_string(), tenant.id.clone(), svc.now());
    let row = svc
        .store
        .read(move |c| queries::oauth::pending(c, &id_c, &tenant_id, now))
        .await?
        .ok_or_else(expired)?;
    let request: AuthorizationRequest =
        serde_json::from_str(&row.request).map_err(Error::internal)?;
    let app = svc
        .apps
        .find(&tenant.id, &request.client_id)
        .await?
        .filter(|a| a.enabled)
        .ok_or_else(|| Error::NotFound("application".into()))?;
    Ok(Pending {
        id: row.id,
        request,
        created_at: row.created_at,
        app,
    })
}

/// Decides what happens with a checked request from `address`. `parked` is set when resuming a
/// request that waited for sign-in or consent: a sign-in or consent given since then satisfies `prompt`
/// and `max_age`.
pub async fn decide(
    svc: &Services,
    tenant: &Tenant,
    app: &App,
    request: &AuthorizationRequest,
    parked: Option<(&str, i64)>,
    (signed_in, address): (Option<&SignedIn>, &str),
) -> Result<Next> {
    let now = svc.now();
    let fresh_since = parked.map(|(_, at)| at);
    let is_fresh = |t: i64| fresh_since.is_some_and(|since| t >= since);
    let none = request.prompts("none");
    let to_app = |code: OAuthErrorCode, d: &str| -> Result<Next> {
        Ok(Next::Redirect(error_redirect(
            tenant,
            &request.redirect_uri,
            request.state.as_deref(),
            code,
            d,
        )?))
    };
    let park_or_reuse = |svc: &Services| {
        let parked_id = parked.map(|(id, _)| id.to_string());
        let (svc, tenant, request) = (svc.clone(), tenant.clone(), request.clone());
        let address = address.to_string();
        async move {
            match parked_id {
                Some(id) => Ok::<String, Error>(id),
                None => park(&svc, &tenant, &request, &address).await,
            }
        }
    };

    // Who is this person in this tenant?
    let subject = match signed_in {
        Some(s) => {
            let (tenant_c, home) = (tenant.clone(), s.home_user.clone());
            svc.store
                .read(move |c| subject_in_tenant(c, &tenant_c, &home))
                .await?
        }
        None => None,
    };
    let session = signed_in.map(|s| &s.session);
    let login_needed = match (&subject, session) {
        (Some(_), Some(sess)) => {
            let forced = request.prompts("login") && !is_fresh(sess.auth_time);
            let too_old = request.max_age.is_some_and(|m| now - sess.auth_time > m)
                && !is_fresh(sess.auth_time);
            forced || too_old
        }
        _ => true,
    };
    if login_needed {
        if none {
            return to_app(OAuthErrorCode::LoginRequired, "the user is not signed in");
        }
        return Ok(Next::SignIn {
            pending: park_or_reuse(svc).await?,
            login_hint: request.login_hint.clone(),
        });
    }
    let (Some(subject), Some(session)) = (subject, session) else {
        return Err(Error::internal("signed-in state without a subject"));
    };

    if app.assignment_required {
        let (app_id, user_id) = (app.id.clone(), subject.id.clone());
        let assigned = svc
            .store
            .read(move |c| {
                let groups = queries::groups::group_ids_of(c, &user_id)?;
                Ok(!queries::apps::assignments_for(c, &app_id, &user_id, &groups)?.is_empty())
            })
            .await?;
        if !assigned {
            if none {
                return to_app(
                    OAuthErrorCode::AccessDenied,
                    "the user is not assigned to this application",
                );
            }
            return Ok(Next::Page(Error::Forbidden(format!(
                "Your account has not been given access to {}. Ask an administrator of {} to assign it to you.",
                app.name, tenant.display_name
            ))));
        }
    }

    // A guest accepts the tenant's newest terms of use before any app gets a token for them.
    // Only a guest of this tenant can owe it an acceptance: members cost no read.
    let guest_here =
        subject.tenant_id == tenant.id && subject.user_type == crate::domain::user::UserType::Guest;
    let terms_due = if guest_here {
        let (tenant_id, user_id) = (tenant.id.clone(), subject.id.clone());
        svc.store
            .read(move |c| super::terms::pending_on(c, &tenant_id, &user_id, true))
            .await?
    } else {
        None
    };
    if terms_due.is_some() {
        if none {
            return to_app(
                OAuthErrorCode::InteractionRequired,
                "the user has not accepted the terms of use",
            );
        }
        return Ok(Next::Terms {
            pending: park_or_reuse(svc).await?,
        });
    }

    // The admin API's scopes go only to people who hold a role they stand for, and only through the
    // tenant's own apps; anyone else simply does not get them (RFC 6749 §3.3 lets the server grant less).
    let granted = Scopes::from_stored(&request.scope)
        .retain(|s| user_may_receive_scope(s, app.first_party, subject.roles));
    if !app.first_party {
        let (user_id, app_id) = (subject.id.clone(), app.id.clone());
        let consent = svc
            .store
            .read(move |c| queries::oauth::consent(c, &user_id, &app_id))
            .await?;
        let covered = consent
            .as_ref()
            .is_some_and(|c| granted.is_subset_of(&Scopes::from_stored(&c.scope)));
        let forced =
            request.prompts("consent") && !consent.as_ref().is_some_and(|c| is_fresh(c.created_at));
        if !covered || forced {
            if none {
                return to_app(
                    OAuthErrorCode::ConsentRequired,
                    "the user has not consented to this application",
                );
            }
            return Ok(Next::Consent {
                pending: park_or_reuse(svc).await?,
            });
        }
    }

    // Issue the code.
    let code = random_token();
    let row = CodeRow {
        code_hash: hash_secret(&code),
        tenant_id: tenant.id.clone(),
        app_id: app.id.clone(),
        user_id: subject.id.clone(),
        session_id: Some(session.id.clone()),
        redirect_uri: request.redirect_uri.clone(),
        scope: granted.to_stored(),
        claims: request.claims.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        acr: request.acr().to_string(),
        amr: session.amr.clone(),
        created_at: now,
        expires_at: now + svc.config.code_ttl,
        consumed_at: None,
        grant_id: None,
    };
    let parked_id = parked.map(|(id, _)| id.to_string());
    let subject_id = subject.id.clone();
    svc.store
        .write(move |c| {
            queries::oauth::insert_code(c, &row)?;
            // A guest signs in to this tenant's apps from their home session without a new session
            // here: the code is their sign-in, for the inactivity rule (at most one write an hour).
            queries::users::touch_sign_in_since(c, &subject_id, now, now - 3600)?;
            if let Some(id) = parked_id {
                queries::oauth::delete_pending(c, &id)?;
            }
            Ok(())
        })
        .await?;
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        params.push(("state", s));
    }
    params.push(("iss", &tenant.issuer));
    Ok(Next::Redirect(redirect_with(
        &request.redirect_uri,
        &params,
    )?))
}

/// Records the person's consent to the scopes of a parked request.
pub async fn grant_consent(
    svc: &Services,
    tenant: &Tenant,
    pending: &Pending,
    signed_in: &SignedIn,
) -> Result<()> {
    let (tenant_c, home) = (tenant.clone(), signed_in.home_user.clone());
    let app_id = pending.app.id.clone();
    let scope = pending.request.scope.clone();
    let now = svc.now();
    svc.store
        .write(move |c| {
            let subject = subject_in_tenant(c, &tenant_c, &home)?.ok_or(Error::Unauthenticated)?;
            let previous = queries::oauth::consent(c, &subject.id, &app_id)?;
            // The admin API's scopes are never a third party's to hold, so never consented to.
            let mut all = Scopes::from_stored(&scope)
                .retain(|s| !ADMIN_API_SCOPES.contains(&s))
                .to_stored();
            if let Some(p) = previous {
                all = Scopes::from_stored(&format!("{} {}", p.scope, all)).to_stored();
            }
            queries::oauth::save_consent(
                c,
                &ConsentRow {
                    user_id: subject.id.clone(),
                    app_id: app_id.clone(),
                    scope: all.clone(),
                    created_at: now,
                },
            )?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::CONSENT,
                    actor: &subject.id,
                    target: &app_id,
                    outcome: "success",
                    details: serde_json::json!({ "scope": all }),
                },
            )
        })
        .await
}

/// The person declined: the app hears `access_denied`.
pub async fn deny(svc: &Services, tenant: &Tenant, pending: &Pending) -> Result<String> {
    let id = pending.id.clone();
    svc.store
        .write(move |c| queries::oauth::delete_pending(c, &id))
        .await?;
    error_redirect(
        tenant,
        &pending.request.redirect_uri,
        pending.request.state.as_deref(),
        OAuthErrorCode::AccessDenied,
        "the user declined",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_lose_forbidden_characters() {
        assert_eq!(safe_description("a \"b\" \\c\nd\té"), "a b cd");
    }

    #[test]
    fn redirect_keeps_registered_query() {
        let u = redirect_with(
            "https://app.example/cb?x=1",
            &[("code", "abc"), ("state", "s t")],
        )
        .unwrap();
        assert_eq!(u, "https://app.example/cb?x=1&code=abc&state=s+t");
    }
}
