//! The invitation CSV reader (`domain::invitation_csv`): any bytes give a result or a file error, a
//! generated file is read exactly as its rows were written, and a valid row written back reads the same.

use crate::email_language::valid_email;
use crate::support::{config, long_text, nasty_text};
use guestlist::domain::email::EmailAddress;
use guestlist::domain::invitation_csv::{
    Column, DEFAULT_MAX_ROWS, FileError, InvitationRow, ParsedUpload, ResultLine, parse,
    results_csv,
};
use guestlist::domain::language::Language;
use proptest::prelude::*;
use std::collections::HashMap;

/// A file as generated: what each cell holds, and how it is written.
#[derive(Debug, Clone)]
struct File {
    bom: bool,
    /// Line end between records: `\r\n`, `\n` or a lone `\r`.
    newline: &'static str,
    /// Quote every cell, or only those that need it.
    quote_all: bool,
    /// The last row ends with a line end too.
    final_newline: bool,
    /// The header's labels as written, and the column each names.
    header: Vec<(String, Option<Column>)>,
    rows: Vec<Row>,
    max_rows: usize,
}

#[derive(Debug, Clone)]
struct Row {
    cells: Vec<String>,
    /// Every cell was made by a column's valid-value generator, and nothing follows the header's width.
    clean: bool,
}

/// A UUID in any letter case.
fn uuid() -> impl Strategy<Value = String> {
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
}

fn http_url() -> impl Strategy<Value = String> {
    "https?://[a-z]{1,10}\\.example(:[0-9]{2,4})?(/[a-zA-Z0-9._~%-]{0,10}){0,3}(\\?[a-z]=[a-z0-9]{0,5})?"
}

/// A value the column accepts (blank where the column is optional), padded with spaces.
fn valid_cell(column: Column) -> BoxedStrategy<String> {
    let value: BoxedStrategy<String> = match column {
        Column::Email => valid_email().boxed(),
        Column::CcEmailAddress => prop_oneof![Just(String::new()), valid_email()].boxed(),
        Column::DisplayName => "[A-Za-zé김][A-Za-z0-9 .'é김,\"-]{0,30}".boxed(),
        Column::InvitationText => "[A-Za-z0-9 ,.!?\"'\r\n\t김😀]{0,200}".boxed(),
        Column::InvitedToApplications | Column::InvitedToGroups => (
            prop::collection::vec(uuid(), 0..4),
            prop::sample::select(vec![" ", "\n", "\t", "  ", "\r\n"]),
        )
            .prop_map(|(ids, sep)| ids.join(sep))
            .boxed(),
        Column::InviteRedirectUrl | Column::InviteContactUsUrl => {
            prop_oneof![Just(String::new()), http_url()].boxed()
        }
        Column::Language => prop_oneof![
            Just(String::new()),
            (prop::sample::select(Language::ALL.to_vec()), any::<bool>()).prop_map(|(l, upper)| {
                if upper {
                    l.as_str().to_ascii_uppercase()
                } else {
                    l.as_str().to_ascii_lowercase()
                }
            }),
        ]
        .boxed(),
        Column::InviteAppId => prop_oneof![Just(String::new()), uuid()].boxed(),
        Column::AccessExpiresOn => prop_oneof![
            Just(String::new()),
            (2027i64..2100, 1i64..=12, 1i64..=28)
                .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        ]
        .boxed(),
    };
    (prop::sample::select(vec!["", " ", "  "]), value)
        .prop_map(|(pad, v)| format!("{pad}{v}{pad}"))
        .boxed()
}

/// Any cell: noise, a very long value, or another column's valid value.
fn noise_cell() -> BoxedStrategy<String> {
    prop_oneof![
        4 => nasty_text(40),
        1 => long_text(),
        2 => prop::sample::select(Column::ALL.to_vec()).prop_flat_map(valid_cell),
        1 => Just(String::new()),
    ]
    .boxed()
}

/// A label for `column` as people write it: any alias, any letter case, spaces around.
fn label(column: Column) -> impl Strategy<Value = String> {
    (
        prop::sample::select(column.labels().to_vec()),
        prop::sample::select(vec!["as is", "lower", "upper"]),
        prop::sample::select(vec!["", " "]),
    )
        .prop_map(|(l, case, pad)| {
            let l = match case {
                "lower" => l.to_ascii_lowercase(),
                "upper" => l.to_ascii_uppercase(),
                _ => l.to_string(),
            };
            format!("{pad}{l}{pad}")
        })
}

