//! Checks made on the tokens of the raw text before parsing: size,
//! unterminated strings, unknown escapes and nesting limits, so the parser
//! never recurses without bound and an unterminated string is reported where
//! it opens.

use super::lex::{self, Escape, Kind, PieceKind, Token};
use super::{MAX_DEPTH, MAX_FILE_BYTES};
use crate::ast::{FileId, Span};
use crate::diag::Diagnostic;

/// The longest run of prefix operators (`not`, `-`) allowed in a row.
const MAX_PREFIX_RUN: usize = 32;
/// The most `if` and `match` expressions one file may hold.
const MAX_CONDITIONALS: usize = 20_000;
/// The most `{...}` interpolations the `because` and `message` strings of
/// one file may hold together.
pub const MAX_INTERPOLATIONS: usize = 20_000;

pub fn check(file: FileId, text: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    if text.len() > MAX_FILE_BYTES {
        diags.push(
            Diagnostic::error(
                "limit",
                format!(
                    "the rule file is {} bytes, more than the limit of {MAX_FILE_BYTES}",
                    text.len()
                ),
            )
            .at(Span::new(file, 0, 0))
            .help("split it into several files in one directory and pass the directory with -r"),
        );
        return diags;
    }
    let mut toks = lex::tokens(text).peekable();
    let mut stack: Vec<usize> = Vec::new();
    let mut prefix_run = 0;
    let mut prefix_start = 0;
    let mut conditionals = 0;
    let mut strings = Strings {
        file,
        text,
        interpolations: 0,
        over: None,
    };
    // Whether the next string is interpolated: it follows `because` or `message`.
    let mut interpolated = false;
    // Whether the previous token ends an operand, so a `-` after it is binary.
    let mut after_operand = false;
    while let Some(t) = toks.next() {
        match t.kind {
            Kind::Comment | Kind::LineEnd => continue,
            Kind::Str { closed } => {
                strings.check(t, interpolated, &mut diags);
                if !closed {
                    diags.push(
                        Diagnostic::error("unterminated-string", "this string has no closing `\"`")
                            .at(Span::new(file, t.start, t.end.max(t.start + 1)))
                            .label("the string starts here")
                            .help("close it with `\"` on the same line; write a line break inside a string as `\\n`"),
                    );
                }
                prefix_run = 0;
                after_operand = true;
                interpolated = false;
                continue;
            }
            Kind::Word | Kind::Number | Kind::Date => {
                // Words, numbers and dots written together count as one word
                // (`a.b`, `1..5`), so `x.not` holds no `not`.
                let mut end = t.end;
                while let Some(next) = toks.next_if(|n| {
                    n.start == end
                        && (matches!(n.kind, Kind::Word | Kind::Number | Kind::Date)
                            || matches!(n.text(text), "." | ".."))
                }) {
                    end = next.end;
                }
                let word = text.get(t.start..end).unwrap_or("");
                interpolated = matches!(word, "because" | "message");
                match word {
                    "not" => {
                        if prefix_run == 0 {
                            prefix_start = t.start;
                        }
                        prefix_run += 1;
                        after_operand = false;
                    }
                    "if" | "match" => {
                        conditionals += 1;
                        prefix_run = 0;
                        after_operand = false;
                    }
                    "and" | "or" | "in" | "then" | "else" | "when" | "unless" | "where" => {
                        prefix_run = 0;
                        after_operand = false;
                    }
                    _ => {
                        prefix_run = 0;
                        after_operand = true;
                    }
                }
                if prefix_run > MAX_PREFIX_RUN {
                    diags.push(
                        Diagnostic::error(
                            "limit",
                            format!("more than {MAX_PREFIX_RUN} `not` or `-` in a row"),
                        )
                        .at(Span::new(file, prefix_start, end)),
                    );
                    return diags;
                }
                continue;
            }
            Kind::Punct => match t.text(text) {
                "(" | "[" | "{" => {
                    stack.push(t.start);
                    if stack.len() as u32 > MAX_DEPTH / 2 {
                        diags.push(
                            Diagnostic::error(
                                "limit",
                                format!("brackets are nested more than {} deep", MAX_DEPTH / 2),
                            )
                            .at(Span::new(file, t.start, t.end))
                            .help("split the expression into several `let` declarations"),
                        );
                        return diags;
                    }
                    prefix_run = 0;
                    after_operand = false;
                    interpolated = false;
                }
                ")" | "]" | "}" => {
                    stack.pop();
                    prefix_run = 0;
                    after_operand = true;
                    interpolated = false;
                }
                "-" if !after_operand => {
                    if prefix_run == 0 {
                        prefix_start = t.start;
                    }
                    prefix_run += 1;
                }
                _ => {
                    prefix_run = 0;
                    after_operand = false;
                    interpolated = false;
                }
            },
            // Not white space here, unlike in the grammar.
            Kind::Bom => {
                prefix_run = 0;
                after_operand = false;
                interpolated = false;
            }
        }
        if prefix_run > MAX_PREFIX_RUN {
            diags.push(
                Diagnostic::error(
                    "limit",
                    format!("more than {MAX_PREFIX_RUN} `not` or `-` in a row"),
                )
                .at(Span::new(file, prefix_start, t.end)),
            );
            return diags;
        }
    }
    let (interpolations, over) = (strings.interpolations, strings.over);
    if let Some(at) = over {
        diags.push(
            Diagnostic::error(
                "limit",
                format!("the file holds {interpolations} interpolations `{{...}}` in `because` and `message` strings, more than the limit of {MAX_INTERPOLATIONS}"),
            )
            .at(Span::new(file, at, at + 1))
            .label(format!("interpolation number {}", MAX_INTERPOLATIONS + 1))
            .help("interpolate a `let` or `output` that computes the text once, or split the rules into several files"),
        );
    }
    if conditionals > MAX_CONDITIONALS {
        diags.push(
            Diagnostic::error(
                "limit",
                format!("the file holds {conditionals} `if` and `match` expressions, more than the limit of {MAX_CONDITIONALS}"),
            )
            .at(Span::new(file, 0, 0)),
        );
    }
    diags
}

