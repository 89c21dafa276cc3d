//! A tenant's branding on its pages: what the page frame shows (name, logo, privacy and contact links), the
//! per-tenant stylesheet `/t/{slug}/brand.css` with its colours, and the stored logo `/t/{slug}/logo`.
//!
//! The pages' CSP allows stylesheets from this origin only (`style-src 'self'`, no inline styles), so the
//! colours travel in a small stylesheet of CSS custom properties that `/static/style.css` uses. Settings are
//! written by administrators but still treated as untrusted here: a colour reaches the stylesheet only as
//! `#rgb` or `#rrggbb`, a link only as an http(s) URL.

use crate::domain::color::palette;
use crate::http::errors::PageError;
use crate::http::{branded_in, browser_language, sentence, tenant_for_page};
use crate::service::Services;
use crate::service::tenants::{Tenant, TenantSettings};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

/// How long browsers may keep `brand.css`: short, so a colour change shows within a minute.
const BRAND_CSS_CACHE: &str = "public, max-age=60";
/// How long browsers may keep the logo before asking again (with its ETag). The console puts a version in
/// the logo's URL, so a new logo shows at once on pages; this only bounds a stale one under the old URL.
const LOGO_CACHE: &str = "public, max-age=3600";
/// An image opened on its own (an SVG can carry script) runs nothing and loads nothing.
const LOGO_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// What the frame of a tenant's page shows; the templates get it as `brand`.
#[derive(Debug, Clone, Serialize)]
pub struct Brand {
    pub name: String,
    /// `None` outside any tenant (an unknown address): the frame then links no tenant stylesheet.
    pub slug: Option<String>,
    pub logo_url: Option<String>,
    pub privacy_url: Option<String>,
    pub contact_url: Option<String>,
}

impl Brand {
    pub fn of(tenant: &Tenant) -> Brand {
        let s = &tenant.settings;
        Brand {
            name: tenant.display_name.clone(),
            slug: Some(tenant.slug.clone()),
            logo_url: s
                .logo_url
                .as_deref()
                .and_then(image_url)
                .map(str::to_string),
            privacy_url: s
                .privacy_url
                .as_deref()
                .and_then(web_url)
                .map(str::to_string),
            contact_url: s
                .contact_url
                .as_deref()
                .and_then(web_url)
                .map(str::to_string),
        }
    }

    /// The frame of a page that belongs to no tenant.
    pub fn plain() -> Brand {
        Brand {
            name: "guestlist".into(),
            slug: None,
            logo_url: None,
            privacy_url: None,
            contact_url: None,
        }
    }
}

fn starts_with_ignore_case(value: &str, prefix: &str) -> bool {
    value
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        && value.len() > prefix.len()
}

/// An absolute http(s) URL, trimmed; anything else (`javascript:`, `data:`, blank) is no link.
fn web_url(raw: &str) -> Option<&str> {
    let url = raw.trim();
    (starts_with_ignore_case(url, "https://") || starts_with_ignore_case(url, "http://"))
        .then_some(url)
}

/// A logo address: an http(s) URL or a path on this server (`/t/contoso/logo?v=2`), never `//host` (which
/// would be another host) or another scheme.
fn image_url(raw: &str) -> Option<&str> {
    let url = raw.trim();
    let own_path = url.starts_with('/') && !url.starts_with("//") && !url.contains('\\');
    if own_path { Some(url) } else { web_url(url) }
}

/// The tenant's stylesheet: the custom properties `/static/style.css` reads. Text colours follow the brand
/// colours so a light brand colour keeps readable buttons and links.
pub fn stylesheet(settings: &TenantSettings) -> String {
    let p = palette(&settings.primary_color, &settings.background_color);
    format!(
        ":root {{\n  --primary: {};\n  --on-primary: {};\n  --link: {};\n  --bg: {};\n  --on-bg: {};\n}}\n",
        p.primary, p.on_primary, p.link, p.background, p.on_background
    )
}

/// `GET /t/{slug}/brand.css`.
pub async fn brand_css(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, BRAND_CSS_CACHE))
        .content_type("text/css; charset=utf-8")
        .body(stylesheet(&tenant.settings)))
}

