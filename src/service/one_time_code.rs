//! Email one-time codes: a guest whose address no identity provider serves proves it with an 8-digit
//! code instead of making yet another password. Their home identity is the address itself (`idp` =
//! `mail`, an `altsecid` stable for the address), kept like an upstream identity in a directory of its
//! own, so redemption, tokens and the account page treat them as any other guest.
//!
//! A code is asked for on a redemption page (the ticket names the address) or on a tenant's sign-in
//! page (identifier first: the person types their address). It is stored as the hash of the page's
//! challenge handle and the code, works once for ten minutes, and five wrong tries use it up; wrong
//! tries also count against the sign-in limits of the address and the source, as wrong passwords do.
//! The sign-in page answers alike whether or not the address may use codes there, so it tells nobody
//! who is a guest.

use super::Services;
use super::address_proof::take_over_unverified;
use super::audit::{self, AuditEvent, events};
use super::federation::round_trip::upstream_directory;
use super::invitations::events as invitation_events;
use super::redemption::OpenInvitation;
use super::signin::{self, Origin};
use super::tenants::Tenant;
use super::throttle::{self, Limit, Subject};
use super::users::{NewMember, insert_member, member_row};
use crate::crypto::{constant_time_eq, hash_secret, is_random_token, random_digits, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::language::Language;
use crate::domain::one_time_code::{
    CodePurpose, DIGITS, MAIL_ISSUER, MAX_TRIES, TTL_SECONDS, normalise,
};
use crate::domain::user::{CreationType, ExternalUserState, RoleSet, User};
use crate::error::{Error, Result};
use crate::mail::account::{AccountEmail, AccountMail, render};
use crate::store::connection::AnyConnection;
use crate::store::models::{OneTimeCodeRow, UpstreamIdentityRow};
use crate::store::queries;

/// The name of the directory that holds the people who sign in with codes.
const DIRECTORY_NAME: &str = "Email one-time passcode";

pub const NOT_OFFERED: &str = "Codes by email are not offered for this address here.";
pub const NO_LONGER_WORKS: &str =
    "This code no longer works: it expired, was used, or was tried too often. Ask for a new one.";

fn wrong(tries_left: i32) -> Error {
    Error::invalid(
        "code",
        format!("That code is not right. {tries_left} tries left."),
    )
}

fn no_longer_works() -> Error {
    Error::invalid("code", NO_LONGER_WORKS)
}

/// What the page that asked for a code holds: the handle the code is bound to, never the code.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub handle: String,
}

/// Whether `tenant` offers codes to `email` on its redemption pages: its policy allows codes and none
/// of the identity providers it offers serves the address (they sign those people in instead).
pub async fn offered(svc: &Services, tenant: &Tenant, email: &str) -> bool {
    if !tenant.settings.email_one_time_passcode {
        return false;
    }
    match super::federation::offered(svc, tenant).await {
        Ok(providers) => !providers.iter().any(|p| p.serves(email)),
        Err(_) => false,
    }
}

/// Emails a code for redeeming `open` (or signing in again through its link) to the invited address.
/// Refused when the tenant does not offer codes for it, when the address has an account with a password
/// here (it signs in with that), or past the request and recipient budgets (429).
pub async fn send_for_redemption(
    svc: &Services,
    open: &OpenInvitation,
    client_address: &str,
) -> Result<Challenge> {
    let email = EmailAddress::parse(&open.invitation.email)?;
    if !offered(svc, &open.tenant, email.as_str()).await {
        return Err(Error::Forbidden(NOT_OFFERED.into()));
    }
    open.tenant
        .settings
        .domain_list
        .check(email.domain())
        .map_err(|e| Error::Forbidden(e.message))?;
    throttle::spend(
        svc,
        Subject::new(Limit::AccountEmailRequest, &[client_address]),
    )
    .await?;
    let purpose = CodePurpose::Redeem(open.invitation.id.clone());
    let language = open.invitation.language;
    let outgoing = Outgoing::prepare(svc, &open.tenant, email, purpose, language)?;
    let challenge = Challenge {
        handle: outgoing.handle.clone(),
    };
    let limits = svc.config.limits.clone();
    svc.store
        .write(move |c| {
            let lower = outgoing.email.lower();
            if queries::federation::identity(c, MAIL_ISSUER, &lower)?.is_none()
                && let Some((_, account)) = queries::users::account_by_email(c, &lower)?
                && !super::verification::unproven(&account)
            {
                return Err(Error::Conflict(
                    "An account with this email exists already: sign in instead.".into(),
                ));
            }
            let budget = Subject::new(Limit::AccountEmail, &[&lower]);
            throttle::spend_on(c, &limits, &budget, outgoing.now)?;
            outgoing.store_and_send(c, true)
        })
        .await?;
    Ok(challenge)
}

