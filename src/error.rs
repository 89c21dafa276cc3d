//! The one error type of guestlist. `http::errors` turns it into a response, once, for each kind of caller.

use std::fmt;

/// An OAuth 2.0 / OpenID Connect error code (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6; RFC 6750).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    /// RFC 8707: the `resource` a client named is not one the server issues tokens for.
    InvalidTarget,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
    UnsupportedTokenType,
    ServerError,
    TemporarilyUnavailable,
}

impl OAuthErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidToken => "invalid_token",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A protocol error with its OAuth code. The description is shown to the client and must stay
    /// within the characters RFC 6749 allows (no quotes, backslashes or control characters).
    #[error("{code}: {description}")]
    OAuth {
        code: OAuthErrorCode,
        description: String,
    },
    /// Input that failed validation; `field` names what was wrong so forms and APIs can point at it.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The object changed since the caller read it (`If-Match` did not match).
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// An update came without `If-Match`.
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// An authorization rule refused the caller. Like `Forbidden` to the caller; the services audit it.
    #[error("denied: {0}")]
    Denied(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// Too many failures or actions: nothing was tried, and the caller may try again after
    /// `retry_after` seconds (429 with `Retry-After`).
    #[error("too many attempts; try again in {retry_after} s")]
    Throttled { retry_after: i64 },
    /// The database or another dependency is down; callers should retry later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn oauth(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Error::OAuth {
            code,
            description: description.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(e: impl fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

/// A patch field as a rule reads it: absent stays absent; present, it is parsed, and a refusal names the
/// field of the request (every patch of the services checks its fields this way).
pub fn patch_field<T>(
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> std::result::Result<T, crate::domain::DomainError>,
) -> Result<Option<T>> {
    raw.map(|r| parse(r).map_err(|e| Error::invalid(field, e.message)))
        .transpose()
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match e {
            D::NotFound => Error::NotFound("record".into()),
            D::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Error::Conflict(info.message().to_string())
            }
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                Error::Unavailable(info.message().to_string())
            }
            other => Error::Internal(format!("database: {other}")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for Error {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Error::Unavailable(format!("database pool: {e}"))
    }
}

impl From<crate::domain::DomainError> for Error {
    fn from(e: crate::domain::DomainError) -> Self {
        Error::Invalid {
            field: e.field.to_string(),
            message: e.message,
        }
    }
}
