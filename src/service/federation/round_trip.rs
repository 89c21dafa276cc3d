//! A person's round trip through an upstream provider: [`start`] sends the browser there with a
//! single-use `state` bound to the browser, a `nonce` and PKCE (S256); [`finish`] takes the code that
//! comes back, verifies the provider's ID token and signs the person in as the identity it names, to
//! redeem an invitation or to sign in at a tenant. A failure creates nothing and is audited.

use super::upstream::UpstreamFailure;
use super::{Provider, events, redirect_uri};
use crate::crypto::{constant_time_eq, hash_secret, is_random_token, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::home_directory::SLUG_PREFIX;
use crate::domain::upstream::{Refusal, UpstreamPerson, directory_slug, person};
use crate::domain::user::{CreationType, RoleSet, User};
use crate::error::{Error, Result};
use crate::service::Services;
use crate::service::audit::{self, AuditEvent};
use crate::service::invitations::events as invitation_events;
use crate::service::redemption::{self, OpenInvitation};
use crate::service::signin::new_session;
use crate::service::tenants::Tenant;
use crate::service::users::{NewMember, insert_member, member_row};
use crate::store::connection::AnyConnection;
use crate::store::models::{FederationStateRow, TenantRow, UpstreamIdentityRow};
use crate::store::queries;
use openidconnect::PkceCodeChallenge;
use serde::{Deserialize, Serialize};

/// How long a person has to come back from the provider.
const ROUND_TRIP_TTL: i64 = 600;

/// What the round trip is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
enum Purpose {
    /// Redeeming the invitation whose link holds `ticket` (sealed: a live link is never stored).
    Redeem { ticket: String },
    /// Signing in at the tenant, then going on with the parked authorization `request` (if any).
    SignIn { request: String },
}

/// Where a started round trip sends the browser, and the browser's binding cookie to set (when it had
/// none).
pub struct Started {
    pub url: String,
    pub browser: String,
}

/// What a finished round trip did: the session to set, and where the person goes next.
pub struct Finished {
    pub tenant: Tenant,
    pub session_secret: String,
    pub next: Next,
}

pub enum Next {
    /// Back to the invitation (its consent step) with this link's ticket.
    Redeem { ticket: String },
    /// On from the tenant's sign-in page.
    SignIn { request: String },
}

/// A failed round trip: what went wrong, in which tenant (for the page's frame), when it is known.
pub struct Failed {
    pub tenant: Option<Tenant>,
    pub error: Error,
}

fn verifier_purpose(id: &str) -> String {
    format!("federation-verifier:{id}")
}

fn ticket_purpose(id: &str) -> String {
    format!("federation-ticket:{id}")
}

/// The browser's binding value: the one it already has, or a new one.
fn binding(browser: Option<&str>) -> String {
    browser
        .filter(|b| is_random_token(b))
        .map(str::to_string)
        .unwrap_or_else(random_token)
}

async fn begin(
    svc: &Services,
    tenant: &Tenant,
    provider: &Provider,
    purpose: Purpose,
    browser: Option<&str>,
    login_hint: Option<&str>,
    address: &str,
) -> Result<Started> {
    // Each start stores a row and calls the provider: budgeted per address like parked sign-ins.
    crate::service::throttle::spend(
        svc,
        crate::service::throttle::Subject::new(
            crate::service::throttle::Limit::Authorize,
            &[address],
        ),
    )
    .await?;
    let browser = binding(browser);
    let (state, nonce) = (random_token(), random_token());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let id = hash_secret(&state);
    let purpose = match purpose {
        Purpose::Redeem { ticket } => Purpose::Redeem {
            ticket: svc.sealer.seal(&ticket_purpose(&id), &ticket)?,
        },
        other => other,
    };
    let url = svc
        .upstreams
        .authorization_url(
            provider,
            &redirect_uri(&svc.config.public_url),
            &state,
            &nonce,
            challenge,
            login_hint,
        )
        .await
        .map_err(|e| unavailable(provider, &e))?;
    let now = svc.now();
    let row = FederationStateRow {
        verifier_sealed: svc.sealer.seal(&verifier_purpose(&id), verifier.secret())?,
        id,
        provider_id: provider.id.clone(),
        tenant_id: tenant.id.clone(),
        browser: hash_secret(&browser),
        nonce,
        purpose: serde_json::to_string(&purpose).map_err(Error::internal)?,
        created_at: now,
        expires_at: now + ROUND_TRIP_TTL,
    };
    svc.store
        .write(move |c| queries::federation::insert_state(c, &row))
        .await?;
    Ok(Started { url, browser })
}

fn unavailable(provider: &Provider, e: &UpstreamFailure) -> Error {
    tracing::warn!(provider = %provider.id, reason = %e.reason(), "upstream provider failed");
    Error::Unavailable(format!(
        "{} cannot be reached just now. Try again in a moment, or choose another way to sign in.",
        provider.display_name
    ))
}

/// Sends a person who opened invitation `open` to `provider` to prove who they are.
pub async fn start_redemption(
    svc: &Services,
    open: &OpenInvitation,
    ticket: &str,
    provider: &Provider,
    browser: Option<&str>,
    address: &str,
) -> Result<Started> {
    begin(
        svc,
        &open.tenant,
        provider,
        Purpose::Redeem {
            ticket: ticket.to_string(),
        },
        browser,
        Some(&open.invitation.email),
        address,
    )
    .await
}

/// Sends a person signing in at `tenant` to `provider`.
pub async fn start_sign_in(
    svc: &Services,
    tenant: &Tenant,
    provider: &Provider,
    request: &str,
    login_hint: Option<&str>,
    browser: Option<&str>,
    address: &str,
) -> Result<Started> {
    begin(
        svc,
        tenant,
        provider,
        Purpose::SignIn {
            request: request.to_string(),
        },
        browser,
        login_hint.filter(|h| !h.is_empty()),
        address,
    )
    .await
}

/// The provider's answer at `/federation/callback`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

fn expired() -> Error {
    Error::NotFound(
        "This sign-in took too long or was finished already. Start again from the page you came from."
            .into(),
    )
}

/// Finishes the round trip the provider sent the browser back from.
pub async fn finish(
    svc: &Services,
    answer: Callback,
    browser: Option<&str>,
) -> std::result::Result<Finished, Failed> {
    let plain = |error: Error| Failed {
        tenant: None,
        error,
    };
    let state = answer
        .state
        .as_deref()
        .filter(|s| is_random_token(s))
        .ok_or_else(|| plain(expired()))?;
    let id = hash_secret(state);
    let now = svc.now();
    let row = svc
        .store
        .write(move |c| queries::federation::take_state(c, &id))
        .await
        .map_err(plain)?
        .filter(|r| r.expires_at > now)
        .ok_or_else(|| plain(expired()))?;
    let (tid, public_url) = (row.tenant_id.clone(), svc.config.public_url.clone());
    let tenant = svc
        .store
        .read(move |c| queries::tenants::by_id(c, &tid))
        .await
        .map_err(plain)?
        .map(|r| Tenant::from_row(r, &public_url))
        .ok_or_else(|| plain(expired()))?;
    let in_tenant = |error: Error| Failed {
        tenant: Some(tenant.clone()),
        error,
    };
    // The browser that comes back must be the one that left (a `state` lured into another browser
    // signs nobody in there).
    let same_browser = browser.is_some_and(|b| constant_time_eq(&hash_secret(b), &row.browser));
    if !same_browser {
        return Err(in_tenant(Error::Forbidden(
            "This sign-in was started in another browser. Start again here.".into(),
        )));
    }
    let provider = svc
        .store
        .read({
            let pid = row.provider_id.clone();
            move |c| queries::federation::provider(c, &pid)
        })
        .await
        .map_err(in_tenant)?
        .map(Provider::from_row)
        .filter(|p| p.enabled)
        .ok_or_else(|| in_tenant(expired()))?;
    match finish_with(svc, &tenant, &provider, &row, answer).await {
        Ok(f) => Ok(f),
        Err(error) => {
            let reason = error.to_string();
            let (tid, pid) = (tenant.id.clone(), provider.id.clone());
            let issuer = provider.issuer.clone();
            let _ = svc
                .store
                .write(move |c| {
                    audit::record(
                        c,
                        AuditEvent {
                            tenant_id: &tid,
                            event_name: events::FEDERATED_SIGN_IN_FAILURE,
                            actor: &issuer,
                            target: &pid,
                            outcome: "failure",
                            details: serde_json::json!({ "reason": reason }),
                        },
                    )
                })
                .await;
            Err(in_tenant(error))
        }
    }
}

async fn finish_with(
    svc: &Services,
    tenant: &Tenant,
    provider: &Provider,
    row: &FederationStateRow,
    answer: Callback,
) -> Result<Finished> {
    if let Some(error) = answer.error.as_deref() {
        let said = answer.error_description.unwrap_or_default();
        return Err(Error::Forbidden(match error {
            "access_denied" => format!(
                "{} did not sign you in (it answered access_denied). You can try again or choose another way.",
                provider.display_name
            ),
            other => format!(
                "{} could not sign you in: {other} {said}",
                provider.display_name
            ),
        }));
    }
    let code = answer
        .code
        .as_deref()
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| Error::invalid("code", "The provider sent no authorization code."))?;
    let verifier = svc
        .sealer
        .open(&verifier_purpose(&row.id), &row.verifier_sealed)?;
    let secret = provider.client_secret(svc)?;
    let claims = svc
        .upstreams
        .redeem_code(
            provider,
            &secret,
            &redirect_uri(&svc.config.public_url),
            code,
            &verifier,
            &row.nonce,
        )
        .await
        .map_err(|e| match e {
            UpstreamFailure::Unreachable(_) => unavailable(provider, &e),
            UpstreamFailure::BadToken(reason) => Error::Forbidden(format!(
                "{} sent a token that does not verify ({reason}).",
                provider.display_name
            )),
        })?;
    let issuer = claims
        .get("iss")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let who = person(&claims, &provider.mapping).map_err(|r| {
        Error::Forbidden(match r {
            Refusal::NoSubject => "The provider did not say who you are.".to_string(),
            Refusal::NoEmail => format!(
                "{} did not share your email address.",
                provider.display_name
            ),
            Refusal::UnverifiedEmail => format!(
                "{} has not verified your email address, so it cannot be used here.",
                provider.display_name
            ),
        })
    })?;
    let purpose: Purpose = serde_json::from_str(&row.purpose).map_err(Error::internal)?;
    match purpose {
        Purpose::Redeem { ticket } => {
            let ticket = svc.sealer.open(&ticket_purpose(&row.id), &ticket)?;
            let open = redemption::open_unthrottled(svc, &ticket).await?;
            if open.tenant.id != tenant.id {
                return Err(Error::internal("a round trip changed tenants"));
            }
            redemption::check_address(&open, who.email.as_str())?;
            // A redeemed link only signs in the identity it is bound to: nobody new is made for it.
            let home = home_for_guest(svc, provider, &issuer, &who, !open.redeemed).await?;
            let secret = session_for(svc, tenant, provider, &issuer, &who, &home).await?;
            Ok(Finished {
                tenant: tenant.clone(),
                session_secret: secret,
                next: Next::Redeem { ticket },
            })
        }
        Purpose::SignIn { request } => {
            let home = home_for_sign_in(svc, tenant, provider, &issuer, &who).await?;
            let secret = session_for(svc, tenant, provider, &issuer, &who, &home).await?;
            Ok(Finished {
                tenant: tenant.clone(),
                session_secret: secret,
                next: Next::SignIn { request },
            })
        }
    }
}

