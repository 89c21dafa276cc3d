//! The URL names of unmanaged directories: the tenant made automatically for an email domain when someone
//! of that domain registers while redeeming an invitation (spec §1).
//!
//! The name must be injective: two domains sharing one would put one domain's people in the other's
//! directory, with the other's issuer as their `idp`. Dots become `-` for readability, so a literal `-`
//! is written `--`: `corp.example.com` → `ext-corp-example-com`, `corp-example.com` →
//! `ext-corp--example-com`. A domain label never starts or ends with `-`, so in such a name a run of
//! hyphens is either one (a dot) or even (hyphens), and the domain can be read back.
//!
//! A domain that does not fit in a slug that way (too long, or not plain ASCII) gets a readable head and
//! the first 64 bits of SHA-256 of the exact domain, after a run of exactly three hyphens, which no name of
//! the first kind contains: `ext-xn----9n2bp8q-xn----3e0b707e---…`. Such names differ whenever the
//! hashes do.

use sha2::{Digest, Sha256};

/// Every unmanaged directory's slug starts with this; operators may not create tenants whose slug does.
pub const SLUG_PREFIX: &str = "ext-";

/// The longest slug (as [`super::tenant::TenantSlug`] allows).
const MAX_SLUG: usize = 63;

/// Hex digits of the domain's hash in a hashed name.
const HASH_DIGITS: usize = 16;

/// Between the readable head and the hash of a hashed name.
const HASH_SEPARATOR: &str = "---";

/// The slug of the unmanaged directory of `domain` (as an [`super::email::EmailAddress`] gives it: ASCII in
/// lower case). Always a valid tenant slug; distinct domains get distinct slugs.
pub fn unmanaged_slug(domain: &str) -> String {
    match plain(domain) {
        Some(encoded) if SLUG_PREFIX.len() + encoded.len() <= MAX_SLUG => {
            format!("{SLUG_PREFIX}{encoded}")
        }
        _ => hashed(domain),
    }
}

/// Whether `slug` is in the namespace of unmanaged directories.
pub fn is_unmanaged_slug(slug: &str) -> bool {
    slug.starts_with(SLUG_PREFIX)
}

/// `domain` with `-` doubled and `.` as `-`, when it is a DNS name of lower-case ASCII letters, digits,
/// hyphens and dots whose labels neither start nor end with a hyphen (so the encoding can be read back).
fn plain(domain: &str) -> Option<String> {
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        });
    labels_ok.then(|| encode(domain))
}

/// The slug-safe spelling of an ASCII name: `-` doubled, `.` as `-`, other characters left out.
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for c in name.chars() {
        match c {
            '-' => out.push_str("--"),
            '.' => out.push('-'),
            c if c.is_ascii_lowercase() || c.is_ascii_digit() => out.push(c),
            c if c.is_ascii_uppercase() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

/// `ext-{readable head}---{hash of the exact domain}`; the head is the domain's ASCII (punycode) form,
/// encoded and cut to fit.
fn hashed(domain: &str) -> String {
    let digest = Sha256::digest(domain.as_bytes());
    let hash: String = digest[..HASH_DIGITS / 2]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let ascii = url::Host::parse(domain)
        .map(|host| host.to_string())
        .unwrap_or_else(|_| domain.to_string());
    let room = MAX_SLUG - SLUG_PREFIX.len() - HASH_SEPARATOR.len() - HASH_DIGITS;
    let head: String = encode(&ascii).chars().take(room).collect();
    format!(
        "{SLUG_PREFIX}{}{HASH_SEPARATOR}{hash}",
        head.trim_end_matches('-')
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tenant::TenantSlug;

    #[test]
    fn plain_domains_read_as_themselves() {
        for (domain, slug) in [
            ("fabrikam.example", "ext-fabrikam-example"),
            ("corp.example.com", "ext-corp-example-com"),
            ("corp-example.com", "ext-corp--example-com"),
            ("a-b.c-d.example", "ext-a--b-c--d-example"),
            ("xn--bcher-kva.example", "ext-xn----bcher--kva-example"),
            ("1.example", "ext-1-example"),
        ] {
            assert_eq!(unmanaged_slug(domain), slug, "{domain}");
        }
    }

    #[test]
    fn domains_that_spelled_alike_before_get_distinct_slugs() {
        // Each group mapped to one slug when dots and hyphens were both written `-`, and non-ASCII or
        // over-long names were cut.
        let groups: [&[&str]; 4] = [
            &[
                "corp.example.com",
                "corp-example.com",
                "corp.example-com",
                "corp-example-com.example",
            ],
            &[
                "a.b-c.example",
                "a-b.c.example",
                "a.b.c.example",
                "a--b.c.example",
            ],
            &[
                "회사.한국",
                "회사.kr",
                "會社.한국",
                "ä.example",
                "ö.example",
            ],
            &[
                &format!("{}.example", "a".repeat(60)),
                &format!("{}b.example", "a".repeat(60)),
            ],
        ];
        for group in groups {
            let slugs: Vec<String> = group.iter().map(|d| unmanaged_slug(d)).collect();
            let distinct: std::collections::HashSet<&String> = slugs.iter().collect();
            assert_eq!(distinct.len(), group.len(), "{group:?} → {slugs:?}");
        }
    }

    #[test]
    fn every_slug_is_a_tenant_slug_in_the_unmanaged_namespace() {
        let long = format!("{}.example", "label.".repeat(40));
        for domain in [
            "fabrikam.example",
            "회사.한국",
            "ä.example",
            long.as_str(),
            &format!("{}.example", "a".repeat(63)),
            "",
            "...",
            "-",
        ] {
            let slug = unmanaged_slug(domain);
            assert!(TenantSlug::parse(&slug).is_ok(), "{domain:?} → {slug:?}");
            assert!(is_unmanaged_slug(&slug), "{slug}");
        }
    }

    #[test]
    fn names_that_do_not_fit_keep_a_readable_head_and_hash_the_exact_domain() {
        let slug = unmanaged_slug("회사.한국");
        assert!(slug.starts_with("ext-xn--"), "{slug}");
        let (head, hash) = slug.rsplit_once(HASH_SEPARATOR).expect("a hashed name");
        assert!(head.starts_with(SLUG_PREFIX), "{slug}");
        assert_eq!(hash.len(), HASH_DIGITS);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
        // The same domain always gets the same name: people of one domain share their directory.
        assert_eq!(unmanaged_slug("회사.한국"), slug);
        let long = format!("{}.example", "a".repeat(60));
        assert_eq!(unmanaged_slug(&long).len(), 63);
    }

    #[test]
    fn a_plain_name_never_has_three_hyphens_in_a_row() {
        // Why a hashed name cannot equal a plain one: hyphen runs of a plain name are 1 or even.
        for domain in ["a-b.c", "a--b.c", "a.b-c", "xn--a.xn--b", "a---b.c"] {
            if let Some(encoded) = plain(domain) {
                let runs = encoded
                    .split(|c: char| c != '-')
                    .map(str::len)
                    .filter(|n| *n > 0);
                assert!(
                    runs.into_iter().all(|n| n == 1 || n % 2 == 0),
                    "{domain} → {encoded}"
                );
            }
        }
    }
}
