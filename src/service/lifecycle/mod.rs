//! The guest lifecycle job: guests whose access ended are disabled, idle guests are disabled (tenant
//! policy), sponsors are asked to review their guests and the unanswered are disabled (tenant policy),
//! and guests the lifecycle disabled are deleted after a grace period (tenant policy).
//!
//! [`run`] takes the time to judge by as a parameter, so tests move the clock instead of waiting; what
//! it writes as "when it happened" (audit, sessions ended, the outbox) is the real time. A round runs
//! in the one process holding the job's lease, and every step is also a conditional update whose count
//! says whether this process made it: a second process, or a round that outlived its lease, finds
//! nothing left to do rather than doing it twice. Each step ends trust the way an admin's disable does
//! (`users::end_trust`) and is recorded with `audit::record`, so apps get back-channel logout tokens and
//! webhook subscribers get the events with no code of their own here.

pub mod review;
pub mod sponsors;

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use crate::domain::language::Language;
use crate::domain::lifecycle::{DisabledReason, GuestLifecycle, last_active};
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::mail::review::{ReviewEmail, ReviewedGuest, render};
use crate::observability::metrics::{self, LifecycleAction};
use crate::store::connection::AnyConnection;
use crate::store::models::{GuestReviewRow, ReviewRoundRow, UserRow};
use crate::store::queries::{self, lifecycle as q};
use std::collections::{BTreeMap, HashMap};

/// The name of the job's lease.
const LEASE: &str = "lifecycle";
/// How long a round may hold the lease (real seconds) before another process may take it over.
const LEASE_SECONDS: i64 = 600;
/// Rows handled per read.
const PAGE: i64 = 200;
/// Who the audit log names for steps the job takes.
pub const JOB_ACTOR: &str = "lifecycle";

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// False when another process held the lease and this one did nothing.
    pub ran: bool,
    pub access_ended: usize,
    pub inactive: usize,
    pub unreviewed: usize,
    pub deleted: usize,
    pub reviews_started: usize,
    pub review_emails: usize,
}

/// Runs every lifecycle step once, judging by `now`, if this process can take the lease.
pub async fn run(svc: &Services, now: i64) -> Result<Report> {
    let holder = uuid::Uuid::new_v4().to_string();
    let (h, real) = (holder.clone(), svc.now());
    let taken = svc
        .store
        .write(move |c| q::take_lease(c, LEASE, &h, real, real + LEASE_SECONDS))
        .await?;
    if !taken {
        metrics::lifecycle_run("skipped");
        return Ok(Report::default());
    }
    let outcome = steps(svc, now, Some(&holder)).await;
    let released = svc
        .store
        .write(move |c| q::release_lease(c, LEASE, &holder))
        .await;
    let report = outcome?;
    released?;
    metrics::lifecycle_run("ran");
    Ok(report)
}

/// The work of a round without the lease: what [`run`] does once it holds it. Two of these at once
/// still act once on each guest (every step is conditional); the lease only keeps the work from being
/// done twice over. With `holder`, the lease is renewed before each tenant, and the round stops if
/// another process has taken it over.
pub async fn steps(svc: &Services, now: i64, holder: Option<&str>) -> Result<Report> {
    let mut report = Report {
        ran: true,
        access_ended: end_access(svc, now).await?,
        ..Report::default()
    };
    let tenants = svc.store.read(queries::tenants::list).await?;
    for row in tenants {
        if let Some(holder) = holder {
            let (h, real) = (holder.to_string(), svc.now());
            let kept = svc
                .store
                .write(move |c| q::take_lease(c, LEASE, &h, real, real + LEASE_SECONDS))
                .await?;
            if !kept {
                tracing::warn!("guest lifecycle round stopped: another process took its lease");
                break;
            }
        }
        let tenant = Tenant::from_row(row, &svc.config.public_url);
        let policy = tenant.settings.lifecycle.clone();
        report.inactive += disable_idle(svc, &tenant, &policy, now).await?;
        report.unreviewed += close_rounds(svc, &tenant, &policy, now).await?;
        if let Some(emails) = start_round(svc, &tenant, &policy, now).await? {
            report.reviews_started += 1;
            report.review_emails += emails;
        }
        report.deleted += delete_disabled(svc, &tenant, &policy, now).await?;
    }
    metrics::lifecycle_action(LifecycleAction::DisabledAccessEnded, report.access_ended);
    metrics::lifecycle_action(LifecycleAction::DisabledInactive, report.inactive);
    metrics::lifecycle_action(LifecycleAction::DisabledUnreviewed, report.unreviewed);
    metrics::lifecycle_action(LifecycleAction::Deleted, report.deleted);
    metrics::lifecycle_action(LifecycleAction::ReviewEmailSent, report.review_emails);
    Ok(report)
}

