//! The byte scanner of JSON documents, and the first pass over a document:
//! where the records are and their keys.

use super::*;

/// An error of the scanner: I/O, or a problem at a line.
pub(crate) enum ScanError {
    Io(io::Error),
    At {
        line: Option<u64>,
        kind: InputErrorKind,
    },
}

impl ScanError {
    pub(super) fn syntax(line: u64, message: impl Into<String>) -> Self {
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
    pub(super) buf: Vec<u8>,
    pub(super) limit: usize,
    pub(super) active: bool,
    pub(super) overflow: bool,
}

impl Capture {
    /// A capture that keeps nothing.
    pub(super) fn off() -> Self {
        Capture {
            buf: Vec::new(),
            limit: 0,
            active: false,
            overflow: false,
        }
    }

    pub(super) fn start(&mut self, limit: usize) {
        self.buf.clear();
        if self.buf.capacity() > 4 * 1024 * 1024 {
            self.buf = Vec::new();
        }
        self.limit = limit;
        self.active = true;
        self.overflow = false;
    }

    pub(super) fn push(&mut self, bytes: &[u8]) {
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

pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// What a value starting with this byte is, for messages.
pub(super) fn kind_of(first: u8) -> &'static str {
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
    pub(super) inner: R,
    /// The line of the next byte.
    pub(super) line: u64,
    /// Objects and arrays open at the current position.
    pub(super) depth: usize,
    /// Memory left for collected keys.
    pub(super) budget: usize,
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

    pub(super) fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.inner.fill_buf()?.first().copied())
    }

    /// Consumes one byte.
    pub(super) fn bump(&mut self, cap: &mut Capture) -> io::Result<Option<u8>> {
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
    pub(super) fn advance_until(
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
    pub(super) fn skip_ws(&mut self) -> io::Result<Option<u8>> {
        Ok(self.advance_until(&mut Capture::off(), |b| !is_ws(b))?.1)
    }

    pub(super) fn found(b: Option<u8>) -> String {
        match b {
            None => "the end of the input".to_string(),
            Some(b) if b.is_ascii_graphic() => format!("`{}`", char::from(b)),
            Some(b) => format!("byte 0x{b:02X}"),
        }
    }

    /// Consumes a string; the next byte must be its opening quote.
    pub(super) fn string(&mut self, cap: &mut Capture) -> Result<(), ScanError> {
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
    pub(super) fn open(&mut self, cap: &mut Capture) -> Result<(), ScanError> {
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

    pub(super) fn skip_value(&mut self) -> Result<(), ScanError> {
        self.value(&mut Capture::off())
    }

    /// Skips whitespace, then consumes `want`.
    pub(super) fn expect(&mut self, want: u8) -> Result<(), ScanError> {
        let b = self.skip_ws()?;
        if b != Some(want) {
            let message = format!("expected `{}`, found {}", char::from(want), Self::found(b));
            return Err(ScanError::syntax(self.line, message));
        }
        self.bump(&mut Capture::off())?;
        Ok(())
    }

    /// Reads an object key; the next byte must be its opening quote.
    pub(super) fn key(&mut self) -> Result<String, ScanError> {
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
    pub(super) fn next_key(&mut self, first: &mut bool) -> Result<Option<String>, ScanError> {
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
    pub(super) fn next_element(&mut self, first: &mut bool) -> Result<Option<u64>, ScanError> {
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
    pub(super) fn collect_keys(&mut self, set: &mut KeySet) -> Result<(), ScanError> {
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
    pub(super) fn collect_array(&mut self, set: &mut KeySet) -> Result<(usize, usize), ScanError> {
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
    pub(super) fn find_records(
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
    pub(super) fn seek_records(&mut self, path: &[String]) -> Result<bool, ScanError> {
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
pub(super) struct KeySet {
    pub(super) names: Vec<String>,
    pub(super) seen: HashSet<String>,
}

impl KeySet {
    pub(super) fn insert(&mut self, key: String, budget: &mut usize) -> Result<(), InputErrorKind> {
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
pub(super) struct Layout {
    /// Keys leading to the array of records; empty for a top-level array.
    pub(super) path: Vec<String>,
    pub(super) columns: Vec<String>,
}

/// The first pass over a JSON document.
pub(super) fn scan_layout<R: BufRead>(
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
pub(super) fn auto_records<R: BufRead>(
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
