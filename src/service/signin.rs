//! Signing people in and out: password check, server-side sessions, and who a session is in a tenant.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use super::throttle::{self, Limit, Subject};
use super::users::{self, NewMember, UserView};
use crate::crypto::{hash_secret, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::language::Language;
use crate::domain::user::{CreationType, RoleSet, User, UserType};
use crate::error::{Error, Result};
use crate::observability::metrics::SignIn as SignInMetric;
use crate::store::connection::AnyConnection;
use crate::store::models::{CredentialRow, SessionRow, UserRow};
use crate::store::queries;

/// The one message for an unknown email and a wrong password, so neither reveals which accounts exist.
pub const BAD_CREDENTIALS: &str = "The email or password is not right.";

/// A browser session as the rest of the code sees it (its secret is only in the cookie).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    /// The home member object the session authenticated.
    pub user_id: String,
    pub auth_time: i64,
    /// Authentication methods, space-separated (`pwd`).
    pub amr: String,
    pub expires_at: i64,
}

impl Session {
    fn of(row: &SessionRow) -> Session {
        Session {
            id: row.id.clone(),
            user_id: row.user_id.clone(),
            auth_time: row.auth_time,
            amr: row.amr.clone(),
            expires_at: row.expires_at,
        }
    }
}

/// A signed-in browser: the session and the home member object it authenticated.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub home_user: User,
}

/// What came of a sign-in attempt at a tenant.
pub enum SignInOutcome {
    /// The person is in: the cookie gets `secret`.
    Success {
        secret: String,
        signed_in: Box<SignedIn>,
    },
    /// The password was right but the person has no (enabled) user object in this tenant.
    NoAccess,
}

/// The user object that stands for `home` in `tenant`: the member object itself at home, or an
/// accepted, enabled guest object bound to it elsewhere.
pub(super) fn subject_in_tenant(
    c: &mut AnyConnection,
    tenant: &Tenant,
    home: &User,
) -> Result<Option<User>> {
    if home.tenant_id == tenant.id {
        return Ok(Some(home.clone()).filter(|u| u.enabled));
    }
    let Some(guest) = queries::users::guest_for_home(c, &tenant.id, &home.id)? else {
        return Ok(None);
    };
    let roles = queries::users::roles_of(c, &guest.id)?;
    Ok(Some(guest.into_user(roles))
        .filter(|g| g.user_type == UserType::Guest && g.may_hold_tokens()))
}

/// The home user object of an account, with its roles.
fn home_of(c: &mut AnyConnection, row: UserRow) -> Result<User> {
    let roles = queries::users::roles_of(c, &row.id)?;
    Ok(row.into_user(roles))
}

/// Where a password attempt comes from: the client's address and the device cookie it carries (the
/// value of a [`device_token`] an earlier sign-in on this browser got).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub address: String,
    pub device: Option<String>,
}

/// The `typ` and audience of device tokens, so that no other token of ours passes for one.
const DEVICE_TYP: &str = "device+jwt";
const DEVICE_AUDIENCE: &str = "guestlist-device";
/// How long a device is remembered after it last signed in.
pub const DEVICE_TTL: i64 = 180 * 24 * 3600;

/// A signed note that this browser signed in as `email_lower` (OWASP device cookies): it names the
/// account only by a hash, and carries a nonce its failures are counted under.
pub fn device_token(svc: &Services, email_lower: &str) -> Result<String> {
    let now = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(svc.now() as u64);
    let mut payload = josekit::jwt::JwtPayload::new();
    payload.set_issuer(&svc.config.public_url);
    payload.set_audience(vec![DEVICE_AUDIENCE]);
    payload.set_subject(hash_secret(email_lower));
    payload.set_jwt_id(random_token());
    payload.set_issued_at(&now);
    payload.set_expires_at(&(now + std::time::Duration::from_secs(DEVICE_TTL as u64)));
    svc.keys
        .sign(crate::keys::SigningAlg::RS256, &payload, DEVICE_TYP)
}

