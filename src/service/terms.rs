//! A tenant's terms of use: admins publish versions (a text or a link per language); a guest accepts
//! the newest version when redeeming, and again before their next sign-in to an app after a new version
//! (refresh tokens stop working until then). Every acceptance is recorded (guest, version, time) and
//! audited, and admins see who accepted which version.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::auth::Actor;
use super::tenants::Tenant;
use crate::domain::access::Action;
use crate::domain::language::Language;
use crate::domain::user::UserType;
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::{TermsAcceptanceRow, TermsRow};
use crate::store::queries;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest text a version may hold per language.
const MAX_BODY: usize = 20_000;

/// One language of a version: its text, or a link to it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TermsText {
    /// `en`, `ko`, …
    pub language: String,
    /// The terms themselves (plain text, at most 20,000 characters) …
    #[serde(default)]
    pub text: Option<String>,
    /// … or an absolute http(s) link to them.
    #[serde(default)]
    pub url: Option<String>,
}

/// One published version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Terms {
    pub version: i32,
    pub published_at: i64,
    pub texts: Vec<TermsText>,
}

impl Terms {
    /// The text in `language`, else English, else the first there is.
    pub fn in_language(&self, language: Language) -> Option<&TermsText> {
        self.texts
            .iter()
            .find(|t| t.language == language.as_str())
            .or_else(|| self.texts.iter().find(|t| t.language == "en"))
            .or_else(|| self.texts.first())
    }

    fn from_rows(rows: Vec<TermsRow>) -> Option<Terms> {
        let first = rows.first()?;
        Some(Terms {
            version: first.version,
            published_at: first.published_at,
            texts: rows
                .into_iter()
                .map(|r| TermsText {
                    language: r.language,
                    text: r.body,
                    url: r.url,
                })
                .collect(),
        })
    }
}

/// What a new version says.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTerms {
    pub texts: Vec<TermsText>,
}

/// One acceptance as admins see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AcceptanceView {
    pub user_id: String,
    pub mail: String,
    pub display_name: String,
    pub version: i32,
    pub accepted_at: i64,
}

/// Checks a version's texts: at least one, one per language, each a text or a link.
fn checked(input: NewTerms) -> Result<Vec<TermsText>> {
    if input.texts.is_empty() {
        return Err(Error::invalid(
            "texts",
            "Give the terms in at least one language.",
        ));
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for t in input.texts {
        let language =
            Language::parse(&t.language).map_err(|e| Error::invalid("language", e.message))?;
        if seen.contains(&language) {
            return Err(Error::invalid(
                "language",
                format!("{} is given twice.", language.as_str()),
            ));
        }
        seen.push(language);
        let text = t
            .text
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let url = t
            .url
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        let url = match url {
            Some(u) => Some(
                url::Url::parse(&u)
                    .ok()
                    .filter(|p| matches!(p.scheme(), "https" | "http") && p.host_str().is_some())
                    .map(|p| p.to_string())
                    .ok_or_else(|| Error::invalid("url", "must be an absolute http(s) URL"))?,
            ),
            None => None,
        };
        match (&text, &url) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(Error::invalid(
                    "texts",
                    format!(
                        "Give the {} terms as a text or as a link, not both.",
                        language.as_str()
                    ),
                ));
            }
            (Some(body), None) if body.chars().count() > MAX_BODY => {
                return Err(Error::invalid(
                    "text",
                    "The terms have at most 20,000 characters.",
                ));
            }
            _ => {}
        }
        out.push(TermsText {
            language: language.as_str().to_string(),
            text,
            url,
        });
    }
    Ok(out)
}

/// The newest version of `tenant_id`'s terms, if it published any.
fn current_on(c: &mut AnyConnection, tenant_id: &str) -> Result<Option<Terms>> {
    match queries::terms::latest_version(c, tenant_id)? {
        Some(v) => Ok(Terms::from_rows(queries::terms::texts(c, tenant_id, v)?)),
        None => Ok(None),
    }
}

/// The terms people see on `tenant`'s pages now.
pub async fn current(svc: &Services, tenant: &Tenant) -> Result<Option<Terms>> {
    let tenant_id = tenant.id.clone();
    svc.store.read(move |c| current_on(c, &tenant_id)).await
}

/// The newest version for the admins of `tenant`.
pub async fn show(svc: &Services, actor: &Actor, tenant: &Tenant) -> Result<Option<Terms>> {
    let tenant_id = tenant.id.clone();
    svc.read_as(actor, tenant, Action::Administer, "terms", move |c, _| {
        current_on(c, &tenant_id)
    })
    .await
}

