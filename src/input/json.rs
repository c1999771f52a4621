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

/// An error of the scanner: I/O, or a problem at a line.
pub(crate) enum ScanError {
    Io(io::Error),
    At {
        line: Option<u64>,
        kind: InputErrorKind,
    },
}

impl ScanError {
    fn syntax(line: u64, message: impl Into<String>) -> Self {
        ScanError::At {
            line: Some(line),
            kind: InputErrorKind::Syntax(message.into()),
        }
    }

    pub(crate) fn into_input(self, file: &str) -> InputError {
        match self {
            ScanError::Io(e) => InputError::io(file, e),
            ScanError::At { line, kind } => InputError::new(file, line, kind),
        }
    }
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

/// Where the bytes a scan goes over are copied, up to a limit.
pub(crate) struct Capture {
    buf: Vec<u8>,
    limit: usize,
    active: bool,
    overflow: bool,
}

impl Capture {
    /// A capture that keeps nothing.
    fn off() -> Self {
        Capture {
            buf: Vec::new(),
            limit: 0,
            active: false,
            overflow: false,
        }
    }

    fn start(&mut self, limit: usize) {
        self.buf.clear();
        if self.buf.capacity() > 4 * 1024 * 1024 {
            self.buf = Vec::new();
        }
        self.limit = limit;
        self.active = true;
        self.overflow = false;
    }

    fn push(&mut self, bytes: &[u8]) {
        if !self.active || self.overflow {
            return;
        }
        if self.buf.len() + bytes.len() > self.limit {
            self.overflow = true;
            self.buf = Vec::new();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What a value starting with this byte is, for messages.
fn kind_of(first: u8) -> &'static str {
    match first {
        b'{' => "an object",
        b'[' => "an array",
        b'"' => "a string",
        b't' | b'f' => "a bool",
        b'n' => "null",
        _ => "a number",
    }
}

/// A byte-level JSON scanner over a `BufRead` that tracks line numbers and
/// nesting depth. It checks brackets and strings, not the full grammar (each
/// record's own text is checked by `serde_json`).
pub(crate) struct Scanner<R> {
    inner: R,
    /// The line of the next byte.
    line: u64,
    /// Objects and arrays open at the current position.
    depth: usize,
    /// Memory left for collected keys.
    budget: usize,
}

impl<R: BufRead> Scanner<R> {
    pub(crate) fn new(inner: R) -> Self {
        Scanner {
            inner,
            line: 1,
            depth: 0,
            budget: KEY_BUDGET,
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.inner.fill_buf()?.first().copied())
    }

    /// Consumes one byte.
    fn bump(&mut self, cap: &mut Capture) -> io::Result<Option<u8>> {
        let b = self.peek()?;
        if let Some(b) = b {
            cap.push(&[b]);
            if b == b'\n' {
                self.line += 1;
            }
            self.inner.consume(1);
        }
        Ok(b)
    }

    /// Consumes bytes up to the first one for which `stop` holds, which it
    /// returns without consuming (`None` at the end), with the count consumed.
    fn advance_until(
        &mut self,
        cap: &mut Capture,
        stop: impl Fn(u8) -> bool,
    ) -> io::Result<(usize, Option<u8>)> {
        let mut count = 0;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Ok((count, None));
            }
            let pos = buf.iter().position(|&b| stop(b));
            let n = pos.unwrap_or(buf.len());
            let part = buf.get(..n).unwrap_or(buf);
            self.line += part.iter().filter(|&&b| b == b'\n').count() as u64;
            cap.push(part);
            let found = pos.and_then(|p| buf.get(p).copied());
            self.inner.consume(n);
            count += n;
            if found.is_some() {
                return Ok((count, found));
            }
        }
    }

    /// Skips whitespace and returns the next byte, not consumed.
    fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        Ok(self.advance_until(&mut Capture::off(), |b| !is_ws(b))?.1)
    }

    fn found(b: Option<u8>) -> String {
        match b {
            None => "the end of the input".to_string(),
            Some(b) if b.is_ascii_graphic() => format!("`{}`", char::from(b)),
            Some(b) => format!("byte 0x{b:02X}"),
        }
    }

    /// Consumes a string; the next byte must be its opening quote.
    fn string(&mut self, cap: &mut Capture) -> Result<(), ScanError> {
        let start = self.line;
        self.bump(cap)?;
        loop {
            match self.advance_until(cap, |b| b == b'"' || b == b'\\')?.1 {
                Some(b'\\') => {
                    self.bump(cap)?;
                    if self.bump(cap)?.is_none() {
                        return Err(ScanError::syntax(start, "a string is not closed"));
                    }
                }
                Some(_) => {
                    self.bump(cap)?;
                    return Ok(());
                }
                None => return Err(ScanError::syntax(start, "a string is not closed")),
            }
        }
    }

