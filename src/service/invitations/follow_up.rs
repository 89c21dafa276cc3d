//! Following up on invitations: the list with each email's delivery state, one invitation, revoking a
//! link, and the console's two-step CSV upload (validate, then create from the same stored file).

use super::super::Services;
use super::super::audit::{self, AuditEvent, events};
use super::super::auth::{self, Actor};
use super::super::etag::page_limit;
use super::super::tenants::Tenant;
use super::csv::{BatchReport, CsvUpload, invite_from_csv};
use crate::domain::access::{self, Action};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{CsvUploadRow, InvitationRecord};
use crate::store::queries;
use serde::Serialize;
use utoipa::ToSchema;

/// How long a validated upload waits for its "create" step.
const UPLOAD_TTL: i64 = 3600;

/// An invitation as admins see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub id: String,
    pub invited_user_email_address: String,
    pub invited_user_display_name: String,
    pub invited_user: InvitedUserRef,
    pub invite_redirect_url: Option<String>,
    pub message_language: String,
    /// `PendingAcceptance`, `Completed`, `Expired` or `Voided`.
    pub status: String,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub redeemed_at: Option<i64>,
    /// The invitation email: `not sent` (none asked), `queued`, `sent` or `failed`.
    pub delivery: String,
    pub delivery_attempts: i64,
    pub delivery_error: Option<String>,
    pub sent_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitedUserRef {
    pub id: String,
}

pub fn status_of(r: &InvitationRecord, now: i64) -> &'static str {
    if r.redeemed_at.is_some() {
        "Completed"
    } else if r.voided_at.is_some() {
        "Voided"
    } else if r.ticket_expires_at <= now {
        "Expired"
    } else {
        "PendingAcceptance"
    }
}

fn view(
    r: InvitationRecord,
    delivery: Option<&queries::invitations::DeliveryState>,
    now: i64,
) -> InvitationView {
    InvitationView {
        status: status_of(&r, now).into(),
        // The outbox says `pending` for a message not sent yet; admins read `queued`, as documented.
        delivery: match delivery {
            None => "not sent".into(),
            Some((_, state, ..)) if state == queries::outbox::PENDING => "queued".into(),
            Some((_, state, ..)) => state.clone(),
        },
        delivery_attempts: delivery.map(|d| d.2).unwrap_or(0),
        delivery_error: delivery.and_then(|d| d.3.clone()),
        sent_at: delivery.and_then(|d| d.4),
        id: r.id,
        invited_user_email_address: r.email,
        invited_user_display_name: r.display_name,
        invited_user: InvitedUserRef { id: r.user_id },
        invite_redirect_url: r.redirect_url,
        message_language: r.language,
        invited_by: r.invited_by,
        created_at: r.created_at,
        expires_at: r.ticket_expires_at,
        redeemed_at: r.redeemed_at,
    }
}

pub fn view_on(c: &mut AnyConnection, r: InvitationRecord, now: i64) -> Result<InvitationView> {
    let states = match &r.outbox_id {
        Some(id) => queries::invitations::delivery_states(c, std::slice::from_ref(id))?,
        None => vec![],
    };
    Ok(view(r, states.first(), now))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvitationPage {
    pub value: Vec<InvitationView>,
    pub limit: i64,
    pub offset: i64,
}

/// The invitations a caller may follow up on: all of them for admins, their own for guest inviters and
/// invite-scoped apps.
pub async fn list(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    limit: Option<i64>,
    offset: Option<i64>,
) -> Result<InvitationPage> {
    let (limit, offset) = (page_limit(limit), offset.unwrap_or(0).max(0));
    let (tenant_id, now, me) = (tenant.id.clone(), svc.now(), actor.id());
    let door = Action::SeeInvitations { own: true };
    let value = svc
        .read_as(actor, tenant, door, "invitations", move |c, standing| {
            let all = access::check(standing, Action::SeeInvitations { own: false }).is_ok();
            let inviter = (!all).then_some(me.as_str());
            let rows = queries::invitations::list(c, &tenant_id, inviter, limit, offset)?;
            let ids: Vec<String> = rows.iter().filter_map(|r| r.outbox_id.clone()).collect();
            let states = queries::invitations::delivery_states(c, &ids)?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    let d = r
                        .outbox_id
                        .as_ref()
                        .and_then(|id| states.iter().find(|s| &s.0 == id));
                    view(r, d, now)
                })
                .collect())
        })
        .await?;
    Ok(InvitationPage {
        value,
        limit,
        offset,
    })
}

