//! Property-based fuzzing of everything that reads untrusted input: the invitation CSV, redirect URIs,
//! authorization requests, uploaded logos, email addresses and languages, the token endpoint's forms and
//! every protocol endpoint over HTTP. Each property holds for any input: no panic, every refusal a clean
//! error value (never a 5xx), and where a rule says more (exact redirect-URI match, a valid CSV row reads
//! back the same) that too.
//!
//! `GUESTLIST_FUZZ_CASES` sets the cases per property (default 1000, quick in a plain `cargo test`);
//! `.ci/run` runs this file once more with 10000. A failure prints the smallest input proptest found;
//! `PROPTEST_RNG_SEED=<number>` makes a run repeatable.

#[path = "../common/mod.rs"]
mod common;

mod authorize;
mod email_language;
mod http;
mod invitation_csv;
mod logo;
mod protocol;
mod redirect;
mod requests;
mod support;
mod token;
