//! Drafting a starter rule file from a sample of an export: field types
//! inferred from the values, a key, starter rules for the columns whose names
//! suggest them, and a test built from the first row.
//!
//! The draft is printed in the formatter's canonical layout, and checked
//! before it is returned: it loads without errors or warnings and its test
//! passes.
//!
//! ```
//! use outsort::init::{Sample, draft};
//!
//! let sample = Sample::from_rows(
//!     "tasks.csv",
//!     &["Task ID", "Hours", "Skill"],
//!     &[["T1", "40", "Senior"], ["T2", "8", "Junior"], ["T3", "12", "Senior"], ["T4", "3", "Junior"]],
//! );
//! let text = draft(&sample).expect("the draft loads");
//! assert!(text.contains("from \"Task ID\""));
//! assert!(text.contains("key task_id"));
//! assert!(text.contains("enum(junior, senior)"));
//! assert!(text.contains("rule \"specialist skills\" when skill >= senior {"));
//! ```
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

use crate::input::convert::{is_blank, normalize_enum, parse_number};
use crate::input::{InputError, InputReader, ReadError, Record};
use crate::syntax::lex::{self, quote};
use crate::value::{format_date, format_number, parse_date};
use crate::{LoadError, Program};
use std::collections::HashSet;
use std::fmt;

/// How many rows `init` reads to infer types from.
pub const SAMPLE_ROWS: usize = 1000;

/// Sampling stops once the cells kept take about this much memory, so a
/// very wide export is sampled on fewer rows.
pub const SAMPLE_BYTES: usize = 64 << 20;

/// Cells are kept up to this many characters: enough to tell a type, and
/// no value longer is an enum value or a number.
const SAMPLE_CELL_CHARS: usize = 1000;

/// Text values in the test's `given` are cut at this many characters.
const GIVEN_TEXT_CHARS: usize = 120;

/// The first `max` characters of a text.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text.get(..i).unwrap_or(text).to_string(),
        None => text.to_string(),
    }
}

/// The width the formatter aims lines at.
const WIDTH: usize = 100;

/// Enum types hold 2 to this many values; more distinct values make text.
const MAX_ENUM_VALUES: usize = 12;

/// The first rows of an export, as text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    /// The export's name, for the comment at the top of the draft.
    pub source: String,
    pub columns: Vec<String>,
    /// Each row's cells, one per column: `""` where blank or absent.
    pub rows: Vec<Vec<String>>,
    /// The CSV delimiter is `;`, so numbers may use a decimal comma.
    pub decimal_comma: bool,
    /// Rows that could not be read, left out of the sample.
    pub skipped: u64,
    /// The export has more rows than the sample.
    pub more: bool,
}

impl Sample {
    /// Reads the first `limit` rows (fewer when the export is very wide: see
    /// [`SAMPLE_BYTES`]). Rows that cannot be read are counted in `skipped`;
    /// a fatal input error is returned.
    pub fn read(
        reader: &mut InputReader,
        source: &str,
        limit: usize,
    ) -> Result<Sample, InputError> {
        let info = reader.info().clone();
        let mut sample = Sample {
            source: source.to_string(),
            columns: info.columns.clone(),
            decimal_comma: info.delimiter == Some(b';'),
            ..Sample::default()
        };
        let mut record = Record::new();
        let mut seen = 0;
        let mut bytes = 0;
        loop {
            let read = reader.read(&mut record);
            match read {
                Ok(false) => break,
                Err(ReadError::Fatal(e)) => return Err(e),
                _ if seen >= limit || bytes > SAMPLE_BYTES => {
                    sample.more = true;
                    break;
                }
                Ok(true) => {
                    let row: Vec<String> = (0..info.columns.len())
                        .map(|i| {
                            record
                                .text(&info.columns, i)
                                .map(|t| cut(&t, SAMPLE_CELL_CHARS))
                                .unwrap_or_default()
                        })
                        .collect();
                    bytes += row.iter().map(|c| c.len() + 24).sum::<usize>();
                    sample.rows.push(row);
                }
                Err(ReadError::Row(_)) => sample.skipped += 1,
            }
            seen += 1;
        }
        Ok(sample)
    }

    /// A sample from cells, for tests and examples.
    pub fn from_rows<'a, R: AsRef<[&'a str]>>(
        source: &str,
        columns: &[&str],
        rows: &[R],
    ) -> Sample {
        Sample {
            source: source.to_string(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| r.as_ref().iter().map(|c| c.to_string()).collect())
                .collect(),
            ..Sample::default()
        }
    }
}

/// Why no draft could be made.
#[derive(Debug, Clone)]
pub enum InitError {
    /// The sample holds no row to infer types from.
    NoRows,
    /// Every column is empty or has no header in the sample.
    NoValues,
    /// The draft does not load or its test fails: a bug in the drafting.
    Draft(Box<LoadError>, String),
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::NoRows => {
                f.write_str("the export has no rows; init infers the field types from the values")
            }
            InitError::NoValues => f.write_str("every column of the export is empty in the sample"),
            InitError::Draft(e, what) => write!(
                f,
                "the drafted rule file {what}; this is a bug in outsort:\n{e}"
            ),
        }
    }
}

impl std::error::Error for InitError {}

/// Drafts a rule file from a sample.
pub fn draft(sample: &Sample) -> Result<String, InitError> {
    if sample.rows.is_empty() {
        return Err(InitError::NoRows);
    }
    let plan = Plan::new(sample)?;
    let placeholder = plan.render("in_house");
    let program = check(&placeholder, "does not load")?;
    let label = first_label(&program).unwrap_or_else(|| "in_house".to_string());
    // The formatter lays the draft out, so it is canonical by construction.
    let text = plan.render(&label);
    let text = crate::fmt::format_source(&text).map_err(|diagnostics| {
        let mut sources = crate::diag::Sources::new();
        sources.add("<draft>", text.clone());
        InitError::Draft(
            Box::new(LoadError {
                diagnostics,
                sources: std::sync::Arc::new(sources),
            }),
            "does not parse".into(),
        )
    })?;
    let program = check(&text, "does not load")?;
    let report = crate::testing::run_tests(&program, None, 0);
    if report.failed() > 0 {
        let e = LoadError {
            diagnostics: Vec::new(),
            sources: std::sync::Arc::clone(&program.sources),
        };
        return Err(InitError::Draft(Box::new(e), "fails its own test".into()));
    }
    Ok(text)
}

