//! Guest lifecycle rules: how long a guest keeps access, when an idle guest is disabled, when sponsors
//! are asked to review their guests, and when a disabled guest is deleted. The tenant's policy is stored
//! in its settings JSON; the jobs in `service::lifecycle` apply these rules with the time they are given.

use super::DomainError;
use super::calendar::parse_date;

const DAY: i64 = 86_400;

/// The longest period any lifecycle setting may name: ten years.
pub const MAX_DAYS: i64 = 3_650;

/// A tenant's lifecycle policy. Every rule is off until an admin sets it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct GuestLifecycle {
    /// Guests not signed in for this many days are disabled.
    pub inactive_after_days: Option<i64>,
    /// A guest the lifecycle disabled (end date, inactivity, review) is deleted this many days later.
    pub delete_after_days: Option<i64>,
    /// Every this many days, each sponsor gets an email listing their guests to keep or remove.
    pub review_every_days: Option<i64>,
    /// How long sponsors have to answer a review.
    pub review_respond_days: i64,
    /// Whether guests nobody kept by the deadline are disabled.
    pub disable_unreviewed: bool,
}

impl Default for GuestLifecycle {
    fn default() -> Self {
        GuestLifecycle {
            inactive_after_days: None,
            delete_after_days: None,
            review_every_days: None,
            review_respond_days: 14,
            disable_unreviewed: false,
        }
    }
}

/// Checks a number of days a setting names: `min..=MAX_DAYS`.
pub fn check_days(field: &'static str, days: i64, min: i64) -> Result<i64, DomainError> {
    if (min..=MAX_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(DomainError::new(
            field,
            format!("Enter a number of days from {min} to {MAX_DAYS}."),
        ))
    }
}

impl GuestLifecycle {
    /// The policy with every value in range, as a form or the API must give it.
    pub fn checked(self) -> Result<GuestLifecycle, DomainError> {
        let optional =
            |field, days: Option<i64>, min| days.map(|d| check_days(field, d, min)).transpose();
        Ok(GuestLifecycle {
            inactive_after_days: optional("guestInactiveAfterDays", self.inactive_after_days, 1)?,
            delete_after_days: optional("guestDeleteAfterDays", self.delete_after_days, 0)?,
            review_every_days: optional("guestReviewEveryDays", self.review_every_days, 1)?,
            review_respond_days: check_days("guestReviewRespondDays", self.review_respond_days, 1)?,
            disable_unreviewed: self.disable_unreviewed,
        })
    }

    /// Whether a guest last active at `last_active` is idle at `now` under this policy.
    pub fn is_inactive(&self, last_active: i64, now: i64) -> bool {
        self.inactive_after_days
            .is_some_and(|days| last_active + days * DAY <= now)
    }

    /// Signed in or vouched for before this time means idle at `now` (when the rule is on).
    pub fn idle_before(&self, now: i64) -> Option<i64> {
        self.inactive_after_days.map(|days| now - days * DAY)
    }

    /// Disabled by the lifecycle before this time means due for deletion at `now` (when the rule is on).
    pub fn delete_disabled_before(&self, now: i64) -> Option<i64> {
        self.delete_after_days.map(|days| now - days * DAY + 1)
    }

    /// Whether a new review round is due at `now`, given when the last one started.
    pub fn review_due(&self, last_started: Option<i64>, now: i64) -> bool {
        match (self.review_every_days, last_started) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(days), Some(at)) => at + days * DAY <= now,
        }
    }

    /// The deadline of a round started at `now`.
    pub fn review_deadline(&self, now: i64) -> i64 {
        now + self.review_respond_days * DAY
    }
}

/// When a guest was last active: the latest of their last sign-in, their creation and the last time
/// someone vouched for them (an admin enabling them again, a sponsor keeping them).
pub fn last_active(last_sign_in: Option<i64>, created_at: i64, vouched_at: Option<i64>) -> i64 {
    created_at
        .max(last_sign_in.unwrap_or(i64::MIN))
        .max(vouched_at.unwrap_or(i64::MIN))
}

/// Why the lifecycle disabled a guest (stored, and named in the audit log and webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledReason {
    AccessEnded,
    Inactive,
    Unreviewed,
    RemovedBySponsor,
}

impl DisabledReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DisabledReason::AccessEnded => "access_ended",
            DisabledReason::Inactive => "inactive",
            DisabledReason::Unreviewed => "unreviewed",
            DisabledReason::RemovedBySponsor => "removed_by_sponsor",
        }
    }
}

/// A sponsor's answer to a review link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDecision {
    Keep,
    Remove,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Keep => "keep",
            ReviewDecision::Remove => "remove",
        }
    }

    pub fn parse(raw: &str) -> Result<ReviewDecision, DomainError> {
        match raw.trim() {
            "keep" => Ok(ReviewDecision::Keep),
            "remove" => Ok(ReviewDecision::Remove),
            _ => Err(DomainError::new("decision", "Choose Keep or Remove.")),
        }
    }
}

/// The stored decision of a link whose guest another sponsor decided on first.
pub const ANSWERED_BY_ANOTHER: &str = "answered";

