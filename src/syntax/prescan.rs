//! Checks made on the raw text before parsing: size, unterminated strings and
//! nesting limits, so the parser never recurses without bound and an
//! unterminated string is reported where it opens.

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
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut stack: Vec<usize> = Vec::new();
    let mut prefix_run = 0;
    let mut prefix_start = 0;
    let mut conditionals = 0;
    let mut interpolations = 0;
    // Where the interpolation over the limit is.
    let mut over: Option<usize> = None;
    // Whether the next string is interpolated: it follows `because` or `message`.
    let mut interpolated = false;
    // Whether the previous token ends an operand, so a `-` after it is binary.
    let mut after_operand = false;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'{' if interpolated => {
                            if bytes.get(i + 1) == Some(&b'{') {
                                // `{{` is a literal brace.
                                i += 2;
                                continue;
                            }
                            interpolations += 1;
                            if interpolations > MAX_INTERPOLATIONS && over.is_none() {
                                over = Some(i);
                            }
                            i += 1;
                        }
                        b'\\' => {
                            let next = bytes.get(i + 1).copied();
                            if !matches!(
                                next,
                                Some(b'"' | b'\\' | b'n' | b't' | b'r' | b'{' | b'}' | b'u')
                            ) {
                                let len = text
                                    .get(i + 1..)
                                    .and_then(|t| t.chars().next())
                                    .map_or(0, char::len_utf8);
                                diags.push(
                                    Diagnostic::error("escape", "unknown escape in a string")
                                        .at(Span::new(file, i, i + 1 + len))
                                        .help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{...}`; write a backslash as `\\\\`"),
                                );
                            }
                            i += 2;
                        }
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\n' => break,
                        _ => i += 1,
                    }
                }
                if !closed {
                    let end = text[start..].find('\n').map_or(text.len(), |e| start + e);
                    diags.push(
                        Diagnostic::error("unterminated-string", "this string has no closing `\"`")
                            .at(Span::new(file, start, end.max(start + 1)))
                            .label("the string starts here")
                            .help("close it with `\"` on the same line; write a line break inside a string as `\\n`"),
                    );
                    i = end;
                }
                prefix_run = 0;
                after_operand = true;
                interpolated = false;
                continue;
            }
            b'(' | b'[' | b'{' => {
                stack.push(i);
                if stack.len() as u32 > MAX_DEPTH / 2 {
                    diags.push(
                        Diagnostic::error(
                            "limit",
                            format!("brackets are nested more than {} deep", MAX_DEPTH / 2),
                        )
                        .at(Span::new(file, i, i + 1))
                        .help("split the expression into several `let` declarations"),
                    );
                    return diags;
                }
                prefix_run = 0;
                after_operand = false;
                interpolated = false;
            }
            b')' | b']' | b'}' => {
                stack.pop();
                prefix_run = 0;
                after_operand = true;
                interpolated = false;
            }
            b'-' if !after_operand && bytes.get(i + 1) != Some(&b'=') => {
                if prefix_run == 0 {
                    prefix_start = i;
                }
                prefix_run += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
                {
                    i += 1;
                }
                let word = &text[start..i];
                interpolated = matches!(word, "because" | "message");
                match word {
                    "not" => {
                        if prefix_run == 0 {
                            prefix_start = start;
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
                        .at(Span::new(file, prefix_start, i)),
                    );
                    return diags;
                }
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {}
            _ => {
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
                .at(Span::new(file, prefix_start, i + 1)),
            );
            return diags;
        }
        i += 1;
    }
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
