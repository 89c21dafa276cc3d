//! The kinds and states of user objects, named as operators of that ecosystem know them.

use super::DomainError;
use super::email::EmailAddress;
use std::fmt;

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, DomainError> {
                match raw {
                    $($text => Ok(Self::$variant),)+
                    other => Err(DomainError::new(
                        stringify!($name),
                        format!("unknown value {other:?}; expected one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// `Member` objects belong to the tenant; `Guest` objects stand for people whose home is elsewhere.
    UserType { Member => "Member", Guest => "Guest" }
);

string_enum!(
    /// How an object came to be; `None` (stored as null) for objects an admin created directly.
    CreationType { Invitation => "Invitation", SelfServiceSignUp => "SelfServiceSignUp" }
);

string_enum!(
    /// Where an invited guest stands: invited and not yet redeemed, or redeemed.
    ExternalUserState { PendingAcceptance => "PendingAcceptance", Accepted => "Accepted" }
);

string_enum!(
    /// Roles a user object can hold in its tenant besides being a plain member or guest. `Operator` is
    /// server-wide: it may create tenants.
    Role { Admin => "Admin", GuestInviter => "GuestInviter", Operator => "Operator" }
);

/// Roles are stored space-separated; unknown words are dropped rather than trusted.
pub fn parse_roles(stored: &str) -> Vec<Role> {
    stored
        .split_whitespace()
        .filter_map(|r| Role::parse(r).ok())
        .collect()
}

pub fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A user principal name. Members get `local@tenant-domain`; guests get the `#EXT#` form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upn(String);

impl Upn {
    pub fn member(email: &EmailAddress) -> Upn {
        Upn(email.as_str().to_string())
    }

    /// `alice@fabrikam.example` invited by `contoso.example` becomes
    /// `alice_fabrikam.example#EXT#@contoso.example`.
    pub fn guest(invited: &EmailAddress, tenant_domain: &str) -> Upn {
        Upn(format!(
            "{}#EXT#@{}",
            invited.as_str().replace('@', "_"),
            tenant_domain
        ))
    }

    /// The `_EXT_` form some relying apps need, since `#` is awkward in URLs and file names.
    pub fn without_hash(&self) -> String {
        self.0.replace("#EXT#", "_EXT_")
    }

    pub fn from_stored(s: String) -> Upn {
        Upn(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name as a person typed it: trimmed, 1–256 characters, no control characters.
pub fn parse_display_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::new("display_name", "Enter a display name."));
    }
    if name.chars().count() > 256 {
        return Err(DomainError::new(
            "display_name",
            "A display name has at most 256 characters.",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::new(
            "display_name",
            "A display name cannot contain control characters.",
        ));
    }
    Ok(name.to_string())
}

/// Password rules for people choosing one: long enough to matter, short enough that hashing stays bounded.
pub fn check_new_password(password: &str, confirm: &str) -> Result<(), DomainError> {
    let len = password.chars().count();
    if len < 10 {
        return Err(DomainError::new("password", "Use at least 10 characters."));
    }
    if password.len() > 1024 {
        return Err(DomainError::new("password", "Use at most 1024 bytes."));
    }
    if password != confirm {
        return Err(DomainError::new(
            "confirm_password",
            "The two passwords do not match.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_upn_follows_the_ext_form() {
        let e = EmailAddress::parse("alice@fabrikam.example").unwrap();
        let upn = Upn::guest(&e, "contoso.example");
        assert_eq!(upn.as_str(), "alice_fabrikam.example#EXT#@contoso.example");
        assert_eq!(
            upn.without_hash(),
            "alice_fabrikam.example_EXT_@contoso.example"
        );
    }

    #[test]
    fn enums_round_trip_and_reject_unknown_values() {
        assert_eq!(UserType::parse("Guest").unwrap(), UserType::Guest);
        assert_eq!(
            ExternalUserState::PendingAcceptance.as_str(),
            "PendingAcceptance"
        );
        assert!(UserType::parse("guest").is_err());
    }

    #[test]
    fn roles_ignore_unknown_words() {
        assert_eq!(
            parse_roles("Admin bogus GuestInviter"),
            vec![Role::Admin, Role::GuestInviter]
        );
        assert_eq!(format_roles(&[Role::Admin]), "Admin");
    }

    #[test]
    fn password_rules() {
        assert!(check_new_password("short", "short").is_err());
        assert_eq!(
            check_new_password("long enough pw", "other")
                .unwrap_err()
                .field,
            "confirm_password"
        );
        assert!(check_new_password("long enough pw", "long enough pw").is_ok());
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(parse_display_name("  김민수 ").unwrap(), "김민수");
        assert!(parse_display_name("   ").is_err());
        assert!(parse_display_name("a\u{0}b").is_err());
    }
}
