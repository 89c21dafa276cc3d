//! The admin console (`/admin/`): server-rendered pages over the same services as the API. Each
//! tenant's console is a first-party app of that tenant; an admin signs in through the tenant's own
//! authorization endpoint, and the console keeps the resulting access token in a cookie scoped to
//! `/admin/t/{slug}/`, so a session in one tenant's console is never sent to another's.

pub mod apps;
pub mod audit;
pub mod auth;
pub mod groups;
pub mod invitations;
pub mod settings;
pub mod users;

use crate::error::Error;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::service::Services;
use crate::service::invitations::Actor;
use crate::service::tenants::Tenant;
use crate::service::{admin, tokens};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use std::fmt;
use std::sync::Arc;

/// The console's cookie holding the admin's access token.
pub const TOKEN_COOKIE: &str = "gl_console";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/", web::get().to(index))
        .service(
            web::scope("/admin/t/{slug}")
                .route("", web::get().to(home))
                .route("/", web::get().to(home))
                .route("/login", web::get().to(auth::login))
                .route("/callback", web::get().to(auth::callback))
                .route("/signout", web::post().to(auth::signout))
                .route("/users", web::get().to(users::list))
                .route("/users/new", web::get().to(users::new_form))
                .route("/users/new", web::post().to(users::create))
                .route("/users/{id}", web::get().to(users::show))
                .route("/users/{id}", web::post().to(users::act))
                .route("/invitations", web::get().to(invitations::list))
                .route("/invitations/new", web::get().to(invitations::new_form))
                .route("/invitations/new", web::post().to(invitations::create))
                .route(
                    "/invitations/upload",
                    web::get().to(invitations::upload_form),
                )
                .service(
                    web::resource("/invitations/upload")
                        .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                        .route(web::post().to(invitations::upload)),
                )
                .route(
                    "/invitations/upload/{id}",
                    web::post().to(invitations::commit),
                )
                .route(
                    "/invitations/batches/{id}",
                    web::get().to(invitations::batch),
                )
                .route(
                    "/invitations/batches/{id}/results.csv",
                    web::get().to(invitations::batch_csv),
                )
                .route("/invitations/{id}", web::post().to(invitations::act))
                .route("/groups", web::get().to(groups::list))
                .route("/groups", web::post().to(groups::create))
                .route("/groups/{id}", web::get().to(groups::show))
                .route("/groups/{id}", web::post().to(groups::act))
                .route("/apps", web::get().to(apps::list))
                .route("/apps/new", web::get().to(apps::new_form))
                .route("/apps/new", web::post().to(apps::create))
                .route("/apps/{id}", web::get().to(apps::show))
                .route("/apps/{id}", web::post().to(apps::act))
                .route("/branding", web::get().to(settings::branding))
                .route("/branding", web::post().to(settings::save_branding))
                .service(
                    web::resource("/branding/logo")
                        .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                        .route(web::post().to(settings::upload_logo)),
                )
                .route("/branding/preview", web::get().to(settings::preview_signin))
                .route(
                    "/branding/preview-email",
                    web::get().to(settings::preview_email),
                )
                .route("/policies", web::get().to(settings::policies))
                .route("/policies", web::post().to(settings::save_policies))
                .route("/audit", web::get().to(audit::list))
                .route("/audit/export.csv", web::get().to(audit::export)),
        );
}

/// Why a console request did not produce its page.
#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in to this tenant's console: go through the provider's sign-in.
    SignIn(String),
    Page(PageError),
}

impl fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleError::SignIn(to) => write!(f, "sign in at {to}"),
            ConsoleError::Page(p) => p.fmt(f),
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn(_) => StatusCode::SEE_OTHER,
            ConsoleError::Page(p) => p.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ConsoleError::SignIn(to) => crate::http::see_other(to),
            ConsoleError::Page(p) => p.error_response(),
        }
    }
}

impl From<Error> for ConsoleError {
    fn from(e: Error) -> Self {
        ConsoleError::Page(e.into())
    }
}

impl From<PageError> for ConsoleError {
    fn from(e: PageError) -> Self {
        ConsoleError::Page(e)
    }
}

pub type ConsoleResult = Result<HttpResponse, ConsoleError>;

/// A signed-in admin in one tenant's console.
pub struct Console {
    pub tenant: Arc<Tenant>,
    pub actor: Actor,
    pub csrf: String,
    csrf_cookie: Option<actix_web::cookie::Cookie<'static>>,
}

impl Console {
    /// The base path of this tenant's console.
    pub fn base(&self) -> String {
        format!("/admin/t/{}", self.tenant.slug)
    }

    /// Renders `name` in the console frame.
    pub fn render(&self, name: &str, section: &str, mut ctx: tera::Context) -> ConsoleResult {
        ctx.insert("tenant_name", &self.tenant.display_name);
        ctx.insert("slug", &self.tenant.slug);
        ctx.insert("base", &self.base());
        ctx.insert("csrf", &self.csrf);
        ctx.insert("section", section);
        ctx.insert("admin_name", &self.actor.display_name);
        let body = crate::templates::Templates::global()
            .render(name, &ctx)
            .map_err(|e| self.page_error(e))?;
        let mut resp = HttpResponse::Ok();
        resp.insert_header((header::CACHE_CONTROL, "no-store"))
            .content_type("text/html; charset=utf-8");
        if let Some(c) = &self.csrf_cookie {
            resp.cookie(c.clone());
        }
        Ok(resp.body(body))
    }

