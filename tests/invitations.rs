//! The invitation use case (spec §3.1–3.3, §5) against a real store: single invites, CSV uploads in both
//! vocabularies, validate-only, tenant policies, blocked addresses, and delivery of the queued emails.
//! Every test reads the stored state back rather than trusting return values.

mod common;

use common::invite::invite_request;
use common::mail::{self, outbox_row, outbox_rows, outbox_worker};
use common::{
    TestServer, app_tokens_for_callback, authorize_url_for, jwt_claims, register_as_guest,
};
use diesel::prelude::*;
use guestlist::crypto::hash_secret;
use guestlist::domain::language::Language;
use guestlist::domain::policy::{DomainList, Domains, InvitePolicy};
use guestlist::error::Error;
use guestlist::service::auth::Actor;
use guestlist::service::invitations::{
    BatchReport, CsvUpload, InviteOutcome, events, invite, invite_from_csv,
};
use guestlist::service::tenants::Tenant;
use guestlist::store::models::{AuditEventRow, InvitationRecord, OutboxRow, UserRow};
use guestlist::store::queries;
use guestlist::store::schema;

const V2_HEADER: &str = "Email,DisplayName,InvitationText,InvitedToApplications,InvitedToGroups,\
InviteRedirectURL,CcEmailAddress,Language";

/// Row counts of everything an invitation may create, for one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    users: i64,
    invitations: i64,
    outbox: i64,
    memberships: i64,
    assignments: i64,
    batches: i64,
}

async fn counts(server: &TestServer) -> Counts {
    let tid = server.tenant.id.clone();
    server
        .svc
        .store
        .read(move |c| {
            use schema::app_assignments::dsl as aa;
            use schema::group_members::dsl as gm;
            use schema::invitation_batches::dsl as b;
            use schema::invitations::dsl as i;
            use schema::outbox_messages::dsl as o;
            use schema::users::dsl as u;
            Ok(Counts {
                users: u::users
                    .filter(u::tenant_id.eq(&tid))
                    .count()
                    .get_result(c)?,
                invitations: i::invitations
                    .filter(i::tenant_id.eq(&tid))
                    .count()
                    .get_result(c)?,
                outbox: o::outbox_messages
                    .filter(o::tenant_id.eq(&tid))
                    .count()
                    .get_result(c)?,
                memberships: gm::group_members.count().get_result(c)?,
                assignments: aa::app_assignments
                    .filter(aa::principal_type.eq("user"))
                    .count()
                    .get_result(c)?,
                batches: b::invitation_batches
                    .filter(b::tenant_id.eq(&tid))
                    .count()
                    .get_result(c)?,
            })
        })
        .await
        .unwrap()
}

async fn audit_events(server: &TestServer) -> Vec<AuditEventRow> {
    let tid = server.tenant.id.clone();
    server
        .svc
        .store
        .read(move |c| queries::audit::recent(c, &tid, 10_000))
        .await
        .unwrap()
}

async fn audit_names(server: &TestServer) -> Vec<String> {
    audit_events(server)
        .await
        .into_iter()
        .map(|e| e.event_name)
        .collect()
}

async fn user_by_mail(server: &TestServer, email: &str) -> Option<UserRow> {
    let (tid, mail) = (server.tenant.id.clone(), email.to_lowercase());
    server
        .svc
        .store
        .read(move |c| queries::users::by_tenant_and_mail(c, &tid, &mail))
        .await
        .unwrap()
}

async fn invitations_for(server: &TestServer, email: &str) -> Vec<InvitationRecord> {
    let (tid, mail) = (server.tenant.id.clone(), email.to_lowercase());
    server
        .svc
        .store
        .read(move |c| {
            use schema::invitations::dsl as i;
            Ok(i::invitations
                .filter(i::tenant_id.eq(&tid).and(i::email_lower.eq(&mail)))
                .select(InvitationRecord::as_select())
                .load(c)?)
        })
        .await
        .unwrap()
}

/// Outbox rows whose recipient holds `email` (case-insensitive).
async fn outbox_to(server: &TestServer, email: &str) -> Vec<OutboxRow> {
    let needle = format!("<{}>", email.to_lowercase());
    let bare = email.to_lowercase();
    outbox_rows(&server.svc.store, &server.tenant.id)
        .await
        .into_iter()
        .filter(|r| {
            let rcpt = r.recipient.to_lowercase();
            rcpt == bare || rcpt.ends_with(&needle)
        })
        .collect()
}

async fn groups_of(server: &TestServer, user_id: &str) -> Vec<String> {
    let uid = user_id.to_string();
    server
        .svc
        .store
        .read(move |c| queries::groups::group_ids_of(c, &uid))
        .await
        .unwrap()
}

async fn assigned(server: &TestServer, app_id: &str, user_id: &str) -> bool {
    let (aid, uid) = (app_id.to_string(), user_id.to_string());
    let rows = server
        .svc
        .store
        .read(move |c| queries::apps::assignments_for(c, &aid, &uid, &[]))
        .await
        .unwrap();
    rows.iter()
        .any(|r| r.principal_type == "user" && r.principal_id == user_id)
}

async fn group(server: &TestServer, name: &str) -> String {
    server.group(name).await.id
}

