//! Who may do what in a tenant. Pure rules over the caller's [`Standing`] and facts about the object it
//! acts on; the services establish both inside the transaction of the work, so a role removed or an app
//! disabled a moment ago counts. `docs/authorization.md` is this module as a table.
//!
//! Denies win: a caller needs a rule that allows the action, and an invite-scoped caller never gets more
//! than a guest inviter, whatever roles the person behind the token holds.

use super::policy::{InvitePolicy, Inviter};
use super::scope::{ADMIN_SCOPE, INVITE_SCOPE, Scopes};
use super::user::{Role, RoleSet, UserType};
use std::fmt;

/// What kind of caller acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// The operator at the server's command line.
    Operator,
    /// A user object of the tenant, through a token (or named with the CLI's `--by`).
    User,
    /// An app of the tenant with a `client_credentials` token.
    App,
}

impl CallerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallerKind::Operator => "operator",
            CallerKind::User => "user",
            CallerKind::App => "app",
        }
    }
}

/// A caller as the rules see it: its kind, its user type (apps and the operator count as members) and
/// the roles that count for this request: those it holds, limited by the scopes of its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub kind: CallerKind,
    pub user_type: UserType,
    pub roles: RoleSet,
}

impl Standing {
    /// The operator administers every tenant and creates tenants.
    pub fn operator() -> Standing {
        Standing {
            kind: CallerKind::Operator,
            user_type: UserType::Member,
            roles: RoleSet::of(&[Role::Admin, Role::Operator]),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.roles.contains(Role::Admin)
    }

    /// The caller as the tenant's invite policy sees it.
    pub fn inviter(&self) -> Inviter {
        Inviter {
            user_type: self.user_type,
            roles: self.roles,
        }
    }
}

/// The roles a user may use with a token carrying `scopes`: `guestlist.admin` lets every held role count,
/// `guestlist.invite` only inviting (an admin holding an invite-scoped token acts as a guest inviter), and
/// a token with neither carries no role at all.
pub fn user_roles_within(held: RoleSet, scopes: &Scopes) -> RoleSet {
    if scopes.contains(ADMIN_SCOPE) {
        held
    } else if scopes.contains(INVITE_SCOPE)
        && (held.contains(Role::Admin) || held.contains(Role::GuestInviter))
    {
        RoleSet::of(&[Role::GuestInviter])
    } else {
        RoleSet::EMPTY
    }
}

/// The roles an app acts with: its token's scopes, and nothing server-wide.
pub fn app_roles(scopes: &Scopes) -> RoleSet {
    if scopes.contains(ADMIN_SCOPE) {
        RoleSet::of(&[Role::Admin])
    } else if scopes.contains(INVITE_SCOPE) {
        RoleSet::of(&[Role::GuestInviter])
    } else {
        RoleSet::EMPTY
    }
}

/// Whether a user's token may carry an admin API scope: only from a first-party app of the tenant, and
/// only for someone who holds a role the scope stands for. Other scopes are not this rule's business.
pub fn user_may_receive_scope(scope: &str, first_party: bool, held: RoleSet) -> bool {
    match scope {
        ADMIN_SCOPE => first_party && (held.contains(Role::Admin) || held.contains(Role::Operator)),
        INVITE_SCOPE => {
            first_party && (held.contains(Role::Admin) || held.contains(Role::GuestInviter))
        }
        _ => true,
    }
}

/// What a caller asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List and create tenants (server-wide).
    ManageTenants,
    /// Read or change the tenant's users, groups, apps, branding, policies and audit log, revoke
    /// invitations, and stage CSV uploads in the console.
    Administer,
    /// Create an invitation under the tenant's invite policy; `as_member` invites a Member object,
    /// `grants_access` puts the guest into groups or apps.
    Invite {
        policy: InvitePolicy,
        as_member: bool,
        grants_access: bool,
    },
    /// List or read invitations; `own` when the caller created this one.
    SeeInvitations { own: bool },
    /// Send an invitation again with a new link.
    ResendInvitation { own: bool, pending: bool },
    /// Unbind a redeemed guest from their account and invite them again.
    ResetRedemption,
    /// Send invitees to a URL that no app of the tenant registered.
    RedirectAnywhere,
    /// Learn the id of an object the caller did not create (e.g. in a conflict).
    LearnObjectIds,
    /// Give or take away a role.
    GrantRole(Role),
}

