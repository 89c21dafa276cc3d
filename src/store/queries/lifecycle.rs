//! Guest lifecycle storage: end dates and lifecycle state, sponsors, review rounds and their links, and
//! the job lease. Every change that must happen once is a conditional update whose count says whether
//! this caller made it, so two processes doing the same step cannot both act.

use crate::domain::user::Role;
use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{
    GuestLifecycleRow, GuestReviewRow, GuestSponsorRow, ReviewRoundRow, UserRow,
};
use crate::store::schema::guest_lifecycle::dsl as gl;
use crate::store::schema::guest_reviews::dsl as gr;
use crate::store::schema::guest_sponsors::dsl as gs;
use crate::store::schema::job_leases::dsl as jl;
use crate::store::schema::review_rounds::dsl as rr;
use crate::store::schema::user_roles::dsl as r;
use crate::store::schema::users::dsl as u;
use diesel::prelude::*;

pub const GUEST: &str = "Guest";

// ---- end dates and lifecycle state ----

pub fn state_of(c: &mut AnyConnection, user_id: &str) -> Result<Option<GuestLifecycleRow>> {
    Ok(gl::guest_lifecycle
        .find(user_id)
        .select(GuestLifecycleRow::as_select())
        .first(c)
        .optional()?)
}

/// Makes the guest's lifecycle row when there is none (the first change to it).
fn ensure(c: &mut AnyConnection, tenant_id: &str, user_id: &str, now: i64) -> Result<()> {
    if state_of(c, user_id)?.is_none() {
        diesel::insert_into(gl::guest_lifecycle)
            .values(&GuestLifecycleRow {
                user_id: user_id.into(),
                tenant_id: tenant_id.into(),
                access_expires_at: None,
                disabled_at: None,
                disabled_reason: None,
                vouched_at: None,
                updated_at: now,
            })
            .execute(c)?;
    }
    Ok(())
}

// Each change writes only its own columns, so a sponsor's Keep and the job's disable of the same
// guest, in two transactions at once, cannot undo each other.

/// Sets (or, with `None`, clears) when the guest's access ends.
pub fn set_access_end(
    c: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    at: Option<i64>,
    now: i64,
) -> Result<()> {
    ensure(c, tenant_id, user_id, now)?;
    diesel::update(gl::guest_lifecycle.find(user_id))
        .set((gl::access_expires_at.eq(at), gl::updated_at.eq(now)))
        .execute(c)?;
    Ok(())
}

/// Records that the lifecycle disabled the guest, judged at `judged_at`, for `reason`.
pub fn mark_disabled(
    c: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    reason: &str,
    judged_at: i64,
    now: i64,
) -> Result<()> {
    ensure(c, tenant_id, user_id, now)?;
    diesel::update(gl::guest_lifecycle.find(user_id))
        .set((
            gl::disabled_at.eq(Some(judged_at)),
            gl::disabled_reason.eq(Some(reason)),
            gl::updated_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

/// Someone vouched for the guest (a sponsor kept them): inactivity counts from `now`.
pub fn vouch(c: &mut AnyConnection, tenant_id: &str, user_id: &str, now: i64) -> Result<()> {
    ensure(c, tenant_id, user_id, now)?;
    diesel::update(gl::guest_lifecycle.find(user_id))
        .set((gl::vouched_at.eq(Some(now)), gl::updated_at.eq(now)))
        .execute(c)?;
    Ok(())
}

/// An admin enabled the guest again: no deletion is pending, and inactivity counts from `now`.
pub fn enabled_again(c: &mut AnyConnection, user_id: &str, now: i64) -> Result<()> {
    diesel::update(gl::guest_lifecycle.find(user_id))
        .set((
            gl::disabled_at.eq(None::<i64>),
            gl::disabled_reason.eq(None::<String>),
            gl::vouched_at.eq(Some(now)),
            gl::updated_at.eq(now),
        ))
        .execute(c)?;
    Ok(())
}

/// Deletes a user the lifecycle disabled, if it is still disabled; false when it is not (an admin
/// enabled it) or is gone (another process deleted it).
pub fn delete_if_disabled(c: &mut AnyConnection, user_id: &str) -> Result<bool> {
    // Roles, sessions, sponsorships and the rest go with the row (ON DELETE CASCADE).
    let n =
        diesel::delete(u::users.filter(u::id.eq(user_id).and(u::enabled.eq(false)))).execute(c)?;
    Ok(n == 1)
}

/// Disables an enabled user; false when it was already disabled (another process got there first).
pub fn disable_if_enabled(c: &mut AnyConnection, user_id: &str, now: i64) -> Result<bool> {
    let n = diesel::update(u::users.filter(u::id.eq(user_id).and(u::enabled.eq(true))))
        .set((u::enabled.eq(false), u::updated_at.eq(now)))
        .execute(c)?;
    Ok(n == 1)
}

/// Enabled users whose access ended at `now`, across tenants, at most `limit`.
pub fn access_ended(c: &mut AnyConnection, now: i64, limit: i64) -> Result<Vec<UserRow>> {
    Ok(gl::guest_lifecycle
        .inner_join(u::users.on(u::id.eq(gl::user_id)))
        .filter(
            gl::access_expires_at
                .le(now)
                .and(u::enabled.eq(true))
                .and(u::user_type.eq(GUEST)),
        )
        .order(u::id)
        .limit(limit)
        .select(UserRow::as_select())
        .load(c)?)
}

/// Enabled guests of a tenant that neither signed in nor were created since `before`, after `after_id`
/// in id order: the candidates of the inactivity rule (whether someone vouched since is read apart).
pub fn idle_candidates(
    c: &mut AnyConnection,
    tenant_id: &str,
    before: i64,
    after_id: &str,
    limit: i64,
) -> Result<Vec<UserRow>> {
    Ok(u::users
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::user_type.eq(GUEST))
                .and(u::enabled.eq(true))
                .and(u::created_at.le(before))
                .and(
                    u::last_sign_in_at
                        .is_null()
                        .or(u::last_sign_in_at.le(before)),
                )
                .and(u::id.gt(after_id)),
        )
        .order(u::id)
        .limit(limit)
        .select(UserRow::as_select())
        .load(c)?)
}

/// When someone last vouched for each of `ids` (those with a lifecycle row that says so).
pub fn vouched(
    c: &mut AnyConnection,
    ids: &[String],
) -> Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, Option<i64>)> = gl::guest_lifecycle
        .filter(gl::user_id.eq_any(ids).and(gl::vouched_at.is_not_null()))
        .select((gl::user_id, gl::vouched_at))
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at)))
        .collect())
}

