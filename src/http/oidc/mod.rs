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
use crate::http::routes::route_table;

route_table!(PROTOCOL_ROUTES, protocol_routes, "/t/{slug}", [
    get "/.well-known/openid-configuration" => discovery::openid_configuration;
    get "/jwks" => discovery::jwks;
    get "/authorize" => authorize::authorize_get;
    post "/authorize" => authorize::authorize_post;
    get "/authorize/resume" => authorize::resume;
    post "/token" => token::token;
    get "/userinfo" => userinfo::userinfo_get;
    post "/userinfo" => userinfo::userinfo_post;
    post "/revoke" => token::revoke;
    post "/introspect" => token::introspect;
    get "/logout" => logout::logout_get;
    post "/logout" => logout::logout_post;
]);

/// Protocol endpoints that relying apps call with client credentials or a bearer token, never a browser's
/// form: the only POST routes outside the API that carry no CSRF token.
pub const CLIENT_POSTS: &[&str] = &[
    "/t/{slug}/authorize",
    "/t/{slug}/token",
    "/t/{slug}/userinfo",
    "/t/{slug}/revoke",
    "/t/{slug}/introspect",
];

/// The tenant for a protocol endpoint; unknown tenants get OAuth JSON, not a page.
pub async fn tenant_for_protocol(
    svc: &Services,
    req: &HttpRequest,
) -> Result<Arc<Tenant>, OAuthJson> {
    Ok(crate::http::caller::path_tenant(svc, req).await?)
}
