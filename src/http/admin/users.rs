//! Console: members and guests.

use super::{Console, ConsoleResult, field, lines, when};
use crate::domain::language::Language;
use crate::domain::user::{Role, RoleSet};
use crate::error::Error;
use crate::service::Services;
use crate::service::invitations;
use crate::service::lifecycle::sponsors;
use crate::service::users::{self, NewMember, UserPatch, UserQuery};
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

pub async fn list(svc: web::Data<Services>, c: Console, q: web::Query<UserQuery>) -> ConsoleResult {
    let q = q.into_inner();
    let page = users::list(&svc, &c.actor, &c.tenant, q.clone())
        .await
        .map_err(|e| c.page_error(e))?;
    let rows: Vec<_> = page
        .value
        .iter()
        .map(|u| {
            serde_json::json!({
                "user": u,
                "last_sign_in": u.last_sign_in_at.map(when),
                "state_changed": u.external_user_state_changed_at.map(when),
            })
        })
        .collect();
    let next = page.next_cursor.map(|cursor| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("userType", q.user_type.as_deref().unwrap_or(""))
            .append_pair(
                "externalUserState",
                q.external_user_state.as_deref().unwrap_or(""),
            )
            .append_pair("search", q.search.as_deref().unwrap_or(""))
            .append_pair("cursor", &cursor)
            .finish()
    });
    let mut ctx = tera::Context::new();
    ctx.insert("rows", &rows);
    ctx.insert(
        "q",
        &serde_json::json!({
            "user_type": q.user_type.unwrap_or_default(),
            "state": q.external_user_state.unwrap_or_default(),
            "search": q.search.unwrap_or_default(),
        }),
    );
    ctx.insert("next", &next);
    c.render("admin/users.html", "users", ctx)
}

pub async fn new_form(c: Console) -> ConsoleResult {
    c.render("admin/user_new.html", "users", tera::Context::new())
}

pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let roles = if form.contains_key("admin") {
        RoleSet::of(&[Role::Admin])
    } else {
        RoleSet::EMPTY
    };
    let created = users::create(
        &svc,
        &c.actor,
        &c.tenant,
        NewMember {
            email: field(&form, "email").unwrap_or_default(),
            display_name: field(&form, "display_name").unwrap_or_default(),
            password: None,
            roles,
            creation_type: None,
            email_verified: true,
            profile: Default::default(),
        },
    )
    .await
    .map_err(|e| c.page_error(e))?;
    let link = users::password_reset_link(&svc, &c.actor, &c.tenant, &created.user.id)
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(c.done(
        &format!("/users/{}", created.user.id),
        &c.say("admin_notice_member_created", &[("link", &link.url)]),
    ))
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let d = users::get(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("d", &d);
    ctx.insert("etag", &d.etag);
    ctx.insert(
        "times",
        &serde_json::json!({
            "created": when(d.user.created_at),
            "updated": when(d.user.updated_at),
            "last_sign_in": d.user.last_sign_in_at.map(when),
            "state_changed": d.user.external_user_state_changed_at.map(when),
            "invitation_expires": d.invitation.as_ref().map(|i| when(i.expires_at)),
            "invitation_sent": d.invitation.as_ref().and_then(|i| i.sent_at).map(when),
        }),
    );
    ctx.insert("is_admin", &d.user.roles.iter().any(|r| r == "Admin"));
    ctx.insert(
        "is_guest_inviter",
        &d.user.roles.iter().any(|r| r == "GuestInviter"),
    );
    // A guest becomes a member and anyone else a guest, as the conversion form says.
    let convert_to = if d.user.user_type == "Guest" {
        "Member"
    } else {
        "Guest"
    };
    let t = c
        .texts()
        .fill("admin_user_convert", &[("type", convert_to)])
        .and_then(|t| t.fill("admin_user_delete_confirm", &[("email", &d.user.mail)]))
        .and_then(|t| {
            let since = d.user.external_user_state_changed_at.map(when);
            t.fill(
                "admin_user_state_since",
                &[("date", since.as_deref().unwrap_or(""))],
            )
        })
        .and_then(|t| {
            let expires = d.invitation.as_ref().map(|i| when(i.expires_at));
            t.fill(
                "admin_user_invitation_expires",
                &[("date", expires.as_deref().unwrap_or(""))],
            )
        })
        .map_err(|e| c.page_error(e))?;
    ctx.insert("convert_to", convert_to);
    c.render_with("admin/user.html", "users", ctx, &t)
}

