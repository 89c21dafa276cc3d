//! Invitations made through the use case, as the operator makes them.

use super::*;
use guestlist::domain::language::Language;
use guestlist::domain::user::UserType;
use guestlist::service::invitations::{self, InviteOutcome, InviteRequest};

/// An invitation of `email` as a guest, in English, with its email sent and nothing else asked for;
/// a test changes the fields it is about.
pub fn invite_request(email: &str) -> InviteRequest {
    InviteRequest {
        email: email.into(),
        display_name: None,
        user_type: UserType::Guest,
        redirect_url: None,
        language: Language::En,
        cc: None,
        custom_text: None,
        app_ids: vec![],
        group_ids: vec![],
        contact_url: None,
        invite_app_id: None,
        send_email: true,
        access: None,
    }
}

/// What a new invitation created.
#[derive(Debug, Clone)]
pub struct Invited {
    pub invitation_id: String,
    /// The guest's object.
    pub user_id: String,
    /// The only copy of the ticket's link.
    pub redeem_url: String,
}

/// The operator invites with `request` in `tenant`: what the use case answers.
pub async fn try_invite_in(
    server: &TestServer,
    tenant: &Tenant,
    request: InviteRequest,
) -> guestlist::error::Result<InviteOutcome> {
    invitations::invite(&server.svc, &Actor::operator(), tenant, request, None).await
}

/// The operator invites with `request` in `tenant`; a new invitation must come of it.
pub async fn invite_in(server: &TestServer, tenant: &Tenant, request: InviteRequest) -> Invited {
    let outcome = try_invite_in(server, tenant, request)
        .await
        .expect("invite");
    match outcome {
        InviteOutcome::Created {
            invitation_id,
            user_id,
            redeem_url,
            ..
        } => Invited {
            invitation_id,
            user_id,
            redeem_url,
        },
        other => panic!("expected a new invitation: {other:?}"),
    }
}

/// [`invite_in`] the harness's tenant, contoso.
pub async fn invite(server: &TestServer, request: InviteRequest) -> Invited {
    invite_in(server, &server.tenant, request).await
}

/// The operator invites `email` as a guest of `tenant` without sending the email: the link is only
/// in the answer.
pub async fn invite_quietly(server: &TestServer, tenant: &Tenant, email: &str) -> Invited {
    let request = InviteRequest {
        send_email: false,
        access: None,
        ..invite_request(email)
    };
    invite_in(server, tenant, request).await
}

/// `email` is invited to `tenant` quietly and registers a new account through the link, accepting:
/// the invitation, and the browser signed in with the guest's new home account.
pub async fn joined(
    server: &TestServer,
    tenant: &Tenant,
    email: &str,
    name: &str,
) -> (Invited, Browser) {
    let invited = invite_quietly(server, tenant, email).await;
    let browser = server.browser();
    let accepted = register_as_guest(&browser, &invited.redeem_url, name).await;
    assert!(
        accepted.status().is_redirection(),
        "accepting the invitation: {}",
        accepted.status()
    );
    (invited, browser)
}
