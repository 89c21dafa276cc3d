use crate::domain::user::{Role, RoleSet, User};
use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{CredentialRow, UserRoleRow, UserRow};
use crate::store::schema::credentials::dsl as cr;
use crate::store::schema::user_roles::dsl as r;
use crate::store::schema::users::dsl as u;
use diesel::prelude::*;

pub fn insert(c: &mut AnyConnection, row: &UserRow) -> Result<()> {
    diesel::insert_into(u::users).values(row).execute(c)?;
    Ok(())
}

pub fn update(c: &mut AnyConnection, row: &UserRow) -> Result<()> {
    diesel::update(u::users.find(&row.id)).set(row).execute(c)?;
    Ok(())
}

pub fn by_id(c: &mut AnyConnection, id: &str) -> Result<Option<UserRow>> {
    Ok(u::users
        .find(id)
        .select(UserRow::as_select())
        .first(c)
        .optional()?)
}

pub fn by_tenant_and_mail(
    c: &mut AnyConnection,
    tenant_id: &str,
    mail_lower: &str,
) -> Result<Option<UserRow>> {
    Ok(u::users
        .filter(u::tenant_id.eq(tenant_id).and(u::mail_lower.eq(mail_lower)))
        .select(UserRow::as_select())
        .first(c)
        .optional()?)
}

/// The guest object in `tenant_id` bound to the home user object `home_user_id`, if any.
pub fn guest_for_home(
    c: &mut AnyConnection,
    tenant_id: &str,
    home_user_id: &str,
) -> Result<Option<UserRow>> {
    Ok(u::users
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::home_user_id.eq(home_user_id)),
        )
        .select(UserRow::as_select())
        .first(c)
        .optional()?)
}

/// Users of the tenant holding `role`, enabled or not.
pub fn count_with_role(c: &mut AnyConnection, tenant_id: &str, role: Role) -> Result<i64> {
    Ok(r::user_roles
        .inner_join(u::users.on(u::id.eq(r::user_id)))
        .filter(u::tenant_id.eq(tenant_id).and(r::role.eq(role.as_str())))
        .count()
        .get_result(c)?)
}

/// Enabled users holding `role`: the ones who can still act on it.
pub fn count_enabled_with_role(c: &mut AnyConnection, tenant_id: &str, role: Role) -> Result<i64> {
    Ok(r::user_roles
        .inner_join(u::users.on(u::id.eq(r::user_id)))
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::enabled.eq(true))
                .and(r::role.eq(role.as_str())),
        )
        .count()
        .get_result(c)?)
}

/// The roles a user object holds (names the code does not know are ignored rather than trusted).
pub fn roles_of(c: &mut AnyConnection, user_id: &str) -> Result<RoleSet> {
    let names: Vec<String> = r::user_roles
        .filter(r::user_id.eq(user_id))
        .select(r::role)
        .load(c)?;
    Ok(names.iter().filter_map(|n| Role::parse(n).ok()).collect())
}

/// The roles of several user objects at once (a page of a list), by user id.
pub fn roles_of_many(
    c: &mut AnyConnection,
    user_ids: &[String],
) -> Result<std::collections::HashMap<String, RoleSet>> {
    let rows: Vec<UserRoleRow> = r::user_roles
        .filter(r::user_id.eq_any(user_ids))
        .select(UserRoleRow::as_select())
        .load(c)?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        if let Ok(role) = Role::parse(&row.role) {
            let set: &mut RoleSet = out.entry(row.user_id).or_default();
            *set = set.with(role);
        }
    }
    Ok(out)
}

/// Replaces the roles of a user object with `roles`.
pub fn set_roles(c: &mut AnyConnection, user_id: &str, roles: RoleSet) -> Result<()> {
    diesel::delete(r::user_roles.filter(r::user_id.eq(user_id))).execute(c)?;
    for role in roles.iter() {
        diesel::insert_into(r::user_roles)
            .values(&UserRoleRow {
                user_id: user_id.to_string(),
                role: role.as_str().to_string(),
            })
            .execute(c)?;
    }
    Ok(())
}

/// The user object `id` as the domain sees it, roles included.
pub fn user(c: &mut AnyConnection, id: &str) -> Result<Option<User>> {
    match by_id(c, id)? {
        Some(row) => {
            let roles = roles_of(c, &row.id)?;
            Ok(Some(row.into_user(roles)))
        }
        None => Ok(None),
    }
}

pub fn touch_sign_in(c: &mut AnyConnection, id: &str, at: i64) -> Result<()> {
    diesel::update(u::users.find(id))
        .set(u::last_sign_in_at.eq(Some(at)))
        .execute(c)?;
    Ok(())
}

