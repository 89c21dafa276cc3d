//! `/t/{slug}/signin`.

use super::{set_cookie, with_csrf};
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::{PageError, message_page};
use crate::http::input;
use crate::http::{branded, render_page, see_other, tenant_for_page};
use crate::service::Services;
use crate::service::authorize::load_pending;
use crate::service::signin::{self, SignInOutcome};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

async fn form(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    request: &str,
    email: &str,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let app_name = if request.is_empty() {
        None
    } else {
        Some(
            load_pending(svc, tenant, request)
                .await
                .map_err(branded(tenant))?
                .app
                .name
                .clone(),
        )
    };
    let mut ctx = tera::Context::new();
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("request", request);
    ctx.insert("email", email);
    ctx.insert("app_name", &app_name);
    ctx.insert("error_message", &error);
    ctx.insert("signup_open", &tenant.self_service_signup);
    let mut resp = render_page(tenant, "pages/signin.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn signin_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let q = input::query(&req);
    form(
        &svc,
        &req,
        &tenant,
        input::field(&q, "request"),
        input::field(&q, "login_hint"),
        None,
    )
    .await
}

/// Where to go after signing in: back to the waiting authorization request, or the app panel.
pub fn after_sign_in(tenant: &Tenant, request: &str) -> String {
    if request.is_empty() {
        format!("/t/{}/apps", tenant.slug)
    } else {
        format!("/t/{}/authorize/resume?request={}", tenant.slug, request)
    }
}

pub async fn signin_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let p = input::form(&req, &body).map_err(branded(&tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&tenant))?;
    let (email, password, request) = (
        input::field(&p, "email"),
        input::field(&p, "password"),
        input::field(&p, "request"),
    );
    let ip = req
        .connection_info()
        .realip_remote_addr()
        .unwrap_or_default()
        .to_string();
    match signin::sign_in(&svc, &tenant, email, password, &ip).await {
        Ok(SignInOutcome::Success { secret, .. }) => {
            let mut resp = see_other(&after_sign_in(&tenant, request));
            resp.add_cookie(&cookies::session(
                secret,
                svc.config.secure_cookies(),
                svc.config.session_ttl,
            ))
            .ok();
            Ok(resp)
        }
        Ok(SignInOutcome::NoAccess) => Ok(message_page(
            StatusCode::FORBIDDEN,
            &tenant.display_name,
            tenant.settings.privacy_url.as_deref(),
            "No access here",
            &format!(
                "Your account is valid, but it has no access to {}. Ask someone at {} to invite you, then follow the link in the invitation.",
                tenant.display_name, tenant.display_name
            ),
        )),
        Err(Error::Invalid { field, message }) if field == "credentials" || field == "email" => {
            form(&svc, &req, &tenant, request, email, Some(&message)).await
        }
        Err(e) => Err(branded(&tenant)(e)),
    }
}