fn disabled() -> Error {
    Error::Forbidden("This account is disabled.".into())
}

/// The user object `identity` signs in as, when it is known and enabled.
fn known_user(c: &mut AnyConnection, issuer: &str, subject: &str) -> Result<Option<User>> {
    let Some(identity) = queries::federation::identity(c, issuer, subject)? else {
        return Ok(None);
    };
    let Some(row) = queries::users::by_id(c, &identity.user_id)? else {
        return Ok(None);
    };
    if !row.enabled {
        return Err(disabled());
    }
    let roles = queries::users::roles_of(c, &row.id)?;
    Ok(Some(row.into_user(roles)))
}

/// The home of a person redeeming through an upstream: the user their identity is bound to already,
/// or a new member of the directory kept for the upstream issuer (created with its audit events).
async fn home_for_guest(
    svc: &Services,
    provider: &Provider,
    issuer: &str,
    who: &UpstreamPerson,
    may_create: bool,
) -> Result<User> {
    let (issuer, who, pid) = (issuer.to_string(), who.clone(), provider.id.clone());
    let (public_url, now) = (svc.config.public_url.clone(), svc.now());
    svc.store
        .write(move |c| {
            if let Some(user) = known_user(c, &issuer, &who.subject)? {
                return Ok(user);
            }
            if !may_create {
                return Err(Error::Forbidden(
                    "This invitation has been accepted by another account.".into(),
                ));
            }
            let host = url::Url::parse(&issuer)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| "upstream".into());
            let directory = upstream_directory(c, &issuer, &host, &public_url, now)?;
            let member = NewMember {
                email: who.email.as_str().into(),
                display_name: who
                    .name
                    .clone()
                    .unwrap_or_else(|| who.email.as_str().into()),
                password: None,
                roles: RoleSet::EMPTY,
                creation_type: Some(CreationType::Invitation),
                email_verified: true,
                profile: Default::default(),
            };
            let row = member_row(&directory, &member, now)?;
            insert_member(
                c,
                &row,
                RoleSet::EMPTY,
                None,
                &issuer,
                invitation_events::VIRAL_USER,
            )?;
            link(c, &row.id, &issuer, &who, &pid, now)?;
            Ok(row.into_user(RoleSet::EMPTY))
        })
        .await
}

