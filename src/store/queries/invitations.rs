//! Invitations, blocked addresses and CSV batches.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{CsvUploadRow, InvitationBatchRow, InvitationRecord};
use crate::store::schema::invitation_batches::dsl as b;
use crate::store::schema::invitation_blocks::dsl as bl;
use crate::store::schema::invitations::dsl as i;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &InvitationRecord) -> Result<()> {
    diesel::insert_into(i::invitations).values(row).execute(c)?;
    Ok(())
}

pub fn update(c: &mut AnyConnection, row: &InvitationRecord) -> Result<()> {
    diesel::update(i::invitations.find(&row.id))
        .set(row)
        .execute(c)?;
    Ok(())
}

pub fn by_ticket_hash(c: &mut AnyConnection, hash: &str) -> Result<Option<InvitationRecord>> {
    Ok(i::invitations
        .filter(i::ticket_hash.eq(hash))
        .select(InvitationRecord::as_select())
        .first(c)
        .optional()?)
}

pub fn by_id(c: &mut AnyConnection, tenant_id: &str, id: &str) -> Result<Option<InvitationRecord>> {
    Ok(i::invitations
        .filter(i::id.eq(id).and(i::tenant_id.eq(tenant_id)))
        .select(InvitationRecord::as_select())
        .first(c)
        .optional()?)
}

/// The newest invitation of a guest object.
pub fn latest_for_user(c: &mut AnyConnection, user_id: &str) -> Result<Option<InvitationRecord>> {
    Ok(i::invitations
        .filter(i::user_id.eq(user_id))
        .order(i::created_at.desc())
        .select(InvitationRecord::as_select())
        .first(c)
        .optional()?)
}

/// An invitation of a guest that is neither redeemed nor voided.
pub fn latest_open_for_user(
    c: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<InvitationRecord>> {
    Ok(i::invitations
        .filter(
            i::user_id
                .eq(user_id)
                .and(i::voided_at.is_null())
                .and(i::redeemed_at.is_null()),
        )
        .order(i::created_at.desc())
        .select(InvitationRecord::as_select())
        .first(c)
        .optional()?)
}

/// A page of a tenant's invitations, newest first; only those `invited_by` created when it is given.
pub fn list(
    c: &mut AnyConnection,
    tenant_id: &str,
    invited_by: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<InvitationRecord>> {
    let mut q = i::invitations
        .filter(i::tenant_id.eq(tenant_id))
        .into_boxed();
    if let Some(who) = invited_by {
        q = q.filter(i::invited_by.eq(who));
    }
    Ok(q.order((i::created_at.desc(), i::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(InvitationRecord::as_select())
        .load(c)?)
}

/// What an invitation to an address must know first, in one statement: the id of the tenant's user
/// with that address, if there is one, and whether the address asked not to be invited.
pub fn address_standing(
    c: &mut AnyConnection,
    tenant_id: &str,
    email_lower: &str,
) -> Result<(Option<String>, bool)> {
    use crate::store::schema::users::dsl as u;
    let existing = u::users
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::mail_lower.eq(email_lower)),
        )
        .select(u::id)
        .single_value();
    let blocked = diesel::dsl::exists(bl::invitation_blocks.find(email_lower));
    Ok(diesel::select((existing, blocked)).get_result(c)?)
}

pub fn is_blocked(c: &mut AnyConnection, email_lower: &str) -> Result<bool> {
    Ok(bl::invitation_blocks
        .find(email_lower)
        .count()
        .get_result::<i64>(c)?
        > 0)
}

pub fn block(c: &mut AnyConnection, email_lower: &str, now: i64) -> Result<bool> {
    if is_blocked(c, email_lower)? {
        return Ok(false);
    }
    diesel::insert_into(bl::invitation_blocks)
        .values((bl::email_lower.eq(email_lower), bl::created_at.eq(now)))
        .execute(c)?;
    Ok(true)
}

pub fn insert_batch(c: &mut AnyConnection, row: &InvitationBatchRow) -> Result<()> {
    diesel::insert_into(b::invitation_batches)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn batch(
    c: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
) -> Result<Option<InvitationBatchRow>> {
    Ok(b::invitation_batches
        .filter(b::id.eq(id).and(b::tenant_id.eq(tenant_id)))
        .select(InvitationBatchRow::as_select())
        .first(c)
        .optional()?)
}

/// An outbox row's delivery facts: (id, state, attempts, last error, sent at).
pub type DeliveryState = (String, String, i64, Option<String>, Option<i64>);

/// Delivery state of the invitation emails among `outbox_ids`.
pub fn delivery_states(c: &mut AnyConnection, outbox_ids: &[String]) -> Result<Vec<DeliveryState>> {
    use crate::store::schema::outbox_messages::dsl as o;
    Ok(o::outbox_messages
        .filter(o::id.eq_any(outbox_ids))
        .select((o::id, o::state, o::attempts, o::last_error, o::sent_at))
        .load(c)?)
}

pub fn insert_upload(c: &mut AnyConnection, row: &CsvUploadRow) -> Result<()> {
    use crate::store::schema::csv_uploads::dsl as cu;
    diesel::insert_into(cu::csv_uploads)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn upload(
    c: &mut AnyConnection,
    tenant_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<CsvUploadRow>> {
    use crate::store::schema::csv_uploads::dsl as cu;
    Ok(cu::csv_uploads
        .filter(
            cu::id
                .eq(id)
                .and(cu::tenant_id.eq(tenant_id))
                .and(cu::expires_at.gt(now)),
        )
        .select(CsvUploadRow::as_select())
        .first(c)
        .optional()?)
}

/// Deletes the upload `id` (used) and every stale one.
pub fn delete_upload(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    use crate::store::schema::csv_uploads::dsl as cu;
    diesel::delete(cu::csv_uploads.filter(cu::id.eq(id).or(cu::expires_at.le(now)))).execute(c)?;
    Ok(())
}

/// The tenant's most recent CSV batches, newest first.
pub fn batches(
    c: &mut AnyConnection,
    tenant_id: &str,
    limit: i64,
) -> Result<Vec<InvitationBatchRow>> {
    Ok(b::invitation_batches
        .filter(b::tenant_id.eq(tenant_id))
        .order(b::created_at.desc())
        .limit(limit)
        .select(InvitationBatchRow::as_select())
        .load(c)?)
}
