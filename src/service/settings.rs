//! A tenant's branding and policies.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::auth::Actor;
use super::etag::{check_if_match, etag_of};
use super::tenants::{Tenant, TenantSettings};
use crate::domain::access::Action;
use crate::domain::color::parse_color;
use crate::domain::language::Language;
use crate::domain::lifecycle::GuestLifecycle;
use crate::domain::logo::check_logo;
use crate::domain::policy::{DomainList, Domains, InvitePolicy};
use crate::domain::user::parse_display_name;
use crate::error::{Error, Result, patch_field};
use crate::store::connection::AnyConnection;
use crate::store::models::{TenantLogoRow, TenantRow};
use crate::store::queries;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BrandingView {
    pub display_name: String,
    pub logo_url: Option<String>,
    pub primary_color: String,
    pub background_color: String,
    pub privacy_url: Option<String>,
    pub contact_url: Option<String>,
    pub signin_text: Option<String>,
    /// The language of pages and emails when nothing else decides.
    pub default_language: String,
    #[serde(skip)]
    pub etag: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BrandingPatch {
    pub display_name: Option<String>,
    /// `#rgb` or `#rrggbb`.
    pub primary_color: Option<String>,
    pub background_color: Option<String>,
    /// An absolute https URL, or empty for none.
    pub privacy_url: Option<String>,
    pub contact_url: Option<String>,
    /// Up to 500 characters shown on the sign-in page; empty for none.
    pub signin_text: Option<String>,
    pub default_language: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoliciesView {
    /// `everyone`, `members_and_guest_inviters`, `admins_and_guest_inviters` or `nobody`.
    pub invite_policy: String,
    /// `none`, `allow` or `deny`.
    pub domain_list_mode: String,
    pub domains: Vec<String>,
    pub self_service_sign_up: bool,
    pub allow_mismatched_email_redemption: bool,
    /// Guests whose address no identity provider serves may redeem and sign in with emailed codes.
    pub email_one_time_passcode: bool,
    /// Guests may leave the organisation on their account page.
    pub guests_may_leave: bool,
    pub ticket_lifetime_days: i64,
    pub guest_lifecycle: GuestLifecycleBody,
    #[serde(skip)]
    pub etag: String,
}

/// The guest lifecycle policy. A patch replaces it whole; absent or null rules are off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestLifecycleBody {
    /// Guests not signed in for this many days are disabled.
    #[serde(default)]
    pub inactive_after_days: Option<i64>,
    /// Guests the lifecycle disabled (end date, inactivity, review) are deleted this many days later.
    #[serde(default)]
    pub delete_after_days: Option<i64>,
    /// Sponsors get a review email listing their guests every this many days.
    #[serde(default)]
    pub review_every_days: Option<i64>,
    /// Days sponsors have to answer a review (default 14).
    #[serde(default = "default_respond_days")]
    pub review_respond_days: i64,
    /// Disable guests nobody kept by the review's deadline.
    #[serde(default)]
    pub disable_unreviewed: bool,
}

fn default_respond_days() -> i64 {
    GuestLifecycle::default().review_respond_days
}

impl From<&GuestLifecycle> for GuestLifecycleBody {
    fn from(p: &GuestLifecycle) -> Self {
        GuestLifecycleBody {
            inactive_after_days: p.inactive_after_days,
            delete_after_days: p.delete_after_days,
            review_every_days: p.review_every_days,
            review_respond_days: p.review_respond_days,
            disable_unreviewed: p.disable_unreviewed,
        }
    }
}

impl GuestLifecycleBody {
    pub fn checked(self) -> Result<GuestLifecycle> {
        Ok(GuestLifecycle {
            inactive_after_days: self.inactive_after_days,
            delete_after_days: self.delete_after_days,
            review_every_days: self.review_every_days,
            review_respond_days: self.review_respond_days,
            disable_unreviewed: self.disable_unreviewed,
        }
        .checked()?)
    }
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PoliciesPatch {
    pub invite_policy: Option<String>,
    pub domain_list_mode: Option<String>,
    pub domains: Option<Vec<String>>,
    pub self_service_sign_up: Option<bool>,
    pub allow_mismatched_email_redemption: Option<bool>,
    pub email_one_time_passcode: Option<bool>,
    pub guests_may_leave: Option<bool>,
    pub ticket_lifetime_days: Option<i64>,
    pub guest_lifecycle: Option<GuestLifecycleBody>,
}

fn tenant_row(c: &mut AnyConnection, tenant: &Tenant) -> Result<(TenantRow, TenantSettings)> {
    let row = queries::tenants::by_id(c, &tenant.id)?
        .ok_or_else(|| Error::NotFound(format!("tenant {}", tenant.slug)))?;
    let settings = serde_json::from_str(&row.settings).unwrap_or_default();
    Ok((row, settings))
}

fn branding_of(row: &TenantRow, s: &TenantSettings) -> BrandingView {
    let mut v = BrandingView {
        display_name: row.display_name.clone(),
        logo_url: s.logo_url.clone(),
        primary_color: s.primary_color.clone(),
        background_color: s.background_color.clone(),
        privacy_url: s.privacy_url.clone(),
        contact_url: s.contact_url.clone(),
        signin_text: s.signin_text.clone(),
        default_language: s.default_language.as_str().to_string(),
        etag: String::new(),
    };
    v.etag = etag_of(&v);
    v
}

fn policies_of(row: &TenantRow, s: &TenantSettings) -> PoliciesView {
    let (mode, domains) = match &s.domain_list {
        DomainList::None => ("none", vec![]),
        DomainList::Allow(d) => ("allow", d.as_slice().to_vec()),
        DomainList::Deny(d) => ("deny", d.as_slice().to_vec()),
    };
    let mut v = PoliciesView {
        invite_policy: s.invite_policy.as_str().to_string(),
        domain_list_mode: mode.into(),
        domains,
        self_service_sign_up: row.self_service_signup,
        allow_mismatched_email_redemption: s.allow_mismatched_email_redemption,
        email_one_time_passcode: s.email_one_time_passcode,
        guests_may_leave: s.guests_may_leave,
        ticket_lifetime_days: s.ticket_lifetime_days,
        guest_lifecycle: GuestLifecycleBody::from(&s.lifecycle),
        etag: String::new(),
    };
    v.etag = etag_of(&v);
    v
}

/// An optional absolute http(s) URL: `Some("")` clears it.
fn optional_url(field: &str, raw: Option<String>) -> Result<Option<Option<String>>> {
    match raw.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(u) => url::Url::parse(u)
            .ok()
            .filter(|p| matches!(p.scheme(), "https" | "http") && p.host_str().is_some())
            .map(|p| Some(Some(p.to_string())))
            .ok_or_else(|| Error::invalid(field, "must be an absolute http(s) URL")),
    }
}

pub async fn branding(svc: &Services, actor: &Actor, tenant: &Tenant) -> Result<BrandingView> {
    let t = tenant.clone();
    svc.read_as(
        actor,
        tenant,
        Action::Administer,
        "branding",
        move |c, _| {
            let (row, s) = tenant_row(c, &t)?;
            Ok(branding_of(&row, &s))
        },
    )
    .await
}

/// Writes a settings change in one transaction with its audit event, after the `If-Match` check.
async fn change_settings<V, F>(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    event: &'static str,
    if_match: Option<String>,
    view: fn(&TenantRow, &TenantSettings) -> V,
    change: F,
) -> Result<V>
where
    V: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection, &mut TenantRow, &mut TenantSettings) -> Result<()>
        + Send
        + 'static,
{
    let (tenant_c, actor_id, now) = (tenant.clone(), actor.id(), svc.now());
    let out = svc
        .write_as(actor, tenant, Action::Administer, event, move |c, _| {
            let (mut row, mut s) = tenant_row(c, &tenant_c)?;
            let before = view(&row, &s);
            check_if_match(&etag_of(&before), if_match.as_deref())?;
            change(c, &mut row, &mut s)?;
            row.settings = serde_json::to_string(&s).map_err(Error::internal)?;
            row.updated_at = now;
            queries::tenants::update(c, &row)?;
            let after = view(&row, &s);
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &row.id,
                    event_name: event,
                    actor: &actor_id,
                    target: &row.slug,
                    outcome: "success",
                    details: serde_json::json!({ "before": before, "after": after }),
                },
            )?;
            Ok(after)
        })
        .await?;
    svc.tenants.forget(&tenant.slug);
    Ok(out)
}

