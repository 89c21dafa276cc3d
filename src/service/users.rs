//! User objects (members and guests): creating members, the admin list, reading, changing, deleting,
//! and password reset links.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::auth::Actor;
use super::etag::{check_if_match, etag_of, page_limit};
use super::tenants::Tenant;
use crate::crypto::{hash_secret, random_token};
use crate::domain::access::Action;
use crate::domain::calendar::timestamp_of;
use crate::domain::email::EmailAddress;
use crate::domain::language::Language;
use crate::domain::lifecycle::access_end_on;
use crate::domain::user::{
    CreationType, ExternalUserState, Role, RoleSet, Upn, User, UserType, parse_display_name,
};
use crate::error::{Error, Result, patch_field};
use crate::store::connection::AnyConnection;
use crate::store::models::{ActionTokenRow, CredentialRow, UserRow};
use crate::store::queries;
use crate::store::queries::users::UserListFilter;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PASSWORD_RESET_PURPOSE: &str = "password-reset";
const PASSWORD_RESET_TTL: i64 = 24 * 3600;

/// A user object as admins see it (spec §1 attributes).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: String,
    pub mail: String,
    /// `Member` or `Guest`.
    pub user_type: String,
    /// null, `Invitation` or `SelfServiceSignUp`.
    pub creation_type: Option<String>,
    /// `PendingAcceptance` or `Accepted` (guests).
    pub external_user_state: Option<String>,
    /// Unix seconds.
    pub external_user_state_changed_at: Option<i64>,
    pub sign_in_name: Option<String>,
    pub account_enabled: bool,
    pub roles: Vec<String>,
    pub preferred_language: Option<String>,
    /// Where the person signs in: `This directory`, or the issuer of their home directory.
    pub source: String,
    pub home_issuer: Option<String>,
    pub email_verified: bool,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UserView {
    pub fn of(user: User) -> UserView {
        UserView {
            source: user
                .home_issuer
                .clone()
                .unwrap_or_else(|| "This directory".into()),
            roles: user.roles.names(),
            user_type: user.user_type.as_str().into(),
            creation_type: user.creation_type.map(|c| c.as_str().into()),
            external_user_state: user.external_user_state.map(|s| s.as_str().into()),
            user_principal_name: user.upn.as_str().into(),
            id: user.id,
            display_name: user.display_name,
            mail: user.mail,
            external_user_state_changed_at: user.external_user_state_changed_at,
            sign_in_name: user.sign_in_name,
            account_enabled: user.enabled,
            preferred_language: user.preferred_language,
            home_issuer: user.home_issuer,
            email_verified: user.email_verified,
            last_sign_in_at: user.last_sign_in_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ref {
    pub id: String,
    pub display_name: String,
}

/// A user with what hangs off them: groups, apps, their latest invitation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    pub user: UserView,
    pub groups: Vec<Ref>,
    /// Apps assigned directly or through a group.
    pub apps: Vec<Ref>,
    pub invitation: Option<super::invitations::InvitationView>,
    /// Whether the user has a password in this directory (members who sign in here).
    pub has_password: bool,
    /// Who answers for the guest in reviews (guests only).
    pub sponsors: Vec<super::lifecycle::sponsors::Sponsor>,
    /// End date and lifecycle state (guests only).
    pub lifecycle: LifecycleView,
    #[serde(skip)]
    pub etag: String,
}

/// A guest's end date, and why the lifecycle disabled them if it did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleView {
    /// RFC 3339; the guest is disabled at this time.
    pub access_expires_at: Option<String>,
    /// `access_ended`, `inactive`, `unreviewed` or `removed_by_sponsor`, while disabled for it.
    pub disabled_reason: Option<String>,
    /// RFC 3339; the grace period before deletion counts from here.
    pub disabled_at: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// `Member` or `Guest`.
    pub user_type: Option<String>,
    /// `PendingAcceptance` or `Accepted`.
    pub external_user_state: Option<String>,
    /// Prefix of the address, the display name or the UPN.
    pub search: Option<String>,
    /// The `nextCursor` of the previous page.
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserPage {
    pub value: Vec<UserView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn encode_cursor(row: &UserRow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}\u{0}{}", row.mail_lower, row.id))
}

fn decode_cursor(raw: &str) -> Result<(String, String)> {
    URL_SAFE_NO_PAD
        .decode(raw.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once('\u{0}')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .ok_or_else(|| Error::invalid("cursor", "not a cursor this server gave out"))
}

pub async fn list(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    q: UserQuery,
) -> Result<UserPage> {
    let filter = UserListFilter {
        user_type: q
            .user_type
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|t| UserType::parse(t).map(|t| t.as_str().to_string()))
            .transpose()
            .map_err(|e| Error::invalid("userType", e.message))?,
        external_user_state: q
            .external_user_state
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|t| ExternalUserState::parse(t).map(|t| t.as_str().to_string()))
            .transpose()
            .map_err(|e| Error::invalid("externalUserState", e.message))?,
        search: q
            .search
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        after: q
            .cursor
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(decode_cursor)
            .transpose()?,
    };
    let limit = page_limit(q.limit);
    let tenant_id = tenant.id.clone();
    svc.read_as(actor, tenant, Action::Administer, "users", move |c, _| {
        let mut rows = queries::users::list(c, &tenant_id, &filter, limit + 1)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = more.then(|| rows.last().map(encode_cursor)).flatten();
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut roles = queries::users::roles_of_many(c, &ids)?;
        Ok(UserPage {
            value: rows
                .into_iter()
                .map(|r| {
                    let held = roles.remove(&r.id).unwrap_or_default();
                    UserView::of(r.into_user(held))
                })
                .collect(),
            next_cursor,
        })
    })
    .await
}

fn user_in(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<UserRow> {
    queries::users::by_id(c, id)?
        .filter(|u| u.tenant_id == tenant.id)
        .ok_or_else(|| Error::NotFound(format!("user {id}")))
}

/// The detail of `id`, read on connection `c` (inside the caller's transaction).
pub(super) fn detail_on(
    c: &mut AnyConnection,
    tenant: &Tenant,
    id: &str,
    now: i64,
) -> Result<UserDetail> {
    let row = user_in(c, tenant, id)?;
    let group_ids = queries::groups::group_ids_of(c, &row.id)?;
    let groups = queries::groups::by_ids(c, &group_ids)?;
    let mut principals = group_ids.clone();
    principals.push(row.id.clone());
    let mut app_ids = Vec::new();
    for p in &principals {
        app_ids.extend(queries::apps::app_ids_assigned_to(c, p)?);
    }
    app_ids.sort();
    app_ids.dedup();
    let mut apps = Vec::new();
    for app_id in &app_ids {
        if let Some(a) = queries::apps::by_id(c, app_id)? {
            apps.push(Ref {
                id: a.id,
                display_name: a.name,
            });
        }
    }
    let invitation = queries::invitations::latest_for_user(c, &row.id)?
        .map(|inv| super::invitations::view_on(c, inv, now))
        .transpose()?;
    let has_password = queries::users::has_credential(c, &row.id)?;
    let roles = queries::users::roles_of(c, &row.id)?;
    let sponsors = super::lifecycle::sponsors::of(c, &row.id)?;
    let lifecycle = queries::lifecycle::state_of(c, &row.id)?
        .map(|l| LifecycleView {
            access_expires_at: l.access_expires_at.map(timestamp_of),
            disabled_reason: l.disabled_reason,
            disabled_at: l.disabled_at.map(timestamp_of),
        })
        .unwrap_or_default();
    let user = UserView::of(row.into_user(roles));
    let etag = etag_of(&(&user, &lifecycle));
    Ok(UserDetail {
        user,
        groups: groups
            .into_iter()
            .map(|g| Ref {
                id: g.id,
                display_name: g.display_name,
            })
            .collect(),
        apps,
        invitation,
        has_password,
        sponsors,
        lifecycle,
        etag,
    })
}

pub async fn get(svc: &Services, actor: &Actor, tenant: &Tenant, id: &str) -> Result<UserDetail> {
    let (t, id_c, now) = (tenant.clone(), id.to_string(), svc.now());
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        detail_on(c, &t, &id_c, now)
    })
    .await
}

