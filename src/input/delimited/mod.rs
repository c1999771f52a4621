//! CSV and TSV reading: delimiter sniffing, exact line numbers, row checks, memory bounds.
//!
//! [`CsvReader`] drives `csv_core`'s parser itself (with the settings the
//! `csv` crate uses by default: `"` quotes, doubled quotes, CR, LF or CRLF
//! ending a record, no comments, no escape character) over a buffer of its
//! own, filled straight from the stream. Each record's cells go into the
//! caller's [`Record`] as one text, checked to be UTF-8 once, and their ends.
//!
//! **Line numbers.** Line breaks (LF, CRLF, lone CR) are counted over every
//! byte the parser consumes, a buffer at a time (a CR at the end of a buffer
//! waits for the next byte). The parser skips blank lines before a record;
//! the reader skips them itself first, so a record starts at the first byte
//! left and its line is exact, whatever line breaks its quoted cells hold.
//!
//! **Memory.** An unclosed quote could make one record of the rest of the
//! file. Past [`MAX_RECORD_BYTES`] bytes or [`MAX_RECORD_DELIMITERS`]
//! delimiters read for one record (quoted or not), the record is not held:
//! the parser goes on to the record's end with its output thrown away, and a
//! row error says which lines were skipped; reading goes on with the next
//! record. A quote left open discards the rest of the input, and the row
//! error says so; a header over the bounds is fatal. So one record never
//! holds more than about 32 MiB of cell bytes and a million cell bounds, and
//! the input buffer has a fixed size. Below those bounds, a cell over
//! [`MAX_FIELD_BYTES`] or a row over [`MAX_CELLS`] cells is a row error.

use std::io::{self, Read};

use csv_core::ReadRecordResult;

use super::error::{InputError, InputErrorKind, RowError, escape_bytes};
use super::stream::{BUFFER, Stream};
use super::{InputFormat, MAX_CELLS, MAX_FIELD_BYTES, ReadError, Record, SourceInfo, column_label};

/// A record of more bytes than this is skipped (see the module docs).
pub const MAX_RECORD_BYTES: u64 = 32 * 1024 * 1024;
/// A record with more delimiters than this is skipped.
pub const MAX_RECORD_DELIMITERS: u64 = 1_000_000;
/// Lines up to this long without quotes are split without the parser; far
/// below the bounds above, so none of their checks is needed.
const PLAIN_LINE_BYTES: usize = 64 * 1024;

/// How much of the input the delimiter sniffer looks at.
const SNIFF_BYTES: usize = 64 * 1024;
/// How many records after the header the sniffer compares with it.
const SNIFF_ROWS: usize = 10;
/// Delimiters the sniffer chooses from, in order of preference on a tie.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Chooses the delimiter of a CSV file from its first bytes.
///
/// For each candidate (`,` `;` TAB `|`) the first [`SNIFF_ROWS`] + 1 records
/// are split as the `csv` crate would with that delimiter (quotes open only at
/// the start of a cell, `""` inside quotes is a quote, line breaks inside quotes
/// do not end a record) and the delimiters outside quotes are counted. A
/// candidate must occur on the header line; among those, the one that the most
/// following records agree with (same count as the header) wins, then the one
/// with the most occurrences on the header, then the earlier in the list. A
/// header with none of them is a one-column file, read with `,`.
///
/// `complete` says whether `prefix` is the whole input; if not, its last,
/// possibly cut, record is ignored.
pub fn sniff_delimiter(prefix: &[u8], complete: bool) -> u8 {
    let mut best: Option<((usize, usize), u8)> = None;
    for &d in &CANDIDATES {
        let counts = count_delimiters(prefix, d, complete, SNIFF_ROWS + 1);
        let Some((&header, rows)) = counts.split_first() else {
            continue;
        };
        if header == 0 {
            continue;
        }
        let agree = rows.iter().filter(|&&n| n == header).count();
        let key = (agree, header);
        if best.is_none_or(|(b, _)| key > b) {
            best = Some((key, d));
        }
    }
    best.map_or(b',', |(_, d)| d)
}

