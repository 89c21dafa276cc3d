//! Self-service recovery: a person who forgot their password asks, on a tenant's pages, for a
//! single-use link by email.
//!
//! The page answers the same whether or not the address has an account, so it cannot be used to learn
//! who is registered: only the source address's request budget shows (429), and a recipient's budget
//! being spent sends nothing while answering as usual. The link is the password-reset link an admin can
//! make ([`super::users::password_reset_for`] opens it), valid one hour here; setting the password ends
//! the account's sessions and grants, its guest objects' included.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use super::throttle::{self, Limit, Subject};
use super::users::PASSWORD_RESET_PURPOSE;
use crate::crypto::{hash_secret, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::language::Language;
use crate::error::{Error, Result};
use crate::mail::account::{AccountEmail, AccountMail, render};
use crate::store::connection::AnyConnection;
use crate::store::models::{ActionTokenRow, UserRow};
use crate::store::queries;

/// How long a link from the forgotten-password page works (an admin's link works a day).
pub const RESET_LINK_TTL: i64 = 3600;

/// Asks for a password link for `email` from the pages of `tenant`, in `language` unless the account
/// prefers another. `Ok` whether or not a link was sent; `Error::Throttled` when the source address
/// asked too often.
pub async fn request_password_reset(
    svc: &Services,
    tenant: &Tenant,
    email: &str,
    language: Language,
    client_address: &str,
) -> Result<()> {
    throttle::spend(
        svc,
        Subject::new(Limit::AccountEmailRequest, &[client_address]),
    )
    .await?;
    let Ok(address) = EmailAddress::parse(email) else {
        return Ok(()); // the page says the same; there is no account to write to
    };
    let (t, now, limits) = (tenant.clone(), svc.now(), svc.config.limits.clone());
    let (from, host) = (
        crate::mail::sender(&svc.config.mail_from)?,
        crate::mail::message_id_host(&svc.config.public_url),
    );
    let token = random_token();
    let link = format!("{}/reset/{token}", tenant.issuer);
    let token_hash = hash_secret(&token);
    svc.store
        .write(move |c| {
            let Some(account) = account_reset_here(c, &t, &address.lower())? else {
                return Ok(());
            };
            // Past the recipient's budget, nothing is sent and the page answers as usual.
            let budget = Subject::new(Limit::AccountEmail, &[&account.mail_lower]);
            match throttle::spend_on(c, &limits, &budget, now) {
                Err(Error::Throttled { .. }) => return Ok(()),
                other => other?,
            }
            queries::action_tokens::void_unused_for_user(
                c,
                &account.id,
                PASSWORD_RESET_PURPOSE,
                now,
            )?;
            queries::action_tokens::insert(
                c,
                &ActionTokenRow {
                    token_hash,
                    purpose: PASSWORD_RESET_PURPOSE.into(),
                    // The link opens on this tenant's pages, in its branding.
                    tenant_id: t.id.clone(),
                    user_id: Some(account.id.clone()),
                    created_at: now,
                    expires_at: now + RESET_LINK_TTL,
                    used_at: None,
                },
            )?;
            let language = account
                .preferred_language
                .as_deref()
                .and_then(Language::from_preference)
                .unwrap_or(language);
            let rendered = render(&AccountEmail {
                kind: AccountMail::PasswordReset,
                language,
                tenant_name: &t.display_name,
                logo_url: t.settings.logo_url.as_deref(),
                primary_color: &t.settings.primary_color,
                background_color: &t.settings.background_color,
                email: &account.mail,
                link: &link,
                code: None,
                valid_minutes: RESET_LINK_TTL / 60,
            })?;
            crate::mail::outbox::enqueue(
                c,
                &from,
                &host,
                &t.id,
                "password-reset",
                &rendered.to_outgoing(&account.mail),
                now,
            )?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &t.id,
                    event_name: events::REQUEST_PASSWORD_RESET,
                    actor: &account.id,
                    target: &account.id,
                    outcome: "link sent",
                    details: serde_json::json!({ "mail": account.mail }),
                },
            )
        })
        .await
}

/// The account with a password whose address is `email_lower` and which may reset it on `tenant`'s
/// pages: a member of the tenant, or the account (in a self-service home directory, which nobody
/// administers) behind one of the tenant's enabled guests. A member of another managed tenant resets
/// on that tenant's pages, under its rules.
fn account_reset_here(
    c: &mut AnyConnection,
    tenant: &Tenant,
    email_lower: &str,
) -> Result<Option<UserRow>> {
    let Some((_, account)) = queries::users::account_by_email(c, email_lower)? else {
        return Ok(None);
    };
    if !account.enabled {
        return Ok(None);
    }
    if account.tenant_id == tenant.id {
        return Ok(Some(account));
    }
    let home_unmanaged =
        queries::tenants::by_id(c, &account.tenant_id)?.is_some_and(|h| h.unmanaged);
    let guest_here = queries::users::guests_of_home(c, &account.id)?
        .into_iter()
        .filter_map(|id| queries::users::by_id(c, &id).transpose())
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .any(|g| g.tenant_id == tenant.id && g.enabled);
    Ok((home_unmanaged && guest_here).then_some(account))
}
