//! Tenant policies about invitations (spec §3.1): who may invite, and which email domains may be invited.
//!
//! Both are stored in a tenant's settings JSON, so both are serde types; both deserialise through the same
//! rules as a form would, so a hand-edited settings row cannot smuggle in a value the console would refuse.

use super::DomainError;
use super::email::valid_domain;
use super::user::{Role, RoleSet, UserType};
use std::fmt;

/// Who may create invitations in a tenant. The levels are ordered from most to least open.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum InvitePolicy {
    /// Everyone in the tenant, guests included. The default, as in the product guestlist is modelled on.
    #[default]
    Everyone,
    /// Members and anyone holding `GuestInviter` (or `Admin`); guests without a role may not.
    MembersAndGuestInviters,
    /// Only `Admin`s and `GuestInviter`s.
    AdminsAndGuestInviters,
    /// Invitations are switched off, for admins too: an admin who wants to invite changes the policy first,
    /// which leaves an audit trail, rather than quietly bypassing it.
    Nobody,
}

/// The person asking to invite, as far as the policy cares. Roles count whatever the user type: a guest
/// given `GuestInviter` invites like any other guest inviter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inviter {
    pub user_type: UserType,
    pub roles: RoleSet,
}

impl Inviter {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(Role::Admin)
    }

    pub fn is_guest_inviter(&self) -> bool {
        self.roles.contains(Role::GuestInviter)
    }
}

impl InvitePolicy {
    pub const ALL: [InvitePolicy; 4] = [
        InvitePolicy::Everyone,
        InvitePolicy::MembersAndGuestInviters,
        InvitePolicy::AdminsAndGuestInviters,
        InvitePolicy::Nobody,
    ];

    /// The stored spelling (the same as serde's).
    pub fn as_str(self) -> &'static str {
        match self {
            InvitePolicy::Everyone => "everyone",
            InvitePolicy::MembersAndGuestInviters => "members_and_guest_inviters",
            InvitePolicy::AdminsAndGuestInviters => "admins_and_guest_inviters",
            InvitePolicy::Nobody => "nobody",
        }
    }

    /// Parses the stored spelling, e.g. a radio button's value in the admin console.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let value = raw.trim();
        InvitePolicy::ALL
            .into_iter()
            .find(|p| p.as_str() == value)
            .ok_or_else(|| {
                DomainError::new(
                    "invite_policy",
                    format!(
                        "unknown value {value:?}; expected one of: {}",
                        InvitePolicy::ALL.map(InvitePolicy::as_str).join(", ")
                    ),
                )
            })
    }

    /// Whether `inviter` may create invitations at all under this policy. `Admin` passes every level but
    /// `Nobody`; `GuestInviter` likewise; members pass `Everyone` and `MembersAndGuestInviters`; guests
    /// without a role pass only `Everyone`.
    pub fn may_invite(&self, inviter: &Inviter) -> bool {
        let privileged = inviter.is_admin() || inviter.is_guest_inviter();
        match self {
            InvitePolicy::Everyone => true,
            InvitePolicy::MembersAndGuestInviters => {
                privileged || inviter.user_type == UserType::Member
            }
            InvitePolicy::AdminsAndGuestInviters => privileged,
            InvitePolicy::Nobody => false,
        }
    }

    /// Whether `inviter` may create an invitation whose object will have `invitee_type`: the policy must let
    /// them invite, and only an `Admin` may invite someone in as a `Member` (spec §3.1), since a member
    /// object sees the directory as an employee does.
    pub fn may_invite_as(&self, inviter: &Inviter, invitee_type: UserType) -> bool {
        self.may_invite(inviter) && (invitee_type == UserType::Guest || inviter.is_admin())
    }

    /// [`InvitePolicy::may_invite_as`] with a reason a person can read, for the service to return.
    pub fn check(&self, inviter: &Inviter, invitee_type: UserType) -> Result<(), DomainError> {
        if !self.may_invite(inviter) {
            let who = match self {
                InvitePolicy::Everyone => "everyone",
                InvitePolicy::MembersAndGuestInviters => "members and guest inviters",
                InvitePolicy::AdminsAndGuestInviters => "admins and guest inviters",
                InvitePolicy::Nobody => {
                    return Err(DomainError::new(
                        "invite_policy",
                        "Invitations are switched off in this organisation.",
                    ));
                }
            };
            return Err(DomainError::new(
                "invite_policy",
                format!("In this organisation only {who} may invite."),
            ));
        }
        if !self.may_invite_as(inviter, invitee_type) {
            return Err(DomainError::new(
                "user_type",
                "Only an admin may invite someone as a Member.",
            ));
        }
        Ok(())
    }
}

