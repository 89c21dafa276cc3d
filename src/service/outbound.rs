//! The HTTP client for requests to addresses tenant admins choose (webhook endpoints, back-channel
//! logout URIs). Unless the operator allows private addresses (`GUESTLIST_WEBHOOK_ALLOW_PRIVATE`), it
//! never reaches into the network the server runs in: IP literals are checked before each request
//! ([`refused_literal`]), host names by the client's own resolver after resolution, so the address
//! checked is the address connected to (no rebinding in between). It follows no redirects and uses no
//! proxy from the environment (a proxy would resolve the name where no check sees it).

use crate::domain::outbound::{is_forbidden, literal_address};
use crate::error::{Error, Result};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A client for outbound requests that answer within `timeout`.
pub fn client(allow_private: bool, timeout: Duration) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .user_agent(concat!("guestlist/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build().map_err(Error::internal)
}

/// Why `url` may not be called, when its host is an inside IP literal and private addresses are not
/// allowed.
pub fn refused_literal(url: &url::Url, allow_private: bool) -> Option<String> {
    let ip = literal_address(url).filter(|ip| !allow_private && is_forbidden(*ip))?;
    Some(PrivateAddress(ip.to_string()).to_string())
}

/// The resolver's refusal, when that is why a request failed.
pub fn refusal(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(p) = s.downcast_ref::<PrivateAddress>() {
            return Some(p.to_string());
        }
        source = s.source();
    }
    None
}

/// A failed request described without its URL (which may carry a token in its query).
pub fn unanswered(e: reqwest::Error) -> String {
    format!("no answer: {}", e.without_url())
}

/// A resolver that refuses names resolving to a forbidden address (any of them).
struct PublicOnly;

/// The refusal, recognised in the client's error chain.
#[derive(Debug)]
struct PrivateAddress(String);

impl std::fmt::Display for PrivateAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused: {} is a private, loopback or link-local address",
            self.0
        )
    }
}

impl std::error::Error for PrivateAddress {}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| is_forbidden(a.ip())) {
                return Err(Box::new(PrivateAddress(format!("{host} ({})", bad.ip())))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