pub async fn get(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<InvitationView> {
    let (tenant_id, id_c, now, me) = (tenant.id.clone(), id.to_string(), svc.now(), actor.id());
    let door = Action::SeeInvitations { own: true };
    svc.read_as(actor, tenant, door, id, move |c, standing| {
        let r = queries::invitations::by_id(c, &tenant_id, &id_c)?
            .ok_or_else(|| Error::NotFound(format!("invitation {id_c}")))?;
        auth::require(
            standing,
            Action::SeeInvitations {
                own: r.invited_by == me,
            },
        )?;
        view_on(c, r, now)
    })
    .await
}

/// Voids a pending invitation's link. The guest object stays (delete it to remove the person).
pub async fn revoke(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<InvitationView> {
    let (tenant_id, id_c, actor_id, now) =
        (tenant.id.clone(), id.to_string(), actor.id(), svc.now());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let id = id_c;
        let mut r = queries::invitations::by_id(c, &tenant_id, &id)?
            .ok_or_else(|| Error::NotFound(format!("invitation {id}")))?;
        match status_of(&r, now) {
            "Completed" => {
                return Err(Error::Conflict(
                    "this invitation has been redeemed; disable or delete the user instead".into(),
                ));
            }
            "Voided" => return view_on(c, r, now),
            _ => {}
        }
        r.voided_at = Some(now);
        queries::invitations::update(c, &r)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &tenant_id,
                event_name: events::REVOKE_INVITATION,
                actor: &actor_id,
                target: &r.user_id,
                outcome: "success",
                details: serde_json::json!({ "invitationId": r.id }),
            },
        )?;
        view_on(c, r, now)
    })
    .await
}

/// Step one of the console's upload: checks every row (creating nothing) and keeps the file for step
/// two. Returns the upload's id and the per-row report.
pub async fn stage_upload(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    file_name: &str,
    bytes: &[u8],
) -> Result<(String, BatchReport)> {
    auth::may(svc, actor, tenant, Action::Administer).await?;
    let report = invite_from_csv(
        svc,
        actor,
        tenant,
        CsvUpload {
            file_name,
            bytes,
            max_rows: crate::domain::invitation_csv::DEFAULT_MAX_ROWS,
            validate_only: true,
        },
        &|_, _| {},
    )
    .await?;
    let content = String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::invalid("file", "the file is not UTF-8 text"))?;
    let now = svc.now();
    let row = CsvUploadRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        uploaded_by: actor.id(),
        file_name: file_name.chars().take(200).collect(),
        content,
        created_at: now,
        expires_at: now + UPLOAD_TTL,
    };
    let id = row.id.clone();
    svc.write_as(actor, tenant, Action::Administer, &id, move |c, _| {
        queries::invitations::insert_upload(c, &row)
    })
    .await?;
    Ok((id, report))
}

/// Step two: creates the invitations of a staged upload (only its uploader may) and forgets the file.
pub async fn commit_upload(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    upload_id: &str,
) -> Result<BatchReport> {
    let (tenant_id, id, now, me) = (
        tenant.id.clone(),
        upload_id.to_string(),
        svc.now(),
        actor.id(),
    );
    // Take the file (only its uploader may) and forget it in one step: a second click must not create
    // the rows twice.
    let upload = svc
        .write_as(actor, tenant, Action::Administer, upload_id, move |c, _| {
            let upload = queries::invitations::upload(c, &tenant_id, &id, now)?
                .filter(|u| u.uploaded_by == me)
                .ok_or_else(|| {
                    Error::NotFound(
                        "this upload has expired or was used already; upload the file again".into(),
                    )
                })?;
            queries::invitations::delete_upload(c, &upload.id, now)?;
            Ok(upload)
        })
        .await?;
    invite_from_csv(
        svc,
        actor,
        tenant,
        CsvUpload {
            file_name: &upload.file_name,
            bytes: upload.content.as_bytes(),
            max_rows: crate::domain::invitation_csv::DEFAULT_MAX_ROWS,
            validate_only: false,
        },
        &|_, _| {},
    )
    .await
}

/// A finished batch's report (the results page and its CSV download).
pub async fn batch(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<BatchReport> {
    let (tenant_id, id_c) = (tenant.id.clone(), id.to_string());
    let row = svc
        .read_as(actor, tenant, Action::Administer, id, move |c, _| {
            queries::invitations::batch(c, &tenant_id, &id_c)?
                .ok_or_else(|| Error::NotFound("no such upload".into()))
        })
        .await?;
    Ok(BatchReport {
        batch_id: Some(row.id),
        validate_only: false,
        unknown_columns: vec![],
        created: row.rows_created as usize,
        existing: row.rows_existing as usize,
        failed: row.rows_failed as usize,
        rows: serde_json::from_str(&row.results).map_err(Error::internal)?,
    })
}
