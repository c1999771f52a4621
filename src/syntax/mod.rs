//! Parsing rule files: pest grammar, limits checked before parsing, error
//! recovery between declarations, and lowering of pest pairs to the AST.
//!
//! - `mod.rs`: [`parse_file`], recovery at the next declaration, syntax-error
//!   messages and their help, and the limits.
//! - [`lex`]: the tokens of rule text, the reserved words and string escapes,
//!   for everything but the parser.
//! - `prescan.rs`: the checks on the tokens before parsing.
//! - `lower.rs`: pest pairs to the AST.
//! - `names.rs`: a human name for every grammar rule.

pub mod lex;
mod lower;
mod names;
mod prescan;

use crate::ast::{FileId, Item, Span};
use crate::diag::Diagnostic;
use pest::Parser;
use pest::error::{ErrorVariant, InputLocation};

pub use names::human_name;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/outsort.pest"]
pub struct Grammar;

/// The largest rule file read, in bytes.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The deepest nesting of expressions (operators, calls, brackets) allowed.
pub const MAX_DEPTH: u32 = 128;
/// Syntax errors reported in one file before the rest of it is left unread:
/// pest's error positions cost time linear in the rest of the file, so an
/// error on every line of a big file would take quadratic time.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// Declaration keywords that start a top-level item; error recovery resumes at
/// the next line that starts with one of them.
const ITEM_KEYWORDS: [&str; 11] = [
    "input", "key", "let", "score", "rule", "label", "output", "metric", "policy", "waiver", "test",
];

/// Parses one source file into declarations, reporting every syntax error it
/// can find: after an error it resumes at the next line that starts a
/// declaration.
pub fn parse_file(file: FileId, text: &str) -> (Vec<Item>, Vec<Diagnostic>) {
    let mut diags = prescan::check(file, text);
    if diags.iter().any(|d| d.code == "limit") {
        return (Vec::new(), diags);
    }
    // Syntax errors on the line of a broken string only repeat it.
    let string_lines: Vec<(usize, usize)> = diags
        .iter()
        .filter_map(|d| d.span)
        .map(|s| {
            let start = text[..s.start as usize].rfind('\n').map_or(0, |i| i + 1);
            (start, s.end as usize)
        })
        .collect();
    let mut items = Vec::new();
    let mut offset = 0;
    let mut syntax_errors = 0;
    // Where the last declaration started and ended, and whether it parsed.
    let mut last: Option<(usize, usize, bool)> = None;
    while offset < text.len() {
        let rest = &text[offset..];
        if only_blank(rest) {
            break;
        }
        match Grammar::parse(Rule::item_only, rest) {
            Ok(mut pairs) => {
                let Some(top) = pairs.next() else { break };
                let lowerer = lower::Lowerer {
                    file,
                    offset,
                    if_depth: 0,
                };
                let mut end = offset + top.as_span().end();
                if let Some(pair) = top.into_inner().next() {
                    end = offset + pair.as_span().end();
                    match lowerer.item(pair) {
                        Ok(item) => {
                            items.push(item);
                            last = Some((offset, end, true));
                        }
                        Err(d) => {
                            diags.push(d);
                            last = Some((offset, end, false));
                        }
                    }
                }
                if end <= offset {
                    break;
                }
                offset = end;
            }
            Err(err) => {
                syntax_errors += 1;
                if syntax_errors > MAX_SYNTAX_ERRORS {
                    diags.push(
                        Diagnostic::error(
                            "syntax",
                            format!("more than {MAX_SYNTAX_ERRORS} syntax errors; the rest of the file was not read"),
                        )
                        .at(Span::new(file, offset, offset))
                        .help("fix the errors above first"),
                    );
                    break;
                }
                let at = match err.location {
                    InputLocation::Pos(p) => p,
                    InputLocation::Span((s, _)) => s,
                };
                let pos = offset + at;
                let line_start = text
                    .get(..pos)
                    .and_then(|t| t.rfind('\n'))
                    .map_or(0, |i| i + 1);
                // The previous declaration took the keyword that starts this
                // line as a name (`let x = hours >` then `rule "a" ...`).
                if let Some((prev_start, prev_end, true)) = last
                    && prev_start < line_start
                    && prev_end > line_start
                    && let Some(d) = cut_short(file, text, prev_start, line_start)
                {
                    items.pop();
                    diags.push(d);
                    last = None;
                    offset = line_start;
                    continue;
                }
                if !string_lines.iter().any(|&(s, e)| s <= pos && pos <= e) {
                    diags.push(
                        cut_short(file, text, offset, pos)
                            .unwrap_or_else(|| syntax_error(file, text, pos, &err.variant)),
                    );
                }
                last = None;
                match next_item_start(text, offset + at) {
                    Some(next) => offset = next,
                    None => break,
                }
            }
        }
    }
    (items, diags)
}

/// Whether `text` holds only white space and comments, as the grammar's
/// `WHITESPACE` and `COMMENT` say. (Asking pest is linear in the rest of the
/// file when it fails, once per declaration.)
fn only_blank(text: &str) -> bool {
    lex::tokens(text).all(|t| !t.is_code())
}

