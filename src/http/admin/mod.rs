//! The admin console (`/admin/`): server-rendered pages over the same services as the API. Each
//! tenant's console is a first-party app of that tenant; an admin signs in through the tenant's own
//! authorization endpoint, and the console keeps the resulting access token in a cookie scoped to
//! `/admin/t/{slug}/`, so a session in one tenant's console is never sent to another's.

pub mod apps;
pub mod audit;
pub mod auth;
pub mod groups;
pub mod identity_providers;
pub mod invitations;
pub mod notice;
pub mod settings;
pub mod terms;
pub mod users;
pub mod webhooks;

use crate::domain::access::Action;
use crate::domain::language::Language;
use crate::error::Error;
use crate::http::MAX_UPLOAD;
use crate::http::cookies;
use crate::http::errors::PageError;
use crate::http::routes::route_table;
use crate::locale::{Locale, Texts, html_lang};
use crate::service::Services;
use crate::service::auth::{Actor, console_caller, may};
use crate::service::tenants::Tenant;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use std::fmt;
use std::sync::Arc;

/// The console's cookie holding the admin's access token.
pub const TOKEN_COOKIE: &str = "gl_console";

route_table!(CONSOLE_ROUTES, console_routes, "/admin/t/{slug}", [
    get "" => home;
    get "/" => home;
    get "/login" => auth::login;
    get "/callback" => auth::callback;
    post "/signout" => auth::signout;
    get "/users" => users::list;
    get "/users/new" => users::new_form;
    post "/users/new" => users::create;
    get "/users/{id}" => users::show;
    post "/users/{id}" => users::act;
    get "/invitations" => invitations::list;
    get "/invitations/new" => invitations::new_form;
    post "/invitations/new" => invitations::create;
    get "/invitations/upload" => invitations::upload_form;
    post "/invitations/upload" => invitations::upload, limit = MAX_UPLOAD;
    post "/invitations/upload/{id}" => invitations::commit;
    get "/invitations/batches/{id}" => invitations::batch;
    get "/invitations/batches/{id}/results.csv" => invitations::batch_csv;
    post "/invitations/{id}" => invitations::act;
    get "/groups" => groups::list;
    post "/groups" => groups::create;
    get "/groups/{id}" => groups::show;
    post "/groups/{id}" => groups::act;
    get "/apps" => apps::list;
    get "/apps/new" => apps::new_form;
    post "/apps/new" => apps::create;
    get "/apps/{id}" => apps::show;
    post "/apps/{id}" => apps::act;
    get "/identity-providers" => identity_providers::list;
    get "/identity-providers/new" => identity_providers::new_form;
    post "/identity-providers/new" => identity_providers::create;
    get "/identity-providers/{id}" => identity_providers::show;
    post "/identity-providers/{id}" => identity_providers::act;
    get "/branding" => settings::branding;
    post "/branding" => settings::save_branding;
    post "/branding/logo" => settings::upload_logo, limit = MAX_UPLOAD;
    get "/branding/preview" => settings::preview_signin;
    get "/branding/preview-email" => settings::preview_email;
    get "/policies" => settings::policies;
    post "/policies" => settings::save_policies;
    get "/terms" => terms::terms_page;
    post "/terms" => terms::publish;
    get "/webhooks" => webhooks::list;
    post "/webhooks" => webhooks::create;
    get "/webhooks/{id}" => webhooks::show;
    post "/webhooks/{id}" => webhooks::act;
    get "/audit" => audit::list;
    get "/audit/export.csv" => audit::export;
]);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/", web::get().to(index))
        .configure(console_routes);
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
    /// The console's language: the admin's preferred one, else the browser's, else the tenant's default.
    pub language: Language,
    /// The console's sentences (`admin_…` keys and the rest), the tenant's name filled in.
    texts: Texts,
    csrf_cookie: Option<actix_web::cookie::Cookie<'static>>,
    /// What the form before this page left to say ([`notice`]), shown once by the page rendered next.
    notice: Option<String>,
    /// Whether cookies are `Secure` (the public URL is https).
    secure: bool,
}

