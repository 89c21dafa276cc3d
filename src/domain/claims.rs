//! Building the claims of ID tokens, access tokens and userinfo answers (spec §4), as pure functions.
//!
//! The rules, in one place:
//! - `sub` is the user object's id (`oid`): opaque, ASCII, stable, and different per tenant.
//! - `tid`/`oid`/`acct` always; guests add `idp` (their home issuer) and `altsecid`, in access tokens too.
//! - `email`: guests always; members in userinfo with scope `email`, and in the ID token when the app
//!   asks for it (optional claim) or the request names it in `claims`. Keeping profile claims out of
//!   code-flow ID tokens by default is what certified providers do.
//! - `upn`: members always; guests only when the app opts in, in the `#EXT#` or `_EXT_` form.
//! - `groups`/`roles`: when the app asks for them.

use super::scope::Scopes;
use super::user::{Upn, UserType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Claims an app can ask for beyond the defaults (stored in the app's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionalClaim {
    /// `email` in the ID token for members too.
    Email,
    /// `groups`: ids of the groups the user is in.
    Groups,
    /// `roles`: the app roles assigned to the user.
    Roles,
    /// `upn` for guests in the `#EXT#` form.
    IncludeExternallyAuthenticatedUpn,
    /// `upn` for guests in the `_EXT_` form.
    IncludeExternallyAuthenticatedUpnWithoutHash,
}

/// The profile claims a user object may carry besides its directory attributes (OIDC Core §5.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Map<String, Value>>,
}

impl Profile {
    /// Parses profile claims as an operator supplies them (JSON), checking each value's form so
    /// tokens never carry a malformed standard claim.
    pub fn parse(raw: &str) -> Result<Profile, super::DomainError> {
        let bad = |m: String| super::DomainError::new("profile", m);
        let value: Value = serde_json::from_str(raw).map_err(|e| bad(format!("not JSON: {e}")))?;
        if !value.is_object() {
            return Err(bad("must be a JSON object".into()));
        }
        let p: Profile = serde_json::from_value(value).map_err(|e| bad(format!("{e}")))?;
        if let Some(b) = &p.birthdate {
            let ok = b.len() == 10
                && b.bytes().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(bad("birthdate must be YYYY-MM-DD".into()));
            }
        }
        for (name, v) in [
            ("profile", &p.profile),
            ("picture", &p.picture),
            ("website", &p.website),
        ] {
            if let Some(u) = v
                && url::Url::parse(u)
                    .map(|u| !matches!(u.scheme(), "http" | "https"))
                    .unwrap_or(true)
            {
                return Err(bad(format!("{name} must be an http(s) URL")));
            }
        }
        if let Some(addr) = &p.address
            && addr.values().any(|v| !v.is_string())
        {
            return Err(bad("address members must be strings".into()));
        }
        Ok(p)
    }
}

/// The user object a token is about, as the claim rules need it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub oid: String,
    pub tid: String,
    pub user_type: UserType,
    pub upn: Upn,
    pub display_name: String,
    pub mail: String,
    pub email_verified: bool,
    pub profile: Profile,
    /// Guests: the issuer of the home identity.
    pub home_issuer: Option<String>,
    /// Guests: an opaque, stable id of the home identity.
    pub alt_sec_id: Option<String>,
    pub updated_at: i64,
}

impl Subject {
    pub fn of(user: &super::user::User) -> Subject {
        Subject {
            oid: user.id.clone(),
            tid: user.tenant_id.clone(),
            user_type: user.user_type,
            upn: user.upn.clone(),
            display_name: user.display_name.clone(),
            mail: user.mail.clone(),
            email_verified: user.email_verified,
            profile: user.profile.clone(),
            home_issuer: user.home_issuer.clone(),
            alt_sec_id: user.alt_sec_id.clone(),
            updated_at: user.updated_at,
        }
    }
}