/// A new member object of the tenant's own directory.
pub struct NewMember {
    pub email: String,
    pub display_name: String,
    /// `None` creates the object without an account (it cannot sign in until a password is set).
    pub password: Option<String>,
    pub roles: RoleSet,
    pub creation_type: Option<CreationType>,
    pub email_verified: bool,
    /// Standard profile claims (given name, birthdate, phone, address, …).
    pub profile: crate::domain::claims::Profile,
}

/// A new member as the admin API and the CLI describe one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewUserBody {
    pub mail: String,
    pub display_name: String,
    /// Leave out to let the person set one through a password reset link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Standard profile claims, e.g. `{"given_name":"Alice","birthdate":"1990-01-31"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub profile: Option<serde_json::Value>,
}

impl NewUserBody {
    pub fn into_member(self) -> Result<NewMember> {
        Ok(NewMember {
            roles: RoleSet::parse_names(&self.roles)
                .map_err(|e| Error::invalid("roles", e.message))?,
            profile: match &self.profile {
                Some(p) => crate::domain::claims::Profile::parse(&p.to_string())?,
                None => Default::default(),
            },
            email: self.mail,
            display_name: self.display_name,
            password: self.password,
            creation_type: None,
            email_verified: true,
        })
    }
}

/// Builds the row of a member object, checking the email, name and profile.
pub(super) fn member_row(tenant: &Tenant, input: &NewMember, now: i64) -> Result<UserRow> {
    let email = EmailAddress::parse(&input.email)?;
    let name = parse_display_name(&input.display_name)?;
    Ok(UserRow {
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
    })
}

