//! The type of a column, inferred from its sampled values: number, date,
//! bool, an enum (its values ordered when they form a known scale) or text;
//! and the [`Field`] each column becomes.

use super::cut;
use super::names::{avoided, word_match};
use crate::input::convert::{is_blank, normalize_enum, parse_number};
use crate::syntax::lex::{self, quote};
use crate::value::{format_date, format_number, parse_date};

/// Text values in the test's `given` are cut at this many characters.
pub(super) const GIVEN_TEXT_CHARS: usize = 120;

/// Enum types hold 2 to this many values; more distinct values make text.
const MAX_ENUM_VALUES: usize = 12;

/// The type of a field, as inferred.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Text,
    Number,
    Bool,
    Date,
    /// Values already normalised, in order.
    Enum(Vec<String>),
}

impl Kind {
    pub(super) fn written(&self) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::Number => "number".into(),
            Kind::Bool => "bool".into(),
            Kind::Date => "date".into(),
            Kind::Enum(values) => format!("enum({})", values.join(", ")),
        }
    }
}

/// One field of the draft's `input` block.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) header: String,
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) optional: bool,
    /// The `from` text, when the field's name is not the header.
    pub(super) from: Option<String>,
    /// A default for a key that is blank on some rows.
    pub(super) default: Option<String>,
    /// The field's text on each sampled row (`""` when blank).
    pub(super) values: Vec<String>,
    pub(super) comment: Option<String>,
    /// Position of the (first) column, for tie-breaks.
    pub(super) position: usize,
}

impl Field {
    fn present(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .map(String::as_str)
            .filter(|v| !is_blank(v))
    }

    pub(super) fn numbers(&self, decimal_comma: bool) -> Vec<f64> {
        self.present()
            .filter_map(|v| parse_number(v, decimal_comma).ok())
            .collect()
    }

    /// The field's value on row `i` as a literal of its type, if it has one.
    pub(super) fn literal(&self, i: usize, decimal_comma: bool) -> Option<String> {
        let v = self.values.get(i)?;
        if is_blank(v) {
            return None;
        }
        Some(match &self.kind {
            Kind::Text if v.chars().count() > GIVEN_TEXT_CHARS => {
                quote(&format!("{}…", cut(v, GIVEN_TEXT_CHARS)))
            }
            Kind::Text => quote(v),
            Kind::Number => format_number(parse_number(v, decimal_comma).ok()?),
            Kind::Bool => bool_word(v)?.to_string(),
            Kind::Date => format_date(parse_date(v.trim())?),
            Kind::Enum(_) => normalize_enum(v),
        })
    }
}

fn bool_word(v: &str) -> Option<bool> {
    let t = v.trim();
    if ["true", "yes"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if ["false", "no"].iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// A number written with a leading zero (`007`, `00501`) is a code, not a
/// quantity: reading it as a number would lose the zeros. So is a run of a
/// dozen digits or more, such as an Asana task ID.
fn is_code(v: &str) -> bool {
    let t = v.trim().trim_start_matches(['+', '-']);
    let mut chars = t.chars();
    (chars.next() == Some('0') && chars.next().is_some_and(|c| c.is_ascii_digit()))
        || (t.len() >= 12 && t.bytes().all(|b| b.is_ascii_digit()))
}

/// Ordered scales enum values are sorted by when all of them are on one.
const SCALES: [&[&str]; 5] = [
    &[
        "trivial",
        "lowest",
        "very_low",
        "low",
        "minor",
        "normal",
        "medium",
        "moderate",
        "major",
        "high",
        "very_high",
        "highest",
        "urgent",
        "critical",
        "blocker",
    ],
    &[
        "public",
        "open",
        "unclassified",
        "internal",
        "private",
        "confidential",
        "sensitive",
        "restricted",
        "secret",
        "strictly_confidential",
        "top_secret",
    ],
    &[
        "none",
        "basic",
        "beginner",
        "novice",
        "junior",
        "training",
        "trained",
        "intermediate",
        "mid",
        "medior",
        "certification",
        "certified",
        "skilled",
        "experienced",
        "degree",
        "senior",
        "advanced",
        "expert",
        "specialist",
        "lead",
        "principal",
    ],
    &["xs", "s", "m", "l", "xl", "xxl"],
    &["tiny", "small", "medium", "large", "huge"],
];

/// The values of an enum, ordered along a known scale, else alphabetically;
/// `true` when a scale ordered them.
fn order_values(mut values: Vec<String>) -> (Vec<String>, bool) {
    for scale in SCALES {
        let rank = |v: &String| scale.iter().position(|s| s == v);
        if values.iter().all(|v| rank(v).is_some()) {
            values.sort_by_key(|v| rank(v));
            return (values, true);
        }
    }
    values.sort();
    (values, false)
}

/// Header words of columns that name people: their values are names, an
/// open set, so never an enum.
const PEOPLE_WORDS: [&str; 18] = [
    "assignee*",
    "reporter*",
    "creator*",
    "caller*",
    "owner*",
    "assigned",
    "user*",
    "author*",
    "lead",
    "watcher*",
    "name",
    "email*",
    "person*",
    "requester*",
    "by",
    "manager*",
    "member*",
    "agent*",
];

/// Header words of columns that identify things: their numbers are codes.
const ID_WORDS: [&str; 6] = ["id", "ids", "code", "zip", "phone", "postcode"];

/// Infers a column's type from its non-blank values; `header` is its name
/// in snake case. Also says whether a known scale ordered an enum.
pub(super) fn infer(values: &[&str], decimal_comma: bool, header: &str) -> (Kind, bool) {
    if values
        .iter()
        .all(|v| parse_number(v, decimal_comma).is_ok() && !is_code(v))
    {
        if word_match(header, &ID_WORDS).is_some() {
            return (Kind::Text, false);
        }
        return (Kind::Number, false);
    }
    if values.iter().all(|v| bool_word(v).is_some()) {
        return (Kind::Bool, false);
    }
    if values.iter().all(|v| parse_date(v.trim()).is_some()) {
        return (Kind::Date, false);
    }
    let mut distinct: Vec<String> = Vec::new();
    for v in values {
        let n = normalize_enum(v);
        if !distinct.contains(&n) {
            if distinct.len() >= MAX_ENUM_VALUES {
                return (Kind::Text, false);
            }
            distinct.push(n);
        }
    }
    // Each value seen twice on average: a handful of distinct titles in a
    // small export are free text, not categories.
    let repeated = values.len() >= 2 * distinct.len();
    // Category names are short; longer values are titles or sentences.
    let short = |v: &String| v.len() <= 30 && v.split('_').filter(|w| !w.is_empty()).count() <= 3;
    if distinct.len() >= 2
        && repeated
        && word_match(header, &PEOPLE_WORDS).is_none()
        && distinct
            .iter()
            .all(|v| lex::is_name(v) && short(v) && !avoided(v))
        && !values
            .iter()
            .all(|v| parse_number(v, decimal_comma).is_ok())
    {
        let (values, scaled) = order_values(distinct);
        return (Kind::Enum(values), scaled);
    }
    (Kind::Text, false)
}
