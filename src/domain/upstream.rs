//! Upstream identity providers: the partner's own OpenID Connect provider a person signs in at instead of
//! holding a password here. The rules here are pure: which issuers a provider accepts (a fixed URL, or
//! Microsoft's multi-tenant template checked against the token's `tid`), the presets, which email
//! domains a provider serves, and how a verified token's claims map to a person.

use super::DomainError;
use super::email::EmailAddress;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The template placeholder of Microsoft's multi-tenant issuer.
pub const TENANT_ID_PLACEHOLDER: &str = "{tenantid}";

/// The issuer Microsoft Entra ID's multi-tenant endpoints announce and sign with: `{tenantid}` is the
/// token's `tid`.
pub const MICROSOFT_ISSUER_TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

/// Where Microsoft's multi-tenant discovery document is (its `issuer` is the template above).
pub const MICROSOFT_COMMON: &str = "https://login.microsoftonline.com/organizations/v2.0";

pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";

/// What kind of provider a row describes; the preset fills the issuer and the claim defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    #[default]
    Generic,
    Google,
    Microsoft,
}

impl Preset {
    pub fn parse(raw: &str) -> Result<Preset, DomainError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "generic" => Ok(Preset::Generic),
            "google" => Ok(Preset::Google),
            "microsoft" | "entra" => Ok(Preset::Microsoft),
            other => Err(DomainError::new(
                "preset",
                format!("Unknown preset {other:?}: use generic, google or microsoft."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Generic => "generic",
            Preset::Google => "google",
            Preset::Microsoft => "microsoft",
        }
    }

    /// The issuer the preset stands for, when it names one.
    pub fn issuer(self) -> Option<&'static str> {
        match self {
            Preset::Generic => None,
            Preset::Google => Some(GOOGLE_ISSUER),
            Preset::Microsoft => Some(MICROSOFT_ISSUER_TEMPLATE),
        }
    }

    /// The claim that holds the person's email. Entra ID puts a verified address in `email` only when the
    /// optional claim is configured; `preferred_username` is the sign-in name, which is the address for
    /// work accounts.
    pub fn email_claim(self) -> &'static str {
        match self {
            Preset::Microsoft => "preferred_username",
            _ => "email",
        }
    }

    /// Whether the provider's email claim is trusted without `email_verified` (Entra ID sends none; the
    /// sign-in name of a work account belongs to its directory).
    pub fn trusts_email(self) -> bool {
        matches!(self, Preset::Microsoft)
    }
}

/// The issuers a provider accepts: exactly one, or Microsoft's template with `{tenantid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerRule {
    Exact(String),
    /// `template` holds [`TENANT_ID_PLACEHOLDER`] once; a token's `iss` must be the template with the
    /// token's own `tid` (a GUID) in its place.
    TenantTemplate(String),
}

