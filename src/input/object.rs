//! A JSON record held compactly: its text as read, plus one entry per
//! top-level key.
//!
//! [`JsonObject::parse`] checks the text against the JSON grammar exactly as
//! `serde_json` reads a `Map<String, Value>` (RFC 8259: strict strings,
//! escapes and surrogate pairs, numbers in range, nesting below 128 levels,
//! nothing after the object) without building a tree: a key or string value
//! without escapes is a range of the text; one with escapes is unescaped into
//! a second buffer. Numbers, arrays and objects stay as their JSON text and
//! are read when asked for. All buffers are reused from record to record.
//!
//! Everything `serde_json` would reject, this parser rejects too; the caller
//! then asks `serde_json` for its message. Numbers are read the way
//! `serde_json` reads them (see [`number_f64`]), so values and their text
//! ([`JsonValue::text`]) are the same as those of a parsed `serde_json::Value`.

use std::borrow::Cow;

use serde_json::Value as Json;

/// `serde_json` refuses to nest this many arrays and objects, the record's
/// own object included.
const DEPTH_LIMIT: usize = 128;
/// Buffers larger than this are not kept for the next record.
const LARGE: usize = 4 * 1024 * 1024;

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    True,
    False,
    Number,
    String,
    Array,
    Object,
}

/// A range of [`JsonObject::text`], or of [`JsonObject::unescaped`] for a
/// string that had escapes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
    unescaped: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Span,
    /// A string's contents; the JSON text of any other value.
    value: Span,
    kind: Kind,
}

/// A JSON object: its text and its top-level entries, one per distinct key
/// (a repeated key keeps its first position and its last value, as a
/// `serde_json::Map` does).
#[derive(Debug, Clone, Default)]
pub struct JsonObject {
    text: String,
    unescaped: String,
    entries: Vec<Entry>,
}

