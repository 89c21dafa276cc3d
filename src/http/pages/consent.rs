//! `/t/{slug}/consent`: the person allows an app to use their account (once per app and scopes).

use super::{set_cookie, with_csrf};
use crate::domain::scope::Scopes;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{branded, render_page, see_other, tenant_for_page};
use crate::service::Services;
use crate::service::authorize::{deny, grant_consent, load_pending};
use actix_web::{HttpRequest, HttpResponse, web};

/// What each scope lets the app do, in the person's words.
fn describe(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "Sign you in and know who you are",
        "profile" => "See your name and basic profile",
        "email" => "See your email address",
        "address" => "See your postal address",
        "phone" => "See your phone number",
        "offline_access" => "Keep access to this data when you are not using it",
        _ => return None,
    })
}

pub async fn consent_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let q = input::query(&req);
    let id = input::field(&q, "request");
    let pending = load_pending(&svc, &tenant, id)
        .await
        .map_err(branded(&tenant))?;
    let Some(signed_in) = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&tenant))?
    else {
        return Ok(see_other(&format!(
            "/t/{}/signin?request={}",
            tenant.slug, pending.id
        )));
    };
    let scopes: Vec<&str> = Scopes::from_stored(&pending.request.scope)
        .iter()
        .filter_map(describe)
        .collect();
    let mut ctx = tera::Context::new();
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("request", &pending.id);
    ctx.insert("app_name", &pending.app.name);
    ctx.insert("user_name", &signed_in.home_user.display_name);
    ctx.insert("user_email", &signed_in.home_user.mail);
    ctx.insert("scopes", &scopes);
    Ok(set_cookie(
        render_page(&tenant, "pages/consent.html", ctx)?,
        cookie,
    ))
}

pub async fn consent_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let p = input::form(&req, &body).map_err(branded(&tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&tenant))?;
    let pending = load_pending(&svc, &tenant, input::field(&p, "request"))
        .await
        .map_err(branded(&tenant))?;
    match input::field(&p, "decision") {
        "accept" => {
            let signed_in = cookies::signed_in(&svc, &req)
                .await
                .map_err(branded(&tenant))?
                .ok_or_else(|| branded(&tenant)(Error::Unauthenticated))?;
            grant_consent(&svc, &tenant, &pending, &signed_in)
                .await
                .map_err(branded(&tenant))?;
            Ok(see_other(&format!(
                "/t/{}/authorize/resume?request={}",
                tenant.slug, pending.id
            )))
        }
        "cancel" => Ok(see_other(
            &deny(&svc, &tenant, &pending)
                .await
                .map_err(branded(&tenant))?,
        )),
        _ => Err(branded(&tenant)(Error::invalid(
            "decision",
            "Choose Accept or Cancel.",
        ))),
    }
}
