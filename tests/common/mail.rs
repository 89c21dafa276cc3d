//! Delivered messages read as a mail client reads them: MIME parts, their transfer encodings
//! (quoted-printable, base64) and RFC 2047 headers, decoded by `mail-parser`; and an outbox worker of
//! a test's own that delivers them.

use guestlist::mail::outbox::{OutboxWorker, RetryPolicy};
use guestlist::mail::sender;
use guestlist::mail::transport::Transport;
use guestlist::store::Store;
use guestlist::store::models::OutboxRow;
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use std::path::Path;

/// A text part of a message: its content type (`text/plain`, `text/html`, lower case) and its decoded
/// body.
#[derive(Debug, Clone)]
pub struct TextPart {
    pub content_type: String,
    pub body: String,
}

fn parse(raw: &str) -> Message<'_> {
    MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap_or_else(|| panic!("not a message: {raw}"))
}

/// The decoded text parts of the raw message `raw`, in their order in the message.
pub fn text_parts(raw: &str) -> Vec<TextPart> {
    parse(raw)
        .parts
        .iter()
        .filter_map(|part| {
            let body = match &part.body {
                PartType::Text(text) | PartType::Html(text) => text.to_string(),
                _ => return None,
            };
            let content_type = part.content_type().map_or_else(
                || "text/plain".to_string(),
                |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()),
                    None => ct.ctype().to_string(),
                },
            );
            Some(TextPart {
                content_type: content_type.to_ascii_lowercase(),
                body,
            })
        })
        .collect()
}

/// The decoded body of the first part of `raw` whose content type is `content_type`.
pub fn part_body(raw: &str, content_type: &str) -> String {
    text_parts(raw)
        .into_iter()
        .find(|p| p.content_type == content_type)
        .map(|p| p.body)
        .unwrap_or_else(|| panic!("no {content_type} part in {raw}"))
}

/// The decoded bodies of every text part of `raw`, one after another.
pub fn decoded_bodies(raw: &str) -> String {
    text_parts(raw).into_iter().map(|p| p.body + "\n").collect()
}

/// The Subject of `raw`, unfolded and decoded.
pub fn subject(raw: &str) -> String {
    parse(raw)
        .subject()
        .unwrap_or_else(|| panic!("no Subject in {raw}"))
        .to_string()
}

/// Whether the Subject header of `raw` is written as RFC 2047 `B` words of UTF-8 (as a subject that is
/// not ASCII must be).
pub fn subject_is_encoded(raw: &str) -> bool {
    parse(raw)
        .header_raw("Subject")
        .is_some_and(|s| s.to_ascii_lowercase().contains("=?utf-8?b?"))
}

/// The invitation link of `raw`: `<{public_url}/invite/{ticket}>` in the plain-text part, which the
/// HTML part links as well.
pub fn invitation_link(raw: &str, public_url: &str) -> String {
    let text = part_body(raw, "text/plain");
    let marker = format!("<{public_url}/invite/");
    let start = text
        .find(&marker)
        .unwrap_or_else(|| panic!("no invitation link in {text}"))
        + 1;
    let end = start + text[start..].find('>').expect("the link's end");
    let link = text[start..end].to_string();
    let html = part_body(raw, "text/html");
    assert!(
        html.contains(&format!("href=\"{link}\"")),
        "the HTML part links the same URL: {html}"
    );
    link
}

/// Retries at once, up to ten attempts: a test's own outbox worker never waits.
pub fn immediate_retries() -> RetryPolicy {
    RetryPolicy {
        base_delay_secs: 0,
        max_delay_secs: 0,
        max_attempts: 10,
        lease_secs: 60,
    }
}

/// An outbox worker of the test's own on `store`, claiming as `claim`, sending as `from` through the
/// SMTP server at `smtp_url`, or as `.eml` files in `dir` without one; it retries at once.
pub fn outbox_worker(
    store: &Store,
    smtp_url: Option<&str>,
    dir: &Path,
    from: &str,
    claim: &str,
) -> OutboxWorker {
    OutboxWorker {
        store: store.clone(),
        transport: Transport::from_config(smtp_url, dir.to_path_buf()).unwrap(),
        from: sender(from).unwrap(),
        policy: immediate_retries(),
        claim: claim.into(),
    }
}

/// The outbox row of the message `id`.
pub async fn outbox_row(store: &Store, id: &str) -> OutboxRow {
    let id = id.to_string();
    store
        .read(move |c| guestlist::store::queries::outbox::by_id(c, &id))
        .await
        .unwrap()
        .expect("the outbox row")
}

/// Every outbox row of the tenant `tenant_id`.
pub async fn outbox_rows(store: &Store, tenant_id: &str) -> Vec<OutboxRow> {
    let tenant_id = tenant_id.to_string();
    store
        .read(move |c| {
            use diesel::prelude::*;
            use guestlist::store::schema::outbox_messages::dsl as o;
            Ok(o::outbox_messages
                .filter(o::tenant_id.eq(&tenant_id))
                .select(OutboxRow::as_select())
                .load(c)?)
        })
        .await
        .unwrap()
}
