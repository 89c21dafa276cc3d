//! `/logout` (RP-initiated logout 1.0): GET or POST; confirmation unless a valid `id_token_hint` came.

use crate::domain::language::Language;
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded_in, page_language, render_page, see_other, tenant_for_page, texts};
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
    let language = page_language(&svc, &req, &tenant).await;
    handle(&svc, &req, (&tenant, language), input::query(&req)).await
}

pub async fn logout_post(
    svc: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let body = input::body(payload).await.map_err(&fail)?;
    let params = input::form(&req, &body).map_err(&fail)?;
    if input::field(&params, "confirm") == "yes" {
        cookies::check_csrf(&req, input::field(&params, "csrf")).map_err(&fail)?;
        let request = request_of(&params).map_err(&fail)?;
        let plan = plan(&svc, &tenant, &request, None).await.map_err(&fail)?;
        return finish(&svc, &req, (&tenant, language), plan.redirect_to).await;
    }
    handle(&svc, &req, (&tenant, language), params).await
}

/// A logout page's tenant and the language it is shown in.
type Frame<'a> = (&'a Tenant, Language);

async fn handle(
    svc: &Services,
    req: &HttpRequest,
    (tenant, language): Frame<'_>,
    params: Params,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    let request = request_of(&params).map_err(&fail)?;
    let session = cookies::signed_in(svc, req).await.map_err(&fail)?;
    let plan = plan(
        svc,
        tenant,
        &request,
        session.as_ref().map(|s| s.session.id.as_str()),
    )
    .await
    .map_err(&fail)?;
    if plan.hinted {
        return finish(svc, req, (tenant, language), plan.redirect_to).await;
    }
    let secure = svc.config.secure_cookies();
    let (csrf, set_cookie) = cookies::csrf(req, secure);
    let mut ctx = tera::Context::new();
    ctx.insert_value("t", texts(tenant, language)?.value());
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
    let mut resp = render_page(tenant, language, "pages/logout.html", ctx)?;
    if let Some(c) = set_cookie {
        resp.add_cookie(&c).ok();
    }
    Ok(resp)
}

/// Ends the session (if any), clears the cookie, and redirects or shows the signed-out page.
async fn finish(
    svc: &Services,
    req: &HttpRequest,
    (tenant, language): Frame<'_>,
    redirect_to: Option<String>,
) -> Result<HttpResponse, PageError> {
    let fail = branded_in(tenant, language);
    if let Some(s) = cookies::signed_in(svc, req).await.map_err(&fail)? {
        signin::sign_out(svc, &tenant.id, &s).await.map_err(&fail)?;
    }
    let mut resp = match redirect_to {
        Some(to) => see_other(&to),
        None => {
            let t = texts(tenant, language)?;
            let mut ctx = tera::Context::new();
            ctx.insert("title", &t.get("logout_done_title").map_err(&fail)?);
            ctx.insert("message", &t.get("logout_done_message").map_err(&fail)?);
            ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
            ctx.insert("link_text", &t.get("logout_signin_again").map_err(&fail)?);
            render_page(tenant, language, "pages/message.html", ctx)?
        }
    };
    resp.add_cookie(&cookies::clear_session(svc.config.secure_cookies()))
        .ok();
    Ok(resp)
}
