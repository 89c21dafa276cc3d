//! The provider driven end to end by a real relying-party library (`openidconnect`): discovery, code
//! flow with PKCE through the sign-in form, ID token checks against the JWKS, userinfo, refresh with
//! rotation and reuse detection, revocation, introspection, client credentials, logout, key rotation.

mod common;

use common::*;
use guestlist::service::apps::manage::CreatedApp;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IntrospectionUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, Scope, TokenIntrospectionResponse, TokenResponse,
};

struct SignedIn {
    access_token: AccessToken,
    refresh_token: Option<RefreshToken>,
    id_token_raw: String,
    claims: CoreIdTokenClaims,
}

/// The relying-party library's client as discovery makes it: authorization endpoint set, token and
/// userinfo endpoints as the metadata says.
type RpClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The relying-party library's client of `app`, from the provider's metadata.
async fn rp_client(server: &TestServer, app: &CreatedApp) -> RpClient {
    CoreClient::from_provider_metadata(
        discover(&server.issuer()).await,
        ClientId::new(app.client_id.clone()),
        app.client_secret.clone().map(ClientSecret::new),
    )
}

/// [`code_flow`] with RS256, the default signing algorithm.
async fn rs256_flow(
    server: &TestServer,
    browser: &Browser,
    app: &CreatedApp,
    email: &str,
    scopes: &[&str],
) -> SignedIn {
    let rs256 = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
    code_flow(server, browser, app, email, scopes, rs256).await
}