fn header() -> impl Strategy<Value = Vec<(String, Option<Column>)>> {
    (
        prop::sample::subsequence(Column::ALL.to_vec(), 0..=Column::ALL.len()),
        prop::bool::weighted(0.9),
        prop::option::weighted(0.1, any::<prop::sample::Index>()),
        prop::collection::vec(
            prop::sample::select(vec!["Phone", "Notes", "Email2", "", " "]),
            0..3,
        ),
    )
        .prop_flat_map(|(mut columns, required, duplicate, unknown)| {
            if required {
                for r in Column::REQUIRED {
                    if !columns.contains(&r) {
                        columns.push(r);
                    }
                }
            }
            if let Some(i) = duplicate.filter(|_| !columns.is_empty()) {
                columns.push(columns[i.index(columns.len())]);
            }
            let mut labels: Vec<BoxedStrategy<(String, Option<Column>)>> = columns
                .into_iter()
                .map(|c| label(c).prop_map(move |l| (l, Some(c))).boxed())
                .collect();
            labels.extend(
                unknown
                    .into_iter()
                    .map(|u| Just((u.to_string(), None)).boxed()),
            );
            labels.prop_shuffle()
        })
        .prop_map(|mut labels| {
            if labels.iter().all(|(l, _)| l.trim().is_empty()) {
                labels.push(("Phone".to_string(), None));
            }
            labels
        })
}

/// A data row for `header`: blank, clean (every cell valid for its column) or noisy, sometimes short,
/// sometimes with extra cells.
fn row(header: Vec<(String, Option<Column>)>) -> impl Strategy<Value = Row> {
    let width = header.len();
    let cells: Vec<(BoxedStrategy<String>, BoxedStrategy<String>)> = header
        .iter()
        .map(|(_, c)| {
            let valid = c.map(valid_cell).unwrap_or_else(noise_cell);
            (valid, noise_cell())
        })
        .collect();
    (
        prop::sample::select(vec!["blank", "clean", "clean", "clean", "noisy"]),
        cells,
        prop::collection::vec(any::<bool>(), width),
        prop::sample::select(vec![
            "full",
            "full",
            "full",
            "short",
            "extra blank",
            "extra",
        ]),
        0..=width,
        noise_cell(),
    )
        .prop_map(move |(kind, cells, noisy, shape, cut, extra)| {
            let mut clean = kind == "clean";
            let mut cells: Vec<String> = cells
                .into_iter()
                .zip(noisy)
                .map(|((valid, noise), noisy)| match kind {
                    "blank" => [String::new(), " ".to_string()][usize::from(noisy)].clone(),
                    "noisy" if noisy => noise,
                    _ => valid,
                })
                .collect();
            match shape {
                // Missing cells are blank: clean only while the cut-off ones were blank anyway.
                "short" => {
                    clean &= cells[cut..].iter().all(|c| c.trim().is_empty());
                    cells.truncate(cut);
                }
                "extra blank" => cells.push(" ".to_string()),
                "extra" => {
                    clean &= extra.trim().is_empty();
                    cells.push(extra);
                }
                _ => {}
            }
            Row { cells, clean }
        })
}

fn file() -> impl Strategy<Value = File> {
    (
        header(),
        any::<bool>(),
        prop::sample::select(vec!["\r\n", "\n", "\r"]),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(DEFAULT_MAX_ROWS), 1usize..6],
    )
        .prop_flat_map(
            |(header, bom, newline, quote_all, final_newline, max_rows)| {
                let rows = prop::collection::vec(row(header.clone()), 0..8);
                (Just(header), rows).prop_map(move |(header, rows)| File {
                    bom,
                    newline,
                    quote_all,
                    final_newline,
                    header,
                    rows,
                    max_rows,
                })
            },
        )
}