/// Group ids and app roles of the subject, looked up only when the app asks for them.
#[derive(Debug, Clone, Default)]
pub struct Membership {
    pub groups: Vec<String>,
    pub roles: Vec<String>,
}

/// The names a request asked for through the `claims` parameter (OIDC Core §5.5).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedClaims {
    #[serde(default)]
    pub id_token: Vec<String>,
    #[serde(default)]
    pub userinfo: Vec<String>,
}

/// The longest `claims` request parameter read: far more than every standard claim asked for twice,
/// and small enough that a request cannot make the server parse and store megabytes of JSON.
pub const MAX_CLAIMS_REQUEST: usize = 4096;

impl RequestedClaims {
    /// Reads the `claims` request parameter, keeping only the claim names.
    pub fn parse(raw: &str) -> Result<Self, super::DomainError> {
        if raw.len() > MAX_CLAIMS_REQUEST {
            return Err(super::DomainError::new(
                "claims",
                format!("the claims request is longer than {MAX_CLAIMS_REQUEST} bytes"),
            ));
        }
        let value: Value = serde_json::from_str(raw)
            .map_err(|_| super::DomainError::new("claims", "claims must be a JSON object"))?;
        let Value::Object(obj) = value else {
            return Err(super::DomainError::new(
                "claims",
                "claims must be a JSON object",
            ));
        };
        let names = |key: &str| -> Vec<String> {
            match obj.get(key) {
                Some(Value::Object(m)) => m.keys().cloned().collect(),
                _ => Vec::new(),
            }
        };
        Ok(RequestedClaims {
            id_token: names("id_token"),
            userinfo: names("userinfo"),
        })
    }
}

const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];

/// Every standard claim this provider can release, with the scope that releases it.
fn scope_of(claim: &str) -> Option<&'static str> {
    if PROFILE_CLAIMS.contains(&claim) {
        return Some("profile");
    }
    match claim {
        "email" | "email_verified" => Some("email"),
        "phone_number" | "phone_number_verified" => Some("phone"),
        "address" => Some("address"),
        _ => None,
    }
}

/// All standard claims the subject has a value for, each non-empty and well typed.
fn standard_claims(s: &Subject) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put_str = |k: &str, v: Option<&str>| {
        if let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) {
            m.insert(k.to_string(), json!(v));
        }
    };
    let p = &s.profile;
    put_str("name", Some(&s.display_name));
    put_str("given_name", p.given_name.as_deref());
    put_str("family_name", p.family_name.as_deref());
    put_str("middle_name", p.middle_name.as_deref());
    put_str("nickname", p.nickname.as_deref());
    let preferred = match s.user_type {
        UserType::Member => s.upn.as_str(),
        UserType::Guest => s.mail.as_str(),
    };
    put_str("preferred_username", Some(preferred));
    put_str("profile", p.profile.as_deref());
    put_str("picture", p.picture.as_deref());
    put_str("website", p.website.as_deref());
    put_str("gender", p.gender.as_deref());
    put_str("birthdate", p.birthdate.as_deref());
    put_str("zoneinfo", p.zoneinfo.as_deref());
    put_str("locale", p.locale.as_deref());
    put_str("email", Some(&s.mail));
    put_str("phone_number", p.phone_number.as_deref());
    if m.contains_key("email") {
        m.insert("email_verified".into(), json!(s.email_verified));
    }
    if m.contains_key("phone_number") {
        m.insert(
            "phone_number_verified".into(),
            json!(p.phone_number_verified.unwrap_or(false)),
        );
    }
    if let Some(addr) = p.address.as_ref().filter(|a| !a.is_empty()) {
        m.insert("address".into(), Value::Object(addr.clone()));
    }
    if s.updated_at > 0 {
        m.insert("updated_at".into(), json!(s.updated_at));
    }
    m
}

