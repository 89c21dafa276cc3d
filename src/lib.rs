//! guestlist: an OpenID Connect identity provider for organisations and their partner guests.

pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod http;
pub mod keys;
pub mod locale;
pub mod mail;
pub mod observability;
pub mod server;
pub mod service;
pub mod store;
pub mod templates;
