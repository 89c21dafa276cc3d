//! Administering apps (OIDC clients): create, list, read, change, delete, rotate the secret, assign users
//! and groups.

use super::super::Services;
use super::super::audit::{self, AuditEvent, events};
use super::super::auth::Actor;
use super::super::etag::{check_if_match, etag_of};
use super::super::tenants::Tenant;
use super::{App, AppRole, AppSettings};
use crate::crypto::{hash_secret, random_token};
use crate::domain::access::Action;
use crate::domain::claims::OptionalClaim;
use crate::domain::redirect;
use crate::domain::user::parse_display_name;
use crate::error::{Error, Result, patch_field};
use crate::keys::SigningAlg;
use crate::store::connection::AnyConnection;
use crate::store::models::{AppRow, AssignmentRow};
use crate::store::queries;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppView {
    pub id: String,
    pub client_id: String,
    pub name: String,
    /// Public clients (no secret, PKCE required) or confidential ones.
    pub public: bool,
    pub first_party: bool,
    pub assignment_required: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// `RS256`, `ES256` or `EdDSA`.
    pub signing_alg: String,
    /// `email`, `groups`, `roles`, `include_externally_authenticated_upn`,
    /// `include_externally_authenticated_upn_without_hash`.
    pub optional_claims: Vec<String>,
    pub app_roles: Vec<AppRole>,
    /// Scopes a client-credentials token may carry (e.g. `guestlist.admin`).
    pub allowed_scopes: Vec<String>,
    pub home_url: Option<String>,
    pub enabled: bool,
    /// Where the app is told that a session or grant ended (OpenID Connect Back-Channel Logout).
    pub backchannel_logout_uri: Option<String>,
    /// Logout tokens carry `sid` (they do whenever the grant came from a session).
    pub backchannel_logout_session_required: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentView {
    /// `user` or `group`.
    pub principal_type: String,
    pub principal_id: String,
    pub principal_name: String,
    /// The app role's value, or empty for plain access.
    pub app_role: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppDetail {
    pub app: AppView,
    pub assignments: Vec<AssignmentView>,
    #[serde(skip)]
    pub etag: String,
}

fn claim_name(c: &OptionalClaim) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

pub fn parse_claim(raw: &str) -> Result<OptionalClaim> {
    serde_json::from_value(serde_json::Value::String(raw.trim().to_string())).map_err(|_| {
        Error::invalid(
            "optionalClaims",
            format!(
                "{raw:?} is not an optional claim; use email, groups, roles, include_externally_authenticated_upn or include_externally_authenticated_upn_without_hash"
            ),
        )
    })
}

impl AppView {
    pub fn from_row(row: AppRow) -> AppView {
        let (created_at, updated_at) = (row.created_at, row.updated_at);
        let app = App::from_row(row);
        AppView {
            public: app.is_public(),
            optional_claims: app
                .settings
                .optional_claims
                .iter()
                .map(claim_name)
                .collect(),
            app_roles: app.settings.app_roles.clone(),
            allowed_scopes: app
                .allowed_scopes
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            home_url: app.settings.home_url.clone(),
            signing_alg: app.signing_alg.as_str().to_string(),
            id: app.id,
            client_id: app.client_id,
            name: app.name,
            first_party: app.first_party,
            assignment_required: app.assignment_required,
            redirect_uris: app.redirect_uris,
            post_logout_redirect_uris: app.post_logout_redirect_uris,
            enabled: app.enabled,
            backchannel_logout_uri: app.backchannel_logout_uri,
            backchannel_logout_session_required: app.backchannel_logout_session_required,
            created_at,
            updated_at,
        }
    }
}

fn app_in(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<AppRow> {
    queries::apps::by_id(c, id)?
        .filter(|a| a.tenant_id == tenant.id)
        .ok_or_else(|| Error::NotFound(format!("app {id}")))
}

fn detail_on(c: &mut AnyConnection, tenant: &Tenant, id: &str) -> Result<AppDetail> {
    let app = AppView::from_row(app_in(c, tenant, id)?);
    let mut assignments = Vec::new();
    for a in queries::apps::assignments_of_app(c, &app.id)? {
        let principal_name = if a.principal_type == "group" {
            queries::groups::by_id(c, &tenant.id, &a.principal_id)?.map(|g| g.display_name)
        } else {
            queries::users::by_id(c, &a.principal_id)?
                .map(|u| format!("{} <{}>", u.display_name, u.mail))
        }
        .unwrap_or_else(|| "(deleted)".into());
        assignments.push(AssignmentView {
            principal_type: a.principal_type,
            principal_id: a.principal_id,
            principal_name,
            app_role: a.app_role,
        });
    }
    let etag = etag_of(&app);
    Ok(AppDetail {
        app,
        assignments,
        etag,
    })
}

pub async fn list(svc: &Services, actor: &Actor, tenant: &Tenant) -> Result<Vec<AppView>> {
    let tenant_id = tenant.id.clone();
    svc.read_as(actor, tenant, Action::Administer, "apps", move |c, _| {
        Ok(queries::apps::list_for_tenant(c, &tenant_id)?
            .into_iter()
            .map(AppView::from_row)
            .collect())
    })
    .await
}

pub async fn get(svc: &Services, actor: &Actor, tenant: &Tenant, id: &str) -> Result<AppDetail> {
    let (t, id_c) = (tenant.clone(), id.to_string());
    svc.read_as(actor, tenant, Action::Administer, id, move |c, _| {
        detail_on(c, &t, &id_c)
    })
    .await
}

/// A new app (OIDC client) of the tenant.
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
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

/// A new app as the admin API and the CLI describe one.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAppBody {
    pub name: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client has no secret and must use PKCE.
    #[serde(default)]
    pub public: bool,
    /// The tenant's own app: no consent page, may hold users' tokens for this API.
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub assignment_required: bool,
    /// `RS256` (default), `ES256` or `EdDSA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_alg: Option<String>,
    #[serde(default)]
    pub optional_claims: Vec<String>,
    #[serde(default)]
    pub allowed_scopes: Vec<String>,
    /// Where the app is told that a session or grant ended (OpenID Connect Back-Channel Logout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}

impl NewAppBody {
    pub fn into_new_app(self) -> Result<NewApp> {
        Ok(NewApp {
            optional_claims: self
                .optional_claims
                .iter()
                .map(|c| parse_claim(c))
                .collect::<Result<Vec<_>>>()?,
            name: self.name,
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            public: self.public,
            first_party: self.first_party,
            assignment_required: self.assignment_required,
            signing_alg: self.signing_alg.unwrap_or_else(|| "RS256".into()),
            allowed_scopes: self.allowed_scopes,
            backchannel_logout_uri: self.backchannel_logout_uri,
            backchannel_logout_session_required: self.backchannel_logout_session_required,
        })
    }
}

/// A created app, with its client secret: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
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

pub async fn create(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    input: NewApp,
) -> Result<CreatedApp> {
    let name = parse_display_name(&input.name).map_err(|e| Error::invalid("name", e.message))?;
    let redirect_uris = parse_uris("redirectUris", &input.redirect_uris)?;
    let logout_uris = parse_uris("postLogoutRedirectUris", &input.post_logout_redirect_uris)?;
    let alg = SigningAlg::parse(&input.signing_alg)
        .ok_or_else(|| Error::invalid("signingAlg", "use RS256, ES256 or EdDSA"))?;
    let scopes = check_scopes(&input.allowed_scopes)?;
    let allow_private = svc.config.webhook_allow_private;
    let backchannel = logout_uri(input.backchannel_logout_uri.as_deref(), allow_private)?.flatten();
    let secret = (!input.public).then(random_token);
    let now = svc.now();
    let settings = AppSettings {
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
        allowed_scopes: scopes.join(" "),
        settings: serde_json::to_string(&settings).map_err(Error::internal)?,
        enabled: true,
        created_at: now,
        updated_at: now,
        backchannel_logout_uri: backchannel,
        backchannel_logout_session_required: input.backchannel_logout_session_required,
    };
    let actor_id = actor.id();
    let inserted = row.clone();
    svc.write_as(actor, tenant, Action::Administer, &row.name, move |c, _| {
        queries::apps::insert(c, &inserted)?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &inserted.tenant_id,
                event_name: events::CREATE_APP,
                actor: &actor_id,
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

/// A change to an app; absent fields stay as they are. Lists replace the whole list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppPatch {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub first_party: Option<bool>,
    pub assignment_required: Option<bool>,
    pub signing_alg: Option<String>,
    pub optional_claims: Option<Vec<String>>,
    pub app_roles: Option<Vec<AppRole>>,
    pub allowed_scopes: Option<Vec<String>>,
    /// Where the app panel sends people; empty for none.
    pub home_url: Option<String>,
    pub enabled: Option<bool>,
    /// Where the app is told that a session or grant ended; empty for nowhere.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
}

/// A back-channel logout URI as given: `None` when absent, `Some(None)` when empty (none), else checked
/// (private addresses only when the operator allows them).
fn logout_uri(raw: Option<&str>, allow_private: bool) -> Result<Option<Option<String>>> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(u) => crate::domain::backchannel::parse_logout_uri(u, allow_private)
            .map(|u| Some(Some(u)))
            .map_err(|e| Error::invalid(e.field, e.message)),
    }
}

fn parse_uris(field: &'static str, uris: &[String]) -> Result<Vec<String>> {
    uris.iter()
        .map(|u| redirect::parse_registered(u).map_err(|e| Error::invalid(field, e.message)))
        .collect()
}

fn check_roles(roles: &[AppRole]) -> Result<Vec<AppRole>> {
    let mut out: Vec<AppRole> = Vec::new();
    for r in roles {
        let value = r.value.trim().to_string();
        let ok = !value.is_empty()
            && value.len() <= 120
            && value
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-' | ':'));
        if !ok {
            return Err(Error::invalid(
                "appRoles",
                format!(
                    "{value:?}: a role value is 1–120 letters, digits, dots, dashes, colons or underscores"
                ),
            ));
        }
        if out.iter().any(|o| o.value == value) {
            return Err(Error::invalid(
                "appRoles",
                format!("{value} is listed twice"),
            ));
        }
        out.push(AppRole {
            display_name: parse_display_name(if r.display_name.trim().is_empty() {
                &value
            } else {
                &r.display_name
            })
            .map_err(|e| Error::invalid("appRoles", e.message))?,
            description: r.description.trim().chars().take(500).collect(),
            value,
        });
    }
    Ok(out)
}

fn check_scopes(scopes: &[String]) -> Result<Vec<String>> {
    scopes
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
                && s.len() <= 100
            {
                Ok(s)
            } else {
                Err(Error::invalid(
                    "allowedScopes",
                    format!("{s:?} is not a scope name"),
                ))
            }
        })
        .collect()
}

pub async fn update(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    patch: AppPatch,
    if_match: Option<String>,
) -> Result<AppDetail> {
    let name = patch_field("name", patch.name.as_deref(), parse_display_name)?;
    let redirect_uris = patch
        .redirect_uris
        .as_deref()
        .map(|u| parse_uris("redirectUris", u))
        .transpose()?;
    if redirect_uris.as_ref().is_some_and(|u| u.is_empty()) {
        return Err(Error::invalid(
            "redirectUris",
            "an app needs at least one redirect URI",
        ));
    }
    let logout_uris = patch
        .post_logout_redirect_uris
        .as_deref()
        .map(|u| parse_uris("postLogoutRedirectUris", u))
        .transpose()?;
    let alg = patch
        .signing_alg
        .as_deref()
        .map(|a| {
            SigningAlg::parse(a)
                .ok_or_else(|| Error::invalid("signingAlg", "use RS256, ES256 or EdDSA"))
        })
        .transpose()?;
    let claims = patch
        .optional_claims
        .as_ref()
        .map(|cs| {
            cs.iter()
                .map(|c| parse_claim(c))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    let roles = patch.app_roles.as_deref().map(check_roles).transpose()?;
    let scopes = patch
        .allowed_scopes
        .as_deref()
        .map(check_scopes)
        .transpose()?;
    let home_url = match patch.home_url.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(u) => Some(Some(
            url::Url::parse(u)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| Error::invalid("homeUrl", "must be an absolute http(s) URL"))?
                .to_string(),
        )),
    };
    let allow_private = svc.config.webhook_allow_private;
    let backchannel = logout_uri(patch.backchannel_logout_uri.as_deref(), allow_private)?;
    let (tenant_c, id_c, actor_id, now) = (tenant.clone(), id.to_string(), actor.id(), svc.now());
    let detail = svc
        .write_as(actor, tenant, Action::Administer, id, move |c, _| {
            let id = id_c;
            let current = detail_on(c, &tenant_c, &id)?;
            check_if_match(&current.etag, if_match.as_deref())?;
            let mut row = app_in(c, &tenant_c, &id)?;
            let mut settings: AppSettings = serde_json::from_str(&row.settings).unwrap_or_default();
            if let Some(n) = name {
                row.name = n;
            }
            if let Some(u) = redirect_uris {
                row.redirect_uris = serde_json::to_string(&u).map_err(Error::internal)?;
            }
            if let Some(u) = logout_uris {
                row.post_logout_redirect_uris =
                    serde_json::to_string(&u).map_err(Error::internal)?;
            }
            if let Some(v) = patch.first_party {
                row.first_party = v;
            }
            if let Some(v) = patch.assignment_required {
                row.assignment_required = v;
            }
            if let Some(a) = alg {
                row.id_token_signing_alg = a.as_str().into();
            }
            if let Some(s) = scopes {
                row.allowed_scopes = s.join(" ");
            }
            if let Some(v) = patch.enabled {
                row.enabled = v;
            }
            if let Some(u) = backchannel {
                row.backchannel_logout_uri = u;
            }
            if let Some(v) = patch.backchannel_logout_session_required {
                row.backchannel_logout_session_required = v;
            }
            if let Some(cl) = claims {
                settings.optional_claims = cl;
            }
            if let Some(r) = roles {
                settings.app_roles = r;
            }
            if let Some(h) = home_url {
                settings.home_url = h;
            }
            row.settings = serde_json::to_string(&settings).map_err(Error::internal)?;
            row.updated_at = now;
            queries::apps::update(c, &row)?;
            let after = detail_on(c, &tenant_c, &id)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::UPDATE_APP,
                    actor: &actor_id,
                    target: &id,
                    outcome: "success",
                    details: serde_json::json!({ "before": current.app, "after": after.app }),
                },
            )?;
            Ok(after)
        })
        .await?;
    svc.apps.forget(&tenant.id, &detail.app.client_id);
    Ok(detail)
}

