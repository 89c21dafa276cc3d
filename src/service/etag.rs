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
    etag_of_bytes(&serde_json::to_vec(value).unwrap_or_default())
}

/// A strong ETag for `bytes` (a stored file, such as a logo).
pub fn etag_of_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an `If-Match` or `If-None-Match` list names `current` (or is `*`); weak tags compare by value.
pub fn names(list: &str, current: &str) -> bool {
    list.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == current
    })
}

/// Compares the caller's `If-Match` with the current ETag. `None` means the caller did not ask for a
/// check (the operator's scripts); the API requires one and says so before calling the service.
pub fn check_if_match(current: &str, given: Option<&str>) -> Result<()> {
    match given {
        Some(g) if !names(g, current) => Err(Error::PreconditionFailed(
            "the object changed since you read it; reload it and apply your change again".into(),
        )),
        _ => Ok(()),
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
        assert!(check_if_match(&a, Some(&format!("\"x\", {a}"))).is_ok());
    }

    #[test]
    fn files_get_validators_and_lists_name_them() {
        let etag = etag_of_bytes(b"logo");
        assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34);
        assert_ne!(etag, etag_of_bytes(b"other logo"));
        assert!(names(&etag, &etag));
        assert!(names(&format!("\"x\", W/{etag}"), &etag));
        assert!(names("*", &etag));
        assert!(!names("\"other\"", &etag));
    }
}