/// The nonce of a device token that is ours, unexpired, and for `email_lower`.
fn device_nonce(svc: &Services, token: &str, email_lower: &str) -> Option<String> {
    if token.len() > 4096 || email_lower.is_empty() {
        return None;
    }
    let (payload, header) = svc.keys.verify(token).ok()?;
    let now = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(svc.now() as u64);
    let fits = header.token_type() == Some(DEVICE_TYP)
        && payload.issuer() == Some(svc.config.public_url.as_str())
        && payload
            .audience()
            .is_some_and(|a| a.contains(&DEVICE_AUDIENCE))
        && payload.subject() == Some(hash_secret(email_lower).as_str())
        && payload.expires_at().is_some_and(|e| e > now);
    fits.then(|| payload.jwt_id().map(str::to_string))?
}

/// What a password attempt counts against: on a device that signed in as this account before, the
/// device alone (failures from elsewhere never hold it back); otherwise the account at this address
/// and the address as a whole.
pub(super) fn attempt_subjects(svc: &Services, email_lower: &str, origin: &Origin) -> Vec<Subject> {
    let device = origin
        .device
        .as_deref()
        .and_then(|d| device_nonce(svc, d, email_lower));
    match device {
        Some(nonce) => vec![Subject::new(Limit::SignInDevice, &[email_lower, &nonce])],
        None => vec![
            Subject::new(Limit::SignInAccount, &[email_lower, &origin.address]),
            Subject::new(Limit::SignInAddress, &[&origin.address]),
        ],
    }
}

/// Stores a hash of `password` made with today's parameters in place of `cred`'s older one. The
/// sign-in does not depend on it: a failure is logged and the old hash keeps verifying.
async fn rehash(svc: &Services, cred: CredentialRow, password: &str) {
    let replaced = match svc.passwords.hash(password.to_string()).await {
        Ok(new) => {
            svc.store
                .write(move |c| {
                    queries::users::replace_password_hash(
                        c,
                        &cred.user_id,
                        &cred.password_hash,
                        &new,
                    )
                })
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = replaced {
        tracing::warn!(error = %e, "could not store the password with today's parameters");
    }
}

/// Checks an email and password against the server's accounts (whatever their home tenant). Failures
/// are audited in `audit_tenant_id` and all look the same. Past the abuse limits the attempt is refused
/// (`Error::Throttled`) before any password is hashed.
pub async fn verify_account(
    svc: &Services,
    audit_tenant_id: &str,
    email: &str,
    password: &str,
    origin: &Origin,
) -> Result<User> {
    let email_lower = EmailAddress::parse(email)
        .map(|e| e.lower())
        .unwrap_or_default();
    let subjects = attempt_subjects(svc, &email_lower, origin);
    let standing = throttle::check(svc, &subjects).await?;
    let lookup = email_lower.clone();
    let account = if lookup.is_empty() {
        None
    } else {
        svc.store
            .read(
                move |c| match queries::users::account_by_email(c, &lookup)? {
                    Some((cred, row)) => Ok(Some((cred, home_of(c, row)?))),
                    None => Ok(None),
                },
            )
            .await?
    };
    let stored = account.as_ref().map(|(cred, _)| cred.password_hash.clone());
    let ok = !password.is_empty()
        && password.len() <= 1024
        && svc
            .passwords
            .verify_from(&origin.address, password.to_string(), stored)
            .await?;
    let disabled = ok && account.as_ref().is_some_and(|(_, home)| !home.enabled);
    if let Some((cred, home)) = account.filter(|(_, home)| ok && home.enabled) {
        if crate::crypto::password::needs_rehash(&cred.password_hash) {
            rehash(svc, cred, password).await;
        }
        if standing.has_record {
            svc.store
                .write(move |c| throttle::clear_on(c, &subjects))
                .await?;
        }
        // The right password, but the address was never proven: said only now, so it tells nothing
        // to someone who does not know the password.
        if super::verification::awaits_verification(&home) {
            return Err(Error::Forbidden(super::verification::NOT_VERIFIED.into()));
        }
        return Ok(home);
    }
    crate::observability::metrics::sign_in(if disabled {
        SignInMetric::Disabled
    } else {
        SignInMetric::BadCredentials
    });
    let (tenant_id, ip, target) = (
        audit_tenant_id.to_string(),
        origin.address.clone(),
        email_lower,
    );
    let (limits, now) = (svc.config.limits.clone(), svc.now());
    svc.store
        .write(move |c| {
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::SIGN_IN_FAILURE,
                    actor: &target,
                    target: &target,
                    outcome: "failure",
                    details: serde_json::json!({ "reason": "bad credentials", "ip": ip }),
                },
            )?;
            for subject in &subjects {
                if let Some(delay) = throttle::fail_on(c, &limits, subject, now)? {
                    audit::record(
                        c,
                        AuditEvent {
                            tenant_id: &tenant_id,
                            event_name: events::SIGN_IN_THROTTLED,
                            actor: &target,
                            target: &target,
                            outcome: "failure",
                            details: serde_json::json!({
                                "limit": subject.limit.label(), "waitSeconds": delay, "ip": ip
                            }),
                        },
                    )?;
                }
            }
            Ok(())
        })
        .await?;
    Err(Error::invalid("credentials", BAD_CREDENTIALS))
}

