//! argon2id password hashing on a fixed set of dedicated threads, within a memory budget.
//!
//! New hashes use OWASP's m = 7 MiB, t = 5, p = 1: of its five equally strong argon2id settings
//! (m = 46 MiB t = 1, 19 MiB t = 2, 12 MiB t = 3, 9 MiB t = 4, 7 MiB t = 5) the one with the least
//! memory, so that a small server keeps several hashes in flight; each costs about the same CPU time.
//! Stored hashes carry their own parameters (PHC strings), so hashes made with an earlier default (19
//! MiB, t = 2) keep verifying, and a successful sign-in stores a new one (see [`needs_rehash`]).
//!
//! The hashing memory is admitted against a budget (`GUESTLIST_PASSWORD_HASH_MEMORY`): there are as
//! many threads as default-sized hashes fit in it (at most `GUESTLIST_PASSWORD_HASH_CONCURRENCY`),
//! each owning one working buffer allocated once and reused, so a burst of sign-ins neither grows
//! memory nor stalls the async executor: extra requests wait in a bounded queue, and past it get
//! "temporarily unavailable". A stored hash asking for more memory than the default also takes the
//! extra from what the threads leave of the budget, so such hashes run one after another when the
//! budget is tight, and the thread gives the extra back when it is done.

use crate::error::{Error, Result};
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::TryRngCore;
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Working memory of a new hash, in KiB (OWASP: m = 7 MiB with t = 5).
pub const MEMORY_KIB: u32 = 7 * 1024;
/// Passes of a new hash.
pub const PASSES: u32 = 5;

/// The parameters of new hashes.
pub fn params() -> Params {
    Params::new(MEMORY_KIB, PASSES, 1, None).expect("static argon2 parameters are valid")
}

/// Stored hashes asking for more memory than this are refused rather than trusted.
const MAX_BLOCKS: usize = 64 * 1024;

/// How many hash requests may wait for a thread.
const QUEUE: usize = 1024;

/// How the budget is shared: hashing threads, and the KiB left over for hashes bigger than the
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashBudget {
    pub threads: usize,
    pub spare_kib: u32,
}

impl HashBudget {
    /// As many threads as default-sized hashes fit in `budget_mib` (at least one, at most
    /// `max_threads`); what is left is spare.
    pub fn plan(budget_mib: usize, max_threads: usize) -> HashBudget {
        let budget_kib = u32::try_from(budget_mib.saturating_mul(1024)).unwrap_or(u32::MAX);
        let threads = ((budget_kib / MEMORY_KIB) as usize).clamp(1, max_threads.max(1));
        HashBudget {
            threads,
            spare_kib: budget_kib.saturating_sub(threads as u32 * MEMORY_KIB),
        }
    }
}

/// Whether `stored` verifies with other parameters (or another variant) than new hashes get, so the
/// account should get a new hash once the password is known to be right.
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    hash.algorithm != Algorithm::Argon2id.ident()
        || hash.version != Some(Version::V0x13.into())
        || params.m_cost() != MEMORY_KIB
        || params.t_cost() != PASSES
        || params.p_cost() != 1
}

/// The working memory `stored` asks for beyond a new hash's, in KiB (0 for an unreadable hash, which
/// is checked against nothing).
fn extra_kib(stored: &str) -> u32 {
    PasswordHash::new(stored)
        .ok()
        .and_then(|h| Params::try_from(&h).ok())
        .map_or(0, |p| p.m_cost().saturating_sub(MEMORY_KIB))
}

