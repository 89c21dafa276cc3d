//! The JSON admin API (`/api/v1`). Callers present a bearer access token of the tenant for the admin API
//! (see [`crate::http::caller::ApiCaller`]); the use cases decide what each caller may do. The CLI uses
//! the same use cases in-process, or this API with `--server`.

pub mod apps;
pub mod audit;
pub mod groups;
pub mod identity_providers;
pub mod invitations;
pub mod openapi;
pub mod problem;
pub mod settings;
pub mod tenants;
pub mod terms;
pub mod users;
pub mod webhooks;

use crate::error::Error;
use crate::http::MAX_UPLOAD;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::http::routes::route_table;
use crate::service::etag::Tagged;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use std::future::Future;

route_table!(ROUTES, routes, "/api/v1", [
    get "/openapi.json" => openapi::document;
    get "/tenants" => tenants::list;
    post "/tenants" => tenants::create;
    get "/identity-providers" => identity_providers::list_shared;
    post "/identity-providers" => identity_providers::create_shared;
    delete "/identity-providers/{id}" => identity_providers::delete_shared;
    get "/tenants/{slug}/users" => users::list;
    post "/tenants/{slug}/users" => users::create;
    get "/tenants/{slug}/users/{id}" => users::get;
    patch "/tenants/{slug}/users/{id}" => users::update;
    delete "/tenants/{slug}/users/{id}" => users::delete;
    post "/tenants/{slug}/users/{id}/password-reset" => users::password_reset;
    post "/tenants/{slug}/users/{id}/resend-invitation" => users::resend_invitation;
    post "/tenants/{slug}/users/{id}/reset-redemption" => users::reset_redemption;
    get "/tenants/{slug}/users/{id}/sponsors" => users::sponsors;
    put "/tenants/{slug}/users/{id}/sponsors" => users::set_sponsors;
    get "/tenants/{slug}/groups" => groups::list;
    post "/tenants/{slug}/groups" => groups::create;
    get "/tenants/{slug}/groups/{id}" => groups::get;
    patch "/tenants/{slug}/groups/{id}" => groups::update;
    delete "/tenants/{slug}/groups/{id}" => groups::delete;
    put "/tenants/{slug}/groups/{id}/members/{userId}" => groups::add_member;
    delete "/tenants/{slug}/groups/{id}/members/{userId}" => groups::remove_member;
    get "/tenants/{slug}/apps" => apps::list;
    post "/tenants/{slug}/apps" => apps::create;
    get "/tenants/{slug}/apps/{id}" => apps::get;
    patch "/tenants/{slug}/apps/{id}" => apps::update;
    delete "/tenants/{slug}/apps/{id}" => apps::delete;
    post "/tenants/{slug}/apps/{id}/secret" => apps::rotate_secret;
    post "/tenants/{slug}/apps/{id}/assignments" => apps::assign;
    delete "/tenants/{slug}/apps/{id}/assignments/{principalType}/{principalId}" => apps::unassign;
    post "/tenants/{slug}/invitations" => invitations::create;
    get "/tenants/{slug}/invitations" => invitations::list;
    post "/tenants/{slug}/invitations/csv" => invitations::upload_csv, limit = MAX_UPLOAD;
    get "/tenants/{slug}/invitations/{id}" => invitations::get;
    post "/tenants/{slug}/invitations/{id}/resend" => invitations::resend;
    post "/tenants/{slug}/invitations/{id}/revoke" => invitations::revoke;
    get "/tenants/{slug}/branding" => settings::branding;
    patch "/tenants/{slug}/branding" => settings::update_branding;
    put "/tenants/{slug}/branding/logo" => settings::put_logo, limit = MAX_UPLOAD;
    delete "/tenants/{slug}/branding/logo" => settings::delete_logo;
    get "/tenants/{slug}/policies" => settings::policies;
    patch "/tenants/{slug}/policies" => settings::update_policies;
    get "/tenants/{slug}/terms" => terms::current;
    post "/tenants/{slug}/terms" => terms::publish;
    get "/tenants/{slug}/terms/acceptances" => terms::acceptances;
    get "/tenants/{slug}/identity-providers" => identity_providers::list;
    post "/tenants/{slug}/identity-providers" => identity_providers::create;
    get "/tenants/{slug}/identity-providers/{id}" => identity_providers::get;
    patch "/tenants/{slug}/identity-providers/{id}" => identity_providers::update;
    delete "/tenants/{slug}/identity-providers/{id}" => identity_providers::delete;
    post "/tenants/{slug}/identity-providers/{id}/test" => identity_providers::test;
    get "/tenants/{slug}/webhooks" => webhooks::list;
    post "/tenants/{slug}/webhooks" => webhooks::create;
    get "/tenants/{slug}/webhooks/{id}" => webhooks::get;
    patch "/tenants/{slug}/webhooks/{id}" => webhooks::update;
    delete "/tenants/{slug}/webhooks/{id}" => webhooks::delete;
    post "/tenants/{slug}/webhooks/{id}/secret" => webhooks::rotate_secret;
    get "/tenants/{slug}/webhooks/{id}/deliveries" => webhooks::deliveries;
    post "/tenants/{slug}/webhooks/{id}/deliveries/{delivery}/replay" => webhooks::replay;
    get "/tenants/{slug}/audit" => audit::list;
    get "/tenants/{slug}/audit/export" => audit::export;
]);

