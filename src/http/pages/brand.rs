//! A tenant's branding on its pages: what the page frame shows (name, logo, privacy and contact links), the
//! per-tenant stylesheet `/t/{slug}/brand.css` with its colours, and the stored logo `/t/{slug}/logo`.
//!
//! The pages' CSP allows stylesheets from this origin only (`style-src 'self'`, no inline styles), so the
//! colours travel in a small stylesheet of CSS custom properties that `/static/style.css` uses. Settings are
//! written by administrators but still treated as untrusted here: a colour reaches the stylesheet only as
//! `#rgb` or `#rrggbb`, a link only as an http(s) URL.

use crate::http::errors::PageError;
use crate::http::{branded_in, browser_language, sentence, tenant_for_page};
use crate::service::Services;
use crate::service::tenants::{Tenant, TenantSettings};
use crate::store::queries;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The colours a tenant that set none gets (the same as `/static/style.css`).
pub const DEFAULT_PRIMARY: &str = "#1f4fa3";
pub const DEFAULT_BACKGROUND: &str = "#f6f7f9";

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

/// `#rgb` or `#rrggbb` (either case) as lower-case `#rrggbb`; `None` for anything else, which could
/// otherwise end the declaration and add rules of its own (`red;}body{display:none`).
pub fn css_color(raw: &str) -> Option<String> {
    let hex = raw.trim().strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let long: String = match hex.len() {
        6 => hex.to_string(),
        3 => hex.chars().flat_map(|c| [c, c]).collect(),
        _ => return None,
    };
    Some(format!("#{}", long.to_ascii_lowercase()))
}

/// WCAG relative luminance of a lower-case `#rrggbb`.
fn luminance(color: &str) -> f64 {
    let channel = |i: usize| {
        let byte = color
            .get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
        let c = f64::from(byte) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

/// Whether white text is readable on `color` (else near-black is).
fn is_dark(color: &str) -> bool {
    luminance(color) <= 0.18
}

/// The tenant's stylesheet: the custom properties `/static/style.css` reads. Text colours follow the brand
/// colours so a light brand colour keeps readable buttons and links.
pub fn stylesheet(settings: &TenantSettings) -> String {
    let primary = css_color(&settings.primary_color).unwrap_or_else(|| DEFAULT_PRIMARY.into());
    let background =
        css_color(&settings.background_color).unwrap_or_else(|| DEFAULT_BACKGROUND.into());
    let on_primary = if is_dark(&primary) {
        "#ffffff"
    } else {
        "#111111"
    };
    // Links sit on the white card: a light brand colour would vanish there, so they keep the default.
    let link = if is_dark(&primary) {
        primary.as_str()
    } else {
        DEFAULT_PRIMARY
    };
    let on_background = if is_dark(&background) {
        "#f2f2f2"
    } else {
        "#444444"
    };
    format!(
        ":root {{\n  --primary: {primary};\n  --on-primary: {on_primary};\n  --link: {link};\n  --bg: {background};\n  --on-bg: {on_background};\n}}\n"
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

/// A strong validator of the logo's bytes.
fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-None-Match` header names `etag` (or is `*`).
fn matches_etag(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(value) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

/// `GET /t/{slug}/logo`: the logo an administrator uploaded, or "not found".
pub async fn logo(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = browser_language(&req, &tenant);
    let fail = branded_in(&tenant, language);
    let id = tenant.id.clone();
    let stored = svc
        .store
        .read(move |c| queries::tenants::logo(c, &id))
        .await
        .map_err(&fail)?;
    let Some(stored) = stored else {
        return Err(fail(crate::error::Error::NotFound(sentence(
            language,
            "error_no_page",
        ))));
    };
    let etag = etag_of(&stored.bytes);
    let unchanged = matches_etag(req.headers().get(header::IF_NONE_MATCH), &etag);
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

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(css_color("#1F4FA3").as_deref(), Some("#1f4fa3"));
        assert_eq!(css_color(" #0a8 ").as_deref(), Some("#00aa88"));
        for bad in [
            "",
            "red",
            "#ff",
            "#ffff",
            "#1f4fa33",
            "#ggg",
            "1f4fa3",
            "red;}body{display:none",
            "#fff;}body{display:none",
            "#1f4fa３",
            "#1f4\nfa3",
        ] {
            assert_eq!(css_color(bad), None, "{bad:?}");
        }
    }

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
    fn logo_types_and_validators() {
        assert_eq!(logo_content_type("image/PNG"), "image/png");
        assert_eq!(logo_content_type("image/svg+xml"), "image/svg+xml");
        assert_eq!(logo_content_type("text/html"), "application/octet-stream");
        let etag = etag_of(b"logo");
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34);
        assert_ne!(etag, etag_of(b"other logo"));
        let header = |v: &str| HeaderValue::from_str(v).unwrap();
        assert!(matches_etag(Some(&header(&etag)), &etag));
        assert!(matches_etag(
            Some(&header(&format!("\"x\", W/{etag}"))),
            &etag
        ));
        assert!(matches_etag(Some(&header("*")), &etag));
        assert!(!matches_etag(Some(&header("\"other\"")), &etag));
        assert!(!matches_etag(None, &etag));
    }
}