impl IssuerRule {
    /// The rule for a configured issuer: a template when it holds `{tenantid}`. An issuer is an absolute
    /// `https` URL (`http` only where `allow_insecure`, for tests and closed networks), with no query or
    /// fragment, compared exactly (OIDC Discovery §4.3): a trailing `/` is kept as given.
    pub fn parse(raw: &str, allow_insecure: bool) -> Result<IssuerRule, DomainError> {
        let raw = raw.trim();
        let bad = |why: &str| DomainError::new("issuer", format!("The issuer {raw:?} {why}."));
        let url = url::Url::parse(&raw.replace(TENANT_ID_PLACEHOLDER, "tenantid"))
            .map_err(|_| bad("is not an absolute URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if allow_insecure => {}
            _ => return Err(bad("must be an https URL")),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
            return Err(bad("may have no query, fragment or user name"));
        }
        match raw.matches(TENANT_ID_PLACEHOLDER).count() {
            0 => Ok(IssuerRule::Exact(raw.to_string())),
            1 => Ok(IssuerRule::TenantTemplate(raw.to_string())),
            _ => Err(bad("holds {tenantid} more than once")),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            IssuerRule::Exact(s) | IssuerRule::TenantTemplate(s) => s,
        }
    }

    /// Where the discovery document is: `{issuer}/.well-known/openid-configuration`, for a template the
    /// multi-tenant (`organizations`) endpoint of the same host.
    pub fn discovery_base(&self) -> String {
        match self {
            IssuerRule::Exact(s) => s.clone(),
            IssuerRule::TenantTemplate(t) => t.replace(TENANT_ID_PLACEHOLDER, "organizations"),
        }
    }

    /// Whether a discovery document's `issuer` fits: the same string, or for a template the template
    /// itself (as Microsoft announces it) or an instance of it.
    pub fn accepts_metadata(&self, announced: &str) -> bool {
        match self {
            IssuerRule::Exact(s) => s == announced,
            IssuerRule::TenantTemplate(t) => {
                t == announced || tenant_of(t, announced).is_some_and(is_guid)
            }
        }
    }

    /// Whether a token's `iss` fits, given its `tid` claim: the same string, or the template with the
    /// token's own `tid` (a GUID) in place.
    pub fn accepts_token(&self, iss: &str, tid: Option<&str>) -> bool {
        match self {
            IssuerRule::Exact(s) => s == iss,
            IssuerRule::TenantTemplate(t) => match tid {
                Some(tid) if is_guid(tid) => t.replace(TENANT_ID_PLACEHOLDER, tid) == iss,
                _ => false,
            },
        }
    }
}

/// The part of `value` that stands where `template` has `{tenantid}`.
fn tenant_of<'v>(template: &str, value: &'v str) -> Option<&'v str> {
    let (head, tail) = template.split_once(TENANT_ID_PLACEHOLDER)?;
    value.strip_prefix(head)?.strip_suffix(tail)
}

/// A GUID in its usual 8-4-4-4-12 hexadecimal form.
fn is_guid(s: &str) -> bool {
    uuid::Uuid::try_parse(s).is_ok_and(|_| s.len() == 36)
}