async fn upload(
    server: &TestServer,
    tenant: &Tenant,
    bytes: &[u8],
    max_rows: usize,
    validate_only: bool,
) -> guestlist::error::Result<BatchReport> {
    invite_from_csv(
        &server.svc,
        &Actor::operator(),
        tenant,
        CsvUpload {
            file_name: "guests.csv",
            bytes,
            max_rows,
            validate_only,
        },
        &|_, _| {},
    )
    .await
}

fn row<'a>(report: &'a BatchReport, email: &str) -> &'a guestlist::service::invitations::BatchRow {
    report
        .rows
        .iter()
        .find(|r| r.email == email)
        .unwrap_or_else(|| panic!("no result for {email}: {report:#?}"))
}

/// The ticket of a redeem URL `{public_url}/invite/{ticket}`.
fn ticket_of(server: &TestServer, redeem_url: &str) -> String {
    let prefix = format!("{}/invite/", server.svc.config.public_url);
    let ticket = redeem_url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{redeem_url} does not start with {prefix}"));
    assert!(!ticket.is_empty() && !ticket.contains('/'), "{redeem_url}");
    ticket.to_string()
}

/// Asserts the tenant holds nothing for `email`: no user object, no invitation, no outbox message.
async fn assert_nothing_for(server: &TestServer, email: &str) {
    assert!(
        user_by_mail(server, email).await.is_none(),
        "no user object for {email}"
    );
    assert!(
        invitations_for(server, email).await.is_empty(),
        "no invitation for {email}"
    );
    assert!(
        outbox_to(server, email).await.is_empty(),
        "no email to {email}"
    );
}

/// Asserts that the delivered message `outbox_id` left nothing of the ticket in the outbox.
async fn assert_no_link_at_rest(server: &TestServer, outbox_id: &str, ticket: &str) {
    let row = outbox_row(&server.svc.store, outbox_id).await;
    assert_eq!(row.state, "sent");
    assert!(
        !row.message.contains(ticket) && !row.message.contains("/invite/"),
        "the sent message keeps no link: {}",
        row.message
    );
}

