//! Layout documents, in the manner of Wadler's "prettier printer": text
//! with places where lines may break, and their rendering in a width.

use super::INDENT;

/// A document to lay out: text with places where lines may break, in the
/// manner of Wadler's "prettier printer".
#[derive(Debug, Clone)]
pub(super) enum Doc {
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

pub(super) fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

pub(super) fn cat(docs: Vec<Doc>) -> Doc {
    Doc::Cat(docs)
}

pub(super) fn nest(d: Doc) -> Doc {
    Doc::Nest(INDENT, Box::new(d))
}

pub(super) fn line() -> Doc {
    Doc::Break {
        flat: " ",
        blank: false,
    }
}

pub(super) fn hard(blank: bool) -> Doc {
    Doc::Hard { blank }
}

pub(super) fn group(d: Doc) -> Doc {
    let forced = forces(&d);
    Doc::Group(Box::new(d), forced)
}

pub(super) fn if_break(broken: Doc, flat: Doc) -> Doc {
    Doc::IfBreak(Box::new(broken), Box::new(flat))
}

pub(super) fn suffixes(comments: Vec<String>) -> Doc {
    cat(comments.into_iter().map(Doc::Suffix).collect())
}

/// Whether a document cannot be laid out on one line.
pub(super) fn forces(d: &Doc) -> bool {
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
pub(super) fn render(doc: &Doc, max: usize) -> String {
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
