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
            #[allow(dead_code)]
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

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

/// The roles a user object holds, as a set: each role once, in a fixed order, whatever order they were
/// given in. Stored one row per role (`user_roles`), so no query matches roles inside a string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    pub const EMPTY: RoleSet = RoleSet(0);
    const ALL: [Role; 3] = [Role::Admin, Role::GuestInviter, Role::Operator];

    fn bit(role: Role) -> u8 {
        match role {
            Role::Admin => 1,
            Role::GuestInviter => 2,
            Role::Operator => 4,
        }
    }

    pub fn of(roles: &[Role]) -> RoleSet {
        roles.iter().fold(RoleSet::EMPTY, |set, r| set.with(*r))
    }

    /// Role names as an API or a form gives them; an unknown name is an error, not dropped.
    pub fn parse_names<S: AsRef<str>>(names: &[S]) -> Result<RoleSet, DomainError> {
        names
            .iter()
            .map(|n| Role::parse(n.as_ref().trim()))
            .try_fold(RoleSet::EMPTY, |set, r| Ok(set.with(r?)))
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    pub fn with(self, role: Role) -> RoleSet {
        RoleSet(self.0 | Self::bit(role))
    }

    pub fn without(self, role: Role) -> RoleSet {
        RoleSet(self.0 & !Self::bit(role))
    }

    /// The roles both sets hold.
    pub fn and(self, other: RoleSet) -> RoleSet {
        RoleSet(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Self::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The role names in their fixed order (`["Admin", "GuestInviter"]`).
    pub fn names(self) -> Vec<String> {
        self.iter().map(|r| r.as_str().to_string()).collect()
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        iter.into_iter().fold(RoleSet::EMPTY, RoleSet::with)
    }
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

/// A user object of a tenant as the rest of the code sees it: typed, never a row with string columns.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    pub user_type: UserType,
    pub creation_type: Option<CreationType>,
    pub upn: Upn,
    pub display_name: String,
    pub mail: String,
    pub preferred_language: Option<String>,
    pub enabled: bool,
    pub roles: RoleSet,
    /// Guests only: where their invitation stands, and since when.
    pub external_user_state: Option<ExternalUserState>,
    pub external_user_state_changed_at: Option<i64>,
    pub sign_in_name: Option<String>,
    pub alt_sec_id: Option<String>,
    /// A guest bound to an account: that account's user object and its directory's issuer.
    pub home_user_id: Option<String>,
    pub home_issuer: Option<String>,
    pub email_verified: bool,
    pub profile: super::claims::Profile,
    pub last_sign_in_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl User {
    pub fn is_guest(&self) -> bool {
        self.user_type == UserType::Guest
    }

    pub fn may_hold_tokens(&self) -> bool {
        may_hold_tokens(self.enabled, self.user_type, self.external_user_state)
    }
}

/// A user object may hold tokens while enabled and, for guests, while their invitation stays accepted.
pub fn may_hold_tokens(
    enabled: bool,
    user_type: UserType,
    state: Option<ExternalUserState>,
) -> bool {
    enabled && (user_type != UserType::Guest || state == Some(ExternalUserState::Accepted))
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
        // Every value reads back as itself, and JSON (the API, the audit details) spells it as the
        // database and the CSV do.
        fn round_trips<T>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Result<T, DomainError>,
        ) where
            T: Copy + PartialEq + fmt::Debug + serde::Serialize,
        {
            for &value in all {
                assert_eq!(parse(as_str(value)).unwrap(), value);
                assert_eq!(
                    serde_json::to_value(value).unwrap(),
                    as_str(value),
                    "{value:?}"
                );
            }
        }
        round_trips(UserType::ALL, UserType::as_str, UserType::parse);
        round_trips(CreationType::ALL, CreationType::as_str, CreationType::parse);
        round_trips(
            ExternalUserState::ALL,
            ExternalUserState::as_str,
            ExternalUserState::parse,
        );
        round_trips(Role::ALL, Role::as_str, Role::parse);
        // Values are matched exactly, as the directory this mirrors spells them.
        assert!(UserType::parse("guest").is_err());
        assert!(ExternalUserState::parse("pendingacceptance").is_err());
        assert!(Role::parse("").is_err());
    }

    #[test]
    fn role_sets_hold_each_role_once_in_a_fixed_order() {
        let set = RoleSet::parse_names(&["GuestInviter", "Admin", "Admin"]).unwrap();
        assert_eq!(set.names(), vec!["Admin", "GuestInviter"]);
        assert!(set.contains(Role::Admin) && !set.contains(Role::Operator));
        assert_eq!(set.without(Role::Admin).names(), vec!["GuestInviter"]);
        assert_eq!(
            set.and(RoleSet::of(&[Role::GuestInviter, Role::Operator])),
            RoleSet::of(&[Role::GuestInviter])
        );
        assert!(RoleSet::parse_names(&["Admin", "Root"]).is_err());
        assert!(RoleSet::EMPTY.is_empty() && RoleSet::EMPTY.names().is_empty());
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
