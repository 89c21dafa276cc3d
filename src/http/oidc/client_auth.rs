//! Reading client credentials from a request: HTTP Basic (`client_secret_basic`), the form body
//! (`client_secret_post`) or a bare `client_id` (public clients).

use crate::error::{Error, OAuthErrorCode, Result};
use crate::http::input::{Params, single};
use crate::service::apps::ClientCredentials;
use actix_web::HttpRequest;
use actix_web::http::header;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

fn bad(d: &str) -> Error {
    Error::oauth(OAuthErrorCode::InvalidClient, d)
}

/// RFC 6749 §2.3.1: base64-decode, split at the first `:`, then form-decode each half.
fn parse_basic(value: &str) -> Result<(String, String)> {
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or_else(|| bad("malformed Authorization header"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad("unsupported Authorization scheme"));
    }
    let decoded = STANDARD
        .decode(rest.trim())
        .map_err(|_| bad("malformed Basic credentials"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad("malformed Basic credentials"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| bad("malformed Basic credentials"))?;
    let unescape = |s: &str| -> String {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((unescape(id), unescape(secret)))
}

/// The credentials of the request; more than one method at once is refused (RFC 6749 §2.3).
pub fn client_credentials(req: &HttpRequest, form: &Params) -> Result<ClientCredentials> {
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let form_id = single(form, "client_id")?;
    let form_secret = single(form, "client_secret")?;
    if let Some(value) = auth {
        if form_secret.is_some() {
            return Err(Error::oauth(
                OAuthErrorCode::InvalidRequest,
                "use one client authentication method",
            ));
        }
        let (client_id, secret) = parse_basic(value)?;
        if form_id.is_some_and(|f| f != client_id) {
            return Err(bad("client_id does not match the Authorization header"));
        }
        return Ok(ClientCredentials::Basic { client_id, secret });
    }
    match (form_id, form_secret) {
        (Some(id), Some(secret)) => Ok(ClientCredentials::Post {
            client_id: id.to_string(),
            secret: secret.to_string(),
        }),
        (Some(id), None) => Ok(ClientCredentials::None {
            client_id: id.to_string(),
        }),
        _ => Err(bad("client authentication is required")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_halves_are_form_decoded() {
        // "id%3A1" : "s+e%2Fc" → id:1 / "s e/c"
        let v = format!("Basic {}", STANDARD.encode("id%3A1:s+e%2Fc"));
        assert_eq!(
            parse_basic(&v).unwrap(),
            ("id:1".to_string(), "s e/c".to_string())
        );
        assert!(parse_basic("Bearer x").is_err());
        assert!(parse_basic("Basic !!!").is_err());
        assert!(parse_basic(&format!("Basic {}", STANDARD.encode("nocolon"))).is_err());
    }
}
