//! Directory use cases: tenants, member users, groups, apps and assignments.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use crate::crypto::{hash_secret, random_token};
use crate::domain::claims::OptionalClaim;
use crate::domain::email::EmailAddress;
use crate::domain::redirect;
use crate::domain::tenant::{TenantSlug, parse_primary_domain};
use crate::domain::user::{
    CreationType, Role, Upn, UserType, format_roles, parse_display_name, parse_roles,
};
use crate::error::{Error, Result};
use crate::keys::SigningAlg;
use crate::store::connection::AnyConnection;
use crate::store::models::{
    AppRow, AssignmentRow, CredentialRow, GroupMemberRow, GroupRow, TenantRow, UserRow,
};
use crate::store::queries;
use serde::Serialize;

pub struct NewTenant {
    pub slug: String,
    pub display_name: String,
    pub primary_domain: String,
    pub self_service_signup: bool,
}

pub async fn create_tenant(svc: &Services, actor: &str, input: NewTenant) -> Result<Tenant> {
    let slug = TenantSlug::parse(&input.slug)?;
    let name = parse_display_name(&input.display_name)?;
    let domain = parse_primary_domain(&input.primary_domain)?;
    let now = svc.now();
    let row = TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.as_str().to_string(),
        display_name: name,
        primary_domain: domain,
        unmanaged: false,
        self_service_signup: input.self_service_signup,
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    let actor = actor.to_string();
    let inserted = row.clone();
    svc.store
        .write(move |c| {
            if queries::tenants::by_slug(c, &inserted.slug)?.is_some() {
                return Err(Error::Conflict(format!(
                    "a tenant named {} exists already",
                    inserted.slug
                )));
            }
            queries::tenants::insert(c, &inserted)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &inserted.id,
                    event_name: events::CREATE_TENANT,
                    actor: &actor,
                    target: &inserted.slug,
                    outcome: "success",
                    details: serde_json::json!({}),
                },
            )
        })
        .await?;
    Ok(Tenant::from_row(row, &svc.config.public_url))
}

pub async fn list_tenants(svc: &Services) -> Result<Vec<Tenant>> {
    let rows = svc.store.read(queries::tenants::list).await?;
    Ok(rows
        .into_iter()
        .map(|r| Tenant::from_row(r, &svc.config.public_url))
        .collect())
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedUser {
    pub id: String,
    pub tenant: String,
    pub user_principal_name: String,
    pub mail: String,
    pub display_name: String,
    pub user_type: String,
    pub roles: Vec<String>,
}

impl CreatedUser {
    pub fn from_row(row: UserRow, tenant_slug: &str) -> CreatedUser {
        CreatedUser {
            roles: parse_roles(&row.roles)
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            id: row.id,
            tenant: tenant_slug.to_string(),
            user_principal_name: row.user_principal_name,
            mail: row.mail,
            display_name: row.display_name,
            user_type: row.user_type,
        }
    }
}

pub struct NewMember {
    pub email: String,
    pub display_name: String,
    /// `None` creates the object without an account (it cannot sign in until a password is set).
    pub password: Option<String>,
    pub roles: Vec<Role>,
    pub creation_type: Option<CreationType>,
    pub email_verified: bool,
    /// Standard profile claims (given name, birthdate, phone, address, …).
    pub profile: crate::domain::claims::Profile,
}

/// Builds the row of a member object, checking the email, name and profile.
pub fn member_row(tenant: &Tenant, input: &NewMember, now: i64) -> Result<UserRow> {
    let email = EmailAddress::parse(&input.email)?;
    let name = parse_display_name(&input.display_name)?;
    let row = UserRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        user_type: UserType::Member.as_str().into(),
        creation_type: input.creation_type.map(|c| c.as_str().to_string()),
        user_principal_name: Upn::member(&email).as_str().to_string(),
        display_name: name,
        mail: email.as_str().to_string(),
        mail_lower: email.lower(),
        preferred_language: None,
        enabled: true,
        roles: format_roles(&input.roles),
        external_user_state: None,
        external_user_state_changed_at: None,
        sign_in_name: None,
        alt_sec_id: None,
        home_user_id: None,
        home_issuer: None,
        email_verified: input.email_verified,
        profile: serde_json::to_string(&input.profile).map_err(Error::internal)?,
        last_sign_in_at: None,
        created_at: now,
        updated_at: now,
    };
    Ok(row)
}

