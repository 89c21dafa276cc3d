//! Terms of use: a guest accepts the tenant's terms with the invitation, and again before their next
//! token after a new version (the sign-in flow shows them; refresh tokens stop until then; `prompt=none`
//! answers `interaction_required`); acceptances are recorded and audited; admins publish versions and
//! read who accepted which through the API; members are never asked.

mod common;

use common::api::admin_api;
use common::invite::invite_quietly;
use common::*;
use guestlist::service::auth::Actor;
use guestlist::service::terms::{self, NewTerms, TermsText};
use serde_json::json;

const GUEST: &str = "pat@partner.example";

async fn publish(server: &TestServer, text: &str) -> i32 {
    terms::publish(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        NewTerms {
            texts: vec![TermsText {
                language: "en".into(),
                text: Some(text.into()),
                url: None,
            }],
        },
    )
    .await
    .expect("publish")
    .version
}

/// (user, version) of contoso's acceptances.
async fn acceptances(server: &TestServer) -> Vec<(String, i32)> {
    terms::acceptances(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.user_id, a.version))
        .collect()
}

#[actix_web::test]
async fn a_guest_accepts_the_terms_when_redeeming_and_again_after_a_new_version() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    let v1 = publish(&server, "Be kind to our data.\nNo sharing of passwords.").await;
    let invited = invite_quietly(&server, &server.tenant, GUEST).await;
    let url = invited.redeem_url.clone();

    // The consent page shows the terms and asks for the box.
    let browser = server.browser();
    let resp = browser
        .submit_form(&url, &format!("{url}/register"), &registration("Pat"))
        .await;
    assert_eq!(resp.status(), 303);
    let consent = browser.page(&oidc::location(&resp)).await;
    assert!(consent.contains("Be kind to our data."), "{consent}");
    assert!(consent.contains("name=\"accept_terms\""), "{consent}");
    let csrf = hidden(&consent, "csrf").unwrap();
    let without = browser
        .post_form(
            &format!("{url}/consent"),
            &[("csrf", &csrf), ("decision", "accept")],
        )
        .await;
    assert_eq!(without.status(), 400);
    assert_eq!(
        server.user(&invited.user_id).await.home_user_id,
        None,
        "not redeemed"
    );
    let with = browser
        .post_form(
            &format!("{url}/consent"),
            &[
                ("csrf", &csrf),
                ("decision", "accept"),
                ("accept_terms", "yes"),
                ("terms_version", &v1.to_string()),
            ],
        )
        .await;
    assert_eq!(with.status(), 303);
    assert_eq!(
        acceptances(&server).await,
        vec![(invited.user_id.clone(), v1)]
    );

    // Accepted: the app gets its tokens at once.
    let start = oidc::authorize_url_for(&server.issuer(), &app.client_id, "openid offline_access");
    let cb = browser.silent_callback(&start).await;
    let tokens = app_tokens_for_callback(&server, &app, &cb).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    // A new version: no new token until it is accepted.
    let v2 = publish(&server, "Version two: be kinder still.").await;
    let answer = oidc::token_request(&server, &app, &oidc::refresh_form(&refresh)).await;
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("terms of use")),
        "{body}"
    );
    let silent = browser.get(&format!("{start}&prompt=none")).await;
    let location = oidc::location(&silent);
    assert!(
        location.contains("error=interaction_required"),
        "{location}"
    );

    let to_terms = oidc::location(&browser.get(&start).await);
    assert!(
        to_terms.starts_with("/t/contoso/terms?request="),
        "{to_terms}"
    );
    let page = browser.page(&to_terms).await;
    assert!(page.contains("Version two: be kinder still."), "{page}");
    assert!(page.contains("version 2"), "{page}");
    let request = hidden(&page, "request").unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let (browser, csrf, request) = (&browser, hidden(&page, "csrf").unwrap(), request.clone());
        async move {
            let mut form = vec![("csrf", csrf), ("request", request)];
            form.extend(fields);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post_form("/t/contoso/terms", &form).await
        }
    };
    let resp = post(vec![("terms_version", v2.to_string())]).await;
    assert_eq!(resp.status(), 400, "the box is not ticked");
    let resp = post(vec![
        ("accept_terms", "yes".into()),
        ("terms_version", v1.to_string()),
    ])
    .await;
    assert_eq!(
        resp.status(),
        400,
        "an older version is no acceptance of the new one"
    );
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("changed while you read")
    );
    let resp = post(vec![
        ("accept_terms", "yes".into()),
        ("terms_version", v2.to_string()),
    ])
    .await;
    assert_eq!(resp.status(), 303);
    let cb = browser.silent_callback(&oidc::location(&resp)).await;
    app_tokens_for_callback(&server, &app, &cb).await;
    let mut got = acceptances(&server).await;
    got.sort_by_key(|(_, v)| *v);
    assert_eq!(
        got,
        vec![(invited.user_id.clone(), v1), (invited.user_id.clone(), v2)]
    );
    let audited = server
        .svc
        .store
        .read({
            let tenant_id = server.tenant.id.clone();
            move |c| {
                guestlist::store::queries::audit::list(
                    c,
                    &tenant_id,
                    &guestlist::store::queries::audit::AuditFilter {
                        event_name: Some("Accept terms of use".into()),
                        ..Default::default()
                    },
                    10,
                )
            }
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), 2);
}

#[actix_web::test]
async fn members_are_never_asked() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    publish(&server, "Guests only.").await;
    server.member("ann@contoso.example").await;
    let cb = server
        .browser()
        .callback(
            &oidc::authorize_url(&server.issuer(), &app.client_id),
            "ann@contoso.example",
        )
        .await;
    assert!(cb.contains("code="), "{cb}");
}

#[actix_web::test]
async fn admins_publish_versions_and_read_acceptances_through_the_api() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let path = "/api/v1/tenants/contoso/terms";
    api.get(path).await.assert_problem(404, "no terms");
    for bad in [
        json!({ "texts": [] }),
        json!({ "texts": [{ "language": "en", "text": "x", "url": "https://example.com/t" }] }),
        json!({ "texts": [{ "language": "en" }] }),
        json!({ "texts": [{ "language": "xx", "text": "x" }] }),
        json!({ "texts": [{ "language": "en", "url": "javascript:alert(1)" }] }),
        json!({ "texts": [{ "language": "en", "text": "a" }, { "language": "EN", "text": "b" }] }),
    ] {
        let answer = api.post(path, bad.clone()).await;
        assert_eq!(answer.status, 400, "{bad}: {answer}");
    }
    let answer = api
        .post(
            path,
            json!({ "texts": [
                { "language": "en", "url": "https://contoso.example/terms" },
                { "language": "ko", "text": "약관" },
            ] }),
        )
        .await;
    assert_eq!(answer.status, 201, "{answer}");
    assert_eq!(answer.json()["version"], 1);
    let current = api.get(path).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.json()["texts"].as_array().unwrap().len(), 2);
    let list = api.get(&format!("{path}/acceptances")).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json(), json!([]));
    api.assert_audited(&["Publish terms of use"]).await;

    // An invite-scoped caller may not publish.
    let app = server
        .app(|a| a.allowed_scopes = vec!["guestlist.invite".into()])
        .await;
    let token = app_token_of(&server, &server.issuer(), &app, "guestlist.invite").await;
    let invite_only = common::api::Api {
        server: &server,
        token,
    };
    let answer = invite_only
        .post(
            path,
            json!({ "texts": [{ "language": "en", "text": "x" }] }),
        )
        .await;
    assert_eq!(answer.status, 403, "{answer}");
}
