//! The formatter: prints a rule file in its one canonical layout, comments kept.
//!
//! [`format_source`] parses a file, refuses it when it has syntax errors, and
//! prints the declarations again from the syntax tree, with the source text
//! consulted only for what the tree does not keep: numbers as written
//! (`1_000`, `0.50`), blank lines, and comments.
//!
//! # The layout
//!
//! - Indentation is four spaces; lines aim at 100 columns. Only lists,
//!   `match`, `given` records, `and`/`or` chains and `if`/`else if` chains
//!   are broken when too long; any other expression that does not fit is left
//!   long.
//! - One blank line between top-level declarations, except that consecutive
//!   one-line `key`, `let`, `score`, `output` and `metric` declarations of the
//!   same kind form a group: inside it a blank line is kept where the user had
//!   one (or more) and none is added. In a group without blank lines, the `=`
//!   of `let`, `score`, `output` and `metric` line up.
//! - `input { ... }`: one field per line, `name:` padded so the types line up,
//!   then `= default`, then `from "column"`, each column aligned within the
//!   block. A type or default wider than 20 columns (a long `enum(...)`) does
//!   not widen its column: that row just continues after one space. Trailing
//!   comments line up two spaces after the longest commented field (fields
//!   longer than 64 columns aside). An empty block is `input {}`.
//! - `rule "name" when cond {`, one action per line with the operators lined
//!   up, `}`. Without `when`: `rule "name" {`. Without actions: `rule "name" {}`.
//!   A condition too long for the line continues eight spaces in, so it does
//!   not line up with the actions.
//! - `label { ... }`: one line per value, values padded so `when` and
//!   `otherwise` line up. `because "..."` stays on the line of its condition;
//!   if that would take one line of the block past 100 columns, every
//!   `because` of the block goes on the next line, lined up under `when`.
//! - `policy "name" deny` then `when ...`, `unless ...` and `message "..."`,
//!   always each on its own line indented four spaces, even when all would
//!   fit on one.
//! - `waiver` and `test`: one clause per line, in the order written. Waiver
//!   keywords are padded so the values line up. `given { a: 1, b: x }` stays on
//!   one line when it fits, else one field per line with trailing commas; a
//!   portfolio `given [ ... ]` always has one record per line.
//! - Expressions: one space around binary operators, none inside parentheses;
//!   parentheses are kept as written, never added or removed.
//!   `match x { a => 1, b | c => 2, _ => 0 }` stays on one line when it fits,
//!   else one arm per line with the `=>` lined up and a trailing comma. Lists
//!   likewise: `["a", "b"]`, or one item per line with a trailing comma.
//!   An `and`/`or` chain that does not fit breaks before every operator, and
//!   an `if` chain before every `else`, on lines indented four more spaces.
//! - Numbers are printed as written; strings are re-escaped from their value
//!   (`\"`, `\\`, `\n`, `\t`, other control and bidi characters as `\u{..}`; `{{` and
//!   `}}` for braces in interpolated strings); dates as `YYYY-MM-DD`.
//! - Separators the grammar allows but does not need (`,` or `;` after a field,
//!   action or label line) are dropped.
//! - Comments stay where they were. A comment on its own line belongs to the
//!   declaration, field, action, label line, clause, list item, match arm or
//!   record field that follows it, and is printed above it at its indentation;
//!   one at the end of a block stays before the closing brace, one at the end
//!   of the file stays at the end. A comment after code on the same line stays
//!   at the end of that line, two spaces after the code (aligned in `input`).
//!   A comment inside an expression, where no line of its own can be kept, is
//!   printed above the line that holds the expression. A comment after an
//!   item in a list, match or record puts that list one item per line.
//! - At most one blank line is kept where the user had blank lines between
//!   items of a block, and between comments; none after an opening brace.
//!   The file ends with exactly one newline and no line ends in whitespace.
//!
//! A `waiver` or `test` that repeats a clause is refused: the syntax tree
//! keeps one of the two, so printing it would lose the other.
//!
//! Before returning, the formatter parses its own output and checks that the
//! declarations and the comments are unchanged; if not, it reports an
//! internal error rather than return a changed rule set.
//!
//! # Files
//!
//! - `mod.rs`: [`format_source`]; the checks before printing (a repeated
//!   clause) and after (the output parsed again); the tokens and comments of
//!   the source, and the formatter's state with its lookups in the source.
//! - `doc.rs`: layout documents and their rendering in a width.
//! - `anchors.rs`: the tree of things comments attach to, built from the
//!   syntax tree and the tokens.
//! - `comments.rs`: which anchor and slot each comment goes to, and the
//!   comments of a line when it is printed.
//! - `layout.rs`: the file and every declaration: blocks, bracketed
//!   sequences, the columns of `input`, the label block's `because`.
//! - `expr.rs`: expressions and literals: numbers as written, strings,
//!   `and`/`or` and `if` chains, lists and `match`.
//! - `tests.rs`: unit tests.