/// The number of `delimiter` bytes outside quotes in each of the first `max`
/// records of `bytes`.
fn count_delimiters(bytes: &[u8], delimiter: u8, complete: bool, max: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut count = 0;
    let mut nonempty = false;
    let mut cell_start = true;
    let mut in_quotes = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if in_quotes {
            if b == b'"' {
                if bytes.get(i) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
            continue;
        }
        match b {
            b'"' if cell_start => {
                in_quotes = true;
                cell_start = false;
                nonempty = true;
            }
            b'\n' | b'\r' => {
                if nonempty {
                    out.push(count);
                    if out.len() == max {
                        return out;
                    }
                }
                count = 0;
                nonempty = false;
                cell_start = true;
            }
            _ if b == delimiter => {
                count += 1;
                nonempty = true;
                cell_start = true;
            }
            _ => {
                nonempty = true;
                cell_start = false;
            }
        }
    }
    if complete && nonempty {
        out.push(count);
    }
    out
}

/// The size of the buffer the input is read into. Each read asks for at
/// least the 64 KiB of the stream's own buffer (`stream::BUFFER`), so that
/// the bytes come into this buffer directly, not through that one; a read
/// is then about a batch of rows, read by the thread that processes them
/// (see `InputReader::at_fill`).
const FILL_BYTES: usize = 128 * 1024;
/// Where the cells of a record over the bounds go, overwritten again and again.
const DISCARD_BYTES: usize = 64 * 1024;
const DISCARD_ENDS: usize = 1024;
/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Line breaks counted over consecutive bytes.
#[derive(Debug, Default, Clone, Copy)]
struct Lines {
    /// Complete line breaks.
    complete: u64,
    /// The bytes so far end with a CR: a line break of its own, or the
    /// start of a CRLF, depending on the next byte.
    pending_cr: bool,
}

impl Lines {
    /// Counts the line breaks (LF, CRLF, lone CR) in `bytes`, which follow
    /// the bytes counted so far.
    fn advance(&mut self, bytes: &[u8]) {
        let lf = memchr::memchr_iter(b'\n', bytes).count();
        self.advance_counted(bytes, lf as u64);
    }

    /// [`Lines::advance`] when the LFs in `bytes` are counted already (the
    /// parser counts them).
    fn advance_counted(&mut self, bytes: &[u8], lf: u64) {
        let Some(&last) = bytes.last() else {
            return;
        };
        if self.pending_cr && bytes.first() != Some(&b'\n') {
            self.complete += 1;
        }
        // Each LF is a line break, CRLF included; so is a CR followed by
        // anything else. A CR at the end waits for the next byte.
        self.complete += lf;
        for cr in memchr::memchr_iter(b'\r', bytes) {
            if bytes.get(cr + 1).is_some_and(|&b| b != b'\n') {
                self.complete += 1;
            }
        }
        self.pending_cr = last == b'\r';
    }

    /// The next byte is not an LF: a CR at the end is a line break.
    fn settle(&mut self) {
        if self.pending_cr {
            self.pending_cr = false;
            self.complete += 1;
        }
    }
}

/// The input stream and a buffer of it, with the line breaks consumed.
struct Input {
    stream: Stream,
    buf: Vec<u8>,
    /// `buf[pos..end]` is read and not consumed yet.
    pos: usize,
    end: usize,
    /// The stream reported its end.
    eof: bool,
    /// Line breaks in the bytes consumed.
    lines: Lines,
    /// The error that ended the stream: the rows before it are read first,
    /// then it is the input's error.
    failed: Option<io::Error>,
}

impl Input {
    fn new(stream: Stream, size: usize) -> Self {
        Input {
            stream,
            buf: vec![0; size.max(1)],
            pos: 0,
            end: 0,
            eof: false,
            lines: Lines::default(),
            failed: None,
        }
    }

    fn available(&self) -> &[u8] {
        self.buf.get(self.pos..self.end).unwrap_or_default()
    }

    /// Reads once more from the stream after what is available (moving that
    /// to the front of the buffer if the buffer is full); false at the end.
    fn read_more(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.end + BUFFER > self.buf.len() {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        loop {
            let free = self.buf.get_mut(self.end..).unwrap_or_default();
            let room = free.len();
            if room == 0 {
                return Ok(true);
            }
            match self.stream.read(free) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n.min(room);
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.eof = true;
                    self.failed = Some(e);
                    return Ok(false);
                }
            }
        }
    }

    /// Makes `n` bytes available, or all that is left of the input.
    fn ensure(&mut self, n: usize) -> io::Result<()> {
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        while self.end - self.pos < n && self.read_more()? {}
        Ok(())
    }

    /// Consumes `n` available bytes, counting their line breaks.
    fn consume(&mut self, n: usize) {
        let end = self.end.min(self.pos + n);
        self.lines
            .advance(self.buf.get(self.pos..end).unwrap_or_default());
        self.pos = end;
    }
}