/// Every route of the API but its own document: what the document describes and callers call.
pub fn operations() -> impl Iterator<Item = (&'static str, &'static str)> {
    ROUTES
        .iter()
        .copied()
        .filter(|(_, path)| *path != "/api/v1/openapi.json")
}

/// The `If-Match` of an update; updates without one are refused (428) so no admin overwrites
/// another's change without seeing it.
pub fn if_match(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| {
            Error::PreconditionRequired(
                "send If-Match with the ETag of the object as you read it".into(),
            )
            .into()
        })
}

/// A JSON answer carrying the object's ETag.
pub fn tagged<T: serde::Serialize + Tagged>(status: StatusCode, body: &T) -> HttpResponse {
    let mut resp = HttpResponse::build(status);
    if !body.etag().is_empty() {
        resp.insert_header((header::ETAG, body.etag().to_string()));
    }
    resp.insert_header((header::CACHE_CONTROL, "no-store"));
    resp.json(body)
}

/// Parses a JSON body into `T`, naming what was wrong.
pub fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| Error::invalid("body", format!("not valid here: {e}")).into())
}

/// A path segment by name.
pub fn path_param(req: &HttpRequest, name: &str) -> String {
    req.match_info().get(name).unwrap_or_default().to_string()
}

/// The shape of every `GET` of one object: the representation with its ETag.
pub async fn read_one<T, Fut>(read: Fut) -> Result<HttpResponse, ApiError>
where
    T: serde::Serialize + Tagged,
    Fut: Future<Output = crate::error::Result<T>>,
{
    Ok(tagged(StatusCode::OK, &read.await?))
}

/// The shape of every `PATCH`: an admin, `If-Match`, a body of `P`; the new representation with its
/// ETag.
pub async fn patch_one<P, T, F, Fut>(
    caller: &ApiCaller,
    req: &HttpRequest,
    body: &[u8],
    update: F,
) -> Result<HttpResponse, ApiError>
where
    P: serde::de::DeserializeOwned,
    T: serde::Serialize + Tagged,
    F: FnOnce(P, String) -> Fut,
    Fut: Future<Output = crate::error::Result<T>>,
{
    caller
        .admit(crate::domain::access::Action::Administer)
        .await?;
    let tag = if_match(req)?;
    let patch: P = json_body(body)?;
    Ok(tagged(StatusCode::OK, &update(patch, tag).await?))
}

/// The shape of every `DELETE` of one object: an admin, `If-Match`; 204.
pub async fn delete_one<F, Fut>(
    caller: &ApiCaller,
    req: &HttpRequest,
    delete: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = crate::error::Result<()>>,
{
    caller
        .admit(crate::domain::access::Action::Administer)
        .await?;
    let tag = if_match(req)?;
    delete(tag).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Pagination by offset (small lists).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}
