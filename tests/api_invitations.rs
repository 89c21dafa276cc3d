//! The invitation API of spec §6, called with a `client_credentials` token from the tenant's own
//! token endpoint.

mod common;

use common::*;
use serde_json::{Value, json};

/// A `client_credentials` token of contoso's app.
async fn token(server: &TestServer, client_id: &str, secret: &str, scope: &str) -> String {
    app_token(server, &server.issuer(), client_id, secret, scope).await
}

async fn post(
    server: &TestServer,
    bearer: Option<&str>,
    path: &str,
    body: Value,
) -> (u16, Value, String) {
    let answer = send(server, "POST", path, bearer, Body::Json(body), &[]).await;
    let content_type = answer.header("content-type").unwrap_or_default();
    (answer.status, answer.json(), content_type)
}

#[actix_web::test]
async fn automation_invites_lists_resends_and_resets_through_the_api() {
    let server = TestServer::start().await;
    // The app registers where its invitees land: an invite-scoped caller may send them nowhere else.
    let daemon = server
        .app(|a| {
            a.allowed_scopes = vec!["guestlist.invite".into(), "api.read".into()];
            a.redirect_uris = vec!["https://moodle.example/".into()];
        })
        .await;
    let secret = daemon.client_secret.as_deref().unwrap();
    let t = token(&server, &daemon.client_id, secret, "guestlist.invite").await;
    let path = "/api/v1/tenants/contoso/invitations";

    let (status, body, _) = post(
        &server,
        Some(&t),
        path,
        json!({
            "invitedUserEmailAddress": "ivy@fabrikam.example",
            "inviteRedirectUrl": "https://moodle.example/",
            "invitedUserDisplayName": "Ivy",
            "sendInvitationMessage": true,
            "invitedUserMessageInfo": { "customizedMessageBody": "Welcome", "messageLanguage": "ko" }
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "PendingAcceptance");
    assert_eq!(body["invitedUserEmailAddress"], "ivy@fabrikam.example");
    let user_id = body["invitedUser"]["id"].as_str().unwrap().to_string();
    let redeem = body["inviteRedeemUrl"].as_str().unwrap().to_string();
    assert!(redeem.starts_with(&server.url("/invite/")));
    let page = server.browser().get(&redeem).await;
    assert_eq!(page.status(), 200, "the redeem URL opens the invitation");

    // The list shows it with its state.
    let list = send(&server, "GET", path, Some(&t), Body::None, &[])
        .await
        .json();
    let entry = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["invitedUser"]["id"] == user_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(entry["status"], "PendingAcceptance");
    // sendInvitationMessage put an email in the outbox: queued, or already sent by the worker.
    assert!(
        matches!(entry["delivery"].as_str(), Some("queued" | "sent")),
        "{entry}"
    );

    // Resend: a new link, the old one void.
    let inv_id = body["id"].as_str().unwrap();
    let (status, again, _) = post(
        &server,
        Some(&t),
        &format!("{path}/{inv_id}/resend"),
        json!({}),
    )
    .await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(again["inviteRedeemUrl"], body["inviteRedeemUrl"]);
    assert_eq!(server.browser().get(&redeem).await.status(), 404);

    // Reset redemption keeps the object id; it is an admin's to do, never an invite-scoped app's.
    let reset_body = json!({
        "invitedUserEmailAddress": "ivy@northwind.example",
        "inviteRedirectUrl": "https://moodle.example/",
        "resetRedemption": true,
        "invitedUser": { "id": user_id }
    });
    let (status, refused, _) = post(&server, Some(&t), path, reset_body.clone()).await;
    assert_eq!(status, 403, "{refused}");
    let admin = admin_api(&server).await;
    let (status, reset, _) = post(&server, Some(&admin.token), path, reset_body).await;
    assert_eq!(status, 201, "{reset}");
    assert_eq!(reset["invitedUser"]["id"], user_id.as_str());

    // Inviting an address that already has an object is a conflict, not a duplicate; only an admin
    // learns which object it is.
    let again = json!({ "invitedUserEmailAddress": "ivy@northwind.example", "inviteRedirectUrl": "https://moodle.example/" });
    let (status, dup, ct) = post(&server, Some(&t), path, again.clone()).await;
    assert_eq!(status, 409, "{dup}");
    assert_eq!(ct, "application/problem+json");
    assert!(!dup.to_string().contains(&user_id), "{dup}");
    let (status, dup, _) = post(&server, Some(&admin.token), path, again).await;
    assert_eq!(status, 409, "{dup}");
    assert!(dup["detail"].as_str().unwrap().contains(&user_id), "{dup}");
}

#[actix_web::test]
async fn the_api_refuses_missing_tokens_missing_scopes_and_bad_fields() {
    let server = TestServer::start().await;
    let daemon = server
        .app(|a| a.allowed_scopes = vec!["guestlist.invite".into(), "api.read".into()])
        .await;
    let secret = daemon.client_secret.as_deref().unwrap();
    let path = "/api/v1/tenants/contoso/invitations";
    let valid = json!({ "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/" });

    let (status, body, ct) = post(&server, None, path, valid.clone()).await;
    assert_eq!(
        (status, ct.as_str()),
        (401, "application/problem+json"),
        "{body}"
    );
    let (status, _, _) = post(&server, Some("garbage"), path, valid.clone()).await;
    assert_eq!(status, 401);
    // A token for the app's own scope is not one for the admin API at all.
    let weak = token(&server, &daemon.client_id, secret, "api.read").await;
    let (status, body, _) = post(&server, Some(&weak), path, valid.clone()).await;
    assert_eq!(status, 401, "{body}");

    let t = token(&server, &daemon.client_id, secret, "guestlist.invite").await;
    let cases = [
        (
            json!({ "inviteRedirectUrl": "https://a.example/" }),
            "invitedUserEmailAddress",
        ),
        (
            json!({ "invitedUserEmailAddress": "x@fabrikam.example" }),
            "inviteRedirectUrl",
        ),
        (
            json!({ "invitedUserEmailAddress": "not-an-email", "inviteRedirectUrl": "https://a.example/" }),
            "email",
        ),
        (
            json!({ "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "ftp://a.example/" }),
            "inviteRedirectUrl",
        ),
        (
            json!({ "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/",
                    "invitedUserMessageInfo": { "ccRecipients": [
                        { "emailAddress": { "address": "a@b.example" } }, { "emailAddress": { "address": "c@d.example" } } ] } }),
            "ccRecipients",
        ),
        (
            json!({ "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/", "invitedUserMessageInfo": { "messageLanguage": "xx" } }),
            "messageLanguage",
        ),
        (
            json!({ "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://a.example/", "bogus": 1 }),
            "bogus",
        ),
    ];
    for (body, field) in cases {
        let (status, answer, _) = post(&server, Some(&t), path, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(
            answer["detail"].as_str().unwrap().contains(field),
            "{field} named in {answer}"
        );
    }
    let garbage = server
        .rp_http()
        .post(server.url(path))
        .bearer_auth(&t)
        .body("{{{")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    // Nothing was created by any of the refused requests.
    let tenant_id = server.tenant.id.clone();
    let n = server
        .svc
        .store
        .read(move |c| guestlist::store::queries::invitations::list(c, &tenant_id, None, 10, 0))
        .await
        .unwrap();
    assert!(n.is_empty());
}

#[actix_web::test]
async fn an_admins_own_token_works_only_from_a_first_party_app() {
    let server = TestServer::start().await;
    server
        .member_in(
            &server.tenant,
            "admin@contoso.example",
            vec![guestlist::domain::user::Role::Admin],
        )
        .await;
    let console = server.app(|a| a.first_party = true).await;
    let third_party = server.app(|_| {}).await;
    let path = "/api/v1/tenants/contoso/invitations";
    let body = json!({ "invitedUserEmailAddress": "kim@fabrikam.example", "inviteRedirectUrl": "https://a.example/" });
    // A third-party app is never given the admin API's scope for anyone, so its token is not for the API.
    let foreign = user_token(&server, &third_party, "admin@contoso.example").await;
    let (status, answer, _) = post(&server, Some(&foreign), path, body.clone()).await;
    assert_eq!(status, 401, "{answer}");
    let own = user_token(&server, &console, "admin@contoso.example").await;
    let (status, answer, _) = post(&server, Some(&own), path, body).await;
    assert_eq!(status, 201, "{answer}");
}
