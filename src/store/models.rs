//! Rows as diesel reads and writes them. Conversions into domain types live beside the queries.

use super::schema::*;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenants)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub display_name: String,
    pub primary_domain: String,
    pub unmanaged: bool,
    pub self_service_signup: bool,
    pub settings: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub user_type: String,
    pub creation_type: Option<String>,
    pub user_principal_name: String,
    pub display_name: String,
    pub mail: String,
    pub mail_lower: String,
    pub preferred_language: Option<String>,
    pub enabled: bool,
    pub external_user_state: Option<String>,
    pub external_user_state_changed_at: Option<i64>,
    pub sign_in_name: Option<String>,
    pub alt_sec_id: Option<String>,
    pub home_user_id: Option<String>,
    pub home_issuer: Option<String>,
    pub email_verified: bool,
    pub profile: String,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_roles)]
pub struct UserRoleRow {
    pub user_id: String,
    pub role: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credentials)]
pub struct CredentialRow {
    pub user_id: String,
    pub email_lower: String,
    pub password_hash: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenant_groups)]
pub struct GroupRow {
    pub id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub description: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_members)]
pub struct GroupMemberRow {
    pub group_id: String,
    pub user_id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = apps, treat_none_as_null = true)]
pub struct AppRow {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub first_party: bool,
    pub assignment_required: bool,
    pub id_token_signing_alg: String,
    pub allowed_scopes: String,
    pub settings: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// OpenID Connect Back-Channel Logout: where the app is told that a session or grant ended.
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = app_assignments)]
pub struct AssignmentRow {
    pub app_id: String,
    pub principal_type: String,
    pub principal_id: String,
    pub app_role: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub secret_hash: String,
    pub user_id: String,
    pub auth_time: i64,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// When the session was last used (idle timeout), to the minute.
    pub last_seen_at: i64,
    /// The upstream's `acr`, for a session begun at an upstream provider.
    pub acr: Option<String>,
    /// The upstream's `amr` values, space-separated.
    pub upstream_amr: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = identity_providers)]
#[diesel(treat_none_as_null = true)]
pub struct IdentityProviderRow {
    pub id: String,
    pub tenant_id: Option<String>,
    pub display_name: String,
    pub preset: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    pub scopes: String,
    pub domains: String,
    pub email_claim: String,
    pub name_claim: String,
    pub trust_email: bool,
    pub members: bool,
    pub create_members: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = upstream_identities)]
pub struct UpstreamIdentityRow {
    pub user_id: String,
    pub issuer: String,
    pub subject: String,
    pub provider_id: String,
    pub email: String,
    pub created_at: i64,
    pub last_sign_in_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = federation_states)]
pub struct FederationStateRow {
    pub id: String,
    pub provider_id: String,
    pub tenant_id: String,
    pub browser: String,
    pub nonce: String,
    pub verifier_sealed: String,
    pub purpose: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = throttles)]
pub struct ThrottleRow {
    pub scope: String,
    pub subject: String,
    pub count: i64,
    pub first_at: i64,
    pub last_at: i64,
    pub blocked_until: i64,
    pub level: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub struct GrantRow {
    pub id: String,
    pub tenant_id: String,
    pub app_id: String,
    pub user_id: String,
    pub session_id: Option<String>,
    pub scope: String,
    pub claims: Option<String>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
pub struct CodeRow {
    pub code_hash: String,
    pub tenant_id: String,
    pub app_id: String,
    pub user_id: String,
    pub session_id: Option<String>,
    pub redirect_uri: String,
    pub scope: String,
    pub claims: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub acr: String,
    pub amr: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub grant_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub grant_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pending_authorizations)]
pub struct PendingAuthorizationRow {
    pub id: String,
    pub tenant_id: String,
    pub request: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consents)]
pub struct ConsentRow {
    pub user_id: String,
    pub app_id: String,
    pub scope: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = action_tokens)]
