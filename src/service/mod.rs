//! Use cases. Each public function is one use case; writes happen in one transaction together with
//! their audit events. Nothing here knows about HTTP.
//!
//! Administrative use cases take the caller as an [`auth::Actor`] and authorize it inside their own
//! transaction (`guard`); there are no unguarded public twins. People's own flows (sign-in, sign-up,
//! redemption, consent, one-time links) are authorized by what they present: a session, a ticket, a
//! link, each checked in the use case.

pub mod account;
pub mod address_proof;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod authorize;
pub mod backchannel;
pub mod bootstrap;
pub mod etag;
pub mod federation;
pub mod groups;
mod guard;
pub mod invitations;
pub mod lifecycle;
pub mod logout;
pub mod one_time_code;
pub mod outbound;
pub mod recovery;
pub mod redemption;
pub mod rounds;
pub mod settings;
pub mod signin;
pub mod tenants;
pub mod terms;
pub mod throttle;
pub mod tokens;
pub mod users;
pub mod verification;
pub mod webhooks;

use crate::config::Config;
use crate::crypto::password::{HashBudget, PasswordHasher};
use crate::keys::KeyStore;
use crate::store::Store;
use std::sync::Arc;

/// What every use case may need: configuration, storage, keys, the password hasher and caches.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub store: Store,
    pub keys: KeyStore,
    pub passwords: PasswordHasher,
    pub tenants: tenants::TenantCache,
    pub apps: apps::AppCache,
    /// Subjects of the abuse limits known to be waiting (see [`throttle::Waits`]).
    pub waits: throttle::Waits,
    /// Seals the secrets the server reads back (upstream client secrets, PKCE verifiers in flight).
    pub sealer: crate::crypto::sealed::Sealer,
    /// Upstream identity providers' documents and the client that talks to them.
    pub upstreams: federation::upstream::Upstreams,
    /// The upstream providers each tenant offers on its pages (see [`federation::Offered`]).
    pub offered: federation::Offered,
}

impl Services {
    pub fn new(config: Config, store: Store, keys: KeyStore) -> crate::error::Result<Services> {
        let passwords = PasswordHasher::new(
            HashBudget::plan(
                config.password_hash_memory,
                config.password_hash_concurrency,
            ),
            config.limits.password_checks_per_address,
        )?;
        Ok(Services {
            tenants: tenants::TenantCache::new(store.clone(), &config.public_url),
            apps: apps::AppCache::new(store.clone()),
            waits: throttle::Waits::default(),
            sealer: keys.sealer()?,
            upstreams: federation::upstream::Upstreams::new()?,
            offered: federation::Offered::default(),
            config: Arc::new(config),
            store,
            keys,
            passwords,
        })
    }

    pub fn now(&self) -> i64 {
        crate::clock::now()
    }
}
