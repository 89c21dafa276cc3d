//! Proving an address takes it over: an account someone made for an address by signing up (which
//! proves nothing) and never verified does not keep the address's owner out. When the owner proves the
//! address with a one-time code sent to it, that account is disabled, loses its password and its
//! sessions and grants, and both directories' audit logs say so. (An invitation link proves nothing of
//! the kind: the inviter holds it too.)

use super::audit::{self, AuditEvent, events};
use crate::error::{Error, Result};
use crate::store::connection::AnyConnection;
use crate::store::queries;

/// What stands in the way of a new account for `email_lower`: nothing, or an unverified self-made
/// account (taken over now, audited in `proving_tenant_id` and in its own directory, `proof` saying
/// how), or a real account (`Conflict`: the person signs in with it).
pub fn take_over_unverified(
    c: &mut AnyConnection,
    proving_tenant_id: &str,
    email_lower: &str,
    proof: &str,
    now: i64,
) -> Result<()> {
    let Some((_, mut squatter)) = queries::users::account_by_email(c, email_lower)? else {
        return Ok(());
    };
    if !super::verification::unproven(&squatter) {
        return Err(Error::Conflict(
            "An account with this email exists already: sign in instead.".into(),
        ));
    }
    squatter.enabled = false;
    squatter.updated_at = now;
    queries::users::update(c, &squatter)?;
    queries::users::delete_credential(c, &squatter.id)?;
    queries::users::end_trust(c, &squatter.id, now)?;
    let mut tenants = vec![squatter.tenant_id.clone()];
    if proving_tenant_id != squatter.tenant_id {
        tenants.push(proving_tenant_id.to_string());
    }
    for tenant_id in tenants {
        audit::record(
            c,
            AuditEvent {
                tenant_id: &tenant_id,
                event_name: events::TAKE_OVER_UNVERIFIED,
                actor: email_lower,
                target: &squatter.id,
                outcome: "disabled",
                details: serde_json::json!({ "mail": squatter.mail, "proof": proof }),
            },
        )?;
    }
    Ok(())
}