/// Runs rounds every `lifecycle_interval` seconds with the real time, unless the interval is 0.
pub fn spawn(svc: &Services) {
    let seconds = svc.config.lifecycle_interval;
    if seconds <= 0 {
        return;
    }
    let svc = svc.clone();
    super::rounds::repeat(
        std::time::Duration::from_secs(seconds as u64),
        "guest lifecycle round",
        move || {
            let svc = svc.clone();
            async move {
                let now = svc.now();
                if let Err(e) = run(&svc, now).await {
                    metrics::lifecycle_run("failed");
                    return Err(e);
                }
                Ok(false)
            }
        },
    );
}

/// Disables `user` for `reason` in the caller's transaction, as an admin's disable would: sessions end,
/// grants are revoked (apps are told), the audit log and webhooks hear of it. False when the user was
/// disabled already, or is the tenant's last enabled admin (who is kept, so someone can still sign in
/// to fix things).
pub(crate) fn disable(
    c: &mut AnyConnection,
    user: &UserRow,
    reason: DisabledReason,
    actor: &str,
    judged_at: i64,
) -> Result<bool> {
    let real = crate::clock::now();
    let roles = queries::users::roles_of(c, &user.id)?;
    if roles.contains(Role::Admin)
        && queries::users::count_enabled_with_role(c, &user.tenant_id, Role::Admin)? <= 1
    {
        return Ok(false);
    }
    if !q::disable_if_enabled(c, &user.id, real)? {
        return Ok(false);
    }
    q::mark_disabled(
        c,
        &user.tenant_id,
        &user.id,
        reason.as_str(),
        judged_at,
        real,
    )?;
    queries::users::end_trust(c, &user.id, real)?;
    audit::record(
        c,
        AuditEvent {
            tenant_id: &user.tenant_id,
            event_name: events::DISABLE_USER,
            actor,
            target: &user.id,
            outcome: "success",
            details: serde_json::json!({
                "reason": reason.as_str(),
                "userPrincipalName": user.user_principal_name,
                "mail": user.mail,
                "userType": user.user_type,
            }),
        },
    )?;
    Ok(true)
}

/// Guests whose end date passed, in every tenant.
async fn end_access(svc: &Services, now: i64) -> Result<usize> {
    let mut done = 0;
    loop {
        let page = svc
            .store
            .read(move |c| q::access_ended(c, now, PAGE))
            .await?;
        let full = page.len() as i64 == PAGE;
        let mut acted = 0;
        for user in page {
            let changed = svc
                .store
                .write(move |c| disable(c, &user, DisabledReason::AccessEnded, JOB_ACTOR, now))
                .await?;
            acted += usize::from(changed);
        }
        done += acted;
        // A full page where nothing changed is a page of kept admins: stop rather than spin.
        if !full || acted == 0 {
            return Ok(done);
        }
    }
}

/// Guests of `tenant` idle for longer than the policy allows.
async fn disable_idle(
    svc: &Services,
    tenant: &Tenant,
    policy: &GuestLifecycle,
    now: i64,
) -> Result<usize> {
    let Some(before) = policy.idle_before(now) else {
        return Ok(0);
    };
    let mut done = 0;
    let mut after = String::new();
    loop {
        let (tenant_id, from) = (tenant.id.clone(), after.clone());
        let (page, vouched) = svc
            .store
            .read(move |c| {
                let page = q::idle_candidates(c, &tenant_id, before, &from, PAGE)?;
                let ids: Vec<String> = page.iter().map(|u| u.id.clone()).collect();
                Ok((page, q::vouched(c, &ids)?))
            })
            .await?;
        let Some(last) = page.last() else {
            return Ok(done);
        };
        after = last.id.clone();
        for user in page {
            let active = last_active(
                user.last_sign_in_at,
                user.created_at,
                vouched.get(&user.id).copied(),
            );
            if !policy.is_inactive(active, now) {
                continue;
            }
            let changed = svc
                .store
                .write(move |c| disable(c, &user, DisabledReason::Inactive, JOB_ACTOR, now))
                .await?;
            done += usize::from(changed);
        }
    }
}