    /// Consumes `{` or `[`, one level deeper.
    fn open(&mut self, cap: &mut Capture) -> Result<(), ScanError> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(ScanError::At {
                line: Some(self.line),
                kind: InputErrorKind::TooDeep,
            });
        }
        self.depth += 1;
        self.bump(cap)?;
        Ok(())
    }

    /// Consumes one value of any kind; the next byte must be its first.
    pub(crate) fn value(&mut self, cap: &mut Capture) -> Result<(), ScanError> {
        let start = self.line;
        match self.peek()? {
            Some(b'"') => self.string(cap),
            Some(b'{' | b'[') => {
                let mut stack: Vec<u8> = Vec::new();
                loop {
                    let next = self
                        .advance_until(cap, |b| matches!(b, b'"' | b'{' | b'[' | b'}' | b']'))?
                        .1;
                    match next {
                        None => {
                            let what = if stack.first() == Some(&b'[') {
                                "an array"
                            } else {
                                "an object"
                            };
                            return Err(ScanError::syntax(
                                start,
                                format!("{what} starting here is not closed"),
                            ));
                        }
                        Some(b'"') => self.string(cap)?,
                        Some(open @ (b'{' | b'[')) => {
                            self.open(cap)?;
                            stack.push(open);
                        }
                        Some(close) => {
                            let expected = if stack.pop() == Some(b'[') {
                                b']'
                            } else {
                                b'}'
                            };
                            if close != expected {
                                let message = format!(
                                    "expected `{}` but found `{}`",
                                    char::from(expected),
                                    char::from(close)
                                );
                                return Err(ScanError::syntax(self.line, message));
                            }
                            self.depth = self.depth.saturating_sub(1);
                            self.bump(cap)?;
                            if stack.is_empty() {
                                return Ok(());
                            }
                        }
                    }
                }
            }
            other => {
                let stop =
                    |b: u8| is_ws(b) || matches!(b, b',' | b':' | b'"' | b'{' | b'[' | b'}' | b']');
                let (count, _) = self.advance_until(cap, stop)?;
                if count == 0 {
                    return Err(ScanError::syntax(
                        start,
                        format!("expected a value, found {}", Self::found(other)),
                    ));
                }
                Ok(())
            }
        }
    }

    fn skip_value(&mut self) -> Result<(), ScanError> {
        self.value(&mut Capture::off())
    }

    /// Skips whitespace, then consumes `want`.
    fn expect(&mut self, want: u8) -> Result<(), ScanError> {
        let b = self.skip_ws()?;
        if b != Some(want) {
            let message = format!("expected `{}`, found {}", char::from(want), Self::found(b));
            return Err(ScanError::syntax(self.line, message));
        }
        self.bump(&mut Capture::off())?;
        Ok(())
    }

    /// Reads an object key; the next byte must be its opening quote.
    fn key(&mut self) -> Result<String, ScanError> {
        let line = self.line;
        let mut cap = Capture::off();
        cap.start(MAX_KEY_BYTES);
        self.string(&mut cap)?;
        if cap.overflow {
            let message = format!("an object key is longer than {} MiB", MAX_KEY_BYTES >> 20);
            return Err(ScanError::At {
                line: Some(line),
                kind: InputErrorKind::TooLarge(message),
            });
        }
        let raw = cap
            .buf
            .get(1..cap.buf.len().saturating_sub(1))
            .unwrap_or(&[]);
        if !raw.contains(&b'\\') {
            return Ok(String::from_utf8_lossy(raw).into_owned());
        }
        Ok(serde_json::from_slice::<String>(&cap.buf)
            .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()))
    }

    /// Steps through an object opened with [`Scanner::open`]: returns the next
    /// key with the scanner at the start of its value, or `None` once the
    /// closing brace is consumed.
    fn next_key(&mut self, first: &mut bool) -> Result<Option<String>, ScanError> {
        let mut b = self.skip_ws()?;
        if b.is_none() {
            return Err(ScanError::syntax(
                self.line,
                "the input ends inside an object (is the file cut short?)",
            ));
        }
        if !*first || b == Some(b'}') {
            match b {
                Some(b'}') => {
                    self.bump(&mut Capture::off())?;
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(None);
                }
                Some(b',') if !*first => {
                    self.bump(&mut Capture::off())?;
                    b = self.skip_ws()?;
                }
                other => {
                    let message = format!(
                        "expected `,` or `}}` in an object, found {}",
                        Self::found(other)
                    );
                    return Err(ScanError::syntax(self.line, message));
                }
            }
        }
        *first = false;
        if b != Some(b'"') {
            let message = format!("expected a key in quotes, found {}", Self::found(b));
            return Err(ScanError::syntax(self.line, message));
        }
        let key = self.key()?;
        self.expect(b':')?;
        self.skip_ws()?;
        Ok(Some(key))
    }

    /// Steps through an array opened with [`Scanner::open`]: returns the line
    /// of the next element with the scanner at its first byte, or `None` once
    /// the closing bracket is consumed.
    fn next_element(&mut self, first: &mut bool) -> Result<Option<u64>, ScanError> {
        let b = self.skip_ws()?;
        if b == Some(b']') {
            self.bump(&mut Capture::off())?;
            self.depth = self.depth.saturating_sub(1);
            return Ok(None);
        }
        if b.is_none() {
            return Err(ScanError::syntax(
                self.line,
                "the input ends inside an array (is the file cut short?)",
            ));
        }
        if !*first {
            if b != Some(b',') {
                let message = format!("expected `,` or `]` in an array, found {}", Self::found(b));
                return Err(ScanError::syntax(self.line, message));
            }
            self.bump(&mut Capture::off())?;
            self.skip_ws()?;
        }
        *first = false;
        Ok(Some(self.line))
    }

    /// Collects the keys of the object that comes next.
    fn collect_keys(&mut self, set: &mut KeySet) -> Result<(), ScanError> {
        self.open(&mut Capture::off())?;
        let mut first = true;
        while let Some(key) = self.next_key(&mut first)? {
            let line = self.line;
            set.insert(key, &mut self.budget)
                .map_err(|kind| ScanError::At {
                    line: Some(line),
                    kind,
                })?;
            self.skip_value()?;
        }
        Ok(())
    }

    /// Goes through the array that comes next, collecting the keys of its
    /// objects. Returns the number of elements and of objects among them.
    fn collect_array(&mut self, set: &mut KeySet) -> Result<(usize, usize), ScanError> {
        self.open(&mut Capture::off())?;
        let mut first = true;
        let (mut elements, mut objects) = (0, 0);
        while self.next_element(&mut first)?.is_some() {
            elements += 1;
            if self.peek()? == Some(b'{') {
                objects += 1;
                self.collect_keys(set)?;
            } else {
                self.skip_value()?;
            }
        }
        Ok((elements, objects))
    }

    /// Inside the object that comes next, looks for the array at `path`
    /// (keys, outermost first) and collects its keys. Top-level keys are
    /// listed in `seen` when given.
    fn find_records(
        &mut self,
        path: &[String],
        set: &mut KeySet,
        mut seen: Option<&mut Vec<String>>,
    ) -> Result<bool, ScanError> {
        self.open(&mut Capture::off())?;
        let mut first = true;
        let mut found = false;
        while let Some(key) = self.next_key(&mut first)? {
            if let Some(seen) = seen.as_deref_mut()
                && seen.len() < 50
            {
                seen.push(key.clone());
            }
            let next = self.peek()?;
            match path.split_first() {
                Some((head, rest)) if !found && *head == key => {
                    if rest.is_empty() && next == Some(b'[') {
                        self.collect_array(set)?;
                        found = true;
                    } else if !rest.is_empty() && next == Some(b'{') {
                        found = self.find_records(rest, set, None)?;
                    } else {
                        self.skip_value()?;
                    }
                }
                _ => self.skip_value()?,
            }
        }
        Ok(found)
    }

    /// Inside the object that comes next, moves to just inside the array at
    /// `path`. Returns false (the object consumed) if there is none.
    fn seek_records(&mut self, path: &[String]) -> Result<bool, ScanError> {
        self.open(&mut Capture::off())?;
        let mut first = true;
        while let Some(key) = self.next_key(&mut first)? {
            let next = self.peek()?;
            match path.split_first() {
                Some((head, rest)) if *head == key => {
                    if rest.is_empty() && next == Some(b'[') {
                        self.open(&mut Capture::off())?;
                        return Ok(true);
                    } else if !rest.is_empty() && next == Some(b'{') {
                        if self.seek_records(rest)? {
                            return Ok(true);
                        }
                    } else {
                        self.skip_value()?;
                    }
                }
                _ => self.skip_value()?,
            }
        }
        Ok(false)
    }
}

