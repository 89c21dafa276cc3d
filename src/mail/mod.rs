//! Email: messages built once and queued in the durable outbox (`outbox`), delivered by a worker
//! through a transport (`transport`): files under `{data_dir}/outbox` by default, SMTP over rustls
//! when `smtp_url` is set.

pub mod account;
pub mod invitation;
pub mod outbox;
pub mod review;
pub mod transport;

use crate::error::{Error, Result};
use lettre::Message;
use lettre::message::{Mailbox, MultiPart, SinglePart, header};

/// The frame every branded email shares: its language, the tenant's name and logo (an absolute http(s)
/// URL, anything else left out) and the colours made readable against each other.
pub fn insert_brand(
    ctx: &mut tera::Context,
    language: crate::domain::language::Language,
    brand_name: &str,
    logo_url: Option<&str>,
    (primary, background): (&str, &str),
) {
    let palette = crate::domain::color::palette(primary, background);
    ctx.insert("lang", crate::locale::html_lang(language));
    ctx.insert("brand_name", brand_name);
    ctx.insert(
        "logo_url",
        &logo_url
            .map(str::trim)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
    );
    ctx.insert("primary_color", &palette.primary);
    ctx.insert("background_color", &palette.background);
    ctx.insert("button_text_color", &palette.on_primary);
    ctx.insert("link_color", &palette.link);
}

/// The host named in Message-IDs: the public URL's.
pub fn message_id_host(public_url: &str) -> String {
    url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into())
}

/// An email as a use case writes it; `outbox::enqueue` turns it into bytes.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// Builds the RFC 5322 message (headers encoded per RFC 2047, bodies as lettre chooses) with a
/// Message-ID derived from the outbox id, so every delivery attempt sends the same message.
pub fn build(
    from: &Mailbox,
    email: &OutgoingEmail,
    outbox_id: &str,
    host: &str,
) -> Result<(Mailbox, String)> {
    let to: Mailbox = email.to.parse().map_err(|e| {
        Error::invalid(
            "email",
            format!("{} is not a deliverable address: {e}", email.to),
        )
    })?;
    let builder = Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(email.subject.clone())
        .message_id(Some(format!("<{outbox_id}@{host}>")));
    let message = match &email.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(
            SinglePart::builder()
                .header(header::ContentType::TEXT_PLAIN)
                .body(email.text.clone()),
        ),
    }
    .map_err(|e| Error::internal(format!("building an email: {e}")))?;
    let raw = String::from_utf8(message.formatted()).map_err(Error::internal)?;
    Ok((to, raw))
}

/// The configured sender, checked at start so a typo fails loudly rather than at the first email.
pub fn sender(mail_from: &str) -> Result<Mailbox> {
    mail_from
        .parse()
        .map_err(|e| Error::Config(format!("mail_from {mail_from:?} is not a mailbox: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_multipart_message_with_a_stable_message_id() {
        let from = sender("guestlist <no-reply@localhost>").unwrap();
        let email = OutgoingEmail {
            to: "김민수 <minsu@fabrikam.example>".into(),
            subject: "Contoso에서 초대했습니다".into(),
            text: "안녕하세요".into(),
            html: Some("<p>안녕하세요</p>".into()),
        };
        let (to, raw) = build(&from, &email, "abc", "localhost").unwrap();
        assert_eq!(to.email.to_string(), "minsu@fabrikam.example");
        assert!(raw.contains("Message-ID: <abc@localhost>"), "{raw}");
        assert!(
            raw.contains("Subject: =?utf-8?"),
            "a non-ASCII subject is RFC 2047 encoded: {raw}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.is_ascii(), "the message travels as 7-bit text");
        assert!(
            build(
                &from,
                &OutgoingEmail {
                    to: "not an address".into(),
                    ..email
                },
                "x",
                "h"
            )
            .is_err()
        );
        assert!(sender("nonsense").is_err());
    }
}
