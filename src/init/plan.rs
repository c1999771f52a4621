//! The plan: everything the draft holds before it is printed. The fields of
//! the columns with values, the key, the `let`s and rules, and the values of
//! the test's task.

use super::names::{snake, unique_name, word_match};
use super::rules::has_word;
use super::sniff::{Field, Kind, infer};
use super::write::clean_comment;
use super::{InitError, Sample};
use crate::input::convert::is_blank;
use crate::syntax::lex::{self, quote};
use std::collections::HashSet;

/// A `let` with the comment above it.
pub(super) struct Let {
    pub(super) comment: Vec<String>,
    pub(super) name: String,
    pub(super) body: LetBody,
}

pub(super) enum LetBody {
    Expr(String),
    /// `value in [items]`, broken over lines when too long.
    In(String, Vec<String>),
}

/// A `rule` with the comment above it.
pub(super) struct Rule {
    pub(super) comment: Vec<String>,
    pub(super) name: String,
    pub(super) when: String,
    pub(super) actions: Vec<(&'static str, &'static str, String)>,
}

/// Everything the draft holds, before it is printed.
pub(super) struct Plan {
    pub(super) source: String,
    pub(super) rows: usize,
    pub(super) more: bool,
    pub(super) fields: Vec<Field>,
    pub(super) left_out: Vec<String>,
    pub(super) key: usize,
    pub(super) key_comment: Vec<String>,
    pub(super) lets: Vec<Let>,
    pub(super) rules: Vec<Rule>,
    /// A `let` that says a task handles sensitive data.
    pub(super) sensitive: Option<String>,
    /// Field values of the test's task, as `name: literal`.
    pub(super) given: Vec<String>,
    pub(super) no_rules_note: bool,
    /// Comments for the reader, each a paragraph and an example line.
    pub(super) notes: Vec<Vec<String>>,
}

impl Plan {
    pub(super) fn new(sample: &Sample) -> Result<Plan, InitError> {
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

    pub(super) fn field(&self, i: usize) -> Option<&Field> {
        self.fields.get(i)
    }

    pub(super) fn add_let(
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
    pub(super) fn matching(&self, f: &Field, words: &str) -> Option<LetBody> {
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
}
