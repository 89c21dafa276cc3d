//! Who may call what (`domain::access`, `docs/authorization.md`): every route of the admin API and of the
//! console for every kind of caller, with the answer the table expects. The routes come from the
//! router's own lists (`http::api::ROUTES`, `http::admin::CONSOLE_ROUTES`), so a route added without a
//! row here fails. Every refusal is audited and changes nothing.

mod common;

use common::*;
use guestlist::domain::user::{Role, RoleSet};
use guestlist::service::apps::console::console_client_id;
use guestlist::service::apps::manage::{self as apps, AssignmentInput, CreatedApp, NewApp};
use guestlist::service::auth::Actor;
use guestlist::service::invitations::{self, InviteOutcome, InviteRequest, follow_up};
use guestlist::service::tenants::Tenant;
use guestlist::service::users::{self, UserPatch};
use serde_json::{Value, json};

/// What a caller gets from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 401: no token, or a token that is not one of this tenant for the admin API.
    Unauthenticated,
    /// 403: a valid caller the rules refuse.
    Denied,
    /// Past authorization: whatever the (empty) request earns, but never 401, 403 or a 5xx.
    Allowed,
}
use Expect::*;

/// The kinds of route, by what the rules ask of their callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// The OpenAPI document: public.
    Document,
    /// Server-wide: operators only.
    Operator,
    /// Everything an admin does.
    Admin,
    /// Inviting: admins, guest inviters and invite-scoped apps (under the invite policy).
    Invite,
    /// The invitation list: everyone who may invite sees (their own).
    OwnInvitations,
    /// One invitation someone else (the operator) created: reading or resending it.
    OthersInvitation,
}
use Class::*;

/// Every route of the admin API and its class. A route missing here fails the table.
const API_ROWS: &[(&str, &str, Class)] = &[
    ("GET", "/api/v1/openapi.json", Document),
    ("GET", "/api/v1/tenants", Operator),
    ("POST", "/api/v1/tenants", Operator),
    ("GET", "/api/v1/identity-providers", Operator),
    ("POST", "/api/v1/identity-providers", Operator),
    ("DELETE", "/api/v1/identity-providers/{id}", Operator),
    ("GET", "/api/v1/tenants/{slug}/users", Admin),
    ("POST", "/api/v1/tenants/{slug}/users", Admin),
    ("GET", "/api/v1/tenants/{slug}/users/{id}", Admin),
    ("PATCH", "/api/v1/tenants/{slug}/users/{id}", Admin),
    ("DELETE", "/api/v1/tenants/{slug}/users/{id}", Admin),
    (
        "POST",
        "/api/v1/tenants/{slug}/users/{id}/password-reset",
        Admin,
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/users/{id}/resend-invitation",
        OthersInvitation,
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/users/{id}/reset-redemption",
        Admin,
    ),
    ("GET", "/api/v1/tenants/{slug}/users/{id}/sponsors", Admin),
    ("PUT", "/api/v1/tenants/{slug}/users/{id}/sponsors", Admin),
    ("GET", "/api/v1/tenants/{slug}/groups", Admin),
    ("POST", "/api/v1/tenants/{slug}/groups", Admin),
    ("GET", "/api/v1/tenants/{slug}/groups/{id}", Admin),
    ("PATCH", "/api/v1/tenants/{slug}/groups/{id}", Admin),
    ("DELETE", "/api/v1/tenants/{slug}/groups/{id}", Admin),
    (
        "PUT",
        "/api/v1/tenants/{slug}/groups/{id}/members/{userId}",
        Admin,
    ),
    (
        "DELETE",
        "/api/v1/tenants/{slug}/groups/{id}/members/{userId}",
        Admin,
    ),
    ("GET", "/api/v1/tenants/{slug}/apps", Admin),
    ("POST", "/api/v1/tenants/{slug}/apps", Admin),
    ("GET", "/api/v1/tenants/{slug}/apps/{id}", Admin),
    ("PATCH", "/api/v1/tenants/{slug}/apps/{id}", Admin),
    ("DELETE", "/api/v1/tenants/{slug}/apps/{id}", Admin),
    ("POST", "/api/v1/tenants/{slug}/apps/{id}/secret", Admin),
    (
        "POST",
        "/api/v1/tenants/{slug}/apps/{id}/assignments",
        Admin,
    ),
    (
        "DELETE",
        "/api/v1/tenants/{slug}/apps/{id}/assignments/{principalType}/{principalId}",
        Admin,
    ),
    ("POST", "/api/v1/tenants/{slug}/invitations", Invite),
    ("GET", "/api/v1/tenants/{slug}/invitations", OwnInvitations),
    ("POST", "/api/v1/tenants/{slug}/invitations/csv", Invite),
    (
        "GET",
        "/api/v1/tenants/{slug}/invitations/{id}",
        OthersInvitation,
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/invitations/{id}/resend",
        OthersInvitation,
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/invitations/{id}/revoke",
        Admin,
    ),
    ("GET", "/api/v1/tenants/{slug}/branding", Admin),
    ("PATCH", "/api/v1/tenants/{slug}/branding", Admin),
    ("PUT", "/api/v1/tenants/{slug}/branding/logo", Admin),
    ("DELETE", "/api/v1/tenants/{slug}/branding/logo", Admin),
    ("GET", "/api/v1/tenants/{slug}/policies", Admin),
    ("PATCH", "/api/v1/tenants/{slug}/policies", Admin),
    ("GET", "/api/v1/tenants/{slug}/terms", Admin),
    ("POST", "/api/v1/tenants/{slug}/terms", Admin),
    ("GET", "/api/v1/tenants/{slug}/terms/acceptances", Admin),
    ("GET", "/api/v1/tenants/{slug}/webhooks", Admin),
    ("POST", "/api/v1/tenants/{slug}/webhooks", Admin),
    ("GET", "/api/v1/tenants/{slug}/webhooks/{id}", Admin),
    ("PATCH", "/api/v1/tenants/{slug}/webhooks/{id}", Admin),
    ("DELETE", "/api/v1/tenants/{slug}/webhooks/{id}", Admin),
    ("POST", "/api/v1/tenants/{slug}/webhooks/{id}/secret", Admin),
    (
        "GET",
        "/api/v1/tenants/{slug}/webhooks/{id}/deliveries",
        Admin,
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/webhooks/{id}/deliveries/{delivery}/replay",
        Admin,
    ),
    ("GET", "/api/v1/tenants/{slug}/identity-providers", Admin),
    ("POST", "/api/v1/tenants/{slug}/identity-providers", Admin),
    (
        "GET",
        "/api/v1/tenants/{slug}/identity-providers/{id}",
        Admin,
    ),
    (
        "PATCH",
        "/api/v1/tenants/{slug}/identity-providers/{id}",
        Admin,
    ),
    (
        "DELETE",
        "/api/v1/tenants/{slug}/identity-providers/{id}",
        Admin,
    ),
    (
        "POST",
        "/api/v1/tenants/{slug}/identity-providers/{id}/test",
        Admin,
    ),
    ("GET", "/api/v1/tenants/{slug}/audit", Admin),
    ("GET", "/api/v1/tenants/{slug}/audit/export", Admin),
];

