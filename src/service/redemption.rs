//! Redeeming an invitation (spec §3.4): the person proves who they are (signing in with an account they
//! have anywhere on this server, or registering one for the invited address), consents once, and the
//! guest object becomes `Accepted`, bound to that home identity. A redeemed link only signs in again.

use super::Services;
use super::audit::{self, AuditEvent};
use super::invitations::events;
use super::signin::{self, SignedIn};
use super::tenants::Tenant;
use super::users::{NewMember, UserView, hash_new_password, insert_member, member_row};
use crate::crypto::hash_secret;
use crate::domain::email::EmailAddress;
use crate::domain::home_directory::unmanaged_slug;
use crate::domain::tenant::issuer;
use crate::domain::user::{CreationType, ExternalUserState, RoleSet, User};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{InvitationRecord, TenantRow};
use crate::store::queries;
use serde::Serialize;

/// An invitation as its link shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OpenInvitation {
    pub invitation: InvitationRecordView,
    pub tenant: Tenant,
    pub inviter_name: String,
    pub redeemed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct InvitationRecordView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub has_cc: bool,
    pub redirect_url: Option<String>,
    /// The invitation's language: the redemption pages use it.
    pub language: crate::domain::language::Language,
    #[serde(skip)]
    record: InvitationRecord,
}

/// The one answer for unknown, expired and replaced links, so a link reveals nothing by its failure.
pub fn not_valid() -> Error {
    Error::NotFound(
        "This invitation link is not valid: it may have expired or been replaced by a newer invitation. Ask the person who invited you to send it again."
            .into(),
    )
}

/// Finds the invitation of a link opened from `address`. Every failure is the same `not_valid`, and
/// counts against the address's limit of unknown links.
pub async fn open(svc: &Services, ticket: &str, address: &str) -> Result<OpenInvitation> {
    super::throttle::one_time_link(svc, address, find(svc, ticket)).await
}

/// [`open`] for a link whose use was counted already (the person is coming back from their provider
/// with a sealed copy of the ticket).
pub async fn open_unthrottled(svc: &Services, ticket: &str) -> Result<OpenInvitation> {
    find(svc, ticket).await
}

async fn find(svc: &Services, ticket: &str) -> Result<OpenInvitation> {
    if ticket.len() != 43 {
        return Err(not_valid());
    }
    let hash = hash_secret(ticket);
    let now = svc.now();
    let found = svc
        .store
        .read(move |c| {
            let Some(inv) = queries::invitations::by_ticket_hash(c, &hash)? else {
                return Ok(None);
            };
            let tenant = queries::tenants::by_id(c, &inv.tenant_id)?;
            let inviter = queries::users::by_id(c, &inv.invited_by)?.map(|u| u.display_name);
            Ok(Some((inv, tenant, inviter)))
        })
        .await?;
    let Some((inv, Some(tenant_row), inviter)) = found else {
        return Err(not_valid());
    };
    let redeemed = inv.redeemed_at.is_some();
    if inv.voided_at.is_some() || (!redeemed && inv.ticket_expires_at <= now) {
        return Err(not_valid());
    }
    Ok(OpenInvitation {
        tenant: Tenant::from_row(tenant_row, &svc.config.public_url),
        inviter_name: inviter.unwrap_or_else(|| "An administrator".into()),
        redeemed,
        invitation: InvitationRecordView {
            id: inv.id.clone(),
            email: inv.email.clone(),
            display_name: inv.display_name.clone(),
            has_cc: inv.cc.is_some(),
            redirect_url: inv.redirect_url.clone(),
            language: crate::domain::language::Language::parse(&inv.language).unwrap_or_default(),
            record: inv,
        },
    })
}

/// Where the person lands after redeeming (or using a redeemed link again).
pub fn landing(open: &OpenInvitation) -> String {
    open.invitation
        .redirect_url
        .clone()
        .unwrap_or_else(|| format!("/t/{}/apps", open.tenant.slug))
}

/// Refuses an account whose email is not the invited one, unless the tenant allows it.
fn check_email(open: &OpenInvitation, home: &User) -> Result<()> {
    check_address(open, &home.mail)
}

/// Refuses an address that is not the invited one (unless the tenant allows it) or whose domain the
/// tenant refuses, before anything is made for it.
pub fn check_address(open: &OpenInvitation, address: &str) -> Result<()> {
    let parsed = EmailAddress::parse(address).ok();
    let home_lower = parsed.as_ref().map(|e| e.lower());
    if home_lower.as_deref() != Some(open.invitation.record.email_lower.as_str())
        && !open.tenant.settings.allow_mismatched_email_redemption
    {
        return Err(Error::Forbidden(format!(
            "This invitation was sent to {}. Sign in with that address, or ask {} to invite the address you use.",
            open.invitation.email, open.tenant.display_name
        )));
    }
    match parsed {
        Some(e) => open
            .tenant
            .settings
            .domain_list
            .check(e.domain())
            .map_err(|e| Error::Forbidden(e.message)),
        None => Ok(()),
    }
}

