//! Partners signing in with their own organisation's identity provider: the upstream is a real second
//! `guestlist serve` process (fabrikam's own directory, with its own keys and database), reached by the
//! server under test through discovery, PKCE, `state` and `nonce` (the `openidconnect` crate).
//!
//! The upstream is named `localhost`, the server under test `127.0.0.1`, so a browser keeps their
//! cookies apart as it would for two sites.

mod common;
mod processes;

use common::invite::invite_quietly;
use common::*;
use guestlist::domain::upstream::alt_sec_id;
use guestlist::service::auth::Actor;
use guestlist::service::federation::{self, IdentityProviderView, NewIdentityProvider};
use processes::{Node, Setup, free_port};
use std::time::Duration;

/// Fabrikam's own identity provider: a `guestlist serve` process with tenant `fabrikam`, its member
/// alice@fabrikam.example (and bob, whose address the provider has not verified), and an app for the
/// server under test whose redirect URI is that server's `/federation/callback`.
struct Upstream {
    /// Stopped (by its PID) when the test drops it.
    _node: Node,
    issuer: String,
    client_id: String,
    client_secret: String,
    /// The subject the upstream gives alice (its public subject: her object id there).
    alice_subject: String,
    _db: TestDatabase,
}

const ALICE: &str = "alice@fabrikam.example";

impl Upstream {
    async fn start(downstream: &TestServer) -> Upstream {
        let db = TestDatabase::new();
        let port = free_port();
        let setup = Setup {
            database_url: db.url(),
            keys_dir: db.dir.path().join("upstream-keys"),
            data_dir: db.dir.path().join("upstream-data"),
            public_url: format!("http://localhost:{port}"),
            extra: vec![],
        };
        setup.cli(
            &[
                "tenant",
                "create",
                "--slug",
                "fabrikam",
                "--name",
                "Fabrikam",
                "--domain",
                "fabrikam.example",
            ],
            None,
        );
        let alice = setup.cli_json(
            &[
                "user",
                "create",
                "--tenant",
                "fabrikam",
                "--email",
                ALICE,
                "--name",
                "Alice Fabrikam",
                "--password-stdin",
                "--admin",
            ],
            Some(&format!("{PASSWORD}\n")),
        );
        let app = setup.cli_json(
            &[
                "app",
                "create",
                "--tenant",
                "fabrikam",
                "--name",
                "Contoso guests",
                "--redirect-uri",
                &downstream.url("/federation/callback"),
            ],
            None,
        );
        let mut node = setup.spawn(port);
        node.ready(Duration::from_secs(30)).await;
        let s = |k: &str| app[k].as_str().expect("the app's credentials").to_string();
        Upstream {
            alice_subject: alice["user"]["id"]
                .as_str()
                .expect("alice's object id")
                .to_string(),
            issuer: format!("http://localhost:{port}/t/fabrikam"),
            client_id: s("clientId"),
            client_secret: s("clientSecret"),
            _node: node,
            _db: db,
        }
    }
}

/// The server under test (contoso), which may talk to `http` issuers on loopback.
async fn contoso() -> TestServer {
    TestServer::start_with(|c| c.federation_allow_http = true).await
}

/// Contoso's provider for fabrikam.example: fabrikam's upstream.
async fn add_provider(server: &TestServer, up: &Upstream) -> IdentityProviderView {
    federation::create(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        NewIdentityProvider {
            display_name: "Fabrikam".into(),
            issuer: Some(up.issuer.clone()),
            client_id: up.client_id.clone(),
            client_secret: up.client_secret.clone(),
            domains: vec!["fabrikam.example".into()],
            ..Default::default()
        },
    )
    .await
    .expect("the provider is added")
}

/// Follows the browser through the upstream (signing in as `email`, consenting) until it is sent back
/// to the server under test's callback; returns that URL.
async fn through_upstream(
    browser: &Browser,
    server: &TestServer,
    to_upstream: &str,
    email: &str,
) -> String {
    let callback = server.url("/federation/callback");
    let upstream = url::Url::parse(to_upstream)
        .unwrap()
        .origin()
        .ascii_serialization();
    match follow_flow(
        &browser.client,
        |u| {
            if u.starts_with('/') {
                format!("{upstream}{u}")
            } else {
                u.to_string()
            }
        },
        |u| u.starts_with(&callback),
        to_upstream,
        email,
        "accept",
    )
    .await
    {
        Step::Callback(url) => url,
        Step::Page(status, body) => panic!("the upstream stopped at a page ({status}): {body}"),
    }
}

