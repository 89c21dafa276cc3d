//! Secrets the server must read back later (an upstream provider's client secret, a PKCE verifier in
//! flight), sealed with XChaCha20-Poly1305 under a key kept in the keys directory. A sealed value is
//! `v1.` and the base64url of a random 24-byte nonce followed by the ciphertext; opening checks the tag,
//! so a value changed in the database does not open. The row's purpose is bound in as associated data,
//! so a sealed value copied into another column does not open either.

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

/// Seals and opens values under one 256-bit key. Cheap to clone.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// A new random key, as the keys directory stores it (base64url).
    pub fn new_key() -> String {
        URL_SAFE_NO_PAD.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// The key stored as [`Sealer::new_key`] wrote it.
    pub fn from_stored(stored: &str) -> Result<Sealer> {
        let bytes = URL_SAFE_NO_PAD
            .decode(stored.trim())
            .map_err(|_| Error::Config("the sealing key is not base64url".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Config("the sealing key is not 32 bytes".into()))?;
        Ok(Sealer::new(&key))
    }

    /// `plain` sealed for `purpose` (say `"idp-client-secret:{id}"`).
    pub fn seal(&self, purpose: &str, plain: &str) -> Result<String> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| Error::internal("sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// The value sealed for `purpose`; an error when it was sealed under another key or purpose, or
    /// changed since.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String> {
        let broken = || Error::internal("a sealed secret does not open (another key, or changed)");
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(broken)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_purpose() {
        let key = Sealer::new_key();
        let s = Sealer::from_stored(&key).unwrap();
        let sealed = s.seal("p", "the secret").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("the secret"));
        assert_eq!(s.open("p", &sealed).unwrap(), "the secret");
        // Two seals of one value differ (random nonce).
        assert_ne!(sealed, s.seal("p", "the secret").unwrap());
        assert!(s.open("q", &sealed).is_err());
        let other = Sealer::from_stored(&Sealer::new_key()).unwrap();
        assert!(other.open("p", &sealed).is_err());
        // A changed byte does not open.
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(s.open("p", &String::from_utf8(tampered).unwrap()).is_err());
        assert!(s.open("p", "v1.").is_err());
        assert!(s.open("p", "plain").is_err());
        assert!(Sealer::from_stored("short").is_err());
    }
}
