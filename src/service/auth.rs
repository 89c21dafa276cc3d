//! Who calls an administrative use case: one [`Actor`] for the admin API's bearer tokens, the console's
//! cookie and the operator at the command line, resolved once at the door.
//!
//! An actor is a claim, not a permission. Every use case turns it into a [`Standing`] inside its own
//! transaction ([`standing`]): the user's roles as stored now (limited by the token's scopes), the app as
//! it is now (deleted, disabled or given a new secret, and its tokens stop working), so a change made a
//! moment ago by another process counts. The rules of `domain::access` then decide.

use super::Services;
use super::apps::console::console_client_id;
use super::apps::credential_fingerprint;
use super::tenants::Tenant;
use super::tokens::{self, AccessToken, Holder, Resource};
use crate::domain::access::{self, Action, CallerKind, Standing};
use crate::domain::email::EmailAddress;
use crate::domain::scope::{ADMIN_API_SCOPES, Scopes};
use crate::domain::user::UserType;
use crate::error::{Error, OAuthErrorCode, Result};
use crate::store::connection::AnyConnection;
use crate::store::queries;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    Operator,
    User {
        id: String,
    },
    App {
        id: String,
        client_id: String,
        /// The client secret the token was issued for (a digest of its hash).
        credential: String,
    },
}

/// How the caller reached the use case (recorded with every refusal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    CommandLine,
    AdminApi,
    Console,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::CommandLine => "command line",
            Channel::AdminApi => "admin API",
            Channel::Console => "console",
        }
    }
}

/// The caller of an administrative use case.
#[derive(Debug, Clone)]
pub struct Actor {
    principal: Principal,
    display_name: String,
    /// The scopes of the token the caller presented; `None` at the command line, where a user named
    /// with `--by` acts with every role they hold.
    scopes: Option<Scopes>,
    token_id: Option<String>,
    channel: Channel,
    /// A person's preferred language, for the pages they see (the console).
    language: Option<String>,
}

impl Actor {
    /// The operator running the CLI on the server: every tenant's administrator.
    pub fn operator() -> Actor {
        Actor {
            principal: Principal::Operator,
            display_name: "Administrator".into(),
            scopes: None,
            token_id: None,
            channel: Channel::CommandLine,
            language: None,
        }
    }

    /// A user of `tenant` the operator names at the command line (`invite --by EMAIL`): the use case
    /// runs with that user's roles, as if they had asked.
    pub async fn command_line_user(svc: &Services, tenant: &Tenant, email: &str) -> Result<Actor> {
        let lower = EmailAddress::parse(email)?.lower();
        let tenant_id = tenant.id.clone();
        let user = svc
            .store
            .read(move |c| queries::users::by_tenant_and_mail(c, &tenant_id, &lower))
            .await?
            .ok_or_else(|| Error::NotFound(format!("no user {email} in tenant {}", tenant.slug)))?;
        Ok(Actor {
            principal: Principal::User { id: user.id },
            display_name: user.display_name,
            scopes: None,
            token_id: None,
            channel: Channel::CommandLine,
            language: user.preferred_language,
        })
    }