/// [`touch_sign_in`] unless the last sign-in is after `since` (so busy users cost no write).
pub fn touch_sign_in_since(c: &mut AnyConnection, id: &str, at: i64, since: i64) -> Result<()> {
    diesel::update(
        u::users.filter(
            u::id.eq(id).and(
                u::last_sign_in_at
                    .is_null()
                    .or(u::last_sign_in_at.lt(since)),
            ),
        ),
    )
    .set(u::last_sign_in_at.eq(Some(at)))
    .execute(c)?;
    Ok(())
}

pub fn insert_credential(c: &mut AnyConnection, row: &CredentialRow) -> Result<()> {
    diesel::insert_into(cr::credentials)
        .values(row)
        .execute(c)?;
    Ok(())
}

pub fn set_password(c: &mut AnyConnection, user_id: &str, hash: &str, at: i64) -> Result<()> {
    diesel::update(cr::credentials.find(user_id))
        .set((cr::password_hash.eq(hash), cr::updated_at.eq(at)))
        .execute(c)?;
    Ok(())
}

/// Replaces the password hash `old` with `new` (the same password, today's parameters), unless the
/// password changed meanwhile. True when it was replaced.
pub fn replace_password_hash(
    c: &mut AnyConnection,
    user_id: &str,
    old: &str,
    new: &str,
) -> Result<bool> {
    let n = diesel::update(
        cr::credentials
            .filter(cr::user_id.eq(user_id))
            .filter(cr::password_hash.eq(old)),
    )
    .set(cr::password_hash.eq(new))
    .execute(c)?;
    Ok(n == 1)
}

/// The account (credential and its home member object) for an email, server-wide.
pub fn account_by_email(
    c: &mut AnyConnection,
    email_lower: &str,
) -> Result<Option<(CredentialRow, UserRow)>> {
    Ok(cr::credentials
        .inner_join(u::users.on(u::id.eq(cr::user_id)))
        .filter(cr::email_lower.eq(email_lower))
        .select((CredentialRow::as_select(), UserRow::as_select()))
        .first(c)
        .optional()?)
}

/// Filters of the admin user list.
#[derive(Debug, Clone, Default)]
pub struct UserListFilter {
    pub user_type: Option<String>,
    pub external_user_state: Option<String>,
    /// Matched as a prefix of the address, the display name or the UPN (any case).
    pub search: Option<String>,
    /// Keyset cursor: the (mail_lower, id) of the last row of the previous page.
    pub after: Option<(String, String)>,
}

