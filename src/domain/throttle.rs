//! Slowing down guessing without locking anyone out for good (OWASP: progressive delays), and hourly
//! budgets for actions that cost others something (sign-ups, invitations, parked sign-in requests).
//!
//! Both are pure rules over one stored [`ThrottleState`] per subject (an account and address, a client,
//! an address …); the store keeps the state in the database so that every process behind one
//! PostgreSQL sees the same counts.

/// What is remembered of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThrottleState {
    /// Failures (or budgeted events) counted since `first_at`.
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
    /// No attempt is heard before this time (unix seconds); 0 when none is blocked.
    pub blocked_until: i64,
    /// How many delays were imposed since the subject was last forgotten: the next one is
    /// `base_delay × 2^level`.
    pub level: i64,
}

/// Failures allowed within `window` seconds before attempts must wait; the wait starts at
/// `base_delay` and doubles with each further failure, up to `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    pub limit: i64,
    pub window: i64,
    pub base_delay: i64,
    pub max_delay: i64,
}

/// At most `limit` events within `period` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub limit: i64,
    pub period: i64,
}

/// Seconds until the subject may try again, when it must wait.
pub fn wait(state: &ThrottleState, now: i64) -> Option<i64> {
    (state.blocked_until > now).then(|| state.blocked_until - now)
}

impl FailurePolicy {
    /// The state as the rules see it at `now`: failures older than the window are forgotten until a
    /// delay was imposed; after that, only a whole quiet window after the last delay ended forgets them,
    /// so that waiting out one delay does not buy five fresh guesses.
    fn current(&self, state: ThrottleState, now: i64) -> ThrottleState {
        let forgotten = if state.level == 0 {
            now - state.first_at >= self.window
        } else {
            now >= state.blocked_until + self.window
        };
        if state.count == 0 || forgotten {
            ThrottleState {
                first_at: now,
                ..ThrottleState::default()
            }
        } else {
            state
        }
    }

    /// The state after one more failure at `now`, and the delay this failure imposed (if it did).
    pub fn after_failure(&self, state: ThrottleState, now: i64) -> (ThrottleState, Option<i64>) {
        let mut s = self.current(state, now);
        s.count += 1;
        s.last_at = now;
        if s.count < self.limit.max(1) {
            return (s, None);
        }
        let delay = self
            .base_delay
            .max(1)
            .saturating_mul(1_i64 << s.level.clamp(0, 30))
            .min(self.max_delay.max(self.base_delay.max(1)));
        s.blocked_until = now + delay;
        s.level += 1;
        (s, Some(delay))
    }
}

impl Budget {
    /// Seconds until one more event fits the budget, when it does not now.
    pub fn wait(&self, state: &ThrottleState, now: i64) -> Option<i64> {
        let ends = state.first_at + self.period;
        (state.count >= self.limit && ends > now).then(|| ends - now)
    }

    /// The state after one more event at `now`.
    pub fn after_event(&self, state: ThrottleState, now: i64) -> ThrottleState {
        let mut s = self.current(state, now);
        s.count += 1;
        s.last_at = now;
        if s.count >= self.limit {
            s.blocked_until = s.first_at + self.period;
        }
        s
    }

    /// Takes up to `wanted` events of the budget at once (a CSV file's rows): the state after, and how
    /// many were granted. What was granted and not used goes back with [`Budget::release`].
    pub fn reserve(&self, state: ThrottleState, wanted: i64, now: i64) -> (ThrottleState, i64) {
        let mut s = self.current(state, now);
        let granted = wanted.clamp(0, (self.limit - s.count).max(0));
        s.count += granted;
        s.last_at = now;
        if s.count >= self.limit {
            s.blocked_until = s.first_at + self.period;
        }
        (s, granted)
    }

    /// Gives back `unused` events reserved at `reserved_at`. Nothing goes back once the period they
    /// were counted in has ended: that count is already forgotten.
    pub fn release(
        &self,
        state: ThrottleState,
        unused: i64,
        reserved_at: i64,
        now: i64,
    ) -> ThrottleState {
        let same_period = now - state.first_at < self.period && reserved_at >= state.first_at;
        if !same_period || unused <= 0 {
            return state;
        }
        let mut s = state;
        s.count = (s.count - unused).max(0);
        if s.count < self.limit {
            s.blocked_until = 0;
        }
        s
    }