/// Closes the rounds whose deadline passed; disables the guests nobody answered for when the policy
/// says so. The close is conditional, so one process closes each round.
async fn close_rounds(
    svc: &Services,
    tenant: &Tenant,
    policy: &GuestLifecycle,
    now: i64,
) -> Result<usize> {
    let (tenant_id, disable_unreviewed) = (tenant.id.clone(), policy.disable_unreviewed);
    svc.store
        .write(move |c| {
            let mut done = 0;
            for round in q::rounds_past_deadline(c, &tenant_id, now)? {
                if !q::close_round(c, &round.id, crate::clock::now())? || !disable_unreviewed {
                    continue;
                }
                for guest_id in q::unanswered(c, &round.id)? {
                    let Some(user) = queries::users::by_id(c, &guest_id)? else {
                        continue;
                    };
                    // A guest whose links all lost their holders (sponsors changed or disabled
                    // since the round began) could not be answered for; the next round asks again.
                    if !review::answerable(c, &round.id, &user)? {
                        continue;
                    }
                    if disable(c, &user, DisabledReason::Unreviewed, JOB_ACTOR, now)? {
                        done += 1;
                    }
                }
            }
            Ok(done)
        })
        .await
}

/// Starts a review round when one is due and none is open: a link per guest and reviewer, one email per
/// reviewer. A guest's reviewers are their enabled sponsors, or the tenant's admins when they have
/// none. The number of emails queued, or `None` when no round started.
async fn start_round(
    svc: &Services,
    tenant: &Tenant,
    policy: &GuestLifecycle,
    now: i64,
) -> Result<Option<usize>> {
    if policy.review_every_days.is_none() {
        return Ok(None);
    }
    match start_round_once(svc, tenant, policy, now).await {
        // Another process started this round first (the number is unique per tenant).
        Err(Error::Conflict(_)) => Ok(None),
        other => other,
    }
}

async fn start_round_once(
    svc: &Services,
    tenant: &Tenant,
    policy: &GuestLifecycle,
    now: i64,
) -> Result<Option<usize>> {
    let from = crate::mail::sender(&svc.config.mail_from)?;
    let host = crate::mail::message_id_host(&svc.config.public_url);
    let (t, p) = (tenant.clone(), policy.clone());
    svc.store
        .write(move |c| {
            let latest = q::latest_round(c, &t.id)?;
            let open = latest.as_ref().is_some_and(|r| r.closed_at.is_none());
            if open || !p.review_due(latest.as_ref().map(|r| r.started_at), now) {
                return Ok(None);
            }
            let round = ReviewRoundRow {
                id: uuid::Uuid::new_v4().to_string(),
                tenant_id: t.id.clone(),
                number: latest.map_or(1, |r| r.number + 1),
                started_at: now,
                deadline: p.review_deadline(now),
                closed_at: None,
            };
            // Unique per tenant and number: a second process starting the same round fails here.
            q::insert_round(c, &round)?;
            let lists = review_lists(c, &t, &round)?;
            let emails = send_reviews(c, &t, &p, &round, lists, (&from, &host))?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &t.id,
                    event_name: events::START_GUEST_REVIEW,
                    actor: JOB_ACTOR,
                    target: &round.id,
                    outcome: "success",
                    details: serde_json::json!({
                        "round": round.number,
                        "deadline": crate::domain::calendar::timestamp_of(round.deadline),
                        "reviewers": emails,
                    }),
                },
            )?;
            Ok(Some(emails))
        })
        .await
}

/// Each reviewer's guests in `round`, with a fresh link per guest (stored as its hash).
fn review_lists(
    c: &mut AnyConnection,
    tenant: &Tenant,
    round: &ReviewRoundRow,
) -> Result<BTreeMap<String, Vec<ReviewedGuest>>> {
    let mut sponsors: HashMap<String, Vec<String>> = HashMap::new();
    for (guest, sponsor) in q::sponsorships(c, &tenant.id)? {
        sponsors.entry(guest).or_default().push(sponsor);
    }
    let admins = q::enabled_admins(c, &tenant.id)?;
    let mut lists: BTreeMap<String, Vec<ReviewedGuest>> = BTreeMap::new();
    let mut after = String::new();
    loop {
        let page = q::enabled_guests(c, &tenant.id, &after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(lists);
        };
        after = last.id.clone();
        for guest in page {
            let reviewers = sponsors
                .get(&guest.id)
                .filter(|s| !s.is_empty())
                .unwrap_or(&admins);
            for reviewer in reviewers.iter().filter(|r| **r != guest.id) {
                let token = crate::crypto::random_token();
                q::insert_review(
                    c,
                    &GuestReviewRow {
                        token_hash: crate::crypto::hash_secret(&token),
                        round_id: round.id.clone(),
                        tenant_id: tenant.id.clone(),
                        guest_id: guest.id.clone(),
                        sponsor_id: reviewer.clone(),
                        decision: None,
                        decided_at: None,
                        created_at: crate::clock::now(),
                    },
                )?;
                let link = format!("{}/review/{token}", tenant.issuer);
                lists
                    .entry(reviewer.clone())
                    .or_default()
                    .push(ReviewedGuest {
                        name: guest.display_name.clone(),
                        email: guest.mail.clone(),
                        last_sign_in: guest.last_sign_in_at,
                        keep_url: format!("{link}?decision=keep"),
                        remove_url: format!("{link}?decision=remove"),
                    });
            }
        }
    }
}

