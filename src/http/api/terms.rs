//! `/api/v1/tenants/{slug}/terms`: the tenant's terms of use (the newest version, publishing a new one)
//! and who accepted which version.

use super::json_body;
use super::problem::Problem;
use crate::domain::access::Action;
use crate::error::Error;
use crate::http::caller::ApiCaller;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::terms::{self, AcceptanceView, NewTerms, Terms};
use actix_web::{HttpResponse, web};

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/terms", operation_id = "getTerms", tag = "terms",
    params(("slug" = String, Path)),
    responses((status = 200, body = Terms), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn current(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    let terms = terms::show(&svc, &c.actor, &c.tenant)
        .await?
        .ok_or_else(|| Error::NotFound("this tenant has published no terms of use".into()))?;
    Ok(HttpResponse::Ok().json(terms))
}

#[utoipa::path(post, path = "/api/v1/tenants/{slug}/terms", operation_id = "publishTerms", tag = "terms",
    params(("slug" = String, Path)), request_body = NewTerms,
    responses((status = 201, body = Terms), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn publish(
    svc: web::Data<Services>,
    c: ApiCaller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    c.admit(Action::Administer).await?;
    let input: NewTerms = json_body(&body)?;
    let terms = terms::publish(&svc, &c.actor, &c.tenant, input).await?;
    Ok(HttpResponse::Created().json(terms))
}

#[utoipa::path(get, path = "/api/v1/tenants/{slug}/terms/acceptances", operation_id = "listTermsAcceptances", tag = "terms",
    params(("slug" = String, Path)),
    responses((status = 200, body = Vec<AcceptanceView>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = [])))]
pub async fn acceptances(svc: web::Data<Services>, c: ApiCaller) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(terms::acceptances(&svc, &c.actor, &c.tenant).await?))
}
