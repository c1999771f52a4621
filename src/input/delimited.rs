//! CSV and TSV reading: delimiter sniffing, exact line numbers, row checks, memory bounds.
//!
//! Records are parsed by the `csv` crate into one reused `ByteRecord`.
//!
//! **Line numbers.** `ByteRecord::position().line()` is not exact (after blank
//! lines or with CRLF endings it points at an earlier line), so the stream
//! handed to the `csv` crate goes through [`LineTracker`], which hands out at
//! most one line per read and counts the line breaks (LF, CRLF, lone CR)
//! handed out. When a record has been parsed, the tracker has handed out
//! exactly the lines up to the record's last line; the record starts as many
//! lines earlier as it has line breaks inside its (quoted) cells.
//!
//! **Memory.** The `csv` crate buffers a whole record, so an unclosed quote
//! could make one record of the rest of the file. The tracker counts the bytes
//! and delimiters handed out since the last record and fails the stream (a
//! row error) past [`MAX_RECORD_BYTES`] bytes or [`MAX_RECORD_DELIMITERS`]
//! delimiters: one record never holds more than about 32 MiB of cell bytes and
//! a million cell bounds. The tracker follows the quoting as `csv_core` reads
//! it, so it can then discard the rest of the record without holding it and
//! reading goes on with the next one; a quote left open discards the rest of
//! the input, and the row error says so. Below those bounds, a cell over
//! [`MAX_FIELD_BYTES`] or a row over [`MAX_CELLS`] cells is a row error.

use std::io::{self, BufRead, Read, Seek};

use ::csv::ByteRecord;

use super::error::{InputError, InputErrorKind, RowError, escape_bytes};
use super::stream::{BUFFER, Stream, read_up_to, unread};
use super::{InputFormat, MAX_CELLS, MAX_FIELD_BYTES, ReadError, Record, SourceInfo, column_label};

/// A record whose bytes exceed this ends reading (see the module docs).
pub const MAX_RECORD_BYTES: u64 = 32 * 1024 * 1024;
/// A record with more delimiters than this ends reading.
pub const MAX_RECORD_DELIMITERS: u64 = 1_000_000;

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

/// Hands the stream to the `csv` crate one line at a time, counting lines and
/// enforcing the per-record bounds (see the module docs).
///
/// Lines end with LF, CRLF or a lone CR (old Mac files). Each chunk handed
/// out ends at the first line break (`\n`, `\r\n` when both are at hand, or
/// `\r`); whether a CR at the end of a chunk was a lone one is known from the
/// next chunk.
pub(crate) struct LineTracker<R> {
    inner: R,
    delimiter: u8,
    /// Line breaks handed out, not counting a CR whose next byte is unknown.
    newlines: u64,
    /// The last chunk ended with a CR whose next byte is not handed out yet.
    pending_cr: bool,
    /// The inner stream reported its end.
    eof: bool,
    /// Bytes and delimiters handed out since [`LineTracker::mark`].
    bytes: u64,
    delimiters: u64,
    /// The first line after the last mark.
    mark_line: u64,
    over_limit: bool,
    /// The quoting state at the end of what was handed out.
    quoting: Quoting,
    /// Set when a record over the bounds was discarded: whether the input
    /// ended inside its quotes.
    skipped: Option<bool>,
}

/// Where the `csv` crate's parser is in a record, as `csv_core` reads CSV
/// with the settings used here (a quote opens a quoted cell only at its
/// start; a doubled quote inside one is a quote; no escape character, no
/// comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quoting {
    StartOfCell,
    InCell,
    InQuotes,
    /// A quote inside a quoted cell: its end, or the first of a doubled one.
    QuoteInQuotes,
}

impl Quoting {
    /// The state after `chunk`, and whether a line break in it ended the
    /// record (chunks hold at most one line break, at their end).
    fn after(self, chunk: &[u8], delimiter: u8) -> (Quoting, bool) {
        let Some(&last) = chunk.last() else {
            return (self, false);
        };
        let is_break = |b: u8| b == b'\n' || b == b'\r';
        if !chunk.contains(&b'"') {
            match self {
                Quoting::InQuotes => return (self, false),
                Quoting::StartOfCell | Quoting::InCell => {
                    return match last {
                        b if is_break(b) => (Quoting::StartOfCell, true),
                        b if b == delimiter => (Quoting::StartOfCell, false),
                        _ => (Quoting::InCell, false),
                    };
                }
                Quoting::QuoteInQuotes => {}
            }
        }
        let mut state = self;
        let mut ended = false;
        for &b in chunk {
            state = match (state, b) {
                (Quoting::InQuotes, b'"') => Quoting::QuoteInQuotes,
                (Quoting::InQuotes, _) => Quoting::InQuotes,
                (Quoting::QuoteInQuotes | Quoting::StartOfCell, b'"') => Quoting::InQuotes,
                (_, b) if is_break(b) => {
                    ended = true;
                    Quoting::StartOfCell
                }
                (_, b) if b == delimiter => Quoting::StartOfCell,
                _ => Quoting::InCell,
            };
        }
        (state, ended)
    }
}

