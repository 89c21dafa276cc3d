//! Inviting guests (spec §3.1–3.3): one code path for the CLI, the API and the console.
//!
//! An invitation creates the guest user object at once (`PendingAcceptance`, `#EXT#` UPN), applies the
//! groups and app assignments it names, stores the invitation with the hash of a random ticket, and
//! queues the email in the outbox — all in one transaction, so a failed invitation leaves nothing
//! behind. `csv` runs the same use case once per row of a file; `follow_up` lists, shows and revokes.
//!
//! Who may invite, resend and reset is decided in the transaction of each (`domain::access`): a guest
//! inviter or an invite-scoped app follows up only on its own invitations, resends only pending ones,
//! never resets a redemption, and sends invitees only to addresses the tenant's apps registered.

pub mod csv;
pub mod follow_up;

pub use csv::{BatchReport, BatchRow, CsvUpload, invite_from_csv};
pub use follow_up::{InvitationPage, InvitationView, InvitedUserRef, status_of, view_on};

use super::Services;
use super::audit::{self, AuditEvent};
use super::auth::{self, Actor};
use super::tenants::Tenant;
use super::throttle::{self, Limit, Subject};
use crate::crypto::{hash_secret, random_token};
use crate::domain::access::{self, Action, Standing};
use crate::domain::email::EmailAddress;
use crate::domain::invitation_csv::InvitationRow;
use crate::domain::language::Language;
use crate::domain::lifecycle::{access_end_after, access_end_at};
use crate::domain::redirect::{RedirectRefusal, check_invite_redirect};
use crate::domain::user::{CreationType, ExternalUserState, Upn, UserType, parse_display_name};
use crate::error::{Error, Result};
use crate::mail::invitation::{InvitationEmail, render};
use crate::store::connection::AnyConnection;
use crate::store::models::{AssignmentRow, GroupMemberRow, InvitationRecord, UserRow};
use crate::store::queries;
use serde::Serialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Audit event names of spec §5, exact.
pub mod events {
    pub const BATCH_UPLOADED: &str = "Batch invites uploaded";
    pub const BATCH_PROCESSED: &str = "Batch invites processed";
    pub const INVITE: &str = "Invite external user";
    pub const REDEEM: &str = "Redeem external user invite";
    pub const ADD_TO_GROUP: &str = "Add external user to group";
    pub const ASSIGN_APP: &str = "Assign external user to application";
    pub const UNSUBSCRIBED: &str = "Email not sent, user unsubscribed";
    pub const VIRAL_TENANT: &str = "Viral tenant creation";
    pub const VIRAL_USER: &str = "Viral user creation";
    /// The recipient used the email's "block future invitations" link.
    pub const BLOCKED: &str = "Invitations blocked by recipient";
    pub const RESET_REDEMPTION: &str = "Reset redemption of external user";
}

/// What to invite, however it arrived (form, API, CLI, CSV row).
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub email: String,
    pub display_name: Option<String>,
    pub user_type: UserType,
    pub redirect_url: Option<String>,
    pub language: Language,
    pub cc: Option<String>,
    pub custom_text: Option<String>,
    pub app_ids: Vec<String>,
    pub group_ids: Vec<String>,
    pub contact_url: Option<String>,
    pub invite_app_id: Option<String>,
    pub send_email: bool,
    /// When the guest's access ends (disabled by the lifecycle job); none for no end date.
    pub access: Option<AccessEnd>,
}

/// When an invited guest's access ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessEnd {
    /// This many days after the invitation (`--access-days`, `accessDays`).
    AfterDays(i64),
    /// At this Unix time (the CSV column `AccessExpiresOn`: 00:00 UTC of its date).
    At(i64),
}

impl AccessEnd {
    /// The end as a Unix time, checked against `now`.
    fn resolve(self, now: i64) -> Result<i64> {
        match self {
            AccessEnd::AfterDays(days) => Ok(access_end_after(days, now)?),
            AccessEnd::At(at) => Ok(access_end_at("AccessExpiresOn", at, now)?),
        }
    }
}