/// A new session for `home`, authenticated now by password; the cookie gets the returned secret.
pub(super) fn new_session(svc: &Services, home: &User) -> (String, SessionRow) {
    let now = svc.now();
    let secret = random_token();
    let session = SessionRow {
        id: uuid::Uuid::new_v4().to_string(),
        secret_hash: hash_secret(&secret),
        user_id: home.id.clone(),
        auth_time: now,
        amr: "pwd".into(),
        created_at: now,
        expires_at: now + svc.config.session_ttl,
        last_seen_at: now,
        acr: None,
        upstream_amr: None,
    };
    (secret, session)
}

pub async fn sign_in(
    svc: &Services,
    tenant: &Tenant,
    email: &str,
    password: &str,
    origin: &Origin,
) -> Result<SignInOutcome> {
    let home = verify_account(svc, &tenant.id, email, password, origin).await?;
    let ip = origin.address.clone();
    let now = svc.now();
    let (secret, session) = new_session(svc, &home);
    let tenant_c = tenant.clone();
    let (home_c, session_c) = (home.clone(), session.clone());
    let admitted = svc
        .store
        .write(move |c| {
            let subject = subject_in_tenant(c, &tenant_c, &home_c)?;
            let Some(subject) = subject else {
                audit::record(
                    c,
                    AuditEvent {
                        tenant_id: &tenant_c.id,
                        event_name: events::SIGN_IN_FAILURE,
                        actor: &home_c.id,
                        target: &EmailAddress::parse(&home_c.mail).map(|e| e.lower()).unwrap_or_default(),
                        outcome: "failure",
                        details: serde_json::json!({ "reason": "no access in this tenant", "ip": ip }),
                    },
                )?;
                return Ok(false);
            };
            queries::sessions::insert(c, &session_c)?;
            queries::users::touch_sign_in(c, &subject.id, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_c.id,
                    event_name: events::SIGN_IN_SUCCESS,
                    actor: &subject.id,
                    target: &subject.id,
                    outcome: "success",
                    details: serde_json::json!({ "userType": subject.user_type.as_str(), "ip": ip }),
                },
            )?;
            Ok(true)
        })
        .await?;
    crate::observability::metrics::sign_in(if admitted {
        SignInMetric::Success
    } else {
        SignInMetric::NoAccess
    });
    if !admitted {
        return Ok(SignInOutcome::NoAccess);
    }
    Ok(SignInOutcome::Success {
        secret,
        signed_in: Box::new(SignedIn {
            session: Session::of(&session),
            home_user: home,
        }),
    })
}

