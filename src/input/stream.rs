//! Byte streams under the readers: buffering, byte-order marks, and decoding
//! from other encodings to UTF-8.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::Encoding;

/// Buffer size for reading inputs.
pub(crate) const BUFFER: usize = 64 * 1024;

pub(crate) type Stream = Box<dyn BufRead + Send>;

/// Buffers `raw`, reads its byte-order mark, and decodes the rest to UTF-8
/// unless it is UTF-8 already. A byte-order mark decides the encoding
/// whatever `encoding` says (UTF-8, UTF-16LE or UTF-16BE) and is dropped, so
/// a UTF-8 file read as windows-1252 does not start with `ï»¿`, and Excel's
/// "Unicode Text" (UTF-16LE with a mark) reads without `--encoding`.
pub(crate) fn prepare(raw: Box<dyn Read + Send>, encoding: Encoding) -> io::Result<Stream> {
    let mut reader = BufReader::with_capacity(BUFFER, raw);
    let head = read_up_to(&mut reader, 3)?;
    let from_bom = encoding_rs::Encoding::for_bom(&head).is_some();
    let (encoding, head) = match encoding_rs::Encoding::for_bom(&head) {
        Some((e, len)) => {
            let rest = head.get(len..).unwrap_or_default().to_vec();
            if e == encoding_rs::UTF_8 {
                (Encoding::Utf8, rest)
            } else {
                (Encoding::Other(e), rest)
            }
        }
        None => (encoding, head),
    };
    let joined = BufReader::with_capacity(BUFFER, Cursor::new(head).chain(reader));
    Ok(match encoding {
        Encoding::Utf8 => Box::new(joined),
        Encoding::Other(e) => Box::new(BufReader::with_capacity(
            BUFFER,
            Decoded::new(joined, e, from_bom),
        )),
    })
}

/// Reads up to `n` bytes (fewer only at the end of the input).
pub(crate) fn read_up_to(reader: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// The first `n` bytes of a stream (fewer at its end) put back in front of
/// the rest, to look at before reading. When reading them fails, the bytes
/// before the error are still read first, and the error comes after them.
pub(crate) fn peek_up_to(mut stream: Stream, n: usize) -> (Vec<u8>, Stream) {
    let mut prefix = Vec::new();
    match (&mut stream).take(n as u64).read_to_end(&mut prefix) {
        Ok(_) => {
            let copy = prefix.clone();
            (copy, unread(prefix, stream))
        }
        Err(e) => {
            let copy = prefix.clone();
            let failing = Box::new(BufReader::new(Failing(Some(e))));
            (copy, unread(prefix, failing))
        }
    }
}

/// A stream whose next read fails with the error it holds.
struct Failing(Option<io::Error>);

impl Read for Failing {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Puts bytes already read back in front of the rest of the stream.
pub(crate) fn unread(prefix: Vec<u8>, rest: Stream) -> Stream {
    Box::new(BufReader::with_capacity(
        BUFFER,
        Cursor::new(prefix).chain(rest),
    ))
}

/// Reads a whole stream into memory, or `None` when it is longer than `limit`.
pub(crate) fn read_all_bounded(reader: &mut dyn Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut out)?;
    Ok(if out.len() > limit { None } else { Some(out) })
}

/// Text in any encoding of the Encoding Standard, decoded to UTF-8 as it
/// is read (encoding_rs's streaming decoder). Bytes that are not text in
/// the encoding end the stream with an error naming their line; the lines
/// before it are all handed out, and no part of the line holding it.
pub(crate) struct Decoded<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    /// The byte-order mark chose the encoding (for the error's advice).
    from_bom: bool,
    /// Decoded bytes: `out[start..end]` to hand out, then `out[end..held]`,
    /// a line not ended yet, held back until it is.
    out: Box<[u8]>,
    start: usize,
    end: usize,
    held: usize,
    /// Line breaks handed out (LF, CR LF or a lone CR), for an error's line.
    lines: u64,
    /// The last byte handed out was a CR.
    after_cr: bool,
    done: bool,
    /// Bytes that are not text, met after the decoded bytes: the error comes
    /// when the lines before them are handed out.
    malformed: Option<io::Error>,
}

/// Bytes decoded at a time.
const DECODED: usize = 16 * 1024;

impl<R: BufRead> Decoded<R> {
    pub(crate) fn new(inner: R, encoding: &'static encoding_rs::Encoding, from_bom: bool) -> Self {
        Decoded {
            inner,
            // The byte-order mark was read by `prepare`.
            decoder: encoding.new_decoder_without_bom_handling(),
            from_bom,
            out: vec![0; DECODED].into_boxed_slice(),
            start: 0,
            end: 0,
            held: 0,
            lines: 0,
            after_cr: false,
            done: false,
            malformed: None,
        }
    }

    /// Line breaks in `bytes`, following on bytes that ended with a CR when
    /// `after_cr`; and whether `bytes` ends with a CR.
    fn breaks(bytes: &[u8], mut after_cr: bool) -> (u64, bool) {
        let mut n = 0;
        for &b in bytes {
            match b {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => n += 1,
                _ => {}
            }
            after_cr = b == b'\r';
        }
        (n, after_cr)
    }

