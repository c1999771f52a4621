//! The lexical structure of the rule language, in one place: the tokens of a
//! rule file, the reserved words, and string escapes both ways.
//!
//! The pest grammar (`grammar/outsort.pest`) is the parser and the
//! definition of the language; this module serves everything else that reads
//! rule text token by token: the checks before parsing (`prescan.rs`), the
//! spans and string values of lowering (`lower.rs`), syntax-error messages,
//! the formatter, allow comments in lint, and the names `init` gives fields.
//!
//! [`tokens`] splits a text into [`Token`]s, each a [`Kind`] and a byte span:
//!
//! - a word, `[A-Za-z_][A-Za-z0-9_]*`: a name or a keyword;
//! - a number, `[0-9][0-9_]*` then optionally `.` and more of the same
//!   (`1_000`, `0.50`), or a date, `YYYY-MM-DD` not followed by a word
//!   character;
//! - a string, from `"` to the next `"` that is not part of an escape (`\`
//!   and the character after it, even a line end). One that meets a line end
//!   or the end of the text first is not closed, and ends at the end of the
//!   line it opens on;
//! - a comment, from `#` to the end of its line, the line end not included;
//! - punctuation: one of [`TWO_CHAR_OPS`], else one character;
//! - a line end (`\n`), and a byte-order mark (U+FEFF), which the grammar
//!   reads as white space but the checks before parsing do not.
//!
//! Spaces, tabs and carriage returns separate tokens and are not tokens.
//!
//! [`pieces`] splits the inside of a string into literal text, escapes and
//! braces; [`unescape`] gives a string's value, and [`escape`] and [`quote`]
//! write a value as a string literal again.

/// The words that are never names: keywords that may start or continue an
/// expression. The grammar's `reserved` rule lists the same words.
pub const RESERVED: [&str; 13] = [
    "and",
    "or",
    "not",
    "in",
    "if",
    "then",
    "else",
    "match",
    "where",
    "true",
    "false",
    "label",
    "otherwise",
];

/// The operators written with two characters; any other punctuation token is
/// one character.
pub const TWO_CHAR_OPS: [&str; 9] = ["..", "==", "!=", "<=", ">=", "+=", "-=", "=>", "??"];

/// Whether a word is reserved (see [`RESERVED`]).
pub fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}

/// Whether a character may continue a word: an ASCII letter, digit or `_`.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `s` is a name: a word that starts with a letter or `_` and is not
/// reserved.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(is_word_char)
        && !is_reserved(s)
}

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A name or keyword.
    Word,
    /// A number as written, with its `_` and `.`; no sign.
    Number,
    /// `YYYY-MM-DD`, whether or not it is a real day.
    Date,
    /// A string literal with its quotes; `closed` is false when it runs into
    /// a line end or the end of the text.
    Str {
        closed: bool,
    },
    /// `#` to the end of the line, without the line end.
    Comment,
    /// An operator or bracket, or any other character.
    Punct,
    LineEnd,
    /// U+FEFF.
    Bom,
}

/// A token: its kind and byte span in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// The token's text in `src`, the text it was read from.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }

    /// Whether the token is code: not a comment, line end or byte-order mark.
    pub fn is_code(&self) -> bool {
        !matches!(self.kind, Kind::Comment | Kind::LineEnd | Kind::Bom)
    }
}

/// The tokens of a text, in order.
pub fn tokens(src: &str) -> Tokens<'_> {
    Tokens { src, pos: 0 }
}

/// Where a comment starts on one line: the first `#` outside a string.
pub fn comment_start(line: &str) -> Option<usize> {
    // Outside strings and comments, a `#` or `"` starts one: go from one to
    // the next, over strings.
    let mut at = 0;
    loop {
        let i = at + memchr::memchr2(b'#', b'"', line.as_bytes().get(at..)?)?;
        if line.as_bytes().get(i) == Some(&b'#') {
            return Some(i);
        }
        let mut string = Tokens { src: line, pos: i };
        at = string.next()?.end;
    }
}

/// An iterator over the tokens of a text; see [`tokens`].
#[derive(Debug, Clone)]
pub struct Tokens<'a> {
    src: &'a str,
    pos: usize,
}

