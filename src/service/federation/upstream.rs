//! Talking to an upstream provider with the `openidconnect` crate: its discovery document and JWKS
//! (cached per provider; the JWKS fetched again on an unknown `kid`, at most every few seconds), the
//! authorization URL, the code exchange and the ID token's verification.

use super::Provider;
use crate::domain::upstream::IssuerRule;
use crate::error::{Error, Result};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a discovery document and JWKS are used before they are fetched again.
const FRESH_FOR: Duration = Duration::from_secs(3600);

/// The least time between two JWKS fetches forced by an unknown `kid`: a token naming made-up keys
/// cannot make the server hammer the upstream.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(5);

/// The longest an upstream may take to answer one request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// The signature algorithms accepted from an upstream: those with public keys in its JWKS.
const ASYMMETRIC: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// The largest discovery document or JWKS read.
const MAX_DOCUMENT: usize = 512 * 1024;

/// Why a round trip to an upstream failed, as the person's page and the audit log tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamFailure {
    /// The upstream could not be reached or answered nonsense.
    Unreachable(String),
    /// The upstream's token did not verify (signature, issuer, audience, expiry, nonce …).
    BadToken(String),
}

impl UpstreamFailure {
    pub fn reason(&self) -> &str {
        match self {
            UpstreamFailure::Unreachable(r) | UpstreamFailure::BadToken(r) => r,
        }
    }
}

#[derive(Clone)]
struct Known {
    metadata: CoreProviderMetadata,
    jwks: CoreJsonWebKeySet,
    fetched: Instant,
    jwks_fetched: Instant,
}

/// The upstream providers' documents this process knows, and the HTTP client that fetches them.
#[derive(Clone)]
pub struct Upstreams {
    http: openidconnect::reqwest::Client,
    known: Arc<Mutex<HashMap<String, Known>>>,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Upstreams(..)")
    }
}

