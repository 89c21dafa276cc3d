//! `/t/{slug}/signup`: self-service sign-up, when the tenant allows it.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded_in, page_language, render_page, tenant_for_page, texts};
use crate::service::Services;
use crate::service::signin::{self, SignUp};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

fn closed(tenant: &Tenant, language: Language) -> PageError {
    let fail = branded_in(tenant, language);
    match texts(tenant, language).and_then(|t| t.get("signup_closed").map_err(&fail)) {
        Ok(message) => fail(Error::NotFound(message)),
        Err(e) => e,
    }
}

fn page(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    language: Language,
    p: &Params,
    error: Option<(&str, &str)>,
) -> Result<HttpResponse, PageError> {
    let t = texts(tenant, language)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("request", input::field(p, "request"));
    ctx.insert("email", input::field(p, "email"));
    ctx.insert("display_name", input::field(p, "display_name"));
    ctx.insert("error_field", error.map(|e| e.0).unwrap_or_default());
    ctx.insert(
        "error_message",
        &error.map(|e| t.locale().message(e.1)).unwrap_or_default(),
    );
    let mut resp = render_page(tenant, language, "pages/signup.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn signup_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    if !tenant.self_service_signup {
        return Err(closed(&tenant, language));
    }
    page(&svc, &req, &tenant, language, &input::query(&req), None)
}

pub async fn signup_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    if !tenant.self_service_signup {
        return Err(closed(&tenant, language));
    }
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let password = input::field(&p, "password").to_string();
    let input_data = SignUp {
        email: input::field(&p, "email").to_string(),
        display_name: input::field(&p, "display_name").to_string(),
        password,
        confirm_password: input::field(&p, "confirm_password").to_string(),
    };
    let origin = crate::http::origin(&svc, &req);
    match signin::sign_up(&svc, &tenant, input_data, language, &origin).await {
        // The account waits for its address to be proven: no session until then.
        Ok(created) => {
            let t = texts(&tenant, language)?
                .fill("verify_sent_message", &[("email", &created.mail)])
                .map_err(&fail)?;
            let mut ctx = tera::Context::new();
            ctx.insert("title", &t.get("verify_sent_title").map_err(&fail)?);
            ctx.insert("message", &t.get("verify_sent_message").map_err(&fail)?);
            ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
            ctx.insert("link_text", &t.get("page_signin_button").map_err(&fail)?);
            render_page(&tenant, language, "pages/message.html", ctx)
        }
        Err(Error::Invalid { field, message }) => {
            let field = match field.as_str() {
                "email" | "display_name" | "password" | "confirm_password" => field,
                _ => "form".to_string(),
            };
            page(&svc, &req, &tenant, language, &p, Some((&field, &message)))
        }
        Err(e) => Err(fail(e)),
    }
}
