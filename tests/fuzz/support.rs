//! What the fuzz properties share: the number of cases, input alphabets that break naive parsers, and a
//! runner for properties that talk to a test server.

use proptest::prelude::*;
use proptest::test_runner::{TestError, TestRunner};

/// Cases per property when `GUESTLIST_FUZZ_CASES` is not set: enough to catch the obvious in a local
/// `cargo test`, cheap enough not to slow it down.
const DEFAULT_CASES: u32 = 1000;

/// The cases each property runs (`GUESTLIST_FUZZ_CASES`, else [`DEFAULT_CASES`]).
pub fn cases() -> u32 {
    std::env::var("GUESTLIST_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// proptest's configuration (its `PROPTEST_*` variables still apply) with [`cases`] cases. A failure
/// is not written into the source tree: CI must not change the checkout, and a bug it finds becomes a
/// plain unit test next to the code it fixes.
pub fn config() -> ProptestConfig {
    config_with(cases())
}

pub fn config_with(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text that trips parsers: separators of CSV, URLs, forms and headers, quotes, controls, a byte-order
/// mark, non-ASCII letters and an emoji (multi-byte UTF-8), up to `max` characters.
pub fn nasty_text(max: usize) -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => "[a-zA-Z0-9]{1,6}",
        2 => prop::sample::select(vec![
            ",", "\"", "\"\"", "'", ";", ":", "/", "//", "?", "#", "&", "=", "%", "%00", "%zz", "+", " ",
            "\t", "\r", "\n", "\r\n", "\0", "\u{7f}", "\u{feff}", "\u{200b}", "\u{2028}", "é", "김",
            "😀", "@", "@@", "<", ">", "\\", "..", "-", "_", "*", "q=", "\u{fffd}",
        ])
        .prop_map(str::to_string),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 0..=max.max(1)).prop_map(move |parts| {
        let text: String = parts.concat();
        text.chars().take(max).collect()
    })
}

/// A very long value (kilobytes) of one repeated piece: length limits and quadratic work.
pub fn long_text() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["a", "é", "김", "\"", ",", " ", "\r\n", "x@y."]),
        1000usize..6000,
    )
        .prop_map(|(piece, n)| piece.repeat(n))
}

/// Runs the property `test` over `cases` values of the strategy `make` builds, on a blocking thread
/// with a runtime of its own, so that the test server, which lives on the calling test's runtime, keeps
/// answering. A failure panics with proptest's smallest failing input.
pub async fn run_blocking<S, M, F>(cases: u32, make: M, test: F)
where
    S: Strategy,
    M: FnOnce() -> S + Send + 'static,
    S::Value: std::fmt::Debug,
    F: Fn(&tokio::runtime::Runtime, S::Value) -> Result<(), TestCaseError> + Send + 'static,
{
    let outcome = actix_web::rt::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the fuzzing client");
        let mut runner = TestRunner::new(config_with(cases));
        runner
            .run(&make(), |value| test(&runtime, value))
            .map_err(|e| match e {
                TestError::Abort(why) => format!("aborted: {why}"),
                TestError::Fail(why, input) => format!("{why}\nsmallest failing input: {input:#?}"),
            })
    })
    .await
    .expect("the fuzzing thread");
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