/// Delivers every due message with a file-transport worker of the test's own, and returns the delivered
/// raw message of each outbox id in `ids`. The server's background worker may deliver some of them first
/// (to its own outbox directory); either way each message must arrive exactly once.
async fn deliver(server: &TestServer, ids: &[String]) -> Vec<String> {
    let mine = server.db.dir.path().join("test-outbox");
    let theirs = server.svc.config.outbox_dir();
    let from = &server.svc.config.mail_from;
    let worker = outbox_worker(&server.svc.store, None, &mine, from, "invitations-test");
    worker.run_once().await.expect("worker");
    let mut messages = Vec::new();
    for id in ids {
        let mut row = None;
        for _ in 0..100 {
            let r = outbox_row(&server.svc.store, id).await;
            if r.state == "sent" {
                row = Some(r);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let row = row.unwrap_or_else(|| panic!("outbox message {id} was never sent"));
        assert_eq!(row.attempts, 1, "{id} was delivered in one attempt");
        let found: Vec<String> = [&mine, &theirs]
            .iter()
            .filter_map(|d| std::fs::read_to_string(d.join(format!("{id}.eml"))).ok())
            .collect();
        assert_eq!(found.len(), 1, "{id} was delivered exactly once");
        messages.push(found.into_iter().next().unwrap());
    }
    messages
}

// ---------------------------------------------------------------------------------------------------
// 1. A single invite.

#[actix_web::test]
async fn single_invite_creates_the_guest_object_at_once() {
    let server = TestServer::start().await;
    let gid = group(&server, "Partners").await;
    let app = server.app(|a| a.name = "Moodle".into()).await;
    let before = counts(&server).await;
    let t0 = server.svc.now();

    let mut req = invite_request("bob@fabrikam.example");
    req.display_name = Some("Bob Partner".into());
    req.group_ids = vec![gid.clone()];
    req.app_ids = vec![app.id.clone()];
    let outcome = invite(&server.svc, &Actor::operator(), &server.tenant, req, None)
        .await
        .expect("invite");
    let t1 = server.svc.now();
    let InviteOutcome::Created {
        invitation_id,
        user_id,
        user_principal_name,
        redeem_url,
        status,
    } = outcome
    else {
        panic!("expected Created, got {outcome:?}");
    };
    assert_eq!(status, "PendingAcceptance");
    assert_eq!(
        user_principal_name,
        "bob_fabrikam.example#EXT#@contoso.example"
    );

    // The guest object, as stored.
    let user = user_by_mail(&server, "bob@fabrikam.example")
        .await
        .expect("guest object");
    assert_eq!(user.id, user_id);
    assert_eq!(user.tenant_id, server.tenant.id);
    assert_eq!(user.user_type, "Guest");
    assert_eq!(user.creation_type.as_deref(), Some("Invitation"));
    assert_eq!(
        user.external_user_state.as_deref(),
        Some("PendingAcceptance")
    );
    let changed = user
        .external_user_state_changed_at
        .expect("state timestamp");
    assert!((t0..=t1).contains(&changed), "{t0} <= {changed} <= {t1}");
    assert_eq!(
        user.user_principal_name,
        "bob_fabrikam.example#EXT#@contoso.example"
    );
    assert_eq!(user.display_name, "Bob Partner");
    assert_eq!(user.mail, "bob@fabrikam.example");
    assert!(user.home_user_id.is_none() && user.sign_in_name.is_none());

    // Groups and app assignments apply now, before redemption.
    assert_eq!(groups_of(&server, &user_id).await, vec![gid.clone()]);
    assert!(assigned(&server, &app.id, &user_id).await);

    // The invitation holds the hash of the ticket, never the ticket.
    let ticket = ticket_of(&server, &redeem_url);
    assert!(ticket.len() >= 22, "at least 128 bits: {ticket}");
    let invs = invitations_for(&server, "bob@fabrikam.example").await;
    assert_eq!(invs.len(), 1);
    let inv = &invs[0];
    assert_eq!(inv.id, invitation_id);
    assert_eq!(inv.user_id, user_id);
    assert_eq!(inv.status, "PendingAcceptance");
    assert_eq!(inv.ticket_hash, hash_secret(&ticket));
    let stored = format!("{inv:?}");
    assert!(!stored.contains(&ticket), "the ticket itself is not stored");
    assert!(inv.ticket_expires_at > inv.created_at);

    // One email queued, linked from the invitation; it carries the link, which the outbox keeps no
    // longer than until the email is delivered.
    let outbox_id = inv.outbox_id.clone().expect("outbox id");
    let mails = outbox_to(&server, "bob@fabrikam.example").await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].id, outbox_id);
    assert_eq!(mails[0].kind, "invitation");
    let delivered = deliver(&server, std::slice::from_ref(&outbox_id)).await;
    assert_eq!(
        mail::invitation_link(&delivered[0], &server.svc.config.public_url),
        redeem_url,
        "the email carries the link"
    );
    assert_no_link_at_rest(&server, &outbox_id, &ticket).await;

    // Audit (spec §5).
    let events = audit_events(&server).await;
    let about_bob: Vec<&str> = events
        .iter()
        .filter(|e| e.target == user_id)
        .map(|e| e.event_name.as_str())
        .collect();
    // The stored names are the spec's own words, which operators filter on.
    for name in [
        "Invite external user",
        "Add external user to group",
        "Assign external user to application",
    ] {
        assert_eq!(
            about_bob.iter().filter(|n| **n == name).count(),
            1,
            "{name} in {about_bob:?}"
        );
    }
    let add = events
        .iter()
        .find(|e| e.event_name == "Add external user to group")
        .unwrap();
    assert!(add.details.contains(&gid), "{}", add.details);
    let assign = events
        .iter()
        .find(|e| e.event_name == events::ASSIGN_APP)
        .unwrap();
    assert!(assign.details.contains(&app.id), "{}", assign.details);

    let after = counts(&server).await;
    assert_eq!(
        after,
        Counts {
            users: before.users + 1,
            invitations: before.invitations + 1,
            outbox: before.outbox + 1,
            memberships: before.memberships + 1,
            assignments: before.assignments + 1,
            batches: before.batches,
        }
    );

    // The same email again (in another case) exists and creates nothing more.
    let audit_before = audit_events(&server).await.len();
    let mut again = invite_request("Bob@Fabrikam.Example");
    again.group_ids = vec![gid];
    again.app_ids = vec![app.id.clone()];
    match invite(&server.svc, &Actor::operator(), &server.tenant, again, None).await {
        Ok(InviteOutcome::Exists { user_id: existing }) => {
            assert_eq!(existing, Some(user_id), "an admin learns which object")
        }
        other => panic!("expected Exists, got {other:?}"),
    }
    assert_eq!(counts(&server).await, after);
    assert_eq!(audit_events(&server).await.len(), audit_before);
}

// ---------------------------------------------------------------------------------------------------
// 2. A v2 CSV upload.

