//! The error shape of the admin API, as its OpenAPI document describes it (the answers themselves are
//! made in `http::errors`).

use serde::Serialize;
use utoipa::ToSchema;

/// A problem details answer (RFC 9457), the shape of every error of this API.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}
