//! Guest lifecycle with a controllable clock: end dates, deletion after the grace period, the
//! inactivity rule, sponsor reviews through single-use links, and two processes running the job.
//! `lifecycle::run` takes the time to judge by, so each test moves the clock instead of waiting; the
//! servers run no rounds of their own (`lifecycle_interval = 0`).

mod common;

use common::invite::{invite, invite_request};
use common::mail::{decoded_bodies, outbox_rows};
use common::*;
use guestlist::domain::user::Role;
use guestlist::service::audit::{self, AuditQuery};
use guestlist::service::auth::Actor;
use guestlist::service::invitations::{self, AccessEnd, InviteOutcome};
use guestlist::service::lifecycle::{self, sponsors};
use guestlist::service::settings::{self, GuestLifecycleBody, PoliciesPatch};
use guestlist::service::tenants::Tenant;
use guestlist::service::users::{self, UserPatch};

const DAY: i64 = 86_400;

/// The field an input error names; anything else fails the test.
fn refused_field<T: std::fmt::Debug>(outcome: guestlist::error::Result<T>) -> String {
    match outcome {
        Err(guestlist::error::Error::Invalid { field, .. }) => field,
        other => panic!("expected an input error, got {other:?}"),
    }
}

async fn server() -> TestServer {
    TestServer::start_with(|c| c.lifecycle_interval = 0).await
}