/// One cell as RFC 4180 writes it; `always` quotes even cells that do not need it.
fn encode_cell(cell: &str, always: bool) -> String {
    if always || cell.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn encode_record(cells: &[String], always: bool) -> String {
    cells
        .iter()
        .map(|c| encode_cell(c, always))
        .collect::<Vec<_>>()
        .join(",")
}

/// Line ends in `text`: CRLF, LF and a lone CR each end one line.
fn line_ends(text: &str) -> usize {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count()
}

impl File {
    /// The file's bytes, and the line on which each row starts (the header is line 1).
    fn encode(&self) -> (Vec<u8>, Vec<usize>) {
        let labels: Vec<String> = self.header.iter().map(|(l, _)| l.clone()).collect();
        let mut text = encode_record(&labels, self.quote_all);
        let mut lines = Vec::new();
        for row in &self.rows {
            text.push_str(self.newline);
            lines.push(1 + line_ends(&text));
            text.push_str(&encode_record(&row.cells, self.quote_all));
        }
        if self.final_newline {
            text.push_str(self.newline);
        }
        let mut bytes = if self.bom {
            b"\xEF\xBB\xBF".to_vec()
        } else {
            Vec::new()
        };
        bytes.extend(text.into_bytes());
        (bytes, lines)
    }

    /// The trimmed cell of `column` in `row`, blank when the file has no such column or the row is short.
    fn cell<'a>(&self, row: &'a Row, column: Column) -> &'a str {
        self.header
            .iter()
            .position(|(_, c)| *c == Some(column))
            .and_then(|i| row.cells.get(i))
            .map_or("", |c| c.trim())
    }
}

/// A valid row written as a one-row file with the canonical labels.
fn written_back(row: &InvitationRow) -> Vec<u8> {
    let labels: Vec<String> = Column::ALL.iter().map(|c| c.label().to_string()).collect();
    let cells = vec![
        row.email.as_str().to_string(),
        row.display_name.clone(),
        row.invitation_text.clone().unwrap_or_default(),
        row.app_ids.join(" "),
        row.group_ids.join(" "),
        row.redirect_url.clone().unwrap_or_default(),
        row.cc
            .as_ref()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        row.language.as_str().to_string(),
        row.contact_url.clone().unwrap_or_default(),
        row.invite_app_id.clone().unwrap_or_default(),
        row.access_expires_on
            .map(guestlist::domain::calendar::date_of)
            .unwrap_or_default(),
    ];
    format!(
        "{}\r\n{}\r\n",
        encode_record(&labels, false),
        encode_record(&cells, false)
    )
    .into_bytes()
}

/// Checks what `parse` made of a generated file against what was written into it.
fn check_file(file: &File) -> Result<(), TestCaseError> {
    let (bytes, lines) = file.encode();
    let outcome = parse(&bytes, file.max_rows);
    let known: Vec<Column> = file.header.iter().filter_map(|(_, c)| *c).collect();
    let duplicated = known
        .iter()
        .enumerate()
        .find(|(i, c)| known[..*i].contains(c));
    let missing: Vec<&str> = Column::REQUIRED
        .into_iter()
        .filter(|r| !known.contains(r))
        .map(Column::label)
        .collect();
    let kept: Vec<(usize, &Row)> = file
        .rows
        .iter()
        .zip(lines)
        .filter(|(r, _)| r.cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(r, line)| (line, r))
        .collect();
    let parsed = match (duplicated, missing.is_empty()) {
        (Some((_, c)), _) => {
            let wanted = matches!(&outcome, Err(FileError::DuplicateColumn { column, .. }) if *column == c.label());
            prop_assert!(wanted, "two labels for {:?}: {:?}", c, outcome);
            return Ok(());
        }
        (None, false) => {
            prop_assert_eq!(outcome, Err(FileError::MissingColumns(missing)));
            return Ok(());
        }
        (None, true) if kept.len() > file.max_rows => {
            let limit = file.max_rows;
            prop_assert_eq!(
                outcome,
                Err(FileError::TooManyRows {
                    limit,
                    found: kept.len()
                })
            );
            return Ok(());
        }
        (None, true) => outcome.map_err(|e| TestCaseError::fail(format!("refused: {e}")))?,
    };
    check_rows(file, &parsed, &kept)
}