#[actix_web::test]
async fn csv_v2_upload_reports_each_row_and_failed_rows_leave_nothing() {
    let server = TestServer::start().await;
    let gid = group(&server, "Partners").await;
    let app = server.app(|a| a.name = "Moodle".into()).await;
    let unknown_app = uuid::Uuid::new_v4().to_string();
    let mut csv = String::from("\u{FEFF}");
    csv.push_str(V2_HEADER);
    csv.push_str("\r\n");
    // Line 2, with a quoted cell holding a comma and a line break (so it ends on line 3).
    csv.push_str(&format!(
        "minsu@fabrikam.example,김민수,\"Welcome, partner!\r\nSee you soon\",{},{},https://app.contoso.example/home,,ko\r\n",
        app.id, gid
    ));
    csv.push_str("carol@fabrikam.example,Carol,,,,,carol.manager@fabrikam.example,en\r\n");
    csv.push_str(&format!(
        "dave@fabrikam.example,Dave,,{unknown_app},{gid},,,en\r\n"
    ));
    csv.push_str("not-an-email,Eve,,,,,,en\r\n");
    let before = counts(&server).await;

    let report = upload(&server, &server.tenant, csv.as_bytes(), 2000, false)
        .await
        .expect("upload");
    assert!(!report.validate_only);
    assert!(report.unknown_columns.is_empty(), "{report:?}");
    assert_eq!(report.rows.len(), 4, "{report:#?}");
    assert_eq!(
        (report.created, report.existing, report.failed),
        (2, 0, 2),
        "{report:#?}"
    );
    let minsu = row(&report, "minsu@fabrikam.example");
    assert_eq!((minsu.row, minsu.outcome.as_str()), (2, "created"));
    let carol = row(&report, "carol@fabrikam.example");
    assert_eq!((carol.row, carol.outcome.as_str()), (4, "created"));
    let dave = row(&report, "dave@fabrikam.example");
    assert_eq!((dave.row, dave.outcome.as_str()), (5, "failed"));
    assert!(
        dave.reason.contains("InvitedToApplications") && dave.reason.contains(&unknown_app),
        "{}",
        dave.reason
    );
    let eve = row(&report, "not-an-email");
    assert_eq!((eve.row, eve.outcome.as_str()), (6, "failed"));
    assert!(eve.reason.contains("Email"), "{}", eve.reason);

    // The Korean row: the object, its name, language, memberships and the custom text as written.
    let m = user_by_mail(&server, "minsu@fabrikam.example")
        .await
        .expect("minsu");
    assert_eq!(m.display_name, "김민수");
    assert_eq!(m.user_type, "Guest");
    assert_eq!(m.creation_type.as_deref(), Some("Invitation"));
    assert_eq!(m.external_user_state.as_deref(), Some("PendingAcceptance"));
    assert_eq!(
        m.user_principal_name,
        "minsu_fabrikam.example#EXT#@contoso.example"
    );
    assert_eq!(groups_of(&server, &m.id).await, vec![gid.clone()]);
    assert!(assigned(&server, &app.id, &m.id).await);
    let inv = invitations_for(&server, "minsu@fabrikam.example").await;
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].language, "ko");
    assert_eq!(inv[0].batch_id, report.batch_id);
    assert_eq!(
        inv[0].redirect_url.as_deref(),
        Some("https://app.contoso.example/home")
    );
    let text = inv[0].custom_text.as_deref().unwrap_or_default();
    assert!(
        text.starts_with("Welcome, partner!") && text.contains("See you soon"),
        "{text:?}"
    );
    assert_eq!(outbox_to(&server, "minsu@fabrikam.example").await.len(), 1);

    // The CC row queues two messages: the invitee and the CC address.
    let c = user_by_mail(&server, "carol@fabrikam.example")
        .await
        .expect("carol");
    let c_inv = invitations_for(&server, "carol@fabrikam.example").await;
    assert_eq!(c_inv.len(), 1);
    assert_eq!(
        c_inv[0].cc.as_deref(),
        Some("carol.manager@fabrikam.example")
    );
    assert_eq!(c_inv[0].user_id, c.id);
    let to_carol = outbox_to(&server, "carol@fabrikam.example").await;
    let to_cc = outbox_to(&server, "carol.manager@fabrikam.example").await;
    assert_eq!(
        (to_carol.len(), to_cc.len()),
        (1, 1),
        "{to_carol:?} {to_cc:?}"
    );
    assert_eq!(c_inv[0].outbox_id.as_deref(), Some(to_carol[0].id.as_str()));
    assert!(
        user_by_mail(&server, "carol.manager@fabrikam.example")
            .await
            .is_none(),
        "a CC address gets no user object"
    );

    // Failed rows leave nothing behind.
    assert_nothing_for(&server, "dave@fabrikam.example").await;
    assert_nothing_for(&server, "not-an-email").await;
    let after = counts(&server).await;
    assert_eq!(
        after,
        Counts {
            users: before.users + 2,
            invitations: before.invitations + 2,
            outbox: before.outbox + 3,
            memberships: before.memberships + 1,
            assignments: before.assignments + 1,
            batches: before.batches + 1,
        },
        "only the created rows wrote anything"
    );

    // The batch record and its audit events.
    let batch_id = report.batch_id.clone().expect("batch id");
    let (tid, bid) = (server.tenant.id.clone(), batch_id.clone());
    let batch = server
        .svc
        .store
        .read(move |c| queries::invitations::batch(c, &tid, &bid))
        .await
        .unwrap()
        .expect("batch row");
    assert_eq!(
        (
            batch.rows_total,
            batch.rows_created,
            batch.rows_existing,
            batch.rows_failed
        ),
        (4, 2, 0, 2)
    );
    assert_eq!(batch.file_name, "guests.csv");
    let events = audit_events(&server).await;
    for name in ["Batch invites uploaded", "Batch invites processed"] {
        assert!(
            events
                .iter()
                .any(|e| e.event_name == name && e.target == batch_id),
            "{name}"
        );
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event_name == events::INVITE)
            .count(),
        2
    );

    // Re-uploading the same file creates no duplicates.
    let again = upload(&server, &server.tenant, csv.as_bytes(), 2000, false)
        .await
        .expect("second upload");
    assert_eq!(
        (again.created, again.existing, again.failed),
        (0, 2, 2),
        "{again:#?}"
    );
    assert_eq!(row(&again, "minsu@fabrikam.example").outcome, "exists");
    assert_eq!(row(&again, "carol@fabrikam.example").outcome, "exists");
    assert_eq!(row(&again, "dave@fabrikam.example").outcome, "failed");
    assert_eq!(row(&again, "not-an-email").outcome, "failed");
    assert_eq!(
        counts(&server).await,
        Counts {
            batches: after.batches + 1,
            ..after
        },
        "nothing but the second batch record"
    );
}

