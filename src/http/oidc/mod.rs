//! The protocol endpoints of each tenant (their paths are listed in discovery).

pub mod authorize;
pub mod client_auth;
pub mod discovery;
pub mod logout;
pub mod token;
pub mod userinfo;

use crate::service::Services;
use crate::service::tenants::Tenant;
use actix_web::HttpRequest;
use std::sync::Arc;

use super::errors::OAuthJson;

/// The tenant for a protocol endpoint; unknown tenants get OAuth JSON, not a page.
pub async fn tenant_for_protocol(
    svc: &Services,
    req: &HttpRequest,
) -> Result<Arc<Tenant>, OAuthJson> {
    Ok(crate::http::caller::path_tenant(svc, req).await?)
}