/// Presses "Continue with Fabrikam" on the invitation's page: where the server sends the browser.
async fn continue_with_provider(
    browser: &Browser,
    redeem_url: &str,
    provider: &str,
) -> reqwest::Response {
    let page = browser.page(redeem_url).await;
    assert!(
        page.contains("Continue with Fabrikam"),
        "the button is offered: {page}"
    );
    browser
        .post_form(
            &format!("{redeem_url}/federation"),
            &[
                ("csrf", &hidden(&page, "csrf").expect("a form")),
                ("provider", provider),
            ],
        )
        .await
}

#[actix_web::test]
async fn a_partner_redeems_and_signs_in_again_through_their_own_provider() {
    let server = contoso().await;
    let up = Upstream::start(&server).await;
    let provider = add_provider(&server, &up).await;
    assert_eq!(provider.redirect_uri, server.url("/federation/callback"));
    let app = server.app(|_| {}).await;
    let invited = invite_quietly(&server, &server.tenant, ALICE).await;

    // Invitation → "Continue with Fabrikam" → the upstream, with PKCE, state and nonce.
    let browser = server.browser();
    let resp = continue_with_provider(&browser, &invited.redeem_url, &provider.id).await;
    assert_eq!(resp.status(), 303);
    let to_upstream = oidc::location(&resp);
    assert!(
        to_upstream.starts_with(&format!("{}/authorize?", up.issuer)),
        "{to_upstream}"
    );
    let q = query_of(&to_upstream);
    assert_eq!(q["client_id"], up.client_id);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], server.url("/federation/callback"));
    assert_eq!(q["login_hint"], ALICE);
    assert!(q["state"].len() >= 43 && q["nonce"].len() >= 43, "{q:?}");

    // Upstream sign-in and consent, back to the callback, on to the invitation's consent.
    finish_redemption(&browser, &server, &to_upstream).await;

    // The guest is bound to the upstream identity: idp, altsecid, sign-in name; no password anywhere.
    let guest = server.user(&invited.user_id).await;
    assert_eq!(guest.external_user_state.as_deref(), Some("Accepted"));
    assert_eq!(guest.home_issuer.as_deref(), Some(up.issuer.as_str()));
    assert_eq!(guest.sign_in_name.as_deref(), Some(ALICE));
    assert_eq!(
        guest.alt_sec_id.as_deref(),
        Some(alt_sec_id(&up.issuer, &up.alice_subject).as_str())
    );
    let home = server.user(guest.home_user_id.as_deref().unwrap()).await;
    assert_eq!(home.mail, ALICE);
    assert!(
        no_account(&server, ALICE).await,
        "the upstream identity holds no password here"
    );

    // The app reads the guest's claims: the inviting tenant's tid, acct 1, idp = the upstream issuer.
    let cb = browser
        .callback(&authorize_url(&server.issuer(), &app.client_id), ALICE)
        .await;
    let tokens = app_tokens_for_callback(&server, &app, &cb).await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["tid"], server.tenant.id.as_str());
    assert_eq!(id["oid"], invited.user_id.as_str());
    assert_eq!(id["acct"], 1);
    assert_eq!(id["idp"], up.issuer.as_str());
    assert_eq!(id["altsecid"], guest.alt_sec_id.clone().unwrap().as_str());
    assert_eq!(id["amr"], serde_json::json!(["fed"]));

    // Later, in a new browser: identifier first at contoso's sign-in page goes to the provider
    // serving fabrikam.example, and comes back as the same guest object.
    let later = server.browser();
    let page = later.page("/t/contoso/signin").await;
    let resp = later
        .post_form(
            "/t/contoso/signin",
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("request", ""),
                ("email", ALICE),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let to_upstream = oidc::location(&resp);
    assert!(to_upstream.starts_with(&up.issuer), "{to_upstream}");
    let callback = through_upstream(&later, &server, &to_upstream, ALICE).await;
    let resp = later.get(&callback).await;
    assert_eq!(oidc::location(&resp), "/t/contoso/apps");
    let cb = later
        .callback(&authorize_url(&server.issuer(), &app.client_id), ALICE)
        .await;
    let again = jwt_claims(
        app_tokens_for_callback(&server, &app, &cb).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(
        again["oid"],
        invited.user_id.as_str(),
        "the same guest object"
    );
    assert_eq!(again["idp"], up.issuer.as_str());
}

/// From the upstream's authorization URL: signs in there as alice, comes back, accepts the
/// invitation's consent.
async fn finish_redemption(browser: &Browser, server: &TestServer, to_upstream: &str) {
    let callback = through_upstream(browser, server, to_upstream, ALICE).await;
    let resp = browser.get(&callback).await;
    assert_eq!(resp.status(), 303, "{}", resp.text().await.unwrap());
    let consent = oidc::location(&resp);
    assert!(consent.ends_with("/consent"), "{consent}");
    let page = browser.page(&consent).await;
    let resp = browser
        .post_form(
            &consent,
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("decision", "accept"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
}

/// Identifier-first sign-in at contoso as `email` with no password: where the server sends the browser.
async fn identifier_first(browser: &Browser, email: &str) -> reqwest::Response {
    let page = browser.page("/t/contoso/signin").await;
    browser
        .post_form(
            "/t/contoso/signin",
            &[
                ("csrf", &hidden(&page, "csrf").unwrap()),
                ("request", ""),
                ("email", email),
                ("password", ""),
            ],
        )
        .await
}

#[actix_web::test]
async fn a_guest_bound_upstream_is_not_admitted_through_a_password_account_of_the_same_address() {
    let server = contoso().await;
    let up = Upstream::start(&server).await;
    let provider = add_provider(&server, &up).await;
    let invited = invite_quietly(&server, &server.tenant, ALICE).await;
    let browser = server.browser();
    let resp = continue_with_provider(&browser, &invited.redeem_url, &provider.id).await;
    finish_redemption(&browser, &server, &oidc::location(&resp)).await;
    // Someone makes a password account for the same address in another directory.
    let other = server
        .tenant_named("lookalike", "Lookalike", "lookalike.example")
        .await;
    server.member_in(&other, ALICE, vec![]).await;
    let stranger = server.browser();
    let page = stranger.page("/t/contoso/signin").await;
    let form = sign_in_form(&page, ALICE);
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = stranger.post_form("/t/contoso/signin", &fields).await;
    assert_eq!(
        resp.status(),
        403,
        "the guest object is bound to the upstream identity only"
    );
    let guest = server.user(&invited.user_id).await;
    assert_eq!(guest.home_issuer.as_deref(), Some(up.issuer.as_str()));
}

#[actix_web::test]
async fn members_sign_in_through_the_corporate_provider_and_are_created_on_first_sign_in() {
    let server = contoso().await;
    let up = Upstream::start(&server).await;
    let mut members_only = add_provider(&server, &up).await;
    // Without member sign-in, nobody uninvited gets in.
    let browser = server.browser();
    let resp = identifier_first(&browser, ALICE).await;
    let callback = through_upstream(&browser, &server, &oidc::location(&resp), ALICE).await;
    let resp = browser.get(&callback).await;
    assert_eq!(resp.status(), 403);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("If you were invited, open the invitation link first")
    );
    assert!(
        server
            .find_user_by_mail(&server.tenant, ALICE)
            .await
            .is_none(),
        "nobody was made"
    );

    members_only = federation::update(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &members_only.id,
        guestlist::service::federation::IdentityProviderPatch {
            members: Some(true),
            create_members: Some(true),
            ..Default::default()
        },
        Some(members_only.etag.clone()),
    )
    .await
    .unwrap();
    assert!(members_only.members && members_only.create_members);
    let browser = server.browser();
    let resp = identifier_first(&browser, ALICE).await;
    let callback = through_upstream(&browser, &server, &oidc::location(&resp), ALICE).await;
    let resp = browser.get(&callback).await;
    assert_eq!(oidc::location(&resp), "/t/contoso/apps");
    let member = server
        .find_user_by_mail(&server.tenant, ALICE)
        .await
        .expect("created on first sign-in");
    assert_eq!(member.user_type, "Member");
    assert!(
        no_account(&server, ALICE).await,
        "a member of the provider holds no password here"
    );
    let app = server.app(|_| {}).await;
    let cb = browser
        .callback(&authorize_url(&server.issuer(), &app.client_id), ALICE)
        .await;
    let id = jwt_claims(
        app_tokens_for_callback(&server, &app, &cb).await["id_token"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(id["oid"], member.id.as_str());
    assert_eq!(id["acct"], 0);
    assert!(
        id.get("idp").is_none(),
        "a member's token names no idp: {id}"
    );
    // The next sign-in finds the same member through the identity, not by address.
    let again = server.browser();
    let resp = identifier_first(&again, ALICE).await;
    let callback = through_upstream(&again, &server, &oidc::location(&resp), ALICE).await;
    assert_eq!(
        oidc::location(&again.get(&callback).await),
        "/t/contoso/apps"
    );
    let found = server.find_user_by_mail(&server.tenant, ALICE).await;
    assert_eq!(found.map(|m| m.id), Some(member.id));
}

/// Whether no password account exists for `email` on the server.
async fn no_account(server: &TestServer, email: &str) -> bool {
    let email = email.to_string();
    server
        .svc
        .store
        .read(move |c| guestlist::store::queries::users::account_by_email(c, &email))
        .await
        .unwrap()
        .is_none()
}

#[actix_web::test]
async fn a_provider_the_operator_shares_is_offered_in_every_tenant_and_only_the_operator_changes_it()
 {
    let server = contoso().await;
    let up = Upstream::start(&server).await;
    let shared = federation::create_shared(
        &server.svc,
        &Actor::operator(),
        None,
        NewIdentityProvider {
            display_name: "Fabrikam".into(),
            issuer: Some(up.issuer.clone()),
            client_id: up.client_id.clone(),
            client_secret: up.client_secret.clone(),
            ..Default::default()
        },
    )
    .await
    .expect("the operator shares a provider");
    assert!(shared.shared);
    // A tenant admin sees it but cannot change or remove it.
    server
        .member_in(
            &server.tenant,
            "root@contoso.example",
            vec![guestlist::domain::user::Role::Admin],
        )
        .await;
    let as_admin = Actor::command_line_user(&server.svc, &server.tenant, "root@contoso.example")
        .await
        .unwrap();
    let listed = federation::list(&server.svc, &as_admin, &server.tenant)
        .await
        .unwrap();
    assert!(listed.iter().any(|p| p.id == shared.id && p.shared));
    let refused =
        federation::delete(&server.svc, &as_admin, &server.tenant, &shared.id, None).await;
    assert!(
        matches!(refused, Err(guestlist::error::Error::Forbidden(_))),
        "{refused:?}"
    );
    // Not an operator: a tenant admin cannot share one.
    let not_operator = federation::create_shared(
        &server.svc,
        &as_admin,
        Some(&server.tenant),
        NewIdentityProvider::default(),
    )
    .await;
    assert!(not_operator.is_err());

    // Another tenant's invitation offers it, and a partner redeems through it there.
    let northwind = server
        .tenant_named("northwind", "Northwind", "northwind.example")
        .await;
    let invited = invite_quietly(&server, &northwind, ALICE).await;
    let browser = server.browser();
    let resp = continue_with_provider(&browser, &invited.redeem_url, &shared.id).await;
    finish_redemption(&browser, &server, &oidc::location(&resp)).await;
    let guest = server.user(&invited.user_id).await;
    assert_eq!(guest.external_user_state.as_deref(), Some("Accepted"));
    assert_eq!(guest.home_issuer.as_deref(), Some(up.issuer.as_str()));

    // Withdrawn, it is offered nowhere.
    federation::delete_shared(&server.svc, &Actor::operator(), None, &shared.id)
        .await
        .unwrap();
    let other = invite_quietly(&server, &server.tenant, "bob@fabrikam.example").await;
    let page = server.browser().page(&other.redeem_url).await;
    assert!(!page.contains("Continue with Fabrikam"), "{page}");
}
