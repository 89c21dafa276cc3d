//! The periodic review email: a sponsor's guests, each with a single-use "Keep" and "Remove" link, in
//! the sponsor's language and the tenant's branding. The sentences are `mail_review_…` keys of the
//! locale files.

use super::invitation::RenderedEmail;
use crate::domain::calendar::date_of;
use crate::domain::language::Language;
use crate::error::Result;
use crate::locale::Locale;
use crate::templates::Templates;

/// One guest in a review email.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReviewedGuest {
    pub name: String,
    pub email: String,
    /// When they last signed in (the email words it in its language).
    #[serde(skip)]
    pub last_sign_in: Option<i64>,
    pub keep_url: String,
    pub remove_url: String,
}

/// What a review email says.
#[derive(Debug, Clone)]
pub struct ReviewEmail<'a> {
    pub language: Language,
    pub tenant_name: &'a str,
    pub logo_url: Option<&'a str>,
    pub primary_color: &'a str,
    pub background_color: &'a str,
    /// The sponsor's address, named in the footer.
    pub email: &'a str,
    pub deadline: i64,
    /// Whether guests nobody keeps by the deadline are disabled (the email says so).
    pub disable_unreviewed: bool,
    pub guests: &'a [ReviewedGuest],
}

/// Renders `email` in its language.
pub fn render(email: &ReviewEmail<'_>) -> Result<RenderedEmail> {
    let locale = Locale::new(email.language)?;
    let deadline = date_of(email.deadline);
    let count = email.guests.len().to_string();
    let vars = [
        ("tenant", email.tenant_name),
        ("email", email.email),
        ("deadline", deadline.as_str()),
        ("count", count.as_str()),
    ];
    let one_line = |text: String| {
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .trim()
            .to_string()
    };
    let mut ctx = tera::Context::new();
    let subject = one_line(locale.text("mail_review_subject", &vars)?);
    for part in ["heading", "intro", "keep", "remove", "guest_email"] {
        ctx.insert(part, &locale.text(&format!("mail_review_{part}"), &vars)?);
    }
    let consequence = if email.disable_unreviewed {
        "mail_review_disable"
    } else {
        "mail_review_no_disable"
    };
    ctx.insert("consequence", &locale.text(consequence, &vars)?);
    let mut rows = Vec::new();
    for g in email.guests {
        let seen = match g.last_sign_in {
            Some(at) => locale.text("mail_review_last_sign_in", &[("date", &date_of(at))])?,
            None => locale.text("mail_review_never_signed_in", &[])?,
        };
        let mut row = serde_json::to_value(g).map_err(crate::error::Error::internal)?;
        row["seen"] = serde_json::Value::String(seen);
        rows.push(row);
    }
    ctx.insert("guests", &rows);
    ctx.insert("subject", &subject);
    ctx.insert("footer", &locale.text("mail_account_footer", &vars)?);
    super::insert_brand(
        &mut ctx,
        email.language,
        email.tenant_name,
        email.logo_url,
        (email.primary_color, email.background_color),
    );
    let templates = Templates::global();
    Ok(RenderedEmail {
        subject,
        text: templates.render("email/review.txt", &ctx)?,
        html: templates.render("email/review.html", &ctx)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guests() -> Vec<ReviewedGuest> {
        vec![
            ReviewedGuest {
                name: "Bob <b>".into(),
                email: "bob@fabrikam.example".into(),
                last_sign_in: None,
                keep_url: "https://id.example/t/contoso/review/k1?decision=keep".into(),
                remove_url: "https://id.example/t/contoso/review/k1?decision=remove".into(),
            },
            ReviewedGuest {
                name: "Carol".into(),
                email: "carol@tailspin.example".into(),
                last_sign_in: Some(1_796_428_800),
                keep_url: "https://id.example/t/contoso/review/k2?decision=keep".into(),
                remove_url: "https://id.example/t/contoso/review/k2?decision=remove".into(),
            },
        ]
    }

    #[test]
    fn a_review_lists_each_guest_with_both_links_in_the_sponsors_language() {
        let list = guests();
        for (language, subject, keep, never) in [
            (
                Language::En,
                "Review your guests at Contoso",
                "Keep",
                "Never signed in",
            ),
            (
                Language::Ko,
                "Contoso 게스트 검토 요청",
                "유지",
                "로그인한 적 없음",
            ),
        ] {
            let mail = render(&ReviewEmail {
                language,
                tenant_name: "Contoso",
                logo_url: None,
                primary_color: "#1f4fa3",
                background_color: "#f4f6f8",
                email: "ann@contoso.example",
                deadline: 1_797_638_400,
                disable_unreviewed: true,
                guests: &list,
            })
            .unwrap();
            assert_eq!(mail.subject, subject);
            for body in [&mail.text, &mail.html] {
                assert!(body.contains("2026-12-19"), "{body}");
                assert!(body.contains(keep), "{body}");
                assert!(body.contains(never), "{body}");
                assert!(body.contains("2026-12-05"), "{body}");
                for g in &list {
                    assert!(body.contains(&g.email));
                }
            }
            for g in &list {
                assert!(mail.text.contains(&format!("<{}>", g.keep_url)));
                assert!(mail.text.contains(&format!("<{}>", g.remove_url)));
                // The HTML escapes the slashes; the token and the decision stay as they are.
                for url in [&g.keep_url, &g.remove_url] {
                    let tail = url.rsplit('/').next().unwrap();
                    assert!(mail.html.contains(tail), "{tail}");
                }
            }
            assert!(
                mail.html.contains("Bob &lt;b&gt;"),
                "escaped: {}",
                mail.html
            );
        }
    }
}
