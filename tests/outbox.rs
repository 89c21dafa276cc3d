//! The mail outbox against real transports: `.eml` files, and an SMTP conversation with a sink on
//! loopback that refuses the first connections. Every message arrives exactly once.

mod common;

use common::TestDatabase;
use guestlist::mail::outbox::{OutboxWorker, RetryPolicy, enqueue};
use guestlist::mail::transport::Transport;
use guestlist::mail::{OutgoingEmail, sender};
use guestlist::store::Store;
use guestlist::store::queries::outbox as q;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn store(db: &TestDatabase) -> Store {
    let s = Store::connect(&db.url(), 4).unwrap();
    s.migrate().unwrap();
    s
}

fn email(i: usize) -> OutgoingEmail {
    OutgoingEmail {
        to: format!("Guest {i} <guest{i}@fabrikam.example>"),
        subject: format!("Invitation {i} — 초대"),
        text: format!("Hello {i}"),
        html: Some(format!("<p>Hello {i}</p>")),
    }
}

async fn queue(store: &Store, n: usize) -> Vec<String> {
    store
        .write(move |c| {
            let from = sender("guestlist <no-reply@localhost>")?;
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

fn fast() -> RetryPolicy {
    RetryPolicy {
        base_delay_secs: 0,
        max_delay_secs: 0,
        max_attempts: 10,
        lease_secs: 60,
    }
}

#[actix_web::test]
async fn file_transport_writes_each_message_once() {
    let db = TestDatabase::new();
    let s = store(&db);
    let ids = queue(&s, 3).await;
    let dir = db.dir.path().join("outbox");
    let worker = OutboxWorker {
        store: s.clone(),
        transport: Transport::from_config(None, dir.clone()).unwrap(),
        from: sender("guestlist <no-reply@localhost>").unwrap(),
        policy: fast(),
        claim: "w1".into(),
    };
    assert_eq!(worker.run_once().await.unwrap(), 3);
    assert_eq!(worker.run_once().await.unwrap(), 0, "nothing is sent twice");
    for id in &ids {
        let raw = std::fs::read_to_string(dir.join(format!("{id}.eml"))).unwrap();
        assert!(raw.contains(&format!("Message-ID: <{id}@localhost>")));
        let id = id.clone();
        let row = s.read(move |c| q::by_id(c, &id)).await.unwrap().unwrap();
        assert_eq!((row.state.as_str(), row.attempts), ("sent", 1));
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        3,
        "no temporary files are left"
    );
}

/// A minimal SMTP server: refuses the first `refuse` connections with 421, then accepts and records
/// each message by its Message-ID.
async fn smtp_sink(refuse: usize) -> (u16, Arc<Mutex<HashMap<String, usize>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen = received.clone();
    let refused = Arc::new(Mutex::new(0usize));
    actix_web::rt::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (seen, refused) = (seen.clone(), refused.clone());
            actix_web::rt::spawn(async move {
                let (read, mut write) = stream.into_split();
                let refuse_now = {
                    let mut n = refused.lock().unwrap();
                    *n += 1;
                    *n <= refuse
                };
                if refuse_now {
                    let _ = write.write_all(b"421 sink busy, try later\r\n").await;
                    return;
                }
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut lines = BufReader::new(read).lines();
                let mut in_data = false;
                let mut message_id = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            *seen
                                .lock()
                                .unwrap()
                                .entry(std::mem::take(&mut message_id))
                                .or_default() += 1;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else if let Some(id) = line.strip_prefix("Message-ID: ") {
                            message_id = id.to_string();
                        }
                        continue;
                    }
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, received)
}

#[actix_web::test]
async fn smtp_outage_delays_mail_and_loses_none() {
    let db = TestDatabase::new();
    let s = store(&db);
    let ids = queue(&s, 5).await;
    let (port, received) = smtp_sink(3).await;
    let worker = OutboxWorker {
        store: s.clone(),
        transport: Transport::from_config(
            Some(&format!("smtp://127.0.0.1:{port}")),
            db.dir.path().join("unused"),
        )
        .unwrap(),
        from: sender("guestlist <no-reply@localhost>").unwrap(),
        policy: fast(),
        claim: "w1".into(),
    };
    let mut delivered = 0;
    for _ in 0..20 {
        delivered += worker.run_once().await.unwrap();
        if delivered == ids.len() {
            break;
        }
    }
    assert_eq!(delivered, ids.len());
    let got = received.lock().unwrap().clone();
    for id in &ids {
        assert_eq!(
            got.get(&format!("<{id}@localhost>")),
            Some(&1),
            "{id} arrived exactly once: {got:?}"
        );
        let id = id.clone();
        let row = s.read(move |c| q::by_id(c, &id)).await.unwrap().unwrap();
        assert_eq!(row.state, "sent");
    }
    let retried = {
        let mut n = 0;
        for id in &ids {
            let id = id.clone();
            let row = s.read(move |c| q::by_id(c, &id)).await.unwrap().unwrap();
            n += (row.attempts > 1) as usize;
        }
        n
    };
    assert!(retried >= 1, "the refused connections caused retries");
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(
        received.lock().unwrap().values().sum::<usize>(),
        ids.len(),
        "no duplicates afterwards"
    );
}

#[actix_web::test]
async fn two_workers_never_send_the_same_message() {
    let db = TestDatabase::new();
    let s = store(&db);
    let ids = queue(&s, 20).await;
    let (port, received) = smtp_sink(0).await;
    let make = |claim: &str| OutboxWorker {
        store: s.clone(),
        transport: Transport::from_config(
            Some(&format!("smtp://127.0.0.1:{port}")),
            db.dir.path().join("unused"),
        )
        .unwrap(),
        from: sender("guestlist <no-reply@localhost>").unwrap(),
        policy: fast(),
        claim: claim.into(),
    };
    let (a, b) = (make("a"), make("b"));
    let (ra, rb) = futures_util::future::join(a.run_once(), b.run_once()).await;
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra + rb, ids.len());
    // Both workers took part, so every message was contested by two claimants.
    assert!(ra > 0 && rb > 0, "a sent {ra}, b sent {rb}");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), ids.len());
    assert!(got.values().all(|n| *n == 1), "{got:?}");
}

#[actix_web::test]
async fn a_message_gives_up_after_its_attempts_and_is_marked_failed() {
    let db = TestDatabase::new();
    let s = store(&db);
    let ids = queue(&s, 1).await;
    // Nothing listens on this port: every attempt fails.
    let port = common::free_port();
    let worker = OutboxWorker {
        store: s.clone(),
        transport: Transport::from_config(
            Some(&format!("smtp://127.0.0.1:{port}")),
            db.dir.path().join("unused"),
        )
        .unwrap(),
        from: sender("guestlist <no-reply@localhost>").unwrap(),
        policy: RetryPolicy {
            max_attempts: 3,
            ..fast()
        },
        claim: "w".into(),
    };
    for _ in 0..5 {
        worker.run_once().await.unwrap();
    }
    let id = ids[0].clone();
    let row = s.read(move |c| q::by_id(c, &id)).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 3));
    assert!(row.last_error.unwrap().contains("SMTP"));
}
