//! Diagnostics as data, the source files they point into, and their rendering
//! as human text (with or without colour) or JSON.

use crate::ast::{FileId, Span};
use crate::quote;
use std::fmt::Write;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One message about a rule set: what is wrong, where, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub level: Level,
    /// A short stable name for the kind of problem, such as `unknown-name`.
    pub code: &'static str,
    /// One line, lowercase, user input in backticks.
    pub message: String,
    pub span: Option<Span>,
    /// Text shown under the marked span.
    pub label: Option<String>,
    /// Further sentences: what to do about it.
    pub help: Option<String>,
    /// Other places that matter, such as the first declaration of a duplicate.
    pub notes: Vec<(Span, String)>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, span: Span) -> Diagnostic {
        self.span = Some(span);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn note(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.notes.push((span, text.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// Sorts diagnostics by file and position, errors before warnings at the same
/// place, and drops exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        let ka = a.span.map(|s| (s.file, s.start, s.end));
        let kb = b.span.map(|s| (s.file, s.start, s.end));
        ka.cmp(&kb)
            .then(a.level.cmp(&b.level))
            .then(a.message.cmp(&b.message))
    });
    diags.dedup();
}

/// One source file of a rule set.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self
            .line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self.line_starts.get(line).map_or(self.text.len(), |&e| e);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }
}

/// The source files of a rule set, indexed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        (self.files.len() - 1) as FileId
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The source text a span covers.
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }

    /// `file:line:col` of a span's start.
    pub fn location(&self, span: Span) -> String {
        match self.get(span.file) {
            Some(f) => {
                let (line, col) = f.line_col(span.start as usize);
                format!("{}:{line}:{col}", f.name)
            }
            None => "<unknown>".to_string(),
        }
    }
}

/// How diagnostics are rendered for people or tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Text with ANSI colour.
    Color,
    /// Text without colour.
    Plain,
    /// One JSON array.
    Json,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Renders one diagnostic as text in the style of compilers people know:
///
/// ```text
/// error[unknown-name]: unknown name `hourz`
///   --> rules.rules:12:5
///    |
/// 12 |     hourz > 10
///    |     ^^^^^ not a field, let or score
///    |
///    = help: did you mean `hours`?
/// ```
pub fn render_text(d: &Diagnostic, sources: &Sources, color: bool) -> String {
    let (c_level, c_blue, c_bold, c_reset) = if color {
        (if d.is_error() { RED } else { YELLOW }, BLUE, BOLD, RESET)
    } else {
        ("", "", "", "")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{c_level}{}[{}]{c_reset}{c_bold}: {}{c_reset}",
        d.level.as_str(),
        d.code,
        quote::escape(&d.message)
    );
    let mut gutter = 0;
    let mut snippets = Vec::new();
    if let Some(span) = d.span {
        snippets.push((span, d.label.clone(), true));
    }
    for (span, text) in &d.notes {
        snippets.push((*span, Some(text.clone()), false));
    }
    for (span, _, _) in &snippets {
        if let Some(f) = sources.get(span.file) {
            gutter = gutter.max(f.line_col(span.start as usize).0.to_string().len());
        }
    }
    for (span, label, primary) in snippets {
        let Some(file) = sources.get(span.file) else {
            continue;
        };
        let (line, col) = file.line_col(span.start as usize);
        let pad = " ".repeat(gutter);
        let _ = writeln!(
            out,
            "{pad}{c_blue}-->{c_reset} {}:{line}:{col}",
            quote::escape(&file.name)
        );
        let text = file.line_text(line);
        let line_start = file.line_starts.get(line - 1).copied().unwrap_or(0);
        let start_in_line = (span.start as usize).saturating_sub(line_start);
        let end_in_line = (span.end as usize).saturating_sub(line_start);
        // Escaped, and a long line shown around the span only.
        let shown = quote::source_line(text, start_in_line, end_in_line);
        let _ = writeln!(out, "{pad} {c_blue}|{c_reset}");
        let _ = writeln!(out, "{c_blue}{line:>gutter$} |{c_reset} {}", shown.text);
        let mark = if primary { "^" } else { "-" };
        let c_mark = if primary { c_level } else { c_blue };
        let _ = write!(
            out,
            "{pad} {c_blue}|{c_reset} {}{c_mark}{}",
            " ".repeat(shown.before),
            mark.repeat(shown.width)
        );
        if let Some(label) = label {
            let _ = write!(out, " {}", quote::escape(&label));
        }
        let _ = writeln!(out, "{c_reset}");
    }
    if let Some(help) = &d.help {
        let pad = " ".repeat(gutter);
        if !d.notes.is_empty() || d.span.is_some() {
            let _ = writeln!(out, "{pad} {c_blue}|{c_reset}");
        }
        let help = quote::escape_keep_lines(help);
        let mut lines = help.lines();
        if let Some(first) = lines.next() {
            let _ = writeln!(
                out,
                "{pad} {c_blue}={c_reset} {c_bold}help{c_reset}: {first}"
            );
        }
        for rest in lines {
            let _ = writeln!(out, "{pad}         {rest}");
        }
    }
    out
}