/// The email domains a provider serves: lower case, without duplicates, each a plain domain name.
pub fn parse_domains<'a>(
    raw: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for d in raw.into_iter().flat_map(|d| d.split([' ', ',', '\n'])) {
        let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
        if d.is_empty() {
            continue;
        }
        // A domain is what an address after its `@` can be.
        let probe = EmailAddress::parse(&format!("x@{d}"))
            .map_err(|_| DomainError::new("domains", format!("{d:?} is not an email domain.")))?;
        if probe.domain() != d {
            return Err(DomainError::new(
                "domains",
                format!("{d:?} is not an email domain."),
            ));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// Whether a provider serving `domains` serves `email` (its domain, compared in lower case).
pub fn serves(domains: &[String], email: &str) -> bool {
    EmailAddress::parse(email).is_ok_and(|e| domains.iter().any(|d| d == e.domain()))
}

/// The scopes asked of the upstream: always `openid`, then the configured ones, each once.
pub fn parse_scopes<'a>(
    raw: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<String>, DomainError> {
    let mut out = vec!["openid".to_string()];
    for s in raw.into_iter().flat_map(|s| s.split([' ', ','])) {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        {
            return Err(DomainError::new("scopes", format!("{s:?} is not a scope.")));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// Which claims name the person (OpenID Connect's by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMapping {
    pub email: String,
    pub name: String,
    /// The email claim is taken as the provider's word without `email_verified: true`.
    pub trust_email: bool,
}

/// Who the upstream says the person is, once its token is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamPerson {
    pub subject: String,
    pub email: EmailAddress,
    pub name: Option<String>,
    pub acr: Option<String>,
    pub amr: Vec<String>,
}

/// Why an upstream identity is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoSubject,
    NoEmail,
    UnverifiedEmail,
}

/// The person in verified `claims` (the ID token's, with userinfo's added under them): the subject,
/// the mapped email (verified, unless the mapping trusts the provider) and name, `acr` and `amr`.
pub fn person(
    claims: &Map<String, Value>,
    mapping: &ClaimMapping,
) -> Result<UpstreamPerson, Refusal> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let subject = text("sub").ok_or(Refusal::NoSubject)?;
    let email = text(&mapping.email)
        .and_then(|e| EmailAddress::parse(&e).ok())
        .ok_or(Refusal::NoEmail)?;
    // `email_verified` speaks of the `email` claim only; a provider may send it as a string.
    let verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
        || claims.get("email_verified").and_then(Value::as_str) == Some("true");
    if !(mapping.trust_email || (mapping.email == "email" && verified)) {
        return Err(Refusal::UnverifiedEmail);
    }
    let amr = match claims.get("amr") {
        Some(Value::Array(values)) => values
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    Ok(UpstreamPerson {
        subject,
        email,
        name: text(&mapping.name),
        acr: text("acr"),
        amr,
    })
}

/// The `altsecid` of an upstream identity: opaque and stable for (issuer, subject).
pub fn alt_sec_id(issuer: &str, subject: &str) -> String {
    let digest = Sha256::digest(format!("{issuer}|{subject}").as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("5:{hex}")
}

/// The slug of the directory that holds the people of one upstream issuer (in the namespace of
/// unmanaged directories, which operators cannot take).
pub fn directory_slug(issuer: &str) -> String {
    let digest = Sha256::digest(issuer.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{}idp---{hex}", super::home_directory::SLUG_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    #[test]
    fn the_microsoft_template_takes_only_the_tokens_own_tenant() {
        let rule = IssuerRule::parse(Preset::Microsoft.issuer().unwrap(), false).unwrap();
        assert!(matches!(rule, IssuerRule::TenantTemplate(_)));
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert!(rule.accepts_token(&iss, Some(TID)));
        // Another tenant's issuer with this token's tid, or no tid, or a tid that is no GUID.
        let other = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0";
        assert!(!rule.accepts_token(other, Some(TID)));
        assert!(!rule.accepts_token(&iss, None));
        assert!(!rule.accepts_token("https://login.microsoftonline.com/x/v2.0", Some("x")));
        // The template itself is never a token's issuer.
        assert!(!rule.accepts_token(MICROSOFT_ISSUER_TEMPLATE, Some(TID)));
        // Discovery: Microsoft announces the template; an instance is fine too; a stranger is not.
        assert!(rule.accepts_metadata(MICROSOFT_ISSUER_TEMPLATE));
        assert!(rule.accepts_metadata(&iss));
        assert!(!rule.accepts_metadata("https://evil.example/{tenantid}/v2.0"));
        assert_eq!(rule.discovery_base(), MICROSOFT_COMMON);
    }

    #[test]
    fn the_google_preset_is_an_exact_issuer_with_verified_email() {
        assert_eq!(Preset::parse("Google").unwrap(), Preset::Google);
        let rule = IssuerRule::parse(Preset::Google.issuer().unwrap(), false).unwrap();
        assert_eq!(rule, IssuerRule::Exact(GOOGLE_ISSUER.into()));
        assert!(rule.accepts_token("https://accounts.google.com", None));
        assert!(!rule.accepts_token("https://accounts.google.com/", None));
        assert!(!rule.accepts_token("accounts.google.com", None));
        assert_eq!(rule.discovery_base(), GOOGLE_ISSUER);
        assert_eq!(Preset::Google.email_claim(), "email");
        assert!(!Preset::Google.trusts_email());
        assert!(Preset::parse("okta").is_err());
    }

    #[test]
    fn issuers_are_https_urls_unless_allowed() {
        assert!(IssuerRule::parse("http://127.0.0.1:8080/t/x", false).is_err());
        assert!(IssuerRule::parse("http://127.0.0.1:8080/t/x", true).is_ok());
        assert!(IssuerRule::parse("https://idp.example/?a=b", false).is_err());
        assert!(IssuerRule::parse("https://idp.example/#x", false).is_err());
        assert!(IssuerRule::parse("not a url", false).is_err());
        assert!(IssuerRule::parse("https://idp.example/{tenantid}/{tenantid}", false).is_err());
        assert!(IssuerRule::parse("javascript:alert(1)", true).is_err());
    }

    #[test]
    fn domains_are_lower_case_and_plain() {
        assert_eq!(
            parse_domains(["Fabrikam.Example, @partner.example", "fabrikam.example"]).unwrap(),
            vec!["fabrikam.example", "partner.example"]
        );
        assert!(parse_domains(["bad domain!"]).is_err());
        let served = parse_domains(["fabrikam.example"]).unwrap();
        assert!(serves(&served, "Alice@FABRIKAM.example"));
        assert!(!serves(&served, "alice@sub.fabrikam.example"));
        assert!(!serves(&served, "not an address"));
    }

    #[test]
    fn scopes_start_with_openid() {
        assert_eq!(
            parse_scopes(["email profile", "openid email"]).unwrap(),
            vec!["openid", "email", "profile"]
        );
        assert!(parse_scopes(["bad\"scope"]).is_err());
    }

    fn mapping(trust_email: bool) -> ClaimMapping {
        ClaimMapping {
            email: "email".into(),
            name: "name".into(),
            trust_email,
        }
    }

    fn claims(v: serde_json::Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn an_unverified_email_is_refused_unless_trusted() {
        let c =
            claims(json!({"sub": "s1", "email": "a@fabrikam.example", "email_verified": false}));
        assert_eq!(person(&c, &mapping(false)), Err(Refusal::UnverifiedEmail));
        assert!(person(&c, &mapping(true)).is_ok());
        let c = claims(json!({"sub": "s1", "email": "a@fabrikam.example"}));
        assert_eq!(person(&c, &mapping(false)), Err(Refusal::UnverifiedEmail));
        let c =
            claims(json!({"sub": "s1", "email": "a@fabrikam.example", "email_verified": "true"}));
        assert!(person(&c, &mapping(false)).is_ok());
        // `email_verified` speaks for `email` only, not for another mapped claim.
        let c = claims(json!({"sub": "s1", "upn": "a@fabrikam.example", "email_verified": true}));
        let upn = ClaimMapping {
            email: "upn".into(),
            ..mapping(false)
        };
        assert_eq!(person(&c, &upn), Err(Refusal::UnverifiedEmail));
    }

    #[test]
    fn the_person_comes_from_the_mapped_claims() {
        let c = claims(json!({
            "sub": "248289761001", "email": "Alice@Fabrikam.example", "email_verified": true,
            "name": "Alice", "acr": "urn:mace:incommon:iap:silver", "amr": ["pwd", "mfa"]
        }));
        let p = person(&c, &mapping(false)).unwrap();
        assert_eq!(p.subject, "248289761001");
        assert_eq!(p.email.lower(), "alice@fabrikam.example");
        assert_eq!(p.name.as_deref(), Some("Alice"));
        assert_eq!(p.acr.as_deref(), Some("urn:mace:incommon:iap:silver"));
        assert_eq!(p.amr, vec!["pwd", "mfa"]);
        let c = claims(json!({"email": "a@b.example", "email_verified": true}));
        assert_eq!(person(&c, &mapping(false)), Err(Refusal::NoSubject));
        let c = claims(json!({"sub": "x", "email": "not an address", "email_verified": true}));
        assert_eq!(person(&c, &mapping(false)), Err(Refusal::NoEmail));
    }

    #[test]
    fn alt_sec_ids_are_pinned_and_distinct_per_issuer_and_subject() {
        let a = alt_sec_id("https://idp.example", "s1");
        assert_eq!(a.len(), 42);
        assert!(a.starts_with("5:"));
        assert_eq!(a, alt_sec_id("https://idp.example", "s1"));
        assert_ne!(a, alt_sec_id("https://idp.example", "s2"));
        assert_ne!(a, alt_sec_id("https://other.example", "s1"));
        assert!(directory_slug("https://idp.example").starts_with("ext-idp---"));
        assert_ne!(
            directory_slug("https://idp.example"),
            directory_slug("https://idp.example/")
        );
    }
}
