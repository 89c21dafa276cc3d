//! Apps (OIDC clients): their parsed form, client authentication and a short-lived cache; `manage` holds
//! the administrative use cases, `console` the console's own app, `panel` the people's app panel.

pub mod console;
pub mod manage;
pub mod panel;

use crate::crypto::{constant_time_eq, hash_secret};
use crate::domain::claims::OptionalClaim;
use crate::error::{Error, OAuthErrorCode, Result};
use crate::keys::SigningAlg;
use crate::store::Store;
use crate::store::models::AppRow;
use crate::store::queries;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AppSettings {
    #[serde(default)]
    pub optional_claims: Vec<OptionalClaim>,
    /// Where the app panel sends people who open the app.
    #[serde(default)]
    pub home_url: Option<String>,
    /// Roles the app defines; assignments may name one, and the `roles` claim carries them.
    #[serde(default)]
    pub app_roles: Vec<AppRole>,
}

/// A role an app defines (its `value` is what the `roles` claim carries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    pub value: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub name: String,
    secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub first_party: bool,
    pub assignment_required: bool,
    pub signing_alg: SigningAlg,
    /// Scopes a `client_credentials` token may carry (e.g. admin scopes); space-separated.
    pub allowed_scopes: String,
    pub settings: AppSettings,
    pub enabled: bool,
    /// OpenID Connect Back-Channel Logout: where the app is told that a session or grant ended.
    pub backchannel_logout_uri: Option<String>,
    /// The app needs `sid` in logout tokens (it always gets one when the grant came from a session).
    pub backchannel_logout_session_required: bool,
}

impl App {
    pub fn from_row(row: AppRow) -> App {
        App {
            redirect_uris: serde_json::from_str(&row.redirect_uris).unwrap_or_default(),
            post_logout_redirect_uris: serde_json::from_str(&row.post_logout_redirect_uris)
                .unwrap_or_default(),
            signing_alg: SigningAlg::parse(&row.id_token_signing_alg).unwrap_or(SigningAlg::RS256),
            settings: serde_json::from_str(&row.settings).unwrap_or_default(),
            id: row.id,
            tenant_id: row.tenant_id,
            client_id: row.client_id,
            name: row.name,
            secret_hash: row.secret_hash,
            first_party: row.first_party,
            assignment_required: row.assignment_required,
            allowed_scopes: row.allowed_scopes,
            enabled: row.enabled,
            backchannel_logout_uri: row.backchannel_logout_uri,
            backchannel_logout_session_required: row.backchannel_logout_session_required,
        }
    }

    /// Public clients (SPAs, native apps) have no secret and must use PKCE.
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    /// A digest of the current secret's hash: app tokens carry it, so a new secret ends the old ones.
    pub fn credential_fingerprint(&self) -> String {
        self.secret_hash
            .as_deref()
            .map(credential_fingerprint)
            .unwrap_or_default()
    }

    pub fn secret_matches(&self, secret: &str) -> bool {
        match &self.secret_hash {
            Some(stored) => constant_time_eq(stored, &hash_secret(secret)),
            None => false,
        }
    }
}

/// A digest of a stored secret hash (64 bits of its SHA-256), for binding tokens to a secret without
/// putting anything secret in them.
pub fn credential_fingerprint(secret_hash: &str) -> String {
    hash_secret(secret_hash).chars().take(16).collect()
}

/// Credentials a client presented at the token, revocation or introspection endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    /// `client_secret_basic`: already base64- and form-decoded.
    Basic { client_id: String, secret: String },
    /// `client_secret_post`.
    Post { client_id: String, secret: String },
    /// `none`: a public client naming itself.
    None { client_id: String },
}

impl ClientCredentials {
    pub fn client_id(&self) -> &str {
        match self {
            Self::Basic { client_id, .. }
            | Self::Post { client_id, .. }
            | Self::None { client_id } => client_id,
        }
    }

    pub fn used_basic(&self) -> bool {
        matches!(self, Self::Basic { .. })
    }
}

/// Authenticates a client at the token endpoints for a request from `address`, within the abuse
/// limits: after repeated failures for one client from one address, attempts are refused (429) without
/// the secret being looked at, and a success forgets the failures.
pub async fn authenticate_client(
    svc: &super::Services,
    tenant_id: &str,
    creds: &ClientCredentials,
    address: &str,
) -> Result<Arc<App>> {
    use super::throttle::{self, Limit, Subject};
    let subject = Subject::new(Limit::ClientAuth, &[tenant_id, creds.client_id(), address]);
    let standing = throttle::check(svc, std::slice::from_ref(&subject)).await?;
    match svc.apps.authenticate(tenant_id, creds).await {
        Ok(app) => {
            if standing.has_record {
                svc.store
                    .write(move |c| throttle::clear_on(c, &[subject]))
                    .await?;
            }
            Ok(app)
        }
        Err(e @ Error::OAuth { .. }) => {
            throttle::fail(svc, vec![subject]).await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

fn invalid_client() -> Error {
    Error::oauth(
        OAuthErrorCode::InvalidClient,
        "client authentication failed",
    )
}

const TTL: Duration = Duration::from_secs(5);

/// (tenant id, client id) → when it was read, and the app (or its absence).
type AppEntries = HashMap<(String, String), (Instant, Option<Arc<App>>)>;

#[derive(Clone)]
pub struct AppCache {
    store: Store,
    entries: Arc<RwLock<AppEntries>>,
}

impl AppCache {
    pub fn new(store: Store) -> Self {
        AppCache {
            store,
            entries: Arc::default(),
        }
    }

    /// The app with `client_id` in the tenant, if any (cached for a few seconds, misses included).
    pub async fn find(&self, tenant_id: &str, client_id: &str) -> Result<Option<Arc<App>>> {
        let key = (tenant_id.to_string(), client_id.to_string());
        if let Ok(map) = self.entries.read()
            && let Some((at, app)) = map.get(&key)
            && at.elapsed() < TTL
        {
            return Ok(app.clone());
        }
        // No client id is empty, long or holds a NUL byte (which PostgreSQL refuses in text): such a
        // value names no app and is not worth a query.
        if client_id.is_empty() || client_id.len() > 256 || client_id.contains('\0') {
            return Ok(None);
        }
        let (t, c) = key.clone();
        let app = self
            .store
            .read(move |conn| queries::apps::by_client_id(conn, &t, &c))
            .await?
            .map(|row| Arc::new(App::from_row(row)));
        if let Ok(mut map) = self.entries.write() {
            if map.len() > 50_000 {
                map.clear();
            }
            map.insert(key, (Instant::now(), app.clone()));
        }
        Ok(app)
    }

    /// Drops the cached entry so a change made by this process shows at once (others see it within
    /// the cache's lifetime).
    pub fn forget(&self, tenant_id: &str, client_id: &str) {
        if let Ok(mut map) = self.entries.write() {
            map.remove(&(tenant_id.to_string(), client_id.to_string()));
        }
    }

    /// Authenticates a client. Confidential clients must present their secret (basic or post);
    /// public clients may only name themselves. Every failure is the same `invalid_client`.
    pub async fn authenticate(
        &self,
        tenant_id: &str,
        creds: &ClientCredentials,
    ) -> Result<Arc<App>> {
        let app = self
            .find(tenant_id, creds.client_id())
            .await?
            .filter(|a| a.enabled)
            .ok_or_else(invalid_client)?;
        let ok = match creds {
            ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. } => {
                app.secret_matches(secret)
            }
            ClientCredentials::None { .. } => app.is_public(),
        };
        if ok { Ok(app) } else { Err(invalid_client()) }
    }
}
