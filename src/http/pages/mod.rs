//! Pages people use: sign-in, sign-up, consent, first-admin setup, the app panel.

pub mod apps;
pub mod assets;
pub mod brand;
pub mod consent;
pub mod redeem;
pub mod reset;
pub mod setup;
pub mod signin;
pub mod signup;

use crate::http::cookies;
use actix_web::{HttpRequest, HttpResponse};

/// Adds the CSRF token to a form page's context; returns the cookie to set, if new.
pub fn with_csrf(
    req: &HttpRequest,
    secure: bool,
    ctx: &mut tera::Context,
) -> Option<actix_web::cookie::Cookie<'static>> {
    let (token, cookie) = cookies::csrf(req, secure);
    ctx.insert("csrf", &token);
    cookie
}

pub fn set_cookie(
    mut resp: HttpResponse,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> HttpResponse {
    if let Some(c) = cookie {
        resp.add_cookie(&c).ok();
    }
    resp
}
