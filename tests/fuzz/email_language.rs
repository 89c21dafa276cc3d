//! Email addresses (`domain::email`) and languages (`domain::language`): codes, browser tags and
//! `Accept-Language` headers.

use crate::support::{config, long_text, nasty_text};
use guestlist::domain::email::{EmailAddress, valid_domain};
use guestlist::domain::language::{Language, accepted_languages};
use proptest::prelude::*;

/// Addresses the rules accept: a local part of common characters, a domain of two to four labels in any
/// letter case, spaces around.
pub fn valid_email() -> impl Strategy<Value = String> {
    (
        "[a-zA-Z0-9._%+!#$&'*/=?^`{|}~-]{1,30}",
        prop::collection::vec(
            "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?|회사|bücher",
            2..5,
        ),
        prop::sample::select(vec!["", " ", "\t", "  "]),
    )
        .prop_map(|(local, labels, pad)| format!("{pad}{local}@{}{pad}", labels.join(".")))
}

/// Inputs around the rules: valid addresses, each broken in one place, and noise.
fn email_input() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => valid_email(),
        2 => (valid_email(), nasty_text(6), any::<prop::sample::Index>()).prop_map(|(e, junk, at)| {
            let chars: Vec<char> = e.chars().collect();
            let i = at.index(chars.len() + 1);
            chars[..i].iter().chain(junk.chars().collect::<Vec<_>>().iter()).chain(&chars[i..]).collect()
        }),
        2 => nasty_text(40),
        1 => long_text(),
        1 => (long_text(), valid_email()).prop_map(|(l, e)| format!("{l}{e}")),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Parsing never panics; an accepted address is trimmed, within the length limits, has one local part
    /// and a valid domain in lower case, and parses again to itself.
    #[test]
    fn accepted_addresses_are_normalised_and_stable(raw in email_input()) {
        if let Ok(email) = EmailAddress::parse(&raw) {
            let s = email.as_str();
            prop_assert!(s.len() <= 254 && s == s.trim());
            let (local, domain) = s.rsplit_once('@').expect("an @");
            prop_assert!(!local.is_empty() && local.len() <= 64 && !local.contains('@'));
            prop_assert!(!local.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert!(valid_domain(domain) && domain == email.domain());
            prop_assert_eq!(domain, domain.to_ascii_lowercase());
            prop_assert_eq!(email.lower(), s.to_lowercase());
            prop_assert_eq!(EmailAddress::parse(s), Ok(email.clone()));
        }
    }

    /// Every address of the valid shape is accepted, keeping the local part's case.
    #[test]
    fn valid_addresses_are_accepted(raw in valid_email()) {
        let email = EmailAddress::parse(&raw).map_err(|e| TestCaseError::fail(e.message))?;
        let (local, domain) = raw.trim().rsplit_once('@').expect("an @");
        prop_assert_eq!(email.as_str(), format!("{local}@{}", domain.to_ascii_lowercase()));
    }

    /// Language codes: any spelling of a supported code in any case parses to it, anything else is a
    /// clean error, and the canonical spelling reads back.
    #[test]
    fn language_codes_parse_case_blind_or_fail_cleanly(
        raw in prop_oneof![
            prop::sample::select(Language::ALL.to_vec()).prop_flat_map(|l| {
                (Just(l), prop::collection::vec(any::<bool>(), 8), "[ \t]{0,2}")
            }).prop_map(|(l, upper, pad)| {
                let mixed: String = l.as_str().chars().zip(upper.iter().cycle())
                    .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                    .collect();
                format!("{pad}{mixed}{pad}")
            }),
            nasty_text(12),
        ],
    ) {
        match Language::parse(&raw) {
            Ok(l) => {
                prop_assert!(l.as_str().eq_ignore_ascii_case(raw.trim()));
                prop_assert_eq!(Language::parse(l.as_str()), Ok(l));
                prop_assert_eq!(l.to_string().parse::<Language>(), Ok(l));
            }
            Err(e) => prop_assert!(!e.message.is_empty()),
        }
        prop_assert_eq!(Language::parse_optional(&raw).is_ok(), raw.trim().is_empty() || Language::parse(&raw).is_ok());
        let _ = Language::from_browser_tag(&raw);
        let _ = Language::from_preference(&raw);
    }

    /// Any `Accept-Language` header: no panic, each language at most once, only supported ones.
    #[test]
    fn any_accept_language_header_gives_distinct_supported_languages(
        header in prop_oneof![nasty_text(200), long_text(), accept_language()],
    ) {
        let languages = accepted_languages(&header);
        prop_assert!(languages.len() <= Language::ALL.len());
        for (i, l) in languages.iter().enumerate() {
            prop_assert!(!languages[..i].contains(l), "{l} twice");
        }
    }

    /// A well-formed header is honoured exactly: entries by weight (ties in header order), weight 0 and
    /// unknown languages left out, each language once, entries after the 32nd ignored.
    #[test]
    fn well_formed_accept_language_is_ordered_by_weight(
        entries in prop::collection::vec((browser_tag(), prop::option::of(0u16..=1000)), 0..40),
    ) {
        let header = entries
            .iter()
            .map(|(tag, q)| match q {
                Some(q) => format!("{tag};q={}", weight(*q)),
                None => tag.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut expected: Vec<(u16, Language)> = entries
            .iter()
            .take(32)
            .filter_map(|(tag, q)| {
                let q = q.unwrap_or(1000);
                Some((q, Language::from_browser_tag(tag)?)).filter(|_| q > 0)
            })
            .collect();
        expected.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
        let mut wanted = Vec::new();
        for (_, l) in expected {
            if !wanted.contains(&l) {
                wanted.push(l);
            }
        }
        prop_assert_eq!(accepted_languages(&header), wanted, "{}", header);
    }
}

/// Browser language tags, supported and not, in the spellings browsers use.
fn browser_tag() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "en",
            "en-US",
            "de-CH",
            "fr",
            "ko-KR",
            "ja",
            "pt",
            "pt-PT",
            "zh",
            "zh-TW",
            "zh-Hant-HK",
            "zh_CN",
            "ZH-hans",
            "es-419",
            "it",
            "ru",
            "nl",
            "sv-SE",
            "*",
            "x-klingon",
        ])
        .prop_map(str::to_string),
        "[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}",
    ]
}

/// A weight as RFC 9110 writes it (`0`, `0.5`, `0.123`, `1`, `1.000`) for `thousandths`.
fn weight(thousandths: u16) -> String {
    match thousandths {
        1000 => "1".to_string(),
        0 => "0".to_string(),
        t if t % 100 == 0 => format!("0.{}", t / 100),
        t if t % 10 == 0 => format!("0.{:02}", t / 10),
        t => format!("0.{t:03}"),
    }
}

/// Headers of the usual shape with odd spacing and the odd malformed weight.
fn accept_language() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            browser_tag(),
            prop::sample::select(vec![
                "",
                ";q=0.8",
                ";q=0",
                ";q=1",
                ";q=1.0",
                ";q=0.999",
                ";q=2",
                ";q=0.1234",
                ";q=-1",
                ";q=",
                "; q = 0.5",
                ";Q=0.5",
                ";level=1",
                ";q=0.5;q=0.6",
                ";q=.5",
                ";q=1.001",
            ]),
        ),
        0..12,
    )
    .prop_map(|entries| {
        entries
            .into_iter()
            .map(|(t, q)| format!("{t}{q}"))
            .collect::<Vec<_>>()
            .join(" ,")
    })
}
