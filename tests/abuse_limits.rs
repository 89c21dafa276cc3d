//! Abuse limits as an attacker meets them: repeated wrong passwords and client secrets are answered 429
//! with `Retry-After` before anything is hashed or compared, other addresses and a device that signed
//! in before are not held back, forwarding headers count only from trusted proxies, one address cannot
//! fill the password queue, and one-time links, sign-ups, invitations and parked sign-in requests have
//! their limits too.

mod common;

use common::*;
use guestlist::config::Config;
use guestlist::service::invitations;

const SIGNIN: &str = "/t/contoso/signin";

/// Small limits, so a test reaches them in a few requests.
fn small_limits(c: &mut Config) {
    c.limits.sign_in_failures = 3;
    c.limits.address_failures = 100;
    c.limits.client_failures = 3;
    c.limits.base_delay = 30;
}

/// One password attempt by `browser` at contoso's sign-in page.
async fn attempt(browser: &Browser, email: &str, password: &str) -> reqwest::Response {
    browser
        .submit_form(
            SIGNIN,
            SIGNIN,
            &[("email", email), ("password", password), ("request", "")],
        )
        .await
}

fn retry_after(resp: &reqwest::Response) -> i64 {
    resp.headers()
        .get("retry-after")
        .unwrap_or_else(|| panic!("no Retry-After on the {} answer", resp.status()))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// How many audit events named `event` contoso has.
async fn audited(server: &TestServer, event: &str) -> usize {
    let tenant_id = server.tenant.id.clone();
    server
        .svc
        .store
        .read(move |c| guestlist::store::queries::audit::recent(c, &tenant_id, 100_000))
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_name == event)
        .count()
}

#[actix_web::test]
async fn repeated_wrong_passwords_wait_without_a_password_being_checked() {
    let server = TestServer::start_with(small_limits).await;
    server.member("ann@contoso.example").await;
    let attacker = server.browser_in("ko");
    for _ in 0..3 {
        let resp = attempt(&attacker, "ann@contoso.example", "wrong password").await;
        assert_eq!(resp.status(), 401);
    }
    assert_eq!(audited(&server, "Sign-in throttled").await, 1);
    // Now every attempt for the account from this address waits, even with the right password, and
    // nothing is checked: no further failure is recorded.
    for password in ["wrong again", PASSWORD] {
        let resp = attempt(&attacker, "ann@contoso.example", password).await;
        assert_eq!(resp.status(), 429);
        let wait = retry_after(&resp);
        assert!((1..=30).contains(&wait), "{wait}");
        let page = resp.text().await.unwrap();
        assert!(
            page.contains("초 후에 다시 시도하세요") && page.contains("name=\"password\""),
            "the sign-in page, in the page's language, says when to try again: {page}"
        );
    }
    assert_eq!(audited(&server, "Sign-in failure").await, 3);
    // Another account from the same address is not held back by this one's failures.
    server.member("bob@contoso.example").await;
    assert_eq!(
        attacker
            .sign_in_directly("contoso", "bob@contoso.example")
            .await
            .status(),
        303
    );
}