/// Loads a draft; warnings count as failures, since a draft should have none.
fn check(text: &str, what: &str) -> Result<Program, InitError> {
    match crate::load_sources(vec![("<draft>".to_string(), text.to_string())]) {
        Ok((program, warnings)) if warnings.is_empty() => Ok(program),
        Ok((program, warnings)) => Err(InitError::Draft(
            Box::new(LoadError {
                diagnostics: warnings,
                sources: program.sources,
            }),
            "has warnings".into(),
        )),
        Err(e) => Err(InitError::Draft(Box::new(e), what.into())),
    }
}

/// The label the draft gives the task of its test.
fn first_label(program: &Program) -> Option<String> {
    let fields = program.tests.first()?.tasks.first()?;
    let mut task = program.new_task();
    task.fields = fields.clone();
    program.evaluate(&mut task, 0).ok()?;
    Some(program.label_name(task.label?).to_string())
}

// ---------------------------------------------------------------- columns

/// The type of a field, as inferred.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Text,
    Number,
    Bool,
    Date,
    /// Values already normalised, in order.
    Enum(Vec<String>),
}

impl Kind {
    fn written(&self) -> String {
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
struct Field {
    header: String,
    name: String,
    kind: Kind,
    optional: bool,
    /// The `from` text, when the field's name is not the header.
    from: Option<String>,
    /// A default for a key that is blank on some rows.
    default: Option<String>,
    /// The field's text on each sampled row (`""` when blank).
    values: Vec<String>,
    comment: Option<String>,
    /// Position of the (first) column, for tie-breaks.
    position: usize,
}

impl Field {
    fn present(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .map(String::as_str)
            .filter(|v| !is_blank(v))
    }

    fn numbers(&self, decimal_comma: bool) -> Vec<f64> {
        self.present()
            .filter_map(|v| parse_number(v, decimal_comma).ok())
            .collect()
    }

    /// The field's value on row `i` as a literal of its type, if it has one.
    fn literal(&self, i: usize, decimal_comma: bool) -> Option<String> {
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
fn avoided(name: &str) -> bool {
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
fn snake(header: &str) -> String {
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
fn unique_name(wish: &str, position: usize, used: &mut HashSet<String>) -> String {
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
fn infer(values: &[&str], decimal_comma: bool, header: &str) -> (Kind, bool) {
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

// ---------------------------------------------------------------- roles

/// What a column's name suggests it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Sensitivity,
    Core,
    Priority,
    Hours,
    Cost,
    Skill,
    Category,
}

/// Roles in the order a column is tried against them, with the words that
/// suggest each: `*` ends a prefix, others are whole words. Earlier words
/// make a better match.
const ROLES: [(Role, &[&str]); 7] = [
    (
        Role::Sensitivity,
        &[
            "sensitiv*",
            "confidential*",
            "classif*",
            "privacy",
            "secur*",
            "pii",
            "gdpr",
            "personal",
        ],
    ),
    (Role::Core, &["core", "strategic*", "differentiat*"]),
    (
        Role::Priority,
        &["priorit*", "urgen*", "impact", "severit*", "criticalit*"],
    ),
    (
        Role::Hours,
        &[
            "hours",
            "hour",
            "hrs",
            "effort*",
            "estimat*",
            "spent",
            "time",
            "duration*",
            "minute*",
        ],
    ),
    (
        Role::Cost,
        &[
            "cost*", "rate", "rates", "salary*", "price*", "budget*", "spend", "wage*", "fee",
            "fees",
        ],
    ),
    (
        Role::Skill,
        &[
            "skill*",
            "level",
            "seniority",
            "grade",
            "expertise",
            "qualification*",
            "competenc*",
            "experience",
        ],
    ),
    (
        Role::Category,
        &[
            "category",
            "categories",
            "department*",
            "dept",
            "group",
            "service",
            "type",
            "kind",
            "team",
            "section",
        ],
    ),
];

/// The best (lowest) index of a word of `words` that `name`'s words match.
fn word_match(name: &str, words: &[&str]) -> Option<usize> {
    let parts: Vec<&str> = name.split('_').filter(|p| !p.is_empty()).collect();
    words.iter().position(|w| match w.strip_suffix('*') {
        Some(prefix) => parts.iter().any(|p| p.starts_with(prefix)),
        None => parts.contains(w),
    })
}

fn role_fits(role: Role, kind: &Kind) -> bool {
    match role {
        Role::Hours | Role::Cost => *kind == Kind::Number,
        Role::Core => *kind == Kind::Bool,
        Role::Sensitivity => *kind != Kind::Date,
        Role::Priority | Role::Skill => matches!(kind, Kind::Text | Kind::Enum(_) | Kind::Number),
        Role::Category => matches!(kind, Kind::Text | Kind::Enum(_)),
    }
}

/// Words in a value that mark the kinds of work a specialist provider does,
/// and routine work a process outsourcer runs.
const KNOWLEDGE_WORDS: &str = "research|analy|legal|financ|strateg|design|engineer|consult|audit";
const ROUTINE_WORDS: &str =
    "entry|invoice|payroll|support|help|order|claim|archive|process|desk|customer|service";
const SPECIALIST_WORDS: &str = "senior|expert|advanced|specialist|lead|degree|principal";
const SENSITIVE_WORDS: &str = "confidential|restricted|secret|sensitive|high|personal|private";
const URGENT_WORDS: &str = "critical|urgent|high|blocker|emergency";

fn has_word(value: &str, words: &str) -> bool {
    words.split('|').any(|w| value.contains(w))
}

// ---------------------------------------------------------------- the plan

/// A `let` with the comment above it.
struct Let {
    comment: Vec<String>,
    name: String,
    body: LetBody,
}

enum LetBody {
    Expr(String),
    /// `value in [items]`, broken over lines when too long.
    In(String, Vec<String>),
}

/// A `rule` with the comment above it.
struct Rule {
    comment: Vec<String>,
    name: String,
    when: String,
    actions: Vec<(&'static str, &'static str, String)>,
}

/// Everything the draft holds, before it is printed.
struct Plan {
    source: String,
    rows: usize,
    more: bool,
    fields: Vec<Field>,
    left_out: Vec<String>,
    key: usize,
    key_comment: Vec<String>,
    lets: Vec<Let>,
    rules: Vec<Rule>,
    /// A `let` that says a task handles sensitive data.
    sensitive: Option<String>,
    /// Field values of the test's task, as `name: literal`.
    given: Vec<String>,
    no_rules_note: bool,
    /// Comments for the reader, each a paragraph and an example line.
    notes: Vec<Vec<String>>,
}

/// The nearest-rank quantile of some numbers.
fn quantile(values: &[f64], q: f64) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 * q).ceil() as usize).saturating_sub(1);
    v.get(i.min(v.len().saturating_sub(1))).copied()
}

/// A threshold people write: two significant digits.
fn nice(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let step = 10f64.powi(x.abs().log10().floor() as i32 - 1);
    let r = (x / step).round() * step;
    // Remove the binary noise of the multiplication.
    format_number(r).parse().unwrap_or(r)
}

impl Plan {
    fn new(sample: &Sample) -> Result<Plan, InitError> {
        let (mut fields, left_out) = Self::fields(sample);
        if fields.is_empty() {
            return Err(InitError::NoValues);
        }
        let (key, key_comment) = Self::choose_key(&mut fields);
        let mut used: HashSet<String> = fields.iter().map(|f| f.name.clone()).collect();
        let mut plan = Plan {
            source: sample.source.clone(),
            rows: sample.rows.len(),
            more: sample.more,
            fields,
            left_out,
            key,
            key_comment,
            lets: Vec::new(),
            rules: Vec::new(),
            sensitive: None,
            given: Vec::new(),
            no_rules_note: false,
            notes: Vec::new(),
        };
        plan.starter_rules(sample.decimal_comma, &mut used);
        plan.given = plan.test_values(sample.decimal_comma);
        Ok(plan)
    }

    /// Fields of the columns with values; the names of those left out.
    fn fields(sample: &Sample) -> (Vec<Field>, Vec<String>) {
        let mut used: HashSet<String> = HashSet::new();
        let mut fields = Vec::new();
        let mut left_out = Vec::new();
        let mut positions_of: std::collections::HashMap<&str, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, c) in sample.columns.iter().enumerate() {
            positions_of.entry(c.as_str()).or_default().push(i);
        }
        for (position, header) in sample.columns.iter().enumerate() {
            let Some(positions) = positions_of.get(header.as_str()) else {
                continue;
            };
            if positions.first() != Some(&position) {
                continue;
            }
            if header.trim().is_empty() {
                left_out.push(format!("column {} (no header)", position + 1));
                continue;
            }
            let cell = |row: &Vec<String>, i: usize| row.get(i).cloned().unwrap_or_default();
            let first: Vec<String> = sample.rows.iter().map(|r| cell(r, position)).collect();
            let repeated = positions.len() > 1;
            let pooled: Vec<String> = if repeated {
                sample
                    .rows
                    .iter()
                    .flat_map(|r| positions.iter().map(|&i| cell(r, i)))
                    .collect()
            } else {
                first.clone()
            };
            let present: Vec<&str> = pooled
                .iter()
                .map(String::as_str)
                .filter(|v| !is_blank(v))
                .collect();
            if present.is_empty() {
                left_out.push(header.clone());
                continue;
            }
            let words = snake(header);
            let (kind, _) = infer(&present, sample.decimal_comma, &words);
            let (kind, values, from, comment) = if !repeated {
                (kind, first, None, None)
            } else if matches!(kind, Kind::Text | Kind::Enum(_)) {
                let joined: Vec<String> = sample
                    .rows
                    .iter()
                    .map(|r| {
                        positions
                            .iter()
                            .map(|&i| cell(r, i))
                            .filter(|v| !is_blank(v))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .collect();
                (
                    Kind::Text,
                    joined,
                    Some(format!("{header}#*")),
                    Some(format!(
                        "the {} \"{}\" columns, joined with \", \"",
                        positions.len(),
                        clean_comment(header)
                    )),
                )
            } else {
                let present: Vec<&str> = first
                    .iter()
                    .map(String::as_str)
                    .filter(|v| !is_blank(v))
                    .collect();
                if present.is_empty() {
                    left_out.push(header.clone());
                    continue;
                }
                let (kind, _) = infer(&present, sample.decimal_comma, &words);
                (
                    kind,
                    first,
                    Some(format!("{header}#1")),
                    Some(format!(
                        "the first of {} \"{}\" columns",
                        positions.len(),
                        clean_comment(header)
                    )),
                )
            };
            let name = unique_name(&snake(header), position, &mut used);
            let optional = values.iter().any(|v| is_blank(v));
            let from = from.or_else(|| (name != *header).then(|| header.clone()));
            fields.push(Field {
                header: header.clone(),
                name,
                kind,
                optional,
                from,
                default: None,
                values,
                comment,
                position,
            });
        }
        (fields, left_out)
    }

    /// The key: a column distinct and present on every sampled row,
    /// preferring names such as id, key or number.
    fn choose_key(fields: &mut [Field]) -> (usize, Vec<String>) {
        let rank = |f: &Field| -> usize {
            const EXACT: [&str; 10] = [
                "id",
                "task_key",
                "issue_key",
                "task_id",
                "task_number",
                "key",
                "issue_id",
                "ticket_id",
                "item_id",
                "case_number",
            ];
            if EXACT.contains(&f.name.as_str()) {
                0
            } else if word_match(&f.name, &["id", "key", "number", "code", "no", "nr", "ref"])
                .is_some()
            {
                1
            } else {
                2
            }
        };
        let single = |f: &Field| f.from.as_deref().is_none_or(|s| !s.ends_with("#*"));
        let distinct = |f: &Field| {
            let mut seen = HashSet::new();
            !f.optional && f.values.iter().all(|v| seen.insert(v.as_str()))
        };
        let best = |ok: &dyn Fn(&Field) -> bool| {
            fields
                .iter()
                .enumerate()
                .filter(|(_, f)| single(f) && ok(f))
                .min_by_key(|(_, f)| (rank(f), f.position))
                .map(|(i, _)| i)
        };
        let (index, comment) = if let Some(i) = best(&distinct) {
            (
                i,
                vec!["The key names each task in results and findings.".to_string()],
            )
        } else if let Some(i) = best(&|f: &Field| !f.optional) {
            (
                i,
                vec![
                    "The key names each task in results and findings. This column repeats"
                        .to_string(),
                    "values in the sample: choose a column that identifies a task if you have one."
                        .to_string(),
                ],
            )
        } else {
            let i = fields
                .iter()
                .enumerate()
                .filter(|(_, f)| single(f))
                .min_by_key(|(_, f)| {
                    let blanks = f.values.iter().filter(|v| is_blank(v)).count();
                    (blanks, rank(f), f.position)
                })
                .map_or(0, |(i, _)| i);
            if let Some(f) = fields.get_mut(i) {
                f.optional = false;
                f.default = Some("\"\"".to_string());
            }
            (
                i,
                vec![
                    "The key names each task in results and findings. Every column is empty on"
                        .to_string(),
                    "some rows, so this one is \"\" there: choose a column that identifies a task."
                        .to_string(),
                ],
            )
        };
        if let Some(f) = fields.get_mut(index) {
            // A key is shown as written: `007` stays `007`.
            f.kind = Kind::Text;
        }
        (index, comment)
    }

    fn field(&self, i: usize) -> Option<&Field> {
        self.fields.get(i)
    }

    /// The field that best plays each role, by name and type.
    fn roles(&self) -> Vec<(Role, usize)> {
        let mut best: Vec<(Role, (usize, usize, usize))> = Vec::new();
        for (i, f) in self.fields.iter().enumerate() {
            if i == self.key {
                continue;
            }
            let words = snake(&f.header);
            // A status is where the work is, not what it is.
            if word_match(&words, &["status", "state"]).is_some() {
                continue;
            }
            let Some((role, rank)) = ROLES
                .iter()
                .find_map(|(role, stems)| word_match(&words, stems).map(|r| (*role, r)))
            else {
                continue;
            };
            if !role_fits(role, &f.kind) {
                continue;
            }
            let score = (rank, f.position, i);
            match best.iter_mut().find(|(r, _)| *r == role) {
                Some((_, s)) if score < *s => *s = score,
                Some(_) => {}
                None => best.push((role, score)),
            }
        }
        let mut out: Vec<(Role, usize)> = ROLES
            .iter()
            .filter_map(|(role, _)| {
                best.iter()
                    .find(|(r, _)| r == role)
                    .map(|(_, (_, _, i))| (*role, *i))
            })
            .collect();
        // Rules come in the order a reader meets the questions: what kind of
        // work, how skilled, how big, how costly, how sensitive, how core,
        // how urgent.
        let order = [
            Role::Category,
            Role::Skill,
            Role::Hours,
            Role::Cost,
            Role::Sensitivity,
            Role::Core,
            Role::Priority,
        ];
        out.sort_by_key(|(r, _)| order.iter().position(|o| o == r));
        out
    }

    fn add_let(
        &mut self,
        used: &mut HashSet<String>,
        wish: &str,
        comment: &[&str],
        body: LetBody,
    ) -> String {
        let name = unique_name(wish, 0, used);
        self.lets.push(Let {
            comment: comment.iter().map(|c| c.to_string()).collect(),
            name: name.clone(),
            body,
        });
        name
    }

    /// A condition that holds when a field's value suggests `words`: a regex
    /// over text, a list of enum values, or `None` when no value fits.
    fn matching(&self, f: &Field, words: &str) -> Option<LetBody> {
        match &f.kind {
            Kind::Text => Some(LetBody::Expr(format!(
                "matches(lower({}), {})",
                f.name,
                quote(words)
            ))),
            Kind::Enum(values) => {
                let hits: Vec<String> = values
                    .iter()
                    .filter(|v| has_word(v, words))
                    .cloned()
                    .collect();
                (!hits.is_empty()).then(|| LetBody::In(f.name.clone(), hits))
            }
            _ => None,
        }
    }

    fn starter_rules(&mut self, decimal_comma: bool, used: &mut HashSet<String>) {
        let roles = self.roles();
        for (role, i) in roles {
            let Some(f) = self.field(i).cloned() else {
                continue;
            };
            match role {
                Role::Category => self.category_rules(&f, used),
                Role::Skill => self.skill_rule(&f, decimal_comma, used),
                Role::Hours => self.hours_rules(&f, decimal_comma, used),
                Role::Cost => self.cost_rule(&f, decimal_comma),
                Role::Sensitivity => self.sensitivity_rule(&f, decimal_comma, used),
                Role::Core => self.rules.push(Rule {
                    comment: vec![
                        "Core work is what the company competes on: it stays close.".into(),
                    ],
                    name: "core activity".into(),
                    when: f.name.clone(),
                    actions: vec![
                        ("strategic", "+=", "45".into()),
                        ("outsourceability", "-=", "20".into()),
                    ],
                }),
                Role::Priority => self.priority_rule(&f, decimal_comma, used),
            }
        }
        self.no_rules_note = self.rules.is_empty();
    }

    fn category_rules(&mut self, f: &Field, used: &mut HashSet<String>) {
        let values_note = match &f.kind {
            Kind::Enum(values) => format!(" `{}` has the values {}.", f.name, values.join(", ")),
            _ => String::new(),
        };
        let mut any = false;
        if let Some(body) = self.matching(f, KNOWLEDGE_WORDS) {
            let what = match body {
                LetBody::In(..) => "list",
                LetBody::Expr(_) => "pattern",
            };
            let line = format!("Kinds of work a specialist provider does: adjust the {what}.");
            let name = self.add_let(used, "knowledge_work", &[&line], body);
            self.rules.push(Rule {
                comment: vec![format!(
                    "Knowledge work by `{}`: worth a specialist (KPO) provider.",
                    f.name
                )],
                name: "knowledge work".into(),
                when: name,
                actions: vec![("knowledge", "+=", "40".into())],
            });
            any = true;
        }
        if let Some(body) = self.matching(f, ROUTINE_WORDS) {
            let what = match body {
                LetBody::In(..) => "list",
                LetBody::Expr(_) => "pattern",
            };
            let line =
                format!("Routine kinds of work a process outsourcer runs: adjust the {what}.");
            let name = self.add_let(used, "routine_work", &[&line], body);
            self.rules.push(Rule {
                comment: vec![format!(
                    "Routine work by `{}`: what a BPO provider runs.",
                    f.name
                )],
                name: "routine work".into(),
                when: name,
                actions: vec![
                    ("knowledge", "-=", "5".into()),
                    ("outsourceability", "+=", "15".into()),
                ],
            });
            any = true;
        }
        if !any {
            self.notes.push(vec![
                format!(
                    "`{}` names the kind of work.{values_note} No value suggested knowledge or routine work: add a rule for the kinds a provider could run, such as",
                    f.name
                ),
                format!(
                    "rule \"routine work\" when {} {{ outsourceability += 15 }}",
                    match &f.kind {
                        Kind::Enum(values) => format!(
                            "{} in [{}]",
                            f.name,
                            values.first().map_or("", String::as_str)
                        ),
                        _ => format!("matches(lower({}), \"invoice|payroll\")", f.name),
                    }
                ),
            ]);
        }
    }

    fn skill_rule(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let (when, comment) = match &f.kind {
            Kind::Enum(values) => {
                let Some(v) =
                    values.get(values.len().div_ceil(2).min(values.len().saturating_sub(1)))
                else {
                    return;
                };
                (
                    format!("{} >= {v}", f.name),
                    vec![
                        "Specialist skills make knowledge work. `>=` follows the order of the values"
                            .to_string(),
                        "in `input`: list them from least to most skilled.".to_string(),
                    ],
                )
            }
            Kind::Number => {
                let Some(q) = quantile(&f.numbers(decimal_comma), 0.75) else {
                    return;
                };
                (
                    format!("{} >= {}", f.name, format_number(nice(q))),
                    vec![format!(
                        "Specialist skills make knowledge work; {} is about the top quarter of the sample.",
                        format_number(nice(q))
                    )],
                )
            }
            _ => {
                let Some(body) = self.matching(f, SPECIALIST_WORDS) else {
                    return;
                };
                let name = self.add_let(
                    used,
                    "specialist",
                    &["Skill levels that call for a specialist: adjust the pattern."],
                    body,
                );
                (
                    name,
                    vec!["Specialist skills make knowledge work.".to_string()],
                )
            }
        };
        self.rules.push(Rule {
            comment,
            name: "specialist skills".into(),
            when,
            actions: vec![("knowledge", "+=", "40".into())],
        });
    }

    fn hours_rules(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let values = f.numbers(decimal_comma);
        let words = snake(&f.header);
        let per = |w: &[&str]| word_match(&words, w).is_some();
        let looks_like_seconds = !values.is_empty()
            && values.iter().all(|v| v.fract() == 0.0 && v % 60.0 == 0.0)
            && values.iter().any(|v| *v >= 3600.0);
        let (divisor, note) = if per(&["hours", "hour", "hrs"]) {
            (1.0, None)
        } else if per(&["minute*", "mins", "min"]) {
            (60.0, Some(format!("`{}` counts minutes.", f.name)))
        } else if per(&["second*", "secs", "sec"]) || looks_like_seconds {
            (
                3600.0,
                Some(format!(
                    "`{}` looks like seconds, as Jira counts time: 28800 is 8 hours.",
                    f.name
                )),
            )
        } else {
            (1.0, None)
        };
        let hours: Vec<f64> = values.iter().map(|v| v / divisor).collect();
        let subject = match note {
            Some(note) => {
                let comment = format!("Effort in hours. {note}");
                self.add_let(
                    used,
                    "hours",
                    &[&comment],
                    LetBody::Expr(format!("{} / {}", f.name, format_number(divisor))),
                )
            }
            None => f.name.clone(),
        };
        let (Some(high), Some(low)) = (quantile(&hours, 0.75), quantile(&hours, 0.25)) else {
            return;
        };
        let (high, low) = (nice(high), nice(low));
        self.rules.push(Rule {
            comment: vec![
                format!(
                    "Large volumes gain most from a provider: {} is about the top quarter",
                    format_number(high)
                ),
                "of the sample. Adjust the threshold to your own sense of large.".into(),
            ],
            name: "large volume".into(),
            when: format!("{subject} >= {}", format_number(high)),
            actions: vec![("outsourceability", "+=", "15".into())],
        });
        if low < high {
            self.rules.push(Rule {
                comment: vec![
                    format!(
                        "Small tasks cost more to hand over than they save: {} is about the",
                        format_number(low)
                    ),
                    "bottom quarter of the sample.".into(),
                ],
                name: "too small to hand over".into(),
                when: format!("{subject} < {}", format_number(low)),
                actions: vec![("outsourceability", "-=", "15".into())],
            });
        }
    }

    fn cost_rule(&mut self, f: &Field, decimal_comma: bool) {
        let Some(q) = quantile(&f.numbers(decimal_comma), 0.75) else {
            return;
        };
        let q = format_number(nice(q));
        self.rules.push(Rule {
            comment: vec![
                format!(
                    "Costly work leaves room for savings after a provider's fees: {q} is about"
                ),
                format!("the top quarter of `{}` in the sample.", f.name),
            ],
            name: "high in-house cost".into(),
            when: format!("{} >= {q}", f.name),
            actions: vec![("outsourceability", "+=", "10".into())],
        });
    }

    fn sensitivity_rule(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let body = match &f.kind {
            Kind::Bool => LetBody::Expr(f.name.clone()),
            Kind::Number => {
                let Some(q) = quantile(&f.numbers(decimal_comma), 0.75) else {
                    return;
                };
                LetBody::Expr(format!("{} >= {}", f.name, format_number(nice(q))))
            }
            _ => match self.matching(f, SENSITIVE_WORDS) {
                Some(b) => b,
                None => return,
            },
        };
        let comment = match body {
            LetBody::In(..) => "Values of `{}` that mark sensitive data: adjust the list.",
            LetBody::Expr(_) if f.kind == Kind::Bool => "Whether the task handles sensitive data.",
            LetBody::Expr(_) => "Values of `{}` that mark sensitive data: adjust the condition.",
        }
        .replace("{}", &f.name);
        let name = self.add_let(used, "sensitive_data", &[&comment], body);
        self.rules.push(Rule {
            comment: vec![
                "Sensitive data leaves the company only under a data processing agreement,".into(),
                "and the label block keeps it in-house.".into(),
            ],
            name: "sensitive data".into(),
            when: name.clone(),
            actions: vec![
                ("strategic", "+=", "10".into()),
                ("outsourceability", "-=", "30".into()),
            ],
        });
        self.sensitive = Some(name);
    }

    fn priority_rule(&mut self, f: &Field, decimal_comma: bool, used: &mut HashSet<String>) {
        let (body, comment) = match &f.kind {
            Kind::Number => {
                let Some(q) = quantile(&f.numbers(decimal_comma), 0.25) else {
                    return;
                };
                (
                    LetBody::Expr(format!("{} <= {}", f.name, format_number(nice(q)))),
                    format!(
                        "Urgent work, assuming 1 is the most urgent `{}`: flip the comparison if not.",
                        f.name
                    ),
                )
            }
            _ => match self.matching(f, URGENT_WORDS) {
                Some(b @ LetBody::In(..)) => (
                    b,
                    format!(
                        "Values of `{}` that mark urgent work: adjust the list.",
                        f.name
                    ),
                ),
                Some(b) => (
                    b,
                    format!(
                        "Values of `{}` that mark urgent work: adjust the pattern.",
                        f.name
                    ),
                ),
                None => return,
            },
        };
        let name = self.add_let(used, "urgent", &[&comment], body);
        self.rules.push(Rule {
            comment: vec!["Urgent work needs a short loop with the people who own it.".into()],
            name: "urgent work".into(),
            when: name,
            actions: vec![
                ("strategic", "+=", "20".into()),
                ("outsourceability", "-=", "10".into()),
            ],
        });
    }

    /// The test's task: the first row's values of the required fields and of
    /// the fields the rules read.
    fn test_values(&self, decimal_comma: bool) -> Vec<String> {
        let mut read: HashSet<&str> = HashSet::new();
        let mut code = String::new();
        for l in &self.lets {
            match &l.body {
                LetBody::Expr(e) => code.push_str(e),
                LetBody::In(v, _) => code.push_str(v),
            }
            code.push(' ');
        }
        for r in &self.rules {
            code.push_str(&r.when);
            code.push(' ');
        }
        let words: HashSet<&str> = code.split(|c: char| !lex::is_word_char(c)).collect();
        for f in &self.fields {
            if words.contains(f.name.as_str()) {
                read.insert(f.name.as_str());
            }
        }
        self.fields
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                *i == self.key
                    || (!f.optional && f.default.is_none())
                    || read.contains(f.name.as_str())
            })
            .map(|(_, f)| f)
            .filter_map(|f| {
                let value = f.literal(0, decimal_comma)?;
                Some(format!("{}: {value}", f.name))
            })
            .collect()
    }

    // ------------------------------------------------------------ printing

    fn render(&self, expected: &str) -> String {
        let mut out = String::new();
        let rows = if self.rows == 1 {
            "1 row".to_string()
        } else {
            format!("{} rows", self.rows)
        };
        let sampled = if self.more {
            format!("the first {rows}")
        } else {
            rows
        };
        let source = clean_comment(&self.source);
        push_comment(
            &mut out,
            &format!(
                "Starter rules drafted by `outsort init` from {source} ({sampled}). The field types come from those rows; the rules, thresholds and label lines are guesses for you to adjust, and the notes say what to look at."
            ),
        );
        out.push_str("#\n# Then check the rules on the export:\n");
        out.push_str("#     outsort test -r my.rules\n");
        let path = if self.source.starts_with('<') {
            "EXPORT"
        } else {
            source.as_str()
        };
        out.push_str(&format!("#     outsort classify -r my.rules {path}\n\n"));
        if self.fields.iter().any(|f| matches!(f.kind, Kind::Enum(_))) {
            push_comment(
                &mut out,
                "An enum field lists the values seen in the sample, and a value it does not list is a row error: add the other values your data uses, or declare the field `text`.",
            );
            out.push('\n');
        }
        if !self.left_out.is_empty() {
            const LISTED: usize = 40;
            let mut list: Vec<String> = self
                .left_out
                .iter()
                .take(LISTED)
                .map(|c| clean_comment(c))
                .collect();
            if self.left_out.len() > LISTED {
                list.push(format!("and {} more", self.left_out.len() - LISTED));
            }
            push_comment(
                &mut out,
                &format!(
                    "Left out, empty in every sampled row (results still carry them): {}.",
                    list.join(", ")
                ),
            );
        }
        self.render_input(&mut out);
        out.push('\n');
        for c in &self.key_comment {
            out.push_str(&format!("# {c}\n"));
        }
        let key = self.fields.get(self.key).map_or("", |f| f.name.as_str());
        out.push_str(&format!("key {key}\n\n"));
        out.push_str(
            "# Scores start at these values; the rules below add to them, and each is kept\n# within 0..100.\n",
        );
        out.push_str("score knowledge        = 10 in 0..100\n");
        out.push_str("score strategic        = 10 in 0..100\n");
        out.push_str("score outsourceability = 50 in 0..100\n");
        for l in &self.lets {
            out.push('\n');
            for c in &l.comment {
                push_comment(&mut out, c);
            }
            match &l.body {
                LetBody::Expr(e) => out.push_str(&format!("let {} = {e}\n", l.name)),
                LetBody::In(value, items) => {
                    let head = format!("let {} = {value} in ", l.name);
                    let flat = format!("{head}[{}]", items.join(", "));
                    if flat.chars().count() <= WIDTH {
                        out.push_str(&flat);
                        out.push('\n');
                    } else {
                        out.push_str(&format!("{head}[\n"));
                        for item in items {
                            out.push_str(&format!("    {item},\n"));
                        }
                        out.push_str("]\n");
                    }
                }
            }
        }
        if self.no_rules_note {
            out.push('\n');
            push_comment(
                &mut out,
                "No column name suggested a starter rule. Add rules that move the scores, such as:",
            );
            out.push_str("#\n#     rule \"routine work\" when matches(lower(category), \"invoice|payroll\") {\n");
            out.push_str("#         outsourceability += 15\n#     }\n");
        }
        for note in &self.notes {
            out.push('\n');
            let mut lines = note.iter();
            if let Some(first) = lines.next() {
                push_comment(&mut out, first);
            }
            for example in lines {
                out.push_str(&format!("#\n#     {}\n", clean_comment(example)));
            }
        }
        for r in &self.rules {
            out.push('\n');
            for c in &r.comment {
                push_comment(&mut out, c);
            }
            out.push_str(&format!("rule {} when {} {{\n", quote(&r.name), r.when));
            let w = r.actions.iter().map(|a| a.0.len()).max().unwrap_or(0);
            for (target, op, value) in &r.actions {
                out.push_str(&format!("    {target:<w$} {op} {value}\n"));
            }
            out.push_str("}\n");
        }
        out.push('\n');
        out.push_str(
            "# The first line that holds gives the label. Move the thresholds together with\n# the amounts the rules add.\n",
        );
        out.push_str("label {\n");
        if let Some(s) = &self.sensitive {
            label_line(
                &mut out,
                "in_house",
                &format!("when {s}"),
                "sensitive data stays in-house",
            );
        }
        label_line(
            &mut out,
            "in_house",
            "when strategic >= 50",
            "strategic value {strategic}: keep it close",
        );
        label_line(
            &mut out,
            "kpo",
            "when knowledge >= 50 and outsourceability >= 40",
            "specialist knowledge work",
        );
        label_line(
            &mut out,
            "bpo",
            "when outsourceability >= 60",
            "routine work a provider can run",
        );
        label_line(
            &mut out,
            "in_house",
            "otherwise",
            "no strong case for outsourcing yet",
        );
        out.push_str("}\n\n");
        out.push_str(
            "# The first sampled row, with the label the draft gives it: write the label the\n# row should get, then run `outsort test`.\n",
        );
        out.push_str("test \"the first row of the export\" {\n");
        let flat = if self.given.is_empty() {
            "    given {}".to_string()
        } else {
            format!("    given {{ {} }}", self.given.join(", "))
        };
        if flat.chars().count() <= WIDTH {
            out.push_str(&flat);
            out.push('\n');
        } else {
            out.push_str("    given {\n");
            for g in &self.given {
                out.push_str(&format!("        {g},\n"));
            }
            out.push_str("    }\n");
        }
        out.push_str(&format!("    expect label == {expected}\n}}\n"));
        out
    }

    /// The `input` block, laid out as the formatter does: names, types,
    /// defaults and `from` each in an aligned column, trailing comments
    /// aligned.
    fn render_input(&self, out: &mut String) {
        let rows: Vec<[String; 4]> = self
            .fields
            .iter()
            .map(|f| {
                let mut ty = f.kind.written();
                if f.optional {
                    ty.push('?');
                }
                [
                    format!("{}:", f.name),
                    ty,
                    f.default
                        .as_ref()
                        .map_or(String::new(), |d| format!("= {d}")),
                    f.from
                        .as_ref()
                        .map_or(String::new(), |s| format!("from {}", quote(s))),
                ]
            })
            .collect();
        // One space between cells; the formatter aligns the columns.
        let codes: Vec<String> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .filter(|c| !c.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let comments: Vec<Option<String>> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                if i == self.key {
                    Some("# the key".to_string())
                } else {
                    f.comment.as_ref().map(|c| format!("# {c}"))
                }
            })
            .collect();
        out.push_str("input {\n");
        for (code, comment) in codes.iter().zip(&comments) {
            out.push_str("    ");
            out.push_str(code);
            if let Some(c) = comment {
                out.push_str("  ");
                out.push_str(c);
            }
            out.push('\n');
        }
        out.push_str("}\n");
    }
}

/// A label line, `because` on the next line when the whole does not fit.
fn label_line(out: &mut String, value: &str, condition: &str, because: &str) {
    let head = format!("    {value:<8} {condition}");
    let because = format!("because {}", quote(because));
    if head.chars().count() + 1 + because.chars().count() <= WIDTH {
        out.push_str(&format!("{head} {because}\n"));
    } else {
        out.push_str(&format!("{head}\n{}{because}\n", " ".repeat(4 + 8 + 1)));
    }
}

/// Text made safe for a comment: one line, no control characters.
fn clean_comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// A comment, wrapped at 80 columns.
fn push_comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in clean_comment(text).split_whitespace() {
        if line.len() > 1 && line.chars().count() + 1 + word.chars().count() > 80 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}

/// The given value of a field as the checker will see it, for tests.
#[cfg(test)]
fn given_value(text: &str) -> Option<crate::value::Value<'static>> {
    let program = crate::load_str("t", text).ok()?;
    program.tests.first()?.tasks.first()?.first().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let cases = [
            ("Issue key", "issue_key"),
            ("Custom field (Story Points)", "story_points"),
            ("assignedTo", "assigned_to"),
            ("Σ Time Spent", "sum_time_spent"),
            ("O*NET-SOC Code", "o_net_soc_code"),
            ("Section/Column", "section_column"),
            ("Fecha de creación", "fecha_de_creacion"),
            ("ID", "id"),
            ("Q4Budget", "q4_budget"),
            ("  ", ""),
        ];
        for (header, want) in cases {
            assert_eq!(snake(header), want, "{header}");
        }
        let mut used = HashSet::new();
        let got: Vec<String> = ["number", "label", "2024 budget", "", "x", "x", "in"]
            .iter()
            .enumerate()
            .map(|(i, h)| unique_name(&snake(h), i, &mut used))
            .collect();
        assert_eq!(
            got,
            [
                "task_number",
                "label_value",
                "field_2024_budget",
                "column_4",
                "x",
                "x_2",
                "in_value"
            ]
        );
    }

