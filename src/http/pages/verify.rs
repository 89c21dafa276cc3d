//! `/t/{slug}/verify/{token}`: the link a self-service sign-up gets by email. Opening it shows a button
//! (mail scanners that fetch links confirm nothing); pressing it verifies the address. `POST
//! /t/{slug}/verify` sends the link again.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{branded_in, page_language, render_page, tenant_for_page, texts};
use crate::service::Services;
use crate::service::tenants::Tenant;
use crate::service::verification;
use actix_web::{HttpRequest, HttpResponse, web};

/// A link that is unknown, used or expired: one page, in the tenant's frame.
fn not_valid(tenant: &Tenant, language: Language) -> PageError {
    let fail = branded_in(tenant, language);
    match texts(tenant, language).and_then(|t| t.get("verify_used").map_err(&fail)) {
        Ok(message) => fail(Error::NotFound(message)),
        Err(e) => e,
    }
}

/// A page that says one thing, with a way to the sign-in page.
fn said(
    tenant: &Tenant,
    language: Language,
    title: &str,
    message: &str,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let t = texts(tenant, language)?;
    let mut ctx = tera::Context::new();
    ctx.insert("title", &t.get(title).map_err(&fail)?);
    ctx.insert("message", message);
    ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
    ctx.insert("link_text", &t.get("page_signin_button").map_err(&fail)?);
    render_page(tenant, language, "pages/message.html", ctx)
}

pub async fn verify_page(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let address = crate::http::client_ip(&svc, &req);
    let email = match verification::link_for(&svc, &tenant, &path.1, &address).await {
        Ok(email) => email,
        Err(Error::NotFound(_)) => return Err(not_valid(&tenant, language)),
        Err(e) => return Err(branded_in(&tenant, language)(e)),
    };
    form(&svc, &req, (&tenant, language), (&path.1, &email), None)
}

/// The confirmation form: the address, the password chosen at sign-up, and `error` when it was wrong.
fn form(
    svc: &Services,
    req: &HttpRequest,
    (tenant, language): (&Tenant, Language),
    (token, email): (&str, &str),
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let t = texts(tenant, language)?
        .around("verify_intro", "{email}", &[])
        .map_err(branded_in(tenant, language))?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("token", token);
    ctx.insert("email", email);
    ctx.insert("error_message", &error.map(|e| t.locale().message(e)));
    let mut resp = render_page(tenant, language, "pages/verify.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn verify_submit(
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
    let address = crate::http::client_ip(&svc, &req);
    let password = input::field(&p, "password");
    match verification::confirm(&svc, &tenant, &path.1, password, &address).await {
        Ok(_) => {
            let message = texts(&tenant, language)?
                .get("verify_done_message")
                .map_err(&fail)?;
            said(&tenant, language, "verify_done_title", &message)
        }
        Err(Error::NotFound(_)) => Err(not_valid(&tenant, language)),
        Err(Error::Invalid { message, .. }) => form(
            &svc,
            &req,
            (&tenant, language),
            (&path.1, input::field(&p, "email")),
            Some(&message),
        ),
        Err(e) => Err(fail(e)),
    }
}

/// "Send the link again", from the sign-in page that refused an unverified account.
pub async fn resend(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let email = input::field(&p, "email").trim();
    let address = crate::http::client_ip(&svc, &req);
    verification::resend(&svc, &tenant, email, language, &address)
        .await
        .map_err(&fail)?;
    let message = texts(&tenant, language)?
        .fill("verify_resent_message", &[("email", email)])
        .map_err(&fail)?
        .get("verify_resent_message")
        .map_err(&fail)?;
    said(&tenant, language, "verify_sent_title", &message)
}