/// A parser of records split by `delimiter`, past the start of its input.
fn new_parser(delimiter: u8) -> csv_core::Reader {
    let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    // The parser drops a byte-order mark at the start of its first input;
    // the reader does that itself. A blank line, which the parser skips,
    // makes the parser's first input.
    let _ = core.read_record(b"\n", &mut [0; 1], &mut [0; 1]);
    core
}

/// Where the last whole record in `text` ends (past its LF), when `text`
/// starts a record and every record in it up to there can be told without
/// the parser: a CR only in a CRLF, and each quote opens a cell (at the
/// start of the record or after a delimiter), doubles another inside a
/// quoted cell, or closes a quoted cell right before a delimiter or a line
/// break. `None` for any other text, or for no whole record.
fn whole_records(text: &[u8], delimiter: u8) -> Option<usize> {
    // A CR only as the start of a CRLF (or the last byte, past the cut).
    for cr in memchr::memchr_iter(b'\r', text) {
        if text.get(cr + 1).is_some_and(|&b| b != b'\n') {
            return None;
        }
    }
    // The end of the last LF outside quotes so far, and where the text
    // outside quotes goes on.
    let mut last = None;
    let mut at = 0;
    loop {
        let quote = memchr::memchr(b'"', text.get(at..)?).map(|found| at + found);
        let outside = text.get(at..quote.unwrap_or(text.len()))?;
        if let Some(lf) = memchr::memrchr(b'\n', outside) {
            last = Some(at + lf + 1);
        }
        let Some(p) = quote else {
            return last;
        };
        // A quote outside quotes opens a cell, or the parser must read it.
        let opens = p == 0 || matches!(text.get(p - 1), Some(&b) if b == delimiter || b == b'\n');
        if !opens {
            return None;
        }
        // Inside the quoted cell: to the quote that closes it. Where the
        // text ends first, its last record is the one before.
        at = p + 1;
        loop {
            let Some(found) = memchr::memchr(b'"', text.get(at..)?) else {
                return last;
            };
            let q = at + found;
            match text.get(q + 1) {
                Some(b'"') => at = q + 2,
                Some(&b) if b == delimiter || b == b'\n' || b == b'\r' => {
                    at = q + 1;
                    break;
                }
                Some(_) => return None,
                None => return last,
            }
        }
    }
}

/// Makes `v` longer (zero-filled) when the parser filled it: twice as long,
/// but not past `max` unless it is that long already.
fn grow<T: Clone + Default>(v: &mut Vec<T>, max: usize) {
    let len = v.len();
    let want = len.saturating_mul(2).max(64).min(max).max(len + 1);
    v.resize(want, T::default());
}

/// The cells of a record as parsed: `ends` are the cells' ends in `bytes`.
fn raw_cells<'a>(
    bytes: &'a [u8],
    ends: &'a [usize],
    separated: bool,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut start = 0;
    ends.iter().map(move |&end| {
        let cell = bytes.get(start..end).unwrap_or_default();
        start = end + usize::from(separated);
        cell
    })
}

/// What a thread keeps from one chunk of rows to the next (see
/// [`CsvReader::take_chunk`]): a buffer to swap in, and a parser, which
/// costs more to build than a chunk takes to parse.
#[derive(Default)]
pub struct Spare {
    buf: Vec<u8>,
    core: Option<(u8, csv_core::Reader)>,
}

/// Reads records of a CSV or TSV stream.
pub(crate) struct CsvReader {
    info: SourceInfo,
    input: Input,
    core: csv_core::Reader,
    delimiter: u8,
    /// The next record may start with a byte-order mark to drop: the `csv`
    /// crate's parser dropped one at the start of the input and after a
    /// record over the bounds (where it was started afresh), and so does
    /// this reader.
    bom_may_follow: bool,
    /// The last record read was a plain line (see [`CsvReader::plain_line`]):
    /// its bytes are the line, the delimiter between cells.
    plain: bool,
    /// Output for a record over the bounds, thrown away (allocated for the
    /// first such record).
    discard: Vec<u8>,
    discard_ends: Vec<usize>,
    done: bool,
    /// The line the header row starts on.
    header_at: u64,
}

