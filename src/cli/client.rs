//! One way for every admin command to reach the admin API: in-process against the configured database
//! (acting as the operator), or over HTTP to a running server with a bearer token.

use crate::config::Config;
use crate::http::api::LocalOperator;
use crate::server;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::TestRequest;
use actix_web::{App, HttpMessage, web};
use futures_util::future::LocalBoxFuture;
use std::rc::Rc;

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
    fn from(e: crate::error::Error) -> Self {
        Stop::Failed(e.to_string())
    }
}

/// A request body.
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

/// An answer: its status, headers (names in lower case) and body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    fn new<'a>(
        status: u16,
        headers: impl Iterator<Item = (&'a str, &'a [u8])>,
        body: &[u8],
    ) -> Reply {
        Reply {
            status,
            headers: headers
                .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v).into_owned()))
                .collect(),
            body: body.to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`null` when empty).
    pub fn json(&self) -> Result<serde_json::Value, Stop> {
        if self.body.is_empty() {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| Stop::Failed(format!("the server's answer is not JSON: {e}")))
    }

    /// The answer when it is a success, else what the server said was wrong (problem JSON's `detail`).
    pub fn ok(self) -> Result<Reply, Stop> {
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

type Dispatch =
    Box<dyn Fn(TestRequest) -> LocalBoxFuture<'static, Result<ServiceResponse, actix_web::Error>>>;

/// Where requests go.
pub enum Client {
    /// The server's routes, built in this process over the configured database; no port is opened.
    Local(Dispatch),
    Remote {
        http: reqwest::Client,
        base: String,
        token: String,
    },
}

impl Client {
    /// The admin API in this process, as the operator.
    pub async fn local(config: Config) -> Result<Client, Stop> {
        let data = web::Data::new(server::prepare(config)?);
        let app = App::new().app_data(data).configure(crate::http::routes);
        let service = Rc::new(actix_web::test::init_service(app).await);
        Ok(Client::Local(Box::new(move |req: TestRequest| {
            let service = service.clone();
            Box::pin(async move {
                let req = req.to_request();
                req.extensions_mut().insert(LocalOperator);
                service.call(req).await
            })
        })))
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

    /// Sends one request to the admin API: `path` starts with `/api/v1`; `headers` adds to it.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Body,
        headers: &[(&str, &str)],
    ) -> Result<Reply, Stop> {
        let failed = |e: &dyn std::fmt::Display| Stop::Failed(e.to_string());
        match self {
            Client::Local(dispatch) => {
                let method = actix_web::http::Method::from_bytes(method.as_bytes())
                    .map_err(|e| failed(&e))?;
                let mut req = TestRequest::default().method(method).uri(path);
                for (name, value) in headers {
                    req = req.insert_header((*name, *value));
                }
                if let Some((content_type, bytes)) = body.parts() {
                    req = req
                        .insert_header(("content-type", content_type))
                        .set_payload(bytes);
                }
                let resp = dispatch(req).await.map_err(|e| failed(&e))?;
                let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
                let body = actix_web::body::to_bytes(resp.into_body())
                    .await
                    .map_err(|e| failed(&e))?;
                let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
                Ok(Reply::new(status, pairs, &body))
            }
            Client::Remote { http, base, token } => {
                let method =
                    reqwest::Method::from_bytes(method.as_bytes()).map_err(|e| failed(&e))?;
                let mut req = http
                    .request(method, format!("{base}{path}"))
                    .bearer_auth(token);
                for (name, value) in headers {
                    req = req.header(*name, *value);
                }
                if let Some((content_type, bytes)) = body.parts() {
                    req = req.header("content-type", content_type).body(bytes);
                }
                let resp = req
                    .send()
                    .await
                    .map_err(|e| Stop::Failed(format!("cannot reach {base}: {e}")))?;
                let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
                let body = resp
                    .bytes()
                    .await
                    .map_err(|e| Stop::Failed(format!("reading the answer of {base}: {e}")))?;
                let pairs = headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes()));
                Ok(Reply::new(status, pairs, &body))
            }
        }
    }
}
