//! Reading an invitation CSV upload (spec §3.2) into validated rows, and writing per-row results back out.
//!
//! This is only the shape of the file: labels, cells, formats. Whether an app or group id exists, whether the
//! address is already in the directory or its domain is blocked, is for the service to decide afterwards; it
//! gets rows it can trust the format of, each with the number a person needs to find it in their file.
//!
//! Two things reject the whole file before any row is looked at (a [`FileError`]): a file that cannot be read
//! as intended (not UTF-8, no labels, a required label missing, a label given twice) and a file with too many
//! rows. Everything else is a problem of one row, reported with every other problem of that row, and never
//! stops the other rows.

use super::email::EmailAddress;
use super::language::Language;
use super::spreadsheet::safe_cell;
use super::user::parse_display_name;
use std::collections::HashMap;
use std::fmt;

/// How many data rows one upload may hold unless the server is configured otherwise (spec §3.2).
pub const DEFAULT_MAX_ROWS: usize = 2_000;

/// The longest custom invitation text, in characters. Long enough for a few paragraphs of welcome; short
/// enough that the email stays an invitation, not a newsletter, and that one row cannot bloat the outbox.
pub const MAX_INVITATION_TEXT_CHARS: usize = 2_000;

/// The longest redirect or contact URL, in characters: what browsers and mail clients reliably keep.
pub const MAX_URL_CHARS: usize = 2_048;

/// A column of the file. Each has one canonical label and the older (v1) spelling where there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Email,
    DisplayName,
    InvitationText,
    InvitedToApplications,
    InvitedToGroups,
    InviteRedirectUrl,
    CcEmailAddress,
    Language,
    InviteContactUsUrl,
    InviteAppId,
    AccessExpiresOn,
}

impl Column {
    pub const ALL: [Column; 11] = [
        Column::Email,
        Column::DisplayName,
        Column::InvitationText,
        Column::InvitedToApplications,
        Column::InvitedToGroups,
        Column::InviteRedirectUrl,
        Column::CcEmailAddress,
        Column::Language,
        Column::InviteContactUsUrl,
        Column::InviteAppId,
        Column::AccessExpiresOn,
    ];

    /// Without these two a row cannot become an invitation, so a file lacking either is refused outright.
    pub const REQUIRED: [Column; 2] = [Column::Email, Column::DisplayName];

    /// The canonical label: the v2 name, or the v1 name for columns only v1 has.
    pub fn label(self) -> &'static str {
        self.labels()[0]
    }

    /// Every label accepted for this column, canonical first. Matching ignores case and surrounding spaces.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            Column::Email => &["Email"],
            Column::DisplayName => &["DisplayName"],
            Column::InvitationText => &["InvitationText"],
            Column::InvitedToApplications => &["InvitedToApplications", "InviteAppResources"],
            Column::InvitedToGroups => &["InvitedToGroups", "InviteGroupResources"],
            Column::InviteRedirectUrl => &["InviteRedirectURL", "InviteReplyURL"],
            Column::CcEmailAddress => &["CcEmailAddress"],
            Column::Language => &["Language"],
            Column::InviteContactUsUrl => &["InviteContactUsUrl"],
            Column::InviteAppId => &["InviteAppID"],
            Column::AccessExpiresOn => &["AccessExpiresOn"],
        }
    }

    /// The column a header label names, if any.
    pub fn from_label(raw: &str) -> Option<Column> {
        let label = raw.trim();
        Column::ALL
            .into_iter()
            .find(|c| c.labels().iter().any(|l| l.eq_ignore_ascii_case(label)))
    }
}

/// Why a whole file was refused. Nothing in it was looked at row by row, and nothing may be created from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// Not UTF-8 text (often a spreadsheet's "CSV" in a legacy code page, or UTF-16 "Unicode text").
    /// `line` is the 1-based line holding the first byte that is not UTF-8.
    NotUtf8 { line: usize },
    /// No header row: the file is empty or holds only blank lines.
    Empty,
    /// The CSV reader gave up near `line` (1-based).
    Malformed { line: usize, message: String },
    /// Required labels absent from the header, by canonical label.
    MissingColumns(Vec<&'static str>),
    /// Two header labels name the same column (`InviteRedirectURL` and `InviteReplyURL`, or `Email` twice).
    /// Rejected rather than guessed: which of the two the person meant is unknowable.
    DuplicateColumn {
        column: &'static str,
        labels: Vec<String>,
    },
    /// More data rows than allowed; `found` counts them all (blank rows excluded).
    TooManyRows { limit: usize, found: usize },
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::NotUtf8 { line } => write!(
                f,
                "The file is not UTF-8 text (the first character that is not is on line {line}). \
                 Save it as \"CSV UTF-8\" and upload it again."
            ),
            FileError::Empty => f.write_str(
                "The file is empty: its first row must hold the column labels, at least Email and DisplayName.",
            ),
            FileError::Malformed { line, message } => {
                write!(f, "The file could not be read as CSV near line {line}: {message}")
            }
            FileError::MissingColumns(labels) => write!(
                f,
                "The first row must hold the column labels; missing: {}.",
                labels.join(", ")
            ),
            FileError::DuplicateColumn { column, labels } => {
                let first = labels.first().map(String::as_str).unwrap_or(column);
                if labels.iter().all(|l| l.eq_ignore_ascii_case(first)) {
                    write!(f, "The column {column} appears more than once; keep one.")
                } else {
                    write!(
                        f,
                        "The columns {} all mean {column}; keep only one of them.",
                        labels.join(" and ")
                    )
                }
            }
            FileError::TooManyRows { limit, found } => write!(
                f,
                "The file has {found} invitation rows; one upload may hold at most {limit}. \
                 Split it into smaller files."
            ),
        }
    }
}