impl Console {
    /// The base path of this tenant's console.
    pub fn base(&self) -> String {
        format!("/admin/t/{}", self.tenant.slug)
    }

    /// The console's sentences, for a handler to fill the ones with values ([`Texts::fill`],
    /// [`Texts::around`]) and pass to [`Console::render_with`].
    pub fn texts(&self) -> Texts {
        self.texts.clone()
    }

    /// One sentence with `vars` (and the tenant's name) filled in, for a notice or an error message. A key
    /// missing even in English shows as itself rather than as a second error (the unit tests below make
    /// sure every key the console names exists).
    pub fn say(&self, key: &str, vars: &[(&str, &str)]) -> String {
        self.say_in(self.language, key, vars)
    }

    /// [`Console::say`] in `language` rather than the console's.
    pub fn say_in(&self, language: Language, key: &str, vars: &[(&str, &str)]) -> String {
        let mut all = vars.to_vec();
        all.push(("tenant", self.tenant.display_name.as_str()));
        Locale::new(language)
            .and_then(|l| l.text(key, &all))
            .unwrap_or_else(|_| key.to_string())
    }

    /// Renders `name` in the console frame with the console's sentences as `t`.
    pub fn render(&self, name: &str, section: &str, ctx: tera::Context) -> ConsoleResult {
        self.render_with(name, section, ctx, &self.texts)
    }

    /// Renders `name` in the console frame with `t` as its sentences (the console's, some filled).
    pub fn render_with(
        &self,
        name: &str,
        section: &str,
        mut ctx: tera::Context,
        t: &Texts,
    ) -> ConsoleResult {
        ctx.insert_value("t", t.value());
        ctx.insert("lang", html_lang(self.language));
        ctx.insert("tenant_name", &self.tenant.display_name);
        ctx.insert("slug", &self.tenant.slug);
        ctx.insert("base", &self.base());
        ctx.insert("csrf", &self.csrf);
        ctx.insert("section", section);
        ctx.insert("admin_name", self.actor.display_name());
        ctx.insert("notice", &self.notice);
        let body = crate::templates::Templates::global()
            .render(name, &ctx)
            .map_err(|e| self.page_error(e))?;
        let mut resp = HttpResponse::Ok();
        resp.insert_header((header::CACHE_CONTROL, "no-store"))
            // Every console form posts here and is answered here (its sign-out ends at the tenant's own
            // sign-out page), so forms may go nowhere else. The people's pages cannot say the same:
            // their forms end at the apps' registered addresses, which browsers check form-action on.
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                format!(
                    "{}; form-action 'self'",
                    crate::http::content_security_policy(None)
                ),
            ))
            .content_type("text/html; charset=utf-8");
        if let Some(c) = &self.csrf_cookie {
            resp.cookie(c.clone());
        }
        if self.notice.is_some() {
            resp.cookie(notice::clear(&self.tenant.slug, self.secure));
        }
        Ok(resp.body(body))
    }

    /// An error page in the tenant's frame and the console's language.
    pub fn page_error(&self, e: Error) -> ConsoleError {
        ConsoleError::Page(crate::http::branded_in(&self.tenant, self.language)(e))
    }

    /// A form's field-level refusal, its message in the console's language.
    pub fn invalid(&self, field: &str, key: &str, vars: &[(&str, &str)]) -> ConsoleError {
        self.page_error(Error::invalid(field, self.say(key, vars)))
    }

    /// The refusal of a form whose `action` the handler does not know.
    pub fn unknown_action(&self) -> ConsoleError {
        self.invalid("action", "admin_error_unknown_action", &[])
    }

    /// Checks the form's CSRF token.
    pub fn check(&self, req: &HttpRequest, submitted: &str) -> Result<(), ConsoleError> {
        cookies::check_csrf(req, submitted).map_err(|e| self.page_error(e))
    }

    /// After a successful form: to `path` (relative to the console base), which shows `text` once. The
    /// text may hold a one-time link, so it goes in a cookie, never in the URL ([`notice`]).
    pub fn done(&self, path: &str, text: &str) -> HttpResponse {
        let mut resp = crate::http::see_other(&format!("{}{path}", self.base()));
        // Percent-encoded, the cookie is always a valid header value.
        let _ = resp.add_cookie(&notice::carry(text, &self.tenant.slug, self.secure));
        resp
    }
}