// ---------------------------------------------------------------------------------------------------
// 3. A v1 CSV upload.

#[actix_web::test]
async fn csv_v1_labels_in_mixed_case_work_and_invite_app_id_brands_the_email() {
    let server = TestServer::start().await;
    let gid = group(&server, "Suppliers").await;
    let moodle = server.app(|a| a.name = "Moodle".into()).await;
    let brand = server.app(|a| a.name = "Northwind Portal".into()).await;
    let csv = format!(
        "EMAIL,displayname,inviteAppResources,INVITEGROUPRESOURCES,InviteReplyUrl,LANGUAGE,invitecontactusurl,InviteAppId\n\
         ann@fabrikam.example,Ann Supplier,{moodle},{gid},https://portal.contoso.example/start,de,https://contoso.example/contact,{brand}\n\
         ben@fabrikam.example,Ben Supplier,{moodle},,,,,\n\
         cy@fabrikam.example,Cy,,,,,,{unknown}\n",
        moodle = moodle.id,
        brand = brand.id,
        unknown = uuid::Uuid::new_v4(),
    );
    let before = counts(&server).await;
    let report = upload(&server, &server.tenant, csv.as_bytes(), 2000, false)
        .await
        .expect("upload");
    assert!(report.unknown_columns.is_empty(), "{report:?}");
    assert_eq!(
        (report.created, report.existing, report.failed),
        (2, 0, 1),
        "{report:#?}"
    );
    let cy = row(&report, "cy@fabrikam.example");
    assert_eq!(cy.outcome, "failed");
    assert!(cy.reason.contains("InviteAppID"), "{}", cy.reason);
    assert_nothing_for(&server, "cy@fabrikam.example").await;

    let ann = user_by_mail(&server, "ann@fabrikam.example")
        .await
        .expect("ann");
    assert_eq!(ann.display_name, "Ann Supplier");
    assert_eq!(ann.user_type, "Guest");
    assert_eq!(ann.creation_type.as_deref(), Some("Invitation"));
    assert_eq!(
        ann.external_user_state.as_deref(),
        Some("PendingAcceptance")
    );
    assert_eq!(groups_of(&server, &ann.id).await, vec![gid]);
    assert!(assigned(&server, &moodle.id, &ann.id).await);
    assert!(
        !assigned(&server, &brand.id, &ann.id).await,
        "branding is not an assignment"
    );
    let inv = invitations_for(&server, "ann@fabrikam.example").await;
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].language, "de");
    assert_eq!(
        inv[0].redirect_url.as_deref(),
        Some("https://portal.contoso.example/start")
    );
    assert_eq!(
        inv[0].contact_url.as_deref(),
        Some("https://contoso.example/contact")
    );
    assert_eq!(inv[0].invite_app_id.as_deref(), Some(brand.id.as_str()));
    let ben = user_by_mail(&server, "ben@fabrikam.example")
        .await
        .expect("ben");
    assert!(groups_of(&server, &ben.id).await.is_empty());
    assert!(assigned(&server, &moodle.id, &ben.id).await);
    let ben_inv = invitations_for(&server, "ben@fabrikam.example").await;
    assert_eq!(ben_inv.len(), 1);
    assert_eq!(ben_inv[0].language, "en");
    assert_eq!(
        counts(&server).await,
        Counts {
            users: before.users + 2,
            invitations: before.invitations + 2,
            outbox: before.outbox + 2,
            memberships: before.memberships + 1,
            assignments: before.assignments + 2,
            batches: before.batches + 1,
        }
    );

    // The delivered emails: Ann's is branded with the app, Ben's with the tenant.
    let ids = vec![
        inv[0].outbox_id.clone().expect("ann's email"),
        ben_inv[0].outbox_id.clone().expect("ben's email"),
    ];
    let delivered = deliver(&server, &ids).await;
    let ann_mail = mail::decoded_bodies(&delivered[0]);
    let ben_mail = mail::decoded_bodies(&delivered[1]);
    assert!(
        ann_mail.contains("Northwind Portal"),
        "the InviteAppID app brands the email: {ann_mail}"
    );
    assert!(
        ann_mail.contains("https://contoso.example/contact"),
        "{ann_mail}"
    );
    assert!(!ben_mail.contains("Northwind Portal"), "{ben_mail}");
    assert!(ben_mail.contains("Contoso"), "{ben_mail}");
}

// ---------------------------------------------------------------------------------------------------
// 4. Validate-only.

