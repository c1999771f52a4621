//! Reading task inventories (CSV, TSV, JSON, NDJSON) into records, binding fields to columns, converting cells.
//!
//! ```text
//! InputReader::open(source, options) ── columns ──> Binding::new(field specs)
//!        │ read(&mut Record)                             │ convert(&Record)
//!        └── Record (one reused buffer) ────────────────> Vec<Value>
//! ```
//!
//! Errors come in two kinds: an [`InputError`] stops reading (unreadable
//! input, no header, broken JSON structure, a memory bound hit); a
//! [`RowError`] concerns one row and reading goes on. Library code never
//! prints and never panics on any input; memory per record is bounded (see
//! the limits below and the docs of the `delimited` and `json` modules).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod bind;
pub mod convert;
mod delimited;
mod error;
mod json;
mod object;
mod stream;

use std::borrow::Cow;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use bind::{BindError, BindWarning, Binding, BoundField, FieldSource, FieldSpec};
pub use delimited::{MAX_RECORD_BYTES, MAX_RECORD_DELIMITERS, sniff_delimiter};
pub use error::{InputError, InputErrorKind, MAX_VALUE_CHARS, RowError};
pub use json::MAX_STDIN_JSON_BYTES;
pub use object::{JsonObject, JsonValue};

use delimited::CsvReader;
use json::{JsonReader, NdjsonReader, Reopen};
use stream::{Stream, peek_up_to, prepare, read_all_bounded};

/// A cell (CSV) larger than this is a row error.
pub const MAX_FIELD_BYTES: usize = 16 * 1024 * 1024;
/// A row with more cells than this is a row error; a header with more is fatal.
pub const MAX_CELLS: usize = 100_000;
/// One JSON record (array element or NDJSON line) larger than this is a row error.
pub const MAX_ELEMENT_BYTES: usize = 16 * 1024 * 1024;
/// JSON nested deeper than this is a fatal error.
pub const MAX_JSON_DEPTH: usize = 128;

/// The format of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Delimited text; the delimiter is sniffed unless given.
    Csv,
    /// Tab-separated text.
    Tsv,
    /// An array of objects, or an object holding one.
    Json,
    /// One object per line (JSON Lines).
    Ndjson,
}

impl InputFormat {
    /// The format an extension implies: `.csv` and `.txt` (delimiter sniffed),
    /// `.tsv`, `.json`, `.jsonl` and `.ndjson`, in any case.
    pub fn from_path(path: &Path) -> Option<InputFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(InputFormat::Csv),
            "tsv" | "tab" => Some(InputFormat::Tsv),
            "json" => Some(InputFormat::Json),
            "jsonl" | "ndjson" => Some(InputFormat::Ndjson),
            _ => None,
        }
    }

    /// Parses a format name as given to `--input-format`.
    pub fn from_name(name: &str) -> Option<InputFormat> {
        match name.to_ascii_lowercase().as_str() {
            "csv" | "txt" => Some(InputFormat::Csv),
            "tsv" => Some(InputFormat::Tsv),
            "json" => Some(InputFormat::Json),
            "ndjson" | "jsonl" => Some(InputFormat::Ndjson),
            _ => None,
        }
    }
}

/// The character encoding of an input. Whatever it says, a byte-order mark
/// at the start of the input decides (UTF-8, UTF-16LE, UTF-16BE), as the
/// WHATWG Encoding Standard has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8 (unless a UTF-16 byte-order mark says otherwise); a byte-order
    /// mark is skipped, invalid bytes are row errors.
    #[default]
    Utf8,
    /// Any other encoding of the WHATWG Encoding Standard, decoded to UTF-8
    /// as the input is read (encoding_rs); bytes that are not text in it
    /// stop the input with an error naming the line.
    Other(&'static encoding_rs::Encoding),
}

impl Encoding {
    /// windows-1252, what Excel on Windows writes as "CSV".
    pub const WINDOWS_1252: Encoding = Encoding::Other(encoding_rs::WINDOWS_1252);