fn link(
    c: &mut AnyConnection,
    user_id: &str,
    issuer: &str,
    who: &UpstreamPerson,
    provider_id: &str,
    now: i64,
) -> Result<()> {
    queries::federation::insert_identity(
        c,
        &UpstreamIdentityRow {
            user_id: user_id.to_string(),
            issuer: issuer.to_string(),
            subject: who.subject.clone(),
            provider_id: provider_id.to_string(),
            email: who.email.as_str().to_string(),
            created_at: now,
            last_sign_in_at: now,
        },
    )
}

/// The directory that holds `issuer`'s people, made on first use (no admins, like the unmanaged
/// directories of email domains, with the same audit event) and named `display_name`.
pub(in crate::service) fn upstream_directory(
    c: &mut AnyConnection,
    issuer: &str,
    display_name: &str,
    public_url: &str,
    now: i64,
) -> Result<Tenant> {
    if let Some(id) = queries::federation::directory(c, issuer)?
        && let Some(row) = queries::tenants::by_id(c, &id)?
    {
        return Ok(Tenant::from_row(row, public_url));
    }
    let slug = directory_slug(issuer);
    debug_assert!(slug.starts_with(SLUG_PREFIX));
    let row = TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.clone(),
        display_name: display_name.to_string(),
        // Never an email domain (`.invalid` is reserved), so no address's directory is this one.
        primary_domain: format!("{slug}.invalid"),
        unmanaged: true,
        self_service_signup: false,
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    queries::tenants::insert(c, &row)?;
    queries::federation::insert_directory(c, issuer, &row.id)?;
    audit::record(
        c,
        AuditEvent {
            tenant_id: &row.id,
            event_name: invitation_events::VIRAL_TENANT,
            actor: "federation",
            target: &slug,
            outcome: "success",
            details: serde_json::json!({ "issuer": issuer }),
        },
    )?;
    Ok(Tenant::from_row(row, public_url))
}

