//! JSON and NDJSON reading: a streaming byte scanner finds the records; each
//! is parsed into a [`JsonObject`] when it is used.
//!
//! A JSON document is never deserialized whole. [`Scanner`] walks the bytes of
//! a `BufRead` — aware of strings, escapes and brackets, counting lines and
//! nesting depth — to find the array of records and cut out each element. An
//! NDJSON record is a line. Only the text of a record is kept, at most
//! [`MAX_ELEMENT_BYTES`]; [`Record::prepare`] parses it (see
//! [`parse_record`]), on whichever thread evaluates the row.
//!
//! The columns (top-level keys, in first-seen order) must be known before any
//! row is written, so a JSON input is read twice: a first pass checks the
//! structure, resolves which array holds the records and collects the keys; a
//! second pass yields the records. A file is opened once and each pass
//! reads it at its own offsets ([`At`]); standard input and pipes are first
//! read into memory (at most [`MAX_STDIN_JSON_BYTES`]). The
//! first pass over NDJSON reads each line in place in the read buffer and
//! only looks at the keys ([`LineKeys`]).
//!
//! `scan` holds the scanner of JSON documents and the first pass over
//! them; `lines` the reading of JSON Lines and its first pass, on several
//! threads for a big file.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::sync::Arc;

use crate::files::At;

use serde_json::{Map, Value as Json};

use super::error::{InputError, InputErrorKind, RowError};
use super::object::{JsonObject, plain_run, same};
use super::stream::{Stream, prepare};
use super::{
    Encoding, InputFormat, MAX_CELLS, MAX_ELEMENT_BYTES, MAX_JSON_DEPTH, ReadError, Record,
    SourceInfo,
};

/// Standard input read as JSON is held in memory up to this size.
pub const MAX_STDIN_JSON_BYTES: usize = 512 * 1024 * 1024;
/// Longest object key.
const MAX_KEY_BYTES: usize = 1024 * 1024;
/// Memory allowed for the distinct keys collected by the first pass.
const KEY_BUDGET: usize = 64 * 1024 * 1024;
/// A JSON Lines input smaller than this is read by one thread in the first
/// pass, however many it may use.
const PIECES_MIN_BYTES: u64 = 4 * 1024 * 1024;

/// Where a JSON input can be read from, as often as needed.
pub(crate) enum Reopen {
    /// A regular file opened once, read from the start for each pass and
    /// decoded as given.
    File(Arc<File>, Encoding),
    /// Bytes already decoded to UTF-8 (standard input, or bytes handed over).
    Memory(Arc<[u8]>),
}