/// Inserts a member object with its roles and, when a password hash is given, its account, with the
/// audit event `event`. An email has at most one account on the whole server, so the account check is
/// server-wide.
pub(super) fn insert_member(
    c: &mut AnyConnection,
    row: &UserRow,
    roles: RoleSet,
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
    if password_hash.is_some() && queries::users::account_by_email(c, &row.mail_lower)?.is_some() {
        return Err(Error::Conflict(format!(
            "{} already has an account",
            row.mail
        )));
    }
    queries::users::insert(c, row)?;
    queries::users::set_roles(c, &row.id, roles)?;
    if let Some(hash) = password_hash {
        queries::users::insert_credential(
            c,
            &CredentialRow {
                user_id: row.id.clone(),
                email_lower: row.mail_lower.clone(),
                password_hash: hash.to_string(),
                updated_at: row.created_at,
            },
        )?;
    }
    audit::record(
        c,
        AuditEvent {
            tenant_id: &row.tenant_id,
            event_name: event,
            actor,
            target: &row.id,
            outcome: "success",
            details: serde_json::json!({ "upn": row.user_principal_name, "roles": roles.names() }),
        },
    )
}

/// The argon2id hash of a password someone chose, after the rules for new passwords.
pub(super) async fn hash_new_password(
    svc: &Services,
    password: &str,
    confirm: &str,
) -> Result<String> {
    crate::domain::user::check_new_password(password, confirm)?;
    svc.passwords.hash(password.to_string()).await
}

/// An admin creates a member of the tenant's own directory (with an account when a password is given).
pub async fn create(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    input: NewMember,
) -> Result<UserDetail> {
    let mut row = member_row(tenant, &input, svc.now())?;
    // An admin vouches for addresses at the tenant's own domain; elsewhere nobody has shown the
    // address is this person's, and the tokens say so.
    row.email_verified = input.email_verified
        && EmailAddress::parse(&row.mail).is_ok_and(|a| a.is_at(&tenant.primary_domain));
    let hash = match &input.password {
        Some(p) => Some(hash_new_password(svc, p, p).await?),
        None => None,
    };
    let (t, roles, actor_id, now) = (tenant.clone(), input.roles, actor.id(), svc.now());
    svc.write_as(
        actor,
        tenant,
        Action::Administer,
        &row.mail_lower.clone(),
        move |c, standing| {
            for role in roles.iter() {
                super::auth::require(standing, Action::GrantRole(role))?;
            }
            insert_member(
                c,
                &row,
                roles,
                hash.as_deref(),
                &actor_id,
                events::CREATE_USER,
            )?;
            detail_on(c, &t, &row.id, now)
        },
    )
    .await
}