    #[test]
    fn types() {
        let cases: [(&[&str], Kind); 11] = [
            (&["1", "2.5", "45%"], Kind::Number),
            (&["007", "012"], Kind::Text),
            (&["1209000000000104", "12"], Kind::Text),
            (&["yes", "No", "TRUE"], Kind::Bool),
            (&["2025-01-31", " 2024-02-29 "], Kind::Date),
            (
                &["High", "low", "Medium", "high", "low", "medium"],
                Kind::Enum(vec!["low".into(), "medium".into(), "high".into()]),
            ),
            (
                &["In Progress", "Done", "done", "in-progress"],
                Kind::Enum(vec!["done".into(), "in_progress".into()]),
            ),
            (&["a", "b", "c"], Kind::Text),
            (
                &["4 - Low", "4 - Low", "3 - Moderate", "3 - Moderate"],
                Kind::Text,
            ),
            (&["true", "maybe", "true", "maybe"], Kind::Text),
            (&["1", "2", "x"], Kind::Text),
        ];
        for (values, want) in cases {
            assert_eq!(infer(values, false, "x").0, want, "{values:?}");
        }
        let people = ["Ann Lee", "Bo Ng", "Ann Lee", "Bo Ng"];
        assert_eq!(infer(&people, false, "assignee").0, Kind::Text);
        assert_eq!(
            infer(&people, false, "who").0,
            Kind::Enum(vec!["ann_lee".into(), "bo_ng".into()])
        );
        assert_eq!(infer(&["10091", "10092"], false, "issue_id").0, Kind::Text);
        let long = ["a b c d", "a b c d", "e", "e"];
        assert_eq!(infer(&long, false, "x").0, Kind::Text);
    }

