//! Signing people in and out: password check, server-side sessions, and who a session is in a tenant.

use super::Services;
use super::audit::{self, AuditEvent, events};
use super::tenants::Tenant;
use super::users::{self, NewMember, UserView};
use crate::crypto::{hash_secret, random_token};
use crate::domain::email::EmailAddress;
use crate::domain::user::{CreationType, RoleSet, User, UserType};
use crate::error::{Error, Result};
use crate::observability::metrics::SignIn as SignInMetric;
use crate::store::connection::AnyConnection;
use crate::store::models::{SessionRow, UserRow};
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

/// Checks an email and password against the server's accounts (whatever their home tenant). Failures
/// are audited in `audit_tenant_id` and all look the same.
pub async fn verify_account(
    svc: &Services,
    audit_tenant_id: &str,
    email: &str,
    password: &str,
    client_ip: &str,
) -> Result<User> {
    let email_lower = EmailAddress::parse(email)
        .map(|e| e.lower())
        .unwrap_or_default();
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
        && svc.passwords.verify(password.to_string(), stored).await?;
    let disabled = ok && account.as_ref().is_some_and(|(_, home)| !home.enabled);
    if let Some((_, home)) = account.filter(|(_, home)| ok && home.enabled) {
        return Ok(home);
    }
    crate::observability::metrics::sign_in(if disabled {
        SignInMetric::Disabled
    } else {
        SignInMetric::BadCredentials
    });
    let (tenant_id, ip, target) = (
        audit_tenant_id.to_string(),
        client_ip.to_string(),
        email_lower,
    );
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
            )
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
    };
    (secret, session)
}

pub async fn sign_in(
    svc: &Services,
    tenant: &Tenant,
    email: &str,
    password: &str,
    client_ip: &str,
) -> Result<SignInOutcome> {
    let home = verify_account(svc, &tenant.id, email, password, client_ip).await?;
    let ip = client_ip.to_string();
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
    let now = svc.now();
    svc.store
        .read(move |c| {
            let Some(session) = queries::sessions::by_secret_hash(c, &hash, now)? else {
                return Ok(None);
            };
            let Some(row) = queries::users::by_id(c, &session.user_id)?.filter(|u| u.enabled)
            else {
                return Ok(None);
            };
            Ok(Some(SignedIn {
                session: Session::of(&session),
                home_user: home_of(c, row)?,
            }))
        })
        .await
}

pub async fn sign_out(svc: &Services, tenant_id: &str, signed_in: &SignedIn) -> Result<()> {
    let (tenant_id, session_id, user_id) = (
        tenant_id.to_string(),
        signed_in.session.id.clone(),
        signed_in.home_user.id.clone(),
    );
    svc.store
        .write(move |c| {
            queries::sessions::delete(c, &session_id)?;
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

/// Self-service sign-up of a member, when the tenant allows it.
pub async fn sign_up(svc: &Services, tenant: &Tenant, input: SignUp) -> Result<UserView> {
    if !tenant.self_service_signup {
        return Err(Error::Forbidden(
            "sign-up is not open in this organisation".into(),
        ));
    }
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
    let row = users::member_row(tenant, &member, svc.now())?;
    let inserted = row.clone();
    svc.store
        .write(move |c| {
            users::insert_member(
                c,
                &inserted,
                RoleSet::EMPTY,
                Some(&hash),
                email.as_str(),
                events::SELF_SERVICE_SIGN_UP,
            )
        })
        .await
        .map_err(|e| match e {
            // Do not say whether the address has an account; say what to do instead.
            Error::Conflict(_) => Error::invalid("email", "This email cannot be used to create an account here. If you already have one, sign in."),
            other => other,
        })?;
    Ok(UserView::of(row.into_user(RoleSet::EMPTY)))
}
