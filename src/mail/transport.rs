//! Where the outbox delivers: `.eml` files (the embedded default) or an SMTP server over rustls.
//!
//! The server's certificate is always verified, against the webpki (Mozilla) roots plus the PEM roots of
//! `smtp_ca_file` when set (a private CA, or a test's own).

use crate::config::Config;
use crate::error::{Error, Result};
use lettre::address::Envelope;
use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::{Path, PathBuf};

pub enum Transport {
    /// Writes `{dir}/{outbox id}.eml`, owner-only: the files are the delivered mail, live links and all.
    Files(PathBuf),
    Smtp(Smtp),
}

/// lettre's SMTP transport, dropped inside the Tokio runtime it was made on: its connection pool spawns
/// its own shutdown when dropped, which panics outside a runtime (as when a runtime drops its tasks).
pub struct Smtp {
    /// Always set until dropped.
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    runtime: Option<tokio::runtime::Handle>,
}

impl Smtp {
    fn new(transport: AsyncSmtpTransport<Tokio1Executor>) -> Smtp {
        Smtp {
            transport: Some(transport),
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _entered = self.runtime.as_ref().map(|r| r.enter());
        drop(self.transport.take());
    }
}

/// How an `smtp_url` protects the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://host:port`: no TLS.
    Plain,
    /// `smtp://…?tls=starttls` (or lettre's `tls=required`): STARTTLS, and no mail without it.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtps://…`: TLS from the first byte.
    Implicit,
}

/// The host and security of `smtp_url`, and the URL in lettre's spelling (`tls=starttls` becomes
/// `tls=required`).
pub fn parse_smtp_url(smtp_url: &str) -> Result<(String, SmtpSecurity, String)> {
    let mut url = url::Url::parse(smtp_url)
        .map_err(|e| Error::Config(format!("smtp_url is not a URL: {e}")))?;
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = match (k.as_ref(), v.to_ascii_lowercase()) {
                ("tls", lower) if lower == "starttls" => "required".to_string(),
                ("tls", lower) => lower,
                _ => v.into_owned(),
            };
            (k.into_owned(), v)
        })
        .collect();
    let tls = pairs
        .iter()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.clone());
    if !pairs.is_empty() {
        url.query_pairs_mut().clear().extend_pairs(&pairs);
    }
    let security = match (url.scheme(), tls.as_deref()) {
        ("smtp", None) => SmtpSecurity::Plain,
        ("smtp", Some("required")) => SmtpSecurity::StartTls,
        ("smtp", Some("opportunistic")) => SmtpSecurity::Opportunistic,
        ("smtps", _) => SmtpSecurity::Implicit,
        (scheme, tls) => {
            return Err(Error::Config(format!(
                "smtp_url: use smtp://host:port, smtp://…?tls=starttls or smtps://… (got scheme {scheme:?}, tls {tls:?})"
            )));
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::Config("smtp_url has no host".into()))?
        .to_string();
    Ok((host, security, url.into()))
}

/// Creates the outbox directory readable by its owner only (0700 on Unix), its parents as usual. A directory
/// that exists is left as the operator made it (another program may collect the files), with a warning
/// when others may open it.
fn create_outbox_dir(dir: &Path) -> Result<()> {
    let cannot = |e: std::io::Error| Error::Config(format!("cannot create {}: {e}", dir.display()));
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(cannot)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(dir).map_err(cannot)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(
                        dir = %dir.display(),
                        mode = %format!("{:o}", mode & 0o777),
                        "the outbox directory holds emails with live links but others may open it: chmod 700 it"
                    );
                }
            }
            Ok(())
        }
        Err(e) => Err(cannot(e)),
    }
}