impl std::error::Error for FileError {}

/// One row that passed every format rule. Ids are lower-case UUID strings, de-duplicated, in file order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InvitationRow {
    #[serde(serialize_with = "email_as_str")]
    pub email: EmailAddress,
    pub display_name: String,
    pub invitation_text: Option<String>,
    pub app_ids: Vec<String>,
    pub group_ids: Vec<String>,
    /// Absolute http(s) URL in its normalised form (as the `url` crate writes it).
    pub redirect_url: Option<String>,
    #[serde(serialize_with = "optional_email_as_str")]
    pub cc: Option<EmailAddress>,
    /// [`Language::En`] when the cell is blank or the column absent.
    pub language: Language,
    /// Absolute http(s) URL in its normalised form.
    pub contact_url: Option<String>,
    pub invite_app_id: Option<String>,
    /// 00:00 UTC of the `AccessExpiresOn` date (whether it is still ahead is the service's to judge).
    pub access_expires_on: Option<i64>,
}

fn email_as_str<S: serde::Serializer>(email: &EmailAddress, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(email.as_str())
}

fn optional_email_as_str<S: serde::Serializer>(
    email: &Option<EmailAddress>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match email {
        Some(e) => s.serialize_some(e.as_str()),
        None => s.serialize_none(),
    }
}

/// One problem in one cell.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The column's label as written in the file's header (so a v1 file hears about `InviteReplyURL`, not
    /// `InviteRedirectURL`). Empty when the problem is the row as a whole (more cells than labels).
    pub column: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.column, self.message)
        }
    }
}

/// The outcome of one data row.
#[derive(Debug, Clone, PartialEq)]
pub struct RowResult {
    /// The 1-based line of the file on which the row starts, the header being line 1. That is the row number
    /// a spreadsheet shows (blank lines included), and the line a text editor shows; only a cell holding a
    /// line break makes later spreadsheet rows differ from it.
    pub row: usize,
    /// The Email cell as written (trimmed), so a report names the row even when the address is invalid.
    pub email: String,
    /// The DisplayName cell as written (trimmed), for the same reason.
    pub display_name: String,
    /// The validated row, or every problem found in it.
    pub outcome: Result<InvitationRow, Vec<RowError>>,
}

impl RowResult {
    /// This row as a line of the downloadable report, before the service has acted on it.
    pub fn result_line(&self) -> ResultLine {
        match &self.outcome {
            Ok(_) => ResultLine {
                row: self.row,
                email: self.email.clone(),
                display_name: self.display_name.clone(),
                outcome: OUTCOME_VALID.to_string(),
                reason: String::new(),
            },
            Err(errors) => ResultLine {
                row: self.row,
                email: self.email.clone(),
                display_name: self.display_name.clone(),
                outcome: OUTCOME_FAILED.to_string(),
                reason: errors
                    .iter()
                    .map(RowError::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            },
        }
    }
}

/// A file that could be read: a result for every non-blank data row, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedUpload {
    pub rows: Vec<RowResult>,
    /// Header labels that name no column, as written; their cells were ignored. Blank labels (a trailing
    /// comma in the header) are not listed.
    pub unknown_columns: Vec<String>,
}

impl ParsedUpload {
    /// The rows that passed, with their row numbers.
    pub fn valid_rows(&self) -> impl Iterator<Item = (usize, &InvitationRow)> {
        self.rows
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok().map(|row| (r.row, row)))
    }

    pub fn failed_count(&self) -> usize {
        self.rows.iter().filter(|r| r.outcome.is_err()).count()
    }
}

