//! The JSON admin API (`/api/v1`): what the routes for users, groups, apps, branding, policies, audit,
//! invitations and tenants do. Who may call which route is `tests/authorization.rs`.

mod common;

use common::*;
use guestlist::service::apps::manage::{self as apps, NewApp};
use guestlist::service::auth::Actor;
use serde_json::{Value, json};
use std::collections::HashSet;
/// The smallest PNG a logo check accepts (the signature is what it looks at).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

// ---------------------------------------------------------------------------------------------------
// Users.

#[actix_web::test]
async fn users_are_filtered_and_paged_through_once_each() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    for i in 0..120 {
        let a = api
            .post(
                &format!("{API}/users"),
                json!({ "mail": format!("u{i:03}@contoso.example"), "displayName": format!("Person {i:03}") }),
            )
            .await;
        assert_eq!(a.status, 201, "{a}");
        assert!(a.header("etag").is_some());
    }
    for name in ["ann", "bob", "cid"] {
        api.invite(&format!("{name}@fabrikam.example"), false).await;
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = cursor
            .as_deref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let a = api.get(&format!("{API}/users?limit=50{q}")).await;
        assert_eq!(a.status, 200, "{a}");
        let page = a.json();
        let rows = page["value"].as_array().unwrap();
        assert!(rows.len() <= 50);
        seen.extend(rows.iter().map(|u| u["mail"].as_str().unwrap().to_string()));
        pages += 1;
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 123, "every user once");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        123,
        "no user twice"
    );
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "in address order");

    let mails = |a: &Answer| -> Vec<String> {
        a.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["mail"].as_str().unwrap().to_string())
            .collect()
    };
    let guests = api.get(&format!("{API}/users?userType=Guest")).await;
    assert_eq!(
        mails(&guests),
        [
            "ann@fabrikam.example",
            "bob@fabrikam.example",
            "cid@fabrikam.example"
        ]
    );
    assert!(
        guests.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["userType"] == "Guest" && u["creationType"] == "Invitation")
    );
    let pending = api
        .get(&format!("{API}/users?externalUserState=PendingAcceptance"))
        .await;
    assert_eq!(mails(&pending).len(), 3);
    let members = api
        .get(&format!("{API}/users?userType=Member&limit=500"))
        .await;
    assert_eq!(mails(&members).len(), 120);
    let search = api.get(&format!("{API}/users?search=u01")).await;
    assert_eq!(
        mails(&search),
        (10..20)
            .map(|i| format!("u{i:03}@contoso.example"))
            .collect::<Vec<_>>()
    );
    // (Display names: see `searching_by_display_name_ignores_case`.)
    let nobody = api.get(&format!("{API}/users?search=zz%25")).await;
    assert_eq!(mails(&nobody).len(), 0, "% is no wildcard");

    for bad in ["userType=Alien", "externalUserState=Maybe", "cursor=%21%21"] {
        let a = api.get(&format!("{API}/users?{bad}")).await;
        assert_eq!(a.status, 400, "{bad}: {a}");
    }
}

/// The display name part of a search: ignore case, as the address part does. PostgreSQL's `LIKE`
/// compares case-sensitively, so `search=person` misses "Person 1" there (the query lowercases the
/// term only).
#[actix_web::test]
async fn searching_by_display_name_ignores_case() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let a = api
        .post(
            &format!("{API}/users"),
            json!({ "mail": "x1@contoso.example", "displayName": "Person One" }),
        )
        .await;
    assert_eq!(a.status, 201, "{a}");
    let found = api.get(&format!("{API}/users?search=person%20o")).await;
    assert_eq!(
        found.json()["value"].as_array().unwrap().len(),
        1,
        "{found}"
    );
    // Any case, and a prefix of the UPN too; a prefix ending at the range's edge matches nothing more.
    let upper = api.get(&format!("{API}/users?search=PERSON%20ONE")).await;
    assert_eq!(
        upper.json()["value"].as_array().unwrap().len(),
        1,
        "{upper}"
    );
    let upn = found.json()["value"][0]["userPrincipalName"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let by_upn = api
        .get(&format!("{API}/users?search={}", &upn[..upn.len() - 2]))
        .await;
    assert_eq!(
        by_upn.json()["value"].as_array().unwrap().len(),
        1,
        "{by_upn}"
    );
    let past = api.get(&format!("{API}/users?search=person%20onf")).await;
    assert_eq!(past.json()["value"].as_array().unwrap().len(), 0, "{past}");
}