/// Writes `bytes` to a new file at `path` that only its owner may read (0600 on Unix); a file left there
/// by an interrupted attempt is replaced.
async fn write_owner_only(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (path, bytes) = (path.to_path_buf(), bytes.to_vec());
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(&path)?.write_all(&bytes)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The extra roots of `smtp_ca_file`: every certificate of the PEM file, at least one.
fn extra_roots(path: &Path) -> Result<Certificate> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path)
        .map_err(|e| Error::Config(format!("smtp_ca_file: cannot read {}: {e}", path.display())))?;
    let count = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Config(format!("smtp_ca_file {}: {e}", path.display())))?
        .len();
    if count == 0 {
        return Err(Error::Config(format!(
            "smtp_ca_file {} holds no PEM certificate",
            path.display()
        )));
    }
    Certificate::from_pem(&pem)
        .map_err(|e| Error::Config(format!("smtp_ca_file {}: {e}", path.display())))
}

impl Transport {
    /// The transport the configuration asks for: `smtp_url` (trusting `smtp_ca_file` too), else files
    /// under `{data_dir}/outbox`.
    pub fn for_config(config: &Config) -> Result<Transport> {
        Transport::with_roots(
            config.smtp_url.as_deref(),
            config.smtp_ca_file.as_deref(),
            config.outbox_dir(),
        )
    }

    /// The transport for `smtp_url`, or files under `outbox_dir` when it is unset. Accepts
    /// `smtp://host:port` (plain), `smtp://…?tls=starttls` (STARTTLS required), `smtps://…` (implicit
    /// TLS), with user and password in the URL.
    pub fn from_config(smtp_url: Option<&str>, outbox_dir: PathBuf) -> Result<Transport> {
        Transport::with_roots(smtp_url, None, outbox_dir)
    }

