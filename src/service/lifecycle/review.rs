//! A sponsor's answer to a review email: each link names one guest in one round and works once.
//! Opening it only shows the guest (mail scanners fetch links); the decision is a POST. The link is
//! its own credential, so this use case checks it the way an admin's would be checked: the link must
//! be this tenant's, its round still open, and its holder still the guest's reviewer (an enabled
//! sponsor, or an admin when the guest has no sponsor) — a sponsor removed since cannot decide.

use super::super::Services;
use super::super::audit::{self, AuditEvent, events};
use super::super::tenants::Tenant;
use super::disable;
use crate::crypto::hash_secret;
use crate::domain::lifecycle::{ANSWERED_BY_ANOTHER, DisabledReason, ReviewDecision};
use crate::domain::user::Role;
use crate::error::{Error, Result};
use crate::observability::metrics::{self, LifecycleAction};
use crate::store::connection::AnyConnection;
use crate::store::models::{GuestReviewRow, ReviewRoundRow, UserRow};
use crate::store::queries::{self, lifecycle as q};

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Waiting for this sponsor's answer.
    Open,
    /// Used: the guest was kept.
    Kept,
    /// Used: the guest was removed.
    Removed,
    /// Another sponsor answered for this guest first.
    Answered,
    /// The round's deadline passed.
    Closed,
    /// The guest's account was disabled meanwhile (by an admin, or the lifecycle).
    Disabled,
}

/// What the review page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewLink {
    pub guest_name: String,
    pub guest_email: String,
    pub last_sign_in: Option<i64>,
    pub deadline: i64,
    pub state: LinkState,
}

/// Where the link stands at `now`: a round is over at its deadline, even before the job closes it.
fn state_of(row: &GuestReviewRow, round: &ReviewRoundRow, guest: &UserRow, now: i64) -> LinkState {
    match row.decision.as_deref() {
        Some("keep") => LinkState::Kept,
        Some("remove") => LinkState::Removed,
        Some(_) => LinkState::Answered,
        None if round.closed_at.is_some() || now >= round.deadline => LinkState::Closed,
        None if !guest.enabled => LinkState::Disabled,
        None => LinkState::Open,
    }
}

/// Whether `reviewer` may answer for `guest` now: one of the guest's enabled sponsors, or, when the
/// guest has none, an enabled admin — the same people the round sent links to.
fn may_review(c: &mut AnyConnection, guest: &UserRow, reviewer: &str) -> Result<bool> {
    let Some(reviewer) = queries::users::by_id(c, reviewer)?.filter(|u| u.enabled) else {
        return Ok(false);
    };
    let sponsors: Vec<UserRow> = q::sponsors_of(c, &guest.id)?
        .into_iter()
        .filter(|s| s.enabled)
        .collect();
    Ok(if sponsors.is_empty() {
        queries::users::roles_of(c, &reviewer.id)?.contains(Role::Admin)
    } else {
        sponsors.iter().any(|s| s.id == reviewer.id)
    })
}

/// Whether anyone holding one of `guest`'s links in `round` may still answer for them.
pub(super) fn answerable(c: &mut AnyConnection, round_id: &str, guest: &UserRow) -> Result<bool> {
    for holder in q::reviewers_of(c, round_id, &guest.id)? {
        if may_review(c, guest, &holder)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The link's row, round and guest, after every check of its holder.
fn checked(
    c: &mut AnyConnection,
    tenant: &Tenant,
    token: &str,
) -> Result<(GuestReviewRow, ReviewRoundRow, UserRow)> {
    let unknown = || Error::NotFound("review link".into());
    let row = q::review(c, &hash_secret(token))?
        .filter(|r| r.tenant_id == tenant.id)
        .ok_or_else(unknown)?;
    let round = q::round(c, &row.round_id)?.ok_or_else(unknown)?;
    let guest = queries::users::by_id(c, &row.guest_id)?.ok_or_else(unknown)?;
    if !may_review(c, &guest, &row.sponsor_id)? {
        return Err(unknown());
    }
    Ok((row, round, guest))
}

fn view(row: &GuestReviewRow, round: &ReviewRoundRow, guest: &UserRow, now: i64) -> ReviewLink {
    ReviewLink {
        guest_name: guest.display_name.clone(),
        guest_email: guest.mail.clone(),
        last_sign_in: guest.last_sign_in_at,
        deadline: round.deadline,
        state: state_of(row, round, guest, now),
    }
}

/// What the link at `token` shows; unknown links (or links whose holder is no longer the guest's
/// reviewer) are not found.
pub async fn open(svc: &Services, tenant: &Tenant, token: &str) -> Result<ReviewLink> {
    let (t, token, now) = (tenant.clone(), token.to_string(), svc.now());
    svc.store
        .read(move |c| {
            let (row, round, guest) = checked(c, &t, &token)?;
            Ok(view(&row, &round, &guest, now))
        })
        .await
}

/// Records the sponsor's decision once. "Remove" disables the guest at once (sessions end, apps are
/// told); "Keep" counts as activity for the inactivity rule. A link that is not open any more changes
/// nothing and comes back with its state.
pub async fn decide(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    decision: ReviewDecision,
) -> Result<ReviewLink> {
    let (t, token, now) = (tenant.clone(), token.to_string(), svc.now());
    let (link, acted) = svc
        .store
        .write(move |c| {
            let (row, round, guest) = checked(c, &t, &token)?;
            if state_of(&row, &round, &guest, now) != LinkState::Open
                || !q::decide(c, &row.token_hash, decision.as_str(), now)?
            {
                let row = q::review(c, &row.token_hash)?.unwrap_or(row);
                return Ok((view(&row, &round, &guest, now), false));
            }
            q::answer_others(c, &round.id, &guest.id, ANSWERED_BY_ANOTHER, now)?;
            match decision {
                ReviewDecision::Keep => q::vouch(c, &t.id, &guest.id, now)?,
                ReviewDecision::Remove => {
                    // False only for the tenant's last enabled admin, who is kept; the decision
                    // stays recorded.
                    disable(
                        c,
                        &guest,
                        DisabledReason::RemovedBySponsor,
                        &row.sponsor_id,
                        now,
                    )?;
                }
            }
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &t.id,
                    event_name: events::REVIEW_GUEST,
                    actor: &row.sponsor_id,
                    target: &guest.id,
                    outcome: "success",
                    details: serde_json::json!({
                        "decision": decision.as_str(),
                        "round": round.number,
                        "mail": guest.mail,
                    }),
                },
            )?;
            let row = q::review(c, &row.token_hash)?.unwrap_or(row);
            let guest = queries::users::by_id(c, &guest.id)?.unwrap_or(guest);
            Ok((view(&row, &round, &guest, now), true))
        })
        .await?;
    if acted {
        metrics::lifecycle_action(
            match decision {
                ReviewDecision::Keep => LifecycleAction::KeptBySponsor,
                ReviewDecision::Remove => LifecycleAction::RemovedBySponsor,
            },
            1,
        );
    }
    Ok(link)
}