/// Directory claims every token about a user carries (spec §4).
fn directory_claims(
    s: &Subject,
    optional: &[OptionalClaim],
    membership: &Membership,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("tid".into(), json!(s.tid));
    m.insert("oid".into(), json!(s.oid));
    match s.user_type {
        UserType::Member => {
            m.insert("acct".into(), json!(0));
            m.insert("upn".into(), json!(s.upn.as_str()));
        }
        UserType::Guest => {
            m.insert("acct".into(), json!(1));
            if let Some(idp) = &s.home_issuer {
                m.insert("idp".into(), json!(idp));
            }
            if let Some(alt) = &s.alt_sec_id {
                m.insert("altsecid".into(), json!(alt));
            }
            m.insert("email".into(), json!(s.mail));
            if optional.contains(&OptionalClaim::IncludeExternallyAuthenticatedUpn) {
                m.insert("upn".into(), json!(s.upn.as_str()));
            } else if optional
                .contains(&OptionalClaim::IncludeExternallyAuthenticatedUpnWithoutHash)
            {
                m.insert("upn".into(), json!(s.upn.without_hash()));
            }
        }
    }
    if optional.contains(&OptionalClaim::Groups) {
        m.insert("groups".into(), json!(membership.groups));
    }
    if optional.contains(&OptionalClaim::Roles) && !membership.roles.is_empty() {
        m.insert("roles".into(), json!(membership.roles));
    }
    m
}

/// The subject's claims in an access token: who it is in this tenant (`oid`, `acct`) and, for guests, the
/// home identity it stands for (`idp`, `altsecid`), so an API tells a guest and their home directory apart
/// without calling userinfo. Profile claims stay out: access tokens travel further than ID tokens.
pub fn access_token_claims(s: &Subject) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("oid".into(), json!(s.oid));
    match s.user_type {
        UserType::Member => {
            m.insert("acct".into(), json!(0));
        }
        UserType::Guest => {
            m.insert("acct".into(), json!(1));
            if let Some(idp) = &s.home_issuer {
                m.insert("idp".into(), json!(idp));
            }
            if let Some(alt) = &s.alt_sec_id {
                m.insert("altsecid".into(), json!(alt));
            }
        }
    }
    m
}

/// The subject's claims for an ID token (without the protocol claims `iss`, `aud`, `exp`, …).
pub fn id_token_claims(
    s: &Subject,
    scopes: &Scopes,
    optional: &[OptionalClaim],
    membership: &Membership,
    requested: &RequestedClaims,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(s.oid));
    m.extend(directory_claims(s, optional, membership));
    let standard = standard_claims(s);
    let email_by_option = optional.contains(&OptionalClaim::Email) && scopes.contains("email");
    for (k, v) in standard {
        let asked = requested.id_token.iter().any(|r| r == &k);
        let by_option = email_by_option && (k == "email" || k == "email_verified");
        if asked || by_option {
            m.insert(k, v);
        }
    }
    m
}

/// The subject's claims for the userinfo endpoint: by granted scope, plus names asked for in `claims`.
pub fn userinfo_claims(
    s: &Subject,
    scopes: &Scopes,
    optional: &[OptionalClaim],
    membership: &Membership,
    requested: &RequestedClaims,
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(s.oid));
    m.extend(directory_claims(s, optional, membership));
    for (k, v) in standard_claims(s) {
        let by_scope = scope_of(&k).is_some_and(|sc| scopes.contains(sc));
        let asked = requested.userinfo.iter().any(|r| r == &k);
        if by_scope || asked {
            m.insert(k, v);
        }
    }
    // Guests always carry `email`; members only with the scope. `directory_claims` added it for guests.
    m
}

