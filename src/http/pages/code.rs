//! The page where a person types the one-time code we emailed ([`crate::service::one_time_code`]), for
//! a tenant's sign-in (`/t/{slug}/signin/code`) and for an invitation (`/invite/{ticket}/code`, whose
//! handlers live with the other redemption pages).

use super::{set_cookie, with_csrf};
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{branded_in, page_language, render_page, see_other, tenant_for_page, texts};
use crate::service::Services;
use crate::service::one_time_code;
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

/// Where a code page's forms go, and what it says was sent.
pub struct CodeForm<'a> {
    /// Checks the code.
    pub verify_action: String,
    /// Sends a new code.
    pub send_action: String,
    /// The challenge the code is bound to.
    pub challenge: &'a str,
    pub email: &'a str,
    /// The waiting authorization request, on the sign-in pages.
    pub request: &'a str,
    /// `code_sent` (sign-in: "if … may sign in with a code") or `code_sent_invitation`.
    pub sent_key: &'a str,
}

/// The code page, with `error` (a service sentence, shown in the page's language) when the last try
/// failed.
pub fn code_page(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    language: Language,
    form: CodeForm<'_>,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let t = texts(tenant, language)?
        .around(form.sent_key, "{email}", &[])
        .map_err(&fail)?;
    let sent_before = t.get(&format!("{}_before", form.sent_key)).map_err(&fail)?;
    let sent_after = t.get(&format!("{}_after", form.sent_key)).map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("sent_before", &sent_before);
    ctx.insert("sent_after", &sent_after);
    ctx.insert("verify_action", &form.verify_action);
    ctx.insert("send_action", &form.send_action);
    ctx.insert("challenge", form.challenge);
    ctx.insert("email", form.email);
    ctx.insert("request", form.request);
    ctx.insert("error_message", &error.map(|e| t.locale().message(e)));
    let mut resp = render_page(tenant, language, "pages/code.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

fn sign_in_form<'a>(
    tenant: &Tenant,
    challenge: &'a str,
    email: &'a str,
    request: &'a str,
) -> CodeForm<'a> {
    CodeForm {
        verify_action: format!("/t/{}/signin/code/verify", tenant.slug),
        send_action: format!("/t/{}/signin/code", tenant.slug),
        challenge,
        email,
        request,
        sent_key: "code_sent",
    }
}

/// `POST /t/{slug}/signin/code`: "Email me a code" on the sign-in page (identifier first).
pub async fn signin_send(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let (email, request) = (
        input::field(&p, "email").trim(),
        input::field(&p, "request"),
    );
    let address = crate::http::client_ip(&svc, &req);
    match one_time_code::send_for_sign_in(&svc, &tenant, email, language, &address).await {
        Ok(challenge) => code_page(
            &svc,
            &req,
            &tenant,
            language,
            sign_in_form(&tenant, &challenge.handle, email, request),
            None,
        ),
        Err(Error::Invalid { message, .. } | Error::Forbidden(message)) => {
            super::signin::form_with_error(&svc, &req, &tenant, language, request, email, &message)
                .await
        }
        Err(e) => Err(fail(e)),
    }
}

/// `POST /t/{slug}/signin/code/verify`: the code typed; on to the waiting request (or the app panel).
pub async fn signin_verify(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let (challenge, code) = (input::field(&p, "challenge"), input::field(&p, "code"));
    let (email, request) = (input::field(&p, "email"), input::field(&p, "request"));
    let origin = crate::http::origin(&svc, &req);
    match one_time_code::sign_in(&svc, &tenant, challenge, code, &origin).await {
        Ok(secret) => {
            let mut resp = see_other(&super::signin::after_sign_in(&tenant, request));
            resp.add_cookie(&cookies::session(
                secret,
                svc.config.secure_cookies(),
                svc.config.session_ttl,
            ))
            .ok();
            Ok(resp)
        }
        Err(Error::Invalid { message, .. }) => code_page(
            &svc,
            &req,
            &tenant,
            language,
            sign_in_form(&tenant, challenge, email, request),
            Some(&message),
        ),
        Err(e) => Err(fail(e)),
    }
}
