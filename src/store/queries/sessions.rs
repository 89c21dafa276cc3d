use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::SessionRow;
use crate::store::schema::sessions::dsl as s;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &SessionRow) -> Result<()> {
    diesel::insert_into(s::sessions).values(row).execute(c)?;
    Ok(())
}

pub fn by_secret_hash(c: &mut AnyConnection, hash: &str, now: i64) -> Result<Option<SessionRow>> {
    Ok(s::sessions
        .filter(s::secret_hash.eq(hash).and(s::expires_at.gt(now)))
        .select(SessionRow::as_select())
        .first(c)
        .optional()?)
}

pub fn delete(c: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::delete(s::sessions.find(id)).execute(c)?;
    Ok(())
}

pub fn delete_expired(c: &mut AnyConnection, now: i64) -> Result<usize> {
    Ok(diesel::delete(s::sessions.filter(s::expires_at.le(now))).execute(c)?)
}