/// Renders diagnostics as a JSON array of objects with `level`, `code`,
/// `message`, `file`, `line`, `column`, `end_line`, `end_column`, `label`,
/// `help` and `notes`.
pub fn render_json(diags: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let mut obj = serde_json::Map::new();
            obj.insert("level".into(), d.level.as_str().into());
            obj.insert("code".into(), d.code.into());
            obj.insert("message".into(), d.message.clone().into());
            if let Some(span) = d.span {
                location_json(&mut obj, span, sources);
            }
            if let Some(l) = &d.label {
                obj.insert("label".into(), l.clone().into());
            }
            if let Some(h) = &d.help {
                obj.insert("help".into(), h.clone().into());
            }
            if !d.notes.is_empty() {
                let notes = d
                    .notes
                    .iter()
                    .map(|(span, text)| {
                        let mut n = serde_json::Map::new();
                        n.insert("message".into(), text.clone().into());
                        location_json(&mut n, *span, sources);
                        serde_json::Value::Object(n)
                    })
                    .collect();
                obj.insert("notes".into(), serde_json::Value::Array(notes));
            }
            serde_json::Value::Object(obj)
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string())
}

fn location_json(
    obj: &mut serde_json::Map<String, serde_json::Value>,
    span: Span,
    sources: &Sources,
) {
    if let Some(f) = sources.get(span.file) {
        let (line, col) = f.line_col(span.start as usize);
        let (end_line, end_col) = f.line_col(span.end as usize);
        obj.insert("file".into(), f.name.clone().into());
        obj.insert("line".into(), line.into());
        obj.insert("column".into(), col.into());
        obj.insert("end_line".into(), end_line.into());
        obj.insert("end_column".into(), end_col.into());
    }
}

/// The most diagnostics [`render_all`] shows in full as text; the rest are
/// counted on one line. JSON carries them all.
pub const MAX_SHOWN: usize = 100;

/// `n error`/`n errors`, `n warning`/`n warnings`.
fn plural(n: usize, w: &str) -> String {
    if n == 1 {
        format!("1 {w}")
    } else {
        format!("{n} {w}s")
    }
}

/// `3 errors`, `1 warning`, `3 errors, 1 warning`; empty for none.
fn counts(errors: usize, warnings: usize) -> String {
    match (errors, warnings) {
        (0, 0) => String::new(),
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

/// Renders all diagnostics in one style. Text shows the first
/// [`MAX_SHOWN`] in full, then a line `… and N more errors` for the rest,
/// then a count line of all of them.
pub fn render_all(diags: &[Diagnostic], sources: &Sources, style: Style) -> String {
    if style == Style::Json {
        let mut s = render_json(diags, sources);
        s.push('\n');
        return s;
    }
    let color = style == Style::Color;
    let mut out = String::new();
    let (shown, rest) = diags.split_at(diags.len().min(MAX_SHOWN));
    for d in shown {
        out.push_str(&render_text(d, sources, color));
        out.push('\n');
    }
    let more_errors = rest.iter().filter(|d| d.is_error()).count();
    let more = counts(more_errors, rest.len() - more_errors);
    if !more.is_empty() {
        let more = more
            .replace("error", "more error")
            .replace("warning", "more warning");
        let _ = writeln!(out, "… and {more}");
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let total = counts(errors, diags.len() - errors);
    if !total.is_empty() {
        let _ = writeln!(out, "{total}");
    }
    out
}

/// Items joined with `, `, at most `max` of them, then `… (N more)`.
pub fn list_capped<T: std::fmt::Display>(items: impl IntoIterator<Item = T>, max: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    for item in items {
        if n < max {
            if n > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{item}");
        }
        n += 1;
    }
    if n > max {
        let _ = write!(out, ", … ({} more)", n - max);
    }
    out
}

/// The closest of `candidates` to `name`, if close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = if c.to_lowercase() == lower {
            1.0
        } else {
            strsim::jaro_winkler(&lower, &c.to_lowercase())
        };
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}