    #[test]
    fn sampling_reads_the_first_rows() {
        let csv = "id,n\na,1\nb,2,extra\nc,3\nd,4\n";
        let options = crate::input::InputOptions::default();
        let mut reader = InputReader::from_bytes("t.csv", csv.into(), &options).unwrap();
        let sample = Sample::read(&mut reader, "t.csv", 3).unwrap();
        assert_eq!(sample.rows, [["a", "1"], ["c", "3"]]);
        assert_eq!((sample.skipped, sample.more), (1, true));
        let mut reader = InputReader::from_bytes("t.csv", csv.into(), &options).unwrap();
        let sample = Sample::read(&mut reader, "t.csv", 4).unwrap();
        assert_eq!((sample.rows.len(), sample.more), (3, false));
    }

    #[test]
    fn long_text_is_cut_in_the_test() {
        let long = "word ".repeat(100);
        let sample = Sample::from_rows("t.csv", &["id", "notes"], &[["a", long.as_str()]]);
        let text = draft(&sample).unwrap();
        let want = format!("notes: \"{}…\"", cut(&long, GIVEN_TEXT_CHARS));
        assert!(text.contains(&want), "{text}");
    }

    #[test]
    fn thresholds() {
        assert_eq!(nice(147.0), 150.0);
        assert_eq!(nice(0.254), 0.25);
        assert_eq!(nice(16.0), 16.0);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.75), Some(3.0));
        assert_eq!(quantile(&[], 0.75), None);
    }

    #[test]
    fn given_literals_read_back() {
        let sample = Sample::from_rows(
            "t.csv",
            &["id", "amount", "when", "note"],
            &[&["a", "-3.5", "2025-01-31", "two\nlines \"quoted\" \\ {x}\r"]],
        );
        let text = draft(&sample).unwrap();
        assert!(
            text.contains("        amount: -3.5,\n        when_value: 2025-01-31,\n"),
            "{text}"
        );
        assert_eq!(
            given_value(&text),
            Some(crate::value::Value::Text("a".into()))
        );
        assert!(
            text.contains("note: \"two\\nlines \\\"quoted\\\" \\\\ {x}\\u{d}\""),
            "{text}"
        );
    }

    #[test]
    fn no_rows_and_no_values() {
        let empty = Sample::from_rows::<[&str; 1]>("t.csv", &["a"], &[]);
        assert!(matches!(draft(&empty), Err(InitError::NoRows)));
        let blank = Sample::from_rows("t.csv", &["a", ""], &[&["", "x"]]);
        assert!(matches!(draft(&blank), Err(InitError::NoValues)));
    }

    #[test]
    fn key_falls_back_to_a_default() {
        let sample = Sample::from_rows("t.csv", &["a", "b"], &[&["1", ""], &["", "2"]]);
        let text = draft(&sample).unwrap();
        assert!(text.contains("a: text = \"\"  # the key"), "{text}");
    }

    #[test]
    fn lines_stay_within_the_width() {
        let sample = Sample::from_rows(
            "t.csv",
            &["Priority", "Data Classification", "Category", "Hours"],
            &[
                &["High", "Confidential", "Legal research", "5"],
                &["Low", "Public", "Invoice entry", "50"],
                &["High", "Public", "Invoice entry", "20"],
                &["Low", "Confidential", "Legal research", "1"],
            ],
        );
        let text = draft(&sample).unwrap();
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
    }
}