/// A value of a [`JsonObject`], borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonValue<'a> {
    Null,
    Bool(bool),
    /// The number as written (valid JSON, in range).
    Number(&'a str),
    /// The string's contents, unescaped.
    String(&'a str),
    /// The array's JSON text.
    Array(&'a str),
    /// The object's JSON text.
    Object(&'a str),
}

/// The text does not parse as `serde_json` would parse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

type Parsed<T> = Result<T, Invalid>;

impl JsonObject {
    /// An empty object.
    pub fn new() -> Self {
        JsonObject::default()
    }

    /// Parses the JSON text of one object (whitespace around it allowed).
    pub fn parse_str(text: &str) -> Option<JsonObject> {
        let mut object = JsonObject::new();
        object.parse(text.to_string()).ok()?;
        Some(object)
    }

    /// An object with the entries of a `serde_json` map.
    pub fn from_map(map: &serde_json::Map<String, Json>) -> JsonObject {
        let text = serde_json::to_string(map).unwrap_or_else(|_| "{}".to_string());
        JsonObject::parse_str(&text).unwrap_or_default()
    }

    /// The number of distinct keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The JSON text the object was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The value of `key`.
    #[inline]
    pub fn get(&self, key: &str) -> Option<JsonValue<'_>> {
        self.find(key, 0).map(|e| self.value(e))
    }

    /// The value of `key`, looked for first at position `hint` (records
    /// nearly always list their keys in the same order).
    #[inline]
    pub fn get_hinted(&self, key: &str, hint: usize) -> Option<JsonValue<'_>> {
        self.find(key, hint).map(|e| self.value(e))
    }

    /// The entries in the order their keys first appear.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, JsonValue<'_>)> + '_ {
        self.entries
            .iter()
            .map(|e| (self.span(e.key), self.value(e)))
    }

    /// The object as a `serde_json` map.
    pub fn to_map(&self) -> serde_json::Map<String, Json> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect()
    }

    #[inline]
    fn find(&self, key: &str, hint: usize) -> Option<&Entry> {
        let key = key.as_bytes();
        match self.entries.get(hint) {
            Some(e) if self.is(e, key) => Some(e),
            _ => self.search(key, hint),
        }
    }

    #[inline]
    fn is(&self, e: &Entry, key: &[u8]) -> bool {
        e.key.end.wrapping_sub(e.key.start) as usize == key.len() && same(self.bytes(e.key), key)
    }

    /// [`JsonObject::find`] when the key is not at `hint`.
    #[inline(never)]
    fn search(&self, key: &[u8], hint: usize) -> Option<&Entry> {
        // One key missing before it moves a key back by one.
        if let Some(e) = hint.checked_sub(1).and_then(|h| self.entries.get(h))
            && self.is(e, key)
        {
            return Some(e);
        }
        self.entries.iter().find(|e| self.is(e, key))
    }

    #[inline]
    fn bytes(&self, s: Span) -> &[u8] {
        let buf = if s.unescaped {
            self.unescaped.as_bytes()
        } else {
            self.text.as_bytes()
        };
        buf.get(s.start as usize..s.end as usize)
            .unwrap_or_default()
    }

    #[inline]
    fn span(&self, s: Span) -> &str {
        let buf = if s.unescaped {
            &self.unescaped
        } else {
            &self.text
        };
        buf.get(s.start as usize..s.end as usize)
            .unwrap_or_default()
    }

    #[inline]
    fn value(&self, e: &Entry) -> JsonValue<'_> {
        let text = self.span(e.value);
        match e.kind {
            Kind::Null => JsonValue::Null,
            Kind::True => JsonValue::Bool(true),
            Kind::False => JsonValue::Bool(false),
            Kind::Number => JsonValue::Number(text),
            Kind::String => JsonValue::String(text),
            Kind::Array => JsonValue::Array(text),
            Kind::Object => JsonValue::Object(text),
        }
    }

    /// No entries and no text; the buffers are kept.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.unescaped.clear();
        self.entries.clear();
    }

    /// The text buffer, emptied, for a reader to fill with the next record.
    pub(crate) fn take_buffer(&mut self) -> Vec<u8> {
        let mut buf = std::mem::take(&mut self.text).into_bytes();
        self.clear();
        // A record reused for small ones keeps no large buffers.
        if self.unescaped.capacity() > LARGE {
            self.unescaped = String::new();
        }
        if self.entries.capacity() > LARGE / std::mem::size_of::<Entry>() {
            self.entries = Vec::new();
        }
        buf.clear();
        buf
    }

    /// Takes `text` as the object's text and parses it. On `Err` the object
    /// is empty (its text kept).
    pub(crate) fn parse(&mut self, text: String) -> Parsed<()> {
        self.text = text;
        self.unescaped.clear();
        self.entries.clear();
        let mut entries = std::mem::take(&mut self.entries);
        let mut unescaped = std::mem::take(&mut self.unescaped);
        let result = Parser {
            s: &self.text,
            b: self.text.as_bytes(),
            i: 0,
        }
        .object(&mut entries, &mut unescaped);
        self.entries = entries;
        self.unescaped = unescaped;
        if result.is_err() {
            self.entries.clear();
            self.unescaped.clear();
        }
        result
    }
}

/// Whether a key is among the earlier entries: a 256-bit filter on its
/// length and end bytes, checked exactly only when it says maybe.
#[derive(Default)]
struct Seen([u64; 4]);

impl Seen {
    fn bit(b: &[u8]) -> (usize, u64) {
        let first = b.first().copied().unwrap_or(0) as usize;
        let last = b.last().copied().unwrap_or(0) as usize;
        let h = (b.len().wrapping_mul(31) ^ first.wrapping_mul(7) ^ last.wrapping_mul(131)) & 255;
        (h >> 6, 1u64 << (h & 63))
    }

    /// Marks `key`; true if it may have been marked before.
    fn insert(&mut self, key: &[u8]) -> bool {
        let (word, bit) = Seen::bit(key);
        match self.0.get_mut(word) {
            Some(w) => {
                let before = *w & bit != 0;
                *w |= bit;
                before
            }
            None => true,
        }
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether two byte strings are equal, compared a word at a time (keys are
/// short: a call to `memcmp` costs more).
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_le_bytes)
    };
    let n = a.len();
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let mut at = 0;
    while at + 8 <= n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    at == n || word(a, n - 8) == word(b, n - 8)
}

