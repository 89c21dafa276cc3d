//! Pages people use: sign-in, sign-up, consent, first-admin setup, the app panel.

pub mod account;
pub mod apps;
pub mod assets;
pub mod brand;
pub mod code;
pub mod consent;
pub mod federation;
pub mod forgot;
pub mod redeem;
pub mod reset;
pub mod review;
pub mod setup;
pub mod signin;
pub mod signup;
pub mod terms;
pub mod verify;

use crate::http::cookies;
use crate::http::routes::route_table;
use actix_web::{HttpRequest, HttpResponse};

route_table!(PAGE_ROUTES, page_routes, "/t/{slug}", [
    get "/signin" => signin::signin_page;
    post "/signin" => signin::signin_submit;
    post "/signin/code" => code::signin_send;
    post "/signin/code/verify" => code::signin_verify;
    post "/federation" => federation::signin_start;
    get "/signup" => signup::signup_page;
    post "/signup" => signup::signup_submit;
    get "/consent" => consent::consent_page;
    post "/consent" => consent::consent_submit;
    get "/setup/{token}" => setup::setup_page;
    post "/setup/{token}" => setup::setup_submit;
    get "/forgot" => forgot::forgot_page;
    post "/forgot" => forgot::forgot_submit;
    get "/reset/{token}" => reset::reset_page;
    post "/reset/{token}" => reset::reset_submit;
    get "/verify/{token}" => verify::verify_page;
    post "/verify/{token}" => verify::verify_submit;
    post "/verify" => verify::resend;
    get "/review/{token}" => review::review_page;
    post "/review/{token}" => review::review_submit;
    get "/terms" => terms::terms_page;
    post "/terms" => terms::terms_submit;
    get "/apps" => apps::app_panel;
    get "/account" => account::account_page;
    post "/account" => account::account_submit;
    get "/account/data.json" => account::account_data;
    get "/brand.css" => brand::brand_css;
    get "/logo" => brand::logo;
]);

route_table!(INVITE_ROUTES, invite_routes, "/invite/{ticket}", [
    get "" => redeem::show;
    post "/signin" => redeem::sign_in;
    post "/register" => redeem::register;
    post "/code" => redeem::send_code;
    post "/code/verify" => redeem::verify_code;
    post "/continue" => redeem::continue_as;
    post "/federation" => federation::redeem_start;
    get "/consent" => redeem::consent_page;
    post "/consent" => redeem::consent_submit;
    get "/block" => redeem::block_page;
    post "/block" => redeem::block_submit;
]);

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
