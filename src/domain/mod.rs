//! Pure types and rules: no I/O, no actix, no diesel. Everything here is unit-tested in place.

pub mod access;
pub mod backchannel;
pub mod calendar;
pub mod claims;
pub mod color;
pub mod email;
pub mod home_directory;
pub mod invitation_csv;
pub mod language;
pub mod lifecycle;
pub mod logo;
pub mod one_time_code;
pub mod outbound;
pub mod pkce;
pub mod policy;
pub mod redirect;
pub mod scope;
pub mod spreadsheet;
pub mod tenant;
pub mod throttle;
pub mod upstream;
pub mod user;
pub mod webhook;

use std::fmt;

/// A rule broken by some input; `field` names the input so a form or an API can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainError {
    pub field: &'static str,
    pub message: String,
}

impl DomainError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        DomainError {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for DomainError {}