/// Distinct keys in first-seen order.
#[derive(Default)]
struct KeySet {
    names: Vec<String>,
    seen: HashSet<String>,
}

impl KeySet {
    fn insert(&mut self, key: String, budget: &mut usize) -> Result<(), InputErrorKind> {
        if self.seen.contains(&key) {
            return Ok(());
        }
        if self.names.len() >= MAX_CELLS {
            return Err(InputErrorKind::TooManyColumns);
        }
        let cost = 2 * key.len() + 64;
        if *budget < cost {
            let message = format!(
                "the records have more than {} MiB of distinct keys",
                KEY_BUDGET >> 20
            );
            return Err(InputErrorKind::TooLarge(message));
        }
        *budget -= cost;
        self.seen.insert(key.clone());
        self.names.push(key);
        Ok(())
    }
}

/// What the first pass found: where the records are and their keys.
struct Layout {
    /// Keys leading to the array of records; empty for a top-level array.
    path: Vec<String>,
    columns: Vec<String>,
}

/// The first pass over a JSON document.
fn scan_layout<R: BufRead>(
    sc: &mut Scanner<R>,
    records: Option<&[String]>,
) -> Result<Layout, ScanError> {
    let mut set = KeySet::default();
    // Errors about what the document holds (as opposed to how it is written)
    // wait until the end is checked: a JSON Lines file read as JSON should
    // be told so.
    let layout: Result<Layout, InputErrorKind> = match (sc.skip_ws()?, records) {
        (None, _) => {
            return Err(ScanError::At {
                line: None,
                kind: InputErrorKind::Syntax(
                    "the file is empty; expected an array of objects".to_string(),
                ),
            });
        }
        (Some(b'['), None) => {
            sc.collect_array(&mut set)?;
            Ok(Layout {
                path: Vec::new(),
                columns: set.names,
            })
        }
        (Some(b'['), Some(_)) => {
            let message =
                "the document is an array: --records applies to an object that holds the records";
            return Err(ScanError::At {
                line: None,
                kind: InputErrorKind::Unsupported(message.to_string()),
            });
        }
        (Some(b'{'), Some(path)) => {
            let mut seen = Vec::new();
            if sc.find_records(path, &mut set, Some(&mut seen))? {
                Ok(Layout {
                    path: path.to_vec(),
                    columns: set.names,
                })
            } else {
                Err(InputErrorKind::RecordsNotFound {
                    key: path.join("."),
                    keys: seen,
                })
            }
        }
        (Some(b'{'), None) => auto_records(sc)?,
        (other, _) => {
            let message = format!(
                "expected an array of objects or an object holding one, found {}",
                Scanner::<R>::found(other)
            );
            return Err(ScanError::syntax(sc.line, message));
        }
    };
    let after = sc.skip_ws()?;
    if let Some(b) = after {
        let hint = if b == b'{' {
            "; for one object per line, use --input-format ndjson"
        } else {
            ""
        };
        let message = format!(
            "unexpected {} after the JSON document{hint}",
            Scanner::<R>::found(Some(b))
        );
        return Err(ScanError::syntax(sc.line, message));
    }
    layout.map_err(|kind| ScanError::At { line: None, kind })
}

/// Finds the one top-level key of an object that holds an array of objects.
fn auto_records<R: BufRead>(
    sc: &mut Scanner<R>,
) -> Result<Result<Layout, InputErrorKind>, ScanError> {
    sc.open(&mut Capture::off())?;
    let mut first = true;
    let mut candidates: Vec<(String, KeySet)> = Vec::new();
    let mut empty_arrays: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    while let Some(key) = sc.next_key(&mut first)? {
        let fresh = seen.len() < MAX_CELLS && seen.insert(key.clone());
        if fresh && sc.peek()? == Some(b'[') {
            let mut set = KeySet::default();
            let (elements, objects) = sc.collect_array(&mut set)?;
            if objects > 0 {
                candidates.push((key, set));
            } else if elements == 0 {
                empty_arrays.push(key);
            }
        } else {
            sc.skip_value()?;
        }
    }
    if candidates.len() > 1 {
        let keys = candidates.into_iter().map(|(k, _)| k).collect();
        return Ok(Err(InputErrorKind::AmbiguousRecords(keys)));
    }
    if let Some((key, set)) = candidates.pop() {
        return Ok(Ok(Layout {
            path: vec![key],
            columns: set.names,
        }));
    }
    Ok(match empty_arrays.pop() {
        Some(key) if empty_arrays.is_empty() => Ok(Layout {
            path: vec![key],
            columns: Vec::new(),
        }),
        _ => Err(InputErrorKind::NoRecords),
    })
}

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

