//! `/t/{slug}/consent`: the person allows an app to use their account (once per app and scopes).

use super::{set_cookie, with_csrf};
use crate::domain::scope::Scopes;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{
    branded_in, browser_language, language_for, page_language, render_page, see_other,
    tenant_for_page, texts,
};
use crate::locale::Texts;
use crate::service::Services;
use crate::service::authorize::{deny, grant_consent, load_pending};
use actix_web::{HttpRequest, HttpResponse, web};

/// The locale key that says what `scope` lets the app do, in the person's words; `None` for scopes of the
/// app's own API, which have no sentence.
fn describe(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "scope_openid",
        "profile" => "scope_profile",
        "email" => "scope_email",
        "address" => "scope_address",
        "phone" => "scope_phone",
        "offline_access" => "scope_offline_access",
        _ => return None,
    })
}

/// The sentences of the requested scopes, in the page's language.
fn scope_sentences(texts: &Texts, stored_scope: &str) -> crate::error::Result<Vec<String>> {
    Scopes::from_stored(stored_scope)
        .iter()
        .filter_map(describe)
        .map(|key| texts.get(key))
        .collect()
}

pub async fn consent_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let early = branded_in(&tenant, browser_language(&req, &tenant));
    let q = input::query(&req);
    let id = input::field(&q, "request");
    let pending = load_pending(&svc, &tenant, id).await.map_err(&early)?;
    let Some(signed_in) = cookies::signed_in(&svc, &req).await.map_err(&early)? else {
        return Ok(see_other(&format!(
            "/t/{}/signin?request={}",
            tenant.slug, pending.id
        )));
    };
    let language = language_for(&req, &tenant, Some(&signed_in.home_user));
    let fail = branded_in(&tenant, language);
    let app = pending.app.name.as_str();
    let t = texts(&tenant, language)?
        .fill("consent_heading", &[("app", app)])
        .and_then(|t| t.fill("consent_app_may", &[("app", app)]))
        .and_then(|t| {
            t.around(
                "consent_signed_in_as",
                "{name}",
                &[("email", &signed_in.home_user.mail)],
            )
        })
        .map_err(&fail)?;
    let scopes = scope_sentences(&t, &pending.request.scope).map_err(&fail)?;
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", t.value());
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("request", &pending.id);
    ctx.insert("app_name", app);
    ctx.insert("user_name", &signed_in.home_user.display_name);
    ctx.insert("user_email", &signed_in.home_user.mail);
    ctx.insert("scopes", &scopes);
    Ok(set_cookie(
        render_page(&tenant, language, "pages/consent.html", ctx)?,
        cookie,
    ))
}

pub async fn consent_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let pending = load_pending(&svc, &tenant, input::field(&p, "request"))
        .await
        .map_err(&fail)?;
    match input::field(&p, "decision") {
        "accept" => {
            let signed_in = cookies::signed_in(&svc, &req)
                .await
                .map_err(&fail)?
                .ok_or_else(|| fail(Error::Unauthenticated))?;
            grant_consent(&svc, &tenant, &pending, &signed_in)
                .await
                .map_err(&fail)?;
            Ok(see_other(&format!(
                "/t/{}/authorize/resume?request={}",
                tenant.slug, pending.id
            )))
        }
        "cancel" => Ok(see_other(
            &deny(&svc, &tenant, &pending).await.map_err(&fail)?,
        )),
        _ => {
            let message = texts(&tenant, language)?
                .get("consent_choose")
                .map_err(&fail)?;
            Err(fail(Error::invalid("decision", message)))
        }
    }
}
