//! argon2id password hashing on a fixed set of dedicated threads.
//!
//! Each hash needs 19 MiB of working memory and tens of milliseconds of CPU. A fixed number of
//! threads (one per core by default) each own one working-memory buffer, allocated once and reused
//! for every hash, so a burst of sign-ins neither grows memory nor stalls the async executor: extra
//! requests wait in a bounded queue, and past it get "temporarily unavailable".

use crate::error::{Error, Result};
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::TryRngCore;
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

/// OWASP's argon2id minimum: m = 19456 KiB, t = 2, p = 1.
pub fn params() -> Params {
    Params::new(19_456, 2, 1, None).expect("static argon2 parameters are valid")
}

/// Stored hashes asking for more memory than this are refused rather than trusted.
const MAX_BLOCKS: usize = 64 * 1024;

/// How many hash requests may wait for a thread.
const QUEUE: usize = 1024;

/// Working memory of one hashing thread, reused across hashes.
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::new());
        }
        &mut self.0[..count]
    }
}

fn hash_with(memory: &mut Memory, password: &str) -> Result<String> {
    let params = params();
    let mut salt = [0u8; 16];
    rand::rngs::OsRng
        .try_fill_bytes(&mut salt)
        .map_err(Error::internal)?;
    let mut out = [0u8; 32];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            memory.blocks(params.block_count()),
        )
        .map_err(Error::internal)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(Error::internal)?,
        salt: Some(Salt::new(&salt).map_err(Error::internal)?),
        hash: Some(Output::new(&out).map_err(Error::internal)?),
    };
    Ok(phc.to_string())
}

fn verify_with(memory: &mut Memory, password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let Ok(version) = Version::try_from(hash.version.unwrap_or(0x13)) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    if params.block_count() > MAX_BLOCKS {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let ok = Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt.as_ref(),
            &mut out,
            memory.blocks(params.block_count()),
        )
        .is_ok();
    ok && crate::crypto::constant_time_eq_bytes(&out, expected.as_bytes())
}

/// Hashes on the calling thread with a one-off buffer (tests and tools).
pub fn hash_blocking(password: &str) -> Result<String> {
    hash_with(&mut Memory(Vec::new()), password)
}

pub fn verify_blocking(password: &str, stored: &str) -> bool {
    verify_with(&mut Memory(Vec::new()), password, stored)
}

enum Job {
    Hash(String, Box<dyn FnOnce(Result<String>) + Send>),
    Verify(String, String, Box<dyn FnOnce(bool) + Send>),
}

fn worker(jobs: Arc<Mutex<Receiver<Job>>>) {
    let mut memory = Memory(Vec::new());
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        match job {
            Ok(Job::Hash(password, reply)) => reply(hash_with(&mut memory, &password)),
            Ok(Job::Verify(password, stored, reply)) => {
                reply(verify_with(&mut memory, &password, &stored))
            }
            Err(_) => return,
        }
    }
}

#[derive(Clone)]
pub struct PasswordHasher {
    jobs: SyncSender<Job>,
    /// A real hash of a random password: verifying against it when an email is unknown makes the
    /// answer take as long as for a wrong password.
    decoy: Arc<str>,
    /// Checks queued or running per source (a client address), and how many one source may have: the
    /// queue is everyone's, so one source flooding it must not keep others' sign-ins out.
    per_source: Arc<Mutex<HashMap<String, usize>>>,
    source_share: usize,
}

/// A source's place in the queue, given back when the check ends (or its request is dropped).
struct SourceSlot {
    per_source: Arc<Mutex<HashMap<String, usize>>>,
    source: String,
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        if let Ok(mut map) = self.per_source.lock()
            && let Some(n) = map.get_mut(&self.source)
        {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.source);
            }
        }
    }
}