mod anchors;
mod comments;
mod doc;
mod expr;
mod layout;
#[cfg(test)]
mod tests;

use crate::ast::{Item, Span};
use crate::diag::Diagnostic;
use crate::syntax;
use crate::syntax::lex::{self, Kind, Token};
use anchors::{Anchor, K, ROOT};
use comments::Slots;
use std::collections::HashMap;

/// The line width the layout aims at.
pub const WIDTH: usize = 100;
/// One level of indentation.
const INDENT: usize = 4;
/// The stack for parsing and printing, so deeply nested input cannot overflow
/// it (the parser refuses nesting long before this is used up).
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Formats one rule file in the canonical layout.
///
/// Returns the diagnostics of the parser when the file has a syntax error
/// (spans in file 0), and an error when a `waiver` or `test` repeats a clause,
/// which the syntax tree keeps only once. The result ends with one newline,
/// or is empty when the file holds nothing.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let joined = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("outsort-fmt".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(s, || format_inner(text))
            .map(|h| h.join())
    });
    match joined {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(vec![internal()]),
        Err(e) => Err(vec![Diagnostic::error(
            "io",
            format!("could not start formatting: {e}"),
        )]),
    }
}

fn internal() -> Diagnostic {
    Diagnostic::error("internal", "the formatter could not lay out this file without changing its meaning")
        .help("this is a bug in outsort; please report it with the rule file. The file was left as it was")
}

fn format_inner(text: &str) -> Result<String, Vec<Diagnostic>> {
    let (items, diags) = syntax::parse_file(0, text);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let repeated = repeated_clauses(&items);
    if !repeated.is_empty() {
        return Err(repeated);
    }
    let (toks, comments) = lex(text);
    let mut f = Fmt::new(text, toks);
    for item in &items {
        f.reg_item(item);
    }
    f.sort_children();
    f.assign(&comments);
    let out = f.file(&items);
    verify(&items, &comments, &out)?;
    Ok(out)
}

/// A clause written twice is kept only once in the syntax tree, so printing
/// the tree would drop the other one.
fn repeated_clauses(items: &[Item]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for item in items {
        let (spans, what): (&[Span], &str) = match item {
            Item::Waiver(w) => (&w.repeated, "waiver"),
            Item::Test(t) => (&t.repeated, "test"),
            _ => continue,
        };
        for span in spans {
            out.push(
                Diagnostic::error("duplicate", format!("this {what} clause is written twice"))
                    .at(*span)
                    .label("written twice")
                    .help("remove one of the two clauses before formatting the file"),
            );
        }
    }
    out
}

/// Parses the output again and compares declarations and comments.
fn verify(items: &[Item], comments: &[Comment], out: &str) -> Result<(), Vec<Diagnostic>> {
    let (again, diags) = syntax::parse_file(0, out);
    let show = |items: &[Item]| items.iter().map(|i| i.to_string()).collect::<Vec<_>>();
    let mut before: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
    let (_, out_comments) = lex(out);
    let mut after: Vec<&str> = out_comments.iter().map(|c| c.text.as_str()).collect();
    before.sort_unstable();
    after.sort_unstable();
    if diags.iter().any(Diagnostic::is_error) || show(items) != show(&again) || before != after {
        return Err(vec![internal()]);
    }
    Ok(())
}