/// A change to a user object; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub account_enabled: Option<bool>,
    /// Convert between `Guest` and `Member`.
    pub user_type: Option<String>,
    /// The complete new set of roles: `Admin`, `GuestInviter` (and `Operator`, by operators only).
    pub roles: Option<Vec<String>>,
    /// A language code, or an empty string for none.
    pub preferred_language: Option<String>,
    /// `YYYY-MM-DD`: the guest's access ends at 00:00 UTC that day; an empty string for no end date.
    pub access_expires_on: Option<String>,
}

/// A patch with every field checked, before anything is read.
struct CheckedPatch {
    display_name: Option<String>,
    account_enabled: Option<bool>,
    user_type: Option<UserType>,
    roles: Option<RoleSet>,
    preferred_language: Option<Option<String>>,
    access_expires_on: Option<Option<i64>>,
}

impl UserPatch {
    fn check(self, now: i64) -> Result<CheckedPatch> {
        let access_expires_on = match self.access_expires_on.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(raw) => Some(Some(access_end_on("accessExpiresOn", raw, now)?)),
        };
        Ok(CheckedPatch {
            access_expires_on,
            display_name: patch_field(
                "displayName",
                self.display_name.as_deref(),
                parse_display_name,
            )?,
            account_enabled: self.account_enabled,
            user_type: patch_field("userType", self.user_type.as_deref(), UserType::parse)?,
            roles: self
                .roles
                .as_deref()
                .map(RoleSet::parse_names)
                .transpose()
                .map_err(|e| Error::invalid("roles", e.message))?,
            preferred_language: patch_field(
                "preferredLanguage",
                self.preferred_language.as_deref(),
                Language::parse_optional,
            )?
            .map(|l| l.map(|l| l.as_str().to_string())),
        })
    }
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: UserPatch,
    if_match: Option<String>,
) -> Result<UserDetail> {
    let now = svc.now();
    let patch = patch.check(now)?;
    let (t, id_c, actor_c) = (tenant.clone(), id.to_string(), actor.clone());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, standing| {
        let (tenant, id, actor) = (&t, &id_c, &actor_c);
        let current = detail_on(c, tenant, id, now)?;
        check_if_match(&current.etag, if_match.as_deref())?;
        let mut row = user_in(c, tenant, id)?;
        let held = queries::users::roles_of(c, &row.id)?;
        let before = current.user.clone();
        let is_self = actor.user_id() == Some(row.id.as_str());
        if is_self && patch.account_enabled == Some(false) {
            return Err(Error::invalid(
                "accountEnabled",
                "you cannot disable yourself",
            ));
        }
        if let Some(name) = patch.display_name {
            row.display_name = name;
        }
        // Only enabled admins count: a disabled one cannot administer anything.
        let admin_now = held.contains(Role::Admin) && row.enabled;
        let enabled_admins = queries::users::count_enabled_with_role(c, &tenant.id, Role::Admin)?;
        if admin_now && patch.account_enabled == Some(false) && enabled_admins <= 1 {
            return Err(Error::invalid(
                "accountEnabled",
                "the organisation needs at least one Admin who can sign in",
            ));
        }
        if let Some(end) = patch.access_expires_on {
            let becomes = patch
                .user_type
                .map(UserType::as_str)
                .unwrap_or(&row.user_type);
            if becomes != UserType::Guest.as_str() && end.is_some() {
                return Err(Error::invalid(
                    "accessExpiresOn",
                    "only guests have an end date",
                ));
            }
            queries::lifecycle::set_access_end(c, &tenant.id, &row.id, end, now)?;
        }
        if let Some(enabled) = patch.account_enabled {
            let was = row.enabled;
            row.enabled = enabled;
            if !enabled {
                queries::users::end_trust(c, &row.id, now)?;
            } else if !was {
                enable_again(c, &row.id, now)?;
            }
        }
        if let Some(t) = patch.user_type {
            row.user_type = t.as_str().to_string();
            // A member has no end date: converting a guest drops theirs.
            if t != UserType::Guest {
                queries::lifecycle::set_access_end(c, &tenant.id, &row.id, None, now)?;
            }
        }
        if let Some(roles) = patch.roles {
            // Every role that changes hands is a grant the caller must be allowed to make.
            for role in [Role::Admin, Role::GuestInviter, Role::Operator] {
                if roles.contains(role) != held.contains(role) {
                    super::auth::require(standing, Action::GrantRole(role))?;
                }
            }
            if held.contains(Role::Admin) && !roles.contains(Role::Admin) {
                if is_self {
                    return Err(Error::invalid(
                        "roles",
                        "you cannot remove your own Admin role",
                    ));
                }
                if admin_now && enabled_admins <= 1 {
                    return Err(Error::invalid(
                        "roles",
                        "the organisation needs at least one Admin who can sign in",
                    ));
                }
            }
            // A token issued while a role was held may rely on it (the admin API's scopes): removing
            // any role ends the user's grants, and the next token is issued for the roles they hold.
            if held.iter().any(|r| !roles.contains(r)) {
                queries::oauth::revoke_grants_of(c, std::slice::from_ref(&row.id), now)?;
            }
            queries::users::set_roles(c, &row.id, roles)?;
        }
        if let Some(l) = patch.preferred_language {
            row.preferred_language = l;
        }
        row.updated_at = now;
        queries::users::update(c, &row)?;
        let after = detail_on(c, tenant, id, now)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &tenant.id,
                event_name: if before.user_type != after.user.user_type {
                    events::CONVERT_USER
                } else if before.account_enabled && !after.user.account_enabled {
                    events::DISABLE_USER
                } else {
                    events::UPDATE_USER
                },
                actor: &actor.id(),
                target: &row.id,
                outcome: "success",
                details: serde_json::json!({ "before": before, "after": after.user }),
            },
        )?;
        Ok(after)
    })
    .await
}

