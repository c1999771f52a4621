//! Errors of the input layer: fatal input errors, and row errors that are data.

use std::fmt;
use std::io;

use super::{MAX_CELLS, MAX_JSON_DEPTH};

/// An error that stops reading an input: it cannot be opened, it has no
/// header, its JSON structure is broken, a limit that protects memory was hit.
#[derive(Debug)]
pub struct InputError {
    /// The input's name as given (`<stdin>` for standard input).
    pub file: String,
    /// The line the error points at, when there is one.
    pub line: Option<u64>,
    pub kind: InputErrorKind,
}

/// What went wrong, for callers that want to tell errors apart.
#[derive(Debug, thiserror::Error)]
pub enum InputErrorKind {
    #[error("cannot read: {0}")]
    Io(#[source] io::Error),
    #[error("the file is empty: no header")]
    NoHeader,
    #[error(
        "the header is not valid UTF-8 (column {column}); if the file comes from Excel on \
         Windows, try --encoding windows-1252"
    )]
    HeaderNotUtf8 { column: usize },
    /// Broken JSON structure, or a value where an array of objects was expected.
    #[error("{0}")]
    Syntax(String),
    #[error("nesting deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    /// A record or document above a size limit that protects memory.
    #[error("{0}")]
    TooLarge(String),
    #[error("more than {MAX_CELLS} columns")]
    TooManyColumns,
    #[error(
        "several keys hold arrays of objects: {}; choose the one holding the tasks with \
         --records KEY",
        .0.join(", ")
    )]
    AmbiguousRecords(Vec<String>),
    #[error("no array of objects at \"{key}\"; {}", describe_keys(.keys))]
    RecordsNotFound { key: String, keys: Vec<String> },
    #[error("no array of objects found: expected an array of objects, or an object holding one")]
    NoRecords,
    #[error("{0}")]
    Unsupported(String),
    /// The file policy refused the file (a link out of the working
    /// directory, a device, a system file).
    #[error("not read: it {0}")]
    Refused(crate::files::Why),
}

fn describe_keys(keys: &[String]) -> String {
    if keys.is_empty() {
        "the document has no top-level keys".to_string()
    } else {
        format!("the top-level keys are: {}", keys.join(", "))
    }
}

impl InputError {
    pub(crate) fn new(file: &str, line: Option<u64>, kind: InputErrorKind) -> Self {
        InputError {
            file: file.to_string(),
            line,
            kind,
        }
    }

    pub(crate) fn io(file: &str, err: io::Error) -> Self {
        InputError::new(file, None, InputErrorKind::Io(err))
    }

    /// A file the file policy did not open.
    pub(crate) fn file(file: &str, err: crate::files::FileError) -> Self {
        match err.why {
            crate::files::Why::Io(e) => InputError::io(file, e),
            why => InputError::new(file, None, InputErrorKind::Refused(why)),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The file name and the message may quote the file's bytes.
        let file = crate::quote::escape(&self.file);
        let kind = self.kind.to_string();
        let kind = crate::quote::escape(&kind);
        match self.line {
            Some(line) => write!(f, "{file}:{line}: {kind}"),
            None => write!(f, "{file}: {kind}"),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            InputErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Longest value, in characters, kept in a [`RowError`].
pub const MAX_VALUE_CHARS: usize = 60;

/// A problem with one row (a CSV record or a JSON element). Reading goes on
/// with the next row.
///
/// Displays as `tasks.csv:14: column "skill": `expert` is not one of none,
/// training` — the file, the line where the row starts, the column (its
/// header, or the `from` text / JSON path of the field), the value, and what
/// was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    /// The line where the row starts (1-based).
    pub line: u64,
    /// The column's header name, or the field's `from` text.
    pub column: Option<String>,
    /// The offending value, with control characters escaped and cut to
    /// [`MAX_VALUE_CHARS`] characters (a `…` marks the cut).
    pub value: Option<String>,
    pub message: String,
}

impl RowError {
    pub(crate) fn new(file: &str, line: u64, message: impl Into<String>) -> Self {
        RowError {
            file: file.to_string(),
            line,
            column: None,
            value: None,
            message: message.into(),
        }
    }

    pub(crate) fn with_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    pub(crate) fn with_value(mut self, value: &str) -> Self {
        self.value = Some(shorten(value));
        self
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::quote::{MAX_QUOTED, cut, escape};
        // Every part may come from the file: each is escaped, and the column
        // name and message are cut.
        write!(f, "{}:{}: ", escape(&self.file), self.line)?;
        if let Some(column) = &self.column {
            write!(f, "column \"{}\": ", escape(&cut(column, MAX_QUOTED)))?;
        }
        if let Some(value) = &self.value {
            write!(f, "`{}` ", escape(value))?;
        }
        f.write_str(&escape(&cut(&self.message, MAX_QUOTED * 2)))
    }
}

impl std::error::Error for RowError {}

/// A value made fit for a one-line message: cut to [`MAX_VALUE_CHARS`]
/// characters, control characters escaped.
pub(crate) fn shorten(value: &str) -> String {
    crate::quote::value(value, MAX_VALUE_CHARS)
}

/// Bytes that may not be UTF-8 shown as text, invalid bytes as `\xNN`.
pub(crate) fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_error_display() {
        let e = RowError::new("tasks.csv", 14, "is not one of none, training")
            .with_column("skill")
            .with_value("expert");
        assert_eq!(
            e.to_string(),
            "tasks.csv:14: column \"skill\": `expert` is not one of none, training"
        );
        let e = RowError::new("t.csv", 3, "the row has 2 cells, the header has 3");
        assert_eq!(
            e.to_string(),
            "t.csv:3: the row has 2 cells, the header has 3"
        );
    }

    #[test]
    fn long_values_are_cut_and_escaped() {
        let long = "x".repeat(100);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), MAX_VALUE_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(shorten("a\nb\u{1}"), "a\\nb\\u{1}");
        assert_eq!(escape_bytes(b"Caf\xe9"), "Caf\\xE9");
    }
}
