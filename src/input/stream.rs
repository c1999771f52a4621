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
        Encoding::Other(e) => Box::new(BufReader::with_capacity(BUFFER, Decoded::new(joined, e))),
    })
}

/// Reads up to `n` bytes (fewer only at the end of the input).
pub(crate) fn read_up_to(reader: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(n as u64).read_to_end(&mut out)?;
    Ok(out)
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
/// the encoding end the stream with an error naming their line.
pub(crate) struct Decoded<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    /// Decoded bytes not handed out yet: `out[start..end]`.
    out: Box<[u8]>,
    start: usize,
    end: usize,
    /// Line breaks handed out, for the line of an error.
    lines: u64,
    done: bool,
    /// Bytes that are not text, met after the decoded bytes in `out`: the
    /// error comes when those are handed out.
    malformed: Option<io::Error>,
}

/// Bytes decoded at a time.
const DECODED: usize = 16 * 1024;

impl<R: BufRead> Decoded<R> {
    pub(crate) fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Decoded {
            inner,
            // The byte-order mark was read by `prepare`.
            decoder: encoding.new_decoder_without_bom_handling(),
            out: vec![0; DECODED].into_boxed_slice(),
            start: 0,
            end: 0,
            lines: 0,
            done: false,
            malformed: None,
        }
    }

    /// Decodes the next bytes of the input into `out`.
    fn refill(&mut self) -> io::Result<()> {
        use encoding_rs::DecoderResult;
        while self.start == self.end && !self.done {
            if let Some(e) = self.malformed.take() {
                self.done = true;
                return Err(e);
            }
            let src = self.inner.fill_buf()?;
            let last = src.is_empty();
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.out, last);
            self.inner.consume(read);
            self.start = 0;
            self.end = written;
            if let DecoderResult::Malformed(_, _) = result {
                let decoded = self.out.get(..written).unwrap_or_default();
                let line = self.lines + 1 + memchr::memchr_iter(b'\n', decoded).count() as u64;
                let name = self.decoder.encoding().name();
                self.malformed = Some(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "line {line}: bytes that are not {name} text; \
                         name the file's encoding with --encoding (for example utf-8, \
                         windows-1252, utf-16le)"
                    ),
                ));
                continue;
            }
            if last && result == DecoderResult::InputEmpty {
                self.done = true;
            }
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
        let (ready, dst) = (ready.get(..n).unwrap_or_default(), buf.get_mut(..n));
        if let Some(dst) = dst {
            dst.copy_from_slice(ready);
        }
        self.lines += memchr::memchr_iter(b'\n', ready).count() as u64;
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
        let mut dec = Decoded::new(bytes, encoding);
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
