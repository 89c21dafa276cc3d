//! Invitations from a CSV file (spec §3.2): every row gets a result, failed rows never stop the others
//! and leave nothing behind. Each row is one [`invite`](super::invite), authorized on its own.

use super::super::Services;
use super::super::auth::{self, Actor};
use super::super::tenants::Tenant;
use super::super::throttle::{self, Reservation};
use super::{
    BudgetUse, InviteOutcome, InviteRequest, KnownIds, ReservedUnits, audit, events,
    invitation_budget, invite_action, invite_with, prepare,
};
use crate::domain::access::Action;
use crate::domain::invitation_csv::{self, ResultLine};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::InvitationBatchRow;
use crate::store::queries;
use futures_util::StreamExt;
use serde::Serialize;
use std::sync::Arc;

/// The result of a CSV upload: one line per row, and the counts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BatchReport {
    pub batch_id: Option<String>,
    pub validate_only: bool,
    pub unknown_columns: Vec<String>,
    pub created: usize,
    pub existing: usize,
    pub failed: usize,
    pub rows: Vec<BatchRow>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct BatchRow {
    pub row: usize,
    pub email: String,
    /// The DisplayName cell as written; batches stored before it was kept read as empty. Named
    /// `displayName` like the API's other fields (and so stored).
    #[serde(default, rename = "displayName")]
    pub display_name: String,
    /// `created`, `exists`, `valid` (validate-only) or `failed`.
    pub outcome: String,
    pub reason: String,
}

