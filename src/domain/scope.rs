//! OAuth scopes: parsing the request value and the set the provider knows.

use super::DomainError;
use std::collections::BTreeSet;

/// Scopes this provider knows; others in an authorization request are ignored (OIDC Core §3.1.2.1).
pub const STANDARD_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// The scope with which a token may do everything a tenant's admin does through the admin API.
pub const ADMIN_SCOPE: &str = "guestlist.admin";
/// The scope with which a token may only invite (and follow up on its own invitations).
pub const INVITE_SCOPE: &str = "guestlist.invite";
/// The scopes that make a token one for the admin API.
pub const ADMIN_API_SCOPES: &[&str] = &[ADMIN_SCOPE, INVITE_SCOPE];

/// A set of scope tokens, kept sorted so its stored form does not depend on request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space-separated `scope` value; each token uses RFC 6749 §3.3 characters only.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let mut set = BTreeSet::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            let ok = token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
            if !ok || token.len() > 128 {
                return Err(DomainError::new(
                    "scope",
                    "A scope contains a character that is not allowed.",
                ));
            }
            set.insert(token.to_string());
        }
        Ok(Scopes(set))
    }

    pub fn from_stored(stored: &str) -> Self {
        Scopes(stored.split_whitespace().map(str::to_string).collect())
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Keeps only the scopes `allowed` accepts.
    pub fn retain(&self, allowed: impl Fn(&str) -> bool) -> Scopes {
        Scopes(self.0.iter().filter(|s| allowed(s)).cloned().collect())
    }

    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn to_stored(&self) -> String {
        self.0.iter().cloned().collect::<Vec<_>>().join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let a = Scopes::parse("profile openid  email openid").unwrap();
        let b = Scopes::parse("email profile openid").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_stored(), "email openid profile");
    }

    #[test]
    fn rejects_quotes_and_backslashes() {
        assert!(Scopes::parse("openid \"x\"").is_err());
        assert!(Scopes::parse("open\\id").is_err());
    }

    #[test]
    fn subset_and_retain() {
        let all = Scopes::parse("openid profile email").unwrap();
        let some = Scopes::parse("openid email").unwrap();
        assert!(some.is_subset_of(&all));
        assert!(!all.is_subset_of(&some));
        assert_eq!(all.retain(|s| s != "profile"), some);
    }
}
