//! The token endpoint over HTTP: its form is read in the handler (`http::oidc::token`), so it is fuzzed
//! where clients meet it. Any body and any client authentication get OAuth error JSON with 400 or 401
//! (413 for a body past the size limit), or tokens for a real client's valid grant; never a 5xx.

use crate::common::*;
use crate::http::{Fixture, check_json_answer, send};
use crate::requests::{Body, Request, request};
use crate::support::{cases, run_blocking};
use proptest::prelude::*;

const ROUTE: &str = "/t/{slug}/token";

/// The grant type a form names, when it names one once.
fn grant_type(body: &Body) -> Option<&str> {
    let Body::Form(params) = body else {
        return None;
    };
    let mut grants = params.iter().filter(|(k, _)| k == "grant_type");
    match (grants.next(), grants.next()) {
        (Some((_, v)), None) => Some(v.as_str()),
        _ => None,
    }
}

#[actix_web::test]
async fn token_requests_get_tokens_or_oauth_errors() {
    let server = TestServer::start().await;
    let fixture = Fixture::new(&server).await;
    let http = server.rp_http();
    run_blocking(
        cases(),
        || request("POST", ROUTE),
        move |runtime, request: Request| {
            let answer = send(
                runtime,
                &http,
                &fixture,
                "POST",
                "/t/contoso/token",
                &request,
            );
            check_json_answer(&answer)?;
            match answer.status {
                200 => {
                    let grant = grant_type(&request.body);
                    prop_assert!(
                        matches!(
                            grant,
                            Some("client_credentials" | "authorization_code" | "refresh_token")
                        ),
                        "tokens for {:?}: {}",
                        grant,
                        answer
                    );
                    let tokens = answer.json();
                    prop_assert!(tokens["access_token"].is_string(), "{}", answer);
                    prop_assert_eq!(tokens["token_type"].as_str(), Some("Bearer"));
                }
                // 413: a body past the size limit, still answered with OAuth error JSON.
                400 | 401 | 413 | 429 => {}
                other => prop_assert!(false, "{} for a token request: {}", other, answer),
            }
            Ok(())
        },
    )
    .await;
}
