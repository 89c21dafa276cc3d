//! The one place where `Error` becomes an HTTP response, for each kind of caller:
//! OAuth error JSON on protocol endpoints, a readable page for people, problem JSON for the API.

use crate::error::{Error, OAuthErrorCode};
use crate::service::authorize::safe_description;
use crate::templates::Templates;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;
use std::fmt;

/// Logs what callers do not see, once, where the response is made.
fn log(e: &Error) {
    match e {
        Error::Internal(m) => tracing::error!(error = %m, "internal error"),
        Error::Unavailable(m) => tracing::warn!(error = %m, "dependency unavailable"),
        Error::Config(m) => tracing::error!(error = %m, "configuration error"),
        _ => {}
    }
}

/// Errors of the token, revocation and introspection endpoints (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthJson {
    pub error: Error,
    /// The client authenticated with HTTP Basic: a 401 names the scheme (RFC 6749 §5.2).
    pub basic_challenge: bool,
}

impl From<Error> for OAuthJson {
    fn from(error: Error) -> Self {
        OAuthJson {
            error,
            basic_challenge: false,
        }
    }
}

impl fmt::Display for OAuthJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

fn oauth_code_and_status(e: &Error) -> (OAuthErrorCode, StatusCode, String) {
    match e {
        Error::OAuth { code, description } => {
            let status = match code {
                OAuthErrorCode::InvalidClient | OAuthErrorCode::InvalidToken => {
                    StatusCode::UNAUTHORIZED
                }
                OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
                OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            (*code, status, description.clone())
        }
        Error::Invalid { field, message } => (
            OAuthErrorCode::InvalidRequest,
            StatusCode::BAD_REQUEST,
            format!("{field}: {message}"),
        ),
        Error::NotFound(m) => (
            OAuthErrorCode::InvalidRequest,
            StatusCode::NOT_FOUND,
            format!("not found: {m}"),
        ),
        Error::PayloadTooLarge => (
            OAuthErrorCode::InvalidRequest,
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large".into(),
        ),
        Error::Unavailable(_) => (
            OAuthErrorCode::TemporarilyUnavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is temporarily unavailable".into(),
        ),
        Error::Unauthenticated | Error::Forbidden(_) => (
            OAuthErrorCode::AccessDenied,
            StatusCode::FORBIDDEN,
            "access denied".into(),
        ),
        Error::Conflict(m) => (
            OAuthErrorCode::InvalidRequest,
            StatusCode::CONFLICT,
            m.clone(),
        ),
        Error::Config(_) | Error::Internal(_) => (
            OAuthErrorCode::ServerError,
            StatusCode::INTERNAL_SERVER_ERROR,
            "an unexpected error occurred".into(),
        ),
    }
}

impl ResponseError for OAuthJson {
    fn status_code(&self) -> StatusCode {
        oauth_code_and_status(&self.error).1
    }

    fn error_response(&self) -> HttpResponse {
        log(&self.error);
        let (code, status, description) = oauth_code_and_status(&self.error);
        let mut resp = HttpResponse::build(status);
        resp.insert_header((header::CACHE_CONTROL, "no-store"));
        if status == StatusCode::UNAUTHORIZED {
            let challenge = if code == OAuthErrorCode::InvalidToken {
                format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    safe_description(&description)
                )
            } else if self.basic_challenge {
                "Basic realm=\"guestlist\"".to_string()
            } else {
                String::new()
            };
            if let Ok(v) = HeaderValue::from_str(&challenge)
                && !challenge.is_empty()
            {
                resp.insert_header((header::WWW_AUTHENTICATE, v));
            }
        }
        resp.json(
            json!({ "error": code.as_str(), "error_description": safe_description(&description) }),
        )
    }
}

/// Errors shown to people: a page in the tenant's colours with a plain explanation.
#[derive(Debug)]
pub struct PageError {
    pub error: Error,
    pub tenant_name: String,
    pub privacy_url: Option<String>,
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError {
            error,
            tenant_name: "guestlist".into(),
            privacy_url: None,
        }
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

fn page_text(e: &Error) -> (StatusCode, &'static str, String) {
    match e {
        Error::OAuth { code, description } => (
            StatusCode::BAD_REQUEST,
            "This sign-in request cannot be completed",
            format!("{description} ({code})"),
        ),
        Error::Invalid { message, .. } => (StatusCode::BAD_REQUEST, "Something in the request is not right", message.clone()),
        Error::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
        Error::Conflict(m) => (StatusCode::CONFLICT, "That already exists", m.clone()),
        Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "Please sign in", "You need to sign in to see this page.".into()),
        Error::Forbidden(m) => (StatusCode::FORBIDDEN, "No access", m.clone()),
        Error::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Too much data", "The form sent more data than this page accepts.".into()),
        Error::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "The service cannot answer right now. Please try again in a moment.".into(),
        ),
        Error::Config(_) | Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "An unexpected error occurred. Please try again; if it keeps happening, tell the administrator.".into(),
        ),
    }
}

/// Renders a page from parts; used by `PageError` and by handlers for non-error messages.
pub fn message_page(
    status: StatusCode,
    tenant_name: &str,
    privacy_url: Option<&str>,
    title: &str,
    message: &str,
) -> HttpResponse {
    let mut ctx = tera::Context::new();
    ctx.insert("tenant_name", tenant_name);
    ctx.insert("privacy_url", &privacy_url);
    ctx.insert("title", title);
    ctx.insert("message", message);
    let body = Templates::global()
        .render("pages/error.html", &ctx)
        .unwrap_or_else(|_| format!("<!doctype html><title>{status}</title><h1>{status}</h1>"));
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        page_text(&self.error).0
    }

    fn error_response(&self) -> HttpResponse {
        log(&self.error);
        let (status, title, message) = page_text(&self.error);
        message_page(
            status,
            &self.tenant_name,
            self.privacy_url.as_deref(),
            title,
            &message,
        )
    }
}

/// Errors of the JSON admin API: problem details (RFC 9457).
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn api_status(e: &Error) -> (StatusCode, &'static str, String) {
    match e {
        Error::OAuth { code, description } => {
            let status = if *code == OAuthErrorCode::InvalidToken {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, "Not authorised", description.clone())
        }
        Error::Invalid { field, message } => (
            StatusCode::BAD_REQUEST,
            "Invalid request",
            format!("{field}: {message}"),
        ),
        Error::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m.clone()),
        Error::Conflict(m) => (StatusCode::CONFLICT, "Conflict", m.clone()),
        Error::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
            "a bearer access token is required".into(),
        ),
        Error::Forbidden(m) => (StatusCode::FORBIDDEN, "Forbidden", m.clone()),
        Error::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload too large",
            "the request body is too large".into(),
        ),
        Error::Unavailable(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "try again later".into(),
        ),
        Error::Config(_) | Error::Internal(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "an unexpected error occurred".into(),
        ),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        api_status(&self.0).0
    }

    fn error_response(&self) -> HttpResponse {
        log(&self.0);
        let (status, title, detail) = api_status(&self.0);
        let mut resp = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
        }
        resp.content_type("application/problem+json").body(
            json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail }).to_string(),
        )
    }
}
