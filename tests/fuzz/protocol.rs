//! Every protocol endpoint over HTTP, taken from `PROTOCOL_ROUTES` so a new one is covered without a
//! change here: generated requests (see `requests`) for the tenant and for tenants that do not exist get
//! a readable answer and never a 5xx. Endpoints that relying apps call answer errors with OAuth error
//! JSON; those people's browsers visit answer with a page, or a redirect to this server or to an address
//! an app registered. (The admin API gets the same treatment from `tests/e2e/schemathesis.sh`.)

use crate::common::*;
use crate::http::{Fixture, check_json_answer, check_page_answer, send};
use crate::requests::{Request, request};
use crate::support::{cases, run_blocking};
use guestlist::http::oidc::PROTOCOL_ROUTES;
use proptest::prelude::*;

/// Protocol routes that people's browsers visit: their refusals are pages, not JSON.
const BROWSER_ROUTES: &[&str] = &[
    "/t/{slug}/authorize",
    "/t/{slug}/authorize/resume",
    "/t/{slug}/logout",
];

/// A tenant slug: mostly the fixture's, sometimes one that does not exist or is odd in a path.
fn slug() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just("contoso".to_string()),
        1 => prop::sample::select(vec!["nope", "CONTOSO", "x%2Fy", "contoso%00", "default", "%E2%80%AE"])
            .prop_map(str::to_string),
        1 => "[a-z0-9-]{1,12}",
    ]
}

#[actix_web::test]
async fn every_protocol_endpoint_answers_cleanly() {
    let server = TestServer::start().await;
    let apps = Fixture::new(&server).await;
    // A few hundred requests in a local run, some thousands in CI.
    let per_route = (cases() / 20).max(20);
    for &(method, route) in PROTOCOL_ROUTES {
        let browser_facing = BROWSER_ROUTES.contains(&route);
        // Each route starts signed in afresh: the one before may have revoked the tokens.
        let fixture = apps.signed_in(&server).await;
        let http = server.rp_http();
        run_blocking(
            per_route,
            move || (slug(), request(method, route)),
            move |runtime, (slug, request): (String, Request)| {
                let path = route.replace("{slug}", &slug);
                let answer = send(runtime, &http, &fixture, method, &path, &request);
                let checked = if browser_facing {
                    check_page_answer(&answer, &fixture)
                } else {
                    check_json_answer(&answer)
                };
                checked.map_err(|e| TestCaseError::fail(format!("{method} {route}: {e}")))
            },
        )
        .await;
    }
}
