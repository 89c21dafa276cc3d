//! Signing keys: created on first start, rotated by `guestlist keys rotate`, published in every
//! tenant's JWKS, reloaded from the keys directory when another process rotates them.
//!
//! Layout of the keys directory: `keyset.json` lists every key (kid, alg, when it was created and
//! from when it signs); `{kid}.pem` holds each private key, readable by the owner only. A rotated key
//! is published at once and used for signing only from its `active_from` time, so that every
//! process (and every relying app's JWKS cache) has seen it first. Old keys stay published.

mod manifest;

use crate::error::{Error, Result};
use josekit::jwk::{Jwk, KeyPair};
use josekit::jws::{ES256, EdDSA, JwsHeader, JwsSigner, JwsVerifier, RS256};
use josekit::jwt::{self, JwtPayload};
use manifest::{KeyEntry, Manifest};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// The JWS algorithms this provider signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    RS256,
    ES256,
    EdDSA,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    pub fn parse(raw: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

struct LoadedKey {
    entry: KeyEntry,
    /// Position in the manifest: later keys win when two became active in the same second.
    order: usize,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
    public_jwk: Jwk,
}

struct KeySet {
    keys: HashMap<String, LoadedKey>,
    /// The JWKS document, serialised once per load: every tenant serves the same bytes.
    jwks_json: Arc<str>,
    loaded_mtime: Option<SystemTime>,
}

/// The server's signing keys. Cheap to clone; reloads itself when `keyset.json` changes on disk.
#[derive(Clone)]
pub struct KeyStore {
    dir: PathBuf,
    set: Arc<RwLock<KeySet>>,
}

fn now() -> i64 {
    crate::clock::now()
}

fn generate(alg: SigningAlg) -> Result<(Vec<u8>, Jwk)> {
    let err =
        |e: josekit::JoseError| Error::Internal(format!("generating a {} key: {e}", alg.as_str()));
    Ok(match alg {
        SigningAlg::RS256 => {
            let kp = RS256.generate_key_pair(2048).map_err(err)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigningAlg::ES256 => {
            let kp = ES256.generate_key_pair().map_err(err)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
        SigningAlg::EdDSA => {
            let kp = EdDSA
                .generate_key_pair(josekit::jwk::alg::ed::EdCurve::Ed25519)
                .map_err(err)?;
            (kp.to_pem_private_key(), kp.to_jwk_public_key())
        }
    })
}

fn load_key(dir: &Path, entry: &KeyEntry, order: usize) -> Result<LoadedKey> {
    let path = dir.join(format!("{}.pem", entry.kid));
    let pem = std::fs::read(&path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    let alg = SigningAlg::parse(&entry.alg)
        .ok_or_else(|| Error::Config(format!("{}: unknown alg {}", path.display(), entry.alg)))?;
    let bad = |e: josekit::JoseError| Error::Config(format!("{}: {e}", path.display()));
    let (signer, verifier, mut jwk): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>, Jwk) = match alg {
        SigningAlg::RS256 => {
            let kp = josekit::jwk::alg::rsa::RsaKeyPair::from_pem(&pem).map_err(bad)?;
            let jwk = kp.to_jwk_public_key();
            (
                Box::new(RS256.signer_from_pem(&pem).map_err(bad)?),
                Box::new(RS256.verifier_from_jwk(&jwk).map_err(bad)?),
                jwk,
            )
        }
        SigningAlg::ES256 => {
            let kp = josekit::jwk::alg::ec::EcKeyPair::from_pem(&pem, None).map_err(bad)?;
            let jwk = kp.to_jwk_public_key();
            (
                Box::new(ES256.signer_from_pem(&pem).map_err(bad)?),
                Box::new(ES256.verifier_from_jwk(&jwk).map_err(bad)?),
                jwk,
            )
        }
        SigningAlg::EdDSA => {
            let kp = josekit::jwk::alg::ed::EdKeyPair::from_pem(&pem).map_err(bad)?;
            let jwk = kp.to_jwk_public_key();
            (
                Box::new(EdDSA.signer_from_pem(&pem).map_err(bad)?),
                Box::new(EdDSA.verifier_from_jwk(&jwk).map_err(bad)?),
                jwk,
            )
        }
    };
    jwk.set_key_id(&entry.kid);
    jwk.set_algorithm(&entry.alg);
    jwk.set_key_use("sig");
    Ok(LoadedKey {
        entry: entry.clone(),
        order,
        signer,
        verifier,
        public_jwk: jwk,
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| Error::Config(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(Error::internal)
}

/// Creates one key per algorithm in `dir`, signing from `active_from`, and records them in the manifest.
fn add_keys(dir: &Path, manifest: &mut Manifest, active_from: i64) -> Result<Vec<String>> {
    let mut kids = Vec::new();
    for alg in SigningAlg::ALL {
        let (pem, _) = generate(alg)?;
        let kid = format!(
            "{}-{}",
            alg.as_str().to_ascii_lowercase(),
            &crate::crypto::random_token()[..16]
        );
        write_private(&dir.join(format!("{kid}.pem")), &pem)?;
        manifest.keys.push(KeyEntry {
            kid: kid.clone(),
            alg: alg.as_str().to_string(),
            created_at: now(),
            active_from,
        });
        kids.push(kid);
    }
    Ok(kids)
}

/// Runs `f` holding an exclusive lock on `{dir}/.lock`, so processes sharing the directory change the
/// manifest one at a time. The lock is released when the file closes, also if the process dies.
fn with_dir_lock<T>(dir: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let path = dir.join(".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::Config(format!("cannot open {}: {e}", path.display())))?;
    lock.lock()
        .map_err(|e| Error::Config(format!("cannot lock {}: {e}", path.display())))?;
    let out = f();
    drop(lock);
    out
}

impl KeyStore {
    /// Opens the keys directory, creating it and a first key per algorithm when it has none.
    pub fn open_or_create(dir: &Path) -> Result<KeyStore> {
        crate::crypto::init();
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Config(format!("cannot create {}: {e}", dir.display())))?;
            // A directory we create holds private keys: owner only.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                    .map_err(Error::internal)?;
            }
        }
        if !Manifest::path(dir).exists() {
            // Several processes may start at once on an empty directory: the first to hold the lock
            // creates the keys, the others find them, so every process signs with the same set.
            with_dir_lock(dir, || {
                if Manifest::path(dir).exists() {
                    return Ok(());
                }
                let mut manifest = Manifest::default();
                add_keys(dir, &mut manifest, now())?;
                manifest.save(dir)?;
                tracing::info!(dir = %dir.display(), "created signing keys");
                Ok(())
            })?;
        }
        let set = Self::load_set(dir)?;
        Ok(KeyStore {
            dir: dir.to_path_buf(),
            set: Arc::new(RwLock::new(set)),
        })
    }

    /// The key that seals stored secrets (`sealing.key`), created on first use under the directory's
    /// lock, so processes sharing the directory seal with one key.
    pub fn sealer(&self) -> Result<crate::crypto::sealed::Sealer> {
        use crate::crypto::sealed::Sealer;
        let path = self.dir.join("sealing.key");
        if !path.exists() {
            with_dir_lock(&self.dir, || {
                if !path.exists() {
                    write_private(&path, Sealer::new_key().as_bytes())?;
                }
                Ok(())
            })?;
        }
        let stored = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        Sealer::from_stored(&stored)
    }

    /// Adds a new key per algorithm, signing from `now + activate_in` seconds; returns the new kids.
    /// Running servers pick the change up from the manifest (see [`KeyStore::reload_if_changed`]).
    pub fn rotate(dir: &Path, activate_in: i64) -> Result<Vec<String>> {
        crate::crypto::init();
        let _ = KeyStore::open_or_create(dir)?;
        // Read, add and write the manifest under the lock: two rotations at once keep both keys.
        with_dir_lock(dir, || {
            let mut manifest = Manifest::load(dir)?;
            let kids = add_keys(dir, &mut manifest, now() + activate_in.max(0))?;
            manifest.save(dir)?;
            Ok(kids)
        })
    }

    fn load_set(dir: &Path) -> Result<KeySet> {
        let mtime = std::fs::metadata(Manifest::path(dir))
            .and_then(|m| m.modified())
            .ok();
        let manifest = Manifest::load(dir)?;
        let mut keys = HashMap::new();
        for (order, entry) in manifest.keys.iter().enumerate() {
            keys.insert(entry.kid.clone(), load_key(dir, entry, order)?);
        }
        let mut sorted: Vec<&LoadedKey> = keys.values().collect();
        sorted.sort_by(|a, b| {
            (a.entry.created_at, &a.entry.kid).cmp(&(b.entry.created_at, &b.entry.kid))
        });
        let jwks = serde_json::json!({
            "keys": sorted.iter().map(|k| serde_json::Value::Object(k.public_jwk.as_ref().clone())).collect::<Vec<_>>()
        });
        Ok(KeySet {
            keys,
            jwks_json: jwks.to_string().into(),
            loaded_mtime: mtime,
        })
    }

    /// Reloads the key set when the manifest changed on disk (another process rotated the keys).
    pub fn reload_if_changed(&self) -> Result<bool> {
        let mtime = std::fs::metadata(Manifest::path(&self.dir))
            .and_then(|m| m.modified())
            .ok();
        let current = self.set.read().map_err(Error::internal)?.loaded_mtime;
        if mtime == current {
            return Ok(false);
        }
        let fresh = Self::load_set(&self.dir)?;
        *self.set.write().map_err(Error::internal)? = fresh;
        tracing::info!("reloaded signing keys");
        Ok(true)
    }

    pub fn jwks_json(&self) -> Arc<str> {
        self.set
            .read()
            .map(|s| s.jwks_json.clone())
            .unwrap_or_else(|p| p.into_inner().jwks_json.clone())
    }

    pub fn kids(&self) -> Vec<String> {
        self.set
            .read()
            .map(|s| s.keys.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Signs `payload` as a JWT with the newest active key of `alg`; `typ` goes in the header.
    pub fn sign(&self, alg: SigningAlg, payload: &JwtPayload, typ: &str) -> Result<String> {
        let set = self.set.read().map_err(Error::internal)?;
        let t = now();
        let key = set
            .keys
            .values()
            .filter(|k| k.entry.alg == alg.as_str() && k.entry.active_from <= t)
            .max_by_key(|k| (k.entry.active_from, k.order))
            .ok_or_else(|| Error::Internal(format!("no active {} key", alg.as_str())))?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.entry.kid);
        jwt::encode_with_signer(payload, &header, key.signer.as_ref()).map_err(Error::internal)
    }

    /// Verifies a JWT signed by one of our keys (any age: expiry is the caller's rule). Tokens with
    /// `alg` none, HMAC, an unknown `kid` or a mismatched algorithm are refused.
    pub fn verify(&self, token: &str) -> Result<(JwtPayload, JwsHeader)> {
        let set = self.set.read().map_err(Error::internal)?;
        jwt::decode_with_verifier_selector(token, |header| {
            let Some(kid) = header.key_id() else {
                return Ok(None);
            };
            Ok(set
                .keys
                .get(kid)
                .filter(|k| header.algorithm() == Some(k.entry.alg.as_str()))
                .map(|k| k.verifier.as_ref()))
        })
        .map_err(|e| Error::Invalid {
            field: "token".into(),
            message: format!("the token is not valid: {e}"),
        })
    }
}

/// Reloads keys every `interval` so a rotation by another process is published here too.
pub fn spawn_reloader(keys: KeyStore, interval: std::time::Duration) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        loop {
            tick.tick().await;
            if let Err(e) = keys.reload_if_changed() {
                tracing::error!(error = %e, "reloading signing keys failed; keeping the loaded set");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_starting_together_on_an_empty_directory_share_one_key_set() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let starts: Vec<_> = (0..6)
            .map(|_| {
                let keys = keys.clone();
                std::thread::spawn(move || KeyStore::open_or_create(&keys).unwrap().jwks_json())
            })
            .collect();
        let sets: Vec<Arc<str>> = starts.into_iter().map(|t| t.join().unwrap()).collect();
        assert!(
            sets.iter().all(|s| *s == sets[0]),
            "every start sees the same keys"
        );
        assert_eq!(
            Manifest::load(&keys).unwrap().keys.len(),
            3,
            "one key per algorithm"
        );
    }

    #[test]
    fn rotations_at_the_same_time_keep_every_new_key() {
        let dir = tempfile::tempdir().unwrap();
        KeyStore::open_or_create(dir.path()).unwrap();
        let rotations: Vec<_> = (0..4)
            .map(|_| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || KeyStore::rotate(&d, 0).unwrap())
            })
            .collect();
        let mut added: Vec<String> = rotations
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        added.sort();
        let mut listed: Vec<String> = Manifest::load(dir.path())
            .unwrap()
            .keys
            .iter()
            .map(|k| k.kid.clone())
            .collect();
        listed.sort();
        assert_eq!(listed.len(), 3 + 12);
        assert!(added.iter().all(|k| listed.contains(k)));
    }

    #[test]
    fn creates_keys_with_owner_only_files_and_a_public_jwks() {
        let dir = tempfile::tempdir().unwrap();
        let ks = KeyStore::open_or_create(dir.path()).unwrap();
        let jwks: serde_json::Value = serde_json::from_str(&ks.jwks_json()).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 3);
        for k in keys {
            assert!(k["kid"].as_str().is_some_and(|s| !s.is_empty()));
            assert_eq!(k["use"], "sig");
            for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(
                    k.get(private).is_none(),
                    "private member {private} published"
                );
            }
        }
        #[cfg(unix)]
        for kid in ks.kids() {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(format!("{kid}.pem")))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{kid}.pem is readable by others");
        }
    }

    #[test]
    fn sign_and_verify_every_alg_and_refuse_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let ks = KeyStore::open_or_create(dir.path()).unwrap();
        for alg in SigningAlg::ALL {
            let mut p = JwtPayload::new();
            p.set_subject("s");
            let t = ks.sign(alg, &p, "JWT").unwrap();
            let (back, header) = ks.verify(&t).unwrap();
            assert_eq!(back.subject(), Some("s"));
            assert_eq!(header.algorithm(), Some(alg.as_str()));
            let mut tampered = t.clone();
            tampered.insert(t.find('.').unwrap() + 2, 'x');
            assert!(ks.verify(&tampered).is_err());
        }
        let unsigned =
            josekit::jwt::encode_unsecured(&JwtPayload::new(), &JwsHeader::new()).unwrap();
        assert!(ks.verify(&unsigned).is_err());
    }

    #[test]
    fn rotation_publishes_first_and_signs_from_activation() {
        let dir = tempfile::tempdir().unwrap();
        let ks = KeyStore::open_or_create(dir.path()).unwrap();
        let old = ks
            .sign(SigningAlg::ES256, &JwtPayload::new(), "JWT")
            .unwrap();
        let later = KeyStore::rotate(dir.path(), 3600).unwrap();
        ks.reload_if_changed().unwrap();
        assert_eq!(ks.kids().len(), 6, "new keys are published at once");
        let still_old = ks
            .sign(SigningAlg::ES256, &JwtPayload::new(), "JWT")
            .unwrap();
        let kid_of = |t: &str| ks.verify(t).unwrap().1.key_id().unwrap().to_string();
        assert_eq!(
            kid_of(&old),
            kid_of(&still_old),
            "a key not yet active does not sign"
        );
        let now_keys = KeyStore::rotate(dir.path(), 0).unwrap();
        ks.reload_if_changed().unwrap();
        let new = ks
            .sign(SigningAlg::ES256, &JwtPayload::new(), "JWT")
            .unwrap();
        assert!(now_keys.contains(&kid_of(&new)));
        assert!(!later.contains(&kid_of(&new)));
        assert!(
            ks.verify(&old).is_ok(),
            "tokens signed before rotation still verify"
        );
    }
}
