//! Text from files made safe to show to people: the one place that decides
//! how a rule file's line, a cell, a column name or a file name appears in a
//! diagnostic, a row error, a table or a CI log.
//!
//! A file may hold bytes that drive a terminal (`ESC [ 2 J`), forge log lines
//! (a line break followed by `::error::`), or reorder what is read
//! (Unicode's bidirectional controls, as in "Trojan Source"). Every such
//! character is shown escaped, as `\u{1b}`, and line breaks and tabs as `\n`,
//! `\r` and `\t`. The escaped text is printable ASCII apart from the
//! characters it keeps, so escaping twice gives the same text.
//!
//! Data output (CSV, JSON, NDJSON) is not escaped here: it carries the bytes
//! of the input exactly, and its own format quotes them.

use std::borrow::Cow;
use std::fmt::Write;

/// The most characters of one line of a file a message quotes.
pub const MAX_QUOTED: usize = 200;

/// Whether a character is shown escaped: control characters (C0, DEL, C1),
/// the bidirectional formatting characters, and the Unicode line and
/// paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `s` with every unsafe character escaped; borrowed when there is none.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_but(s, |_| false)
}

/// `s` with unsafe characters escaped, except those `keep` accepts.
fn escape_but(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(|c: char| is_unsafe(c) && !keep(c)) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if is_unsafe(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` escaped, keeping its line breaks: for text of several lines that
/// outsort itself laid out, such as a help text.
pub fn escape_keep_lines(s: &str) -> Cow<'_, str> {
    escape_but(s, |c| c == '\n')
}

/// At most `max` characters of `s`, with `…` in place of the rest.
pub fn cut(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((end, _)) => Cow::Owned(format!("{}…", &s[..end])),
    }
}

/// A value from a file for a one-line message: cut to `max` characters of
/// its own, then escaped. The cut comes first, so the escaped text of a long
/// run of control characters stays bounded too (at most 10 bytes each).
pub fn value(s: &str, max: usize) -> String {
    escape(&cut(s, max)).into_owned()
}

/// How a line of a rule file is shown under a diagnostic: tabs as four
/// spaces, unsafe characters escaped, and, when the line is long, only the
/// part around the mark.
#[derive(Debug, PartialEq, Eq)]
pub struct Shown {
    /// The text to print, with `…` where the line was cut.
    pub text: String,
    /// Columns before the mark starts.
    pub before: usize,
    /// Columns the mark covers (at least 1).
    pub width: usize,
}

/// Shows `line` with the byte range `start..end` of it marked, quoting at
/// most [`MAX_QUOTED`] characters of it.
pub fn source_line(line: &str, start: usize, end: usize) -> Shown {
    let start = floor_boundary(line, start.min(line.len()));
    let end = floor_boundary(line, end.clamp(start, line.len()));
    let chars = line.chars().count();
    let (lo, hi) = if chars <= MAX_QUOTED {
        (0, line.len())
    } else {
        // Context before the mark, the mark, context after, in characters.
        let start_c = line[..start].chars().count();
        let end_c = start_c + line[start..end].chars().count();
        let lo_c = start_c.saturating_sub(MAX_QUOTED / 4);
        let hi_c = (end_c.max(start_c + 1) + MAX_QUOTED / 4)
            .min(lo_c + MAX_QUOTED)
            .min(chars);
        (byte_of(line, lo_c), byte_of(line, hi_c))
    };
    let open = if lo > 0 { "…" } else { "" };
    let close = if hi < line.len() { "…" } else { "" };
    let before = format!("{open}{}", shown(&line[lo..start.max(lo)]));
    let marked = shown(&line[start.max(lo)..end.min(hi).max(start.max(lo))]);
    let text = format!("{open}{}{close}", shown(&line[lo..hi]));
    Shown {
        text,
        before: before.chars().count(),
        width: marked.chars().count().max(1),
    }
}

/// Part of a source line as printed: tabs expanded, unsafe characters escaped.
fn shown(s: &str) -> Cow<'_, str> {
    if s.contains('\t') {
        Cow::Owned(escape(&s.replace('\t', "    ")).into_owned())
    } else {
        escape(s)
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The byte offset of the `n`th character of `s` (its length past the end).
fn byte_of(s: &str, n: usize) -> usize {
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

/// A cell of a Markdown table: backslashes and pipes escaped, line breaks as
/// spaces, other unsafe characters escaped.
pub fn markdown_cell(s: &str) -> String {
    let s = s
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ");
    escape(&s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_bidi_and_separators() {
        assert_eq!(escape("plain"), Cow::Borrowed("plain"));
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\n::error::y"), "x\\n::error::y");
        assert_eq!(
            escape("\r\t\u{0}\u{7f}\u{85}"),
            "\\r\\t\\u{0}\\u{7f}\\u{85}"
        );
        assert_eq!(
            escape("if \u{202E}x\u{2066}\u{2069}\u{200F}\u{61C}\u{2028}"),
            "if \\u{202e}x\\u{2066}\\u{2069}\\u{200f}\\u{61c}\\u{2028}"
        );
        // Letters of any script pass.
        assert_eq!(escape("Größe 名前 اسم"), "Größe 名前 اسم");
        assert_eq!(escape_keep_lines("a\nb\u{1b}"), "a\nb\\u{1b}");
    }

    #[test]
    fn escaping_twice_changes_nothing() {
        let once = escape("\u{1b}]0;title\u{7}\n\u{202e}").into_owned();
        assert_eq!(escape(&once), once.as_str());
    }

    #[test]
    fn cut_and_value() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcd", 3), "abc…");
        assert_eq!(cut("ééé", 2), "éé…");
        assert_eq!(value(&"\u{1b}".repeat(1000), 3), "\\u{1b}\\u{1b}\\u{1b}…");
    }

    #[test]
    fn source_lines_are_escaped_and_the_mark_follows() {
        let s = source_line("let \u{1b}x = 1", 5, 6);
        assert_eq!(s.text, "let \\u{1b}x = 1");
        assert_eq!((s.before, s.width), (10, 1));
        let s = source_line("\tx", 1, 2);
        assert_eq!(s.text, "    x");
        assert_eq!((s.before, s.width), (4, 1));
        let s = source_line("a\u{1b}b", 1, 2);
        assert_eq!((s.before, s.width), (1, 6));
    }

    #[test]
    fn long_lines_are_cut_around_the_mark() {
        let line = format!("{}MARK{}", "a".repeat(500), "b".repeat(500));
        let s = source_line(&line, 500, 504);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert!(s.text.chars().count() <= MAX_QUOTED + 2);
        let at: String = s.text.chars().skip(s.before).take(s.width).collect();
        assert_eq!(at, "MARK");
        // Counted in characters, not bytes.
        let line = "é".repeat(300);
        let s = source_line(&line, 0, 2);
        assert_eq!(s.text.chars().count(), MAX_QUOTED / 4 + 1 + 1);
        // A mark past the end, or inside a character, does not panic.
        let s = source_line("éa", 1, 99);
        assert_eq!(s.before, 0);
    }

    #[test]
    fn markdown_cells() {
        assert_eq!(markdown_cell("a|b\\c\nd\u{1b}"), "a\\|b\\\\c d\\u{1b}");
    }
}