/// Reads a line of at most `limit` bytes into `buf` (a longer line is
/// consumed but not kept). `None` at the end; `Some(true)` for a line that was
/// too long.
fn read_line_bounded<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    let mut too_long = false;
    loop {
        let avail = reader.fill_buf()?;
        if avail.is_empty() {
            return Ok(if any { Some(too_long) } else { None });
        }
        any = true;
        let newline = memchr::memchr(b'\n', avail);
        let n = newline.map_or(avail.len(), |p| p + 1);
        let part = avail.get(..n).unwrap_or(avail);
        if !too_long && buf.len() + part.len() <= limit {
            buf.extend_from_slice(part);
        } else {
            too_long = true;
            buf.clear();
        }
        reader.consume(n);
        if newline.is_some() {
            return Ok(Some(too_long));
        }
    }
}

/// A buffered stream that knows whether its buffer holds bytes not consumed
/// yet (as of the last `fill_buf`), so that asking reads nothing.
struct Tracked {
    inner: Stream,
    left: usize,
}

impl Read for Tracked {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let bytes = self.fill_buf()?;
            let n = bytes.len().min(out.len());
            if let (Some(to), Some(from)) = (out.get_mut(..n), bytes.get(..n)) {
                to.copy_from_slice(from);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Tracked {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let bytes = self.inner.fill_buf()?;
        self.left = bytes.len();
        Ok(bytes)
    }

    fn consume(&mut self, n: usize) {
        self.left = self.left.saturating_sub(n);
        self.inner.consume(n);
    }
}

/// Reads the records of a JSON Lines (NDJSON) input: one object per line,
/// blank lines skipped.
pub(crate) struct NdjsonReader {
    info: SourceInfo,
    stream: Tracked,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl NdjsonReader {
    /// Runs the first pass (collecting keys, on up to `threads` threads) and
    /// opens the second.
    pub(crate) fn open(name: &str, source: Reopen, threads: usize) -> Result<Self, InputError> {
        let columns = match keys_in_pieces(&source, threads) {
            Some(columns) => columns,
            None => keys_in_one(name, &source)?,
        };
        Ok(NdjsonReader {
            info: SourceInfo {
                name: name.to_string(),
                format: InputFormat::Ndjson,
                delimiter: None,
                columns,
            },
            stream: Tracked {
                inner: source.open().map_err(|e| InputError::io(name, e))?,
                left: 0,
            },
            line: 0,
            buf: Vec::new(),
            done: false,
        })
    }

    /// No whole line is left in the bytes read from the input and not
    /// consumed: the next line reads more first.
    pub(crate) fn at_fill(&mut self) -> bool {
        if self.done {
            return false;
        }
        if self.stream.left == 0 {
            return true;
        }
        // Bytes are left in the buffer, so this does not read.
        match self.stream.inner.fill_buf() {
            Ok(bytes) => memchr::memchr(b'\n', bytes).is_none(),
            Err(_) => false,
        }
    }

    pub(crate) fn info(&self) -> &SourceInfo {
        &self.info
    }

    pub(crate) fn read(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        let mut buf = rec.take_json_buffer();
        if buf.capacity() == 0 {
            buf = std::mem::take(&mut self.buf);
        }
        while !self.done {
            let got = read_line_bounded(&mut self.stream, &mut buf, MAX_ELEMENT_BYTES);
            let name = &self.info.name;
            match got {
                Err(e) => {
                    self.done = true;
                    return Err(ReadError::Fatal(InputError::io(name, e)));
                }
                Ok(None) => self.done = true,
                Ok(Some(too_long)) => {
                    self.line += 1;
                    if too_long {
                        let message =
                            format!("the line is longer than {} MiB", MAX_ELEMENT_BYTES >> 20);
                        return Err(ReadError::Row(RowError::new(name, self.line, message)));
                    }
                    if buf.iter().all(|&b| is_ws(b)) {
                        continue;
                    }
                    rec.set_pending(self.line, buf);
                    return Ok(true);
                }
            }
        }
        self.buf = buf;
        Ok(false)
    }
}

/// Why [`each_line`] stopped.
enum LinesError {
    Io(io::Error),
    Stop(InputErrorKind),
}

/// The first pass over JSON Lines in one piece: the keys of every line, in
/// first-seen order.
fn keys_in_one(name: &str, source: &Reopen) -> Result<Vec<String>, InputError> {
    let mut stream = source.open().map_err(|e| InputError::io(name, e))?;
    let mut keys = LineKeys::default();
    let mut line = 0;
    let mut spill = Vec::new();
    each_line(&mut stream, MAX_ELEMENT_BYTES, &mut spill, |text| {
        line += 1;
        // Lines that do not parse are row errors in the second pass.
        match text {
            Some(text) => keys.line(text),
            None => Ok(()),
        }
    })
    .map_err(|e| match e {
        LinesError::Io(e) => InputError::io(name, e),
        LinesError::Stop(kind) => InputError::new(name, Some(line), kind),
    })?;
    Ok(keys.set.names)
}

/// The first pass over JSON Lines on `threads` threads: the input is cut at
/// line breaks into a piece a thread, the keys of each piece are collected
/// on its own thread, and they are joined piece after piece, which keeps
/// the first-seen order of the whole input. `None` when the input is not
/// cut (one thread, a small input, a file in an encoding other than UTF-8)
/// or a piece stopped at a fault: then [`keys_in_one`] reads it, and finds
/// the fault's line.
fn keys_in_pieces(source: &Reopen, threads: usize) -> Option<Vec<String>> {
    if threads < 2 {
        return None;
    }
    let cuts = match source {
        Reopen::Memory(bytes) => {
            let size = bytes.len() as u64;
            if size < PIECES_MIN_BYTES {
                return None;
            }
            cuts(size, threads, |at| {
                let rest = bytes.get(usize::try_from(at).ok()?..)?;
                Some(memchr::memchr(b'\n', rest).map_or(size, |p| at + p as u64 + 1))
            })?
        }
        Reopen::File(file, Encoding::Utf8) => {
            let size = file.metadata().ok()?.len();
            if size < PIECES_MIN_BYTES {
                return None;
            }
            cuts(size, threads, |at| line_start_after(file, at, size))?
        }
        Reopen::File(..) => return None,
    };
    let budget = KEY_BUDGET / threads;
    let pieces: Vec<Option<Vec<String>>> = std::thread::scope(|scope| {
        // A thread the system will not start leaves its piece out, and
        // the pass falls back to one piece.
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let range = w.first().copied().zip(w.get(1).copied());
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || {
                        let (start, end) = range?;
                        keys_of_piece(&mut *piece(source, start, end)?, budget)
                    })
                    .ok()
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.and_then(|h| h.join().ok().flatten()))
            .collect()
    });
    let mut set = KeySet::default();
    let mut budget = KEY_BUDGET;
    for names in pieces {
        for key in names? {
            set.insert(key, &mut budget).ok()?;
        }
    }
    Some(set.names)
}

