//! `POST /api/v1/tenants/{slug}/invitations` and friends, with the field names of spec §6.

use super::path_param;
use super::problem::Problem;
use crate::domain::access::Action;
use crate::domain::language::Language;
use crate::domain::user::UserType;
use crate::error::Error;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::invitations::{
    self, BatchReport, BatchRow, InvitationPage, InvitationView, InviteOutcome, InviteRequest,
    InvitedUserRef,
};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitationBody {
    invited_user_email_address: String,
    invite_redirect_url: String,
    #[serde(default)]
    invited_user_display_name: Option<String>,
    #[serde(default)]
    invited_user_type: Option<String>,
    #[serde(default)]
    send_invitation_message: bool,
    /// The guest's access ends this many days after the invitation (disabled by the lifecycle job).
    #[serde(default)]
    access_days: Option<i64>,
    #[serde(default)]
    invited_user_message_info: Option<MessageInfo>,
    #[serde(default)]
    reset_redemption: bool,
    #[serde(default)]
    invited_user: Option<InvitedUser>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageInfo {
    #[serde(default)]
    cc_recipients: Vec<Recipient>,
    #[serde(default)]
    customized_message_body: Option<String>,
    #[serde(default)]
    message_language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    email_address: EmailAddressField,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailAddressField {
    address: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvitedUser {
    id: String,
}

fn parse_body(body: &[u8]) -> Result<InvitationBody, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::invalid("body", format!("not an invitation: {e}")))
}

/// The answer to a created invitation (spec §6).
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInvitation {
    pub id: String,
    pub invite_redeem_url: String,
    pub invited_user_email_address: String,
    pub invited_user: InvitedUserRef,
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations", operation_id = "createInvitation", tag = "invitations",
    params(("slug" = String, Path)), request_body = InvitationBody,
    responses((status = 201, body = CreatedInvitation), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(invite_door(&c)).await?;
    let (tenant, actor) = (&c.tenant, &c.actor);
    let b = parse_body(&body)?;
    let info = b.invited_user_message_info;
    let cc = match info
        .as_ref()
        .map(|i| i.cc_recipients.as_slice())
        .unwrap_or_default()
    {
        [] => None,
        [one] => Some(one.email_address.address.clone()),
        _ => {
            return Err(Error::invalid(
                "invitedUserMessageInfo.ccRecipients",
                "at most one CC recipient",
            )
            .into());
        }
    };
    let language = match info.as_ref().and_then(|i| i.message_language.as_deref()) {
        Some(l) => Language::parse(l)
            .map_err(|e| Error::invalid("invitedUserMessageInfo.messageLanguage", e.message))?,
        None => Language::En,
    };
    let user_type = match b.invited_user_type.as_deref() {
        None => UserType::Guest,
        Some(t) => UserType::parse(t).map_err(|e| Error::invalid("invitedUserType", e.message))?,
    };
    if b.reset_redemption {
        let id = b
            .invited_user
            .ok_or_else(|| {
                Error::invalid("invitedUser.id", "resetRedemption needs invitedUser.id")
            })?
            .id;
        let r = invitations::reset_redemption(
            &svc,
            actor,
            tenant,
            &id,
            Some(&b.invited_user_email_address),
        )
        .await?;
        return Ok(HttpResponse::Created().json(json!({
            "id": r.id,
            "inviteRedeemUrl": r.invite_redeem_url,
            "invitedUserEmailAddress": b.invited_user_email_address,
            "invitedUser": r.invited_user,
            "resetRedemption": true,
            "status": r.status,
        })));
    }
    let request = InviteRequest {
        email: b.invited_user_email_address.clone(),
        display_name: b.invited_user_display_name,
        user_type,
        redirect_url: Some(b.invite_redirect_url.clone()),
        language,
        cc,
        custom_text: info.and_then(|i| i.customized_message_body),
        app_ids: vec![],
        group_ids: vec![],
        contact_url: None,
        invite_app_id: None,
        send_email: b.send_invitation_message,
        access: b.access_days.map(invitations::AccessEnd::AfterDays),
    };
    match invitations::invite(&svc, actor, tenant, request, None).await? {
        InviteOutcome::Created {
            invitation_id,
            user_id,
            redeem_url,
            status,
            ..
        } => Ok(HttpResponse::Created().json(json!({
            "id": invitation_id,
            "inviteRedeemUrl": redeem_url,
            "invitedUserEmailAddress": b.invited_user_email_address,
            "inviteRedirectUrl": b.invite_redirect_url,
            "invitedUser": { "id": user_id },
            "sendInvitationMessage": b.send_invitation_message,
            "status": status,
        }))),
        InviteOutcome::Exists { user_id } => Err(Error::Conflict(match user_id {
            Some(id) => format!(
                "{} already has a user object in this organisation ({id})",
                b.invited_user_email_address
            ),
            None => format!(
                "{} already has a user object in this organisation",
                b.invited_user_email_address
            ),
        })
        .into()),
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/invitations", operation_id = "listInvitations", tag = "invitations",
    params(("slug" = String, Path), super::Paging),
    responses((status = 200, body = InvitationPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    c: ApiCaller,
    page: web::Query<super::Paging>,
) -> Result<HttpResponse, ApiError> {
    let page =
        invitations::follow_up::list(&svc, &c.actor, &c.tenant, page.limit, page.offset).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/invitations/{id}", operation_id = "getInvitation", tag = "invitations",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = InvitationView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let v = invitations::follow_up::get(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations/{id}/revoke", operation_id = "revokeInvitation", tag = "invitations",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = InvitationView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let v =
        invitations::follow_up::revoke(&svc, &c.actor, &c.tenant, &path_param(&req, "id")).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct CsvParams {
    /// Check every row and create nothing.
    #[serde(default)]
    validate_only: bool,
    /// The file's name, for the audit log and the batch list.
    #[serde(default)]
    file_name: Option<String>,
}

/// The outcome of a CSV upload, in the API's camelCase (the console renders [`BatchReport`] itself).
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CsvReportBody {
    /// The upload's id; absent when `validateOnly` created nothing.
    batch_id: Option<String>,
    validate_only: bool,
    /// Header labels the server does not know (ignored).
    unknown_columns: Vec<String>,
    created: usize,
    existing: usize,
    failed: usize,
    /// One line per data row, in file order: `created`, `exists`, `valid` (validate-only) or `failed`.
    rows: Vec<BatchRow>,
}

impl From<BatchReport> for CsvReportBody {
    fn from(r: BatchReport) -> Self {
        CsvReportBody {
            batch_id: r.batch_id,
            validate_only: r.validate_only,
            unknown_columns: r.unknown_columns,
            created: r.created,
            existing: r.existing,
            failed: r.failed,
            rows: r.rows,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations/csv", operation_id = "uploadInvitationsCsv", tag = "invitations",
    params(("slug" = String, Path), CsvParams),
    request_body(content = String, description = "the CSV file (spec §3.2)", content_type = "text/csv"),
    responses((status = 200, body = CsvReportBody), (status = 400, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn upload_csv(
    svc: web::Data<Services>,
    c: ApiCaller,
    q: web::Query<CsvParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(invite_door(&c)).await?;
    let report = invitations::invite_from_csv(
        &svc,
        &c.actor,
        &c.tenant,
        invitations::CsvUpload {
            file_name: q.file_name.as_deref().unwrap_or("upload.csv"),
            bytes: &body,
            max_rows: crate::domain::invitation_csv::DEFAULT_MAX_ROWS,
            validate_only: q.validate_only,
        },
        &|_, _| {},
    )
    .await?;
    Ok(HttpResponse::Ok().json(CsvReportBody::from(report)))
}

/// The least an inviting caller must be: allowed to invite a guest under the tenant's policy.
fn invite_door(c: &ApiCaller) -> Action {
    Action::Invite {
        policy: c.tenant.settings.invite_policy,
        as_member: false,
        grants_access: false,
    }
}

/// `POST …/invitations/{id}/resend`: a new ticket for a pending invitation's guest.
#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations/{id}/resend", operation_id = "resendInvitation", tag = "invitations",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = invitations::Reissued), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn resend(
    svc: web::Data<Services>,
    c: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_param(&req, "id");
    let r = invitations::resend_invitation(&svc, &c.actor, &c.tenant, &id).await?;
    Ok(HttpResponse::Created().json(r))
}
