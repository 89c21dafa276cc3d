//! Who may redeem an invitation when already signed in, and the home identity a redeemed guest carries into
//! every token (`idp`, `altsecid`).

mod common;

use common::*;
use guestlist::service::apps::manage::CreatedApp;
use guestlist::service::auth::Actor;
use guestlist::service::tenants::Tenant;
use guestlist::store::models::TenantRow;
use guestlist::store::queries;
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

/// The home directory a registration made: the account's tenant, read back.
async fn home_directory_of(server: &TestServer, guest_id: &str) -> TenantRow {
    let guest = server.user(guest_id).await;
    let home = server
        .user(
            guest
                .home_user_id
                .as_deref()
                .expect("bound to a home account"),
        )
        .await;
    server
        .svc
        .store
        .read(move |c| queries::tenants::by_id(c, &home.tenant_id))
        .await
        .unwrap()
        .expect("the home tenant")
}

#[actix_web::test]
async fn look_alike_domains_register_into_directories_of_their_own() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    // Both domains once named the directory `ext-corp-example-com`.
    let mut seen = Vec::new();
    for (email, domain, slug) in [
        (
            "kim@corp.example.com",
            "corp.example.com",
            "ext-corp-example-com",
        ),
        (
            "kim@corp-example.com",
            "corp-example.com",
            "ext-corp--example-com",
        ),
    ] {
        let (url, guest_id) = invite_to(&server, &server.tenant, email).await;
        let browser = server.browser();
        let accepted = register_as_guest(&browser, &url, "Kim").await;
        assert_eq!(accepted.status(), 303, "{email} registers");
        let home = home_directory_of(&server, &guest_id).await;
        assert_eq!(
            (
                home.slug.as_str(),
                home.primary_domain.as_str(),
                home.unmanaged
            ),
            (slug, domain, true),
            "{email}"
        );
        let t = tokens(&server, &browser, &server.issuer(), &app).await;
        let id_token = jwt_claims(t["id_token"].as_str().unwrap());
        assert_eq!(
            id_token["idp"],
            server.url(&format!("/t/{slug}")),
            "{email}"
        );
        assert_eq!(id_token["email"], email);
        seen.push((home.id, id_token["altsecid"].clone()));
    }
    assert_ne!(seen[0].0, seen[1].0, "two directories");
    assert_ne!(seen[0].1, seen[1].1, "two home identities: {seen:?}");
}

#[actix_web::test]
async fn a_registration_never_joins_a_tenant_that_is_not_its_domains_own_directory() {
    let server = TestServer::start().await;
    // Operators may no longer name a tenant like a directory …
    let refused = guestlist::service::tenants::manage::create(
        &server.svc,
        &Actor::operator(),
        None,
        guestlist::service::tenants::manage::TenantInput {
            slug: "ext-northwind-example".into(),
            display_name: "Northwind".into(),
            primary_domain: "northwind.example".into(),
            self_service_sign_up: false,
        },
    )
    .await;
    assert!(
        matches!(&refused, Err(guestlist::error::Error::Invalid { field, .. }) if field == "slug"),
        "{refused:?}"
    );
    // … but tenants holding the names these domains' directories would get may exist from before: an
    // operator's tenant, and another domain's directory from before `-` was told apart from `.`.
    let now = server.svc.now();
    let taken = |slug: &str, domain: &str, unmanaged: bool| TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        slug: slug.into(),
        display_name: domain.into(),
        primary_domain: domain.into(),
        unmanaged,
        self_service_signup: false,
        settings: "{}".into(),
        created_at: now,
        updated_at: now,
    };
    let rows = [
        taken("ext-northwind-example", "northwind.example", false),
        taken("ext-corp-example-com", "corp-example.com", true),
    ];
    let inserted = rows.to_vec();
    server
        .svc
        .store
        .write(move |c| {
            inserted
                .iter()
                .try_for_each(|row| queries::tenants::insert(c, row))
        })
        .await
        .unwrap();
    for email in ["lee@northwind.example", "lee@corp.example.com"] {
        let (url, guest_id) = invite_to(&server, &server.tenant, email).await;
        let refused = register_as_guest(&server.browser(), &url, "Lee").await;
        assert_eq!(refused.status(), 409, "{email}");
        let page = refused.text().await.unwrap();
        assert!(page.contains("is taken"), "{page}");
        let guest = server.user(&guest_id).await;
        assert!(guest.home_user_id.is_none(), "{email} is bound to nothing");
    }
    for row in &rows {
        for email in ["lee@northwind.example", "lee@corp.example.com"] {
            let (tenant_id, mail) = (row.id.clone(), email.to_string());
            let member = server
                .svc
                .store
                .read(move |c| queries::users::by_tenant_and_mail(c, &tenant_id, &mail))
                .await
                .unwrap();
            assert!(member.is_none(), "{email} is nobody in {}", row.slug);
        }
    }
    // The directory of the older name still serves its own domain.
    let (url, guest_id) = invite_to(&server, &server.tenant, "lee@corp-example.com").await;
    let accepted = register_as_guest(&server.browser(), &url, "Lee").await;
    assert_eq!(accepted.status(), 303);
    assert_eq!(
        home_directory_of(&server, &guest_id).await.slug,
        "ext-corp-example-com"
    );
}
