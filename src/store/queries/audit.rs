use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::AuditEventRow;
use crate::store::schema::audit_events::dsl as ae;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &AuditEventRow) -> Result<()> {
    diesel::insert_into(ae::audit_events)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn recent(c: &mut AnyConnection, tenant_id: &str, limit: i64) -> Result<Vec<AuditEventRow>> {
    Ok(ae::audit_events
        .filter(ae::tenant_id.eq(tenant_id))
        .order((ae::at.desc(), ae::id.desc()))
        .limit(limit)
        .select(AuditEventRow::as_select())
        .load(c)?)
}
