//! The server's tenants, as operators see and create them.

use super::super::Services;
use super::super::audit::{self, AuditEvent, events};
use super::super::auth::Actor;
use super::Tenant;
use crate::domain::access::Action;
use crate::domain::home_directory::{SLUG_PREFIX, is_unmanaged_slug};
use crate::domain::tenant::{TenantSlug, parse_primary_domain};
use crate::domain::user::parse_display_name;
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::TenantRow;
use crate::store::queries;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantView {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub primary_domain: String,
    pub issuer: String,
    /// A directory created for people who registered while redeeming (no admins).
    pub unmanaged: bool,
}

impl TenantView {
    pub fn of(t: &Tenant) -> TenantView {
        TenantView {
            id: t.id.clone(),
            slug: t.slug.clone(),
            display_name: t.display_name.clone(),
            primary_domain: t.primary_domain.clone(),
            issuer: t.issuer.clone(),
            unmanaged: t.unmanaged,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantInput {
    pub slug: String,
    pub display_name: String,
    pub primary_domain: String,
    #[serde(default)]
    pub self_service_sign_up: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTenant {
    pub tenant: TenantView,
    /// A one-time link (24 h) with which the new tenant's first administrator sets a password.
    pub first_admin_link: Option<String>,
}

/// Every tenant of the server. `home` is the tenant in which an operator's token was issued (none for
/// the operator at the command line).
pub async fn list(svc: &Services, actor: &Actor, home: Option<&Tenant>) -> Result<Vec<TenantView>> {
    let public_url = svc.config.public_url.clone();
    svc.read_on_server(
        actor,
        home,
        Action::ManageTenants,
        "tenants",
        move |c, _| {
            Ok(queries::tenants::list(c)?
                .into_iter()
                .map(|r| TenantView::of(&Tenant::from_row(r, &public_url)))
                .collect())
        },
    )
    .await
}

/// The row of a new tenant, its input checked.
pub(in crate::service) fn new_row(input: &TenantInput, now: i64) -> Result<TenantRow> {
    let slug = TenantSlug::parse(&input.slug)?;
    if is_unmanaged_slug(slug.as_str()) {
        // Redemption makes directories with these names; an operator's tenant holding one would block the
        // email domain it belongs to.
        return Err(Error::invalid(
            "slug",
            format!(
                "Names starting with {SLUG_PREFIX} are kept for the directories made automatically for email domains; choose another."
            ),
        ));
    }
    Ok(TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.as_str().to_string(),
        display_name: parse_display_name(&input.display_name)?,
        primary_domain: parse_primary_domain(&input.primary_domain)?,
        unmanaged: false,
        self_service_signup: input.self_service_sign_up,
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    })
}

/// Inserts a tenant (a `Conflict` when the slug is taken) with its audit event.
pub(in crate::service) fn insert(
    c: &mut AnyConnection,
    row: &TenantRow,
    actor: &str,
) -> Result<()> {
    if queries::tenants::by_slug(c, &row.slug)?.is_some() {
        return Err(Error::Conflict(format!(
            "a tenant named {} exists already",
            row.slug
        )));
    }
    queries::tenants::insert(c, row)?;
    audit::record(
        c,
        AuditEvent {
            tenant_id: &row.id,
            event_name: events::CREATE_TENANT,
            actor,
            target: &row.slug,
            outcome: "success",
            details: serde_json::json!({}),
        },
    )
}

/// An operator creates a tenant; the answer carries the link for its first administrator.
pub async fn create(
    svc: &Services,
    actor: &Actor,
    home: Option<&Tenant>,
    input: TenantInput,
) -> Result<CreatedTenant> {
    let row = new_row(&input, svc.now())?;
    let (inserted, actor_id) = (row.clone(), actor.id());
    svc.write_on_server(
        actor,
        home,
        Action::ManageTenants,
        &row.slug,
        move |c, _| insert(c, &inserted, &actor_id),
    )
    .await?;
    let t = Tenant::from_row(row, &svc.config.public_url);
    let link = super::super::bootstrap::first_admin_link(svc, &t).await?;
    Ok(CreatedTenant {
        tenant: TenantView::of(&t),
        first_admin_link: link,
    })
}
