//! OpenID Connect Back-Channel Logout 1.0: apps that registered a `backchannel_logout_uri` are told,
//! by a signed logout token POSTed to a real HTTP receiver, when a session or a grant ends. The
//! receiver verifies every token against the issuer's JWKS with a JOSE library (josekit) and checks
//! each claim rule of the specification.

mod common;

use common::oidc::*;
use common::receiver::Receiver;
use common::*;
use guestlist::service::apps::manage::CreatedApp;
use guestlist::service::backchannel::LogoutDeliverer;
use guestlist::store::queries;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// The logout token a request carried (a form field).
fn token_of(r: &common::receiver::Received) -> String {
    assert_eq!(
        r.header("content-type"),
        "application/x-www-form-urlencoded",
        "a form POST"
    );
    r.form_field("logout_token").expect("a logout_token")
}

/// The logout tokens of what a path acknowledged.
fn logout_tokens(got: Vec<common::receiver::Received>) -> Vec<String> {
    got.iter().map(token_of).collect()
}

/// The logout token verified against the issuer's JWKS (josekit), with every rule of §2.4 checked:
/// its claims.
async fn verified(server: &TestServer, token: &str, client_id: &str) -> Value {
    use josekit::jws::{ES256, EdDSA, JwsVerifier, RS256};
    let header = josekit::jwt::decode_header(token).expect("a JWT");
    let text = |name: &str| {
        header
            .claim(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(text("typ"), "logout+jwt", "explicitly typed");
    let discovery = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer()
    ))
    .await;
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);
    let jwks = get_json(discovery["jwks_uri"].as_str().unwrap()).await;
    let set = josekit::jwk::JwkSet::from_bytes(jwks.to_string().as_bytes()).unwrap();
    let kid = text("kid");
    let jwk = set
        .get(&kid)
        .first()
        .copied()
        .expect("the key is published");
    let verifier: Box<dyn JwsVerifier> = match text("alg").as_str() {
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk).unwrap()),
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk).unwrap()),
        "EdDSA" => Box::new(EdDSA.verifier_from_jwk(jwk).unwrap()),
        other => panic!("unexpected alg {other}"),
    };
    let (payload, _) =
        josekit::jwt::decode_with_verifier(token, &*verifier).expect("the signature verifies");
    let claims = Value::Object(payload.claims_set().clone());
    let now = guestlist::clock::now();
    assert_eq!(claims["iss"], server.issuer().as_str(), "{claims}");
    let aud = &claims["aud"];
    assert!(
        aud == client_id
            || aud
                .as_array()
                .is_some_and(|a| a.iter().any(|v| v == client_id)),
        "aud names the app: {claims}"
    );
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(iat <= now + 5 && iat >= now - 60, "iat is now: {claims}");
    assert!(exp > now && exp - iat <= 300, "short-lived: {claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(
        claims["sub"].is_string() || claims["sid"].is_string(),
        "sub and/or sid: {claims}"
    );
    assert_eq!(claims["events"][EVENT], serde_json::json!({}), "{claims}");
    assert_eq!(
        claims["events"].as_object().map(|e| e.len()),
        Some(1),
        "only the logout event"
    );
    assert!(claims.get("nonce").is_none(), "never a nonce: {claims}");
    claims
}

async fn listening_app(server: &TestServer, uri: Option<String>, alg: &str) -> CreatedApp {
    let alg = alg.to_string();
    server
        .app(move |a| {
            a.first_party = true;
            a.signing_alg = alg;
            a.backchannel_logout_session_required = uri.is_some();
            a.backchannel_logout_uri = uri;
        })
        .await
}

/// RP-initiated logout with the ID token as hint: the session ends without a question.
async fn log_out(server: &TestServer, browser: &Browser, id_token: &Value) {
    let url = format!(
        "{}/logout?id_token_hint={}",
        server.issuer(),
        id_token["raw"].as_str().unwrap()
    );
    let resp = browser.get(&url).await;
    assert_eq!(resp.status(), 200, "signed out");
}

