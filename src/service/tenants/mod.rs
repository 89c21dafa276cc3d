//! Tenants as the rest of the code sees them, and a short-lived cache so the protocol endpoints do not
//! read the tenant row on every request. Entries live a few seconds: a change made by another process
//! shows within that time. `manage` holds the operators' use cases.

pub mod manage;

use crate::domain::language::Language;
use crate::domain::lifecycle::GuestLifecycle;
use crate::domain::policy::{DomainList, InvitePolicy};
use crate::domain::tenant::{TenantSlug, issuer};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::models::TenantRow;
use crate::store::queries;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

/// Tenant settings kept as JSON so later policies need no migration for each switch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantSettings {
    /// Link shown on pages and emails.
    #[serde(default)]
    pub privacy_url: Option<String>,
    /// Who may invite guests (spec §3.1).
    #[serde(default)]
    pub invite_policy: InvitePolicy,
    /// Email domains invitations may (allow list) or may not (deny list) go to.
    #[serde(default)]
    pub domain_list: DomainList,
    /// Days an invitation link stays valid.
    #[serde(default = "default_ticket_days")]
    pub ticket_lifetime_days: i64,
    /// May someone redeem with an account whose email differs from the invited address?
    #[serde(default)]
    pub allow_mismatched_email_redemption: bool,
    /// May guests leave the organisation on their account page? When not, the page names the contact
    /// link instead.
    #[serde(default = "default_true")]
    pub guests_may_leave: bool,
    /// Do guests whose address no identity provider serves get "Email me a code"?
    #[serde(default = "default_true")]
    pub email_one_time_passcode: bool,
    /// Branding of pages and emails.
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default = "default_primary")]
    pub primary_color: String,
    #[serde(default = "default_background")]
    pub background_color: String,
    /// Where people can ask the tenant for help (pages and emails).
    #[serde(default)]
    pub contact_url: Option<String>,
    /// A short text the tenant shows on its sign-in page.
    #[serde(default)]
    pub signin_text: Option<String>,
    /// The language of pages and emails when neither the invitation, the user nor the browser names one.
    #[serde(default)]
    pub default_language: Language,
    /// End dates, inactivity, sponsor reviews and deletion of guests.
    #[serde(default)]
    pub lifecycle: GuestLifecycle,
}

fn default_true() -> bool {
    true
}

fn default_ticket_days() -> i64 {
    30
}

fn default_primary() -> String {
    crate::domain::color::DEFAULT_PRIMARY.into()
}

fn default_background() -> String {
    crate::domain::color::DEFAULT_BACKGROUND.into()
}

impl Default for TenantSettings {
    fn default() -> Self {
        TenantSettings {
            privacy_url: None,
            invite_policy: InvitePolicy::default(),
            domain_list: DomainList::default(),
            ticket_lifetime_days: default_ticket_days(),
            allow_mismatched_email_redemption: false,
            email_one_time_passcode: true,
            guests_may_leave: true,
            logo_url: None,
            primary_color: default_primary(),
            background_color: default_background(),
            contact_url: None,
            signin_text: None,
            default_language: Language::En,
            lifecycle: GuestLifecycle::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub primary_domain: String,
    pub issuer: String,
    pub unmanaged: bool,
    pub self_service_signup: bool,
    pub settings: TenantSettings,
    /// The serialized discovery document, made by the protocol layer on first use. It lives as long as
    /// this read of the tenant: the cache replaces the object whenever the tenant changes or its entry
    /// expires, so the document never outlives the settings it was made from.
    #[serde(skip)]
    pub discovery_json: OnceLock<bytes::Bytes>,
}

impl Tenant {
    pub fn from_row(row: TenantRow, public_url: &str) -> Tenant {
        Tenant {
            issuer: issuer(public_url, &row.slug),
            settings: serde_json::from_str(&row.settings).unwrap_or_default(),
            id: row.id,
            slug: row.slug,
            display_name: row.display_name,
            primary_domain: row.primary_domain,
            unmanaged: row.unmanaged,
            self_service_signup: row.self_service_signup,
            discovery_json: OnceLock::new(),
        }
    }
}

const TTL: Duration = Duration::from_secs(5);

/// slug → when it was read, and the tenant.
type TenantEntries = HashMap<String, (Instant, Arc<Tenant>)>;

#[derive(Clone)]
pub struct TenantCache {
    store: Store,
    public_url: Arc<str>,
    entries: Arc<RwLock<TenantEntries>>,
}

impl TenantCache {
    pub fn new(store: Store, public_url: &str) -> Self {
        TenantCache {
            store,
            public_url: public_url.into(),
            entries: Arc::default(),
        }
    }

    /// Drops the cached entry so a change made by this process shows at once.
    pub fn forget(&self, slug: &str) {
        if let Ok(mut map) = self.entries.write() {
            map.remove(slug);
        }
    }

    /// The tenant with URL name `slug`, or `NotFound`.
    pub async fn by_slug(&self, slug: &str) -> Result<Arc<Tenant>> {
        // Only a valid slug names a tenant (every stored one was made valid). Anything else is answered
        // without a query: PostgreSQL refuses text with a NUL byte, which a path may carry (`%00`).
        if !TenantSlug::parse(slug).is_ok_and(|valid| valid.as_str() == slug) {
            return Err(Error::NotFound(format!("tenant {slug}")));
        }
        if let Ok(map) = self.entries.read()
            && let Some((at, t)) = map.get(slug)
            && at.elapsed() < TTL
        {
            return Ok(t.clone());
        }
        let key = slug.to_string();
        let row = self
            .store
            .read(move |c| queries::tenants::by_slug(c, &key))
            .await?;
        let tenant = Arc::new(Tenant::from_row(
            row.ok_or_else(|| Error::NotFound(format!("tenant {slug}")))?,
            &self.public_url,
        ));
        if let Ok(mut map) = self.entries.write() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(slug.to_string(), (Instant::now(), tenant.clone()));
        }
        Ok(tenant)
    }
}