impl InviteRequest {
    pub fn from_row(row: &InvitationRow) -> InviteRequest {
        InviteRequest {
            email: row.email.as_str().to_string(),
            display_name: Some(row.display_name.clone()),
            user_type: UserType::Guest,
            redirect_url: row.redirect_url.clone(),
            language: row.language,
            cc: row.cc.as_ref().map(|c| c.as_str().to_string()),
            custom_text: row.invitation_text.clone(),
            app_ids: row.app_ids.clone(),
            group_ids: row.group_ids.clone(),
            contact_url: row.contact_url.clone(),
            invite_app_id: row.invite_app_id.clone(),
            send_email: true,
            access: row.access_expires_on.map(AccessEnd::At),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum InviteOutcome {
    Created {
        invitation_id: String,
        user_id: String,
        user_principal_name: String,
        /// The only copy of the ticket: it is stored as a hash.
        redeem_url: String,
        status: &'static str,
    },
    /// The tenant already has a user object for this email; nothing was created. Only callers who may
    /// see the directory learn which object it is.
    Exists { user_id: Option<String> },
}

pub use crate::domain::calendar::date_of;

/// Checks everything that can be checked before reading anything; the write re-checks what could race.
struct Prepared {
    email: EmailAddress,
    display_name: String,
    cc: Option<EmailAddress>,
}

fn prepare(tenant: &Tenant, req: &InviteRequest) -> Result<Prepared> {
    let email = EmailAddress::parse(&req.email)?;
    tenant
        .settings
        .domain_list
        .check(email.domain())
        .map_err(|e| Error::invalid("email", e.message))?;
    let display_name = match &req.display_name {
        Some(n) if !n.trim().is_empty() => parse_display_name(n)?,
        _ => email
            .as_str()
            .split('@')
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    let cc = match &req.cc {
        Some(c) if !c.trim().is_empty() => {
            Some(EmailAddress::parse(c).map_err(|e| Error::invalid("cc", e.message))?)
        }
        _ => None,
    };
    Ok(Prepared {
        email,
        display_name,
        cc,
    })
}

/// The door of inviting `req`: the tenant's invite policy, and admins only for members and access.
fn invite_action(tenant: &Tenant, req: &InviteRequest) -> Action {
    Action::Invite {
        policy: tenant.settings.invite_policy,
        as_member: req.user_type == UserType::Member,
        grants_access: !req.app_ids.is_empty() || !req.group_ids.is_empty(),
    }
}

/// The addresses the tenant's apps registered: where anyone may send an invitee.
fn registered_addresses(c: &mut AnyConnection, tenant: &Tenant) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for row in queries::apps::list_for_tenant(c, &tenant.id)? {
        let app = super::apps::App::from_row(row);
        if !app.enabled {
            continue;
        }
        out.extend(app.redirect_uris);
        out.extend(app.settings.home_url);
    }
    Ok(out)
}

/// The invitation's redirect URL as the caller may give it (see `domain::redirect`).
fn checked_redirect(
    c: &mut AnyConnection,
    tenant: &Tenant,
    standing: &Standing,
    raw: Option<&str>,
) -> Result<Option<String>> {
    let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
        return Ok(None);
    };
    let anywhere = access::check(standing, Action::RedirectAnywhere).is_ok();
    let registered = registered_addresses(c, tenant)?;
    check_invite_redirect(raw, anywhere, &registered)
        .map(Some)
        .map_err(|refusal| match refusal {
            RedirectRefusal::Invalid(e) => e.into(),
            // Outside what the tenant registered: a refusal of the caller, audited like the others.
            RedirectRefusal::NotRegistered(e) => {
                Error::Denied(format!("{}: {}", e.field, e.message))
            }
        })
}

fn audit(
    c: &mut AnyConnection,
    tenant: &Tenant,
    event: &str,
    actor: &Actor,
    target: &str,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(
        c,
        AuditEvent {
            tenant_id: &tenant.id,
            event_name: event,
            actor: &actor.id(),
            target,
            outcome: "success",
            details,
        },
    )
}

/// Invites one person. Everything lands in one transaction, or nothing does.
pub async fn invite(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    req: InviteRequest,
    batch_id: Option<String>,
) -> Result<InviteOutcome> {
    invite_with(svc, actor, tenant, req, batch_id, BudgetUse::Spend, None).await
}

/// How an invitation counts against its inviter's hourly budget.
#[derive(Debug, Clone)]
pub(super) enum BudgetUse {
    /// Spend one unit in the invitation's transaction.
    Spend,
    /// Take one of the units a CSV file reserved beforehand; with none left, the row is refused as
    /// the spend would have refused it.
    Reserved(Arc<ReservedUnits>),
}

/// The units of a CSV file's reservation that its rows have not taken yet.
#[derive(Debug)]
pub(super) struct ReservedUnits {
    left: AtomicI64,
    /// Seconds until the budget has room again, for a row that finds none left.
    retry_after: i64,
}

impl ReservedUnits {
    pub(super) fn new(granted: i64, retry_after: i64) -> ReservedUnits {
        ReservedUnits {
            left: AtomicI64::new(granted),
            retry_after,
        }
    }

    /// Takes a unit, or refuses (429) when none is left. The unit goes back when the returned
    /// claim is dropped without [`UnitClaim::keep`] (the row failed after taking it).
    fn take(self: &Arc<Self>) -> Result<UnitClaim> {
        let took = self
            .left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n > 0).then(|| n - 1)
            })
            .is_ok();
        if !took {
            return Err(Error::Throttled {
                retry_after: self.retry_after,
            });
        }
        Ok(UnitClaim(Some(self.clone())))
    }
}