struct Shared(Arc<[u8]>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Reopen {
    pub(crate) fn open(&self) -> io::Result<Stream> {
        match self {
            Reopen::File(file, encoding) => {
                prepare(Box::new(At::new(Arc::clone(file), 0, None)), *encoding)
            }
            Reopen::Memory(bytes) => Ok(Box::new(Cursor::new(Shared(Arc::clone(bytes))))),
        }
    }
}

mod lines;
mod scan;
#[cfg(test)]
mod tests;

pub(crate) use lines::NdjsonReader;
use scan::*;

/// Tells a JSON document from JSON Lines in a stream starting with `{`: more
/// than one value means one object per line.
pub(crate) fn detect_object_stream<R: BufRead>(reader: R) -> InputFormat {
    let mut sc = Scanner::new(reader);
    let more =
        sc.skip_ws().is_ok() && sc.skip_value().is_ok() && matches!(sc.skip_ws(), Ok(Some(_)));
    if more {
        InputFormat::Ndjson
    } else {
        InputFormat::Json
    }
}

/// Reads the records of a JSON document.
pub(crate) struct JsonReader {
    info: SourceInfo,
    scanner: Scanner<Stream>,
    first: bool,
    done: bool,
    capture: Capture,
}

impl JsonReader {
    /// Runs the first pass and opens the second. `records` names the key
    /// holding the records; a dotted `a.b` reaches into nested objects when no
    /// top-level key has that exact name.
    pub(crate) fn open(
        name: &str,
        source: Reopen,
        records: Option<&str>,
    ) -> Result<Self, InputError> {
        let pass1 = |path: Option<&[String]>| -> Result<Layout, InputError> {
            let stream = source.open().map_err(|e| InputError::io(name, e))?;
            scan_layout(&mut Scanner::new(stream), path).map_err(|e| e.into_input(name))
        };
        let layout = match records {
            None => pass1(None)?,
            Some(key) => {
                let whole = [key.to_string()];
                match pass1(Some(&whole)) {
                    Err(InputError {
                        kind: InputErrorKind::RecordsNotFound { .. },
                        ..
                    }) if key.contains('.') => {
                        let parts: Vec<String> = key.split('.').map(str::to_string).collect();
                        pass1(Some(&parts))?
                    }
                    other => other?,
                }
            }
        };
        let stream = source.open().map_err(|e| InputError::io(name, e))?;
        let mut scanner = Scanner::new(stream);
        let ready = (|| -> Result<bool, ScanError> {
            scanner.skip_ws()?;
            if layout.path.is_empty() {
                scanner.open(&mut Capture::off())?;
                Ok(true)
            } else {
                scanner.seek_records(&layout.path)
            }
        })()
        .map_err(|e| e.into_input(name))?;
        if !ready {
            let message = "the file changed while it was read".to_string();
            return Err(InputError::new(name, None, InputErrorKind::Syntax(message)));
        }
        Ok(JsonReader {
            info: SourceInfo {
                name: name.to_string(),
                format: InputFormat::Json,
                delimiter: None,
                columns: layout.columns,
                header_line: None,
            },
            scanner,
            first: true,
            done: false,
            capture: Capture::off(),
        })
    }

    pub(crate) fn info(&self) -> &SourceInfo {
        &self.info
    }

    pub(crate) fn read(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        if self.done {
            return Ok(false);
        }
        let name = &self.info.name;
        let fatal = |e: ScanError| ReadError::Fatal(e.into_input(name));
        let line = match self.scanner.next_element(&mut self.first) {
            Ok(Some(line)) => line,
            Ok(None) => {
                self.done = true;
                return Ok(false);
            }
            Err(e) => {
                self.done = true;
                return Err(fatal(e));
            }
        };
        self.capture.buf = rec.take_json_buffer();
        self.capture.start(MAX_ELEMENT_BYTES);
        if let Err(e) = self.scanner.value(&mut self.capture) {
            self.done = true;
            return Err(fatal(e));
        }
        if self.capture.overflow {
            let message = format!("the element is larger than {} MiB", MAX_ELEMENT_BYTES >> 20);
            return Err(ReadError::Row(RowError::new(name, line, message)));
        }
        rec.set_pending(line, std::mem::take(&mut self.capture.buf));
        Ok(true)
    }
}

/// Parses one record's text, which starts at `line`, into `object`: with
/// [`JsonObject::parse`], or, when that finds the text invalid, with
/// `serde_json`, whose message the error carries.
pub(crate) fn parse_record(
    object: &mut JsonObject,
    bytes: Vec<u8>,
    file: &str,
    line: u64,
) -> Result<(), RowError> {
    let first = bytes.iter().copied().find(|&b| !is_ws(b)).unwrap_or(b'n');
    if first != b'{' {
        object.clear();
        return Err(RowError::new(
            file,
            line,
            format!("the record is {}, not an object", kind_of(first)),
        ));
    }
    let parsed = match String::from_utf8(bytes) {
        Ok(text) => {
            if object.parse(text).is_ok() {
                return Ok(());
            }
            serde_json::from_slice::<Map<String, Json>>(object.as_str().as_bytes())
        }
        Err(e) => serde_json::from_slice::<Map<String, Json>>(e.as_bytes()),
    };
    match parsed {
        // Not expected: the parser rejects only what serde_json rejects.
        Ok(map) => {
            *object = JsonObject::from_map(&map);
            Ok(())
        }
        Err(e) => {
            object.clear();
            let text = e.to_string();
            let message = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(m, _)| m);
            let at = line + (e.line() as u64).saturating_sub(1);
            Err(RowError::new(file, at, format!("invalid JSON: {message}")))
        }
    }
}