/// The kinds of caller, with what each gets from each class of route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Forged,
    Member,
    Guest,
    /// An admin whose token outlived their Admin role.
    FormerAdmin,
    GuestInviter,
    Admin,
    Operator,
    OtherTenantsAdmin,
    InviteApp,
    AdminApp,
    DeletedApp,
    OtherTenantsApp,
    /// An app's token for its own scope, not for the admin API.
    WrongAudience,
}

const EVERYONE: [Who; 14] = [
    Who::Anonymous,
    Who::Forged,
    Who::Member,
    Who::Guest,
    Who::FormerAdmin,
    Who::GuestInviter,
    Who::Admin,
    Who::Operator,
    Who::OtherTenantsAdmin,
    Who::InviteApp,
    Who::AdminApp,
    Who::DeletedApp,
    Who::OtherTenantsApp,
    Who::WrongAudience,
];

/// The table of `docs/authorization.md` for the admin API.
fn expect(class: Class, who: Who) -> Expect {
    use Who::*;
    if class == Document {
        return Allowed;
    }
    match who {
        // No token for this tenant's admin API: a member's or guest's token is only for userinfo
        // (the admin API's scopes go to role holders only).
        Anonymous | Forged | Member | Guest | OtherTenantsAdmin | DeletedApp | OtherTenantsApp
        | WrongAudience => Unauthenticated,
        FormerAdmin => Denied,
        Operator => Allowed,
        Admin | AdminApp if class == Class::Operator => Denied,
        Admin | AdminApp => Allowed,
        GuestInviter | InviteApp => match class {
            Invite | OwnInvitations => Allowed,
            _ => Denied,
        },
    }
}

/// One object of each kind, to fill the placeholders of a route; each caller gets its own.
struct Objects {
    /// A member of `group` and assigned to `app`.
    user: String,
    group: String,
    app: String,
    /// Created by the operator, pending.
    invitation: String,
    guest: String,
    /// An upstream identity provider of the tenant (at a loopback port nobody answers on).
    idp: String,
    /// A webhook endpoint of the tenant, and one message in its log.
    webhook: String,
    delivery: String,
}

/// An invitation of a guest named "Guest", without its email.
fn invite_request(email: &str) -> InviteRequest {
    let mut request = invite::invite_request(email);
    request.display_name = Some("Guest".into());
    request.send_email = false;
    request
}