/// Working memory of one hashing thread, reused across hashes.
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::new());
        }
        &mut self.0[..count]
    }

    /// Gives back what a bigger-than-default hash added, keeping the default buffer.
    fn settle(&mut self) {
        let keep = params().block_count();
        if self.0.len() > keep {
            self.0.truncate(keep);
            self.0.shrink_to_fit();
        }
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
                let ok = verify_with(&mut memory, &password, &stored);
                memory.settle();
                reply(ok)
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
    /// The budget's spare KiB, taken by hashes that need more memory than the default.
    spare: Arc<Semaphore>,
    spare_kib: u32,
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
    /// Starts the budget's hashing threads and computes the decoy hash on one of them; one source
    /// may have `source_share` checks queued or running at once.
    pub fn new(budget: HashBudget, source_share: usize) -> Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..budget.threads.max(1) {
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
            // At least one permit, so that bigger hashes run one at a time when nothing is spare.
            spare: Arc::new(Semaphore::new(budget.spare_kib.max(1) as usize)),
            spare_kib: budget.spare_kib.max(1),
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
        let extra = extra_kib(&stored);
        let _spare = if extra > 0 {
            Some(
                self.spare
                    .acquire_many(extra.min(self.spare_kib))
                    .await
                    .map_err(Error::internal)?,
            )
        } else {
            None
        };
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
        assert!(h.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{h}");
        assert!(!needs_rehash(&h));
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
        let hasher = PasswordHasher::new(HashBudget::plan(32, 2), 4).unwrap();
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
        let hasher = PasswordHasher::new(HashBudget::plan(7, 1), 2).unwrap();
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

    /// A hash made with the previous default (OWASP m = 19 MiB, t = 2).
    fn earlier_default_hash(password: &str) -> String {
        let earlier = Params::new(19_456, 2, 1, None).unwrap();
        Argon2::new(Algorithm::Argon2id, Version::V0x13, earlier)
            .hash_password(password.as_bytes())
            .unwrap()
            .to_string()
    }

    #[test]
    fn hashes_of_an_earlier_default_verify_and_ask_to_be_replaced() {
        let old = earlier_default_hash("kept since last year");
        assert!(needs_rehash(&old));
        assert!(
            !needs_rehash("not a hash"),
            "nothing to replace what never verifies"
        );
        let mut m = Memory(Vec::new());
        assert!(verify_with(&mut m, "kept since last year", &old));
        assert!(!verify_with(&mut m, "kept since last week", &old));
        m.settle();
        assert_eq!(
            m.0.len(),
            params().block_count(),
            "the extra memory is given back"
        );
        assert_eq!(extra_kib(&old), 19_456 - MEMORY_KIB);
        assert_eq!(extra_kib(&hash_blocking("new").unwrap()), 0);
    }

    #[test]
    fn the_budget_decides_the_threads_and_what_is_spare() {
        let plan = HashBudget::plan;
        assert_eq!(
            plan(32, 2),
            HashBudget {
                threads: 2,
                spare_kib: 18 * 1024
            }
        );
        assert_eq!(
            plan(32, 16),
            HashBudget {
                threads: 4,
                spare_kib: 4 * 1024
            }
        );
        assert_eq!(
            plan(7, 8),
            HashBudget {
                threads: 1,
                spare_kib: 0
            }
        );
        // Less than one hash still gets one thread: sign-in must work.
        assert_eq!(
            plan(1, 8),
            HashBudget {
                threads: 1,
                spare_kib: 0
            }
        );
        assert_eq!(plan(0, 0).threads, 1);
    }

    #[tokio::test]
    async fn bigger_hashes_take_the_spare_memory_and_give_it_back() {
        // Nothing spare: bigger hashes still verify, one at a time.
        let tight = PasswordHasher::new(HashBudget::plan(7, 2), 4).unwrap();
        let old = earlier_default_hash("an older password");
        let (a, b) = tokio::join!(
            tight.verify("an older password".into(), Some(old.clone())),
            tight.verify("an older password".into(), Some(old.clone())),
        );
        assert!(a.unwrap() && b.unwrap());
        assert_eq!(tight.spare.available_permits(), 1);
        let roomy = PasswordHasher::new(HashBudget::plan(32, 2), 4).unwrap();
        let spare = roomy.spare.available_permits();
        assert_eq!(spare, 18 * 1024);
        assert!(!roomy.verify("wrong".into(), Some(old)).await.unwrap());
        assert_eq!(roomy.spare.available_permits(), spare);
    }
}
