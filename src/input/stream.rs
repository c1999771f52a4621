//! Byte streams under the readers: buffering, byte-order mark, windows-1252 decoding.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use super::Encoding;

/// Buffer size for reading inputs.
pub(crate) const BUFFER: usize = 64 * 1024;

pub(crate) type Stream = Box<dyn BufRead + Send>;

/// Buffers `raw`, drops a UTF-8 byte-order mark at its start, and with
/// [`Encoding::Windows1252`] decodes the rest to UTF-8.
///
/// A byte-order mark is dropped before decoding, so a UTF-8 file read as
/// windows-1252 does not start with `ï»¿`.
pub(crate) fn prepare(raw: Box<dyn Read + Send>, encoding: Encoding) -> io::Result<Stream> {
    let mut reader = BufReader::with_capacity(BUFFER, raw);
    let head = read_up_to(&mut reader, 3)?;
    let head = if head == b"\xEF\xBB\xBF" {
        Vec::new()
    } else {
        head
    };
    let joined = BufReader::with_capacity(BUFFER, Cursor::new(head).chain(reader));
    Ok(match encoding {
        Encoding::Utf8 => Box::new(joined),
        Encoding::Windows1252 => {
            Box::new(BufReader::with_capacity(BUFFER, Windows1252::new(joined)))
        }
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

/// Decodes windows-1252 (as the WHATWG Encoding Standard defines it: the five
/// unassigned bytes map to the C1 controls of the same number) to UTF-8.
pub(crate) struct Windows1252<R> {
    inner: R,
    /// Bytes of a character that did not fit in the caller's buffer.
    pending: [u8; 3],
    pending_start: usize,
    pending_end: usize,
}

/// Characters for bytes 0x80..=0x9F; every other byte is the code point of
/// the same number.
const HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

pub(crate) fn windows1252_char(b: u8) -> char {
    match b {
        0x80..=0x9F => HIGH
            .get(usize::from(b - 0x80))
            .copied()
            .unwrap_or('\u{FFFD}'),
        _ => char::from(b),
    }
}

impl<R: BufRead> Windows1252<R> {
    pub(crate) fn new(inner: R) -> Self {
        Windows1252 {
            inner,
            pending: [0; 3],
            pending_start: 0,
            pending_end: 0,
        }
    }
}

impl<R: BufRead> Read for Windows1252<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.pending_start < self.pending_end {
            let pending = self
                .pending
                .get(self.pending_start..self.pending_end)
                .unwrap_or(&[]);
            let mut n = 0;
            for (dst, src) in out.iter_mut().zip(pending) {
                *dst = *src;
                n += 1;
            }
            self.pending_start += n;
            return Ok(n);
        }
        let input = self.inner.fill_buf()?;
        let mut used = 0;
        let mut written = 0;
        for &b in input {
            let mut tmp = [0u8; 4];
            let encoded = windows1252_char(b).encode_utf8(&mut tmp).as_bytes();
            let room = out.len() - written;
            if encoded.len() <= room {
                let dst = out.get_mut(written..).unwrap_or(&mut []);
                for (d, s) in dst.iter_mut().zip(encoded) {
                    *d = *s;
                }
                written += encoded.len();
                used += 1;
            } else {
                if written == 0 {
                    // The caller's buffer is smaller than one character: hand
                    // out what fits and keep the rest for the next call.
                    for (d, s) in out.iter_mut().zip(encoded) {
                        *d = *s;
                    }
                    let mut rest = [0u8; 3];
                    let tail = encoded.get(room..).unwrap_or(&[]);
                    for (d, s) in rest.iter_mut().zip(tail) {
                        *d = *s;
                    }
                    self.pending = rest;
                    self.pending_start = 0;
                    self.pending_end = tail.len();
                    written = room;
                    used += 1;
                }
                break;
            }
        }
        self.inner.consume(used);
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(bytes: &[u8], chunk: usize) -> String {
        let mut dec = Windows1252::new(bytes);
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = dec.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn windows1252_decodes_in_any_buffer_size() {
        let input = b"Caf\xe9 \x80 \x93quoted\x94 \x81";
        for chunk in [1, 2, 3, 7, 1024] {
            assert_eq!(
                decode_all(input, chunk),
                "Café € \u{201C}quoted\u{201D} \u{81}",
                "{chunk}"
            );
        }
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
            Box::new(Cursor::new(b"\xEF\xBB\xBFna\xefve".to_vec())),
            Encoding::Windows1252,
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert_eq!(out, "naïve");
    }
}