    /// Decodes more of the input, until there are whole lines to hand out,
    /// the end, or an error.
    fn refill(&mut self) -> io::Result<()> {
        use encoding_rs::DecoderResult;
        while self.start == self.end {
            if self.done {
                // The held line ends at the end of the input.
                self.end = self.held;
                if self.start == self.end {
                    return match self.malformed.take() {
                        Some(e) => Err(e),
                        None => Ok(()),
                    };
                }
                return Ok(());
            }
            // What is held moves to the front; decoding goes on after it.
            self.out.copy_within(self.end..self.held, 0);
            self.held -= self.end;
            self.start = 0;
            self.end = 0;
            if self.held == self.out.len() {
                // A line longer than the buffer is handed out in parts.
                self.end = self.held;
                return Ok(());
            }
            let src = self.inner.fill_buf()?;
            let last = src.is_empty();
            let room = self.out.get_mut(self.held..).unwrap_or_default();
            let (result, read, written) = self
                .decoder
                .decode_to_utf8_without_replacement(src, room, last);
            self.inner.consume(read);
            let decoded = self.held + written;
            if let DecoderResult::Malformed(_, _) = result {
                // The line holding the bad bytes is not handed out.
                let whole = self
                    .out
                    .get(..decoded)
                    .and_then(|d| d.iter().rposition(|&b| b == b'\n' || b == b'\r'))
                    .map_or(0, |i| i + 1);
                let before = self.out.get(..whole).unwrap_or_default();
                let (n, _) = Self::breaks(before, self.after_cr);
                let line = self.lines + n + 1;
                let name = self.decoder.encoding().name();
                let advice = if self.from_bom {
                    format!("the byte-order mark says {name}: the file is damaged, or was cut")
                } else {
                    "name the file's encoding with --encoding (for example utf-8, \
                     windows-1252, utf-16le)"
                        .to_string()
                };
                self.malformed = Some(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("line {line}: bytes that are not {name} text; {advice}"),
                ));
                self.end = whole;
                self.held = whole;
                self.done = true;
                continue;
            }
            self.held = decoded;
            if last && result == DecoderResult::InputEmpty {
                self.done = true;
                continue;
            }
            // Hand out up to the last line break; hold the rest.
            self.end = self
                .out
                .get(..decoded)
                .and_then(|d| d.iter().rposition(|&b| b == b'\n' || b == b'\r'))
                .map_or(0, |i| i + 1);
        }
        Ok(())
    }
}

impl<R: BufRead> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.refill()?;
        let ready = self.out.get(self.start..self.end).unwrap_or_default();
        let n = ready.len().min(buf.len());
        let ready = ready.get(..n).unwrap_or_default();
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(ready);
        }
        let (breaks, after_cr) = Self::breaks(ready, self.after_cr);
        self.lines += breaks;
        self.after_cr = after_cr;
        self.start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(
        bytes: &[u8],
        encoding: &'static encoding_rs::Encoding,
        chunk: usize,
    ) -> io::Result<String> {
        let mut dec = Decoded::new(bytes, encoding, false);
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = dec.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn decodes_in_any_buffer_size() {
        let input = b"Caf\xe9 \x80 \x93quoted\x94 \x81";
        for chunk in [1, 2, 3, 7, 1024] {
            assert_eq!(
                decode_all(input, encoding_rs::WINDOWS_1252, chunk).unwrap(),
                "Café € \u{201C}quoted\u{201D} \u{81}",
                "{chunk}"
            );
        }
        let utf16: Vec<u8> = "id\tname\r\nT1\tCafé 名\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for chunk in [1, 3, 1024] {
            assert_eq!(
                decode_all(&utf16, encoding_rs::UTF_16LE, chunk).unwrap(),
                "id\tname\r\nT1\tCafé 名\r\n"
            );
        }
    }

    #[test]
    fn bytes_that_are_not_text_name_their_line() {
        // A lone surrogate on the third line.
        let mut utf16: Vec<u8> = "a\nb\nc"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        utf16.extend_from_slice(&0xD800u16.to_le_bytes());
        utf16.extend("d\n".encode_utf16().flat_map(u16::to_le_bytes));
        let err = decode_all(&utf16, encoding_rs::UTF_16LE, 2).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 3: bytes that are not UTF-16LE text"),
            "{err}"
        );
    }

    #[test]
    fn a_byte_order_mark_decides_the_encoding() {
        let read = |bytes: Vec<u8>, encoding: Encoding| {
            let mut s = prepare(Box::new(Cursor::new(bytes)), encoding).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        };
        let mut le = vec![0xFF, 0xFE];
        le.extend("a,b".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read(le, Encoding::Utf8), "a,b");
        let mut be = vec![0xFE, 0xFF];
        be.extend("a,é".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(read(be.clone(), Encoding::WINDOWS_1252), "a,é");
    }

    #[test]
    fn bom_is_dropped() {
        let mut s = prepare(
            Box::new(Cursor::new(b"\xEF\xBB\xBFa,b".to_vec())),
            Encoding::Utf8,
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert_eq!(out, "a,b");
        let mut s = prepare(
            Box::new(Cursor::new("\u{feff}naïve".as_bytes().to_vec())),
            Encoding::WINDOWS_1252,
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        // The mark says UTF-8, whatever the label: not `naÃ¯ve`.
        assert_eq!(out, "naïve");
    }
}