/// Inserts a member object and, when a password hash is given, its account. An email has at most one
/// account on the whole server, so the account check is server-wide.
pub fn insert_member(
    c: &mut AnyConnection,
    row: &UserRow,
    password_hash: Option<&str>,
    actor: &str,
    event: &str,
) -> Result<()> {
    if queries::users::by_tenant_and_mail(c, &row.tenant_id, &row.mail_lower)?.is_some() {
        return Err(Error::Conflict(format!(
            "{} already has a user object in this tenant",
            row.mail
        )));
    }
    if let Some(hash) = password_hash {
        if queries::users::account_by_email(c, &row.mail_lower)?.is_some() {
            return Err(Error::Conflict(format!(
                "{} already has an account",
                row.mail
            )));
        }
        queries::users::insert(c, row)?;
        queries::users::insert_credential(
            c,
            &CredentialRow {
                user_id: row.id.clone(),
                email_lower: row.mail_lower.clone(),
                password_hash: hash.to_string(),
                updated_at: row.created_at,
            },
        )?;
    } else {
        queries::users::insert(c, row)?;
    }
    audit::record(
        c,
        AuditEvent {
            tenant_id: &row.tenant_id,
            event_name: event,
            actor,
            target: &row.id,
            outcome: "success",
            details: serde_json::json!({ "upn": row.user_principal_name, "roles": row.roles }),
        },
    )
}

pub async fn create_member(
    svc: &Services,
    actor: &str,
    tenant: &Tenant,
    input: NewMember,
) -> Result<CreatedUser> {
    let row = member_row(tenant, &input, svc.now())?;
    let hash = match &input.password {
        Some(p) => {
            crate::domain::user::check_new_password(p, p)?;
            Some(svc.passwords.hash(p.clone()).await?)
        }
        None => None,
    };
    let event = match input.creation_type {
        Some(CreationType::SelfServiceSignUp) => events::SELF_SERVICE_SIGN_UP,
        _ => events::CREATE_USER,
    };
    let actor = actor.to_string();
    let inserted = row.clone();
    svc.store
        .write(move |c| insert_member(c, &inserted, hash.as_deref(), &actor, event))
        .await?;
    Ok(CreatedUser::from_row(row, &tenant.slug))
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedGroup {
    pub id: String,
    pub tenant: String,
    pub display_name: String,
}

pub async fn create_group(
    svc: &Services,
    actor: &str,
    tenant: &Tenant,
    name: &str,
) -> Result<CreatedGroup> {
    let name = parse_display_name(name).map_err(|e| Error::invalid("name", e.message))?;
    let row = GroupRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        display_name: name,
        description: String::new(),
        created_at: svc.now(),
    };
    let actor = actor.to_string();
    let inserted = row.clone();
    svc.store
        .write(move |c| {
            queries::groups::insert(c, &inserted).map_err(|e| match e {
                Error::Conflict(_) => Error::Conflict(format!(
                    "a group named {} exists already",
                    inserted.display_name
                )),
                other => other,
            })?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &inserted.tenant_id,
                    event_name: events::CREATE_GROUP,
                    actor: &actor,
                    target: &inserted.id,
                    outcome: "success",
                    details: serde_json::json!({ "displayName": inserted.display_name }),
                },
            )
        })
        .await?;
    Ok(CreatedGroup {
        id: row.id,
        tenant: tenant.slug.clone(),
        display_name: row.display_name,
    })
}

pub async fn add_group_member(
    svc: &Services,
    actor: &str,
    tenant: &Tenant,
    group_id: &str,
    user_id: &str,
) -> Result<()> {
    let (tenant_id, group_id, user_id, actor) = (
        tenant.id.clone(),
        group_id.to_string(),
        user_id.to_string(),
        actor.to_string(),
    );
    svc.store
        .write(move |c| {
            queries::groups::by_id(c, &tenant_id, &group_id)?
                .ok_or_else(|| Error::NotFound(format!("group {group_id}")))?;
            let user = queries::users::by_id(c, &user_id)?
                .filter(|u| u.tenant_id == tenant_id)
                .ok_or_else(|| Error::NotFound(format!("user {user_id}")))?;
            queries::groups::add_member(
                c,
                &GroupMemberRow {
                    group_id: group_id.clone(),
                    user_id: user.id.clone(),
                    created_at: crate::clock::now(),
                },
            )?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::ADD_GROUP_MEMBER,
                    actor: &actor,
                    target: &user.id,
                    outcome: "success",
                    details: serde_json::json!({ "groupId": group_id }),
                },
            )
        })
        .await
}

