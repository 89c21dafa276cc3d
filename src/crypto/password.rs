//! argon2id password hashing on a bounded set of blocking threads.
//!
//! Each hash takes 19 MiB and tens of milliseconds of CPU. A semaphore with one permit per core keeps a
//! burst of sign-ins from exhausting memory or the blocking pool; requests beyond it wait their turn.

use crate::error::{Error, Result};
use argon2::{Algorithm, Argon2, Params, Version};
use argon2::{PasswordHasher as _, PasswordVerifier as _};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// OWASP's argon2id minimum: m = 19456 KiB, t = 2, p = 1.
pub fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_blocking(password: &str) -> Result<String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(Error::internal)
}

pub fn verify_blocking(password: &str, stored: &str) -> bool {
    argon2()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A real hash of a random password: verifying against it when an email is unknown makes the
    /// answer take as long as for a wrong password.
    decoy: Arc<str>,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Result<Self> {
        Ok(PasswordHasher {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy: hash_blocking(&crate::crypto::random_token())?.into(),
        })
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(Error::internal)?
    }

    /// Verifies `password` against `stored`, or against the decoy when there is no stored hash, so
    /// that an unknown email and a wrong password cost the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.decoy.to_string());
        let ok = tokio::task::spawn_blocking(move || verify_blocking(&password, &stored))
            .await
            .map_err(Error::internal)?;
        Ok(ok && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_uses_owasp_parameters_and_verifies() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong", &h));
        assert!(!verify_blocking("x", "not a hash"));
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let hasher = PasswordHasher::new(1).unwrap();
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
    }
}