/// The first byte at or after `i` that ends a plain run of string bytes: a
/// quote, a backslash or a control character (`b.len()` if none).
#[inline]
pub(crate) fn plain_run(b: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(bytes);
        let q = x ^ (LO * u64::from(b'"'));
        let s = x ^ (LO * u64::from(b'\\'));
        // Each term marks the bytes equal to 0 (below 0x20); its lowest mark
        // is exact, and so is the lowest of all.
        let marks = (q.wrapping_sub(LO) & !q)
            | (s.wrapping_sub(LO) & !s)
            | (x.wrapping_sub(LO * 0x20) & !x);
        let marks = marks & HI;
        if marks != 0 {
            return i + (marks.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' || c == b'\\' || c < 0x20 {
            return i;
        }
        i += 1;
    }
    i
}

fn hex(c: u8) -> Parsed<u32> {
    match c {
        b'0'..=b'9' => Ok(u32::from(c - b'0')),
        b'a'..=b'f' => Ok(u32::from(c - b'a' + 10)),
        b'A'..=b'F' => Ok(u32::from(c - b'A' + 10)),
        _ => Err(Invalid),
    }
}

fn span(start: usize, end: usize, unescaped: bool) -> Span {
    Span {
        start: start as u32,
        end: end as u32,
        unescaped,
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, want: u8) -> Parsed<()> {
        if self.peek() == Some(want) {
            self.i += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn literal(&mut self, word: &[u8]) -> Parsed<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// The object, with nothing but whitespace around it.
    fn object(&mut self, entries: &mut Vec<Entry>, unescaped: &mut String) -> Parsed<()> {
        if self.b.len() > u32::MAX as usize {
            return Err(Invalid);
        }
        self.ws();
        self.eat(b'{')?;
        self.ws();
        let mut seen = Seen::default();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.eat(b'"')?;
                let key = self.string(unescaped)?;
                let key_text = text_of(self.b, unescaped, key);
                let repeated = if seen.insert(key_text) {
                    entries
                        .iter()
                        .position(|e| same(text_of(self.b, unescaped, e.key), key_text))
                } else {
                    None
                };
                self.ws();
                self.eat(b':')?;
                self.ws();
                let (kind, value) = self.value(unescaped)?;
                match repeated.and_then(|p| entries.get_mut(p)) {
                    Some(e) => {
                        e.value = value;
                        e.kind = kind;
                    }
                    None => entries.push(Entry { key, value, kind }),
                }
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.i += 1;
                        self.ws();
                    }
                    Some(b'}') => {
                        self.i += 1;
                        break;
                    }
                    _ => return Err(Invalid),
                }
            }
        }
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// A top-level value: its kind and its span.
    fn value(&mut self, unescaped: &mut String) -> Parsed<(Kind, Span)> {
        let start = self.i;
        let kind = match self.peek() {
            Some(b'"') => {
                self.i += 1;
                return Ok((Kind::String, self.string(unescaped)?));
            }
            Some(b'{') => {
                self.nested(1)?;
                Kind::Object
            }
            Some(b'[') => {
                self.nested(1)?;
                Kind::Array
            }
            Some(b't') => {
                self.literal(b"true")?;
                Kind::True
            }
            Some(b'f') => {
                self.literal(b"false")?;
                Kind::False
            }
            Some(b'n') => {
                self.literal(b"null")?;
                Kind::Null
            }
            _ => {
                self.number()?;
                Kind::Number
            }
        };
        Ok((kind, span(start, self.i, false)))
    }

    /// The rest of a string whose opening quote is consumed: its contents as
    /// a range of the text, or unescaped at the end of `unescaped`.
    #[inline(always)]
    fn string(&mut self, unescaped: &mut String) -> Parsed<Span> {
        let start = self.i;
        let end = plain_run(self.b, start);
        match self.b.get(end) {
            Some(b'"') => {
                self.i = end + 1;
                Ok(span(start, end, false))
            }
            Some(b'\\') => self.escaped_string(start, end, unescaped),
            _ => Err(Invalid),
        }
    }

    /// The rest of [`Parser::string`] from the first backslash, at `end`.
    #[inline(never)]
    fn escaped_string(&mut self, start: usize, end: usize, unescaped: &mut String) -> Parsed<Span> {
        let from = unescaped.len();
        let mut i = start;
        let mut end = end;
        loop {
            unescaped.push_str(self.s.get(i..end).ok_or(Invalid)?);
            match self.b.get(end) {
                Some(b'"') => {
                    self.i = end + 1;
                    return Ok(span(from, unescaped.len(), true));
                }
                Some(b'\\') => {
                    self.i = end + 1;
                    let c = self.escape()?;
                    unescaped.push(c);
                    i = self.i;
                    end = plain_run(self.b, i);
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Skips the rest of a string whose opening quote is consumed.
    fn skip_string(&mut self) -> Parsed<()> {
        loop {
            let end = plain_run(self.b, self.i);
            match self.b.get(end) {
                Some(b'"') => {
                    self.i = end + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.i = end + 1;
                    self.escape()?;
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn hex4(&mut self) -> Parsed<u32> {
        let digits = self.b.get(self.i..self.i + 4).ok_or(Invalid)?;
        let mut n = 0;
        for &c in digits {
            n = n * 16 + hex(c)?;
        }
        self.i += 4;
        Ok(n)
    }

    /// An escape after its backslash.
    fn escape(&mut self) -> Parsed<char> {
        let c = self.peek().ok_or(Invalid)?;
        self.i += 1;
        Ok(match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let n = self.hex4()?;
                match n {
                    0xD800..=0xDBFF => {
                        self.literal(b"\\u")?;
                        let low = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Invalid);
                        }
                        let code = (((n - 0xD800) << 10) | (low - 0xDC00)) + 0x1_0000;
                        char::from_u32(code).ok_or(Invalid)?
                    }
                    0xDC00..=0xDFFF => return Err(Invalid),
                    n => char::from_u32(n).ok_or(Invalid)?,
                }
            }
            _ => return Err(Invalid),
        })
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    /// A number; one that is not plainly in range is checked by `serde_json`.
    fn number(&mut self) -> Parsed<()> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let int = match self.peek() {
            Some(b'0') => {
                self.i += 1;
                1
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Invalid),
        };
        let mut plain = int <= 15;
        if self.peek() == Some(b'.') {
            self.i += 1;
            let frac = self.digits();
            if frac == 0 {
                return Err(Invalid);
            }
            plain &= int + frac <= 15;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
            plain = false;
        }
        // A digit right after a leading zero is an error (`01`), and so is
        // anything else the grammar has no place for; the caller sees it.
        if !plain {
            let token = self.b.get(start..self.i).ok_or(Invalid)?;
            if serde_json::from_slice::<serde_json::Number>(token).is_err() {
                return Err(Invalid);
            }
        }
        Ok(())
    }

    /// Checks an array or object nested in the record at `depth` (the
    /// record's object is depth 1) and moves past it.
    fn nested(&mut self, depth: usize) -> Parsed<()> {
        // One bit per open level, innermost lowest: 1 for an object.
        let mut stack: u128 = 0;
        let mut level: usize = 0;
        'value: loop {
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if depth + level + 1 >= DEPTH_LIMIT {
                        return Err(Invalid);
                    }
                    let object = open == b'{';
                    stack = (stack << 1) | u128::from(object);
                    level += 1;
                    self.i += 1;
                    self.ws();
                    let close = if object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.i += 1;
                        stack >>= 1;
                        level -= 1;
                    } else {
                        if object {
                            self.key_colon()?;
                        }
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    self.i += 1;
                    self.skip_string()?;
                }
                Some(b't') => self.literal(b"true")?,
                Some(b'f') => self.literal(b"false")?,
                Some(b'n') => self.literal(b"null")?,
                _ => self.number()?,
            }
            // After a value: a comma and the next, or closing brackets.
            loop {
                if level == 0 {
                    return Ok(());
                }
                self.ws();
                let object = stack & 1 == 1;
                match (self.peek(), object) {
                    (Some(b','), _) => {
                        self.i += 1;
                        self.ws();
                        if object {
                            self.key_colon()?;
                        }
                        continue 'value;
                    }
                    (Some(b'}'), true) | (Some(b']'), false) => {
                        self.i += 1;
                        stack >>= 1;
                        level -= 1;
                    }
                    _ => return Err(Invalid),
                }
            }
        }
    }

    /// `"key"`, `:` and the whitespace before the value.
    fn key_colon(&mut self) -> Parsed<()> {
        self.eat(b'"')?;
        self.skip_string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Ok(())
    }
}

