//! `/invite/{ticket}`: the branded redemption pages (spec §3.4) and the "block future invitations" link.

use super::{set_cookie, with_csrf};
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded, render_page, see_other};
use crate::service::Services;
use crate::service::redemption::{self, OpenInvitation, Registration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

async fn opened(svc: &Services, ticket: &str) -> Result<OpenInvitation, PageError> {
    redemption::open(svc, ticket).await.map_err(PageError::from)
}

async fn page(
    svc: &Services,
    req: &HttpRequest,
    ticket: &str,
    open: &OpenInvitation,
    p: &Params,
    error: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let current = cookies::signed_in(svc, req)
        .await
        .map_err(branded(&open.tenant))?;
    let mut ctx = tera::Context::new();
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("ticket", ticket);
    ctx.insert("redeemed", &open.redeemed);
    ctx.insert("inviter_name", &open.inviter_name);
    ctx.insert("invitee_email", &open.invitation.email);
    ctx.insert("current_email", &current.map(|s| s.home_user.mail));
    ctx.insert("email", input::field(p, "email"));
    let name = input::field(p, "display_name");
    ctx.insert(
        "display_name",
        if name.is_empty() {
            open.invitation.display_name.as_str()
        } else {
            name
        },
    );
    ctx.insert("may_register", &(!open.redeemed && !open.invitation.has_cc));
    ctx.insert("error_message", &error);
    let mut resp = render_page(&open.tenant, "pages/redeem.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

fn ticket_of(req: &HttpRequest) -> String {
    req.match_info()
        .get("ticket")
        .unwrap_or_default()
        .to_string()
}

pub async fn show(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    page(&svc, &req, &ticket, &open, &Params::new(), None).await
}

fn with_session(to: &str, secret: String, svc: &Services) -> HttpResponse {
    let mut resp = see_other(to);
    resp.add_cookie(&cookies::session(
        secret,
        svc.config.secure_cookies(),
        svc.config.session_ttl,
    ))
    .ok();
    resp
}

pub async fn sign_in(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let p = input::form(&req, &body).map_err(branded(&open.tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&open.tenant))?;
    let ip = req
        .connection_info()
        .realip_remote_addr()
        .unwrap_or_default()
        .to_string();
    match redemption::sign_in(
        &svc,
        &open,
        input::field(&p, "email"),
        input::field(&p, "password"),
        &ip,
    )
    .await
    {
        Ok(secret) => Ok(with_session(
            &format!("/invite/{ticket}/consent"),
            secret,
            &svc,
        )),
        Err(Error::Invalid { message, .. } | Error::Forbidden(message)) => {
            page(&svc, &req, &ticket, &open, &p, Some(&message)).await
        }
        Err(e) => Err(branded(&open.tenant)(e)),
    }
}

pub async fn register(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let p = input::form(&req, &body).map_err(branded(&open.tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&open.tenant))?;
    let reg = Registration {
        display_name: input::field(&p, "display_name").to_string(),
        password: input::field(&p, "password").to_string(),
        confirm_password: input::field(&p, "confirm_password").to_string(),
    };
    match redemption::register(&svc, &open, reg).await {
        Ok((secret, _)) => Ok(with_session(
            &format!("/invite/{ticket}/consent"),
            secret,
            &svc,
        )),
        Err(Error::Invalid { message, .. } | Error::Forbidden(message)) => {
            page(&svc, &req, &ticket, &open, &p, Some(&message)).await
        }
        Err(e) => Err(branded(&open.tenant)(e)),
    }
}

/// "Continue as …": the signed-in account redeems.
pub async fn continue_as(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let p = input::form(&req, &body).map_err(branded(&open.tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&open.tenant))?;
    Ok(see_other(&format!("/invite/{ticket}/consent")))
}

pub async fn consent_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let Some(signed_in) = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&open.tenant))?
    else {
        return Ok(see_other(&format!("/invite/{ticket}")));
    };
    if open.redeemed {
        // A redeemed link signs in and forwards; `accept` admits only the bound identity.
        let to = redemption::accept(&svc, &open, &signed_in)
            .await
            .map_err(branded(&open.tenant))?;
        return Ok(see_other(&to));
    }
    let mut ctx = tera::Context::new();
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("ticket", &ticket);
    ctx.insert("user_name", &signed_in.home_user.display_name);
    ctx.insert("user_email", &signed_in.home_user.mail);
    Ok(set_cookie(
        render_page(&open.tenant, "pages/redeem_consent.html", ctx)?,
        cookie,
    ))
}

pub async fn consent_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let p = input::form(&req, &body).map_err(branded(&open.tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&open.tenant))?;
    let signed_in = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&open.tenant))?
        .ok_or_else(|| branded(&open.tenant)(Error::Unauthenticated))?;
    match input::field(&p, "decision") {
        "accept" => {
            let to = redemption::accept(&svc, &open, &signed_in)
                .await
                .map_err(branded(&open.tenant))?;
            Ok(see_other(&to))
        }
        _ => Ok(see_other(&format!("/invite/{ticket}"))),
    }
}

pub async fn block_page(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let mut ctx = tera::Context::new();
    let cookie = with_csrf(&req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("ticket", &ticket);
    ctx.insert("invitee_email", &open.invitation.email);
    Ok(set_cookie(
        render_page(&open.tenant, "pages/redeem_block.html", ctx)?,
        cookie,
    ))
}

pub async fn block_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let ticket = ticket_of(&req);
    let open = opened(&svc, &ticket).await?;
    let p = input::form(&req, &body).map_err(branded(&open.tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&open.tenant))?;
    redemption::block(&svc, &open)
        .await
        .map_err(branded(&open.tenant))?;
    let mut ctx = tera::Context::new();
    ctx.insert("title", "Invitations blocked");
    ctx.insert(
        "message",
        &format!(
            "No more invitations will be sent to {}.",
            open.invitation.email
        ),
    );
    ctx.insert("link_href", &None::<String>);
    ctx.insert("link_text", "");
    render_page(&open.tenant, "pages/message.html", ctx)
}