/// Finds the cells of a line without quotes: `bytes` is the line as is, and
/// `ends` where each cell ends, at each `delimiter` and at the end (both
/// cleared first). Eight bytes are looked at a time: cells are short, and a
/// search call per cell would cost more than the cell.
fn split_plain(text: &[u8], delimiter: u8, bytes: &mut Vec<u8>, ends: &mut Vec<usize>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    bytes.clear();
    bytes.extend_from_slice(text);
    ends.clear();
    let pattern = u64::from_le_bytes([delimiter; 8]);
    let mut words = text.chunks_exact(8);
    let mut base = 0;
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let x = u64::from_le_bytes(w) ^ pattern;
        // The high bit of each byte of `x` that is zero, with no carry
        // between bytes.
        let mut found = !(((x & LOW7) + LOW7) | x | LOW7);
        while found != 0 {
            ends.push(base + (found.trailing_zeros() / 8) as usize);
            found &= found - 1;
        }
        base += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == delimiter {
            ends.push(base + i);
        }
    }
    ends.push(text.len());
}

impl CsvReader {
    /// Sniffs the delimiter unless given (TSV is always TAB) and reads the
    /// header.
    pub(crate) fn new(
        name: &str,
        stream: Stream,
        format: InputFormat,
        delimiter: Option<u8>,
    ) -> Result<Self, InputError> {
        CsvReader::with_fill_size(name, stream, format, delimiter, FILL_BYTES)
    }

    /// [`CsvReader::new`] reading `fill` bytes at a time (tests use a few).
    fn with_fill_size(
        name: &str,
        stream: Stream,
        format: InputFormat,
        delimiter: Option<u8>,
        fill: usize,
    ) -> Result<Self, InputError> {
        let mut input = Input::new(stream, fill);
        let delimiter = match (delimiter, format) {
            (Some(d), _) => d,
            (None, InputFormat::Tsv) => b'\t',
            (None, _) => {
                input
                    .ensure(SNIFF_BYTES)
                    .map_err(|e| InputError::io(name, e))?;
                let available = input.available();
                let prefix = available.get(..SNIFF_BYTES).unwrap_or(available);
                sniff_delimiter(prefix, available.len() < SNIFF_BYTES)
            }
        };
        let core = new_parser(delimiter);
        let mut reader = CsvReader {
            info: SourceInfo {
                name: name.to_string(),
                format,
                delimiter: Some(delimiter),
                columns: Vec::new(),
                header_line: None,
            },
            input,
            core,
            delimiter,
            bom_may_follow: true,
            plain: false,
            discard: Vec::new(),
            discard_ends: Vec::new(),
            done: false,
            header_at: 1,
        };
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        let line = match reader.read_raw(&mut bytes, &mut ends, true) {
            Ok(Some(line)) => line,
            Ok(None) => return Err(InputError::new(name, None, InputErrorKind::NoHeader)),
            Err(ReadError::Fatal(e)) => return Err(e),
            Err(ReadError::Row(e)) => {
                return Err(InputError::new(
                    name,
                    Some(e.line),
                    InputErrorKind::TooLarge(e.message),
                ));
            }
        };
        reader.info.columns = header_columns(name, line, &bytes, &ends)?;
        reader.header_at = line;
        Ok(reader)
    }

    /// Of the first `rows` rows (the header read and those after it), the
    /// index of the first whose cells `binds` accepts.
    pub(crate) fn header_among(
        &mut self,
        rows: usize,
        binds: impl Fn(&[String]) -> bool,
    ) -> Option<usize> {
        if binds(&self.info.columns) {
            return Some(0);
        }
        let name = self.info.name.clone();
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        for k in 1..rows {
            let Ok(Some(line)) = self.read_raw(&mut bytes, &mut ends, true) else {
                break;
            };
            match header_columns(&name, line, &bytes, &ends) {
                Ok(columns) if binds(&columns) => return Some(k),
                _ => {}
            }
        }
        None
    }

