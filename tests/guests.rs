//! Guests end to end: an invitation, redemption by registering or with an existing account from
//! another tenant, and the relying app (`openidconnect`) receiving the guest token claims of spec §4.

mod common;

use common::*;
use guestlist::domain::claims::OptionalClaim;
use guestlist::service::apps::manage::CreatedApp;
use guestlist::service::auth::Actor;
use guestlist::service::invitations::{self, InviteOutcome, InviteRequest};
use guestlist::store::queries;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, Nonce, RedirectUrl, TokenResponse,
};

/// An invitation of a guest named "Guest", with its email sent (copied to `cc` when given).
fn request(email: &str, cc: Option<&str>) -> InviteRequest {
    let mut request = invite::invite_request(email);
    request.display_name = Some("Guest".into());
    request.cc = cc.map(str::to_string);
    request
}

/// Invites `email` in contoso: the redeem URL and the guest's object id.
async fn invite(server: &TestServer, email: &str, cc: Option<&str>) -> (String, String) {
    let invited = invite::invite(server, request(email, cc)).await;
    (invited.redeem_url, invited.user_id)
}

/// Follows the redemption (see [`common::redeem`]), checking that the consent page asks to join
/// Contoso as a guest.
async fn redeem(
    browser: &Browser,
    url: &str,
    form: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    redeem_consenting(browser, url, form, fields, |consent| {
        assert!(consent.contains("Join Contoso as a guest?"), "{consent}");
    })
    .await
}

/// [`redeem`] by signing in with the existing account `email`.
async fn redeem_signing_in(browser: &Browser, url: &str, email: &str) -> reqwest::Response {
    redeem(
        browser,
        url,
        "signin",
        &[("email", email), ("password", PASSWORD)],
    )
    .await
}

/// [`redeem`] by registering a new account named `display_name`.
async fn register(browser: &Browser, url: &str, display_name: &str) -> reqwest::Response {
    redeem(browser, url, "register", &registration(display_name)).await
}

/// A code flow of `app` at contoso in `browser` (already signed in), returning the verified ID
/// token's raw claims.
async fn guest_claims(
    server: &TestServer,
    browser: &Browser,
    app: &CreatedApp,
) -> serde_json::Value {
    let http = server.rp_http();
    let client = CoreClient::from_provider_metadata(
        discover(&server.issuer()).await,
        ClientId::new(app.client_id.clone()),
        app.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    let callback = browser.silent_callback(url.as_str()).await;
    let token = client
        .exchange_code(AuthorizationCode::new(code_of(&callback)))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let id_token = token.id_token().unwrap();
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
    id_token
        .claims(&verifier, &nonce)
        .expect("the guest ID token verifies");
    jwt_claims(&id_token.to_string())
}

#[actix_web::test]
async fn invited_partner_registers_redeems_and_gets_a_guest_token() {
    let server = TestServer::start().await;
    let app = server
        .app(|a| {
            a.first_party = true;
            a.optional_claims = vec![OptionalClaim::IncludeExternallyAuthenticatedUpn];
        })
        .await;
    let (url, guest_id) = invite(&server, "bob@fabrikam.example", None).await;
    let browser = server.browser();
    let page = browser.page(&url).await;
    assert!(
        page.contains("You are invited to Contoso") && page.contains("Create account"),
        "{page}"
    );
    let done = register(&browser, &url, "Bob").await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()["location"],
        "/t/contoso/apps",
        "no redirect URL: the app panel"
    );

    let guest = server.user(&guest_id).await;
    assert_eq!(guest.external_user_state.as_deref(), Some("Accepted"));
    assert!(guest.external_user_state_changed_at.is_some());
    assert_eq!(guest.sign_in_name.as_deref(), Some("bob@fabrikam.example"));
    let home_issuer = server.url("/t/ext-fabrikam-example");
    assert_eq!(
        guest.home_issuer.as_deref(),
        Some(home_issuer.as_str()),
        "registered in the unmanaged directory of fabrikam.example"
    );

    let claims = guest_claims(&server, &browser, &app).await;
    assert_eq!(claims["iss"], server.issuer());
    assert_eq!(claims["tid"], server.tenant.id);
    assert_eq!(claims["oid"], guest_id);
    assert_eq!(claims["sub"], guest_id);
    assert_eq!(claims["acct"], 1);
    assert_eq!(claims["idp"], home_issuer);
    assert_eq!(claims["email"], "bob@fabrikam.example");
    assert!(claims["altsecid"].as_str().is_some_and(|a| !a.is_empty()));
    assert_eq!(claims["upn"], "bob_fabrikam.example#EXT#@contoso.example");

    // The redeemed link only signs in again and forwards; it never rebinds.
    let again = server.browser();
    let page = again.page(&url).await;
    assert!(
        page.contains("Sign in to Contoso") && !page.contains("Create account"),
        "{page}"
    );
    let resp = redeem_signin_only(&again, &url, "bob@fabrikam.example").await;
    assert_eq!(resp, "/t/contoso/apps");
}