/// Signs in with an existing account (any tenant) to redeem; returns the session secret.
pub async fn sign_in(
    svc: &Services,
    open: &OpenInvitation,
    email: &str,
    password: &str,
    origin: &signin::Origin,
) -> Result<String> {
    let home = signin::verify_account(svc, &open.tenant.id, email, password, origin).await?;
    check_email(open, &home)?;
    let (secret, session) = signin::new_session(svc, &home);
    svc.store
        .write(move |c| queries::sessions::insert(c, &session))
        .await?;
    crate::observability::metrics::sign_in(crate::observability::metrics::SignIn::Success);
    Ok(secret)
}

/// The unmanaged directory of exactly `domain`, created on first use (no admins), with its audit event.
///
/// Found by its domain, not by its slug: a slug only names a directory, and a tenant holding the slug this
/// domain would get (a managed one, or another domain's directory made under an older naming rule) is
/// never taken for it. Directories made before the naming rule changed keep their slugs, so their people
/// keep their `idp`.
fn unmanaged_tenant(
    c: &mut AnyConnection,
    domain: &str,
    public_url: &str,
    now: i64,
) -> Result<Tenant> {
    if let Some(row) = queries::tenants::unmanaged_for_domain(c, domain)? {
        return Ok(Tenant::from_row(row, public_url));
    }
    let slug = unmanaged_slug(domain);
    if queries::tenants::by_slug(c, &slug)?.is_some() {
        // Only an operator's tenant made before `ext-` was reserved, or another domain's directory whose
        // old slug happens to be this domain's new one, can hold it; joining it would be the collision
        // this rule exists to prevent.
        return Err(Error::Conflict(format!(
            "No account can be made for {domain} here: the directory name {slug} is taken. Sign in with an existing account instead."
        )));
    }
    let row = TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.clone(),
        display_name: domain.to_string(),
        primary_domain: domain.to_string(),
        unmanaged: true,
        self_service_signup: false,
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    queries::tenants::insert(c, &row)?;
    audit::record(
        c,
        AuditEvent {
            tenant_id: &row.id,
            event_name: events::VIRAL_TENANT,
            actor: "redemption",
            target: &slug,
            outcome: "success",
            details: serde_json::json!({ "domain": domain }),
        },
    )?;
    Ok(Tenant::from_row(row, public_url))
}

pub struct Registration {
    pub display_name: String,
    pub password: String,
    pub confirm_password: String,
}

/// Creates an account for the invited address itself (following the link proved it), as a member of
/// the unmanaged directory of its domain; returns the session secret. Not offered when the invitation
/// had a CC address, since the link may have been read by someone else.
pub async fn register(
    svc: &Services,
    open: &OpenInvitation,
    input: Registration,
) -> Result<(String, UserView)> {
    if open.invitation.has_cc {
        return Err(Error::Forbidden(
            "This invitation was copied to another address, so it cannot create a new account. Sign in with an existing account.".into(),
        ));
    }
    let email = EmailAddress::parse(&open.invitation.email)?;
    // A domain the tenant refuses now gets no account either: accepting would fail right after.
    open.tenant
        .settings
        .domain_list
        .check(email.domain())
        .map_err(|e| Error::Forbidden(e.message))?;
    let hash = hash_new_password(svc, &input.password, &input.confirm_password).await?;
    let now = svc.now();
    let public_url = svc.config.public_url.clone();
    let display_name = input.display_name;
    let home = svc
        .store
        .write(move |c| {
            // An invitation link proves nothing about who holds it (the inviter has it too), so an
            // account of this address, verified or not, is never taken over from here; a one-time code
            // sent to the address does that.
            if queries::users::account_by_email(c, &email.lower())?.is_some() {
                return Err(Error::invalid(
                    "email",
                    "An account with this email exists already: sign in instead.",
                ));
            }
            let home_tenant = unmanaged_tenant(c, email.domain(), &public_url, now)?;
            let member = NewMember {
                email: email.as_str().into(),
                display_name,
                password: None,
                roles: RoleSet::EMPTY,
                creation_type: Some(CreationType::SelfServiceSignUp),
                email_verified: true,
                profile: Default::default(),
            };
            let row = member_row(&home_tenant, &member, now)?;
            insert_member(
                c,
                &row,
                RoleSet::EMPTY,
                Some(&hash),
                "redemption",
                events::VIRAL_USER,
            )?;
            Ok(row.into_user(RoleSet::EMPTY))
        })
        .await?;
    let (secret, session) = signin::new_session(svc, &home);
    svc.store
        .write(move |c| queries::sessions::insert(c, &session))
        .await?;
    Ok((secret, UserView::of(home)))
}

/// An opaque, stable identifier of a home identity (the `altsecid` claim).
fn alt_sec_id(home_issuer: &str, home_user_id: &str) -> String {
    format!(
        "1:{}",
        &hash_secret(&format!("{home_issuer}|{home_user_id}"))[..40]
    )
}

