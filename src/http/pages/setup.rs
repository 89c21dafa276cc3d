//! `/t/{slug}/setup/{token}`: the one-time link that creates the first administrator.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded_in, browser_language, render_page, tenant_for_page, texts};
use crate::service::Services;
use crate::service::bootstrap::{FirstAdmin, complete_setup, setup_link_usable};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

fn used_up(tenant: &Tenant, language: Language) -> PageError {
    let fail = branded_in(tenant, language);
    match texts(tenant, language).and_then(|t| t.get("setup_used").map_err(&fail)) {
        Ok(message) => fail(Error::NotFound(message)),
        Err(e) => e,
    }
}

fn page(
    svc: &Services,
    req: &HttpRequest,
    (tenant, language): (&Tenant, Language),
    token: &str,
    p: &Params,
    error: Option<(&str, &str)>,
) -> Result<HttpResponse, PageError> {
    let t = texts(tenant, language)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("token", token);
    ctx.insert("email", input::field(p, "email"));
    ctx.insert("display_name", input::field(p, "display_name"));
    ctx.insert("error_field", error.map(|e| e.0).unwrap_or_default());
    ctx.insert(
        "error_message",
        &error.map(|e| t.locale().message(e.1)).unwrap_or_default(),
    );
    let mut resp = render_page(tenant, language, "pages/setup.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

// Nobody is signed in yet when the first administrator is made: the browser picks the language.
pub async fn setup_page(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = browser_language(&req, &tenant);
    let token = &path.1;
    if !setup_link_usable(&svc, &tenant, token, &crate::http::client_ip(&svc, &req))
        .await
        .map_err(branded_in(&tenant, language))?
    {
        return Err(used_up(&tenant, language));
    }
    page(&svc, &req, (&tenant, language), token, &Params::new(), None)
}

pub async fn setup_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = browser_language(&req, &tenant);
    let fail = branded_in(&tenant, language);
    let token = &path.1;
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let data = FirstAdmin {
        email: input::field(&p, "email").to_string(),
        display_name: input::field(&p, "display_name").to_string(),
        password: input::field(&p, "password").to_string(),
        confirm_password: input::field(&p, "confirm_password").to_string(),
    };
    let frame = (tenant.as_ref(), language);
    let address = crate::http::client_ip(&svc, &req);
    match complete_setup(&svc, &tenant, token, data, &address).await {
        Ok(admin) => {
            let t = texts(&tenant, language)?
                .fill("setup_done_message", &[("email", &admin.mail)])
                .map_err(&fail)?;
            let mut ctx = tera::Context::new();
            ctx.insert("title", &t.get("setup_done_title").map_err(&fail)?);
            ctx.insert("message", &t.get("setup_done_message").map_err(&fail)?);
            ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
            ctx.insert("link_text", &t.get("page_signin_button").map_err(&fail)?);
            render_page(&tenant, language, "pages/message.html", ctx)
        }
        Err(Error::NotFound(_)) => Err(used_up(&tenant, language)),
        Err(Error::Invalid { field, message }) => {
            page(&svc, &req, frame, token, &p, Some((&field, &message)))
        }
        Err(Error::Conflict(m)) => page(&svc, &req, frame, token, &p, Some(("email", &m))),
        Err(e) => Err(fail(e)),
    }
}