/// Emails a code for signing in at `tenant` when `email` belongs to one of its guests who sign in with
/// codes. The answer is the same challenge either way (a code that was never sent just never matches),
/// and a recipient past its budget silently gets nothing; only the source's request budget shows (429).
pub async fn send_for_sign_in(
    svc: &Services,
    tenant: &Tenant,
    email: &str,
    language: Language,
    client_address: &str,
) -> Result<Challenge> {
    let email = EmailAddress::parse(email)?;
    // Whether codes are offered for the address's domain here is the tenant's configuration, not a
    // fact about the person, so saying so tells nothing about who is a guest.
    if !offered(svc, tenant, email.as_str()).await {
        return Err(Error::Forbidden(NOT_OFFERED.into()));
    }
    throttle::spend(
        svc,
        Subject::new(Limit::AccountEmailRequest, &[client_address]),
    )
    .await?;
    let outgoing = Outgoing::prepare(svc, tenant, email, CodePurpose::SignIn, language)?;
    let challenge = Challenge {
        handle: outgoing.handle.clone(),
    };
    let (limits, tenant_id) = (svc.config.limits.clone(), tenant.id.clone());
    svc.store
        .write(move |c| {
            let lower = outgoing.email.lower();
            let eligible = code_guest(c, &tenant_id, &lower)?.is_some();
            let budget = Subject::new(Limit::AccountEmail, &[&lower]);
            let send = eligible
                && match throttle::spend_on(c, &limits, &budget, outgoing.now) {
                    Err(Error::Throttled { .. }) => false,
                    other => other.map(|_| true)?,
                };
            outgoing.store_and_send(c, send)
        })
        .await?;
    Ok(challenge)
}

/// The enabled home user who signs in with codes as `email_lower` and is an accepted, enabled guest of
/// `tenant_id`.
fn code_guest(c: &mut AnyConnection, tenant_id: &str, email_lower: &str) -> Result<Option<User>> {
    let Some(identity) = queries::federation::identity(c, MAIL_ISSUER, email_lower)? else {
        return Ok(None);
    };
    let Some(home) = queries::users::user(c, &identity.user_id)?.filter(|u| u.enabled) else {
        return Ok(None);
    };
    let guest_here = queries::users::guest_for_home(c, tenant_id, &home.id)?.is_some_and(|g| {
        g.enabled && g.external_user_state.as_deref() == Some(ExternalUserState::Accepted.as_str())
    });
    Ok(guest_here.then_some(home))
}

/// A code about to be stored and, when allowed, emailed.
struct Outgoing {
    handle: String,
    row: OneTimeCodeRow,
    email: EmailAddress,
    tenant: Tenant,
    mail: crate::mail::OutgoingEmail,
    from: lettre::message::Mailbox,
    host: String,
    now: i64,
}

impl Outgoing {
    fn prepare(
        svc: &Services,
        tenant: &Tenant,
        email: EmailAddress,
        purpose: CodePurpose,
        language: Language,
    ) -> Result<Outgoing> {
        let (handle, code, now) = (random_token(), random_digits(DIGITS), svc.now());
        let rendered = render(&AccountEmail {
            kind: AccountMail::OneTimeCode,
            language,
            tenant_name: &tenant.display_name,
            logo_url: tenant.settings.logo_url.as_deref(),
            primary_color: &tenant.settings.primary_color,
            background_color: &tenant.settings.background_color,
            email: email.as_str(),
            link: "",
            code: Some(&code),
            valid_minutes: TTL_SECONDS / 60,
        })?;
        Ok(Outgoing {
            row: OneTimeCodeRow {
                id: hash_secret(&handle),
                tenant_id: tenant.id.clone(),
                email_lower: email.lower(),
                code_hash: code_hash(&handle, &code),
                purpose: purpose.stored(),
                attempts: 0,
                created_at: now,
                expires_at: now + TTL_SECONDS,
                used_at: None,
            },
            mail: rendered.to_outgoing(email.as_str()),
            handle,
            email,
            tenant: tenant.clone(),
            from: crate::mail::sender(&svc.config.mail_from)?,
            host: crate::mail::message_id_host(&svc.config.public_url),
            now,
        })
    }

