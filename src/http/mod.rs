//! HTTP: thin handlers that parse, call one service function and render. Routes are listed here.

pub mod api;
pub mod cookies;
pub mod errors;
pub mod health;
pub mod input;
pub mod oidc;
pub mod pages;

use crate::service::Services;
use crate::service::tenants::Tenant;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};
use errors::PageError;
use std::sync::Arc;

/// Largest request body any endpoint reads (forms and token requests are far smaller).
pub const MAX_BODY: usize = 64 * 1024;

/// Headers on every answer: no framing, no sniffing, no referrer, and a CSP without inline script.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self' data: https:; script-src 'self'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use oidc::*;
    use pages::*;
    cfg.app_data(web::PayloadConfig::new(MAX_BODY))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route(
            "/static/style.css",
            web::get().to(pages::assets::stylesheet),
        )
        .route(
            "/api/v1/tenants/{slug}/invitations",
            web::post().to(api::invitations::create),
        )
        .route(
            "/api/v1/tenants/{slug}/invitations",
            web::get().to(api::invitations::list),
        )
        .route(
            "/api/v1/tenants/{slug}/invitations/{id}/resend",
            web::post().to(api::invitations::resend),
        )
        .route("/invite/{ticket}", web::get().to(redeem::show))
        .route("/invite/{ticket}/signin", web::post().to(redeem::sign_in))
        .route(
            "/invite/{ticket}/register",
            web::post().to(redeem::register),
        )
        .route(
            "/invite/{ticket}/continue",
            web::post().to(redeem::continue_as),
        )
        .route(
            "/invite/{ticket}/consent",
            web::get().to(redeem::consent_page),
        )
        .route(
            "/invite/{ticket}/consent",
            web::post().to(redeem::consent_submit),
        )
        .route("/invite/{ticket}/block", web::get().to(redeem::block_page))
        .route(
            "/invite/{ticket}/block",
            web::post().to(redeem::block_submit),
        )
        .service(
            web::scope("/t/{slug}")
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery::openid_configuration),
                )
                .route("/jwks", web::get().to(discovery::jwks))
                .route("/authorize", web::get().to(authorize::authorize_get))
                .route("/authorize", web::post().to(authorize::authorize_post))
                .route("/authorize/resume", web::get().to(authorize::resume))
                .route("/token", web::post().to(token::token))
                .route("/userinfo", web::get().to(userinfo::userinfo_get))
                .route("/userinfo", web::post().to(userinfo::userinfo_post))
                .route("/revoke", web::post().to(token::revoke))
                .route("/introspect", web::post().to(token::introspect))
                .route("/logout", web::get().to(logout::logout_get))
                .route("/logout", web::post().to(logout::logout_post))
                .route("/signin", web::get().to(signin::signin_page))
                .route("/signin", web::post().to(signin::signin_submit))
                .route("/signup", web::get().to(signup::signup_page))
                .route("/signup", web::post().to(signup::signup_submit))
                .route("/consent", web::get().to(consent::consent_page))
                .route("/consent", web::post().to(consent::consent_submit))
                .route("/setup/{token}", web::get().to(setup::setup_page))
                .route("/setup/{token}", web::post().to(setup::setup_submit))
                .route("/apps", web::get().to(apps::app_panel)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, PageError> {
    Err(crate::error::Error::NotFound("There is no page at this address.".into()).into())
}

/// The tenant named in the path, or a "not found" page.
pub async fn tenant_for_page(svc: &Services, req: &HttpRequest) -> Result<Arc<Tenant>, PageError> {
    let slug = req.match_info().get("slug").unwrap_or_default();
    svc.tenants.by_slug(slug).await.map_err(|e| match e {
        crate::error::Error::NotFound(_) => PageError::from(crate::error::Error::NotFound(
            "There is no organisation at this address.".into(),
        )),
        other => other.into(),
    })
}

/// A page error in the tenant's colours.
pub fn branded(tenant: &Tenant) -> impl Fn(crate::error::Error) -> PageError + '_ {
    move |error| PageError {
        error,
        tenant_name: tenant.display_name.clone(),
        privacy_url: tenant.settings.privacy_url.clone(),
    }
}

/// An HTML page in the tenant's frame.
pub fn render_page(
    tenant: &Tenant,
    name: &str,
    mut ctx: tera::Context,
) -> Result<HttpResponse, PageError> {
    ctx.insert("tenant_name", &tenant.display_name);
    ctx.insert("privacy_url", &tenant.settings.privacy_url);
    ctx.insert("slug", &tenant.slug);
    let body = crate::templates::Templates::global()
        .render(name, &ctx)
        .map_err(branded(tenant))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// A 303 to `location` (after a form POST the browser follows with GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