/// Users of a tenant the lifecycle disabled before `before` and nobody enabled since: due for deletion.
pub fn deletable(
    c: &mut AnyConnection,
    tenant_id: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<UserRow>> {
    Ok(gl::guest_lifecycle
        .inner_join(u::users.on(u::id.eq(gl::user_id)))
        .filter(
            gl::tenant_id
                .eq(tenant_id)
                .and(gl::disabled_at.lt(before))
                .and(u::enabled.eq(false))
                .and(u::user_type.eq(GUEST)),
        )
        .order(u::id)
        .limit(limit)
        .select(UserRow::as_select())
        .load(c)?)
}

// ---- sponsors ----

pub fn sponsors_of(c: &mut AnyConnection, guest_id: &str) -> Result<Vec<UserRow>> {
    Ok(gs::guest_sponsors
        .inner_join(u::users.on(u::id.eq(gs::sponsor_id)))
        .filter(gs::guest_id.eq(guest_id))
        .order(u::display_name)
        .select(UserRow::as_select())
        .load(c)?)
}

pub fn add_sponsor(c: &mut AnyConnection, row: &GuestSponsorRow) -> Result<()> {
    diesel::insert_into(gs::guest_sponsors)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn clear_sponsors(c: &mut AnyConnection, guest_id: &str) -> Result<()> {
    diesel::delete(gs::guest_sponsors.filter(gs::guest_id.eq(guest_id))).execute(c)?;
    Ok(())
}

/// The enabled sponsors of a tenant's guests: (guest, sponsor) pairs.
pub fn sponsorships(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<(String, String)>> {
    Ok(gs::guest_sponsors
        .inner_join(u::users.on(u::id.eq(gs::sponsor_id)))
        .filter(gs::tenant_id.eq(tenant_id).and(u::enabled.eq(true)))
        .select((gs::guest_id, gs::sponsor_id))
        .load(c)?)
}

/// A tenant's enabled guests, after `after_id` in id order.
pub fn enabled_guests(
    c: &mut AnyConnection,
    tenant_id: &str,
    after_id: &str,
    limit: i64,
) -> Result<Vec<UserRow>> {
    Ok(u::users
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::user_type.eq(GUEST))
                .and(u::enabled.eq(true))
                .and(u::id.gt(after_id)),
        )
        .order(u::id)
        .limit(limit)
        .select(UserRow::as_select())
        .load(c)?)
}

/// A tenant's enabled admins: the reviewers of guests without a sponsor.
pub fn enabled_admins(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<String>> {
    Ok(r::user_roles
        .inner_join(u::users.on(u::id.eq(r::user_id)))
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::enabled.eq(true))
                .and(r::role.eq(Role::Admin.as_str())),
        )
        .order(u::id)
        .select(u::id)
        .load(c)?)
}

// ---- review rounds and links ----

pub fn latest_round(c: &mut AnyConnection, tenant_id: &str) -> Result<Option<ReviewRoundRow>> {
    Ok(rr::review_rounds
        .filter(rr::tenant_id.eq(tenant_id))
        .order(rr::number.desc())
        .select(ReviewRoundRow::as_select())
        .first(c)
        .optional()?)
}

