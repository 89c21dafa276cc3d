//! The notice a console form leaves for the page it leads to ("Saved.", or a one-time link to pass on).
//!
//! It travels in a cookie of the tenant's console that lives a minute and is cleared by the next page
//! shown, never in the URL: a redemption or password link in a query string stays in the browser's
//! history, in proxy and access logs and in `Referer` headers, and a notice read from the URL would let
//! anyone craft a console link that shows their own words.

use super::auth::scoped;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, time::Duration};

const COOKIE: &str = "gl_console_notice";

/// Long enough to reach the next page, short enough not to linger when it is never opened.
const LIFETIME_SECS: i64 = 60;

/// The longest notice shown.
const MAX_CHARS: usize = 300;

/// The cookie that carries `text` to the next page of the console of tenant `slug`.
pub fn carry(text: &str, slug: &str, secure: bool) -> Cookie<'static> {
    // A cookie value is visible ASCII without spaces, `;`, `,`, `"` or `\`: percent-encoded here, decoded by
    // actix when read. `byte_serialize` writes a space as `+`, which percent-decoding keeps: `%20` instead
    // (a `+` of the text itself is already `%2B`).
    let value = url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let mut cookie = scoped(COOKIE, value, slug, secure);
    cookie.set_max_age(Duration::seconds(LIFETIME_SECS));
    cookie
}

/// The notice the request carries, if any.
pub fn read(req: &HttpRequest) -> Option<String> {
    super::auth::console_cookie(req, COOKIE)
        .map(|c| c.chars().take(MAX_CHARS).collect::<String>())
        .filter(|text| !text.is_empty())
}

/// Removes the notice once a page has shown it.
pub fn clear(slug: &str, secure: bool) -> Cookie<'static> {
    let mut cookie = scoped(COOKIE, String::new(), slug, secure);
    cookie.make_removal();
    cookie
}