/// Where the pieces of an input of `size` bytes start and end: at 0, at the
/// start of the line after each of `threads - 1` evenly spaced offsets
/// (`line_start` finds it), and at `size`; pieces left empty are dropped.
fn cuts(
    size: u64,
    threads: usize,
    mut line_start: impl FnMut(u64) -> Option<u64>,
) -> Option<Vec<u64>> {
    let mut cuts = vec![0];
    for i in 1..threads as u64 {
        let at = line_start(size / threads as u64 * i)?.min(size);
        if cuts.last().is_some_and(|&last| at > last) && at < size {
            cuts.push(at);
        }
    }
    cuts.push(size);
    Some(cuts)
}

/// Bytes `start..end` of an input that [`keys_in_pieces`] cuts (in memory,
/// or a file of UTF-8). The piece at the start is read as the whole input
/// is (a byte-order mark dropped).
fn piece(source: &Reopen, start: u64, end: u64) -> Option<Box<dyn BufRead + Send + '_>> {
    match source {
        Reopen::Memory(bytes) => {
            let piece = bytes.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)?;
            Some(Box::new(piece))
        }
        Reopen::File(file, encoding) => {
            let at = At::new(Arc::clone(file), start, Some(end));
            if start == 0 {
                return prepare(Box::new(at), *encoding).ok();
            }
            Some(Box::new(BufReader::with_capacity(64 * 1024, at)))
        }
    }
}

/// The offset just past the first line break at or after `at` in `file`
/// (`size` bytes), or `size`.
fn line_start_after(file: &Arc<File>, at: u64, size: u64) -> Option<u64> {
    let mut file = At::new(Arc::clone(file), at, None);
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = at;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => return Some(size),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        if let Some(p) = memchr::memchr(b'\n', buf.get(..n).unwrap_or_default()) {
            return Some(offset + p as u64 + 1);
        }
        offset += n as u64;
    }
}

/// The keys of the lines of one piece, with `budget` bytes for them; `None`
/// at any fault.
fn keys_of_piece<R: BufRead + ?Sized>(reader: &mut R, budget: usize) -> Option<Vec<String>> {
    let mut keys = LineKeys {
        budget: Some(budget),
        ..LineKeys::default()
    };
    let mut spill = Vec::new();
    each_line(reader, MAX_ELEMENT_BYTES, &mut spill, |text| match text {
        Some(text) => keys.line(text),
        None => Ok(()),
    })
    .ok()?;
    Some(keys.set.names)
}

/// Calls `f` with each line of `reader` (its newline included), or with
/// `None` for a line longer than `limit`; stops at the first error of `f`.
/// Lines are read in place in the reader's buffer when they fit; `spill`
/// holds one that does not.
fn each_line<R: BufRead + ?Sized>(
    reader: &mut R,
    limit: usize,
    spill: &mut Vec<u8>,
    mut f: impl FnMut(Option<&[u8]>) -> Result<(), InputErrorKind>,
) -> Result<(), LinesError> {
    spill.clear();
    // Inside a line begun in `spill` (or one too long, then not kept).
    let mut partial = false;
    let mut too_long = false;
    loop {
        let avail = reader.fill_buf().map_err(LinesError::Io)?;
        if avail.is_empty() {
            if partial {
                f((!too_long).then_some(spill.as_slice())).map_err(LinesError::Stop)?;
            }
            return Ok(());
        }
        let mut start = 0;
        if partial {
            let end = memchr::memchr(b'\n', avail).map_or(avail.len(), |p| p + 1);
            let part = avail.get(..end).unwrap_or_default();
            if !too_long && spill.len() + part.len() <= limit {
                spill.extend_from_slice(part);
            } else {
                too_long = true;
                spill.clear();
            }
            start = end;
            if avail.get(end - 1) == Some(&b'\n') {
                f((!too_long).then_some(spill.as_slice())).map_err(LinesError::Stop)?;
                spill.clear();
                partial = false;
                too_long = false;
            }
        }
        if !partial {
            let rest = avail.get(start..).unwrap_or_default();
            let mut from = 0;
            for p in memchr::memchr_iter(b'\n', rest) {
                let text = rest.get(from..=p).unwrap_or_default();
                f((text.len() <= limit).then_some(text)).map_err(LinesError::Stop)?;
                from = p + 1;
            }
            let tail = rest.get(from..).unwrap_or_default();
            if !tail.is_empty() {
                partial = true;
                too_long = tail.len() > limit;
                if !too_long {
                    spill.extend_from_slice(tail);
                }
            }
        }
        let n = avail.len();
        reader.consume(n);
    }
}