/// Reads an uploaded file. `max_rows` is the configured limit (usually [`DEFAULT_MAX_ROWS`]); the whole file
/// is counted before any row is judged, so an oversized file is refused without a partial result.
///
/// Accepted: a UTF-8 byte-order mark, CRLF or LF line ends, quoted cells holding commas, quotes and line
/// breaks, rows shorter than the header (missing cells are blank). Rows whose cells are all blank are skipped
/// and not counted.
pub fn parse(bytes: &[u8], max_rows: usize) -> Result<ParsedUpload, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        return Err(FileError::NotUtf8 { line });
    }

    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header_record = reader.headers().map_err(malformed)?.clone();
    let header = Header::read(&header_record)?;

    let mut lines = LineCounter::new(bytes);
    let mut records = Vec::new();
    let mut found = 0usize;
    for record in reader.records() {
        let record = record.map_err(malformed)?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        found += 1;
        if found <= max_rows {
            let offset = record.position().map_or(0, |p| p.byte());
            records.push((lines.line_at(offset), record));
        }
    }
    if found > max_rows {
        return Err(FileError::TooManyRows {
            limit: max_rows,
            found,
        });
    }

    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let rows = records
        .iter()
        .map(|(line, record)| header.row(*line, record, &mut first_row_of))
        .collect();
    Ok(ParsedUpload {
        rows,
        unknown_columns: header.unknown,
    })
}

/// Finds the line on which a record starts. The CSV reader's own line count is not usable for this: it
/// reports a record's position before skipping the previous line end and any blank lines, so after a CRLF or
/// a blank line it is one or more lines short. A record's byte offset has the same lag, but what lies between
/// it and the record is only line ends, so skipping those finds the record's first byte. Counting goes
/// forward from the previous record, so a whole file costs one pass. A lone CR counts as a line end, as it
/// does for the reader.
struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            at: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: u64) -> usize {
        let len = self.bytes.len();
        let mut start = usize::try_from(offset).unwrap_or(len).clamp(self.at, len);
        while start < len && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        let passed = &self.bytes[self.at..start];
        self.line += passed
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && passed.get(i + 1) != Some(&b'\n')))
            .count();
        self.at = start;
        self.line
    }
}

fn malformed(e: csv::Error) -> FileError {
    let line = e.position().map_or(0, |p| line_number(p.line()));
    FileError::Malformed {
        line,
        message: e.to_string(),
    }
}

fn line_number(line: u64) -> usize {
    usize::try_from(line).unwrap_or(usize::MAX)
}

/// Where each known column sits, and the label the file used for it.
struct Header {
    columns: Vec<(Column, usize, String)>,
    width: usize,
    unknown: Vec<String>,
}

impl Header {
    fn read(record: &csv::StringRecord) -> Result<Header, FileError> {
        if record.iter().all(|l| l.trim().is_empty()) {
            return Err(FileError::Empty);
        }
        let mut columns: Vec<(Column, usize, String)> = Vec::new();
        let mut unknown = Vec::new();
        for (index, raw) in record.iter().enumerate() {
            let label = raw.trim();
            if label.is_empty() {
                continue;
            }
            match Column::from_label(label) {
                None => unknown.push(label.to_string()),
                Some(column) => {
                    if let Some((_, _, earlier)) = columns.iter().find(|(c, _, _)| *c == column) {
                        return Err(FileError::DuplicateColumn {
                            column: column.label(),
                            labels: vec![earlier.clone(), label.to_string()],
                        });
                    }
                    columns.push((column, index, label.to_string()));
                }
            }
        }
        let missing: Vec<&'static str> = Column::REQUIRED
            .into_iter()
            .filter(|r| !columns.iter().any(|(c, _, _)| c == r))
            .map(Column::label)
            .collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns(missing));
        }
        Ok(Header {
            columns,
            width: record.len(),
            unknown,
        })
    }

    /// The file's label for `column` and the trimmed cell (blank when the column or the cell is absent).
    fn cell<'r>(&self, record: &'r csv::StringRecord, column: Column) -> (&str, &'r str) {
        match self.columns.iter().find(|(c, _, _)| *c == column) {
            Some((_, index, label)) => (label, record.get(*index).unwrap_or("").trim()),
            None => (column.label(), ""),
        }
    }

    /// Judges one data row. `first_row_of` maps lower-cased addresses to the row that listed them first.
    fn row(
        &self,
        row: usize,
        record: &csv::StringRecord,
        first_row_of: &mut HashMap<String, usize>,
    ) -> RowResult {
        let mut errors = Vec::new();
        let mut fail = |label: &str, message: String| {
            errors.push(RowError {
                column: label.to_string(),
                message,
            })
        };

        let (label, raw_email) = self.cell(record, Column::Email);
        let email = match EmailAddress::parse(raw_email) {
            Ok(email) => {
                match first_row_of.get(&email.lower()) {
                    Some(first) => fail(
                        label,
                        format!("{} is already listed in row {first}.", email.as_str()),
                    ),
                    None => {
                        first_row_of.insert(email.lower(), row);
                    }
                }
                Some(email)
            }
            Err(e) => {
                fail(label, describe_bad_email(raw_email, &e.message));
                None
            }
        };

        let (label, raw_display_name) = self.cell(record, Column::DisplayName);
        let display_name = parse_display_name(raw_display_name)
            .map_err(|e| fail(label, e.message))
            .ok();

        let (label, raw) = self.cell(record, Column::InvitationText);
        let invitation_text = parse_invitation_text(raw)
            .map_err(|m| fail(label, m))
            .ok()
            .flatten();

        let (label, raw) = self.cell(record, Column::InvitedToApplications);
        let app_ids = parse_ids(raw, "app")
            .map_err(|m| fail(label, m))
            .unwrap_or_default();

        let (label, raw) = self.cell(record, Column::InvitedToGroups);
        let group_ids = parse_ids(raw, "group")
            .map_err(|m| fail(label, m))
            .unwrap_or_default();

        let (label, raw) = self.cell(record, Column::InviteRedirectUrl);
        let redirect_url = parse_http_url(raw)
            .map_err(|m| fail(label, m))
            .ok()
            .flatten();

        let (label, raw) = self.cell(record, Column::CcEmailAddress);
        let cc = if raw.is_empty() {
            None
        } else {
            EmailAddress::parse(raw)
                .map_err(|e| fail(label, describe_bad_email(raw, &e.message)))
                .ok()
        };

        let (label, raw) = self.cell(record, Column::Language);
        let language = Language::parse_optional(raw)
            .map_err(|e| fail(label, e.message))
            .ok()
            .flatten()
            .unwrap_or_default();

        let (label, raw) = self.cell(record, Column::InviteContactUsUrl);
        let contact_url = parse_http_url(raw)
            .map_err(|m| fail(label, m))
            .ok()
            .flatten();

        let (label, raw) = self.cell(record, Column::InviteAppId);
        let invite_app_id = if raw.is_empty() {
            None
        } else {
            parse_uuid(raw)
                .ok_or_else(|| {
                    fail(
                        label,
                        format!(
                            "{raw:?} is not an app id; give one id (a UUID such as {EXAMPLE_UUID})."
                        ),
                    )
                })
                .ok()
        };

        let (label, raw) = self.cell(record, Column::AccessExpiresOn);
        let access_expires_on = if raw.is_empty() {
            None
        } else {
            super::calendar::parse_date(raw)
                .ok_or_else(|| {
                    fail(
                        label,
                        format!(
                            "{raw:?} is not a date; write it as YYYY-MM-DD, such as 2027-03-31."
                        ),
                    )
                })
                .ok()
        };

        let extra = record.iter().skip(self.width).any(|c| !c.trim().is_empty());
        if extra {
            fail(
                "",
                format!(
                    "This row has {} cells but the header has {} labels; put values that contain commas \
                     in double quotes.",
                    record.len(),
                    self.width
                ),
            );
        }

        let outcome = match (email, display_name) {
            (Some(email), Some(display_name)) if errors.is_empty() => Ok(InvitationRow {
                email,
                display_name,
                invitation_text,
                app_ids,
                group_ids,
                redirect_url,
                cc,
                language,
                contact_url,
                invite_app_id,
                access_expires_on,
            }),
            _ => Err(errors),
        };
        RowResult {
            row,
            email: raw_email.to_string(),
            display_name: raw_display_name.to_string(),
            outcome,
        }
    }
}

