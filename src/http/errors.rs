//! The one place where `Error` becomes an HTTP response, for each kind of caller:
//! OAuth error JSON on protocol endpoints, a readable page for people, problem JSON for the API.

use crate::domain::language::Language;
use crate::error::{Error, OAuthErrorCode, Result};
use crate::http::frame_context;
use crate::locale::Locale;
use crate::service::authorize::safe_description;
use crate::service::tenants::Tenant;
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
        Error::Throttled { retry_after } => (
            OAuthErrorCode::TemporarilyUnavailable,
            StatusCode::TOO_MANY_REQUESTS,
            format!("too many failed attempts; try again in {retry_after} seconds"),
        ),
        Error::Unavailable(_) => (
            OAuthErrorCode::TemporarilyUnavailable,
            StatusCode::SERVICE_UNAVAILABLE,
            "the service is temporarily unavailable".into(),
        ),
        Error::Unauthenticated | Error::Forbidden(_) | Error::Denied(_) => (
            OAuthErrorCode::AccessDenied,
            StatusCode::FORBIDDEN,
            "access denied".into(),
        ),
        Error::Conflict(m) | Error::PreconditionFailed(m) | Error::PreconditionRequired(m) => (
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
        retry_after(&mut resp, &self.error);
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

/// `Retry-After` on a throttled answer being built.
fn retry_after(resp: &mut actix_web::HttpResponseBuilder, e: &Error) {
    if let Error::Throttled { retry_after } = e {
        resp.insert_header((header::RETRY_AFTER, retry_after.max(&1).to_string()));
    }
}

/// `Retry-After` on a throttled answer already built (a page).
pub fn set_retry_after(resp: &mut HttpResponse, seconds: i64) {
    if let Ok(v) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

/// Errors shown to people: a page in the tenant's frame and the person's language, with a plain explanation.
#[derive(Debug)]
pub struct PageError {
    pub error: Error,
    /// The tenant whose page failed; its branding frames the error. `None` before a tenant is known.
    pub tenant: Option<Box<Tenant>>,
    /// The page's language; `None` for the tenant's default (English outside any tenant).
    pub language: Option<Language>,
}

impl PageError {
    /// An error page outside any tenant, in `language`.
    pub fn plain(error: Error, language: Language) -> Self {
        PageError {
            error,
            tenant: None,
            language: Some(language),
        }
    }

    fn language(&self) -> Language {
        self.language.unwrap_or_else(|| {
            self.tenant
                .as_ref()
                .map(|t| t.settings.default_language)
                .unwrap_or_default()
        })
    }
}

impl From<Error> for PageError {
    fn from(error: Error) -> Self {
        PageError {
            error,
            tenant: None,
            language: None,
        }
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

fn page_status(e: &Error) -> StatusCode {
    match e {
        Error::OAuth { .. } | Error::Invalid { .. } => StatusCode::BAD_REQUEST,
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
        Error::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) | Error::Denied(_) => StatusCode::FORBIDDEN,
        Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Error::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Config(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The title and explanation of an error page, in `locale`. A message the error carries (from a service or
/// a handler) is shown as it came; the fixed ones, and the CSRF refusal every form may meet, are localised.
fn page_text(e: &Error, locale: &Locale) -> Result<(String, String)> {
    let s = |key: &str| locale.raw(key).map(str::to_string);
    Ok(match e {
        Error::OAuth { code, description } => {
            (s("error_request_title")?, format!("{description} ({code})"))
        }
        Error::Invalid { field, .. } if field == "csrf" => {
            (s("error_invalid_title")?, s("error_csrf_message")?)
        }
        Error::Invalid { message, .. } => (s("error_invalid_title")?, locale.message(message)),
        Error::NotFound(m) => (s("error_not_found_title")?, locale.message(m)),
        Error::Conflict(m) => (s("error_conflict_title")?, locale.message(m)),
        Error::PreconditionFailed(m) | Error::PreconditionRequired(m) => {
            (s("error_changed_title")?, locale.message(m))
        }
        Error::Unauthenticated => (s("error_sign_in_title")?, s("error_sign_in_message")?),
        Error::Forbidden(m) | Error::Denied(m) => (s("error_forbidden_title")?, locale.message(m)),
        Error::PayloadTooLarge => (s("error_too_large_title")?, s("error_too_large_message")?),
        Error::Throttled { retry_after } => (
            s("error_throttled_title")?,
            locale.text(
                "error_throttled_message",
                &[("seconds", &retry_after.to_string())],
            )?,
        ),
        Error::Unavailable(_) => (
            s("error_unavailable_title")?,
            s("error_unavailable_message")?,
        ),
        Error::Config(_) | Error::Internal(_) => {
            (s("error_internal_title")?, s("error_internal_message")?)
        }
    })
}

/// Renders a message page in a tenant's frame (or the plain one); used by `PageError` and by handlers for
/// messages that are not errors.
pub fn message_page(
    status: StatusCode,
    tenant: Option<&Tenant>,
    language: Language,
    title: &str,
    message: &str,
) -> HttpResponse {
    let body = frame_context(tenant, language).and_then(|mut ctx| {
        ctx.insert("title", title);
        ctx.insert("message", message);
        Templates::global().render("pages/error.html", &ctx)
    });
    let body = body.unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering an error page");
        format!("<!doctype html><title>{status}</title><h1>{status}</h1>")
    });
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            crate::http::page_csp(tenant),
        ))
        .content_type("text/html; charset=utf-8")
        .body(body)
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        page_status(&self.error)
    }

    fn error_response(&self) -> HttpResponse {
        log(&self.error);
        let status = page_status(&self.error);
        let language = self.language();
        let text = Locale::new(language).and_then(|l| page_text(&self.error, &l));
        let (title, message) = text.unwrap_or_else(|e| {
            tracing::error!(error = %e, "locale of an error page");
            (status.to_string(), String::new())
        });
        let mut resp = message_page(status, self.tenant.as_deref(), language, &title, &message);
        if let Error::Throttled { retry_after } = &self.error {
            set_retry_after(&mut resp, *retry_after);
        }
        resp
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
        Error::PreconditionFailed(m) => (
            StatusCode::PRECONDITION_FAILED,
            "Precondition failed",
            m.clone(),
        ),
        Error::PreconditionRequired(m) => (
            StatusCode::PRECONDITION_REQUIRED,
            "Precondition required",
            m.clone(),
        ),
        Error::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            "Not authenticated",
            "a bearer access token is required".into(),
        ),
        Error::Forbidden(m) | Error::Denied(m) => (StatusCode::FORBIDDEN, "Forbidden", m.clone()),
        Error::PayloadTooLarge => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Payload too large",
            "the request body is too large".into(),
        ),
        Error::Throttled { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            format!("try again in {retry_after} seconds"),
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
        retry_after(&mut resp, &self.0);
        if status == StatusCode::UNAUTHORIZED {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
        }
        resp.content_type("application/problem+json").body(
            json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail }).to_string(),
        )
    }
}
