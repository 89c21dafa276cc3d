//! `/t/{slug}/signin`.

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::{PageError, message_page};
use crate::http::input;
use crate::http::{branded_in, page_language, render_page, see_other, tenant_for_page, texts};
use crate::service::Services;
use crate::service::authorize::load_pending;
use crate::service::signin::{self, SignInOutcome};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// The tenant's own words on its sign-in page, line by line (the template escapes each line).
fn signin_lines(tenant: &Tenant) -> Vec<String> {
    tenant
        .settings
        .signin_text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.lines().map(|l| l.trim_end().to_string()).collect())
        .unwrap_or_default()
}

async fn form(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    language: Language,
    request: &str,
    email: &str,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let app_name = if request.is_empty() {
        None
    } else {
        Some(
            load_pending(svc, tenant, request)
                .await
                .map_err(&fail)?
                .app
                .name
                .clone(),
        )
    };
    let t = texts(tenant, language)?
        .around("signin_to_app", "{app}", &[])
        .map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("request", request);
    ctx.insert("email", email);
    ctx.insert("app_name", &app_name);
    ctx.insert(
        "error_message",
        &error.map(|e| {
            crate::locale::Locale::new(language)
                .map(|l| l.message(e))
                .unwrap_or_else(|_| e.to_string())
        }),
    );
    ctx.insert("signup_open", &tenant.self_service_signup);
    ctx.insert(
        "offer_resend",
        &(error == Some(crate::service::verification::NOT_VERIFIED)),
    );
    ctx.insert("code_offered", &tenant.settings.email_one_time_passcode);
    let locale = crate::locale::Locale::new(language).map_err(&fail)?;
    let hint = (!email.is_empty()).then_some(email);
    ctx.insert(
        "providers",
        &super::federation::buttons(
            svc,
            tenant,
            &locale,
            hint,
            super::federation::ButtonsOn::SignIn,
        )
        .await,
    );
    ctx.insert("signin_lines", &signin_lines(tenant));
    let mut resp = render_page(tenant, language, "pages/signin.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
    }
    Ok(set_cookie(resp, cookie))
}

/// The sign-in form again, saying `message` (a service sentence, in the page's language).
pub async fn form_with_error(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    language: Language,
    request: &str,
    email: &str,
    message: &str,
) -> Result<HttpResponse, PageError> {
    let mut resp = form(svc, req, tenant, language, request, email, Some(message)).await?;
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    Ok(resp)
}

pub async fn signin_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let q = input::query(&req);
    form(
        &svc,
        &req,
        &tenant,
        language,
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
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let (email, password, request) = (
        input::field(&p, "email"),
        input::field(&p, "password"),
        input::field(&p, "request"),
    );
    // Identifier first: an address a provider serves signs in there, not with a password here.
    if password.is_empty()
        && let Some(provider) = super::federation::serving(&svc, &tenant, email).await
    {
        return super::federation::start_sign_in(&svc, &req, &tenant, &provider, request, email)
            .await
            .map_err(&fail);
    }
    let origin = crate::http::origin(&svc, &req);
    match signin::sign_in(&svc, &tenant, email, password, &origin).await {
        Ok(SignInOutcome::Success { secret, .. }) => {
            let mut resp = see_other(&after_sign_in(&tenant, request));
            resp.add_cookie(&cookies::session(
                secret,
                svc.config.secure_cookies(),
                svc.config.session_ttl,
            ))
            .ok();
            crate::http::remember_device(&svc, &mut resp, email);
            Ok(resp)
        }
        // Too many failures: the sign-in page again, saying how long to wait, without trying.
        Err(Error::Throttled { retry_after }) => {
            let locale = crate::locale::Locale::new(language).map_err(&fail)?;
            let message = locale
                .text(
                    "error_throttled_message",
                    &[("seconds", &retry_after.to_string())],
                )
                .map_err(&fail)?;
            let mut resp = form(
                &svc,
                &req,
                &tenant,
                language,
                request,
                email,
                Some(&message),
            )
            .await?;
            *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            crate::http::errors::set_retry_after(&mut resp, retry_after);
            Ok(resp)
        }
        Ok(SignInOutcome::NoAccess) => {
            let t = texts(&tenant, language)?;
            Ok(message_page(
                StatusCode::FORBIDDEN,
                Some(&tenant),
                language,
                &t.get("signin_no_access_title").map_err(&fail)?,
                &t.get("signin_no_access_message").map_err(&fail)?,
            ))
        }
        // The right password of an account whose address is not verified yet: why, and a new link.
        Err(Error::Forbidden(message)) if message == crate::service::verification::NOT_VERIFIED => {
            let mut resp = form(
                &svc,
                &req,
                &tenant,
                language,
                request,
                email,
                Some(&message),
            )
            .await?;
            *resp.status_mut() = StatusCode::FORBIDDEN;
            Ok(resp)
        }
        // One sentence for an unknown address and a wrong password alike, in the page's language.
        Err(Error::Invalid { field, .. }) if field == "credentials" => {
            let message = texts(&tenant, language)?
                .get("signin_error_credentials")
                .map_err(&fail)?;
            form(
                &svc,
                &req,
                &tenant,
                language,
                request,
                email,
                Some(&message),
            )
            .await
        }
        Err(Error::Invalid { field, message }) if field == "email" => {
            form(
                &svc,
                &req,
                &tenant,
                language,
                request,
                email,
                Some(&message),
            )
            .await
        }
        Err(e) => Err(fail(e)),
    }
}
