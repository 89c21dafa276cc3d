//! Console: groups and their members.

use super::{Console, ConsoleResult, field};
use crate::error::Error;
use crate::service::Services;
use crate::service::groups::{self, GroupPatch};
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

pub async fn list(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let all = groups::list(&svc, &c.actor, &c.tenant, Some(500), None)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("groups", &all);
    c.render("admin/groups.html", "groups", ctx)
}

pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let d = groups::create(
        &svc,
        &c.actor,
        &c.tenant,
        &field(&form, "display_name").unwrap_or_default(),
        field(&form, "description").as_deref(),
    )
    .await
    .map_err(|e| c.page_error(e))?;
    Ok(c.done(
        &format!("/groups/{}", d.group.id),
        &c.say("admin_notice_group_created", &[]),
    ))
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let d = groups::get(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("d", &d);
    ctx.insert("etag", &d.etag);
    let t = c
        .texts()
        .fill(
            "admin_group_members",
            &[("count", &d.group.member_count.to_string())],
        )
        .and_then(|t| t.around("admin_group_remove_label", "{email}", &[]))
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/group.html", "groups", ctx, &t)
}

pub async fn act(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let err = |e: Error| c.page_error(e);
    let etag = form.get("etag").cloned();
    let back = format!("/groups/{id}");
    match form.get("action").map(String::as_str) {
        Some("save") => {
            let patch = GroupPatch {
                display_name: field(&form, "display_name"),
                description: Some(form.get("description").cloned().unwrap_or_default()),
            };
            groups::update(&svc, &c.actor, &c.tenant, &id, patch, etag)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_saved", &[])))
        }
        Some("add_member") => {
            let who = field(&form, "user").unwrap_or_default();
            // Admins type an address or paste an id; an address is looked up in this tenant.
            let user_id = if who.contains('@') {
                let q = crate::service::users::UserQuery {
                    search: Some(who.clone()),
                    limit: Some(5),
                    ..Default::default()
                };
                crate::service::users::list(&svc, &c.actor, &c.tenant, q)
                    .await
                    .map_err(err)?
                    .value
                    .into_iter()
                    .find(|u| u.mail.eq_ignore_ascii_case(&who))
                    .map(|u| u.id)
                    .ok_or_else(|| {
                        err(Error::NotFound(
                            c.say("admin_error_no_such_address", &[("email", &who)]),
                        ))
                    })?
            } else {
                who
            };
            groups::add_member(&svc, &c.actor, &c.tenant, &id, &user_id)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_member_added", &[])))
        }
        Some("remove_member") => {
            let user_id = field(&form, "user_id").unwrap_or_default();
            groups::remove_member(&svc, &c.actor, &c.tenant, &id, &user_id)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_member_removed", &[])))
        }
        Some("delete") => {
            if !form.contains_key("confirm") {
                return Err(c.invalid("confirm", "admin_error_confirm_group", &[]));
            }
            groups::delete(&svc, &c.actor, &c.tenant, &id, etag)
                .await
                .map_err(err)?;
            Ok(c.done("/groups", &c.say("admin_notice_group_deleted", &[])))
        }
        _ => Err(c.unknown_action()),
    }
}
