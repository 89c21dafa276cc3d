//! Redirect URIs: what may be registered, and how a request's value is matched (exactly, byte for byte).

use super::DomainError;

/// Checks a URI an admin registers for an app. Web apps use https; http is accepted only for loopback
/// hosts (native and development apps); private schemes (`com.example.app:/cb`) are accepted for
/// native apps. Fragments are never allowed (RFC 6749 §3.1.2).
pub fn parse_registered(raw: &str) -> Result<String, DomainError> {
    let uri = raw.trim();
    let parsed = url::Url::parse(uri)
        .map_err(|_| DomainError::new("redirect_uri", format!("{uri:?} is not an absolute URI")))?;
    if parsed.fragment().is_some() {
        return Err(DomainError::new(
            "redirect_uri",
            "a redirect URI cannot contain a fragment (#)",
        ));
    }
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let host = parsed.host_str().unwrap_or_default();
            let loopback =
                matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.ends_with(".localhost");
            if !loopback {
                return Err(DomainError::new(
                    "redirect_uri",
                    "http is allowed only for localhost; use https",
                ));
            }
        }
        "javascript" | "data" | "file" | "vbscript" => {
            return Err(DomainError::new(
                "redirect_uri",
                "that URI scheme is not allowed",
            ));
        }
        _ => {}
    }
    Ok(uri.to_string())
}

/// A request's `redirect_uri` must equal one registered value exactly: no prefix, no added query.
pub fn matches_registered<'a>(requested: &str, registered: &'a [String]) -> Option<&'a str> {
    registered
        .iter()
        .find(|r| r.as_str() == requested)
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        assert!(parse_registered("https://app.example/cb").is_ok());
        assert!(parse_registered("http://localhost:3000/cb").is_ok());
        assert!(parse_registered("http://127.0.0.1/cb").is_ok());
        assert!(parse_registered("com.example.app:/cb").is_ok());
        assert!(parse_registered("http://app.example/cb").is_err());
        assert!(parse_registered("https://app.example/cb#x").is_err());
        assert!(parse_registered("/relative").is_err());
        assert!(parse_registered("javascript:alert(1)").is_err());
    }

    #[test]
    fn matching_is_exact() {
        let reg = vec!["https://app.example/cb".to_string()];
        assert!(matches_registered("https://app.example/cb", &reg).is_some());
        for near in [
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
            "https://APP.example/cb",
            "https://app.example/cb/extra",
        ] {
            assert!(matches_registered(near, &reg).is_none(), "{near}");
        }
    }
}
