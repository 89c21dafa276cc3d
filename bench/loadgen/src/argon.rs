//! The baseline for sign-in: raw argon2id verification with the server's parameters
//! (m = 7168 KiB, t = 5, p = 1; `src/crypto/password.rs`), on `threads` OS threads for a fixed time.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use std::time::{Duration, Instant};

pub struct Baseline {
    pub verifications: u64,
    pub failures: u64,
    pub seconds: f64,
}

impl Baseline {
    /// Two measurements taken as one (their verifications over their time).
    pub fn combined(&self, other: &Baseline) -> Baseline {
        Baseline {
            verifications: self.verifications + other.verifications,
            failures: self.failures + other.failures,
            seconds: self.seconds + other.seconds,
        }
    }

    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.verifications as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The server's parameters for new hashes (`MEMORY_KIB`, `PASSES`).
pub const MEMORY_KIB: u32 = 7 * 1024;
pub const PASSES: u32 = 5;

fn argon2() -> Result<Argon2<'static>, String> {
    let params = Params::new(MEMORY_KIB, PASSES, 1, None).map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn measure(threads: usize, duration: Duration) -> Result<Baseline, String> {
    let password = b"bench-password-0001";
    let hash = argon2()?
        .hash_password(password)
        .map_err(|e| e.to_string())?
        .to_string();
    let start = Instant::now();
    let deadline = start + duration;
    let counts: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let hash = hash.as_str();
                scope.spawn(move || {
                    let (mut ok, mut failed) = (0u64, 0u64);
                    let Ok(a) = argon2() else {
                        return (0, 1);
                    };
                    while Instant::now() < deadline {
                        if a.verify_password(password, hash).is_ok() {
                            ok += 1;
                        } else {
                            failed += 1;
                        }
                    }
                    (ok, failed)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or((0, 1)))
            .collect()
    });
    Ok(Baseline {
        verifications: counts.iter().map(|c| c.0).sum(),
        failures: counts.iter().map(|c| c.1).sum(),
        seconds: start.elapsed().as_secs_f64(),
    })
}