    /// The encoding a WHATWG label names (`utf-8`, `windows-1252`, `latin1`,
    /// `utf-16le`, `shift_jis`, …, in any case), or why there is none.
    pub fn for_label(label: &str) -> Result<Encoding, String> {
        match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
            Some(e) if e == encoding_rs::UTF_8 => Ok(Encoding::Utf8),
            // The "replacement" encoding decodes any input to one U+FFFD.
            Some(e) if e == encoding_rs::REPLACEMENT => Err(format!(
                "`{label}` names an encoding that is not decoded (it is unsafe on the web); \
                 convert the file to UTF-8"
            )),
            Some(e) => Ok(Encoding::Other(e)),
            None => Err(format!(
                "`{label}` is not an encoding label; for example utf-8, windows-1252, \
                 iso-8859-1, utf-16le, utf-16be, shift_jis, gbk"
            )),
        }
    }

    /// The encoding's name, as the Encoding Standard spells it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Other(e) => e.name(),
        }
    }
}

/// How to read an input.
#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// `None`: from the extension, else from the content.
    pub format: Option<InputFormat>,
    /// CSV delimiter; `None`: sniffed (see [`sniff_delimiter`]).
    pub delimiter: Option<u8>,
    pub encoding: Encoding,
    /// JSON: the key of the array holding the records (`a.b` for nested
    /// objects); `None`: the only key that holds an array of objects.
    pub records: Option<String>,
    /// Threads that opening the input may use: the first pass over a JSON
    /// Lines file collects its keys on this many (0 and 1: one).
    pub threads: usize,
    /// What files may be read.
    pub files: crate::files::Policy,
    /// CSV: the line the header starts on (1-based; the first row starting
    /// on or after it); rows above it are skipped. `None`: the first of the first [`HEADER_SEARCH_ROWS`] rows
    /// whose cells bind [`InputOptions::header_fields`], else the first.
    pub header_row: Option<u64>,
    /// CSV: the fields the header must hold columns for (a rule set's
    /// required fields), to find a header below a title.
    pub header_fields: Vec<FieldSpec>,
}

/// The rows a header is looked for in, from the top.
pub const HEADER_SEARCH_ROWS: usize = 20;
/// The bytes at the start of a CSV input the header is looked for in.
const HEADER_SEARCH_BYTES: usize = 64 * 1024;

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    Stdin,
    Path(PathBuf),
}

impl InputSource {
    /// `-` is standard input; anything else a path.
    pub fn from_arg(arg: &str) -> InputSource {
        if arg == "-" {
            InputSource::Stdin
        } else {
            InputSource::Path(PathBuf::from(arg))
        }
    }

    /// The name used in messages: the path as given, or `<stdin>`.
    pub fn name(&self) -> String {
        match self {
            InputSource::Stdin => "<stdin>".to_string(),
            InputSource::Path(p) => p.display().to_string(),
        }
    }
}

/// What is known about an input once its header (or first pass) is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// The name used in messages.
    pub name: String,
    pub format: InputFormat,
    /// The CSV delimiter in use (`None` for JSON).
    pub delimiter: Option<u8>,
    /// Column names: the CSV header cells as written (possibly empty or
    /// repeated), or the JSON records' top-level keys in first-seen order.
    pub columns: Vec<String>,
    /// The line of the CSV header, when rows above it were skipped (a title
    /// above the table, see [`InputOptions::header_fields`]).
    pub header_line: Option<u64>,
}

/// The name of column `index` (0-based) for messages: its header, or
/// `column N` (1-based) when the header cell is blank.
pub fn column_label(columns: &[String], index: usize) -> String {
    match columns.get(index) {
        Some(name) if !name.trim().is_empty() => name.clone(),
        _ => format!("column {}", index + 1),
    }
}

/// One row of an input. Readers fill a caller-owned `Record` in place, so a
/// read reuses the same buffers; a record borrows nothing from the reader.
///
/// A JSON record read with [`InputReader::read_deferred`] holds the record's
/// text until [`Record::prepare`] parses it (on whichever thread); until
/// then it reads as an empty object.
#[derive(Debug, Clone, Default)]
pub struct Record {
    line: u64,
    form: Form,
    /// CSV cells; unused for JSON.
    cells: Cells,
    /// The object of a JSON record.
    object: Box<JsonObject>,
    /// The text of a JSON record not parsed yet.
    pending: Vec<u8>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Form {
    #[default]
    Csv,
    Json,
    /// JSON text in `pending`, to parse.
    Pending,
}

/// The cells of a CSV record: their text, checked to be UTF-8 once, and
/// where each cell ends (every end is a character boundary). The text holds
/// the cells end to end, or, for a record read from a plain line, the line as
/// read: each cell but the last followed by the delimiter, no cell holding a
/// quote, a line break or the delimiter ([`Cells::separator`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells {
    text: String,
    /// The end of each cell in `text`; a cell starts where the previous ends,
    /// or one byte later after a separator.
    ends: Vec<usize>,
    /// The ASCII delimiter between cells in `text`, if any.
    separator: Option<u8>,
}

