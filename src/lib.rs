//! guestlist: an OpenID Connect identity provider for organisations and their partner guests.

pub mod clock;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod keys;
pub mod store;
