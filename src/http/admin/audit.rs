//! Console: the audit log, filtered and exportable.

use super::{Console, ConsoleResult, when};
use crate::service::Services;
use crate::service::audit::{self, AuditQuery};
use actix_web::http::header;
use actix_web::{HttpResponse, web};

pub async fn list(
    svc: web::Data<Services>,
    c: Console,
    q: web::Query<AuditQuery>,
) -> ConsoleResult {
    let q = q.into_inner();
    let page = audit::list(&svc, &c.actor, &c.tenant, q.clone())
        .await
        .map_err(|e| c.page_error(e))?;
    let names = audit::event_names(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let rows: Vec<_> = page
        .value
        .iter()
        .map(|e| serde_json::json!({ "e": e, "at": when(e.at), "details": e.details.to_string() }))
        .collect();
    let filter: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("eventName", q.event_name.as_deref().unwrap_or(""))
        .append_pair("actor", q.actor.as_deref().unwrap_or(""))
        .append_pair("target", q.target.as_deref().unwrap_or(""))
        .finish();
    let mut ctx = tera::Context::new();
    ctx.insert("rows", &rows);
    ctx.insert("names", &names);
    ctx.insert(
        "q",
        &serde_json::json!({
            "event_name": q.event_name.unwrap_or_default(),
            "actor": q.actor.unwrap_or_default(),
            "target": q.target.unwrap_or_default(),
        }),
    );
    ctx.insert("filter", &filter);
    ctx.insert("next", &page.next_cursor);
    c.render("admin/audit.html", "audit", ctx)
}

pub async fn export(
    svc: web::Data<Services>,
    c: Console,
    q: web::Query<AuditQuery>,
) -> ConsoleResult {
    let body = audit::export_csv(&svc, &c.actor, &c.tenant, q.into_inner())
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"audit-{}.csv\"", c.tenant.slug),
        ))
        .body(body))
}
