//! A person's own account, as `/t/{slug}/account` shows and changes it: their profile (name, language),
//! their password, the organisations they belong to (leaving those they are a guest of, where the
//! organisation allows it), their sessions (ending the others), and their data.
//!
//! Every use case acts on the signed-in person only ([`SignedIn`]): nobody acts on another's account
//! here, so there is no actor to authorize beyond the session itself.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::signin::{self, Origin, SignedIn};
use super::tenants::TenantSettings;
use crate::domain::language::Language;
use crate::domain::user::{UserType, parse_display_name};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::queries;
use serde::Serialize;

/// An organisation the person belongs to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    pub slug: String,
    pub name: String,
    /// The person's object there.
    pub user_id: String,
    /// A guest (invited from elsewhere) may leave; a member leaves only by an admin.
    pub guest: bool,
    /// Whether the organisation lets its guests leave on their own.
    pub may_leave: bool,
    /// Where to ask the organisation (its contact link), when it has one.
    pub contact_url: Option<String>,
}

/// One of the person's sessions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSummary {
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// How it signed in (`pwd`, `fed` …).
    pub amr: String,
    /// The session this page is shown in.
    pub current: bool,
}

/// What the account page shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: String,
    pub display_name: String,
    pub mail: String,
    pub email_verified: bool,
    pub preferred_language: Option<String>,
    pub created_at: i64,
    pub organisations: Vec<Organisation>,
    pub sessions: Vec<SessionSummary>,
    /// Whether the account has a password here (one signing in with codes or at a provider has none).
    pub has_password: bool,
}

pub async fn view(svc: &Services, me: &SignedIn) -> Result<AccountView> {
    let (user_id, session_id) = (me.home_user.id.clone(), me.session.id.clone());
    svc.store
        .read(move |c| {
            let user = queries::users::by_id(c, &user_id)?
                .ok_or_else(|| Error::NotFound("account".into()))?;
            let sessions = queries::sessions::of_user(c, &user_id)?
                .into_iter()
                .map(|s| SessionSummary {
                    current: s.id == session_id,
                    created_at: s.created_at,
                    last_seen_at: s.last_seen_at,
                    expires_at: s.expires_at,
                    amr: s.amr,
                })
                .collect();
            Ok(AccountView {
                has_password: queries::users::has_credential(c, &user.id)?,
                organisations: organisations(c, &user.id, &user.tenant_id)?,
                id: user.id,
                display_name: user.display_name,
                mail: user.mail,
                email_verified: user.email_verified,
                preferred_language: user.preferred_language,
                created_at: user.created_at,
                sessions,
            })
        })
        .await
}

/// The home directory (when someone administers it) and every tenant the account is a guest of.
fn organisations(
    c: &mut AnyConnection,
    user_id: &str,
    home_tenant_id: &str,
) -> Result<Vec<Organisation>> {
    let mut out = Vec::new();
    if let Some(home) = queries::tenants::by_id(c, home_tenant_id)?.filter(|t| !t.unmanaged) {
        let settings = settings_of(&home);
        out.push(Organisation {
            slug: home.slug,
            name: home.display_name,
            user_id: user_id.to_string(),
            guest: false,
            may_leave: false,
            contact_url: settings.contact_url,
        });
    }
    for guest_id in queries::users::guests_of_home(c, user_id)? {
        let Some(guest) = queries::users::by_id(c, &guest_id)? else {
            continue;
        };
        let Some(tenant) = queries::tenants::by_id(c, &guest.tenant_id)? else {
            continue;
        };
        let settings = settings_of(&tenant);
        out.push(Organisation {
            may_leave: settings.guests_may_leave,
            contact_url: settings.contact_url,
            slug: tenant.slug,
            name: tenant.display_name,
            user_id: guest.id,
            guest: guest.user_type == UserType::Guest.as_str(),
        });
    }
    Ok(out)
}

fn settings_of(row: &crate::store::models::TenantRow) -> TenantSettings {
    serde_json::from_str(&row.settings).unwrap_or_default()
}

/// Ends every session of the person but this one; how many ended.
pub async fn sign_out_elsewhere(svc: &Services, me: &SignedIn) -> Result<usize> {
    let (user_id, keep, tenant_id, now) = (
        me.home_user.id.clone(),
        me.session.id.clone(),
        me.home_user.tenant_id.clone(),
        svc.now(),
    );
    svc.store
        .write(move |c| {
            let ended = queries::sessions::delete_others(c, &user_id, &keep, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::SIGN_OUT_ELSEWHERE,
                    actor: &user_id,
                    target: &user_id,
                    outcome: "success",
                    details: serde_json::json!({ "sessionsEnded": ended }),
                },
            )?;
            Ok(ended)
        })
        .await
}