#[actix_web::test]
async fn a_success_forgets_the_failures_and_a_wait_once_served_doubles_the_next() {
    let server = TestServer::start_with(|c| {
        small_limits(c);
        // Waits are whole seconds of the clock: two seconds, so a first attempt within the same second
        // or the next still finds the wait.
        c.limits.base_delay = 2;
    })
    .await;
    server.member("ann@contoso.example").await;
    let browser = server.browser();
    for _ in 0..2 {
        assert_eq!(
            attempt(&browser, "ann@contoso.example", "nope")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        browser
            .sign_in_directly("contoso", "ann@contoso.example")
            .await
            .status(),
        303
    );
    // The success forgot both failures: two more are heard again.
    for _ in 0..2 {
        assert_eq!(
            attempt(&browser, "ann@contoso.example", "nope")
                .await
                .status(),
            401
        );
    }
    // The third imposes the first wait (2 s); once served, the next failure imposes twice as long.
    assert_eq!(
        attempt(&browser, "ann@contoso.example", "nope")
            .await
            .status(),
        401
    );
    let waiting = attempt(&browser, "ann@contoso.example", "nope").await;
    assert_eq!(waiting.status(), 429);
    assert!((1..=2).contains(&retry_after(&waiting)), "{waiting:?}");
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(
        attempt(&browser, "ann@contoso.example", "nope")
            .await
            .status(),
        401
    );
    let waiting = attempt(&browser, "ann@contoso.example", "nope").await;
    assert_eq!(waiting.status(), 429);
    assert!((3..=4).contains(&retry_after(&waiting)), "{waiting:?}");
    assert_eq!(audited(&server, "Sign-in throttled").await, 2);
}

#[actix_web::test]
async fn a_device_that_signed_in_before_is_not_held_back_by_failures_from_its_address() {
    let server = TestServer::start_with(small_limits).await;
    server.member("ann@contoso.example").await;
    let own_laptop = server.browser();
    assert_eq!(
        own_laptop
            .sign_in_directly("contoso", "ann@contoso.example")
            .await
            .status(),
        303
    );
    // Someone on the same network (the same address) guesses Ann's password.
    let attacker = server.browser();
    for _ in 0..3 {
        attempt(&attacker, "ann@contoso.example", "guess").await;
    }
    assert_eq!(
        attempt(&attacker, "ann@contoso.example", PASSWORD)
            .await
            .status(),
        429
    );
    // Ann's own browser carries its device cookie and signs in.
    assert_eq!(
        attempt(&own_laptop, "ann@contoso.example", PASSWORD)
            .await
            .status(),
        303
    );
    // Copying the device cookie to another account does not exempt that account.
    server.member("bob@contoso.example").await;
    for _ in 0..3 {
        attempt(&attacker, "bob@contoso.example", "guess").await;
    }
    assert_eq!(
        attempt(&own_laptop, "bob@contoso.example", PASSWORD)
            .await
            .status(),
        429,
        "Ann's device cookie is Ann's"
    );
}

#[actix_web::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    // Not trusted: whatever X-Forwarded-For says, the attempts count under the peer's address.
    let server = TestServer::start_with(small_limits).await;
    server.member("ann@contoso.example").await;
    for n in 0..4 {
        let spoofing = server.browser_with(&[("x-forwarded-for", &format!("203.0.113.{n}"))]);
        let status = attempt(&spoofing, "ann@contoso.example", "guess")
            .await
            .status();
        assert_eq!(status, if n < 3 { 401 } else { 429 }, "attempt {n}");
    }
    let audit = admin_api(&server).await.audit("Sign-in failure").await;
    assert!(
        audit.iter().all(|e| e["details"]["ip"] == "127.0.0.1"),
        "{audit:?}"
    );

    // Trusted (the test's loopback peer is the proxy): each forwarded address counts on its own, and
    // the audit names it.
    let server = TestServer::start_with(|c| {
        small_limits(c);
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    server.member("ann@contoso.example").await;
    let from_a = server.browser_with(&[("x-forwarded-for", "203.0.113.7")]);
    for _ in 0..3 {
        attempt(&from_a, "ann@contoso.example", "guess").await;
    }
    assert_eq!(
        attempt(&from_a, "ann@contoso.example", PASSWORD)
            .await
            .status(),
        429
    );
    let from_b = server.browser_with(&[("x-forwarded-for", "198.51.100.20")]);
    assert_eq!(
        attempt(&from_b, "ann@contoso.example", PASSWORD)
            .await
            .status(),
        303
    );
    let audit = admin_api(&server).await.audit("Sign-in failure").await;
    assert!(
        audit.iter().all(|e| e["details"]["ip"] == "203.0.113.7"),
        "{audit:?}"
    );
}

#[actix_web::test]
async fn one_address_failing_for_many_accounts_waits_for_all_of_them() {
    let server = TestServer::start_with(|c| {
        small_limits(c);
        c.limits.address_failures = 4;
    })
    .await;
    let browser = server.browser();
    for n in 0..4 {
        let email = format!("nobody{n}@contoso.example");
        assert_eq!(attempt(&browser, &email, "guess").await.status(), 401);
    }
    server.member("ann@contoso.example").await;
    let resp = attempt(&browser, "ann@contoso.example", PASSWORD).await;
    assert_eq!(resp.status(), 429);
    assert!(retry_after(&resp) > 0);
}

#[actix_web::test]
async fn wrong_client_secrets_wait_before_the_secret_is_compared() {
    let server = TestServer::start_with(small_limits).await;
    let app = server.app(|_| {}).await;
    let secret = app.client_secret.clone().unwrap();
    let http = server.rp_http();
    let issuer = server.issuer();
    let call = |secret: String| {
        let (http, issuer, client_id) = (http.clone(), issuer.clone(), app.client_id.clone());
        async move {
            token_call(
                &http,
                &issuer,
                Some((&client_id, &secret)),
                &[("grant_type", "client_credentials"), ("scope", "api.read")],
            )
            .await
        }
    };
    for _ in 0..3 {
        assert_eq!(call("wrong".into()).await.status, 401);
    }
    for secret in ["wrong".to_string(), secret.clone()] {
        let answer = call(secret).await;
        assert_eq!(answer.status, 429, "{answer}");
        assert_eq!(answer.json()["error"], "temporarily_unavailable");
        let wait: i64 = answer.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=30).contains(&wait));
    }
    // Another client of the same address is not held back.
    let other = server.app(|_| {}).await;
    let answer = token_call(
        &http,
        &issuer,
        Some((&other.client_id, other.client_secret.as_deref().unwrap())),
        &[("grant_type", "client_credentials"), ("scope", "api.read")],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer}");
}