/// The browser signs in to the first app (as `email`, when given), then silently to the others: the
/// ID tokens' claims (and the token itself as `raw`), by client id.
async fn signed_in_to(
    server: &TestServer,
    browser: &Browser,
    apps: &[&CreatedApp],
    email: Option<&str>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (i, app) in apps.iter().enumerate() {
        let start = authorize_url(&server.issuer(), &app.client_id);
        let cb = match (i, email) {
            (0, Some(email)) => browser.callback(&start, email).await,
            _ => browser.silent_callback(&start).await,
        };
        let tokens = app_tokens_for_callback(server, app, &cb).await;
        let raw = tokens["id_token"].as_str().unwrap();
        let mut claims = jwt_claims(raw);
        claims["raw"] = raw.into();
        out.insert(app.client_id.clone(), claims);
    }
    out
}

#[actix_web::test]
async fn sign_out_disable_and_refresh_reuse_each_tell_each_app_once() {
    let server = TestServer::start_with(|c| {
        c.logout_retry_delay = 1;
        // The receiver listens on loopback.
        c.webhook_allow_private = true;
    })
    .await;
    let rx = Receiver::start(0, Duration::ZERO);
    let a = listening_app(&server, Some(rx.uri("/a")), "RS256").await;
    let b = listening_app(&server, Some(rx.uri("/b")), "ES256").await;
    let quiet = listening_app(&server, None, "RS256").await;

    // 1. Sign-out (RP-initiated logout): each listening app gets one token naming the session.
    server.member("fay@contoso.example").await;
    let browser = server.browser();
    let ids = signed_in_to(
        &server,
        &browser,
        &[&a, &b, &quiet],
        Some("fay@contoso.example"),
    )
    .await;
    // A second sign-in to the same app in the same session is still one session to end.
    signed_in_to(&server, &browser, &[&a], None).await;
    let id_a = &ids[&a.client_id];
    log_out(&server, &browser, id_a).await;
    for (path, app) in [("/a", &a), ("/b", &b)] {
        let got = logout_tokens(rx.settled(path, 1).await);
        assert_eq!(got.len(), 1, "one token for {path}: {got:?}");
        let claims = verified(&server, &got[0], &app.client_id).await;
        assert_eq!(claims["sub"], id_a["sub"], "the user the app knows");
        assert_eq!(claims["sid"], id_a["sid"], "the session that ended");
    }
    let quiet_id = quiet.id.clone();
    let for_quiet = server
        .svc
        .store
        .read(move |c| queries::backchannel::of_app(c, &quiet_id, 10))
        .await
        .unwrap();
    assert!(for_quiet.is_empty(), "an app without a URI is not told");

    // 2. An admin disables a guest: each app the guest used gets one token for the guest object.
    let (invited, guest) = invite::joined(
        &server,
        &server.tenant,
        "gil@partner.example",
        "Gil Partner",
    )
    .await;
    let ids = signed_in_to(&server, &guest, &[&a, &b], None).await;
    assert_eq!(ids[&a.client_id]["sub"], invited.user_id.as_str());
    server.disable_user(&invited.user_id).await;
    for (path, app) in [("/a", &a), ("/b", &b)] {
        let got = logout_tokens(rx.settled(path, 2).await);
        assert_eq!(got.len(), 2, "one more token for {path}: {got:?}");
        let claims = verified(&server, &got[1], &app.client_id).await;
        assert_eq!(claims["sub"], invited.user_id.as_str());
        assert_eq!(claims["sid"], ids[&app.client_id]["sid"]);
    }

    // 3. A refresh token used twice: the grant is revoked and its app (only) is told once.
    server.member("hal@contoso.example").await;
    let hal = server.browser();
    let cb = hal
        .callback(
            &authorize_url_for(&server.issuer(), &a.client_id, "openid offline_access"),
            "hal@contoso.example",
        )
        .await;
    let tokens = app_tokens_for_callback(&server, &a, &cb).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let first = token_request(&server, &a, &refresh_form(refresh)).await;
    assert_eq!(first.status(), 200);
    let again = token_request(&server, &a, &refresh_form(refresh)).await;
    assert_eq!(again.status(), 400, "a spent refresh token is refused");
    let got = logout_tokens(rx.settled("/a", 3).await);
    assert_eq!(got.len(), 3, "one token for the reuse: {got:?}");
    let claims = verified(&server, &got[2], &a.client_id).await;
    let hal_id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], hal_id["sub"]);
    assert_eq!(rx.accepted("/b").len(), 2, "the other app was not told");

    // Every token is unique.
    let mut jtis: Vec<String> = rx
        .all()
        .iter()
        .map(|r| {
            jwt_claims(&token_of(r))["jti"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    jtis.sort();
    jtis.dedup();
    assert_eq!(jtis.len(), rx.all().len());
}

#[actix_web::test]
async fn an_app_that_is_down_gets_the_token_later_and_once() {
    let server = TestServer::start_with(|c| {
        c.logout_retry_delay = 1;
        // The receiver listens on loopback.
        c.webhook_allow_private = true;
    })
    .await;
    let rx = Receiver::start(2, Duration::ZERO);
    let a = listening_app(&server, Some(rx.uri("/a")), "EdDSA").await;
    server.member("ida@contoso.example").await;
    let browser = server.browser();
    let ids = signed_in_to(&server, &browser, &[&a], Some("ida@contoso.example")).await;
    log_out(&server, &browser, &ids[&a.client_id]).await;
    let got = logout_tokens(rx.settled("/a", 1).await);
    assert_eq!(got.len(), 1, "delivered once in the end");
    verified(&server, &got[0], &a.client_id).await;
    let attempts = rx.all();
    assert_eq!(attempts.len(), 3, "two refusals, then the delivery");
    let first_jti = jwt_claims(&token_of(&attempts[0]))["jti"].clone();
    assert!(
        attempts
            .iter()
            .all(|r| jwt_claims(&token_of(r))["jti"] == first_jti),
        "a retry is the same token (same jti)"
    );
    let app_id = a.id.clone();
    let rows = server
        .svc
        .store
        .read(move |c| queries::backchannel::of_app(c, &app_id, 10))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].state.as_str(), rows[0].attempts),
        ("delivered", 3),
        "{:?}",
        rows[0]
    );
}