/// A unit taken from [`ReservedUnits`]; it goes back unless kept.
struct UnitClaim(Option<Arc<ReservedUnits>>);

impl UnitClaim {
    fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for UnitClaim {
    fn drop(&mut self) {
        if let Some(units) = self.0.take() {
            units.left.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// Application and group ids of this tenant that a CSV file's first transaction found, so that its
/// rows need not look each one up again. The ids cannot move to another tenant; one deleted since
/// fails its row through the foreign key of the assignment or membership.
#[derive(Debug, Default)]
pub(super) struct KnownIds {
    pub apps: std::collections::HashSet<String>,
    pub groups: std::collections::HashSet<String>,
}

/// [`invite`], with the budget spent as `budget_use` says and `known` ids taken as checked.
pub(super) async fn invite_with(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    req: InviteRequest,
    batch_id: Option<String>,
    budget_use: BudgetUse,
    known: Option<Arc<KnownIds>>,
) -> Result<InviteOutcome> {
    let p = prepare(tenant, &req)?;
    let now = svc.now();
    let access_ends = req.access.map(|a| a.resolve(now)).transpose()?;
    if access_ends.is_some() && req.user_type != UserType::Guest {
        return Err(Error::invalid("accessDays", "only guests have an end date"));
    }
    let user_id = uuid::Uuid::new_v4().to_string();
    let upn = Upn::guest(&p.email, &tenant.primary_domain);
    let env = MailEnv::of(svc)?;
    let (tenant_c, actor_c) = (tenant.clone(), actor.clone());
    let upn_c = upn.as_str().to_string();
    let user_id_c = user_id.clone();
    let door = invite_action(tenant, &req);
    let target = p.email.lower();
    let limits = svc.config.limits.clone();
    let budget = invitation_budget(tenant, actor);
    svc.write_as(actor, tenant, door, &target, move |c, standing| {
        let tenant = &tenant_c;
        let actor = &actor_c;
        let email_lower = p.email.lower();
        let mut req = req;
        req.redirect_url = checked_redirect(c, tenant, standing, req.redirect_url.as_deref())?;
        let (existing, blocked) =
            queries::invitations::address_standing(c, &tenant.id, &email_lower)?;
        if let Some(existing) = existing {
            let user_id = access::check(standing, Action::LearnObjectIds)
                .is_ok()
                .then_some(existing);
            return Ok(Ok(InviteOutcome::Exists { user_id }));
        }
        if blocked {
            // The refusal is audited, so this write commits and the error is returned after it.
            audit(
                c,
                tenant,
                events::UNSUBSCRIBED,
                actor,
                &email_lower,
                serde_json::json!({}),
            )?;
            return Ok(Err(Error::Forbidden(format!(
                "{} asked not to receive invitations; no invitation was sent",
                p.email.as_str()
            ))));
        }
        let claim = match &budget_use {
            BudgetUse::Spend => {
                throttle::spend_on(c, &limits, &budget, now)?;
                None
            }
            BudgetUse::Reserved(units) => Some(units.take()?),
        };
        // Resolve every named app and group in this tenant before writing anything.
        let known = known.as_deref();
        for id in &req.app_ids {
            if known.is_some_and(|k| k.apps.contains(id)) {
                continue;
            }
            queries::apps::by_id(c, id)?
                .filter(|a| a.tenant_id == tenant.id)
                .ok_or_else(|| {
                    Error::invalid(
                        "InvitedToApplications",
                        format!("no application with id {id} in this organisation"),
                    )
                })?;
        }
        for id in &req.group_ids {
            if known.is_some_and(|k| k.groups.contains(id)) {
                continue;
            }
            queries::groups::by_id(c, &tenant.id, id)?.ok_or_else(|| {
                Error::invalid(
                    "InvitedToGroups",
                    format!("no group with id {id} in this organisation"),
                )
            })?;
        }
        let brand = match &req.invite_app_id {
            Some(id) => {
                queries::apps::by_id(c, id)?
                    .filter(|a| a.tenant_id == tenant.id)
                    .ok_or_else(|| {
                        Error::invalid(
                            "InviteAppID",
                            format!("no application with id {id} in this organisation"),
                        )
                    })?
                    .name
            }
            None => tenant.display_name.clone(),
        };
        queries::users::insert(
            c,
            &UserRow {
                id: user_id_c.clone(),
                tenant_id: tenant.id.clone(),
                user_type: req.user_type.as_str().into(),
                creation_type: Some(CreationType::Invitation.as_str().into()),
                user_principal_name: upn_c.clone(),
                display_name: p.display_name.clone(),
                mail: p.email.as_str().into(),
                mail_lower: email_lower.clone(),
                preferred_language: Some(req.language.as_str().into()),
                enabled: true,
                external_user_state: Some(ExternalUserState::PendingAcceptance.as_str().into()),
                external_user_state_changed_at: Some(now),
                sign_in_name: None,
                alt_sec_id: None,
                home_user_id: None,
                home_issuer: None,
                email_verified: false,
                profile: "{}".into(),
                last_sign_in_at: None,
                created_at: now,
                updated_at: now,
            },
        )?;
        if let Some(at) = access_ends {
            queries::lifecycle::set_access_end(c, &tenant.id, &user_id_c, Some(at), now)?;
        }
        // The inviter sponsors the guest until an admin says otherwise.
        if let Some(inviter) = actor.user_id() {
            queries::lifecycle::add_sponsor(
                c,
                &crate::store::models::GuestSponsorRow {
                    guest_id: user_id_c.clone(),
                    sponsor_id: inviter.to_string(),
                    tenant_id: tenant.id.clone(),
                    created_at: now,
                },
            )?;
        }
        // The events are written together at the end (one statement, one read of the webhooks).
        let actor_id = actor.id();
        let event = |event_name, details| AuditEvent {
            tenant_id: &tenant.id,
            event_name,
            actor: &actor_id,
            target: &user_id_c,
            outcome: "success",
            details,
        };
        let mut trail = Vec::with_capacity(req.group_ids.len() + req.app_ids.len() + 1);
        for gid in &req.group_ids {
            queries::groups::add_member(
                c,
                &GroupMemberRow {
                    group_id: gid.clone(),
                    user_id: user_id_c.clone(),
                    created_at: now,
                },
            )?;
            trail.push(event(
                events::ADD_TO_GROUP,
                serde_json::json!({ "groupId": gid }),
            ));
        }
        for app_id in &req.app_ids {
            queries::apps::insert_assignment(
                c,
                &AssignmentRow {
                    app_id: app_id.clone(),
                    principal_type: "user".into(),
                    principal_id: user_id_c.clone(),
                    app_role: String::new(),
                    created_at: now,
                },
            )?;
            trail.push(event(
                events::ASSIGN_APP,
                serde_json::json!({ "appId": app_id }),
            ));
        }
        let brand = Brand { name: &brand };
        let issued = issue(
            c, &env, tenant, actor, &user_id_c, &p, &req, brand, batch_id, now,
        )?;
        trail.push(event(
            events::INVITE,
            serde_json::json!({
                "email": p.email.as_str(),
                "userType": req.user_type,
                "invitationId": issued.invitation_id,
                "accessExpiresAt": access_ends.map(crate::domain::calendar::timestamp_of),
            }),
        ));
        audit::record_all(c, &tenant.id, trail)?;
        if let Some(claim) = claim {
            claim.keep();
        }
        crate::observability::metrics::invitation(
            crate::observability::metrics::Invitation::Created,
        );
        Ok(Ok(InviteOutcome::Created {
            invitation_id: issued.invitation_id,
            user_id: user_id_c,
            user_principal_name: upn_c,
            redeem_url: issued.redeem_url,
            status: "PendingAcceptance",
        }))
    })
    .await?
}

/// Each inviter (person or app) has an hourly budget of new invitations in each tenant.
fn invitation_budget(tenant: &Tenant, actor: &Actor) -> Subject {
    Subject::new(Limit::Invitation, &[&tenant.id, &actor.id()])
}

/// What sending an invitation email needs from the configuration.
struct MailEnv {
    from: lettre::message::Mailbox,
    host: String,
    public_url: String,
}

impl MailEnv {
    fn of(svc: &Services) -> Result<MailEnv> {
        Ok(MailEnv {
            from: crate::mail::sender(&svc.config.mail_from)?,
            host: crate::mail::message_id_host(&svc.config.public_url),
            public_url: svc.config.public_url.clone(),
        })
    }
}

/// Whose name and logo the email carries: the tenant's, or the `InviteAppID` app's.
struct Brand<'a> {
    name: &'a str,
}

struct Issued {
    invitation_id: String,
    redeem_url: String,
}

/// Issues an invitation for an existing guest object: a fresh ticket (stored as its hash), the record,
/// and the email (plus its CC copy) in the outbox — in the caller's transaction.
#[allow(clippy::too_many_arguments)]
fn issue(
    c: &mut AnyConnection,
    env: &MailEnv,
    tenant: &Tenant,
    actor: &Actor,
    user_id: &str,
    p: &Prepared,
    req: &InviteRequest,
    brand: Brand<'_>,
    batch_id: Option<String>,
    now: i64,
) -> Result<Issued> {
    let ticket = random_token();
    let redeem_url = format!("{}/invite/{ticket}", env.public_url);
    let expires = now + tenant.settings.ticket_lifetime_days.clamp(1, 365) * 86_400;
    let invitation_id = uuid::Uuid::new_v4().to_string();
    let outbox_id = if req.send_email {
        let rendered = render(&InvitationEmail {
            language: req.language,
            tenant_name: &tenant.display_name,
            brand_name: brand.name,
            logo_url: tenant.settings.logo_url.as_deref(),
            primary_color: &tenant.settings.primary_color,
            background_color: &tenant.settings.background_color,
            inviter_name: actor.display_name(),
            invitee_name: &p.display_name,
            invitee_email: p.email.as_str(),
            custom_text: req.custom_text.as_deref(),
            accept_url: &redeem_url,
            contact_url: crate::mail::invitation::contact_link(
                req.contact_url.as_deref(),
                tenant.settings.contact_url.as_deref(),
            ),
            privacy_url: tenant.settings.privacy_url.as_deref(),
            block_url: &format!("{redeem_url}/block"),
            expires_on: &date_of(expires),
        })?;
        // lettre quotes the name as RFC 5322 needs (commas, quotes, non-ASCII).
        let address = p.email.as_str().parse().map_err(|e| {
            Error::invalid(
                "email",
                format!("{} is not a deliverable address: {e}", p.email.as_str()),
            )
        })?;
        let to = lettre::message::Mailbox::new(Some(p.display_name.clone()), address).to_string();
        let id = crate::mail::outbox::enqueue(
            c,
            &env.from,
            &env.host,
            &tenant.id,
            "invitation",
            &rendered.to_outgoing(&to),
            now,
        )?;
        if let Some(cc) = &p.cc {
            crate::mail::outbox::enqueue(
                c,
                &env.from,
                &env.host,
                &tenant.id,
                "invitation-cc",
                &rendered.to_outgoing(cc.as_str()),
                now,
            )?;
        }
        Some(id)
    } else {
        None
    };
    queries::invitations::insert(
        c,
        &InvitationRecord {
            id: invitation_id.clone(),
            tenant_id: tenant.id.clone(),
            user_id: user_id.to_string(),
            email: p.email.as_str().into(),
            email_lower: p.email.lower(),
            display_name: p.display_name.clone(),
            invited_by: actor.id(),
            redirect_url: req.redirect_url.clone(),
            language: req.language.as_str().into(),
            cc: p.cc.as_ref().map(|c| c.as_str().to_string()),
            custom_text: req.custom_text.clone(),
            contact_url: req.contact_url.clone(),
            invite_app_id: req.invite_app_id.clone(),
            ticket_hash: hash_secret(&ticket),
            ticket_expires_at: expires,
            status: ExternalUserState::PendingAcceptance.as_str().into(),
            batch_id,
            outbox_id,
            created_at: now,
            redeemed_at: None,
            voided_at: None,
        },
    )?;
    Ok(Issued {
        invitation_id,
        redeem_url,
    })
}

/// Voids every open invitation of a guest object (a resend or reset replaces them).
fn void_open(c: &mut AnyConnection, user_id: &str, now: i64) -> Result<()> {
    while let Some(mut inv) = queries::invitations::latest_open_for_user(c, user_id)? {
        inv.voided_at = Some(now);
        inv.status = "Voided".into();
        queries::invitations::update(c, &inv)?;
    }
    Ok(())
}

/// The latest invitation of a guest object of this tenant, with the guest.
fn guest_and_invitation(
    c: &mut AnyConnection,
    tenant: &Tenant,
    user_id: &str,
) -> Result<(UserRow, InvitationRecord)> {
    let guest = queries::users::by_id(c, user_id)?
        .filter(|u| {
            u.tenant_id == tenant.id
                && u.creation_type.as_deref() == Some(CreationType::Invitation.as_str())
        })
        .ok_or_else(|| {
            Error::NotFound(format!("no invited user {user_id} in this organisation"))
        })?;
    let inv = queries::invitations::latest_for_user(c, user_id)?
        .ok_or_else(|| Error::NotFound(format!("no invitation for user {user_id}")))?;
    Ok((guest, inv))
}

fn request_of(inv: &InvitationRecord, user_type: UserType) -> InviteRequest {
    InviteRequest {
        email: inv.email.clone(),
        display_name: Some(inv.display_name.clone()),
        user_type,
        redirect_url: inv.redirect_url.clone(),
        language: Language::parse(&inv.language).unwrap_or_default(),
        cc: inv.cc.clone(),
        custom_text: inv.custom_text.clone(),
        app_ids: vec![],
        group_ids: vec![],
        contact_url: inv.contact_url.clone(),
        invite_app_id: inv.invite_app_id.clone(),
        send_email: true,
        access: None,
    }
}

/// The answer of a resend or reset: the new invitation and its link (the only copy of its ticket).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reissued {
    /// The new invitation's id.
    pub id: String,
    pub invite_redeem_url: String,
    pub invited_user: InvitedUserRef,
    pub status: String,
}

/// A new ticket for the pending invitation of guest `user_id`, in the caller's transaction: admins
/// resend any, guest inviters and invite-scoped apps only their own.
fn resend_on(
    c: &mut AnyConnection,
    env: &MailEnv,
    tenant: &Tenant,
    actor: &Actor,
    standing: &Standing,
    user_id: &str,
    now: i64,
) -> Result<Reissued> {
    let (guest, inv) = guest_and_invitation(c, tenant, user_id)?;
    let pending =
        guest.external_user_state.as_deref() == Some(ExternalUserState::PendingAcceptance.as_str());
    auth::require(
        standing,
        Action::ResendInvitation {
            own: inv.invited_by == actor.id(),
            pending,
        },
    )?;
    if !pending {
        return Err(Error::Conflict(
            "this invitation has been redeemed; reset the redemption to invite again".into(),
        ));
    }
    let req = request_of(&inv, UserType::parse(&guest.user_type)?);
    auth::require(standing, invite_action(tenant, &req))?;
    let p = prepare(tenant, &req)?;
    if queries::invitations::is_blocked(c, &p.email.lower())? {
        return Err(Error::Forbidden(format!(
            "{} asked not to receive invitations",
            p.email.as_str()
        )));
    }
    void_open(c, &guest.id, now)?;
    let issued = issue(
        c,
        env,
        tenant,
        actor,
        &guest.id,
        &p,
        &req,
        Brand {
            name: &tenant.display_name,
        },
        None,
        now,
    )?;
    audit(
        c,
        tenant,
        events::INVITE,
        actor,
        &guest.id,
        serde_json::json!({ "resend": true, "invitationId": issued.invitation_id }),
    )?;
    Ok(Reissued {
        id: issued.invitation_id,
        invite_redeem_url: issued.redeem_url,
        invited_user: InvitedUserRef { id: guest.id },
        status: "PendingAcceptance".into(),
    })
}

/// The least a caller must be to resend anything: the rules decide the rest once the invitation is read.
const RESEND_DOOR: Action = Action::ResendInvitation {
    own: true,
    pending: true,
};

/// Sends the pending invitation of guest `user_id` again with a new ticket; the old link stops working.
pub async fn resend(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    user_id: &str,
) -> Result<Reissued> {
    resend_of(svc, actor, tenant, Resend::Guest(user_id.to_string())).await
}

/// [`resend`] for the guest of invitation `invitation_id`.
pub async fn resend_invitation(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    invitation_id: &str,
) -> Result<Reissued> {
    resend_of(
        svc,
        actor,
        tenant,
        Resend::Invitation(invitation_id.to_string()),
    )
    .await
}

/// Whose invitation to send again: a guest object's, or the guest's of an invitation.
enum Resend {
    Guest(String),
    Invitation(String),
}

async fn resend_of(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    which: Resend,
) -> Result<Reissued> {
    let env = MailEnv::of(svc)?;
    let target = match &which {
        Resend::Guest(id) | Resend::Invitation(id) => id.clone(),
    };
    let (t, a, now) = (tenant.clone(), actor.clone(), svc.now());
    svc.write_as(actor, tenant, RESEND_DOOR, &target, move |c, standing| {
        let user_id = match which {
            Resend::Guest(id) => id,
            Resend::Invitation(id) => {
                queries::invitations::by_id(c, &t.id, &id)?
                    .ok_or_else(|| Error::NotFound("no such invitation".into()))?
                    .user_id
            }
        };
        resend_on(c, &env, &t, &a, standing, &user_id, now)
    })
    .await
}

/// Reset redemption (spec §3.4), admins only: keeps the object id, UPN, groups and assignments;
/// clears the binding to the home identity, returns to `PendingAcceptance` and sends a new ticket,
/// optionally to a new address.
pub async fn reset_redemption(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    user_id: &str,
    new_email: Option<&str>,
) -> Result<Reissued> {
    let env = MailEnv::of(svc)?;
    let new_email = new_email.map(EmailAddress::parse).transpose()?;
    let (tenant_c, actor_c, user_id_c, now) = (
        tenant.clone(),
        actor.clone(),
        user_id.to_string(),
        svc.now(),
    );
    svc.write_as(actor, tenant, Action::ResetRedemption, user_id, move |c, _| {
            let user_id = user_id_c;
            let (mut guest, inv) = guest_and_invitation(c, &tenant_c, &user_id)?;
            let mut req = request_of(&inv, UserType::parse(&guest.user_type)?);
            if let Some(e) = &new_email {
                if let Some(other) = queries::users::by_tenant_and_mail(c, &tenant_c.id, &e.lower())?
                    && other.id != guest.id
                {
                    return Err(Error::Conflict(format!("{} already has a user object here", e.as_str())));
                }
                req.email = e.as_str().to_string();
                guest.mail = e.as_str().to_string();
                guest.mail_lower = e.lower();
            }
            let p = prepare(&tenant_c, &req)?;
            if queries::invitations::is_blocked(c, &p.email.lower())? {
                return Err(Error::Forbidden(format!("{} asked not to receive invitations", p.email.as_str())));
            }
            guest.external_user_state = Some(ExternalUserState::PendingAcceptance.as_str().into());
            guest.external_user_state_changed_at = Some(now);
            guest.home_user_id = None;
            guest.home_issuer = None;
            guest.alt_sec_id = None;
            guest.sign_in_name = None;
            guest.updated_at = now;
            queries::users::update(c, &guest)?;
            void_open(c, &guest.id, now)?;
            let issued = issue(c, &env, &tenant_c, &actor_c, &guest.id, &p, &req, Brand { name: &tenant_c.display_name }, None, now)?;
            audit(
                c,
                &tenant_c,
                events::RESET_REDEMPTION,
                &actor_c,
                &guest.id,
                serde_json::json!({ "invitationId": issued.invitation_id, "email": p.email.as_str() }),
            )?;
            Ok(Reissued {
                id: issued.invitation_id,
                invite_redeem_url: issued.redeem_url,
                invited_user: InvitedUserRef { id: guest.id },
                status: "PendingAcceptance".into(),
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(951_782_400), "2000-02-29");
        assert_eq!(date_of(1_795_728_680), "2026-11-26");
    }
}
