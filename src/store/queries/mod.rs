//! Queries, one file per table family. Each function takes a connection, so a service can call
//! several inside one transaction.

/// `due` and `claim` of a delivery queue: a table with `id`, `state` (`pending` while it may be sent),
/// `next_attempt_at`, and a lease (`claim`, `claimed_until`). Workers of several processes read the due
/// ids, then each takes one with a conditional update, so only one of them sends it while its lease lasts;
/// a crashed worker's rows become due again when the lease runs out.
macro_rules! leased_queue {
    ($table:ident, $row:ty) => {
        /// Ids of pending rows due now and not leased by a live claim, oldest first.
        pub fn due(
            c: &mut $crate::store::connection::AnyConnection,
            now: i64,
            limit: i64,
        ) -> $crate::error::Result<Vec<String>> {
            use $crate::store::schema::$table::dsl as q;
            Ok(q::$table
                .filter(q::state.eq(PENDING).and(q::next_attempt_at.le(now)))
                .filter(q::claimed_until.is_null().or(q::claimed_until.lt(now)))
                .order(q::next_attempt_at.asc())
                .limit(limit)
                .select(q::id)
                .load(c)?)
        }

        /// Leases one row to `claim` until `until`; returns it when this claim won.
        pub fn claim(
            c: &mut $crate::store::connection::AnyConnection,
            id: &str,
            claim: &str,
            now: i64,
            until: i64,
        ) -> $crate::error::Result<Option<$row>> {
            use $crate::store::schema::$table::dsl as q;
            let won = diesel::update(
                q::$table.filter(
                    q::id
                        .eq(id)
                        .and(q::state.eq(PENDING))
                        .and(q::next_attempt_at.le(now))
                        .and(q::claimed_until.is_null().or(q::claimed_until.lt(now))),
                ),
            )
            .set((q::claim.eq(Some(claim)), q::claimed_until.eq(Some(until))))
            .execute(c)?;
            if won == 0 {
                return Ok(None);
            }
            Ok(q::$table
                .find(id)
                .select(<$row>::as_select())
                .first(c)
                .optional()?)
        }
    };
}

pub mod action_tokens;
pub mod apps;
pub mod audit;
pub mod backchannel;
pub mod federation;
pub mod groups;
pub mod invitations;
pub mod lifecycle;
pub mod oauth;
pub mod one_time_codes;
pub mod outbox;
pub mod sessions;
pub mod tenants;
pub mod terms;
pub mod throttles;
pub mod users;
pub mod webhooks;