impl Cells {
    /// The number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `index`; `None` past the last cell.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.ends.get(previous)? + usize::from(self.separator.is_some()),
            None => 0,
        };
        self.text.get(start..end)
    }

    /// The cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// The text of the cells: end to end, or with the separator between them.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Where each cell ends in [`Cells::as_str`]; a cell starts where the
    /// previous one ends, or one byte later with a separator.
    pub fn ends(&self) -> &[usize] {
        &self.ends
    }

    /// The delimiter between the cells in [`Cells::as_str`], when the record
    /// was a plain line: then no cell holds a quote, a line break or this
    /// delimiter, and the text is the line as read.
    pub fn separator(&self) -> Option<u8> {
        self.separator
    }

    fn push(&mut self, cell: &str) {
        if let Some(d) = self.separator
            && !self.ends.is_empty()
        {
            self.text.push(char::from(d));
        }
        self.text.push_str(cell);
        self.ends.push(self.text.len());
    }

    /// The buffers, holding the last cells still, for a reader to refill.
    fn take_buffers(&mut self) -> (Vec<u8>, Vec<usize>) {
        self.separator = None;
        (
            std::mem::take(&mut self.text).into_bytes(),
            std::mem::take(&mut self.ends),
        )
    }

    /// Keeps `text` and `ends` (checked by the reader) as the cells, with
    /// `separator` between them.
    fn set(&mut self, text: String, ends: Vec<usize>, separator: Option<u8>) {
        self.text = text;
        self.ends = ends;
        self.separator = separator;
    }

    /// No cells, keeping the buffers (emptied) for the next record.
    fn clear_with(&mut self, mut bytes: Vec<u8>, mut ends: Vec<usize>) {
        bytes.clear();
        ends.clear();
        self.text = String::from_utf8(bytes).unwrap_or_default();
        self.ends = ends;
        self.separator = None;
    }
}