    /// Skips rows after the header read: `skip` of them, or those that
    /// start before line `to_line`; takes the next row as the header (the
    /// rows above a table, such as a title).
    pub(crate) fn skip_to_header(mut self, skip: usize, to_line: u64) -> Result<Self, InputError> {
        let name = self.info.name.clone();
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        let mut header = None;
        let mut skipped = 0;
        while skipped < skip || header.unwrap_or(self.header_at) < to_line {
            skipped += 1;
            header = match self.read_raw(&mut bytes, &mut ends, true) {
                Ok(Some(line)) => Some(line),
                Ok(None) if to_line > 0 => {
                    let message =
                        format!("no row starts on line {to_line} or after it (--header-row)");
                    return Err(InputError::new(
                        &name,
                        None,
                        InputErrorKind::Syntax(message),
                    ));
                }
                Ok(None) => return Err(InputError::new(&name, None, InputErrorKind::NoHeader)),
                Err(ReadError::Fatal(e)) => return Err(e),
                Err(ReadError::Row(e)) => {
                    return Err(InputError::new(
                        &name,
                        Some(e.line),
                        InputErrorKind::TooLarge(e.message),
                    ));
                }
            };
        }
        if let Some(line) = header {
            self.info.columns = header_columns(&name, line, &bytes, &ends)?;
            self.info.header_line = Some(line);
        }
        Ok(self)
    }

    pub(crate) fn info(&self) -> &SourceInfo {
        &self.info
    }

    fn fatal_io(&self, e: io::Error) -> ReadError {
        ReadError::Fatal(InputError::io(&self.info.name, e))
    }

    /// Skips the blank lines before the next record, which the parser would
    /// skip, and a byte-order mark where the `csv` crate's parser dropped
    /// one; false at the end of the input.
    fn start_record(&mut self) -> io::Result<bool> {
        let input = &mut self.input;
        if std::mem::take(&mut self.bom_may_follow) {
            // After a record over the bounds ended by a CR, an LF is the
            // rest of its line break.
            if input.lines.pending_cr {
                input.ensure(1)?;
                if input.available().first() == Some(&b'\n') {
                    input.consume(1);
                }
            }
            input.ensure(BOM.len())?;
            if input.available().starts_with(BOM) {
                input.pos += BOM.len();
            }
        }
        loop {
            if input.pos == input.end && !input.read_more()? {
                return Ok(false);
            }
            let available = input.available();
            let first = available.iter().position(|&b| b != b'\n' && b != b'\r');
            input.consume(first.unwrap_or(available.len()));
            if first.is_some() {
                input.lines.settle();
                return Ok(true);
            }
        }
    }

    /// Reads the next record without the parser when it is a whole line in
    /// the buffer without quotes or CRs: then its cells are what lies between
    /// delimiters, exactly as the parser would read them, found by a
    /// vectorised search instead of a step per byte. `false` (nothing
    /// consumed) for any other record, which the parser reads.
    fn plain_line(&mut self, bytes: &mut Vec<u8>, ends: &mut Vec<usize>) -> bool {
        let available = self.input.available();
        let Some(newline) = memchr::memchr(b'\n', available) else {
            return false;
        };
        let Some(text) = available.get(..newline) else {
            return false;
        };
        if text.len() > PLAIN_LINE_BYTES
            || !self.delimiter.is_ascii()
            || memchr::memchr2(b'"', b'\r', text).is_some()
        {
            return false;
        }
        split_plain(text, self.delimiter, bytes, ends);
        // One line break, an LF; the record started past any CR.
        self.input.lines.complete += 1;
        self.input.lines.pending_cr = false;
        self.input.pos += newline + 1;
        true
    }

