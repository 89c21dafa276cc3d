//! `/t/{slug}/forgot`: a person who forgot their password asks for a link by email. The answer is the
//! same whether or not the address has an account ([`crate::service::recovery`]).

use super::{set_cookie, with_csrf};
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded_in, page_language, render_page, tenant_for_page, texts};
use crate::service::Services;
use crate::service::recovery::request_password_reset;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn forgot_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let t = texts(&tenant, language)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    let resp = render_page(&tenant, language, "pages/forgot.html", ctx)?;
    Ok(set_cookie(resp, cookie))
}

pub async fn forgot_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p: Params = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let email = input::field(&p, "email").trim();
    let address = crate::http::client_ip(&svc, &req);
    request_password_reset(&svc, &tenant, email, language, &address)
        .await
        .map_err(&fail)?;
    let t = texts(&tenant, language)?
        .fill("forgot_sent_message", &[("email", email)])
        .map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert("title", &t.get("forgot_sent_title").map_err(&fail)?);
    ctx.insert("message", &t.get("forgot_sent_message").map_err(&fail)?);
    ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
    ctx.insert("link_text", &t.get("page_signin_button").map_err(&fail)?);
    render_page(&tenant, language, "pages/message.html", ctx)
}