/// The cells of a [`Record`], by format.
#[derive(Debug, Clone, Copy)]
pub enum RecordData<'r> {
    /// CSV cells.
    Csv(&'r Cells),
    /// A JSON object.
    Json(&'r JsonObject),
}

impl Record {
    pub fn new() -> Self {
        Record::default()
    }

    /// A CSV-like record from cells (for tests and hand-made tasks).
    pub fn from_cells<S: AsRef<str>>(line: u64, cells: &[S]) -> Self {
        let mut rec = Record {
            line,
            ..Record::default()
        };
        for cell in cells {
            rec.cells.push(cell.as_ref());
        }
        rec
    }

    /// A JSON record from an object.
    pub fn from_json(line: u64, object: serde_json::Map<String, serde_json::Value>) -> Self {
        Record {
            line,
            form: Form::Json,
            object: Box::new(JsonObject::from_map(&object)),
            ..Record::default()
        }
    }

    /// The line where the row starts (1-based): the CSV line of the record's
    /// first character, or the line of the JSON element's opening brace.
    pub fn line(&self) -> u64 {
        self.line
    }

    pub fn data(&self) -> RecordData<'_> {
        match self.form {
            Form::Csv => RecordData::Csv(&self.cells),
            Form::Json | Form::Pending => RecordData::Json(&self.object),
        }
    }

    /// The number of cells (CSV) or keys (JSON).
    pub fn len(&self) -> usize {
        match self.form {
            Form::Csv => self.cells.len(),
            Form::Json | Form::Pending => self.object.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Cell `index` of a CSV record as text; `None` past the last cell or for
    /// a JSON record.
    pub fn cell_str(&self, index: usize) -> Option<&str> {
        match self.form {
            Form::Csv => self.cells.get(index),
            Form::Json | Form::Pending => None,
        }
    }

    /// Cell `index` of a CSV record as the bytes read (valid UTF-8, checked
    /// by the reader); `None` past the last cell or for a JSON record.
    pub fn cell_bytes(&self, index: usize) -> Option<&[u8]> {
        self.cell_str(index).map(str::as_bytes)
    }

    /// The object of a JSON record.
    pub fn json(&self) -> Option<&JsonObject> {
        match self.form {
            Form::Csv => None,
            Form::Json | Form::Pending => Some(&self.object),
        }
    }

    /// The value of column `index` as text, whatever the format: a CSV cell
    /// as is; a JSON string as is, other JSON values as JSON text, an absent
    /// key or null as `None`. For carrying input columns into outputs.
    pub fn text<'r>(&'r self, columns: &[String], index: usize) -> Option<Cow<'r, str>> {
        match self.form {
            Form::Csv => self.cell_str(index).map(Cow::Borrowed),
            Form::Json | Form::Pending => {
                self.object.get_hinted(columns.get(index)?, index)?.text()
            }
        }
    }

    /// Whether the record holds JSON text still to parse.
    pub fn is_pending(&self) -> bool {
        self.form == Form::Pending
    }

    /// Parses the text of a JSON record read with
    /// [`InputReader::read_deferred`]; `file` names the input in the error.
    /// Does nothing for any other record. On error the record is an empty
    /// object.
    pub fn prepare(&mut self, file: &str) -> Result<(), RowError> {
        if self.form != Form::Pending {
            return Ok(());
        }
        self.form = Form::Json;
        let bytes = std::mem::take(&mut self.pending);
        json::parse_record(&mut self.object, bytes, file, self.line)
    }

    /// The CSV buffers, for a reader to fill (see [`Cells::take_buffers`]).
    fn take_csv_buffers(&mut self) -> (Vec<u8>, Vec<usize>) {
        self.form = Form::Csv;
        self.cells.take_buffers()
    }

    /// An empty buffer for a reader to fill with the text of a JSON record,
    /// reusing the record's.
    fn take_json_buffer(&mut self) -> Vec<u8> {
        let text = self.object.take_buffer();
        let mut buf = if self.pending.capacity() > 0 {
            std::mem::take(&mut self.pending)
        } else {
            text
        };
        buf.clear();
        if buf.capacity() > 4 * 1024 * 1024 {
            buf = Vec::new();
        }
        buf
    }

    /// Holds `text`, the JSON record starting at `line`, to parse later.
    fn set_pending(&mut self, line: u64, text: Vec<u8>) {
        self.line = line;
        self.form = Form::Pending;
        self.object.clear();
        self.pending = text;
    }
}