fn text_of<'a>(text: &'a [u8], unescaped: &'a str, s: Span) -> &'a [u8] {
    let range = s.start as usize..s.end as usize;
    if s.unescaped {
        unescaped.as_bytes().get(range).unwrap_or_default()
    } else {
        text.get(range).unwrap_or_default()
    }
}

/// Powers of ten exact in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A number of at most 15 digits without exponent, as `serde_json` reads
/// it: the digits as an integer (exact), divided by a power of ten (exact),
/// which rounds once, correctly. `None` for any other number.
fn plain_f64(token: &str) -> Option<f64> {
    let (negative, digits) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let mut significand: u64 = 0;
    let mut count = 0usize;
    let mut fraction: Option<usize> = None;
    for c in digits.bytes() {
        match c {
            b'0'..=b'9' => {
                significand = significand * 10 + u64::from(c - b'0');
                count += 1;
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
                if count > 15 {
                    return None;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    let f = significand as f64 / POW10.get(fraction.unwrap_or(0)).copied()?;
    Some(if negative { -f } else { f })
}

/// A JSON number's value, as `serde_json::Number::as_f64` gives it.
pub(crate) fn number_f64(token: &str) -> Option<f64> {
    plain_f64(token).or_else(|| {
        serde_json::from_str::<serde_json::Number>(token)
            .ok()
            .and_then(|n| n.as_f64())
    })
}

/// Whether a number is an integer `serde_json` keeps as one and prints as
/// written: no fraction or exponent, not `-0`, within `i64`/`u64`.
fn plain_integer(token: &str) -> bool {
    let (negative, digits) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let n = digits.len();
    n > 0
        && digits.bytes().all(|c| c.is_ascii_digit())
        && if negative {
            n <= 18 && digits != "0"
        } else {
            n <= 19
        }
}

/// A number with a fraction, at most 15 digits and no exponent, at least
/// 0.1 in magnitude, as `serde_json` prints it: as written without the
/// trailing zeros of its fraction (at least one digit kept). Its shortest
/// digits that read back to the same `f64` are its own (any two decimals of
/// at most 15 digits are different `f64`s), and `serde_json` writes numbers
/// from 1e-5 to 1e15 without exponent.
fn decimal_text(token: &str) -> Option<Cow<'_, str>> {
    let (int, fraction) = token.split_once('.')?;
    let digits = int.strip_prefix('-').unwrap_or(int);
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !all_digits(digits) || !all_digits(fraction) || digits.len() + fraction.len() > 15 {
        return None;
    }
    if digits == "0" && !fraction.starts_with(|c: char| c != '0') {
        return None;
    }
    let kept = fraction.trim_end_matches('0').len().max(1);
    token.get(..int.len() + 1 + kept).map(Cow::Borrowed)
}

/// A number as `serde_json` prints the number it parses.
fn number_text(token: &str) -> Cow<'_, str> {
    if plain_integer(token) {
        return Cow::Borrowed(token);
    }
    if let Some(text) = decimal_text(token) {
        return text;
    }
    let number = match plain_f64(token) {
        Some(f) => serde_json::Number::from_f64(f),
        None => serde_json::from_str::<serde_json::Number>(token).ok(),
    };
    Cow::Owned(number.map(|n| n.to_string()).unwrap_or_default())
}

fn number_json(token: &str) -> Json {
    let number = match plain_f64(token) {
        Some(f) if !plain_integer(token) => serde_json::Number::from_f64(f),
        _ => serde_json::from_str::<serde_json::Number>(token).ok(),
    };
    number.map_or(Json::Null, Json::Number)
}

impl<'a> JsonValue<'a> {
    /// What the value is, for messages: `null`, `a bool`, `a number`...
    pub fn kind(&self) -> &'static str {
        match self {
            JsonValue::Null => "null",
            JsonValue::Bool(_) => "a bool",
            JsonValue::Number(_) => "a number",
            JsonValue::String(_) => "a string",
            JsonValue::Array(_) => "an array",
            JsonValue::Object(_) => "an object",
        }
    }

    /// The value as text: a string as is, other values as compact JSON (as
    /// `serde_json` writes them), null as `None`.
    #[inline]
    pub fn text(&self) -> Option<Cow<'a, str>> {
        match *self {
            JsonValue::Null => None,
            JsonValue::String(s) => Some(Cow::Borrowed(s)),
            JsonValue::Bool(true) => Some(Cow::Borrowed("true")),
            JsonValue::Bool(false) => Some(Cow::Borrowed("false")),
            JsonValue::Number(n) => Some(number_text(n)),
            JsonValue::Array(_) | JsonValue::Object(_) => {
                Some(Cow::Owned(self.to_json().to_string()))
            }
        }
    }

    /// A number's value (`None` for any other kind).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            JsonValue::Number(n) => number_f64(n),
            _ => None,
        }
    }

    /// The value as a `serde_json` value.
    pub fn to_json(&self) -> Json {
        match *self {
            JsonValue::Null => Json::Null,
            JsonValue::Bool(b) => Json::Bool(b),
            JsonValue::Number(n) => number_json(n),
            JsonValue::String(s) => Json::String(s.to_string()),
            JsonValue::Array(t) | JsonValue::Object(t) => {
                serde_json::from_str(t).unwrap_or(Json::Null)
            }
        }
    }
}

