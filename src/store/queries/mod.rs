//! Queries, one file per table family. Each function takes a connection, so a service can call
//! several inside one transaction.

pub mod action_tokens;
pub mod apps;
pub mod audit;
pub mod backchannel;
pub mod federation;
pub mod groups;
pub mod invitations;
pub mod oauth;
pub mod one_time_codes;
pub mod outbox;
pub mod sessions;
pub mod tenants;
pub mod terms;
pub mod throttles;
pub mod users;
pub mod webhooks;
