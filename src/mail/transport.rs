//! Where the outbox delivers: `.eml` files (the embedded default) or an SMTP server over rustls.

use crate::error::{Error, Result};
use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::PathBuf;

pub enum Transport {
    /// Writes `{dir}/{outbox id}.eml`.
    Files(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Transport {
    /// The transport for `smtp_url`, or files under `outbox_dir` when it is unset. Accepts
    /// `smtp://host:port` (plain), `smtp://…?tls=starttls` (STARTTLS required), `smtps://…` (implicit
    /// TLS), with user and password in the URL.
    pub fn from_config(smtp_url: Option<&str>, outbox_dir: PathBuf) -> Result<Transport> {
        let Some(url) = smtp_url else {
            std::fs::create_dir_all(&outbox_dir).map_err(|e| {
                Error::Config(format!("cannot create {}: {e}", outbox_dir.display()))
            })?;
            return Ok(Transport::Files(outbox_dir));
        };
        // lettre names STARTTLS "required"; the operator interface says "starttls".
        let url = url.replace("tls=starttls", "tls=required");
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| Error::Config(format!("smtp_url is not usable: {e}")))?;
        Ok(Transport::Smtp(
            builder
                .timeout(Some(std::time::Duration::from_secs(30)))
                .build(),
        ))
    }

    pub async fn deliver(&self, id: &str, from: &Mailbox, to: &str, raw: &str) -> Result<()> {
        match self {
            Transport::Files(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let tmp = dir.join(format!(".{id}.tmp"));
                tokio::fs::write(&tmp, raw)
                    .await
                    .map_err(|e| Error::Unavailable(format!("writing {}: {e}", tmp.display())))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| Error::Unavailable(format!("writing {}: {e}", path.display())))
            }
            Transport::Smtp(smtp) => {
                let to: Mailbox = to
                    .parse()
                    .map_err(|e| Error::invalid("recipient", format!("{e}")))?;
                let envelope = Envelope::new(Some(from.email.clone()), vec![to.email])
                    .map_err(|e| Error::invalid("recipient", format!("{e}")))?;
                smtp.send_raw(&envelope, raw.as_bytes())
                    .await
                    .map(|_| ())
                    .map_err(|e| Error::Unavailable(format!("SMTP: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn smtp_urls_of_the_interface_spec_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        for url in [
            "smtp://mail.example:25",
            "smtp://u:p@mail.example:587?tls=starttls",
            "smtps://u:p@mail.example",
        ] {
            assert!(
                matches!(
                    Transport::from_config(Some(url), dir.path().into()),
                    Ok(Transport::Smtp(_))
                ),
                "{url}"
            );
        }
        assert!(Transport::from_config(Some("ftp://mail.example"), dir.path().into()).is_err());
        assert!(matches!(
            Transport::from_config(None, dir.path().join("out")),
            Ok(Transport::Files(_))
        ));
        assert!(dir.path().join("out").is_dir());
    }
}