#[actix_web::test]
async fn validate_only_reports_rows_and_creates_nothing() {
    let server = TestServer::start().await;
    let gid = group(&server, "Partners").await;
    let app = server.app(|a| a.name = "Moodle".into()).await;
    invite(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        invite_request("existing@fabrikam.example"),
        None,
    )
    .await
    .expect("existing guest");
    let unknown_group = uuid::Uuid::new_v4().to_string();
    let unknown_app = uuid::Uuid::new_v4().to_string();
    let mut csv = String::from(V2_HEADER);
    csv.push_str("\r\n");
    csv.push_str(&format!(
        "new@fabrikam.example,New Person,,{},{},,cc@fabrikam.example,fr\r\n",
        app.id, gid
    ));
    csv.push_str("EXISTING@fabrikam.example,Existing,,,,,,\r\n");
    csv.push_str(&format!(
        "grouped@fabrikam.example,Grouped,,,{unknown_group},,,\r\n"
    ));
    csv.push_str(&format!(
        "apped@fabrikam.example,Apped,,{unknown_app},,,,\r\n"
    ));
    csv.push_str("bad@@fabrikam.example,Bad,,,,,,\r\n");
    let before = counts(&server).await;
    let audit_before = audit_events(&server).await.len();

    let report = upload(&server, &server.tenant, csv.as_bytes(), 2000, true)
        .await
        .expect("validate");
    assert!(report.validate_only);
    assert!(report.batch_id.is_none());
    assert_eq!(report.rows.len(), 5, "{report:#?}");
    assert_eq!(row(&report, "new@fabrikam.example").outcome, "valid");
    assert_eq!(row(&report, "EXISTING@fabrikam.example").outcome, "exists");
    let grouped = row(&report, "grouped@fabrikam.example");
    assert_eq!(grouped.outcome, "failed");
    assert!(
        grouped.reason.contains("InvitedToGroups") && grouped.reason.contains(&unknown_group),
        "{}",
        grouped.reason
    );
    let apped = row(&report, "apped@fabrikam.example");
    assert_eq!(apped.outcome, "failed");
    assert!(
        apped.reason.contains("InvitedToApplications"),
        "{}",
        apped.reason
    );
    let bad = row(&report, "bad@@fabrikam.example");
    assert_eq!(bad.outcome, "failed");
    assert!(bad.reason.contains("Email"), "{}", bad.reason);
    assert_eq!((report.existing, report.failed), (1, 3), "{report:#?}");
    assert_eq!(report.created, 0);

    assert_eq!(
        counts(&server).await,
        before,
        "validate-only writes nothing"
    );
    assert_eq!(
        audit_events(&server).await.len(),
        audit_before,
        "validate-only audits nothing"
    );
    for email in [
        "new@fabrikam.example",
        "grouped@fabrikam.example",
        "apped@fabrikam.example",
        "cc@fabrikam.example",
    ] {
        assert_nothing_for(&server, email).await;
    }
}

// ---------------------------------------------------------------------------------------------------
// 5. Delivery of the queued emails.

#[actix_web::test]
async fn outbox_worker_delivers_invitations_with_accept_and_block_links() {
    let server = TestServer::start().await;
    let mut ko = invite_request("minsu@fabrikam.example");
    ko.display_name = Some("김민수".into());
    ko.language = Language::Ko;
    ko.custom_text = Some("환영합니다, partner".into());
    let mut en = invite_request("bob@fabrikam.example");
    en.display_name = Some("Bob".into());
    let mut delivered_ids = Vec::new();
    let mut tickets = Vec::new();
    for req in [ko, en] {
        let email = req.email.clone();
        let InviteOutcome::Created { redeem_url, .. } =
            invite(&server.svc, &Actor::operator(), &server.tenant, req, None)
                .await
                .expect("invite")
        else {
            panic!("expected Created");
        };
        tickets.push(ticket_of(&server, &redeem_url));
        let inv = invitations_for(&server, &email).await;
        delivered_ids.push(inv[0].outbox_id.clone().expect("outbox id"));
    }
    let messages = deliver(&server, &delivered_ids).await;
    let base = &server.svc.config.public_url;
    for (raw, ticket) in messages.iter().zip(&tickets) {
        assert!(raw.is_ascii(), "7-bit message");
        assert!(
            raw.contains(ticket.as_str()),
            "the raw message has the ticket"
        );
        let body = mail::decoded_bodies(raw);
        let accept = format!("{base}/invite/{ticket}");
        let block = format!("{base}/invite/{ticket}/block");
        assert!(body.contains(&accept), "accept link in {body}");
        assert!(body.contains(&block), "block link in {body}");
        // The accept link appears on its own, not only as the prefix of the block link.
        assert!(
            body.replace(&block, "").contains(&accept),
            "a separate accept link in {body}"
        );
    }

    // The Korean one: an RFC 2047 subject that decodes to Korean text naming the tenant.
    let subject = mail::subject(&messages[0]);
    assert!(
        mail::subject_is_encoded(&messages[0]),
        "RFC 2047 subject in {}",
        messages[0]
    );
    assert!(
        subject.contains("Contoso") && subject.contains("초대"),
        "{subject}"
    );
    assert!(messages[0].contains("minsu@fabrikam.example"));
    let ko_body = mail::decoded_bodies(&messages[0]);
    assert!(ko_body.contains("김민수"), "{ko_body}");
    assert!(ko_body.contains("환영합니다, partner"), "{ko_body}");
    let en_subject = mail::subject(&messages[1]);
    assert!(en_subject.contains("Contoso"), "{en_subject}");
    assert_ne!(subject, en_subject);
}

// ---------------------------------------------------------------------------------------------------
// 6. Tenant policies.

/// The user `email` of the harness's tenant acting (as `invite --by` does), with the roles it holds.
async fn member_actor(server: &TestServer, email: &str) -> Actor {
    Actor::command_line_user(&server.svc, &server.tenant, email)
        .await
        .expect("a user of the tenant")
}