    pub fn page_error(&self, e: Error) -> ConsoleError {
        ConsoleError::Page(crate::http::branded(&self.tenant)(e))
    }

    /// Checks the form's CSRF token.
    pub fn check(&self, req: &HttpRequest, submitted: &str) -> Result<(), ConsoleError> {
        cookies::check_csrf(req, submitted).map_err(|e| self.page_error(e))
    }

    /// After a successful form: back to `path` (relative to the console base) with a notice.
    pub fn done(&self, path: &str, notice: &str) -> HttpResponse {
        let sep = if path.contains('?') { '&' } else { '?' };
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("notice", notice)
            .finish();
        crate::http::see_other(&format!("{}{path}{sep}{q}", self.base()))
    }
}

/// The signed-in admin of the tenant in the path, or a redirect to sign in, or 403 for non-admins.
pub async fn console(svc: &Services, req: &HttpRequest) -> Result<Console, ConsoleError> {
    let tenant = crate::http::tenant_for_page(svc, req).await?;
    let login = format!(
        "/admin/t/{}/login?next={}",
        tenant.slug,
        url::form_urlencoded::byte_serialize(req.uri().path().as_bytes()).collect::<String>()
    );
    let Some(token) = req.cookie(TOKEN_COOKIE).map(|c| c.value().to_string()) else {
        return Err(ConsoleError::SignIn(login));
    };
    let Ok(active) = tokens::check_access_token(svc, &tenant, &token).await else {
        return Err(ConsoleError::SignIn(login));
    };
    let Some(user) = active.user.clone() else {
        return Err(ConsoleError::SignIn(login));
    };
    if active.str_claim("client_id") != Some(crate::service::console::CONSOLE_CLIENT_ID) {
        return Err(ConsoleError::SignIn(login));
    }
    let actor = Actor {
        inviter: crate::domain::policy::Inviter {
            user_type: crate::domain::user::UserType::parse(&user.user_type)
                .map_err(|e| crate::http::branded(&tenant)(e.into()))?,
            roles: crate::domain::user::parse_roles(&user.roles),
        },
        id: user.id,
        display_name: user.display_name,
    };
    admin::require_admin(&actor).map_err(|_| {
        crate::http::branded(&tenant)(Error::Forbidden(format!(
            "Your account has no administrator role in {}.",
            tenant.display_name
        )))
    })?;
    let secure = svc.config.public_url.starts_with("https://");
    let (csrf, csrf_cookie) = cookies::csrf(req, secure);
    Ok(Console {
        tenant,
        actor,
        csrf,
        csrf_cookie,
    })
}

/// The console's stylesheet (compiled in, like the templates).
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../../static/admin.css"))
}

/// `/admin/`: the default tenant's console (admins of another tenant use `/admin/t/{slug}/`).
async fn index(svc: web::Data<Services>) -> HttpResponse {
    let slug = crate::service::bootstrap::ensure_default_tenant(&svc)
        .await
        .map(|t| t.slug)
        .unwrap_or_else(|_| "default".into());
    crate::http::see_other(&format!("/admin/t/{slug}/users"))
}

async fn home(req: HttpRequest) -> HttpResponse {
    let slug = req.match_info().get("slug").unwrap_or_default();
    crate::http::see_other(&format!("/admin/t/{slug}/users"))
}

/// A form field that may be absent, trimmed; empty means absent.
pub fn field(form: &std::collections::HashMap<String, String>, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Lines of a textarea, trimmed, without blanks.
pub fn lines(form: &std::collections::HashMap<String, String>, name: &str) -> Vec<String> {
    form.get(name)
        .map(|v| {
            v.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a multipart form: text fields and at most one file, each bounded by `limit` bytes.
pub async fn multipart(
    mut payload: actix_multipart::Multipart,
    limit: usize,
) -> Result<
    (
        std::collections::HashMap<String, String>,
        Option<(String, Vec<u8>)>,
    ),
    Error,
> {
    use futures_util::StreamExt;
    let mut fields = std::collections::HashMap::new();
    let mut file = None;
    while let Some(item) = payload.next().await {
        let mut part = item.map_err(|e| Error::invalid("form", e.to_string()))?;
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| Error::invalid("form", e.to_string()))?;
            if bytes.len() + chunk.len() > limit {
                return Err(Error::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(f) if file.is_none() => file = Some((f, bytes)),
            Some(_) => return Err(Error::invalid("file", "send one file")),
            None => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    Ok((fields, file))
}

/// Formats unix seconds for pages (UTC).
pub fn when(ts: i64) -> String {
    let secs = ts.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        crate::service::invitations::date_of(ts),
        secs / 3600,
        (secs % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_render_in_utc() {
        assert_eq!(super::when(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::when(1_795_740_000), "2026-11-27 00:40 UTC");
        assert_eq!(super::when(951_782_400), "2000-02-29 00:00 UTC");
    }
}
