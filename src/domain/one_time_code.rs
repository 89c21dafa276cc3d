//! Emailed one-time codes: their shape, lifetime and tries, and what one is for.

/// How many digits a code has (Entra's guests get the same length).
pub const DIGITS: u32 = 8;
/// How long a code works, in seconds.
pub const TTL_SECONDS: i64 = 600;
/// Wrong tries that use a code up.
pub const MAX_TRIES: i32 = 5;
/// The `idp` of a guest whose home identity is their email address, proven by codes.
pub const MAIL_ISSUER: &str = "mail";

/// A code as a person typed it: spaces and hyphens (from copying "1234 5678") are dropped; anything but
/// exactly [`DIGITS`] ASCII digits is no code.
pub fn normalise(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// What a code proves the address for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodePurpose {
    /// Redeeming (or signing in again through) the invitation with this id.
    Redeem(String),
    /// Signing in at the tenant the code was asked for.
    SignIn,
}

impl CodePurpose {
    pub fn stored(&self) -> String {
        match self {
            CodePurpose::Redeem(id) => format!("redeem:{id}"),
            CodePurpose::SignIn => "sign-in".into(),
        }
    }

    pub fn parse(stored: &str) -> Option<CodePurpose> {
        match stored.split_once(':') {
            Some(("redeem", id)) if !id.is_empty() => Some(CodePurpose::Redeem(id.into())),
            None if stored == "sign-in" => Some(CodePurpose::SignIn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_eight_digits_with_spaces_and_hyphens_forgiven() {
        assert_eq!(normalise("12345678").as_deref(), Some("12345678"));
        assert_eq!(normalise(" 1234 5678 ").as_deref(), Some("12345678"));
        assert_eq!(normalise("1234-5678").as_deref(), Some("12345678"));
        for bad in [
            "",
            "1234567",
            "123456789",
            "1234567a",
            "１２３４５６７８",
            "12345678\u{0}",
        ] {
            assert_eq!(normalise(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn purposes_round_trip_and_nothing_else_parses() {
        for p in [CodePurpose::Redeem("inv-1".into()), CodePurpose::SignIn] {
            assert_eq!(CodePurpose::parse(&p.stored()), Some(p));
        }
        for bad in ["", "redeem:", "redeem", "sign-in:x", "other"] {
            assert_eq!(CodePurpose::parse(bad), None, "{bad:?}");
        }
    }
}
