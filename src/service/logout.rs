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
    /// The request proved it came from a client of ours for the browser's current session (or the
    /// browser has none): no confirmation needed.
    pub hinted: bool,
}

fn bad_hint() -> Error {
    Error::invalid(
        "id_token_hint",
        "The sign-out request carries an ID token that was not issued here.",
    )
}

/// What a hint we signed for this tenant vouches for: the client ids of its `aud`, and the session of
/// its `sid`.
struct Hint {
    audience: Vec<String>,
    session_id: Option<String>,
}

fn read_hint(svc: &Services, tenant: &Tenant, hint: &str) -> Result<Hint> {
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
    Ok(Hint {
        audience: aud,
        session_id: payload
            .claim("sid")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// Plans the sign-out of the browser whose current session is `session_id` (if it has one). A hint
/// spares the confirmation only when it was issued for that very session: an ID token of someone else,
/// or of an earlier session, must not sign this browser out unasked.
pub async fn plan(
    svc: &Services,
    tenant: &Tenant,
    req: &LogoutRequest,
    session_id: Option<&str>,
) -> Result<LogoutPlan> {
    let hint = match &req.id_token_hint {
        Some(h) => Some(read_hint(svc, tenant, h)?),
        None => None,
    };
    let for_this_session = hint
        .as_ref()
        .is_some_and(|h| session_id.is_none() || h.session_id.as_deref() == session_id);
    let audience = hint.map(|h| h.audience);
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
    let hinted = for_this_session;
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