pub fn round(c: &mut AnyConnection, id: &str) -> Result<Option<ReviewRoundRow>> {
    Ok(rr::review_rounds
        .find(id)
        .select(ReviewRoundRow::as_select())
        .first(c)
        .optional()?)
}

pub fn insert_round(c: &mut AnyConnection, row: &ReviewRoundRow) -> Result<()> {
    diesel::insert_into(rr::review_rounds)
        .values(row)
        .execute(c)?;
    Ok(())
}

/// Open rounds of a tenant whose deadline passed at `now`.
pub fn rounds_past_deadline(
    c: &mut AnyConnection,
    tenant_id: &str,
    now: i64,
) -> Result<Vec<ReviewRoundRow>> {
    Ok(rr::review_rounds
        .filter(
            rr::tenant_id
                .eq(tenant_id)
                .and(rr::closed_at.is_null())
                .and(rr::deadline.le(now)),
        )
        .order(rr::number)
        .select(ReviewRoundRow::as_select())
        .load(c)?)
}

/// Closes a round; false when another process closed it first.
pub fn close_round(c: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let n = diesel::update(rr::review_rounds.filter(rr::id.eq(id).and(rr::closed_at.is_null())))
        .set(rr::closed_at.eq(Some(now)))
        .execute(c)?;
    Ok(n == 1)
}

pub fn insert_review(c: &mut AnyConnection, row: &GuestReviewRow) -> Result<()> {
    diesel::insert_into(gr::guest_reviews)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn review(c: &mut AnyConnection, token_hash: &str) -> Result<Option<GuestReviewRow>> {
    Ok(gr::guest_reviews
        .find(token_hash)
        .select(GuestReviewRow::as_select())
        .first(c)
        .optional()?)
}

/// Records a decision on an undecided link; false when the link was used (or answered) already.
pub fn decide(c: &mut AnyConnection, token_hash: &str, decision: &str, now: i64) -> Result<bool> {
    let n = diesel::update(
        gr::guest_reviews.filter(gr::token_hash.eq(token_hash).and(gr::decision.is_null())),
    )
    .set((
        gr::decision.eq(Some(decision)),
        gr::decided_at.eq(Some(now)),
    ))
    .execute(c)?;
    Ok(n == 1)
}

/// The other sponsors' links for the same guest in the same round stop working once one decided.
pub fn answer_others(
    c: &mut AnyConnection,
    round_id: &str,
    guest_id: &str,
    answered: &str,
    now: i64,
) -> Result<()> {
    diesel::update(
        gr::guest_reviews.filter(
            gr::round_id
                .eq(round_id)
                .and(gr::guest_id.eq(guest_id))
                .and(gr::decision.is_null()),
        ),
    )
    .set((
        gr::decision.eq(Some(answered)),
        gr::decided_at.eq(Some(now)),
    ))
    .execute(c)?;
    Ok(())
}

/// Who holds a link for `guest_id` in `round_id`.
pub fn reviewers_of(c: &mut AnyConnection, round_id: &str, guest_id: &str) -> Result<Vec<String>> {
    Ok(gr::guest_reviews
        .filter(gr::round_id.eq(round_id).and(gr::guest_id.eq(guest_id)))
        .select(gr::sponsor_id)
        .load(c)?)
}

/// Guests of a round no sponsor answered for.
pub fn unanswered(c: &mut AnyConnection, round_id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = gr::guest_reviews
        .filter(gr::round_id.eq(round_id))
        .select((gr::guest_id, gr::decision))
        .load(c)?;
    let decided: std::collections::HashSet<&str> = rows
        .iter()
        .filter(|(_, d)| d.is_some())
        .map(|(g, _)| g.as_str())
        .collect();
    let mut out: Vec<String> = rows
        .iter()
        .filter(|(g, _)| !decided.contains(g.as_str()))
        .map(|(g, _)| g.clone())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

// ---- the job lease ----

/// Takes the lease `name` for `holder` until `until`, when it is free, expired or already ours.
pub fn take_lease(
    c: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<bool> {
    let n = diesel::update(
        jl::job_leases.filter(
            jl::name
                .eq(name)
                .and(jl::until.lt(now).or(jl::holder.eq(holder))),
        ),
    )
    .set((jl::holder.eq(holder), jl::until.eq(until)))
    .execute(c)?;
    Ok(n == 1)
}

/// Gives the lease back, so the next round of any process can take it at once.
pub fn release_lease(c: &mut AnyConnection, name: &str, holder: &str) -> Result<()> {
    diesel::update(jl::job_leases.filter(jl::name.eq(name).and(jl::holder.eq(holder))))
        .set(jl::until.eq(0))
        .execute(c)?;
    Ok(())
}
