//! `/userinfo`: GET or POST, the access token in the `Authorization` header (any case of `Bearer`) or,
//! for POST, in the form body (RFC 6750 §2.2).

use super::tenant_for_protocol;
use crate::error::{Error, OAuthErrorCode};
use crate::http::errors::OAuthJson;
use crate::http::input;
use crate::service::Services;
use crate::service::tokens;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::caller::bearer_token as bearer;

fn missing() -> Error {
    Error::oauth(OAuthErrorCode::InvalidToken, "an access token is required")
}

async fn answer(
    svc: &Services,
    req: &HttpRequest,
    token: String,
) -> Result<HttpResponse, OAuthJson> {
    let tenant = tenant_for_protocol(svc, req).await?;
    let claims = tokens::userinfo(svc, &tenant, &token).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(claims))
}

pub async fn userinfo_get(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, OAuthJson> {
    let token = bearer(&req).ok_or_else(missing)?;
    answer(&svc, &req, token).await
}

pub async fn userinfo_post(
    svc: web::Data<Services>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthJson> {
    let form = input::form(&req, &input::body(payload).await?)?;
    let in_body = input::single(&form, "access_token")?.map(str::to_string);
    let token = match (bearer(&req), in_body) {
        (Some(_), Some(_)) => {
            return Err(Error::oauth(
                OAuthErrorCode::InvalidRequest,
                "send the access token one way only",
            )
            .into());
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => return Err(missing().into()),
    };
    answer(&svc, &req, token).await
}