async fn objects_in(server: &TestServer, tenant: &Tenant, n: usize) -> Objects {
    let op = Actor::operator();
    let domain = &tenant.primary_domain;
    let user = server
        .member_in(tenant, &format!("someone{n}@{domain}"), vec![])
        .await
        .id;
    let group = server.group_in(tenant, &format!("Staff {n}")).await.id;
    let app = apps::create(
        &server.svc,
        &op,
        tenant,
        new_app(&format!("Wiki {n}"), false, vec![]),
    )
    .await
    .unwrap()
    .id;
    guestlist::service::groups::add_member(&server.svc, &op, tenant, &group, &user)
        .await
        .unwrap();
    let assignment = AssignmentInput {
        principal_type: "user".into(),
        principal_id: user.clone(),
        app_role: String::new(),
    };
    apps::assign(&server.svc, &op, tenant, &app, assignment)
        .await
        .unwrap();
    let outcome = invitations::invite(
        &server.svc,
        &op,
        tenant,
        invite_request(&format!("partner{n}@northwind.example")),
        None,
    )
    .await
    .unwrap();
    let InviteOutcome::Created {
        invitation_id,
        user_id,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    let idp = guestlist::service::federation::create(
        &server.svc,
        &op,
        tenant,
        guestlist::service::federation::NewIdentityProvider {
            display_name: format!("Partner IdP {n}"),
            issuer: Some(format!("https://127.0.0.1:{}/idp{n}", free_port())),
            client_id: format!("client-{n}"),
            client_secret: "a secret".into(),
            domains: vec![format!("partner{n}.example")],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let webhook = guestlist::service::webhooks::create(
        &server.svc,
        &op,
        tenant,
        guestlist::service::webhooks::NewWebhook {
            url: format!("https://hooks{n}.example/in"),
            events: vec!["*".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .webhook
    .id;
    // Adding it was itself an event it subscribed to: the first message of its log.
    let delivery = guestlist::service::webhooks::deliveries(&server.svc, &op, tenant, &webhook)
        .await
        .unwrap()[0]
        .id
        .clone();
    Objects {
        user,
        group,
        app,
        invitation: invitation_id,
        guest: user_id,
        idp,
        webhook,
        delivery,
    }
}

fn new_app(name: &str, first_party: bool, scopes: Vec<&str>) -> NewApp {
    NewApp {
        name: name.into(),
        redirect_uris: vec![REDIRECT.into()],
        post_logout_redirect_uris: vec![],
        public: false,
        first_party,
        assignment_required: false,
        signing_alg: "RS256".into(),
        optional_claims: vec![],
        allowed_scopes: scopes.into_iter().map(str::to_string).collect(),
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
    }
}

/// The path of a route with its placeholders filled from `o`.
fn fill(template: &str, slug: &str, o: &Objects) -> String {
    fill_mixed(template, slug, o, o)
}

/// The path of a route with `{id}` filled from `o` and the principal it names (`{userId}`,
/// `{principalId}`) from `principals`, so that one path can name objects of two tenants.
fn fill_mixed(template: &str, slug: &str, o: &Objects, principals: &Objects) -> String {
    let mut out = Vec::new();
    let mut previous = "";
    for segment in template.split('/') {
        let filled = match segment {
            "{slug}" => slug,
            "{userId}" | "{principalId}" => &principals.user,
            "{principalType}" => "user",
            "{delivery}" => &o.delivery,
            "{id}" => match previous {
                "users" if template.ends_with("/resend-invitation") => &o.guest,
                "users" if template.ends_with("/reset-redemption") => &o.guest,
                "users" if template.ends_with("/sponsors") => &o.guest,
                "users" => &o.user,
                "groups" => &o.group,
                "apps" => &o.app,
                "identity-providers" => &o.idp,
                "webhooks" => &o.webhook,
                "invitations" | "upload" => &o.invitation,
                "batches" => &o.invitation,
                other => panic!("no id for {other} in {template}"),
            },
            s if s.starts_with('{') => panic!("unknown placeholder {s} in {template}"),
            s => s,
        };
        out.push(filled.to_string());
        previous = segment;
    }
    out.join("/")
}

/// Takes `user_id`'s roles away (leaving `roles`) in the store, behind the services' back, as a change
/// of another process would look to this one: no grant is revoked, so the tokens issued before meet
/// the role check at their next use. (Through the services, removing a role revokes the user's grants;
/// `a_persons_admin_token_works_only_while_they_hold_the_role` checks that.)
async fn set_roles_behind_the_services_back(server: &TestServer, user_id: &str, roles: &[Role]) {
    let (id, roles) = (user_id.to_string(), RoleSet::of(roles));
    server
        .svc
        .store
        .write(move |c| guestlist::store::queries::users::set_roles(c, &id, roles))
        .await
        .unwrap();
}

/// A caller: its token (if any) and the tenant that issued it.
struct Caller {
    who: Who,
    token: Option<String>,
    home: &'static str,
}

/// Everyone of [`EVERYONE`], set up in contoso (and fabrikam for the outsiders).
async fn cast(server: &TestServer) -> Vec<Caller> {
    let op = Actor::operator();
    let svc = &server.svc;
    let tools = server.app(|a| a.first_party = true).await;
    for (email, roles) in [
        ("root@contoso.example", vec![Role::Admin]),
        ("ops@contoso.example", vec![Role::Admin, Role::Operator]),
        ("ivy@contoso.example", vec![Role::GuestInviter]),
        ("fay@contoso.example", vec![Role::Admin]),
        ("pat@contoso.example", vec![]),
    ] {
        server.member_in(&server.tenant, email, roles).await;
    }
    let admin_api = admin_api(server).await;
    let (_, guest_browser) = redeemed_guest(&admin_api, "gus@fabrikam.example").await;
    let guest = guest_token(server, &guest_browser, &tools).await;
    let former = user_token(server, &tools, "fay@contoso.example").await;
    let fay = users::list(svc, &op, &server.tenant, Default::default())
        .await
        .unwrap()
        .value
        .into_iter()
        .find(|u| u.mail == "fay@contoso.example")
        .unwrap();
    set_roles_behind_the_services_back(server, &fay.id, &[]).await;
    let invite_app = server
        .app(|a| a.allowed_scopes = vec![INVITE_SCOPE.into()])
        .await;
    let deleted = server
        .app(|a| a.allowed_scopes = vec![ADMIN_SCOPE.into()])
        .await;
    let deleted_token = client_token(server, &server.issuer(), &deleted, ADMIN_SCOPE).await;
    apps::delete(svc, &op, &server.tenant, &deleted.id, None)
        .await
        .unwrap();
    let own_scope = server
        .app(|a| a.allowed_scopes = vec!["api.read".into()])
        .await;

    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "boss@fabrikam.example", vec![Role::Admin])
        .await;
    let their_tools = apps::create(svc, &op, &fabrikam, new_app("Tools", true, vec![]))
        .await
        .unwrap();
    let (_, tokens) = sign_in_through(
        server,
        &fabrikam.issuer,
        &their_tools,
        "boss@fabrikam.example",
    )
    .await;
    let their_admin = tokens["access_token"].as_str().unwrap().to_string();
    let their_app = apps::create(
        svc,
        &op,
        &fabrikam,
        new_app("Daemon", false, vec![ADMIN_SCOPE]),
    )
    .await
    .unwrap();
    let their_app_token = client_token(server, &fabrikam.issuer, &their_app, ADMIN_SCOPE).await;

    let caller = |who, token: Option<String>, home| Caller { who, token, home };
    vec![
        caller(Who::Anonymous, None, "contoso"),
        caller(Who::Forged, Some("not.a.token".into()), "contoso"),
        caller(
            Who::Member,
            Some(user_token(server, &tools, "pat@contoso.example").await),
            "contoso",
        ),
        caller(Who::Guest, Some(guest), "contoso"),
        caller(Who::FormerAdmin, Some(former), "contoso"),
        caller(
            Who::GuestInviter,
            Some(user_token(server, &tools, "ivy@contoso.example").await),
            "contoso",
        ),
        caller(
            Who::Admin,
            Some(user_token(server, &tools, "root@contoso.example").await),
            "contoso",
        ),
        caller(
            Who::Operator,
            Some(user_token(server, &tools, "ops@contoso.example").await),
            "contoso",
        ),
        caller(Who::OtherTenantsAdmin, Some(their_admin), "contoso"),
        caller(
            Who::InviteApp,
            Some(client_token(server, &server.issuer(), &invite_app, INVITE_SCOPE).await),
            "contoso",
        ),
        caller(Who::AdminApp, Some(admin_api.token.clone()), "contoso"),
        caller(Who::DeletedApp, Some(deleted_token), "contoso"),
        caller(Who::OtherTenantsApp, Some(their_app_token), "contoso"),
        caller(
            Who::WrongAudience,
            Some(client_token(server, &server.issuer(), &own_scope, "api.read").await),
            "contoso",
        ),
    ]
}

/// A `client_credentials` token of `app` at `issuer`.
async fn client_token(server: &TestServer, issuer: &str, app: &CreatedApp, scope: &str) -> String {
    app_token(
        server,
        issuer,
        &app.client_id,
        app.client_secret.as_deref().unwrap(),
        scope,
    )
    .await
}

/// The audit events of `tenant`: `Access denied` ones, and all others (every change is audited, so
/// the others count the changes).
async fn audit_counts(server: &TestServer, tenant: &Tenant) -> (usize, usize) {
    let tenant_id = tenant.id.clone();
    let events = server
        .svc
        .store
        .read(move |c| guestlist::store::queries::audit::recent(c, &tenant_id, 100_000))
        .await
        .unwrap();
    let denied = events
        .iter()
        .filter(|e| e.event_name == "Access denied")
        .count();
    (denied, events.len() - denied)
}

/// The number of `Access denied` events of `tenant`.
async fn denials(server: &TestServer, tenant: &Tenant) -> usize {
    audit_counts(server, tenant).await.0
}

#[actix_web::test]
async fn every_api_route_answers_every_caller_as_the_table_says() {
    let server = TestServer::start().await;
    let routes: Vec<(&str, &str)> = guestlist::http::api::ROUTES.to_vec();
    for (method, path) in &routes {
        assert!(
            API_ROWS.iter().any(|(m, p, _)| m == method && p == path),
            "{method} {path} is served but has no row in the authorization table"
        );
    }
    for (method, path, _) in API_ROWS {
        assert!(
            routes.contains(&(*method, *path)),
            "{method} {path} has a row but is not served"
        );
    }
    let callers = cast(&server).await;
    assert_eq!(
        callers.iter().map(|c| c.who).collect::<Vec<_>>(),
        EVERYONE,
        "every kind of caller is in the cast"
    );
    let mut failures = Vec::new();
    for (n, caller) in callers.iter().enumerate() {
        let o = objects_in(&server, &server.tenant, n).await;
        let (denied_before, changes_before) = audit_counts(&server, &server.tenant).await;
        let mut refused = 0;
        for (method, template, class) in API_ROWS {
            let body = if matches!(*method, "POST" | "PUT" | "PATCH") {
                Body::Json(json!({}))
            } else {
                Body::None
            };
            let a = send(
                &server,
                method,
                &fill(template, "contoso", &o),
                caller.token.as_deref(),
                body,
                &[("if-match", "*"), ("x-guestlist-tenant", caller.home)],
            )
            .await;
            let wanted = expect(*class, caller.who);
            let ok = match wanted {
                Unauthenticated => a.status == 401,
                Denied => a.status == 403,
                Allowed => !matches!(a.status, 401 | 403) && a.status < 500,
            };
            if !ok {
                failures.push(format!(
                    "{:?} {method} {template}: expected {wanted:?}, got {a}",
                    caller.who
                ));
            }
            if a.status == 403 {
                refused += 1;
            }
            if a.status == 401 {
                assert!(
                    a.header("www-authenticate").is_some(),
                    "{method} {template}"
                );
            }
        }
        // Each refusal is one `Access denied` event.
        let (denied_after, changes_after) = audit_counts(&server, &server.tenant).await;
        let recorded = denied_after - denied_before;
        if recorded != refused {
            failures.push(format!(
                "{:?}: {refused} refusals but {recorded} audit events",
                caller.who
            ));
        }
        // Whoever may not administer changed nothing at all: no audited change (with `{}` bodies,
        // even an allowed invitation is bad input).
        if !matches!(caller.who, Who::Admin | Who::Operator | Who::AdminApp)
            && changes_after != changes_before
        {
            failures.push(format!(
                "{:?}: {} changes were made",
                caller.who,
                changes_after - changes_before
            ));
        }
        // Whoever may not administer changed nothing of what they were pointed at.
        if !matches!(caller.who, Who::Admin | Who::Operator | Who::AdminApp) {
            let op = Actor::operator();
            let t = &server.tenant;
            let user = users::get(&server.svc, &op, t, &o.user).await.unwrap();
            assert!(user.user.account_enabled, "{:?}", caller.who);
            guestlist::service::groups::get(&server.svc, &op, t, &o.group)
                .await
                .unwrap_or_else(|e| panic!("{:?} left the group: {e}", caller.who));
            apps::get(&server.svc, &op, t, &o.app)
                .await
                .unwrap_or_else(|e| panic!("{:?} left the app: {e}", caller.who));
            let inv = follow_up::get(&server.svc, &op, t, &o.invitation)
                .await
                .unwrap();
            assert_eq!(inv.status, "PendingAcceptance", "{:?}", caller.who);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------------
// Another tenant's objects.

/// A body with which `method template` succeeds on the tenant's own objects (the principal an
/// assignment names comes from `principals`), so that a 404 with another tenant's ids can only come
/// from the id.
fn body_for(method: &str, template: &str, principals: &Objects) -> Body {
    let rename = |field: &str| Body::Json(json!({ field: "Renamed" }));
    match (
        method,
        template.rsplit('/').nth(1),
        template.rsplit('/').next(),
    ) {
        ("PATCH", Some("users" | "groups" | "identity-providers"), _) => rename("displayName"),
        ("PATCH", Some("apps"), _) => rename("name"),
        ("PATCH", Some("webhooks"), _) => rename("description"),
        ("POST", _, Some("assignments")) => Body::Json(json!({
            "principalType": "group",
            "principalId": principals.group,
        })),
        ("PUT", _, Some("sponsors")) => Body::Json(json!({ "sponsors": [] })),
        _ => Body::None,
    }
}

/// Whether a route names a principal besides its object (in the path or, for assignments, the body).
fn names_a_principal(template: &str) -> bool {
    template.contains("{userId}")
        || template.contains("{principalId}")
        || template.ends_with("/assignments")
}

/// Sends `method template` as contoso's admin with `{id}` from `o` and the principal from
/// `principals`, as a request that would succeed if both were contoso's.
async fn as_contoso_admin(
    api: &Api<'_>,
    method: &str,
    template: &str,
    o: &Objects,
    principals: &Objects,
) -> Answer {
    send(
        api.server,
        method,
        &fill_mixed(template, "contoso", o, principals),
        Some(&api.token),
        body_for(method, template, principals),
        &[("if-match", "*")],
    )
    .await
}

#[actix_web::test]
async fn another_tenants_ids_are_not_found_on_every_api_that_takes_ids() {
    let server = TestServer::start().await;
    let api = admin_api(&server).await;
    let fabrikam = server.fabrikam().await;
    let theirs = objects_in(&server, &fabrikam, 0).await;
    let ours = objects_in(&server, &server.tenant, 1).await;
    let fabrikam_before = audit_counts(&server, &fabrikam).await;
    let contoso_before = audit_counts(&server, &server.tenant).await;
    let with_ids: Vec<(&str, &str)> = guestlist::http::api::ROUTES
        .iter()
        .copied()
        // A tenant's own routes: the operators' (no `{slug}`) are not a tenant admin's to call.
        .filter(|(_, path)| path.contains("{slug}"))
        .filter(|(_, path)| {
            path.replace("{slug}", "").contains('{') || path.ends_with("/assignments")
        })
        .collect();
    assert!(with_ids.len() >= 18, "{with_ids:?}");

    // Their object, their principal; ours with theirs; theirs with ours: never found.
    let mut failures = Vec::new();
    for (method, template) in &with_ids {
        let mut mixes = vec![("theirs", &theirs, &theirs)];
        if names_a_principal(template) {
            mixes.push(("ours with their principal", &ours, &theirs));
            mixes.push(("theirs with our principal", &theirs, &ours));
        }
        for (mix, o, principals) in mixes {
            let a = as_contoso_admin(&api, method, template, o, principals).await;
            if a.status != 404 {
                failures.push(format!("{method} {template} ({mix}): {a}"));
            }
        }
    }
    // Ids in bodies: an assignment of their user, a redemption reset of their guest.
    let assign_theirs = api
        .post(
            &format!("{API}/apps/{}/assignments", ours.app),
            json!({ "principalType": "user", "principalId": theirs.user }),
        )
        .await;
    if assign_theirs.status != 404 {
        failures.push(format!("assigning their user: {assign_theirs}"));
    }
    let reset = |guest: &str| {
        json!({
            "invitedUserEmailAddress": "partner@northwind.example",
            "inviteRedirectUrl": "https://moodle.example/",
            "resetRedemption": true,
            "invitedUser": { "id": guest },
        })
    };
    let reset_theirs = api
        .post(&format!("{API}/invitations"), reset(&theirs.guest))
        .await;
    if reset_theirs.status != 404 {
        failures.push(format!(
            "resetting their guest's redemption: {reset_theirs}"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        audit_counts(&server, &server.tenant).await,
        contoso_before,
        "nothing happened in contoso"
    );

    // A file naming their app or group fails those rows only.
    let csv = format!(
        "Email,DisplayName,InvitedToApplications,InvitedToGroups\n\
         ann@northwind.example,Ann,{},\n\
         ben@northwind.example,Ben,,{}\n\
         cy@northwind.example,Cy,{},{}\n",
        theirs.app, theirs.group, ours.app, ours.group
    );
    let upload = api
        .post_raw(
            &format!("{API}/invitations/csv"),
            "text/csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(upload.status, 200, "{upload}");
    let report = upload.json();
    let outcomes: Vec<(&str, &str)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(outcomes[0].0, "failed", "{report}");
    assert!(outcomes[0].1.contains(&theirs.app), "{report}");
    assert_eq!(outcomes[1].0, "failed", "{report}");
    assert!(outcomes[1].1.contains(&theirs.group), "{report}");
    assert_eq!(outcomes[2].0, "created", "{report}");
    for email in ["ann@northwind.example", "ben@northwind.example"] {
        assert!(
            server
                .find_user_by_mail(&server.tenant, email)
                .await
                .is_none(),
            "nothing of {email}'s row was created"
        );
    }

    // The same requests on contoso's own objects succeed (each on objects of its own, as some delete):
    // the 404s above came from the ids.
    for (n, (method, template)) in with_ids.iter().enumerate() {
        let fresh = objects_in(&server, &server.tenant, 10 + n).await;
        let a = as_contoso_admin(&api, method, template, &fresh, &fresh).await;
        if !a.is_success() {
            failures.push(format!("{method} {template} on our own objects: {a}"));
        }
    }
    let reset_ours = api
        .post(&format!("{API}/invitations"), reset(&ours.guest))
        .await;
    if !reset_ours.is_success() {
        failures.push(format!("resetting our guest's redemption: {reset_ours}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Fabrikam's objects are as they were, and nothing was recorded there.
    let op = Actor::operator();
    let user = users::get(&server.svc, &op, &fabrikam, &theirs.user)
        .await
        .unwrap();
    assert!(user.user.account_enabled);
    assert_eq!(user.user.display_name, "someone0");
    let group = guestlist::service::groups::get(&server.svc, &op, &fabrikam, &theirs.group)
        .await
        .unwrap();
    assert_eq!(group.group.display_name, "Staff 0");
    assert_eq!(
        group.members.iter().map(|m| &m.id).collect::<Vec<_>>(),
        [&theirs.user]
    );
    let app = apps::get(&server.svc, &op, &fabrikam, &theirs.app)
        .await
        .unwrap();
    assert_eq!(app.app.name, "Wiki 0");
    assert_eq!(
        app.assignments
            .iter()
            .map(|a| a.principal_id.as_str())
            .collect::<Vec<_>>(),
        [theirs.user.as_str()]
    );
    let invitation = follow_up::get(&server.svc, &op, &fabrikam, &theirs.invitation)
        .await
        .unwrap();
    assert_eq!(invitation.status, "PendingAcceptance");
    assert_eq!(audit_counts(&server, &fabrikam).await, fabrikam_before);
}

// ---------------------------------------------------------------------------------------------------
// The console.

/// The console's own routes that anyone may call (signing in and out).
const CONSOLE_PUBLIC: &[(&str, &str, u16)] = &[
    ("GET", "", 303),
    ("GET", "/", 303),
    ("GET", "/login", 303),
    ("GET", "/callback", 400),
    ("POST", "/signout", 400),
];

/// A console cookie holding `token`, as the console sets it after sign-in.
fn console_browser(server: &TestServer, token: Option<&str>) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    if let Some(t) = token {
        let url: reqwest::Url = server.url("/admin/t/contoso/").parse().unwrap();
        jar.add_cookie_str(&format!("gl_console={t}; Path=/admin/t/contoso/"), &url);
    }
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A token of the console's own (public) app for `email`, as its sign-in would get one.
async fn console_token(server: &TestServer, tenant: &Tenant, email: &str) -> String {
    let verifier = "a-verifier-long-enough-for-pkce-0123456789abcdefghijk";
    let challenge = guestlist::domain::pkce::s256_challenge(verifier);
    let callback = format!("{}/admin/t/{}/callback", server.base, tenant.slug);
    // The console app exists once someone opened the console's sign-in.
    let login = server
        .browser()
        .get(&format!("/admin/t/{}/login", tenant.slug))
        .await;
    let status = login.status().as_u16();
    assert_eq!(status, 303, "{}", login.text().await.unwrap());
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &console_client_id(&tenant.slug))
        .append_pair("redirect_uri", &callback)
        .append_pair("scope", "openid guestlist.admin")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let browser = server.browser();
    let start = format!("{}/authorize?{query}", tenant.issuer);
    let step = follow_flow(
        &browser.client,
        |url| browser.absolute(url),
        |url| url.starts_with(&callback),
        &start,
        email,
        "accept",
    )
    .await;
    let Step::Callback(back) = step else {
        panic!("{email} did not get back to the console");
    };
    let (code, client_id) = (code_of(&back), console_client_id(&tenant.slug));
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", client_id.as_str()),
        ("code", code.as_str()),
        ("redirect_uri", callback.as_str()),
        ("code_verifier", verifier),
    ];
    let answer = token_call(&server.rp_http(), &tenant.issuer, None, &form).await;
    answer.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_string()
}

#[actix_web::test]
async fn every_console_route_answers_every_caller_as_the_table_says() {
    let server = TestServer::start().await;
    let op = Actor::operator();
    for (email, roles) in [
        ("root@contoso.example", vec![Role::Admin]),
        ("fay@contoso.example", vec![Role::Admin]),
        ("pat@contoso.example", vec![]),
    ] {
        server.member_in(&server.tenant, email, roles).await;
    }
    let fabrikam = server.fabrikam().await;
    server
        .member_in(&fabrikam, "boss@fabrikam.example", vec![Role::Admin])
        .await;
    let admin = console_token(&server, &server.tenant, "root@contoso.example").await;
    let member = console_token(&server, &server.tenant, "pat@contoso.example").await;
    let former = console_token(&server, &server.tenant, "fay@contoso.example").await;
    let fay = users::list(&server.svc, &op, &server.tenant, Default::default())
        .await
        .unwrap()
        .value
        .into_iter()
        .find(|u| u.mail == "fay@contoso.example")
        .unwrap();
    set_roles_behind_the_services_back(&server, &fay.id, &[]).await;
    let theirs = console_token(&server, &fabrikam, "boss@fabrikam.example").await;
    let o = objects_in(&server, &server.tenant, 0).await;

    // What each caller gets from a route that needs the console: the sign-in, a refusal, or the page.
    let login = "/admin/t/contoso/login";
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Gets {
        SignIn,
        Refused,
        Page,
    }
    let callers = [
        ("anonymous", None, Gets::SignIn),
        ("member", Some(member), Gets::SignIn),
        ("former admin", Some(former), Gets::Refused),
        ("other tenant's admin", Some(theirs), Gets::SignIn),
        ("admin", Some(admin), Gets::Page),
    ];
    let routes = guestlist::http::admin::CONSOLE_ROUTES;
    assert!(routes.len() >= 35, "the console's routes: {}", routes.len());
    let mut failures = Vec::new();
    for (who, token, gets) in callers {
        let client = console_browser(&server, token.as_deref());
        // The CSRF pair of this browser (its cookie stays in the jar), so an admin's forms get past it.
        let page = client
            .get(server.url("/admin/t/contoso/users"))
            .send()
            .await
            .unwrap();
        let csrf = hidden(&page.text().await.unwrap(), "csrf").unwrap_or_default();
        assert!(
            gets != Gets::Page || !csrf.is_empty(),
            "the admin's console page carries a CSRF token"
        );
        let changes_before = audit_counts(&server, &server.tenant).await.1;
        for (method, full) in routes {
            let suffix = full.trim_start_matches("/admin/t/{slug}");
            let path = fill(full, "contoso", &o);
            let public = CONSOLE_PUBLIC
                .iter()
                .find(|(m, p, _)| m == method && *p == suffix);
            let req = match (*method, public) {
                ("GET", _) => client.get(server.url(&path)),
                // Signing out takes no form here: the sweep must not end the admin's session.
                (_, Some(_)) => client.post(server.url(&path)).form(&[("action", "none")]),
                _ => client
                    .post(server.url(&path))
                    .form(&[("csrf", csrf.as_str()), ("action", "none")]),
            };
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_string();
            if let Some((_, _, expected)) = public {
                if status != *expected {
                    failures.push(format!("{who} {method} {suffix}: {status}, not {expected}"));
                }
                continue;
            }
            let text = resp.text().await.unwrap_or_default();
            let ok = match gets {
                Gets::SignIn => status == 303 && location.starts_with(login),
                Gets::Refused => status == 403,
                // Past the console's door and past its CSRF check: the form's own answer.
                Gets::Page => {
                    status < 500
                        && status != 403
                        && !location.starts_with(login)
                        && !text.contains("This form has expired")
                }
            };
            if !ok {
                failures.push(format!(
                    "{who} {method} {suffix}: {status} {location}, expected {gets:?}"
                ));
            }
        }
        let changes = audit_counts(&server, &server.tenant).await.1 - changes_before;
        if gets != Gets::Page && changes != 0 {
            failures.push(format!("{who} made {changes} changes"));
        }
    }
    for (method, suffix, _) in CONSOLE_PUBLIC {
        assert!(
            routes
                .iter()
                .any(|(m, p)| m == method && p.trim_start_matches("/admin/t/{slug}") == *suffix),
            "{method} {suffix} is listed as public but not served"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Nothing the refused callers pointed at changed.
    let user = users::get(&server.svc, &op, &server.tenant, &o.user)
        .await
        .unwrap();
    assert!(user.user.account_enabled);
}

// ---------------------------------------------------------------------------------------------------
// The attacks the rules stop, end to end.

/// The admin's invitation of a victim who redeemed it: the victim's object id and browser.
async fn redeemed_victim(admin: &Api<'_>) -> (String, Browser) {
    redeemed_guest(admin, "victim@fabrikam.example").await
}

/// Everything that binds a guest object to its person, as stored.
async fn binding(server: &TestServer, id: &str) -> Value {
    let u = users::get(&server.svc, &Actor::operator(), &server.tenant, id)
        .await
        .unwrap()
        .user;
    json!({
        "state": u.external_user_state,
        "signInName": u.sign_in_name,
        "homeIssuer": u.home_issuer,
        "mail": u.mail,
    })
}

#[actix_web::test]
async fn invite_scoped_apps_and_guest_inviters_cannot_take_over_anothers_invitation() {
    let server = TestServer::start().await;
    let admin = admin_api(&server).await;
    let tools = server.app(|a| a.first_party = true).await;
    server
        .member_in(
            &server.tenant,
            "ivy@contoso.example",
            vec![Role::GuestInviter],
        )
        .await;
    let invite_app = server
        .app(|a| a.allowed_scopes = vec![INVITE_SCOPE.into()])
        .await;
    let attackers = [
        (
            "an invite-scoped app",
            client_token(&server, &server.issuer(), &invite_app, INVITE_SCOPE).await,
            format!("app:{}", invite_app.client_id),
        ),
        (
            "a guest inviter",
            user_token(&server, &tools, "ivy@contoso.example").await,
            String::new(),
        ),
    ];
    // The victim: invited by the admin and redeemed; a second invitation of the admin's still pending.
    let (victim, victim_browser) = redeemed_victim(&admin).await;
    let pending = admin.invite("pending@fabrikam.example", false).await;
    let pending_id = pending["id"].as_str().unwrap().to_string();
    let pending_user = pending["invitedUser"]["id"].as_str().unwrap().to_string();
    let before = binding(&server, &victim).await;
    let victim_invitation =
        follow_up::list(&server.svc, &Actor::operator(), &server.tenant, None, None)
            .await
            .unwrap()
            .value
            .into_iter()
            .find(|i| i.invited_user.id == victim)
            .unwrap()
            .id;

    for (who, token, _) in &attackers {
        let api = Api {
            server: &server,
            token: token.clone(),
        };
        let denied_before = denials(&server, &server.tenant).await;
        for (path, body) in [
            (
                format!("{API}/invitations/{victim_invitation}/resend"),
                json!({}),
            ),
            (format!("{API}/invitations/{pending_id}/resend"), json!({})),
            (format!("{API}/users/{victim}/resend-invitation"), json!({})),
            (
                format!("{API}/users/{pending_user}/resend-invitation"),
                json!({}),
            ),
            (format!("{API}/users/{victim}/reset-redemption"), json!({})),
            (
                format!("{API}/invitations"),
                json!({ "invitedUserEmailAddress": "mallory@evil.example",
                        "inviteRedirectUrl": REDIRECT, "resetRedemption": true,
                        "invitedUser": { "id": victim } }),
            ),
        ] {
            let a = api.post(&path, body).await;
            assert_eq!(a.status, 403, "{who}: POST {path}: {a}");
            assert!(!a.text.contains("/invite/"), "{who} got a link: {a}");
        }
        for path in [
            format!("{API}/invitations/{victim_invitation}"),
            format!("{API}/invitations/{pending_id}"),
        ] {
            let a = api.get(&path).await;
            assert_eq!(a.status, 403, "{who}: GET {path}: {a}");
        }
        // The list holds only what the caller created: nothing of the admin's.
        let list = api.get(&format!("{API}/invitations")).await;
        assert_eq!(list.status, 200, "{list}");
        assert!(
            list.json()["value"].as_array().unwrap().is_empty(),
            "{who} lists others' invitations: {list}"
        );
        // A conflict on the victim's address names no object.
        let dup = api
            .post(
                &format!("{API}/invitations"),
                json!({ "invitedUserEmailAddress": "victim@fabrikam.example", "inviteRedirectUrl": REDIRECT }),
            )
            .await;
        assert_eq!(dup.status, 409, "{dup}");
        assert!(
            !dup.text.contains(&victim),
            "{who} learned the victim's id: {dup}"
        );
        // Invitees go only where the tenant's apps registered.
        let away = api
            .post(
                &format!("{API}/invitations"),
                json!({ "invitedUserEmailAddress": "x@fabrikam.example", "inviteRedirectUrl": "https://evil.example/" }),
            )
            .await;
        assert_eq!(away.status, 403, "{who}: {away}");
        // Every refusal is on the record as a denied attempt.
        assert_eq!(
            denials(&server, &server.tenant).await - denied_before,
            9,
            "{who}: one Access denied event per refusal"
        );
    }
    let events = admin.audit("Access denied").await;
    for (who, _, actor) in &attackers {
        if !actor.is_empty() {
            assert!(
                events.iter().any(|e| e["actor"] == actor.as_str()
                    && e["outcome"] == "denied"
                    && e["details"]["callerKind"] == "app"),
                "{who}'s attempts are audited with its identity: {events:?}"
            );
        }
    }

    // The victim's object kept its binding, its link and its access.
    assert_eq!(binding(&server, &victim).await, before);
    let pending_now = follow_up::get(&server.svc, &Actor::operator(), &server.tenant, &pending_id)
        .await
        .unwrap();
    assert_eq!(
        pending_now.status, "PendingAcceptance",
        "the admin's link still works"
    );
    assert!(
        server
            .browser()
            .get(pending["inviteRedeemUrl"].as_str().unwrap())
            .await
            .status()
            .is_success()
    );
    let token = guest_token(&server, &victim_browser, &tools).await;
    assert_eq!(
        common::jwt_claims(&token)["oid"],
        victim.as_str(),
        "the victim still signs in as themselves"
    );
}

#[actix_web::test]
async fn a_guest_inviter_follows_up_on_their_own_pending_invitations_only() {
    let server = TestServer::start().await;
    let tools = server.app(|a| a.first_party = true).await;
    server
        .member_in(
            &server.tenant,
            "ivy@contoso.example",
            vec![Role::GuestInviter],
        )
        .await;
    let ivy = Api {
        server: &server,
        token: user_token(&server, &tools, "ivy@contoso.example").await,
    };
    let mine = ivy
        .post(
            &format!("{API}/invitations"),
            json!({ "invitedUserEmailAddress": "kim@fabrikam.example", "inviteRedirectUrl": REDIRECT }),
        )
        .await;
    assert_eq!(mine.status, 201, "{mine}");
    let id = mine.json()["id"].as_str().unwrap().to_string();
    let list = ivy.get(&format!("{API}/invitations")).await.json();
    let ids: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let again = ivy
        .post(&format!("{API}/invitations/{id}/resend"), json!({}))
        .await;
    assert_eq!(again.status, 201, "their own pending invitation: {again}");
    // Revoking, and resetting what they invited, stay an admin's.
    let new_id = again.json()["id"].as_str().unwrap().to_string();
    let revoke = ivy
        .post(&format!("{API}/invitations/{new_id}/revoke"), json!({}))
        .await;
    assert_eq!(revoke.status, 403, "{revoke}");
    let user = mine.json()["invitedUser"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reset = ivy
        .post(&format!("{API}/users/{user}/reset-redemption"), json!({}))
        .await;
    assert_eq!(reset.status, 403, "{reset}");
    // Adding the guest to groups grants access: refused, and nothing is created.
    let group = server.group("Staff").await.id;
    let csv = format!("Email,DisplayName,InvitedToGroups\nlee@fabrikam.example,Lee,{group}\n");
    let upload = ivy
        .post_raw(
            &format!("{API}/invitations/csv"),
            "text/csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(upload.status, 403, "{upload}");
    let lee = server
        .find_user_by_mail(&server.tenant, "lee@fabrikam.example")
        .await;
    assert!(lee.is_none(), "nothing of the refused file was created");
}

// ---------------------------------------------------------------------------------------------------
// Tokens: for which resource, and for as long as their holder may act.

#[actix_web::test]
async fn access_tokens_name_their_resource_and_are_refused_elsewhere() {
    let server = TestServer::start().await;
    let tools = server.app(|a| a.first_party = true).await;
    server
        .member_in(&server.tenant, "root@contoso.example", vec![Role::Admin])
        .await;
    server.member("pat@contoso.example").await;
    let api_uri = server.url("/api/v1");
    let userinfo = format!("{}/userinfo", server.issuer());
    let aud = |jwt: &str| {
        let claims = common::jwt_claims(jwt);
        let mut all: Vec<String> = match &claims["aud"] {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
            other => panic!("aud {other}"),
        };
        all.sort();
        all
    };
    // An admin's token from the tenant's own app: for userinfo and for the admin API.
    let (_, tokens) =
        sign_in_through(&server, &server.issuer(), &tools, "root@contoso.example").await;
    let admins = tokens["access_token"].as_str().unwrap();
    let mut both = vec![api_uri.clone(), userinfo.clone()];
    both.sort();
    assert_eq!(aud(admins), both);
    assert!(
        tokens["scope"]
            .as_str()
            .unwrap()
            .contains("guestlist.admin")
    );
    // A member asking for the same gets no admin scope, and a token for userinfo only.
    let (_, tokens) =
        sign_in_through(&server, &server.issuer(), &tools, "pat@contoso.example").await;
    let members = tokens["access_token"].as_str().unwrap();
    assert!(
        !tokens["scope"].as_str().unwrap().contains("guestlist."),
        "{tokens}"
    );
    assert_eq!(aud(members), vec![userinfo.clone()]);
    let a = send(
        &server,
        "GET",
        &format!("{API}/users"),
        Some(members),
        Body::None,
        &[],
    )
    .await;
    assert_eq!(a.status, 401, "{a}");
    let ok = server
        .rp_http()
        .get(&userinfo)
        .bearer_auth(members)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    // RFC 8707: a client narrows a token to one resource; another resource refuses it.
    let daemon = server
        .app(|a| a.allowed_scopes = vec![ADMIN_SCOPE.into(), "api.read".into()])
        .await;
    let secret = daemon.client_secret.as_deref().unwrap();
    let (status, body) = token_endpoint(
        &server,
        &server.issuer(),
        &daemon.client_id,
        secret,
        &[
            ("grant_type", "client_credentials"),
            ("scope", ADMIN_SCOPE),
            ("resource", &api_uri),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let narrowed = body["access_token"].as_str().unwrap();
    assert_eq!(aud(narrowed), vec![api_uri.clone()]);
    let a = send(
        &server,
        "GET",
        &format!("{API}/users"),
        Some(narrowed),
        Body::None,
        &[],
    )
    .await;
    assert_eq!(a.status, 200, "{a}");
    let refused = server
        .rp_http()
        .get(&userinfo)
        .bearer_auth(narrowed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        401,
        "an admin API token is no userinfo token"
    );
    for (scope, resource, error) in [
        ("api.read", api_uri.as_str(), "invalid_target"),
        (
            ADMIN_SCOPE,
            "https://elsewhere.example/api",
            "invalid_target",
        ),
    ] {
        let (status, body) = token_endpoint(
            &server,
            &server.issuer(),
            &daemon.client_id,
            secret,
            &[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("resource", resource),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(error)),
            "{body}"
        );
    }
    // A token for the app's own scope names the tenant, not the admin API.
    let own = app_token(
        &server,
        &server.issuer(),
        &daemon.client_id,
        secret,
        "api.read",
    )
    .await;
    assert_eq!(aud(&own), [server.issuer()]);
    let a = send(
        &server,
        "GET",
        &format!("{API}/users"),
        Some(&own),
        Body::None,
        &[],
    )
    .await;
    assert_eq!(a.status, 401, "{a}");
}

/// `GET /users` with `token`: the status.
async fn users_status(server: &TestServer, token: &str) -> u16 {
    send(
        server,
        "GET",
        &format!("{API}/users"),
        Some(token),
        Body::None,
        &[],
    )
    .await
    .status
}

/// Introspection of `token` by `app`: whether it is active.
async fn active(server: &TestServer, app: &CreatedApp, token: &str) -> bool {
    let (http, issuer) = (server.rp_http(), server.issuer());
    let secret = app.client_secret.as_deref();
    introspect(&http, &issuer, &app.client_id, secret, token).await["active"] == true
}

#[actix_web::test]
async fn an_apps_tokens_end_when_it_is_disabled_deleted_or_given_a_new_secret() {
    let server = TestServer::start().await;
    let op = Actor::operator();
    let observer = server.app(|_| {}).await;
    let daemon = || server.app(|a| a.allowed_scopes = vec![ADMIN_SCOPE.into()]);

    let rotated = daemon().await;
    let token = client_token(&server, &server.issuer(), &rotated, ADMIN_SCOPE).await;
    assert_eq!(users_status(&server, &token).await, 200);
    assert!(active(&server, &observer, &token).await);
    apps::rotate_secret(&server.svc, &op, &server.tenant, &rotated.id)
        .await
        .unwrap();
    assert_eq!(
        users_status(&server, &token).await,
        401,
        "the old secret's token"
    );
    assert!(!active(&server, &observer, &token).await);

    let disabled = daemon().await;
    let token = client_token(&server, &server.issuer(), &disabled, ADMIN_SCOPE).await;
    assert_eq!(users_status(&server, &token).await, 200);
    let patch = guestlist::service::apps::manage::AppPatch {
        enabled: Some(false),
        ..Default::default()
    };
    apps::update(&server.svc, &op, &server.tenant, &disabled.id, patch, None)
        .await
        .unwrap();
    assert_eq!(
        users_status(&server, &token).await,
        401,
        "a disabled app's token"
    );
    assert!(!active(&server, &observer, &token).await);

    // The admin scope taken from an app ends what its tokens may do.
    let narrowed = daemon().await;
    let token = client_token(&server, &server.issuer(), &narrowed, ADMIN_SCOPE).await;
    let patch = guestlist::service::apps::manage::AppPatch {
        allowed_scopes: Some(vec!["api.read".into()]),
        ..Default::default()
    };
    apps::update(&server.svc, &op, &server.tenant, &narrowed.id, patch, None)
        .await
        .unwrap();
    assert_eq!(users_status(&server, &token).await, 403);

    let deleted = daemon().await;
    let token = client_token(&server, &server.issuer(), &deleted, ADMIN_SCOPE).await;
    apps::delete(&server.svc, &op, &server.tenant, &deleted.id, None)
        .await
        .unwrap();
    assert_eq!(
        users_status(&server, &token).await,
        401,
        "a deleted app's token"
    );
    assert!(!active(&server, &observer, &token).await);
}

#[actix_web::test]
async fn a_persons_admin_token_works_only_while_they_hold_the_role() {
    let server = TestServer::start().await;
    let tools = server.app(|a| a.first_party = true).await;
    let root = server
        .member_in(&server.tenant, "root@contoso.example", vec![Role::Admin])
        .await;
    server
        .member_in(&server.tenant, "deputy@contoso.example", vec![Role::Admin])
        .await;
    let token = user_token(&server, &tools, "root@contoso.example").await;
    assert_eq!(users_status(&server, &token).await, 200);
    // The role goes where no grant is revoked (another process's write): the token still carries
    // guestlist.admin, but the role it stood for is gone, and each use checks it.
    set_roles_behind_the_services_back(&server, &root.id, &[Role::GuestInviter]).await;
    assert_eq!(users_status(&server, &token).await, 403);
    let invite = send(
        &server,
        "POST",
        &format!("{API}/invitations"),
        Some(&token),
        Body::Json(json!({ "invitedUserEmailAddress": "kim@fabrikam.example", "inviteRedirectUrl": REDIRECT })),
        &[],
    )
    .await;
    assert_eq!(
        invite.status, 201,
        "an admin-scoped token of a guest inviter invites: {invite}"
    );
    // Through the services, taking a role away revokes the grants the person's tokens belong to.
    server
        .member_in(&server.tenant, "third@contoso.example", vec![Role::Admin])
        .await;
    let deputy = server
        .find_user_by_mail(&server.tenant, "deputy@contoso.example")
        .await
        .unwrap();
    let token = user_token(&server, &tools, "deputy@contoso.example").await;
    assert_eq!(users_status(&server, &token).await, 200);
    let patch = UserPatch {
        roles: Some(vec!["GuestInviter".into()]),
        ..Default::default()
    };
    users::update(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &deputy.id,
        patch,
        None,
    )
    .await
    .unwrap();
    assert_eq!(users_status(&server, &token).await, 401);
    // A third-party app never holds a person's admin token.
    let wiki = server.app(|_| {}).await;
    let passed = user_token(&server, &wiki, "deputy@contoso.example").await;
    assert!(
        !common::jwt_claims(&passed)["scope"]
            .as_str()
            .unwrap()
            .contains("guestlist.")
    );
    assert_eq!(users_status(&server, &passed).await, 401);
}