/// The user a person signing in at `tenant` through `provider` becomes: the one their identity is
/// bound to; else, for a provider that signs in the tenant's members, the member with that address
/// (linked now) or a new member (when the provider creates them).
async fn home_for_sign_in(
    svc: &Services,
    tenant: &Tenant,
    provider: &Provider,
    issuer: &str,
    who: &UpstreamPerson,
) -> Result<User> {
    let (issuer, who, p) = (issuer.to_string(), who.clone(), provider.clone());
    let (t, now) = (tenant.clone(), svc.now());
    svc.store
        .write(move |c| {
            if let Some(user) = known_user(c, &issuer, &who.subject)? {
                return Ok(user);
            }
            let for_members = p.members && p.tenant_id.as_deref() == Some(t.id.as_str()) && p.serves(who.email.as_str());
            if !for_members {
                return Err(Error::Forbidden(format!(
                    "{} has no account for {} here. If you were invited, open the invitation link first.",
                    t.display_name,
                    who.email.as_str()
                )));
            }
            let email = EmailAddress::parse(who.email.as_str())?;
            let existing = queries::users::by_tenant_and_mail(c, &t.id, &email.lower())?
                .filter(|u| u.user_type == "Member");
            let row = match existing {
                Some(row) if !row.enabled => return Err(disabled()),
                Some(row) => row,
                None if p.create_members => {
                    let member = NewMember {
                        email: email.as_str().into(),
                        display_name: who.name.clone().unwrap_or_else(|| email.as_str().into()),
                        password: None,
                        roles: RoleSet::EMPTY,
                        creation_type: None,
                        email_verified: true,
                        profile: Default::default(),
                    };
                    let row = member_row(&t, &member, now)?;
                    insert_member(c, &row, RoleSet::EMPTY, None, &issuer, crate::service::audit::events::CREATE_USER)?;
                    row
                }
                None => {
                    return Err(Error::Forbidden(format!(
                        "{} has no member {}. Ask an administrator to add you.",
                        t.display_name,
                        email.as_str()
                    )));
                }
            };
            if queries::federation::identity_of_user(c, &row.id)?.is_some() {
                // The member is bound to another identity of some provider already.
                return Err(Error::Forbidden(
                    "This account is linked to another sign-in already.".into(),
                ));
            }
            link(c, &row.id, &issuer, &who, &p.id, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &t.id,
                    event_name: events::LINK_IDENTITY,
                    actor: &issuer,
                    target: &row.id,
                    outcome: "success",
                    details: serde_json::json!({ "issuer": issuer, "provider": p.id, "email": who.email.as_str() }),
                },
            )?;
            let roles = queries::users::roles_of(c, &row.id)?;
            Ok(row.into_user(roles))
        })
        .await
}

