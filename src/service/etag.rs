//! Optimistic concurrency (ETags), so two admins editing the same object cannot silently overwrite each
//! other, and the page size every list shares.

use crate::error::{Error, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A representation that carries the ETag of what it shows.
pub trait Tagged {
    fn etag(&self) -> &str;
}

/// A strong ETag for the representation `value`: the first 128 bits of the SHA-256 of its JSON.
pub fn etag_of<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_vec(value).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Compares the caller's `If-Match` with the current ETag. `None` means the caller did not ask for a
/// check (the operator's scripts); the API requires one and says so before calling the service.
pub fn check_if_match(current: &str, given: Option<&str>) -> Result<()> {
    match given {
        None => Ok(()),
        Some(g) if g.trim() == "*" => Ok(()),
        Some(g)
            if g.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == current) =>
        {
            Ok(())
        }
        Some(_) => Err(Error::PreconditionFailed(
            "the object changed since you read it; reload it and apply your change again".into(),
        )),
    }
}

/// Page size bounds shared by every list.
pub fn page_limit(asked: Option<i64>) -> i64 {
    asked.unwrap_or(50).clamp(1, 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_change_with_the_value_and_match_their_own() {
        let a = etag_of(&serde_json::json!({"name": "a"}));
        let b = etag_of(&serde_json::json!({"name": "b"}));
        assert_ne!(a, b);
        assert!(check_if_match(&a, Some(&a)).is_ok());
        assert!(check_if_match(&a, Some(&format!("W/{a}"))).is_ok());
        assert!(check_if_match(&a, Some("*")).is_ok());
        assert!(check_if_match(&a, None).is_ok());
        assert!(matches!(
            check_if_match(&a, Some(&b)),
            Err(Error::PreconditionFailed(_))
        ));
    }
}
