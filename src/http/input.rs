//! Reading request parameters: query strings and `application/x-www-form-urlencoded` bodies, with
//! repeated names kept so callers can refuse them.

use crate::error::{Error, Result};
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use std::collections::HashMap;

pub type Params = HashMap<String, Vec<String>>;

pub fn parse_urlencoded(bytes: &[u8]) -> Params {
    let mut out: Params = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        out.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    out
}

pub fn query(req: &HttpRequest) -> Params {
    parse_urlencoded(req.query_string().as_bytes())
}

/// The request body, at most [`super::MAX_BODY`] bytes. Read here rather than by the `Bytes` extractor so
/// that a body too large gets the endpoint's own error format (OAuth JSON, a page), not the framework's
/// plain-text 413.
pub async fn body(payload: web::Payload) -> Result<web::Bytes> {
    match payload.to_bytes_limited(super::MAX_BODY).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(Error::invalid("body", "the request body could not be read")),
        Err(_) => Err(Error::PayloadTooLarge),
    }
}

/// The body as form parameters; other content types are refused (a JSON body is not a form).
pub fn form(req: &HttpRequest, body: &[u8]) -> Result<Params> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if body.is_empty() && ct.is_empty() {
        return Ok(Params::new());
    }
    if !ct.starts_with("application/x-www-form-urlencoded") {
        return Err(Error::invalid(
            "content-type",
            "send the parameters as application/x-www-form-urlencoded",
        ));
    }
    Ok(parse_urlencoded(body))
}

/// One value of `name`: absent or empty is `None`; given twice is an error (RFC 6749 §3.1).
pub fn single<'a>(p: &'a Params, name: &str) -> Result<Option<&'a str>> {
    match p.get(name).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([v]) if v.is_empty() => Ok(None),
        Some([v]) => Ok(Some(v.as_str())),
        Some(_) => Err(Error::invalid(
            name.to_string(),
            format!("{name} was given more than once"),
        )),
    }
}

/// A form field for a page, where repetition is not worth an error: the first value, or "".
pub fn field<'a>(p: &'a Params, name: &str) -> &'a str {
    p.get(name)
        .and_then(|v| v.first())
        .map(String::as_str)
        .unwrap_or_default()
}