/// Publishes a new version: every guest accepts it before their next sign-in to an app.
pub async fn publish(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
    input: NewTerms,
) -> Result<Terms> {
    let texts = checked(input)?;
    let (tenant_id, actor_id, now) = (tenant.id.clone(), actor.id(), svc.now());
    svc.write_as(
        actor,
        tenant,
        Action::Administer,
        events::PUBLISH_TERMS,
        move |c, _| {
            let version = queries::terms::latest_version(c, &tenant_id)?.unwrap_or(0) + 1;
            let rows: Vec<TermsRow> = texts
                .iter()
                .map(|t| TermsRow {
                    tenant_id: tenant_id.clone(),
                    version,
                    language: t.language.clone(),
                    body: t.text.clone(),
                    url: t.url.clone(),
                    published_at: now,
                    published_by: actor_id.clone(),
                })
                .collect();
            queries::terms::insert(c, &rows)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::PUBLISH_TERMS,
                    actor: &actor_id,
                    target: &format!("terms v{version}"),
                    outcome: "success",
                    details: serde_json::json!({
                        "version": version,
                        "languages": texts.iter().map(|t| t.language.clone()).collect::<Vec<_>>(),
                    }),
                },
            )?;
            Terms::from_rows(rows).ok_or_else(|| Error::internal("a version without texts"))
        },
    )
    .await
}

/// Who accepted which version, newest first (at most 500).
pub async fn acceptances(
    svc: &Services,
    actor: &Actor,
    tenant: &Tenant,
) -> Result<Vec<AcceptanceView>> {
    let tenant_id = tenant.id.clone();
    svc.read_as(actor, tenant, Action::Administer, "terms", move |c, _| {
        let mut out = Vec::new();
        for a in queries::terms::acceptances(c, &tenant_id, 500)? {
            let (mail, display_name) = queries::users::by_id(c, &a.user_id)?
                .map(|u| (u.mail, u.display_name))
                .unwrap_or_default();
            out.push(AcceptanceView {
                user_id: a.user_id,
                mail,
                display_name,
                version: a.version,
                accepted_at: a.accepted_at,
            });
        }
        Ok(out)
    })
    .await
}

/// The version `user_id` (an object of `tenant_id`) still has to accept: the newest, when it is a guest
/// there (`guest_here`, which the caller knows from the object it holds) who has not accepted it.
/// Members are bound by their own organisation's rules, not asked here, and cost no query.
pub fn pending_on(
    c: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    guest_here: bool,
) -> Result<Option<i32>> {
    if !guest_here {
        return Ok(None);
    }
    let Some(version) = queries::terms::latest_version(c, tenant_id)? else {
        return Ok(None);
    };
    if queries::terms::accepted(c, user_id, version)? {
        return Ok(None);
    }
    Ok(Some(version))
}

/// Whether `user` is a guest of `tenant_id`.
fn guest_of(user: &crate::domain::user::User, tenant_id: &str) -> bool {
    user.tenant_id == tenant_id && user.user_type == UserType::Guest
}

/// Records that guest `user_id` of `tenant_id` accepted `version` (once), audited.
pub fn accept_on(
    c: &mut AnyConnection,
    tenant_id: &str,
    user_id: &str,
    version: i32,
    now: i64,
) -> Result<()> {
    if queries::terms::accepted(c, user_id, version)? {
        return Ok(());
    }
    queries::terms::insert_acceptance(
        c,
        &TermsAcceptanceRow {
            user_id: user_id.to_string(),
            tenant_id: tenant_id.to_string(),
            version,
            accepted_at: now,
        },
    )?;
    audit::record(
        c,
        AuditEvent {
            tenant_id,
            event_name: events::ACCEPT_TERMS,
            actor: user_id,
            target: &format!("terms v{version}"),
            outcome: "success",
            details: serde_json::json!({ "version": version }),
        },
    )
}

/// The terms the person signed in as `home` still has to accept at `tenant`.
pub async fn pending_for_person(
    svc: &Services,
    tenant: &Tenant,
    home: &crate::domain::user::User,
) -> Result<Option<Terms>> {
    let (t, home) = (tenant.clone(), home.clone());
    svc.store
        .read(move |c| {
            let Some(subject) = super::signin::subject_in_tenant(c, &t, &home)? else {
                return Ok(None);
            };
            if pending_on(c, &t.id, &subject.id, guest_of(&subject, &t.id))?.is_none() {
                return Ok(None);
            }
            current_on(c, &t.id)
        })
        .await
}

/// The signed-in person accepts `version` of `tenant`'s terms (which must still be the newest).
pub async fn accept(
    svc: &Services,
    tenant: &Tenant,
    home: &crate::domain::user::User,
    version: i32,
) -> Result<()> {
    let (t, home, now) = (tenant.clone(), home.clone(), svc.now());
    svc.store
        .write(move |c| {
            let subject =
                super::signin::subject_in_tenant(c, &t, &home)?.ok_or(Error::Unauthenticated)?;
            match pending_on(c, &t.id, &subject.id, guest_of(&subject, &t.id))? {
                Some(v) if v == version => accept_on(c, &t.id, &subject.id, version, now),
                Some(_) => Err(Error::Conflict(
                    "The terms of use changed while you read them. Read the new version.".into(),
                )),
                None => Ok(()),
            }
        })
        .await
}
