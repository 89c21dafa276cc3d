//! Upstream identity providers (a partner's own OpenID Connect provider): what a tenant admin
//! configures ([`Provider`], managed here), the round trip a person makes through one
//! ([`round_trip`]), and the HTTP side of it ([`upstream`]).

pub mod round_trip;
pub mod upstream;

use super::Services;
use super::audit::{self, AuditEvent};
use super::auth::Actor;
use super::etag::{check_if_match, etag_of};
use super::tenants::Tenant;
use crate::domain::DomainError;
use crate::domain::access::Action;
use crate::domain::upstream::{ClaimMapping, IssuerRule, Preset, parse_domains, parse_scopes};
use crate::domain::user::parse_display_name;
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::IdentityProviderRow;
use crate::store::queries;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

pub mod events {
    pub const ADD_PROVIDER: &str = "Add identity provider";
    pub const UPDATE_PROVIDER: &str = "Update identity provider";
    pub const DELETE_PROVIDER: &str = "Delete identity provider";
    pub const FEDERATED_SIGN_IN: &str = "Federated sign-in";
    pub const FEDERATED_SIGN_IN_FAILURE: &str = "Federated sign-in failure";
    pub const LINK_IDENTITY: &str = "Link upstream identity";
}

/// The one redirect URI of the whole server, registered at every upstream provider.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{}/federation/callback", public_url.trim_end_matches('/'))
}

/// A provider as the round trip uses it (the client secret stays sealed until the code exchange).
#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    /// `None`: the operator offers it to every tenant.
    pub tenant_id: Option<String>,
    pub display_name: String,
    pub preset: Preset,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub domains: Vec<String>,
    pub mapping: ClaimMapping,
    /// The tenant's own members may sign in through it (for its domains).
    pub members: bool,
    /// A person of its domains with no member object yet becomes a member on first sign-in.
    pub create_members: bool,
    pub enabled: bool,
    sealed_secret: String,
    created_at: i64,
    updated_at: i64,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

impl Provider {
    fn from_row(r: IdentityProviderRow) -> Provider {
        Provider {
            preset: Preset::parse(&r.preset).unwrap_or_default(),
            scopes: words(&r.scopes),
            domains: words(&r.domains),
            mapping: ClaimMapping {
                email: r.email_claim,
                name: r.name_claim,
                trust_email: r.trust_email,
            },
            id: r.id,
            tenant_id: r.tenant_id,
            display_name: r.display_name,
            issuer: r.issuer,
            client_id: r.client_id,
            members: r.members,
            create_members: r.create_members,
            enabled: r.enabled,
            sealed_secret: r.client_secret_sealed,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }

    fn to_row(&self) -> IdentityProviderRow {
        IdentityProviderRow {
            id: self.id.clone(),
            tenant_id: self.tenant_id.clone(),
            display_name: self.display_name.clone(),
            preset: self.preset.as_str().into(),
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_secret_sealed: self.sealed_secret.clone(),
            scopes: self.scopes.join(" "),
            domains: self.domains.join(" "),
            email_claim: self.mapping.email.clone(),
            name_claim: self.mapping.name.clone(),
            trust_email: self.mapping.trust_email,
            members: self.members,
            create_members: self.create_members,
            enabled: self.enabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The issuers the provider's tokens may carry (checked when it was saved).
    pub fn issuer_rule(&self) -> IssuerRule {
        IssuerRule::parse(&self.issuer, true)
            .unwrap_or_else(|_| IssuerRule::Exact(self.issuer.clone()))
    }

    /// What the client secret is sealed for: this provider's secret only.
    fn secret_purpose(id: &str) -> String {
        format!("idp-client-secret:{id}")
    }

    pub fn client_secret(&self, svc: &Services) -> Result<String> {
        svc.sealer
            .open(&Provider::secret_purpose(&self.id), &self.sealed_secret)
    }

    /// Whether this provider serves `email`'s domain.
    pub fn serves(&self, email: &str) -> bool {
        crate::domain::upstream::serves(&self.domains, email)
    }
}

/// A provider as the console, the API and the CLI show it: never its client secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProviderView {
    pub id: String,
    /// Offered to every tenant by the operator; a tenant admin cannot change it.
    pub shared: bool,
    pub display_name: String,
    /// `generic`, `google` or `microsoft`.
    pub preset: String,
    pub issuer: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub domains: Vec<String>,
    pub email_claim: String,
    pub name_claim: String,
    pub trust_email: bool,
    pub members: bool,
    pub create_members: bool,
    pub enabled: bool,
    /// The redirect URI to register at the provider (one for the whole server).
    pub redirect_uri: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(skip)]
    pub etag: String,
}

impl IdentityProviderView {
    fn of(p: &Provider, public_url: &str) -> IdentityProviderView {
        let mut v = IdentityProviderView {
            id: p.id.clone(),
            shared: p.tenant_id.is_none(),
            display_name: p.display_name.clone(),
            preset: p.preset.as_str().into(),
            issuer: p.issuer.clone(),
            client_id: p.client_id.clone(),
            scopes: p.scopes.clone(),
            domains: p.domains.clone(),
            email_claim: p.mapping.email.clone(),
            name_claim: p.mapping.name.clone(),
            trust_email: p.mapping.trust_email,
            members: p.members,
            create_members: p.create_members,
            enabled: p.enabled,
            redirect_uri: redirect_uri(public_url),
            created_at: p.created_at,
            updated_at: p.updated_at,
            etag: String::new(),
        };
        // The secret is not shown, but replacing it changes the row's version.
        v.etag = etag_of(&(&v, &p.sealed_secret));
        v
    }
}

/// A new provider as the admin API and the CLI describe one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewIdentityProvider {
    pub display_name: String,
    /// `generic` (default), `google` or `microsoft`: fills the issuer and the claim defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Required for `generic`; for Microsoft, `https://login.microsoftonline.com/{tenantid}/v2.0`
    /// accepts every Entra tenant, a tenant's own id only that tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked besides `openid` (default `email profile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// The email domains the provider serves (home realm discovery).
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_claim: Option<String>,
    /// Take the email claim without `email_verified: true` (default: as the preset says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_email: Option<bool>,
    /// The tenant's members of the served domains sign in through it.
    #[serde(default)]
    pub members: bool,
    /// Such a member is created on first sign-in when there is none.
    #[serde(default)]
    pub create_members: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

/// Changes to a provider; absent fields stay. A new `clientSecret` replaces the sealed one.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdentityProviderPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_claim: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_email: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub members: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_members: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

fn invalid(e: DomainError) -> Error {
    Error::invalid(e.field, e.message)
}

fn check_client_id(raw: &str) -> Result<String> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 255 || id.chars().any(char::is_control) {
        return Err(Error::invalid(
            "clientId",
            "The client id is required: the one the provider gave this server.",
        ));
    }
    Ok(id.to_string())
}