/// Signs in through the redeemed link `url`: where it forwards to.
async fn redeem_signin_only(browser: &Browser, url: &str, email: &str) -> String {
    let fields = [("email", email), ("password", PASSWORD)];
    let resp = browser
        .submit_form(url, &format!("{url}/signin"), &fields)
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let resp = browser.get(&location(&resp)).await;
    assert_eq!(resp.status(), 303);
    location(&resp)
}

#[actix_web::test]
async fn member_of_another_tenant_redeems_with_an_existing_account() {
    let server = TestServer::start().await;
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "carol@fabrikam.example", vec![])
        .await;
    let app = server.app(|a| a.first_party = true).await;
    let (url, guest_id) = invite(&server, "carol@fabrikam.example", None).await;
    let browser = server.browser();
    let done = redeem_signing_in(&browser, &url, "carol@fabrikam.example").await;
    assert_eq!(done.status(), 303);
    let claims = guest_claims(&server, &browser, &app).await;
    assert_eq!(
        claims["idp"], fabrikam.issuer,
        "idp is the home tenant's issuer"
    );
    assert_eq!(claims["oid"], guest_id);
    assert!(claims.get("upn").is_none(), "no upn unless the app opts in");

    // Signing in at contoso's own sign-in page with the home account admits the guest.
    let resp = server
        .browser()
        .sign_in_directly("contoso", "carol@fabrikam.example")
        .await;
    assert_eq!(resp.status(), 303);
}

