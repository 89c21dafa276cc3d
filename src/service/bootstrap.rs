//! First start: the `default` tenant and a one-time link with which the first administrator sets a
//! password.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::directory::{CreatedUser, NewTenant, create_tenant, insert_member};
use super::tenants::Tenant;
use crate::crypto::{hash_secret, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::user::{Role, UserType, check_new_password, format_roles, parse_display_name};
use crate::error::{Error, Result};
use crate::store::models::{ActionTokenRow, UserRow};
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
    create_tenant(
        svc,
        "system",
        NewTenant {
            slug: "default".into(),
            display_name: "Default".into(),
            primary_domain: "default.localhost".into(),
            self_service_signup: false,
        },
    )
    .await
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
            if queries::users::count_with_role(c, &tenant_id, Role::Admin.as_str())? > 0 {
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

/// True when `token` is a usable setup link of the tenant (for showing the form).
pub async fn setup_link_usable(svc: &Services, tenant: &Tenant, token: &str) -> Result<bool> {
    let hash = hash_secret(token);
    let (now, tenant_id) = (svc.now(), tenant.id.clone());
    svc.store
        .read(move |c| {
            Ok(
                queries::action_tokens::usable(c, &hash, SETUP_PURPOSE, now)?
                    .is_some_and(|t| t.tenant_id == tenant_id),
            )
        })
        .await
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
) -> Result<CreatedUser> {
    let email = EmailAddress::parse(&input.email)?;
    let name = parse_display_name(&input.display_name)?;
    check_new_password(&input.password, &input.confirm_password)?;
    if !setup_link_usable(svc, tenant, token).await? {
        return Err(Error::NotFound("setup link".into()));
    }
    let hash = svc.passwords.hash(input.password).await?;
    let now = svc.now();
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        user_type: UserType::Member.as_str().into(),
        creation_type: None,
        user_principal_name: email.as_str().into(),
        display_name: name,
        mail: email.as_str().into(),
        mail_lower: email.lower(),
        preferred_language: None,
        enabled: true,
        roles: format_roles(&[Role::Admin]),
        external_user_state: None,
        external_user_state_changed_at: None,
        sign_in_name: None,
        alt_sec_id: None,
        home_user_id: None,
        home_issuer: None,
        email_verified: true,
        profile: "{}".into(),
        last_sign_in_at: None,
        created_at: now,
        updated_at: now,
    };
    let token_hash = hash_secret(token);
    let inserted = row.clone();
    svc.store
        .write(move |c| {
            if !queries::action_tokens::mark_used(c, &token_hash, now)? {
                return Err(Error::NotFound("setup link".into()));
            }
            insert_member(
                c,
                &inserted,
                Some(&hash),
                "setup link",
                events::FIRST_ADMIN_SETUP,
            )?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &inserted.tenant_id,
                    event_name: events::CREATE_USER,
                    actor: "setup link",
                    target: &inserted.id,
                    outcome: "success",
                    details: serde_json::json!({ "roles": "Admin" }),
                },
            )
        })
        .await?;
    Ok(CreatedUser {
        id: row.id,
        tenant: tenant.slug.clone(),
        user_principal_name: row.user_principal_name,
        mail: row.mail,
        display_name: row.display_name,
        user_type: row.user_type,
        roles: vec!["Admin".into()],
    })
}