/// A new session for `home`, authenticated by the upstream (`amr` `fed`, the upstream's `acr` and
/// `amr` kept beside it), audited.
async fn session_for(
    svc: &Services,
    tenant: &Tenant,
    provider: &Provider,
    issuer: &str,
    who: &UpstreamPerson,
    home: &User,
) -> Result<String> {
    let (secret, mut session) = new_session(svc, home);
    session.amr = "fed".into();
    session.acr = who.acr.clone();
    session.upstream_amr = (!who.amr.is_empty()).then(|| who.amr.join(" "));
    let (tid, pid, issuer, uid) = (
        tenant.id.clone(),
        provider.id.clone(),
        issuer.to_string(),
        home.id.clone(),
    );
    let (email, now) = (who.email.as_str().to_string(), svc.now());
    svc.store
        .write(move |c| {
            queries::sessions::insert(c, &session)?;
            queries::federation::touch_identity(c, &uid, &email, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tid,
                    event_name: events::FEDERATED_SIGN_IN,
                    actor: &uid,
                    target: &uid,
                    outcome: "success",
                    details: serde_json::json!({ "issuer": issuer, "provider": pid, "email": email }),
                },
            )
        })
        .await?;
    crate::observability::metrics::sign_in(crate::observability::metrics::SignIn::Success);
    Ok(secret)
}
