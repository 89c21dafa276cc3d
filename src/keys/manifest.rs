//! `keyset.json`: the list of keys in the keys directory. Written to a temporary file and renamed,
//! so a reader never sees half of it.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyEntry {
    pub kid: String,
    pub alg: String,
    pub created_at: i64,
    /// From this time on the key signs; before it, it is only published.
    pub active_from: i64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub keys: Vec<KeyEntry>,
}

impl Manifest {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("keyset.json")
    }

    pub fn load(dir: &Path) -> Result<Manifest> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let tmp = dir.join(format!(".keyset.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(self).map_err(Error::internal)?;
        std::fs::write(&tmp, text)
            .map_err(|e| Error::Config(format!("cannot write {}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, Self::path(dir)).map_err(Error::internal)
    }
}
