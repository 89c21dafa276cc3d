//! Emails a person asks for from the pages: the forgotten-password link and the one-time sign-in code. Subject, plain-text and
//! HTML bodies in the person's language, branded with the tenant whose page they asked on.
//!
//! The sentences are `mail_{kind}_…` keys of the locale files (English and Korean complete; other
//! languages fall back to English per sentence), filled here in one pass.

use super::invitation::RenderedEmail;
use crate::domain::language::Language;
use crate::error::Result;
use crate::locale::Locale;
use crate::templates::Templates;

/// Which email: the key prefix of its sentences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountMail {
    /// A single-use link to choose a new password.
    PasswordReset,
    /// A single-use link that proves the address of an account made by signing up.
    VerifyEmail,
    /// A one-time code that proves the address (no link: the code is typed on the page that asked).
    OneTimeCode,
}

impl AccountMail {
    fn prefix(self) -> &'static str {
        match self {
            AccountMail::PasswordReset => "mail_reset",
            AccountMail::OneTimeCode => "mail_code",
            AccountMail::VerifyEmail => "mail_verify",
        }
    }
}

/// What an account email says.
#[derive(Debug, Clone)]
pub struct AccountEmail<'a> {
    pub kind: AccountMail,
    pub language: Language,
    pub tenant_name: &'a str,
    /// An absolute http(s) URL; anything else is left out.
    pub logo_url: Option<&'a str>,
    pub primary_color: &'a str,
    pub background_color: &'a str,
    /// The address the email goes to (named in it, so a forwarded email says whose it was).
    pub email: &'a str,
    /// The single-use link (empty for a code).
    pub link: &'a str,
    /// The one-time code, shown instead of a link.
    pub code: Option<&'a str>,
    /// How long the link works.
    pub valid_minutes: i64,
}

/// The sentences of each email, by suffix: `{prefix}_{suffix}`.
const PARTS: [&str; 6] = ["subject", "heading", "intro", "action", "expires", "ignore"];

/// Renders `email` in its language.
pub fn render(email: &AccountEmail<'_>) -> Result<RenderedEmail> {
    let locale = Locale::new(email.language)?;
    let minutes = email.valid_minutes.to_string();
    let hours = (email.valid_minutes / 60).to_string();
    let vars = [
        ("tenant", email.tenant_name),
        ("email", email.email),
        ("minutes", minutes.as_str()),
        ("hours", hours.as_str()),
    ];
    let mut ctx = tera::Context::new();
    let mut subject = String::new();
    for part in PARTS {
        let text = locale.text(&format!("{}_{part}", email.kind.prefix()), &vars)?;
        if part == "subject" {
            // A header is one line: control characters (a newline in a tenant name) become spaces.
            subject = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect::<String>()
                .trim()
                .to_string();
        }
        ctx.insert(part, &text);
    }
    ctx.insert("subject", &subject);
    ctx.insert("link_hint", &locale.text("mail_link_hint", &vars)?);
    ctx.insert("footer", &locale.text("mail_account_footer", &vars)?);
    super::insert_brand(
        &mut ctx,
        email.language,
        email.tenant_name,
        email.logo_url,
        (email.primary_color, email.background_color),
    );
    ctx.insert("link", email.link);
    ctx.insert("code", &email.code);
    let templates = Templates::global();
    Ok(RenderedEmail {
        subject,
        text: templates.render("email/account.txt", &ctx)?,
        html: templates.render("email/account.html", &ctx)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(language: Language, tenant_name: &'static str) -> AccountEmail<'static> {
        AccountEmail {
            kind: AccountMail::PasswordReset,
            language,
            tenant_name,
            logo_url: Some("javascript:alert(1)"),
            primary_color: "#1f4fa3",
            background_color: "not a colour",
            email: "ann@contoso.example",
            link: "https://id.example/t/contoso/reset/abc",
            code: None,
            valid_minutes: 60,
        }
    }

    #[test]
    fn a_verification_email_links_and_counts_its_lifetime_in_hours() {
        for (language, subject, hours) in [
            (
                Language::En,
                "Confirm your email address for Contoso",
                "24 hours",
            ),
            (Language::Ko, "Contoso 이메일 주소 확인", "24시간"),
        ] {
            let mail = render(&AccountEmail {
                kind: AccountMail::VerifyEmail,
                link: "https://id.example/t/contoso/verify/abc",
                valid_minutes: 24 * 60,
                ..sample(language, "Contoso")
            })
            .unwrap();
            assert_eq!(mail.subject, subject);
            for body in [&mail.text, &mail.html] {
                assert!(
                    body.contains("https://id.example/t/contoso/verify/abc"),
                    "{body}"
                );
                assert!(body.contains(hours), "{body}");
            }
        }
    }

    #[test]
    fn a_code_email_shows_the_code_and_no_link_in_both_languages() {
        for (language, subject, minutes) in [
            (Language::En, "Your Contoso sign-in code", "10 minutes"),
            (Language::Ko, "Contoso 로그인 코드", "10분"),
        ] {
            let mail = render(&AccountEmail {
                kind: AccountMail::OneTimeCode,
                link: "",
                code: Some("04815162"),
                valid_minutes: 10,
                ..sample(language, "Contoso")
            })
            .unwrap();
            assert_eq!(mail.subject, subject);
            for body in [&mail.text, &mail.html] {
                assert!(body.contains("04815162"), "{body}");
                assert!(body.contains(minutes), "{body}");
                assert!(!body.contains("href=\"\""), "no empty link: {body}");
                assert!(!body.contains("<>"), "no empty link: {body}");
            }
        }
    }

    #[test]
    fn english_and_korean_say_it_in_their_language_with_the_link_in_both_parts() {
        let en = render(&sample(Language::En, "Contoso")).unwrap();
        assert_eq!(en.subject, "Reset your Contoso password");
        for body in [&en.text, &en.html] {
            assert!(
                body.contains("https://id.example/t/contoso/reset/abc"),
                "{body}"
            );
            assert!(body.contains("60 minutes"), "{body}");
            assert!(body.contains("ann@contoso.example"), "{body}");
        }
        assert!(!en.html.contains("javascript:"), "only web logos");
        let ko = render(&sample(Language::Ko, "Contoso")).unwrap();
        assert_eq!(ko.subject, "Contoso 비밀번호 재설정");
        assert!(ko.html.contains("<html lang=\"ko\">"));
        assert!(ko.text.contains("60분"), "{}", ko.text);
    }

    #[test]
    fn a_language_without_its_own_sentences_falls_back_to_english_and_names_are_escaped() {
        let de = render(&sample(Language::De, "<b>A&B</b>\nX")).unwrap();
        assert_eq!(de.subject, "Reset your <b>A&B</b> X password");
        assert!(de.html.contains("&lt;b&gt;A&amp;B&lt;"), "{}", de.html);
        assert!(!de.html.contains("<b>A&B</b>"));
    }
}