/// Every claim name discovery lists in `claims_supported`.
pub fn supported_claims() -> Vec<&'static str> {
    let mut v = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "sid",
    ];
    v.extend_from_slice(PROFILE_CLAIMS);
    v.extend_from_slice(&[
        "email",
        "email_verified",
        "phone_number",
        "phone_number_verified",
        "address",
        "tid",
        "oid",
        "acct",
        "idp",
        "altsecid",
        "upn",
        "groups",
        "roles",
    ]);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::email::EmailAddress;

    fn member() -> Subject {
        let email = EmailAddress::parse("alice@contoso.example").unwrap();
        Subject {
            oid: "3f1c".into(),
            tid: "t-1".into(),
            user_type: UserType::Member,
            upn: Upn::member(&email),
            display_name: "Alice".into(),
            mail: email.as_str().into(),
            email_verified: true,
            profile: Profile {
                given_name: Some("Alice".into()),
                phone_number: Some("+1 555 0100".into()),
                ..Profile::default()
            },
            home_issuer: None,
            alt_sec_id: None,
            updated_at: 1_700_000_000,
        }
    }

    fn guest() -> Subject {
        let email = EmailAddress::parse("bob@fabrikam.example").unwrap();
        Subject {
            oid: "9a2b".into(),
            tid: "t-contoso".into(),
            user_type: UserType::Guest,
            upn: Upn::guest(&email, "contoso.example"),
            display_name: "Bob".into(),
            mail: email.as_str().into(),
            email_verified: true,
            profile: Profile::default(),
            home_issuer: Some("https://id.example/t/fabrikam".into()),
            alt_sec_id: Some("alt-123".into()),
            updated_at: 1_700_000_000,
        }
    }

    fn scopes(s: &str) -> Scopes {
        Scopes::parse(s).unwrap()
    }

    #[test]
    fn member_id_token_has_directory_claims_and_no_profile() {
        let c = id_token_claims(
            &member(),
            &scopes("openid profile email"),
            &[],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(c["sub"], "3f1c");
        assert_eq!(c["oid"], "3f1c");
        assert_eq!(c["tid"], "t-1");
        assert_eq!(c["acct"], 0);
        assert_eq!(c["upn"], "alice@contoso.example");
        for absent in ["name", "email", "idp", "altsecid", "groups", "phone_number"] {
            assert!(
                !c.contains_key(absent),
                "{absent} must not be in a member's ID token by default"
            );
        }
    }

    #[test]
    fn member_email_in_id_token_when_the_app_asks_and_scope_allows() {
        let opt = [OptionalClaim::Email];
        let with = id_token_claims(
            &member(),
            &scopes("openid email"),
            &opt,
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(with["email"], "alice@contoso.example");
        assert_eq!(with["email_verified"], true);
        let without_scope = id_token_claims(
            &member(),
            &scopes("openid"),
            &opt,
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert!(!without_scope.contains_key("email"));
    }

    #[test]
    fn guest_tokens_carry_home_and_always_email() {
        let c = id_token_claims(
            &guest(),
            &scopes("openid"),
            &[],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(c["acct"], 1);
        assert_eq!(c["idp"], "https://id.example/t/fabrikam");
        assert_eq!(c["altsecid"], "alt-123");
        assert_eq!(c["email"], "bob@fabrikam.example");
        assert_eq!(c["tid"], "t-contoso");
        assert!(
            !c.contains_key("upn"),
            "guests get upn only when the app opts in"
        );
    }

    #[test]
    fn access_tokens_name_the_home_identity_of_guests_and_nothing_personal() {
        let g = access_token_claims(&guest());
        assert_eq!(g["acct"], 1);
        assert_eq!(g["idp"], "https://id.example/t/fabrikam");
        assert_eq!(g["altsecid"], "alt-123");
        let m = access_token_claims(&member());
        assert_eq!(m["oid"], "3f1c");
        assert_eq!(m["acct"], 0);
        for (who, claims) in [("guest", &g), ("member", &m)] {
            for absent in ["email", "name", "upn", "groups"] {
                assert!(!claims.contains_key(absent), "{who}: {absent}");
            }
        }
        assert!(!m.contains_key("idp") && !m.contains_key("altsecid"));
    }

    #[test]
    fn guest_upn_forms_by_opt_in() {
        let hash = id_token_claims(
            &guest(),
            &scopes("openid"),
            &[OptionalClaim::IncludeExternallyAuthenticatedUpn],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(hash["upn"], "bob_fabrikam.example#EXT#@contoso.example");
        let nohash = id_token_claims(
            &guest(),
            &scopes("openid"),
            &[OptionalClaim::IncludeExternallyAuthenticatedUpnWithoutHash],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(nohash["upn"], "bob_fabrikam.example_EXT_@contoso.example");
    }

    #[test]
    fn userinfo_follows_scopes_exactly() {
        let s = member();
        let only_email = userinfo_claims(
            &s,
            &scopes("openid email"),
            &[],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(only_email["email"], "alice@contoso.example");
        assert!(!only_email.contains_key("name"));
        assert!(!only_email.contains_key("phone_number"));
        let profile = userinfo_claims(
            &s,
            &scopes("openid profile"),
            &[],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(profile["name"], "Alice");
        assert_eq!(profile["given_name"], "Alice");
        assert_eq!(profile["updated_at"], 1_700_000_000);
        assert!(!profile.contains_key("email"));
        let phone = userinfo_claims(
            &s,
            &scopes("openid phone"),
            &[],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert_eq!(phone["phone_number_verified"], false);
    }

    #[test]
    fn claims_parameter_releases_single_claims() {
        let req = RequestedClaims::parse(r#"{"userinfo":{"name":{"essential":true}}}"#).unwrap();
        let ui = userinfo_claims(
            &member(),
            &scopes("openid"),
            &[],
            &Membership::default(),
            &req,
        );
        assert_eq!(ui["name"], "Alice");
        let idt = id_token_claims(
            &member(),
            &scopes("openid"),
            &[],
            &Membership::default(),
            &req,
        );
        assert!(
            !idt.contains_key("name"),
            "a userinfo request keeps the claim out of the ID token"
        );
        assert!(RequestedClaims::parse("[1]").is_err());
        let long = format!(
            r#"{{"userinfo":{{"name":null}},"x":"{}"}}"#,
            "a".repeat(5000)
        );
        assert!(RequestedClaims::parse(&long).is_err(), "capped");
        assert!(RequestedClaims::parse("{").is_err());
    }

    #[test]
    fn groups_and_roles_only_when_asked() {
        let m = Membership {
            groups: vec!["g1".into()],
            roles: vec!["Reader".into()],
        };
        let none = id_token_claims(
            &member(),
            &scopes("openid"),
            &[],
            &m,
            &RequestedClaims::default(),
        );
        assert!(!none.contains_key("groups") && !none.contains_key("roles"));
        let both = id_token_claims(
            &member(),
            &scopes("openid"),
            &[OptionalClaim::Groups, OptionalClaim::Roles],
            &m,
            &RequestedClaims::default(),
        );
        assert_eq!(both["groups"], json!(["g1"]));
        assert_eq!(both["roles"], json!(["Reader"]));
    }

    #[test]
    fn profile_parsing_checks_forms() {
        let p = Profile::parse(r#"{"given_name":"Al","birthdate":"1990-01-31","website":"https://a.example","address":{"country":"KR"}}"#).unwrap();
        assert_eq!(p.birthdate.as_deref(), Some("1990-01-31"));
        assert!(Profile::parse(r#"{"birthdate":"31/01/1990"}"#).is_err());
        assert!(Profile::parse(r#"{"picture":"javascript:x"}"#).is_err());
        assert!(Profile::parse(r#"{"address":{"zip":1}}"#).is_err());
        assert!(Profile::parse("[]").is_err());
        assert!(
            Profile::parse(r#"{"nmae":"typo"}"#).is_err(),
            "unknown claims are named, not dropped"
        );
    }

    #[test]
    fn empty_values_are_left_out() {
        let mut s = member();
        s.profile.nickname = Some("  ".into());
        let c = userinfo_claims(
            &s,
            &scopes("openid profile"),
            &[],
            &Membership::default(),
            &RequestedClaims::default(),
        );
        assert!(!c.contains_key("nickname"));
    }
}
