//! The admin console is a first-party public client of each tenant, created on first use. Admins sign
//! in to it through the tenant's own authorization endpoint like to any other app.

use super::super::Services;
use super::super::tenants::Tenant;
use super::{App, AppSettings};
use crate::error::{Error, Result};
use crate::keys::SigningAlg;
use crate::store::models::AppRow;
use crate::store::queries;
use std::sync::Arc;

/// The console app's client id in the tenant `slug`: client ids are unique on the whole server, so
/// each tenant's console has its own.
pub fn console_client_id(slug: &str) -> String {
    format!("{LEGACY_CLIENT_ID}.{slug}")
}

/// The id the first tenant's console had when one id served every tenant (and so only one could
/// exist); it is renamed on first use.
const LEGACY_CLIENT_ID: &str = "guestlist-console";

/// What the console asks for: an ID token, and an access token for the admin API. The provider grants
/// `guestlist.admin` only to people who hold the Admin (or Operator) role.
pub const CONSOLE_SCOPE: &str = "openid guestlist.admin";

/// Where the authorization server sends the console's code.
pub fn callback_url(svc: &Services, tenant: &Tenant) -> String {
    format!(
        "{}/admin/t/{}/callback",
        svc.config.public_url.trim_end_matches('/'),
        tenant.slug
    )
}

/// The tenant's console app, created (or its redirect URI corrected after a change of public URL).
pub async fn ensure_console_app(svc: &Services, tenant: &Tenant) -> Result<Arc<App>> {
    let callback = callback_url(svc, tenant);
    let client_id = console_client_id(&tenant.slug);
    if let Some(app) = svc.apps.find(&tenant.id, &client_id).await?
        && app.redirect_uris == [callback.clone()]
    {
        return Ok(app);
    }
    let (tenant_id, now, id) = (tenant.id.clone(), svc.now(), client_id.clone());
    let uris = serde_json::to_string(&[&callback]).map_err(Error::internal)?;
    svc.store
        .write(move |c| {
            let existing = match queries::apps::by_client_id(c, &tenant_id, &id)? {
                Some(row) => Some(row),
                None => queries::apps::by_client_id(c, &tenant_id, LEGACY_CLIENT_ID)?,
            };
            match existing {
                Some(mut row) => {
                    row.client_id = id.clone();
                    row.redirect_uris = uris;
                    row.updated_at = now;
                    queries::apps::update(c, &row)
                }
                None => queries::apps::insert(
                    c,
                    &AppRow {
                        id: uuid::Uuid::new_v4().to_string(),
                        tenant_id: tenant_id.clone(),
                        client_id: id.clone(),
                        name: "Admin console".into(),
                        secret_hash: None,
                        redirect_uris: uris,
                        post_logout_redirect_uris: "[]".into(),
                        first_party: true,
                        assignment_required: false,
                        id_token_signing_alg: SigningAlg::ES256.as_str().into(),
                        allowed_scopes: String::new(),
                        settings: serde_json::to_string(&AppSettings::default())
                            .map_err(Error::internal)?,
                        enabled: true,
                        created_at: now,
                        updated_at: now,
                        backchannel_logout_uri: None,
                        backchannel_logout_session_required: false,
                    },
                ),
            }
        })
        .await?;
    svc.apps.forget(&tenant.id, LEGACY_CLIENT_ID);
    svc.apps.forget(&tenant.id, &client_id);
    svc.apps
        .find(&tenant.id, &client_id)
        .await?
        .ok_or_else(|| Error::internal("the console app was not stored"))
}
