//! The OpenAPI document of the admin API (`/api/v1/openapi.json`): a well-formed OpenAPI 3 document,
//! every operation secured and answering, and the same routes as the server registers.

mod common;

use common::*;
use guestlist::domain::user::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// What the API answers for a path or method it does not have (`api_not_found` in `src/http/mod.rs`).
const NO_SUCH_RESOURCE: &str = "there is no such API resource";

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn document(server: &TestServer) -> Value {
    let answer = send(server, "GET", "/api/v1/openapi.json", None, Body::None, &[]).await;
    assert_eq!(answer.status, 200);
    let content_type = answer.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    serde_json::from_str(&answer.text).expect("the document is JSON")
}

/// Every (METHOD, path template, operation) of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if let Some(op) = item.get(m) {
                out.push((m.to_ascii_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Every `$ref` anywhere in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("$ref", Value::String(s)) => out.push(s),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn the_document_is_openapi_3_with_secured_operations_and_resolvable_refs() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "OpenAPI 3.x: {}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");

    let ops = operations(&doc);
    assert!(!ops.is_empty());
    let mut operation_ids = BTreeSet::new();
    for (method, path, op) in &ops {
        let label = format!("{method} {path}");
        let responses = op["responses"].as_object();
        assert!(
            responses.is_some_and(|r| !r.is_empty()),
            "{label} documents its responses"
        );
        for code in responses.unwrap().keys() {
            assert!(
                code == "default" || code.parse::<u16>().is_ok_and(|c| (100..600).contains(&c)),
                "{label}: response {code}"
            );
        }
        let security = op
            .get("security")
            .or_else(|| doc.get("security"))
            .and_then(Value::as_array);
        assert!(
            security.is_some_and(|s| !s.is_empty()
                && s.iter().all(|r| r
                    .as_object()
                    .is_some_and(|r| !r.is_empty() && r.keys().all(|k| schemes.contains_key(k))))),
            "{label} requires a known security scheme: {security:?}"
        );
        // Each `{name}` of the path is a declared, required path parameter.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path" && p["required"] == true)
            .filter_map(|p| p["name"].as_str())
            .collect();
        let placeholders: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(declared, placeholders, "{label}: path parameters");
        if let Some(id) = op["operationId"].as_str() {
            assert!(
                operation_ids.insert(id.to_string()),
                "{label}: operationId {id} is used twice"
            );
        }
    }

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty(), "the document refers to its schemas");
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} points outside the document"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
}

#[actix_web::test]
async fn every_registered_route_is_documented() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    // The routes as the router registers them (`http::api::ROUTES`), but the document itself.
    let registered: BTreeSet<(String, String)> = guestlist::http::api::operations()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert!(
        registered.len() >= 39,
        "the router's routes: {registered:?}"
    );
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "registered, not documented: {undocumented:?}"
    );
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "documented, not served: {unregistered:?}"
    );
}

/// Fresh objects of each kind in contoso (`n` tells apart those of several walks), to fill the
/// placeholders of the document's paths.
struct Objects {
    user: String,
    group: String,
    app: String,
    invitation: String,
    idp: String,
    webhook: String,
    delivery: String,
}

