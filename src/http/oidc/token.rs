//! `/token`, `/revoke` and `/introspect`: form in, JSON out, `Cache-Control: no-store`.

use super::client_auth::client_credentials;
use super::tenant_for_protocol;
use crate::error::{Error, OAuthErrorCode};
use crate::http::errors::OAuthJson;
use crate::http::input::{self, single};
use crate::service::Services;
use crate::service::apps::{App, ClientCredentials};
use crate::service::tenants::Tenant;
use crate::service::tokens::{self, CodeExchange};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

fn no_store(mut b: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    b.insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"));
    b
}

/// Reads the form and authenticates the client; failures carry the Basic challenge when fitting.
async fn authenticated(
    svc: &Services,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<(Arc<Tenant>, input::Params, Arc<App>, ClientCredentials), OAuthJson> {
    let tenant = tenant_for_protocol(svc, req).await?;
    let form = input::form(req, &input::body(payload).await?)?;
    let creds = client_credentials(req, &form).map_err(|error| OAuthJson {
        error,
        basic_challenge: req.headers().contains_key(header::AUTHORIZATION),
    })?;
    let address = crate::http::client_ip(svc, req);
    let app = crate::service::apps::authenticate_client(svc, &tenant.id, &creds, &address)
        .await
        .map_err(|error| OAuthJson {
            error,
            basic_challenge: creds.used_basic(),
        })?;
    Ok((tenant, form, app, creds))
}

fn required<'a>(form: &'a input::Params, name: &str) -> Result<&'a str, Error> {
    single(form, name)?.ok_or_else(|| {
        Error::oauth(
            OAuthErrorCode::InvalidRequest,
            format!("{name} is required"),
        )
    })
}

pub async fn token(
    svc: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthJson> {
    let (tenant, form, app, _) = authenticated(&svc, &req, payload).await?;
    // RFC 8707: one resource at most, and one this server issues tokens for.
    let resource = tokens::parse_resource(&svc, &tenant, single(&form, "resource")?)?;
    let response = match required(&form, "grant_type")? {
        "authorization_code" => {
            let input = CodeExchange {
                code: required(&form, "code")?.to_string(),
                redirect_uri: single(&form, "redirect_uri")?.map(str::to_string),
                code_verifier: single(&form, "code_verifier")?.map(str::to_string),
                resource,
            };
            tokens::exchange_code(&svc, &tenant, &app, input).await?
        }
        "refresh_token" => {
            let rt = required(&form, "refresh_token")?;
            tokens::refresh(&svc, &tenant, &app, rt, single(&form, "scope")?, resource).await?
        }
        "client_credentials" => {
            tokens::client_credentials(&svc, &tenant, &app, single(&form, "scope")?, resource)?
        }
        _ => {
            return Err(Error::oauth(
                OAuthErrorCode::UnsupportedGrantType,
                "that grant_type is not supported",
            )
            .into());
        }
    };
    crate::observability::metrics::token_issued(required(&form, "grant_type")?);
    Ok(no_store(HttpResponse::Ok()).json(response))
}

pub async fn revoke(
    svc: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthJson> {
    let (tenant, form, app, _) = authenticated(&svc, &req, payload).await?;
    let token = required(&form, "token")?;
    tokens::revoke(&svc, &tenant, &app, token).await?;
    Ok(no_store(HttpResponse::Ok()).finish())
}

pub async fn introspect(
    svc: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthJson> {
    let (tenant, form, _, creds) = authenticated(&svc, &req, payload).await?;
    if matches!(creds, ClientCredentials::None { .. }) {
        return Err(OAuthJson {
            error: Error::oauth(
                OAuthErrorCode::InvalidClient,
                "introspection needs an authenticated client",
            ),
            basic_challenge: false,
        });
    }
    let token = required(&form, "token")?;
    let answer = tokens::introspect(&svc, &tenant, token).await?;
    Ok(no_store(HttpResponse::Ok()).json(answer))
}
