//! Who may redeem an invitation when already signed in, and the home identity a redeemed guest carries into
//! every token (`idp`, `altsecid`).

mod common;

use common::*;
use guestlist::service::apps::manage::CreatedApp;
use guestlist::service::auth::Actor;
use guestlist::service::tenants::Tenant;
use serde_json::Value;

/// Invites `email` to `tenant` as the operator, without an email: the redeem URL and the guest's id.
async fn invite_to(server: &TestServer, tenant: &Tenant, email: &str) -> (String, String) {
    let invited = invite::invite_quietly(server, tenant, email).await;
    (invited.redeem_url, invited.user_id)
}

/// Signs the browser in at `tenant`'s own sign-in page.
async fn sign_in_at(browser: &Browser, tenant: &Tenant, email: &str) {
    let resp = browser.sign_in_directly(&tenant.slug, email).await;
    assert_eq!(resp.status(), 303, "{email} signs in at {}", tenant.slug);
}

#[actix_web::test]
async fn continuing_with_another_signed_in_account_is_refused_and_binds_nothing() {
    let server = TestServer::start().await;
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "mallory@fabrikam.example", vec![])
        .await;
    let (url, guest_id) = invite_to(&server, &server.tenant, "frank@fabrikam.example").await;
    let browser = server.browser();
    sign_in_at(&browser, &fabrikam, "mallory@fabrikam.example").await;

    let page = browser.get(&url).await.text().await.unwrap();
    assert!(page.contains("mallory@fabrikam.example"), "{page}");
    let csrf = hidden(&page, "csrf").unwrap();
    let refusal = "This invitation was sent to frank@fabrikam.example";
    let cont = browser
        .post_form(&format!("{url}/continue"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(
        cont.status(),
        400,
        "continuing as another address is refused"
    );
    assert!(cont.text().await.unwrap().contains(refusal));
    // Going straight to the consent page shows the same refusal, not a consent form …
    let consent = browser.get(&format!("{url}/consent")).await;
    assert_eq!(consent.status(), 400);
    let body = consent.text().await.unwrap();
    assert!(
        body.contains(refusal) && !body.contains("name=\"decision\""),
        "{body}"
    );
    // … and posting the consent anyway is refused by the same rule.
    let accept = browser
        .post_form(
            &format!("{url}/consent"),
            &[("csrf", csrf.as_str()), ("decision", "accept")],
        )
        .await;
    assert_eq!(accept.status(), 403);
    assert!(accept.text().await.unwrap().contains(refusal));
    let guest = server.user(&guest_id).await;
    assert_eq!(
        guest.external_user_state.as_deref(),
        Some("PendingAcceptance")
    );
    assert!(guest.home_user_id.is_none() && guest.alt_sec_id.is_none());

    // Where the tenant allows redeeming with another address, the same account may continue.
    guestlist::service::settings::update_policies(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        guestlist::service::settings::PoliciesPatch {
            allow_mismatched_email_redemption: Some(true),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    server.svc.tenants.forget(&server.tenant.slug);
    let cont = browser
        .post_form(&format!("{url}/continue"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(cont.status(), 303);
    let consent = browser.get(&format!("{url}/consent")).await;
    assert_eq!(consent.status(), 200);
    assert!(consent.text().await.unwrap().contains("name=\"decision\""));
}

/// Runs the code flow for `app` of `issuer` in `browser` (already signed in): the token response.
async fn tokens(server: &TestServer, browser: &Browser, issuer: &str, app: &CreatedApp) -> Value {
    let cb = browser
        .callback(
            &authorize_url_for(issuer, &app.client_id, "openid email"),
            "unused@nowhere.example",
        )
        .await;
    tokens_for_callback(
        server,
        issuer,
        &app.client_id,
        app.client_secret.as_deref().unwrap(),
        &cb,
    )
    .await
}

/// The directory claims of a guest as an app sees them: ID token, access token and userinfo.
async fn claims_everywhere(server: &TestServer, tokens: &Value) -> [Value; 3] {
    let access = tokens["access_token"].as_str().unwrap();
    let info = userinfo(server, access).await;
    assert_eq!(info.status(), 200);
    [
        jwt_claims(tokens["id_token"].as_str().unwrap()),
        jwt_claims(access),
        info.json().await.unwrap(),
    ]
}

#[actix_web::test]
async fn a_guests_altsecid_names_the_home_identity_in_every_token_and_every_tenant() {
    let server = TestServer::start().await;
    let fabrikam = server.fabrikam().await;
    let home = server
        .member_in(&fabrikam, "gail@fabrikam.example", vec![])
        .await;
    let northwind = server
        .tenant_named("northwind", "Northwind", "northwind.example")
        .await;
    let contoso_app = server.app(|a| a.first_party = true).await;
    let northwind_app = server
        .app_in(&northwind, |a| {
            a.first_party = true;
            a.optional_claims = vec![];
            a.allowed_scopes = vec![];
        })
        .await;

    // Two tenants invite the same person, who redeems both with their Fabrikam account.
    let mut guests = Vec::new();
    for tenant in [&server.tenant, &northwind] {
        let (url, guest_id) = invite_to(&server, tenant, "gail@fabrikam.example").await;
        let browser = server.browser();
        let accepted = redeem(
            &browser,
            &url,
            "signin",
            &[("email", "gail@fabrikam.example"), ("password", PASSWORD)],
        )
        .await;
        assert_eq!(accepted.status(), 303);
        guests.push(server.user(&guest_id).await);
    }
    let altsecid = guests[0].alt_sec_id.clone().expect("set on redemption");
    assert_eq!(
        guests[1].alt_sec_id.as_deref(),
        Some(altsecid.as_str()),
        "the same home identity, the same altsecid, whichever tenant invited it"
    );
    assert_ne!(guests[0].id, guests[1].id, "but two guest objects");
    assert!(
        !altsecid.contains(&home.id) && !altsecid.contains("fabrikam"),
        "opaque: {altsecid}"
    );

    // In contoso's tokens, on two separate sign-ins (a new browser, a new session each time).
    let mut seen = Vec::new();
    for _ in 0..2 {
        let browser = server.browser();
        sign_in_at(&browser, &fabrikam, "gail@fabrikam.example").await;
        let t = tokens(&server, &browser, &server.issuer(), &contoso_app).await;
        for (place, claims) in ["ID token", "access token", "userinfo"]
            .into_iter()
            .zip(claims_everywhere(&server, &t).await)
        {
            assert_eq!(claims["altsecid"], altsecid.as_str(), "{place}: {claims}");
            assert_eq!(claims["idp"], fabrikam.issuer.as_str(), "{place}: {claims}");
            assert_eq!(claims["acct"], 1, "{place}: {claims}");
            seen.push(claims["sub"].clone());
        }
    }
    assert!(
        seen.iter().all(|s| *s == guests[0].id.as_str()),
        "sub is contoso's guest object: {seen:?}"
    );

    // In northwind's tokens: its own object, the same altsecid.
    let browser = server.browser();
    sign_in_at(&browser, &fabrikam, "gail@fabrikam.example").await;
    let t = tokens(&server, &browser, &northwind.issuer, &northwind_app).await;
    let id_token = jwt_claims(t["id_token"].as_str().unwrap());
    assert_eq!(id_token["altsecid"], altsecid.as_str());
    assert_eq!(id_token["oid"], guests[1].id.as_str());

    // A member of the tenant has none.
    let own = server.member("mo@contoso.example").await;
    let browser = server.browser();
    sign_in_at(&browser, &server.tenant, "mo@contoso.example").await;
    let t = tokens(&server, &browser, &server.issuer(), &contoso_app).await;
    for claims in claims_everywhere(&server, &t).await {
        assert_eq!(claims["oid"], own.id.as_str());
        assert!(
            claims.get("altsecid").is_none() && claims.get("idp").is_none(),
            "{claims}"
        );
    }
}
