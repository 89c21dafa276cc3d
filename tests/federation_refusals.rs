//! Every way an upstream's answer can be wrong is refused, and a refusal leaves nothing behind: no
//! guest bound, no upstream identity, no session. The upstream here is a provider the test controls
//! (discovery, JWKS and token endpoint on loopback, signing with josekit), so each answer can be bent
//! one way at a time; the round trip itself is the server's, started from a real invitation page.

mod common;

use actix_web::{App, HttpResponse, HttpServer, web};
use common::invite::{Invited, invite_quietly};
use common::*;
use guestlist::service::auth::Actor;
use guestlist::service::federation::{self, IdentityProviderView, NewIdentityProvider};
use josekit::jwk::Jwk;
use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::{self, JwtPayload};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const ALICE: &str = "alice@fabrikam.example";
const CLIENT_ID: &str = "contoso-at-fabrikam";
const CLIENT_SECRET: &str = "a secret the provider gave contoso";

/// One RS256 key: its private PEM and its public JWK (with `kid`).
#[derive(Clone)]
struct Key {
    pem: Vec<u8>,
    public: Jwk,
}

fn key(kid: &str) -> Key {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id(kid);
    public.set_algorithm("RS256");
    public.set_key_use("sig");
    Key {
        pem: pair.to_pem_private_key(),
        public,
    }
}

/// What the provider does next: the keys it publishes, the key and `kid` it signs with, and the claims
/// of the next ID token (the test bends them).
struct Behaviour {
    published: Vec<Jwk>,
    signing: Key,
    kid: String,
    claims: Value,
    jwks_fetches: usize,
    /// The token endpoint answers 500 (the provider is down).
    down: bool,
}

#[derive(Clone)]
struct Fake {
    issuer: String,
    state: Arc<Mutex<Behaviour>>,
}

