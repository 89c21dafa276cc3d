//! Configuration: a TOML file (`--config FILE`, else `./guestlist.toml` when present) overlaid by
//! `GUESTLIST_*` environment variables, the latter winning (see `shared/spec/interface.md`).

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub keys_dir: PathBuf,
    pub database_url: String,
    pub smtp_url: Option<String>,
    /// PEM file with extra root certificate(s) to trust for the SMTP server's TLS (a private CA),
    /// besides the webpki roots. Certificates are always verified.
    pub smtp_ca_file: Option<PathBuf>,
    /// Seconds before a failed email is retried; doubled after each further failure, up to an hour.
    pub mail_retry_delay: i64,
    /// Seconds before a failed back-channel logout delivery is retried; doubled after each further
    /// failure, up to ten minutes.
    pub logout_retry_delay: i64,
    /// Seconds between rounds of the guest lifecycle job (end dates, inactivity, reviews, deletion);
    /// 0 runs no rounds in this process.
    pub lifecycle_interval: i64,
    pub mail_from: String,
    pub log: String,
    /// How log lines are written to stderr: human-readable text (default) or one JSON object a line.
    pub log_format: LogFormat,
    /// Seconds `serve` waits, after SIGTERM or SIGINT, for in-flight requests and email deliveries.
    pub shutdown_timeout: u64,
    /// When set, `/metrics` answers only requests with `Authorization: Bearer <this token>`.
    pub metrics_token: Option<String>,
    /// Lifetimes, in seconds.
    pub code_ttl: i64,
    pub access_token_ttl: i64,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub session_ttl: i64,
    /// At most this many argon2id hashes run at once (fewer when the memory budget holds fewer).
    pub password_hash_concurrency: usize,
    /// MiB of working memory for password hashing: it decides how many hashes run at once (7 MiB
    /// each) and what is spare for hashes made with an earlier, bigger default.
    pub password_hash_memory: usize,
    /// Database pool size.
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before it answers 503.
    pub db_connect_timeout: std::time::Duration,
    /// HTTP worker threads (default: one per core).
    pub http_workers: usize,
    /// Serve HTTPS directly with this PEM certificate chain and key (otherwise plain HTTP, for a
    /// TLS-terminating proxy in front).
    pub tls: Option<TlsFiles>,
    /// Seconds a session may go unused before it ends (besides `session_ttl`, its absolute end).
    pub session_idle_ttl: i64,
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (CIDR blocks); nobody's by
    /// default, so a client cannot choose the address its attempts are counted under.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Upstream identity providers may have `http` issuers (tests, closed lab networks); `https` only
    /// by default.
    pub federation_allow_http: bool,
    /// Webhooks may reach private, loopback and link-local addresses (tests, on-premises receivers);
    /// refused by default, checked after DNS resolution.
    pub webhook_allow_private: bool,
    /// The first retry delay of a webhook delivery in seconds; the Standard Webhooks schedule (5 s,
    /// 5 min, 30 min, 2 h, 5 h, 10 h) is scaled by it over 5, for at most a day.
    pub webhook_retry_delay: i64,
    pub limits: Limits,
}

/// The abuse limits (see `crate::service::throttle`); every one is a `GUESTLIST_*` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Failed password sign-ins for one account from one address within `failure_window` before
    /// attempts wait.
    pub sign_in_failures: i64,
    /// Failed password sign-ins from one address, whatever the account, within `failure_window`.
    pub address_failures: i64,
    /// Failed client authentications at the token endpoints for one client from one address.
    pub client_failures: i64,
    /// Unknown or spent one-time links (setup, reset, invitation tickets) opened from one address.
    pub link_failures: i64,
    pub failure_window: i64,
    /// The first wait, doubled with each further failure up to `max_delay` (seconds).
    pub base_delay: i64,
    pub max_delay: i64,
    /// Self-service sign-ups per address per hour.
    pub sign_ups_per_hour: i64,
    /// Invitations one inviter (person or app) creates per hour.
    pub invitations_per_hour: i64,
    /// Sign-in requests one address may leave waiting (parked `/authorize` requests) per window.
    pub parked_requests: i64,
    /// Emails one address receives per hour on request from the pages (password reset links,
    /// verification links, one-time codes): past it, the request is answered as usual and nothing sent.
    pub account_emails_per_hour: i64,
    /// Such requests one source address makes per hour, whatever the recipient.
    pub account_email_requests_per_hour: i64,
    /// Password checks one address may have queued or running at once, so that one address cannot
    /// fill the argon2 queue that everyone shares.
    pub password_checks_per_address: usize,
}