/// One email per reviewer, in their language; how many were queued.
fn send_reviews(
    c: &mut AnyConnection,
    tenant: &Tenant,
    policy: &GuestLifecycle,
    round: &ReviewRoundRow,
    lists: BTreeMap<String, Vec<ReviewedGuest>>,
    (from, host): (&lettre::message::Mailbox, &str),
) -> Result<usize> {
    let mut sent = 0;
    for (reviewer, guests) in lists {
        let Some(user) = queries::users::by_id(c, &reviewer)? else {
            continue;
        };
        let language = user
            .preferred_language
            .as_deref()
            .and_then(|l| Language::parse(l).ok())
            .unwrap_or(tenant.settings.default_language);
        let rendered = render(&ReviewEmail {
            language,
            tenant_name: &tenant.display_name,
            logo_url: tenant.settings.logo_url.as_deref(),
            primary_color: &tenant.settings.primary_color,
            background_color: &tenant.settings.background_color,
            email: &user.mail,
            deadline: round.deadline,
            disable_unreviewed: policy.disable_unreviewed,
            guests: &guests,
        })?;
        crate::mail::outbox::enqueue(
            c,
            from,
            host,
            &tenant.id,
            "guest-review",
            &rendered.to_outgoing(&user.mail),
            crate::clock::now(),
        )?;
        sent += 1;
    }
    Ok(sent)
}

/// Guests the lifecycle disabled longer ago than the grace period, and nobody enabled since.
async fn delete_disabled(
    svc: &Services,
    tenant: &Tenant,
    policy: &GuestLifecycle,
    now: i64,
) -> Result<usize> {
    let Some(before) = policy.delete_disabled_before(now) else {
        return Ok(0);
    };
    let mut done = 0;
    loop {
        let tenant_id = tenant.id.clone();
        let page = svc
            .store
            .read(move |c| q::deletable(c, &tenant_id, before, PAGE))
            .await?;
        let full = page.len() as i64 == PAGE;
        let mut acted = 0;
        for user in page {
            let deleted = match svc.store.write(move |c| delete(c, &user, before)).await {
                Ok(deleted) => deleted,
                Err(Error::Conflict(_)) => false,
                Err(e) => return Err(e),
            };
            acted += usize::from(deleted);
        }
        done += acted;
        if !full || acted == 0 {
            return Ok(done);
        }
    }
}

/// Deletes a guest the lifecycle disabled before `before`, after checking again in this transaction
/// (an admin may have enabled them, another process may have deleted them).
fn delete(c: &mut AnyConnection, user: &UserRow, before: i64) -> Result<bool> {
    let Some(current) = queries::users::by_id(c, &user.id)? else {
        return Ok(false);
    };
    let state = q::state_of(c, &user.id)?;
    let due = state
        .as_ref()
        .and_then(|s| s.disabled_at)
        .is_some_and(|at| at < before);
    if current.enabled || !due {
        return Ok(false);
    }
    let real = crate::clock::now();
    // Anything left of the guest's sessions and grants ends (and apps are told) before the row goes;
    // the delete itself is conditional, so of two processes only one records it.
    queries::users::end_trust(c, &user.id, real)?;
    if !q::delete_if_disabled(c, &user.id)? {
        // Enabled or deleted meanwhile: roll back rather than keep the trust ended above.
        return Err(Error::Conflict("the guest changed meanwhile".into()));
    }
    audit::record(
        c,
        AuditEvent {
            tenant_id: &user.tenant_id,
            event_name: events::DELETE_USER,
            actor: JOB_ACTOR,
            target: &user.id,
            outcome: "success",
            details: serde_json::json!({
                "reason": state.and_then(|s| s.disabled_reason),
                "userPrincipalName": current.user_principal_name,
                "mail": current.mail,
                "userType": current.user_type,
            }),
        },
    )?;
    Ok(true)
}