async fn discovery(f: web::Data<Fake>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "issuer": f.issuer,
        "authorization_endpoint": format!("{}/authorize", f.issuer),
        "token_endpoint": format!("{}/token", f.issuer),
        "jwks_uri": format!("{}/jwks", f.issuer),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn jwks(f: web::Data<Fake>) -> HttpResponse {
    let mut s = f.state.lock().unwrap();
    s.jwks_fetches += 1;
    let keys: Vec<Value> = s
        .published
        .iter()
        .map(|k| serde_json::to_value(k.as_ref()).unwrap())
        .collect();
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

async fn token(f: web::Data<Fake>) -> HttpResponse {
    let s = f.state.lock().unwrap();
    if s.down {
        return HttpResponse::InternalServerError().finish();
    }
    let mut header = JwsHeader::new();
    header.set_token_type("JWT");
    header.set_key_id(&s.kid);
    let payload = JwtPayload::from_map(s.claims.as_object().unwrap().clone()).unwrap();
    let signer = RS256.signer_from_pem(&s.signing.pem).unwrap();
    let id_token = jwt::encode_with_signer(&payload, &header, &signer).unwrap();
    HttpResponse::Ok().json(json!({
        "access_token": "an-opaque-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
}

impl Fake {
    fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let signing = key("k1");
        let fake = Fake {
            issuer,
            state: Arc::new(Mutex::new(Behaviour {
                published: vec![signing.public.clone()],
                kid: "k1".into(),
                signing,
                claims: json!({}),
                jwks_fetches: 0,
                down: false,
            })),
        };
        let data = web::Data::new(fake.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        fake
    }

    /// The claims of a good ID token for alice, for the round trip whose authorization request sent
    /// `nonce`.
    fn good_claims(&self, nonce: &str) -> Value {
        let now = guestlist::clock::now();
        json!({
            "iss": self.issuer, "aud": CLIENT_ID, "sub": "alice-at-fabrikam",
            "iat": now, "exp": now + 300, "nonce": nonce,
            "email": ALICE, "email_verified": true, "name": "Alice Fabrikam",
        })
    }

    fn behave(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.state.lock().unwrap());
    }
}

struct Harness {
    server: TestServer,
    fake: Fake,
    provider: IdentityProviderView,
    invited: Invited,
}

async fn harness() -> Harness {
    let server = TestServer::start_with(|c| c.federation_allow_http = true).await;
    let fake = Fake::start();
    let provider = federation::create(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        NewIdentityProvider {
            display_name: "Fabrikam".into(),
            issuer: Some(fake.issuer.clone()),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            domains: vec!["fabrikam.example".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let invited = invite_quietly(&server, &server.tenant, ALICE).await;
    Harness {
        server,
        fake,
        provider,
        invited,
    }
}

/// A round trip started from the invitation's page in `browser`: its `state` and `nonce`.
async fn start(h: &Harness, browser: &Browser) -> (String, String) {
    let page = browser.page(&h.invited.redeem_url).await;
    let resp = browser
        .post_form(
            &format!("{}/federation", h.invited.redeem_url),
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("provider", &h.provider.id),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let q = query_of(&oidc::location(&resp));
    (q["state"].clone(), q["nonce"].clone())
}

fn callback_url(h: &Harness, state: &str) -> String {
    h.server
        .url(&format!("/federation/callback?code=the-code&state={state}"))
}

/// Asserts the callback answered `status` with a page saying `says`, set no session, bound no guest
/// and made no upstream identity.
async fn assert_refused(h: &Harness, resp: reqwest::Response, status: u16, says: &str) {
    assert_eq!(resp.status().as_u16(), status);
    assert!(
        !set_cookies(&resp).iter().any(|c| c.contains("gl_session")),
        "no session"
    );
    let body = resp.text().await.unwrap();
    assert!(body.contains(says), "{says:?} in {body}");
    let guest = h.server.user(&h.invited.user_id).await;
    assert_eq!(
        guest.external_user_state.as_deref(),
        Some("PendingAcceptance")
    );
    assert!(guest.home_user_id.is_none() && guest.alt_sec_id.is_none());
    let issuer = h.fake.issuer.clone();
    let identity = h
        .server
        .svc
        .store
        .read(move |c| {
            guestlist::store::queries::federation::identity(c, &issuer, "alice-at-fabrikam")
        })
        .await
        .unwrap();
    assert!(identity.is_none(), "no upstream identity was made");
}

/// Runs one round trip whose ID token is bent by `bend`, expecting a refusal.
async fn refused_when(h: &Harness, bend: impl FnOnce(&mut Value), says: &str) {
    let browser = h.server.browser();
    let (state, nonce) = start(h, &browser).await;
    let mut claims = h.fake.good_claims(&nonce);
    bend(&mut claims);
    h.fake.behave(|b| b.claims = claims);
    let resp = browser.get(&callback_url(h, &state)).await;
    assert_refused(h, resp, 403, says).await;
}

#[actix_web::test]
async fn tokens_that_do_not_verify_are_refused_and_bind_nothing() {
    let h = harness().await;
    let other = "http://127.0.0.1:1";
    refused_when(&h, |c| c["iss"] = json!(other), "Invalid issuer").await;
    refused_when(
        &h,
        |c| c["aud"] = json!("someone-else"),
        "Invalid audiences",
    )
    .await;
    refused_when(
        &h,
        |c| c["aud"] = json!([CLIENT_ID, "someone-else"]),
        "Invalid audiences",
    )
    .await;
    refused_when(
        &h,
        |c| c["exp"] = json!(guestlist::clock::now() - 600),
        "Expired",
    )
    .await;
    refused_when(
        &h,
        |c| c["nonce"] = json!("another-round-trip"),
        "Invalid nonce",
    )
    .await;
    refused_when(
        &h,
        |c| c["email_verified"] = json!(false),
        "has not verified your email",
    )
    .await;
    refused_when(
        &h,
        |c| c["email"] = json!("mallory@fabrikam.example"),
        "This invitation was sent to",
    )
    .await;
    // Signed by a stranger's key under the published kid.
    let stranger = key("k1");
    h.fake.behave(|b| b.signing = stranger);
    refused_when(&h, |_| {}, "Signature verification failed").await;
    // Signed with a kid the provider never published: its keys are read again (not sooner than a few
    // seconds after the last time), and it is still unknown.
    tokio::time::sleep(std::time::Duration::from_millis(5_200)).await;
    let fetched = h.fake.state.lock().unwrap().jwks_fetches;
    let unknown = key("k-unknown");
    h.fake.behave(|b| {
        b.signing = unknown;
        b.kid = "k-unknown".into();
    });
    refused_when(&h, |_| {}, "signed with an unknown key").await;
    assert_eq!(
        h.fake.state.lock().unwrap().jwks_fetches,
        fetched + 1,
        "read again once"
    );
    let audited = h
        .server
        .svc
        .store
        .read({
            let t = h.server.tenant.id.clone();
            move |c| guestlist::store::queries::audit::recent(c, &t, 1000)
        })
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_name == "Federated sign-in failure")
        .count();
    assert_eq!(audited, 9, "every refusal is audited");
}

#[actix_web::test]
async fn a_key_rotated_in_upstream_is_fetched_again_and_then_accepted() {
    let h = harness().await;
    let browser = h.server.browser();
    let (state, nonce) = start(&h, &browser).await;
    let fetched = h.fake.state.lock().unwrap().jwks_fetches;
    assert_eq!(fetched, 1, "the keys were read with the discovery document");
    // The provider rotates: a new key is published after the server read the keys.
    let rotated = key("k2");
    let claims = h.fake.good_claims(&nonce);
    h.fake.behave(|b| {
        b.published.push(rotated.public.clone());
        b.signing = rotated;
        b.kid = "k2".into();
        b.claims = claims;
    });
    // Keys are read again at most every few seconds, whatever the tokens name.
    tokio::time::sleep(std::time::Duration::from_millis(5_200)).await;
    let resp = browser.get(&callback_url(&h, &state)).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    assert_eq!(
        h.fake.state.lock().unwrap().jwks_fetches,
        2,
        "read again for the unknown kid"
    );
}

#[actix_web::test]
async fn a_state_works_once_in_the_browser_that_started_it() {
    let h = harness().await;
    // Another browser brings the state back: refused, and the state is spent.
    let (state, nonce) = start(&h, &h.server.browser()).await;
    h.fake.behave(|b| b.claims = h.fake.good_claims(&nonce));
    let thief = h.server.browser();
    let resp = thief.get(&callback_url(&h, &state)).await;
    assert_refused(&h, resp, 403, "started in another browser").await;

    // The rightful round trip succeeds once; the same answer again is refused.
    let browser = h.server.browser();
    let (state, nonce) = start(&h, &browser).await;
    h.fake.behave(|b| b.claims = h.fake.good_claims(&nonce));
    let url = callback_url(&h, &state);
    let resp = browser.get(&url).await;
    assert_eq!(resp.status(), 303);
    let again = browser.get(&url).await;
    assert_eq!(again.status(), 404);
    assert!(again.text().await.unwrap().contains("finished already"));
    // A made-up state, and none at all.
    let resp = browser
        .get(&callback_url(&h, "x".repeat(43).as_str()))
        .await;
    assert_eq!(resp.status(), 404);
    let resp = browser
        .get(&h.server.url("/federation/callback?code=c"))
        .await;
    assert_eq!(resp.status(), 404);
}

#[actix_web::test]
async fn an_upstream_that_refuses_or_is_down_signs_nobody_in() {
    let h = harness().await;
    // The person cancels at the provider.
    let browser = h.server.browser();
    let (state, _) = start(&h, &browser).await;
    let resp = browser
        .get(&h.server.url(&format!(
            "/federation/callback?error=access_denied&state={state}"
        )))
        .await;
    assert_refused(&h, resp, 403, "access_denied").await;
    // The provider's token endpoint fails.
    let browser = h.server.browser();
    let (state, _) = start(&h, &browser).await;
    h.fake.behave(|b| b.down = true);
    let resp = browser.get(&callback_url(&h, &state)).await;
    assert_refused(&h, resp, 503, "").await;
    // A provider nobody answers for: the start itself says so, and no round trip is stored.
    let dead = federation::create(
        &h.server.svc,
        &Actor::operator(),
        &h.server.tenant,
        NewIdentityProvider {
            display_name: "Gone".into(),
            issuer: Some(format!("http://127.0.0.1:{}", free_port())),
            client_id: "x".into(),
            client_secret: "y".into(),
            domains: vec!["gone.example".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let browser = h.server.browser();
    let page = browser.page(&h.invited.redeem_url).await;
    let resp = browser
        .post_form(
            &format!("{}/federation", h.invited.redeem_url),
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("provider", &dead.id),
            ],
        )
        .await;
    assert_eq!(resp.status(), 503);
}
