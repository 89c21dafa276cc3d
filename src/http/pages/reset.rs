//! `/t/{slug}/reset/{token}`: a one-time link an admin created, with which a member sets a password.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded_in, browser_language, render_page, tenant_for_page, texts};
use crate::service::Services;
use crate::service::tenants::Tenant;
use crate::service::users::{complete_password_reset, password_reset_for};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

fn used_up(tenant: &Tenant, language: Language) -> PageError {
    let fail = branded_in(tenant, language);
    match texts(tenant, language).and_then(|t| t.get("reset_used").map_err(&fail)) {
        Ok(message) => fail(Error::NotFound(message)),
        Err(e) => e,
    }
}

fn page(
    svc: &Services,
    req: &HttpRequest,
    (tenant, language): (&Tenant, Language),
    (token, email): (&str, &str),
    error: Option<(&str, &str)>,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let t = texts(tenant, language)?
        .fill("reset_intro", &[("email", email)])
        .map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("token", token);
    ctx.insert("error_field", error.map(|e| e.0).unwrap_or_default());
    ctx.insert(
        "error_message",
        &error.map(|e| t.locale().message(e.1)).unwrap_or_default(),
    );
    let mut resp = render_page(tenant, language, "pages/reset.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn reset_page(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = browser_language(&req, &tenant);
    let token = &path.1;
    match password_reset_for(&svc, &tenant, token, &crate::http::client_ip(&svc, &req))
        .await
        .map_err(branded_in(&tenant, language))?
    {
        Some(email) => page(&svc, &req, (&tenant, language), (token, &email), None),
        None => Err(used_up(&tenant, language)),
    }
}

pub async fn reset_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = browser_language(&req, &tenant);
    let fail = branded_in(&tenant, language);
    let token = &path.1;
    let p: Params = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let password = input::field(&p, "password");
    let confirm = input::field(&p, "confirm_password");
    let address = crate::http::client_ip(&svc, &req);
    match complete_password_reset(&svc, &tenant, token, password, confirm, &address).await {
        Ok(email) => {
            let t = texts(&tenant, language)?
                .fill("reset_done_message", &[("email", &email)])
                .map_err(&fail)?;
            let mut ctx = tera::Context::new();
            ctx.insert("title", &t.get("reset_done_title").map_err(&fail)?);
            ctx.insert("message", &t.get("reset_done_message").map_err(&fail)?);
            ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
            ctx.insert("link_text", &t.get("page_signin_button").map_err(&fail)?);
            render_page(&tenant, language, "pages/message.html", ctx)
        }
        Err(Error::NotFound(_)) => Err(used_up(&tenant, language)),
        Err(Error::Invalid { field, message }) => {
            let email = password_reset_for(&svc, &tenant, token, &address)
                .await
                .map_err(&fail)?
                .unwrap_or_default();
            page(
                &svc,
                &req,
                (&tenant, language),
                (token, &email),
                Some((&field, &message)),
            )
        }
        Err(Error::Conflict(m)) => page(
            &svc,
            &req,
            (&tenant, language),
            (token, ""),
            Some(("form", &m)),
        ),
        Err(e) => Err(fail(e)),
    }
}
