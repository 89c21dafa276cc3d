//! The mail outbox against real transports: `.eml` files, and an SMTP conversation with a sink on
//! loopback that refuses the first connections. Every message arrives exactly once, and none stays
//! behind in the outbox once it can no longer be sent.

mod common;

use common::TestDatabase;
use common::mail::{outbox_row, outbox_worker};
use common::smtp::{FakeSmtp, SmtpBehaviour};
use guestlist::mail::outbox::enqueue;
use guestlist::mail::{OutgoingEmail, sender};
use guestlist::store::Store;

/// The one-time link in test message `i`, as an invitation carries one.
fn link(i: usize) -> String {
    format!("http://localhost/invite/ticket{i}")
}

fn email(i: usize) -> OutgoingEmail {
    OutgoingEmail {
        to: format!("Guest {i} <guest{i}@fabrikam.example>"),
        subject: format!("Invitation {i} — 초대"),
        text: format!("Hello {i}: {}", link(i)),
        html: Some(format!(
            "<p>Hello {i}: <a href=\"{}\">accept</a></p>",
            link(i)
        )),
    }
}

/// Asserts the stored message `id` no longer holds its body, so no link stays at rest.
async fn assert_body_cleared(store: &Store, id: &str) {
    let row = outbox_row(store, id).await;
    assert_eq!(row.message, "", "{id} ({}) keeps no body", row.state);
}

async fn queue(store: &Store, n: usize) -> Vec<String> {
    store
        .write(move |c| {
            let from = sender(FROM)?;
            (0..n)
                .map(|i| {
                    enqueue(
                        c,
                        &from,
                        "localhost",
                        "t1",
                        "test",
                        &email(i),
                        guestlist::clock::now(),
                    )
                })
                .collect()
        })
        .await
        .unwrap()
}

/// The sender of every test message.
const FROM: &str = "guestlist <no-reply@localhost>";

#[actix_web::test]
async fn file_transport_writes_each_message_once() {
    let db = TestDatabase::new();
    let s = db.store();
    let ids = queue(&s, 3).await;
    let dir = db.dir.path().join("outbox");
    let worker = outbox_worker(&s, None, &dir, FROM, "w1");
    assert_eq!(worker.run_once().await.unwrap(), 3);
    assert_eq!(worker.run_once().await.unwrap(), 0, "nothing is sent twice");
    for (i, id) in ids.iter().enumerate() {
        let raw = std::fs::read_to_string(dir.join(format!("{id}.eml"))).unwrap();
        assert!(raw.contains(&format!("Message-ID: <{id}@localhost>")));
        assert!(
            common::mail::decoded_bodies(&raw).contains(&link(i)),
            "the delivered mail carries the link"
        );
        let row = outbox_row(&s, id).await;
        assert_eq!((row.state.as_str(), row.attempts), ("sent", 1));
        assert_body_cleared(&s, id).await;
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        3,
        "no temporary files are left"
    );
}

#[actix_web::test]
async fn smtp_outage_delays_mail_and_loses_none() {
    let db = TestDatabase::new();
    let s = db.store();
    let ids = queue(&s, 5).await;
    let smtp = FakeSmtp::start_with(SmtpBehaviour {
        refuse_first: 3,
        ..Default::default()
    })
    .await;
    let unused = db.dir.path().join("unused");
    let worker = outbox_worker(&s, Some(&smtp.url()), &unused, FROM, "w1");
    let mut delivered = 0;
    for _ in 0..20 {
        delivered += worker.run_once().await.unwrap();
        if delivered == ids.len() {
            break;
        }
    }
    assert_eq!(delivered, ids.len());
    let got = smtp.per_message_id();
    for id in &ids {
        assert_eq!(
            got.get(&format!("<{id}@localhost>")),
            Some(&1),
            "{id} arrived exactly once: {got:?}"
        );
        assert_eq!(outbox_row(&s, id).await.state, "sent");
        assert_body_cleared(&s, id).await;
    }
    let mut retried = 0;
    for id in &ids {
        retried += usize::from(outbox_row(&s, id).await.attempts > 1);
    }
    assert!(retried >= 1, "the refused connections caused retries");
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(smtp.accepted().len(), ids.len(), "no duplicates afterwards");
}

#[actix_web::test]
async fn two_workers_never_send_the_same_message() {
    let db = TestDatabase::new();
    let s = db.store();
    let ids = queue(&s, 20).await;
    let smtp = FakeSmtp::start().await;
    let unused = db.dir.path().join("unused");
    let a = outbox_worker(&s, Some(&smtp.url()), &unused, FROM, "a");
    let b = outbox_worker(&s, Some(&smtp.url()), &unused, FROM, "b");
    let (ra, rb) = futures_util::future::join(a.run_once(), b.run_once()).await;
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra + rb, ids.len());
    // Both workers took part, so every message was contested by two claimants.
    assert!(ra > 0 && rb > 0, "a sent {ra}, b sent {rb}");
    let got = smtp.per_message_id();
    assert_eq!(got.len(), ids.len());
    assert!(got.values().all(|n| *n == 1), "{got:?}");
}

#[actix_web::test]
async fn a_message_gives_up_after_its_attempts_and_is_marked_failed() {
    let db = TestDatabase::new();
    let s = db.store();
    let ids = queue(&s, 1).await;
    // Nothing listens on this port: every attempt fails.
    let port = common::free_port();
    let unused = db.dir.path().join("unused");
    let nowhere = format!("smtp://127.0.0.1:{port}");
    let mut worker = outbox_worker(&s, Some(&nowhere), &unused, FROM, "w");
    worker.policy.max_attempts = 3;
    for _ in 0..5 {
        worker.run_once().await.unwrap();
    }
    let row = outbox_row(&s, &ids[0]).await;
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 3));
    assert!(row.last_error.unwrap().contains("SMTP"));
    assert_body_cleared(&s, &ids[0]).await;
}

#[actix_web::test]
async fn a_message_keeps_its_body_while_it_may_still_be_sent() {
    let db = TestDatabase::new();
    let s = db.store();
    let ids = queue(&s, 1).await;
    let port = common::free_port();
    let unused = db.dir.path().join("unused");
    let nowhere = format!("smtp://127.0.0.1:{port}");
    let worker = outbox_worker(&s, Some(&nowhere), &unused, FROM, "w");
    worker.run_once().await.unwrap();
    let row = outbox_row(&s, &ids[0]).await;
    assert_eq!((row.state.as_str(), row.attempts), ("pending", 1));
    assert!(
        row.message
            .contains(&format!("Message-ID: <{}@localhost>", ids[0])),
        "a retry sends the same message: {}",
        row.message
    );
}

#[cfg(unix)]
#[actix_web::test]
async fn delivered_files_and_their_directory_are_for_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDatabase::new();
    let s = db.store();
    let ids = queue(&s, 2).await;
    let dir = db.dir.path().join("data").join("outbox");
    let worker = outbox_worker(&s, None, &dir, FROM, "w1");
    assert_eq!(worker.run_once().await.unwrap(), 2);
    let mode = |path: &std::path::Path| {
        format!(
            "{:o}",
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777
        )
    };
    assert_eq!(mode(&dir), "700", "the outbox directory");
    for id in &ids {
        assert_eq!(mode(&dir.join(format!("{id}.eml"))), "600", "{id}.eml");
    }
}