pub struct NewApp {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub first_party: bool,
    pub assignment_required: bool,
    pub signing_alg: String,
    pub optional_claims: Vec<OptionalClaim>,
    pub allowed_scopes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedApp {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub client_id: String,
    /// Shown once; only its hash is stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub public: bool,
    pub first_party: bool,
    pub signing_alg: String,
}

pub async fn create_app(
    svc: &Services,
    actor: &str,
    tenant: &Tenant,
    input: NewApp,
) -> Result<CreatedApp> {
    let name = parse_display_name(&input.name).map_err(|e| Error::invalid("name", e.message))?;
    let redirect_uris = input
        .redirect_uris
        .iter()
        .map(|u| redirect::parse_registered(u))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let logout_uris = input
        .post_logout_redirect_uris
        .iter()
        .map(|u| {
            redirect::parse_registered(u)
                .map_err(|e| Error::invalid("post_logout_redirect_uri", e.message))
        })
        .collect::<Result<Vec<_>>>()?;
    let alg = SigningAlg::parse(&input.signing_alg)
        .ok_or_else(|| Error::invalid("signing_alg", "use RS256, ES256 or EdDSA"))?;
    let secret = (!input.public).then(random_token);
    let now = svc.now();
    let settings = super::apps::AppSettings {
        optional_claims: input.optional_claims.clone(),
        home_url: None,
        app_roles: vec![],
    };
    let row = AppRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        client_id: uuid::Uuid::new_v4().to_string(),
        name,
        secret_hash: secret.as_deref().map(hash_secret),
        redirect_uris: serde_json::to_string(&redirect_uris).map_err(Error::internal)?,
        post_logout_redirect_uris: serde_json::to_string(&logout_uris).map_err(Error::internal)?,
        first_party: input.first_party,
        assignment_required: input.assignment_required,
        id_token_signing_alg: alg.as_str().into(),
        allowed_scopes: input.allowed_scopes.join(" "),
        settings: serde_json::to_string(&settings).map_err(Error::internal)?,
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    let actor = actor.to_string();
    let inserted = row.clone();
    svc.store
        .write(move |c| {
            queries::apps::insert(c, &inserted)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &inserted.tenant_id,
                    event_name: events::CREATE_APP,
                    actor: &actor,
                    target: &inserted.id,
                    outcome: "success",
                    details: serde_json::json!({ "name": inserted.name, "clientId": inserted.client_id }),
                },
            )
        })
        .await?;
    Ok(CreatedApp {
        id: row.id,
        tenant: tenant.slug.clone(),
        name: row.name,
        client_id: row.client_id,
        client_secret: secret,
        redirect_uris,
        post_logout_redirect_uris: logout_uris,
        public: input.public,
        first_party: input.first_party,
        signing_alg: alg.as_str().into(),
    })
}

/// Assigns a user or a group to an app (for `assignment_required` apps and the app panel).
pub async fn assign(
    svc: &Services,
    tenant: &Tenant,
    app_id: &str,
    principal_type: &str,
    principal_id: &str,
) -> Result<()> {
    if !matches!(principal_type, "user" | "group") {
        return Err(Error::invalid("principal_type", "use user or group"));
    }
    let row = AssignmentRow {
        app_id: app_id.to_string(),
        principal_type: principal_type.to_string(),
        principal_id: principal_id.to_string(),
        app_role: String::new(),
        created_at: svc.now(),
    };
    let tenant_id = tenant.id.clone();
    svc.store
        .write(move |c| {
            queries::apps::by_id(c, &row.app_id)?
                .filter(|a| a.tenant_id == tenant_id)
                .ok_or_else(|| Error::NotFound(format!("app {}", row.app_id)))?;
            queries::apps::insert_assignment(c, &row)
        })
        .await
}