/// The first pass over JSON Lines: the top-level keys of each line, read as
/// [`Scanner::collect_keys`] reads them (leniently: a line that does not
/// parse gives the keys before the fault), but over the line in place, with
/// the keys of the previous line remembered so that a line with the same
/// keys in the same order costs no lookups.
#[derive(Default)]
struct LineKeys {
    set: KeySet,
    budget: Option<usize>,
    /// The keys of the previous line as written (escapes and all), in order.
    previous: Vec<Vec<u8>>,
}

/// Why a line's keys stop: the line is at fault (`None`), or the input
/// (fatal).
type Fault = Option<InputErrorKind>;

impl LineKeys {
    fn line(&mut self, text: &[u8]) -> Result<(), InputErrorKind> {
        if text.iter().copied().find(|&b| !is_ws(b)) != Some(b'{') {
            return Ok(());
        }
        match self.keys(text) {
            Ok(()) | Err(None) => Ok(()),
            Err(Some(kind)) => Err(kind),
        }
    }

    /// The keys of a line that is a flat object (values strings, numbers
    /// or words), as [`LineKeys::keys`] reads them; `None` for any other
    /// line, which that then reads (a key recorded twice is no harm).
    fn flat(&mut self, b: &[u8]) -> Option<()> {
        let mut i = skip_ws_at(b, 0) + 1;
        let mut index = 0;
        loop {
            i = skip_ws_at(b, i);
            match b.get(i) {
                Some(b'"') => {}
                Some(b'}') if index == 0 => return Some(()),
                _ => return None,
            }
            let start = i;
            let end = plain_run(b, i + 1);
            if b.get(end) != Some(&b'"') || end + 1 - start > MAX_KEY_BYTES {
                return None;
            }
            i = end + 1;
            let quoted = b.get(start..i)?;
            i = skip_ws_at(b, i);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws_at(b, i + 1);
            if !self.previous.get(index).is_some_and(|p| same(p, quoted)) {
                self.key(index, quoted).ok()?;
            }
            index += 1;
            match b.get(i) {
                Some(b'"') => loop {
                    let end = plain_run(b, i + 1);
                    match b.get(end) {
                        Some(b'"') => {
                            i = end + 1;
                            break;
                        }
                        Some(b'\\') if end + 2 < b.len() => i = end + 1,
                        _ => return None,
                    }
                },
                Some(b'{' | b'[') | None => return None,
                Some(_) => {
                    let start = i;
                    while b.get(i).is_some_and(|&c| !ends_word(c)) {
                        i += 1;
                    }
                    if i == start {
                        return None;
                    }
                }
            }
            i = skip_ws_at(b, i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => return Some(()),
                _ => return None,
            }
        }
    }

    fn keys(&mut self, b: &[u8]) -> Result<(), Fault> {
        if self.flat(b).is_some() {
            return Ok(());
        }
        let mut i = skip_ws_at(b, 0) + 1;
        let mut index = 0;
        let mut first = true;
        loop {
            i = skip_ws_at(b, i);
            let mut c = b.get(i).copied().ok_or(None)?;
            if !first || c == b'}' {
                match c {
                    b'}' => return Ok(()),
                    b',' if !first => {
                        i = skip_ws_at(b, i + 1);
                        c = b.get(i).copied().ok_or(None)?;
                    }
                    _ => return Err(None),
                }
            }
            first = false;
            if c != b'"' {
                return Err(None);
            }
            let start = i;
            i = skip_string_at(b, i)?;
            if i - start > MAX_KEY_BYTES {
                let message = format!("an object key is longer than {} MiB", MAX_KEY_BYTES >> 20);
                return Err(Some(InputErrorKind::TooLarge(message)));
            }
            let quoted = b.get(start..i).unwrap_or_default();
            i = skip_ws_at(b, i);
            if b.get(i) != Some(&b':') {
                return Err(None);
            }
            i = skip_ws_at(b, i + 1);
            self.key(index, quoted).map_err(Some)?;
            index += 1;
            i = skip_value_at(b, i)?;
        }
    }

    /// Records the key at `index` in its line, given with its quotes.
    #[inline(never)]
    fn key(&mut self, index: usize, quoted: &[u8]) -> Result<(), InputErrorKind> {
        if self
            .previous
            .get(index)
            .is_some_and(|p| same(p.as_slice(), quoted))
        {
            return Ok(());
        }
        let raw = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or(&[]);
        let key = if raw.contains(&b'\\') {
            serde_json::from_slice::<String>(quoted)
                .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned())
        } else {
            String::from_utf8_lossy(raw).into_owned()
        };
        let budget = self.budget.get_or_insert(KEY_BUDGET);
        self.set.insert(key, budget)?;
        match self.previous.get_mut(index) {
            Some(p) => {
                p.clear();
                p.extend_from_slice(quoted);
            }
            None => self.previous.push(quoted.to_vec()),
        }
        Ok(())
    }
}

/// The bytes that end a number or word in [`Scanner::value`]: whitespace
/// and punctuation, one bit each (`"`, `,` and `:` below 64, brackets above).
const ENDS_LOW: u64 =
    1 << b' ' | 1 << b'\t' | 1 << b'\n' | 1 << b'\r' | 1 << b',' | 1 << b':' | 1 << b'"';
const ENDS_HIGH: u64 = 1 << (b'{' - 64) | 1 << (b'[' - 64) | 1 << (b'}' - 64) | 1 << (b']' - 64);

#[inline]
fn ends_word(c: u8) -> bool {
    match c {
        0..64 => (ENDS_LOW >> c) & 1 == 1,
        64..128 => (ENDS_HIGH >> (c - 64)) & 1 == 1,
        _ => false,
    }
}

