//! Field names from column headers: snake_case, unique, and never a word of
//! the language or a name that would read as something else; and matching
//! the words of a name against lists of words.

use crate::syntax::lex;
use std::collections::HashSet;

/// Names that would read as something else: types, and the draft's own
/// scores and labels. Function and aggregate names are avoided too, from the
/// checker's own lists (see [`avoided`]).
const AVOIDED: [&str; 18] = [
    "when",
    "because",
    "from",
    "text",
    "number",
    "bool",
    "date",
    "enum",
    "key",
    "knowledge",
    "strategic",
    "outsourceability",
    "kpo",
    "bpo",
    "in_house",
    "input",
    "score",
    "rule",
];

/// Whether a name would read as something other than a field.
pub(super) fn avoided(name: &str) -> bool {
    AVOIDED.contains(&name)
        || crate::check::expr::FUNCTIONS.contains(&name)
        || crate::check::expr::AGGREGATES.contains(&name)
}

/// ASCII for the letters headers commonly hold beyond it.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'Σ' | '∑' => "sum",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        _ => return None,
    })
}

/// A header as a snake_case name: `Custom field (Story Points)` →
/// `story_points`, `assignedTo` → `assigned_to`, `Σ Time Spent` →
/// `sum_time_spent`. Empty when nothing of it is a letter or digit.
pub(super) fn snake(header: &str) -> String {
    let h = header.trim();
    let inner = h
        .get(..13)
        .filter(|p| p.eq_ignore_ascii_case("custom field "))
        .and_then(|_| h.get(13..))
        .and_then(|r| r.trim().strip_prefix('('))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(h);
    let mut out = String::new();
    // Whether the last character written was a lower-case letter or a digit,
    // after which an upper-case letter starts a new word.
    let mut after_lower = false;
    let mut push = |c: char, out: &mut String| {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && after_lower {
                out.push('_');
            }
            after_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            after_lower = false;
        }
    };
    for c in inner.chars() {
        match fold(c) {
            Some(s) if c == 'Σ' || c == '∑' => {
                push(' ', &mut out);
                s.chars().for_each(|x| push(x, &mut out));
                push(' ', &mut out);
            }
            Some(s) => s.chars().for_each(|x| push(x, &mut out)),
            None => push(c, &mut out),
        }
    }
    let mut name = out.trim_matches('_').to_string();
    if name.len() > 40 {
        name.truncate(40);
        name = name.trim_end_matches('_').to_string();
    }
    name
}

/// A valid, unused field or let name for a header or a wish.
pub(super) fn unique_name(wish: &str, position: usize, used: &mut HashSet<String>) -> String {
    let mut base = if wish.is_empty() {
        format!("column_{}", position + 1)
    } else if wish.starts_with(|c: char| c.is_ascii_digit()) {
        format!("field_{wish}")
    } else {
        wish.to_string()
    };
    if lex::is_reserved(&base) || avoided(&base) {
        base = match base.as_str() {
            "key" | "number" | "date" | "text" => format!("task_{base}"),
            _ => format!("{base}_value"),
        };
    }
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    used.insert(name.clone());
    name
}

/// The best (lowest) index of a word of `words` that `name`'s words match.
pub(super) fn word_match(name: &str, words: &[&str]) -> Option<usize> {
    let parts: Vec<&str> = name.split('_').filter(|p| !p.is_empty()).collect();
    words.iter().position(|w| match w.strip_suffix('*') {
        Some(prefix) => parts.iter().any(|p| p.starts_with(prefix)),
        None => parts.contains(w),
    })
}