impl serde::Serialize for JsonValue<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            JsonValue::Null => s.serialize_unit(),
            JsonValue::Bool(b) => s.serialize_bool(b),
            JsonValue::String(t) => s.serialize_str(t),
            _ => self.to_json().serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Option<JsonObject> {
        JsonObject::parse_str(text)
    }

    #[test]
    fn entries_and_kinds() {
        let o =
            parse(r#" {"a":1,"b":"x\"y","c":[1,{"d":null}],"d":{},"e":true,"f":false,"g":null} "#)
                .unwrap();
        assert_eq!(o.len(), 7);
        assert_eq!(o.get("a"), Some(JsonValue::Number("1")));
        assert_eq!(o.get("b"), Some(JsonValue::String("x\"y")));
        assert_eq!(o.get("c"), Some(JsonValue::Array("[1,{\"d\":null}]")));
        assert_eq!(o.get("d"), Some(JsonValue::Object("{}")));
        assert_eq!(o.get("e"), Some(JsonValue::Bool(true)));
        assert_eq!(o.get("g"), Some(JsonValue::Null));
        assert_eq!(o.get("h"), None);
        assert_eq!(o.get_hinted("a", 3), Some(JsonValue::Number("1")));
        assert_eq!(o.get_hinted("c", 99), o.get("c"));
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        let o = parse(r#"{"a":1,"b":2,"\u0061":3}"#).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o.get("a"), Some(JsonValue::Number("3")));
        let keys: Vec<&str> = o.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
    }

    #[test]
    fn numbers_as_serde_json_reads_them() {
        for token in [
            "0.95",
            "12345678901234.5",
            "1.10",
            "0.12345678901234",
            "99.990",
            "-2.50",
            "-0.5",
            "0.01",
            "0.00001",
            "0.000001",
            "999999999999999.0",
            "99999999999999.9",
            "0.100000000000000",
            "5.0",
            "-5.000",
            "0",
            "-0",
            "1",
            "-1",
            "0.1",
            "-0.0",
            "1.5",
            "1e2",
            "1E+2",
            "0.1e-5",
            "1e400",
            "1e-400",
            "123456789012345",
            "1234567890123456",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "0.30000000000000004",
            "2.2250738585072014e-308",
            "3.14159",
            "100.000",
        ] {
            let want: Option<serde_json::Number> = serde_json::from_str(token).ok();
            let got = parse(&format!("{{\"n\":{token}}}"));
            assert_eq!(got.is_some(), want.is_some(), "{token}");
            let (Some(o), Some(n)) = (got, want) else {
                continue;
            };
            let v = o.get("n").unwrap();
            assert_eq!(
                v.as_f64().map(f64::to_bits),
                n.as_f64().map(f64::to_bits),
                "{token}"
            );
            assert_eq!(v.text().unwrap(), n.to_string(), "{token}");
            assert_eq!(v.to_json(), Json::Number(n.clone()), "{token}");
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                serde_json::to_string(&n).unwrap(),
                "{token}"
            );
        }
    }
}
