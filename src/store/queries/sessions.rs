use super::backchannel::Ended;
use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::SessionRow;
use crate::store::schema::sessions::dsl as s;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &SessionRow) -> Result<()> {
    diesel::insert_into(s::sessions).values(row).execute(c)?;
    Ok(())
}

/// The live session with this secret: before its absolute end, and used within `idle_ttl` seconds.
pub fn by_secret_hash(
    c: &mut AnyConnection,
    hash: &str,
    now: i64,
    idle_ttl: i64,
) -> Result<Option<SessionRow>> {
    Ok(s::sessions
        .filter(
            s::secret_hash
                .eq(hash)
                .and(s::expires_at.gt(now))
                .and(s::last_seen_at.gt(now - idle_ttl)),
        )
        .select(SessionRow::as_select())
        .first(c)
        .optional()?)
}

/// Notes that a session was used at `now`.
pub fn touch(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    diesel::update(s::sessions.find(id))
        .set(s::last_seen_at.eq(now))
        .execute(c)?;
    Ok(())
}

/// Ends one session (sign-out); the apps it signed in to are told on the back channel.
pub fn delete(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    // The session goes first: a code exchange that commits meanwhile either sees it gone, or made its
    // grant before this transaction reads the session's grants.
    diesel::delete(s::sessions.find(id)).execute(c)?;
    super::backchannel::queue(c, Ended::Sessions(&[id.to_string()]), "signed out", now)?;
    Ok(())
}

/// Ends every session of `user_id` (disabled, deleted, reset); their apps are told on the back
/// channel. How many ended.
pub fn delete_all(c: &mut AnyConnection, user_id: &str, now: i64) -> Result<usize> {
    let ids: Vec<String> = s::sessions
        .filter(s::user_id.eq(user_id))
        .select(s::id)
        .load(c)?;
    end(c, &ids, "access ended", now)
}

/// Whether the session `id` still exists.
pub fn exists(c: &mut AnyConnection, id: &str) -> Result<bool> {
    Ok(s::sessions.find(id).count().get_result::<i64>(c)? > 0)
}

fn end(c: &mut AnyConnection, ids: &[String], reason: &str, now: i64) -> Result<usize> {
    let n = diesel::delete(s::sessions.filter(s::id.eq_any(ids))).execute(c)?;
    super::backchannel::queue(c, Ended::Sessions(ids), reason, now)?;
    Ok(n)
}

/// Removes sessions past their absolute end or unused for `idle_ttl` seconds.
pub fn delete_expired(c: &mut AnyConnection, now: i64, idle_ttl: i64) -> Result<usize> {
    Ok(diesel::delete(
        s::sessions.filter(s::expires_at.le(now).or(s::last_seen_at.le(now - idle_ttl))),
    )
    .execute(c)?)
}

/// The sessions of `user_id`, newest first.
pub fn of_user(c: &mut AnyConnection, user_id: &str) -> Result<Vec<SessionRow>> {
    Ok(s::sessions
        .filter(s::user_id.eq(user_id))
        .order(s::created_at.desc())
        .select(SessionRow::as_select())
        .load(c)?)
}

/// Ends every session of `user_id` but `keep`; how many ended. Their apps are told on the back channel.
pub fn delete_others(c: &mut AnyConnection, user_id: &str, keep: &str, now: i64) -> Result<usize> {
    let ids: Vec<String> = s::sessions
        .filter(s::user_id.eq(user_id).and(s::id.ne(keep)))
        .select(s::id)
        .load(c)?;
    end(c, &ids, "signed out elsewhere", now)
}