/// The content types a stored logo is served as; anything else goes out as opaque bytes, which no browser
/// renders as a page.
fn logo_content_type(stored: &str) -> &'static str {
    match stored.trim().to_ascii_lowercase().as_str() {
        "image/png" => "image/png",
        "image/jpeg" | "image/jpg" => "image/jpeg",
        "image/gif" => "image/gif",
        "image/webp" => "image/webp",
        "image/svg+xml" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// `GET /t/{slug}/logo`: the logo an administrator uploaded, or "not found".
pub async fn logo(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = browser_language(&req, &tenant);
    let fail = branded_in(&tenant, language);
    let stored = crate::service::settings::logo(&svc, &tenant)
        .await
        .map_err(&fail)?;
    let Some(stored) = stored else {
        return Err(fail(crate::error::Error::NotFound(sentence(
            language,
            "error_no_page",
        ))));
    };
    let etag = stored.etag;
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|list| crate::service::etag::names(list, &etag));
    let mut resp = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((header::CACHE_CONTROL, LOGO_CACHE))
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CONTENT_SECURITY_POLICY, LOGO_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if unchanged {
        return Ok(resp.finish());
    }
    Ok(resp
        .content_type(logo_content_type(&stored.content_type))
        .body(stored.bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::color::{DEFAULT_BACKGROUND, DEFAULT_PRIMARY};

    #[test]
    fn the_stylesheet_sets_the_brand_colours_or_the_defaults() {
        let mut settings = TenantSettings {
            primary_color: "#800000".into(),
            background_color: "#ABC".into(),
            ..TenantSettings::default()
        };
        let css = stylesheet(&settings);
        assert!(css.contains("--primary: #800000;"), "{css}");
        assert!(css.contains("--on-primary: #ffffff;"), "{css}");
        assert!(css.contains("--link: #800000;"), "{css}");
        assert!(css.contains("--bg: #aabbcc;"), "{css}");

        settings.primary_color = "red;}body{display:none".into();
        settings.background_color = "url(https://evil.example/x)".into();
        let css = stylesheet(&settings);
        assert!(
            css.contains(&format!("--primary: {DEFAULT_PRIMARY};")),
            "{css}"
        );
        assert!(
            css.contains(&format!("--bg: {DEFAULT_BACKGROUND};")),
            "{css}"
        );
        assert!(!css.contains("display") && !css.contains("url("), "{css}");
        assert_eq!(css.matches('{').count(), 1, "one rule only: {css}");

        // A light brand colour gets dark button text, and links keep a readable colour.
        settings.primary_color = "#ffee00".into();
        let css = stylesheet(&settings);
        assert!(css.contains("--on-primary: #111111;"), "{css}");
        assert!(
            css.contains(&format!("--link: {DEFAULT_PRIMARY};")),
            "{css}"
        );
    }

    #[test]
    fn links_and_logos_must_be_web_addresses() {
        let mut tenant = Tenant {
            id: "t1".into(),
            slug: "contoso".into(),
            display_name: "Contoso".into(),
            primary_domain: "contoso.example".into(),
            issuer: "https://id.example/t/contoso".into(),
            unmanaged: false,
            self_service_signup: false,
            settings: TenantSettings::default(),
            discovery_json: Default::default(),
        };
        tenant.settings.privacy_url = Some(" https://contoso.example/privacy ".into());
        tenant.settings.contact_url = Some("javascript:alert(1)".into());
        tenant.settings.logo_url = Some("/t/contoso/logo?v=2".into());
        let brand = Brand::of(&tenant);
        assert_eq!(
            brand.privacy_url.as_deref(),
            Some("https://contoso.example/privacy")
        );
        assert_eq!(brand.contact_url, None);
        assert_eq!(brand.logo_url.as_deref(), Some("/t/contoso/logo?v=2"));
        assert_eq!(brand.slug.as_deref(), Some("contoso"));

        for bad in [
            "//evil.example/x.png",
            "data:image/png;base64,AAAA",
            "https://",
            " ",
        ] {
            tenant.settings.logo_url = Some(bad.into());
            assert_eq!(Brand::of(&tenant).logo_url, None, "{bad:?}");
        }
        tenant.settings.logo_url = Some("HTTPS://cdn.contoso.example/logo.png".into());
        assert!(Brand::of(&tenant).logo_url.is_some());
    }

    #[test]
    fn logo_types() {
        assert_eq!(logo_content_type("image/PNG"), "image/png");
        assert_eq!(logo_content_type("image/svg+xml"), "image/svg+xml");
        assert_eq!(logo_content_type("text/html"), "application/octet-stream");
    }
}