impl Tokens<'_> {
    fn byte(&self, i: usize) -> u8 {
        self.src.as_bytes().get(i).copied().unwrap_or(0)
    }

    /// The end of a word, number or run of digits starting at `i`.
    fn run(&self, mut i: usize, more: impl Fn(u8) -> bool) -> usize {
        while more(self.byte(i)) {
            i += 1;
        }
        i
    }

    fn number_or_date(&self, start: usize) -> (Kind, usize) {
        let is_date = (0..10).all(|k| {
            let b = self.byte(start + k);
            if k == 4 || k == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        }) && !is_word_byte(self.byte(start + 10));
        if is_date {
            return (Kind::Date, start + 10);
        }
        let digits = |b: u8| b.is_ascii_digit() || b == b'_';
        let mut end = self.run(start, digits);
        if self.byte(end) == b'.' && self.byte(end + 1).is_ascii_digit() {
            end = self.run(end + 1, digits);
        }
        (Kind::Number, end)
    }

    fn string(&self, start: usize) -> (Kind, usize) {
        let mut inside = pieces(self.src, start + 1);
        inside.skip_all();
        if inside.closed() {
            return (Kind::Str { closed: true }, inside.pos() + 1);
        }
        let end = self
            .src
            .get(start..)
            .and_then(|r| r.find('\n'))
            .map_or(self.src.len(), |e| start + e);
        (Kind::Str { closed: false }, end)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let rest = self
            .src
            .get(self.pos..)?
            .trim_start_matches([' ', '\t', '\r']);
        let start = self.src.len() - rest.len();
        self.pos = start;
        if rest.is_empty() {
            return None;
        }
        let c = self.byte(start);
        let (kind, end) = match c {
            b'\n' => (Kind::LineEnd, start + 1),
            b'#' => (
                Kind::Comment,
                rest.find('\n').map_or(self.src.len(), |e| start + e),
            ),
            b'"' => self.string(start),
            b'0'..=b'9' => self.number_or_date(start),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                (Kind::Word, self.run(start, is_word_byte))
            }
            _ if rest.starts_with('\u{feff}') => (Kind::Bom, start + '\u{feff}'.len_utf8()),
            _ => {
                let len = if TWO_CHAR_OPS.iter().any(|op| rest.starts_with(op)) {
                    2
                } else {
                    rest.chars().next().map_or(1, char::len_utf8)
                };
                (Kind::Punct, start + len)
            }
        };
        self.pos = end;
        Some(Token { kind, start, end })
    }
}

// ---------------------------------------------------------------- strings

/// What a piece of a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// Characters that stand for themselves.
    Text,
    /// `\` and the character after it.
    Escape(Escape),
    /// A `{` alone: in an interpolated string, where an expression starts.
    Open,
    /// A `}` alone.
    Close,
    /// `{{` or `}}`: one brace, in an interpolated string.
    Braces,
}

/// An escape, by what it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// `\"`, `\\`, `\n`, `\t`, `\r`, `\{` or `\}`.
    Char(char),
    /// `\u{...}` with one to six hexadecimal digits, and the character they
    /// name if there is one. A `\u` without them is `Unicode(None)` and only
    /// two characters long.
    Unicode(Option<char>),
    /// A backslash before any other character, or at the end of the text.
    Unknown,
}

/// A piece of a string and its byte span in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub kind: PieceKind,
    pub start: usize,
    pub end: usize,
}

/// The pieces of a string whose contents start at byte `from` of `src` (just
/// after the opening `"`). They stop before the closing `"`, before a line
/// end, or at the end of the text; an escape takes the character after the
/// backslash whatever it is, a line end too.
pub fn pieces(src: &str, from: usize) -> Pieces<'_> {
    Pieces {
        src,
        pos: from,
        closed: false,
    }
}

/// An iterator over the pieces of a string; see [`pieces`].
#[derive(Debug, Clone)]
pub struct Pieces<'a> {
    src: &'a str,
    pos: usize,
    closed: bool,
}

impl Pieces<'_> {
    /// Where the pieces stopped: at the closing `"`, a line end, or the end
    /// of the text. Meaningful once the iterator is exhausted.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Whether the pieces stopped at a closing `"`.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Goes to where the pieces stop, as iterating would, but faster: only
    /// escapes matter to where a string ends.
    fn skip_all(&mut self) {
        loop {
            let rest = self.src.as_bytes().get(self.pos..).unwrap_or(&[]);
            let Some(i) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
                self.pos = self.src.len();
                return;
            };
            self.pos += i;
            match rest.get(i) {
                Some(b'\\') => self.pos = self.escape(self.pos).1,
                Some(b'"') => {
                    self.closed = true;
                    return;
                }
                _ => return,
            }
        }
    }

    fn escape(&self, start: usize) -> (Escape, usize) {
        let after = self.src.get(start + 1..).unwrap_or("");
        let Some(c) = after.chars().next() else {
            return (Escape::Unknown, start + 1);
        };
        let end = start + 1 + c.len_utf8();
        let escape = match c {
            '"' | '\\' | '{' | '}' => Escape::Char(c),
            'n' => Escape::Char('\n'),
            't' => Escape::Char('\t'),
            'r' => Escape::Char('\r'),
            'u' => {
                let braced = after.get(1..).and_then(|r| r.strip_prefix('{'));
                let digits = braced.map_or(0, |r| {
                    r.bytes().take(7).take_while(u8::is_ascii_hexdigit).count()
                });
                let hex = braced.and_then(|r| r.get(..digits));
                let close = braced.and_then(|r| r.get(digits..)).unwrap_or("");
                match hex {
                    Some(hex) if (1..=6).contains(&digits) && close.starts_with('}') => {
                        let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                        return (Escape::Unicode(ch), end + 2 + digits);
                    }
                    _ => Escape::Unicode(None),
                }
            }
            _ => Escape::Unknown,
        };
        (escape, end)
    }
}

