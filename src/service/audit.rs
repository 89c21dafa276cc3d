//! Audit events, written in the transaction of the change they record.

use crate::error::Result;
use crate::store::connection::AnyConnection;
use crate::store::models::AuditEventRow;
use crate::store::queries;

/// Event names, exact: operators filter on them.
pub mod events {
    pub const SIGN_IN_SUCCESS: &str = "Sign-in success";
    pub const SIGN_IN_FAILURE: &str = "Sign-in failure";
    pub const SIGN_OUT: &str = "Sign-out";
    pub const CREATE_TENANT: &str = "Create tenant";
    pub const CREATE_USER: &str = "Add user";
    pub const SELF_SERVICE_SIGN_UP: &str = "Self-service sign-up";
    pub const CREATE_GROUP: &str = "Add group";
    pub const ADD_GROUP_MEMBER: &str = "Add member to group";
    pub const CREATE_APP: &str = "Add application";
    pub const CONSENT: &str = "Consent to application";
    pub const FIRST_ADMIN_SETUP: &str = "First administrator set up";
    pub const TOKEN_REUSE: &str = "Token reuse detected";
}

pub struct AuditEvent<'a> {
    pub tenant_id: &'a str,
    pub event_name: &'a str,
    pub actor: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub details: serde_json::Value,
}

pub fn record(c: &mut AnyConnection, e: AuditEvent<'_>) -> Result<()> {
    queries::audit::insert(
        c,
        &AuditEventRow {
            id: uuid::Uuid::new_v4().to_string(),
            tenant_id: e.tenant_id.to_string(),
            at: crate::clock::now(),
            event_name: e.event_name.to_string(),
            actor: e.actor.to_string(),
            target: e.target.to_string(),
            outcome: e.outcome.to_string(),
            details: e.details.to_string(),
        },
    )
}