const EXAMPLE_UUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

fn describe_bad_email(raw: &str, message: &str) -> String {
    if raw.is_empty() {
        message.to_string()
    } else {
        format!("{raw:?} is not a valid email address. {message}")
    }
}

/// Custom text is shown as plain text, so line breaks and tabs are kept; other control characters are not
/// something a person typed and are refused.
fn parse_invitation_text(raw: &str) -> Result<Option<String>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    let count = raw.chars().count();
    if count > MAX_INVITATION_TEXT_CHARS {
        return Err(format!(
            "The invitation text has at most {MAX_INVITATION_TEXT_CHARS} characters; this one has {count}."
        ));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("The invitation text contains a control character.".to_string());
    }
    Ok(Some(raw.to_string()))
}

/// A lower-cased UUID in its hyphenated form (8-4-4-4-12 hex digits), or `None`.
fn parse_uuid(raw: &str) -> Option<String> {
    let ok = raw.len() == 36
        && raw.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    ok.then(|| raw.to_ascii_lowercase())
}

/// Ids separated by spaces (any whitespace, line breaks included), as the spec's column definition says.
/// Commas and semicolons are not separators: an id list using them is reported, with a hint, rather than
/// guessed at. Repeats are kept once, in first position.
fn parse_ids(raw: &str, what: &str) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = Vec::new();
    let mut bad: Vec<String> = Vec::new();
    for token in raw.split_whitespace() {
        match parse_uuid(token) {
            Some(id) => {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            None => bad.push(format!("{token:?}")),
        }
    }
    if bad.is_empty() {
        return Ok(ids);
    }
    let hint = if raw.contains([',', ';']) {
        " Separate ids with spaces."
    } else {
        ""
    };
    let noun = if bad.len() == 1 {
        format!("Not an {what} id")
    } else {
        format!("Not {what} ids")
    };
    Err(format!(
        "{noun} (a UUID such as {EXAMPLE_UUID}): {}.{hint}",
        bad.join(", ")
    ))
}