impl Iterator for Pieces<'_> {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        let start = self.pos;
        let rest = self.src.get(start..)?;
        let next = |i: usize| rest.as_bytes().get(i).copied();
        let (kind, end) = match next(0)? {
            b'"' => {
                self.closed = true;
                return None;
            }
            b'\n' => return None,
            b'\\' => {
                let (escape, end) = self.escape(start);
                (PieceKind::Escape(escape), end)
            }
            b @ (b'{' | b'}') if next(1) == Some(b) => (PieceKind::Braces, start + 2),
            b'{' => (PieceKind::Open, start + 1),
            b'}' => (PieceKind::Close, start + 1),
            _ => {
                let bytes = rest.as_bytes();
                let len = memchr::memchr3(b'"', b'\\', b'\n', bytes).unwrap_or(bytes.len());
                let len = bytes
                    .get(..len)
                    .and_then(|b| memchr::memchr2(b'{', b'}', b))
                    .unwrap_or(len);
                (PieceKind::Text, start + len)
            }
        };
        self.pos = end;
        Some(Piece { kind, start, end })
    }
}

/// An escape [`unescape`] cannot read, by its byte span in the raw text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadEscape {
    pub start: usize,
    pub end: usize,
    /// `\u{...}` that names no character; else an unknown escape.
    pub unicode: bool,
}

/// Appends the value of a string's raw text (what is between its quotes, or
/// a part of an interpolated string between its braces) to `out`. Braces are
/// kept as written: `{{` is the interpolated string's business.
pub fn unescape(raw: &str, out: &mut String) -> Result<(), BadEscape> {
    let mut from = 0;
    loop {
        let mut inside = pieces(raw, from);
        for p in inside.by_ref() {
            let text = raw.get(p.start..p.end).unwrap_or("");
            match p.kind {
                PieceKind::Text | PieceKind::Open | PieceKind::Close | PieceKind::Braces => {
                    out.push_str(text)
                }
                PieceKind::Escape(Escape::Char(c) | Escape::Unicode(Some(c))) => out.push(c),
                PieceKind::Escape(e) => {
                    return Err(BadEscape {
                        start: p.start,
                        end: p.end,
                        unicode: matches!(e, Escape::Unicode(_)),
                    });
                }
            }
        }
        // A quote or line end in raw text stands for itself.
        let Some(c) = raw.get(inside.pos()..).and_then(|r| r.chars().next()) else {
            return Ok(());
        };
        out.push(c);
        from = inside.pos() + c.len_utf8();
    }
}

