//! RP-initiated logout: deciding where a logout request may send the browser.
//!
//! A redirect is allowed only to a `post_logout_redirect_uri` registered exactly for the client named
//! by a valid `id_token_hint` (one we signed, for this tenant; expiry does not matter) or by
//! `client_id`. Without a valid hint the person confirms first, so another site cannot sign them out.

use super::Services;
use super::tenants::Tenant;
use crate::domain::redirect::matches_registered;
use crate::error::{Error, Result};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
}

#[derive(Debug)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards (with `state`), if anywhere.
    pub redirect_to: Option<String>,
    /// The request proved it came from a client of ours: no confirmation needed.
    pub hinted: bool,
}

fn bad_hint() -> Error {
    Error::invalid(
        "id_token_hint",
        "The sign-out request carries an ID token that was not issued here.",
    )
}

/// The client ids in the `aud` of a hint we signed for this tenant.
fn hint_audience(svc: &Services, tenant: &Tenant, hint: &str) -> Result<Vec<String>> {
    let (payload, _) = svc.keys.verify(hint).map_err(|_| bad_hint())?;
    if payload.issuer() != Some(tenant.issuer.as_str()) {
        return Err(bad_hint());
    }
    let aud = match payload.claim("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if aud.is_empty() {
        return Err(bad_hint());
    }
    Ok(aud)
}

pub async fn plan(svc: &Services, tenant: &Tenant, req: &LogoutRequest) -> Result<LogoutPlan> {
    let audience = match &req.id_token_hint {
        Some(h) => Some(hint_audience(svc, tenant, h)?),
        None => None,
    };
    let client_id = match (&audience, &req.client_id) {
        (Some(aud), Some(cid)) if !aud.contains(cid) => {
            return Err(Error::invalid(
                "client_id",
                "client_id does not match the ID token hint.",
            ));
        }
        (_, Some(cid)) => Some(cid.clone()),
        (Some(aud), None) => aud.first().cloned(),
        (None, None) => None,
    };
    let hinted = audience.is_some();
    let Some(uri) = &req.post_logout_redirect_uri else {
        return Ok(LogoutPlan {
            redirect_to: None,
            hinted,
        });
    };
    let Some(client_id) = client_id else {
        // Nobody vouches for this address: sign out, but do not follow it.
        return Ok(LogoutPlan {
            redirect_to: None,
            hinted,
        });
    };
    let app = svc
        .apps
        .find(&tenant.id, &client_id)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "client_id",
                "The application that sent you here is not registered.",
            )
        })?;
    let registered = matches_registered(uri, &app.post_logout_redirect_uris).ok_or_else(|| {
        Error::invalid(
            "post_logout_redirect_uri",
            "The address to return to after signing out is not registered for this application.",
        )
    })?;
    let mut to = url::Url::parse(registered).map_err(Error::internal)?;
    if let Some(state) = &req.state {
        to.query_pairs_mut().append_pair("state", state);
    }
    Ok(LogoutPlan {
        redirect_to: Some(to.to_string()),
        hinted,
    })
}