/// The whole authorization code flow with PKCE, as a relying app does it.
async fn code_flow(
    server: &TestServer,
    browser: &Browser,
    app: &CreatedApp,
    email: &str,
    scopes: &[&str],
    alg: CoreJwsSigningAlgorithm,
) -> SignedIn {
    let client = rp_client(server, app)
        .await
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut req = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    for s in scopes {
        req = req.add_scope(Scope::new(s.to_string()));
    }
    let (url, state, nonce) = req.set_pkce_challenge(challenge).url();
    let callback = browser.callback(url.as_str(), email).await;
    let q = query_of(&callback);
    assert_eq!(q["state"], *state.secret(), "state comes back verbatim");
    assert_eq!(q["iss"], server.issuer(), "RFC 9207 iss equals the issuer");
    let token = client
        .exchange_code(AuthorizationCode::new(q["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&server.rp_http())
        .await
        .expect("code exchange");
    let id_token = token.id_token().expect("an ID token");
    let verifier = client.id_token_verifier().set_allowed_algs(vec![alg]);
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("ID token verifies against the JWKS")
        .clone();
    let expected_hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims.access_token_hash(),
        Some(&expected_hash),
        "at_hash matches the access token"
    );
    SignedIn {
        access_token: token.access_token().clone(),
        refresh_token: token.refresh_token().cloned(),
        id_token_raw: id_token.to_string(),
        claims,
    }
}

#[actix_web::test]
async fn discovery_and_jwks_are_certifiable() {
    let server = TestServer::start().await;
    let meta = discover(&server.issuer()).await;
    assert_eq!(meta.issuer().as_str(), server.issuer());
    let raw = get_json(&format!(
        "{}/.well-known/openid-configuration",
        server.issuer()
    ))
    .await;
    assert_eq!(raw["request_uri_parameter_supported"], false);
    assert_eq!(raw["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        raw["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    for m in ["client_secret_basic", "client_secret_post"] {
        assert!(
            raw["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == m)
        );
    }
    assert!(
        !raw["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "none")
    );
    let jwks = get_json(&format!("{}/jwks", server.issuer())).await;
    let keys = jwks["keys"].as_array().unwrap();
    let mut kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    kids.sort();
    kids.dedup();
    assert_eq!(kids.len(), keys.len(), "every kid is unique");
    for k in keys {
        assert_eq!(k["use"], "sig");
        assert!(k.get("d").is_none());
    }
    let unknown = server
        .rp_http()
        .get(server.url("/t/nope/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[actix_web::test]
async fn member_signs_in_with_code_flow_and_pkce() {
    let server = TestServer::start().await;
    let alice = server.member("alice@contoso.example").await;
    let app = server.app(|_| {}).await;
    let browser = server.browser();
    let sign_in = || {
        rs256_flow(
            &server,
            &browser,
            &app,
            "alice@contoso.example",
            &["email", "profile"],
        )
    };
    let s = sign_in().await;
    assert_eq!(
        s.claims.subject().as_str(),
        alice.id,
        "sub is the object id"
    );
    let raw = jwt_claims(&s.id_token_raw);
    assert_eq!(raw["oid"], alice.id);
    assert_eq!(raw["tid"], server.tenant.id);
    assert_eq!(raw["acct"], 0);
    assert_eq!(raw["upn"], "alice@contoso.example");
    assert_eq!(
        raw["email"], "alice@contoso.example",
        "the app opted in to email"
    );
    assert!(raw["auth_time"].as_i64().unwrap() > 0);
    assert!(raw["sid"].as_str().is_some());
    assert_eq!(raw["acr"], "urn:guestlist:acr:password");
    assert_eq!(raw["amr"], serde_json::json!(["pwd"]));
    assert!(
        raw.get("name").is_none(),
        "profile claims stay out of the ID token"
    );
    assert!(
        raw.get("idp").is_none() && raw.get("altsecid").is_none(),
        "members have no home claims"
    );
    assert_eq!(jwt_header(&s.id_token_raw)["alg"], "RS256");

    // userinfo, through the library: claims follow the scopes.
    let client = rp_client(&server, &app).await;
    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(s.access_token.clone(), None)
        .unwrap()
        .request_async(&server.rp_http())
        .await
        .expect("userinfo");
    assert_eq!(info.subject().as_str(), alice.id);
    assert_eq!(info.email().unwrap().as_str(), "alice@contoso.example");
    assert_eq!(info.email_verified(), Some(true));
    assert!(info.name().is_some());

    // Consent is remembered: a second flow needs no UI and keeps the sub.
    let s2 = sign_in().await;
    assert_eq!(s2.claims.subject(), s.claims.subject());
    assert_eq!(
        jwt_claims(&s2.id_token_raw)["auth_time"],
        raw["auth_time"],
        "no new login, same auth_time"
    );
}

#[actix_web::test]
async fn es256_and_eddsa_apps_get_tokens_signed_with_their_alg() {
    let server = TestServer::start().await;
    server.member("bob@contoso.example").await;
    for (alg, lib_alg) in [
        ("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        ("EdDSA", CoreJwsSigningAlgorithm::EdDsa),
    ] {
        let app = server
            .app(|a| {
                a.signing_alg = alg.into();
                a.first_party = true;
            })
            .await;
        let s = code_flow(
            &server,
            &server.browser(),
            &app,
            "bob@contoso.example",
            &[],
            lib_alg,
        )
        .await;
        assert_eq!(jwt_header(&s.id_token_raw)["alg"], alg);
        assert_eq!(
            jwt_header(&s.access_token.secret().clone())["typ"],
            "at+jwt"
        );
    }
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_grant() {
    let server = TestServer::start().await;
    server.member("carol@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let s = rs256_flow(
        &server,
        &server.browser(),
        &app,
        "carol@contoso.example",
        &["offline_access", "email"],
    )
    .await;
    let first_rt = s
        .refresh_token
        .clone()
        .expect("offline_access gives a refresh token");
    let client = rp_client(&server, &app).await;
    let http = server.rp_http();
    let refreshed = client
        .exchange_refresh_token(&first_rt)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let second_rt = refreshed
        .refresh_token()
        .cloned()
        .expect("rotation returns a new refresh token");
    assert_ne!(second_rt.secret(), first_rt.secret());
    let new_id = jwt_claims(refreshed.id_token().unwrap().to_string().as_str());
    let old_id = jwt_claims(&s.id_token_raw);
    for k in ["iss", "sub", "aud", "auth_time"] {
        assert_eq!(new_id[k], old_id[k], "{k} is kept across refresh");
    }
    // The refreshed access token works.
    let ui = client
        .user_info(refreshed.access_token().clone(), None)
        .unwrap();
    let _: openidconnect::core::CoreUserInfoClaims = ui
        .request_async(&http)
        .await
        .expect("refreshed token works");

    // Presenting the spent token again is reuse: refused, and the whole grant dies.
    let reuse = client
        .exchange_refresh_token(&first_rt)
        .unwrap()
        .request_async(&http)
        .await;
    assert_invalid_grant(reuse, "reuse is refused");
    let after = client
        .exchange_refresh_token(&second_rt)
        .unwrap()
        .request_async(&http)
        .await;
    assert_invalid_grant(after, "the newest refresh token died with the grant");
    assert_token_refused_by_userinfo(
        &server,
        refreshed.access_token().secret(),
        "access tokens of the revoked grant stop working",
    )
    .await;
}

#[actix_web::test]
async fn refresh_token_of_another_client_is_invalid_grant() {
    let server = TestServer::start().await;
    server.member("dan@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let other = server.app(|a| a.first_party = true).await;
    let s = rs256_flow(
        &server,
        &server.browser(),
        &app,
        "dan@contoso.example",
        &["offline_access"],
    )
    .await;
    let refresh_token = s.refresh_token.unwrap();
    let resp = token_request(&server, &other, &refresh_form(refresh_token.secret())).await;
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[actix_web::test]
async fn revocation_and_introspection() {
    let server = TestServer::start().await;
    server.member("erin@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let s = rs256_flow(
        &server,
        &server.browser(),
        &app,
        "erin@contoso.example",
        &["offline_access"],
    )
    .await;
    let client = rp_client(&server, &app).await.set_introspection_url(
        IntrospectionUrl::new(format!("{}/introspect", server.issuer())).unwrap(),
    );
    let http = server.rp_http();
    let info = client
        .introspect(&s.access_token)
        .request_async(&http)
        .await
        .expect("introspection");
    assert!(info.active());
    assert_eq!(
        info.client_id().map(|c| c.as_str()),
        Some(app.client_id.as_str())
    );
    assert!(
        info.scopes()
            .unwrap()
            .iter()
            .any(|s| s.as_str() == "openid")
    );

    // The library refuses revocation over plain http (RFC 7009 demands TLS), so revocation requests are
    // sent as the RFC describes them: a form POST with client authentication.
    let revoke = |token: String| {
        let http = http.clone();
        let (id, secret) = (app.client_id.clone(), app.client_secret.clone());
        let url = format!("{}/revoke", server.issuer());
        async move {
            let resp = http
                .post(url)
                .basic_auth(id, secret)
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "revocation answers 200");
        }
    };
    // Revoking the access token kills it (and only it).
    revoke(s.access_token.secret().clone()).await;
    let info = client
        .introspect(&s.access_token)
        .request_async(&http)
        .await
        .unwrap();
    assert!(!info.active(), "a revoked access token is inactive");
    assert_token_refused_by_userinfo(
        &server,
        s.access_token.secret(),
        "a revoked access token stops working",
    )
    .await;

    // Revoking the refresh token ends the grant.
    let rt = s.refresh_token.unwrap();
    revoke(rt.secret().clone()).await;
    assert_invalid_grant(
        client
            .exchange_refresh_token(&rt)
            .unwrap()
            .request_async(&http)
            .await,
        "a revoked refresh token is refused",
    );

    // Unknown tokens are fine to revoke (RFC 7009 §2.2) and inactive.
    revoke("garbage".into()).await;
    let info = client
        .introspect(&AccessToken::new("garbage.x.y".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert!(!info.active());

    // Introspection needs an authenticated client.
    let resp = http
        .post(format!("{}/introspect", server.issuer()))
        .form(&[("token", "x"), ("client_id", app.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[actix_web::test]
async fn client_credentials_with_rs256_and_es256() {
    let server = TestServer::start().await;
    for (alg, header_alg) in [("RS256", "RS256"), ("ES256", "ES256")] {
        let app = server.app(|a| a.signing_alg = alg.into()).await;
        let client = rp_client(&server, &app).await.set_introspection_url(
            IntrospectionUrl::new(format!("{}/introspect", server.issuer())).unwrap(),
        );
        let token = client
            .exchange_client_credentials()
            .unwrap()
            .add_scope(Scope::new("api.read".into()))
            .request_async(&server.rp_http())
            .await
            .expect("client credentials");
        assert!(token.refresh_token().is_none());
        let at = token.access_token().secret();
        assert_eq!(jwt_header(at)["alg"], header_alg);
        let claims = jwt_claims(at);
        assert_eq!(claims["client_id"], app.client_id);
        assert_eq!(claims["scope"], "api.read");
        assert_eq!(claims["iss"], server.issuer());
        let info = client
            .introspect(token.access_token())
            .request_async(&server.rp_http())
            .await
            .unwrap();
        assert!(info.active());
        let denied = client
            .exchange_client_credentials()
            .unwrap()
            .add_scope(Scope::new("api.write".into()))
            .request_async(&server.rp_http())
            .await;
        assert!(format!("{:?}", denied.expect_err("scope not granted")).contains("invalid_scope"));
    }
}

#[actix_web::test]
async fn rp_initiated_logout_ends_the_session() {
    let server = TestServer::start().await;
    server.member("fay@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let browser = server.browser();
    let s = rs256_flow(&server, &browser, &app, "fay@contoso.example", &[]).await;
    let logout = format!(
        "{}/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye%20now",
        server.issuer(),
        s.id_token_raw,
        LOGOUT_REDIRECT
    );
    let resp = browser.get(&logout).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        format!("{LOGOUT_REDIRECT}?state=bye+now")
    );

    // After logout, prompt=none must report login_required.
    let silent = authorize_url_with(
        &server.issuer(),
        &code_request(
            &app.client_id,
            "openid",
            &[("prompt", "none"), ("state", "s1")],
        ),
    );
    let resp = browser.get(&silent).await;
    let q = query_of(&location(&resp));
    assert_eq!(q["error"], "login_required");
    assert_eq!(q["state"], "s1");

    // An unregistered return address is never followed, even with a valid hint.
    let bad = format!(
        "{}/logout?id_token_hint={}&post_logout_redirect_uri={}?foo=bar",
        server.issuer(),
        s.id_token_raw,
        LOGOUT_REDIRECT
    );
    let resp = browser.get(&bad).await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());

    // Without a hint, the person confirms; a foreign hint is refused.
    let resp = browser.get(&format!("{}/logout", server.issuer())).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("Sign out?"));
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln";
    let resp = browser
        .get(&format!(
            "{}/logout?id_token_hint={forged}&post_logout_redirect_uri={LOGOUT_REDIRECT}",
            server.issuer()
        ))
        .await;
    assert_eq!(resp.status(), 400);
    assert!(resp.headers().get("location").is_none());
}

#[actix_web::test]
async fn tokens_signed_before_key_rotation_still_verify() {
    let server = TestServer::start().await;
    server.member("gus@contoso.example").await;
    let app = server.app(|a| a.first_party = true).await;
    let browser = server.browser();
    let before = rs256_flow(&server, &browser, &app, "gus@contoso.example", &[]).await;
    let old_kid = jwt_header(&before.id_token_raw)["kid"]
        .as_str()
        .unwrap()
        .to_string();
    let new_kids =
        guestlist::keys::KeyStore::rotate(&server.db.dir.path().join("keys"), 0).unwrap();
    // The server notices the rotation within its reload interval.
    let mut published = false;
    for _ in 0..50 {
        let kids = kids_of(&get_json(&format!("{}/jwks", server.issuer())).await);
        if new_kids.iter().all(|k| kids.contains(k)) {
            assert!(kids.contains(&old_kid), "the old key stays published");
            published = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(published, "the rotated keys were published");
    let after = rs256_flow(&server, &browser, &app, "gus@contoso.example", &[]).await;
    let new_kid = jwt_header(&after.id_token_raw)["kid"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(new_kids.contains(&new_kid), "new tokens use the new key");
    // The old ID token still verifies against the JWKS served now.
    let client = rp_client(&server, &app).await;
    let old: openidconnect::core::CoreIdToken = before.id_token_raw.parse().unwrap();
    old.claims(
        &client
            .id_token_verifier()
            .insecure_disable_signature_check()
            .require_issuer_match(true),
        |_: Option<&Nonce>| Ok(()),
    )
    .unwrap();
    let verifier = client.id_token_verifier();
    assert!(
        old.signing_key(&verifier).is_ok(),
        "the old kid resolves in the current JWKS"
    );
    assert!(
        old.claims(&verifier, |_: Option<&Nonce>| Ok(())).is_ok(),
        "and its signature verifies"
    );
    // The userinfo endpoint still accepts the old access token.
    let ui: Result<openidconnect::core::CoreUserInfoClaims, _> = client
        .user_info(before.access_token.clone(), None)
        .unwrap()
        .request_async(&server.rp_http())
        .await;
    assert!(ui.is_ok());
}