/// A failure to read the next row.
#[derive(Debug)]
pub enum ReadError {
    /// This row is bad; the next [`InputReader::read`] goes on with the next.
    Row(RowError),
    /// Reading cannot go on; further reads return `Ok(false)`.
    Fatal(InputError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Row(e) => e.fmt(f),
            ReadError::Fatal(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads the records of one input, streaming.
pub struct InputReader {
    inner: Inner,
}

enum Inner {
    Csv(Box<CsvReader>),
    Json(Box<JsonReader>),
    Ndjson(Box<NdjsonReader>),
}

/// First bytes looked at to tell JSON from CSV.
const DETECT_BYTES: usize = 4096;

fn is_spreadsheet(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        ext.as_deref(),
        Some("xlsx" | "xlsm" | "xls" | "ods" | "numbers")
    )
}

/// The first non-whitespace byte.
fn first_byte(prefix: &[u8]) -> Option<u8> {
    prefix.iter().copied().find(|b| !b.is_ascii_whitespace())
}

/// A CSV reader whose header is the row `options` say: `--header-row`, or
/// the first of the first rows that binds the required fields (a title
/// above the table is skipped), found by reading ahead in a copy of the
/// start of the input.
fn csv_reader(
    name: &str,
    stream: Stream,
    format: InputFormat,
    options: &InputOptions,
) -> Result<CsvReader, InputError> {
    let skip = match options.header_row {
        Some(line) => {
            return CsvReader::new(name, stream, format, options.delimiter)
                .and_then(|r| r.skip_to_header(0, line));
        }
        None if options.header_fields.is_empty() => 0,
        None => {
            let (prefix, stream) = peek_up_to(stream, HEADER_SEARCH_BYTES);
            let binds = |columns: &[String]| {
                let info = SourceInfo {
                    name: name.to_string(),
                    format,
                    delimiter: None,
                    columns: columns.to_vec(),
                    header_line: None,
                };
                Binding::binds(&options.header_fields, &info)
            };
            let search = |delimiter: Option<u8>| {
                let ahead: Stream = Box::new(io::Cursor::new(prefix.clone()));
                CsvReader::new(name, ahead, format, delimiter)
                    .ok()
                    .and_then(|mut r| r.header_among(HEADER_SEARCH_ROWS, binds))
            };
            // The delimiter is sniffed over the title too; when no row binds
            // with it, each usual delimiter is tried.
            let mut found = search(options.delimiter).map(|k| (k, options.delimiter));
            if found.is_none() && options.delimiter.is_none() && format == InputFormat::Csv {
                found = [b',', b';', b'\t', b'|']
                    .into_iter()
                    .find_map(|d| search(Some(d)).map(|k| (k, Some(d))));
            }
            let (skip, delimiter) = found.unwrap_or((0, options.delimiter));
            return CsvReader::new(name, stream, format, delimiter)
                .and_then(|r| r.skip_to_header(skip, 0));
        }
    };
    CsvReader::new(name, stream, format, options.delimiter).and_then(|r| r.skip_to_header(skip, 0))
}

impl InputReader {
    /// Opens an input and reads its header (CSV) or runs its first pass
    /// (JSON). The format comes from `options`, else the extension, else the
    /// content (`[` or `{` first: JSON or NDJSON; otherwise CSV).
    pub fn open(source: &InputSource, options: &InputOptions) -> Result<InputReader, InputError> {
        let path = match source {
            InputSource::Stdin => {
                return InputReader::from_reader("<stdin>", Box::new(io::stdin()), options);
            }
            InputSource::Path(path) => path,
        };
        let name = source.name();
        if options.format.is_none() && is_spreadsheet(path) {
            let message = "spreadsheet workbooks are not read: export the sheet as CSV".to_string();
            return Err(InputError::new(
                &name,
                None,
                InputErrorKind::Unsupported(message),
            ));
        }
        let opened = crate::files::open(path, crate::files::Origin::Named, options.files)
            .map_err(|e| InputError::file(&name, e))?;
        let format = options.format.or_else(|| InputFormat::from_path(path));
        if opened.kind == crate::files::Kind::Pipe {
            // A pipe is read once: JSON from it is held in memory, as from
            // standard input.
            let options = InputOptions {
                format,
                ..options.clone()
            };
            return InputReader::from_reader(&name, Box::new(opened.file), &options);
        }
        let file = Arc::new(opened.file);
        let open = || -> Result<Stream, InputError> {
            let at = crate::files::At::new(Arc::clone(&file), 0, None);
            prepare(Box::new(at), options.encoding).map_err(|e| InputError::io(&name, e))
        };
        let reopen = || Reopen::File(Arc::clone(&file), options.encoding);
        let inner = match format {
            Some(f @ (InputFormat::Csv | InputFormat::Tsv)) => {
                Inner::Csv(Box::new(csv_reader(&name, open()?, f, options)?))
            }
            Some(InputFormat::Json) => Inner::Json(Box::new(JsonReader::open(
                &name,
                reopen(),
                options.records.as_deref(),
            )?)),
            Some(InputFormat::Ndjson) => Inner::Ndjson(Box::new(NdjsonReader::open(
                &name,
                reopen(),
                options.threads,
            )?)),
            None => {
                let (prefix, stream) = peek_up_to(open()?, DETECT_BYTES);
                match first_byte(&prefix) {
                    Some(b'[') => Inner::Json(Box::new(JsonReader::open(
                        &name,
                        reopen(),
                        options.records.as_deref(),
                    )?)),
                    Some(b'{') => {
                        if json::detect_object_stream(open()?) == InputFormat::Ndjson {
                            Inner::Ndjson(Box::new(NdjsonReader::open(
                                &name,
                                reopen(),
                                options.threads,
                            )?))
                        } else {
                            Inner::Json(Box::new(JsonReader::open(
                                &name,
                                reopen(),
                                options.records.as_deref(),
                            )?))
                        }
                    }
                    _ => Inner::Csv(Box::new(csv_reader(
                        &name,
                        stream,
                        InputFormat::Csv,
                        options,
                    )?)),
                }
            }
        };
        Ok(InputReader { inner })
    }

    /// Reads from any byte stream, named `name` in messages. CSV is streamed;
    /// JSON and NDJSON are read into memory first (at most
    /// [`MAX_STDIN_JSON_BYTES`]) because they are read twice.
    pub fn from_reader(
        name: &str,
        reader: Box<dyn Read + Send>,
        options: &InputOptions,
    ) -> Result<InputReader, InputError> {
        let stream = prepare(reader, options.encoding).map_err(|e| InputError::io(name, e))?;
        let (prefix, stream) = peek_up_to(stream, DETECT_BYTES);
        let format = match options.format {
            Some(f) => f,
            None if matches!(first_byte(&prefix), Some(b'[' | b'{')) => InputFormat::Json,
            None => InputFormat::Csv,
        };
        let mut stream = stream;
        let inner = match format {
            InputFormat::Csv | InputFormat::Tsv => {
                Inner::Csv(Box::new(csv_reader(name, stream, format, options)?))
            }
            InputFormat::Json | InputFormat::Ndjson => {
                let bytes = match read_all_bounded(&mut stream, MAX_STDIN_JSON_BYTES) {
                    Ok(Some(bytes)) => Arc::<[u8]>::from(bytes),
                    Ok(None) => {
                        let message = format!(
                            "JSON on standard input is limited to {} MiB; pass the file's path instead",
                            MAX_STDIN_JSON_BYTES >> 20
                        );
                        return Err(InputError::new(
                            name,
                            None,
                            InputErrorKind::TooLarge(message),
                        ));
                    }
                    Err(e) => return Err(InputError::io(name, e)),
                };
                let format = match (options.format, first_byte(&bytes)) {
                    (None, Some(b'{')) => json::detect_object_stream(bytes.as_ref()),
                    _ => format,
                };
                let source = Reopen::Memory(bytes);
                if format == InputFormat::Ndjson {
                    Inner::Ndjson(Box::new(NdjsonReader::open(name, source, options.threads)?))
                } else {
                    Inner::Json(Box::new(JsonReader::open(
                        name,
                        source,
                        options.records.as_deref(),
                    )?))
                }
            }
        };
        Ok(InputReader { inner })
    }

    /// Reads from bytes in memory (see [`InputReader::from_reader`]).
    pub fn from_bytes(
        name: &str,
        bytes: Vec<u8>,
        options: &InputOptions,
    ) -> Result<InputReader, InputError> {
        InputReader::from_reader(name, Box::new(io::Cursor::new(bytes)), options)
    }

    pub fn info(&self) -> &SourceInfo {
        match &self.inner {
            Inner::Csv(r) => r.info(),
            Inner::Json(r) => r.info(),
            Inner::Ndjson(r) => r.info(),
        }
    }

    /// The column names (see [`SourceInfo::columns`]).
    pub fn columns(&self) -> &[String] {
        &self.info().columns
    }

    /// Reads the next row into `rec`. `Ok(false)` at the end of the input. A
    /// [`ReadError::Row`] leaves `rec` unspecified and reading can go on.
    pub fn read(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        let more = self.read_deferred(rec)?;
        if more && rec.is_pending() {
            let name = &self.info().name;
            rec.prepare(name).map_err(ReadError::Row)?;
        }
        Ok(more)
    }

    /// Whether the bytes read from the input so far hold no further whole
    /// line of CSV, TSV or NDJSON, so that the next row reads more of the
    /// input first (always false for a JSON array). A batch of rows that
    /// ends here leaves that read, and the bytes it brings into a core's
    /// cache, to whichever thread reads the next batch.
    pub fn at_fill(&mut self) -> bool {
        match &mut self.inner {
            Inner::Csv(r) => r.at_fill(),
            Inner::Ndjson(r) => r.at_fill(),
            Inner::Json(_) => false,
        }
    }

    /// For CSV and TSV: takes the whole rows in the bytes read (reading
    /// more of the input first when no whole line is left), as a [`Chunk`]
    /// to read them from (with the buffer and parser in `spare`), where they can be cut without
    /// parsing them (see the reader's rules: no CR, quotes only around
    /// cells). The rows, their lines and errors are the ones this reader
    /// would have read, and it goes on after them. `None`, with nothing
    /// taken, for JSON and wherever the rows cannot be cut: read them one
    /// by one. Lets several threads take turns reading an input while each
    /// parses its own rows.
    pub fn take_chunk(&mut self, spare: &mut ChunkSpare) -> Result<Option<Chunk>, ReadError> {
        match &mut self.inner {
            Inner::Csv(r) => Ok(r.take_chunk(&mut spare.0)?.map(|reader| Chunk { reader })),
            Inner::Json(_) | Inner::Ndjson(_) => Ok(None),
        }
    }

    /// Like [`InputReader::read`], but a JSON record is only cut out of the
    /// input: [`Record::prepare`] must parse it before it is read (errors in
    /// its text come from there). Lets another thread do the parsing.
    pub fn read_deferred(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        match &mut self.inner {
            Inner::Csv(r) => r.read(rec),
            Inner::Json(r) => r.read(rec),
            Inner::Ndjson(r) => r.read(rec),
        }
    }
}

/// Rows taken from an input by [`InputReader::take_chunk`].
pub struct Chunk {
    reader: CsvReader,
}

impl Chunk {
    /// Reads the next row of the chunk, as [`InputReader::read`] does.
    pub fn read(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        self.reader.read(rec)
    }

    /// What the next [`InputReader::take_chunk`] on this thread reuses.
    pub fn into_spare(self) -> ChunkSpare {
        ChunkSpare(self.reader.into_spare())
    }
}

/// A buffer and a parser kept from one [`Chunk`] to the next, by the
/// thread that reads them.
#[derive(Default)]
pub struct ChunkSpare(delimited::Spare);

impl Iterator for InputReader {
    type Item = Result<Record, ReadError>;

    /// Each row as a new record; prefer [`InputReader::read`], which reuses one.
    fn next(&mut self) -> Option<Self::Item> {
        let mut rec = Record::new();
        match self.read(&mut rec) {
            Ok(true) => Some(Ok(rec)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// For tests of where a reader reads more of its input.
#[cfg(test)]
pub(crate) mod counting {
    use super::Record;
    use std::io::{self, BufRead, Cursor, Read};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stream over `bytes` that counts the reads made from it.
    pub(crate) struct Counted {
        inner: Cursor<Vec<u8>>,
        reads: Arc<AtomicUsize>,
    }

    impl Counted {
        pub(crate) fn new(bytes: Vec<u8>) -> (Counted, Arc<AtomicUsize>) {
            let reads = Arc::new(AtomicUsize::new(0));
            let counted = Counted {
                inner: Cursor::new(bytes),
                reads: Arc::clone(&reads),
            };
            (counted, reads)
        }
    }

    impl Read for Counted {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.inner.read(out)
        }
    }

    impl BufRead for Counted {
        fn fill_buf(&mut self) -> io::Result<&[u8]> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.inner.fill_buf()
        }
        fn consume(&mut self, n: usize) {
            self.inner.consume(n);
        }
    }

    /// Reads every row of `reader`, asking `at_fill` before each, and
    /// asserts that whenever it says so the row reads from the input.
    /// Returns the rows and how many times `at_fill` said so.
    pub(crate) fn rows_and_fills<R>(
        reads: &AtomicUsize,
        reader: &mut R,
        at_fill: fn(&mut R) -> bool,
        read: fn(&mut R, &mut Record) -> bool,
    ) -> (usize, usize) {
        let mut rec = Record::new();
        let (mut rows, mut said) = (0, 0);
        loop {
            let fill = at_fill(reader);
            let before = reads.load(Ordering::Relaxed);
            if !read(reader, &mut rec) {
                return (rows, said);
            }
            rows += 1;
            if fill {
                said += 1;
                assert!(
                    reads.load(Ordering::Relaxed) > before,
                    "row {rows}: no read after at_fill"
                );
            }
        }
    }
}
