//! `POST /api/v1/tenants/{slug}/invitations` and friends, with the field names of spec §6.

use super::openapi::Problem;
use super::{actor, tenant};
use crate::domain::language::Language;
use crate::domain::user::UserType;
use crate::error::Error;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::invitation_admin::{self, InvitationPage, InvitationView};
use crate::service::invitations::{self, InviteOutcome, InviteRequest};
use crate::service::invitations::{BatchReport, BatchRow};
use crate::store::queries;
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
    pub invited_user: invitation_admin::InvitedUserRef,
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations", operation_id = "createInvitation", tag = "invitations",
    params(("slug" = String, Path)), request_body = InvitationBody,
    responses((status = 201, body = CreatedInvitation), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&svc, &req).await?;
    let actor = actor(&svc, &tenant, &req).await?;
    let b = parse_body(&body)?;
    let redirect = url::Url::parse(&b.invite_redirect_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| Error::invalid("inviteRedirectUrl", "must be an absolute http(s) URL"))?;
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
            &actor,
            &tenant,
            &id,
            Some(&b.invited_user_email_address),
        )
        .await?;
        return Ok(HttpResponse::Created().json(json!({
            "id": r.invitation_id,
            "inviteRedeemUrl": r.redeem_url,
            "invitedUserEmailAddress": b.invited_user_email_address,
            "invitedUser": { "id": r.user_id },
            "resetRedemption": true,
            "status": r.status,
        })));
    }
    let request = InviteRequest {
        email: b.invited_user_email_address.clone(),
        display_name: b.invited_user_display_name,
        user_type,
        redirect_url: Some(redirect.to_string()),
        language,
        cc,
        custom_text: info.and_then(|i| i.customized_message_body),
        app_ids: vec![],
        group_ids: vec![],
        contact_url: None,
        invite_app_id: None,
        send_email: b.send_invitation_message,
    };
    match invitations::invite(&svc, &actor, &tenant, request, None).await? {
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
            "inviteRedirectUrl": redirect.to_string(),
            "invitedUser": { "id": user_id },
            "sendInvitationMessage": b.send_invitation_message,
            "status": status,
        }))),
        InviteOutcome::Exists { user_id } => Err(Error::Conflict(format!(
            "{} already has a user object in this organisation ({user_id})",
            b.invited_user_email_address
        ))
        .into()),
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/invitations", operation_id = "listInvitations", tag = "invitations",
    params(("slug" = String, Path), super::Paging),
    responses((status = 200, body = InvitationPage), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn list(
    svc: web::Data<Services>,
    req: HttpRequest,
    page: web::Query<super::Paging>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&svc, &req).await?;
    let actor = actor(&svc, &tenant, &req).await?;
    let page = invitation_admin::list(&svc, &actor, &tenant, page.limit, page.offset).await?;
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/invitations/{id}", operation_id = "getInvitation", tag = "invitations",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = InvitationView), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = super::context(&svc, &req).await?;
    let v = invitation_admin::get(&svc, &actor, &tenant, &super::path_param(&req, "id")).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations/{id}/revoke", operation_id = "revokeInvitation", tag = "invitations",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = InvitationView), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn revoke(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = super::context(&svc, &req).await?;
    let v = invitation_admin::revoke(&svc, &actor, &tenant, &super::path_param(&req, "id")).await?;
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
    req: HttpRequest,
    q: web::Query<CsvParams>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (tenant, actor) = super::context(&svc, &req).await?;
    // A file of invitations is for admins and guest inviters (those who see the list). Its group and
    // application columns grant access, which only admins may do.
    if !actor.inviter.is_admin() {
        if !actor.inviter.is_guest_inviter() {
            return Err(Error::Forbidden(
                "uploading invitations needs the Admin or GuestInviter role".into(),
            )
            .into());
        }
        let grants_access = crate::domain::invitation_csv::parse(
            &body,
            crate::domain::invitation_csv::DEFAULT_MAX_ROWS,
        )
        .is_ok_and(|p| {
            p.rows.iter().any(|r| {
                r.outcome
                    .as_ref()
                    .is_ok_and(|v| !v.app_ids.is_empty() || !v.group_ids.is_empty())
            })
        });
        if grants_access {
            return Err(Error::Forbidden(
                "only admins may add invited guests to groups or applications".into(),
            )
            .into());
        }
    }
    let report = invitations::invite_from_csv(
        &svc,
        &actor,
        &tenant,
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

/// `POST …/invitations/{id}/resend`: a new ticket for a pending invitation's guest.
#[utoipa::path(post, path = "/api/v1/tenants/{slug}/invitations/{id}/resend", operation_id = "resendInvitation", tag = "invitations",
    params(("slug" = String, Path), ("id" = String, Path)),
    responses((status = 201, body = super::users::ReissuedBody), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
pub async fn resend(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&svc, &req).await?;
    let actor = actor(&svc, &tenant, &req).await?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let tenant_id = tenant.id.clone();
    let inv = svc
        .store
        .read(move |c| queries::invitations::by_id(c, &tenant_id, &id))
        .await?
        .ok_or_else(|| Error::NotFound("no such invitation".into()))?;
    let r = invitations::resend(&svc, &actor, &tenant, &inv.user_id).await?;
    Ok(HttpResponse::Created().json(json!({
        "id": r.invitation_id,
        "inviteRedeemUrl": r.redeem_url,
        "invitedUser": { "id": r.user_id },
        "status": r.status,
    })))
}