#[actix_web::test]
async fn a_users_detail_shows_groups_apps_and_invitation_and_a_guest_becomes_a_member() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let invited = api.invite("dee@fabrikam.example", false).await;
    let guest = invited["invitedUser"]["id"].as_str().unwrap();
    let group = api
        .post(
            &format!("{API}/groups"),
            json!({ "displayName": "Partners" }),
        )
        .await
        .json()["group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let created = api
        .post(
            &format!("{API}/apps"),
            json!({ "name": "Wiki", "redirectUris": [REDIRECT] }),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let app = created.json()["id"].as_str().unwrap().to_string();
    let direct = api
        .post(
            &format!("{API}/apps"),
            json!({ "name": "Forum", "redirectUris": [REDIRECT] }),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = api
        .send_put(&format!("{API}/groups/{group}/members/{guest}"))
        .await;
    assert_eq!(a.status, 204, "{a}");
    let a = api
        .post(
            &format!("{API}/apps/{app}/assignments"),
            json!({ "principalType": "group", "principalId": group }),
        )
        .await;
    assert_eq!(a.status, 200, "{a}");
    let a = api
        .post(
            &format!("{API}/apps/{direct}/assignments"),
            json!({ "principalType": "user", "principalId": guest }),
        )
        .await;
    assert_eq!(a.status, 200, "{a}");

    let detail = api.get(&format!("{API}/users/{guest}")).await;
    assert_eq!(detail.status, 200, "{detail}");
    let d = detail.json();
    assert_eq!(d["user"]["userType"], "Guest");
    assert_eq!(d["user"]["externalUserState"], "PendingAcceptance");
    assert_eq!(d["groups"][0]["displayName"], "Partners");
    let mut apps: Vec<&str> = d["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["displayName"].as_str().unwrap())
        .collect();
    apps.sort();
    assert_eq!(apps, ["Forum", "Wiki"], "direct and through the group");
    assert_eq!(d["invitation"]["id"], invited["id"]);
    assert_eq!(d["invitation"]["status"], "PendingAcceptance");
    assert_eq!(d["hasPassword"], false);

    let converted = api
        .patch(
            &format!("{API}/users/{guest}"),
            json!({ "userType": "Member" }),
            Some(&detail.etag()),
        )
        .await;
    assert_eq!(converted.status, 200, "{converted}");
    assert_eq!(converted.json()["user"]["userType"], "Member");
    let events = api.audit("Convert user type").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["target"], guest);
    assert_eq!(events[0]["details"]["before"]["userType"], "Guest");
    assert_eq!(events[0]["details"]["after"]["userType"], "Member");
    let members = api.get(&format!("{API}/users?userType=Member")).await;
    assert!(members.text.contains("dee@fabrikam.example"));
}

impl Api<'_> {
    async fn send_put(&self, path: &str) -> Answer {
        send(self.server, "PUT", path, Some(&self.token), Body::None, &[]).await
    }
}

#[actix_web::test]
async fn updates_need_the_etag_of_the_current_version() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let id = api.new_member("eve@contoso.example", &[]).await;
    let path = format!("{API}/users/{id}");
    let read = api.get(&path).await;
    let first = read.etag();

    let a = api
        .patch(&path, json!({ "displayName": "Eve A" }), None)
        .await;
    assert_eq!(a.status, 428, "{a}");
    let a = api
        .patch(
            &path,
            json!({ "displayName": "Eve A" }),
            Some("\"0123456789abcdef0123456789abcdef\""),
        )
        .await;
    assert_eq!(a.status, 412, "{a}");
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/problem+json")
    );
    let a = api
        .patch(&path, json!({ "displayName": "Eve A" }), Some(&first))
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["user"]["displayName"], "Eve A");
    let second = a.etag();
    assert_ne!(first, second, "the ETag follows the object");
    assert_eq!(api.get(&path).await.etag(), second);
    // The first reader's change now loses, and the object keeps the second.
    let a = api
        .patch(&path, json!({ "displayName": "Eve B" }), Some(&first))
        .await;
    assert_eq!(a.status, 412, "{a}");
    assert_eq!(api.get(&path).await.json()["user"]["displayName"], "Eve A");
    // Deletes, too.
    assert_eq!(api.delete(&path, None).await.status, 428);
    assert_eq!(api.delete(&path, Some(&first)).await.status, 412);
    assert_eq!(api.delete(&path, Some(&second)).await.status, 204);
    assert_eq!(api.get(&path).await.status, 404);
    // Invalid changes name their field and change nothing.
    let id = api.new_member("fay@contoso.example", &[]).await;
    let path = format!("{API}/users/{id}");
    let tag = api.get(&path).await.etag();
    for (patch, field) in [
        (json!({ "userType": "Robot" }), "userType"),
        (json!({ "roles": ["Emperor"] }), "roles"),
        (json!({ "preferredLanguage": "xx" }), "preferredLanguage"),
        (json!({ "displayName": "" }), "displayName"),
        (json!({ "shoeSize": 42 }), "shoeSize"),
    ] {
        let a = api.patch(&path, patch.clone(), Some(&tag)).await;
        assert_eq!(a.status, 400, "{patch}: {a}");
        assert!(a.json()["detail"].as_str().unwrap().contains(field), "{a}");
    }
    assert_eq!(api.get(&path).await.etag(), tag);
}