    /// When `send`: stores the code (replacing the address's earlier ones of the same purpose here) and
    /// queues its email with the audit event. Otherwise stores a challenge no code matches and leaves
    /// the address's real codes alone, so asking for someone else's address costs them nothing.
    fn store_and_send(mut self, c: &mut AnyConnection, send: bool) -> Result<()> {
        let lower = self.email.lower();
        if !send {
            self.row.code_hash = hash_secret(&random_token());
            return queries::one_time_codes::insert(c, &self.row);
        }
        queries::one_time_codes::void_unused(
            c,
            &self.tenant.id,
            &lower,
            &self.row.purpose,
            self.now,
        )?;
        queries::one_time_codes::insert(c, &self.row)?;
        crate::mail::outbox::enqueue(
            c,
            &self.from,
            &self.host,
            &self.tenant.id,
            "one-time-code",
            &self.mail,
            self.now,
        )?;
        audit::record(
            c,
            AuditEvent {
                tenant_id: &self.tenant.id,
                event_name: events::SEND_ONE_TIME_CODE,
                actor: &lower,
                target: &lower,
                outcome: "code sent",
                details: serde_json::json!({ "mail": self.email.as_str(), "purpose": self.row.purpose }),
            },
        )
    }
}

/// The stored form of a code: bound to its challenge handle, so the table alone gives no code away.
fn code_hash(handle: &str, code: &str) -> String {
    hash_secret(&format!("{handle}:{code}"))
}

/// Checks `code` against the challenge `handle` for `purpose` at `tenant`: the address it proves. A
/// wrong code counts one try (and one sign-in failure of the address and the source); an unknown handle
/// counts against the source's one-time-link limit.
async fn check(
    svc: &Services,
    tenant: &Tenant,
    purpose: &CodePurpose,
    handle: &str,
    code: &str,
    origin: &Origin,
) -> Result<EmailAddress> {
    let id = hash_secret(handle);
    let now = svc.now();
    let lookup = async {
        if !is_random_token(handle) {
            return Err(Error::NotFound("code".into()));
        }
        let id = id.clone();
        svc.store
            .read(move |c| queries::one_time_codes::by_id(c, &id))
            .await?
            .ok_or_else(|| Error::NotFound("code".into()))
    };
    let row = throttle::one_time_link(svc, &origin.address, lookup)
        .await
        .map_err(|e| match e {
            Error::NotFound(_) => no_longer_works(),
            other => other,
        })?;
    if row.tenant_id != tenant.id
        || CodePurpose::parse(&row.purpose).as_ref() != Some(purpose)
        || row.used_at.is_some()
        || row.expires_at <= now
    {
        return Err(no_longer_works());
    }
    let subjects = signin::attempt_subjects(svc, &row.email_lower, origin);
    let standing = throttle::check(svc, &subjects).await?;
    let email = EmailAddress::parse(&row.email_lower)?;
    // The try is counted before the code is compared, atomically: parallel guesses cannot share one.
    let taken = {
        let id = id.clone();
        svc.store
            .write(move |c| queries::one_time_codes::take_try(c, &id, MAX_TRIES, now))
            .await?
    };
    let Some(row) = taken else {
        return Err(no_longer_works());
    };
    let right =
        normalise(code).is_some_and(|c| constant_time_eq(&code_hash(handle, &c), &row.code_hash));
    let (limits, tenant_id, ip) = (
        svc.config.limits.clone(),
        tenant.id.clone(),
        origin.address.clone(),
    );
    if right {
        let used = svc
            .store
            .write(move |c| {
                let used = queries::one_time_codes::mark_used(c, &id, now)?;
                if used && standing.has_record {
                    throttle::clear_on(c, &subjects)?;
                }
                Ok(used)
            })
            .await?;
        return if used {
            Ok(email)
        } else {
            Err(no_longer_works())
        };
    }
    let (lower, tries) = (row.email_lower.clone(), row.attempts);
    svc.store
        .write(move |c| {
            if tries >= MAX_TRIES {
                queries::one_time_codes::mark_used(c, &id, now)?;
            }
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::SIGN_IN_FAILURE,
                    actor: &lower,
                    target: &lower,
                    outcome: "failure",
                    details: serde_json::json!({ "reason": "wrong one-time code", "ip": ip }),
                },
            )?;
            for subject in &subjects {
                throttle::fail_on(c, &limits, subject, now)?;
            }
            Ok(())
        })
        .await?;
    crate::observability::metrics::sign_in(crate::observability::metrics::SignIn::BadCredentials);
    Err(match MAX_TRIES - tries {
        left if left > 0 => wrong(left),
        _ => no_longer_works(),
    })
}