/// The length of the chunk at the start of `window`: up to and including its
/// first line break (CRLF when both bytes are at hand).
fn chunk_len(window: &[u8]) -> usize {
    match window.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(p) if window.get(p) == Some(&b'\r') && window.get(p + 1) == Some(&b'\n') => p + 2,
        Some(p) => p + 1,
        None => window.len(),
    }
}

impl<R: BufRead> LineTracker<R> {
    fn new(inner: R, delimiter: u8) -> Self {
        LineTracker {
            inner,
            delimiter,
            newlines: 0,
            pending_cr: false,
            eof: false,
            bytes: 0,
            delimiters: 0,
            mark_line: 1,
            over_limit: false,
            quoting: Quoting::StartOfCell,
            skipped: None,
        }
    }

    /// Called before each record: restarts the per-record counts.
    fn mark(&mut self) {
        self.bytes = 0;
        self.delimiters = 0;
        self.quoting = Quoting::StartOfCell;
        self.mark_line = self.newlines + u64::from(self.pending_cr) + 1;
    }

    /// The end of the input was reached.
    fn reached_eof(&mut self) {
        self.eof = true;
        if self.pending_cr {
            self.pending_cr = false;
            self.newlines += 1;
        }
    }

    /// Discards the rest of a record over the bounds, one line at a time,
    /// counting lines as usual; `ended` says the last chunk handed out ended it.
    fn skip_record(&mut self, mut ended: bool) -> io::Result<()> {
        while !ended {
            let avail = self.inner.fill_buf()?;
            if avail.is_empty() {
                self.reached_eof();
                self.skipped = Some(self.quoting == Quoting::InQuotes);
                return Ok(());
            }
            let take = chunk_len(avail);
            let chunk = avail.get(..take).unwrap_or(avail);
            let (quoting, end) = self.quoting.after(chunk, self.delimiter);
            if self.pending_cr && chunk.first() != Some(&b'\n') {
                self.newlines += 1;
            }
            self.newlines += u64::from(chunk.last() == Some(&b'\n'));
            self.pending_cr = chunk.last() == Some(&b'\r');
            self.quoting = quoting;
            ended = end;
            self.inner.consume(take);
        }
        self.skipped = Some(false);
        Ok(())
    }

    /// The line on which the record just parsed ends.
    ///
    /// Chunks hold at most one line break, at their end, and the `csv` crate
    /// asks for more input only when it has no complete record; so a record
    /// parsed after the end of the input was reached was ended by it, and
    /// any other record by the last line break handed out.
    fn end_line(&self) -> u64 {
        if self.eof {
            // Ends on the line after the last line break (the cut last line,
            // or an empty one when a quote left open ends in a line break).
            self.newlines + 1
        } else {
            // A CR not counted yet ends line `newlines + 1`.
            self.newlines + u64::from(self.pending_cr)
        }
    }
}

/// Line breaks in a record's cells, counted as [`LineTracker`] counts them.
fn line_breaks(bytes: &[u8]) -> u64 {
    let mut n = 0;
    let mut prev_cr = false;
    for &b in bytes {
        // A CR is a line break of its own unless an LF follows (counted then).
        if prev_cr || b == b'\n' {
            n += 1;
        }
        prev_cr = b == b'\r';
    }
    n + u64::from(prev_cr)
}

impl<R: BufRead> Read for LineTracker<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.over_limit {
            return Err(io::Error::other("record too large"));
        }
        if out.is_empty() {
            return Ok(0);
        }
        let avail = self.inner.fill_buf()?;
        if avail.is_empty() {
            self.reached_eof();
            return Ok(0);
        }
        let window = avail.get(..out.len().min(avail.len())).unwrap_or(avail);
        let take = chunk_len(window);
        let chunk = window.get(..take).unwrap_or(window);
        for (d, s) in out.iter_mut().zip(chunk) {
            *d = *s;
        }
        let delimiter = self.delimiter;
        self.delimiters += chunk.iter().filter(|&&b| b == delimiter).count() as u64;
        let (quoting, ended) = self.quoting.after(chunk, delimiter);
        self.quoting = quoting;
        if self.pending_cr && chunk.first() != Some(&b'\n') {
            // The CR that ended the previous chunk was a line break of its own.
            self.newlines += 1;
        }
        self.newlines += u64::from(chunk.last() == Some(&b'\n'));
        self.pending_cr = chunk.last() == Some(&b'\r');
        self.bytes += take as u64;
        self.inner.consume(take);
        if self.bytes > MAX_RECORD_BYTES || self.delimiters > MAX_RECORD_DELIMITERS {
            self.over_limit = true;
            self.skip_record(ended)?;
            return Err(io::Error::other("record too large"));
        }
        Ok(take)
    }
}