/// Gives `user_id` exactly `roles`, as an admin would.
async fn give_roles(server: &TestServer, user_id: &str, roles: &[&str]) {
    let patch = guestlist::service::users::UserPatch {
        roles: Some(roles.iter().map(|r| r.to_string()).collect()),
        ..Default::default()
    };
    guestlist::service::users::update(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        user_id,
        patch,
        None,
    )
    .await
    .expect("roles");
}

#[actix_web::test]
async fn invite_policy_refuses_and_creates_nothing() {
    let server = TestServer::start().await;
    let mia = server.member("mia@contoso.example").await;
    let gid = group(&server, "Partners").await;
    let mut strict = server.tenant.clone();
    strict.settings.invite_policy = InvitePolicy::AdminsAndGuestInviters;
    let before = counts(&server).await;

    let mut req = invite_request("x@fabrikam.example");
    req.group_ids = vec![gid.clone()];
    let mia_acts = member_actor(&server, "mia@contoso.example").await;
    let refused = invite(&server.svc, &mia_acts, &strict, req.clone(), None).await;
    assert!(matches!(refused, Err(Error::Denied(_))), "{refused:?}");

    let mut off = server.tenant.clone();
    off.settings.invite_policy = InvitePolicy::Nobody;
    let refused = invite(&server.svc, &Actor::operator(), &off, req.clone(), None).await;
    assert!(matches!(refused, Err(Error::Denied(_))), "{refused:?}");

    // A CSV upload under `Nobody` is refused as a whole: no batch, no row.
    let csv = "Email,DisplayName\nx@fabrikam.example,X\ny@fabrikam.example,Y\n";
    let refused = upload(&server, &off, csv.as_bytes(), 2000, false).await;
    assert!(matches!(refused, Err(Error::Denied(_))), "{refused:?}");

    assert_nothing_for(&server, "x@fabrikam.example").await;
    assert_nothing_for(&server, "y@fabrikam.example").await;
    let after = counts(&server).await;
    assert_eq!(after, before);
    assert!(
        !audit_names(&server)
            .await
            .iter()
            .any(|n| n == events::INVITE || n == events::ADD_TO_GROUP),
    );

    // The strict policy lets a guest inviter through (so the refusal above was the policy), but putting
    // the guest into a group grants access, which is an admin's to do.
    give_roles(&server, &mia.id, &["GuestInviter"]).await;
    let inviter = member_actor(&server, "mia@contoso.example").await;
    let refused = invite(&server.svc, &inviter, &strict, req.clone(), None).await;
    assert!(matches!(refused, Err(Error::Denied(_))), "{refused:?}");
    assert_nothing_for(&server, "x@fabrikam.example").await;
    req.group_ids.clear();
    let ok = invite(&server.svc, &inviter, &strict, req, None)
        .await
        .expect("guest inviter may invite");
    assert!(matches!(ok, InviteOutcome::Created { .. }));
    assert!(user_by_mail(&server, "x@fabrikam.example").await.is_some());
}

#[actix_web::test]
async fn domain_lists_refuse_and_create_nothing() {
    let server = TestServer::start().await;
    let mut deny = server.tenant.clone();
    deny.settings.domain_list = DomainList::Deny(Domains::parse(["fabrikam.example"]).unwrap());
    let mut allow = server.tenant.clone();
    allow.settings.domain_list = DomainList::Allow(Domains::parse(["contoso.example"]).unwrap());
    let before = counts(&server).await;

    for (tenant, email) in [
        (&deny, "x@sub.fabrikam.example"),
        (&deny, "x@FABRIKAM.example"),
        (&allow, "x@fabrikam.example"),
        (&allow, "x@notcontoso.example"),
    ] {
        let refused = invite(
            &server.svc,
            &Actor::operator(),
            tenant,
            invite_request(email),
            None,
        )
        .await;
        assert!(
            matches!(&refused, Err(Error::Invalid { field, .. }) if field == "email"),
            "{email}: {refused:?}"
        );
        assert_nothing_for(&server, email).await;
    }
    assert_eq!(counts(&server).await, before);
    assert!(
        !audit_names(&server)
            .await
            .iter()
            .any(|n| n == events::INVITE)
    );

    // Other domains pass the deny list; listed domains and their subdomains pass the allow list.
    for (tenant, email) in [
        (&deny, "ok@northwind.example"),
        (&allow, "ok@partners.contoso.example"),
    ] {
        let ok = invite(
            &server.svc,
            &Actor::operator(),
            tenant,
            invite_request(email),
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("{email}: {e:?}"));
        assert!(matches!(ok, InviteOutcome::Created { .. }));
    }
    assert_eq!(counts(&server).await.users, before.users + 2);
}

// ---------------------------------------------------------------------------------------------------
// 7. Files refused as a whole.

