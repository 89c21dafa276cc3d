//! `/t/{slug}/terms?request=…`: a guest accepts the tenant's newest terms of use before an app gets a
//! token for them; the waiting authorization request then resumes. The same block of terms sits on the
//! redemption consent page.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{branded_in, language_for, render_page, see_other, tenant_for_page, texts};
use crate::service::Services;
use crate::service::tenants::Tenant;
use crate::service::terms::{self, Terms};
use actix_web::{HttpRequest, HttpResponse, web};

/// What `pages/terms_block.html` shows of `terms`, in `language`.
pub fn block(
    tenant: &Tenant,
    language: Language,
    terms: &Terms,
) -> Result<serde_json::Value, PageError> {
    let fail = branded_in(tenant, language);
    let version = terms.version.to_string();
    let t = texts(tenant, language)?
        .fill("terms_version", &[("version", &version)])
        .map_err(&fail)?;
    let text = terms.in_language(language);
    let lines: Vec<&str> = text
        .and_then(|t| t.text.as_deref())
        .map(|b| b.lines().filter(|l| !l.trim().is_empty()).collect())
        .unwrap_or_default();
    Ok(serde_json::json!({
        "version": terms.version,
        "url": text.and_then(|t| t.url.clone()),
        "lines": lines,
        "heading": t.get("terms_heading").map_err(&fail)?,
        "intro": t.get("terms_intro").map_err(&fail)?,
        "version_label": t.get("terms_version").map_err(&fail)?,
        "read_link": t.get("terms_read_link").map_err(&fail)?,
        "accept_label": t.get("terms_accept_label").map_err(&fail)?,
    }))
}

/// The version a form accepted: its `terms_version`, when the box was ticked.
pub fn accepted_version(p: &input::Params) -> Result<i32, Error> {
    if input::field(p, "accept_terms").is_empty() {
        return Err(Error::invalid(
            "accept_terms",
            "Tick the box to accept the terms of use.",
        ));
    }
    input::field(p, "terms_version")
        .parse()
        .map_err(|_| Error::invalid("terms_version", "Tick the box to accept the terms of use."))
}

pub async fn terms_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let request = input::field(&input::query(&req), "request").to_string();
    page(&svc, &req, &request, None).await
}

async fn page(
    svc: &Services,
    req: &HttpRequest,
    request: &str,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(svc, req).await?;
    let resume = super::signin::after_sign_in(&tenant, request);
    let Some(me) = cookies::signed_in(svc, req)
        .await
        .map_err(branded_in(&tenant, Language::En))?
    else {
        return Ok(see_other(&resume));
    };
    let language = language_for(req, &tenant, Some(&me.home_user));
    let fail = branded_in(&tenant, language);
    let Some(terms) = terms::pending_for_person(svc, &tenant, &me.home_user)
        .await
        .map_err(&fail)?
    else {
        // Nothing (left) to accept: on with the request.
        return Ok(see_other(&resume));
    };
    let t = texts(&tenant, language)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("request", request);
    ctx.insert("terms", &block(&tenant, language, &terms)?);
    ctx.insert("error_message", &error.map(|e| t.locale().message(e)));
    let mut resp = render_page(&tenant, language, "pages/terms.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn terms_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let fail = branded_in(&tenant, Language::En);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let request = input::field(&p, "request");
    let Some(me) = cookies::signed_in(&svc, &req).await.map_err(&fail)? else {
        return Ok(see_other(&super::signin::after_sign_in(&tenant, request)));
    };
    let outcome = match accepted_version(&p) {
        Ok(version) => terms::accept(&svc, &tenant, &me.home_user, version).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(see_other(&super::signin::after_sign_in(&tenant, request))),
        Err(Error::Invalid { message, .. } | Error::Conflict(message)) => {
            page(&svc, &req, request, Some(&message)).await
        }
        Err(e) => {
            let language = language_for(&req, &tenant, Some(&me.home_user));
            Err(branded_in(&tenant, language)(e))
        }
    }
}
