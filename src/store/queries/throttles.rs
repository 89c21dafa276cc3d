//! The stored state of throttled subjects. Every change is a compare-and-set on `version`, so two
//! processes recording failures for one subject at once both count.

use crate::domain::throttle::ThrottleState;
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::models::ThrottleRow;
use crate::store::schema::throttles::dsl as t;
use diesel::prelude::*;

/// How often a lost race is retried before the change gives up (a subject hammered by many processes
/// at once); the caller then answers as if throttled, never lets the attempt through uncounted.
const ATTEMPTS: usize = 8;

fn state_of(row: &ThrottleRow) -> ThrottleState {
    ThrottleState {
        count: row.count,
        first_at: row.first_at,
        last_at: row.last_at,
        blocked_until: row.blocked_until,
        level: row.level,
    }
}

pub fn get(c: &mut AnyConnection, scope: &str, subject: &str) -> Result<Option<ThrottleState>> {
    Ok(t::throttles
        .filter(t::scope.eq(scope).and(t::subject.eq(subject)))
        .select(ThrottleRow::as_select())
        .first(c)
        .optional()?
        .as_ref()
        .map(state_of))
}

/// Applies `change` to the subject's state (the default state when it has none) and stores the result;
/// returns it.
pub fn update(
    c: &mut AnyConnection,
    scope: &str,
    subject: &str,
    change: impl Fn(ThrottleState) -> ThrottleState,
) -> Result<ThrottleState> {
    for _ in 0..ATTEMPTS {
        let row = t::throttles
            .filter(t::scope.eq(scope).and(t::subject.eq(subject)))
            .select(ThrottleRow::as_select())
            .first(c)
            .optional()?;
        match row {
            Some(row) => {
                let next = change(state_of(&row));
                let changed = diesel::update(
                    t::throttles.filter(
                        t::scope
                            .eq(scope)
                            .and(t::subject.eq(subject))
                            .and(t::version.eq(row.version)),
                    ),
                )
                .set((
                    t::count.eq(next.count),
                    t::first_at.eq(next.first_at),
                    t::last_at.eq(next.last_at),
                    t::blocked_until.eq(next.blocked_until),
                    t::level.eq(next.level),
                    t::version.eq(row.version + 1),
                ))
                .execute(c)?;
                if changed == 1 {
                    return Ok(next);
                }
            }
            None => {
                let next = change(ThrottleState::default());
                let row = ThrottleRow {
                    scope: scope.to_string(),
                    subject: subject.to_string(),
                    count: next.count,
                    first_at: next.first_at,
                    last_at: next.last_at,
                    blocked_until: next.blocked_until,
                    level: next.level,
                    version: 0,
                };
                // In a savepoint: when another process inserted first, only this insert is undone and
                // the loop updates that row instead.
                let inserted = c.transaction(|c| {
                    diesel::insert_into(t::throttles)
                        .values(&row)
                        .execute(c)
                        .map_err(Error::from)
                });
                if inserted.is_ok() {
                    return Ok(next);
                }
            }
        }
    }
    Err(Error::Unavailable(format!(
        "too many concurrent changes to one throttle ({scope})"
    )))
}

/// Forgets a subject (a success ends its failures).
pub fn clear(c: &mut AnyConnection, scope: &str, subject: &str) -> Result<()> {
    diesel::delete(t::throttles.filter(t::scope.eq(scope).and(t::subject.eq(subject))))
        .execute(c)?;
    Ok(())
}

/// Removes subjects nobody has failed or acted as for `older_than` seconds and that wait for nothing.
pub fn purge(c: &mut AnyConnection, now: i64, older_than: i64) -> Result<usize> {
    Ok(diesel::delete(
        t::throttles.filter(
            t::last_at
                .lt(now - older_than)
                .and(t::blocked_until.lt(now)),
        ),
    )
    .execute(c)?)
}
