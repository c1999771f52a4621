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

use crate::ast::{BinaryOp, Input, LabelBlock, Named, Policy, Rule, Score};
use crate::ast::{
    Expect, Expr, ExprKind, Given, IPart, IStr, Item, LitKind, Literal, Record, Span, Test,
    TypeExpr, UnaryOp, Waiver,
};
use crate::diag::Diagnostic;
use crate::syntax;
use crate::syntax::lex::{self, Kind, Token as Tok, escape, quote};
use crate::value::{format_date, format_number};
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
fn lex(src: &str) -> (Vec<Tok>, Vec<Comment>) {
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

// ---------------------------------------------------------------- documents

/// A document to lay out: text with places where lines may break, in the
/// manner of Wadler's "prettier printer".
#[derive(Debug, Clone)]
enum Doc {
    Nil,
    Text(String),
    /// A comment on its own line: text that forces the enclosing groups to
    /// break.
    Comment(String),
    /// A newline when the enclosing group breaks, else `flat`; `blank` adds an
    /// empty line before the newline.
    Break {
        flat: &'static str,
        blank: bool,
    },
    /// Always a newline.
    Hard {
        blank: bool,
    },
    /// A comment for the end of the current line, printed before the next
    /// newline; forces the enclosing groups to break.
    Suffix(String),
    Nest(usize, Box<Doc>),
    /// Content laid out flat if it fits, else broken; `true` when it must break.
    Group(Box<Doc>, bool),
    /// The first document in a broken group, the second in a flat one.
    IfBreak(Box<Doc>, Box<Doc>),
    Cat(Vec<Doc>),
}

fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

fn cat(docs: Vec<Doc>) -> Doc {
    Doc::Cat(docs)
}

fn nest(d: Doc) -> Doc {
    Doc::Nest(INDENT, Box::new(d))
}

fn line() -> Doc {
    Doc::Break {
        flat: " ",
        blank: false,
    }
}

fn hard(blank: bool) -> Doc {
    Doc::Hard { blank }
}

fn group(d: Doc) -> Doc {
    let forced = forces(&d);
    Doc::Group(Box::new(d), forced)
}

fn if_break(broken: Doc, flat: Doc) -> Doc {
    Doc::IfBreak(Box::new(broken), Box::new(flat))
}

fn suffixes(comments: Vec<String>) -> Doc {
    cat(comments.into_iter().map(Doc::Suffix).collect())
}

/// Whether a document cannot be laid out on one line.
fn forces(d: &Doc) -> bool {
    match d {
        Doc::Hard { .. } | Doc::Suffix(_) | Doc::Comment(_) => true,
        Doc::Nil | Doc::Text(_) | Doc::Break { .. } => false,
        Doc::Nest(_, d) => forces(d),
        Doc::Group(_, forced) => *forced,
        Doc::IfBreak(_, flat) => forces(flat),
        Doc::Cat(docs) => docs.iter().any(forces),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

fn width(s: &str) -> isize {
    s.chars().count() as isize
}

/// Lays out a document in `max` columns.
fn render(doc: &Doc, max: usize) -> String {
    let mut out = String::new();
    let mut col: isize = 0;
    let mut pending: Vec<&str> = Vec::new();
    let mut stack: Vec<(usize, Mode, &Doc)> = vec![(0, Mode::Break, doc)];
    let newline = |out: &mut String, pending: &mut Vec<&str>, indent: usize, blank: bool| {
        // Two comments for one line would read as one; the second gets a
        // line of its own (the layout should never produce this).
        for (i, c) in pending.drain(..).enumerate() {
            if i > 0 {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                out.push_str(c);
            } else {
                out.push_str("  ");
                out.push_str(c);
            }
        }
        out.push('\n');
        if blank {
            out.push('\n');
        }
        out.push_str(&" ".repeat(indent));
    };
    while let Some((indent, mode, d)) = stack.pop() {
        match d {
            Doc::Nil => {}
            Doc::Text(s) | Doc::Comment(s) => {
                out.push_str(s);
                col += width(s);
            }
            Doc::Cat(docs) => stack.extend(docs.iter().rev().map(|d| (indent, mode, d))),
            Doc::Nest(n, d) => stack.push((indent + n, mode, d)),
            Doc::Group(d, forced) => {
                let m = if *forced {
                    Mode::Break
                } else if mode == Mode::Flat || fits(max as isize - col, d, &stack) {
                    Mode::Flat
                } else {
                    Mode::Break
                };
                stack.push((indent, m, d));
            }
            Doc::IfBreak(b, f) => {
                stack.push((indent, mode, if mode == Mode::Break { b } else { f }))
            }
            Doc::Break { flat, blank } => {
                if mode == Mode::Flat {
                    out.push_str(flat);
                    col += width(flat);
                } else {
                    newline(&mut out, &mut pending, indent, *blank);
                    col = indent as isize;
                }
            }
            Doc::Hard { blank } => {
                newline(&mut out, &mut pending, indent, *blank);
                col = indent as isize;
            }
            Doc::Suffix(s) => pending.push(s),
        }
    }
    for (i, c) in pending.drain(..).enumerate() {
        out.push_str(if i > 0 { "\n" } else { "  " });
        out.push_str(c);
    }
    out
}

/// Whether `first` fits flat in `rem` columns, together with what follows it
/// up to the next line break.
fn fits(mut rem: isize, first: &Doc, rest: &[(usize, Mode, &Doc)]) -> bool {
    let mut work: Vec<(Mode, &Doc)> = vec![(Mode::Flat, first)];
    let mut rest_i = rest.len();
    loop {
        if rem < 0 {
            return false;
        }
        let (mode, d) = match work.pop() {
            Some(w) => w,
            None => {
                let Some(i) = rest_i.checked_sub(1) else {
                    return true;
                };
                rest_i = i;
                match rest.get(i) {
                    Some(&(_, m, d)) => (m, d),
                    None => return true,
                }
            }
        };
        match d {
            Doc::Nil | Doc::Suffix(_) => {}
            Doc::Text(s) | Doc::Comment(s) => rem -= width(s),
            Doc::Cat(docs) => work.extend(docs.iter().rev().map(|d| (mode, d))),
            Doc::Nest(_, d) => work.push((mode, d)),
            Doc::Group(d, forced) => work.push((if *forced { Mode::Break } else { mode }, d)),
            Doc::IfBreak(b, f) => work.push((mode, if mode == Mode::Break { b } else { f })),
            Doc::Break { flat, .. } => {
                if mode == Mode::Break {
                    return true;
                }
                rem -= width(flat);
            }
            Doc::Hard { .. } => return true,
        }
    }
}

// ---------------------------------------------------------------- anchors

/// What a comment can be attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum K {
    /// The file: comments at its end.
    Root,
    // Things printed on lines of their own, with comments above them and at
    // the end of their last line.
    Item,
    Field,
    Action,
    LabelLine,
    Clause,
    Elem,
    Arm,
    RecField,
    // Bracketed things, with comments after the opening bracket and before
    // the closing one.
    Block,
    List,
    Match,
    Record,
    Portfolio,
    Tasks,
}

impl K {
    fn is_line(self) -> bool {
        matches!(
            self,
            K::Item
                | K::Field
                | K::Action
                | K::LabelLine
                | K::Clause
                | K::Elem
                | K::Arm
                | K::RecField
        )
    }
}

/// A node of the tree comments are attached to, by byte offsets of its first
/// and last token.
#[derive(Debug, Clone)]
struct Anchor {
    k: K,
    start: usize,
    end: usize,
    /// The token after which the body starts: an opening bracket, or a
    /// policy's severity.
    open: Option<Tok>,
    /// Where the closing bracket starts.
    close: Option<usize>,
    parent: usize,
}

const ROOT: usize = 0;

/// The comments attached to one anchor.
#[derive(Debug, Default)]
struct Slots {
    /// Comments above the anchor, with whether a blank line precedes each.
    leading: Vec<(String, bool)>,
    /// Comments from inside the anchor that have no line of their own.
    hoisted: Vec<String>,
    trailing: Vec<String>,
    open: Vec<String>,
    /// Comments before the closing bracket, with whether a blank line
    /// precedes each.
    dangling: Vec<(String, bool)>,
    /// Where the first of them was, to keep a stray one in order.
    first: usize,
}

enum Slot {
    Leading(usize),
    Hoisted(usize),
    Trailing(usize),
    Open(usize),
    Dangling(usize),
}

/// The comments around one line: above it, then the line, then at its end.
struct Around {
    /// Comments above the line, each with whether a blank line precedes it.
    above: Vec<(String, bool)>,
    /// Whether a blank line precedes the line itself (after its comments).
    blank: bool,
    trailing: Vec<String>,
}

impl Around {
    /// Whether a blank line precedes the first thing printed: a comment
    /// above the line, or the line.
    fn first_blank(&self) -> bool {
        self.above.first().map_or(self.blank, |c| c.1)
    }

    /// The line's document with its comments.
    fn wrap(self, body: Doc) -> Doc {
        let mut out = Vec::new();
        let has_above = !self.above.is_empty();
        for (i, (c, blank)) in self.above.into_iter().enumerate() {
            if i > 0 {
                out.push(hard(blank));
            }
            out.push(Doc::Comment(c));
        }
        if has_above {
            out.push(hard(self.blank));
        }
        out.push(body);
        out.push(suffixes(self.trailing));
        cat(out)
    }
}

/// How a bracketed sequence is printed.
struct SeqStyle {
    open: &'static str,
    close: &'static str,
    /// A space inside the brackets when flat: `{ a: 1 }`, not `[1]`.
    spaced: bool,
    /// One item per line even when they would fit on one.
    broken: bool,
}

const LIST: SeqStyle = SeqStyle {
    open: "[",
    close: "]",
    spaced: false,
    broken: false,
};
const BRACES: SeqStyle = SeqStyle {
    open: "{",
    close: "}",
    spaced: true,
    broken: false,
};
const PORTFOLIO: SeqStyle = SeqStyle {
    open: "[",
    close: "]",
    spaced: false,
    broken: true,
};

/// A clause of a test, in the order written.
enum TestClause<'t> {
    Today(i32),
    Given(&'t Given),
    Expect(&'t Expect),
}

struct Fmt<'a> {
    src: &'a str,
    toks: Vec<Tok>,
    anchors: Vec<Anchor>,
    children: Vec<Vec<usize>>,
    slots: HashMap<(K, usize), Slots>,
    /// Set while printing the expression of an interpolated string, which
    /// holds no comments and whose offsets name no token.
    quiet: bool,
}

impl<'a> Fmt<'a> {
    fn new(src: &'a str, toks: Vec<Tok>) -> Fmt<'a> {
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

    fn tok_text(&self, t: Tok) -> &'a str {
        self.slice(t.start, t.end)
    }

    /// The first token starting at or after `pos`.
    fn tok_at(&self, pos: usize) -> Option<Tok> {
        let i = self.toks.partition_point(|t| t.start < pos);
        self.toks.get(i).copied()
    }

    /// The last token ending at or before `pos`.
    fn tok_before(&self, pos: usize) -> Option<Tok> {
        let i = self.toks.partition_point(|t| t.end <= pos);
        i.checked_sub(1).and_then(|i| self.toks.get(i)).copied()
    }

    /// The first token `text` at or after `pos`.
    fn find(&self, pos: usize, text: &str) -> Option<Tok> {
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

    // ------------------------------------------------------------ the anchor tree

    fn add(
        &mut self,
        k: K,
        (start, end): (usize, usize),
        open: Option<Tok>,
        parent: usize,
    ) -> usize {
        let close = if k.is_line() {
            None
        } else {
            self.tok_before(end).map(|t| t.start)
        };
        let id = self.anchors.len();
        self.anchors.push(Anchor {
            k,
            start,
            end,
            open,
            close,
            parent,
        });
        self.children.push(Vec::new());
        if let Some(c) = self.children.get_mut(parent) {
            c.push(id);
        }
        id
    }

    fn sort_children(&mut self) {
        let anchors = &self.anchors;
        for c in &mut self.children {
            c.sort_by_key(|&i| anchors.get(i).map_or(0, |a| a.start));
        }
    }

    fn reg_item(&mut self, item: &Item) {
        let span = self.tight(item.span());
        let it = self.add(K::Item, span, None, ROOT);
        match item {
            Item::Input(input) => {
                let open = self.find(span.0, "{");
                let b = self.add(K::Block, span, open, it);
                for f in &input.fields {
                    let fs = self.tight(f.span);
                    self.add(K::Field, fs, None, b);
                }
            }
            Item::Key(_) | Item::Score(_) => {}
            Item::Let(n) | Item::Output(n) | Item::Metric(n) => self.reg_expr(&n.expr, it),
            Item::Rule(r) => {
                let head_end = r
                    .when
                    .as_ref()
                    .map_or(self.end(r.name.span), |w| self.end(w.span));
                let open = self.find(head_end, "{");
                let b = self.add(K::Block, span, open, it);
                if let Some(w) = &r.when {
                    self.reg_expr(w, b);
                }
                for a in &r.actions {
                    let aspan = self.tight(a.span);
                    let an = self.add(K::Action, aspan, None, b);
                    self.reg_expr(&a.expr, an);
                }
            }
            Item::Label(l) => {
                let open = self.find(span.0, "{");
                let b = self.add(K::Block, span, open, it);
                for ll in &l.lines {
                    let lspan = self.tight(ll.span);
                    let ln = self.add(K::LabelLine, lspan, None, b);
                    if let Some(w) = &ll.when {
                        self.reg_expr(w, ln);
                    }
                }
            }
            Item::Policy(p) => {
                let severity = self.tok_at(self.end(p.name.span));
                let b = self.add(K::Block, span, severity, it);
                // Its lines end with the last clause: no closing bracket.
                if let Some(a) = self.anchors.get_mut(b) {
                    a.close = None;
                }
                let (ws, we) = self.tight(p.when.span);
                let when = self.add(K::Clause, (self.keyword_before(ws), we), None, b);
                self.reg_expr(&p.when, when);
                if let Some(u) = &p.unless {
                    let (us, ue) = self.tight(u.span);
                    let unless = self.add(K::Clause, (self.keyword_before(us), ue), None, b);
                    self.reg_expr(u, unless);
                }
                if let Some(m) = &p.message {
                    let (ms, me) = self.tight(m.span);
                    self.add(K::Clause, (self.keyword_before(ms), me), None, b);
                }
            }
            Item::Waiver(w) => {
                let open = self.find(self.end(w.policy.span), "{");
                let b = self.add(K::Block, span, open, it);
                for (kw, start, end) in self.waiver_clauses(span, open) {
                    let clause = self.add(K::Clause, (start, end), None, b);
                    if kw == "tasks" {
                        let open = self.find(start, "[");
                        let list_start = open.map_or(start, |t| t.start);
                        let list = self.add(K::Tasks, (list_start, end), open, clause);
                        for t in &w.tasks {
                            let ts = self.tight(t.span);
                            if ts.0 > list_start && ts.1 <= end {
                                self.add(K::Elem, ts, None, list);
                            }
                        }
                    }
                }
            }
            Item::Test(t) => {
                let open = self.find(self.end(t.name.span), "{");
                let b = self.add(K::Block, span, open, it);
                for (start, end, clause) in self.test_clauses(t) {
                    let c = self.add(K::Clause, (start, end), None, b);
                    match clause {
                        TestClause::Today(_) | TestClause::Expect(Expect::Policy { .. }) => {}
                        TestClause::Expect(Expect::Cond(e)) => self.reg_expr(e, c),
                        TestClause::Given(g) if g.portfolio => {
                            let open = self.find(start, "[");
                            let p = self.add(
                                K::Portfolio,
                                (open.map_or(start, |t| t.start), end),
                                open,
                                c,
                            );
                            for r in &g.records {
                                let rspan = self.tight(r.span);
                                let el = self.add(K::Elem, rspan, None, p);
                                self.reg_record(r, el);
                            }
                        }
                        TestClause::Given(g) => {
                            for r in &g.records {
                                self.reg_record(r, c);
                            }
                        }
                    }
                }
            }
        }
    }

    fn reg_record(&mut self, r: &Record, parent: usize) {
        let span = self.tight(r.span);
        let open = self.tok_at(span.0);
        let rec = self.add(K::Record, span, open, parent);
        for (name, e) in &r.fields {
            let f = self.add(
                K::RecField,
                (self.start(name.span), self.end(e.span)),
                None,
                rec,
            );
            self.reg_expr(e, f);
        }
    }

    fn reg_list(&mut self, items: &[Expr], open: Option<Tok>, end: usize, parent: usize) {
        let start = open.map_or(end, |t| t.start);
        let list = self.add(K::List, (start, end), open, parent);
        for x in items {
            let xspan = self.tight(x.span);
            let el = self.add(K::Elem, xspan, None, list);
            self.reg_expr(x, el);
        }
    }

    fn reg_expr(&mut self, e: &Expr, parent: usize) {
        match &e.kind {
            ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Date(_)
            | ExprKind::Name(_)
            | ExprKind::Label => {}
            ExprKind::Unary(_, x) | ExprKind::Paren(x) => self.reg_expr(x, parent),
            ExprKind::Binary(_, a, b) => {
                self.reg_expr(a, parent);
                self.reg_expr(b, parent);
            }
            ExprKind::In { value, list, .. } => {
                self.reg_expr(value, parent);
                let open = self.find(self.end(value.span), "[");
                self.reg_list(list, open, self.end(e.span), parent);
            }
            ExprKind::If(c, a, b) => {
                self.reg_expr(c, parent);
                self.reg_expr(a, parent);
                self.reg_expr(b, parent);
            }
            ExprKind::Match { scrutinee, arms } => {
                self.reg_expr(scrutinee, parent);
                let open = self.find(self.end(scrutinee.span), "{");
                let end = self.end(e.span);
                let m = self.add(K::Match, (open.map_or(end, |t| t.start), end), open, parent);
                for arm in arms {
                    let aspan = self.tight(arm.span);
                    let a = self.add(K::Arm, aspan, None, m);
                    self.reg_expr(&arm.expr, a);
                }
            }
            ExprKind::Call { args, filter, .. } => {
                for a in args {
                    self.reg_expr(a, parent);
                }
                if let Some(f) = filter {
                    self.reg_expr(f, parent);
                }
            }
            ExprKind::List(items) => {
                let (start, end) = self.tight(e.span);
                self.reg_list(items, self.tok_at(start), end, parent);
            }
        }
    }

    /// The start of the keyword just before a clause's value.
    fn keyword_before(&self, pos: usize) -> usize {
        self.tok_before(pos).map_or(pos, |t| t.start)
    }

    /// The clauses of a waiver in the order written: keyword, first and last
    /// offset. Found from the tokens, since the tree does not keep where an
    /// empty `tasks []` is.
    fn waiver_clauses(
        &self,
        (_, end): (usize, usize),
        open: Option<Tok>,
    ) -> Vec<(&'a str, usize, usize)> {
        let Some(open) = open else { return Vec::new() };
        let close = self.tok_before(end).map_or(end, |t| t.start);
        let first = self.toks.partition_point(|t| t.start < open.end);
        let mut depth = 0usize;
        let mut keywords = Vec::new();
        for t in self.toks.get(first..).unwrap_or(&[]) {
            if t.start >= close {
                break;
            }
            let s = self.tok_text(*t);
            match s {
                "[" | "(" | "{" => depth += 1,
                "]" | ")" | "}" => depth = depth.saturating_sub(1),
                "tasks" | "reason" | "owner" | "expires" if depth == 0 && t.kind == Kind::Word => {
                    keywords.push((s, t.start))
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (i, &(kw, start)) in keywords.iter().enumerate() {
            let next = keywords.get(i + 1).map_or(close, |k| k.1);
            let end = self.tok_before(next).map_or(next, |t| t.end).max(start);
            out.push((kw, start, end));
        }
        out
    }

    fn test_clauses<'t>(&self, t: &'t Test) -> Vec<(usize, usize, TestClause<'t>)> {
        let mut out = Vec::new();
        if let Some((d, span)) = t.today {
            let (s, e) = self.tight(span);
            out.push((self.keyword_before(s), e, TestClause::Today(d)));
        }
        if let Some(g) = &t.given {
            let (s, e) = self.tight(g.span);
            out.push((s, e, TestClause::Given(g)));
        }
        for x in &t.expects {
            let (s, e) = match x {
                Expect::Cond(c) => {
                    let (s, e) = self.tight(c.span);
                    (self.keyword_before(s), e)
                }
                Expect::Policy { span, .. } => self.tight(*span),
            };
            out.push((s, e, TestClause::Expect(x)));
        }
        out.sort_by_key(|c| c.0);
        out
    }

    // ------------------------------------------------------------ attaching comments

    /// The anchors holding the token or comment at `pos`, outermost first.
    fn path(&self, pos: usize) -> Vec<usize> {
        let mut out = vec![ROOT];
        let mut n = ROOT;
        while let Some(children) = self.children.get(n) {
            let i =
                children.partition_point(|&c| self.anchors.get(c).is_some_and(|a| a.start <= pos));
            let next = i.checked_sub(1).and_then(|i| children.get(i)).copied();
            match next.and_then(|c| self.anchors.get(c).map(|a| (c, a))) {
                Some((c, a)) if pos < a.end => {
                    out.push(c);
                    n = c;
                }
                _ => break,
            }
        }
        out
    }

    fn anchor(&self, i: usize) -> Option<&Anchor> {
        self.anchors.get(i)
    }

    /// The nearest line that holds anchor `n`.
    fn line_of(&self, mut n: usize) -> Option<usize> {
        loop {
            let a = self.anchor(n)?;
            if a.k.is_line() {
                return Some(n);
            }
            if n == ROOT {
                return None;
            }
            n = a.parent;
        }
    }

    fn hoist(&self, n: usize) -> Slot {
        self.line_of(n).map_or(Slot::Dangling(ROOT), Slot::Hoisted)
    }

    /// Where a comment on a line of its own goes: above the next line of its
    /// block, before the block's closing bracket, or above the line that
    /// holds it.
    fn place_own_line(&self, c: &Comment) -> Slot {
        let n = self.path(c.start).last().copied().unwrap_or(ROOT);
        let Some(a) = self.anchor(n) else {
            return Slot::Dangling(ROOT);
        };
        if a.open.is_some_and(|o| c.start < o.start) {
            return self.hoist(n);
        }
        let children = self.children.get(n).map_or(&[][..], Vec::as_slice);
        let i = children.partition_point(|&ch| self.anchor(ch).is_some_and(|x| x.start < c.end));
        let next = children
            .get(i..)
            .unwrap_or(&[])
            .iter()
            .copied()
            .find(|&ch| self.anchor(ch).is_some_and(|x| x.k.is_line()));
        match next {
            Some(ch) => Slot::Leading(ch),
            None if a.close.is_some() => Slot::Dangling(n),
            None => self.hoist(n),
        }
    }

    fn place(&self, c: &Comment) -> Slot {
        let prev_real = self.tok_before(c.start);
        let own_line = prev_real.is_none_or(|t| self.slice(t.end, c.start).contains('\n'));
        if own_line {
            return self.place_own_line(c);
        }
        // After code on the same line: at the end of the line the code
        // before it ends, or after an opening bracket.
        let mut prev = prev_real;
        while let Some(t) = prev
            && matches!(self.tok_text(t), "," | ";")
        {
            prev = self.tok_before(t.start);
        }
        if let Some(p) = prev {
            let ends_here = self.path(p.start).into_iter().rev().find(|&i| {
                self.anchor(i)
                    .is_some_and(|a| a.k.is_line() && a.end == p.end)
            });
            if let Some(i) = ends_here {
                return Slot::Trailing(i);
            }
        }
        if let Some(p) = prev_real {
            let opens_here = self.path(p.start).into_iter().rev().find(|&i| {
                self.anchor(i)
                    .is_some_and(|a| a.open.is_some_and(|o| o.end == p.end))
            });
            if let Some(i) = opens_here {
                return Slot::Open(i);
            }
        }
        let n = self.path(c.start).last().copied().unwrap_or(ROOT);
        self.hoist(n)
    }

    fn assign(&mut self, comments: &[Comment]) {
        for c in comments {
            let mut slot = self.place(c);
            // A line has room for one comment at its end; another one after
            // the same code (`x  # a` then `,  # b`) goes on a line of its own.
            if let Slot::Trailing(i) = slot
                && let Some(a) = self.anchor(i)
                && self
                    .slots
                    .get(&(a.k, a.start))
                    .is_some_and(|s| !s.trailing.is_empty())
            {
                slot = self.place_own_line(c);
            }
            let id = match slot {
                Slot::Leading(i)
                | Slot::Hoisted(i)
                | Slot::Trailing(i)
                | Slot::Open(i)
                | Slot::Dangling(i) => i,
            };
            let Some(a) = self.anchor(id) else { continue };
            let key = (a.k, a.start);
            let blank = self.blank_before(c.start);
            let slots = self.slots.entry(key).or_insert_with(|| Slots {
                first: c.start,
                ..Slots::default()
            });
            let text = c.text.clone();
            match slot {
                Slot::Leading(_) => slots.leading.push((text, blank)),
                Slot::Hoisted(_) => slots.hoisted.push(text),
                Slot::Trailing(_) => slots.trailing.push(text),
                Slot::Open(_) => slots.open.push(text),
                Slot::Dangling(_) => slots.dangling.push((text, blank)),
            }
        }
    }

    fn take(&mut self, k: K, start: usize) -> Slots {
        if self.quiet {
            return Slots::default();
        }
        self.slots.remove(&(k, start)).unwrap_or_default()
    }

    /// The comments of the line starting at `start`.
    fn around(&mut self, k: K, start: usize) -> Around {
        let slots = self.take(k, start);
        let blank = self.blank_before(start);
        let mut above = slots.leading;
        let hoisted_first = above.len();
        above.extend(slots.hoisted.into_iter().map(|c| (c, false)));
        let body_blank = if let Some(first) = above.get_mut(hoisted_first) {
            // Hoisted comments come from inside the line: the blank line
            // before the line now precedes them.
            first.1 = blank;
            false
        } else {
            blank
        };
        Around {
            above,
            blank: body_blank,
            trailing: slots.trailing,
        }
    }

    // ------------------------------------------------------------ printing

    /// The whole file.
    fn file(&mut self, items: &[Item]) -> String {
        struct Printed {
            around: Around,
            body: String,
            group: Option<&'static str>,
            name_at: usize,
        }
        let mut printed = Vec::new();
        for item in items {
            let start = self.start(item.span());
            let mut around = self.around(K::Item, start);
            let trailing = std::mem::take(&mut around.trailing);
            let doc = cat(vec![self.item(item), suffixes(trailing)]);
            let body = render(&doc, WIDTH);
            let (group, name_at) = match item {
                Item::Key(_) => (Some("key"), 0),
                Item::Let(n) => (Some("let"), 4 + n.name.name.len()),
                Item::Score(s) => (Some("score"), 6 + s.name.name.len()),
                Item::Output(n) => (Some("output"), 7 + n.name.name.len()),
                Item::Metric(n) => (Some("metric"), 7 + n.name.name.len()),
                _ => (None, 0),
            };
            let group = group.filter(|_| !body.contains('\n'));
            printed.push(Printed {
                around,
                body,
                group,
                name_at,
            });
        }
        // Blank lines between items, and the `=` of grouped one-liners lined up.
        let mut blank = vec![false; printed.len()];
        for i in 1..printed.len() {
            if let (Some(a), Some(b)) = (printed.get(i - 1), printed.get(i)) {
                let grouped = a.group.is_some() && a.group == b.group;
                if let Some(x) = blank.get_mut(i) {
                    *x = !grouped || b.around.first_blank();
                }
            }
        }
        let mut i = 0;
        while i < printed.len() {
            let kind = printed.get(i).and_then(|p| p.group);
            let mut j = i + 1;
            while j < printed.len()
                && kind.is_some_and(|k| k != "key")
                && printed.get(j).and_then(|p| p.group) == kind
                && !blank.get(j).copied().unwrap_or(true)
            {
                j += 1;
            }
            if j - i > 1 {
                let run = printed.get_mut(i..j).unwrap_or(&mut []);
                let widest = run.iter().map(|p| p.name_at).max().unwrap_or(0);
                for p in run {
                    if p.body.is_char_boundary(p.name_at) {
                        p.body
                            .insert_str(p.name_at, &" ".repeat(widest - p.name_at));
                    }
                }
            }
            i = j;
        }
        let mut out = String::new();
        for (i, p) in printed.into_iter().enumerate() {
            if i > 0 {
                out.push('\n');
                if blank.get(i).copied().unwrap_or(true) {
                    out.push('\n');
                }
            }
            for (k, (c, b)) in p.around.above.iter().enumerate() {
                if k > 0 && *b {
                    out.push('\n');
                }
                out.push_str(c);
                out.push('\n');
            }
            if !p.around.above.is_empty() && p.around.blank {
                out.push('\n');
            }
            out.push_str(&p.body);
        }
        let mut end = self.take(K::Root, 0).dangling;
        // Comments no anchor took (which would be a bug in the attaching)
        // are kept at the end rather than lost.
        let mut stray: Vec<Slots> = self.slots.drain().map(|(_, s)| s).collect();
        stray.sort_by_key(|s| s.first);
        for s in stray {
            let all = s
                .leading
                .into_iter()
                .map(|c| c.0)
                .chain(s.hoisted)
                .chain(s.trailing)
                .chain(s.open);
            end.extend(
                all.chain(s.dangling.into_iter().map(|c| c.0))
                    .map(|c| (c, false)),
            );
        }
        for (c, b) in end {
            if !out.is_empty() {
                out.push('\n');
                if b {
                    out.push('\n');
                }
            }
            out.push_str(&c);
        }
        let mut clean: String = out
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n");
        let trimmed_len = clean.trim_end().len();
        clean.truncate(trimmed_len);
        if !clean.is_empty() {
            clean.push('\n');
        }
        clean
    }

    fn item(&mut self, item: &Item) -> Doc {
        match item {
            Item::Input(i) => self.input(i),
            Item::Key(k) => text(format!("key {}", k.field.name)),
            Item::Let(n) => self.named("let", n),
            Item::Score(s) => text(self.score(s)),
            Item::Rule(r) => self.rule(r),
            Item::Label(l) => self.label(l),
            Item::Output(n) => self.named("output", n),
            Item::Metric(n) => self.named("metric", n),
            Item::Policy(p) => self.policy(p),
            Item::Waiver(w) => self.waiver(w),
            Item::Test(t) => self.test(t),
        }
    }

    /// A block of lines between braces (or, with no `close`, the indented
    /// lines under a heading), one child per line.
    fn block(
        &mut self,
        head: Doc,
        start: usize,
        children: Vec<(Doc, bool)>,
        close: Option<&str>,
    ) -> Doc {
        let slots = self.take(K::Block, start);
        if children.is_empty() && slots.open.is_empty() && slots.dangling.is_empty() {
            return cat(vec![head, text(close.unwrap_or(""))]);
        }
        let mut inner = Vec::new();
        let mut first = true;
        for (doc, blank) in children {
            inner.push(hard(blank && !first));
            inner.push(doc);
            first = false;
        }
        for (c, blank) in slots.dangling {
            inner.push(hard(blank && !first));
            inner.push(Doc::Comment(c));
            first = false;
        }
        let mut out = vec![head, suffixes(slots.open), nest(cat(inner))];
        if let Some(close) = close {
            out.push(hard(false));
            out.push(text(close));
        }
        cat(out)
    }

    /// A bracketed sequence that is laid out flat when it fits, else one
    /// item per line with a trailing comma.
    fn seq(&mut self, k: K, start: usize, items: Vec<(Doc, bool)>, style: &SeqStyle) -> Doc {
        let slots = self.take(k, start);
        if items.is_empty() && slots.open.is_empty() && slots.dangling.is_empty() {
            return text(format!("{}{}", style.open, style.close));
        }
        let edge = if style.spaced { " " } else { "" };
        let has_items = !items.is_empty();
        let mut inner = Vec::new();
        // With only a comment after the opening bracket, the closing one
        // follows on the next line.
        if has_items || !slots.dangling.is_empty() {
            inner.push(Doc::Break {
                flat: edge,
                blank: false,
            });
        }
        for (i, (doc, blank)) in items.into_iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
                inner.push(Doc::Break { flat: " ", blank });
            }
            inner.push(doc);
        }
        if has_items {
            inner.push(if_break(text(","), Doc::Nil));
        }
        for (i, (c, blank)) in slots.dangling.into_iter().enumerate() {
            if i > 0 || has_items {
                inner.push(hard(blank));
            }
            inner.push(Doc::Comment(c));
        }
        let doc = cat(vec![
            text(style.open),
            suffixes(slots.open),
            nest(cat(inner)),
            Doc::Break {
                flat: edge,
                blank: false,
            },
            text(style.close),
        ]);
        let forced = style.broken || forces(&doc);
        Doc::Group(Box::new(doc), forced)
    }

    fn input(&mut self, input: &Input) -> Doc {
        let start = self.start(input.span);
        struct Row {
            around: Around,
            cells: [String; 4],
        }
        let mut rows = Vec::new();
        for f in &input.fields {
            let fstart = self.start(f.span);
            let around = self.around(K::Field, fstart);
            let mut ty = match &f.ty {
                TypeExpr::Text => "text".to_string(),
                TypeExpr::Number => "number".to_string(),
                TypeExpr::Bool => "bool".to_string(),
                TypeExpr::Date => "date".to_string(),
                TypeExpr::Enum(values) => {
                    let names: Vec<&str> = values.iter().map(|v| v.name.as_str()).collect();
                    format!("enum({})", names.join(", "))
                }
            };
            if f.optional {
                ty.push('?');
            }
            let default = f
                .default
                .as_ref()
                .map_or(String::new(), |d| format!("= {}", self.literal(d)));
            let from = f
                .from
                .as_ref()
                .map_or(String::new(), |s| format!("from {}", quote(&s.value)));
            rows.push(Row {
                around,
                cells: [format!("{}:", f.name.name), ty, default, from],
            });
        }
        let cells: Vec<[String; 4]> = rows.iter().map(|r| r.cells.clone()).collect();
        let codes = align(&cells);
        let comment_col = rows
            .iter()
            .zip(&codes)
            .filter(|(r, _)| !r.around.trailing.is_empty())
            .map(|(_, c)| c.chars().count())
            .filter(|&w| w <= CODE_CAP)
            .max()
            .map_or(0, |w| w + 2);
        let mut children = Vec::new();
        for (mut row, mut code) in rows.into_iter().zip(codes) {
            let trailing = std::mem::take(&mut row.around.trailing);
            if !trailing.is_empty() {
                let pad = comment_col.saturating_sub(code.chars().count()).max(2);
                code.push_str(&" ".repeat(pad));
                code.push_str(&trailing.join(" "));
            }
            let blank = row.around.first_blank();
            children.push((row.around.wrap(text(code)), blank));
        }
        self.block(text("input {"), start, children, Some("}"))
    }

    fn named(&mut self, keyword: &str, n: &Named) -> Doc {
        cat(vec![
            text(format!("{keyword} {} = ", n.name.name)),
            self.expr(&n.expr),
        ])
    }

    /// `score name = start in lo..hi`, numbers as written.
    fn score(&self, s: &Score) -> String {
        let (start, end) = self.tight(s.span);
        let first = self.toks.partition_point(|t| t.start < start);
        let toks: Vec<Tok> = self
            .toks
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|t| t.end <= end)
            .copied()
            .collect();
        let mut pieces: Vec<String> = Vec::new();
        let mut after_assign = false;
        let mut sign: Option<Tok> = None;
        for t in toks {
            let txt = self.tok_text(t);
            if !after_assign {
                after_assign = txt == "=";
                continue;
            }
            match (txt, sign) {
                ("-" | "+", _) => sign = Some(t),
                (_, Some(sg)) if t.kind == Kind::Number && sg.end == t.start => {
                    pieces.push(self.slice(sg.start, t.end).to_string());
                    sign = None;
                }
                _ => {
                    if let Some(sg) = sign.take() {
                        pieces.push(self.tok_text(sg).to_string());
                    }
                    pieces.push(txt.to_string());
                }
            }
        }
        let name = &s.name.name;
        match pieces.as_slice() {
            [start] => format!("score {name} = {start}"),
            [start, kw_in, lo, dots, hi] if kw_in == "in" && dots == ".." => {
                format!("score {name} = {start} in {lo}..{hi}")
            }
            _ => {
                let mut out = format!("score {name} = {}", format_number(s.start));
                if let Some((lo, hi)) = s.range {
                    out.push_str(&format!(" in {}..{}", format_number(lo), format_number(hi)));
                }
                out
            }
        }
    }

    fn rule(&mut self, r: &Rule) -> Doc {
        let start = self.start(r.span);
        let mut head = vec![text(format!("rule {}", quote(&r.name.value)))];
        if let Some(w) = &r.when {
            head.push(text(" when "));
            // Continuation lines of the condition go deeper than the actions.
            head.push(nest(self.expr(w)));
        }
        head.push(text(" {"));
        let target_w = r
            .actions
            .iter()
            .map(|a| a.target.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut children = Vec::new();
        for a in &r.actions {
            let around = self.around(K::Action, self.start(a.span));
            let target = &a.target.name;
            let pad = " ".repeat(target_w - target.chars().count());
            let body = cat(vec![
                text(format!("{target}{pad} {} ", a.op.as_str())),
                self.expr(&a.expr),
            ]);
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        self.block(cat(head), start, children, Some("}"))
    }

    /// The label block. `because` goes on the line of its condition, or,
    /// as soon as one line of the block would pass the width with it, on the
    /// next line under `when` for every line of the block.
    fn label(&mut self, l: &LabelBlock) -> Doc {
        let start = self.start(l.span);
        let value_w = l
            .lines
            .iter()
            .map(|x| x.value.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut lines = Vec::new();
        for ll in &l.lines {
            let around = self.around(K::LabelLine, self.start(ll.span));
            let value = &ll.value.name;
            let mut head = vec![text(format!(
                "{value}{}",
                " ".repeat(value_w - value.chars().count())
            ))];
            match &ll.when {
                Some(w) => {
                    head.push(text(" when "));
                    head.push(self.expr(w));
                }
                None => head.push(text(" otherwise")),
            }
            let because = ll
                .because
                .as_ref()
                .map(|b| format!("because {}", self.istr(b)));
            lines.push((around, cat(head), because));
        }
        let too_long = lines.iter().any(|(_, head, because)| {
            because.as_ref().is_some_and(|b| {
                let head_w = render(head, WIDTH)
                    .lines()
                    .map(|l| l.chars().count())
                    .max()
                    .unwrap_or(0);
                INDENT + head_w + 1 + b.chars().count() > WIDTH
            })
        });
        let mut children = Vec::new();
        for (around, head, because) in lines {
            let body = match because {
                Some(b) if too_long => cat(vec![
                    head,
                    Doc::Nest(value_w + 1, Box::new(cat(vec![hard(false), text(b)]))),
                ]),
                Some(b) => cat(vec![head, text(format!(" {b}"))]),
                None => head,
            };
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        self.block(text("label {"), start, children, Some("}"))
    }

    fn policy(&mut self, p: &Policy) -> Doc {
        let start = self.start(p.span);
        let head = text(format!(
            "policy {} {}",
            quote(&p.name.value),
            p.severity.as_str()
        ));
        let mut clauses = Vec::new();
        let ws = self.start(p.when.span);
        let around = self.around(K::Clause, self.keyword_before(ws));
        let when = cat(vec![text("when "), self.expr(&p.when)]);
        clauses.push((around.wrap(when), false));
        if let Some(u) = &p.unless {
            let around = self.around(K::Clause, self.keyword_before(self.start(u.span)));
            let unless = cat(vec![text("unless "), self.expr(u)]);
            clauses.push((around.wrap(unless), false));
        }
        if let Some(m) = &p.message {
            let around = self.around(K::Clause, self.keyword_before(self.start(m.span)));
            let message = text(format!("message {}", self.istr(m)));
            clauses.push((around.wrap(message), false));
        }
        self.block(head, start, clauses, None)
    }

    fn waiver(&mut self, w: &Waiver) -> Doc {
        let span = self.tight(w.span);
        let open = self.find(self.end(w.policy.span), "{");
        let clauses = self.waiver_clauses(span, open);
        let kw_w = clauses.iter().map(|c| c.0.len()).max().unwrap_or(0);
        let mut children = Vec::new();
        for (kw, start, end) in clauses {
            let around = self.around(K::Clause, start);
            let value = match kw {
                "tasks" => {
                    let list_start = self.find(start, "[").map_or(start, |t| t.start);
                    let mut items = Vec::new();
                    for t in &w.tasks {
                        let (ts, te) = self.tight(t.span);
                        if ts > list_start && te <= end {
                            let around = self.around(K::Elem, ts);
                            let blank = around.first_blank();
                            items.push((around.wrap(text(quote(&t.value))), blank));
                        }
                    }
                    self.seq(K::Tasks, list_start, items, &LIST)
                }
                "reason" => text(w.reason.as_ref().map_or(String::new(), |s| quote(&s.value))),
                "owner" => text(w.owner.as_ref().map_or(String::new(), |s| quote(&s.value))),
                _ => text(w.expires.map_or(String::new(), |(d, _)| format_date(d))),
            };
            let body = cat(vec![text(format!("{kw:<kw_w$} ")), value]);
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        let head = text(format!("waiver {} {{", quote(&w.policy.value)));
        self.block(head, span.0, children, Some("}"))
    }

    fn test(&mut self, t: &Test) -> Doc {
        let start = self.start(t.span);
        let mut children = Vec::new();
        for (cstart, _, clause) in self.test_clauses(t) {
            let around = self.around(K::Clause, cstart);
            let body = match clause {
                TestClause::Today(d) => text(format!("today {}", format_date(d))),
                TestClause::Given(g) => {
                    let value = if g.portfolio {
                        let open = self.find(cstart, "[").map_or(cstart, |t| t.start);
                        let mut records = Vec::new();
                        for r in &g.records {
                            let around = self.around(K::Elem, self.start(r.span));
                            let doc = self.record(r);
                            let blank = around.first_blank();
                            records.push((around.wrap(doc), blank));
                        }
                        self.seq(K::Portfolio, open, records, &PORTFOLIO)
                    } else {
                        let records: Vec<Doc> = g.records.iter().map(|r| self.record(r)).collect();
                        cat(records)
                    };
                    cat(vec![text("given "), value])
                }
                TestClause::Expect(Expect::Cond(c)) => cat(vec![text("expect "), self.expr(c)]),
                TestClause::Expect(Expect::Policy { kind, policy, .. }) => {
                    text(format!("expect {} {}", kind.as_str(), quote(&policy.value)))
                }
            };
            let blank = around.first_blank();
            children.push((around.wrap(body), blank));
        }
        let head = text(format!("test {} {{", quote(&t.name.value)));
        self.block(head, start, children, Some("}"))
    }

    fn record(&mut self, r: &Record) -> Doc {
        let start = self.start(r.span);
        let mut fields = Vec::new();
        for (name, e) in &r.fields {
            let around = self.around(K::RecField, self.start(name.span));
            let body = cat(vec![text(format!("{}: ", name.name)), self.expr(e)]);
            let blank = around.first_blank();
            fields.push((around.wrap(body), blank));
        }
        self.seq(K::Record, start, fields, &BRACES)
    }

    /// A literal: numbers as written, strings re-escaped.
    fn literal(&self, l: &Literal) -> String {
        match &l.kind {
            LitKind::Number(n) => self.number(l.span, *n),
            LitKind::Str(s) => quote(s),
            LitKind::Bool(b) => b.to_string(),
            LitKind::Date(d) => format_date(*d),
            LitKind::Name(n) => n.clone(),
        }
    }

    /// A number as written. Number spans are exact (the grammar's number rules
    /// are atomic), also inside interpolated strings.
    fn number(&self, span: Span, n: f64) -> String {
        let written = self.slice(span.start as usize, span.end as usize);
        let plausible = written.bytes().any(|b| b.is_ascii_digit())
            && written
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-' | b'+'));
        if plausible {
            written.to_string()
        } else {
            format_number(n)
        }
    }

    /// An interpolated string, its expressions always on one line.
    fn istr(&mut self, s: &IStr) -> String {
        let mut out = String::from("\"");
        for part in &s.parts {
            match part {
                IPart::Text(t) => out.push_str(&escape(t, true)),
                IPart::Expr(e) => {
                    out.push('{');
                    let quiet = std::mem::replace(&mut self.quiet, true);
                    let doc = self.expr(e);
                    self.quiet = quiet;
                    out.push_str(&render(&doc, usize::MAX >> 2));
                    out.push('}');
                }
            }
        }
        out.push('"');
        out
    }

    fn expr(&mut self, e: &Expr) -> Doc {
        match &e.kind {
            ExprKind::Number(n) => text(self.number(e.span, *n)),
            ExprKind::Str(s) => text(quote(s)),
            ExprKind::Bool(b) => text(b.to_string()),
            ExprKind::Date(d) => text(format_date(*d)),
            ExprKind::Name(n) => text(n.clone()),
            ExprKind::Label => text("label"),
            ExprKind::Unary(UnaryOp::Not, x) => cat(vec![text("not "), self.expr(x)]),
            ExprKind::Unary(UnaryOp::Neg, x) => cat(vec![text("-"), self.expr(x)]),
            ExprKind::Binary(op @ (BinaryOp::And | BinaryOp::Or), _, _) => self.chain(*op, e),
            ExprKind::Binary(op, a, b) => cat(vec![
                self.expr(a),
                text(format!(" {} ", op.as_str())),
                self.expr(b),
            ]),
            ExprKind::In {
                negated,
                value,
                list,
            } => {
                let v = self.expr(value);
                let open = self.find(self.end(value.span), "[").map_or(0, |t| t.start);
                let l = self.list(list, open);
                cat(vec![v, text(if *negated { " not in " } else { " in " }), l])
            }
            ExprKind::If(..) => self.if_chain(e),
            ExprKind::Match { scrutinee, arms } => {
                let head = cat(vec![text("match "), self.expr(scrutinee), text(" ")]);
                let open = self
                    .find(self.end(scrutinee.span), "{")
                    .map_or(0, |t| t.start);
                let patterns: Vec<String> = arms
                    .iter()
                    .map(|arm| {
                        let ps: Vec<String> = arm
                            .patterns
                            .iter()
                            .map(|p| p.as_ref().map_or("_".to_string(), |l| self.literal(l)))
                            .collect();
                        ps.join(" | ")
                    })
                    .collect();
                let pattern_w = patterns
                    .iter()
                    .map(|p| p.chars().count())
                    .max()
                    .unwrap_or(0);
                let mut items = Vec::new();
                for (arm, pattern) in arms.iter().zip(patterns) {
                    let around = self.around(K::Arm, self.start(arm.span));
                    let pad = " ".repeat(pattern_w - pattern.chars().count());
                    let body = cat(vec![
                        text(pattern),
                        if_break(text(pad), Doc::Nil),
                        text(" => "),
                        self.expr(&arm.expr),
                    ]);
                    let blank = around.first_blank();
                    items.push((around.wrap(body), blank));
                }
                cat(vec![head, self.seq(K::Match, open, items, &BRACES)])
            }
            ExprKind::Call { func, args, filter } => {
                let mut out = vec![text(format!("{}(", func.name))];
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push(text(", "));
                    }
                    out.push(self.expr(a));
                }
                if let Some(f) = filter {
                    out.push(text(if args.is_empty() { "where " } else { " where " }));
                    out.push(self.expr(f));
                }
                out.push(text(")"));
                cat(out)
            }
            ExprKind::List(items) => {
                let open = self.start(e.span);
                self.list(items, open)
            }
            ExprKind::Paren(x) => cat(vec![text("("), self.expr(x), text(")")]),
        }
    }

    fn list(&mut self, items: &[Expr], open: usize) -> Doc {
        let mut docs = Vec::new();
        for x in items {
            let around = self.around(K::Elem, self.start(x.span));
            let doc = self.expr(x);
            let blank = around.first_blank();
            docs.push((around.wrap(doc), blank));
        }
        self.seq(K::List, open, docs, &LIST)
    }

    /// `a or b or c`: on one line, or broken before every operator.
    fn chain(&mut self, op: BinaryOp, e: &Expr) -> Doc {
        let mut operands = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(o, a, b) = &cur.kind
            && *o == op
        {
            operands.push(b.as_ref());
            cur = a;
        }
        operands.push(cur);
        operands.reverse();
        let mut iter = operands.into_iter();
        let first = iter.next().map_or(Doc::Nil, |x| self.expr(x));
        let mut rest = Vec::new();
        for x in iter {
            rest.push(line());
            rest.push(text(format!("{} ", op.as_str())));
            rest.push(self.expr(x));
        }
        group(cat(vec![first, nest(cat(rest))]))
    }

    /// `if a then b else if c then d else e`: on one line, or broken before
    /// every `else`.
    fn if_chain(&mut self, e: &Expr) -> Doc {
        let mut out = Vec::new();
        let mut rest = Vec::new();
        let mut cur = e;
        let mut first = true;
        loop {
            match &cur.kind {
                ExprKind::If(c, a, b) => {
                    let part = cat(vec![
                        text(if first { "if " } else { "else if " }),
                        self.expr(c),
                        text(" then "),
                        self.expr(a),
                    ]);
                    if first {
                        out.push(part);
                    } else {
                        rest.push(line());
                        rest.push(part);
                    }
                    first = false;
                    cur = b;
                }
                _ => {
                    rest.push(line());
                    rest.push(text("else "));
                    rest.push(self.expr(cur));
                    break;
                }
            }
        }
        out.push(nest(cat(rest)));
        group(cat(out))
    }
}

/// Cells of an `input` row wider than this do not widen their column, so one
/// long `enum(...)` does not push every other field's default far right.
const CELL_CAP: usize = 20;
/// Likewise for the code before a trailing comment in an `input` block.
const CODE_CAP: usize = 64;

/// Lays out the rows of an `input` block (name, type, default, from) in
/// columns: each cell padded to the widest of its column among the rows that
/// have something after it and are aligned so far. A wider cell, or any cell
/// after it on its row, is followed by one space only.
fn align(rows: &[[String; 4]]) -> Vec<String> {
    let later =
        |r: &[String; 4], j: usize| r.get(j + 1..).unwrap_or(&[]).iter().any(|c| !c.is_empty());
    let cell_w = |r: &[String; 4], j: usize| r.get(j).map_or(0, |c| c.chars().count());
    let mut codes = vec![String::new(); rows.len()];
    let mut aligned = vec![true; rows.len()];
    let mut done = vec![false; rows.len()];
    for j in 0..4 {
        let w = rows
            .iter()
            .zip(&aligned)
            .filter(|(r, a)| **a && later(r, j))
            .map(|(r, _)| cell_w(r, j))
            .filter(|&w| j == 0 || w <= CELL_CAP)
            .max()
            .unwrap_or(0);
        for (i, row) in rows.iter().enumerate() {
            let (Some(code), Some(ok), Some(fin)) =
                (codes.get_mut(i), aligned.get_mut(i), done.get_mut(i))
            else {
                continue;
            };
            if *fin {
                continue;
            }
            let cell = row.get(j).map_or("", String::as_str);
            if !later(row, j) {
                code.push_str(cell);
                *fin = true;
                continue;
            }
            if cell.is_empty() && (w == 0 || !*ok) {
                continue;
            }
            code.push_str(cell);
            let cw = cell.chars().count();
            if *ok && cw <= w {
                code.push_str(&" ".repeat(w - cw + 1));
            } else {
                *ok = false;
                code.push(' ');
            }
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        match format_source(s) {
            Ok(out) => out,
            Err(d) => panic!("{d:?}"),
        }
    }

    #[test]
    fn lexes_comments_outside_strings() {
        let (toks, comments) = lex("let a = \"# not\" # yes\n");
        assert_eq!(comments.len(), 1);
        assert_eq!(comments.first().map(|c| c.text.as_str()), Some("# yes"));
        assert_eq!(toks.len(), 4);
    }

    #[test]
    fn keeps_numbers_as_written() {
        assert_eq!(
            fmt("let a=1_000+0.50\nscore s = -5 in -10..+10"),
            "let a = 1_000 + 0.50\n\nscore s = -5 in -10..+10\n"
        );
    }

    #[test]
    fn empty_input_is_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n  \n"), "");
        assert_eq!(fmt("# only\n\n\n# comments\n"), "# only\n\n# comments\n");
    }

    #[test]
    fn refuses_broken_files() {
        let err = format_source("let a = 1 +\nlet b = 2").unwrap_err();
        assert!(err.iter().any(|d| d.code == "syntax"));
    }

    #[test]
    fn refuses_repeated_clauses() {
        let err = format_source("test \"t\" { given { a: 1 } given { a: 2 } }").unwrap_err();
        assert_eq!(err.first().map(|d| d.code), Some("duplicate"));
    }
}