/// One page of a tenant's users in address order, keyset-paged so page 2,000 costs what page 1 does.
pub fn list(
    c: &mut AnyConnection,
    tenant_id: &str,
    filter: &UserListFilter,
    limit: i64,
) -> Result<Vec<UserRow>> {
    let mut q = u::users
        .filter(u::tenant_id.eq(tenant_id))
        .select(UserRow::as_select())
        .into_boxed();
    if let Some(t) = &filter.user_type {
        q = q.filter(u::user_type.eq(t.clone()));
    }
    if let Some(s) = &filter.external_user_state {
        q = q.filter(u::external_user_state.eq(s.clone()));
    }
    if let Some(term) = filter.search.as_deref().filter(|t| !t.is_empty()) {
        let term = term.to_lowercase();
        let prefix = format!("{}%", like_escape(&term));
        let end = prefix_end(&term);
        // Each alternative is a range on one index (tenant, column) — what keeps a search as cheap at
        // a million users as at a thousand — and LIKE keeps it exact whatever the collation.
        q = q.filter(
            (u::mail_lower
                .ge(term.clone())
                .and(u::mail_lower.lt(end.clone()))
                .and(u::mail_lower.like(prefix.clone()).escape('\\')))
            .or(lower(u::display_name)
                .ge(term.clone())
                .and(lower(u::display_name).lt(end.clone()))
                .and(lower(u::display_name).like(prefix.clone()).escape('\\')))
            .or(lower(u::user_principal_name)
                .ge(term)
                .and(lower(u::user_principal_name).lt(end))
                .and(lower(u::user_principal_name).like(prefix).escape('\\'))),
        );
    }
    if let Some((mail, id)) = &filter.after {
        // `mail_lower >= X` first, so the planner starts a range scan of the index there instead of
        // reading the tenant's users from the top.
        q = q
            .filter(u::mail_lower.ge(mail.clone()))
            .filter(u::mail_lower.gt(mail.clone()).or(u::id.gt(id.clone())));
    }
    Ok(q.order((u::mail_lower.asc(), u::id.asc()))
        .limit(limit)
        .load(c)?)
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on SQLite and PostgreSQL (PostgreSQL's `LIKE` is case-sensitive).
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The least string greater than every string that starts with `term`: `term` with its last
/// character moved one up (a term ending in the last character gets the end of everything).
fn prefix_end(term: &str) -> String {
    let mut chars: Vec<char> = term.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value, stepping over the surrogate gap.
        if let Some(next) = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    char::MAX.to_string()
}

/// `%`, `_` and `\` stand for themselves in a search term.
fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for ch in term.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

pub fn delete(c: &mut AnyConnection, id: &str) -> Result<()> {
    diesel::delete(r::user_roles.filter(r::user_id.eq(id))).execute(c)?;
    diesel::delete(u::users.find(id)).execute(c)?;
    Ok(())
}

/// Removes a user's password (its account can no longer sign in with one).
pub fn delete_credential(c: &mut AnyConnection, user_id: &str) -> Result<()> {
    diesel::delete(cr::credentials.find(user_id)).execute(c)?;
    Ok(())
}

pub fn has_credential(c: &mut AnyConnection, user_id: &str) -> Result<bool> {
    Ok(cr::credentials.find(user_id).count().get_result::<i64>(c)? > 0)
}

/// The guest objects bound to a home account, in every tenant.
pub fn guests_of_home(c: &mut AnyConnection, home_user_id: &str) -> Result<Vec<String>> {
    Ok(u::users
        .filter(u::home_user_id.eq(home_user_id))
        .select(u::id)
        .load(c)?)
}

/// Trust in a user object ended (its password was reset, it was disabled or deleted): its sessions end,
/// and the grants of the object and of every guest object bound to it are revoked, so no refresh or
/// access token issued before outlives the change.
pub fn end_trust(c: &mut AnyConnection, user_id: &str, now: i64) -> Result<()> {
    super::sessions::delete_all(c, user_id, now)?;
    revoke_every_grant(c, user_id, now)
}

/// [`end_trust`], except that the session `keep` stays (a person who changed their own password stays
/// signed in where they did it); how many sessions ended.
pub fn end_trust_keeping(
    c: &mut AnyConnection,
    user_id: &str,
    keep: &str,
    now: i64,
) -> Result<usize> {
    let ended = super::sessions::delete_others(c, user_id, keep, now)?;
    revoke_every_grant(c, user_id, now)?;
    Ok(ended)
}

/// Revokes the grants of the object and of every guest object bound to it.
fn revoke_every_grant(c: &mut AnyConnection, user_id: &str, now: i64) -> Result<()> {
    let mut objects = guests_of_home(c, user_id)?;
    objects.push(user_id.to_string());
    super::oauth::revoke_grants_of(c, &objects, now)?;
    Ok(())
}

/// Below this many rows in PostgreSQL's statistics, the users table is treated as not yet described.
const DESCRIBED_ROWS: f32 = 1000.0;

/// Has PostgreSQL describe the users table again (`ANALYZE`) when its statistics still show it
/// small. Until then every index that starts with `tenant_id` costs the same to the planner, so a plan
/// prepared on a new database may look an address up by scanning the tenant; a bulk import grows the
/// table faster than autovacuum's once-a-minute look notices. The new statistics also make every
/// connection prepare its plans again. SQLite picks the unique index without statistics.
pub fn describe_when_small(c: &mut AnyConnection) -> Result<()> {
    let AnyConnection::Postgres(pg) = c else {
        return Ok(());
    };
    #[derive(diesel::QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::Float)]
        reltuples: f32,
    }
    let size: Size =
        diesel::sql_query("SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass")
            .get_result(pg)?;
    if size.reltuples < DESCRIBED_ROWS {
        diesel::sql_query("ANALYZE users").execute(pg)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::prefix_end;

    #[test]
    fn the_end_of_a_prefix_range_follows_every_string_that_starts_with_it() {
        assert_eq!(prefix_end("person 9"), "person :");
        assert_eq!(prefix_end("kim"), "kin");
        assert_eq!(prefix_end("김"), "깁");
        // Past the surrogate gap, and past the last character.
        assert_eq!(prefix_end("a\u{d7ff}"), "a\u{e000}");
        assert_eq!(prefix_end("a\u{10ffff}"), "b");
        for s in [
            "person 9",
            "person 99",
            "person 9\u{10ffff}",
            "kim@x",
            "김민준",
        ] {
            for prefix in ["person 9", "kim", "김"] {
                if s.starts_with(prefix) {
                    assert!(
                        s >= prefix && s < prefix_end(prefix).as_str(),
                        "{s} {prefix}"
                    );
                }
            }
        }
    }
}