#[actix_web::test]
async fn two_processes_deliver_each_token_exactly_once() {
    let server = TestServer::start_with(|c| {
        c.logout_retry_delay = 1;
        // The receiver listens on loopback.
        c.webhook_allow_private = true;
    })
    .await;
    let rx = Receiver::start(0, Duration::from_millis(20));
    let a = listening_app(&server, Some(rx.uri("/a")), "RS256").await;
    let member = server.member("joe@contoso.example").await;
    // Forty grants from forty sessions (as forty devices would leave them).
    const GRANTS: usize = 40;
    let (tenant_id, app_id, user_id) = (server.tenant.id.clone(), a.id.clone(), member.id.clone());
    server
        .svc
        .store
        .write(move |c| {
            let now = guestlist::clock::now();
            for i in 0..GRANTS {
                queries::oauth::insert_grant(
                    c,
                    &guestlist::store::models::GrantRow {
                        id: format!("grant-{i}"),
                        tenant_id: tenant_id.clone(),
                        app_id: app_id.clone(),
                        user_id: user_id.clone(),
                        session_id: Some(format!("session-{i}")),
                        scope: "openid".into(),
                        claims: None,
                        nonce: None,
                        auth_time: now,
                        acr: "1".into(),
                        amr: "pwd".into(),
                        created_at: now,
                        expires_at: now + 3600,
                        revoked_at: None,
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    // A second process on the same database, with its own deliverer, beside the server's own.
    let second =
        guestlist::server::prepare((*server.svc.config).clone()).expect("a second process");
    let deliverers = [
        LogoutDeliverer::new(&server.svc).unwrap(),
        LogoutDeliverer::new(&second).unwrap(),
    ];
    server.disable_user(&member.id).await;
    let (one, two) = tokio::join!(deliverers[0].run_once(), deliverers[1].run_once());
    let (one, two) = (one.unwrap(), two.unwrap());
    let got = logout_tokens(rx.settled("/a", GRANTS).await);
    assert_eq!(got.len(), GRANTS, "each session's token once");
    let mut sids: Vec<String> = got
        .iter()
        .map(|t| jwt_claims(t)["sid"].as_str().unwrap().to_string())
        .collect();
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), GRANTS, "no session told twice");
    assert_eq!(rx.all().len(), GRANTS, "no delivery repeated");
    assert!(
        one + two <= GRANTS,
        "the two deliverers shared the work: {one} + {two}"
    );
}

#[actix_web::test]
async fn a_code_from_a_session_that_ended_makes_no_grant() {
    let server = TestServer::start_with(|c| c.webhook_allow_private = true).await;
    let rx = Receiver::start(0, Duration::ZERO);
    let a = listening_app(&server, Some(rx.uri("/a")), "RS256").await;
    server.member("kay@contoso.example").await;
    let browser = server.browser();
    let ids = signed_in_to(&server, &browser, &[&a], Some("kay@contoso.example")).await;
    // A second code, not yet exchanged when the session ends.
    let late = browser
        .silent_callback(&authorize_url(&server.issuer(), &a.client_id))
        .await;
    log_out(&server, &browser, &ids[&a.client_id]).await;
    let answer = token_call(
        &server.rp_http(),
        &server.issuer(),
        Some((&a.client_id, a.client_secret.as_deref().unwrap())),
        &code_form(&code_of(&late), &[]),
    )
    .await;
    assert_eq!(answer.status, 400, "{answer}");
    assert_eq!(answer.json()["error"], "invalid_grant");
    let got = logout_tokens(rx.settled("/a", 1).await);
    assert_eq!(
        got.len(),
        1,
        "the session's one token, nothing for the late code"
    );
}

#[actix_web::test]
async fn a_guest_the_lifecycle_disables_is_logged_out_of_each_app_and_announced() {
    let server = TestServer::start_with(|c| {
        c.webhook_allow_private = true;
        c.lifecycle_interval = 0;
    })
    .await;
    let rx = Receiver::start(0, Duration::ZERO);
    let a = listening_app(&server, Some(rx.uri("/a")), "ES256").await;
    let op = guestlist::service::auth::Actor::operator();
    guestlist::service::webhooks::create(
        &server.svc,
        &op,
        &server.tenant,
        guestlist::service::webhooks::NewWebhook {
            url: rx.uri("/hook"),
            events: vec!["Disable user".into()],
            ..Default::default()
        },
    )
    .await
    .expect("a webhook endpoint");
    let (invited, guest) = invite::joined(
        &server,
        &server.tenant,
        "lea@partner.example",
        "Lea Partner",
    )
    .await;
    let ids = signed_in_to(&server, &guest, &[&a], None).await;
    // Her access ends tomorrow; the job runs the day after.
    let tomorrow = guestlist::domain::calendar::date_of(server.svc.now() + 86_400);
    guestlist::service::users::update(
        &server.svc,
        &op,
        &server.tenant,
        &invited.user_id,
        guestlist::service::users::UserPatch {
            access_expires_on: Some(tomorrow),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("an end date");
    let report = guestlist::service::lifecycle::run(&server.svc, server.svc.now() + 2 * 86_400)
        .await
        .unwrap();
    assert_eq!(report.access_ended, 1);

    let got = logout_tokens(rx.settled("/a", 1).await);
    assert_eq!(got.len(), 1, "one token: {got:?}");
    let claims = verified(&server, &got[0], &a.client_id).await;
    assert_eq!(claims["sub"], invited.user_id.as_str());
    assert_eq!(claims["sid"], ids[&a.client_id]["sid"]);

    let hooks = rx.settled("/hook", 1).await;
    assert_eq!(hooks.len(), 1, "one webhook");
    let body: Value = serde_json::from_str(&hooks[0].body).unwrap();
    assert_eq!(body["type"], "Disable user");
    assert_eq!(body["data"]["target"], invited.user_id.as_str());
    assert_eq!(body["data"]["actor"], "lifecycle");
    assert_eq!(body["data"]["details"]["reason"], "access_ended");
}