#[actix_web::test]
async fn one_address_cannot_fill_the_password_queue() {
    // One hashing thread, two places per address: a burst from one address gets 429 for the rest,
    // while a sign-in from another address still gets its turn.
    let server = TestServer::start_with(|c| {
        c.password_hash_concurrency = 1;
        c.limits.password_checks_per_address = 2;
        c.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    server.member("ann@contoso.example").await;
    let flood: Vec<Browser> = (0..12)
        .map(|_| server.browser_with(&[("x-forwarded-for", "203.0.113.66")]))
        .collect();
    // Each flooding browser first fetches the form, so the burst below is only password checks.
    let mut forms = Vec::new();
    for b in &flood {
        forms.push(hidden(&b.page(SIGNIN).await, "csrf").unwrap());
    }
    let burst = flood.iter().zip(&forms).enumerate().map(|(n, (b, csrf))| {
        let email = format!("guess{n}@contoso.example");
        async move {
            b.post_form(
                SIGNIN,
                &[
                    ("csrf", csrf),
                    ("email", &email),
                    ("password", "guess"),
                    ("request", ""),
                ],
            )
            .await
            .status()
            .as_u16()
        }
    });
    let rightful = server.browser_with(&[("x-forwarded-for", "198.51.100.5")]);
    let (statuses, own) = tokio::join!(
        futures_util::future::join_all(burst),
        rightful.sign_in_directly("contoso", "ann@contoso.example")
    );
    assert_eq!(own.status(), 303, "the rightful sign-in got its turn");
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        refused > 0 && statuses.iter().all(|s| matches!(s, 401 | 429)),
        "{statuses:?}"
    );
}

#[actix_web::test]
async fn guessing_one_time_links_waits_after_the_limit() {
    let server = TestServer::start_with(|c| c.limits.link_failures = 3).await;
    let browser = server.browser();
    for n in 0..3 {
        let ticket = format!("{n:0>43}");
        let resp = browser.get(&format!("/invite/{ticket}")).await;
        assert_eq!(resp.status(), 404);
    }
    // Even a real link is not looked up from this address for a while.
    let invited = invite::invite_quietly(&server, &server.tenant, "ivy@fabrikam.example").await;
    let resp = browser.get(&invited.redeem_url).await;
    assert_eq!(resp.status(), 429);
    assert!(retry_after(&resp) > 0);
    // Reset links count against the same limit.
    let reset = browser
        .get(&format!("/t/contoso/reset/{}", "x".repeat(43)))
        .await;
    assert_eq!(reset.status(), 429);
}

#[actix_web::test]
async fn invitations_and_parked_sign_in_requests_have_budgets() {
    let server = TestServer::start_with(|c| {
        c.limits.invitations_per_hour = 2;
        c.limits.parked_requests = 2;
    })
    .await;
    let api = admin_api(&server).await;
    api.invite("one@fabrikam.example", false).await;
    api.invite("two@fabrikam.example", false).await;
    let third = api
        .post(
            &format!("{API}/invitations"),
            serde_json::json!({ "invitedUserEmailAddress": "three@fabrikam.example",
                                "inviteRedirectUrl": "https://moodle.example/" }),
        )
        .await;
    assert_eq!(third.status, 429, "{third}");
    assert!(third.header("retry-after").is_some());
    assert!(
        server
            .find_user_by_mail(&server.tenant, "three@fabrikam.example")
            .await
            .is_none(),
        "nothing of the refused invitation was made"
    );

    let app = server.app(|_| {}).await;
    let browser = server.browser();
    let start = authorize_url(&server.issuer(), &app.client_id);
    for _ in 0..2 {
        let resp = browser.get(&start).await;
        assert_eq!(resp.status(), 303);
        assert!(location(&resp).contains("/signin?request="));
    }
    let resp = browser.get(&start).await;
    assert_eq!(resp.status(), 429);
}

/// The operator's upload of `csv` to contoso: (outcome, reason) per address, in file order.
async fn upload_as_operator(server: &TestServer, csv: &str) -> Vec<(String, String, String)> {
    let report = invitations::invite_from_csv(
        &server.svc,
        &guestlist::service::auth::Actor::operator(),
        &server.tenant,
        invitations::CsvUpload {
            file_name: "partners.csv",
            bytes: csv.as_bytes(),
            max_rows: 100,
            validate_only: false,
        },
        &|_, _| {},
    )
    .await
    .expect("the upload is processed");
    report
        .rows
        .into_iter()
        .map(|r| (r.email, r.outcome, r.reason))
        .collect()
}

#[actix_web::test]
async fn a_csv_file_takes_its_rows_from_the_invitation_budget_and_gives_back_what_it_did_not_use() {
    let server = TestServer::start_with(|c| c.limits.invitations_per_hour = 4).await;
    // One invitation of the hour is spent before any file, by the same inviter.
    invite::invite_quietly(&server, &server.tenant, "known@fabrikam.example").await;

    // Two units are reserved for two valid rows; the known address uses none, so one goes back.
    let first = upload_as_operator(
        &server,
        "Email,DisplayName\nknown@fabrikam.example,Known\nann@fabrikam.example,Ann\n",
    )
    .await;
    let outcomes: Vec<_> = first
        .iter()
        .map(|(e, o, _)| (e.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("known@fabrikam.example", "exists"),
            ("ann@fabrikam.example", "created")
        ]
    );

    // Two of the four units are spent, so two of the three new addresses are invited: the known
    // address in front of them takes none of the two.
    let second = upload_as_operator(
        &server,
        "Email,DisplayName\nknown@fabrikam.example,Known\nben@fabrikam.example,Ben\n\
         cy@fabrikam.example,Cy\ndi@fabrikam.example,Di\n",
    )
    .await;
    let created: Vec<_> = second
        .iter()
        .filter(|(_, o, _)| o == "created")
        .map(|(e, _, _)| e.as_str())
        .collect();
    assert_eq!(created.len(), 2, "{second:?}");
    let refused: Vec<_> = second.iter().filter(|(_, o, _)| o == "failed").collect();
    assert_eq!(refused.len(), 1, "{second:?}");
    assert!(refused[0].2.contains("try again in"), "{second:?}");
    assert!(
        server
            .find_user_by_mail(&server.tenant, &refused[0].0)
            .await
            .is_none(),
        "nothing of the refused row was made"
    );

    // The budget is spent: a single invitation by the same inviter is refused too.
    let next = invite::try_invite_in(
        &server,
        &server.tenant,
        invite::invite_request("eve@fabrikam.example"),
    )
    .await;
    assert!(
        matches!(next, Err(guestlist::error::Error::Throttled { .. })),
        "{next:?}"
    );
}

#[actix_web::test]
async fn sign_ups_have_an_hourly_budget_per_address() {
    let server = TestServer::start_with(|c| c.limits.sign_ups_per_hour = 1).await;
    let open = create_tenant_with(
        &server.svc,
        "fabrikam",
        "Fabrikam",
        "fabrikam.example",
        true,
    )
    .await;
    let url = format!("/t/{}/signup", open.slug);
    let sign_up = |email: &'static str| {
        let (browser, url) = (server.browser(), url.clone());
        async move {
            browser
                .submit_form(
                    &url,
                    &url,
                    &[
                        ("email", email),
                        ("display_name", "New"),
                        ("password", PASSWORD),
                        ("confirm_password", PASSWORD),
                    ],
                )
                .await
                .status()
        }
    };
    assert_eq!(sign_up("new1@fabrikam.example").await, 200);
    assert_eq!(sign_up("new2@fabrikam.example").await, 429);
}

/// Sends a request head announcing `length` bytes of body and no body at all, then reads the answer:
/// a server that wanted the body first would never answer within the wait.
async fn announce(server: &TestServer, path: &str, length: usize, token: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/csv\r\nContent-Length: {length}\r\n{auth}\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 1024];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..n]).to_string()
}

#[actix_web::test]
async fn large_bodies_are_refused_before_they_are_read() {
    let server = TestServer::start().await;
    let path = format!("{API}/invitations/csv");
    // Without a token: refused before a byte of the (announced, allowed) 3 MB is read.
    let anonymous = announce(&server, &path, 3_000_000, None).await;
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
    // With a token, past the upload limit: refused by its announced length.
    let api = admin_api(&server).await;
    let too_large = announce(&server, &path, 100_000_000, Some(&api.token)).await;
    assert!(too_large.starts_with("HTTP/1.1 413"), "{too_large}");
}
