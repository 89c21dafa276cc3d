//! A fake SMTP server on loopback: plain SMTP (no TLS, no AUTH), recording each message it accepts.
//! It can refuse the first connections (an outage) and answer slowly (a slow relay). For STARTTLS and
//! AUTH, `tests/smtp_tls.rs` runs a real server instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// How the fake server behaves.
#[derive(Clone, Debug, Default)]
pub struct SmtpBehaviour {
    /// The first this many connections get `421` and are closed.
    pub refuse_first: usize,
    /// How long the server waits after the end of a message's data before it accepts the message.
    pub delay: Duration,
}

/// A message the fake server accepted.
#[derive(Clone, Debug)]
pub struct Accepted {
    /// The `Message-ID` header (with its angle brackets), or empty when the message had none.
    pub message_id: String,
    /// The envelope recipients (`RCPT TO`), lower case, without angle brackets.
    pub recipients: Vec<String>,
    /// The message as sent (headers and body, CRLF line ends, dot-stuffing undone).
    pub raw: String,
}

/// A running fake SMTP server; it runs until the test's runtime ends.
pub struct FakeSmtp {
    pub port: u16,
    accepted: Arc<Mutex<Vec<Accepted>>>,
}

impl FakeSmtp {
    /// A server that accepts every message at once.
    pub async fn start() -> FakeSmtp {
        Self::start_with(SmtpBehaviour::default()).await
    }

    pub async fn start_with(behaviour: SmtpBehaviour) -> FakeSmtp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted: Arc<Mutex<Vec<Accepted>>> = Arc::default();
        let record = accepted.clone();
        tokio::spawn(async move {
            let mut connections = 0usize;
            while let Ok((stream, _)) = listener.accept().await {
                connections += 1;
                let refuse = connections <= behaviour.refuse_first;
                tokio::spawn(converse(stream, refuse, behaviour.delay, record.clone()));
            }
        });
        FakeSmtp { port, accepted }
    }

    /// The `GUESTLIST_SMTP_URL` of this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn accepted(&self) -> Vec<Accepted> {
        self.accepted.lock().unwrap().clone()
    }

    /// How many times each Message-ID was accepted.
    pub fn per_message_id(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for m in self.accepted.lock().unwrap().iter() {
            *counts.entry(m.message_id.clone()).or_default() += 1;
        }
        counts
    }

    /// How many messages each recipient got.
    pub fn per_recipient(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for m in self.accepted.lock().unwrap().iter() {
            for r in &m.recipients {
                *counts.entry(r.clone()).or_default() += 1;
            }
        }
        counts
    }

    /// How many deliveries (message and recipient) were made.
    pub fn deliveries(&self) -> usize {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.recipients.len())
            .sum()
    }
}

/// One SMTP session: greeting (or refusal), commands, and the data of each message.
async fn converse(
    stream: tokio::net::TcpStream,
    refuse: bool,
    delay: Duration,
    accepted: Arc<Mutex<Vec<Accepted>>>,
) {
    let (read, mut write) = stream.into_split();
    if refuse {
        let _ = write.write_all(b"421 sink busy, try later\r\n").await;
        return;
    }
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    let mut lines = BufReader::new(read).lines();
    let mut in_data = false;
    let mut message_id = String::new();
    let mut recipients = Vec::new();
    let mut raw = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if in_data {
            if line == "." {
                in_data = false;
                tokio::time::sleep(delay).await;
                accepted.lock().unwrap().push(Accepted {
                    message_id: std::mem::take(&mut message_id),
                    recipients: std::mem::take(&mut recipients),
                    raw: std::mem::take(&mut raw),
                });
                if write.write_all(b"250 queued\r\n").await.is_err() {
                    return;
                }
                // The terminating dot is no line of this message, nor the start of the next one.
                continue;
            } else if let Some(id) = line.strip_prefix("Message-ID: ") {
                message_id = id.to_string();
            }
            raw.push_str(line.strip_prefix('.').unwrap_or(&line));
            raw.push_str("\r\n");
            continue;
        }
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250 sink\r\n"
        } else if upper.starts_with("RCPT TO:") {
            let address = line["RCPT TO:".len()..].trim().trim_start_matches('<');
            let address = address.split('>').next().unwrap_or_default();
            recipients.push(address.to_ascii_lowercase());
            b"250 ok\r\n"
        } else if upper.starts_with("DATA") {
            in_data = true;
            b"354 go ahead\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