impl BatchReport {
    pub fn results_csv(&self) -> String {
        let lines: Vec<ResultLine> = self
            .rows
            .iter()
            .map(|r| ResultLine {
                row: r.row,
                email: r.email.clone(),
                display_name: r.display_name.clone(),
                outcome: r.outcome.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        invitation_csv::results_csv(&lines)
    }
}

fn reason(e: &Error) -> String {
    match e {
        Error::Invalid { field, message } => format!("{field}: {message}"),
        Error::Forbidden(m) | Error::Denied(m) | Error::NotFound(m) | Error::Conflict(m) => {
            m.clone()
        }
        other => other.to_string(),
    }
}

/// CSV rows processed at once.
const CSV_CONCURRENCY: usize = 8;

/// After this many rows of a file, a users table that was nearly empty is described to the database
/// again (`queries::users::describe_when_small`), so the remaining rows look addresses up by index.
const DESCRIBE_AFTER_ROWS: usize = 200;

/// A CSV upload as it arrived.
pub struct CsvUpload<'a> {
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    pub max_rows: usize,
    /// Check every row (including its app and group ids) and create nothing.
    pub validate_only: bool,
}

/// Processes a CSV upload: every row gets a result; failed rows never stop the others and leave
/// nothing behind. `progress` is called after each row with (done, total).
pub async fn invite_from_csv(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    upload: CsvUpload<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<BatchReport> {
    let CsvUpload {
        file_name,
        bytes,
        max_rows,
        validate_only,
    } = upload;
    let parsed = invitation_csv::parse(bytes, max_rows)
        .map_err(|e| Error::invalid("file", e.to_string()))?;
    // The file as a whole: its group and application columns grant access, which only admins may.
    let grants_access = parsed.rows.iter().any(|r| {
        r.outcome
            .as_ref()
            .is_ok_and(|v| !v.app_ids.is_empty() || !v.group_ids.is_empty())
    });
    let door = Action::Invite {
        policy: tenant.settings.invite_policy,
        as_member: false,
        grants_access,
    };
    let batch_id = (!validate_only).then(|| uuid::Uuid::new_v4().to_string());
    // The file's valid rows take their part of the inviter's hourly budget here, at once, and what
    // they did not use (addresses that already had an account, rows that failed) goes back at the
    // end. Spending row by row would have every row's transaction wait for the one budget row.
    let budget = invitation_budget(tenant, actor);
    let (limits, reserved_at) = (svc.config.limits.clone(), svc.now());
    let valid_rows = parsed.rows.iter().filter(|r| r.outcome.is_ok()).count() as i64;
    let (reservation, known) = match &batch_id {
        Some(id) => {
            let (tenant_c, actor_c, id, name, total) = (
                tenant.clone(),
                actor.clone(),
                id.clone(),
                file_name.to_string(),
                parsed.rows.len(),
            );
            let (limits, budget) = (limits.clone(), budget.clone());
            let named = named_ids(&parsed.rows);
            svc.write_as(actor, tenant, door, file_name, move |c, _| {
                let reservation =
                    throttle::reserve_on(c, &limits, &budget, valid_rows, reserved_at)?;
                let known = known_ids(c, &tenant_c.id, named)?;
                audit(
                    c,
                    &tenant_c,
                    events::BATCH_UPLOADED,
                    &actor_c,
                    &id,
                    serde_json::json!({ "file": name, "rows": total }),
                )?;
                Ok((reservation, Some(Arc::new(known))))
            })
            .await?
        }
        None => {
            auth::may(svc, actor, tenant, door).await?;
            let none = Reservation {
                granted: 0,
                retry_after: 0,
            };
            (none, None)
        }
    };
    let total = parsed.rows.len();
    let mut report = BatchReport {
        batch_id: batch_id.clone(),
        validate_only,
        unknown_columns: parsed.unknown_columns.clone(),
        created: 0,
        existing: 0,
        failed: 0,
        rows: Vec::with_capacity(total),
    };
    // Rows are independent (the parser already refused duplicates within the file), so a few run at
    // once: on PostgreSQL that overlaps round trips, on SQLite the group-commit writer batches them.
    // `buffered` keeps the results in file order.
    {
        let batch_ref = &batch_id;
        let units = Arc::new(ReservedUnits::new(
            reservation.granted,
            reservation.retry_after,
        ));
        let lines = futures_util::stream::iter(parsed.rows.iter())
            .map(|row| {
                let (known, budget_use) = (known.clone(), BudgetUse::Reserved(units.clone()));
                async move {
                    match &row.outcome {
                        Err(_) => {
                            let l = row.result_line();
                            BatchRow {
                                row: l.row,
                                email: l.email,
                                display_name: l.display_name,
                                outcome: "failed".into(),
                                reason: l.reason,
                            }
                        }
                        Ok(valid) => {
                            let req = InviteRequest::from_row(valid);
                            let outcome = if validate_only {
                                check_only(svc, actor, tenant, &req).await
                            } else {
                                let batch = batch_ref.clone();
                                invite_with(svc, actor, tenant, req, batch, budget_use, known)
                                    .await
                                    .map(|o| match o {
                                        InviteOutcome::Created { .. } => "created",
                                        InviteOutcome::Exists { .. } => "exists",
                                    })
                            };
                            match outcome {
                                Ok(o) => BatchRow {
                                    row: row.row,
                                    email: row.email.clone(),
                                    display_name: row.display_name.clone(),
                                    outcome: o.into(),
                                    reason: String::new(),
                                },
                                Err(e) => BatchRow {
                                    row: row.row,
                                    email: row.email.clone(),
                                    display_name: row.display_name.clone(),
                                    outcome: "failed".into(),
                                    reason: reason(&e),
                                },
                            }
                        }
                    }
                }
            })
            .buffered(CSV_CONCURRENCY);
        futures_util::pin_mut!(lines);
        while let Some(line) = lines.next().await {
            if !validate_only && report.rows.len() == DESCRIBE_AFTER_ROWS {
                svc.store.write(queries::users::describe_when_small).await?;
            }
            match line.outcome.as_str() {
                "created" => report.created += 1,
                "exists" => report.existing += 1,
                "failed" => report.failed += 1,
                _ => {}
            }
            report.rows.push(line);
            progress(report.rows.len(), total);
        }
    }
    if let Some(id) = batch_id {
        let row = InvitationBatchRow {
            id: id.clone(),
            tenant_id: tenant.id.clone(),
            uploaded_by: actor.id(),
            file_name: file_name.chars().take(255).collect(),
            rows_total: total as i64,
            rows_created: report.created as i64,
            rows_existing: report.existing as i64,
            rows_failed: report.failed as i64,
            results: serde_json::to_string(&report.rows).map_err(Error::internal)?,
            created_at: svc.now(),
        };
        let (tenant_c, actor_c) = (tenant.clone(), actor.clone());
        let counts = serde_json::json!({ "created": report.created, "exists": report.existing, "failed": report.failed });
        // Every created row was within the reservation; the rest of it was not used.
        let unused = reservation.granted - report.created as i64;
        let now = svc.now();
        svc.write_as(actor, tenant, door, &id.clone(), move |c, _| {
            throttle::release_on(c, &limits, &budget, unused, reserved_at, now)?;
            queries::invitations::insert_batch(c, &row)?;
            audit(c, &tenant_c, events::BATCH_PROCESSED, &actor_c, &id, counts)
        })
        .await?;
    }
    Ok(report)
}

/// The distinct application and group ids the file's valid rows name.
fn named_ids(rows: &[invitation_csv::RowResult]) -> KnownIds {
    let mut named = KnownIds::default();
    for valid in rows.iter().filter_map(|r| r.outcome.as_ref().ok()) {
        named.apps.extend(valid.app_ids.iter().cloned());
        named.groups.extend(valid.group_ids.iter().cloned());
    }
    named
}

/// Those of `named` that exist in the tenant; the rows naming any other fail on their own lookup.
fn known_ids(c: &mut AnyConnection, tenant_id: &str, named: KnownIds) -> Result<KnownIds> {
    let mut known = KnownIds::default();
    for id in named.apps {
        if queries::apps::by_id(c, &id)?.is_some_and(|a| a.tenant_id == tenant_id) {
            known.apps.insert(id);
        }
    }
    for id in named.groups {
        if queries::groups::by_id(c, tenant_id, &id)?.is_some() {
            known.groups.insert(id);
        }
    }
    Ok(known)
}

/// Validate-only: the checks of `invite` without writing, as the caller would be checked.
async fn check_only(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    req: &InviteRequest,
) -> Result<&'static str> {
    let p = prepare(tenant, req)?;
    let (tenant_c, req_c) = (tenant.clone(), req.clone());
    let door = invite_action(tenant, req);
    svc.read_as(actor, tenant, door, &p.email.lower(), move |c, standing| {
        super::checked_redirect(c, &tenant_c, standing, req_c.redirect_url.as_deref())?;
        if queries::users::by_tenant_and_mail(c, &tenant_c.id, &p.email.lower())?.is_some() {
            return Ok("exists");
        }
        if queries::invitations::is_blocked(c, &p.email.lower())? {
            return Err(Error::Forbidden(format!(
                "{} asked not to receive invitations",
                p.email.as_str()
            )));
        }
        for id in &req_c.app_ids {
            queries::apps::by_id(c, id)?
                .filter(|a| a.tenant_id == tenant_c.id)
                .ok_or_else(|| {
                    Error::invalid(
                        "InvitedToApplications",
                        format!("no application with id {id} in this organisation"),
                    )
                })?;
        }
        for id in &req_c.group_ids {
            queries::groups::by_id(c, &tenant_c.id, id)?.ok_or_else(|| {
                Error::invalid(
                    "InvitedToGroups",
                    format!("no group with id {id} in this organisation"),
                )
            })?;
        }
        Ok("valid")
    })
    .await
}
