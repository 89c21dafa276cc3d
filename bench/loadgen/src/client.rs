//! One keep-alive HTTP/1.1 connection to the server under test, on loopback only.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use tokio::net::TcpStream;

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Sender = SendRequest<Full<Bytes>>;

/// Where requests go: the socket address and the `Host` header that names it.
#[derive(Clone, Debug)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: HeaderValue,
}

impl Target {
    /// `base` is `http://127.0.0.1:PORT`; anything but a loopback address is refused.
    pub fn parse(base: &str) -> Result<Target, Error> {
        let authority = base
            .strip_prefix("http://")
            .ok_or("the base URL must start with http://")?
            .trim_end_matches('/');
        let addr: SocketAddr = authority
            .parse()
            .map_err(|e| format!("{authority:?} is not IP:PORT: {e}"))?;
        if !addr.ip().is_loopback() {
            return Err(format!("{addr} is not a loopback address").into());
        }
        Ok(Target {
            addr,
            host: HeaderValue::from_str(authority)?,
        })
    }
}

/// A request to send again and again: cheap to clone into a `hyper::Request`.
#[derive(Clone, Debug)]
pub struct Template {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Template {
    pub fn get(path: impl Into<String>) -> Template {
        Template {
            method: Method::GET,
            path: path.into(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub fn post_form(path: impl Into<String>, body: String) -> Template {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        Template {
            method: Method::POST,
            path: path.into(),
            headers,
            body: Bytes::from(body),
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: &str) -> Result<Template, Error> {
        self.headers.insert(name, HeaderValue::from_str(value)?);
        Ok(self)
    }

    pub fn with_body(&self, body: String) -> Template {
        Template {
            body: Bytes::from(body),
            ..self.clone()
        }
    }

    pub fn build(&self, target: &Target) -> Result<Request<Full<Bytes>>, Error> {
        let mut req = Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .body(Full::new(self.body.clone()))?;
        let headers = req.headers_mut();
        headers.insert(header::HOST, target.host.clone());
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        Ok(req)
    }
}

/// A whole answer: status, headers and the body read to its end (so the connection can be reused).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The value of cookie `name` among the `Set-Cookie` headers.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .find(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim().to_string())
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// The start of the body, for error messages.
    pub fn snippet(&self) -> String {
        let end = self.body.len().min(200);
        String::from_utf8_lossy(&self.body[..end]).replace('\n', " ")
    }
}

pub async fn connect(target: &Target) -> Result<Sender, Error> {
    let stream = TcpStream::connect(target.addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
    // The connection task ends when the sender is dropped or the server closes the socket.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

pub async fn send(sender: &mut Sender, req: Request<Full<Bytes>>) -> Result<Reply, Error> {
    let resp = sender.send_request(req).await?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// One request on a fresh connection, for setup steps.
pub async fn once(target: &Target, template: &Template) -> Result<Reply, Error> {
    let mut sender = connect(target).await?;
    sender.ready().await?;
    send(&mut sender, template.build(target)?).await
}
