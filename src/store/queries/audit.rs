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

/// Inserts several events with one statement (the multi-backend type has no multi-row insert, so it
/// runs on the concrete connection).
pub fn insert_all(c: &mut AnyConnection, rows: &[AuditEventRow]) -> Result<()> {
    let insert = diesel::insert_into(ae::audit_events).values(rows);
    match c {
        AnyConnection::Postgres(pg) => insert.execute(pg)?,
        AnyConnection::Sqlite(lite) => insert.execute(lite)?,
    };
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

/// Filters of the audit log; all optional, combined with "and".
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub event_name: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// Keyset cursor: (at, id) of the last row of the previous page (newest first).
    pub before: Option<(i64, String)>,
}

/// A page of the tenant's audit events, newest first.
pub fn list(
    c: &mut AnyConnection,
    tenant_id: &str,
    f: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEventRow>> {
    let mut q = ae::audit_events
        .filter(ae::tenant_id.eq(tenant_id))
        .select(AuditEventRow::as_select())
        .into_boxed();
    if let Some(v) = &f.event_name {
        q = q.filter(ae::event_name.eq(v.clone()));
    }
    if let Some(v) = &f.actor {
        q = q.filter(ae::actor.eq(v.clone()));
    }
    if let Some(v) = &f.target {
        q = q.filter(ae::target.eq(v.clone()));
    }
    if let Some(v) = f.from {
        q = q.filter(ae::at.ge(v));
    }
    if let Some(v) = f.until {
        q = q.filter(ae::at.lt(v));
    }
    if let Some((at, id)) = &f.before {
        q = q.filter(ae::at.lt(*at).or(ae::at.eq(*at).and(ae::id.lt(id.clone()))));
    }
    Ok(q.order((ae::at.desc(), ae::id.desc()))
        .limit(limit)
        .load(c)?)
}

/// The event names the tenant's log holds, for the filter's choices.
pub fn event_names(c: &mut AnyConnection, tenant_id: &str) -> Result<Vec<String>> {
    Ok(ae::audit_events
        .filter(ae::tenant_id.eq(tenant_id))
        .select(ae::event_name)
        .distinct()
        .order(ae::event_name.asc())
        .load(c)?)
}