pub struct ActionTokenRow {
    pub token_hash: String,
    pub purpose: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// One language of one version of a tenant's terms of use: a text or a link.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = terms_of_use)]
pub struct TermsRow {
    pub tenant_id: String,
    pub version: i32,
    pub language: String,
    pub body: Option<String>,
    pub url: Option<String>,
    pub published_at: i64,
    pub published_by: String,
}

/// A guest's acceptance of one version of the terms.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = terms_acceptances)]
pub struct TermsAcceptanceRow {
    pub user_id: String,
    pub tenant_id: String,
    pub version: i32,
    pub accepted_at: i64,
}

/// An emailed one-time code (see the `one_time_codes` migration): only hashes are kept.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = one_time_codes)]
pub struct OneTimeCodeRow {
    pub id: String,
    pub tenant_id: String,
    pub email_lower: String,
    pub code_hash: String,
    pub purpose: String,
    pub attempts: i32,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = audit_events)]
pub struct AuditEventRow {
    pub id: String,
    pub tenant_id: String,
    pub at: i64,
    pub event_name: String,
    pub actor: String,
    pub target: String,
    pub outcome: String,
    pub details: String,
}

/// An endpoint a tenant's admins registered for audit events.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct WebhookEndpointRow {
    pub id: String,
    pub tenant_id: String,
    pub url: String,
    pub description: String,
    /// A JSON array of audit event names; `["*"]` for all.
    pub events: String,
    pub secret_sealed: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret_sealed: Option<String>,
    pub previous_secret_until: Option<i64>,
}

/// One webhook message to one endpoint, and what became of it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct WebhookDeliveryRow {
    pub id: String,
    /// The `webhook-id` header (kept by a replay).
    pub message_id: String,
    pub endpoint_id: String,
    pub tenant_id: String,
    pub event_name: String,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub claim: Option<String>,
    pub claimed_until: Option<i64>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// A logout token waiting for (or past) delivery to an app's back-channel logout URI.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = logout_deliveries)]
pub struct LogoutDeliveryRow {
    pub id: String,
    pub tenant_id: String,
    pub app_id: String,
    /// The `sub` of the logout token: the user object the grant was for.
    pub subject: String,
    /// The `sid`: the session the grant came from, when it came from one.
    pub session_id: Option<String>,
    pub jti: String,
    /// What ended the session or grant (for operators; not in the token).
    pub reason: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub claim: Option<String>,
    pub claimed_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox_messages)]
pub struct OutboxRow {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    pub recipient: String,
    pub message: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub claim: Option<String>,
    pub claimed_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = invitations, treat_none_as_null = true)]
pub struct InvitationRecord {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub email: String,
    pub email_lower: String,
    pub display_name: String,
    pub invited_by: String,
    pub redirect_url: Option<String>,
    pub language: String,
    pub cc: Option<String>,
    pub custom_text: Option<String>,
    pub contact_url: Option<String>,
    pub invite_app_id: Option<String>,
    pub ticket_hash: String,
    pub ticket_expires_at: i64,
    pub status: String,
    pub batch_id: Option<String>,
    pub outbox_id: Option<String>,
    pub created_at: i64,
    pub redeemed_at: Option<i64>,
    pub voided_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invitation_batches)]
pub struct InvitationBatchRow {
    pub id: String,
    pub tenant_id: String,
    pub uploaded_by: String,
    pub file_name: String,
    pub rows_total: i64,
    pub rows_created: i64,
    pub rows_existing: i64,
    pub rows_failed: i64,
    pub results: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = tenant_logos)]
pub struct TenantLogoRow {
    pub tenant_id: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = csv_uploads)]
pub struct CsvUploadRow {
    pub id: String,
    pub tenant_id: String,
    pub uploaded_by: String,
    pub file_name: String,
    pub content: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A guest's end date and lifecycle state.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = guest_lifecycle)]
pub struct GuestLifecycleRow {
    pub user_id: String,
    pub tenant_id: String,
    pub access_expires_at: Option<i64>,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub vouched_at: Option<i64>,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = guest_sponsors)]
pub struct GuestSponsorRow {
    pub guest_id: String,
    pub sponsor_id: String,
    pub tenant_id: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = review_rounds)]
pub struct ReviewRoundRow {
    pub id: String,
    pub tenant_id: String,
    pub number: i64,
    pub started_at: i64,
    pub deadline: i64,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = guest_reviews)]
pub struct GuestReviewRow {
    pub token_hash: String,
    pub round_id: String,
    pub tenant_id: String,
    pub guest_id: String,
    pub sponsor_id: String,
    pub decision: Option<String>,
    pub decided_at: Option<i64>,
    pub created_at: i64,
}
