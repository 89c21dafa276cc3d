//! First start: the `default` tenant and a one-time link with which the first administrator sets a
//! password.

use super::Services;
use super::audit::events;
use super::tenants::Tenant;
use super::tenants::manage::{TenantInput, insert, new_row};
use super::users::{NewMember, UserView, hash_new_password, insert_member, member_row};
use crate::crypto::{hash_secret, random_token};
use crate::domain::user::{Role, RoleSet};
use crate::error::{Error, Result};
use crate::store::models::ActionTokenRow;
use crate::store::queries;

pub const SETUP_PURPOSE: &str = "first-admin-setup";
const SETUP_TTL: i64 = 24 * 3600;

/// Creates the `default` tenant when the server has no tenant at all.
pub async fn ensure_default_tenant(svc: &Services) -> Result<Tenant> {
    if let Ok(t) = svc.tenants.by_slug("default").await {
        return Ok((*t).clone());
    }
    let any = svc.store.read(queries::tenants::list).await?;
    if let Some(first) = any.into_iter().next() {
        return Ok(Tenant::from_row(first, &svc.config.public_url));
    }
    let row = new_row(
        &TenantInput {
            slug: "default".into(),
            display_name: "Default".into(),
            primary_domain: "default.localhost".into(),
            self_service_sign_up: false,
        },
        svc.now(),
    )?;
    let inserted = row.clone();
    let created = svc
        .store
        .write(move |c| insert(c, &inserted, "system"))
        .await
        .map(|()| Tenant::from_row(row, &svc.config.public_url));
    match created {
        // Another process starting at the same moment created it first: use theirs.
        Err(Error::Conflict(_)) => {
            let row = svc
                .store
                .read(|c| queries::tenants::by_slug(c, "default"))
                .await?
                .ok_or_else(|| Error::internal("the default tenant vanished after a conflict"))?;
            Ok(Tenant::from_row(row, &svc.config.public_url))
        }
        other => other,
    }
}

/// When the tenant has no administrator yet, voids earlier setup links and returns a new one.
pub async fn first_admin_link(svc: &Services, tenant: &Tenant) -> Result<Option<String>> {
    let tenant_id = tenant.id.clone();
    let token = random_token();
    let row = ActionTokenRow {
        token_hash: hash_secret(&token),
        purpose: SETUP_PURPOSE.into(),
        tenant_id: tenant.id.clone(),
        user_id: None,
        created_at: svc.now(),
        expires_at: svc.now() + SETUP_TTL,
        used_at: None,
    };
    let issued = svc
        .store
        .write(move |c| {
            if queries::users::count_with_role(c, &tenant_id, Role::Admin)? > 0 {
                return Ok(false);
            }
            queries::action_tokens::void_unused(c, &tenant_id, SETUP_PURPOSE, row.created_at)?;
            queries::action_tokens::insert(c, &row)?;
            Ok(true)
        })
        .await?;
    Ok(issued.then(|| {
        format!(
            "{}/t/{}/setup/{}",
            svc.config.public_url, tenant.slug, token
        )
    }))
}

/// True when `token` is a usable setup link of the tenant (for showing the form), opened from
/// `address`; a link that is not counts against the address's limit of unknown links.
pub async fn setup_link_usable(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    address: &str,
) -> Result<bool> {
    let hash = hash_secret(token);
    let (now, tenant_id) = (svc.now(), tenant.id.clone());
    let lookup = svc.store.read(move |c| {
        match queries::action_tokens::usable(c, &hash, SETUP_PURPOSE, now)?
            .filter(|t| t.tenant_id == tenant_id)
        {
            Some(_) => Ok(true),
            None => Err(Error::NotFound("setup link".into())),
        }
    });
    match super::throttle::one_time_link(svc, address, lookup).await {
        Err(Error::NotFound(_)) => Ok(false),
        other => other,
    }
}

pub struct FirstAdmin {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub confirm_password: String,
}

/// Creates the first administrator from a setup link; the link works once.
pub async fn complete_setup(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    input: FirstAdmin,
    address: &str,
) -> Result<UserView> {
    let member = NewMember {
        email: input.email,
        display_name: input.display_name,
        password: None,
        // The first administrator of the server's first tenant runs the server, too.
        roles: if tenant.slug == "default" {
            RoleSet::of(&[Role::Admin, Role::Operator])
        } else {
            RoleSet::of(&[Role::Admin])
        },
        creation_type: None,
        email_verified: true,
        profile: Default::default(),
    };
    let row = member_row(tenant, &member, svc.now())?;
    if !setup_link_usable(svc, tenant, token, address).await? {
        return Err(Error::NotFound("setup link".into()));
    }
    let hash = hash_new_password(svc, &input.password, &input.confirm_password).await?;
    let (token_hash, now, roles) = (hash_secret(token), svc.now(), member.roles);
    let inserted = row.clone();
    svc.store
        .write(move |c| {
            if !queries::action_tokens::mark_used(c, &token_hash, now)? {
                return Err(Error::NotFound("setup link".into()));
            }
            insert_member(
                c,
                &inserted,
                roles,
                Some(&hash),
                "setup link",
                events::FIRST_ADMIN_SETUP,
            )
        })
        .await?;
    Ok(UserView::of(row.into_user(roles)))
}
