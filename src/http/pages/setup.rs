//! `/t/{slug}/setup/{token}`: the one-time link that creates the first administrator.

use super::{set_cookie, with_csrf};
use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded, render_page, tenant_for_page};
use crate::service::Services;
use crate::service::bootstrap::{FirstAdmin, complete_setup, setup_link_usable};
use crate::service::tenants::Tenant;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

fn used_up(tenant: &Tenant) -> PageError {
    branded(tenant)(Error::NotFound(
        "This setup link has been used or has expired. Restart the server to print a new one if no administrator exists yet.".into(),
    ))
}

fn page(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    token: &str,
    p: &Params,
    error: Option<(&str, &str)>,
) -> Result<HttpResponse, PageError> {
    let mut ctx = tera::Context::new();
    let cookie = with_csrf(req, svc.config.secure_cookies(), &mut ctx);
    ctx.insert("token", token);
    ctx.insert("email", input::field(p, "email"));
    ctx.insert("display_name", input::field(p, "display_name"));
    ctx.insert("error_field", error.map(|e| e.0).unwrap_or_default());
    ctx.insert("error_message", error.map(|e| e.1).unwrap_or_default());
    let mut resp = render_page(tenant, "pages/setup.html", ctx)?;
    if error.is_some() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(set_cookie(resp, cookie))
}

pub async fn setup_page(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let token = &path.1;
    if !setup_link_usable(&svc, &tenant, token)
        .await
        .map_err(branded(&tenant))?
    {
        return Err(used_up(&tenant));
    }
    page(&svc, &req, &tenant, token, &Params::new(), None)
}

pub async fn setup_submit(
    svc: web::Data<Services>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let token = &path.1;
    let p = input::form(&req, &body).map_err(branded(&tenant))?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(branded(&tenant))?;
    let data = FirstAdmin {
        email: input::field(&p, "email").to_string(),
        display_name: input::field(&p, "display_name").to_string(),
        password: input::field(&p, "password").to_string(),
        confirm_password: input::field(&p, "confirm_password").to_string(),
    };
    match complete_setup(&svc, &tenant, token, data).await {
        Ok(admin) => {
            let mut ctx = tera::Context::new();
            ctx.insert("title", "Administrator created");
            ctx.insert(
                "message",
                &format!("{} now administers {}.", admin.mail, tenant.display_name),
            );
            ctx.insert("link_href", &format!("/t/{}/signin", tenant.slug));
            ctx.insert("link_text", "Sign in");
            render_page(&tenant, "pages/message.html", ctx)
        }
        Err(Error::NotFound(_)) => Err(used_up(&tenant)),
        Err(Error::Invalid { field, message }) => {
            page(&svc, &req, &tenant, token, &p, Some((&field, &message)))
        }
        Err(Error::Conflict(m)) => page(&svc, &req, &tenant, token, &p, Some(("email", &m))),
        Err(e) => Err(branded(&tenant)(e)),
    }
}