/// An admin enables a user again: a guest whose end date passed stays disabled until the date moves,
/// and the lifecycle's state is cleared (no deletion pending, inactivity counts from now).
fn enable_again(c: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    let Some(state) = queries::lifecycle::state_of(c, id)? else {
        return Ok(());
    };
    if state.access_expires_at.is_some_and(|at| at <= now) {
        return Err(Error::invalid(
            "accountEnabled",
            "this guest's access ended; set a later end date (accessExpiresOn) or clear it first",
        ));
    }
    queries::lifecycle::enabled_again(c, id, now)
}

pub async fn delete(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    if_match: Option<String>,
) -> Result<()> {
    let (t, id_c, actor_c, now) = (tenant.clone(), id.to_string(), actor.clone(), svc.now());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let (tenant, id, actor) = (&t, &id_c, &actor_c);
        let current = detail_on(c, tenant, id, now)?;
        check_if_match(&current.etag, if_match.as_deref())?;
        if actor.user_id() == Some(current.user.id.as_str()) {
            return Err(Error::invalid("id", "you cannot delete yourself"));
        }
        if current.user.account_enabled
            && current.user.roles.iter().any(|r| r == Role::Admin.as_str())
            && queries::users::count_enabled_with_role(c, &tenant.id, Role::Admin)? <= 1
        {
            return Err(Error::invalid(
                "id",
                "the organisation needs at least one Admin",
            ));
        }
        queries::users::end_trust(c, id, now)?;
        queries::users::delete(c, id)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &tenant.id,
                event_name: events::DELETE_USER,
                actor: &actor.id(),
                target: id,
                outcome: "success",
                details: serde_json::json!({
                    "userPrincipalName": current.user.user_principal_name,
                    "mail": current.user.mail,
                    "userType": current.user.user_type,
                }),
            },
        )
    })
    .await
}

/// A one-time link to hand to a user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResetLink {
    pub url: String,
}

/// A one-time link (24 h) with which a member of this directory sets a new password. Earlier unused
/// links of the same user stop working.
pub async fn password_reset_link(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<ResetLink> {
    let token = random_token();
    let now = svc.now();
    let row = ActionTokenRow {
        token_hash: hash_secret(&token),
        purpose: PASSWORD_RESET_PURPOSE.into(),
        tenant_id: tenant.id.clone(),
        user_id: Some(id.to_string()),
        created_at: now,
        expires_at: now + PASSWORD_RESET_TTL,
        used_at: None,
    };
    let (t, id_c, actor_id) = (tenant.clone(), id.to_string(), actor.id());
    svc.write_as(actor, tenant, Action::Administer, id, move |c, _| {
        let user = user_in(c, &t, &id_c)?;
        // Guests sign in with their home directory's account; only members of this one have a
        // password here (or get one through this link).
        if user.user_type == UserType::Guest.as_str() || user.home_issuer.is_some() {
            return Err(Error::invalid(
                "id",
                "this user signs in with another directory's account; only that directory can reset the password",
            ));
        }
        queries::action_tokens::void_unused_for_user(c, &user.id, PASSWORD_RESET_PURPOSE, now)?;
        queries::action_tokens::insert(c, &row)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &t.id,
                event_name: events::RESET_PASSWORD,
                actor: &actor_id,
                target: &user.id,
                outcome: "success",
                details: serde_json::json!({}),
            },
        )
    })
    .await?;
    Ok(ResetLink {
        url: format!("{}/reset/{token}", tenant.issuer),
    })
}