/// Whether the signed-in account may redeem this invitation at all: its address is the invited one (unless
/// the tenant allows others) and its domain is not refused. Checked before the consent page is offered and
/// again when accepting.
pub fn admissible(open: &OpenInvitation, signed_in: &SignedIn) -> Result<()> {
    let home = &signed_in.home_user;
    check_email(open, home)?;
    let email = EmailAddress::parse(&home.mail)?;
    open.tenant
        .settings
        .domain_list
        .check(email.domain())
        .map_err(|e| Error::Forbidden(e.message))
}

/// Accepts the invitation for the signed-in person: `Accepted`, bound to their home identity, audited.
pub async fn accept(svc: &Services, open: &OpenInvitation, signed_in: &SignedIn) -> Result<String> {
    admissible(open, signed_in)?;
    let home = signed_in.home_user.clone();
    let now = svc.now();
    let record = open.invitation.record.clone();
    let (tenant, public_url) = (open.tenant.clone(), svc.config.public_url.clone());
    svc.store
        .write(move |c| {
            let Some(mut guest) = queries::users::by_id(c, &record.user_id)? else { return Err(not_valid()) };
            if guest.home_user_id.is_some() {
                // Redeemed before: never rebind, only admit the identity it is bound to.
                return if guest.home_user_id.as_deref() == Some(home.id.as_str()) { Ok(()) } else { Err(Error::Forbidden("This invitation has been accepted by another account.".into())) };
            }
            if home.tenant_id == tenant.id {
                return Err(Error::Forbidden("You are already a member of this organisation; sign in to it directly.".into()));
            }
            if queries::users::guest_for_home(c, &tenant.id, &home.id)?.is_some() {
                return Err(Error::Conflict("This account is already a guest of this organisation.".into()));
            }
            let home_tenant = queries::tenants::by_id(c, &home.tenant_id)?.ok_or_else(|| Error::internal("home tenant missing"))?;
            // A person of an upstream provider's directory comes from that provider: its issuer is
            // their `idp`, and their `altsecid` stands for the upstream identity.
            let upstream = match queries::federation::directory_issuer(c, &home_tenant.id)? {
                Some(_) => queries::federation::identity_of_user(c, &home.id)?,
                None => None,
            };
            let (home_issuer, alt) = match upstream {
                Some(u) => (u.issuer.clone(), crate::domain::upstream::alt_sec_id(&u.issuer, &u.subject)),
                None => {
                    let i = issuer(&public_url, &home_tenant.slug);
                    let alt = alt_sec_id(&i, &home.id);
                    (i, alt)
                }
            };
            guest.external_user_state = Some(ExternalUserState::Accepted.as_str().into());
            guest.external_user_state_changed_at = Some(now);
            guest.sign_in_name = Some(home.mail.clone());
            guest.alt_sec_id = Some(alt);
            guest.home_user_id = Some(home.id.clone());
            guest.home_issuer = Some(home_issuer.clone());
            guest.email_verified = true;
            guest.updated_at = now;
            queries::users::update(c, &guest)?;
            let mut inv = record.clone();
            inv.status = "Completed".into();
            inv.redeemed_at = Some(now);
            queries::invitations::update(c, &inv)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: events::REDEEM,
                    actor: &home.id,
                    target: &guest.id,
                    outcome: "success",
                    details: serde_json::json!({ "invitationId": inv.id, "homeIssuer": home_issuer, "signInName": home.mail }),
                },
            )
        })
        .await?;
    crate::observability::metrics::invitation(crate::observability::metrics::Invitation::Redeemed);
    Ok(landing(open))
}

/// "Block future invitations": no invitation reaches this address again (audited).
pub async fn block(svc: &Services, open: &OpenInvitation) -> Result<()> {
    let (email, tenant_id, now) = (
        open.invitation.record.email_lower.clone(),
        open.tenant.id.clone(),
        svc.now(),
    );
    svc.store
        .write(move |c| {
            queries::invitations::block(c, &email, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::BLOCKED,
                    actor: &email,
                    target: &email,
                    outcome: "success",
                    details: serde_json::json!({}),
                },
            )
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_sec_ids_are_pinned_and_distinct() {
        // The value is stored on guest objects and read by apps, so its derivation may never change:
        // "1:" and the first 40 hex digits of SHA-256("{issuer}|{user id}"). User ids are UUIDs and issuers
        // are URLs without "|", so the separator cannot make two pairs collide.
        assert_eq!(
            alt_sec_id("i", "u"),
            "1:0ebffbed4730ee39c5f4c69d385c2149ecc5320f"
        );
        assert_eq!(
            alt_sec_id("https://idp.example/t/a", "0b5e"),
            "1:7b76557c4ba126757e086d9e53adb07f839dff0d"
        );
        assert_ne!(alt_sec_id("i", "u"), alt_sec_id("i", "v"));
        assert_ne!(alt_sec_id("i", "u"), alt_sec_id("j", "u"));
    }
}