/// Seeking is only "stay here": what the `csv` crate needs to reset its
/// parser after a record over the bounds was discarded.
impl<R: BufRead> Seek for LineTracker<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        match pos {
            io::SeekFrom::Current(0) => Ok(0),
            _ => Err(io::Error::other("the input cannot seek")),
        }
    }
}

/// Reads records of a CSV or TSV stream.
pub(crate) struct CsvReader {
    info: SourceInfo,
    csv: ::csv::Reader<LineTracker<Stream>>,
    done: bool,
}

impl CsvReader {
    /// Sniffs the delimiter unless given (TSV is always TAB) and reads the
    /// header.
    pub(crate) fn new(
        name: &str,
        mut stream: Stream,
        format: InputFormat,
        delimiter: Option<u8>,
    ) -> Result<Self, InputError> {
        let (delimiter, stream) = match (delimiter, format) {
            (Some(d), _) => (d, stream),
            (None, InputFormat::Tsv) => (b'\t', stream),
            (None, _) => {
                let prefix =
                    read_up_to(&mut stream, SNIFF_BYTES).map_err(|e| InputError::io(name, e))?;
                let complete = prefix.len() < SNIFF_BYTES;
                (sniff_delimiter(&prefix, complete), unread(prefix, stream))
            }
        };
        let csv = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .buffer_capacity(BUFFER)
            .from_reader(LineTracker::new(stream, delimiter));
        let mut reader = CsvReader {
            info: SourceInfo {
                name: name.to_string(),
                format,
                delimiter: Some(delimiter),
                columns: Vec::new(),
            },
            csv,
            done: false,
        };
        let mut header = ByteRecord::new();
        let line = match reader.read_raw(&mut header, true) {
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
        if header.len() > MAX_CELLS {
            return Err(InputError::new(
                name,
                Some(line),
                InputErrorKind::TooManyColumns,
            ));
        }
        let mut columns = Vec::with_capacity(header.len());
        for (i, cell) in header.iter().enumerate() {
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
        reader.info.columns = columns;
        Ok(reader)
    }

    pub(crate) fn info(&self) -> &SourceInfo {
        &self.info
    }

    /// Parses the next record into `rec`, returning the line where it starts.
    /// A data record over the bounds is discarded and is a row error; the
    /// header over them is fatal.
    fn read_raw(&mut self, rec: &mut ByteRecord, header: bool) -> Result<Option<u64>, ReadError> {
        self.csv.get_mut().mark();
        match self.csv.read_byte_record(rec) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let inner: u64 = rec.iter().map(line_breaks).sum();
                Ok(Some(
                    self.csv.get_ref().end_line().saturating_sub(inner).max(1),
                ))
            }
            Err(e) => {
                let tracker = self.csv.get_ref();
                if tracker.over_limit {
                    let line = tracker.mark_line;
                    let limits = format!(
                        "larger than {} MiB or has more than {} cells",
                        MAX_RECORD_BYTES >> 20,
                        MAX_RECORD_DELIMITERS
                    );
                    let skipped = tracker.skipped;
                    let last = tracker.newlines.max(line);
                    if !header && let Some(open_quote) = skipped {
                        let tracker = self.csv.get_mut();
                        tracker.over_limit = false;
                        tracker.skipped = None;
                        // The parser is mid-record: start it afresh where the
                        // tracker stopped discarding.
                        let reset = self
                            .csv
                            .seek_raw(io::SeekFrom::Current(0), ::csv::Position::new());
                        if reset.is_ok() {
                            let message = if open_quote {
                                format!(
                                    "the row is {limits}, and a quote opened in it is never \
                                     closed: the rest of the input was skipped"
                                )
                            } else if last > line {
                                format!("the row is {limits}; lines {line} to {last} were skipped")
                            } else {
                                format!("the row is {limits}; it was skipped")
                            };
                            return Err(ReadError::Row(RowError::new(
                                &self.info.name,
                                line,
                                message,
                            )));
                        }
                    }
                    let message =
                        format!("the record starting here is {limits}; is a quote left open?");
                    return Err(ReadError::Fatal(InputError::new(
                        &self.info.name,
                        Some(line),
                        InputErrorKind::TooLarge(message),
                    )));
                }
                let io = match e.into_kind() {
                    ::csv::ErrorKind::Io(io) => io,
                    other => io::Error::other(format!("{other:?}")),
                };
                Err(ReadError::Fatal(InputError::io(&self.info.name, io)))
            }
        }
    }