#[actix_web::test]
async fn bad_links_get_one_clear_page() {
    let server = TestServer::start().await;
    let (url, guest_id) = invite(&server, "late@fabrikam.example", None).await;
    let browser = server.browser();
    let unknown = browser
        .get(&server.url("/invite/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    let short = browser.get(&server.url("/invite/short")).await;
    let id = guest_id.clone();
    server
        .svc
        .store
        .write(move |c| {
            let mut inv = queries::invitations::latest_for_user(c, &id)?.unwrap();
            inv.ticket_expires_at = 1;
            queries::invitations::update(c, &inv)
        })
        .await
        .unwrap();
    let expired = browser.get(&url).await;
    let mut bodies = Vec::new();
    for resp in [unknown, short, expired] {
        assert_eq!(resp.status(), 404);
        let body = resp.text().await.unwrap();
        bodies.push(body[body.find("<h1>").unwrap()..].to_string());
    }
    assert!(
        bodies.iter().all(|b| b == &bodies[0]),
        "the same page whatever the cause"
    );
    assert!(bodies[0].contains("not valid"));
}

#[actix_web::test]
async fn cc_invitations_cannot_register_and_mismatched_accounts_are_refused() {
    let server = TestServer::start().await;
    let (url, _) = invite(
        &server,
        "dan@fabrikam.example",
        Some("boss@fabrikam.example"),
    )
    .await;
    let browser = server.browser();
    let page = browser.page(&url).await;
    assert!(
        !page.contains("Create account"),
        "no registration offered with a CC"
    );
    let resp = browser
        .post_form(
            &format!("{url}/register"),
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("display_name", "D"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("cannot create a new account")
    );

    server.member("eve@contoso.example").await;
    let (url, _) = invite(&server, "frank@fabrikam.example", None).await;
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "mallory@fabrikam.example", vec![])
        .await;
    let resp = redeem_signing_in(&browser, &url, "mallory@fabrikam.example").await;
    assert_eq!(resp.status(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("This invitation was sent to frank@fabrikam.example")
    );
}

fn assert_refused_as_unsubscribed(outcome: guestlist::error::Result<InviteOutcome>) {
    match outcome {
        Err(guestlist::error::Error::Forbidden(message)) => assert!(
            message.contains("asked not to receive invitations"),
            "{message}"
        ),
        other => panic!("expected a refusal for an unsubscribed address, got {other:?}"),
    }
}

#[actix_web::test]
async fn the_block_link_stops_later_invitations() {
    let server = TestServer::start().await;
    let (url, _) = invite(&server, "nomore@fabrikam.example", None).await;
    let browser = server.browser();
    let block = format!("{url}/block");
    let resp = browser.submit_form(&block, &block, &[]).await;
    assert_eq!(resp.status(), 200);
    // While the guest object exists, inviting the address again reports it, as for anyone.
    let again = invite::try_invite_in(
        &server,
        &server.tenant,
        request("NoMore@fabrikam.example", None),
    )
    .await;
    let Ok(InviteOutcome::Exists {
        user_id: Some(guest_id),
    }) = again
    else {
        panic!("the object still exists: {again:?}")
    };
    // Delete the pending guest so the address is free, then invite again: refused.
    guestlist::service::users::delete(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &guest_id,
        None,
    )
    .await
    .unwrap();
    let refused = invite::try_invite_in(
        &server,
        &server.tenant,
        request("NoMore@fabrikam.example", None),
    )
    .await;
    assert_refused_as_unsubscribed(refused);
    // The block is the person's, so it holds for every tenant on this server.
    let tenant2 = server
        .tenant_named("northwind", "Northwind", "northwind.example")
        .await;
    let refused =
        invite::try_invite_in(&server, &tenant2, request("nomore@fabrikam.example", None)).await;
    assert_refused_as_unsubscribed(refused);
    let tid = tenant2.id.clone();
    let events = server
        .svc
        .store
        .read(move |c| queries::audit::recent(c, &tid, 10))
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "Email not sent, user unsubscribed")
    );
}

#[actix_web::test]
async fn resend_voids_the_old_link_and_reset_redemption_rebinds_keeping_the_object() {
    let server = TestServer::start().await;
    let group = server.group("Partners").await;
    let mut req = request("gina@fabrikam.example", None);
    req.group_ids = vec![group.id.clone()];
    let invite::Invited {
        redeem_url: first,
        user_id: guest_id,
        ..
    } = invite::invite(&server, req).await;
    let resent = invitations::resend(&server.svc, &Actor::operator(), &server.tenant, &guest_id)
        .await
        .unwrap();
    assert_ne!(resent.invite_redeem_url, first);
    let browser = server.browser();
    assert_eq!(
        browser.get(&first).await.status(),
        404,
        "the old link is void"
    );
    let done = register(&browser, &resent.invite_redeem_url, "Gina").await;
    assert_eq!(done.status(), 303);
    let err = invitations::resend(&server.svc, &Actor::operator(), &server.tenant, &guest_id).await;
    assert!(
        matches!(&err, Err(guestlist::error::Error::Conflict(m)) if m.contains("has been redeemed")),
        "a redeemed invitation is not resent: {err:?}"
    );

    // Reset to a new address: same object id, UPN and group; unbound and pending again.
    let before = server.user(&guest_id).await;
    let reset = invitations::reset_redemption(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &guest_id,
        Some("gina@northwind.example"),
    )
    .await
    .unwrap();
    assert_eq!(reset.invited_user.id, guest_id);
    let after = server.user(&guest_id).await;
    assert_eq!(
        after.user_principal_name, before.user_principal_name,
        "the UPN is kept"
    );
    assert_eq!(
        after.external_user_state.as_deref(),
        Some("PendingAcceptance")
    );
    assert!(after.home_user_id.is_none() && after.alt_sec_id.is_none());
    assert_eq!(after.mail, "gina@northwind.example");
    let id = guest_id.clone();
    let groups = server
        .svc
        .store
        .read(move |c| queries::groups::group_ids_of(c, &id))
        .await
        .unwrap();
    assert_eq!(groups, vec![group.id.clone()], "groups are kept");
    // The old account is no longer admitted; the new address redeems and binds anew.
    let resp = server
        .browser()
        .sign_in_directly("contoso", "gina@fabrikam.example")
        .await;
    assert_eq!(
        resp.status(),
        403,
        "the unbound home account has no access any more"
    );
    let fresh = server.browser();
    let done = register(&fresh, &reset.invite_redeem_url, "Gina N").await;
    assert_eq!(done.status(), 303);
    let rebound = server.user(&guest_id).await;
    assert_eq!(
        rebound.sign_in_name.as_deref(),
        Some("gina@northwind.example")
    );
    assert!(
        rebound.home_user_id.is_some(),
        "the new account is bound to the object"
    );
    assert_ne!(rebound.home_user_id, before.home_user_id);
}

#[actix_web::test]
async fn a_disabled_guest_loses_sign_in_and_refresh() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    let guest = signed_in_guest(&server, &app, "hal@fabrikam.example").await;
    server.disable_user(&guest.id).await;
    let refresh_token = guest.tokens["refresh_token"].as_str().unwrap();
    let refresh = token_request(&server, &app, &refresh_form(refresh_token)).await;
    assert_eq!(refresh.status(), 400);
    let refused: serde_json::Value = refresh.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_grant", "{refused}");
    // The old session no longer carries the guest through …
    let again = guest.browser.get(&guest.auth).await;
    assert!(
        location(&again).contains("/signin"),
        "the guest must sign in again"
    );
    // … and signing in afresh with the guest's own password does not get a code either.
    match server
        .browser()
        .run_flow(&guest.auth, "hal@fabrikam.example", "accept")
        .await
    {
        Step::Page(status, body) => {
            assert_eq!(status, 403, "a disabled guest is refused: {body}");
            assert!(body.contains("has no access to Contoso"), "{body}");
        }
        Step::Callback(u) => panic!("a disabled guest signed in: {u}"),
    }
}