pub async fn update_branding(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    patch: BrandingPatch,
    if_match: Option<String>,
) -> Result<BrandingView> {
    let name = patch_field(
        "displayName",
        patch.display_name.as_deref(),
        parse_display_name,
    )?;
    let primary = patch_field("primaryColor", patch.primary_color.as_deref(), parse_color)?;
    let background = patch_field(
        "backgroundColor",
        patch.background_color.as_deref(),
        parse_color,
    )?;
    let privacy = optional_url("privacyUrl", patch.privacy_url)?;
    let contact = optional_url("contactUrl", patch.contact_url)?;
    let signin_text = patch.signin_text.map(|t| t.trim().to_string());
    if signin_text
        .as_ref()
        .is_some_and(|t| t.chars().count() > 500)
    {
        return Err(Error::invalid("signinText", "at most 500 characters"));
    }
    let language = patch_field(
        "defaultLanguage",
        patch.default_language.as_deref(),
        Language::parse,
    )?;
    let view = change_settings(
        svc,
        actor,
        tenant,
        events::UPDATE_BRANDING,
        if_match,
        branding_of,
        move |_, row, s| {
            if let Some(n) = name {
                row.display_name = n;
            }
            if let Some(p) = primary {
                s.primary_color = p;
            }
            if let Some(b) = background {
                s.background_color = b;
            }
            if let Some(p) = privacy {
                s.privacy_url = p;
            }
            if let Some(c) = contact {
                s.contact_url = c;
            }
            if let Some(t) = signin_text {
                s.signin_text = (!t.is_empty()).then_some(t);
            }
            if let Some(l) = language {
                s.default_language = l;
            }
            Ok(())
        },
    )
    .await?;
    Ok(view)
}