async fn objects(server: &TestServer, n: usize) -> Objects {
    let user = server
        .member(&format!("someone{n}@contoso.example"))
        .await
        .id;
    let group = server.group(&format!("Staff {n}")).await.id;
    let app = server.app(|_| {}).await.id;
    let mut request = invite::invite_request(&format!("partner{n}@fabrikam.example"));
    request.send_email = false;
    let invitation_id = invite::invite(server, request).await.invitation_id;
    let idp = guestlist::service::federation::create(
        &server.svc,
        &guestlist::service::auth::Actor::operator(),
        &server.tenant,
        guestlist::service::federation::NewIdentityProvider {
            display_name: format!("Partner IdP {n}"),
            issuer: Some(format!("https://127.0.0.1:{}/idp", free_port())),
            client_id: "client".into(),
            client_secret: "a secret".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    let op = guestlist::service::auth::Actor::operator();
    let webhook = guestlist::service::webhooks::create(
        &server.svc,
        &op,
        &server.tenant,
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
    let delivery =
        guestlist::service::webhooks::deliveries(&server.svc, &op, &server.tenant, &webhook)
            .await
            .unwrap()[0]
            .id
            .clone();
    Objects {
        user,
        group,
        app,
        invitation: invitation_id,
        idp,
        webhook,
        delivery,
    }
}

fn fill(template: &str, o: &Objects) -> String {
    let mut previous = "";
    let mut out = Vec::new();
    for segment in template.split('/') {
        out.push(match segment {
            "{slug}" => "contoso",
            "{userId}" | "{principalId}" => o.user.as_str(),
            "{principalType}" => "user",
            "{delivery}" => o.delivery.as_str(),
            "{id}" => match previous {
                "users" => o.user.as_str(),
                "groups" => o.group.as_str(),
                "apps" => o.app.as_str(),
                "invitations" => o.invitation.as_str(),
                "identity-providers" => o.idp.as_str(),
                "webhooks" => o.webhook.as_str(),
                other => panic!("no id for {other} in {template}"),
            },
            s if s.starts_with('{') => panic!("unknown placeholder {s} in {template}"),
            s => s,
        });
        previous = segment;
    }
    out.join("/")
}

/// An admin who is also an operator, signed in through the tenant's own console: the caller who may
/// use every operation.
async fn operator_token(server: &TestServer) -> String {
    server
        .member_in(
            &server.tenant,
            "ops@contoso.example",
            vec![Role::Admin, Role::Operator],
        )
        .await;
    let console = server.app(|a| a.first_party = true).await;
    let token = user_token(server, &console, "ops@contoso.example").await;
    let scope = jwt_claims(&token)["scope"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        scope.contains("guestlist.admin"),
        "an admin API token: {scope}"
    );
    token
}

/// Sends every operation of the document once, as an admin and operator, with `{}` as the body of writes.
/// With `if_match`, updates and deletes get that `If-Match` (deletes then go last); without, they get none.
async fn walk(server: &TestServer, doc: &Value, token: &str, if_match: Option<&str>, n: usize) {
    let o = objects(server, n).await;
    let mut ops = operations(doc);
    ops.sort_by_key(|(m, _, _)| m == "DELETE");
    for (method, template, op) in ops {
        let path = fill(&template, &o);
        let mut headers = vec![("x-guestlist-tenant", "contoso")];
        if let Some(tag) = if_match {
            headers.push(("if-match", tag));
        }
        let body = if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
            Body::Json(json!({}))
        } else {
            Body::None
        };
        let answer = send(server, &method, &path, Some(token), body, &headers).await;
        let (status, text) = (answer.status, &answer.text);
        let content_type = answer.header("content-type").unwrap_or_default();
        let label = format!("{method} {path} (If-Match: {if_match:?})");
        assert!(status < 500, "{label} answered {status}: {text}");
        // An admin and operator may call everything: each request reaches its handler.
        assert!(
            !matches!(status, 401 | 403),
            "{label} refused the operator: {status} {text}"
        );
        if status >= 400 {
            assert_eq!(
                content_type, "application/problem+json",
                "{label}: {status} {text}"
            );
            let problem: Value = serde_json::from_str(text).unwrap();
            assert_eq!(problem["status"], status, "{label}");
            assert_ne!(
                problem["detail"], NO_SUCH_RESOURCE,
                "{label}: the documented route does not exist"
            );
        }
        // What it answered is in the document.
        assert!(
            op["responses"].get(status.to_string()).is_some(),
            "{label} answered {status}, which its documentation does not list: {text}"
        );
    }
}

#[actix_web::test]
async fn every_documented_operation_exists_and_answers_an_empty_request() {
    let server = TestServer::start().await;
    let doc = document(&server).await;
    let token = operator_token(&server).await;
    walk(&server, &doc, &token, None, 1).await;
    walk(&server, &doc, &token, Some("*"), 2).await;

    // The generic answer the walk tells apart is what an unknown route gets.
    for (method, path) in [
        ("GET", "/api/v1/tenants/contoso/nothing"),
        ("PUT", "/api/v1/tenants/contoso/users"),
        ("GET", "/api/v2/anything"),
    ] {
        let answer = send(&server, method, path, Some(&token), Body::None, &[]).await;
        assert_eq!(answer.status, 404, "{method} {path}");
        let problem: Value = serde_json::from_str(&answer.text).unwrap();
        assert_eq!(problem["detail"], NO_SUCH_RESOURCE, "{method} {path}");
    }
}
