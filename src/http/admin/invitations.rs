//! Console: invite one person, upload a CSV (validate, then create), results, the invitation list.

use super::{Console, ConsoleResult, field, multipart, when};
use crate::domain::language::Language;
use crate::domain::user::UserType;
use crate::error::Error;
use crate::service::apps::console::console_client_id;
use crate::service::apps::manage as app_admin;
use crate::service::invitations::follow_up as invitation_admin;
use crate::service::invitations::{self, AccessEnd, InviteOutcome, InviteRequest};
use crate::service::{Services, groups};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;

#[derive(serde::Deserialize)]
pub struct Paging {
    offset: Option<i64>,
}

pub async fn list(svc: web::Data<Services>, c: Console, q: web::Query<Paging>) -> ConsoleResult {
    let offset = q.offset.unwrap_or(0).max(0);
    let page = invitation_admin::list(&svc, &c.actor, &c.tenant, Some(50), Some(offset))
        .await
        .map_err(|e| c.page_error(e))?;
    let rows: Vec<_> = page
        .value
        .iter()
        .map(|i| {
            serde_json::json!({
                "i": i,
                "created": when(i.created_at),
                "expires": when(i.expires_at),
                "sent": i.sent_at.map(when),
            })
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("rows", &rows);
    ctx.insert(
        "next_offset",
        &((page.value.len() as i64 == 50).then_some(offset + 50)),
    );
    let t = c
        .texts()
        .around("admin_invitations_revoke_label", "{email}", &[])
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/invitations.html", "invitations", ctx, &t)
}

pub async fn new_form(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let groups = groups::list(&svc, &c.actor, &c.tenant, Some(500), None)
        .await
        .map_err(|e| c.page_error(e))?;
    let apps = app_admin::list(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("groups", &groups);
    ctx.insert(
        "apps",
        &apps
            .iter()
            .filter(|a| a.client_id != console_client_id(&c.tenant.slug))
            .collect::<Vec<_>>(),
    );
    ctx.insert("languages", &Language::ALL.map(Language::as_str));
    c.render("admin/invite.html", "invitations", ctx)
}

/// `application/x-www-form-urlencoded` with repeated keys (checkbox groups).
fn pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    body: web::Bytes,
) -> ConsoleResult {
    let all = pairs(&body);
    let form: HashMap<String, String> = all.iter().cloned().collect();
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let err = |e: Error| c.page_error(e);
    let picked = |name: &str| {
        all.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let language = match field(&form, "language") {
        Some(l) => Language::parse(&l).map_err(|e| err(e.into()))?,
        None => Language::En,
    };
    let user_type = match field(&form, "user_type") {
        Some(t) => UserType::parse(&t).map_err(|e| err(e.into()))?,
        None => UserType::Guest,
    };
    let access = match field(&form, "access_days") {
        Some(d) => {
            Some(AccessEnd::AfterDays(d.parse::<i64>().map_err(|_| {
                c.invalid("accessDays", "admin_error_days", &[])
            })?))
        }
        None => None,
    };
    let request = InviteRequest {
        email: field(&form, "email").unwrap_or_default(),
        display_name: field(&form, "display_name"),
        user_type,
        redirect_url: field(&form, "redirect_url"),
        language,
        cc: field(&form, "cc"),
        custom_text: field(&form, "message"),
        app_ids: picked("app"),
        group_ids: picked("group"),
        contact_url: None,
        invite_app_id: None,
        send_email: form.contains_key("send_email"),
        access,
    };
    match invitations::invite(&svc, &c.actor, &c.tenant, request, None)
        .await
        .map_err(err)?
    {
        InviteOutcome::Created {
            user_id,
            redeem_url,
            ..
        } => Ok(c.done(
            &format!("/users/{user_id}"),
            &c.say("admin_notice_invited", &[("link", &redeem_url)]),
        )),
        InviteOutcome::Exists { user_id } => Ok(c.done(
            &user_id
                .map(|id| format!("/users/{id}"))
                .unwrap_or_else(|| "/users".into()),
            &c.say("admin_notice_invitee_exists", &[]),
        )),
    }
}

pub async fn upload_form(c: Console) -> ConsoleResult {
    let t = c
        .texts()
        .around("admin_upload_required", "{columns}", &[])
        .and_then(|t| t.around("admin_upload_optional", "{columns}", &[]))
        .and_then(|t| t.around("admin_upload_older", "{columns}", &[]))
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/upload.html", "invitations", tera::Context::new(), &t)
}

/// Step one: checks every row and shows the results; nothing is created yet.
pub async fn upload(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    payload: actix_multipart::Multipart,
) -> ConsoleResult {
    let (fields, file) = multipart(payload, 4 * 1024 * 1024)
        .await
        .map_err(|e| c.page_error(e))?;
    c.check(&req, fields.get("csrf").map(String::as_str).unwrap_or(""))?;
    let (name, bytes) = file
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| c.invalid("file", "admin_error_choose_csv", &[]))?;
    let (upload_id, report) =
        invitation_admin::stage_upload(&svc, &c.actor, &c.tenant, &name, &bytes)
            .await
            .map_err(|e| c.page_error(e))?;
    let valid = report.rows.iter().filter(|r| r.outcome == "valid").count();
    let t = c
        .texts()
        .fill("admin_check_heading", &[("file", &name)])
        .and_then(|t| {
            t.fill(
                "admin_check_summary",
                &[
                    ("valid", &valid.to_string()),
                    ("existing", &report.existing.to_string()),
                    ("failed", &report.failed.to_string()),
                ],
            )
        })
        .and_then(|t| {
            t.fill(
                "admin_check_unknown_columns",
                &[("columns", &report.unknown_columns.join(", "))],
            )
        })
        .and_then(|t| t.fill("admin_check_create", &[("count", &valid.to_string())]))
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("report", &report);
    ctx.insert("file_name", &name);
    ctx.insert("upload_id", &upload_id);
    ctx.insert("valid", &valid);
    c.render_with("admin/upload_check.html", "invitations", ctx, &t)
}

/// Step two: creates the invitations of the checked file, then shows the batch's results.
pub async fn commit(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let report = invitation_admin::commit_upload(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    match report.batch_id {
        Some(b) => Ok(c.done(
            &format!("/invitations/batches/{b}"),
            &c.say("admin_notice_upload_processed", &[]),
        )),
        None => Err(c.page_error(Error::internal("a processed upload has a batch"))),
    }
}

pub async fn batch(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let report = invitation_admin::batch(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("report", &report);
    ctx.insert("batch_id", &id);
    let t = c
        .texts()
        .around("admin_batch_created", "{count}", &[])
        .and_then(|t| t.around("admin_batch_existing", "{count}", &[]))
        .and_then(|t| t.around("admin_batch_failed", "{count}", &[]))
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/batch.html", "invitations", ctx, &t)
}

pub async fn batch_csv(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let report = invitation_admin::batch(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"invitation-results-{id}.csv\""),
        ))
        .body(report.results_csv()))
}

/// Resend or revoke one invitation from the list.
pub async fn act(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: web::Form<HashMap<String, String>>,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let err = |e: Error| c.page_error(e);
    match form.get("action").map(String::as_str) {
        Some("revoke") => {
            invitation_admin::revoke(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?;
            Ok(c.done(
                "/invitations",
                &c.say("admin_notice_invitation_revoked", &[]),
            ))
        }
        Some("resend") => {
            invitations::resend_invitation(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?;
            Ok(c.done(
                "/invitations",
                &c.say("admin_notice_invitation_resent", &[]),
            ))
        }
        _ => Err(c.unknown_action()),
    }
}
