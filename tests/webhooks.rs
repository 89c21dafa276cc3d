//! Signed webhooks: an admin registers an endpoint for some audit events through the API; a real HTTP
//! receiver on loopback gets each event once, and verifies it the way the Standard Webhooks convention
//! asks (HMAC-SHA256 over `id.timestamp.body`, a timestamp within five minutes), which refuses a
//! tampered body and an old timestamp. Retries, replay from the log, secret rotation, and the refusal of
//! private addresses (checked after resolution) are here too.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::api::{API, Api, admin_api};
use common::receiver::{Received, Receiver};
use common::*;
use guestlist::service::auth::Actor;
use guestlist::service::webhooks::delivery::WebhookDeliverer;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// How far a receiver lets a timestamp stray from its own clock.
const TOLERANCE_SECS: i64 = 300;

/// The receiver's check of one message with `secret`, at its own time `now`: the payload when the
/// signature and the timestamp are good.
fn verify(secret: &str, r: &Received, now: i64) -> Result<Value, String> {
    let (id, timestamp) = (r.header("webhook-id"), r.header("webhook-timestamp"));
    let ts: i64 = timestamp.parse().map_err(|_| "no timestamp".to_string())?;
    if (now - ts).abs() > TOLERANCE_SECS {
        return Err(format!("timestamp {ts} is too far from {now}"));
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").ok_or("not a whsec_ secret")?)
        .map_err(|e| e.to_string())?;
    let signed = format!("{id}.{timestamp}.{}", r.body);
    let mut any = false;
    for candidate in r.header("webhook-signature").split(' ') {
        let Some(sig) = candidate.strip_prefix("v1,") else {
            continue;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(signed.as_bytes());
        let expected = STANDARD.decode(sig).map_err(|e| e.to_string())?;
        any |= mac.verify_slice(&expected).is_ok();
    }
    if !any {
        return Err("no signature matches".into());
    }
    serde_json::from_str(&r.body).map_err(|e| e.to_string())
}

async fn register(api: &Api<'_>, url: &str, events: &[&str]) -> (String, String) {
    let created = api
        .post(
            &format!("{API}/webhooks"),
            json!({ "url": url, "events": events, "description": "Partner sync" }),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let body = created.json();
    let secret = body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{body}");
    (body["webhook"]["id"].as_str().unwrap().to_string(), secret)
}

#[actix_web::test]
async fn events_arrive_signed_once_and_a_receiver_can_tell_forgeries() {
    let server = TestServer::start_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_retry_delay = 1;
    })
    .await;
    let api = admin_api(&server).await;
    let rx = Receiver::start(0, std::time::Duration::ZERO);
    let (id, secret) = register(
        &api,
        &rx.uri("/hooks?token=receiver-secret"),
        &["Invite external user", "Disable user"],
    )
    .await;
    let added = api.audit("Add webhook").await;
    assert!(
        !added[0].to_string().contains("receiver-secret"),
        "the query stays out of the audit log: {}",
        added[0]
    );
    // The secret is shown once: reading the endpoint never shows it.
    let shown = api.get(&format!("{API}/webhooks/{id}")).await;
    assert_eq!(shown.status, 200);
    assert!(!shown.text.contains(&secret) && shown.json().get("secret").is_none());

    // Two subscribed events and one that is not.
    let invited = api.invite("ann@partner.example", false).await;
    let guest = invited["invitedUser"]["id"].as_str().unwrap().to_string();
    server.group("Not subscribed").await;
    server.disable_user(&guest).await;
    let got = rx.settled("/hooks", 2).await;
    assert_eq!(got.len(), 2, "each subscribed event once: {got:?}");
    let now = guestlist::clock::now();
    let first = verify(&secret, &got[0], now).expect("a good signature");
    let second = verify(&secret, &got[1], now).expect("a good signature");
    let mut types = vec![
        first["type"].as_str().unwrap(),
        second["type"].as_str().unwrap(),
    ];
    types.sort();
    assert_eq!(types, vec!["Disable user", "Invite external user"]);
    for p in [&first, &second] {
        assert!(p["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(p["data"]["tenantId"], server.tenant.id.as_str());
        assert_eq!(p["data"]["target"], guest.as_str(), "{p}");
    }
    assert_eq!(got[0].header("content-type"), "application/json");
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    // A receiver that verifies refuses a tampered body, an old timestamp, and another secret.
    let mut tampered = got[0].clone();
    tampered.body = tampered
        .body
        .replace("Invite", "Ynvite")
        .replace("Disable", "Dysable");
    assert!(verify(&secret, &tampered, now).is_err(), "a tampered body");
    assert!(
        verify(&secret, &got[0], now + TOLERANCE_SECS + 60).is_err(),
        "an old timestamp (a replayed capture)"
    );
    let mut moved = got[0].clone();
    let old = moved.header("webhook-timestamp").parse::<i64>().unwrap() - 600;
    moved
        .headers
        .insert("webhook-timestamp".into(), old.to_string());
    assert!(
        verify(&secret, &moved, old).is_err(),
        "the timestamp is signed"
    );
    let other = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    assert!(verify(other, &got[0], now).is_err(), "another secret");

    // The log shows both as delivered; a replay sends the same message (same webhook-id) again.
    let log = api
        .get(&format!("{API}/webhooks/{id}/deliveries"))
        .await
        .json();
    let log = log.as_array().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log.iter()
            .all(|d| d["state"] == "delivered" && d["lastStatus"] == 200)
    );
    let replayed = api
        .post(
            &format!(
                "{API}/webhooks/{id}/deliveries/{}/replay",
                log[0]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(replayed.status, 202, "{replayed}");
    let got = rx.settled("/hooks", 3).await;
    assert_eq!(got.len(), 3, "the replay arrived once");
    assert_eq!(
        got[2].header("webhook-id"),
        log[0]["messageId"].as_str().unwrap()
    );
    verify(&secret, &got[2], guestlist::clock::now()).expect("signed afresh");
    let unknown = api
        .post(
            &format!("{API}/webhooks/{id}/deliveries/nope/replay"),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, 404);

    // A rotated secret signs what follows; the old one no longer verifies.
    let rotated = api
        .post(&format!("{API}/webhooks/{id}/secret"), json!({}))
        .await;
    assert_eq!(rotated.status, 200, "{rotated}");
    let new_secret = rotated.json()["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let bea = api.invite("bea@partner.example", false).await;
    assert!(bea["invitedUser"]["id"].is_string());
    let got = rx.settled("/hooks", 4).await;
    assert_eq!(got.len(), 4);
    let now = guestlist::clock::now();
    verify(&new_secret, &got[3], now).expect("the new secret signs");
    assert!(
        verify(&secret, &got[3], now).is_err(),
        "the old one does not"
    );

    // A rotation with a grace period: both secrets sign what follows, until the period ends.
    let too_long = api
        .post(
            &format!("{API}/webhooks/{id}/secret"),
            json!({ "keepPreviousHours": 169 }),
        )
        .await;
    assert_eq!(too_long.status, 400, "{too_long}");
    let rotated = api
        .post(
            &format!("{API}/webhooks/{id}/secret"),
            json!({ "keepPreviousHours": 24 }),
        )
        .await;
    assert_eq!(rotated.status, 200, "{rotated}");
    let newest = rotated.json()["secret"].as_str().unwrap().to_string();
    assert!(
        rotated.json()["webhook"]["previousSecretUntil"]
            .as_i64()
            .unwrap()
            > now + 23 * 3600
    );
    api.invite("cid@partner.example", false).await;
    let got = rx.settled("/hooks", 5).await;
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[4].header("webhook-signature").split(' ').count(),
        2,
        "two signatures"
    );
    verify(&newest, &got[4], now).expect("the newest secret signs");
    verify(&new_secret, &got[4], now).expect("the previous one still signs");
    assert!(
        verify(&secret, &got[4], now).is_err(),
        "the first one is long gone"
    );
    // The grace period over (moved into the past here), only the newest signs.
    let endpoint = id.clone();
    server
        .svc
        .store
        .write(move |c| {
            use diesel::prelude::*;
            use guestlist::store::schema::webhook_endpoints::dsl as e;
            diesel::update(e::webhook_endpoints.find(&endpoint))
                .set(e::previous_secret_until.eq(Some(1)))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    api.invite("dee@partner.example", false).await;
    let got = rx.settled("/hooks", 6).await;
    assert_eq!(got[5].header("webhook-signature").split(' ').count(), 1);
    verify(&newest, &got[5], now).expect("the newest secret signs");
    assert!(
        verify(&new_secret, &got[5], now).is_err(),
        "the grace period ended"
    );
}

#[actix_web::test]
async fn a_receiver_that_is_down_gets_the_message_later_and_once() {
    let server = TestServer::start_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_retry_delay = 1;
    })
    .await;
    let api = admin_api(&server).await;
    let rx = Receiver::start(1, std::time::Duration::ZERO);
    let (id, secret) = register(&api, &rx.uri("/in"), &["*"]).await;
    server.group("Partners").await;
    // "Add webhook" itself and "Add group": the receiver refuses the first attempt it sees.
    let got = rx.settled("/in", 2).await;
    assert_eq!(got.len(), 2, "both delivered in the end, once each");
    let all = rx.all();
    assert_eq!(all.len(), 3, "one refusal, then two deliveries: {all:?}");
    let refused = all.iter().find(|r| !r.accepted).unwrap();
    let retried: Vec<_> = all
        .iter()
        .filter(|r| r.header("webhook-id") == refused.header("webhook-id"))
        .collect();
    assert_eq!(retried.len(), 2, "the retry carries the same webhook-id");
    for r in &got {
        verify(&secret, r, guestlist::clock::now()).unwrap();
    }
    let log = api
        .get(&format!("{API}/webhooks/{id}/deliveries"))
        .await
        .json();
    let attempts: Vec<i64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attempts"].as_i64().unwrap())
        .collect();
    let mut sorted = attempts.clone();
    sorted.sort();
    assert_eq!(sorted, vec![1, 2], "{log}");
}

#[actix_web::test]
async fn private_addresses_are_refused_at_registration_and_after_resolution() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let rx = Receiver::start(0, std::time::Duration::ZERO);
    for url in [
        rx.uri("/in"),
        "https://127.0.0.1/in".to_string(),
        "https://[::1]/in".to_string(),
        "https://169.254.169.254/latest".to_string(),
        "https://localhost/in".to_string(),
        "http://hooks.example/in".to_string(),
    ] {
        let refused = api
            .post(
                &format!("{API}/webhooks"),
                json!({ "url": url, "events": ["*"] }),
            )
            .await;
        assert_eq!(refused.status, 400, "{url}: {refused}");
    }
    // A back-channel logout URI is an address the server calls too: the same rule.
    let app = server.app(|a| a.first_party = true).await;
    for inside in [
        "https://169.254.169.254/bc",
        "http://app.example/bc",
        "https://10.0.0.7/bc",
    ] {
        let patched = api
            .patch(
                &format!("{API}/apps/{}", app.id),
                json!({ "backchannelLogoutUri": inside }),
                Some("*"),
            )
            .await;
        assert_eq!(patched.status, 400, "{inside}: {patched}");
    }

    // An endpoint whose name later points inside (DNS changed, or rebinding), and one whose address
    // was written straight into the database: both refused when sending, nothing reaches the receiver.
    let port = rx.base.rsplit(':').next().unwrap().to_string();
    let mut ids = Vec::new();
    for inside in [
        format!("https://localhost:{port}/in"),
        format!("https://127.0.0.1:{port}/in"),
    ] {
        let (id, _) = register(&api, "https://hooks.example/in", &["Add group"]).await;
        let (endpoint, url) = (id.clone(), inside.clone());
        server
            .svc
            .store
            .write(move |c| {
                use diesel::prelude::*;
                use guestlist::store::schema::webhook_endpoints::dsl as e;
                diesel::update(e::webhook_endpoints.find(&endpoint))
                    .set(e::url.eq(url))
                    .execute(c)?;
                Ok(())
            })
            .await
            .unwrap();
        ids.push(id);
    }
    server.group("Partners").await;
    WebhookDeliverer::new(&server.svc)
        .unwrap()
        .run_once()
        .await
        .unwrap();
    for id in &ids {
        let log = guestlist::service::webhooks::deliveries(
            &server.svc,
            &Actor::operator(),
            &server.tenant,
            id,
        )
        .await
        .unwrap();
        let sent = log.iter().find(|d| d.event_name == "Add group").unwrap();
        assert_eq!(sent.state, "failed", "given up at once: {sent:?}");
        assert!(
            sent.last_error
                .as_deref()
                .unwrap_or_default()
                .contains("refused"),
            "{sent:?}"
        );
    }
    assert!(rx.all().is_empty(), "nothing reached the private address");
}

#[actix_web::test]
async fn the_console_adds_an_endpoint_shows_its_secret_once_and_replays_from_the_log() {
    let server = TestServer::start_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_retry_delay = 1;
    })
    .await;
    server
        .member_in(
            &server.tenant,
            "root@contoso.example",
            vec![guestlist::domain::user::Role::Admin],
        )
        .await;
    let rx = Receiver::start(0, std::time::Duration::ZERO);
    let browser = server.browser();
    let (status, _) = browser
        .console_sign_in("contoso", "root@contoso.example")
        .await;
    assert_eq!(status, 200);
    let base = "/admin/t/contoso";
    let list = browser.page(&format!("{base}/webhooks")).await;
    assert!(list.contains("No webhook endpoints yet."), "{list}");
    let csrf = hidden(&list, "csrf").unwrap();
    let added = browser
        .post_form(
            &format!("{base}/webhooks"),
            &[
                ("csrf", csrf.as_str()),
                ("url", &rx.uri("/console")),
                ("events", "Add group\nDisable user"),
                ("description", "HR sync"),
            ],
        )
        .await;
    assert_eq!(added.status(), 200);
    let page = added.text().await.unwrap();
    let start = page.find("whsec_").expect("the secret is shown once");
    let secret: String = page[start..].chars().take_while(|c| *c != '<').collect();
    let hooks = guestlist::service::webhooks::list(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap();
    assert_eq!(hooks[0].events, vec!["Add group", "Disable user"]);
    let detail_url = format!("{base}/webhooks/{}", hooks[0].id);
    let detail = browser.page(&detail_url).await;
    assert!(!detail.contains("whsec_"), "never shown again");

    server.group("Partners").await;
    let got = rx.settled("/console", 1).await;
    assert_eq!(got.len(), 1);
    verify(&secret, &got[0], guestlist::clock::now()).expect("the shown secret signs");
    let detail = browser.page(&detail_url).await;
    assert!(
        detail.contains("<td>Add group</td><td>delivered</td>"),
        "{detail}"
    );
    let delivery = hidden(&detail, "delivery").expect("a replay button");
    let csrf = hidden(&detail, "csrf").unwrap();
    let replayed = browser
        .post_form(
            &detail_url,
            &[
                ("csrf", csrf.as_str()),
                ("action", "replay"),
                ("delivery", delivery.as_str()),
            ],
        )
        .await;
    assert_eq!(replayed.status(), 303);
    let got = rx.settled("/console", 2).await;
    assert_eq!(got.len(), 2, "sent again");
    assert_eq!(got[1].header("webhook-id"), got[0].header("webhook-id"));
}
