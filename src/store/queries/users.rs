use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::{CredentialRow, UserRow};
use crate::store::schema::credentials::dsl as cr;
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

pub fn count_with_role(c: &mut AnyConnection, tenant_id: &str, role: &str) -> Result<i64> {
    Ok(u::users
        .filter(
            u::tenant_id
                .eq(tenant_id)
                .and(u::roles.like(format!("%{role}%"))),
        )
        .count()
        .get_result(c)?)
}

pub fn touch_sign_in(c: &mut AnyConnection, id: &str, at: i64) -> Result<()> {
    diesel::update(u::users.find(id))
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