async fn set_policy(server: &TestServer, body: GuestLifecycleBody) {
    settings::update_policies(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        PoliciesPatch {
            guest_lifecycle: Some(body),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("the lifecycle policy");
}

fn policy() -> GuestLifecycleBody {
    GuestLifecycleBody {
        inactive_after_days: None,
        delete_after_days: None,
        review_every_days: None,
        review_respond_days: 14,
        disable_unreviewed: false,
    }
}

/// Audit events of `tenant` named `event` about `target`.
async fn events_about(
    server: &TestServer,
    tenant: &Tenant,
    event: &str,
    target: &str,
) -> Vec<serde_json::Value> {
    let page = audit::list(
        &server.svc,
        &Actor::operator(),
        tenant,
        AuditQuery {
            event_name: Some(event.into()),
            target: Some(target.into()),
            limit: Some(100),
            ..Default::default()
        },
    )
    .await
    .expect("audit");
    page.value
        .into_iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect()
}

async fn lifecycle_state(
    server: &TestServer,
    id: &str,
) -> Option<guestlist::store::models::GuestLifecycleRow> {
    let id = id.to_string();
    server
        .svc
        .store
        .read(move |c| guestlist::store::queries::lifecycle::state_of(c, &id))
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_end_date_disables_the_guest_then_deletion_follows_the_grace_period() {
    let server = server().await;
    set_policy(
        &server,
        GuestLifecycleBody {
            delete_after_days: Some(7),
            ..policy()
        },
    )
    .await;
    let now = server.svc.now();
    let ends = invite(
        &server,
        guestlist::service::invitations::InviteRequest {
            access: Some(AccessEnd::AfterDays(30)),
            ..invite_request("temp@fabrikam.example")
        },
    )
    .await;
    let stays = invite(&server, invite_request("stays@fabrikam.example")).await;
    // An admin disables another guest by hand: the lifecycle never deletes what it did not disable.
    let by_hand = invite(&server, invite_request("byhand@fabrikam.example")).await;
    server.disable_user(&by_hand.user_id).await;
    let detail = users::get(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &ends.user_id,
    )
    .await
    .unwrap();
    let at = detail.lifecycle.access_expires_at.expect("an end date");
    assert!(at.ends_with('Z'), "{at}");

    // A day before the end, nothing happens.
    let report = lifecycle::run(&server.svc, now + 29 * DAY).await.unwrap();
    assert!(report.ran);
    assert_eq!(report.access_ended, 0);
    assert!(server.user(&ends.user_id).await.enabled);

    // After it, the guest is disabled, once, with the reason recorded and audited.
    let report = lifecycle::run(&server.svc, now + 30 * DAY + 60)
        .await
        .unwrap();
    assert_eq!(report.access_ended, 1);
    assert!(!server.user(&ends.user_id).await.enabled);
    assert!(
        server.user(&stays.user_id).await.enabled,
        "no end date, no change"
    );
    let state = lifecycle_state(&server, &ends.user_id).await.unwrap();
    assert_eq!(state.disabled_reason.as_deref(), Some("access_ended"));
    let disabled = events_about(&server, &server.tenant, "Disable user", &ends.user_id).await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["details"]["reason"], "access_ended");
    assert_eq!(disabled[0]["actor"], "lifecycle");
    let again = lifecycle::run(&server.svc, now + 30 * DAY + 120)
        .await
        .unwrap();
    assert_eq!(again.access_ended, 0, "a second round finds nothing to do");

    // Within the grace period the guest stays; after it, the guest is deleted.
    let report = lifecycle::run(&server.svc, now + 36 * DAY).await.unwrap();
    assert_eq!(report.deleted, 0);
    assert!(server.find_user(&ends.user_id).await.is_some());
    let report = lifecycle::run(&server.svc, now + 38 * DAY).await.unwrap();
    assert_eq!(report.deleted, 1);
    assert!(server.find_user(&ends.user_id).await.is_none());
    assert!(server.find_user(&stays.user_id).await.is_some());
    assert!(
        server.find_user(&by_hand.user_id).await.is_some(),
        "disabled by an admin, kept"
    );
    let deleted = events_about(&server, &server.tenant, "Delete user", &ends.user_id).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["details"]["reason"], "access_ended");
}

#[actix_web::test]
async fn a_later_end_date_lets_an_admin_enable_the_guest_again() {
    let server = server().await;
    let now = server.svc.now();
    let g = invite(
        &server,
        guestlist::service::invitations::InviteRequest {
            access: Some(AccessEnd::AfterDays(1)),
            ..invite_request("short@fabrikam.example")
        },
    )
    .await;
    // The job judges by a later time than the real one; move the real end date into the past first.
    let id = g.user_id.clone();
    server
        .svc
        .store
        .write(move |c| {
            guestlist::store::queries::lifecycle::set_access_end(c, "", &id, Some(now - 10), now)
        })
        .await
        .unwrap();
    let report = lifecycle::run(&server.svc, now).await.unwrap();
    assert_eq!(report.access_ended, 1);
    // An admin cannot simply enable a guest whose access ended.
    let refused = users::update(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &g.user_id,
        UserPatch {
            account_enabled: Some(true),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(refused_field(refused), "accountEnabled");

    let later = guestlist::domain::calendar::date_of(now + 40 * DAY);
    users::update(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &g.user_id,
        UserPatch {
            account_enabled: Some(true),
            access_expires_on: Some(later.clone()),
            ..Default::default()
        },
        None,
    )
    .await
    .expect("enabled with a later end date");
    assert!(server.user(&g.user_id).await.enabled);
    let state = lifecycle_state(&server, &g.user_id).await.unwrap();
    assert_eq!(
        state.disabled_reason, None,
        "the lifecycle state is cleared"
    );
    assert_eq!(state.disabled_at, None);
    let detail = users::get(&server.svc, &Actor::operator(), &server.tenant, &g.user_id)
        .await
        .unwrap();
    assert_eq!(
        detail.lifecycle.access_expires_at.unwrap(),
        format!("{later}T00:00:00Z")
    );
    // A date in the past is refused.
    let past = users::update(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &g.user_id,
        UserPatch {
            access_expires_on: Some("2020-01-01".into()),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(refused_field(past), "accessExpiresOn");
}

#[actix_web::test]
async fn idle_guests_are_disabled_and_a_sign_in_keeps_them() {
    let server = server().await;
    set_policy(
        &server,
        GuestLifecycleBody {
            inactive_after_days: Some(30),
            ..policy()
        },
    )
    .await;
    let now = server.svc.now();
    let idle = invite(&server, invite_request("idle@fabrikam.example")).await;
    let busy = invite(&server, invite_request("busy@fabrikam.example")).await;
    let member = server.member("staff@contoso.example").await;
    // The busy guest signs in ten days from now.
    let id = busy.user_id.clone();
    server
        .svc
        .store
        .write(move |c| guestlist::store::queries::users::touch_sign_in(c, &id, now + 10 * DAY))
        .await
        .unwrap();

    let report = lifecycle::run(&server.svc, now + 29 * DAY).await.unwrap();
    assert_eq!(report.inactive, 0);
    let report = lifecycle::run(&server.svc, now + 31 * DAY).await.unwrap();
    assert_eq!(report.inactive, 1);
    assert!(!server.user(&idle.user_id).await.enabled);
    assert!(server.user(&busy.user_id).await.enabled);
    assert!(
        server.user(&member.id).await.enabled,
        "members are not guests"
    );
    let state = lifecycle_state(&server, &idle.user_id).await.unwrap();
    assert_eq!(state.disabled_reason.as_deref(), Some("inactive"));

    let report = lifecycle::run(&server.svc, now + 41 * DAY).await.unwrap();
    assert_eq!(report.inactive, 1, "thirty days after their last sign-in");
    assert!(!server.user(&busy.user_id).await.enabled);
    assert!(server.user(&member.id).await.enabled);
}

/// The review links in the email to `to`: (guest address, keep link, remove link).
fn review_links(server: &TestServer, raw: &str) -> Vec<(String, String, String)> {
    let text = decoded_bodies(raw);
    let prefix = format!("{}/review/", server.issuer());
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(start) = line.find('(') else {
            continue;
        };
        if !line.trim_start().starts_with("* ") {
            continue;
        }
        let email = line[start + 1..line.find(')').unwrap()].to_string();
        let link = |l: &str| {
            let at = l.find(&prefix).expect("a review link");
            l[at..].trim_end_matches('>').to_string()
        };
        out.push((email, link(lines[i + 1]), link(lines[i + 2])));
    }
    out
}

async fn review_emails(server: &TestServer) -> Vec<(String, String)> {
    outbox_rows(&server.svc.store, &server.tenant.id)
        .await
        .into_iter()
        .filter(|r| r.kind == "guest-review")
        .map(|r| (r.recipient, r.message))
        .collect()
}

async fn press(server: &TestServer, link: &str) -> (u16, String) {
    let (url, decision) = link.split_once("?decision=").unwrap();
    let browser = server.browser();
    let page = browser.get(link).await;
    assert_eq!(page.status(), 200, "the review page opens");
    let page = page.text().await.unwrap();
    let csrf = hidden(&page, "csrf").expect("a csrf field");
    let resp = browser
        .post_form(url, &[("csrf", &csrf), ("decision", decision)])
        .await;
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[actix_web::test]
async fn sponsors_review_their_guests_through_single_use_links() {
    let server = server().await;
    set_policy(
        &server,
        GuestLifecycleBody {
            review_every_days: Some(90),
            review_respond_days: 14,
            disable_unreviewed: true,
            ..policy()
        },
    )
    .await;
    let now = server.svc.now();
    let ann = server
        .member_in(
            &server.tenant,
            "ann@contoso.example",
            vec![Role::GuestInviter],
        )
        .await;
    let bob = server.member("bob@contoso.example").await;
    let as_ann = Actor::command_line_user(&server.svc, &server.tenant, "ann@contoso.example")
        .await
        .unwrap();
    let mut guests = Vec::new();
    for email in [
        "g1@fabrikam.example",
        "g2@fabrikam.example",
        "g3@fabrikam.example",
    ] {
        match invitations::invite(
            &server.svc,
            &as_ann,
            &server.tenant,
            invite_request(email),
            None,
        )
        .await
        .unwrap()
        {
            InviteOutcome::Created { user_id, .. } => guests.push(user_id),
            other => panic!("{other:?}"),
        }
    }
    // The inviter sponsors by default; an admin hands the third guest to Bob.
    let listed = sponsors::list(&server.svc, &Actor::operator(), &server.tenant, &guests[0])
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, ann.id);
    sponsors::set(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &guests[2],
        vec!["bob@contoso.example".into()],
    )
    .await
    .unwrap();
    let refused = sponsors::set(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &guests[2],
        vec![guests[2].clone()],
    )
    .await;
    assert!(refused.is_err(), "a guest cannot sponsor themselves");

    let report = lifecycle::run(&server.svc, now).await.unwrap();
    assert_eq!(report.reviews_started, 1);
    assert_eq!(report.review_emails, 2);
    let again = lifecycle::run(&server.svc, now + DAY).await.unwrap();
    assert_eq!(again.reviews_started, 0, "one round at a time");
    let emails = review_emails(&server).await;
    assert_eq!(emails.len(), 2);
    let to_ann = &emails.iter().find(|(to, _)| to.contains("ann@")).unwrap().1;
    let to_bob = &emails.iter().find(|(to, _)| to.contains("bob@")).unwrap().1;
    let ann_links = review_links(&server, to_ann);
    let bob_links = review_links(&server, to_bob);
    let mut listed: Vec<&str> = ann_links.iter().map(|l| l.0.as_str()).collect();
    listed.sort();
    assert_eq!(listed, ["g1@fabrikam.example", "g2@fabrikam.example"]);
    assert_eq!(bob_links.len(), 1);
    assert_eq!(bob_links[0].0, "g3@fabrikam.example");

    // Keep: recorded once; the same link again is refused.
    let g1 = ann_links.iter().find(|l| l.0.starts_with("g1")).unwrap();
    let (status, _) = press(&server, &g1.1).await;
    assert_eq!(status, 200);
    let browser = server.browser();
    let used = browser.get(&g1.1).await;
    assert_eq!(used.status(), 409, "a used link shows that it was used");
    let (url, _) = g1.2.split_once('?').unwrap();
    let csrf_page = browser.page(&server.url("/t/contoso/signin")).await;
    let csrf = hidden(&csrf_page, "csrf").unwrap();
    let replay = browser
        .post_form(url, &[("csrf", &csrf), ("decision", "remove")])
        .await;
    assert_eq!(
        replay.status(),
        409,
        "the Remove link of a kept guest is the same used link"
    );
    assert!(server.user(&guests[0]).await.enabled);

    // Remove: the guest is disabled at once, with the sponsor as the actor.
    let g2 = ann_links.iter().find(|l| l.0.starts_with("g2")).unwrap();
    let (status, _) = press(&server, &g2.2).await;
    assert_eq!(status, 200);
    assert!(!server.user(&guests[1]).await.enabled);
    let state = lifecycle_state(&server, &guests[1]).await.unwrap();
    assert_eq!(state.disabled_reason.as_deref(), Some("removed_by_sponsor"));
    let disabled = events_about(&server, &server.tenant, "Disable user", &guests[1]).await;
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["actor"], ann.id.as_str());
    let reviewed = events_about(&server, &server.tenant, "Review guest", &guests[1]).await;
    assert_eq!(reviewed[0]["details"]["decision"], "remove");

    // A made-up link, and another tenant's page for a real one, are unknown.
    let browser = server.browser();
    let forged = browser
        .get(&format!(
            "{}/review/not-a-token?decision=keep",
            server.issuer()
        ))
        .await;
    assert_eq!(forged.status(), 404);
    let fabrikam = server.fabrikam().await;
    let elsewhere =
        g1.1.replace("/t/contoso/", &format!("/t/{}/", fabrikam.slug));
    assert_eq!(browser.get(&elsewhere).await.status(), 404);

    // A sponsor who no longer sponsors the guest cannot decide.
    sponsors::set(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &guests[2],
        vec![ann.id.clone()],
    )
    .await
    .unwrap();
    assert_eq!(browser.get(&bob_links[0].1).await.status(), 404);
    sponsors::set(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &guests[2],
        vec![bob.id.clone()],
    )
    .await
    .unwrap();

    // Nobody answers for the third guest: at the deadline, the round closes and the guest is disabled.
    let report = lifecycle::run(&server.svc, now + 13 * DAY).await.unwrap();
    assert_eq!(report.unreviewed, 0);
    let report = lifecycle::run(&server.svc, now + 15 * DAY).await.unwrap();
    assert_eq!(report.unreviewed, 1);
    assert!(!server.user(&guests[2]).await.enabled);
    assert!(server.user(&guests[0]).await.enabled, "kept");
    let state = lifecycle_state(&server, &guests[2]).await.unwrap();
    assert_eq!(state.disabled_reason.as_deref(), Some("unreviewed"));
    // The closed round's open link says so.
    assert_eq!(browser.get(&bob_links[0].1).await.status(), 410);
    // The next round comes ninety days after the first, for the guests still enabled.
    let report = lifecycle::run(&server.svc, now + 89 * DAY).await.unwrap();
    assert_eq!(report.reviews_started, 0);
    let report = lifecycle::run(&server.svc, now + 90 * DAY).await.unwrap();
    assert_eq!(report.reviews_started, 1);
    assert_eq!(report.review_emails, 1, "only Ann's kept guest is left");
}

#[actix_web::test]
async fn two_processes_running_the_job_act_once() {
    let server = server().await;
    set_policy(
        &server,
        GuestLifecycleBody {
            review_every_days: Some(30),
            ..policy()
        },
    )
    .await;
    server
        .member_in(&server.tenant, "admin@contoso.example", vec![Role::Admin])
        .await;
    let now = server.svc.now();
    const GUESTS: usize = 12;
    let mut ids = Vec::new();
    for i in 0..GUESTS {
        let g = invite(
            &server,
            guestlist::service::invitations::InviteRequest {
                access: Some(AccessEnd::AfterDays(5)),
                send_email: false,
                ..invite_request(&format!("p{i}@fabrikam.example"))
            },
        )
        .await;
        ids.push(g.user_id);
    }
    let second =
        guestlist::server::prepare((*server.svc.config).clone()).expect("a second process");
    // While another process holds the lease, a round stands aside; once it is free, a round runs.
    let real = server.svc.now();
    let lease = |take: bool| {
        server.svc.store.write(move |c| {
            use guestlist::store::queries::lifecycle as q;
            if take {
                q::take_lease(c, "lifecycle", "another process", real, real + 600)
            } else {
                q::release_lease(c, "lifecycle", "another process").map(|()| true)
            }
        })
    };
    assert!(lease(true).await.unwrap(), "the lease is free at first");
    let skipped = lifecycle::run(&second, now).await.unwrap();
    assert!(!skipped.ran, "{skipped:?}");
    assert_eq!(skipped.reviews_started, 0);
    lease(false).await.unwrap();
    let ran = lifecycle::run(&second, now).await.unwrap();
    assert!(ran.ran, "{ran:?}");
    assert_eq!(ran.reviews_started, 1);
    // Without it (two rounds whose leases overlapped), each step still happens once: both see the
    // same twelve guests whose access ended, and each guest is disabled by one of them. Several
    // processes share a PostgreSQL database (docs/deploy.md); on SQLite, where one process writes, the
    // second round runs after the first and must find nothing left to do.
    let both = |at: i64| {
        let (one, two) = (server.svc.clone(), second.clone());
        let postgres = server.db.is_postgres();
        async move {
            if postgres {
                let (a, b) = tokio::join!(
                    lifecycle::steps(&one, at, None),
                    lifecycle::steps(&two, at, None)
                );
                (a.unwrap(), b.unwrap())
            } else {
                let a = lifecycle::steps(&one, at, None).await.unwrap();
                (a, lifecycle::steps(&two, at, None).await.unwrap())
            }
        }
    };
    let (a, b) = both(now + 6 * DAY).await;
    assert_eq!(a.access_ended + b.access_ended, GUESTS, "{a:?} {b:?}");
    // And a review round due for both at once starts once.
    let (a, b) = both(now + 31 * DAY).await;
    assert_eq!(a.reviews_started + b.reviews_started, 1, "{a:?} {b:?}");
    for id in &ids {
        assert!(!server.user(id).await.enabled);
        let disabled = events_about(&server, &server.tenant, "Disable user", id).await;
        assert_eq!(disabled.len(), 1, "one disable of {id}");
    }
    let rounds = audit::list(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        AuditQuery {
            event_name: Some("Start guest review".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rounds.value.len(), 2, "two rounds, each started once");
    assert_eq!(
        review_emails(&server).await.len(),
        1,
        "one email to the one admin"
    );
}

#[actix_web::test]
async fn the_policy_refuses_days_out_of_range_and_shows_in_the_api() {
    let server = server().await;
    let bad = settings::update_policies(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        PoliciesPatch {
            guest_lifecycle: Some(GuestLifecycleBody {
                inactive_after_days: Some(0),
                ..policy()
            }),
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(refused_field(bad), "guestInactiveAfterDays");
    set_policy(
        &server,
        GuestLifecycleBody {
            inactive_after_days: Some(60),
            delete_after_days: Some(0),
            ..policy()
        },
    )
    .await;
    let view = settings::policies(&server.svc, &Actor::operator(), &server.tenant)
        .await
        .unwrap();
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["guestLifecycle"]["inactiveAfterDays"], 60);
    assert_eq!(json["guestLifecycle"]["deleteAfterDays"], 0);
    assert_eq!(
        json["guestLifecycle"]["reviewEveryDays"],
        serde_json::Value::Null
    );
    // Only guests have an end date.
    let member = invitations::invite(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        guestlist::service::invitations::InviteRequest {
            access: Some(AccessEnd::AfterDays(30)),
            user_type: guestlist::domain::user::UserType::Member,
            ..invite_request("member@fabrikam.example")
        },
        None,
    )
    .await;
    assert_eq!(refused_field(member), "accessDays");
    // An invitation's end date must be ahead; a CSV date in the past is refused by name.
    let refused = invitations::invite(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        guestlist::service::invitations::InviteRequest {
            access: Some(AccessEnd::At(server.svc.now() - DAY)),
            ..invite_request("late@fabrikam.example")
        },
        None,
    )
    .await;
    assert_eq!(refused_field(refused), "AccessExpiresOn");
}

#[actix_web::test]
async fn admins_review_guests_whose_sponsors_are_gone_and_links_end_at_the_deadline() {
    let server = server().await;
    set_policy(
        &server,
        GuestLifecycleBody {
            review_every_days: Some(30),
            review_respond_days: 14,
            disable_unreviewed: true,
            ..policy()
        },
    )
    .await;
    let now = server.svc.now();
    server
        .member_in(&server.tenant, "boss@contoso.example", vec![Role::Admin])
        .await;
    let carl = server.member("carl@contoso.example").await;
    let g = invite(&server, invite_request("orphan@fabrikam.example")).await;
    sponsors::set(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        &g.user_id,
        vec![carl.id.clone()],
    )
    .await
    .unwrap();
    server.disable_user(&carl.id).await;

    // A round that began twenty days ago: its deadline passed six days ago, and no round has run since.
    let report = lifecycle::steps(&server.svc, now - 20 * DAY, None)
        .await
        .unwrap();
    assert_eq!(report.reviews_started, 1);
    let emails = review_emails(&server).await;
    assert_eq!(
        emails.len(),
        1,
        "the admin, for the sponsor who cannot answer"
    );
    assert!(
        emails[0].0.contains("boss@contoso.example"),
        "{}",
        emails[0].0
    );
    let links = review_links(&server, &emails[0].1);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0, "orphan@fabrikam.example");
    // Past the deadline the link is closed, though the job has not closed the round yet.
    let browser = server.browser();
    assert_eq!(browser.get(&links[0].1).await.status(), 410);
    assert!(server.user(&g.user_id).await.enabled);
}