    /// Parses the next record into `bytes` and `ends` (the cells' ends in
    /// `bytes`), returning the line where it starts. A data record over the
    /// bounds is discarded and is a row error; the header over them is fatal.
    fn read_raw(
        &mut self,
        bytes: &mut Vec<u8>,
        ends: &mut Vec<usize>,
        header: bool,
    ) -> Result<Option<u64>, ReadError> {
        if !self.start_record().map_err(|e| self.fatal_io(e))? {
            return match self.input.failed.take() {
                Some(e) => Err(self.fatal_io(e)),
                None => Ok(None),
            };
        }
        let line = self.input.lines.complete + 1;
        self.plain = !header && self.plain_line(bytes, ends);
        if self.plain {
            return Ok(Some(line));
        }
        // Room for twice the last record; the parser asks for more if needed.
        let room = bytes.len().saturating_mul(2).clamp(256, 64 * 1024);
        bytes.resize(room, 0);
        let room = ends.len().saturating_mul(2).clamp(16, 4096);
        ends.resize(room, 0);
        let (mut written, mut cells) = (0, 0);
        let mut taken = 0u64;
        // Delimiters read for the record, counted once it is long enough to
        // hold too many: each ended a cell or, quoted, is in a cell.
        let (mut quoted_delimiters, mut counted) = (0u64, 0);
        let mut over = false;
        let mut open_quote = false;
        let mut last = 0;
        loop {
            if self.input.pos == self.input.end && !self.input.eof {
                self.input.read_more().map_err(|e| self.fatal_io(e))?;
            }
            let input = self
                .input
                .buf
                .get(self.input.pos..self.input.end)
                .unwrap_or_default();
            if over && input.is_empty() {
                // The input ends the record. Inside quotes, a line break
                // would be part of the cell: that tells a quote left open.
                let (result, _, written, _) =
                    self.core
                        .read_record(b"\n", &mut self.discard, &mut self.discard_ends);
                open_quote = result == ReadRecordResult::InputEmpty && written == 1;
                if open_quote {
                    self.core
                        .read_record(&[], &mut self.discard, &mut self.discard_ends);
                }
                break;
            }
            let lf = self.core.line();
            let (result, nin, nout, nend) = if over {
                self.core
                    .read_record(input, &mut self.discard, &mut self.discard_ends)
            } else {
                self.core.read_record(
                    input,
                    bytes.get_mut(written..).unwrap_or_default(),
                    ends.get_mut(cells..).unwrap_or_default(),
                )
            };
            let consumed = input.get(..nin).unwrap_or(input);
            self.input
                .lines
                .advance_counted(consumed, self.core.line().saturating_sub(lf));
            if let Some(&b) = consumed.last() {
                last = b;
            }
            taken += nin as u64;
            self.input.pos += nin;
            if !over {
                written += nout;
                cells += nend;
                let mut too_large = taken > MAX_RECORD_BYTES;
                if taken > MAX_RECORD_DELIMITERS {
                    let delimiter = self.delimiter;
                    let new = bytes.get(counted..written).unwrap_or_default();
                    quoted_delimiters += new.iter().filter(|&&b| b == delimiter).count() as u64;
                    counted = written;
                    let ended = u64::from(result == ReadRecordResult::Record);
                    let delimiters = quoted_delimiters + (cells as u64).saturating_sub(ended);
                    too_large |= delimiters > MAX_RECORD_DELIMITERS;
                }
                if too_large {
                    if header {
                        let message = format!(
                            "the record starting here is {}; is a quote left open?",
                            limits()
                        );
                        return Err(ReadError::Fatal(InputError::new(
                            &self.info.name,
                            Some(line),
                            InputErrorKind::TooLarge(message),
                        )));
                    }
                    over = true;
                    self.discard.resize(DISCARD_BYTES, 0);
                    self.discard_ends.resize(DISCARD_ENDS, 0);
                }
            }
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull if !over => {
                    grow(bytes, MAX_RECORD_BYTES as usize + 1);
                }
                ReadRecordResult::OutputEndsFull if !over => {
                    grow(ends, MAX_RECORD_DELIMITERS as usize + 2);
                }
                ReadRecordResult::OutputFull | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return Ok(None),
            }
        }
        if over {
            self.bom_may_follow = true;
            let lines = self.input.lines.complete;
            let end_line = if last == b'\n' { lines } else { lines + 1 };
            let limits = limits();
            let message = if open_quote {
                format!(
                    "the row is {limits}, and a quote opened in it is never closed: the rest of \
                     the input was skipped"
                )
            } else if end_line > line {
                format!("the row is {limits}; lines {line} to {end_line} were skipped")
            } else {
                format!("the row is {limits}; it was skipped")
            };
            bytes.clear();
            ends.clear();
            return Err(ReadError::Row(RowError::new(
                &self.info.name,
                line,
                message,
            )));
        }
        bytes.truncate(written);
        ends.truncate(cells);
        Ok(Some(line))
    }

    /// Takes the whole records in the bytes read (reading more first when
    /// no whole line is left) into `buffer`, as a reader of their own: the
    /// rows read from it are the rows this reader would have read, and this
    /// reader goes on after them. With several threads, one thread at a
    /// time reads the input, and the rows of a chunk are parsed outside
    /// that turn. `None`, with nothing taken, where the bytes cannot be cut
    /// without the parser: a CR not in a CRLF, a quote that neither opens a
    /// cell nor closes one followed by a delimiter or a line break, no whole
    /// record, or a record over the bounds just read; then read rows one by
    /// one.
    pub(crate) fn take_chunk(&mut self, spare: &mut Spare) -> Result<Option<CsvReader>, ReadError> {
        if self.done || self.bom_may_follow || matches!(self.delimiter, b'"' | b'\n' | b'\r') {
            return Ok(None);
        }
        // Past blank lines and the LF of a CRLF that ended the last record,
        // as reading a row would be.
        if !self.start_record().map_err(|e| self.fatal_io(e))? {
            return Ok(None);
        }
        if self.at_fill() {
            self.input.read_more().map_err(|e| self.fatal_io(e))?;
        }
        let Some(cut) = whole_records(self.input.available(), self.delimiter) else {
            return Ok(None);
        };
        let (start, lines) = (self.input.pos, self.input.lines);
        self.input.consume(cut);
        // The chunk keeps the buffer, its bytes where they are; the bytes
        // after it move to the front of the spare buffer, which this
        // reader reads on into.
        let size = self.input.buf.len();
        let mut buf = std::mem::take(&mut spare.buf);
        if buf.len() != size {
            buf = vec![0; size];
        }
        let rest = self
            .input
            .buf
            .get(self.input.pos..self.input.end)
            .unwrap_or_default();
        let kept = rest.len().min(size);
        if let (Some(to), Some(from)) = (buf.get_mut(..kept), rest.get(..kept)) {
            to.copy_from_slice(from);
        }
        let buf = std::mem::replace(&mut self.input.buf, buf);
        self.input.pos = 0;
        self.input.end = kept;
        let core = match spare.core.take() {
            Some((delimiter, core)) if delimiter == self.delimiter => core,
            _ => new_parser(self.delimiter),
        };
        Ok(Some(CsvReader {
            info: self.info.clone(),
            input: Input {
                stream: Box::new(io::empty()),
                buf,
                pos: start,
                end: start + cut,
                eof: true,
                lines,
                failed: None,
            },
            core,
            delimiter: self.delimiter,
            bom_may_follow: false,
            plain: false,
            discard: Vec::new(),
            discard_ends: Vec::new(),
            done: false,
            header_at: self.header_at,
        }))
    }

    /// What a reader from [`CsvReader::take_chunk`] leaves for the next
    /// chunk: its buffer, and its parser when it read to the end (where the
    /// parser is between records, as a new one is).
    pub(crate) fn into_spare(self) -> Spare {
        Spare {
            core: self.done.then_some((self.delimiter, self.core)),
            buf: self.input.buf,
        }
    }

    /// No line break is left in the bytes read from the input and not
    /// consumed: the next row reads more first.
    pub(crate) fn at_fill(&self) -> bool {
        !self.done && !self.input.eof && memchr::memchr(b'\n', self.input.available()).is_none()
    }

    /// Reads the next row into `rec`: `Ok(false)` at the end, a row error for
    /// a row with the wrong number of cells, an oversized cell or a cell that
    /// is not UTF-8. Blank lines are skipped.
    pub(crate) fn read(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        if self.done {
            return Ok(false);
        }
        let header_len = self.info.columns.len();
        let (mut bytes, mut ends) = rec.take_csv_buffers();
        loop {
            let line = match self.read_raw(&mut bytes, &mut ends, false) {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.done = true;
                    rec.cells.clear_with(bytes, ends);
                    return Ok(false);
                }
                Err(e) => {
                    if matches!(e, ReadError::Fatal(_)) {
                        self.done = true;
                    }
                    rec.cells.clear_with(bytes, ends);
                    return Err(e);
                }
            };
            rec.line = line;
            // A line of spaces is one blank cell: skip it as a blank line,
            // unless the file has a single column (then it is an empty value).
            if header_len > 1 && ends.len() == 1 && bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return self
                .check(rec, bytes, ends, line)
                .map(|()| true)
                .map_err(ReadError::Row);
        }
    }

    /// Checks a record's cells and keeps them in `rec`.
    fn check(
        &self,
        rec: &mut Record,
        bytes: Vec<u8>,
        ends: Vec<usize>,
        line: u64,
    ) -> Result<(), RowError> {
        let name = &self.info.name;
        let header_len = self.info.columns.len();
        let separator = self.plain.then_some(self.delimiter);
        if ends.len() > MAX_CELLS {
            rec.cells.clear_with(bytes, ends);
            return Err(RowError::new(
                name,
                line,
                format!("the row has more than {MAX_CELLS} cells"),
            ));
        }
        if ends.len() != header_len {
            // Too few cells, one of them spanning lines: most likely a quote
            // that was never closed swallowed the rows after it.
            let open_quote = ends.len() < header_len && bytes.contains(&b'\n');
            let message = format!(
                "the row has {} cells, the header has {}{}",
                ends.len(),
                header_len,
                if open_quote {
                    "; a quote in it may never be closed, which joins the lines after it into one cell"
                } else {
                    ""
                }
            );
            rec.cells.clear_with(bytes, ends);
            return Err(RowError::new(name, line, message));
        }
        // Most records are valid UTF-8 with no cell larger than the whole
        // record: one check of the whole text, and of each cell's end (the
        // text can be valid while a cell is not, cut inside a character).
        let bytes = if bytes.len() <= MAX_FIELD_BYTES {
            match String::from_utf8(bytes) {
                Ok(text) if ends.iter().all(|&end| text.is_char_boundary(end)) => {
                    rec.cells.set(text, ends, separator);
                    return Ok(());
                }
                Ok(text) => text.into_bytes(),
                Err(e) => e.into_bytes(),
            }
        } else {
            bytes
        };
        let error = raw_cells(&bytes, &ends, self.plain)
            .enumerate()
            .find_map(|(i, cell)| {
                let column = || column_label(&self.info.columns, i);
                if cell.len() > MAX_FIELD_BYTES {
                    let message = format!("the cell is larger than {} MiB", MAX_FIELD_BYTES >> 20);
                    return Some(RowError::new(name, line, message).with_column(column()));
                }
                std::str::from_utf8(cell).is_err().then(|| {
                    let shown = escape_bytes(cell.get(..200).unwrap_or(cell));
                    RowError::new(
                        name,
                        line,
                        "is not valid UTF-8 (try --encoding windows-1252)",
                    )
                    .with_column(column())
                    .with_value(&shown)
                })
            });
        match error {
            Some(error) => {
                rec.cells.clear_with(bytes, ends);
                Err(error)
            }
            // Every cell is valid UTF-8, so the text is.
            None => match String::from_utf8(bytes) {
                Ok(text) => {
                    rec.cells.set(text, ends, separator);
                    Ok(())
                }
                Err(e) => {
                    let shown = escape_bytes(e.as_bytes().get(..200).unwrap_or_default());
                    rec.cells.clear_with(e.into_bytes(), ends);
                    Err(RowError::new(
                        name,
                        line,
                        "is not valid UTF-8 (try --encoding windows-1252)",
                    )
                    .with_value(&shown))
                }
            },
        }
    }
}