/// Checks the code of a redemption page and signs the person in as the home identity of their address:
/// the one it has, or (for an invitation not yet redeemed) a new one, which takes the address over from
/// an unverified account that claimed it. Returns the session secret; accepting comes next.
pub async fn redeem(
    svc: &Services,
    open: &OpenInvitation,
    handle: &str,
    code: &str,
    origin: &Origin,
) -> Result<String> {
    let purpose = CodePurpose::Redeem(open.invitation.id.clone());
    let email = check(svc, &open.tenant, &purpose, handle, code, origin).await?;
    super::redemption::check_address(open, email.as_str())?;
    let (tenant, may_create) = (open.tenant.clone(), !open.redeemed);
    let (public_url, now) = (svc.config.public_url.clone(), svc.now());
    let make = move |c: &mut AnyConnection| {
        if let Some(home) = known_home(c, &email.lower(), now)? {
            return Ok(home);
        }
        if !may_create {
            return Err(Error::Forbidden(
                "This invitation has been accepted by another account.".into(),
            ));
        }
        take_over_unverified(c, &tenant.id, &email.lower(), "one-time code", now)?;
        new_home(c, &email, &public_url, now)
    };
    let home = match svc.store.write(make.clone()).await {
        // Two pages of the same address made its identity at once: the other one won; use it.
        Err(Error::Conflict(_)) => svc.store.write(make).await?,
        other => other?,
    };
    session(svc, &open.tenant, &home).await
}

/// Checks the code of a tenant's sign-in page and signs its guest in. Returns the session secret.
pub async fn sign_in(
    svc: &Services,
    tenant: &Tenant,
    handle: &str,
    code: &str,
    origin: &Origin,
) -> Result<String> {
    if !tenant.settings.email_one_time_passcode {
        return Err(Error::Forbidden(NOT_OFFERED.into()));
    }
    let email = check(svc, tenant, &CodePurpose::SignIn, handle, code, origin).await?;
    let (tenant_id, now) = (tenant.id.clone(), svc.now());
    let home = svc
        .store
        .write(move |c| {
            let home = code_guest(c, &tenant_id, &email.lower())?.ok_or_else(no_longer_works)?;
            queries::federation::touch_identity(c, &home.id, email.as_str(), now)?;
            Ok(home)
        })
        .await?;
    session(svc, tenant, &home).await
}

/// The home user of the address's code identity, when it has one (refused when disabled).
fn known_home(c: &mut AnyConnection, email_lower: &str, now: i64) -> Result<Option<User>> {
    let Some(identity) = queries::federation::identity(c, MAIL_ISSUER, email_lower)? else {
        return Ok(None);
    };
    let Some(user) = queries::users::user(c, &identity.user_id)? else {
        return Ok(None);
    };
    if !user.enabled {
        return Err(Error::Forbidden("This account is disabled.".into()));
    }
    queries::federation::touch_identity(c, &user.id, &identity.email, now)?;
    Ok(Some(user))
}

/// A new home user for `email` in the directory of code identities, without a password.
fn new_home(
    c: &mut AnyConnection,
    email: &EmailAddress,
    public_url: &str,
    now: i64,
) -> Result<User> {
    let directory = upstream_directory(c, MAIL_ISSUER, DIRECTORY_NAME, public_url, now)?;
    let member = NewMember {
        email: email.as_str().into(),
        display_name: email.as_str().into(),
        password: None,
        roles: RoleSet::EMPTY,
        creation_type: Some(CreationType::Invitation),
        email_verified: true,
        profile: Default::default(),
    };
    let row = member_row(&directory, &member, now)?;
    insert_member(
        c,
        &row,
        RoleSet::EMPTY,
        None,
        MAIL_ISSUER,
        invitation_events::VIRAL_USER,
    )?;
    queries::federation::insert_identity(
        c,
        &UpstreamIdentityRow {
            user_id: row.id.clone(),
            issuer: MAIL_ISSUER.into(),
            subject: email.lower(),
            provider_id: MAIL_ISSUER.into(),
            email: email.as_str().into(),
            created_at: now,
            last_sign_in_at: now,
        },
    )?;
    Ok(row.into_user(RoleSet::EMPTY))
}

/// A session for `home` authenticated by a one-time code (`amr` `otp`), audited at `tenant`.
async fn session(svc: &Services, tenant: &Tenant, home: &User) -> Result<String> {
    let (secret, mut session) = signin::new_session(svc, home);
    session.amr = "otp".into();
    let (tid, uid, mail) = (tenant.id.clone(), home.id.clone(), home.mail.clone());
    svc.store
        .write(move |c| {
            queries::sessions::insert(c, &session)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tid,
                    event_name: events::SIGN_IN_SUCCESS,
                    actor: &uid,
                    target: &uid,
                    outcome: "success",
                    details: serde_json::json!({ "method": "one-time code", "mail": mail }),
                },
            )
        })
        .await?;
    crate::observability::metrics::sign_in(crate::observability::metrics::SignIn::Success);
    Ok(secret)
}