pub async fn delete(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
    if_match: Option<String>,
) -> Result<()> {
    let (tenant_c, id_c, actor_id) = (tenant.clone(), id.to_string(), actor.id());
    let client_id = svc
        .write_as(actor, tenant, Action::Administer, id, move |c, _| {
            let id = id_c;
            let current = detail_on(c, &tenant_c, &id)?;
            check_if_match(&current.etag, if_match.as_deref())?;
            queries::apps::delete(c, &id)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::DELETE_APP,
                    actor: &actor_id,
                    target: &id,
                    outcome: "success",
                    details: serde_json::json!({ "name": current.app.name, "clientId": current.app.client_id }),
                },
            )?;
            Ok(current.app.client_id)
        })
        .await?;
    svc.apps.forget(&tenant.id, &client_id);
    Ok(())
}

/// A new client secret: the only time it is shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSecret {
    pub client_id: String,
    pub client_secret: String,
}

/// A new client secret, shown once; the old one, and every token issued with it, stop working at once.
pub async fn rotate_secret(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    id: &str,
) -> Result<RotatedSecret> {
    let secret = random_token();
    let (tenant_c, id_c, actor_id, hash, now) = (
        tenant.clone(),
        id.to_string(),
        actor.id(),
        hash_secret(&secret),
        svc.now(),
    );
    let client_id = svc
        .write_as(actor, tenant, Action::Administer, id, move |c, _| {
            let id = id_c;
            let mut row = app_in(c, &tenant_c, &id)?;
            if row.secret_hash.is_none() {
                return Err(Error::invalid("id", "a public client has no secret"));
            }
            row.secret_hash = Some(hash);
            row.updated_at = now;
            queries::apps::update(c, &row)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::ROTATE_APP_SECRET,
                    actor: &actor_id,
                    target: &id,
                    outcome: "success",
                    details: serde_json::json!({ "clientId": row.client_id }),
                },
            )?;
            Ok(row.client_id)
        })
        .await?;
    svc.apps.forget(&tenant.id, &client_id);
    Ok(RotatedSecret {
        client_id,
        client_secret: secret,
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AssignmentInput {
    /// `user` or `group`.
    pub principal_type: String,
    pub principal_id: String,
    /// One of the app's role values, or empty for plain access.
    #[serde(default)]
    pub app_role: String,
}

pub async fn assign(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    app_id: &str,
    input: AssignmentInput,
) -> Result<AppDetail> {
    if !matches!(input.principal_type.as_str(), "user" | "group") {
        return Err(Error::invalid("principalType", "use user or group"));
    }
    let (tenant_c, app_id_c, actor_id, now) =
        (tenant.clone(), app_id.to_string(), actor.id(), svc.now());
    svc.write_as(actor, tenant, Action::Administer, &input.principal_id.clone(), move |c, _| {
            let app_id = app_id_c;
            let app = App::from_row(app_in(c, &tenant_c, &app_id)?);
            let role = input.app_role.trim().to_string();
            if !role.is_empty() && !app.settings.app_roles.iter().any(|r| r.value == role) {
                return Err(Error::invalid("appRole", format!("the app defines no role {role:?}")));
            }
            let exists = if input.principal_type == "group" {
                queries::groups::by_id(c, &tenant_c.id, &input.principal_id)?.is_some()
            } else {
                queries::users::by_id(c, &input.principal_id)?.is_some_and(|u| u.tenant_id == tenant_c.id)
            };
            if !exists {
                return Err(Error::NotFound(format!("{} {}", input.principal_type, input.principal_id)));
            }
            let already = queries::apps::assignments_of_app(c, &app.id)?
                .iter()
                .any(|a| a.principal_id == input.principal_id && a.app_role == role);
            if !already {
                queries::apps::insert_assignment(
                    c,
                    &AssignmentRow {
                        app_id: app.id.clone(),
                        principal_type: input.principal_type.clone(),
                        principal_id: input.principal_id.clone(),
                        app_role: role.clone(),
                        created_at: now,
                    },
                )?;
                audit::record(
                    c,
                    AuditEvent {
                        tenant_id: &tenant_c.id,
                        event_name: events::ASSIGN_APP,
                        actor: &actor_id,
                        target: &input.principal_id,
                        outcome: "success",
                        details: serde_json::json!({ "appId": app.id, "principalType": input.principal_type, "appRole": role }),
                    },
                )?;
            }
            detail_on(c, &tenant_c, &app_id)
        })
        .await
}

pub async fn unassign(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    app_id: &str,
    principal_type: &str,
    principal_id: &str,
) -> Result<AppDetail> {
    let (tenant_c, app_id, actor_id, pt, pid) = (
        tenant.clone(),
        app_id.to_string(),
        actor.id(),
        principal_type.to_string(),
        principal_id.to_string(),
    );
    svc.write_as(
        actor,
        tenant,
        Action::Administer,
        principal_id,
        move |c, _| {
            app_in(c, &tenant_c, &app_id)?;
            if !queries::apps::remove_assignment(c, &app_id, &pt, &pid)? {
                return Err(Error::NotFound("no such assignment".into()));
            }
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::UNASSIGN_APP,
                    actor: &actor_id,
                    target: &pid,
                    outcome: "success",
                    details: serde_json::json!({ "appId": app_id, "principalType": pt }),
                },
            )?;
            detail_on(c, &tenant_c, &app_id)
        },
    )
    .await
}

impl super::super::etag::Tagged for AppDetail {
    fn etag(&self) -> &str {
        &self.etag
    }
}