/// An absolute http or https URL with a host, returned in normalised form; blank means not given.
fn parse_http_url(raw: &str) -> Result<Option<String>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    let count = raw.chars().count();
    if count > MAX_URL_CHARS {
        return Err(format!(
            "A URL has at most {MAX_URL_CHARS} characters; this one has {count}."
        ));
    }
    let wanted = "must be an absolute http or https URL, such as https://app.example/welcome";
    match url::Url::parse(raw) {
        Ok(url)
            if matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some_and(|h| !h.is_empty()) =>
        {
            Ok(Some(url.into()))
        }
        _ => Err(format!("{raw:?} {wanted}.")),
    }
}

/// The outcome words of a report line written before anything is created.
pub const OUTCOME_VALID: &str = "valid";
pub const OUTCOME_FAILED: &str = "failed";

/// One line of the downloadable results file. The service adds its own outcomes (`created`, `exists`, …),
/// which is why this is a plain view rather than a [`RowResult`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResultLine {
    pub row: usize,
    pub email: String,
    pub display_name: String,
    pub outcome: String,
    pub reason: String,
}

/// A byte-order mark a download handler may put before [`results_csv`]'s text so that spreadsheet programs
/// read it as UTF-8 (non-ASCII names such as 김민수 otherwise come out garbled). Not added by `results_csv`
/// itself, since the CLI prints the same text to a terminal.
pub const EXCEL_BOM: &str = "\u{feff}";

/// Renders results as CSV with the columns `Row,Email,DisplayName,Outcome,Reason` (CRLF line ends, RFC 4180
/// quoting). Every cell is a [`safe_cell`]: the email and name cells are whatever the uploader typed.
pub fn results_csv(lines: &[ResultLine]) -> String {
    // Writing to memory cannot fail, and every cell is a `str`, so the output is UTF-8.
    write_results(lines).unwrap_or_default()
}

