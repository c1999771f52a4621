//! JSON Lines (NDJSON): reading the records, a line each, and the first
//! pass over the keys, on several threads for a big file.

use super::*;

/// Reads a line of at most `limit` bytes into `buf` (a longer line is
/// consumed but not kept). `None` at the end; `Some(true)` for a line that was
/// too long.
pub(super) fn read_line_bounded<R: BufRead + ?Sized>(
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
pub(super) struct Tracked {
    pub(super) inner: Stream,
    pub(super) left: usize,
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
    pub(super) info: SourceInfo,
    pub(super) stream: Tracked,
    pub(super) line: u64,
    pub(super) buf: Vec<u8>,
    pub(super) done: bool,
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
                header_line: None,
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
pub(super) enum LinesError {
    Io(io::Error),
    Stop(InputErrorKind),
}

/// The first pass over JSON Lines in one piece: the keys of every line, in
/// first-seen order.
pub(super) fn keys_in_one(name: &str, source: &Reopen) -> Result<Vec<String>, InputError> {
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
pub(super) fn keys_in_pieces(source: &Reopen, threads: usize) -> Option<Vec<String>> {
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
pub(super) fn cuts(
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
pub(super) fn piece(source: &Reopen, start: u64, end: u64) -> Option<Box<dyn BufRead + Send + '_>> {
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
pub(super) fn line_start_after(file: &Arc<File>, at: u64, size: u64) -> Option<u64> {
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
pub(super) fn keys_of_piece<R: BufRead + ?Sized>(
    reader: &mut R,
    budget: usize,
) -> Option<Vec<String>> {
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
pub(super) fn each_line<R: BufRead + ?Sized>(
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
pub(super) struct LineKeys {
    pub(super) set: KeySet,
    pub(super) budget: Option<usize>,
    /// The keys of the previous line as written (escapes and all), in order.
    pub(super) previous: Vec<Vec<u8>>,
}

/// Why a line's keys stop: the line is at fault (`None`), or the input
/// (fatal).
pub(super) type Fault = Option<InputErrorKind>;

impl LineKeys {
    pub(super) fn line(&mut self, text: &[u8]) -> Result<(), InputErrorKind> {
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
    pub(super) fn flat(&mut self, b: &[u8]) -> Option<()> {
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

    pub(super) fn keys(&mut self, b: &[u8]) -> Result<(), Fault> {
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
    pub(super) fn key(&mut self, index: usize, quoted: &[u8]) -> Result<(), InputErrorKind> {
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
pub(super) const ENDS_LOW: u64 =
    1 << b' ' | 1 << b'\t' | 1 << b'\n' | 1 << b'\r' | 1 << b',' | 1 << b':' | 1 << b'"';
pub(super) const ENDS_HIGH: u64 =
    1 << (b'{' - 64) | 1 << (b'[' - 64) | 1 << (b'}' - 64) | 1 << (b']' - 64);

#[inline]
pub(super) fn ends_word(c: u8) -> bool {
    match c {
        0..64 => (ENDS_LOW >> c) & 1 == 1,
        64..128 => (ENDS_HIGH >> (c - 64)) & 1 == 1,
        _ => false,
    }
}

#[inline]
pub(super) fn skip_ws_at(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|&c| is_ws(c)) {
        i += 1;
    }
    i
}

/// Past the string whose quote is at `i` (escapes taken as two bytes).
pub(super) fn skip_string_at(b: &[u8], mut i: usize) -> Result<usize, Fault> {
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
pub(super) fn skip_value_at(b: &[u8], mut i: usize) -> Result<usize, Fault> {
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
