//! Cells of the CSV files the product writes (the audit export, the per-row results of an upload), made
//! safe to open in a spreadsheet program.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some skip a leading tab
//! or carriage return before looking; a formula can fetch URLs (`=HYPERLINK`, `=WEBSERVICE`) or start
//! programs. Many cells hold what someone outside typed: an address on the sign-in page, a name in an
//! uploaded file. Following OWASP's advice on CSV injection, such a cell gets a leading `'`, which a
//! spreadsheet takes as "this is text" and does not show. Every cell of every file goes through
//! [`safe_cell`], so the rule holds in one place and the same value always reads the same way, including
//! values that legitimately start with `-` (they read `'-5`, and a spreadsheet shows `-5` as text).

use std::borrow::Cow;

/// The first characters that make a spreadsheet treat a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `value` as a CSV cell a spreadsheet shows as text: prefixed with `'` when it starts like a formula,
/// unchanged otherwise.
pub fn safe_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_like_formulas_become_text() {
        for (value, written) in [
            (
                "=HYPERLINK(\"http://x.example\")@x.example",
                "'=HYPERLINK(\"http://x.example\")@x.example",
            ),
            ("+1+1", "'+1+1"),
            ("-2+3", "'-2+3"),
            // Consistent rather than clever: a negative number reads as text, like a formula would.
            ("-5", "'-5"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("=", "'="),
        ] {
            assert_eq!(safe_cell(value), written, "{value:?}");
        }
    }

    #[test]
    fn other_cells_pass_untouched() {
        for value in [
            "",
            "alice@fabrikam.example",
            "김민수",
            "1700000000",
            "{\"ip\":\"127.0.0.1\"}",
            "a=b",
            " =1",
            "'quoted already",
        ] {
            assert!(
                matches!(safe_cell(value), Cow::Borrowed(v) if v == value),
                "{value:?}"
            );
        }
    }
}
