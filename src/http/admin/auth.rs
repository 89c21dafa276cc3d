//! Signing in to the console: an authorization code flow with PKCE against the tenant's own
//! authorization endpoint, the code exchanged in-process at the callback.

use super::{ConsoleResult, TOKEN_COOKIE};
use crate::crypto::random_token;
use crate::domain::access::Action;
use crate::domain::pkce::s256_challenge;
use crate::error::Error;
use crate::http::{branded, branded_in, browser_language, cookies, see_other, tenant_for_page};
use crate::locale::Locale;
use crate::service::Services;
use crate::service::apps::console::{CONSOLE_SCOPE, callback_url, ensure_console_app};
use crate::service::auth;
use crate::service::tokens::{self, CodeExchange};
use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

/// The state of a sign-in in flight: `state.verifier.next`.
const LOGIN_COOKIE: &str = "gl_console_login";

/// A cookie of the console of tenant `slug` only.
pub(super) fn scoped(
    name: &'static str,
    value: String,
    slug: &str,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build(cookies::path_named(name, secure), value)
        .path(format!("/admin/t/{slug}/"))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// The value of the console's cookie `name` (as [`cookies::path_named`] calls it).
pub fn console_cookie(req: &HttpRequest, name: &'static str) -> Option<String> {
    req.cookie(&cookies::path_named(name, cookies::secure(req)))
        .map(|c| c.value().to_string())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Starts the sign-in: remembers state and verifier in a short-lived cookie and sends the browser to
/// the tenant's authorization endpoint.
pub async fn login(
    svc: web::Data<Services>,
    req: HttpRequest,
    q: web::Query<LoginQuery>,
) -> ConsoleResult {
    let tenant = tenant_for_page(&svc, &req).await?;
    let app = ensure_console_app(&svc, &tenant)
        .await
        .map_err(branded(&tenant))?;
    let base = format!("/admin/t/{}/", tenant.slug);
    // Only paths of this tenant's console: never an open redirect.
    let next = q
        .next
        .as_deref()
        .filter(|n| n.starts_with(&base) && !n.contains("//") && !n.contains('\\'))
        .unwrap_or(&base)
        .to_string();
    let (state, verifier) = (random_token(), random_token());
    let secure = svc.config.public_url.starts_with("https://");
    let mut cookie = scoped(
        LOGIN_COOKIE,
        format!("{state}.{verifier}.{next}"),
        &tenant.slug,
        secure,
    );
    cookie.set_max_age(Duration::minutes(15));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &callback_url(&svc, &tenant))
        .append_pair("scope", CONSOLE_SCOPE)
        .append_pair("state", &state)
        .append_pair("code_challenge", &s256_challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let mut resp = see_other(&format!("/t/{}/authorize?{query}", tenant.slug));
    resp.add_cookie(&cookie)
        .map_err(|e| branded(&tenant)(Error::internal(e)))?;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(
    svc: web::Data<Services>,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> ConsoleResult {
    let tenant = tenant_for_page(&svc, &req).await?;
    // Nobody is signed in to the console yet: the browser's language, else the tenant's.
    let language = browser_language(&req, &tenant);
    let fail = branded_in(&tenant, language);
    let say = |key: &str, vars: &[(&str, &str)]| {
        Locale::new(language)
            .and_then(|l| l.text(key, vars))
            .unwrap_or_else(|_| key.to_string())
    };
    if let Some(error) = &q.error {
        let reason = q.error_description.as_deref().unwrap_or(error);
        return Err(fail(Error::Forbidden(say(
            "admin_error_sign_in_failed",
            &[("reason", reason)],
        )))
        .into());
    }
    let saved = console_cookie(&req, LOGIN_COOKIE).unwrap_or_default();
    let mut parts = saved.splitn(3, '.');
    let (state, verifier, next) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let matches = !state.is_empty()
        && q.state
            .as_deref()
            .is_some_and(|s| crate::crypto::constant_time_eq(s, state));
    if !matches {
        return Err(fail(Error::invalid(
            "state",
            say("admin_error_sign_in_expired", &[]),
        ))
        .into());
    }
    let app = ensure_console_app(&svc, &tenant).await.map_err(&fail)?;
    let answer = tokens::exchange_code(
        &svc,
        &tenant,
        &app,
        CodeExchange {
            code: q.code.clone().unwrap_or_default(),
            redirect_uri: Some(callback_url(&svc, &tenant)),
            code_verifier: Some(verifier.to_string()),
            resource: None,
        },
    )
    .await
    .map_err(&fail)?;
    // The cookie only for an admin: anyone else who signed in sees why, and holds no console token.
    // Someone without the role was not given the admin API's scope, so their token is not even one
    // the console accepts.
    let admitted = match auth::console_caller(&svc, &tenant, &answer.access_token).await {
        Ok(actor) => auth::may(&svc, &actor, &tenant, Action::Administer).await,
        Err(e) => Err(e),
    };
    match admitted {
        Ok(()) => {}
        Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => return Err(fail(e).into()),
        Err(_) => {
            return Err(fail(Error::Forbidden(say("admin_error_not_admin", &[]))).into());
        }
    }
    let secure = svc.config.public_url.starts_with("https://");
    let mut token = scoped(TOKEN_COOKIE, answer.access_token, &tenant.slug, secure);
    token.set_max_age(Duration::seconds(answer.expires_in));
    let mut done = scoped(LOGIN_COOKIE, String::new(), &tenant.slug, secure);
    done.make_removal();
    let mut resp = see_other(next);
    resp.add_cookie(&token)
        .map_err(|e| fail(Error::internal(e)))?;
    resp.add_cookie(&done)
        .map_err(|e| fail(Error::internal(e)))?;
    Ok(resp)
}

#[derive(Deserialize)]
pub struct SignOutForm {
    /// Missing is refused by the CSRF check with its own page, like any other form's.
    #[serde(default)]
    csrf: String,
}

/// Forgets the console's token and signs out at the provider (which ends the browser session).
pub async fn signout(
    svc: web::Data<Services>,
    req: HttpRequest,
    form: web::Form<SignOutForm>,
) -> ConsoleResult {
    let tenant = tenant_for_page(&svc, &req).await?;
    cookies::check_csrf(&req, &form.csrf).map_err(branded(&tenant))?;
    // The token the console held ends with it, not only its cookie.
    if let Some(token) = console_cookie(&req, TOKEN_COOKIE) {
        crate::service::tokens::give_up(&svc, &tenant, &token)
            .await
            .map_err(branded(&tenant))?;
    }
    let secure = svc.config.public_url.starts_with("https://");
    let mut gone = scoped(TOKEN_COOKIE, String::new(), &tenant.slug, secure);
    gone.make_removal();
    let mut resp: HttpResponse = see_other(&format!("/t/{}/logout", tenant.slug));
    resp.add_cookie(&gone)
        .map_err(|e| branded(&tenant)(Error::internal(e)))?;
    Ok(resp)
}