fn check_rows(
    file: &File,
    parsed: &ParsedUpload,
    kept: &[(usize, &Row)],
) -> Result<(), TestCaseError> {
    let unknown: Vec<String> = file
        .header
        .iter()
        .filter(|(l, c)| c.is_none() && !l.trim().is_empty())
        .map(|(l, _)| l.trim().to_string())
        .collect();
    prop_assert_eq!(&parsed.unknown_columns, &unknown);
    prop_assert_eq!(parsed.rows.len(), kept.len());
    let labels: Vec<&str> = file.header.iter().map(|(l, _)| l.trim()).collect();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (result, (line, row)) in parsed.rows.iter().zip(kept) {
        prop_assert_eq!(result.row, *line, "row number");
        let email_cell = file.cell(row, Column::Email);
        prop_assert_eq!(result.email.as_str(), email_cell);
        let earlier = EmailAddress::parse(email_cell).ok().and_then(|e| {
            let first = first_row_of.get(&e.lower()).copied();
            first_row_of.entry(e.lower()).or_insert(*line);
            first
        });
        match &result.outcome {
            Ok(valid) => {
                prop_assert!(earlier.is_none(), "a second row for one address passed");
                prop_assert_eq!(Ok(valid.email.clone()), EmailAddress::parse(email_cell));
                prop_assert_eq!(
                    valid.display_name.as_str(),
                    file.cell(row, Column::DisplayName)
                );
                let language = Language::parse_optional(file.cell(row, Column::Language));
                prop_assert_eq!(Ok(valid.language), language.map(Option::unwrap_or_default));
                for id in valid
                    .app_ids
                    .iter()
                    .chain(&valid.group_ids)
                    .chain(&valid.invite_app_id)
                {
                    prop_assert_eq!(id.len(), 36);
                    prop_assert_eq!(id, &id.to_ascii_lowercase());
                }
                let again = parse(&written_back(valid), DEFAULT_MAX_ROWS)
                    .map_err(|e| TestCaseError::fail(format!("written back, refused: {e}")))?;
                prop_assert_eq!(again.rows.len(), 1);
                prop_assert_eq!(&again.rows[0].outcome, &Ok(valid.clone()), "written back");
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(
                        e.column.is_empty() || labels.contains(&e.column.as_str()),
                        "{:?}",
                        e
                    );
                    prop_assert!(!e.message.is_empty());
                }
                if row.clean {
                    let first = earlier.ok_or_else(|| {
                        TestCaseError::fail(format!("a clean row failed: {errors:?}"))
                    })?;
                    prop_assert_eq!(errors.len(), 1, "{:?}", errors);
                    let says = format!("already listed in row {first}.");
                    prop_assert!(errors[0].message.ends_with(&says), "{:?}", errors);
                }
            }
        }
    }
    Ok(())
}

/// Bytes that are not a generated file: noise, and generated files with bytes changed.
fn damaged_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..1024),
        (
            file(),
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
        )
            .prop_map(|(file, edits)| {
                let (mut bytes, _) = file.encode();
                if bytes.is_empty() {
                    return bytes;
                }
                for (at, byte) in edits {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
                bytes
            }),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes: a result with a row number for every row, or a file error that explains itself.
    #[test]
    fn any_bytes_give_rows_or_a_file_error(bytes in damaged_bytes(), max_rows in 1usize..50) {
        match parse(&bytes, max_rows) {
            Ok(parsed) => {
                prop_assert!(parsed.rows.len() <= max_rows);
                let mut previous = 1;
                for r in &parsed.rows {
                    prop_assert!(r.row > previous, "row numbers grow: {} after {}", r.row, previous);
                    previous = r.row;
                    let _ = r.result_line();
                }
            }
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                if let FileError::NotUtf8 { line } = e {
                    prop_assert!(line >= 1);
                    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
                    prop_assert!(std::str::from_utf8(body).is_err());
                }
            }
        }
    }

    /// A generated file is read as written: the right file error, or every non-blank row with its line,
    /// clean rows valid (but a repeated address), and every valid row reads back the same.
    #[test]
    fn generated_files_are_read_as_written(file in file()) {
        check_file(&file)?;
    }

    /// The results download reads back as one record per line, and no cell a spreadsheet would run as
    /// a formula.
    #[test]
    fn results_read_back_without_formulas(
        lines in prop::collection::vec(
            (any::<usize>(), nasty_text(30), nasty_text(20), nasty_text(10), nasty_text(60))
                .prop_map(|(row, email, display_name, outcome, reason)| ResultLine {
                    row,
                    email,
                    display_name,
                    outcome,
                    reason,
                }),
            0..6,
        ),
    ) {
        let text = results_csv(&lines);
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let records: Vec<csv::StringRecord> = reader
            .records()
            .collect::<Result<_, _>>()
            .map_err(|e| TestCaseError::fail(format!("unreadable: {e}")))?;
        prop_assert_eq!(records.len(), lines.len());
        for (record, line) in records.iter().zip(&lines) {
            let row = line.row.to_string();
            prop_assert_eq!(record.get(0), Some(row.as_str()));
            let originals = [&line.email, &line.display_name, &line.outcome, &line.reason];
            for (cell, original) in record.iter().skip(1).zip(originals) {
                prop_assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{:?}", cell);
                let defused = format!("'{original}");
                prop_assert!(cell == original.as_str() || cell == defused, "{:?}", cell);
            }
        }
    }
}
