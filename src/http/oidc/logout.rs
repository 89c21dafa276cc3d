//! `/logout` (RP-initiated logout 1.0): GET or POST; confirmation unless a valid `id_token_hint` came.

use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded, render_page, see_other, tenant_for_page};
use crate::service::Services;
use crate::service::logout::{LogoutRequest, plan};
use crate::service::signin;
use crate::service::tenants::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};

fn request_of(p: &Params) -> Result<LogoutRequest, Error> {
    let s = |n: &str| input::single(p, n).map(|v| v.map(str::to_string));
    Ok(LogoutRequest {
        id_token_hint: s("id_token_hint")?,
        post_logout_redirect_uri: s("post_logout_redirect_uri")?,
        state: s("state")?,
        client_id: s("client_id")?,
    })
}

pub async fn logout_get(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    handle(&svc, &req, &tenant, input::query(&req)).await
}

pub async fn logout_post(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let params = input::form(&req, &body).map_err(branded(&tenant))?;
    if input::field(&params, "confirm") == "yes" {
        cookies::check_csrf(&req, input::field(&params, "csrf")).map_err(branded(&tenant))?;
        let request = request_of(&params).map_err(branded(&tenant))?;
        let plan = plan(&svc, &tenant, &request)
            .await
            .map_err(branded(&tenant))?;
        return finish(&svc, &req, &tenant, plan.redirect_to).await;
    }
    handle(&svc, &req, &tenant, params).await
}

async fn handle(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    params: Params,
) -> Result<HttpResponse, PageError> {
    let request = request_of(&params).map_err(branded(tenant))?;
    let plan = plan(svc, tenant, &request).await.map_err(branded(tenant))?;
    if plan.hinted {
        return finish(svc, req, tenant, plan.redirect_to).await;
    }
    let secure = svc.config.secure_cookies();
    let (csrf, set_cookie) = cookies::csrf(req, secure);
    let mut ctx = tera::Context::new();
    ctx.insert("csrf", &csrf);
    ctx.insert(
        "client_id",
        request.client_id.as_deref().unwrap_or_default(),
    );
    ctx.insert(
        "post_logout_redirect_uri",
        request
            .post_logout_redirect_uri
            .as_deref()
            .unwrap_or_default(),
    );
    ctx.insert("state", request.state.as_deref().unwrap_or_default());
    let mut resp = render_page(tenant, "pages/logout.html", ctx)?;
    if let Some(c) = set_cookie {
        resp.add_cookie(&c).ok();
    }
    Ok(resp)
}

/// Ends the session (if any), clears the cookie, and redirects or shows the signed-out page.
async fn finish(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    redirect_to: Option<String>,
) -> Result<HttpResponse, PageError> {
    if let Some(s) = cookies::signed_in(svc, req)
        .await
        .map_err(branded(tenant))?
    {
        signin::sign_out(svc, &tenant.id, &s)
            .await
            .map_err(branded(tenant))?;
    }
    let mut resp = match redirect_to {
        Some(to) => see_other(&to),
        None => {
            let mut ctx = tera::Context::new();
            ctx.insert("title", "You are signed out");
            ctx.insert(
                "message",
                &format!(
                    "You have signed out of {}. You can close this window.",
                    tenant.display_name
                ),
            );
            ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
            ctx.insert("link_text", "Sign in again");
            render_page(tenant, "pages/message.html", ctx)?
        }
    };
    resp.add_cookie(&cookies::clear_session(svc.config.secure_cookies()))
        .ok();
    Ok(resp)
}
