//! `/t/{slug}/review/{token}`: the link a sponsor follows from a review email. Opening it shows the
//! guest and the two buttons (mail scanners that fetch links decide nothing); pressing one decides, once.

use super::{set_cookie, with_csrf};
use crate::domain::calendar::date_of;
use crate::domain::language::Language;
use crate::domain::lifecycle::ReviewDecision;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{branded_in, page_language, render_page, tenant_for_page, texts};
use crate::service::Services;
use crate::service::lifecycle::review::{self, LinkState, ReviewLink};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// A page that says one thing; `status` tells a script what happened.
fn said(
    tenant: &Tenant,
    language: Language,
    (title, message): (&str, &str),
    name: &str,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let t = texts(tenant, language)?
        .fill(message, &[("name", name)])
        .map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert("title", &t.get(title).map_err(&fail)?);
    ctx.insert("message", &t.get(message).map_err(&fail)?);
    let mut resp = render_page(tenant, language, "pages/message.html", ctx)?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// The page for a link that is no longer open (or was just used).
fn outcome(
    tenant: &Tenant,
    language: Language,
    link: &ReviewLink,
    fresh: bool,
) -> Result<HttpResponse, PageError> {
    let (keys, status) = match (link.state, fresh) {
        (LinkState::Kept, true) => (("review_kept_title", "review_kept_message"), StatusCode::OK),
        (LinkState::Removed, true) => (
            ("review_removed_title", "review_removed_message"),
            StatusCode::OK,
        ),
        (LinkState::Closed, _) => (
            ("review_closed_title", "review_closed_message"),
            StatusCode::GONE,
        ),
        (LinkState::Disabled, _) => (
            ("review_disabled_title", "review_disabled_message"),
            StatusCode::CONFLICT,
        ),
        _ => (
            ("review_used_title", "review_used_message"),
            StatusCode::CONFLICT,
        ),
    };
    said(tenant, language, keys, &link.guest_name, status)
}

fn unknown(tenant: &Tenant, language: Language) -> Result<HttpResponse, PageError> {
    said(
        tenant,
        language,
        ("review_invalid_title", "review_invalid_message"),
        "",
        StatusCode::NOT_FOUND,
    )
}

#[derive(Debug, serde::Deserialize)]
pub struct Chosen {
    decision: Option<String>,
}

pub async fn review_page(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    chosen: web::Query<Chosen>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let link = match review::open(&svc, &tenant, &path.1).await {
        Ok(link) => link,
        Err(Error::NotFound(_)) => return unknown(&tenant, language),
        Err(e) => return Err(fail(e)),
    };
    if link.state != LinkState::Open {
        return outcome(&tenant, language, &link, false);
    }
    let t = texts(&tenant, language)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("token", &path.1);
    ctx.insert("guest_name", &link.guest_name);
    ctx.insert("guest_email", &link.guest_email);
    ctx.insert("last_sign_in", &link.last_sign_in.map(date_of));
    ctx.insert("deadline", &date_of(link.deadline));
    ctx.insert("chosen", &chosen.decision.as_deref().unwrap_or("keep"));
    let resp = render_page(&tenant, language, "pages/review.html", ctx)?;
    Ok(set_cookie(resp, cookie))
}

pub async fn review_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let decision =
        ReviewDecision::parse(input::field(&p, "decision")).map_err(|e| fail(e.into()))?;
    match review::decide(&svc, &tenant, &path.1, decision).await {
        Ok(link) => {
            let fresh = matches!(
                (link.state, decision),
                (LinkState::Kept, ReviewDecision::Keep)
                    | (LinkState::Removed, ReviewDecision::Remove)
            );
            outcome(&tenant, language, &link, fresh)
        }
        Err(Error::NotFound(_)) => unknown(&tenant, language),
        Err(e) => Err(fail(e)),
    }
}