/// The bounds, as row errors word them.
fn limits() -> String {
    format!(
        "larger than {} MiB or has more than {} cells",
        MAX_RECORD_BYTES >> 20,
        MAX_RECORD_DELIMITERS
    )
}

/// The header's cells as column names; `line` is where the header starts.
fn header_columns(
    name: &str,
    line: u64,
    bytes: &[u8],
    ends: &[usize],
) -> Result<Vec<String>, InputError> {
    if ends.len() > MAX_CELLS {
        return Err(InputError::new(
            name,
            Some(line),
            InputErrorKind::TooManyColumns,
        ));
    }
    let mut columns = Vec::with_capacity(ends.len());
    for (i, cell) in raw_cells(bytes, ends, false).enumerate() {
        if cell.len() > MAX_FIELD_BYTES {
            let message = format!(
                "header cell {} is larger than {} MiB",
                i + 1,
                MAX_FIELD_BYTES >> 20
            );
            return Err(InputError::new(
                name,
                Some(line),
                InputErrorKind::TooLarge(message),
            ));
        }
        match std::str::from_utf8(cell) {
            Ok(s) => columns.push(s.to_string()),
            Err(_) => {
                return Err(InputError::new(
                    name,
                    Some(line),
                    InputErrorKind::HeaderNotUtf8 { column: i + 1 },
                ));
            }
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests;
