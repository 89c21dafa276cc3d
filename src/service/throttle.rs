//! The abuse limits: which subject each attempt counts against, and the checks use cases run before
//! the expensive or guessable part of their work (argon2, a client secret, a one-time link).
//!
//! Failures wait progressively (`domain::throttle::FailurePolicy`); actions that cost others something
//! have hourly budgets (`domain::throttle::Budget`). The state is in the database, so every process
//! behind one PostgreSQL counts the same attempts.

use super::Services;
use crate::config::Limits;
use crate::crypto::hash_secret;
use crate::domain::throttle::{self, Budget, FailurePolicy};
use crate::error::{Error, Result};
use crate::observability::metrics;
use crate::store::connection::AnyConnection;
use crate::store::queries::throttles;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The limits, each a stored scope and a `/metrics` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Password failures for one account from one address.
    SignInAccount,
    /// Password failures from one address, whatever the account.
    SignInAddress,
    /// Password failures for one account on a device it signed in on before (OWASP device cookies):
    /// counted apart from the address, so failures from elsewhere never hold the device back.
    SignInDevice,
    /// Failed client authentication at the token endpoints, per client and address.
    ClientAuth,
    /// Unknown or spent one-time links, per address.
    OneTimeLink,
    /// Self-service sign-ups, per address per hour.
    SignUp,
    /// Invitations, per inviter per hour.
    Invitation,
    /// Parked sign-in requests, per address per window.
    Authorize,
    /// Emails sent to one address on request (reset links, verification links, codes), per hour.
    AccountEmail,
    /// Requests for such emails from one source address, per hour.
    AccountEmailRequest,
}

enum Rule {
    Failures(FailurePolicy),
    Budget(Budget),
}

impl Limit {
    pub fn label(self) -> &'static str {
        match self {
            Limit::SignInAccount => "sign_in_account",
            Limit::SignInAddress => "sign_in_address",
            Limit::SignInDevice => "sign_in_device",
            Limit::ClientAuth => "client_auth",
            Limit::OneTimeLink => "one_time_link",
            Limit::SignUp => "sign_up",
            Limit::Invitation => "invitation",
            Limit::Authorize => "authorize",
            Limit::AccountEmail => "account_email",
            Limit::AccountEmailRequest => "account_email_request",
        }
    }

    fn rule(self, l: &Limits) -> Rule {
        let failures = |limit| {
            Rule::Failures(FailurePolicy {
                limit,
                window: l.failure_window,
                base_delay: l.base_delay,
                max_delay: l.max_delay,
            })
        };
        match self {
            Limit::SignInAccount | Limit::SignInDevice => failures(l.sign_in_failures),
            Limit::SignInAddress => failures(l.address_failures),
            Limit::ClientAuth => failures(l.client_failures),
            Limit::OneTimeLink => failures(l.link_failures),
            Limit::SignUp => Rule::Budget(Budget {
                limit: l.sign_ups_per_hour,
                period: 3600,
            }),
            Limit::Invitation => Rule::Budget(Budget {
                limit: l.invitations_per_hour,
                period: 3600,
            }),
            Limit::Authorize => Rule::Budget(Budget {
                limit: l.parked_requests,
                period: l.failure_window,
            }),
            Limit::AccountEmail => Rule::Budget(Budget {
                limit: l.account_emails_per_hour,
                period: 3600,
            }),
            Limit::AccountEmailRequest => Rule::Budget(Budget {
                limit: l.account_email_requests_per_hour,
                period: 3600,
            }),
        }
    }
}

/// One subject of one limit. Its parts (an account, an address, a client …) are stored hashed, so the
/// table names nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub limit: Limit,
    key: String,
}

impl Subject {
    pub fn new(limit: Limit, parts: &[&str]) -> Subject {
        Subject {
            limit,
            key: hash_secret(&parts.join("\u{0}")),
        }
    }
}

/// What a check found: how long the caller must wait (and for which limit), and whether any subject
/// has failures on record (a success then clears them).
#[derive(Debug, Clone, Copy, Default)]
pub struct Standing {
    pub wait: Option<(i64, Limit)>,
    pub has_record: bool,
}

/// The standing of `subjects` at `now`, read in `c`, and how long each subject that must wait waits
/// (by its index in `subjects`).
fn standing_on(
    c: &mut AnyConnection,
    limits: &Limits,
    subjects: &[Subject],
    now: i64,
) -> Result<(Standing, Vec<(usize, i64)>)> {
    let mut standing = Standing::default();
    let mut waiting = Vec::new();
    for (i, s) in subjects.iter().enumerate() {
        let Some(state) = throttles::get(c, s.limit.label(), &s.key)? else {
            continue;
        };
        standing.has_record = true;
        let wait = match s.limit.rule(limits) {
            Rule::Failures(_) => throttle::wait(&state, now),
            Rule::Budget(b) => b.wait(&state, now),
        };
        if let Some(w) = wait {
            waiting.push((i, w));
            if standing.wait.is_none_or(|(longest, _)| w > longest) {
                standing.wait = Some((w, s.limit));
            }
        }
    }
    Ok((standing, waiting))
}

