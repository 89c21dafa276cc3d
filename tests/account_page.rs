//! `/t/{slug}/account`: a signed-in person sees their organisations and sessions, changes their name,
//! language and password (the current one required; other sessions and tokens end), leaves an
//! organisation they are a guest of (its tokens for them end, the tenant's audit log says so) unless it
//! forbids that, ends their other sessions, and downloads their data; nobody signed in is sent to sign in.

mod common;

use common::*;
use serde_json::Value;

async fn account_page(server: &TestServer, browser: &Browser) -> String {
    let resp = browser
        .get(&format!("/t/{}/account", server.tenant.slug))
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    resp.text().await.unwrap()
}

/// Posts the account page's form with `fields` (and the page's own CSRF token).
async fn act(server: &TestServer, browser: &Browser, fields: &[(&str, &str)]) -> reqwest::Response {
    let url = format!("/t/{}/account", server.tenant.slug);
    browser.submit_form(&url, &url, fields).await
}

#[actix_web::test]
async fn nobody_signed_in_is_sent_to_sign_in() {
    let server = TestServer::start().await;
    let browser = server.browser();
    for path in ["/account", "/account/data.json"] {
        let resp = browser
            .get(&format!("/t/{}{path}", server.tenant.slug))
            .await;
        assert_eq!(resp.status().as_u16(), 303, "{path}");
        assert_eq!(
            oidc::location(&resp),
            format!("/t/{}/signin", server.tenant.slug)
        );
    }
}