impl Action {
    /// A name for the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Action::ManageTenants => "manage tenants",
            Action::Administer => "administer",
            Action::Invite { .. } => "invite",
            Action::SeeInvitations { .. } => "see invitations",
            Action::ResendInvitation { .. } => "resend invitation",
            Action::ResetRedemption => "reset redemption",
            Action::RedirectAnywhere => "redirect anywhere",
            Action::LearnObjectIds => "learn object ids",
            Action::GrantRole(_) => "grant role",
        }
    }
}

/// Why an action was refused, in a sentence for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn deny(reason: impl Into<String>) -> Result<(), Denied> {
    Err(Denied(reason.into()))
}

/// The rules. Anything not allowed here is refused.
pub fn check(s: &Standing, action: Action) -> Result<(), Denied> {
    let admin = s.is_admin();
    let inviter = s.roles.contains(Role::GuestInviter);
    match action {
        Action::ManageTenants if s.roles.contains(Role::Operator) => Ok(()),
        Action::ManageTenants => deny("this needs the Operator role of the server"),
        Action::Administer if admin => Ok(()),
        Action::Administer => deny("this needs the Admin role in this organisation"),
        Action::Invite {
            policy,
            as_member,
            grants_access,
        } => {
            if let Err(e) = policy.check(&s.inviter(), invitee_type(as_member)) {
                return deny(e.message);
            }
            if grants_access && !admin {
                return deny("only admins may add invited guests to groups or applications");
            }
            Ok(())
        }
        Action::SeeInvitations { .. } if admin => Ok(()),
        Action::SeeInvitations { own: true } if inviter => Ok(()),
        Action::SeeInvitations { .. } => {
            deny("guest inviters see only the invitations they created")
        }
        Action::ResendInvitation { .. } if admin => Ok(()),
        Action::ResendInvitation {
            own: true,
            pending: true,
        } if inviter => Ok(()),
        Action::ResendInvitation { .. } => deny(
            "only admins may resend this invitation; guest inviters resend only their own pending ones",
        ),
        Action::ResetRedemption if admin => Ok(()),
        Action::ResetRedemption => deny("only admins may reset a redemption"),
        Action::RedirectAnywhere if admin => Ok(()),
        Action::RedirectAnywhere => deny(
            "inviteRedirectUrl must be a redirect URI or home URL registered for one of this organisation's apps",
        ),
        Action::LearnObjectIds if admin => Ok(()),
        Action::LearnObjectIds => deny("only admins see other objects of the directory"),
        Action::GrantRole(Role::Operator) if s.roles.contains(Role::Operator) => Ok(()),
        Action::GrantRole(Role::Operator) => deny("only operators may make operators"),
        Action::GrantRole(_) if admin => Ok(()),
        Action::GrantRole(_) => deny("this needs the Admin role in this organisation"),
    }
}