/// The subjects this process has seen waiting, and until when, so that an attacker who keeps trying
/// costs no database read until the wait ends. Nothing can shorten a wait once it is stored (a waiting
/// subject's attempts are refused before they can succeed and clear it), so a remembered wait is never
/// wrong, whichever process stored it.
///
/// It also keeps, for a second, the client-authentication subjects found without any record, so that
/// a client calling the token endpoint at a high rate costs one read a second instead of one per
/// request. Client secrets are 256-bit random values: the limit there guards CPU, not guessing, and a
/// failure recorded by another process meanwhile is seen a second later. A failure in this process
/// forgets the subject at once.
#[derive(Debug, Clone, Default)]
pub struct Waits {
    waiting: Arc<Mutex<HashMap<(Limit, String), i64>>>,
    clean: Arc<Mutex<HashMap<String, i64>>>,
}

/// Seconds a client-authentication subject found without a record is taken to have none.
const CLEAN_FOR: i64 = 1;

/// How many waiting subjects [`Waits`] keeps; past it, ended waits are forgotten, then all of them.
const WAITS_KEPT: usize = 100_000;

impl Waits {
    /// The longest remembered wait among `subjects` at `now`.
    fn longest(&self, subjects: &[Subject], now: i64) -> Option<(i64, Limit)> {
        let waits = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        subjects
            .iter()
            .filter_map(|s| {
                let until = *waits.get(&(s.limit, s.key.clone()))?;
                (until > now).then_some((until - now, s.limit))
            })
            .max_by_key(|(wait, _)| *wait)
    }

    fn remember(&self, subject: &Subject, until: i64, now: i64) {
        let mut waits = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if waits.len() >= WAITS_KEPT {
            waits.retain(|_, u| *u > now);
            if waits.len() >= WAITS_KEPT {
                waits.clear();
            }
        }
        waits.insert((subject.limit, subject.key.clone()), until);
    }

    /// Whether `subjects` are client-authentication subjects all found without a record lately.
    fn known_clean(&self, subjects: &[Subject], now: i64) -> bool {
        if subjects.is_empty() || subjects.iter().any(|s| s.limit != Limit::ClientAuth) {
            return false;
        }
        let clean = self.clean.lock().unwrap_or_else(PoisonError::into_inner);
        subjects
            .iter()
            .all(|s| clean.get(&s.key).is_some_and(|until| *until > now))
    }

    fn remember_clean(&self, subjects: &[Subject], now: i64) {
        let mut clean = self.clean.lock().unwrap_or_else(PoisonError::into_inner);
        if clean.len() >= WAITS_KEPT {
            clean.retain(|_, u| *u > now);
            if clean.len() >= WAITS_KEPT {
                clean.clear();
            }
        }
        for s in subjects.iter().filter(|s| s.limit == Limit::ClientAuth) {
            clean.insert(s.key.clone(), now + CLEAN_FOR);
        }
    }

    fn forget_clean(&self, subjects: &[Subject]) {
        let mut clean = self.clean.lock().unwrap_or_else(PoisonError::into_inner);
        for s in subjects {
            clean.remove(&s.key);
        }
    }
}

/// The standing of `subjects`, and a refusal (429, counted in `/metrics`) when one must wait.
pub async fn check(svc: &Services, subjects: &[Subject]) -> Result<Standing> {
    let now = svc.now();
    if let Some(wait) = svc.waits.longest(subjects, now) {
        return refuse(Standing {
            wait: Some(wait),
            has_record: true,
        });
    }
    if svc.waits.known_clean(subjects, now) {
        return Ok(Standing {
            wait: None,
            has_record: false,
        });
    }
    let (limits, list) = (svc.config.limits.clone(), subjects.to_vec());
    let (standing, waiting) = svc
        .store
        .read(move |c| standing_on(c, &limits, &list, now))
        .await?;
    for (i, wait) in waiting {
        svc.waits.remember(&subjects[i], now + wait, now);
    }
    if !standing.has_record {
        svc.waits.remember_clean(subjects, now);
    }
    refuse(standing)
}

fn refuse(standing: Standing) -> Result<Standing> {
    match standing.wait {
        Some((retry_after, limit)) => {
            metrics::throttled(limit.label());
            Err(Error::Throttled { retry_after })
        }
        None => Ok(standing),
    }
}

/// Records one failure of `subject` in `c`: the delay it imposed, when it did.
pub fn fail_on(
    c: &mut AnyConnection,
    limits: &Limits,
    subject: &Subject,
    now: i64,
) -> Result<Option<i64>> {
    let Rule::Failures(policy) = subject.limit.rule(limits) else {
        return Ok(None);
    };
    let imposed = Cell::new(None);
    throttles::update(c, subject.limit.label(), &subject.key, |state| {
        let (next, delay) = policy.after_failure(state, now);
        imposed.set(delay);
        next
    })?;
    Ok(imposed.get())
}

