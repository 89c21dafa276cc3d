//! Rows into domain types and back. Stored strings were written by this code, so an unknown value can
//! only come from a hand-edited database: it reads as the most restricted value rather than failing
//! every page that shows the object.

use super::models::UserRow;
use crate::domain::claims::Profile;
use crate::domain::user::{CreationType, ExternalUserState, RoleSet, Upn, User, UserType};

impl UserRow {
    /// [`crate::domain::user::may_hold_tokens`] on the stored values (token paths read no roles).
    pub fn may_hold_tokens(&self) -> bool {
        crate::domain::user::may_hold_tokens(
            self.enabled,
            UserType::parse(&self.user_type).unwrap_or(UserType::Guest),
            self.external_user_state
                .as_deref()
                .and_then(|s| ExternalUserState::parse(s).ok()),
        )
    }

    /// The user object with its roles (read separately, from `user_roles`).
    pub fn into_user(self, roles: RoleSet) -> User {
        User {
            user_type: UserType::parse(&self.user_type).unwrap_or(UserType::Guest),
            creation_type: self
                .creation_type
                .as_deref()
                .and_then(|c| CreationType::parse(c).ok()),
            upn: Upn::from_stored(self.user_principal_name),
            external_user_state: self
                .external_user_state
                .as_deref()
                .and_then(|s| ExternalUserState::parse(s).ok()),
            profile: serde_json::from_str::<Profile>(&self.profile).unwrap_or_default(),
            roles,
            id: self.id,
            tenant_id: self.tenant_id,
            display_name: self.display_name,
            mail: self.mail,
            preferred_language: self.preferred_language,
            enabled: self.enabled,
            external_user_state_changed_at: self.external_user_state_changed_at,
            sign_in_name: self.sign_in_name,
            alt_sec_id: self.alt_sec_id,
            home_user_id: self.home_user_id,
            home_issuer: self.home_issuer,
            email_verified: self.email_verified,
            last_sign_in_at: self.last_sign_in_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::user::Role;

    #[test]
    fn a_row_becomes_a_typed_user() {
        let row = UserRow {
            id: "u1".into(),
            tenant_id: "t1".into(),
            user_type: "Guest".into(),
            creation_type: Some("Invitation".into()),
            user_principal_name: "a_b.example#EXT#@c.example".into(),
            display_name: "A".into(),
            mail: "a@b.example".into(),
            mail_lower: "a@b.example".into(),
            preferred_language: None,
            enabled: true,
            external_user_state: Some("Accepted".into()),
            external_user_state_changed_at: Some(5),
            sign_in_name: None,
            alt_sec_id: None,
            home_user_id: None,
            home_issuer: None,
            email_verified: false,
            profile: "{}".into(),
            last_sign_in_at: None,
            created_at: 1,
            updated_at: 2,
        };
        let user = row.clone().into_user(RoleSet::of(&[Role::GuestInviter]));
        assert_eq!(user.user_type, UserType::Guest);
        assert_eq!(user.creation_type, Some(CreationType::Invitation));
        assert_eq!(user.external_user_state, Some(ExternalUserState::Accepted));
        assert!(user.roles.contains(Role::GuestInviter));
        assert!(user.may_hold_tokens() && row.may_hold_tokens());
        let odd = UserRow {
            user_type: "Superuser".into(),
            external_user_state: Some("Whatever".into()),
            ..row
        }
        .into_user(RoleSet::EMPTY);
        assert_eq!(
            odd.user_type,
            UserType::Guest,
            "unknown types get the narrower one"
        );
        assert!(
            !odd.may_hold_tokens(),
            "a guest in no known state holds no tokens"
        );
    }
}
