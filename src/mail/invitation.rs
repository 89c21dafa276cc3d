//! The invitation email (spec §3.3): subject, plain-text and HTML bodies in the invitation's language,
//! branded with the tenant (or the `InviteAppID` app).
//!
//! The sentences live in `locales/{code}.toml`, one file per language with the same keys, compiled into the
//! binary and loaded by [`crate::locale`] (which the redemption pages share; their keys start with `page_`).
//! Their `{name}` placeholders are filled here, in one pass (a value that itself contains `{tenant}` is
//! not expanded again), and the filled sentences are handed to the tera templates `email/invitation.html`
//! (autoescaped) and `email/invitation.txt` (plain text, not escaped) as ordinary values.

use super::OutgoingEmail;
use crate::domain::language::Language;
use crate::error::{Error, Result};
use crate::locale::{fill, html_lang};
use crate::templates::Templates;
use std::collections::BTreeMap;

/// What an invitation email says; the invitation service fills it in.
#[derive(Debug, Clone)]
pub struct InvitationEmail<'a> {
    pub language: Language,
    /// The inviting organisation.
    pub tenant_name: &'a str,
    /// The tenant name, or the `InviteAppID` app's name when given.
    pub brand_name: &'a str,
    /// An absolute https URL; anything else is left out.
    pub logo_url: Option<&'a str>,
    /// `#rrggbb`; anything else falls back to [`DEFAULT_PRIMARY_COLOR`].
    pub primary_color: &'a str,
    /// `#rrggbb`; anything else falls back to [`DEFAULT_BACKGROUND_COLOR`].
    pub background_color: &'a str,
    pub inviter_name: &'a str,
    pub invitee_name: &'a str,
    pub invitee_email: &'a str,
    /// Shown as plain text: HTML-escaped, line breaks kept (`<br>` in HTML).
    pub custom_text: Option<&'a str>,
    pub accept_url: &'a str,
    /// http(s) only; anything else (or blank) is left out.
    pub contact_url: Option<&'a str>,
    /// http(s) only; anything else (or blank) is left out.
    pub privacy_url: Option<&'a str>,
    /// The "block future invitations" link.
    pub block_url: &'a str,
    /// A date already formatted as `YYYY-MM-DD`.
    pub expires_on: &'a str,
}

/// Subject, plain-text body and HTML body, in the email's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl RenderedEmail {
    /// The email addressed to `to`, ready for the outbox.
    pub fn to_outgoing(&self, to: &str) -> OutgoingEmail {
        OutgoingEmail {
            to: to.to_string(),
            subject: self.subject.clone(),
            text: self.text.clone(),
            html: Some(self.html.clone()),
        }
    }
}

pub use crate::domain::color::{
    DEFAULT_BACKGROUND as DEFAULT_BACKGROUND_COLOR, DEFAULT_PRIMARY as DEFAULT_PRIMARY_COLOR,
};

/// The email's keys (every locale file has them), in the order they appear in the email.
pub const KEYS: [&str; 15] = [
    "subject",
    "notice",
    "heading",
    "greeting",
    "intro",
    "message_from",
    "accept",
    "accept_hint",
    "expires",
    "ignore",
    "contact",
    "privacy",
    "block_hint",
    "block",
    "footer",
];

