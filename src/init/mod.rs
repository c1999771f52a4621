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
//!
//! # Files
//!
//! - `mod.rs`: [`Sample`] and how it is read, [`draft`] and its checks of the
//!   draft, [`InitError`].
//! - `sniff.rs`: a field's type inferred from its values: numbers, dates,
//!   booleans, enums and the order of their values, text.
//! - `names.rs`: field names from headers (snake_case, unique, not a word of
//!   the language), and matching a name's words.
//! - `plan.rs`: what the draft holds before it is printed: the fields of the
//!   columns, the key, `let`s, rules and the test's task.
//! - `rules.rs`: the roles a column's name suggests (category, skill, hours,
//!   cost, sensitivity, core, priority) and the starter rules for each.
//! - `write.rs`: printing the plan as a rule file, with its comments.
//! - `tests.rs`: unit tests.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod names;
mod plan;
mod rules;
mod sniff;
#[cfg(test)]
mod tests;
mod write;

use crate::input::{InputError, InputReader, ReadError, Record};
use crate::{LoadError, Program};
use plan::Plan;
use std::fmt;

/// How many rows `init` reads to infer types from.
pub const SAMPLE_ROWS: usize = 1000;

/// Sampling stops once the cells kept take about this much memory, so a
/// very wide export is sampled on fewer rows.
pub const SAMPLE_BYTES: usize = 64 << 20;

/// Cells are kept up to this many characters: enough to tell a type, and
/// no value longer is an enum value or a number.
const SAMPLE_CELL_CHARS: usize = 1000;

/// The first `max` characters of a text.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => text.get(..i).unwrap_or(text).to_string(),
        None => text.to_string(),
    }
}

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
