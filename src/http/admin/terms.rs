//! Console: the tenant's terms of use (publishing a new version in English and Korean, by text or link)
//! and who accepted which version.

use super::{Console, ConsoleResult, field, when};
use crate::service::Services;
use crate::service::terms::{self, NewTerms, TermsText};
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

type Form = web::Form<HashMap<String, String>>;

/// The languages the console's form offers; the API takes any of the eleven.
const LANGUAGES: [&str; 2] = ["en", "ko"];

pub async fn terms_page(svc: web::Data<Services>, c: Console) -> ConsoleResult {
    let current = terms::show(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let accepted = terms::acceptances(&svc, &c.actor, &c.tenant)
        .await
        .map_err(|e| c.page_error(e))?;
    let rows: Vec<serde_json::Value> = accepted
        .iter()
        .map(|a| serde_json::json!({ "a": a, "at": when(a.accepted_at) }))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("current", &current);
    ctx.insert(
        "published_at",
        &current.as_ref().map(|t| when(t.published_at)),
    );
    ctx.insert("rows", &rows);
    ctx.insert("languages", &LANGUAGES);
    c.render("admin/terms.html", "terms", ctx)
}

pub async fn publish(
    svc: web::Data<Services>,
    req: HttpRequest,
    c: Console,
    form: Form,
) -> ConsoleResult {
    c.check(&req, form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let texts = LANGUAGES
        .iter()
        .filter_map(|l| {
            let text = field(&form, &format!("text_{l}"));
            let url = field(&form, &format!("url_{l}"));
            (text.is_some() || url.is_some()).then(|| TermsText {
                language: l.to_string(),
                text,
                url,
            })
        })
        .collect();
    let published = terms::publish(&svc, &c.actor, &c.tenant, NewTerms { texts })
        .await
        .map_err(|e| c.page_error(e))?;
    Ok(c.done(
        "/terms",
        &c.say(
            "admin_notice_terms_published",
            &[("version", &published.version.to_string())],
        ),
    ))
}