fn check_secret(raw: &str) -> Result<&str> {
    if raw.trim().is_empty() || raw.len() > 4096 {
        return Err(Error::invalid(
            "clientSecret",
            "The client secret is required: the one the provider gave this server.",
        ));
    }
    Ok(raw.trim())
}

fn check_claim(field: &'static str, raw: &str) -> Result<String> {
    let c = raw.trim();
    if c.is_empty() || c.len() > 100 || !c.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(field, format!("{c:?} is not a claim name.")));
    }
    Ok(c.to_string())
}

/// A tenant's own provider `id` (a shared one is read-only here: [`Error::Forbidden`]).
fn own_provider(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<Provider> {
    let p = visible_provider(c, tenant, id)?;
    if p.tenant_id.is_none() {
        return Err(Error::Forbidden(
            "This provider is offered to every tenant by the operator; only the operator changes it."
                .into(),
        ));
    }
    Ok(p)
}

/// Provider `id` as `tenant` sees it: its own or a shared one; another tenant's is not found.
fn visible_provider(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<Provider> {
    queries::federation::provider(c, id)?
        .filter(|p| p.tenant_id.as_deref().is_none_or(|t| t == tenant.id))
        .map(Provider::from_row)
        .ok_or_else(|| Error::NotFound(format!("identity provider {id}")))
}

/// The providers each tenant offers, as this process last read them: every sign-in page shows them,
/// so they are read at most every [`OFFERED_FRESH_FOR`] (and at once after a change made here).
#[derive(Debug, Clone, Default)]
pub struct Offered(Arc<Mutex<HashMap<String, OfferedAt>>>);

/// A tenant's offered providers and when they were read.
type OfferedAt = (Instant, Arc<Vec<Provider>>);

/// How long another process's change to a tenant's providers may take to show on its pages.
const OFFERED_FRESH_FOR: Duration = Duration::from_secs(10);

impl Offered {
    fn get(&self, tenant_id: &str) -> Option<Arc<Vec<Provider>>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(tenant_id)
            .filter(|(at, _)| at.elapsed() < OFFERED_FRESH_FOR)
            .map(|(_, list)| list.clone())
    }

    fn put(&self, tenant_id: &str, list: Arc<Vec<Provider>>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= 10_000 {
            kept.clear();
        }
        kept.insert(tenant_id.to_string(), (Instant::now(), list));
    }

    /// Forgets every tenant's list (a provider changed; a shared one concerns them all).
    pub fn forget(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// The enabled providers a tenant's people may use (its own and the shared ones), as this process
/// read them at most [`OFFERED_FRESH_FOR`] ago: for the buttons of the busy sign-in page, where a
/// provider another process just added may show a few seconds late.
pub async fn offered_recently(svc: &Services, tenant: &Tenant) -> Result<Arc<Vec<Provider>>> {
    match svc.offered.get(&tenant.id) {
        Some(list) => Ok(list),
        None => offered(svc, tenant).await,
    }
}

/// The enabled providers a tenant's people may use (its own and the shared ones), read now.
pub async fn offered(svc: &Services, tenant: &Tenant) -> Result<Arc<Vec<Provider>>> {
    let tenant_id = tenant.id.clone();
    let rows = svc
        .store
        .read(move |c| queries::federation::providers_for(c, &tenant_id))
        .await?;
    let list: Arc<Vec<Provider>> = Arc::new(
        rows.into_iter()
            .map(Provider::from_row)
            .filter(|p| p.enabled)
            .collect(),
    );
    svc.offered.put(&tenant.id, list.clone());
    Ok(list)
}

/// One provider a tenant's people may use (enabled, its own or shared).
pub async fn offered_one(svc: &Services, tenant: &Tenant, id: &str) -> Result<Provider> {
    let (t, id) = (tenant.clone(), id.to_string());
    let p = svc
        .store
        .read(move |c| visible_provider(c, &t, &id))
        .await?;
    if !p.enabled {
        return Err(Error::NotFound(format!("identity provider {}", p.id)));
    }
    Ok(p)
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
) -> Result<Vec<IdentityProviderView>> {
    let (tenant_id, public_url) = (tenant.id.clone(), svc.config.public_url.clone());
    svc.read_as(
        actor,
        tenant,
        Action::Administer,
        "identity providers",
        move |c, _| {
            Ok(queries::federation::providers_for(c, &tenant_id)?
                .into_iter()
                .map(|r| IdentityProviderView::of(&Provider::from_row(r), &public_url))
                .collect())
        },
    )
    .await
}

pub async fn get(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<IdentityProviderView> {
    let (t, id_c, public_url) = (
        tenant.clone(),
        id.to_string(),
        svc.config.public_url.clone(),
    );
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        Ok(IdentityProviderView::of(
            &visible_provider(c, &t, &id_c)?,
            &public_url,
        ))
    })
    .await
}

fn audit_provider(
    c: &mut AnyConnection,
    tenant: &Tenant,
    event: &str,
    actor: &str,
    p: &Provider,
) -> Result<()> {
    audit::record(
        c,
        AuditEvent {
            tenant_id: &tenant.id,
            event_name: event,
            actor,
            target: &p.id,
            outcome: "success",
            details: serde_json::json!({
                "displayName": p.display_name, "issuer": p.issuer, "clientId": p.client_id,
                "domains": p.domains, "members": p.members, "enabled": p.enabled,
            }),
        },
    )
}

pub async fn create(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    input: NewIdentityProvider,
) -> Result<IdentityProviderView> {
    let p = provider_of(svc, Some(tenant), input)?;
    let (t, actor_id, public_url) = (tenant.clone(), actor.id(), svc.config.public_url.clone());
    svc.write_as(
        actor,
        tenant,
        Action::Administer,
        &p.display_name.clone(),
        move |c, _| {
            queries::federation::insert_provider(c, &p.to_row())?;
            audit_provider(c, &t, events::ADD_PROVIDER, &actor_id, &p)?;
            Ok(IdentityProviderView::of(&p, &public_url))
        },
    )
    .await
    .inspect(|_| svc.offered.forget())
}

/// An operator offers a provider to every tenant (say one Google client for the whole server). It is
/// audited in the operator's own tenant when the operator came with one (the command line has none).
pub async fn create_shared(
    svc: &Services,
    actor: &Actor,
    home: Option<&Tenant>,
    input: NewIdentityProvider,
) -> Result<IdentityProviderView> {
    let p = provider_of(svc, None, input)?;
    let (h, actor_id, public_url) = (home.cloned(), actor.id(), svc.config.public_url.clone());
    svc.write_on_server(
        actor,
        home,
        Action::ManageTenants,
        &p.display_name.clone(),
        move |c, _| {
            queries::federation::insert_provider(c, &p.to_row())?;
            if let Some(h) = &h {
                audit_provider(c, h, events::ADD_PROVIDER, &actor_id, &p)?;
            }
            Ok(IdentityProviderView::of(&p, &public_url))
        },
    )
    .await
    .inspect(|_| svc.offered.forget())
}

/// The providers the operator offers to every tenant.
pub async fn list_shared(
    svc: &Services,
    actor: &Actor,
    home: Option<&Tenant>,
) -> Result<Vec<IdentityProviderView>> {
    let public_url = svc.config.public_url.clone();
    svc.read_on_server(
        actor,
        home,
        Action::ManageTenants,
        "identity providers",
        move |c, _| {
            Ok(queries::federation::providers_of(c, None)?
                .into_iter()
                .map(|r| IdentityProviderView::of(&Provider::from_row(r), &public_url))
                .collect())
        },
    )
    .await
}

/// The operator withdraws a shared provider; people bound to its identities keep their binding (the
/// identity is the issuer's and subject's, not the provider row's) but cannot sign in through it.
pub async fn delete_shared(
    svc: &Services,
    actor: &Actor,
    home: Option<&Tenant>,
    id: &str,
) -> Result<()> {
    let (h, id_c, actor_id) = (home.cloned(), id.to_string(), actor.id());
    svc.write_on_server(actor, home, Action::ManageTenants, id, move |c, _| {
        let p = queries::federation::provider(c, &id_c)?
            .filter(|p| p.tenant_id.is_none())
            .map(Provider::from_row)
            .ok_or_else(|| Error::NotFound(format!("shared identity provider {id_c}")))?;
        queries::federation::delete_provider(c, &p.id)?;
        match &h {
            Some(h) => audit_provider(c, h, events::DELETE_PROVIDER, &actor_id, &p),
            None => Ok(()),
        }
    })
    .await?;
    svc.upstreams.forget(id);
    svc.offered.forget();
    Ok(())
}

/// A new provider row owned by `owner` (`None`: shared), checked.
fn provider_of(
    svc: &Services,
    owner: Option<&Tenant>,
    input: NewIdentityProvider,
) -> Result<Provider> {
    let preset = Preset::parse(input.preset.as_deref().unwrap_or_default()).map_err(invalid)?;
    let issuer_raw = match (input.issuer.as_deref().map(str::trim), preset.issuer()) {
        (Some(i), _) if !i.is_empty() => i.to_string(),
        (_, Some(default)) => default.to_string(),
        _ => {
            return Err(Error::invalid(
                "issuer",
                "The issuer is required: the URL the provider's discovery document names.",
            ));
        }
    };
    let rule = IssuerRule::parse(&issuer_raw, svc.config.federation_allow_http).map_err(invalid)?;
    let id = uuid::Uuid::new_v4().to_string();
    let now = svc.now();
    let scopes = input
        .scopes
        .unwrap_or_else(|| vec!["email".into(), "profile".into()]);
    let p = Provider {
        display_name: parse_display_name(&input.display_name)
            .map_err(|e| Error::invalid("displayName", e.message))?,
        preset,
        issuer: rule.as_str().to_string(),
        client_id: check_client_id(&input.client_id)?,
        scopes: parse_scopes(scopes.iter().map(String::as_str)).map_err(invalid)?,
        domains: parse_domains(input.domains.iter().map(String::as_str)).map_err(invalid)?,
        mapping: ClaimMapping {
            email: check_claim(
                "emailClaim",
                input.email_claim.as_deref().unwrap_or(preset.email_claim()),
            )?,
            name: check_claim("nameClaim", input.name_claim.as_deref().unwrap_or("name"))?,
            trust_email: input.trust_email.unwrap_or(preset.trusts_email()),
        },
        members: input.members,
        create_members: input.create_members && input.members,
        enabled: input.enabled.unwrap_or(true),
        sealed_secret: svc.sealer.seal(
            &Provider::secret_purpose(&id),
            check_secret(&input.client_secret)?,
        )?,
        tenant_id: owner.map(|t| t.id.clone()),
        id,
        created_at: now,
        updated_at: now,
    };
    Ok(p)
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: IdentityProviderPatch,
    if_match: Option<String>,
) -> Result<IdentityProviderView> {
    let allow_http = svc.config.federation_allow_http;
    let issuer = patch
        .issuer
        .as_deref()
        .map(|i| IssuerRule::parse(i, allow_http).map_err(invalid))
        .transpose()?;
    let display_name = patch
        .display_name
        .as_deref()
        .map(|n| parse_display_name(n).map_err(|e| Error::invalid("displayName", e.message)))
        .transpose()?;
    let client_id = patch
        .client_id
        .as_deref()
        .map(check_client_id)
        .transpose()?;
    let sealed = match patch.client_secret.as_deref() {
        Some(s) => Some(
            svc.sealer
                .seal(&Provider::secret_purpose(id), check_secret(s)?)?,
        ),
        None => None,
    };
    let scopes = patch
        .scopes
        .as_ref()
        .map(|s| parse_scopes(s.iter().map(String::as_str)).map_err(invalid))
        .transpose()?;
    let domains = patch
        .domains
        .as_ref()
        .map(|d| parse_domains(d.iter().map(String::as_str)).map_err(invalid))
        .transpose()?;
    let email_claim = patch
        .email_claim
        .as_deref()
        .map(|c| check_claim("emailClaim", c))
        .transpose()?;
    let name_claim = patch
        .name_claim
        .as_deref()
        .map(|c| check_claim("nameClaim", c))
        .transpose()?;
    let (t, id_c, actor_id, now) = (tenant.clone(), id.to_string(), actor.id(), svc.now());
    let public_url = svc.config.public_url.clone();
    let view = svc
        .write_as(actor, tenant, Action::Administer, id, move |c, _| {
            let mut p = own_provider(c, &t, &id_c)?;
            check_if_match(
                &IdentityProviderView::of(&p, &public_url).etag,
                if_match.as_deref(),
            )?;
            if let Some(i) = issuer {
                p.issuer = i.as_str().to_string();
            }
            if let Some(n) = display_name {
                p.display_name = n;
            }
            if let Some(ci) = client_id {
                p.client_id = ci;
            }
            if let Some(s) = sealed {
                p.sealed_secret = s;
            }
            if let Some(s) = scopes {
                p.scopes = s;
            }
            if let Some(d) = domains {
                p.domains = d;
            }
            if let Some(e) = email_claim {
                p.mapping.email = e;
            }
            if let Some(n) = name_claim {
                p.mapping.name = n;
            }
            if let Some(v) = patch.trust_email {
                p.mapping.trust_email = v;
            }
            if let Some(v) = patch.members {
                p.members = v;
            }
            if let Some(v) = patch.create_members {
                p.create_members = v;
            }
            p.create_members &= p.members;
            if let Some(v) = patch.enabled {
                p.enabled = v;
            }
            p.updated_at = now;
            queries::federation::update_provider(c, &p.to_row())?;
            audit_provider(c, &t, events::UPDATE_PROVIDER, &actor_id, &p)?;
            Ok(IdentityProviderView::of(&p, &public_url))
        })
        .await?;
    svc.upstreams.forget(id);
    svc.offered.forget();
    Ok(view)
}

pub async fn delete(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    if_match: Option<String>,
) -> Result<()> {
    let (t, id_c, actor_id) = (tenant.clone(), id.to_string(), actor.id());
    let public_url = svc.config.public_url.clone();
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let p = own_provider(c, &t, &id_c)?;
        check_if_match(
            &IdentityProviderView::of(&p, &public_url).etag,
            if_match.as_deref(),
        )?;
        queries::federation::delete_provider(c, &p.id)?;
        audit_provider(c, &t, events::DELETE_PROVIDER, &actor_id, &p)
    })
    .await?;
    svc.upstreams.forget(id);
    svc.offered.forget();
    Ok(())
}

/// The outcome of "Test connection": the provider's authorization endpoint, read from its discovery
/// document, with its keys.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTest {
    pub ok: bool,
    pub authorization_endpoint: Option<String>,
    pub error: Option<String>,
}

pub async fn test_connection(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<ConnectionTest> {
    let (t, id_c) = (tenant.clone(), id.to_string());
    let p = svc
        .read_as(actor, tenant, Action::Administer, id, move |c, _| {
            visible_provider(c, &t, &id_c)
        })
        .await?;
    Ok(match svc.upstreams.probe(&p).await {
        Ok(endpoint) => ConnectionTest {
            ok: true,
            authorization_endpoint: Some(endpoint),
            error: None,
        },
        Err(e) => ConnectionTest {
            ok: false,
            authorization_endpoint: None,
            error: Some(e.reason().to_string()),
        },
    })
}

impl super::etag::Tagged for IdentityProviderView {
    fn etag(&self) -> &str {
        &self.etag
    }
}