/// The email's strings in one language: its [`KEYS`] out of the locale file the pages share.
fn locale(language: Language) -> Result<BTreeMap<String, String>> {
    let strings = crate::locale::table(language)?;
    Ok(KEYS
        .iter()
        .filter_map(|key| strings.get_key_value(*key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect())
}

/// The contact link of an invitation email: the invitation's own when it is a usable http(s) URL, else the
/// tenant's `settings.contact_url` (when that is one).
pub fn contact_link<'a>(invitation: Option<&'a str>, tenant: Option<&'a str>) -> Option<&'a str> {
    [invitation, tenant]
        .into_iter()
        .find_map(|url| given(url).filter(|u| has_scheme(u, &["https://", "http://"])))
}

/// A value that is blank counts as not given.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn has_scheme(url: &str, schemes: &[&str]) -> bool {
    schemes.iter().any(|s| {
        url.len() > s.len()
            && url.is_char_boundary(s.len())
            && url[..s.len()].eq_ignore_ascii_case(s)
    })
}

/// Renders the invitation email in its language.
pub fn render(email: &InvitationEmail<'_>) -> Result<RenderedEmail> {
    let strings = locale(email.language)?;
    let vars = [
        ("tenant", email.tenant_name),
        ("inviter", email.inviter_name),
        ("invitee", email.invitee_name),
        ("email", email.invitee_email),
        ("date", email.expires_on),
    ];

    let mut ctx = tera::Context::new();
    let mut subject = String::new();
    for key in KEYS {
        let raw = strings.get(key).ok_or_else(|| {
            Error::Internal(format!("locale {} has no {key:?}", email.language.as_str()))
        })?;
        let filled = fill(raw, &vars);
        if key == "subject" {
            // A header is one line: control characters (a newline in a name) become spaces.
            subject = filled
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
                .trim()
                .to_string();
            ctx.insert("subject", &subject);
        } else {
            ctx.insert(key, &filled);
        }
    }

    // Only hex colours reach the inline styles; text on the button stays readable on a light brand
    // colour, and links on white keep a dark one.
    let palette = crate::domain::color::palette(email.primary_color, email.background_color);
    let (primary, background) = (palette.primary.clone(), palette.background.clone());
    let button_text = palette.on_primary;
    let link_color = palette.link.as_str();

    let custom_text = given(email.custom_text).map(|t| t.replace("\r\n", "\n").replace('\r', "\n"));
    let custom_lines: Vec<&str> = custom_text
        .as_deref()
        .map(|t| t.split('\n').collect())
        .unwrap_or_default();
    let web_link = |url: Option<&'_ str>| {
        given(url)
            .filter(|u| has_scheme(u, &["https://", "http://"]))
            .map(str::to_string)
    };

    ctx.insert("lang", html_lang(email.language));
    ctx.insert("brand_name", email.brand_name);
    // The logo the admin console uploads is served from the public URL, which is http on a test or
    // intranet install; other schemes (javascript:, data:, cid:) never reach the image tag.
    ctx.insert(
        "logo_url",
        &given(email.logo_url).filter(|u| has_scheme(u, &["https://", "http://"])),
    );
    ctx.insert("primary_color", &primary);
    ctx.insert("background_color", &background);
    ctx.insert("button_text_color", button_text);
    ctx.insert("link_color", link_color);
    ctx.insert("custom_text", &custom_text);
    ctx.insert("custom_lines", &custom_lines);
    ctx.insert("accept_url", email.accept_url);
    ctx.insert("contact_url", &contact_link(email.contact_url, None));
    ctx.insert("privacy_url", &web_link(email.privacy_url));
    ctx.insert("block_url", email.block_url);

    let templates = Templates::global();
    Ok(RenderedEmail {
        subject,
        text: templates.render("email/invitation.txt", &ctx)?,
        html: templates.render("email/invitation.html", &ctx)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The placeholders a locale string may use (the names `render` fills).
    const PLACEHOLDERS: [&str; 5] = ["tenant", "inviter", "invitee", "email", "date"];

    fn sample(language: Language) -> InvitationEmail<'static> {
        InvitationEmail {
            language,
            tenant_name: "Contoso",
            brand_name: "Contoso Portal",
            logo_url: Some("https://cdn.contoso.example/logo.png"),
            primary_color: "#1f4fa3",
            background_color: "#f6f7f9",
            inviter_name: "Ada Admin",
            invitee_name: "Minsu Kim",
            invitee_email: "minsu@fabrikam.example",
            custom_text: Some("Welcome aboard."),
            accept_url: "https://id.example/t/contoso/redeem?ticket=abc123",
            contact_url: Some("https://contoso.example/contact"),
            privacy_url: Some("https://contoso.example/privacy"),
            block_url: "https://id.example/t/contoso/block?ticket=abc123",
            expires_on: "2030-01-31",
        }
    }

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    found.insert(after[..close].to_string());
                    rest = &after[close + 1..];
                }
                None => {
                    found.insert(after.to_string());
                    break;
                }
            }
        }
        found
    }

    #[test]
    fn every_locale_parses_with_exactly_the_english_keys_and_placeholders() {
        let en = locale(Language::En).unwrap();
        let en_keys: BTreeSet<&String> = en.keys().collect();
        let expected: BTreeSet<String> = KEYS.iter().map(|k| k.to_string()).collect();
        assert_eq!(en_keys, expected.iter().collect(), "en has exactly KEYS");
        for language in Language::ALL {
            let strings = locale(language).unwrap_or_else(|e| panic!("{language}: {e}"));
            let keys: BTreeSet<&String> = strings.keys().collect();
            assert_eq!(keys, en_keys, "{language} has the same keys as en");
            for (key, value) in &strings {
                assert!(!value.trim().is_empty(), "{language}.{key} is empty");
                let used = placeholders(value);
                for p in &used {
                    assert!(
                        PLACEHOLDERS.contains(&p.as_str()),
                        "{language}.{key} uses unknown placeholder {{{p}}}"
                    );
                }
                assert_eq!(
                    used,
                    placeholders(&en[key]),
                    "{language}.{key} uses the same placeholders as en"
                );
            }
        }
    }

    #[test]
    fn every_language_renders_without_leftover_placeholders() {
        let en = render(&sample(Language::En)).unwrap();
        for language in Language::ALL {
            let r = render(&sample(language)).unwrap_or_else(|e| panic!("{language}: {e}"));
            for (part, body) in [
                ("subject", &r.subject),
                ("text", &r.text),
                ("html", &r.html),
            ] {
                assert!(
                    !body.contains('{') && !body.contains('}'),
                    "{language} {part} has a leftover placeholder: {body}"
                );
            }
            assert!(r.subject.contains("Ada Admin") && r.subject.contains("Contoso"));
            assert!(
                r.html
                    .contains(&format!("<html lang=\"{}\">", html_lang(language)))
            );
            assert!(r.text.contains("2030-01-31") && r.html.contains("2030-01-31"));
            assert!(r.text.contains("minsu@fabrikam.example"));
            if language != Language::En {
                assert_ne!(r.subject, en.subject, "{language}");
                assert_ne!(r.text, en.text, "{language}");
            }
        }
        for language in [Language::Ko, Language::Ja, Language::De] {
            assert_ne!(render(&sample(language)).unwrap().subject, en.subject);
        }
    }

    #[test]
    fn english_has_the_subject_and_every_link() {
        let r = render(&sample(Language::En)).unwrap();
        assert_eq!(r.subject, "Ada Admin invited you to Contoso");
        for body in [&r.text, &r.html] {
            assert!(body.contains("This is an invitation from Contoso."));
            assert!(body.contains("Contoso Portal"));
            assert!(body.contains("Accept invitation"));
            assert!(body.contains("This invitation expires on 2030-01-31."));
            assert!(body.contains("Block future invitations from Contoso"));
            assert!(body.contains("Questions? Contact Contoso"));
            assert!(body.contains("Contoso privacy statement"));
            assert!(
                body.contains("This invitation was sent to minsu@fabrikam.example by Contoso.")
            );
            assert!(body.contains("Welcome aboard."));
        }
        assert!(
            r.text
                .contains("<https://id.example/t/contoso/redeem?ticket=abc123>")
        );
        assert!(
            r.text
                .contains("<https://id.example/t/contoso/block?ticket=abc123>")
        );
        assert!(r.text.contains("<https://contoso.example/contact>"));
        assert!(r.text.contains("<https://contoso.example/privacy>"));
        assert!(
            r.html
                .contains("href=\"https://id.example/t/contoso/redeem?ticket=abc123\"")
        );
        assert!(
            r.html
                .contains("href=\"https://id.example/t/contoso/block?ticket=abc123\"")
        );
        assert!(r.html.contains("href=\"https://contoso.example/contact\""));
        assert!(r.html.contains("href=\"https://contoso.example/privacy\""));
        assert!(
            r.html.contains(
                "<img src=\"https://cdn.contoso.example/logo.png\" alt=\"Contoso Portal\""
            )
        );
        assert!(r.html.contains("<html lang=\"en\">"));
        assert!(r.html.contains("background-color:#1f4fa3"));
        assert!(r.html.contains("background-color:#f6f7f9"));
        assert!(!r.html.to_ascii_lowercase().contains("<script"));
        assert!(!r.html.contains("<link") && !r.html.contains("<style"));
        assert!(!r.text.contains("&amp;") && !r.text.contains("<p"));
    }

    #[test]
    fn korean_has_the_subject_and_every_link() {
        let r = render(&sample(Language::Ko)).unwrap();
        assert_eq!(r.subject, "Ada Admin님이 Contoso에 초대했습니다");
        for body in [&r.text, &r.html] {
            assert!(body.contains("Contoso에서 보낸 초대입니다."));
            assert!(body.contains("Minsu Kim님, 안녕하세요."));
            assert!(body.contains("초대 수락"));
            assert!(body.contains("이 초대는 2030-01-31에 만료됩니다."));
            assert!(body.contains("Contoso의 향후 초대 차단"));
            assert!(body.contains("궁금한 점이 있으면 Contoso에 문의하세요"));
            assert!(body.contains("Contoso 개인정보처리방침"));
        }
        assert!(r.html.contains("<html lang=\"ko\">"));
        for url in [
            "https://id.example/t/contoso/redeem?ticket=abc123",
            "https://id.example/t/contoso/block?ticket=abc123",
            "https://contoso.example/contact",
            "https://contoso.example/privacy",
        ] {
            assert!(r.text.contains(&format!("<{url}>")), "{url}");
            assert!(r.html.contains(&format!("href=\"{url}\"")), "{url}");
        }
    }

    #[test]
    fn custom_text_is_escaped_in_html_raw_in_text_and_keeps_line_breaks() {
        let mut e = sample(Language::En);
        e.custom_text =
            Some("Hi <script>alert(1)</script> & welcome\r\nSecond line\nThird \"line\"");
        let r = render(&e).unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(
            r.html.contains(
                "Hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; welcome<br>Second line<br>Third &quot;line&quot;"
            ),
            "{}",
            r.html
        );
        assert!(r.html.contains("A message from Ada Admin:"));
        assert!(
            r.text
                .contains("Hi <script>alert(1)</script> & welcome\nSecond line\nThird \"line\"")
        );
        assert!(!r.text.contains('\r'));
    }

    #[test]
    fn names_are_escaped_in_html_and_never_expanded_as_placeholders() {
        let mut e = sample(Language::En);
        e.tenant_name = "A&B <Co>";
        e.brand_name = "A&B \"Portal\"";
        e.inviter_name = "{tenant}";
        let r = render(&e).unwrap();
        assert_eq!(r.subject, "{tenant} invited you to A&B <Co>");
        assert!(
            r.html
                .contains("This is an invitation from A&amp;B &lt;Co&gt;.")
        );
        assert!(r.html.contains("alt=\"A&amp;B &quot;Portal&quot;\""));
        assert!(r.text.contains("This is an invitation from A&B <Co>."));
        assert!(r.text.contains("{tenant} has invited you to join A&B <Co>"));
    }

    #[test]
    fn a_newline_in_a_name_does_not_break_the_subject() {
        let mut e = sample(Language::En);
        e.inviter_name = "Eve\r\nBcc: x@example.com";
        let r = render(&e).unwrap();
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }

    #[test]
    fn missing_optional_parts_are_omitted() {
        let mut e = sample(Language::En);
        e.contact_url = None;
        e.privacy_url = Some("  ");
        e.custom_text = Some("   ");
        e.logo_url = None;
        let r = render(&e).unwrap();
        for body in [&r.text, &r.html] {
            assert!(!body.contains("Questions? Contact"));
            assert!(!body.contains("privacy statement"));
            assert!(!body.contains("A message from"));
            assert!(body.contains("Block future invitations from Contoso"));
        }
        assert!(!r.html.contains("<img"));
        assert!(r.html.contains("Contoso Portal"), "readable without a logo");

        // Links and logos that are not http(s) are left out too.
        e.contact_url = Some("javascript:alert(1)");
        e.privacy_url = Some("data:text/html,x");
        e.logo_url = Some("data:image/svg+xml,<svg onload=alert(1)>");
        let r = render(&e).unwrap();
        assert!(!r.html.contains("javascript:") && !r.html.contains("data:"));
        assert!(!r.html.contains("<img"));
        assert!(!r.text.contains("Questions? Contact"));

        // The logo the admin console stores is served from the public URL, http on an intranet install.
        e.logo_url = Some("http://id.intranet/t/contoso/logo?v=3");
        let r = render(&e).unwrap();
        assert!(
            r.html.contains(
                "<img src=\"http://id.intranet/t/contoso/logo?v=3\" alt=\"Contoso Portal\""
            ),
            "{}",
            r.html
        );
    }

    #[test]
    fn the_contact_link_is_the_invitations_else_the_tenants() {
        let tenant = Some("https://contoso.example/help");
        assert_eq!(
            contact_link(Some("https://contoso.example/bob"), tenant),
            Some("https://contoso.example/bob")
        );
        assert_eq!(contact_link(None, tenant), tenant);
        assert_eq!(contact_link(Some("  "), tenant), tenant);
        assert_eq!(contact_link(Some("javascript:alert(1)"), tenant), tenant);
        assert_eq!(
            contact_link(None, Some("mailto:help@contoso.example")),
            None
        );
        assert_eq!(contact_link(None, None), None);
    }

    #[test]
    fn invalid_colours_fall_back() {
        let mut e = sample(Language::En);
        e.primary_color = "red;background:url(x)";
        e.background_color = "#12345g";
        let r = render(&e).unwrap();
        assert!(!r.html.contains("url(x)") && !r.html.contains("#12345g"));
        assert!(r.html.contains("background-color:#1f4fa3"));
        assert!(r.html.contains("background-color:#f6f7f9"));

        e.primary_color = "#ABCDEF";
        e.background_color = "#000000";
        let r = render(&e).unwrap();
        assert!(r.html.contains("background-color:#abcdef"));
        assert!(r.html.contains("background-color:#000000"));
        // A light brand colour gets dark button text and keeps links readable.
        assert!(r.html.contains("color:#111111"));

        e.primary_color = "#0a8";
        let r = render(&e).unwrap();
        assert!(r.html.contains("background-color:#00aa88"), "{}", r.html);
    }

    #[test]
    fn fill_substitutes_once_and_keeps_unknown_braces() {
        let vars = [("tenant", "{inviter}"), ("inviter", "Ada")];
        assert_eq!(fill("{inviter} → {tenant}", &vars), "Ada → {inviter}");
        assert_eq!(fill("{unknown} {tenant", &vars), "{unknown} {tenant");
        assert_eq!(fill("no braces", &vars), "no braces");
    }

    #[test]
    fn builds_an_ascii_message_with_an_encoded_korean_subject() {
        let r = render(&sample(Language::Ko)).unwrap();
        let outgoing = r.to_outgoing("Minsu Kim <minsu@fabrikam.example>");
        assert_eq!(outgoing.to, "Minsu Kim <minsu@fabrikam.example>");
        assert_eq!(outgoing.subject, r.subject);
        assert_eq!(outgoing.html.as_deref(), Some(r.html.as_str()));
        let from = super::super::sender("guestlist <no-reply@localhost>").unwrap();
        let (to, raw) = super::super::build(&from, &outgoing, "inv1", "localhost").unwrap();
        assert_eq!(to.email.to_string(), "minsu@fabrikam.example");
        assert!(raw.is_ascii(), "the message travels as 7-bit text");
        // The Subject header (with any folded continuation lines) carries the Korean as RFC 2047 words.
        let header: String = raw
            .split("\r\n")
            .skip_while(|l| !l.starts_with("Subject: "))
            .enumerate()
            .take_while(|(i, l)| *i == 0 || l.starts_with(' ') || l.starts_with('\t'))
            .map(|(_, l)| l.trim_start_matches("Subject: ").trim().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(header.contains("=?utf-8?b?"), "{raw}");
        let decoded: String = header
            .split(' ')
            .map(|word| {
                match word
                    .strip_prefix("=?utf-8?b?")
                    .and_then(|w| w.strip_suffix("?="))
                {
                    Some(b64) => {
                        use base64::Engine;
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .unwrap();
                        (String::from_utf8(bytes).unwrap(), true)
                    }
                    None => (word.to_string(), false),
                }
            })
            .fold(
                (String::new(), false),
                |(mut acc, prev_encoded), (word, encoded)| {
                    // Whitespace between two adjacent encoded words is dropped (RFC 2047 §6.2).
                    if !(acc.is_empty() || (prev_encoded && encoded)) {
                        acc.push(' ');
                    }
                    acc.push_str(&word);
                    (acc, encoded)
                },
            )
            .0;
        assert_eq!(decoded, r.subject);
        assert!(raw.contains("multipart/alternative"));
    }
}
