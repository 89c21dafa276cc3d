//! Tenant names as they appear in URLs and issuers.

use super::DomainError;
use super::email::valid_domain;

/// A tenant's URL name: 2–63 lower-case letters, digits and hyphens, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let ok = (2..=63).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(DomainError::new(
                "slug",
                "Use 2 to 63 lower-case letters, digits and hyphens, starting with a letter.",
            ));
        }
        Ok(TenantSlug(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A tenant's issuer: `{public_url}/t/{slug}`, with no trailing slash, byte-identical everywhere.
pub fn issuer(public_url: &str, slug: &str) -> String {
    format!("{}/t/{}", public_url.trim_end_matches('/'), slug)
}

pub fn parse_primary_domain(raw: &str) -> Result<String, DomainError> {
    let d = raw.trim().to_ascii_lowercase();
    if !valid_domain(&d) {
        return Err(DomainError::new(
            "domain",
            "Enter a domain name such as contoso.example.",
        ));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(TenantSlug::parse("contoso").is_ok());
        assert!(TenantSlug::parse("a1-b").is_ok());
        for bad in ["", "a", "Contoso", "1abc", "ab-", "a_b", "a b"] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn issuer_has_no_trailing_slash_drift() {
        assert_eq!(
            issuer("https://id.example/", "contoso"),
            "https://id.example/t/contoso"
        );
        assert_eq!(
            issuer("https://id.example", "contoso"),
            "https://id.example/t/contoso"
        );
    }
}