    /// The id the audit log records: a user object's id, `app:{client_id}`, or `operator`.
    pub fn id(&self) -> String {
        match &self.principal {
            Principal::Operator => "operator".into(),
            Principal::User { id } => id.clone(),
            Principal::App { client_id, .. } => format!("app:{client_id}"),
        }
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The user object acting, when a person acts.
    pub fn user_id(&self) -> Option<&str> {
        match &self.principal {
            Principal::User { id } => Some(id),
            _ => None,
        }
    }

    pub fn kind(&self) -> CallerKind {
        match self.principal {
            Principal::Operator => CallerKind::Operator,
            Principal::User { .. } => CallerKind::User,
            Principal::App { .. } => CallerKind::App,
        }
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The language a person prefers, when they chose one.
    pub fn preferred_language(&self) -> Option<&str> {
        self.language.as_deref()
    }

    /// The `jti` of the token the caller presented, if it presented one.
    pub fn token_id(&self) -> Option<&str> {
        self.token_id.as_deref()
    }
}

fn no_longer(what: &str) -> Error {
    Error::oauth(
        OAuthErrorCode::InvalidToken,
        format!("the {what} can no longer act in this organisation"),
    )
}

/// The caller as the rules see it, read inside the caller's transaction on `c`.
pub(super) fn standing(c: &mut AnyConnection, actor: &Actor, tenant: &Tenant) -> Result<Standing> {
    match &actor.principal {
        Principal::Operator => Ok(Standing::operator()),
        Principal::User { id } => {
            let user = queries::users::user(c, id)?
                .filter(|u| u.tenant_id == tenant.id && u.may_hold_tokens())
                .ok_or_else(|| no_longer("user"))?;
            let roles = match &actor.scopes {
                Some(scopes) => access::user_roles_within(user.roles, scopes),
                None => user.roles,
            };
            // A person's token for the admin API stands for a role; without it, the token is empty.
            if actor.scopes.is_some() && roles.is_empty() {
                return Err(Error::Denied(
                    "the role this token was issued for is no longer held".into(),
                ));
            }
            Ok(Standing {
                kind: CallerKind::User,
                user_type: user.user_type,
                roles,
            })
        }
        Principal::App { id, credential, .. } => {
            let app = queries::apps::by_id(c, id)?
                .filter(|a| a.tenant_id == tenant.id && a.enabled)
                .filter(|a| {
                    a.secret_hash
                        .as_deref()
                        .is_some_and(|h| credential_fingerprint(h) == *credential)
                })
                .ok_or_else(|| no_longer("application"))?;
            // Scopes an admin has since taken from the app no longer count.
            let allowed = Scopes::from_stored(&app.allowed_scopes);
            let scopes = actor
                .scopes
                .as_ref()
                .map(|s| s.retain(|x| allowed.contains(x)))
                .unwrap_or_default();
            Ok(Standing {
                kind: CallerKind::App,
                user_type: UserType::Member,
                roles: access::app_roles(&scopes),
            })
        }
    }
}

/// The standing of a caller who names no tenant: only the operator at the command line does.
pub(super) fn standing_without_tenant(actor: &Actor) -> Result<Standing> {
    match actor.principal {
        Principal::Operator => Ok(Standing::operator()),
        _ => Err(Error::Unauthenticated),
    }
}

/// Refuses with [`Error::Denied`] unless the rules allow `action`.
pub(super) fn require(standing: &Standing, action: Action) -> Result<()> {
    access::check(standing, action).map_err(|d| Error::Denied(d.0))
}

/// [`standing`] and [`require`] in one step: the door of a use case.
pub(super) fn authorize(
    c: &mut AnyConnection,
    actor: &Actor,
    tenant: &Tenant,
    action: Action,
) -> Result<Standing> {
    let s = standing(c, actor, tenant)?;
    require(&s, action)?;
    Ok(s)
}

/// Whether `actor` may do `action` in `tenant` now (a refusal is audited like any other). For pages
/// that decide what to show before any use case runs.
pub async fn may(svc: &Services, actor: &Actor, tenant: &Tenant, action: Action) -> Result<()> {
    svc.read_as(actor, tenant, action, action.name(), |_, _| Ok(()))
        .await
}

fn insufficient_scope() -> Error {
    Error::Denied(format!(
        "the token carries neither the {} nor the {} scope",
        ADMIN_API_SCOPES[0], ADMIN_API_SCOPES[1]
    ))
}

/// A token that failed its check is the token's fault (401), unless the database failed.
fn unauthenticated(e: Error) -> Error {
    match e {
        Error::Unavailable(_) | Error::Internal(_) => e,
        Error::OAuth { .. } => e,
        _ => Error::oauth(
            OAuthErrorCode::InvalidToken,
            "the access token is not valid for this organisation",
        ),
    }
}

/// The caller behind a bearer token of the admin API: an access token of this tenant whose audience is
/// the admin API and whose scope names it. A person's token counts only when a first-party app of the
/// tenant holds it.
pub async fn admin_api_caller(svc: &Services, tenant: &Tenant, token: &str) -> Result<Actor> {
    let t = tokens::check_access_token(svc, tenant, token, Some(Resource::AdminApi))
        .await
        .map_err(unauthenticated)?;
    if !ADMIN_API_SCOPES.iter().any(|s| t.scopes.contains(s)) {
        return Err(insufficient_scope());
    }
    actor_of(svc, tenant, t, Channel::AdminApi).await
}

/// The admin signed in to `tenant`'s console: its cookie holds the console app's access token for the
/// admin API. Whether they may administer is the use cases' to decide, as for any caller.
pub async fn console_caller(svc: &Services, tenant: &Tenant, token: &str) -> Result<Actor> {
    let t = tokens::check_access_token(svc, tenant, token, Some(Resource::AdminApi))
        .await
        .map_err(unauthenticated)?;
    if t.client_id != console_client_id(&tenant.slug) || !matches!(t.holder, Holder::User { .. }) {
        return Err(Error::oauth(
            OAuthErrorCode::InvalidToken,
            "not a token of this organisation's console",
        ));
    }
    actor_of(svc, tenant, t, Channel::Console).await
}

async fn actor_of(
    svc: &Services,
    tenant: &Tenant,
    t: AccessToken,
    channel: Channel,
) -> Result<Actor> {
    let scopes = Some(t.scopes);
    let token_id = Some(t.jti);
    match t.holder {
        Holder::User { user, .. } => {
            // A person's token acts for them only when the tenant's own app holds it, never when a
            // third-party app passes a token along.
            let first_party = svc
                .apps
                .find(&tenant.id, &t.client_id)
                .await?
                .is_some_and(|a| a.first_party && a.enabled);
            let actor = Actor {
                principal: Principal::User {
                    id: user.id.clone(),
                },
                display_name: user.display_name.clone(),
                scopes,
                token_id,
                channel,
                language: user.preferred_language.clone(),
            };
            if !first_party {
                let reason = "only tokens of the organisation's own apps may use the admin API";
                svc.record_denial(&actor, tenant, "use the admin API", &t.client_id, reason)
                    .await?;
                return Err(Error::Denied(reason.into()));
            }
            Ok(actor)
        }
        Holder::App { app_id, credential } => Ok(Actor {
            principal: Principal::App {
                id: app_id,
                client_id: t.client_id,
                credential,
            },
            display_name: tenant.display_name.clone(),
            scopes,
            token_id,
            channel,
            language: None,
        }),
    }
}