    /// Reads the next row into `rec`: `Ok(false)` at the end, a row error for
    /// a row with the wrong number of cells, an oversized cell or a cell that
    /// is not UTF-8. Blank lines are skipped.
    pub(crate) fn read(&mut self, rec: &mut Record) -> Result<bool, ReadError> {
        if self.done {
            return Ok(false);
        }
        let header_len = self.info.columns.len();
        loop {
            let line = match self.read_raw(rec.csv_buffer(), false) {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.done = true;
                    return Ok(false);
                }
                Err(ReadError::Row(e)) => return Err(ReadError::Row(e)),
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            };
            rec.line = line;
            let cells = rec.csv_buffer();
            // A line of spaces is one blank cell: skip it as a blank line,
            // unless the file has a single column (then it is an empty value).
            if header_len > 1
                && cells.len() == 1
                && cells
                    .get(0)
                    .is_some_and(|c| c.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            return self
                .check(cells, line)
                .map(|()| true)
                .map_err(ReadError::Row);
        }
    }

    fn check(&self, cells: &ByteRecord, line: u64) -> Result<(), RowError> {
        let name = &self.info.name;
        let header_len = self.info.columns.len();
        if cells.len() > MAX_CELLS {
            return Err(RowError::new(
                name,
                line,
                format!("the row has more than {MAX_CELLS} cells"),
            ));
        }
        if cells.len() != header_len {
            // Too few cells, one of them spanning lines: most likely a quote
            // that was never closed swallowed the rows after it.
            let open_quote = cells.len() < header_len && cells.iter().any(|c| c.contains(&b'\n'));
            let message = format!(
                "the row has {} cells, the header has {}{}",
                cells.len(),
                header_len,
                if open_quote {
                    "; a quote in it may never be closed, which joins the lines after it into one cell"
                } else {
                    ""
                }
            );
            return Err(RowError::new(name, line, message));
        }
        // Most records are plain ASCII: valid UTF-8 in every cell, and no
        // cell larger than the whole record; one pass over the bytes says so.
        let all = cells.as_slice();
        if all.len() <= MAX_FIELD_BYTES && all.is_ascii() {
            return Ok(());
        }
        for (i, cell) in cells.iter().enumerate() {
            let column = || column_label(&self.info.columns, i);
            if cell.len() > MAX_FIELD_BYTES {
                let message = format!("the cell is larger than {} MiB", MAX_FIELD_BYTES >> 20);
                return Err(RowError::new(name, line, message).with_column(column()));
            }
            if std::str::from_utf8(cell).is_err() {
                let shown = escape_bytes(cell.get(..200).unwrap_or(cell));
                return Err(RowError::new(
                    name,
                    line,
                    "is not valid UTF-8 (try --encoding windows-1252)",
                )
                .with_column(column())
                .with_value(&shown));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_each_delimiter() {
        let cases: [(&str, u8); 9] = [
            ("a,b,c\n1,2,3\n", b','),
            ("a;b;c\n1;2,5;3\n", b';'),
            ("a\tb\tc\n1\t2, 3\t4\n", b'\t'),
            ("a|b|c\n1|2|3\n", b'|'),
            ("single\n1\n2\n", b','),
            ("", b','),
            // commas in the header's quoted names do not count
            ("\"a,x\";\"b,y\";c\n1;2;3\n", b';'),
            // the header has one comma and one semicolon: the rows decide
            ("name;cost, eur\nx;1\ny;2\n", b';'),
            // a quoted cell spanning lines is one record
            ("a,b\n\"x\ny;z;w\",2\n3,4\n", b','),
        ];
        for (text, want) in cases {
            assert_eq!(
                sniff_delimiter(text.as_bytes(), true) as char,
                want as char,
                "{text:?}"
            );
        }
    }

    #[test]
    fn line_breaks_in_cells() {
        let cases: [(&[u8], u64); 7] = [
            (b"", 0),
            (b"a\nb", 1),
            (b"a\r\nb", 1),
            (b"a\rb", 1),
            (b"a\r", 1),
            (b"\r\r\n\n", 3),
            (b"\n\r", 2),
        ];
        for (bytes, want) in cases {
            assert_eq!(line_breaks(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn sniffer_ignores_a_cut_last_line() {
        // Only the header is complete: the cut line is not compared.
        assert_eq!(sniff_delimiter(b"a;b\n1;2;3;4", false), b';');
        assert_eq!(count_delimiters(b"a;b\n1;2;3;4", b';', false, 5), vec![1]);
        assert_eq!(
            count_delimiters(b"a;b\r\n1;2;3;4", b';', true, 5),
            vec![1, 3]
        );
    }
}