/// The end of a guest's access `days` after `now` (an invitation's `--access-days`).
pub fn access_end_after(days: i64, now: i64) -> Result<i64, DomainError> {
    Ok(now + check_days("accessDays", days, 1)? * DAY)
}

/// The end of a guest's access on a `YYYY-MM-DD` date (00:00 UTC that day): the CSV column
/// `AccessExpiresOn` and the user field `accessExpiresOn`. The date must be after `now`.
pub fn access_end_on(field: &'static str, raw: &str, now: i64) -> Result<i64, DomainError> {
    let at = parse_date(raw).ok_or_else(|| {
        DomainError::new(field, format!("{raw:?} is not a date such as 2027-03-31."))
    })?;
    access_end_at(field, at, now)
}

/// An end of access at the Unix time `at`: after `now`, and within ten years of it.
pub fn access_end_at(field: &'static str, at: i64, now: i64) -> Result<i64, DomainError> {
    if at <= now {
        return Err(DomainError::new(field, "The date must be in the future."));
    }
    if at > now + MAX_DAYS * DAY {
        return Err(DomainError::new(
            field,
            "The date must be within ten years.",
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_428_800; // 2026-12-05T00:00:00Z

    #[test]
    fn every_rule_is_off_by_default() {
        let p = GuestLifecycle::default();
        assert!(!p.is_inactive(0, NOW));
        assert!(!p.review_due(None, NOW));
        assert_eq!(p.delete_disabled_before(NOW), None);
        assert_eq!(p.idle_before(NOW), None);
        let stored: GuestLifecycle = serde_json::from_str("{}").unwrap();
        assert_eq!(stored, p);
    }

    #[test]
    fn inactivity_counts_whole_days_from_the_last_activity() {
        let p = GuestLifecycle {
            inactive_after_days: Some(30),
            ..Default::default()
        };
        assert!(!p.is_inactive(NOW - 30 * DAY + 1, NOW));
        assert!(p.is_inactive(NOW - 30 * DAY, NOW));
        assert_eq!(p.idle_before(NOW), Some(NOW - 30 * DAY));
        assert_eq!(last_active(None, 10, None), 10);
        assert_eq!(last_active(Some(50), 10, Some(40)), 50);
        assert_eq!(last_active(Some(20), 10, Some(40)), 40);
    }

    #[test]
    fn reviews_come_round_on_their_interval() {
        let p = GuestLifecycle {
            review_every_days: Some(90),
            review_respond_days: 14,
            ..Default::default()
        };
        assert!(p.review_due(None, NOW));
        assert!(!p.review_due(Some(NOW - 89 * DAY), NOW));
        assert!(p.review_due(Some(NOW - 90 * DAY), NOW));
        assert_eq!(p.review_deadline(NOW), NOW + 14 * DAY);
    }

    #[test]
    fn deletion_waits_out_the_grace_period() {
        let p = GuestLifecycle {
            delete_after_days: Some(7),
            ..Default::default()
        };
        let before = p.delete_disabled_before(NOW).unwrap();
        assert!(NOW - 7 * DAY < before && NOW - 7 * DAY + 1 == before);
        let immediate = GuestLifecycle {
            delete_after_days: Some(0),
            ..Default::default()
        };
        assert!(NOW < immediate.delete_disabled_before(NOW).unwrap());
    }

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        let bad = GuestLifecycle {
            inactive_after_days: Some(0),
            ..Default::default()
        };
        assert_eq!(bad.checked().unwrap_err().field, "guestInactiveAfterDays");
        let bad = GuestLifecycle {
            review_respond_days: 0,
            ..Default::default()
        };
        assert_eq!(bad.checked().unwrap_err().field, "guestReviewRespondDays");
        let bad = GuestLifecycle {
            delete_after_days: Some(MAX_DAYS + 1),
            ..Default::default()
        };
        assert_eq!(bad.checked().unwrap_err().field, "guestDeleteAfterDays");
        let fine = GuestLifecycle {
            delete_after_days: Some(0),
            inactive_after_days: Some(90),
            review_every_days: Some(180),
            review_respond_days: 30,
            disable_unreviewed: true,
        };
        assert_eq!(fine.clone().checked().unwrap(), fine);
    }

    #[test]
    fn access_ends_after_days_or_on_a_future_date() {
        assert_eq!(access_end_after(90, NOW).unwrap(), NOW + 90 * DAY);
        assert!(access_end_after(0, NOW).is_err());
        assert!(access_end_after(MAX_DAYS + 1, NOW).is_err());
        assert_eq!(
            access_end_on("AccessExpiresOn", "2026-12-06", NOW).unwrap(),
            NOW + DAY
        );
        for bad in [
            "2026-12-05",
            "2020-01-01",
            "2026-02-30",
            "next week",
            "2040-01-01",
        ] {
            let e = access_end_on("AccessExpiresOn", bad, NOW).unwrap_err();
            assert_eq!(e.field, "AccessExpiresOn", "{bad}");
        }
    }

    #[test]
    fn decisions_parse_from_their_stored_names() {
        for d in [ReviewDecision::Keep, ReviewDecision::Remove] {
            assert_eq!(ReviewDecision::parse(d.as_str()).unwrap(), d);
        }
        assert!(ReviewDecision::parse("answered").is_err());
        assert!(ReviewDecision::parse("").is_err());
    }
}