/// The live session for a cookie value, with its (still enabled) home user.
pub async fn current(svc: &Services, secret: &str) -> Result<Option<SignedIn>> {
    if secret.is_empty() || secret.len() > 128 {
        return Ok(None);
    }
    let hash = hash_secret(secret);
    let (now, idle_ttl) = (svc.now(), svc.config.session_idle_ttl);
    let found = svc
        .store
        .read(move |c| {
            let Some(session) = queries::sessions::by_secret_hash(c, &hash, now, idle_ttl)? else {
                return Ok(None);
            };
            let Some(row) = queries::users::by_id(c, &session.user_id)?.filter(|u| u.enabled)
            else {
                return Ok(None);
            };
            let last_seen_at = session.last_seen_at;
            Ok(Some((
                SignedIn {
                    session: Session::of(&session),
                    home_user: home_of(c, row)?,
                },
                last_seen_at,
            )))
        })
        .await?;
    let Some((signed_in, last_seen_at)) = found else {
        return Ok(None);
    };
    // The idle clock is kept to the minute, so a busy session costs one write a minute, not one a
    // request.
    if now - last_seen_at >= SESSION_TOUCH_INTERVAL {
        let id = signed_in.session.id.clone();
        svc.store
            .write(move |c| queries::sessions::touch(c, &id, now))
            .await?;
    }
    Ok(Some(signed_in))
}

/// How stale a session's `last_seen_at` may get before a request refreshes it.
const SESSION_TOUCH_INTERVAL: i64 = 60;

pub async fn sign_out(svc: &Services, tenant_id: &str, signed_in: &SignedIn) -> Result<()> {
    let (tenant_id, session_id, user_id, now) = (
        tenant_id.to_string(),
        signed_in.session.id.clone(),
        signed_in.home_user.id.clone(),
        svc.now(),
    );
    svc.store
        .write(move |c| {
            queries::sessions::delete(c, &session_id, now)?;
            audit::record(
                c,
                AuditEvent {
                    tenant_id: &tenant_id,
                    event_name: events::SIGN_OUT,
                    actor: &user_id,
                    target: &session_id,
                    outcome: "success",
                    details: serde_json::json!({}),
                },
            )
        })
        .await
}

pub struct SignUp {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub confirm_password: String,
}

/// Self-service sign-up of a member, when the tenant allows it; each address has an hourly budget of
/// sign-ups (spent by refused ones too, so that probing costs the same).
///
/// The account cannot sign in until its address is verified: a link goes to it (in `language`) in the
/// same transaction.
pub async fn sign_up(
    svc: &Services,
    tenant: &Tenant,
    input: SignUp,
    language: Language,
    origin: &Origin,
) -> Result<UserView> {
    if !tenant.self_service_signup {
        return Err(Error::Forbidden(
            "sign-up is not open in this organisation".into(),
        ));
    }
    throttle::spend(svc, Subject::new(Limit::SignUp, &[&origin.address])).await?;
    let hash = users::hash_new_password(svc, &input.password, &input.confirm_password).await?;
    let email = EmailAddress::parse(&input.email)?;
    let member = NewMember {
        email: input.email,
        display_name: input.display_name,
        password: None,
        roles: RoleSet::EMPTY,
        creation_type: Some(CreationType::SelfServiceSignUp),
        email_verified: false,
        profile: Default::default(),
    };
    let (now, limits) = (svc.now(), svc.config.limits.clone());
    let row = users::member_row(tenant, &member, now)?;
    let inserted = row.clone();
    let link = super::verification::LinkMail::prepare(svc, tenant, language)?;
    svc.store
        .write(move |c| {
            users::insert_member(
                c,
                &inserted,
                RoleSet::EMPTY,
                Some(&hash),
                email.as_str(),
                events::SELF_SERVICE_SIGN_UP,
            )?;
            // Past the recipient's budget (someone asked for many emails to it) the account is made
            // without a link; "send it again" works once the hour is over.
            let budget = Subject::new(Limit::AccountEmail, &[&inserted.mail_lower]);
            match throttle::spend_on(c, &limits, &budget, now) {
                Err(Error::Throttled { .. }) => Ok(()),
                Err(e) => Err(e),
                Ok(()) => link.send_on(c, &inserted, now),
            }
        })
        .await
        .map_err(|e| match e {
            // Do not say whether the address has an account; say what to do instead.
            Error::Conflict(_) => Error::invalid("email", "This email cannot be used to create an account here. If you already have one, sign in."),
            other => other,
        })?;
    Ok(UserView::of(row.into_user(RoleSet::EMPTY)))
}