/// The person leaves the organisation `slug`, which they are a guest of: their guest object there is
/// removed with its group memberships and app assignments, its tokens end, and the tenant's audit log
/// records it. Their account and their other organisations stay. Returns the organisation's name.
pub async fn leave(svc: &Services, me: &SignedIn, slug: &str) -> Result<String> {
    let (user_id, slug, now) = (me.home_user.id.clone(), slug.to_string(), svc.now());
    svc.store
        .write(move |c| {
            // Only the guest objects: a home directory is not left from here.
            let Some(org) = organisations(c, &user_id, "")?
                .into_iter()
                .find(|o| o.slug == slug && o.guest)
            else {
                return Err(Error::NotFound(format!("no organisation {slug} to leave")));
            };
            let tenant = queries::tenants::by_slug(c, &org.slug)?
                .ok_or_else(|| Error::NotFound(format!("no organisation {slug} to leave")))?;
            if !org.may_leave {
                return Err(Error::Forbidden(format!(
                    "{} does not let guests leave on their own. Ask them to remove you.",
                    org.name
                )));
            }
            let guest = queries::users::by_id(c, &org.user_id)?
                .ok_or_else(|| Error::NotFound(format!("no organisation {slug} to leave")))?;
            queries::users::end_trust(c, &guest.id, now)?;
            queries::users::delete(c, &guest.id)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant.id,
                    event_name: events::USER_LEFT_ORGANIZATION,
                    actor: &user_id,
                    target: &guest.id,
                    outcome: "success",
                    details: serde_json::json!({
                        "userPrincipalName": guest.user_principal_name,
                        "mail": guest.mail,
                    }),
                },
            )?;
            Ok(org.name)
        })
        .await
}

/// The person's own name and language (empty: the organisation's), audited in their home directory.
pub async fn update_profile(
    svc: &Services,
    me: &SignedIn,
    display_name: &str,
    language: &str,
) -> Result<()> {
    let name = parse_display_name(display_name)?;
    let language = Language::parse_optional(language)?.map(|l| l.as_str().to_string());
    let (user_id, now) = (me.home_user.id.clone(), svc.now());
    svc.store
        .write(move |c| {
            let mut user = queries::users::by_id(c, &user_id)?
                .ok_or_else(|| Error::NotFound("account".into()))?;
            let before = serde_json::json!({
                "displayName": user.display_name, "preferredLanguage": user.preferred_language
            });
            user.display_name = name;
            user.preferred_language = language;
            user.updated_at = now;
            queries::users::update(c, &user)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &user.tenant_id,
                    event_name: events::UPDATE_OWN_PROFILE,
                    actor: &user.id,
                    target: &user.id,
                    outcome: "success",
                    details: serde_json::json!({
                        "before": before,
                        "after": { "displayName": user.display_name, "preferredLanguage": user.preferred_language },
                    }),
                },
            )
        })
        .await
}

/// Changes the person's password: the current one is checked like a sign-in (the same limits), the new
/// one must pass the password rules. Every other session ends, and every grant of the account and its
/// guest objects is revoked, so nothing obtained with the old password outlives it; this session stays.
pub async fn change_password(
    svc: &Services,
    me: &SignedIn,
    current: &str,
    new: &str,
    confirm: &str,
    origin: &Origin,
) -> Result<()> {
    let home = &me.home_user;
    let checked = signin::verify_account(svc, &home.tenant_id, &home.mail, current, origin).await?;
    if checked.id != home.id {
        return Err(Error::invalid("credentials", signin::BAD_CREDENTIALS));
    }
    let hash = super::users::hash_new_password(svc, new, confirm).await?;
    let (user_id, keep, tenant_id, now) = (
        home.id.clone(),
        me.session.id.clone(),
        home.tenant_id.clone(),
        svc.now(),
    );
    svc.store
        .write(move |c| {
            queries::users::set_password(c, &user_id, &hash, now)?;
            let ended = queries::users::end_trust_keeping(c, &user_id, &keep, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::CHANGE_OWN_PASSWORD,
                    actor: &user_id,
                    target: &user_id,
                    outcome: "success",
                    details: serde_json::json!({ "sessionsEnded": ended }),
                },
            )
        })
        .await
}

/// Everything the account page knows of the person, for "Download my data".
pub async fn export(svc: &Services, me: &SignedIn) -> Result<serde_json::Value> {
    let view = view(svc, me).await?;
    serde_json::to_value(&view).map_err(Error::internal)
}