// ---------------------------------------------------------------- tokens

/// A comment, its text without the line ending or trailing blanks.
#[derive(Debug, Clone)]
struct Comment {
    start: usize,
    end: usize,
    text: String,
}

/// Splits the text into code tokens and comments.
fn lex(src: &str) -> (Vec<Token>, Vec<Comment>) {
    let mut toks = Vec::new();
    let mut comments = Vec::new();
    for t in lex::tokens(src) {
        match t.kind {
            Kind::Comment => comments.push(Comment {
                start: t.start,
                end: t.end,
                text: t.text(src).trim_end().to_string(),
            }),
            Kind::LineEnd | Kind::Bom => {}
            _ => toks.push(t),
        }
    }
    (toks, comments)
}

/// The formatter's state: the source, its tokens, the anchor tree and the
/// comments attached to it.
struct Fmt<'a> {
    src: &'a str,
    toks: Vec<Token>,
    anchors: Vec<Anchor>,
    children: Vec<Vec<usize>>,
    slots: HashMap<(K, usize), Slots>,
    /// Set while printing the expression of an interpolated string, which
    /// holds no comments and whose offsets name no token.
    quiet: bool,
}

impl<'a> Fmt<'a> {
    fn new(src: &'a str, toks: Vec<Token>) -> Fmt<'a> {
        let root = Anchor {
            k: K::Root,
            start: 0,
            end: src.len(),
            open: None,
            close: Some(src.len()),
            parent: ROOT,
        };
        Fmt {
            src,
            toks,
            anchors: vec![root],
            children: vec![Vec::new()],
            slots: HashMap::new(),
            quiet: false,
        }
    }

    // ------------------------------------------------------------ source text

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.src.get(start..end).unwrap_or("")
    }

    fn tok_text(&self, t: Token) -> &'a str {
        self.slice(t.start, t.end)
    }

    /// The first token starting at or after `pos`.
    fn tok_at(&self, pos: usize) -> Option<Token> {
        let i = self.toks.partition_point(|t| t.start < pos);
        self.toks.get(i).copied()
    }

    /// The last token ending at or before `pos`.
    fn tok_before(&self, pos: usize) -> Option<Token> {
        let i = self.toks.partition_point(|t| t.end <= pos);
        i.checked_sub(1).and_then(|i| self.toks.get(i)).copied()
    }

    /// The first token `text` at or after `pos`.
    fn find(&self, pos: usize, text: &str) -> Option<Token> {
        let i = self.toks.partition_point(|t| t.start < pos);
        self.toks
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .find(|t| self.tok_text(**t) == text)
            .copied()
    }

    /// A span trimmed to its first and last token: the parser's spans may
    /// take in the blanks and comments after a declaration.
    fn tight(&self, span: Span) -> (usize, usize) {
        let (s, e) = (span.start as usize, span.end as usize);
        let start = self.tok_at(s).map_or(s, |t| t.start).min(e);
        let end = self.tok_before(e).map_or(start, |t| t.end).max(start);
        (start, end)
    }

    fn start(&self, span: Span) -> usize {
        self.tight(span).0
    }

    fn end(&self, span: Span) -> usize {
        self.tight(span).1
    }

    /// Whether an empty line lies between `pos` and the code or comment before it.
    fn blank_before(&self, pos: usize) -> bool {
        let mut newlines = 0;
        for c in self.src.get(..pos).unwrap_or("").chars().rev() {
            match c {
                '\n' => newlines += 1,
                ' ' | '\t' | '\r' | '\u{feff}' => {}
                _ => break,
            }
        }
        newlines >= 2
    }
}
