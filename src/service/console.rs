//! The admin console is a first-party public client of each tenant, created on first use. Admins sign
//! in to it through the tenant's own authorization endpoint like to any other app.

use super::Services;
use super::apps::{App, AppSettings};
use super::tenants::Tenant;
use crate::error::{Error, Result};
use crate::keys::SigningAlg;
use crate::store::models::AppRow;
use crate::store::queries;
use std::sync::Arc;

pub const CONSOLE_CLIENT_ID: &str = "guestlist-console";

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
    if let Some(app) = svc.apps.find(&tenant.id, CONSOLE_CLIENT_ID).await?
        && app.redirect_uris == [callback.clone()]
    {
        return Ok(app);
    }
    let (tenant_id, now) = (tenant.id.clone(), svc.now());
    let uris = serde_json::to_string(&[&callback]).map_err(Error::internal)?;
    svc.store
        .write(
            move |c| match queries::apps::by_client_id(c, &tenant_id, CONSOLE_CLIENT_ID)? {
                Some(mut row) => {
                    row.redirect_uris = uris;
                    row.updated_at = now;
                    queries::apps::update(c, &row)
                }
                None => queries::apps::insert(
                    c,
                    &AppRow {
                        id: uuid::Uuid::new_v4().to_string(),
                        tenant_id: tenant_id.clone(),
                        client_id: CONSOLE_CLIENT_ID.into(),
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
                    },
                ),
            },
        )
        .await?;
    svc.apps.forget(&tenant.id, CONSOLE_CLIENT_ID);
    svc.apps
        .find(&tenant.id, CONSOLE_CLIENT_ID)
        .await?
        .ok_or_else(|| Error::internal("the console app was not stored"))
}
