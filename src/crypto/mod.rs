//! Random values, their hashes, and password hashing. Nothing here is hand-rolled: the OS RNG,
//! SHA-256 from `sha2`, argon2id from `argon2`.

pub mod password;
pub mod sealed;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

/// Initialises OpenSSL (josekit signs with it, libpq speaks TLS with it) without the exit handler it
/// registers when something else initialises it first (libpq does, with default options). That handler,
/// `OPENSSL_cleanup`, frees OpenSSL's global tables during `exit` while other threads may still be
/// using them or freeing their own OpenSSL state, and the process then crashes on its way out (seen as
/// SIGSEGV or a double free after every test of a binary had passed). Whichever call comes first
/// decides, so every entry point that may be first calls this. Cheap and idempotent.
pub fn init() {
    openssl::init();
}

/// 256 random bits from the OS, base64url without padding (43 characters). Used for codes, tokens,
/// session secrets, client secrets and one-time links.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes())
}

/// 256 random bits from the OS.
pub fn random_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random source failed");
    bytes
}

/// `digits` random decimal digits from the OS, uniformly (a one-time code a person types).
pub fn random_digits(digits: u32) -> String {
    use rand::Rng;
    let bound = 10u64.pow(digits);
    let n = rand::rngs::OsRng.unwrap_err().random_range(0..bound);
    format!("{n:0width$}", width = digits as usize)
}

/// Whether `s` has the shape of a [`random_token`]. A value that does not was never issued, so a lookup
/// can stop there.
pub fn is_random_token(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The stored form of a server-generated secret: SHA-256, hex. Such secrets carry 256 bits of
/// entropy, so a fast hash is enough and keeps the token endpoint fast.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Compares two strings in time that does not depend on where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    constant_time_eq_bytes(a.as_bytes(), b.as_bytes())
}

pub fn constant_time_eq_bytes(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// The left half of the SHA-256 of a token, base64url: `at_hash` for RS256/ES256 (OIDC Core §3.1.3.6).
/// EdDSA (Ed25519) uses SHA-512, per the OpenID Connect errata.
pub fn left_half_hash(value: &str, alg: &str) -> String {
    let digest: Vec<u8> = if alg == "EdDSA" {
        sha2::Sha512::digest(value.as_bytes()).to_vec()
    } else {
        Sha256::digest(value.as_bytes()).to_vec()
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_have_their_shape_and_nothing_else_does() {
        assert!(is_random_token(&random_token()));
        for other in [
            "",
            "\0",
            &"a".repeat(42),
            &"a".repeat(44),
            &format!("{}=", "a".repeat(42)),
        ] {
            assert!(!is_random_token(other), "{other:?}");
        }
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn hashes_are_stable_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn at_hash_example() {
        // OIDC Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" → at_hash "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(
            left_half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "RS256"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
