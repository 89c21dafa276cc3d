//! What `bench/run` created with the CLI: two confidential apps and some users.

use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSecret {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Seed {
    /// The tenant's slug (paths are `/t/{tenant}/…`).
    pub tenant: String,
    /// Redirect URI registered for both apps.
    pub redirect_uri: String,
    /// Scope a client_credentials token may carry.
    pub scope: String,
    /// `guestlist app create --json` output of the ES256 and RS256 apps (extra fields ignored).
    pub es256: AppSecret,
    pub rs256: AppSecret,
    pub users: Vec<String>,
    /// Every user's password.
    pub password: String,
}

impl Seed {
    pub fn load(path: &Path) -> Result<Seed, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let seed: Seed =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if seed.users.is_empty() {
            return Err(format!("{}: no users", path.display()));
        }
        Ok(seed)
    }
}