#[inline]
fn skip_ws_at(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

/// Past the string whose quote is at `i` (escapes taken as two bytes).
fn skip_string_at(b: &[u8], mut i: usize) -> Result<usize, Fault> {
    i += 1;
    loop {
        let rest = b.get(i..).unwrap_or_default();
        let p = memchr::memchr2(b'"', b'\\', rest).ok_or(None)?;
        i += p;
        if b.get(i) == Some(&b'"') {
            return Ok(i + 1);
        }
        if i + 1 >= b.len() {
            return Err(None);
        }
        i += 2;
    }
}

/// Past the value starting at `i`, as [`Scanner::value`] reads it inside a
/// line's object (depth 1).
fn skip_value_at(b: &[u8], mut i: usize) -> Result<usize, Fault> {
    match b.get(i).copied() {
        Some(b'"') => skip_string_at(b, i),
        Some(b'{' | b'[') => {
            let mut depth = 1;
            // Open brackets, innermost lowest: 1 for `[`.
            let mut stack: u128 = 0;
            let mut open = 0usize;
            loop {
                let rest = b.get(i..).unwrap_or_default();
                let p = rest
                    .iter()
                    .position(|&c| matches!(c, b'"' | b'{' | b'[' | b'}' | b']'))
                    .ok_or(None)?;
                i += p;
                match b.get(i).copied() {
                    Some(b'"') => i = skip_string_at(b, i)?,
                    Some(c @ (b'{' | b'[')) => {
                        if depth >= MAX_JSON_DEPTH || open >= 127 {
                            return Err(None);
                        }
                        depth += 1;
                        open += 1;
                        stack = (stack << 1) | u128::from(c == b'[');
                        i += 1;
                    }
                    Some(close) => {
                        let expected = if open > 0 && stack & 1 == 1 {
                            b']'
                        } else {
                            b'}'
                        };
                        if close != expected {
                            return Err(None);
                        }
                        stack >>= 1;
                        open = open.saturating_sub(1);
                        depth -= 1;
                        i += 1;
                        if open == 0 {
                            return Ok(i);
                        }
                    }
                    None => return Err(None),
                }
            }
        }
        _ => {
            let start = i;
            while b.get(i).is_some_and(|&c| {
                !(is_ws(c) || matches!(c, b',' | b':' | b'"' | b'{' | b'[' | b'}' | b']'))
            }) {
                i += 1;
            }
            if i == start { Err(None) } else { Ok(i) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `at_fill` says when the next line reads more of the input: whenever
    /// it says so, the next line does, and it says so about once a fill.
    #[test]
    fn at_fill_is_where_the_next_line_reads_more() {
        let mut text = String::new();
        for i in 0..300 {
            match i % 7 {
                0 => text.push('\n'),
                1 => text.push_str(&format!("{{\"id\":\"T{i}\"}}\r\n")),
                _ => text.push_str(&format!("{{\"id\":\"T{i}\",\"name\":\"task {i}\"}}\n")),
            }
        }
        for fill in [8, 50, 100, 1000] {
            let (counted, reads) = crate::input::counting::Counted::new(text.clone().into_bytes());
            let mut reader = NdjsonReader {
                info: SourceInfo {
                    name: "t".into(),
                    format: InputFormat::Ndjson,
                    delimiter: None,
                    columns: vec!["id".into(), "name".into()],
                },
                stream: Tracked {
                    inner: Box::new(BufReader::with_capacity(fill, counted)),
                    left: 0,
                },
                line: 0,
                buf: Vec::new(),
                done: false,
            };
            let (rows, said) = crate::input::counting::rows_and_fills(
                &reads,
                &mut reader,
                |r| r.at_fill(),
                |r, rec| r.read(rec).unwrap(),
            );
            assert_eq!(rows, 300 - 300 / 7 - 1);
            assert!(!reader.at_fill(), "nothing more to read at the end");
            let fills = text.len() / fill;
            assert!(
                said * 2 >= fills.min(rows) && said <= rows,
                "fill {fill}: at_fill said {said} times over {fills} fills"
            );
        }
    }

    /// JSON Lines over the size that is cut into pieces: keys first seen all
    /// over it, blank and broken lines, lines that are not objects.
    fn big_ndjson(bom: bool) -> Vec<u8> {
        let mut text = Vec::new();
        if bom {
            text.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let mut i = 0u64;
        while (text.len() as u64) < PIECES_MIN_BYTES * 2 {
            i += 1;
            let extra = if i.is_multiple_of(997) {
                format!(",\"k{i}\":1")
            } else {
                String::new()
            };
            let line = match i % 101 {
                0 => "\n".to_string(),
                1 => format!("{{\"id\":\"T{i}\",\"broken{i}\n"),
                2 => "[1,2]\n".to_string(),
                _ => format!(
                    "{{\"id\":\"T{i}\",\"hours\":{}{extra},\"name\":\"task {i}\"}}\n",
                    i % 40
                ),
            };
            text.extend_from_slice(line.as_bytes());
        }
        text
    }

    /// The keys collected on several threads are those of one pass, in the
    /// same order, from memory and from a file (whose byte-order mark is
    /// dropped).
    #[test]
    fn keys_in_pieces_as_in_one() {
        let text = big_ndjson(false);
        let memory = Reopen::Memory(Arc::from(text.clone()));
        let want = keys_in_one("t", &memory).unwrap();
        assert!(want.len() > 50, "{want:?}");
        assert_eq!(
            want.get(..3),
            Some(&["id", "hours", "name"].map(String::from)[..])
        );
        assert_eq!(keys_in_pieces(&memory, 1), None);
        for threads in [2, 3, 7] {
            assert_eq!(
                keys_in_pieces(&memory, threads).as_ref(),
                Some(&want),
                "{threads}"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.ndjson");
        std::fs::write(&path, big_ndjson(true)).unwrap();
        let opened = Arc::new(File::open(&path).unwrap());
        let file = Reopen::File(Arc::clone(&opened), Encoding::Utf8);
        assert_eq!(keys_in_one("t", &file).unwrap(), want);
        for threads in [2, 3, 7] {
            assert_eq!(
                keys_in_pieces(&file, threads).as_ref(),
                Some(&want),
                "{threads}"
            );
        }
        // Not cut: another encoding, a small input.
        assert_eq!(
            keys_in_pieces(&Reopen::File(opened, Encoding::Windows1252), 2),
            None
        );
        let small = Reopen::Memory(Arc::from(&b"{\"a\":1}\n"[..]));
        assert_eq!(keys_in_pieces(&small, 2), None);
    }

    /// Too many distinct keys, in one piece or only once the pieces are
    /// joined: the same error, at the same line, as one pass gives.
    #[test]
    fn keys_in_pieces_fail_as_in_one() {
        // Keys in the first piece only, and spread over every piece.
        for pad in [0, 80] {
            let pad = "x".repeat(pad);
            let mut text = Vec::new();
            let mut line = 0;
            while (text.len() as u64) < PIECES_MIN_BYTES * 2 || line <= MAX_CELLS + 10 {
                line += 1;
                if line <= MAX_CELLS + 10 {
                    let key = format!("{{\"key{line}\":1,\"pad\":\"{pad}\"}}\n");
                    text.extend_from_slice(key.as_bytes());
                } else {
                    text.extend_from_slice(b"{\"id\":\"a task with a long name\"}\n");
                }
            }
            let open = |threads| {
                let memory = Reopen::Memory(Arc::from(text.clone()));
                NdjsonReader::open("t", memory, threads)
                    .err()
                    .map(|e| e.to_string())
            };
            let one = open(1);
            assert!(one.as_deref().is_some_and(|e| e.contains("t:")), "{one:?}");
            assert_eq!(open(2), one, "pad {pad}");
            assert_eq!(open(3), one, "pad {pad}");
        }
    }

    fn layout(text: &str, records: Option<&[String]>) -> Result<Layout, String> {
        let mut sc = Scanner::new(text.as_bytes());
        scan_layout(&mut sc, records).map_err(|e| e.into_input("t.json").to_string())
    }

    #[test]
    fn finds_records_and_columns() {
        let l = layout(r#"[{"a":1,"b":{"x":[1,"]"]}},{"c":"}\"{","a":2}]"#, None).unwrap();
        assert!(l.path.is_empty());
        assert_eq!(l.columns, ["a", "b", "c"]);
        let l = layout(r#"{"meta":{"n":2},"tags":["x"],"items":[{"id":1}]}"#, None).unwrap();
        assert_eq!(l.path, ["items"]);
        assert_eq!(l.columns, ["id"]);
        let l = layout(r#"{"items":[]}"#, None).unwrap();
        assert_eq!(l.path, ["items"]);
        let path = ["data".to_string(), "rows".to_string()];
        let l = layout(r#"{"data":{"rows":[{"k\u0041":1}]}}"#, Some(&path)).unwrap();
        assert_eq!(l.columns, ["kA"]);
    }

    #[test]
    fn structure_errors() {
        let cases = [
            (
                "",
                "t.json: the file is empty; expected an array of objects",
            ),
            (
                "[{\"a\":1}",
                "t.json:1: the input ends inside an array (is the file cut short?)",
            ),
            ("[{\"a\":[1}]", "t.json:1: expected `]` but found `}`"),
            (
                "{\"a\":[{\"b\":1}]",
                "t.json:1: the input ends inside an object (is the file cut short?)",
            ),
            (
                "[{\"a\":1},\n{\"a\":",
                "t.json:2: expected a value, found the end of the input",
            ),
            (
                "[{\"a\":1},\n{\"a\":[",
                "t.json:2: an array starting here is not closed",
            ),
            ("[{\"a\":\"x]", "t.json:1: a string is not closed"),
            (
                "[{\"a\":1]]",
                "t.json:1: expected `,` or `}` in an object, found `]`",
            ),
            (
                "{\"a\":1}\n{\"a\":2}",
                "t.json:2: unexpected `{` after the JSON document; for one object per line, use --input-format ndjson",
            ),
            (
                "42",
                "t.json:1: expected an array of objects or an object holding one, found `4`",
            ),
            (
                "{\"a\":1}",
                "t.json: no array of objects found: expected an array of objects, or an object holding one",
            ),
            (
                "{\"a\":[{}],\"b\":[{}]}",
                "t.json: several keys hold arrays of objects: a, b; choose the one holding the tasks with --records KEY",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(layout(text, None).err().as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            layout(&deep, None).err().as_deref(),
            Some("t.json:1: nesting deeper than 128 levels")
        );
        let ok = format!("[{}{}]", "[".repeat(120), "]".repeat(120));
        assert!(layout(&ok, None).is_ok());
    }

    #[test]
    fn detects_json_lines() {
        assert_eq!(
            detect_object_stream(&b"{\"a\":1}\n{\"a\":2}\n"[..]),
            InputFormat::Ndjson
        );
        assert_eq!(
            detect_object_stream(&b"{\"a\":[{\"b\":1}]}\n"[..]),
            InputFormat::Json
        );
    }

    #[test]
    fn bounded_lines() {
        let mut input = &b"abc\nlonger line\nx"[..];
        let mut buf = Vec::new();
        assert_eq!(
            read_line_bounded(&mut input, &mut buf, 5).unwrap(),
            Some(false)
        );
        assert_eq!(buf, b"abc\n");
        assert_eq!(
            read_line_bounded(&mut input, &mut buf, 5).unwrap(),
            Some(true)
        );
        assert_eq!(
            read_line_bounded(&mut input, &mut buf, 5).unwrap(),
            Some(false)
        );
        assert_eq!(buf, b"x");
        assert_eq!(read_line_bounded(&mut input, &mut buf, 5).unwrap(), None);
    }
}
