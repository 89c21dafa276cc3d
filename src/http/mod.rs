//! HTTP: thin handlers that parse, call one service function and render. Routes are listed here.

pub mod admin;
pub mod api;
pub mod caller;
pub mod client_address;
pub mod cookies;
pub mod errors;
pub mod health;
pub mod input;
pub mod metrics;
pub mod oidc;
pub mod pages;
mod routes;

use crate::domain::language::{self, Language, LanguageHints};
use crate::domain::user::User;
use crate::locale::{Locale, Texts, html_lang};
use crate::service::Services;
use crate::service::tenants::Tenant;
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, web};
use errors::PageError;
use pages::brand::Brand;
use std::sync::Arc;

/// Largest request body any endpoint reads (forms and token requests are far smaller).
pub const MAX_BODY: usize = 64 * 1024;

/// The CSP of every answer: nothing inline, nothing from elsewhere, except a tenant's logo from the
/// one origin its branding names (`logo_origin`, on its own pages only).
pub fn content_security_policy(logo_origin: Option<&str>) -> String {
    let img = match logo_origin {
        Some(origin) => format!("img-src 'self' data: {origin}"),
        None => "img-src 'self' data:".to_string(),
    };
    format!(
        "default-src 'none'; style-src 'self'; {img}; script-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// Headers on every answer: no framing, no sniffing, no referrer, a CSP without inline script, and,
/// when people reach the server over https, HSTS.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(None),
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"));
    if https {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}

/// The CSP of a tenant's page: the default, plus the origin of the tenant's logo when it is an
/// https URL elsewhere.
pub fn page_csp(tenant: Option<&Tenant>) -> String {
    let origin = tenant
        .and_then(|t| Brand::of(t).logo_url)
        .and_then(|u| url::Url::parse(&u).ok())
        .filter(|u| u.scheme() == "https")
        .map(|u| u.origin().ascii_serialization());
    content_security_policy(origin.as_deref())
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .route(
            "/federation/callback",
            web::get().to(pages::federation::callback),
        )
        .route(
            "/static/style.css",
            web::get().to(pages::assets::stylesheet),
        )
        // The router tries routes in this order, each a pattern match: the protocol endpoints that
        // apps call at high rates come first, before the API's and the console's many routes.
        .configure(oidc::protocol_routes)
        .configure(pages::page_routes)
        .configure(pages::invite_routes)
        .configure(api::routes)
        .route("/api/{rest:.*}", web::to(api_not_found))
        .configure(admin::routes)
        .route("/static/admin.css", web::get().to(admin::stylesheet))
        .default_service(web::to(not_found));
}

/// The client's address as abuse limits and the audit log see it (see [`client_address`]).
pub fn client_ip(svc: &Services, req: &HttpRequest) -> String {
    client_address::client_address(req, &svc.config.trusted_proxies)
}

/// Where a password attempt comes from: the client's address and its device cookie.
pub fn origin(svc: &Services, req: &HttpRequest) -> crate::service::signin::Origin {
    crate::service::signin::Origin {
        address: client_ip(svc, req),
        device: cookies::value(req, cookies::DEVICE),
    }
}

/// Remembers on `resp` that this browser signed in as `email` (the device cookie that keeps failures
/// from elsewhere from holding it back).
pub fn remember_device(svc: &Services, resp: &mut HttpResponse, email: &str) {
    let lower = crate::domain::email::EmailAddress::parse(email)
        .map(|e| e.lower())
        .unwrap_or_default();
    match crate::service::signin::device_token(svc, &lower) {
        Ok(token) => {
            let _ = resp.add_cookie(&cookies::device(token, svc.config.secure_cookies()));
        }
        Err(e) => tracing::warn!(error = %e, "could not sign a device cookie"),
    }
}

/// Uploads (CSV files, logos) may be larger than forms.
pub const MAX_UPLOAD: usize = 4 * 1024 * 1024;

/// Unknown API paths answer in the API's own error format.
async fn api_not_found() -> Result<HttpResponse, errors::ApiError> {
    Err(crate::error::Error::NotFound("there is no such API resource".into()).into())
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, PageError> {
    let language = accepted_or_english(&req);
    Err(PageError::plain(
        crate::error::Error::NotFound(sentence(language, "error_no_page")),
        language,
    ))
}

/// The request's `Accept-Language` header, when it is readable text.
fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

/// The language of a page that belongs to no tenant (an unknown address or link): the browser's, else
/// English.
pub fn accepted_or_english(req: &HttpRequest) -> Language {
    language::choose(
        LanguageHints {
            accept_language: accept_language(req),
            ..LanguageHints::default()
        },
        Language::En,
    )
}

/// The language of a tenant's page when nobody is signed in, or it does not matter who is: the browser's,
/// else the tenant's default.
pub fn browser_language(req: &HttpRequest, tenant: &Tenant) -> Language {
    language_for(req, tenant, None)
}

/// The language of a tenant's page for `user` (the signed-in person, if the handler knows): their stored
/// preference, else the browser's, else the tenant's default. Redemption pages use the invitation's instead.
pub fn language_for(req: &HttpRequest, tenant: &Tenant, user: Option<&User>) -> Language {
    language::choose(
        LanguageHints {
            invitation: None,
            preferred: user.and_then(|u| u.preferred_language.as_deref()),
            accept_language: accept_language(req),
        },
        tenant.settings.default_language,
    )
}

/// [`language_for`] with whoever is signed in. A failed session lookup only costs the preference: the page
/// (often an error page) still shows, in the browser's language.
pub async fn page_language(svc: &Services, req: &HttpRequest, tenant: &Tenant) -> Language {
    let user = cookies::signed_in(svc, req).await.ok().flatten();
    language_for(req, tenant, user.as_ref().map(|s| &s.home_user))
}

/// One sentence without placeholders other than `{tenant}` (left as is), for messages built before a page
/// exists. Should the locale be unreadable (the unit tests make sure it is not), the key itself shows rather
/// than a second error.
pub fn sentence(language: Language, key: &str) -> String {
    Locale::new(language)
        .and_then(|l| l.raw(key).map(str::to_string))
        .unwrap_or_else(|_| key.to_string())
}

/// The tenant named in the path, or a "not found" page in the browser's language.
pub async fn tenant_for_page(svc: &Services, req: &HttpRequest) -> Result<Arc<Tenant>, PageError> {
    caller::path_tenant(svc, req).await.map_err(|e| {
        let language = accepted_or_english(req);
        match e {
            crate::error::Error::NotFound(_) => PageError::plain(
                crate::error::Error::NotFound(sentence(language, "error_no_tenant")),
                language,
            ),
            other => PageError::plain(other, language),
        }
    })
}

/// A page error in the tenant's frame and `language`.
pub fn branded_in(
    tenant: &Tenant,
    language: Language,
) -> impl Fn(crate::error::Error) -> PageError + '_ {
    move |error| PageError {
        error,
        tenant: Some(Box::new(tenant.clone())),
        language: Some(language),
    }
}

/// A page error in the tenant's frame and default language, for handlers that have not chosen a language
/// (prefer [`branded_in`] where the request is at hand).
pub fn branded(tenant: &Tenant) -> impl Fn(crate::error::Error) -> PageError + '_ {
    move |error| PageError {
        error,
        tenant: Some(Box::new(tenant.clone())),
        language: None,
    }
}

/// The page strings of `tenant` in `language` (the templates' `t`), with the tenant's name filled in.
pub fn texts(tenant: &Tenant, language: Language) -> Result<Texts, PageError> {
    Locale::new(language)
        .map(|l| Texts::new(l, &tenant.display_name))
        .map_err(branded_in(tenant, language))
}

/// The context every people page starts from: the frame's branding (`brand`, and the older `tenant_name`,
/// `privacy_url`, `slug`), its sentences (`chrome`) and `lang`. `tenant` is `None` for pages outside any
/// tenant.
pub fn frame_context(
    tenant: Option<&Tenant>,
    language: Language,
) -> crate::error::Result<tera::Context> {
    let brand = tenant.map(Brand::of).unwrap_or_else(Brand::plain);
    let texts = Texts::new(Locale::new(language)?, &brand.name);
    let mut ctx = tera::Context::new();
    ctx.insert_value("chrome", texts.chrome());
    ctx.insert("lang", html_lang(language));
    ctx.insert("tenant_name", &brand.name);
    ctx.insert("privacy_url", &brand.privacy_url);
    if let Some(t) = tenant {
        ctx.insert("slug", &t.slug);
    }
    ctx.insert("brand", &brand);
    Ok(ctx)
}

/// An HTML page in the tenant's frame and `language`.
pub fn render_page(
    tenant: &Tenant,
    language: Language,
    name: &str,
    ctx: tera::Context,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let mut full = frame_context(Some(tenant), language).map_err(&fail)?;
    full.extend(ctx);
    let body = crate::templates::Templates::global()
        .render(name, &full)
        .map_err(&fail)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_SECURITY_POLICY, page_csp(Some(tenant))))
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
