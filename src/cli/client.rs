//! Where admin calls go: the use cases in this process on the configured database (acting as the
//! operator), or the admin API of a running server with a bearer token.

use super::calls::{self, Call};
use crate::config::Config;
use crate::server;
use crate::service::Services;

/// Why a command stopped: a usage problem (exit code 2) or a failed call (exit code 1).
#[derive(Debug)]
pub enum Stop {
    Usage(String),
    Failed(String),
}

impl Stop {
    /// Prints `error: …` and gives the exit code.
    pub fn report(self) -> std::process::ExitCode {
        let (code, message) = match self {
            Stop::Usage(m) => (2, m),
            Stop::Failed(m) => (1, m),
        };
        eprintln!("error: {message}");
        std::process::ExitCode::from(code)
    }
}

impl From<crate::error::Error> for Stop {
    /// What a use case refused, said as the admin API says it (its problem JSON's `detail`).
    fn from(e: crate::error::Error) -> Self {
        use crate::error::Error as E;
        Stop::Failed(match e {
            E::Invalid { field, message } => format!("{field}: {message}"),
            E::NotFound(m)
            | E::Conflict(m)
            | E::Forbidden(m)
            | E::Denied(m)
            | E::PreconditionFailed(m)
            | E::PreconditionRequired(m) => m,
            other => other.to_string(),
        })
    }
}

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(serde_json::Value),
    Bytes(Vec<u8>),
}

impl Body {
    fn parts(self) -> Option<(&'static str, Vec<u8>)> {
        match self {
            Body::None => None,
            Body::Json(v) => Some(("application/json", v.to_string().into_bytes())),
            Body::Bytes(b) => Some(("application/octet-stream", b)),
        }
    }
}

/// An answer: its status, the object's ETag (when it has one) and the body (JSON, or a file).
pub struct Reply {
    pub status: u16,
    pub etag: Option<String>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON (`null` when empty).
    pub fn json(&self) -> Result<serde_json::Value, Stop> {
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Stop::Failed(format!("the server's answer is not JSON: {e}")))
    }

    /// The answer when it is a success, else what the server said was wrong (problem JSON's `detail`).
    fn ok(self) -> Result<Reply, Stop> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let problem: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        let said = ["detail", "title", "error_description", "error"]
            .iter()
            .find_map(|k| {
                problem[k]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            });
        Err(Stop::Failed(said.unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&self.body);
            let start: String = text.trim().chars().take(200).collect();
            format!("the server answered {} {start}", self.status)
                .trim()
                .to_string()
        })))
    }
}

/// Where calls go.
pub enum Client {
    /// The use cases of this process over the configured database; no port is opened.
    Local(Box<Services>),
    Remote {
        http: reqwest::Client,
        base: String,
        token: String,
    },
}

impl Client {
    /// The use cases in this process, as the operator.
    pub fn local(config: Config) -> Result<Client, Stop> {
        Ok(Client::Local(Box::new(server::prepare(config)?)))
    }

    /// The admin API of the server at `base`, with a bearer token.
    pub fn remote(base: &str, token: Option<String>) -> Result<Client, Stop> {
        let url = url::Url::parse(base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none())
            .ok_or_else(|| Stop::Usage(format!("--server {base:?} is not an http(s) URL")))?;
        let token = token
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| Stop::Usage("--server needs --token (or GUESTLIST_TOKEN)".into()))?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| Stop::Failed(format!("cannot set up HTTP: {e}")))?;
        Ok(Client::Remote {
            http,
            base: url.as_str().trim_end_matches('/').to_string(),
            token: token.trim().to_string(),
        })
    }

    /// Carries out one call; a failure is what the server (or the use case) said was wrong.
    pub async fn send(&self, call: Call) -> Result<Reply, Stop> {
        match self {
            Client::Local(svc) => calls::local(svc, call).await?.ok(),
            Client::Remote { http, base, token } => {
                let r = call.request()?;
                let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
                let method =
                    reqwest::Method::from_bytes(r.method.as_bytes()).map_err(|e| failed(&e))?;
                let mut req = http
                    .request(method, format!("{base}{}", r.path))
                    .bearer_auth(token);
                if !r.query.is_empty() {
                    req = req.query(&r.query);
                }
                for (name, value) in &r.headers {
                    req = req.header(*name, value);
                }
                if let Some((content_type, bytes)) = r.body.parts() {
                    req = req.header("content-type", content_type).body(bytes);
                }
                let resp = req
                    .send()
                    .await
                    .map_err(|e| Stop::Failed(format!("cannot reach {base}: {e}")))?;
                let status = resp.status().as_u16();
                let etag = resp
                    .headers()
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let body = resp
                    .bytes()
                    .await
                    .map_err(|e| Stop::Failed(format!("reading the answer of {base}: {e}")))?;
                Reply {
                    status,
                    etag,
                    body: body.to_vec(),
                }
                .ok()
            }
        }
    }
}