/// One form per action on the user's page; `action` says which.
pub async fn act(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let etag = form.get("etag").cloned();
    let back = format!("/users/{id}");
    let err = |e: Error| c.page_error(e);
    let action = form.get("action").map(String::as_str).unwrap_or("");
    let patch = |p: UserPatch| users::update(&svc, &c.actor, &c.tenant, &id, p, etag.clone());
    let notice = match action {
        "save" => {
            let mut roles = Vec::new();
            if form.contains_key("role_admin") {
                roles.push("Admin".to_string());
            }
            if form.contains_key("role_guest_inviter") {
                roles.push("GuestInviter".to_string());
            }
            let preferred = form.get("preferred_language").cloned().unwrap_or_default();
            patch(UserPatch {
                display_name: field(&form, "display_name"),
                roles: Some(roles),
                preferred_language: Some(preferred.clone()),
                ..Default::default()
            })
            .await
            .map_err(err)?;
            if c.actor.user_id() == Some(id.as_str()) {
                // Admins who change their own language see the next page, notice included, in the new one.
                let language = match Language::parse_optional(&preferred) {
                    Ok(Some(language)) => language,
                    _ => crate::http::browser_language(&req, &c.tenant),
                };
                c.say_in(language, "admin_notice_saved", &[])
            } else {
                c.say("admin_notice_saved", &[])
            }
        }
        "disable" | "enable" => {
            patch(UserPatch {
                account_enabled: Some(action == "enable"),
                ..Default::default()
            })
            .await
            .map_err(err)?;
            if action == "enable" {
                c.say("admin_notice_sign_in_enabled", &[])
            } else {
                c.say("admin_notice_sign_in_disabled", &[])
            }
        }
        "convert" => {
            let to = field(&form, "user_type").unwrap_or_default();
            patch(UserPatch {
                user_type: Some(to.clone()),
                ..Default::default()
            })
            .await
            .map_err(err)?;
            c.say("admin_notice_converted", &[("type", &to)])
        }
        "delete" => {
            if !form.contains_key("confirm") {
                return Err(c.invalid("confirm", "admin_error_confirm_user", &[]));
            }
            users::delete(&svc, &c.actor, &c.tenant, &id, etag.clone())
                .await
                .map_err(err)?;
            return Ok(c.done("/users", &c.say("admin_notice_user_deleted", &[])));
        }
        "reset_password" => {
            let link = users::password_reset_link(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?;
            c.say("admin_notice_password_link", &[("link", &link.url)])
        }
        "resend" => {
            invitations::resend(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?;
            c.say("admin_notice_invitation_renewed", &[])
        }
        "sponsors" => {
            let sponsors = lines(&form, "sponsors");
            sponsors::set(&svc, &c.actor, &c.tenant, &id, sponsors)
                .await
                .map_err(err)?;
            c.say("admin_notice_sponsors_saved", &[])
        }
        "access_end" => {
            patch(UserPatch {
                access_expires_on: Some(form.get("access_expires_on").cloned().unwrap_or_default()),
                ..Default::default()
            })
            .await
            .map_err(err)?;
            c.say("admin_notice_saved", &[])
        }
        "reset_redemption" => {
            let email = field(&form, "email");
            invitations::reset_redemption(&svc, &c.actor, &c.tenant, &id, email.as_deref())
                .await
                .map_err(err)?;
            c.say("admin_notice_redemption_reset", &[])
        }
        _ => return Err(c.unknown_action()),
    };
    Ok(c.done(&back, &notice))
}
