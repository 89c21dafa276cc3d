//! PKCE (RFC 7636), S256 only: `plain` gives no protection against a stolen code.

use super::DomainError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Checks the `code_challenge` and `code_challenge_method` of an authorization request.
pub fn parse_challenge(challenge: &str, method: Option<&str>) -> Result<String, DomainError> {
    match method {
        Some("S256") => {}
        // RFC 7636 §4.3: an absent method means `plain`.
        None | Some("plain") => {
            return Err(DomainError::new(
                "code_challenge_method",
                "code_challenge_method must be S256 (plain is not supported)",
            ));
        }
        Some(_) => {
            return Err(DomainError::new(
                "code_challenge_method",
                "unsupported code_challenge_method; use S256",
            ));
        }
    }
    // An S256 challenge is a base64url SHA-256 digest: exactly 43 characters.
    if challenge.len() != 43 || !challenge.bytes().all(is_unreserved) {
        return Err(DomainError::new(
            "code_challenge",
            "code_challenge must be a 43-character base64url S256 value",
        ));
    }
    Ok(challenge.to_string())
}

/// The S256 challenge of `verifier` (what a client sends with its authorization request).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// True when `verifier` (43–128 unreserved characters) hashes to `challenge`.
pub fn verify(verifier: &str, challenge: &str) -> bool {
    if !(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_unreserved) {
        return false;
    }
    let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    subtle::ConstantTimeEq::ct_eq(digest.as_bytes(), challenge.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_example_verifies() {
        assert!(verify(VERIFIER, CHALLENGE));
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            CHALLENGE
        ));
    }

    #[test]
    fn long_verifier_with_dot_and_tilde() {
        let v = format!("{}.~", "a".repeat(126));
        let c = URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes()));
        assert!(verify(&v, &c));
        // The challenge matches the longer verifier, so only the length rule can refuse it.
        let too_long = format!("{v}x");
        let matching = URL_SAFE_NO_PAD.encode(Sha256::digest(too_long.as_bytes()));
        assert!(!verify(&too_long, &matching), "129 characters is too long");
    }

    #[test]
    fn challenge_rules() {
        assert!(parse_challenge(CHALLENGE, Some("S256")).is_ok());
        assert!(parse_challenge(CHALLENGE, Some("plain")).is_err());
        assert!(parse_challenge(CHALLENGE, None).is_err());
        assert!(parse_challenge("short", Some("S256")).is_err());
    }
}
