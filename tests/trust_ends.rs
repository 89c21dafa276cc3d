//! When trust in a person ends, their tokens end with it: a password reset, disabling or deleting the
//! account revoke its refresh tokens and access tokens (a guest's too, wherever they redeemed), the
//! console's sign-out ends the console's token, a sign-out hint for another session asks first, and a
//! session left unused ends.

mod common;

use common::*;
use guestlist::service::auth::Actor;
use guestlist::service::users::{self, UserPatch};

#[actix_web::test]
async fn a_password_reset_ends_the_accounts_refresh_and_access_tokens() {
    let server = TestServer::start().await;
    let member = server.member("ann@contoso.example").await;
    let (app, tokens) = signed_in_with_refresh(&server, "ann@contoso.example").await;
    // A second sign-in shows both kinds of token work before the reset (using a refresh token spends
    // it, so the first sign-in's tokens are kept for after).
    let (other_app, control) = signed_in_with_refresh(&server, "ann@contoso.example").await;
    assert_eq!(
        tokens_work(&server, &other_app, &control).await,
        (true, true)
    );

    let link =
        users::password_reset_link(&server.svc, &Actor::operator(), &server.tenant, &member.id)
            .await
            .unwrap();
    let browser = server.browser();
    let done = browser
        .submit_form(
            &link.url,
            &link.url,
            &[
                ("password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(done.status(), 200, "{}", done.text().await.unwrap());
    assert_eq!(
        tokens_work(&server, &app, &tokens).await,
        (false, false),
        "neither the refresh token nor the access token outlives the reset"
    );
}

#[actix_web::test]
async fn disabling_or_deleting_an_account_ends_its_tokens_and_its_guests_tokens() {
    let server = TestServer::start().await;
    let fabrikam = server.fabrikam().await;
    let home = server
        .member_in(&fabrikam, "gail@fabrikam.example", vec![])
        .await;
    // Gail is a member of Fabrikam and a guest of contoso.
    let invited = invite::invite_quietly(&server, &server.tenant, "gail@fabrikam.example").await;
    let browser = server.browser();
    let redeemed = redeem(
        &browser,
        &invited.redeem_url,
        "signin",
        &[("email", "gail@fabrikam.example"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(redeemed.status(), 303);
    let (app, as_guest) = signed_in_with_refresh(&server, "gail@fabrikam.example").await;
    assert_eq!(tokens_work(&server, &app, &as_guest).await, (true, true));

    // Fabrikam disables her account: her guest tokens at contoso end too.
    let patch = UserPatch {
        account_enabled: Some(false),
        ..Default::default()
    };
    users::update(
        &server.svc,
        &Actor::operator(),
        &fabrikam,
        &home.id,
        patch,
        None,
    )
    .await
    .unwrap();
    assert_eq!(tokens_work(&server, &app, &as_guest).await, (false, false));

    // A member of contoso, deleted.
    let ann = server.member("ann@contoso.example").await;
    let (app, tokens) = signed_in_with_refresh(&server, "ann@contoso.example").await;
    users::delete(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &ann.id,
        None,
    )
    .await
    .unwrap();
    assert_eq!(tokens_work(&server, &app, &tokens).await, (false, false));
}

#[actix_web::test]
async fn the_consoles_sign_out_ends_the_consoles_token() {
    let server = TestServer::start().await;
    server
        .member_in(
            &server.tenant,
            "root@contoso.example",
            vec![guestlist::domain::user::Role::Admin],
        )
        .await;
    let admin = server.browser();
    let (status, body) = admin
        .console_sign_in("contoso", "root@contoso.example")
        .await;
    assert_eq!(status, 200, "{body}");
    let token = admin
        .cookie_value(&server.url("/admin/t/contoso/users"), "gl_console")
        .expect("the console's token cookie");
    assert_eq!(
        send(
            &server,
            "GET",
            &format!("{API}/users"),
            Some(&token),
            Body::None,
            &[]
        )
        .await
        .status,
        200
    );
    let page = admin.page("/admin/t/contoso/users").await;
    let out = admin
        .post_form(
            "/admin/t/contoso/signout",
            &[("csrf", &hidden(&page, "csrf").unwrap())],
        )
        .await;
    assert_eq!(out.status(), 303);
    let after = send(
        &server,
        "GET",
        &format!("{API}/users"),
        Some(&token),
        Body::None,
        &[],
    )
    .await;
    assert_eq!(
        after.status, 401,
        "the token a copy of the cookie holds: {after}"
    );
}

#[actix_web::test]
async fn a_sign_out_hint_for_another_session_asks_before_signing_out() {
    let server = TestServer::start().await;
    server.member("ann@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    // An ID token of an earlier session of Ann's.
    let (_, earlier) =
        sign_in_through(&server, &server.issuer(), &app, "ann@contoso.example").await;
    let hint = earlier["id_token"].as_str().unwrap();
    // Ann's current browser session.
    let (browser, current) =
        sign_in_through(&server, &server.issuer(), &app, "ann@contoso.example").await;
    let logout = |hint: &str| {
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("id_token_hint", hint)
            .append_pair("post_logout_redirect_uri", LOGOUT_REDIRECT)
            .finish();
        format!("/t/contoso/logout?{q}")
    };
    let other = browser.get(&logout(hint)).await;
    assert_eq!(other.status(), 200, "a confirmation page, not a sign-out");
    assert!(other.text().await.unwrap().contains("name=\"confirm\""));
    // The hint of the current session signs out at once.
    let own = browser
        .get(&logout(current["id_token"].as_str().unwrap()))
        .await;
    assert_eq!(own.status(), 303);
    assert_eq!(location(&own), LOGOUT_REDIRECT);
}

#[actix_web::test]
async fn a_session_left_unused_ends() {
    let server = TestServer::start_with(|c| c.session_idle_ttl = 1).await;
    server.member("ann@contoso.example").await;
    let browser = server.browser();
    assert_eq!(
        browser
            .sign_in_directly("contoso", "ann@contoso.example")
            .await
            .status(),
        303
    );
    assert_eq!(browser.get("/t/contoso/apps").await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let panel = browser.get("/t/contoso/apps").await;
    assert_eq!(panel.status(), 303, "the idle session ended");
    assert!(location(&panel).contains("/signin"));
}