/// When a syntax error falls on a line that starts a new declaration, the
/// declaration before it is usually what ended too early (`let x = hours >`
/// followed by `rule ...`): report what that one lacked, at its end.
fn cut_short(file: FileId, text: &str, offset: usize, pos: usize) -> Option<Diagnostic> {
    let line_start = text.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    if line_start <= offset
        || next_item_start(text, line_start.checked_sub(1)?) != Some(first_code(text, line_start))
    {
        return None;
    }
    let piece = text.get(offset..line_start)?;
    let err = Grammar::parse(Rule::item_alone, piece).err()?;
    // Only a declaration that ran off its end was cut short; an error
    // inside it is reported where it is.
    let at = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    if piece.trim().is_empty() || at < piece.trim_end().len() {
        return None;
    }
    let ErrorVariant::ParsingError { positives, .. } = &err.variant else {
        return None;
    };
    let expected = names::describe_expected(positives);
    let code_end = text.get(..line_start)?.trim_end().len();
    let last_len = text
        .get(..code_end)?
        .chars()
        .next_back()
        .map_or(0, char::len_utf8);
    let (start, end) = (code_end - last_len, code_end);
    Some(
        Diagnostic::error(
            "syntax",
            format!(
                "expected {expected}, found {}",
                found_at(text, first_code(text, line_start))
            ),
        )
        .at(Span::new(file, start, end))
        .label(format!("expected {expected} after this"))
        .help("the declaration before the next one is incomplete"),
    )
}

/// The offset of the first non-blank character at or after `pos`.
fn first_code(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    pos + (rest.len() - rest.trim_start().len())
}

/// The byte offset of the next line after `from` whose first word is a
/// declaration keyword.
fn next_item_start(text: &str, from: usize) -> Option<usize> {
    let mut pos = text.get(from..)?.find('\n').map(|i| from + i + 1)?;
    loop {
        let line_end = text.get(pos..)?.find('\n').map_or(text.len(), |i| pos + i);
        let line = text.get(pos..line_end)?;
        let trimmed = line.trim_start();
        let word: String = trimmed
            .chars()
            .take_while(|c| lex::is_word_char(*c))
            .collect();
        if ITEM_KEYWORDS.contains(&word.as_str()) && trimmed.len() > word.len() {
            let next = trimmed[word.len()..].chars().next();
            if next.is_some_and(|c| c == ' ' || c == '\t' || c == '{') {
                return Some(pos + (line.len() - trimmed.len()));
            }
        }
        if line_end >= text.len() {
            return None;
        }
        pos = line_end + 1;
    }
}

/// What the parser found at a position, in words.
fn found_at(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return "the end of the file".to_string();
    };
    if lex::is_word_char(c) {
        let word: String = rest
            .chars()
            .take_while(|c| lex::is_word_char(*c))
            .take(40)
            .collect();
        return format!("`{word}`");
    }
    if c == '"' {
        return "a string".to_string();
    }
    let two: String = rest.chars().take(2).collect();
    if lex::TWO_CHAR_OPS.contains(&two.as_str()) {
        return format!("`{two}`");
    }
    format!("`{c}`")
}

fn syntax_error(file: FileId, text: &str, at: usize, variant: &ErrorVariant<Rule>) -> Diagnostic {
    let expected = match variant {
        ErrorVariant::ParsingError { positives, .. } => names::describe_expected(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let found = found_at(text, at);
    if text.get(at..).is_some_and(|r| r.trim().is_empty()) {
        // At the end of the file: point after the last code.
        let code_end = text.trim_end().len();
        let last = text
            .get(..code_end)
            .and_then(|t| t.chars().next_back())
            .map_or(0, char::len_utf8);
        return Diagnostic::error(
            "syntax",
            format!("expected {expected}, found the end of the file"),
        )
        .at(Span::new(file, code_end - last, code_end))
        .label(format!("expected {expected} after this"));
    }
    let len = match text.get(at..).and_then(|r| r.chars().next()) {
        Some(c) if lex::is_word_char(c) => text[at..]
            .char_indices()
            .find(|(_, c)| !lex::is_word_char(*c))
            .map_or(text.len() - at, |(i, _)| i),
        Some(c) => c.len_utf8(),
        None => 0,
    };
    let mut d = Diagnostic::error("syntax", format!("expected {expected}, found {found}"))
        .at(Span::new(file, at, at + len))
        .label(format!("expected {expected} here"));
    if let Some(help) = syntax_help(text, at, &found) {
        d = d.help(help);
    }
    d
}

/// Advice for common slips, keyed on what was found.
fn syntax_help(text: &str, at: usize, found: &str) -> Option<String> {
    let before = text.get(..at).unwrap_or("").trim_end();
    match found {
        "`&`" | "`&&`" => Some("write `and` instead of `&&`".into()),
        "`|`" if !before.ends_with('|') => Some("write `or` instead of `||`".into()),
        "`!`" => Some("write `not` for negation, and `!=` for inequality".into()),
        "`=`" => Some(
            "compare with `==`; a single `=` only sets a value in a declaration or rule action"
                .into(),
        ),
        "`'`" => Some("strings are written in double quotes: \"like this\"".into()),
        "`elif`" | "`elsif`" => Some("write `else if`".into()),
        _ => None,
    }
}