#[actix_web::test]
async fn a_disabled_member_can_neither_sign_in_nor_refresh() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let app = server.app(|a| a.first_party = true).await;
    let secret = app.client_secret.clone().unwrap();
    let id = api.new_member("gil@contoso.example", &[]).await;
    let (browser, tokens) =
        sign_in_through(&server, &server.issuer(), &app, "gil@contoso.example").await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
    let access = tokens["access_token"].as_str().unwrap();

    let path = format!("{API}/users/{id}");
    let tag = api.get(&path).await.etag();
    let a = api
        .patch(&path, json!({ "accountEnabled": false }), Some(&tag))
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["user"]["accountEnabled"], false);

    let (status, body) = token_endpoint(
        &server,
        &server.issuer(),
        &app.client_id,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let userinfo = userinfo(&server, access).await;
    assert_eq!(userinfo.status(), 401, "the access token died too");
    // The session ended: the browser is asked to sign in again, and the password no longer works.
    let again = browser
        .get(&authorize_url(&server.issuer(), &app.client_id))
        .await;
    assert!(location(&again).contains("/signin"));
    let flow = server
        .browser()
        .run_flow(
            &authorize_url(&server.issuer(), &app.client_id),
            "gil@contoso.example",
            "accept",
        )
        .await;
    match flow {
        Step::Page(status, body) => {
            assert_eq!(
                status, 401,
                "a disabled member is refused at sign-in: {body}"
            )
        }
        Step::Callback(u) => panic!("a disabled member signed in: {u}"),
    }
    assert_eq!(api.audit("Disable user").await.len(), 1);

    // Enabled again, they sign in again.
    let tag = api.get(&path).await.etag();
    let a = api
        .patch(&path, json!({ "accountEnabled": true }), Some(&tag))
        .await;
    assert_eq!(a.status, 200, "{a}");
    sign_in_through(&server, &server.issuer(), &app, "gil@contoso.example").await;
}

#[actix_web::test]
async fn admins_keep_themselves_and_the_last_admin() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let console = server.app(|a| a.first_party = true).await;
    let root = api.new_member("root@contoso.example", &["Admin"]).await;
    let me = Api {
        server: &server,
        token: user_token(&server, &console, "root@contoso.example").await,
    };
    let path = format!("{API}/users/{root}");
    let tag = me.get(&path).await.etag();
    let a = me.delete(&path, Some(&tag)).await;
    a.assert_problem(400, "yourself");
    let a = me
        .patch(&path, json!({ "accountEnabled": false }), Some(&tag))
        .await;
    assert_eq!(a.status, 400, "{a}");
    let a = me.patch(&path, json!({ "roles": [] }), Some(&tag)).await;
    assert_eq!(a.status, 400, "{a}");
    // Through an app: the only Admin stays.
    let a = api.delete(&path, Some(&tag)).await;
    a.assert_problem(400, "at least one Admin");
    let a = api.patch(&path, json!({ "roles": [] }), Some(&tag)).await;
    assert_eq!(a.status, 400, "{a}");
    // Disabling the only Admin would leave nobody to administer: refused too.
    let a = api
        .patch(&path, json!({ "accountEnabled": false }), Some(&tag))
        .await;
    a.assert_problem(400, "at least one Admin");
    // Operators are made by operators only.
    let a = me
        .patch(&path, json!({ "roles": ["Admin", "Operator"] }), Some(&tag))
        .await;
    assert_eq!(a.status, 403, "{a}");
    let a = api
        .post(
            &format!("{API}/users"),
            json!({ "mail": "op@contoso.example", "displayName": "Op", "roles": ["Operator"] }),
        )
        .await;
    assert_eq!(a.status, 403, "{a}");

    // With a second Admin, the first may go.
    let second = api.new_member("deputy@contoso.example", &["Admin"]).await;
    let deputy = Api {
        server: &server,
        token: user_token(&server, &console, "deputy@contoso.example").await,
    };
    let a = deputy.delete(&path, Some(&tag)).await;
    assert_eq!(a.status, 204, "{a}");
    assert_eq!(api.get(&path).await.status, 404);
    // The deleted admin's token no longer works.
    assert_eq!(me.get(&format!("{API}/users")).await.status, 401);
    let events = api.audit("Delete user").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"], second);
}

#[actix_web::test]
async fn password_reset_links_are_for_members_of_this_directory() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let member = api.new_member("hal@contoso.example", &[]).await;
    let a = api
        .post(&format!("{API}/users/{member}/password-reset"), json!({}))
        .await;
    assert_eq!(a.status, 201, "{a}");
    let url = a.json()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/reset/", server.issuer())),
        "{url}"
    );
    let again = api
        .post(&format!("{API}/users/{member}/password-reset"), json!({}))
        .await;
    assert_ne!(
        again.json()["url"].as_str().unwrap(),
        url,
        "a new link each time"
    );
    assert_eq!(api.audit("Reset user password").await.len(), 2);

    let guest = api.invite("ivy@fabrikam.example", false).await["invitedUser"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = api
        .post(&format!("{API}/users/{guest}/password-reset"), json!({}))
        .await;
    a.assert_problem(400, "another directory");
    let a = api
        .post(&format!("{API}/users/nobody/password-reset"), json!({}))
        .await;
    assert_eq!(a.status, 404, "{a}");
}

