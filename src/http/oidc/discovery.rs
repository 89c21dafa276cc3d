//! `/.well-known/openid-configuration` and `/jwks`.

use super::tenant_for_protocol;
use crate::domain::claims::supported_claims;
use crate::domain::scope::STANDARD_SCOPES;
use crate::http::errors::OAuthJson;
use crate::keys::SigningAlg;
use crate::service::Services;
use crate::service::authorize::ACR_PASSWORD;
use crate::service::tenants::Tenant;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

/// The provider metadata of a tenant (OIDC Discovery §3, RFC 8414). Every flag says the truth.
pub fn metadata(t: &Tenant) -> Value {
    let e = |p: &str| format!("{}/{p}", t.issuer);
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": t.issuer,
        "authorization_endpoint": e("authorize"),
        "token_endpoint": e("token"),
        "userinfo_endpoint": e("userinfo"),
        "jwks_uri": e("jwks"),
        "end_session_endpoint": e("logout"),
        "revocation_endpoint": e("revoke"),
        "introspection_endpoint": e("introspect"),
        "scopes_supported": STANDARD_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": supported_claims(),
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
        "authorization_response_iss_parameter_supported": true,
        // Only what sign-in can satisfy today; a second factor will add its own value.
        "acr_values_supported": [ACR_PASSWORD],
        "ui_locales_supported": ["en", "ko"],
        "claims_locales_supported": ["en", "ko"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page", "popup"],
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    })
}

pub async fn openid_configuration(
    svc: web::Data<Services>,
    req: HttpRequest,
) -> Result<HttpResponse, OAuthJson> {
    let tenant = tenant_for_protocol(&svc, &req).await?;
    // Built once per read of the tenant (the document names only its issuer and what this build
    // supports), then served like the JWKS: a shared string.
    let document = tenant
        .discovery_json
        .get_or_init(|| metadata(&tenant).to_string().into())
        .clone();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .content_type("application/json")
        .body(document))
}

pub async fn jwks(svc: web::Data<Services>, req: HttpRequest) -> Result<HttpResponse, OAuthJson> {
    tenant_for_protocol(&svc, &req).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .content_type("application/json")
        .body(svc.keys.jwks_json().to_string()))
}