#[actix_web::test]
async fn a_guest_leaves_an_organisation_and_its_tokens_end() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    let (invited, browser) = invite::joined(
        &server,
        &server.tenant,
        "pat@partner.example",
        "Pat Partner",
    )
    .await;
    let (_, tokens) = signed_in_with_refresh_as(&server, &app, "pat@partner.example").await;

    // The app panel links the account page, which names the organisation as one Pat is a guest of.
    let panel = browser
        .page(&format!("/t/{}/apps", server.tenant.slug))
        .await;
    assert!(panel.contains(&format!(
        "href=\"/t/{}/account\">Account<",
        server.tenant.slug
    )));
    let page = account_page(&server, &browser).await;
    assert!(page.contains("<strong>Contoso</strong> (guest)"), "{page}");
    assert!(page.contains(">Leave organisation</button>"), "{page}");

    // Unconfirmed, nothing happens.
    let resp = act(
        &server,
        &browser,
        &[("action", "leave"), ("organisation", "contoso")],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 400);
    assert!(server.find_user(&invited.user_id).await.is_some());

    // Not a guest there: nothing to leave.
    let resp = act(
        &server,
        &browser,
        &[
            ("action", "leave"),
            ("organisation", "fabrikam"),
            ("confirm", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 404);

    let resp = act(
        &server,
        &browser,
        &[
            ("action", "leave"),
            ("organisation", "contoso"),
            ("confirm", "on"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 303);
    let page = browser.page(&oidc::location(&resp)).await;
    assert!(page.contains("You left the organisation."), "{page}");
    assert!(
        page.contains("You belong to no organisation here."),
        "{page}"
    );
    assert!(
        server.find_user(&invited.user_id).await.is_none(),
        "the guest object is gone"
    );
    assert_eq!(
        tokens_work(&server, &app, &tokens).await,
        (false, false),
        "the inviting tenant's tokens for Pat end"
    );
    let audit = audit_of(&server).await;
    assert!(
        audit
            .iter()
            .any(|(e, target)| e == "User left organization" && target == &invited.user_id),
        "{audit:?}"
    );
    // Pat's account stays: signing in at contoso now finds no access there.
    let signin = server
        .browser()
        .sign_in_directly(&server.tenant.slug, "pat@partner.example")
        .await;
    let body = signin.text().await.unwrap();
    assert!(body.contains("No access here"), "{body}");
}

#[actix_web::test]
async fn a_person_ends_their_other_sessions_and_downloads_their_data() {
    let server = TestServer::start().await;
    server.member("ann@contoso.example").await;
    let here = server.browser();
    let elsewhere = server.browser();
    for b in [&here, &elsewhere] {
        let resp = b
            .sign_in_directly(&server.tenant.slug, "ann@contoso.example")
            .await;
        assert_eq!(resp.status().as_u16(), 303);
    }
    let page = account_page(&server, &here).await;
    assert!(page.contains("<strong>Contoso</strong> (member)"), "{page}");
    assert!(
        !page.contains(">Leave organisation</button>"),
        "a member does not leave from here"
    );
    assert!(
        page.contains("Signed in here and in 1 other sessions."),
        "{page}"
    );

    let resp = act(&server, &here, &[("action", "sign_out_elsewhere")]).await;
    assert_eq!(resp.status().as_u16(), 303);
    let page = here.page(&oidc::location(&resp)).await;
    assert!(page.contains("Your other sessions were ended."), "{page}");
    assert!(
        page.contains("Signed in here and in 0 other sessions."),
        "{page}"
    );
    let gone = elsewhere
        .get(&format!("/t/{}/account", server.tenant.slug))
        .await;
    assert_eq!(
        gone.status().as_u16(),
        303,
        "the other browser is signed out"
    );

    let data = here
        .get(&format!("/t/{}/account/data.json", server.tenant.slug))
        .await;
    assert_eq!(data.status().as_u16(), 200);
    assert!(
        data.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = data.text().await.unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["mail"], "ann@contoso.example");
    assert_eq!(json["organisations"][0]["slug"], "contoso");
    assert_eq!(json["sessions"].as_array().unwrap().len(), 1);
    assert!(!text.contains("argon2"), "no password hash: {text}");
}

#[actix_web::test]
async fn a_person_changes_their_name_and_language() {
    let server = TestServer::start().await;
    let ann = server.member("ann@contoso.example").await;
    let browser = server.browser();
    browser
        .sign_in_directly(&server.tenant.slug, "ann@contoso.example")
        .await;
    let page = account_page(&server, &browser).await;
    assert!(
        page.contains("<option value=\"ko\" lang=\"ko\">한국어</option>"),
        "{page}"
    );

    // A name that breaks the rules is said on the page and changes nothing.
    let resp = act(
        &server,
        &browser,
        &[
            ("action", "profile"),
            ("display_name", "  "),
            ("language", "ko"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().await.unwrap().contains("Enter a display name."));
    assert_eq!(server.user(&ann.id).await.preferred_language, None);

    let resp = act(
        &server,
        &browser,
        &[
            ("action", "profile"),
            ("display_name", "Ann Kim"),
            ("language", "ko"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 303);
    let row = server.user(&ann.id).await;
    assert_eq!(row.display_name, "Ann Kim");
    assert_eq!(row.preferred_language.as_deref(), Some("ko"));
    // The pages now speak Korean to Ann, whatever the browser says.
    let page = browser.page(&oidc::location(&resp)).await;
    assert!(page.contains("<html lang=\"ko\">"), "{page}");
    assert!(page.contains("프로필을 저장했습니다."), "{page}");
    assert!(
        audit_of(&server)
            .await
            .contains(&("Update own profile".into(), ann.id.clone()))
    );
    // An unknown language is refused.
    let resp = act(
        &server,
        &browser,
        &[
            ("action", "profile"),
            ("display_name", "Ann"),
            ("language", "xx"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 400);
}

/// The password form of the account page: current, new and confirmation.
async fn change_password(
    server: &TestServer,
    browser: &Browser,
    [current, new, confirm]: [&str; 3],
) -> reqwest::Response {
    act(
        server,
        browser,
        &[
            ("action", "password"),
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", confirm),
        ],
    )
    .await
}

#[actix_web::test]
async fn changing_the_password_needs_the_current_one_and_ends_everything_else() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    let ann = server.member("ann@contoso.example").await;
    let (elsewhere, tokens) = signed_in_with_refresh_as(&server, &app, "ann@contoso.example").await;
    let browser = server.browser();
    browser
        .sign_in_directly(&server.tenant.slug, "ann@contoso.example")
        .await;
    const NEW: &str = "a fresh and longer passphrase";
    let resp = change_password(&server, &browser, ["not the password", NEW, NEW]).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("The email or password is not right.")
    );
    let resp = change_password(&server, &browser, [PASSWORD, NEW, "something else"]).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("The two passwords do not match.")
    );
    let resp = change_password(&server, &browser, [PASSWORD, "short", "short"]).await;
    assert_eq!(resp.status().as_u16(), 400);
    assert_eq!(
        tokens_work(&server, &app, &tokens).await,
        (true, true),
        "nothing changed yet"
    );

    let resp = change_password(&server, &browser, [PASSWORD, NEW, NEW]).await;
    assert_eq!(resp.status().as_u16(), 303);
    let page = browser.page(&oidc::location(&resp)).await;
    assert!(page.contains("Your password was changed."), "{page}");
    // This browser stays; the other session and the app's tokens end; only the new password works.
    let other = elsewhere
        .get(&format!("/t/{}/account", server.tenant.slug))
        .await;
    assert_eq!(other.status().as_u16(), 303, "the other session ended");
    assert_eq!(tokens_work(&server, &app, &tokens).await, (false, false));
    let url = format!("/t/{}/signin", server.tenant.slug);
    for (password, status) in [(PASSWORD, 401), (NEW, 303)] {
        let resp = server
            .browser()
            .submit_form(
                &url,
                &url,
                &[
                    ("email", "ann@contoso.example"),
                    ("password", password),
                    ("request", ""),
                ],
            )
            .await;
        assert_eq!(resp.status().as_u16(), status, "{password}");
    }
    assert!(
        audit_of(&server)
            .await
            .contains(&("Change own password".into(), ann.id.clone()))
    );
}

#[actix_web::test]
async fn an_organisation_may_keep_its_guests_from_leaving_and_names_its_contact() {
    let server = TestServer::start().await;
    let (invited, browser) = invite::joined(
        &server,
        &server.tenant,
        "pat@partner.example",
        "Pat Partner",
    )
    .await;
    server
        .set_settings(&server.tenant, |s| {
            s.guests_may_leave = false;
            s.contact_url = Some("https://contoso.example/help".into());
        })
        .await;
    let page = account_page(&server, &browser).await;
    assert!(!page.contains(">Leave organisation</button>"), "{page}");
    assert!(
        page.contains("Contoso does not let guests leave on their own"),
        "{page}"
    );
    assert!(
        page.contains("href=\"https://contoso.example/help\""),
        "{page}"
    );
    // Posting anyway is refused, and the guest stays.
    let resp = act(
        &server,
        &browser,
        &[
            ("action", "leave"),
            ("organisation", "contoso"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(resp.status().as_u16(), 403);
    assert!(server.find_user(&invited.user_id).await.is_some());
}

/// `email` signs in to `app` through a browser of its own: the token response.
async fn signed_in_with_refresh_as(
    server: &TestServer,
    app: &guestlist::service::apps::manage::CreatedApp,
    email: &str,
) -> (Browser, Value) {
    let browser = server.browser();
    let cb = browser
        .callback(
            &authorize_url_for(&server.issuer(), &app.client_id, "openid offline_access"),
            email,
        )
        .await;
    let tokens = app_tokens_for_callback(server, app, &cb).await;
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    (browser, tokens)
}

/// (event, target) of contoso's audit log.
async fn audit_of(server: &TestServer) -> Vec<(String, String)> {
    let tenant_id = server.tenant.id.clone();
    server
        .svc
        .store
        .read(move |c| {
            guestlist::store::queries::audit::list(c, &tenant_id, &Default::default(), 500)
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event_name, e.target))
        .collect()
}
