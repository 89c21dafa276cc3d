//! Email addresses as the directory uses them: trimmed, one `@`, a plausible domain, compared in lower case.

use super::DomainError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address as typed by a person or found in a CSV cell. The local part keeps its case
    /// (it is what the person typed); lookups use [`EmailAddress::lower`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        let err = |m: &str| Err(DomainError::new("email", m));
        if value.is_empty() {
            return err("Enter an email address.");
        }
        if value.len() > 254 {
            return err("An email address has at most 254 characters.");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return err("An email address needs an @ between name and domain.");
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return err("The part before the @ is not valid.");
        }
        if local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
        {
            return err("The part before the @ contains a character that is not allowed.");
        }
        if !valid_domain(domain) {
            return err("The part after the @ is not a valid domain.");
        }
        Ok(EmailAddress(format!(
            "{local}@{}",
            domain.to_ascii_lowercase()
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookups.
    pub fn lower(&self) -> String {
        self.0.to_lowercase()
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }

    /// Whether the address is at `domain` or one of its subdomains (`a@eu.contoso.example` is at
    /// `contoso.example`; `a@notcontoso.example` is not).
    pub fn is_at(&self, domain: &str) -> bool {
        let (mine, theirs) = (self.domain(), domain.trim().to_ascii_lowercase());
        !theirs.is_empty()
            && (mine == theirs
                || mine
                    .strip_suffix(theirs.as_str())
                    .is_some_and(|rest| rest.ends_with('.')))
    }
}

/// A DNS name of at least two labels, each 1–63 characters of letters, digits and hyphens (or any
/// non-ASCII letters, for internationalised names), not starting or ending with a hyphen.
pub fn valid_domain(domain: &str) -> bool {
    if domain.is_empty() || domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_at_its_domain_and_its_subdomains_only() {
        let at = |a: &str, d: &str| EmailAddress::parse(a).unwrap().is_at(d);
        assert!(at("ann@contoso.example", "contoso.example"));
        assert!(at("ann@Contoso.Example", "CONTOSO.example"));
        assert!(at("ann@eu.contoso.example", "contoso.example"));
        assert!(!at("ann@notcontoso.example", "contoso.example"));
        assert!(!at("ann@contoso.example.evil", "contoso.example"));
        assert!(!at("ann@contoso.example", ""));
    }

    #[test]
    fn parses_and_normalises_domain_case() {
        let e = EmailAddress::parse("  Alice@Fabrikam.Example ").unwrap();
        assert_eq!(e.as_str(), "Alice@fabrikam.example");
        assert_eq!(e.lower(), "alice@fabrikam.example");
        assert_eq!(e.domain(), "fabrikam.example");
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "alice",
            "@x.example",
            "a@",
            "a@b",
            "a b@x.example",
            "a@-x.example",
            "a@x..example",
            "a<@x.example",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn accepts_non_ascii_domains() {
        assert!(EmailAddress::parse("김@회사.한국").is_ok());
    }
}