/// The log line format (`log_format` / `GUESTLIST_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    pub fn parse(v: &str) -> Result<LogFormat> {
        match v.trim().to_ascii_lowercase().as_str() {
            "text" | "" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(Error::Config(format!(
                "log_format must be text or json, got {v:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The file form: every key optional, named as the environment variables without the prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    data_dir: Option<PathBuf>,
    keys_dir: Option<PathBuf>,
    database_url: Option<String>,
    smtp_url: Option<String>,
    smtp_ca_file: Option<PathBuf>,
    mail_retry_delay: Option<i64>,
    logout_retry_delay: Option<i64>,
    lifecycle_interval: Option<i64>,
    mail_from: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    shutdown_timeout: Option<i64>,
    metrics_token: Option<String>,
    code_ttl: Option<i64>,
    access_token_ttl: Option<i64>,
    id_token_ttl: Option<i64>,
    refresh_token_ttl: Option<i64>,
    session_ttl: Option<i64>,
    password_hash_concurrency: Option<usize>,
    password_hash_memory: Option<usize>,
    db_pool_size: Option<u32>,
    db_connect_timeout: Option<f64>,
    http_workers: Option<usize>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    session_idle_ttl: Option<i64>,
    trusted_proxies: Option<String>,
    federation_allow_http: Option<String>,
    webhook_allow_private: Option<String>,
    webhook_retry_delay: Option<i64>,
    sign_in_failure_limit: Option<i64>,
    address_failure_limit: Option<i64>,
    client_failure_limit: Option<i64>,
    link_failure_limit: Option<i64>,
    failure_window: Option<i64>,
    throttle_base_delay: Option<i64>,
    throttle_max_delay: Option<i64>,
    sign_ups_per_hour: Option<i64>,
    invitations_per_hour: Option<i64>,
    parked_request_limit: Option<i64>,
    password_checks_per_address: Option<i64>,
    account_emails_per_hour: Option<i64>,
    account_email_requests_per_hour: Option<i64>,
}

impl Config {
    /// Loads the file (explicit path must exist; the default path is optional) and the environment.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let file = match path {
            Some(p) => read_file(p)?,
            None if Path::new("guestlist.toml").exists() => read_file(Path::new("guestlist.toml"))?,
            None => FileConfig::default(),
        };
        Config::from_sources(file, |k| std::env::var(k).ok())
    }

    fn from_sources(file: FileConfig, env: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let s =
            |key: &str, from_file: Option<String>| env(&format!("GUESTLIST_{key}")).or(from_file);
        let num = |key: &str, from_file: Option<i64>, default: i64| -> Result<i64> {
            match env(&format!("GUESTLIST_{key}")) {
                Some(v) => v.parse().map_err(|_| {
                    Error::Config(format!("GUESTLIST_{key} must be a whole number, got {v:?}"))
                }),
                None => Ok(from_file.unwrap_or(default)),
            }
        };
        let data_dir = s("DATA_DIR", file.data_dir.map(|p| p.display().to_string()))
            .unwrap_or_else(|| "./data".into());
        let data_dir = PathBuf::from(data_dir);
        let keys_dir = PathBuf::from(
            s("KEYS_DIR", file.keys_dir.map(|p| p.display().to_string()))
                .unwrap_or_else(|| "./keys".into()),
        );
        let database_url = s("DATABASE_URL", file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}/guestlist.db", data_dir.display()));
        let public_url =
            s("PUBLIC_URL", file.public_url).unwrap_or_else(|| "http://localhost:8080".into());
        let public_url = public_url.trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&public_url)
            .map_err(|e| Error::Config(format!("public_url {public_url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(Error::Config(
                "public_url must be an http(s) URL without query or fragment".into(),
            ));
        }
        let path = |key: &str, from_file: Option<PathBuf>| {
            s(key, from_file.map(|p| p.display().to_string())).map(PathBuf::from)
        };
        let tls = match (
            path("TLS_CERT", file.tls_cert),
            path("TLS_KEY", file.tls_key),
        ) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            _ => {
                return Err(Error::Config(
                    "tls_cert and tls_key go together: set both or neither".into(),
                ));
            }
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let hash_threads = num(
            "PASSWORD_HASH_CONCURRENCY",
            file.password_hash_concurrency.map(|v| v as i64),
            cores as i64,
        )?
        .max(1) as usize;
        let config = Config {
            listen: s("LISTEN", file.listen).unwrap_or_else(|| "127.0.0.1:8080".into()),
            public_url,
            data_dir,
            keys_dir,
            database_url,
            smtp_url: s("SMTP_URL", file.smtp_url).filter(|v| !v.is_empty()),
            smtp_ca_file: path("SMTP_CA_FILE", file.smtp_ca_file)
                .filter(|p| !p.as_os_str().is_empty()),
            mail_retry_delay: num("MAIL_RETRY_DELAY", file.mail_retry_delay, 30)?,
            logout_retry_delay: num("LOGOUT_RETRY_DELAY", file.logout_retry_delay, 10)?,
            lifecycle_interval: num("LIFECYCLE_INTERVAL", file.lifecycle_interval, 3600)?,
            mail_from: s("MAIL_FROM", file.mail_from)
                .unwrap_or_else(|| "guestlist <no-reply@localhost>".into()),
            log: s("LOG", file.log).unwrap_or_else(|| "info".into()),
            log_format: LogFormat::parse(&s("LOG_FORMAT", file.log_format).unwrap_or_default())?,
            shutdown_timeout: num("SHUTDOWN_TIMEOUT", file.shutdown_timeout, 30)?.clamp(0, 3600)
                as u64,
            metrics_token: s("METRICS_TOKEN", file.metrics_token).filter(|v| !v.is_empty()),
            code_ttl: num("CODE_TTL", file.code_ttl, 60)?,
            access_token_ttl: num("ACCESS_TOKEN_TTL", file.access_token_ttl, 3600)?,
            id_token_ttl: num("ID_TOKEN_TTL", file.id_token_ttl, 3600)?,
            refresh_token_ttl: num("REFRESH_TOKEN_TTL", file.refresh_token_ttl, 30 * 24 * 3600)?,
            session_ttl: num("SESSION_TTL", file.session_ttl, 12 * 3600)?,
            password_hash_concurrency: hash_threads,
            password_hash_memory: num(
                "PASSWORD_HASH_MEMORY",
                file.password_hash_memory.map(|v| v as i64),
                32,
            )?
            .clamp(1, 65_536) as usize,
            db_pool_size: num("DB_POOL_SIZE", file.db_pool_size.map(i64::from), 16)?.clamp(2, 512)
                as u32,
            db_connect_timeout: {
                let raw = s(
                    "DB_CONNECT_TIMEOUT",
                    file.db_connect_timeout.map(|v| v.to_string()),
                );
                match raw {
                    None => std::time::Duration::from_secs(5),
                    Some(v) => v
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|s| (0.1..=300.0).contains(s))
                        .map(std::time::Duration::from_secs_f64)
                        .ok_or_else(|| {
                            Error::Config(format!(
                                "db_connect_timeout must be a number of seconds between 0.1 and 300, got {v:?}"
                            ))
                        })?,
                }
            },
            http_workers: num(
                "HTTP_WORKERS",
                file.http_workers.map(|v| v as i64),
                cores as i64,
            )?
            .clamp(1, 256) as usize,
            tls,
            session_idle_ttl: num("SESSION_IDLE_TTL", file.session_idle_ttl, 2 * 3600)?,
            trusted_proxies: parse_proxies(
                &s("TRUSTED_PROXIES", file.trusted_proxies).unwrap_or_default(),
            )?,
            federation_allow_http: switch(
                "federation_allow_http",
                s("FEDERATION_ALLOW_HTTP", file.federation_allow_http),
            )?,
            webhook_allow_private: switch(
                "webhook_allow_private",
                s("WEBHOOK_ALLOW_PRIVATE", file.webhook_allow_private),
            )?,
            webhook_retry_delay: num("WEBHOOK_RETRY_DELAY", file.webhook_retry_delay, 5)?,
            limits: Limits {
                sign_in_failures: num("SIGN_IN_FAILURE_LIMIT", file.sign_in_failure_limit, 5)?,
                address_failures: num("ADDRESS_FAILURE_LIMIT", file.address_failure_limit, 50)?,
                client_failures: num("CLIENT_FAILURE_LIMIT", file.client_failure_limit, 5)?,
                link_failures: num("LINK_FAILURE_LIMIT", file.link_failure_limit, 20)?,
                failure_window: num("FAILURE_WINDOW", file.failure_window, 900)?,
                base_delay: num("THROTTLE_BASE_DELAY", file.throttle_base_delay, 30)?,
                max_delay: num("THROTTLE_MAX_DELAY", file.throttle_max_delay, 900)?,
                sign_ups_per_hour: num("SIGN_UPS_PER_HOUR", file.sign_ups_per_hour, 20)?,
                invitations_per_hour: num(
                    "INVITATIONS_PER_HOUR",
                    file.invitations_per_hour,
                    10_000,
                )?,
                parked_requests: num("PARKED_REQUEST_LIMIT", file.parked_request_limit, 300)?,
                account_emails_per_hour: num(
                    "ACCOUNT_EMAILS_PER_HOUR",
                    file.account_emails_per_hour,
                    5,
                )?,
                account_email_requests_per_hour: num(
                    "ACCOUNT_EMAIL_REQUESTS_PER_HOUR",
                    file.account_email_requests_per_hour,
                    30,
                )?,
                // Four per hashing thread: enough for a busy office behind one address, while one
                // address's flood leaves the rest of the queue to everyone else.
                password_checks_per_address: num(
                    "PASSWORD_CHECKS_PER_ADDRESS",
                    file.password_checks_per_address,
                    4 * hash_threads as i64,
                )?
                .clamp(1, 1024) as usize,
            },
        };
        for (name, v) in [
            ("sign_in_failure_limit", config.limits.sign_in_failures),
            ("address_failure_limit", config.limits.address_failures),
            ("client_failure_limit", config.limits.client_failures),
            ("link_failure_limit", config.limits.link_failures),
            ("failure_window", config.limits.failure_window),
            ("throttle_base_delay", config.limits.base_delay),
            ("throttle_max_delay", config.limits.max_delay),
            ("sign_ups_per_hour", config.limits.sign_ups_per_hour),
            ("invitations_per_hour", config.limits.invitations_per_hour),
            ("parked_request_limit", config.limits.parked_requests),
            (
                "account_emails_per_hour",
                config.limits.account_emails_per_hour,
            ),
            (
                "account_email_requests_per_hour",
                config.limits.account_email_requests_per_hour,
            ),
        ] {
            if !(1..=1_000_000_000).contains(&v) {
                return Err(Error::Config(format!(
                    "{name} must be a whole number between 1 and 1000000000"
                )));
            }
        }
        if !(0..=31_536_000).contains(&config.lifecycle_interval) {
            return Err(Error::Config(
                "lifecycle_interval must be between 0 (off) and 31536000 seconds".into(),
            ));
        }
        for (name, v) in [
            ("code_ttl", config.code_ttl),
            ("access_token_ttl", config.access_token_ttl),
            ("id_token_ttl", config.id_token_ttl),
            ("refresh_token_ttl", config.refresh_token_ttl),
            ("session_ttl", config.session_ttl),
            ("session_idle_ttl", config.session_idle_ttl),
            ("mail_retry_delay", config.mail_retry_delay),
            ("logout_retry_delay", config.logout_retry_delay),
            ("webhook_retry_delay", config.webhook_retry_delay),
        ] {
            if v <= 0 || v > 31_536_000 {
                return Err(Error::Config(format!(
                    "{name} must be between 1 and 31536000 seconds"
                )));
            }
        }
        Ok(config)
    }

    /// Cookies get `Secure` when people reach the server over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Where the file mail transport writes (`{data_dir}/outbox`).
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// `GUESTLIST_TRUSTED_PROXIES`: CIDR blocks or single addresses, separated by commas or spaces.
fn parse_proxies(raw: &str) -> Result<Vec<ipnet::IpNet>> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    Error::Config(format!(
                        "trusted_proxies: {p:?} is not an address or a CIDR block"
                    ))
                })
        })
        .collect()
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