/// The address of the user a usable password reset link of `tenant` is for, or `None`; the link is
/// opened from `client_address`, and one that is not usable counts against that address's limit of
/// unknown links.
pub async fn password_reset_for(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    client_address: &str,
) -> Result<Option<String>> {
    let (hash, now, tenant_id) = (hash_secret(token), svc.now(), tenant.id.clone());
    let lookup = svc.store.read(move |c| {
        let Some(t) = queries::action_tokens::usable(c, &hash, PASSWORD_RESET_PURPOSE, now)?
            .filter(|t| t.tenant_id == tenant_id)
        else {
            return Err(Error::NotFound("password reset link".into()));
        };
        let user = match &t.user_id {
            Some(id) => queries::users::by_id(c, id)?,
            None => None,
        };
        user.filter(|u| u.enabled)
            .map(|u| u.mail)
            .ok_or_else(|| Error::NotFound("password reset link".into()))
    });
    match super::throttle::one_time_link(svc, client_address, lookup).await {
        Ok(mail) => Ok(Some(mail)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sets the password from a reset link (once); ends the user's sessions, so an old session of whoever
/// knew the previous password does not survive the reset. Returns the address.
pub async fn complete_password_reset(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    password: &str,
    confirm: &str,
    client_address: &str,
) -> Result<String> {
    crate::domain::user::check_new_password(password, confirm)?;
    if password_reset_for(svc, tenant, token, client_address)
        .await?
        .is_none()
    {
        return Err(Error::NotFound("password reset link".into()));
    }
    let hash = svc.passwords.hash(password.to_string()).await?;
    let (token_hash, now, tenant_id) = (hash_secret(token), svc.now(), tenant.id.clone());
    svc.store
        .write(move |c| {
            let t = queries::action_tokens::usable(c, &token_hash, PASSWORD_RESET_PURPOSE, now)?
                .filter(|t| t.tenant_id == tenant_id)
                .ok_or_else(|| Error::NotFound("password reset link".into()))?;
            let user = queries::users::by_id(c, t.user_id.as_deref().unwrap_or_default())?
                .filter(|u| u.enabled)
                .ok_or_else(|| Error::NotFound("password reset link".into()))?;
            if !queries::action_tokens::mark_used(c, &token_hash, now)? {
                return Err(Error::NotFound("password reset link".into()));
            }
            if queries::users::has_credential(c, &user.id)? {
                queries::users::set_password(c, &user.id, &hash, now)?;
            } else {
                queries::users::insert_credential(
                    c,
                    &CredentialRow {
                        user_id: user.id.clone(),
                        email_lower: user.mail_lower.clone(),
                        password_hash: hash,
                        updated_at: now,
                    },
                )
                .map_err(|e| match e {
                    Error::Conflict(_) => Error::Conflict(format!(
                        "{} already has an account on this server; sign in with it",
                        user.mail
                    )),
                    other => other,
                })?;
            }
            // The link reached the address: an account made by signing up has proven it now.
            if super::verification::unproven(&user) {
                let mut proven = user.clone();
                proven.email_verified = true;
                proven.updated_at = now;
                queries::users::update(c, &proven)?;
            }
            queries::users::end_trust(c, &user.id, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::RESET_PASSWORD,
                    actor: &user.id,
                    target: &user.id,
                    outcome: "password set",
                    details: serde_json::json!({}),
                },
            )?;
            Ok(user.mail)
        })
        .await
}

impl super::etag::Tagged for UserDetail {
    fn etag(&self) -> &str {
        &self.etag
    }
}
