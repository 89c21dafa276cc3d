//! What `bench/run` created with the CLI: two confidential apps and some users. `bench/peer/run`
//! writes the same shape for the peer provider, with the paths that differ from guestlist's.

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
    /// Paths of another provider's endpoints; without them, guestlist's `/t/{tenant}/…`.
    #[serde(default)]
    pub discovery_path: Option<String>,
    #[serde(default)]
    pub jwks_path: Option<String>,
    #[serde(default)]
    pub token_path: Option<String>,
    /// `GET {codes_path}?n=N` answers a JSON array of N fresh authorization codes of the ES256 app
    /// (scope openid, the seed's redirect URI). When set, `code-exchange` fetches its codes there
    /// instead of minting them with `/authorize`.
    #[serde(default)]
    pub codes_path: Option<String>,
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
        let paths = [
            &seed.discovery_path,
            &seed.jwks_path,
            &seed.token_path,
            &seed.codes_path,
        ];
        if let Some(bad) = paths.into_iter().flatten().find(|p| !p.starts_with('/')) {
            return Err(format!(
                "{}: path {bad:?} must start with /",
                path.display()
            ));
        }
        Ok(seed)
    }

    /// `/t/{tenant}{rest}`: guestlist's path of a tenant endpoint.
    pub fn tenant_path(&self, rest: &str) -> String {
        format!("/t/{}{rest}", self.tenant)
    }

    pub fn discovery(&self) -> String {
        self.discovery_path
            .clone()
            .unwrap_or_else(|| self.tenant_path("/.well-known/openid-configuration"))
    }

    pub fn jwks(&self) -> String {
        self.jwks_path
            .clone()
            .unwrap_or_else(|| self.tenant_path("/jwks"))
    }

    pub fn token(&self) -> String {
        self.token_path
            .clone()
            .unwrap_or_else(|| self.tenant_path("/token"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(extra: &str) -> Seed {
        let text = format!(
            r#"{{"tenant": "bench", "redirect_uri": "http://127.0.0.1/cb", "scope": "api.read",
                "es256": {{"clientId": "a", "clientSecret": "s", "name": "App ES256"}},
                "rs256": {{"clientId": "b", "clientSecret": "t"}},
                "users": ["u1@bench.example"], "password": "p"{extra}}}"#
        );
        serde_json::from_str(&text).expect("a valid seed")
    }

    #[test]
    fn paths_default_to_the_tenant() {
        let seed = parse("");
        assert_eq!(
            seed.discovery(),
            "/t/bench/.well-known/openid-configuration"
        );
        assert_eq!(seed.jwks(), "/t/bench/jwks");
        assert_eq!(seed.token(), "/t/bench/token");
        assert_eq!(seed.codes_path, None);
    }

    #[test]
    fn paths_of_another_provider() {
        let seed = parse(
            r#", "discovery_path": "/.well-known/openid-configuration", "jwks_path": "/jwks",
                "token_path": "/token", "codes_path": "/bench/codes""#,
        );
        assert_eq!(seed.discovery(), "/.well-known/openid-configuration");
        assert_eq!(seed.jwks(), "/jwks");
        assert_eq!(seed.token(), "/token");
        assert_eq!(seed.codes_path.as_deref(), Some("/bench/codes"));
    }
}
