//! Verified addresses for self-service sign-up: signing up proves nothing about the address, so the new
//! account gets a single-use link by email and cannot sign in until it is followed. The sign-in page
//! says so (only after the right password) and offers to send the link again; asking for it answers the
//! same whatever the address, and each recipient and source has an hourly budget. Until verified, the
//! account never keeps the address's owner out ([`super::address_proof`]).

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use super::throttle::{self, Limit, Subject};
use crate::crypto::{hash_secret, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::language::Language;
use crate::domain::user::{CreationType, User};
use crate::error::{Error, Result};
use crate::mail::account::{AccountEmail, AccountMail, render};
use crate::store::connection::AnyConnection;
use crate::store::models::{ActionTokenRow, UserRow};
use crate::store::queries;

pub const VERIFY_EMAIL_PURPOSE: &str = "verify-email";
/// How long a verification link works.
pub const VERIFY_LINK_TTL: i64 = 24 * 3600;

/// What the sign-in page says to an account that signed up and has not followed its link yet.
pub const NOT_VERIFIED: &str = "Confirm your email address first: follow the link we emailed when you signed up, or ask for a new one.";

/// Whether `user` made itself by signing up and has not proven its address: it may not sign in.
pub fn awaits_verification(user: &User) -> bool {
    user.creation_type == Some(CreationType::SelfServiceSignUp) && !user.email_verified
}

/// Whether the account `row` made itself by signing up and never proved its address.
pub fn unproven(row: &UserRow) -> bool {
    row.creation_type.as_deref() == Some(CreationType::SelfServiceSignUp.as_str())
        && !row.email_verified
}

fn row_awaits_verification(row: &UserRow) -> bool {
    unproven(row) && row.enabled
}

/// A verification link being sent: what the write needs, prepared outside it.
pub(super) struct LinkMail {
    token_hash: String,
    link: String,
    tenant: Tenant,
    language: Language,
    from: lettre::message::Mailbox,
    host: String,
}

impl LinkMail {
    pub(super) fn prepare(svc: &Services, tenant: &Tenant, language: Language) -> Result<LinkMail> {
        let token = random_token();
        Ok(LinkMail {
            token_hash: hash_secret(&token),
            link: format!("{}/verify/{token}", tenant.issuer),
            tenant: tenant.clone(),
            language,
            from: crate::mail::sender(&svc.config.mail_from)?,
            host: crate::mail::message_id_host(&svc.config.public_url),
        })
    }

    /// Stores the link for `account` (replacing its earlier ones) and queues its email.
    pub(super) fn send_on(self, c: &mut AnyConnection, account: &UserRow, now: i64) -> Result<()> {
        queries::action_tokens::void_unused_for_user(c, &account.id, VERIFY_EMAIL_PURPOSE, now)?;
        queries::action_tokens::insert(
            c,
            &ActionTokenRow {
                token_hash: self.token_hash,
                purpose: VERIFY_EMAIL_PURPOSE.into(),
                tenant_id: self.tenant.id.clone(),
                user_id: Some(account.id.clone()),
                created_at: now,
                expires_at: now + VERIFY_LINK_TTL,
                used_at: None,
            },
        )?;
        let t = &self.tenant;
        let rendered = render(&AccountEmail {
            kind: AccountMail::VerifyEmail,
            language: self.language,
            tenant_name: &t.display_name,
            logo_url: t.settings.logo_url.as_deref(),
            primary_color: &t.settings.primary_color,
            background_color: &t.settings.background_color,
            email: &account.mail,
            link: &self.link,
            code: None,
            valid_minutes: VERIFY_LINK_TTL / 60,
        })?;
        crate::mail::outbox::enqueue(
            c,
            &self.from,
            &self.host,
            &t.id,
            "verify-email",
            &rendered.to_outgoing(&account.mail),
            now,
        )?;
        Ok(())
    }
}

/// "Send the link again" for `email` at `tenant`. `Ok` whether or not a link went out; only the source's
/// request budget shows (429).
pub async fn resend(
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
        return Ok(());
    };
    let mail = LinkMail::prepare(svc, tenant, language)?;
    let (tenant_id, limits, now) = (tenant.id.clone(), svc.config.limits.clone(), svc.now());
    svc.store
        .write(move |c| {
            let Some(account) =
                queries::users::by_tenant_and_mail(c, &tenant_id, &address.lower())?
                    .filter(row_awaits_verification)
            else {
                return Ok(());
            };
            let budget = Subject::new(Limit::AccountEmail, &[&account.mail_lower]);
            match throttle::spend_on(c, &limits, &budget, now) {
                Err(Error::Throttled { .. }) => return Ok(()),
                other => other?,
            }
            mail.send_on(c, &account, now)
        })
        .await
}

fn not_valid() -> Error {
    Error::NotFound("verification link".into())
}

/// The account a usable verification link of `tenant` is for: its address. Opened from
/// `client_address`; an unusable link counts against that address's limit of unknown links.
pub async fn link_for(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    client_address: &str,
) -> Result<String> {
    let (hash, now, tenant_id) = (hash_secret(token), svc.now(), tenant.id.clone());
    let lookup = svc.store.read(move |c| {
        Ok(usable(c, &hash, &tenant_id, now)?
            .ok_or_else(not_valid)?
            .mail)
    });
    throttle::one_time_link(svc, client_address, lookup).await
}

fn usable(c: &mut AnyConnection, hash: &str, tenant_id: &str, now: i64) -> Result<Option<UserRow>> {
    let Some(t) = queries::action_tokens::usable(c, hash, VERIFY_EMAIL_PURPOSE, now)?
        .filter(|t| t.tenant_id == tenant_id)
    else {
        return Ok(None);
    };
    Ok(match &t.user_id {
        Some(id) => queries::users::by_id(c, id)?.filter(row_awaits_verification),
        None => None,
    })
}

/// Follows a verification link (once) with the account's password: the account's address is verified,
/// audited. Returns it. The password is asked because the link reaches the address's owner, who may not
/// be the person who signed up with it: confirming someone else's account must not be one click.
pub async fn confirm(
    svc: &Services,
    tenant: &Tenant,
    token: &str,
    password: &str,
    client_address: &str,
) -> Result<String> {
    let mail = link_for(svc, tenant, token, client_address).await?;
    let lower = EmailAddress::parse(&mail)?.lower();
    let stored = svc
        .store
        .read(move |c| {
            Ok(queries::users::account_by_email(c, &lower)?.map(|(cred, _)| cred.password_hash))
        })
        .await?;
    let right = !password.is_empty()
        && password.len() <= 1024
        && svc
            .passwords
            .verify_from(client_address, password.to_string(), stored)
            .await?;
    if !right {
        return Err(Error::invalid(
            "password",
            "That is not the password chosen at sign-up. If you did not sign up, ignore the email.",
        ));
    }
    let (hash, now, tenant_id) = (hash_secret(token), svc.now(), tenant.id.clone());
    svc.store
        .write(move |c| {
            let mut account = usable(c, &hash, &tenant_id, now)?.ok_or_else(not_valid)?;
            if !queries::action_tokens::mark_used(c, &hash, now)? {
                return Err(not_valid());
            }
            account.email_verified = true;
            account.updated_at = now;
            queries::users::update(c, &account)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::VERIFY_EMAIL,
                    actor: &account.id,
                    target: &account.id,
                    outcome: "success",
                    details: serde_json::json!({ "mail": account.mail }),
                },
            )?;
            Ok(account.mail)
        })
        .await
}
