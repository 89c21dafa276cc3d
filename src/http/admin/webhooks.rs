//! Console: the tenant's webhook endpoints (adding one shows its signing secret once), each with its
//! settings, secret rotation, removal, and its delivery log with replay.

use super::{Console, ConsoleResult, field, when};
use crate::error::Error;
use crate::service::Services;
use crate::service::webhooks::{self, NewWebhook, WebhookPatch, WebhookWithSecret};
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

/// The event names of a form's textarea, one a line.
fn events_of(form: &HashMap<String, String>) -> Vec<String> {
    form.get("events")
        .map(|e| e.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

pub async fn list(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let endpoints = webhooks::list(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let mut ctx = tera::Context::new();
    ctx.insert("endpoints", &endpoints);
    c.render("admin/webhooks.html", "webhooks", ctx)
}

pub async fn create(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let input = NewWebhook {
        url: field(&form, "url").unwrap_or_default(),
        description: field(&form, "description").unwrap_or_default(),
        events: events_of(&form),
        enabled: None,
    };
    let created = webhooks::create(&svc, &c.actor, &c.tenant, input)
        .await
        .map_err(|e| c.page_error(e))?;
    detail(&svc, &c, &created.webhook.id.clone(), Some(created)).await
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest, c: Console) -> ConsoleResult {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    detail(&svc, &c, &id, None).await
}

/// The endpoint's page; with `secret`, just made or rotated, shown this once.
async fn detail(
    svc: &Services,
    c: &Console,
    id: &str,
    secret: Option<WebhookWithSecret>,
) -> ConsoleResult {
    let err = |e: Error| c.page_error(e);
    let w = webhooks::get(svc, &c.actor, &c.tenant, id)
        .await
        .map_err(err)?;
    let log = webhooks::deliveries(svc, &c.actor, &c.tenant, id)
        .await
        .map_err(err)?;
    let rows: Vec<serde_json::Value> = log
        .iter()
        .map(|d| serde_json::json!({ "d": d, "at": when(d.created_at) }))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("events_text", &w.events.join("\n"));
    ctx.insert("etag", &w.etag);
    ctx.insert("w", &w);
    ctx.insert("rows", &rows);
    ctx.insert("secret", &secret.map(|s| s.secret));
    c.render("admin/webhook.html", "webhooks", ctx)
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
    let back = format!("/webhooks/{id}");
    let etag = form.get("etag").cloned();
    match form.get("action").map(String::as_str) {
        Some("save") => {
            let patch = WebhookPatch {
                url: field(&form, "url"),
                description: Some(form.get("description").cloned().unwrap_or_default()),
                events: Some(events_of(&form)),
                enabled: Some(form.contains_key("enabled")),
            };
            webhooks::update(&svc, &c.actor, &c.tenant, &id, patch, etag)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_saved", &[])))
        }
        Some("rotate_secret") => {
            // "Keep the old secret for a day" gives receivers time to switch.
            let keep = if form.contains_key("keep_previous") {
                24
            } else {
                0
            };
            let rotated = webhooks::rotate_secret(&svc, &c.actor, &c.tenant, &id, keep)
                .await
                .map_err(err)?;
            detail(&svc, &c, &id, Some(rotated)).await
        }
        Some("replay") => {
            let delivery = form.get("delivery").cloned().unwrap_or_default();
            webhooks::replay(&svc, &c.actor, &c.tenant, &id, &delivery)
                .await
                .map_err(err)?;
            Ok(c.done(&back, &c.say("admin_notice_webhook_replayed", &[])))
        }
        Some("delete") => {
            if !form.contains_key("confirm") {
                return Err(c.invalid("confirm", "admin_error_confirm_webhook", &[]));
            }
            webhooks::delete(&svc, &c.actor, &c.tenant, &id, etag)
                .await
                .map_err(err)?;
            Ok(c.done("/webhooks", &c.say("admin_notice_webhook_deleted", &[])))
        }
        _ => Err(c.unknown_action()),
    }
}
