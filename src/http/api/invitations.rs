//! `POST /api/v1/tenants/{slug}/invitations` and friends, with the field names of spec §6.

use super::{actor, tenant};
use crate::domain::language::Language;
use crate::domain::user::UserType;
use crate::error::Error;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::invitations::{self, InviteOutcome, InviteRequest};
use crate::store::queries;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MessageInfo {
    #[serde(default)]
    cc_recipients: Vec<Recipient>,
    #[serde(default)]
    customized_message_body: Option<String>,
    #[serde(default)]
    message_language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recipient {
    email_address: EmailAddressField,
}

#[derive(Debug, Deserialize)]
pub struct EmailAddressField {
    address: String,
}

#[derive(Debug, Deserialize)]
pub struct InvitedUser {
    id: String,
}

fn parse_body(body: &[u8]) -> Result<InvitationBody, Error> {
    serde_json::from_slice(body)
        .map_err(|e| Error::invalid("body", format!("not an invitation: {e}")))
}

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

#[derive(Debug, Deserialize)]
pub struct Page {
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
}

pub async fn list(
    svc: web::Data<Services>,
    req: HttpRequest,
    page: web::Query<Page>,
) -> Result<HttpResponse, ApiError> {
    let tenant = tenant(&svc, &req).await?;
    actor(&svc, &tenant, &req).await?;
    let (limit, offset) = (
        page.limit.unwrap_or(100).clamp(1, 1000),
        page.offset.unwrap_or(0).max(0),
    );
    let tenant_id = tenant.id.clone();
    let rows = svc
        .store
        .read(move |c| queries::invitations::list(c, &tenant_id, limit, offset))
        .await?;
    let now = svc.now();
    let value: Vec<_> = rows
        .into_iter()
        .map(|r| {
            let state = if r.redeemed_at.is_some() {
                "Completed"
            } else if r.voided_at.is_some() {
                "Voided"
            } else if r.ticket_expires_at <= now {
                "Expired"
            } else {
                "PendingAcceptance"
            };
            json!({
                "id": r.id,
                "invitedUserEmailAddress": r.email,
                "invitedUserDisplayName": r.display_name,
                "invitedUser": { "id": r.user_id },
                "inviteRedirectUrl": r.redirect_url,
                "status": state,
                "createdAt": r.created_at,
                "expiresAt": r.ticket_expires_at,
                "redeemedAt": r.redeemed_at,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "value": value, "limit": limit, "offset": offset })))
}

/// `POST …/invitations/{id}/resend`: a new ticket for a pending invitation's guest.
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