#[actix_web::test]
async fn display_names_with_commas_and_quotes_are_invited() {
    let server = TestServer::start().await;
    for (i, name) in ["Lee, Jay", "\"Quoted\" Name", "김민수, 파트너"]
        .into_iter()
        .enumerate()
    {
        let mut req = request(&format!("p{i}@fabrikam.example"), None);
        req.display_name = Some(name.into());
        let outcome = invite::try_invite_in(&server, &server.tenant, req).await;
        assert!(
            matches!(outcome, Ok(InviteOutcome::Created { .. })),
            "{name}: {outcome:?}"
        );
    }
}

#[actix_web::test]
async fn the_domain_deny_list_is_checked_again_at_redemption() {
    let server = TestServer::start().await;
    let (url, _) = invite(&server, "late@fabrikam.example", None).await;
    // The organisation blocks the domain after the invitation went out.
    server
        .set_settings(&server.tenant, |settings| {
            settings.domain_list = serde_json::from_value(
                serde_json::json!({ "mode": "deny", "domains": ["fabrikam.example"] }),
            )
            .unwrap();
        })
        .await;
    let browser = server.browser();
    let resp = register(&browser, &url, "Late").await;
    assert_eq!(
        resp.status(),
        400,
        "registering is refused on the invitation's page"
    );
    let body = resp.text().await.unwrap();
    assert!(body.to_lowercase().contains("blocked"), "{body}");
    let account = server
        .svc
        .store
        .read(|c| queries::users::account_by_email(c, "late@fabrikam.example"))
        .await
        .unwrap();
    assert!(account.is_none(), "no account is made for a refused domain");
}

#[actix_web::test]
async fn a_deleted_guest_loses_sign_in_and_refresh() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    let guest = signed_in_guest(&server, &app, "ian@fabrikam.example").await;
    let id = guest.id.clone();
    server
        .svc
        .store
        .write(move |c| {
            use diesel::prelude::*;
            diesel::delete(guestlist::store::schema::users::table.find(&id)).execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    let refresh_token = guest.tokens["refresh_token"].as_str().unwrap();
    let refresh = token_request(&server, &app, &refresh_form(refresh_token)).await;
    assert_eq!(
        refresh.status(),
        400,
        "the refresh token died with the guest"
    );
    let ui = userinfo(&server, guest.tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(ui.status(), 401);
    let again = guest.browser.get(&guest.auth).await;
    assert!(location(&again).contains("/signin"));
}

/// A redeemed guest signed in at contoso through `app`, with its authorization URL and its tokens
/// (access and refresh).
struct SignedInGuest {
    id: String,
    browser: Browser,
    auth: String,
    tokens: serde_json::Value,
}

async fn signed_in_guest(server: &TestServer, app: &CreatedApp, email: &str) -> SignedInGuest {
    let (url, guest_id) = invite(server, email, None).await;
    let browser = server.browser();
    let registered = register(&browser, &url, "Guest").await;
    assert_eq!(registered.status(), 303, "{email} redeems");
    let auth = authorize_url_for(&server.issuer(), &app.client_id, "openid offline_access");
    let callback = browser.silent_callback(&auth).await;
    let tokens = app_tokens_for_callback(server, app, &callback).await;
    SignedInGuest {
        id: guest_id,
        browser,
        auth,
        tokens,
    }
}
