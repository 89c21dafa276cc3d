//! `/authorize` (GET and POST, same meaning) and `/authorize/resume` (after sign-in or consent).

use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input::{self, Params};
use crate::http::{branded, see_other, tenant_for_page};
use crate::service::Services;
use crate::service::authorize::{self as svc_authz, AuthorizeError, Next, error_redirect};
use crate::service::tenants::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};

pub async fn authorize_get(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    run(&svc, &req, &tenant, input::query(&req)).await
}

pub async fn authorize_post(
    svc: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let body = input::body(payload).await.map_err(branded(&tenant))?;
    let params = input::form(&req, &body).map_err(branded(&tenant))?;
    run(&svc, &req, &tenant, params).await
}

async fn run(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    params: Params,
) -> Result<HttpResponse, PageError> {
    let (request, app) = match svc_authz::validate(svc, tenant, &params).await {
        Ok(ok) => ok,
        Err(AuthorizeError::Page(e)) => return Err(branded(tenant)(e)),
        Err(AuthorizeError::Redirect {
            redirect_uri,
            state,
            code,
            description,
        }) => {
            let to = error_redirect(tenant, &redirect_uri, state.as_deref(), code, &description)
                .map_err(branded(tenant))?;
            return Ok(see_other(&to));
        }
    };
    let signed_in = cookies::signed_in(svc, req)
        .await
        .map_err(branded(tenant))?;
    let address = crate::http::client_ip(svc, req);
    let next = svc_authz::decide(
        svc,
        tenant,
        &app,
        &request,
        None,
        (signed_in.as_ref(), &address),
    )
    .await
    .map_err(branded(tenant))?;
    respond(tenant, next)
}

/// Continues a parked request once the person signed in or consented.
pub async fn resume(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let params = input::query(&req);
    let id = input::field(&params, "request");
    let pending = svc_authz::load_pending(&svc, &tenant, id)
        .await
        .map_err(branded(&tenant))?;
    let signed_in = cookies::signed_in(&svc, &req)
        .await
        .map_err(branded(&tenant))?;
    let next = svc_authz::decide(
        &svc,
        &tenant,
        &pending.app,
        &pending.request,
        Some((&pending.id, pending.created_at)),
        (signed_in.as_ref(), &crate::http::client_ip(&svc, &req)),
    )
    .await
    .map_err(branded(&tenant))?;
    respond(&tenant, next)
}

fn respond(tenant: &Tenant, next: Next) -> Result<HttpResponse, PageError> {
    Ok(match next {
        Next::SignIn {
            pending,
            login_hint,
        } => {
            let mut url = format!("/t/{}/signin?request={pending}", tenant.slug);
            if let Some(h) = login_hint {
                url.push_str("&login_hint=");
                url.push_str(
                    &url::form_urlencoded::byte_serialize(h.as_bytes()).collect::<String>(),
                );
            }
            see_other(&url)
        }
        Next::Consent { pending } => {
            see_other(&format!("/t/{}/consent?request={pending}", tenant.slug))
        }
        Next::Terms { pending } => {
            see_other(&format!("/t/{}/terms?request={pending}", tenant.slug))
        }
        Next::Redirect(to) => see_other(&to),
        Next::Page(e) => return Err(branded(tenant)(e)),
    })
}
