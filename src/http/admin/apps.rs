//! Console: apps, their settings, secrets and assignments.

use super::{Console, ConsoleResult, field, lines};
use crate::error::Error;
use crate::service::Services;
use crate::service::apps::AppRole;
use crate::service::apps::manage::{
    self as app_admin, AppPatch, AssignmentInput, NewApp, parse_claim,
};
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

/// The optional claims the console offers, in the order shown.
const CLAIMS: [&str; 5] = [
    "email",
    "groups",
    "roles",
    "include_externally_authenticated_upn",
    "include_externally_authenticated_upn_without_hash",
];

pub async fn list(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let apps = app_admin::list(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("apps", &apps);
    c.render("admin/apps.html", "apps", ctx)
}

pub async fn new_form(c: Console) -> ConsoleResult {
    let mut ctx = tera::Context::new();
    ctx.insert("claims", &CLAIMS);
    c.render("admin/app_new.html", "apps", ctx)
}

fn claims_of(form: &HashMap<String, String>) -> Result<Vec<String>, Error> {
    CLAIMS
        .iter()
        .filter(|c| form.contains_key(&format!("claim_{c}")))
        .map(|c| parse_claim(c).map(|_| c.to_string()))
        .collect()
}

pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let err = |e: Error| c.page_error(e);
    let optional_claims = claims_of(&form)
        .map_err(err)?
        .iter()
        .map(|n| parse_claim(n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let created = app_admin::create(
        &svc,
        &c.actor,
        &c.tenant,
        NewApp {
            name: field(&form, "name").unwrap_or_default(),
            redirect_uris: lines(&form, "redirect_uris"),
            post_logout_redirect_uris: lines(&form, "post_logout_redirect_uris"),
            public: form.get("client_type").map(String::as_str) == Some("public"),
            first_party: form.contains_key("first_party"),
            assignment_required: form.contains_key("assignment_required"),
            signing_alg: field(&form, "signing_alg").unwrap_or_else(|| "RS256".into()),
            optional_claims,
            allowed_scopes: vec![],
            backchannel_logout_uri: field(&form, "backchannel_logout_uri"),
            backchannel_logout_session_required: form
                .contains_key("backchannel_logout_session_required"),
        },
    )
    .await
    .map_err(err)?;
    let t = c
        .texts()
        .fill("admin_app_registered", &[("app", &created.name)])
        .map_err(err)?;
    let mut ctx = tera::Context::new();
    ctx.insert("created", &created);
    c.render_with("admin/app_created.html", "apps", ctx, &t)
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let d = app_admin::get(&svc, &c.actor, &c.tenant, &id)
        .await
        .map_err(|e| c.page_error(e))?;
    let roles_text: Vec<String> = d
        .app
        .app_roles
        .iter()
        .map(|r| format!("{}: {}", r.value, r.display_name))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("d", &d);
    ctx.insert("etag", &d.etag);
    ctx.insert("claims", &CLAIMS);
    ctx.insert("roles_text", &roles_text.join("\n"));
    let t = c
        .texts()
        .around("admin_app_roles", "{format}", &[])
        .and_then(|t| t.fill("admin_app_assignments_caption", &[("app", &d.app.name)]))
        .and_then(|t| t.around("admin_app_unassign_label", "{name}", &[]))
        .and_then(|t| t.fill("admin_app_delete_confirm", &[("app", &d.app.name)]))
        .map_err(|e| c.page_error(e))?;
    c.render_with("admin/app.html", "apps", ctx, &t)
}

/// `value: Display name` per line.
fn roles_of(form: &HashMap<String, String>) -> Vec<AppRole> {
    lines(form, "app_roles")
        .into_iter()
        .map(|l| {
            let (value, name) = l.split_once(':').unwrap_or((&l, ""));
            AppRole {
                value: value.trim().to_string(),
                display_name: name.trim().to_string(),
                description: String::new(),
            }
        })
        .collect()
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
    let back = format!("/apps/{id}");
    match form.get("action").map(String::as_str) {
        Some("save") => {
            let patch = AppPatch {
                name: field(&form, "name"),
                redirect_uris: Some(lines(&form, "redirect_uris")),
                post_logout_redirect_uris: Some(lines(&form, "post_logout_redirect_uris")),
                first_party: Some(form.contains_key("first_party")),
                assignment_required: Some(form.contains_key("assignment_required")),
                signing_alg: field(&form, "signing_alg"),
                optional_claims: Some(claims_of(&form).map_err(err)?),
                app_roles: Some(roles_of(&form)),
                home_url: Some(form.get("home_url").cloned().unwrap_or_default()),
                enabled: Some(form.contains_key("enabled")),
                backchannel_logout_uri: Some(
                    form.get("backchannel_logout_uri")
                        .cloned()
                        .unwrap_or_default(),
                ),
                backchannel_logout_session_required: Some(
                    form.contains_key("backchannel_logout_session_required"),
                ),
                ..Default::default()
            };
            app_admin::update(&svc, &c.actor, &c.tenant, &id, patch, etag)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_saved", &[])))
        }
        Some("rotate_secret") => {
            let secret = app_admin::rotate_secret(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?
                .client_secret;
            let d = app_admin::get(&svc, &c.actor, &c.tenant, &id)
                .await
                .map_err(err)?;
            let t = c
                .texts()
                .fill("admin_app_new_secret", &[("app", &d.app.name)])
                .map_err(err)?;
            let mut ctx = tera::Context::new();
            ctx.insert("created", &serde_json::json!({ "id": d.app.id, "name": d.app.name, "clientId": d.app.client_id, "clientSecret": secret }));
            ctx.insert("rotated", &true);
            c.render_with("admin/app_created.html", "apps", ctx, &t)
        }
        Some("assign") => {
            let input = AssignmentInput {
                principal_type: field(&form, "principal_type").unwrap_or_else(|| "user".into()),
                principal_id: field(&form, "principal_id").unwrap_or_default(),
                app_role: form.get("app_role").cloned().unwrap_or_default(),
            };
            app_admin::assign(&svc, &c.actor, &c.tenant, &id, input)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_assigned", &[])))
        }
        Some("unassign") => {
            app_admin::unassign(
                &svc,
                &c.actor,
                &c.tenant,
                &id,
                &field(&form, "principal_type").unwrap_or_default(),
                &field(&form, "principal_id").unwrap_or_default(),
            )
            .await
            .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_unassigned", &[])))
        }
        Some("delete") => {
            if !form.contains_key("confirm") {
                return Err(c.invalid("confirm", "admin_error_confirm_app", &[]));
            }
            app_admin::delete(&svc, &c.actor, &c.tenant, &id, etag)
                .await
                .map_err(err)?;
            Ok(c.done("/apps", &c.say("admin_notice_app_deleted", &[])))
        }
        _ => Err(c.unknown_action()),
    }
}