    /// The state as the budget sees it at `now`: a period that ended is forgotten.
    fn current(&self, state: ThrottleState, now: i64) -> ThrottleState {
        if state.count == 0 || now - state.first_at >= self.period {
            ThrottleState {
                first_at: now,
                ..ThrottleState::default()
            }
        } else {
            state
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGN_IN: FailurePolicy = FailurePolicy {
        limit: 5,
        window: 900,
        base_delay: 30,
        max_delay: 900,
    };

    fn fail_times(policy: &FailurePolicy, times: &[i64]) -> (ThrottleState, Vec<Option<i64>>) {
        let mut s = ThrottleState::default();
        let mut delays = Vec::new();
        for t in times {
            let (next, d) = policy.after_failure(s, *t);
            s = next;
            delays.push(d);
        }
        (s, delays)
    }

    #[test]
    fn the_fifth_failure_within_the_window_imposes_thirty_seconds() {
        let (s, delays) = fail_times(&SIGN_IN, &[0, 1, 2, 3]);
        assert_eq!(delays, [None, None, None, None]);
        assert_eq!(wait(&s, 4), None);
        let (s, delay) = SIGN_IN.after_failure(s, 4);
        assert_eq!(delay, Some(30));
        assert_eq!(wait(&s, 4), Some(30));
        assert_eq!(wait(&s, 33), Some(1));
        assert_eq!(wait(&s, 34), None);
    }

    #[test]
    fn each_failure_after_a_delay_doubles_it_up_to_the_maximum() {
        let mut s = fail_times(&SIGN_IN, &[0, 0, 0, 0]).0;
        let mut now = 0;
        let mut delays = Vec::new();
        for _ in 0..8 {
            let (next, d) = SIGN_IN.after_failure(s, now);
            s = next;
            let d = d.expect("every failure past the limit waits");
            delays.push(d);
            now += d;
        }
        assert_eq!(delays, [30, 60, 120, 240, 480, 900, 900, 900]);
    }

    #[test]
    fn failures_spread_wider_than_the_window_never_wait() {
        let (s, delays) = fail_times(&SIGN_IN, &[0, 300, 600, 901, 1200, 1500, 1802]);
        assert!(delays.iter().all(Option::is_none), "{delays:?}");
        assert!(s.count < 5);
    }

    #[test]
    fn waiting_out_a_delay_does_not_forget_the_failures() {
        let (s, _) = fail_times(&SIGN_IN, &[0, 0, 0, 0, 0]);
        // Blocked until 30; the next failure right after waits twice as long.
        let (_, d) = SIGN_IN.after_failure(s, 31);
        assert_eq!(d, Some(60));
        // A whole quiet window after the delay ended forgets everything.
        let (s2, d2) = SIGN_IN.after_failure(s, 30 + 900);
        assert_eq!(d2, None);
        assert_eq!(s2.count, 1);
        assert_eq!(s2.level, 0);
    }

    #[test]
    fn budgets_refuse_past_the_limit_until_the_period_ends() {
        let budget = Budget {
            limit: 3,
            period: 3600,
        };
        let mut s = ThrottleState::default();
        for t in [10, 20] {
            s = budget.after_event(s, t);
            assert_eq!(budget.wait(&s, t), None);
        }
        s = budget.after_event(s, 30);
        assert_eq!(budget.wait(&s, 30), Some(3580));
        assert_eq!(budget.wait(&s, 3609), Some(1));
        assert_eq!(budget.wait(&s, 3610), None);
        let s = budget.after_event(s, 3610);
        assert_eq!((s.count, s.first_at), (1, 3610));
    }

    #[test]
    fn a_reservation_grants_what_is_left_and_gives_back_what_was_not_used() {
        let budget = Budget {
            limit: 10,
            period: 3600,
        };
        let s = budget.after_event(ThrottleState::default(), 100);
        let (s, granted) = budget.reserve(s, 25, 200);
        assert_eq!((granted, s.count), (9, 10));
        assert_eq!(budget.wait(&s, 200), Some(3500), "the budget is spent");
        // Four of the nine were not used (the addresses already had accounts).
        let s = budget.release(s, 4, 200, 300);
        assert_eq!(s.count, 6);
        assert_eq!(budget.wait(&s, 300), None);
        let (s, granted) = budget.reserve(s, 3, 300);
        assert_eq!((granted, s.count), (3, 9));
        // Nothing is granted past the limit, and nothing negative is taken.
        let (full, granted) = budget.reserve(s, 5, 301);
        assert_eq!((granted, full.count), (1, 10));
        assert_eq!(budget.reserve(full, 5, 302).1, 0);
        assert_eq!(
            budget.reserve(full, -3, 302),
            (
                ThrottleState {
                    last_at: 302,
                    ..full
                },
                0
            )
        );
    }

    #[test]
    fn a_release_after_the_period_ended_changes_nothing() {
        let budget = Budget {
            limit: 10,
            period: 3600,
        };
        let (s, _) = budget.reserve(ThrottleState::default(), 8, 100);
        // The period ended and a new one began with other events: the old reservation is not
        // taken out of the new count.
        let later = budget.after_event(s, 3800);
        assert_eq!(budget.release(later, 8, 100, 3801), later);
        assert_eq!(budget.release(s, 8, 100, 3700), s);
        assert_eq!(budget.release(s, 0, 100, 200), s);
        assert_eq!(budget.release(s, 99, 100, 200).count, 0);
    }
}