/// The link of `POST /users/{id}/password-reset` must lead somewhere: no route serves `/t/{slug}/reset/…`
/// yet, and nothing uses the `password-reset` tokens the service stores.
#[actix_web::test]
async fn a_password_reset_link_opens_a_page() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let member = api.new_member("ola@contoso.example", &[]).await;
    let a = api
        .post(&format!("{API}/users/{member}/password-reset"), json!({}))
        .await;
    let url = a.json()["url"].as_str().unwrap().to_string();
    let browser = server.browser();
    let page = browser.get(&url).await;
    assert_eq!(page.status(), 200, "{url}");
    let body = page.text().await.unwrap();
    assert!(body.contains("ola@contoso.example"), "{body}");
    let csrf = common::hidden(&body, "csrf").unwrap();
    let mismatch = browser
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("password", common::PASSWORD),
                ("confirm_password", "other"),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), 400);
    let set = browser
        .post_form(
            &url,
            &[
                ("csrf", &csrf),
                ("password", common::PASSWORD),
                ("confirm_password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(set.status(), 200);
    // The link works once.
    assert_eq!(browser.get(&url).await.status(), 404);
    // The new password signs in: the member reaches the console, which refuses them for lack of a role
    // (a wrong password would stop at the sign-in form instead).
    match server
        .browser()
        .run_flow(
            &format!("/admin/t/{}/users", server.tenant.slug),
            "ola@contoso.example",
            "accept",
        )
        .await
    {
        common::Step::Page(status, body) => assert_eq!(status, 403, "{body}"),
        common::Step::Callback(u) => panic!("{u}"),
    }
}

// ---------------------------------------------------------------------------------------------------
// Groups and apps.

#[actix_web::test]
async fn groups_are_created_renamed_filled_and_deleted() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let user = api.new_member("jo@contoso.example", &[]).await;
    let created = api
        .post(
            &format!("{API}/groups"),
            json!({ "displayName": "Tutors", "description": "People who teach" }),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let g = created.json();
    assert_eq!(g["group"]["description"], "People who teach");
    let id = g["group"]["id"].as_str().unwrap().to_string();
    let path = format!("{API}/groups/{id}");
    let a = api
        .post(&format!("{API}/groups"), json!({ "displayName": "Tutors" }))
        .await;
    assert_eq!(a.status, 409, "names are unique: {a}");

    let tag = api.get(&path).await.etag();
    let a = api
        .patch(&path, json!({ "displayName": "Teachers" }), None)
        .await;
    assert_eq!(a.status, 428);
    let renamed = api
        .patch(&path, json!({ "displayName": "Teachers" }), Some(&tag))
        .await;
    assert_eq!(renamed.status, 200, "{renamed}");
    assert_eq!(renamed.json()["group"]["displayName"], "Teachers");
    assert_ne!(renamed.etag(), tag);
    let a = api
        .patch(&path, json!({ "displayName": "Staff" }), Some(&tag))
        .await;
    assert_eq!(a.status, 412, "{a}");

    let member_path = format!("{path}/members/{user}");
    for _ in 0..2 {
        let a = api.send_put(&member_path).await;
        assert_eq!(a.status, 204, "adding is idempotent: {a}");
    }
    let d = api.get(&path).await.json();
    assert_eq!(d["group"]["memberCount"], 1);
    assert_eq!(d["members"][0]["id"], user.as_str());
    let detail = api.get(&format!("{API}/users/{user}")).await.json();
    assert_eq!(detail["groups"][0]["displayName"], "Teachers");
    let listed = api.get(&format!("{API}/groups")).await.json();
    assert_eq!(listed[0]["memberCount"], 1);
    assert_eq!(
        api.send_put(&format!("{path}/members/nobody")).await.status,
        404
    );

    let a = api.delete(&member_path, None).await;
    assert_eq!(a.status, 204, "{a}");
    assert_eq!(api.delete(&member_path, None).await.status, 404);
    assert_eq!(api.get(&path).await.json()["group"]["memberCount"], 0);

    let tag = api.get(&path).await.etag();
    assert_eq!(api.delete(&path, None).await.status, 428);
    assert_eq!(api.delete(&path, Some(&tag)).await.status, 204);
    assert_eq!(api.get(&path).await.status, 404);
    api.assert_audited(&[
        "Add group",
        "Update group",
        "Add member to group",
        "Remove member from group",
        "Delete group",
    ])
    .await;
}

#[actix_web::test]
async fn apps_get_secrets_roles_and_assignments() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let user = api.new_member("kai@contoso.example", &[]).await;
    let created = api
        .post(
            &format!("{API}/apps"),
            json!({ "name": "Wiki", "redirectUris": [REDIRECT], "allowedScopes": ["api.read"] }),
        )
        .await;
    assert_eq!(created.status, 201, "{created}");
    let c = created.json();
    let (id, client_id) = (
        c["id"].as_str().unwrap().to_string(),
        c["clientId"].as_str().unwrap().to_string(),
    );
    let old_secret = c["clientSecret"]
        .as_str()
        .expect("a confidential app's secret")
        .to_string();
    let path = format!("{API}/apps/{id}");
    let read = api.get(&path).await;
    assert_eq!(read.status, 200, "{read}");
    assert!(!read.text.contains(&old_secret), "the secret is shown once");
    assert_eq!(read.json()["app"]["public"], false);
    let issuer = server.issuer();
    app_token(&server, &issuer, &client_id, &old_secret, "api.read").await;

    for invalid in [
        json!({ "optionalClaims": ["shoe_size"] }),
        json!({ "redirectUris": ["javascript:alert(1)"] }),
    ] {
        let a = api.patch(&path, invalid, Some(&read.etag())).await;
        assert_eq!(a.status, 400, "{a}");
    }
    let changed = api
        .patch(
            &path,
            json!({
                "redirectUris": [REDIRECT, "http://localhost/cb2"],
                "optionalClaims": ["roles", "email"],
                "appRoles": [{ "value": "Reader", "displayName": "Reader" },
                             { "value": "Editor", "displayName": "Editor", "description": "Edits pages" }]
            }),
            Some(&read.etag()),
        )
        .await;
    assert_eq!(changed.status, 200, "{changed}");
    let app = &changed.json()["app"];
    assert_eq!(
        app["redirectUris"],
        json!([REDIRECT, "http://localhost/cb2"])
    );
    assert_eq!(app["optionalClaims"], json!(["roles", "email"]));
    assert_eq!(app["appRoles"][1]["description"], "Edits pages");

    // A new secret: the old one stops working at once.
    let rotated = api.post(&format!("{path}/secret"), json!({})).await;
    assert_eq!(rotated.status, 201, "{rotated}");
    let new_secret = rotated.json()["clientSecret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, old_secret);
    let (status, body) = token_endpoint(
        &server,
        &issuer,
        &client_id,
        &old_secret,
        &[("grant_type", "client_credentials"), ("scope", "api.read")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    app_token(&server, &issuer, &client_id, &new_secret, "api.read").await;

    // Assignments with an app role, seen in the user's token.
    let assignments = format!("{path}/assignments");
    let a = api
        .post(
            &assignments,
            json!({ "principalType": "user", "principalId": user, "appRole": "Owner" }),
        )
        .await;
    assert_eq!(a.status, 400, "the app defines no such role: {a}");
    let a = api
        .post(
            &assignments,
            json!({ "principalType": "user", "principalId": "nobody", "appRole": "Reader" }),
        )
        .await;
    assert_eq!(a.status, 404, "{a}");
    let a = api
        .post(
            &assignments,
            json!({ "principalType": "user", "principalId": user, "appRole": "Reader" }),
        )
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["assignments"][0]["appRole"], "Reader");
    let (_, tokens) = sign_in(
        &server,
        &issuer,
        &client_id,
        &new_secret,
        "kai@contoso.example",
    )
    .await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["roles"], json!(["Reader"]), "{claims}");

    let a = api
        .delete(&format!("{assignments}/user/{user}"), None)
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["assignments"], json!([]));
    assert_eq!(
        api.delete(&format!("{assignments}/user/{user}"), None)
            .await
            .status,
        404
    );

    let tag = api.get(&path).await.etag();
    assert_eq!(api.delete(&path, None).await.status, 428);
    assert_eq!(api.delete(&path, Some(&tag)).await.status, 204);
    assert_eq!(api.get(&path).await.status, 404);
    let (status, _) = token_endpoint(
        &server,
        &issuer,
        &client_id,
        &new_secret,
        &[("grant_type", "client_credentials"), ("scope", "api.read")],
    )
    .await;
    assert_eq!(status, 401, "a deleted app gets no tokens");
    api.assert_audited(&[
        "Add application",
        "Update application",
        "Rotate application secret",
        "Add app role assignment",
        "Remove app role assignment",
        "Delete application",
    ])
    .await;
}

// ---------------------------------------------------------------------------------------------------
// Branding, policies, audit.

#[actix_web::test]
async fn branding_and_policies_change_with_an_audit_trail() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let branding = format!("{API}/branding");
    let read = api.get(&branding).await;
    assert_eq!(read.status, 200, "{read}");
    let a = api
        .patch(&branding, json!({ "primaryColor": "#112233" }), None)
        .await;
    assert_eq!(a.status, 428);
    let a = api
        .patch(
            &branding,
            json!({ "primaryColor": "#112233", "backgroundColor": "#FFF" }),
            Some(&read.etag()),
        )
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["primaryColor"], "#112233");
    assert_eq!(a.json()["backgroundColor"], "#fff");
    let tag = a.etag();
    assert_ne!(tag, read.etag());
    for bad in [
        json!({ "primaryColor": "red;}" }),
        json!({ "backgroundColor": "#12345g" }),
        json!({ "privacyUrl": "javascript:alert(1)" }),
    ] {
        let a = api.patch(&branding, bad.clone(), Some(&tag)).await;
        assert_eq!(a.status, 400, "{bad}: {a}");
    }
    assert_eq!(api.get(&branding).await.json()["primaryColor"], "#112233");

    // Logos: a PNG is kept, an SVG with script is not.
    let logo = format!("{API}/branding/logo");
    let a = api.put_raw(&logo, "image/png", PNG).await;
    assert_eq!(a.status, 200, "{a}");
    let logo_url = a.json()["logoUrl"].as_str().unwrap().to_string();
    assert!(
        logo_url.starts_with(&format!("{}/logo", server.issuer())),
        "{logo_url}"
    );
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let a = api.put_raw(&logo, "image/svg+xml", svg).await;
    assert_eq!(a.status, 400, "{a}");
    let served = server.rp_http().get(&logo_url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert!(
        served.headers().contains_key("content-security-policy"),
        "the logo is served with a CSP"
    );
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(
        served.bytes().await.unwrap().as_ref(),
        PNG,
        "the PNG, not the SVG"
    );
    let a = api.delete(&logo, None).await;
    assert_eq!(a.status, 200, "{a}");
    assert!(a.json()["logoUrl"].is_null());

    // Policies: invitations switched off, then a domain denied.
    let policies = format!("{API}/policies");
    let read = api.get(&policies).await;
    assert_eq!(read.json()["invitePolicy"], "everyone");
    let a = api
        .patch(
            &policies,
            json!({ "invitePolicy": "nobody" }),
            Some(&read.etag()),
        )
        .await;
    assert_eq!(a.status, 200, "{a}");
    let refused = api
        .post(
            &format!("{API}/invitations"),
            json!({ "invitedUserEmailAddress": "lou@fabrikam.example", "inviteRedirectUrl": "https://a.example/" }),
        )
        .await;
    assert_eq!(refused.status, 403, "{refused}");
    let a = api
        .patch(
            &policies,
            json!({ "invitePolicy": "everyone", "domainListMode": "deny", "domains": ["fabrikam.example"] }),
            Some(&a.etag()),
        )
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["domains"], json!(["fabrikam.example"]));
    let tag = a.etag();
    let refused = api
        .post(
            &format!("{API}/invitations"),
            json!({ "invitedUserEmailAddress": "lou@fabrikam.example", "inviteRedirectUrl": "https://a.example/" }),
        )
        .await;
    assert_eq!(
        refused.status, 400,
        "a denied domain is bad input: {refused}"
    );
    assert!(
        refused.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("email:"),
        "{refused}"
    );
    assert!(refused.text.contains("fabrikam.example"), "{refused}");
    api.invite("lou@northwind.example", false).await;
    for bad in [
        json!({ "domainListMode": "sometimes" }),
        json!({ "invitePolicy": "anyone" }),
        json!({ "ticketLifetimeDays": 0 }),
        json!({ "domains": ["not a domain"] }),
    ] {
        let a = api.patch(&policies, bad.clone(), Some(&tag)).await;
        assert_eq!(a.status, 400, "{bad}: {a}");
    }
    assert_eq!(api.get(&policies).await.etag(), tag, "nothing changed");

    // The audit log has it all, filtered, paged and exported.
    let branding_events = api.audit("Update company branding").await;
    assert_eq!(branding_events.len(), 3, "colours, logo, logo removed");
    // Events of the same second come in no particular order (`at` is in seconds), so look them up.
    let policy_events = api.audit("Update policy").await;
    assert_eq!(policy_events.len(), 2);
    assert!(
        policy_events
            .iter()
            .all(|e| e["eventName"] == "Update policy")
    );
    let afters: Vec<(&str, &str)> = policy_events
        .iter()
        .map(|e| {
            let after = &e["details"]["after"];
            (
                after["invitePolicy"].as_str().unwrap(),
                after["domainListMode"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(afters.contains(&("nobody", "none")), "{afters:?}");
    assert!(afters.contains(&("everyone", "deny")), "{afters:?}");

    let all = api.get(&format!("{API}/audit?limit=500")).await.json()["value"]
        .as_array()
        .unwrap()
        .len();
    let mut paged = HashSet::new();
    let mut cursor = String::new();
    loop {
        let a = api
            .get(&format!("{API}/audit?limit=2&cursor={cursor}"))
            .await;
        assert_eq!(a.status, 200, "{a}");
        let page = a.json();
        for e in page["value"].as_array().unwrap() {
            assert!(paged.insert(e["id"].as_str().unwrap().to_string()));
        }
        match page["nextCursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(paged.len(), all, "pages of the audit log cover it once");

    let export = api
        .get(&format!("{API}/audit/export?eventName=Update%20policy"))
        .await;
    assert_eq!(export.status, 200, "{export}");
    assert!(
        export
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    let mut reader = csv::Reader::from_reader(export.text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["at", "eventName", "actor", "target", "outcome", "details"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| &r[1] == "Update policy"));
    let exported: HashSet<String> = rows
        .iter()
        .map(|r| {
            let details: Value = serde_json::from_str(&r[5]).unwrap();
            details["after"]["domainListMode"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(exported, HashSet::from(["none".into(), "deny".into()]));
}

#[actix_web::test]
async fn what_someone_types_on_the_sign_in_page_reaches_the_audit_export_as_text() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    // Failed sign-ins are audited with the address typed, when it is one; each starts like a formula.
    let addresses = ["=1+2@x.example", "+sum@x.example", "-2+3@x.example"];
    let browser = server.browser();
    for typed in addresses
        .iter()
        .chain(&["=HYPERLINK(\"http://x.example\")@x.example", "@x.example"])
    {
        let refused = browser.sign_in_directly(&server.tenant.slug, typed).await;
        assert_ne!(refused.status(), 303, "{typed} is not an account");
    }
    let export = api
        .get(&format!("{API}/audit/export?eventName=Sign-in%20failure"))
        .await;
    assert_eq!(export.status, 200, "{export}");
    let mut reader = csv::Reader::from_reader(export.text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for typed in addresses {
        let neutralised = format!("'{typed}");
        assert!(
            rows.iter()
                .any(|r| r[2] == neutralised && r[3] == neutralised),
            "{neutralised} as actor and target in {}",
            export.text
        );
    }
    for cell in rows.iter().flat_map(|r| r.iter()) {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
            "{cell:?} would run as a formula in {}",
            export.text
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// Invitations.

#[actix_web::test]
async fn invitations_show_delivery_and_a_revoked_link_stops_working() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let mailed = api.invite("max@fabrikam.example", true).await;
    let quiet = api.invite("ned@fabrikam.example", false).await;
    let list = api.get(&format!("{API}/invitations")).await;
    assert_eq!(list.status, 200, "{list}");
    let entries = list.json()["value"].as_array().unwrap().clone();
    let entry = |id: &Value| {
        entries
            .iter()
            .find(|e| e["id"] == *id)
            .unwrap_or_else(|| panic!("{id} listed"))
            .clone()
    };
    let m = entry(&mailed["id"]);
    assert!(
        matches!(m["delivery"].as_str(), Some("queued" | "sent")),
        "{m}"
    );
    assert_eq!(entry(&quiet["id"])["delivery"], "not sent");
    assert_eq!(entry(&quiet["id"])["status"], "PendingAcceptance");

    let id = quiet["id"].as_str().unwrap();
    let link = quiet["inviteRedeemUrl"].as_str().unwrap();
    assert_eq!(server.browser().get(link).await.status(), 200);
    let a = api
        .post(&format!("{API}/invitations/{id}/revoke"), json!({}))
        .await;
    assert_eq!(a.status, 200, "{a}");
    assert_eq!(a.json()["status"], "Voided");
    let page = server.browser().get(link).await;
    assert_eq!(page.status(), 404);
    let text = page.text().await.unwrap().to_lowercase();
    assert!(
        text.contains("not valid") || text.contains("no longer valid"),
        "{text}"
    );
    let again = api
        .post(&format!("{API}/invitations/{id}/revoke"), json!({}))
        .await;
    assert_eq!(
        (again.status, again.json()["status"].as_str()),
        (200, Some("Voided"))
    );
    assert_eq!(
        api.get(&format!("{API}/invitations/{id}")).await.json()["status"],
        "Voided"
    );
    assert_eq!(
        api.audit("Revoke invitation").await.len(),
        1,
        "revoked once"
    );
    assert_eq!(
        api.post(&format!("{API}/invitations/nothing/revoke"), json!({}))
            .await
            .status,
        404
    );
    // The guest object stays, and a resend gives a working link again.
    let guest = quiet["invitedUser"]["id"].as_str().unwrap();
    let a = api
        .post(&format!("{API}/users/{guest}/resend-invitation"), json!({}))
        .await;
    assert_eq!(a.status, 201, "{a}");
    let fresh = a.json()["inviteRedeemUrl"].as_str().unwrap().to_string();
    assert_eq!(server.browser().get(&fresh).await.status(), 200);
}

#[actix_web::test]
async fn a_csv_upload_is_checked_first_and_created_second() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let csv = "Email,DisplayName,Language\nann@fabrikam.example,Ann,de\nbob@fabrikam.example,\"Bob, Jr.\",\nnot-an-address,Bad,\n";
    let upload = |q: &'static str| {
        let api = &api;
        async move {
            api.post_raw(
                &format!("{API}/invitations/csv{q}"),
                "text/csv",
                csv.as_bytes(),
            )
            .await
        }
    };
    let count = |a: Answer| a.json()["value"].as_array().unwrap().len();

    let checked = upload("?validateOnly=true").await;
    assert_eq!(checked.status, 200, "{checked}");
    let r = checked.json();
    assert_eq!(r["validateOnly"], true);
    assert_eq!(
        (r["created"].as_u64(), r["failed"].as_u64()),
        (Some(0), Some(1))
    );
    let outcomes: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["valid", "valid", "failed"]);
    assert_eq!(count(api.get(&format!("{API}/invitations")).await), 0);
    assert_eq!(
        count(api.get(&format!("{API}/users?userType=Guest")).await),
        0
    );

    let made = upload("").await;
    assert_eq!(made.status, 200, "{made}");
    let r = made.json();
    assert_eq!(
        (r["created"].as_u64(), r["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(r["batchId"].is_string());
    let list = api.get(&format!("{API}/invitations")).await.json();
    let mut invited: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["invitedUserEmailAddress"].as_str().unwrap())
        .collect();
    invited.sort();
    assert_eq!(invited, ["ann@fabrikam.example", "bob@fabrikam.example"]);
    assert!(list.to_string().contains("Bob, Jr."));
    assert_eq!(
        count(api.get(&format!("{API}/users?userType=Guest")).await),
        2
    );

    let twice = upload("").await.json();
    assert_eq!(twice["existing"], 2, "{twice}");
    let a = api
        .post_raw(
            &format!("{API}/invitations/csv"),
            "text/csv",
            b"Name\nann@fabrikam.example\n",
        )
        .await;
    assert_eq!(a.status, 400, "a file without the Email column: {a}");
}

// ---------------------------------------------------------------------------------------------------
// Operators.

#[actix_web::test]
async fn only_operators_list_and_create_tenants() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let console = server.app(|a| a.first_party = true).await;
    api.new_member("root@contoso.example", &["Admin"]).await;
    let tenant_admin = user_token(&server, &console, "root@contoso.example").await;
    let new_tenant = json!({ "slug": "northwind", "displayName": "Northwind", "primaryDomain": "northwind.example" });
    for token in [&tenant_admin, &api.token] {
        for (method, body) in [
            ("GET", Body::None),
            ("POST", Body::Json(new_tenant.clone())),
        ] {
            let a = send(
                &server,
                method,
                "/api/v1/tenants",
                Some(token),
                body,
                &[("x-guestlist-tenant", "contoso")],
            )
            .await;
            assert_eq!(a.status, 403, "{method} by a tenant admin: {a}");
        }
        // Without the header the token is checked against `default`, which did not issue it.
        let a = send(
            &server,
            "GET",
            "/api/v1/tenants",
            Some(token),
            Body::None,
            &[],
        )
        .await;
        assert!(matches!(a.status, 401 | 403), "{a}");
    }

    // The server's first administrator, as a fresh server makes them: the setup link of the `default`
    // tenant (made here: `ensure_default_tenant` keeps contoso, the server's first tenant).
    let svc = &server.svc;
    let default = create_tenant(svc, "default", "Default", "default.localhost").await;
    let link = guestlist::service::bootstrap::first_admin_link(svc, &default)
        .await
        .unwrap()
        .expect("a setup link");
    guestlist::service::bootstrap::complete_setup(
        svc,
        &default,
        link.rsplit('/').next().unwrap(),
        guestlist::service::bootstrap::FirstAdmin {
            email: "ops@default.localhost".into(),
            display_name: "Ops".into(),
            password: PASSWORD.into(),
            confirm_password: PASSWORD.into(),
        },
        "127.0.0.1",
    )
    .await
    .unwrap();
    let tools = apps::create(
        svc,
        &Actor::operator(),
        &default,
        NewApp {
            name: "Console".into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            public: false,
            first_party: true,
            assignment_required: false,
            signing_alg: "RS256".into(),
            optional_claims: vec![],
            allowed_scopes: vec![],
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
        },
    )
    .await
    .unwrap();
    let (_, tokens) =
        sign_in_through(&server, &default.issuer, &tools, "ops@default.localhost").await;
    let operator = tokens["access_token"].as_str().unwrap();
    let list = send(
        &server,
        "GET",
        "/api/v1/tenants",
        Some(operator),
        Body::None,
        &[],
    )
    .await;
    assert_eq!(list.status, 200, "{list}");
    let mut slugs: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["slug"].as_str().unwrap().to_string())
        .collect();
    slugs.sort();
    assert_eq!(slugs, ["contoso", "default"]);

    let created = send(
        &server,
        "POST",
        "/api/v1/tenants",
        Some(operator),
        Body::Json(new_tenant.clone()),
        &[],
    )
    .await;
    assert_eq!(created.status, 201, "{created}");
    assert_eq!(
        created.header("location").as_deref(),
        Some("/api/v1/tenants/northwind")
    );
    let c = created.json();
    assert_eq!(c["tenant"]["slug"], "northwind");
    assert_eq!(
        c["tenant"]["issuer"],
        format!("{}/t/northwind", server.base)
    );
    let first_admin = c["firstAdminLink"].as_str().expect("a first-admin link");
    assert!(
        first_admin.starts_with(&format!("{}/t/northwind/setup/", server.base)),
        "{first_admin}"
    );
    let page = server.browser().get(first_admin).await;
    assert_eq!(page.status(), 200, "the link opens the setup page");
    let again = send(
        &server,
        "POST",
        "/api/v1/tenants",
        Some(operator),
        Body::Json(new_tenant),
        &[],
    )
    .await;
    assert_eq!(again.status, 409, "{again}");
    let bad = send(
        &server,
        "POST",
        "/api/v1/tenants",
        Some(operator),
        Body::Json(
            json!({ "slug": "Not A Slug!", "displayName": "X", "primaryDomain": "x.example" }),
        ),
        &[],
    )
    .await;
    assert_eq!(bad.status, 400, "{bad}");
}

#[actix_web::test]
async fn members_an_admin_adds_outside_the_tenants_domain_start_with_an_unverified_address() {
    let server = TestServer::start().await;
    let inside = server.member("in@contoso.example").await;
    let below = server.member("in@eu.contoso.example").await;
    let outside = server.member("out@notcontoso.example").await;
    assert!(inside.email_verified && below.email_verified);
    assert!(
        !outside.email_verified,
        "nobody vouched for {}",
        outside.mail
    );
}
