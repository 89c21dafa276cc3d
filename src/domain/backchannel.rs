//! OpenID Connect Back-Channel Logout 1.0: where an app may be told that a session ended, and what the
//! logout token says.

use super::DomainError;
use super::outbound::parse_outbound_url;
use serde_json::{Map, Value, json};

/// The event a logout token carries (§2.4): the member's value is an empty object.
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The JWT `typ` of a logout token (§2.4, RFC 8725 explicit typing).
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";

/// How long a logout token is valid after it is signed: the app receives it at once, so two minutes
/// cover clock skew and nothing more.
pub const LOGOUT_TOKEN_TTL: i64 = 120;

/// Checks the `backchannel_logout_uri` an admin registers: like every address a tenant admin chooses
/// for the server to call, https to a public host unless the operator allows private ones (then http
/// too); never a fragment (§2.2).
pub fn parse_logout_uri(raw: &str, allow_private: bool) -> Result<String, DomainError> {
    parse_outbound_url(raw, allow_private, "backchannelLogoutUri")
}

/// Whom a logout token is about and for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutNotice<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The user object the app knows as `sub`.
    pub subject: &'a str,
    /// The session (`sid` of the ID tokens the app received), when the grant came from one.
    pub session_id: Option<&'a str>,
    pub jti: &'a str,
}

/// The claims of a logout token signed at `now` (§2.4): `iss`, `aud`, `iat`, `exp`, `jti`, `events`,
/// `sub` and `sid` when known; never a `nonce`.
pub fn logout_claims(notice: &LogoutNotice<'_>, now: i64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("iss".into(), json!(notice.issuer));
    m.insert("aud".into(), json!(notice.client_id));
    m.insert("iat".into(), json!(now));
    m.insert("exp".into(), json!(now + LOGOUT_TOKEN_TTL));
    m.insert("jti".into(), json!(notice.jti));
    m.insert("sub".into(), json!(notice.subject));
    if let Some(sid) = notice.session_id {
        m.insert("sid".into(), json!(sid));
    }
    m.insert("events".into(), json!({ LOGOUT_EVENT: {} }));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logout_uris_are_public_https_unless_private_addresses_are_allowed() {
        assert!(parse_logout_uri("https://app.example/bc?x=1", false).is_ok());
        assert!(parse_logout_uri("http://127.0.0.1:8080/bc", false).is_err());
        assert!(parse_logout_uri("https://169.254.169.254/bc", false).is_err());
        assert!(parse_logout_uri("http://127.0.0.1:8080/bc", true).is_ok());
        assert!(parse_logout_uri("https://app.example/bc#f", true).is_err());
        assert!(parse_logout_uri("com.example.app:/bc", true).is_err());
    }

    #[test]
    fn a_logout_token_names_the_event_and_never_a_nonce() {
        let notice = LogoutNotice {
            issuer: "https://id.example/t/contoso",
            client_id: "app-1",
            subject: "user-1",
            session_id: Some("s-1"),
            jti: "j-1",
        };
        let c = logout_claims(&notice, 1000);
        assert_eq!(c["iss"], "https://id.example/t/contoso");
        assert_eq!(c["aud"], "app-1");
        assert_eq!(
            (c["iat"].as_i64(), c["exp"].as_i64()),
            (Some(1000), Some(1120))
        );
        assert_eq!(
            (c["sub"].as_str(), c["sid"].as_str()),
            (Some("user-1"), Some("s-1"))
        );
        assert_eq!(c["events"], json!({ LOGOUT_EVENT: {} }));
        assert!(!c.contains_key("nonce"));
        let sessionless = logout_claims(
            &LogoutNotice {
                session_id: None,
                ..notice
            },
            1000,
        );
        assert!(!sessionless.contains_key("sid"));
        assert_eq!(sessionless["sub"], "user-1");
    }
}