/// A value written as the inside of a string literal: `"` and `\` escaped,
/// newlines and tabs as `\n` and `\t`, other control and bidirectional
/// characters as `\u{..}`, and in an interpolated string braces doubled.
pub fn escape(s: &str, interpolated: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' if interpolated => out.push_str("{{"),
            '}' if interpolated => out.push_str("}}"),
            c if crate::quote::is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A value written as a plain string literal, quotes included.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        tokens(src).map(|t| (t.kind, t.text(src))).collect()
    }

    #[test]
    fn words_numbers_dates_and_ranges() {
        assert_eq!(
            kinds("let x_1 = 1_000 + 0.50\n2027-06-30 0..100 1abc"),
            [
                (Kind::Word, "let"),
                (Kind::Word, "x_1"),
                (Kind::Punct, "="),
                (Kind::Number, "1_000"),
                (Kind::Punct, "+"),
                (Kind::Number, "0.50"),
                (Kind::LineEnd, "\n"),
                (Kind::Date, "2027-06-30"),
                (Kind::Number, "0"),
                (Kind::Punct, ".."),
                (Kind::Number, "100"),
                (Kind::Number, "1"),
                (Kind::Word, "abc"),
            ]
        );
    }

    #[test]
    fn comments_outside_strings() {
        let src = "let a = \"# not\" # yes  \r\n";
        assert_eq!(
            kinds(src),
            [
                (Kind::Word, "let"),
                (Kind::Word, "a"),
                (Kind::Punct, "="),
                (Kind::Str { closed: true }, "\"# not\""),
                (Kind::Comment, "# yes  \r"),
                (Kind::LineEnd, "\n"),
            ]
        );
        assert_eq!(comment_start("x = \"a\\\"#\" # c"), Some(11));
        assert_eq!(comment_start("x = \"#"), None);
    }

    #[test]
    fn punctuation_and_marks() {
        assert_eq!(
            kinds("a-=-b=>c\u{feff}é"),
            [
                (Kind::Word, "a"),
                (Kind::Punct, "-="),
                (Kind::Punct, "-"),
                (Kind::Word, "b"),
                (Kind::Punct, "=>"),
                (Kind::Word, "c"),
                (Kind::Bom, "\u{feff}"),
                (Kind::Punct, "é"),
            ]
        );
    }

    #[test]
    fn an_unclosed_string_ends_with_its_line() {
        assert_eq!(
            kinds("\"ab\nc"),
            [
                (Kind::Str { closed: false }, "\"ab"),
                (Kind::LineEnd, "\n"),
                (Kind::Word, "c"),
            ]
        );
        // An escaped line end continues a closed string, but not an open one.
        assert_eq!(
            kinds("\"a\\\nb\""),
            [(Kind::Str { closed: true }, "\"a\\\nb\"")]
        );
        assert_eq!(
            kinds("\"a\\\nb"),
            [
                (Kind::Str { closed: false }, "\"a\\"),
                (Kind::LineEnd, "\n"),
                (Kind::Word, "b"),
            ]
        );
        assert_eq!(kinds("\"a\\"), [(Kind::Str { closed: false }, "\"a\\")]);
    }

    #[test]
    fn string_pieces() {
        let src = r#""a{{b}c\u{e9}\u{d800}\q\uZ""#;
        let got: Vec<(PieceKind, &str)> = pieces(src, 1)
            .map(|p| (p.kind, src.get(p.start..p.end).unwrap_or("")))
            .collect();
        assert_eq!(
            got,
            [
                (PieceKind::Text, "a"),
                (PieceKind::Braces, "{{"),
                (PieceKind::Text, "b"),
                (PieceKind::Close, "}"),
                (PieceKind::Text, "c"),
                (PieceKind::Escape(Escape::Unicode(Some('é'))), "\\u{e9}"),
                (PieceKind::Escape(Escape::Unicode(None)), "\\u{d800}"),
                (PieceKind::Escape(Escape::Unknown), "\\q"),
                (PieceKind::Escape(Escape::Unicode(None)), "\\u"),
                (PieceKind::Text, "Z"),
            ]
        );
    }

    #[test]
    fn skipping_stops_where_the_pieces_stop() {
        for src in [
            "\"a\\\"b\"c",
            "\"a\\\nb\"",
            "\"a{{\\u{41}\nb",
            "\"\\",
            "\"abc",
            "\"\"",
            "\"é\\é\"",
        ] {
            let mut iterated = pieces(src, 1);
            iterated.by_ref().for_each(drop);
            let mut skipped = pieces(src, 1);
            skipped.skip_all();
            assert_eq!(
                (iterated.pos(), iterated.closed()),
                (skipped.pos(), skipped.closed()),
                "{src:?}"
            );
        }
    }

    #[test]
    fn unescapes_and_escapes() {
        let mut out = String::new();
        assert_eq!(
            unescape(r#"a\"b\\c\nd\te\r\{\}\u{1F600}{x}"#, &mut out),
            Ok(())
        );
        assert_eq!(out, "a\"b\\c\nd\te\r{}\u{1F600}{x}");
        let mut out = String::new();
        assert_eq!(
            unescape(r"ab\u{110000}", &mut out),
            Err(BadEscape {
                start: 2,
                end: 12,
                unicode: true
            })
        );
        assert_eq!(
            unescape(r"\q", &mut String::new()),
            Err(BadEscape {
                start: 0,
                end: 2,
                unicode: false
            })
        );
        assert_eq!(
            escape("a\"b\\c\nd\te\u{1}", false),
            "a\\\"b\\\\c\\nd\\te\\u{1}"
        );
        assert_eq!(escape("{x}", true), "{{x}}");
        assert_eq!(quote("{x}"), "\"{x}\"");
    }

    #[test]
    fn reserved_words_are_the_grammars() {
        use super::super::{Grammar, Rule};
        use pest::Parser;
        for word in RESERVED {
            assert!(Grammar::parse(Rule::reserved, word).is_ok(), "{word}");
            assert!(!is_name(word), "{word}");
        }
        for word in ["input", "when", "because", "text", "labels", "android", "_"] {
            assert!(Grammar::parse(Rule::reserved, word).is_err(), "{word}");
            assert!(is_name(word), "{word}");
        }
    }
}
