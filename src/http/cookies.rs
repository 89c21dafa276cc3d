//! The session cookie and the CSRF token of forms.
//!
//! The session cookie is `HttpOnly; SameSite=Lax` (sent on top-level navigations from relying apps,
//! which `Strict` would break) and `Secure` when the public URL is https. Forms carry a token that
//! must equal the `gl_csrf` cookie (double submit); another site can neither read the cookie nor
//! set it, so it cannot forge the pair.

use crate::crypto::{constant_time_eq, random_token};
use crate::error::{Error, Result};
use crate::service::Services;
use crate::service::signin::{self, SignedIn};
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use std::borrow::Cow;

pub const SESSION: &str = "gl_session";
pub const CSRF: &str = "gl_csrf";
/// The device cookie: this browser signed in as an account before (see `signin::device_token`).
pub const DEVICE: &str = "gl_device";
/// Binds a round trip through an upstream provider to the browser that started it.
pub const FEDERATION: &str = "gl_fed";

/// The name a cookie of ours goes by. Over https it carries the `__Host-` prefix: the browser then
/// keeps it only with `Secure`, `Path=/` and no `Domain`, so neither a sibling subdomain nor a
/// plain-http page can plant or overwrite it.
pub fn named(name: &'static str, secure: bool) -> Cow<'static, str> {
    if secure {
        Cow::Owned(format!("__Host-{name}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// A cookie scoped to a path (the console's, per tenant) cannot be `__Host-`: over https it carries
/// `__Secure-`, which the browser keeps only with `Secure`.
pub fn path_named(name: &'static str, secure: bool) -> Cow<'static, str> {
    if secure {
        Cow::Owned(format!("__Secure-{name}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Whether this server's cookies are `Secure` (its public URL is https), read from the request.
pub fn secure(req: &HttpRequest) -> bool {
    req.app_data::<actix_web::web::Data<Services>>()
        .is_some_and(|svc| svc.config.secure_cookies())
}

/// The value of our cookie `name` (as [`named`] calls it) on the request.
pub fn value(req: &HttpRequest, name: &'static str) -> Option<String> {
    req.cookie(&named(name, secure(req)))
        .map(|c| c.value().to_string())
}

fn base(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(named(name, secure), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

pub fn session(value: String, secure: bool, ttl: i64) -> Cookie<'static> {
    let mut c = base(SESSION, value, secure);
    c.set_max_age(Duration::seconds(ttl));
    c
}

pub fn device(value: String, secure: bool) -> Cookie<'static> {
    let mut c = base(DEVICE, value, secure);
    c.set_max_age(Duration::seconds(signin::DEVICE_TTL));
    c
}

pub fn federation(value: String, secure: bool) -> Cookie<'static> {
    let mut c = base(FEDERATION, value, secure);
    c.set_max_age(Duration::days(1));
    c
}

pub fn clear_session(secure: bool) -> Cookie<'static> {
    let mut c = base(SESSION, String::new(), secure);
    c.make_removal();
    c
}

/// The CSRF token for a form on this page, and the cookie to set when the browser had none.
pub fn csrf(req: &HttpRequest, secure: bool) -> (String, Option<Cookie<'static>>) {
    match value(req, CSRF).filter(|v| v.len() == 43) {
        Some(v) => (v, None),
        None => {
            let v = random_token();
            (v.clone(), Some(base(CSRF, v, secure)))
        }
    }
}

/// Refuses a form whose token does not match the cookie.
pub fn check_csrf(req: &HttpRequest, submitted: &str) -> Result<()> {
    match value(req, CSRF) {
        Some(c) if !submitted.is_empty() && constant_time_eq(&c, submitted) => Ok(()),
        _ => Err(Error::invalid(
            "csrf",
            "This form has expired or was not sent from this site. Go back, reload the page and try again.",
        )),
    }
}

/// The signed-in browser, if its session cookie names a live session.
pub async fn signed_in(svc: &Services, req: &HttpRequest) -> Result<Option<SignedIn>> {
    match value(req, SESSION) {
        Some(c) => signin::current(svc, &c).await,
        None => Ok(None),
    }
}