fn invitee_type(as_member: bool) -> UserType {
    if as_member {
        UserType::Member
    } else {
        UserType::Guest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(roles: &[Role]) -> Standing {
        Standing {
            kind: CallerKind::User,
            user_type: UserType::Member,
            roles: RoleSet::of(roles),
        }
    }

    fn app(scope: &str) -> Standing {
        Standing {
            kind: CallerKind::App,
            user_type: UserType::Member,
            roles: app_roles(&Scopes::from_stored(scope)),
        }
    }

    const GUEST_INVITE: Action = Action::Invite {
        policy: InvitePolicy::Everyone,
        as_member: false,
        grants_access: false,
    };

    /// The table of `docs/authorization.md`, row by row: each caller against each action.
    #[test]
    fn the_authorization_table() {
        let operator = Standing::operator();
        let admin = user(&[Role::Admin]);
        let inviter = user(&[Role::GuestInviter]);
        let member = user(&[]);
        let guest = Standing {
            user_type: UserType::Guest,
            ..member
        };
        let admin_app = app(ADMIN_SCOPE);
        let invite_app = app(INVITE_SCOPE);
        let callers = [
            ("operator", operator),
            ("admin", admin),
            ("admin app", admin_app),
            ("guest inviter", inviter),
            ("invite app", invite_app),
            ("member", member),
            ("guest", guest),
        ];
        use Action::*;
        #[rustfmt::skip]
        let rows: [(Action, [bool; 7]); 14] = [
            //                                                      op     admin  a-app  inv    i-app  member guest
            (ManageTenants,                                         [true, false, false, false, false, false, false]),
            (Administer,                                            [true, true,  true,  false, false, false, false]),
            (GUEST_INVITE,                                          [true, true,  true,  true,  true,  true,  true ]),
            (Invite { policy: InvitePolicy::Everyone, as_member: false, grants_access: true },
                                                                    [true, true,  true,  false, false, false, false]),
            (Invite { policy: InvitePolicy::Everyone, as_member: true, grants_access: false },
                                                                    [true, true,  true,  false, false, false, false]),
            (Invite { policy: InvitePolicy::AdminsAndGuestInviters, as_member: false, grants_access: false },
                                                                    [true, true,  true,  true,  true,  false, false]),
            (SeeInvitations { own: false },                         [true, true,  true,  false, false, false, false]),
            (SeeInvitations { own: true },                          [true, true,  true,  true,  true,  false, false]),
            (ResendInvitation { own: false, pending: true },        [true, true,  true,  false, false, false, false]),
            (ResendInvitation { own: true, pending: false },        [true, true,  true,  false, false, false, false]),
            (ResendInvitation { own: true, pending: true },         [true, true,  true,  true,  true,  false, false]),
            (ResetRedemption,                                       [true, true,  true,  false, false, false, false]),
            (RedirectAnywhere,                                      [true, true,  true,  false, false, false, false]),
            (GrantRole(Role::Operator),                             [true, false, false, false, false, false, false]),
        ];
        for (action, expected) in rows {
            for ((who, standing), allowed) in callers.iter().zip(expected) {
                assert_eq!(
                    check(standing, action).is_ok(),
                    allowed,
                    "{who} × {action:?}"
                );
            }
        }
        // Invitations switched off stop admins too: they change the policy first, on the record.
        let off = Invite {
            policy: InvitePolicy::Nobody,
            as_member: false,
            grants_access: false,
        };
        for (who, standing) in callers {
            assert!(check(&standing, off).is_err(), "{who} with invitations off");
        }
        assert!(check(&admin, GrantRole(Role::GuestInviter)).is_ok());
        assert!(check(&inviter, GrantRole(Role::GuestInviter)).is_err());
        assert!(check(&admin, LearnObjectIds).is_ok());
        assert!(check(&invite_app, LearnObjectIds).is_err());
    }

    #[test]
    fn a_token_limits_the_roles_its_holder_may_use() {
        let all = RoleSet::of(&[Role::Admin, Role::Operator]);
        let admin_scope = Scopes::from_stored("openid guestlist.admin");
        let invite_scope = Scopes::from_stored("openid guestlist.invite");
        let plain = Scopes::from_stored("openid profile");
        assert_eq!(user_roles_within(all, &admin_scope), all);
        assert_eq!(
            user_roles_within(all, &invite_scope),
            RoleSet::of(&[Role::GuestInviter]),
            "an admin with an invite-only token acts as a guest inviter"
        );
        assert_eq!(user_roles_within(all, &plain), RoleSet::EMPTY);
        assert_eq!(
            user_roles_within(RoleSet::EMPTY, &invite_scope),
            RoleSet::EMPTY,
            "the scope grants no role the user lacks"
        );
        assert_eq!(app_roles(&admin_scope), RoleSet::of(&[Role::Admin]));
        assert_eq!(app_roles(&plain), RoleSet::EMPTY);
    }

    #[test]
    fn admin_scopes_go_to_role_holders_of_first_party_apps_only() {
        let admin = RoleSet::of(&[Role::Admin]);
        let inviter = RoleSet::of(&[Role::GuestInviter]);
        assert!(user_may_receive_scope(ADMIN_SCOPE, true, admin));
        assert!(!user_may_receive_scope(ADMIN_SCOPE, false, admin));
        assert!(!user_may_receive_scope(ADMIN_SCOPE, true, inviter));
        assert!(user_may_receive_scope(INVITE_SCOPE, true, inviter));
        assert!(user_may_receive_scope(INVITE_SCOPE, true, admin));
        assert!(!user_may_receive_scope(INVITE_SCOPE, true, RoleSet::EMPTY));
        assert!(user_may_receive_scope("profile", false, RoleSet::EMPTY));
    }
}