/// Console handlers receive the signed-in admin of the path's tenant (or the request ends in a redirect
/// to sign in, or 403 for someone without the role).
impl actix_web::FromRequest for Console {
    type Error = ConsoleError;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let svc = req
                .app_data::<web::Data<Services>>()
                .cloned()
                .ok_or_else(|| Error::internal("the services are not configured"))?;
            console(&svc, &req).await
        })
    }
}

/// The signed-in admin of the tenant in the path, or a redirect to sign in, or 403 for non-admins.
async fn console(svc: &Services, req: &HttpRequest) -> Result<Console, ConsoleError> {
    let tenant = crate::http::tenant_for_page(svc, req).await?;
    let login = format!(
        "/admin/t/{}/login?next={}",
        tenant.slug,
        url::form_urlencoded::byte_serialize(req.uri().path().as_bytes()).collect::<String>()
    );
    let Some(token) = auth::console_cookie(req, TOKEN_COOKIE) else {
        return Err(ConsoleError::SignIn(login));
    };
    let actor = match console_caller(svc, &tenant, &token).await {
        Ok(actor) => actor,
        Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => {
            return Err(crate::http::branded(&tenant)(e).into());
        }
        // Expired, revoked, for another tenant, or its holder can no longer sign in: sign in again.
        Err(_) => return Err(ConsoleError::SignIn(login)),
    };
    let language = crate::http::language_for(req, &tenant, None);
    let language = actor
        .preferred_language()
        .and_then(|l| Language::parse(l).ok())
        .unwrap_or(language);
    let framed = Arc::clone(&tenant);
    let fail = crate::http::branded_in(&framed, language);
    let texts = Locale::new(language)
        .map(|l| Texts::new(l, &tenant.display_name))
        .map_err(&fail)?;
    match may(svc, &actor, &tenant, Action::Administer).await {
        Ok(()) => {}
        Err(Error::Denied(_)) => {
            let message = texts
                .get("admin_error_not_admin")
                .unwrap_or_else(|e| e.to_string());
            return Err(fail(Error::Forbidden(message)).into());
        }
        Err(e @ (Error::Unavailable(_) | Error::Internal(_))) => return Err(fail(e).into()),
        Err(_) => return Err(ConsoleError::SignIn(login)),
    }
    let secure = svc.config.public_url.starts_with("https://");
    let (csrf, csrf_cookie) = cookies::csrf(req, secure);
    Ok(Console {
        tenant,
        actor,
        csrf,
        language,
        texts,
        csrf_cookie,
        notice: notice::read(req),
        secure,
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
    use crate::domain::language::Language;
    use crate::locale::Locale;
    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn dates_render_in_utc() {
        assert_eq!(super::when(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::when(1_795_740_000), "2026-11-27 00:40 UTC");
        assert_eq!(super::when(951_782_400), "2000-02-29 00:00 UTC");
    }

    /// The text of every file in `dir` (relative to the crate) ending in `ext`.
    fn files(dir: &str, ext: &str) -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut found: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .map(|p| {
                let text = std::fs::read_to_string(&p).unwrap();
                (p.display().to_string(), text)
            })
            .collect();
        found.sort();
        found
    }

    /// Every `admin_…` name right after `prefix` in `text` (`t.admin_users_none`, `"admin_notice_saved"`).
    fn names_after<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.match_indices(prefix)
            .map(|(at, _)| {
                let rest = &text[at + prefix.len() - "admin_".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .collect()
    }

    /// The keys the console's templates (`t.admin_…`, a `_before`/`_after` half counting as its sentence) and
    /// handlers (`"admin_…"` literals other than context names) name.
    fn used_keys() -> BTreeSet<String> {
        let en = Locale::new(Language::En).unwrap();
        let mut used = BTreeSet::new();
        for (path, text) in files("templates/admin", "html") {
            for name in names_after(&text, "t.admin_") {
                let key = ["_before", "_after"]
                    .iter()
                    .find_map(|half| name.strip_suffix(half))
                    .filter(|base| en.raw(base).is_ok())
                    .unwrap_or(name);
                assert!(
                    en.raw(key).is_ok(),
                    "{path} uses t.{name}, which en.toml lacks"
                );
                used.insert(key.to_string());
            }
        }
        for (path, text) in files("src/http/admin", "rs") {
            for name in names_after(&text, "\"admin_") {
                if name == "admin_" || text.contains(&format!("insert(\"{name}\"")) {
                    continue;
                }
                assert!(
                    en.raw(name).is_ok(),
                    "{path} names {name}, which en.toml lacks"
                );
                used.insert(name.to_string());
            }
        }
        used
    }

    #[test]
    fn every_console_key_is_in_the_locale_files_and_every_admin_key_is_used() {
        let used = used_keys();
        assert!(used.len() > 150, "the scan finds the keys ({})", used.len());
        let ko = Locale::new(Language::Ko).unwrap();
        let en = Locale::new(Language::En).unwrap();
        for key in en.strings().keys().filter(|k| k.starts_with("admin_")) {
            assert!(
                used.contains(key),
                "en.toml has {key}, which the console never uses"
            );
            assert_ne!(
                ko.raw(key).unwrap(),
                en.raw(key).unwrap(),
                "ko.{key} is translated"
            );
        }
    }

    /// `text` without its tera tags, expressions and comments.
    fn without_tera(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = ["{{", "{%", "{#"].iter().filter_map(|o| rest.find(o)).min() {
            out.push_str(&rest[..open]);
            let close = match &rest[open..open + 2] {
                "{{" => "}}",
                "{%" => "%}",
                _ => "#}",
            };
            let Some(len) = rest[open..].find(close) else {
                break;
            };
            out.push(' ');
            rest = &rest[open + len + 2..];
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn the_console_templates_show_no_words_of_their_own() {
        // Between tags and in the attributes people read, a template has only placeholders, punctuation
        // and the few data values it shows as they are; every word comes from `t`.
        let data = [
            "value: Display name",
            "https://app.example/",
            "PendingAcceptance",
            "GuestInviter",
            "Accepted",
            "Member",
            "Guest",
            "Admin",
            "guestlist",
        ];
        let words = |path: &str, what: &str, text: &str| {
            let rest = data
                .iter()
                .fold(text.to_string(), |t, value| t.replace(value, " "));
            assert!(
                !rest.chars().any(char::is_alphabetic),
                "{path} has {what} of its own: {:?}",
                text.trim()
            );
        };
        for (path, template) in files("templates/admin", "html") {
            let bare = without_tera(&template);
            for (i, between) in bare.split('<').enumerate() {
                let (tag, text) = between.split_once('>').unwrap_or(("", between));
                if i > 0 {
                    words(&path, "text", text);
                }
                for attribute in ["placeholder", "aria-label", "alt", "title"] {
                    let marker = format!(" {attribute}=\"");
                    if let Some(at) = tag.find(&marker) {
                        let value = &tag[at + marker.len()..];
                        words(&path, attribute, &value[..value.find('"').unwrap_or(0)]);
                    }
                }
            }
        }
        assert_eq!(
            without_tera("a{{ t.x }}b{% if y %}c{# d #}"),
            "a b c ",
            "tera is stripped"
        );
    }
}