#[actix_web::test]
async fn files_refused_as_a_whole_create_nothing() {
    let server = TestServer::start().await;
    let before = counts(&server).await;
    let audit_before = audit_events(&server).await.len();

    let too_many = "Email,DisplayName\r\na@fabrikam.example,A\r\nb@fabrikam.example,B\r\nc@fabrikam.example,C\r\n";
    for validate_only in [false, true] {
        let refused = upload(
            &server,
            &server.tenant,
            too_many.as_bytes(),
            2,
            validate_only,
        )
        .await;
        match &refused {
            Err(Error::Invalid { field, message }) => {
                assert_eq!(field, "file");
                assert!(message.contains('3') && message.contains('2'), "{message}");
            }
            other => panic!("expected a refused file, got {other:?}"),
        }
    }

    let no_name = "Email,InvitedToGroups\r\nd@fabrikam.example,\r\n";
    match upload(&server, &server.tenant, no_name.as_bytes(), 2000, false).await {
        Err(Error::Invalid { field, message }) => {
            assert_eq!(field, "file");
            assert!(message.contains("DisplayName"), "{message}");
        }
        other => panic!("expected a refused file, got {other:?}"),
    }

    assert_eq!(counts(&server).await, before);
    assert_eq!(
        audit_events(&server).await.len(),
        audit_before,
        "no batch was audited"
    );
    for email in [
        "a@fabrikam.example",
        "b@fabrikam.example",
        "d@fabrikam.example",
    ] {
        assert_nothing_for(&server, email).await;
    }

    // Exactly at the limit is fine.
    let two = "Email,DisplayName\r\na@fabrikam.example,A\r\nb@fabrikam.example,B\r\n";
    let report = upload(&server, &server.tenant, two.as_bytes(), 2, false)
        .await
        .expect("two rows");
    assert_eq!(report.created, 2);
}

// ---------------------------------------------------------------------------------------------------
// 8. Blocked addresses.

async fn block(server: &TestServer, email: &str) {
    let email = email.to_string();
    let now = server.svc.now();
    let added = server
        .svc
        .store
        .write(move |c| queries::invitations::block(c, &email, now))
        .await
        .unwrap();
    assert!(added);
}

#[actix_web::test]
async fn blocked_address_is_refused_and_nothing_is_created() {
    let server = TestServer::start().await;
    let gid = group(&server, "Partners").await;
    block(&server, "x@fabrikam.example").await;
    let before = counts(&server).await;

    let mut req = invite_request("X@Fabrikam.example");
    req.group_ids = vec![gid];
    let refused = invite(&server.svc, &Actor::operator(), &server.tenant, req, None).await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");

    // The CSV path refuses the row too, and validate-only reports it failed.
    let csv = "Email,DisplayName\nx@fabrikam.example,X\n";
    let checked = upload(&server, &server.tenant, csv.as_bytes(), 2000, true)
        .await
        .expect("validate");
    assert_eq!(row(&checked, "x@fabrikam.example").outcome, "failed");
    let report = upload(&server, &server.tenant, csv.as_bytes(), 2000, false)
        .await
        .expect("upload");
    assert_eq!(row(&report, "x@fabrikam.example").outcome, "failed");

    assert_nothing_for(&server, "x@fabrikam.example").await;
    assert_eq!(
        counts(&server).await,
        Counts {
            batches: before.batches + 1,
            ..before
        }
    );
    assert!(
        !audit_names(&server)
            .await
            .iter()
            .any(|n| n == events::INVITE)
    );
}

#[actix_web::test]
async fn blocked_address_records_the_unsubscribed_audit_event() {
    let server = TestServer::start().await;
    block(&server, "x@fabrikam.example").await;
    let refused = invite(
        &server.svc,
        &Actor::operator(),
        &server.tenant,
        invite_request("x@fabrikam.example"),
        None,
    )
    .await;
    assert!(matches!(refused, Err(Error::Forbidden(_))), "{refused:?}");
    assert_nothing_for(&server, "x@fabrikam.example").await;
    let events = audit_events(&server).await;
    assert!(
        events
            .iter()
            .any(|e| e.event_name == "Email not sent, user unsubscribed"
                && e.target == "x@fabrikam.example"),
        "{:?}",
        events.iter().map(|e| &e.event_name).collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------------
// The whole chain: CSV upload → delivered email → the link in it → register → consent → guest token.

#[actix_web::test]
async fn the_link_in_a_delivered_email_leads_to_a_guest_token() {
    let server = TestServer::start().await;
    let app = server.app(|a| a.first_party = true).await;
    let csv = "\u{feff}Email,DisplayName,Language\r\nzoe@fabrikam.example,\"Zoe, Partner\",ko\r\n";
    let report = upload(&server, &server.tenant, csv.as_bytes(), 10, false)
        .await
        .unwrap();
    assert_eq!(report.created, 1);
    let ids: Vec<String> = outbox_to(&server, "zoe@fabrikam.example")
        .await
        .into_iter()
        .map(|r| r.id)
        .collect();
    let raw = deliver(&server, &ids).await.remove(0);
    let link = mail::invitation_link(&raw, &server.svc.config.public_url);
    // Once delivered, the link lives in the mail only; it still works from there.
    assert_no_link_at_rest(&server, &ids[0], &ticket_of(&server, &link)).await;
    let browser = server.browser();
    let accepted = register_as_guest(&browser, &link, "Zoe").await;
    assert_eq!(accepted.status(), 303);
    let auth = authorize_url_for(&server.issuer(), &app.client_id, "openid");
    let callback = browser.silent_callback(&auth).await;
    let tokens = app_tokens_for_callback(&server, &app, &callback).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["acct"], 1);
    assert_eq!(claims["email"], "zoe@fabrikam.example");
    assert_eq!(claims["idp"], server.url("/t/ext-fabrikam-example"));
}