impl Upstreams {
    pub fn new() -> Result<Upstreams> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // An upstream's answers are read as they come: a redirect could lead anywhere.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(UPSTREAM_TIMEOUT)
            .connect_timeout(UPSTREAM_TIMEOUT)
            .user_agent(concat!("guestlist/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::internal)?;
        Ok(Upstreams {
            http,
            known: Arc::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Known>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets what is known of `provider_id` (its settings changed).
    pub fn forget(&self, provider_id: &str) {
        self.lock().remove(provider_id);
    }

    async fn fetch_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
    ) -> std::result::Result<T, UpstreamFailure> {
        let unreachable = |e: String| UpstreamFailure::Unreachable(format!("{url}: {e}"));
        let resp = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(unreachable(format!("answered {}", resp.status())));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        if body.len() > MAX_DOCUMENT {
            return Err(unreachable("the document is too large".into()));
        }
        serde_json::from_slice(&body).map_err(|e| unreachable(format!("not a valid document: {e}")))
    }

    async fn fetch_jwks(
        &self,
        metadata: &CoreProviderMetadata,
    ) -> std::result::Result<CoreJsonWebKeySet, UpstreamFailure> {
        self.fetch_json(metadata.jwks_uri().url().as_str()).await
    }

    /// The provider's discovery document and keys, from this process's memory while fresh.
    async fn known(&self, provider: &Provider) -> std::result::Result<Known, UpstreamFailure> {
        if let Some(k) = self.lock().get(&provider.id)
            && k.fetched.elapsed() < FRESH_FOR
        {
            return Ok(k.clone());
        }
        let rule = provider.issuer_rule();
        let url = format!(
            "{}/.well-known/openid-configuration",
            rule.discovery_base().trim_end_matches('/')
        );
        let metadata: CoreProviderMetadata = self.fetch_json(&url).await?;
        if !rule.accepts_metadata(metadata.issuer().as_str()) {
            return Err(UpstreamFailure::Unreachable(format!(
                "the discovery document names the issuer {}, not {}",
                metadata.issuer().as_str(),
                rule.as_str()
            )));
        }
        let jwks = self.fetch_jwks(&metadata).await?;
        let now = Instant::now();
        let k = Known {
            metadata,
            jwks,
            fetched: now,
            jwks_fetched: now,
        };
        self.lock().insert(provider.id.clone(), k.clone());
        Ok(k)
    }

    /// The keys fetched again, unless they were fetched moments ago.
    async fn refetch_keys(&self, provider: &Provider, known: &Known) -> Option<Known> {
        if known.jwks_fetched.elapsed() < REFETCH_AT_MOST_EVERY {
            return None;
        }
        let jwks = self.fetch_jwks(&known.metadata).await.ok()?;
        let mut fresh = known.clone();
        fresh.jwks = jwks;
        fresh.jwks_fetched = Instant::now();
        self.lock().insert(provider.id.clone(), fresh.clone());
        Some(fresh)
    }

    /// Whether the provider answers: its discovery document and keys can be read.
    pub async fn probe(&self, provider: &Provider) -> std::result::Result<String, UpstreamFailure> {
        self.forget(&provider.id);
        let k = self.known(provider).await?;
        Ok(k.metadata.authorization_endpoint().url().to_string())
    }

    /// The URL that sends the browser to the provider, for a request with this `state`, `nonce` and
    /// PKCE `challenge`.
    pub async fn authorization_url(
        &self,
        provider: &Provider,
        redirect_uri: &str,
        state: &str,
        nonce: &str,
        challenge: PkceCodeChallenge,
        login_hint: Option<&str>,
    ) -> std::result::Result<String, UpstreamFailure> {
        let k = self.known(provider).await?;
        let client = CoreClient::from_provider_metadata(
            k.metadata,
            ClientId::new(provider.client_id.clone()),
            None,
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string())
                .map_err(|e| UpstreamFailure::Unreachable(e.to_string()))?,
        );
        let (state, nonce) = (state.to_string(), nonce.to_string());
        let mut req = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        );
        for s in provider.scopes.iter().filter(|s| *s != "openid") {
            req = req.add_scope(Scope::new(s.clone()));
        }
        if let Some(hint) = login_hint {
            req = req.add_extra_param("login_hint", hint.to_string());
        }
        let (url, _, _) = req.set_pkce_challenge(challenge).url();
        Ok(url.to_string())
    }

    /// Exchanges `code` at the provider and verifies the ID token it returns (signature against the
    /// provider's keys, `iss`, `aud`, `azp`, `exp`, `iat`, `nonce`); returns the token's claims as
    /// JSON, with userinfo's claims under them when the provider has a userinfo endpoint and the
    /// mapping needs a claim the token lacks.
    pub async fn redeem_code(
        &self,
        provider: &Provider,
        client_secret: &str,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> std::result::Result<serde_json::Map<String, serde_json::Value>, UpstreamFailure> {
        let k = self.known(provider).await?;
        let client = CoreClient::from_provider_metadata(
            k.metadata.clone(),
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(client_secret.to_string())),
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string())
                .map_err(|e| UpstreamFailure::Unreachable(e.to_string()))?,
        );
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| UpstreamFailure::Unreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| UpstreamFailure::Unreachable(format!("the code exchange failed: {e}")))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| UpstreamFailure::BadToken("the provider returned no ID token".into()))?;
        let mut claims = match self.verify(provider, client_secret, &k, id_token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // A key rotated in since the keys were read: read them again (not too often).
                let unknown_key =
                    || UpstreamFailure::BadToken("the token is signed with an unknown key".into());
                let fresh = self
                    .refetch_keys(provider, &k)
                    .await
                    .ok_or_else(unknown_key)?;
                match self.verify(provider, client_secret, &fresh, id_token, nonce) {
                    Err(ClaimsVerificationError::SignatureVerification(
                        SignatureVerificationError::NoMatchingKey,
                    )) => return Err(unknown_key()),
                    other => other,
                }
            }
            other => other,
        }
        .map_err(|e| UpstreamFailure::BadToken(e.to_string()))?;
        let rule = provider.issuer_rule();
        let iss = claims
            .get("iss")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let tid = claims.get("tid").and_then(|v| v.as_str());
        if !rule.accepts_token(iss, tid) {
            return Err(UpstreamFailure::BadToken(format!(
                "the token's issuer {iss} is not {}",
                rule.as_str()
            )));
        }
        let missing = !claims.contains_key(&provider.mapping.email)
            || !claims.contains_key(&provider.mapping.name);
        if missing && let Some(endpoint) = k.metadata.userinfo_endpoint() {
            let info = self
                .userinfo(endpoint.url().as_str(), token.access_token().secret())
                .await?;
            // The userinfo `sub` must be the token's (OIDC Core §5.3.2).
            if info.get("sub") != claims.get("sub") {
                return Err(UpstreamFailure::BadToken(
                    "userinfo names another subject than the ID token".into(),
                ));
            }
            for (k, v) in info {
                claims.entry(k).or_insert(v);
            }
        }
        Ok(claims)
    }

    async fn userinfo(
        &self,
        url: &str,
        access_token: &str,
    ) -> std::result::Result<serde_json::Map<String, serde_json::Value>, UpstreamFailure> {
        let unreachable = |e: String| UpstreamFailure::Unreachable(format!("userinfo: {e}"));
        let resp = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| unreachable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(unreachable(format!("answered {}", resp.status())));
        }
        let body = resp.bytes().await.map_err(|e| unreachable(e.to_string()))?;
        // A signed userinfo answer is not asked for; a plain JSON object is expected.
        serde_json::from_slice(&body).map_err(|e| unreachable(e.to_string()))
    }

    /// The verified claims of `id_token` as JSON (the library checks them; the JSON is read from the
    /// same verified token so that mapped claims outside the standard set are available).
    fn verify(
        &self,
        provider: &Provider,
        client_secret: &str,
        known: &Known,
        id_token: &CoreIdToken,
        nonce: &str,
    ) -> std::result::Result<serde_json::Map<String, serde_json::Value>, ClaimsVerificationError>
    {
        let rule = provider.issuer_rule();
        let issuer = IssuerUrl::new(rule.as_str().to_string())
            .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            ClientId::new(provider.client_id.clone()),
            ClientSecret::new(client_secret.to_string()),
            issuer,
            known.jwks.clone(),
        )
        // Microsoft's template is checked against the token's `tid` afterwards.
        .require_issuer_match(matches!(rule, IssuerRule::Exact(_)))
        // Keys from the provider's JWKS only: no shared-secret (HS*) tokens, no `none`.
        .set_allowed_algs(ASYMMETRIC.iter().cloned());
        id_token.claims(&verifier, &Nonce::new(nonce.to_string()))?;
        let raw = id_token.to_string();
        let payload = raw
            .split('.')
            .nth(1)
            .ok_or_else(|| ClaimsVerificationError::Other("the token has no payload".into()))?;
        let bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        serde_json::from_slice(&bytes).map_err(|e| ClaimsVerificationError::Other(e.to_string()))
    }
}