/// Stores a checked logo (PNG, JPEG or script-free SVG) and points the branding at it.
pub async fn set_logo(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    bytes: Vec<u8>,
) -> Result<BrandingView> {
    let kind = check_logo(&bytes)?;
    let version: String = Sha256::digest(&bytes)[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let url = format!("{}/logo?v={version}", tenant.issuer);
    let row = TenantLogoRow {
        tenant_id: tenant.id.clone(),
        content_type: kind.content_type().into(),
        bytes,
        updated_at: svc.now(),
    };
    change_settings(
        svc,
        actor,
        tenant,
        events::UPDATE_BRANDING,
        None,
        branding_of,
        move |c, _, s| {
            queries::tenants::set_logo(c, &row)?;
            s.logo_url = Some(url);
            Ok(())
        },
    )
    .await
}

/// A tenant's uploaded logo: public, as it shows on the tenant's pages and emails.
pub struct Logo {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub etag: String,
}

/// The logo `tenant`'s branding points at, if one was uploaded.
pub async fn logo(svc: &Services, tenant: &Tenant) -> Result<Option<Logo>> {
    let id = tenant.id.clone();
    Ok(svc
        .store
        .read(move |c| queries::tenants::logo(c, &id))
        .await?
        .map(|row| Logo {
            etag: super::etag::etag_of_bytes(&row.bytes),
            content_type: row.content_type,
            bytes: row.bytes,
        }))
}

pub async fn remove_logo(svc: &Services, actor: &Actor, tenant: &Tenant) -> Result<BrandingView> {
    let id = tenant.id.clone();
    change_settings(
        svc,
        actor,
        tenant,
        events::UPDATE_BRANDING,
        None,
        branding_of,
        move |c, _, s| {
            queries::tenants::delete_logo(c, &id)?;
            s.logo_url = None;
            Ok(())
        },
    )
    .await
}

pub async fn policies(svc: &Services, actor: &Actor, tenant: &Tenant) -> Result<PoliciesView> {
    let t = tenant.clone();
    svc.read_as(
        actor,
        tenant,
        Action::Administer,
        "policies",
        move |c, _| {
            let (row, s) = tenant_row(c, &t)?;
            Ok(policies_of(&row, &s))
        },
    )
    .await
}

pub async fn update_policies(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    patch: PoliciesPatch,
    if_match: Option<String>,
) -> Result<PoliciesView> {
    let invite_policy = patch_field(
        "invitePolicy",
        patch.invite_policy.as_deref(),
        InvitePolicy::parse,
    )?;
    if patch
        .ticket_lifetime_days
        .is_some_and(|d| !(1..=365).contains(&d))
    {
        return Err(Error::invalid(
            "ticketLifetimeDays",
            "between 1 and 365 days",
        ));
    }
    let lifecycle = patch
        .guest_lifecycle
        .clone()
        .map(GuestLifecycleBody::checked)
        .transpose()?;
    let mode = patch.domain_list_mode.clone();
    let domains = patch.domains.clone();
    if let Some(m) = mode.as_deref()
        && !matches!(m, "none" | "allow" | "deny")
    {
        return Err(Error::invalid("domainListMode", "use none, allow or deny"));
    }
    change_settings(
        svc,
        actor,
        tenant,
        events::UPDATE_POLICY,
        if_match,
        policies_of,
        move |_, row, s| {
            if let Some(p) = invite_policy {
                s.invite_policy = p;
            }
            if mode.is_some() || domains.is_some() {
                let current_mode = match &s.domain_list {
                    DomainList::None => "none",
                    DomainList::Allow(_) => "allow",
                    DomainList::Deny(_) => "deny",
                }
                .to_string();
                let list = domains.unwrap_or_else(|| s.domain_list.domains().to_vec());
                s.domain_list = match mode.as_deref().unwrap_or(&current_mode) {
                    "allow" => DomainList::Allow(
                        Domains::parse(list).map_err(|e| Error::invalid("domains", e.message))?,
                    ),
                    "deny" => DomainList::Deny(
                        Domains::parse(list).map_err(|e| Error::invalid("domains", e.message))?,
                    ),
                    _ => DomainList::None,
                };
            }
            if let Some(v) = patch.self_service_sign_up {
                row.self_service_signup = v;
            }
            if let Some(v) = patch.allow_mismatched_email_redemption {
                s.allow_mismatched_email_redemption = v;
            }
            if let Some(v) = patch.email_one_time_passcode {
                s.email_one_time_passcode = v;
            }
            if let Some(v) = patch.guests_may_leave {
                s.guests_may_leave = v;
            }
            if let Some(d) = patch.ticket_lifetime_days {
                s.ticket_lifetime_days = d;
            }
            if let Some(l) = lifecycle {
                s.lifecycle = l;
            }
            Ok(())
        },
    )
    .await
}

impl super::etag::Tagged for BrandingView {
    fn etag(&self) -> &str {
        &self.etag
    }
}

impl super::etag::Tagged for PoliciesView {
    fn etag(&self) -> &str {
        &self.etag
    }
}