    /// Like [`Transport::from_config`], trusting the root certificates of the PEM file `ca_file` as well
    /// as the webpki roots for the SMTP server.
    pub fn with_roots(
        smtp_url: Option<&str>,
        ca_file: Option<&Path>,
        outbox_dir: PathBuf,
    ) -> Result<Transport> {
        let Some(url) = smtp_url else {
            if let Some(ca) = ca_file {
                return Err(Error::Config(format!(
                    "smtp_ca_file ({}) is set but smtp_url is not",
                    ca.display()
                )));
            }
            create_outbox_dir(&outbox_dir)?;
            return Ok(Transport::Files(outbox_dir));
        };
        let (host, security, url) = parse_smtp_url(url)?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| Error::Config(format!("smtp_url is not usable: {e}")))?;
        if let Some(ca) = ca_file {
            let params = || -> Result<TlsParameters> {
                TlsParameters::builder(host.clone())
                    .add_root_certificate(extra_roots(ca)?)
                    .build_rustls()
                    .map_err(|e| Error::Config(format!("SMTP TLS settings: {e}")))
            };
            builder = builder.tls(match security {
                SmtpSecurity::Plain => {
                    return Err(Error::Config(format!(
                        "smtp_ca_file ({}) is set but smtp_url uses no TLS: add ?tls=starttls or use smtps://",
                        ca.display()
                    )));
                }
                SmtpSecurity::StartTls => Tls::Required(params()?),
                SmtpSecurity::Opportunistic => Tls::Opportunistic(params()?),
                SmtpSecurity::Implicit => Tls::Wrapper(params()?),
            });
        }
        Ok(Transport::Smtp(Smtp::new(
            builder
                .timeout(Some(std::time::Duration::from_secs(30)))
                .build(),
        )))
    }

    pub async fn deliver(&self, id: &str, from: &Mailbox, to: &str, raw: &str) -> Result<()> {
        match self {
            Transport::Files(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let tmp = dir.join(format!(".{id}.tmp"));
                write_owner_only(&tmp, raw.as_bytes())
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
                let smtp = smtp
                    .transport
                    .as_ref()
                    .ok_or_else(|| Error::internal("the SMTP transport was dropped"))?;
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

    #[test]
    fn smtp_urls_name_their_security() {
        let parse = |u: &str| parse_smtp_url(u).map(|(host, security, _)| (host, security));
        let host = || "mail.example".to_string();
        assert_eq!(
            parse("smtp://mail.example:25").unwrap(),
            (host(), SmtpSecurity::Plain)
        );
        assert_eq!(
            parse("smtp://u:p@mail.example:587?tls=starttls").unwrap(),
            (host(), SmtpSecurity::StartTls)
        );
        assert_eq!(
            parse("smtp://mail.example?tls=STARTTLS").unwrap(),
            (host(), SmtpSecurity::StartTls)
        );
        assert_eq!(
            parse("smtp://mail.example?tls=required").unwrap(),
            (host(), SmtpSecurity::StartTls)
        );
        assert_eq!(
            parse("smtp://mail.example?tls=opportunistic").unwrap(),
            (host(), SmtpSecurity::Opportunistic)
        );
        assert_eq!(
            parse("smtps://u:p@mail.example").unwrap(),
            (host(), SmtpSecurity::Implicit)
        );
        assert_eq!(
            parse("smtp://127.0.0.1:2525?tls=starttls").unwrap().0,
            "127.0.0.1"
        );
        // The user and password stay as they were written (percent-encoded), for lettre to decode.
        let (_, _, url) =
            parse_smtp_url("smtp://us%40er:p%3Ass@mail.example?tls=starttls").unwrap();
        assert_eq!(url, "smtp://us%40er:p%3Ass@mail.example?tls=required");
        for bad in [
            "ftp://mail.example",
            "smtp://mail.example?tls=maybe",
            "not a url",
            "smtp:///nohost",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    /// A self-signed certificate, as PEM.
    fn self_signed_pem() -> Vec<u8> {
        use openssl::asn1::Asn1Time;
        use openssl::ec::{EcGroup, EcKey};
        use openssl::hash::MessageDigest;
        use openssl::nid::Nid;
        use openssl::pkey::PKey;
        use openssl::x509::{X509Builder, X509NameBuilder};
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let key = PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap();
        let mut name = X509NameBuilder::new().unwrap();
        name.append_entry_by_text("CN", "guestlist unit test CA")
            .unwrap();
        let name = name.build();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_subject_name(&name).unwrap();
        b.set_issuer_name(&name).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
            .unwrap();
        b.set_not_after(&Asn1Time::days_from_now(1).unwrap())
            .unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        b.build().to_pem().unwrap()
    }

    #[tokio::test]
    async fn a_ca_file_adds_roots_to_tls_urls_only() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let ca = dir.path().join("ca.pem");
        let two = dir.path().join("two.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&ca, self_signed_pem()).unwrap();
        std::fs::write(&two, [self_signed_pem(), self_signed_pem()].concat()).unwrap();
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let with =
            |url: Option<&str>, file: &Path| Transport::with_roots(url, Some(file), out.clone());
        for url in [
            "smtp://u:p@127.0.0.1:2525?tls=starttls",
            "smtp://127.0.0.1:2525?tls=opportunistic",
            "smtps://u:p@localhost:4650",
        ] {
            assert!(
                matches!(with(Some(url), &ca), Ok(Transport::Smtp(_))),
                "{url}"
            );
        }
        assert!(
            matches!(
                with(Some("smtp://mail.example?tls=starttls"), &two),
                Ok(Transport::Smtp(_))
            ),
            "a bundle of roots"
        );
        let err = |r: Result<Transport>| match r {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted"),
        };
        let msg = err(with(Some("smtp://mail.example:25"), &ca));
        assert!(msg.contains("uses no TLS"), "{msg}");
        let msg = err(with(None, &ca));
        assert!(msg.contains("smtp_url is not"), "{msg}");
        let msg = err(with(
            Some("smtps://mail.example"),
            &dir.path().join("missing.pem"),
        ));
        assert!(msg.contains("missing.pem"), "{msg}");
        let msg = err(with(Some("smtps://mail.example"), &empty));
        assert!(msg.contains("no PEM certificate"), "{msg}");
        assert!(!out.exists(), "nothing falls back to files");
    }
}