/// A true/false setting (`1`, `true`, `yes` / `0`, `false`, `no`, empty); false when absent.
fn switch(name: &str, raw: Option<String>) -> Result<bool> {
    match raw.as_deref().map(str::trim) {
        None | Some("" | "0" | "false" | "no") => Ok(false),
        Some("1" | "true" | "yes") => Ok(true),
        Some(other) => Err(Error::Config(format!(
            "{name} must be true or false, got {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(file: &str, env: &[(&str, &str)]) -> Result<Config> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_sources(toml::from_str(file).unwrap(), |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_interface_spec() {
        let c = load("", &[]).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://localhost:8080");
        assert_eq!(c.database_url, "sqlite://./data/guestlist.db");
        assert_eq!(c.mail_from, "guestlist <no-reply@localhost>");
        assert!(c.smtp_url.is_none());
        assert_eq!(c.code_ttl, 60);
        assert!(!c.secure_cookies());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.shutdown_timeout, 30);
        assert!(c.metrics_token.is_none());
    }

    #[test]
    fn environment_wins_over_file() {
        let c = load(
            "listen = \"0.0.0.0:9000\"\npublic_url = \"https://id.example/\"\ndata_dir = \"/srv/gl\"",
            &[("GUESTLIST_LISTEN", "127.0.0.1:1")],
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
        assert_eq!(c.public_url, "https://id.example");
        assert_eq!(c.database_url, "sqlite:///srv/gl/guestlist.db");
        assert!(c.tls.is_none());
        assert!(c.secure_cookies());
    }

    #[test]
    fn observability_settings_come_from_file_and_environment() {
        let c = load(
            "log_format = \"json\"\nshutdown_timeout = 5\nmetrics_token = \"scrape\"",
            &[],
        )
        .unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.shutdown_timeout, 5);
        assert_eq!(c.metrics_token.as_deref(), Some("scrape"));
        let c = load(
            "log_format = \"json\"",
            &[
                ("GUESTLIST_LOG_FORMAT", "text"),
                ("GUESTLIST_METRICS_TOKEN", ""),
            ],
        )
        .unwrap();
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(c.metrics_token.is_none(), "an empty token means none");
    }

    #[test]
    fn smtp_settings_come_from_file_and_environment() {
        let c = load("", &[]).unwrap();
        assert!(c.smtp_ca_file.is_none());
        assert_eq!(c.mail_retry_delay, 30);
        let c = load(
            "smtp_url = \"smtp://u:p@mail.example?tls=starttls\"\nsmtp_ca_file = \"/etc/ca.pem\"\nmail_retry_delay = 5",
            &[("GUESTLIST_MAIL_RETRY_DELAY", "2")],
        )
        .unwrap();
        assert_eq!(c.smtp_ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(c.mail_retry_delay, 2);
        let c = load(
            "smtp_ca_file = \"/etc/ca.pem\"",
            &[("GUESTLIST_SMTP_CA_FILE", "")],
        )
        .unwrap();
        assert!(c.smtp_ca_file.is_none(), "an empty value means none");
        assert!(load("", &[("GUESTLIST_MAIL_RETRY_DELAY", "0")]).is_err());
        assert!(load("", &[("GUESTLIST_MAIL_RETRY_DELAY", "soon")]).is_err());
    }

    #[test]
    fn bad_values_are_reported() {
        assert!(load("", &[("GUESTLIST_PUBLIC_URL", "not a url")]).is_err());
        assert!(load("", &[("GUESTLIST_CODE_TTL", "soon")]).is_err());
        assert!(load("", &[("GUESTLIST_LOG_FORMAT", "xml")]).is_err());
        assert!(load("", &[("GUESTLIST_SHUTDOWN_TIMEOUT", "-")]).is_err());
        assert!(toml::from_str::<FileConfig>("bogus = 1").is_err());
        assert!(
            load("", &[("GUESTLIST_TLS_CERT", "/c.pem")]).is_err(),
            "a certificate without its key"
        );
    }
}
