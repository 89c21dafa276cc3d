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
        "http" if !is_loopback(parsed.host_str().unwrap_or_default()) => {
            return Err(DomainError::new(
                "redirect_uri",
                "http is allowed only for localhost; use https",
            ));
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

fn is_loopback(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.ends_with(".localhost")
}

/// Why an invitation's redirect URL was refused: not a usable URL at all, or one the caller may not
/// choose (a refusal of the caller, not of the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectRefusal {
    Invalid(DomainError),
    NotRegistered(DomainError),
}

/// Where an invitation may send its guest after redemption (`inviteRedirectUrl`). Anyone may name an
/// address that one of the tenant's apps registered (a redirect URI or its home URL); only a caller who
/// may redirect anywhere (an admin) may name another, and then it must be https (http for loopback
/// hosts only). Without that rule an inviter could make the tenant's own email send people to any site.
pub fn check_invite_redirect(
    raw: &str,
    may_redirect_anywhere: bool,
    registered: &[String],
) -> Result<String, RedirectRefusal> {
    let field = "inviteRedirectUrl";
    let invalid = |m: &str| RedirectRefusal::Invalid(DomainError::new(field, m));
    let value = raw.trim();
    let parsed = url::Url::parse(value)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| invalid("must be an absolute http(s) URL"))?;
    if parsed.fragment().is_some() {
        return Err(invalid("cannot contain a fragment (#)"));
    }
    if registered.iter().any(|r| r == value) {
        return Ok(value.to_string());
    }
    if !may_redirect_anywhere {
        return Err(RedirectRefusal::NotRegistered(DomainError::new(
            field,
            "must be a redirect URI or home URL registered for one of this organisation's apps",
        )));
    }
    if parsed.scheme() == "http" && !is_loopback(parsed.host_str().unwrap_or_default()) {
        return Err(invalid("http is allowed only for localhost; use https"));
    }
    Ok(value.to_string())
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

    #[test]
    fn invitations_redirect_to_registered_addresses_and_admins_anywhere_safe() {
        let registered = vec![
            "https://app.example/cb".to_string(),
            "https://app.example/".to_string(),
        ];
        for anyone in ["https://app.example/cb", "https://app.example/"] {
            assert!(check_invite_redirect(anyone, false, &registered).is_ok());
        }
        // Not registered: refused for non-admins, even when it only looks alike.
        for other in [
            "https://evil.example/",
            "https://app.example/cb?next=evil",
            "https://app.example/cb/",
        ] {
            let e = check_invite_redirect(other, false, &registered).unwrap_err();
            assert!(matches!(e, RedirectRefusal::NotRegistered(_)), "{other}");
            assert!(check_invite_redirect(other, true, &registered).is_ok());
        }
        assert!(matches!(
            check_invite_redirect("http://partner.example/", true, &registered),
            Err(RedirectRefusal::Invalid(_))
        ));
        assert!(check_invite_redirect("http://127.0.0.1:3000/login", true, &registered).is_ok());
        assert!(check_invite_redirect("http://localhost/x", true, &registered).is_ok());
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "https://app.example/#x",
            "",
        ] {
            for anywhere in [true, false] {
                assert!(
                    matches!(
                        check_invite_redirect(bad, anywhere, &registered),
                        Err(RedirectRefusal::Invalid(_))
                    ),
                    "{bad}: bad input, whoever gives it"
                );
            }
        }
    }
}