impl PasswordHasher {
    /// Starts `threads` hashing threads and computes the decoy hash on one of them; one source may
    /// have `source_share` checks queued or running at once.
    pub fn new(threads: usize, source_share: usize) -> Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2id-{i}"))
                .spawn(move || worker(rx))
                .map_err(Error::internal)?;
        }
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        tx.send(Job::Hash(
            crate::crypto::random_token(),
            Box::new(move |r| {
                let _ = done_tx.send(r);
            }),
        ))
        .map_err(Error::internal)?;
        let decoy = done_rx.recv().map_err(Error::internal)??;
        Ok(PasswordHasher {
            jobs: tx,
            decoy: decoy.into(),
            per_source: Arc::default(),
            source_share: source_share.max(1),
        })
    }

    /// Takes one of `source`'s places, or refuses (429, try again in a second) when it has its share.
    fn take_slot(&self, source: &str) -> Result<SourceSlot> {
        let mut map = self.per_source.lock().map_err(Error::internal)?;
        let n = map.entry(source.to_string()).or_insert(0);
        if *n >= self.source_share {
            return Err(Error::Throttled { retry_after: 1 });
        }
        *n += 1;
        Ok(SourceSlot {
            per_source: self.per_source.clone(),
            source: source.to_string(),
        })
    }

    /// [`PasswordHasher::verify`] for a check asked for by `source`, within its share of the queue.
    pub async fn verify_from(
        &self,
        source: &str,
        password: String,
        stored: Option<String>,
    ) -> Result<bool> {
        let _slot = self.take_slot(source)?;
        self.verify(password, stored).await
    }

    fn submit(&self, job: Job) -> Result<()> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Error::Unavailable("too many sign-ins at once".into()),
            TrySendError::Disconnected(_) => {
                Error::internal("the password hashing threads stopped")
            }
        })
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Job::Hash(
            password,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        ))?;
        rx.await.map_err(Error::internal)?
    }

    /// Verifies `password` against `stored`, or against the decoy when there is no stored hash, so
    /// that an unknown email and a wrong password cost the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.decoy.to_string());
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(Job::Verify(
            password,
            stored,
            Box::new(move |ok| {
                let _ = tx.send(ok);
            }),
        ))?;
        Ok(rx.await.map_err(Error::internal)? && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    #[test]
    fn hash_uses_owasp_parameters_and_verifies() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong", &h));
        assert!(!verify_blocking("x", "not a hash"));
    }

    #[test]
    fn interoperates_with_the_argon2_crate_both_ways() {
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        let theirs = argon
            .hash_password(b"pw one two three")
            .unwrap()
            .to_string();
        assert!(verify_blocking("pw one two three", &theirs));
        let ours = hash_blocking("pw one two three").unwrap();
        assert!(
            argon
                .verify_password(b"pw one two three", ours.as_str())
                .is_ok()
        );
    }

    #[test]
    fn memory_is_reused_between_hashes() {
        let mut m = Memory(Vec::new());
        let h = hash_with(&mut m, "first password").unwrap();
        let ptr = m.0.as_ptr();
        assert!(verify_with(&mut m, "first password", &h));
        assert_eq!(ptr, m.0.as_ptr(), "the same buffer serves the next hash");
    }

    #[tokio::test]
    async fn pool_hashes_and_verifies_and_unknown_accounts_never_verify() {
        let hasher = PasswordHasher::new(2, 4).unwrap();
        let h = hasher.hash("pool password".into()).await.unwrap();
        assert!(
            hasher
                .verify("pool password".into(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("nope".into(), Some(h)).await.unwrap());
        assert!(!hasher.verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn one_source_gets_its_share_of_the_queue_and_no_more() {
        let hasher = PasswordHasher::new(1, 2).unwrap();
        let first = hasher.take_slot("198.51.100.7").unwrap();
        let second = hasher.take_slot("198.51.100.7").unwrap();
        assert!(matches!(
            hasher.take_slot("198.51.100.7"),
            Err(Error::Throttled { retry_after: 1 })
        ));
        // Another source is not held back by the first one's flood.
        let other = hasher.take_slot("203.0.113.9").unwrap();
        drop(first);
        let again = hasher.take_slot("198.51.100.7").unwrap();
        drop((second, other, again));
        assert!(hasher.per_source.lock().unwrap().is_empty());
    }
}