impl fmt::Display for InvitePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The most characters a tenant's domain list may hold, counting each domain plus one separator.
pub const MAX_DOMAIN_LIST_CHARS: usize = 25_000;

/// A non-empty, de-duplicated list of lower-case domains whose total size is within
/// [`MAX_DOMAIN_LIST_CHARS`]. Non-empty because an empty allow list would block every invitation and an
/// empty deny list would block none: both are better said as "no list" ([`DomainList::None`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<String>", into = "Vec<String>")]
pub struct Domains(Vec<String>);

impl Domains {
    /// Parses domains one per item, trimming each and lower-casing it; blank items are skipped, a repeated
    /// domain is kept once (first position). Every invalid domain is named in one error, so an admin pasting
    /// a long list fixes it in one go.
    pub fn parse<I, S>(items: I) -> Result<Self, DomainError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut domains: Vec<String> = Vec::new();
        let mut invalid: Vec<String> = Vec::new();
        for item in items {
            let raw = item.as_ref().trim();
            if raw.is_empty() {
                continue;
            }
            let domain = raw.to_lowercase();
            if !valid_domain(&domain) {
                invalid.push(format!("{raw:?}"));
            } else if !domains.contains(&domain) {
                domains.push(domain);
            }
        }
        if !invalid.is_empty() {
            return Err(DomainError::new(
                "domains",
                format!(
                    "Not a domain name (such as fabrikam.example): {}.",
                    invalid.join(", ")
                ),
            ));
        }
        if domains.is_empty() {
            return Err(DomainError::new(
                "domains",
                "Enter at least one domain, or choose no domain list.",
            ));
        }
        let total: usize = domains.iter().map(|d| d.chars().count() + 1).sum();
        if total > MAX_DOMAIN_LIST_CHARS {
            return Err(DomainError::new(
                "domains",
                format!(
                    "A domain list holds at most {MAX_DOMAIN_LIST_CHARS} characters \
                     (counting one separator per domain); this one has {total}."
                ),
            ));
        }
        Ok(Domains(domains))
    }

    /// Parses a list as typed in a text area: domains separated by spaces, line breaks, commas or semicolons.
    pub fn parse_text(raw: &str) -> Result<Self, DomainError> {
        Domains::parse(raw.split(|c: char| c.is_whitespace() || c == ',' || c == ';'))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Whether `email_domain` is one of the listed domains or a subdomain of one (`a.fabrikam.example`
    /// is covered by `fabrikam.example`), ignoring case and a trailing dot.
    pub fn covers(&self, email_domain: &str) -> bool {
        let domain = email_domain.trim().trim_end_matches('.').to_lowercase();
        self.0.iter().any(|listed| {
            domain == *listed
                || domain
                    .strip_suffix(listed.as_str())
                    .is_some_and(|head| head.ends_with('.'))
        })
    }
}

impl TryFrom<Vec<String>> for Domains {
    type Error = String;

    fn try_from(items: Vec<String>) -> Result<Self, Self::Error> {
        Domains::parse(items).map_err(|e| e.message)
    }
}

impl From<Domains> for Vec<String> {
    fn from(domains: Domains) -> Self {
        domains.0
    }
}

/// A tenant's domain restriction on invitations, checked when inviting and again when a still-pending
/// invitation is redeemed. Stored as `{"mode":"none"}`, `{"mode":"allow","domains":[…]}` or
/// `{"mode":"deny","domains":[…]}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "mode", content = "domains", rename_all = "snake_case")]
pub enum DomainList {
    /// No restriction.
    #[default]
    None,
    /// Only these domains (and their subdomains) may be invited.
    Allow(Domains),
    /// Any domain but these (and their subdomains) may be invited.
    Deny(Domains),
}

impl DomainList {
    /// Whether an invitation to an address at `email_domain` is allowed.
    pub fn permits(&self, email_domain: &str) -> bool {
        match self {
            DomainList::None => true,
            DomainList::Allow(domains) => domains.covers(email_domain),
            DomainList::Deny(domains) => !domains.covers(email_domain),
        }
    }

    /// [`DomainList::permits`] as the "blocked domain" error the service reports.
    pub fn check(&self, email_domain: &str) -> Result<(), DomainError> {
        if self.permits(email_domain) {
            Ok(())
        } else {
            Err(DomainError::new(
                "email",
                format!(
                    "Blocked domain: this organisation does not invite addresses at {email_domain}."
                ),
            ))
        }
    }

    /// The listed domains; empty for [`DomainList::None`].
    pub fn domains(&self) -> &[String] {
        match self {
            DomainList::None => &[],
            DomainList::Allow(d) | DomainList::Deny(d) => d.as_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(user_type: UserType, roles: &[Role]) -> Inviter {
        Inviter {
            user_type,
            roles: RoleSet::of(roles),
        }
    }

    #[test]
    fn invite_policy_levels() {
        let admin = who(UserType::Member, &[Role::Admin]);
        let inviter = who(UserType::Member, &[Role::GuestInviter]);
        let guest_inviter = who(UserType::Guest, &[Role::GuestInviter]);
        let member = who(UserType::Member, &[]);
        let guest = who(UserType::Guest, &[]);
        use InvitePolicy::*;
        // (policy, admin, guest inviter (member), guest inviter (guest), member, guest)
        let table = [
            (Everyone, [true, true, true, true, true]),
            (MembersAndGuestInviters, [true, true, true, true, false]),
            (AdminsAndGuestInviters, [true, true, true, false, false]),
            (Nobody, [false, false, false, false, false]),
        ];
        for (policy, expected) in table {
            let got =
                [&admin, &inviter, &guest_inviter, &member, &guest].map(|i| policy.may_invite(i));
            assert_eq!(got, expected, "{policy}");
        }
    }

    #[test]
    fn only_admins_invite_members() {
        let admin = who(UserType::Member, &[Role::Admin]);
        let inviter = who(UserType::Member, &[Role::GuestInviter]);
        let member = who(UserType::Member, &[]);
        let p = InvitePolicy::Everyone;
        assert!(p.may_invite_as(&admin, UserType::Member));
        assert!(p.may_invite_as(&inviter, UserType::Guest));
        assert!(!p.may_invite_as(&inviter, UserType::Member));
        assert!(!p.may_invite_as(&member, UserType::Member));
        assert!(!InvitePolicy::Nobody.may_invite_as(&admin, UserType::Member));
        assert_eq!(
            p.check(&member, UserType::Member).unwrap_err().field,
            "user_type"
        );
        let err = InvitePolicy::AdminsAndGuestInviters
            .check(&member, UserType::Guest)
            .unwrap_err();
        assert_eq!(err.field, "invite_policy");
        assert!(err.message.contains("admins and guest inviters"));
        assert!(
            InvitePolicy::Nobody
                .check(&admin, UserType::Guest)
                .unwrap_err()
                .message
                .contains("switched off")
        );
        assert!(p.check(&admin, UserType::Member).is_ok());
    }

    #[test]
    fn invite_policy_serde_and_parse() {
        assert_eq!(InvitePolicy::default(), InvitePolicy::Everyone);
        for p in InvitePolicy::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<InvitePolicy>(&json).unwrap(), p);
            assert_eq!(InvitePolicy::parse(p.as_str()).unwrap(), p);
        }
        assert_eq!(
            serde_json::to_string(&InvitePolicy::MembersAndGuestInviters).unwrap(),
            "\"members_and_guest_inviters\""
        );
        assert!(InvitePolicy::parse("Everyone").is_err());
    }

    #[test]
    fn domains_are_lower_cased_deduplicated_and_validated() {
        let d = Domains::parse([
            "Fabrikam.Example",
            " ",
            "fabrikam.example",
            "woodgrove.example",
        ])
        .unwrap();
        assert_eq!(d.as_slice(), ["fabrikam.example", "woodgrove.example"]);
        let err = Domains::parse(["ok.example", "not a domain", "nodot"]).unwrap_err();
        assert!(err.message.contains("\"not a domain\""));
        assert!(err.message.contains("\"nodot\""));
        assert!(Domains::parse(Vec::<String>::new()).is_err());
        assert_eq!(
            Domains::parse_text("a.example, b.example;\nc.example")
                .unwrap()
                .as_slice(),
            ["a.example", "b.example", "c.example"]
        );
    }

    #[test]
    fn domain_list_size_limit_counts_a_separator_per_domain() {
        // "dNNNN.example" is 13 characters; plus one separator = 14 each.
        let make = |n: usize| {
            (0..n)
                .map(|i| format!("d{i:04}.example"))
                .collect::<Vec<_>>()
        };
        let fits = 25_000 / 14; // 1785 domains = 24,990 characters
        assert!(Domains::parse(make(fits)).is_ok());
        let err = Domains::parse(make(fits + 1)).unwrap_err();
        assert!(err.message.contains("25000"), "{}", err.message);
        // Exactly at the limit is allowed: 24,990 + a 9-character domain + separator = 25,000.
        let mut exact = make(fits);
        exact.push("abcd.exam".to_string());
        assert!(Domains::parse(exact.clone()).is_ok());
        exact.push("x.y".to_string());
        assert!(Domains::parse(exact).is_err());
    }

    #[test]
    fn allow_and_deny_match_subdomains_but_not_lookalikes() {
        let allow = DomainList::Allow(Domains::parse(["fabrikam.example"]).unwrap());
        assert!(allow.permits("fabrikam.example"));
        assert!(allow.permits("FABRIKAM.Example"));
        assert!(allow.permits("a.fabrikam.example"));
        assert!(allow.permits("x.a.fabrikam.example."));
        assert!(!allow.permits("notfabrikam.example"));
        assert!(!allow.permits("fabrikam.example.evil.example"));
        assert!(!allow.permits("example"));

        let deny = DomainList::Deny(Domains::parse(["fabrikam.example"]).unwrap());
        assert!(!deny.permits("fabrikam.example"));
        assert!(!deny.permits("sub.Fabrikam.example"));
        assert!(deny.permits("notfabrikam.example"));
        assert!(deny.permits("woodgrove.example"));

        assert!(DomainList::None.permits("anything.example"));
        assert!(DomainList::default().domains().is_empty());
        let err = deny.check("a.fabrikam.example").unwrap_err();
        assert!(err.message.starts_with("Blocked domain"));
        assert!(allow.check("fabrikam.example").is_ok());
    }

    #[test]
    fn domain_list_serde_round_trips_and_validates() {
        let allow = DomainList::Allow(Domains::parse(["fabrikam.example"]).unwrap());
        let json = serde_json::to_string(&allow).unwrap();
        assert_eq!(json, r#"{"mode":"allow","domains":["fabrikam.example"]}"#);
        assert_eq!(serde_json::from_str::<DomainList>(&json).unwrap(), allow);
        assert_eq!(
            serde_json::to_string(&DomainList::None).unwrap(),
            r#"{"mode":"none"}"#
        );
        assert_eq!(
            serde_json::from_str::<DomainList>(r#"{"mode":"none"}"#).unwrap(),
            DomainList::None
        );
        let lowered: DomainList =
            serde_json::from_str(r#"{"mode":"deny","domains":["Woodgrove.Example"]}"#).unwrap();
        assert_eq!(lowered.domains(), ["woodgrove.example"]);
        assert!(
            serde_json::from_str::<DomainList>(r#"{"mode":"deny","domains":["bad domain"]}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<DomainList>(r#"{"mode":"allow","domains":[]}"#).is_err());
    }
}