fn write_results(lines: &[ResultLine]) -> Result<String, Box<dyn std::error::Error>> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(["Row", "Email", "DisplayName", "Outcome", "Reason"])?;
    for line in lines {
        let row = line.row.to_string();
        let cells = [
            row.as_str(),
            &line.email,
            &line.display_name,
            &line.outcome,
            &line.reason,
        ]
        .map(safe_cell);
        writer.write_record(cells.iter().map(|cell| cell.as_bytes()))?;
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    Ok(String::from_utf8(bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP1: &str = "11111111-1111-4111-8111-111111111111";
    const APP2: &str = "22222222-2222-4222-8222-222222222222";
    const GROUP: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";

    fn ok(bytes: &[u8]) -> ParsedUpload {
        parse(bytes, DEFAULT_MAX_ROWS).unwrap()
    }

    fn valid(result: &RowResult) -> &InvitationRow {
        result
            .outcome
            .as_ref()
            .unwrap_or_else(|e| panic!("row {} failed: {e:?}", result.row))
    }

    fn errors(result: &RowResult) -> &[RowError] {
        result.outcome.as_ref().expect_err("row should fail")
    }

    #[test]
    fn column_labels_and_aliases() {
        assert_eq!(
            Column::from_label("InviteReplyURL"),
            Some(Column::InviteRedirectUrl)
        );
        assert_eq!(
            Column::from_label(" inviteredirecturl "),
            Some(Column::InviteRedirectUrl)
        );
        assert_eq!(
            Column::from_label("INVITEAPPRESOURCES"),
            Some(Column::InvitedToApplications)
        );
        assert_eq!(
            Column::from_label("InviteGroupResources"),
            Some(Column::InvitedToGroups)
        );
        assert_eq!(Column::from_label("Phone"), None);
        for c in Column::ALL {
            assert_eq!(Column::from_label(c.label()), Some(c));
        }
    }

    #[test]
    fn v2_file_with_every_column() {
        let csv = format!(
            "Email,DisplayName,InvitationText,InvitedToApplications,InvitedToGroups,InviteRedirectURL,\
             CcEmailAddress,Language\n\
             alice@fabrikam.example,Alice,Welcome!,{APP1} {APP2},{GROUP},https://app.example/home,\
             boss@contoso.example,de\n\
             bob@fabrikam.example,Bob,,,,,,\n"
        );
        let parsed = ok(csv.as_bytes());
        assert!(parsed.unknown_columns.is_empty());
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.failed_count(), 0);
        let alice = valid(&parsed.rows[0]);
        assert_eq!(parsed.rows[0].row, 2);
        assert_eq!(alice.email.as_str(), "alice@fabrikam.example");
        assert_eq!(alice.display_name, "Alice");
        assert_eq!(alice.invitation_text.as_deref(), Some("Welcome!"));
        assert_eq!(alice.app_ids, [APP1, APP2]);
        assert_eq!(alice.group_ids, [GROUP]);
        assert_eq!(
            alice.redirect_url.as_deref(),
            Some("https://app.example/home")
        );
        assert_eq!(
            alice.cc.as_ref().map(EmailAddress::as_str),
            Some("boss@contoso.example")
        );
        assert_eq!(alice.language, Language::De);
        let bob = valid(&parsed.rows[1]);
        assert_eq!(bob.invitation_text, None);
        assert!(bob.app_ids.is_empty() && bob.group_ids.is_empty());
        assert_eq!(bob.redirect_url, None);
        assert_eq!(bob.cc, None);
        assert_eq!(bob.language, Language::En);
        assert_eq!(
            parsed.valid_rows().map(|(n, _)| n).collect::<Vec<_>>(),
            [2, 3]
        );
    }

    #[test]
    fn v1_file_with_old_labels() {
        let csv = format!(
            "Email,DisplayName,InviteAppID,InviteReplyURL,InviteAppResources,InviteGroupResources,\
             InviteContactUsUrl,Language\n\
             carol@fabrikam.example,Carol,{APP1},https://app.example/,{APP2},{GROUP},\
             https://contoso.example/contact,pt-br\n"
        );
        let parsed = ok(csv.as_bytes());
        assert!(parsed.unknown_columns.is_empty());
        let carol = valid(&parsed.rows[0]);
        assert_eq!(carol.invite_app_id.as_deref(), Some(APP1));
        assert_eq!(carol.redirect_url.as_deref(), Some("https://app.example/"));
        assert_eq!(carol.app_ids, [APP2]);
        assert_eq!(carol.group_ids, [GROUP]);
        assert_eq!(
            carol.contact_url.as_deref(),
            Some("https://contoso.example/contact")
        );
        assert_eq!(carol.language, Language::PtBr);
    }

    #[test]
    fn labels_match_whatever_their_case_and_spacing() {
        let parsed = ok(b" email , DISPLAYNAME,language,InViTeRePlYuRl\n\
                         dan@fabrikam.example,Dan,ZH-hans,http://app.example/x\n");
        let dan = valid(&parsed.rows[0]);
        assert_eq!(dan.display_name, "Dan");
        assert_eq!(dan.language, Language::ZhHans);
        assert_eq!(dan.redirect_url.as_deref(), Some("http://app.example/x"));
    }

    #[test]
    fn bom_and_crlf() {
        let parsed = ok(b"\xEF\xBB\xBFEmail,DisplayName\r\n\
                          erin@fabrikam.example,Erin\r\n\
                          frank@fabrikam.example,Frank\r\n");
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(valid(&parsed.rows[0]).display_name, "Erin");
        assert_eq!(valid(&parsed.rows[1]).display_name, "Frank");
        assert_eq!(parsed.rows[1].row, 3);
    }

    #[test]
    fn quoted_cells_keep_commas_quotes_and_line_breaks() {
        let parsed = ok(b"Email,DisplayName,InvitationText\r\n\
                          gina@fabrikam.example,\"Lee, Gina\",\"Hello, Gina\r\nSee you \"\"soon\"\".\"\r\n\
                          hal@fabrikam.example,Hal,\r\n");
        let gina = valid(&parsed.rows[0]);
        assert_eq!(gina.display_name, "Lee, Gina");
        assert_eq!(
            gina.invitation_text.as_deref(),
            Some("Hello, Gina\r\nSee you \"soon\".")
        );
        // The quoted line break means Hal's row starts on line 4.
        assert_eq!(parsed.rows[1].row, 4);
        assert_eq!(valid(&parsed.rows[1]).display_name, "Hal");
    }

    #[test]
    fn korean_names_pass_untouched() {
        let parsed = ok("Email,DisplayName,Language\n\
                         minsu@fabrikam.example,김민수,ko\n\
                         jiyeon@fabrikam.example, 이지연 ,\n"
            .as_bytes());
        assert_eq!(valid(&parsed.rows[0]).display_name, "김민수");
        assert_eq!(valid(&parsed.rows[0]).language, Language::Ko);
        assert_eq!(valid(&parsed.rows[1]).display_name, "이지연");
    }

    #[test]
    fn every_problem_in_a_row_is_reported_and_other_rows_still_parse() {
        let csv = format!(
            "Email,DisplayName,InviteAppResources\n\
             ivy@fabrikam.example,Ivy,{APP1}\n\
             not-an-email,Someone,{APP1} nope\n\
             jack@fabrikam.example,Jack,\n"
        );
        let parsed = ok(csv.as_bytes());
        assert_eq!(parsed.rows.len(), 3);
        assert_eq!(parsed.failed_count(), 1);
        valid(&parsed.rows[0]);
        valid(&parsed.rows[2]);
        let bad = &parsed.rows[1];
        assert_eq!(bad.row, 3);
        assert_eq!(bad.email, "not-an-email");
        let errs = errors(bad);
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert_eq!(errs[0].column, "Email");
        assert!(
            errs[0]
                .message
                .contains("\"not-an-email\" is not a valid email address")
        );
        // Reported under the label the file used.
        assert_eq!(errs[1].column, "InviteAppResources");
        assert!(errs[1].message.contains("\"nope\""), "{}", errs[1].message);
    }

    #[test]
    fn cell_rules() {
        let long_text = "x".repeat(MAX_INVITATION_TEXT_CHARS + 1);
        let csv = format!(
            "Email,DisplayName,InvitationText,InvitedToGroups,InviteRedirectURL,CcEmailAddress,\
             InviteContactUsUrl,InviteAppID\n\
             kim@fabrikam.example,,{long_text},\"{GROUP},{APP1}\",/relative,cc@,javascript:alert(1),\"{APP1} {APP2}\"\n"
        );
        let parsed = ok(csv.as_bytes());
        let errs = errors(&parsed.rows[0]);
        let by_column: Vec<&str> = errs.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            by_column,
            [
                "DisplayName",
                "InvitationText",
                "InvitedToGroups",
                "InviteRedirectURL",
                "CcEmailAddress",
                "InviteContactUsUrl",
                "InviteAppID"
            ]
        );
        assert_eq!(errs[0].message, "Enter a display name.");
        assert!(errs[1].message.contains("at most 2000"));
        assert!(errs[2].message.contains("Separate ids with spaces"));
        assert!(errs[3].message.contains("absolute http or https URL"));
        assert!(errs[4].message.contains("\"cc@\""));
        assert!(errs[5].message.contains("javascript:alert(1)"));
        assert!(errs[6].message.contains("give one id"));

        // Text exactly at the limit, with line breaks, passes; so do upper-case ids (stored lower-case).
        let text = "y".repeat(MAX_INVITATION_TEXT_CHARS - 2);
        let csv = format!(
            "Email,DisplayName,InvitationText,InvitedToApplications\n\
             lou@fabrikam.example,Lou,\"a\n{text}\",{} {APP1}  {APP2}\n",
            APP1.to_uppercase()
        );
        let lou = ok(csv.as_bytes());
        let lou = valid(&lou.rows[0]);
        assert_eq!(
            lou.invitation_text.as_ref().map(|t| t.chars().count()),
            Some(2000)
        );
        assert_eq!(lou.app_ids, [APP1, APP2], "deduplicated, order kept");
    }

    #[test]
    fn missing_required_column_rejects_the_file() {
        assert_eq!(
            parse(b"Email,Name\na@fabrikam.example,A\n", 10),
            Err(FileError::MissingColumns(vec!["DisplayName"]))
        );
        let err = parse(b"Mail,Name\n", 10).unwrap_err();
        assert_eq!(err, FileError::MissingColumns(vec!["Email", "DisplayName"]));
        assert!(err.to_string().contains("Email, DisplayName"));
        assert_eq!(parse(b"", 10), Err(FileError::Empty));
        assert_eq!(parse(b"\n\n", 10), Err(FileError::Empty));
    }

    #[test]
    fn unknown_columns_are_reported_and_ignored() {
        let parsed = ok(b"Email,Phone,DisplayName,Department,\n\
                          max@fabrikam.example,555,Max,Sales,\n");
        assert_eq!(parsed.unknown_columns, ["Phone", "Department"]);
        assert_eq!(valid(&parsed.rows[0]).display_name, "Max");
    }

    #[test]
    fn a_column_given_twice_rejects_the_file() {
        let err = parse(b"Email,DisplayName,InviteReplyURL,InviteRedirectURL\n", 10).unwrap_err();
        assert_eq!(
            err,
            FileError::DuplicateColumn {
                column: "InviteRedirectURL",
                labels: vec!["InviteReplyURL".into(), "InviteRedirectURL".into()]
            }
        );
        assert!(
            err.to_string()
                .contains("InviteReplyURL and InviteRedirectURL")
        );
        let err = parse(b"Email,DisplayName,email\n", 10).unwrap_err();
        assert!(matches!(
            err,
            FileError::DuplicateColumn {
                column: "Email",
                ..
            }
        ));
        assert!(err.to_string().contains("more than once"));
    }

    #[test]
    fn too_many_rows_rejects_the_file_and_counts_them_all() {
        let mut csv = String::from("Email,DisplayName\n");
        for i in 0..5 {
            csv.push_str(&format!("u{i}@fabrikam.example,U{i}\n\n,,\n"));
        }
        assert_eq!(
            parse(csv.as_bytes(), 4),
            Err(FileError::TooManyRows { limit: 4, found: 5 })
        );
        // Blank rows do not count: five real rows fit a limit of five.
        assert_eq!(parse(csv.as_bytes(), 5).unwrap().rows.len(), 5);
    }

    #[test]
    fn the_default_limit_is_the_specs_two_thousand_rows() {
        let file = |rows: usize| {
            let mut csv = String::from("Email,DisplayName\n");
            for i in 0..rows {
                csv.push_str(&format!("u{i}@fabrikam.example,U{i}\n"));
            }
            csv
        };
        assert_eq!(
            parse(file(2_000).as_bytes(), DEFAULT_MAX_ROWS)
                .unwrap()
                .rows
                .len(),
            2_000
        );
        assert_eq!(
            parse(file(2_001).as_bytes(), DEFAULT_MAX_ROWS),
            Err(FileError::TooManyRows {
                limit: 2_000,
                found: 2_001
            })
        );
    }

    #[test]
    fn a_repeated_address_fails_on_its_second_row() {
        let parsed = ok(b"Email,DisplayName\n\
                          nia@fabrikam.example,Nia\n\
                          oli@fabrikam.example,Oli\n\
                          NIA@Fabrikam.example,Nia again\n");
        valid(&parsed.rows[0]);
        valid(&parsed.rows[1]);
        let errs = errors(&parsed.rows[2]);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, "Email");
        assert_eq!(
            errs[0].message,
            "NIA@fabrikam.example is already listed in row 2."
        );
    }

    #[test]
    fn invalid_language_is_a_row_error_naming_the_codes() {
        let parsed = ok(b"Email,DisplayName,Language\npat@fabrikam.example,Pat,pt_BR\n");
        let errs = errors(&parsed.rows[0]);
        assert_eq!(errs[0].column, "Language");
        assert!(errs[0].message.contains("\"pt_BR\""));
        assert!(errs[0].message.contains("pt-BR"));
    }

    #[test]
    fn access_expires_on_is_a_date_or_a_row_error() {
        let parsed = ok(b"Email,DisplayName,AccessExpiresOn\n\
            a@fabrikam.example,A,2027-03-31\n\
            b@fabrikam.example,B,\n\
            c@fabrikam.example,C,31/03/2027\n");
        let a = parsed.rows[0].outcome.as_ref().unwrap();
        assert_eq!(a.access_expires_on, Some(1_806_451_200));
        let b = parsed.rows[1].outcome.as_ref().unwrap();
        assert_eq!(b.access_expires_on, None);
        let errs = errors(&parsed.rows[2]);
        assert_eq!(errs[0].column, "AccessExpiresOn");
        assert!(
            errs[0].message.contains("YYYY-MM-DD"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn blank_lines_and_blank_rows_are_skipped_but_keep_row_numbers_true() {
        let parsed = ok(
            b"Email,DisplayName\n\nquin@fabrikam.example,Quin\n , \n\nrae@fabrikam.example,Rae\n\n",
        );
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!(parsed.rows[0].row, 3);
        assert_eq!(parsed.rows[1].row, 6);
        let crlf = ok(b"Email,DisplayName\r\n\r\nquin@fabrikam.example,Quin\r\n,\r\n\r\nrae@fabrikam.example,Rae\r\n");
        assert_eq!(crlf.rows.iter().map(|r| r.row).collect::<Vec<_>>(), [3, 6]);
    }

    #[test]
    fn short_rows_are_blank_filled_and_extra_cells_are_reported() {
        let parsed = ok(b"Email,DisplayName,Language\n\
                          sam@fabrikam.example,Sam\n\
                          tia@fabrikam.example,Lee, Tia,ko\n");
        assert_eq!(valid(&parsed.rows[0]).language, Language::En);
        let errs = errors(&parsed.rows[1]);
        assert!(
            errs.iter()
                .any(|e| e.column.is_empty() && e.message.contains("double quotes"))
        );
    }

    #[test]
    fn non_utf8_is_rejected_with_its_line() {
        // "Müller" in Latin-1 on line 2.
        assert_eq!(
            parse(b"Email,DisplayName\nm@fabrikam.example,M\xFCller\n", 10),
            Err(FileError::NotUtf8 { line: 2 })
        );
        // A UTF-16 export.
        assert!(matches!(
            parse(b"\xFF\xFEE\0m\0", 10),
            Err(FileError::NotUtf8 { line: 1 })
        ));
    }

    #[test]
    fn results_csv_renders_and_defuses_formulas() {
        let parsed = ok(
            b"Email,DisplayName\numa@fabrikam.example,\xEA\xB9\x80\nbad,X\nvi@fabrikam.example,=1+2\n",
        );
        let mut lines: Vec<ResultLine> = parsed.rows.iter().map(RowResult::result_line).collect();
        lines.push(ResultLine {
            row: 9,
            email: "=HYPERLINK(\"x\")".into(),
            display_name: "@Name".into(),
            outcome: "created".into(),
            reason: String::new(),
        });
        let text = results_csv(&lines);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            reader.headers().unwrap(),
            vec!["Row", "Email", "DisplayName", "Outcome", "Reason"]
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(
            rows[0],
            vec!["2", "uma@fabrikam.example", "김", "valid", ""]
        );
        assert_eq!(
            rows[1].iter().take(4).collect::<Vec<_>>(),
            ["3", "bad", "X", "failed"]
        );
        assert!(rows[1][4].starts_with("Email: \"bad\" is not a valid email address."));
        // A name that parses is still neutralised in the report.
        assert_eq!(
            rows[2],
            vec!["4", "vi@fabrikam.example", "'=1+2", "valid", ""]
        );
        assert_eq!(&rows[3][1], "'=HYPERLINK(\"x\")");
        assert_eq!(&rows[3][2], "'@Name");
        assert!(text.starts_with("Row,Email,DisplayName,Outcome,Reason\r\n"));
    }
}