/// The escapes and interpolations of a file's strings.
struct Strings<'a> {
    file: FileId,
    text: &'a str,
    /// The `{` that start interpolations in `because` and `message` strings.
    interpolations: usize,
    /// Where the interpolation over the limit is.
    over: Option<usize>,
}

impl Strings<'_> {
    /// Checks a string token as far as its pieces go: an unclosed one
    /// through an escaped line end, although lexing goes on after its first
    /// line.
    fn check(&mut self, t: Token, interpolated: bool, diags: &mut Vec<Diagnostic>) {
        // Without a backslash the pieces end with the token; without a brace
        // or outside `because` and `message` there is nothing to count.
        let bytes = t.text(self.text).as_bytes();
        if memchr::memchr(b'\\', bytes).is_none()
            && (!interpolated || memchr::memchr(b'{', bytes).is_none())
        {
            return;
        }
        for p in lex::pieces(self.text, t.start + 1) {
            match p.kind {
                PieceKind::Open if interpolated => self.interpolation(p.start),
                // The `{` of a `\u{...}` escape is counted too: the count
                // errs high, never low.
                PieceKind::Escape(Escape::Unicode(_)) if interpolated && p.end > p.start + 2 => {
                    self.interpolation(p.start + 2)
                }
                PieceKind::Escape(Escape::Unknown) => diags.push(
                    Diagnostic::error("escape", "unknown escape in a string")
                        .at(Span::new(self.file, p.start, p.end))
                        .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}`; write a backslash as `\\\\`"),
                ),
                _ => {}
            }
        }
    }

    fn interpolation(&mut self, at: usize) {
        self.interpolations += 1;
        if self.interpolations > MAX_INTERPOLATIONS && self.over.is_none() {
            self.over = Some(at);
        }
    }
}
