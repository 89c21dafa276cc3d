//! The people's side of upstream providers: "Continue with {provider}" on the redemption and sign-in
//! pages starts a round trip, and `/federation/callback` (one redirect URI for the whole server)
//! finishes it. The use cases are in `service::federation::round_trip`.

use super::signin::after_sign_in;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::input;
use crate::http::{
    accepted_or_english, branded_in, client_ip, page_language, see_other, tenant_for_page,
};
use crate::locale::Locale;
use crate::service::Services;
use crate::service::federation::round_trip::{self, Callback, Next, Started};
use crate::service::federation::{self, Provider};
use crate::service::redemption::{self, OpenInvitation};
use crate::service::tenants::Tenant;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

/// A "Continue with …" button.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderButton {
    pub id: String,
    pub label: String,
    /// It serves the address in question: shown first and emphasised.
    pub serves: bool,
}

fn button(locale: &Locale, p: &Provider, serves: bool) -> ProviderButton {
    ProviderButton {
        id: p.id.clone(),
        label: locale
            .text("page_continue_with", &[("provider", &p.display_name)])
            .unwrap_or_else(|_| p.display_name.clone()),
        serves,
    }
}

/// Which page the buttons are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonsOn {
    /// An invitation: for the invited address, read fresh (a provider was perhaps just added).
    Invitation,
    /// The tenant's sign-in page: for members too. It is the busy page, so another process's change
    /// may show a few seconds late.
    SignIn,
}

/// The buttons for a person with `email` (if known) at `tenant`: the providers serving its domain
/// first, then the shared ones (Google, …), and on the sign-in page those the tenant's members use; a
/// tenant's provider for other domains is not offered.
pub async fn buttons(
    svc: &Services,
    tenant: &Tenant,
    locale: &Locale,
    email: Option<&str>,
    on: ButtonsOn,
) -> Vec<ProviderButton> {
    let members_too = on == ButtonsOn::SignIn;
    let offered = match on {
        ButtonsOn::SignIn => federation::offered_recently(svc, tenant).await,
        ButtonsOn::Invitation => federation::offered(svc, tenant).await,
    };
    let Ok(offered) = offered else {
        return Vec::new();
    };
    let serves = |p: &Provider| email.is_some_and(|e| p.serves(e));
    let mut out: Vec<ProviderButton> = offered
        .iter()
        .filter(|p| serves(p))
        .map(|p| button(locale, p, true))
        .collect();
    out.extend(
        offered
            .iter()
            .filter(|p| !serves(p) && (p.tenant_id.is_none() || (members_too && p.members)))
            .map(|p| button(locale, p, false)),
    );
    out
}

/// The provider that serves `email` at `tenant`, for identifier-first sign-in.
pub async fn serving(svc: &Services, tenant: &Tenant, email: &str) -> Option<Provider> {
    federation::offered(svc, tenant)
        .await
        .ok()?
        .iter()
        .find(|p| p.serves(email))
        .cloned()
}

/// Off to the provider, with the browser's binding cookie.
fn to_provider(svc: &Services, started: Started) -> HttpResponse {
    let mut resp = see_other(&started.url);
    resp.add_cookie(&cookies::federation(
        started.browser,
        svc.config.secure_cookies(),
    ))
    .ok();
    resp
}

/// `POST /invite/{ticket}/federation`: redeem through the chosen provider.
pub async fn redeem_start(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let ticket = req
        .match_info()
        .get("ticket")
        .unwrap_or_default()
        .to_string();
    let address = client_ip(&svc, &req);
    let open: OpenInvitation = redemption::open(&svc, &ticket, &address)
        .await
        .map_err(|e| PageError::plain(e, accepted_or_english(&req)))?;
    let fail = branded_in(&open.tenant, open.invitation.language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let provider = federation::offered_one(&svc, &open.tenant, input::field(&p, "provider"))
        .await
        .map_err(&fail)?;
    let browser = cookies::value(&req, cookies::FEDERATION);
    let started = round_trip::start_redemption(
        &svc,
        &open,
        &ticket,
        &provider,
        browser.as_deref(),
        &address,
    )
    .await
    .map_err(&fail)?;
    Ok(to_provider(&svc, started))
}

/// `POST /t/{slug}/federation`: sign in at the tenant through the chosen provider.
pub async fn signin_start(
    svc: web::Data<Services>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let tenant = tenant_for_page(&svc, &req).await?;
    let language = page_language(&svc, &req, &tenant).await;
    let fail = branded_in(&tenant, language);
    let p = input::form(&req, &body).map_err(&fail)?;
    cookies::check_csrf(&req, input::field(&p, "csrf")).map_err(&fail)?;
    let provider = federation::offered_one(&svc, &tenant, input::field(&p, "provider"))
        .await
        .map_err(&fail)?;
    start_sign_in(
        &svc,
        &req,
        &tenant,
        &provider,
        input::field(&p, "request"),
        input::field(&p, "email"),
    )
    .await
    .map_err(&fail)
}

/// Starts a sign-in round trip at `provider` (also from the sign-in form, for an address a provider
/// serves).
pub async fn start_sign_in(
    svc: &Services,
    req: &HttpRequest,
    tenant: &Tenant,
    provider: &Provider,
    request: &str,
    email: &str,
) -> crate::error::Result<HttpResponse> {
    let browser = cookies::value(req, cookies::FEDERATION);
    let started = round_trip::start_sign_in(
        svc,
        tenant,
        provider,
        request,
        Some(email),
        browser.as_deref(),
        &client_ip(svc, req),
    )
    .await?;
    Ok(to_provider(svc, started))
}

/// `GET /federation/callback`: the provider sends the browser back here.
pub async fn callback(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let answer: Callback = web::Query::<Callback>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let browser = cookies::value(&req, cookies::FEDERATION);
    match round_trip::finish(&svc, answer, browser.as_deref()).await {
        Ok(done) => {
            let to = match &done.next {
                Next::Redeem { ticket } => format!("/invite/{ticket}/consent"),
                Next::SignIn { request } => after_sign_in(&done.tenant, request),
            };
            let mut resp = see_other(&to);
            resp.add_cookie(&cookies::session(
                done.session_secret,
                svc.config.secure_cookies(),
                svc.config.session_ttl,
            ))
            .ok();
            Ok(resp)
        }
        Err(failed) => match failed.tenant {
            Some(tenant) => {
                let language = page_language(&svc, &req, &tenant).await;
                Err(branded_in(&tenant, language)(failed.error))
            }
            None => Err(PageError::plain(failed.error, accepted_or_english(&req))),
        },
    }
}