/// Forgets the failures of `subjects` (the rightful person got in).
pub fn clear_on(c: &mut AnyConnection, subjects: &[Subject]) -> Result<()> {
    for s in subjects {
        throttles::clear(c, s.limit.label(), &s.key)?;
    }
    Ok(())
}

/// Spends one unit of `subject`'s budget in `c`, or refuses (429) when it is spent. Checking and
/// spending in one transaction keeps concurrent requests from all slipping under the limit.
pub fn spend_on(c: &mut AnyConnection, limits: &Limits, subject: &Subject, now: i64) -> Result<()> {
    let Rule::Budget(budget) = subject.limit.rule(limits) else {
        return Ok(());
    };
    if let Some(state) = throttles::get(c, subject.limit.label(), &subject.key)?
        && let Some(retry_after) = budget.wait(&state, now)
    {
        metrics::throttled(subject.limit.label());
        return Err(Error::Throttled { retry_after });
    }
    throttles::update(c, subject.limit.label(), &subject.key, |state| {
        budget.after_event(state, now)
    })?;
    Ok(())
}

/// Reserves up to `wanted` units of `subject`'s budget in `c` for work done in later transactions (a
/// CSV file's rows), so that those do not each lock the subject's one row. Returns how many were
/// granted and, when that is fewer than wanted, the seconds until the budget has room again.
pub fn reserve_on(
    c: &mut AnyConnection,
    limits: &Limits,
    subject: &Subject,
    wanted: i64,
    now: i64,
) -> Result<Reservation> {
    let Rule::Budget(budget) = subject.limit.rule(limits) else {
        return Ok(Reservation {
            granted: wanted,
            retry_after: 0,
        });
    };
    let granted = Cell::new(0);
    let state = throttles::update(c, subject.limit.label(), &subject.key, |state| {
        let (next, g) = budget.reserve(state, wanted, now);
        granted.set(g);
        next
    })?;
    let granted = granted.get();
    if granted < wanted {
        metrics::throttled(subject.limit.label());
    }
    Ok(Reservation {
        granted,
        retry_after: budget.wait(&state, now).unwrap_or(1),
    })
}

/// Gives back the part of a [`reserve_on`] made at `reserved_at` that was not used.
pub fn release_on(
    c: &mut AnyConnection,
    limits: &Limits,
    subject: &Subject,
    unused: i64,
    reserved_at: i64,
    now: i64,
) -> Result<()> {
    let Rule::Budget(budget) = subject.limit.rule(limits) else {
        return Ok(());
    };
    if unused > 0 {
        throttles::update(c, subject.limit.label(), &subject.key, |state| {
            budget.release(state, unused, reserved_at, now)
        })?;
    }
    Ok(())
}

/// What [`reserve_on`] granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reservation {
    pub granted: i64,
    /// Seconds until the budget has room again (for the units not granted).
    pub retry_after: i64,
}

/// [`spend_on`] in a transaction of its own.
pub async fn spend(svc: &Services, subject: Subject) -> Result<()> {
    let (limits, now) = (svc.config.limits.clone(), svc.now());
    svc.store
        .write(move |c| spend_on(c, &limits, &subject, now))
        .await
}

/// Records one failure of each of `subjects` in a transaction of its own.
pub async fn fail(svc: &Services, subjects: Vec<Subject>) -> Result<()> {
    svc.waits.forget_clean(&subjects);
    let (limits, now) = (svc.config.limits.clone(), svc.now());
    svc.store
        .write(move |c| {
            for s in &subjects {
                fail_on(c, &limits, s, now)?;
            }
            Ok(())
        })
        .await
}

/// Looks up a one-time link (setup, password reset, invitation) for a request from `address`: past the
/// limit of unknown or spent links from that address nothing is looked up (429), and a link that is
/// not found (`Error::NotFound`) counts as one failure, so links cannot be guessed by trying many.
pub async fn one_time_link<T>(
    svc: &Services,
    address: &str,
    lookup: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let subject = Subject::new(Limit::OneTimeLink, &[address]);
    check(svc, std::slice::from_ref(&subject)).await?;
    let found = lookup.await;
    if matches!(found, Err(Error::NotFound(_))) {
        fail(svc, vec![subject]).await?;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_client_subjects_are_taken_as_clean_and_only_for_a_second() {
        let waits = Waits::default();
        let client = Subject::new(Limit::ClientAuth, &["t", "app", "198.51.100.7"]);
        let account = Subject::new(
            Limit::SignInAccount,
            &["kim@contoso.example", "198.51.100.7"],
        );
        waits.remember_clean(&[client.clone(), account.clone()], 100);
        assert!(waits.known_clean(std::slice::from_ref(&client), 100));
        assert!(
            !waits.known_clean(std::slice::from_ref(&client), 100 + CLEAN_FOR),
            "read again after a second"
        );
        assert!(
            !waits.known_clean(std::slice::from_ref(&account), 100),
            "password limits always read the stored record"
        );
        assert!(!waits.known_clean(&[], 100));
        waits.forget_clean(std::slice::from_ref(&client));
        assert!(
            !waits.known_clean(std::slice::from_ref(&client), 100),
            "a failure here forgets it at once"
        );
    }
}
