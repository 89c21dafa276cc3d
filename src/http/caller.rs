//! Who a request is from, resolved once: the tenant named in the path and, for the admin API, the
//! [`Actor`] behind the bearer token. Handlers receive them as extractors; the use cases decide what the
//! actor may do.

use crate::domain::access::Action;
use crate::error::Error;
use crate::http::errors::ApiError;
use crate::service::Services;
use crate::service::auth::{self, Actor};
use crate::service::tenants::Tenant;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// The tenant named by `{slug}` in the path (`NotFound` for an unknown one).
pub async fn path_tenant(svc: &Services, req: &HttpRequest) -> Result<Arc<Tenant>, Error> {
    let slug = req.match_info().get("slug").unwrap_or_default();
    svc.tenants.by_slug(slug).await
}

/// The token of `Authorization: Bearer …` (any case of the scheme, RFC 6750 §2.1).
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn services(req: &HttpRequest) -> Result<web::Data<Services>, Error> {
    req.app_data::<web::Data<Services>>()
        .cloned()
        .ok_or_else(|| Error::internal("the services are not configured"))
}

/// A caller of the admin API: the tenant of the path and who acts in it. Operators' routes
/// (`/api/v1/tenants`) have no tenant in the path: the `X-Guestlist-Tenant` header names the tenant
/// that issued the operator's token (default `default`).
pub struct ApiCaller {
    pub tenant: Arc<Tenant>,
    pub actor: Actor,
    svc: web::Data<Services>,
}

impl ApiCaller {
    async fn resolve(req: HttpRequest) -> Result<ApiCaller, Error> {
        let svc = services(&req)?;
        let tenant = if req.match_info().get("slug").is_some() {
            path_tenant(&svc, &req).await?
        } else {
            let home = req
                .headers()
                .get("x-guestlist-tenant")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("default");
            svc.tenants
                .by_slug(home)
                .await
                .map_err(|_| Error::Unauthenticated)?
        };
        let token = bearer_token(&req).ok_or(Error::Unauthenticated)?;
        let actor = auth::admin_api_caller(&svc, &tenant, &token).await?;
        Ok(ApiCaller { tenant, actor, svc })
    }

    /// Checks the least a caller of this route must be allowed, before the request's body or
    /// `If-Match` is looked at, so whoever may not call the route learns nothing but 403. The use case
    /// checks again, in its transaction, with everything it reads.
    pub async fn admit(&self, action: Action) -> Result<(), ApiError> {
        Ok(auth::may(&self.svc, &self.actor, &self.tenant, action).await?)
    }
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(ApiCaller::resolve(req).await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn bearer_tokens_are_read_in_any_case_of_the_scheme() {
        let with = |v: &str| {
            bearer_token(
                &TestRequest::default()
                    .insert_header((header::AUTHORIZATION, v))
                    .to_http_request(),
            )
        };
        assert_eq!(with("Bearer abc").as_deref(), Some("abc"));
        assert_eq!(with("bearer  abc ").as_deref(), Some("abc"));
        assert_eq!(with("Basic abc"), None);
        assert_eq!(with("Bearer "), None);
        assert_eq!(
            bearer_token(&TestRequest::default().to_http_request()),
            None
        );
    }
}
