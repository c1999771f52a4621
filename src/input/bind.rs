//! Binding the fields of an `input` block to the columns of an input, and converting rows.
//!
//! A field reads the column named by its `from` text, or else by its own name.
//! A name matches a header exactly, or else the one header equal to it
//! ignoring case, surrounding spaces and the difference between space, `_` and
//! `-`. A field never binds silently to one of several columns:
//!
//! - A repeated header (Jira repeats `Labels`, `Watchers`, `Comment`,
//!   `Sprint`...) is an error naming the positions, unless the field says
//!   which: `from "Labels#2"` is the second `Labels` column (1-based), and
//!   `from "Labels#*"` joins the non-blank cells of all of them with `, `
//!   (for a `text` field only).
//! - A name that matches several different headers only after normalising
//!   (`Due Date` and `due_date`) is an error.
//!
//! In JSON, columns are the records' top-level keys; `from "a.b.c"` reaches
//! into nested objects (the first key is matched as above, the others
//! exactly), unless a top-level key is literally `a.b.c`.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

use super::convert::{
    convert_json, convert_json_value, convert_text, is_blank, normalize_enum, parse_number,
};
use super::error::RowError;
use super::{Cells, InputFormat, JsonValue, Record, RecordData, SourceInfo, column_label};
use crate::value::{FieldType, Value};

/// A field of the rule set's `input` block, as the binding needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSpec {
    pub name: String,
    /// The `from "column"` text, if any.
    pub from: Option<String>,
    pub ty: FieldType,
    /// Declared `T?`.
    pub optional: bool,
    /// Declared with `= default`.
    pub has_default: bool,
}

/// Where a field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    /// A CSV column (0-based).
    Column(usize),
    /// Several CSV columns (`from "Name#*"`), non-blank cells joined with `, `.
    Joined(Vec<usize>),
    /// A JSON value: a top-level key, then keys of nested objects.
    Path(Vec<String>),
    /// The input lacks the column: the default, or missing, on every row.
    Absent,
}

/// A field with its source.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundField {
    pub name: String,
    pub ty: FieldType,
    pub optional: bool,
    pub source: FieldSource,
    /// How row errors name the column: its header, or the `from` text.
    pub column: String,
    /// The enum's declared values through `normalize_enum`.
    enum_normalized: Vec<String>,
    /// JSON: where the first key of the path is in the input's columns, and
    /// so likely among a record's keys.
    hint: usize,
}

/// A field that cannot be bound; reported before any row is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindError {
    pub file: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field \"{}\": {}",
            self.file, self.field, self.message
        )
    }
}

impl std::error::Error for BindError {}

/// A field with a default or `?` whose column is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindWarning {
    pub file: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for BindWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: field \"{}\": {}",
            self.file, self.field, self.message
        )
    }
}

/// The fields of a rule set bound to the columns of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    file: String,
    fields: Vec<BoundField>,
    /// The CSV delimiter is `;`: numbers may use a decimal comma.
    decimal_comma: bool,
    /// The column of each field, when every field reads one column.
    columns: Option<Vec<usize>>,
}

/// Header names compared ignoring case, surrounding spaces and the
/// difference between space, `_` and `-`.
pub fn normalize_header(name: &str) -> String {
    name.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

enum Lookup {
    /// Columns with one name (several when the header repeats it).
    Found(Vec<usize>),
    /// Columns with different names that match only after normalising.
    Ambiguous(Vec<usize>),
    NotFound,
}

enum Occurrence {
    Nth(usize),
    All,
}

/// `Name#2` or `Name#*`.
fn parse_occurrence(want: &str) -> Option<(&str, Occurrence)> {
    let (base, suffix) = want.rsplit_once('#')?;
    if base.is_empty() {
        return None;
    }
    if suffix == "*" {
        return Some((base, Occurrence::All));
    }
    if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
        return Some((base, Occurrence::Nth(suffix.parse().unwrap_or(usize::MAX))));
    }
    None
}

/// The most missing fields of one binding that search the columns for a
/// close name: each search compares with every column.
const MAX_SUGGESTIONS: usize = 100;

struct Matcher<'a> {
    info: &'a SourceInfo,
    normalized: Vec<String>,
    /// The positions of each column name, and of each normalised name, in order.
    exact: HashMap<&'a str, Vec<usize>>,
    by_normalized: HashMap<String, Vec<usize>>,
    json: bool,
    suggestions: Cell<usize>,
}

impl<'a> Matcher<'a> {
    fn new(info: &'a SourceInfo) -> Matcher<'a> {
        let normalized: Vec<String> = info.columns.iter().map(|c| normalize_header(c)).collect();
        let mut exact: HashMap<&str, Vec<usize>> = HashMap::with_capacity(info.columns.len());
        for (i, c) in info.columns.iter().enumerate() {
            exact.entry(c.as_str()).or_default().push(i);
        }
        let mut by_normalized: HashMap<String, Vec<usize>> =
            HashMap::with_capacity(normalized.len());
        for (i, n) in normalized.iter().enumerate() {
            by_normalized.entry(n.clone()).or_default().push(i);
        }
        Matcher {
            info,
            normalized,
            exact,
            by_normalized,
            json: matches!(info.format, InputFormat::Json | InputFormat::Ndjson),
            suggestions: Cell::new(MAX_SUGGESTIONS),
        }
    }

    fn lookup(&self, want: &str) -> Lookup {
        let columns = &self.info.columns;
        if let Some(exact) = self.exact.get(want) {
            return Lookup::Found(exact.clone());
        }
        let Some(close) = self.by_normalized.get(&normalize_header(want)) else {
            return Lookup::NotFound;
        };
        let first = close.first().and_then(|&i| columns.get(i));
        if first.is_none() {
            Lookup::NotFound
        } else if close.iter().all(|&i| columns.get(i) == first) {
            Lookup::Found(close.clone())
        } else {
            Lookup::Ambiguous(close.clone())
        }
    }

    fn word(&self) -> &'static str {
        if self.json { "key" } else { "column" }
    }

    fn positions(list: &[usize]) -> String {
        list.iter()
            .map(|i| (i + 1).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn repeated(&self, name: &str, list: &[usize]) -> String {
        format!(
            "column \"{name}\" appears {} times (columns {}); choose one with from \"{name}#2\" (the 2nd), \
             or join them all with from \"{name}#*\"",
            list.len(),
            Self::positions(list)
        )
    }

    fn ambiguous(&self, want: &str, list: &[usize]) -> String {
        let names: Vec<String> = list
            .iter()
            .map(|&i| {
                format!(
                    "\"{}\" ({} {})",
                    column_label(&self.info.columns, i),
                    self.word(),
                    i + 1
                )
            })
            .collect();
        format!(
            "\"{want}\" matches several {}s: {}; write one of them exactly in from \"...\"",
            self.word(),
            names.join(", ")
        )
    }

    /// The closest column name, if one is close.
    fn suggest(&self, want: &str) -> Option<&str> {
        let left = self.suggestions.get();
        if left == 0 {
            return None;
        }
        self.suggestions.set(left - 1);
        let w = normalize_header(want);
        let mut best: Option<(f64, usize)> = None;
        for (i, n) in self.normalized.iter().enumerate() {
            if n.is_empty() {
                continue;
            }
            let mut score = strsim::jaro_winkler(&w, n);
            if w.chars().count() >= 3 && (n.contains(&w) || w.contains(n.as_str())) {
                score = score.max(0.85);
            }
            if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
                best = Some((score, i));
            }
        }
        best.and_then(|(_, i)| self.info.columns.get(i))
            .map(String::as_str)
    }

    fn column_list(&self) -> String {
        const SHOWN: usize = 30;
        let columns = &self.info.columns;
        if columns.is_empty() {
            return format!("the input has no {}s", self.word());
        }
        let mut list: Vec<String> = (0..columns.len().min(SHOWN))
            .map(|i| column_label(columns, i))
            .collect();
        if columns.len() > SHOWN {
            list.push(format!("… ({} more)", columns.len() - SHOWN));
        }
        format!("the input has {}s: {}", self.word(), list.join(", "))
    }

    fn missing(&self, want: &str) -> String {
        let mut message = format!("no {} \"{want}\"", self.word());
        if let Some(s) = self.suggest(want) {
            message.push_str(&format!("; did you mean \"{s}\"?"));
        }
        message
    }

    /// The source of a field, or an error message. `Ok(None)`: the column is
    /// missing.
    fn resolve(&self, want: &str, ty: &FieldType) -> Result<Option<(FieldSource, String)>, String> {
        let columns = &self.info.columns;
        let one = |i: usize| -> (FieldSource, String) {
            let label = column_label(columns, i);
            if self.json {
                (
                    FieldSource::Path(vec![columns.get(i).cloned().unwrap_or_default()]),
                    label,
                )
            } else {
                (FieldSource::Column(i), label)
            }
        };
        match self.lookup(want) {
            Lookup::Found(list) => match list.as_slice() {
                [i] => return Ok(Some(one(*i))),
                _ => {
                    return Err(self.repeated(
                        columns
                            .get(list.first().copied().unwrap_or(0))
                            .map_or(want, |s| s),
                        &list,
                    ));
                }
            },
            Lookup::Ambiguous(list) => return Err(self.ambiguous(want, &list)),
            Lookup::NotFound => {}
        }
        if self.json {
            let Some((head, rest)) = want.split_once('.') else {
                return Ok(None);
            };
            return match self.lookup(head) {
                Lookup::Found(list) => {
                    let key = list
                        .first()
                        .and_then(|&i| columns.get(i))
                        .cloned()
                        .unwrap_or_default();
                    let mut path = vec![key];
                    path.extend(rest.split('.').map(str::to_string));
                    Ok(Some((FieldSource::Path(path.clone()), path.join("."))))
                }
                Lookup::Ambiguous(list) => Err(self.ambiguous(head, &list)),
                Lookup::NotFound => Ok(None),
            };
        }
        let Some((base, occurrence)) = parse_occurrence(want) else {
            return Ok(None);
        };
        let list = match self.lookup(base) {
            Lookup::Found(list) => list,
            Lookup::Ambiguous(list) => return Err(self.ambiguous(base, &list)),
            Lookup::NotFound => return Ok(None),
        };
        let name = list
            .first()
            .map_or(base.to_string(), |&i| column_label(columns, i));
        match occurrence {
            Occurrence::Nth(0) => Err(format!("in \"{want}\", columns are counted from 1")),
            Occurrence::Nth(n) => match list.get(n - 1) {
                Some(&i) => Ok(Some((FieldSource::Column(i), want.to_string()))),
                None => Err(format!(
                    "\"{want}\": there are only {} columns named \"{name}\" (columns {})",
                    list.len(),
                    Self::positions(&list)
                )),
            },
            Occurrence::All if *ty != FieldType::Text => Err(format!(
                "from \"{want}\" joins several columns into text, but the field is {ty}; \
                 pick one column with from \"{base}#1\""
            )),
            Occurrence::All => Ok(Some((FieldSource::Joined(list), want.to_string()))),
        }
    }
}

impl Binding {
    /// Whether every field of `specs` finds its column among those of
    /// `info`, without the messages [`Binding::new`] makes when not: for
    /// looking at several rows to find the header, in time linear in the
    /// fields and columns.
    pub fn binds(specs: &[FieldSpec], info: &SourceInfo) -> bool {
        let matcher = Matcher::new(info);
        specs.iter().all(|spec| {
            let want = spec.from.as_deref().unwrap_or(&spec.name);
            matches!(matcher.resolve(want, &spec.ty), Ok(Some(_)))
        })
    }

    /// Binds `specs` to the columns of an input. Errors for all fields are
    /// reported together; warnings (a field with a default or `?` whose
    /// column is missing) come back with the binding.
    pub fn new(
        specs: &[FieldSpec],
        info: &SourceInfo,
    ) -> Result<(Binding, Vec<BindWarning>), Vec<BindError>> {
        let matcher = Matcher::new(info);
        let mut fields = Vec::with_capacity(specs.len());
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for spec in specs {
            let want = spec.from.as_deref().unwrap_or(&spec.name);
            let (source, column) = match matcher.resolve(want, &spec.ty) {
                Ok(Some(found)) => found,
                Ok(None) if spec.optional || spec.has_default => {
                    let takes = if spec.has_default {
                        "its default"
                    } else {
                        "missing"
                    };
                    let message = format!(
                        "{}; the field is {takes} on every row",
                        matcher.missing(want)
                    );
                    warnings.push(BindWarning {
                        file: info.name.clone(),
                        field: spec.name.clone(),
                        message,
                    });
                    (FieldSource::Absent, want.to_string())
                }
                Ok(None) => {
                    let message = format!("{}; {}", matcher.missing(want), matcher.column_list());
                    errors.push(BindError {
                        file: info.name.clone(),
                        field: spec.name.clone(),
                        message,
                    });
                    continue;
                }
                Err(message) => {
                    errors.push(BindError {
                        file: info.name.clone(),
                        field: spec.name.clone(),
                        message,
                    });
                    continue;
                }
            };
            let enum_normalized = match &spec.ty {
                FieldType::Enum(values) => values.iter().map(|v| normalize_enum(v)).collect(),
                _ => Vec::new(),
            };
            let hint = match &source {
                FieldSource::Path(path) => path
                    .first()
                    .and_then(|k| matcher.exact.get(k.as_str()))
                    .and_then(|list| list.first().copied())
                    .unwrap_or(0),
                _ => 0,
            };
            fields.push(BoundField {
                name: spec.name.clone(),
                ty: spec.ty.clone(),
                optional: spec.optional,
                source,
                column,
                enum_normalized,
                hint,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let columns = fields
            .iter()
            .map(|f| match f.source {
                FieldSource::Column(c) => Some(c),
                _ => None,
            })
            .collect();
        let binding = Binding {
            file: info.name.clone(),
            fields,
            decimal_comma: info.delimiter == Some(b';'),
            columns,
        };
        Ok((binding, warnings))
    }

    /// The bound fields, in the order of the specs.
    pub fn fields(&self) -> &[BoundField] {
        &self.fields
    }

    /// Converts a row into one value per field, in order, into `out` (cleared
    /// first). A blank cell, or an absent or null JSON value, takes
    /// `defaults[i]` (by field index), else is missing for an optional field,
    /// else is an error. Values borrow from `rec` and `defaults`.
    ///
    /// Returns the row's first error only (fields in order); `out` then holds
    /// the fields before it.
    pub fn convert<'r>(
        &self,
        rec: &'r Record,
        defaults: &'r [Option<Value<'static>>],
        out: &mut Vec<Value<'r>>,
    ) -> Result<(), RowError> {
        if let RecordData::Csv(cells) = rec.data()
            && let Some(columns) = &self.columns
        {
            return self.convert_cells(cells, columns, rec.line(), defaults, out);
        }
        out.clear();
        for (i, f) in self.fields.iter().enumerate() {
            let error = |message: String| {
                RowError::new(&self.file, rec.line(), message).with_column(&f.column)
            };
            let value = match raw(f, rec) {
                Raw::Empty => match defaults.get(i).and_then(Option::as_ref) {
                    Some(d) => d.reborrow(),
                    None if f.optional => Value::Missing,
                    None => return Err(error("required value is empty".to_string())),
                },
                Raw::Text(text) => match &f.ty {
                    FieldType::Text => Value::Text(text),
                    ty => convert_text(
                        ty,
                        &f.enum_normalized,
                        Cow::Borrowed(text.as_ref()),
                        self.decimal_comma,
                    )
                    .map(Value::into_owned)
                    .map_err(|m| error(m).with_value(&text))?,
                },
                Raw::Json(v) => convert_json_value(&f.ty, &f.enum_normalized, v).map_err(|m| {
                    let shown = v.text().unwrap_or_default();
                    error(m).with_value(&shown)
                })?,
                Raw::Nested(v) => convert_json(&f.ty, &f.enum_normalized, &v)
                    .map(Value::into_owned)
                    .map_err(|m| {
                        let shown = super::convert::json_text(&v).unwrap_or_default();
                        error(m).with_value(&shown)
                    })?,
            };
            out.push(value);
        }
        Ok(())
    }
}

impl Binding {
    /// [`Binding::convert`] for a CSV record whose fields each read one
    /// column (`columns`, by field): the same values and errors, each cell
    /// looked at once.
    fn convert_cells<'r>(
        &self,
        cells: &'r Cells,
        columns: &[usize],
        line: u64,
        defaults: &'r [Option<Value<'static>>],
        out: &mut Vec<Value<'r>>,
    ) -> Result<(), RowError> {
        out.clear();
        for (i, (f, &column)) in self.fields.iter().zip(columns).enumerate() {
            let error =
                |message: String| RowError::new(&self.file, line, message).with_column(&f.column);
            let text = match cells.get(column) {
                Some(text) if !is_blank(text) => text,
                _ => {
                    out.push(match defaults.get(i).and_then(Option::as_ref) {
                        Some(d) => d.reborrow(),
                        None if f.optional => Value::Missing,
                        None => return Err(error("required value is empty".to_string())),
                    });
                    continue;
                }
            };
            out.push(match &f.ty {
                FieldType::Text => Value::Text(Cow::Borrowed(text)),
                FieldType::Number => Value::Num(
                    parse_number(text, self.decimal_comma)
                        .map_err(|m| error(m).with_value(text))?,
                ),
                ty => convert_text(
                    ty,
                    &f.enum_normalized,
                    Cow::Borrowed(text),
                    self.decimal_comma,
                )
                .map_err(|m| error(m).with_value(text))?,
            });
        }
        Ok(())
    }
}

enum Raw<'r> {
    Empty,
    Text(Cow<'r, str>),
    Json(JsonValue<'r>),
    /// A value inside a nested object, parsed for the occasion.
    Nested(serde_json::Value),
}

fn raw<'r>(f: &BoundField, rec: &'r Record) -> Raw<'r> {
    match (&f.source, rec.data()) {
        (FieldSource::Column(i), RecordData::Csv(_)) => match rec.cell_str(*i) {
            Some(s) if !is_blank(s) => Raw::Text(Cow::Borrowed(s)),
            _ => Raw::Empty,
        },
        (FieldSource::Joined(list), RecordData::Csv(_)) => {
            let parts: Vec<&str> = list
                .iter()
                .filter_map(|&i| rec.cell_str(i))
                .filter(|s| !is_blank(s))
                .collect();
            if parts.is_empty() {
                Raw::Empty
            } else {
                Raw::Text(Cow::Owned(parts.join(", ")))
            }
        }
        (FieldSource::Path(path), RecordData::Json(object)) => {
            let Some((first, rest)) = path.split_first() else {
                return Raw::Empty;
            };
            let value = object.get_hinted(first, f.hint);
            if rest.is_empty() {
                return match value {
                    None | Some(JsonValue::Null) => Raw::Empty,
                    Some(JsonValue::String(s)) if is_blank(s) => Raw::Empty,
                    Some(v) => Raw::Json(v),
                };
            }
            let Some(JsonValue::Object(text)) = value else {
                return Raw::Empty;
            };
            let mut value: Option<serde_json::Value> = serde_json::from_str(text).ok();
            for key in rest {
                value = match value {
                    Some(serde_json::Value::Object(mut o)) => o.remove(key),
                    _ => None,
                };
            }
            match value {
                None | Some(serde_json::Value::Null) => Raw::Empty,
                Some(serde_json::Value::String(s)) if is_blank(&s) => Raw::Empty,
                Some(v) => Raw::Nested(v),
            }
        }
        _ => Raw::Empty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(columns: &[&str], format: InputFormat) -> SourceInfo {
        SourceInfo {
            name: "t.csv".to_string(),
            format,
            delimiter: if format == InputFormat::Csv {
                Some(b',')
            } else {
                None
            },
            columns: columns.iter().map(|s| s.to_string()).collect(),
            header_line: None,
        }
    }

    fn spec(name: &str, from: Option<&str>, ty: FieldType) -> FieldSpec {
        FieldSpec {
            name: name.to_string(),
            from: from.map(str::to_string),
            ty,
            optional: false,
            has_default: false,
        }
    }

    fn bind_one(columns: &[&str], from: &str, ty: FieldType) -> Result<FieldSource, String> {
        let specs = [spec("f", Some(from), ty)];
        Binding::new(&specs, &info(columns, InputFormat::Csv))
            .map(|(b, _)| b.fields()[0].source.clone())
            .map_err(|e| e[0].to_string())
    }

    #[test]
    fn header_matching() {
        use FieldSource::*;
        let t = FieldType::Text;
        let cols = [
            "Task ID",
            "Hours per month",
            " skill ",
            "Labels",
            "Labels",
            "x#1",
            "Due Date",
            "due_date",
            "due-date",
        ];
        let ok: [(&str, FieldSource); 9] = [
            ("Task ID", Column(0)),
            ("task_id", Column(0)),
            ("TASK-ID", Column(0)),
            ("hours_per_month", Column(1)),
            ("skill", Column(2)),
            ("Labels#2", Column(4)),
            ("labels#1", Column(3)),
            ("Labels#*", Joined(vec![3, 4])),
            ("x#1", Column(5)),
        ];
        for (from, want) in ok {
            assert_eq!(bind_one(&cols, from, t.clone()), Ok(want), "{from}");
        }
        assert_eq!(bind_one(&cols, "due_date", t.clone()), Ok(Column(7)));
        let err = |from: &str, ty: FieldType| bind_one(&cols, from, ty).unwrap_err();
        assert_eq!(
            err("Labels", t.clone()),
            "t.csv: field \"f\": column \"Labels\" appears 2 times (columns 4, 5); choose one with from \
             \"Labels#2\" (the 2nd), or join them all with from \"Labels#*\""
        );
        assert!(err("Due date", t.clone()).contains("matches several columns: \"Due Date\" (column 7), \"due_date\" (column 8), \"due-date\" (column 9)"));
        assert!(
            err("Labels#3", t.clone())
                .contains("there are only 2 columns named \"Labels\" (columns 4, 5)")
        );
        assert!(err("Labels#0", t.clone()).contains("counted from 1"));
        assert!(err("Labels#*", FieldType::Number).contains("joins several columns into text"));
        assert!(err("hours", t.clone()).contains("no column \"hours\"; did you mean \"Hours per month\"?; the input has columns: Task ID, Hours per month"));
    }

    #[test]
    fn missing_optional_columns_are_warnings() {
        let mut specs = vec![
            spec("owner", None, FieldType::Text),
            spec("core", None, FieldType::Bool),
        ];
        specs[0].optional = true;
        specs[1].has_default = true;
        let (b, warnings) = Binding::new(&specs, &info(&["id"], InputFormat::Csv)).unwrap();
        assert_eq!(b.fields()[0].source, FieldSource::Absent);
        assert_eq!(warnings.len(), 2);
        assert_eq!(
            warnings[1].to_string(),
            "t.csv: field \"core\": no column \"core\"; the field is its default on every row"
        );
    }

    #[test]
    fn all_errors_together() {
        let specs = [
            spec("a", None, FieldType::Text),
            spec("b", None, FieldType::Text),
            spec("id", None, FieldType::Text),
        ];
        let errors = Binding::new(&specs, &info(&["id"], InputFormat::Csv)).unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn json_paths() {
        let specs = [
            spec("who", Some("owner.name"), FieldType::Text),
            spec("n", Some("a.b"), FieldType::Number),
            spec("due", Some("Due_Date"), FieldType::Text),
        ];
        let (b, _) = Binding::new(
            &specs,
            &info(&["Owner", "a.b", "due date"], InputFormat::Json),
        )
        .unwrap();
        let sources: Vec<_> = b.fields().iter().map(|f| f.source.clone()).collect();
        assert_eq!(
            sources,
            [
                FieldSource::Path(vec!["Owner".into(), "name".into()]),
                FieldSource::Path(vec!["a.b".into()]),
                FieldSource::Path(vec!["due date".into()])
            ]
        );
    }

    #[test]
    fn conversion_and_defaults() {
        let mut specs = vec![
            spec("id", None, FieldType::Text),
            spec("hours", None, FieldType::Number),
            spec(
                "skill",
                None,
                FieldType::Enum(vec!["none".into(), "expert_level".into()]),
            ),
            spec("core", None, FieldType::Bool),
            spec("owner", None, FieldType::Text),
        ];
        specs[3].has_default = true;
        specs[4].optional = true;
        let (b, _) = Binding::new(
            &specs,
            &info(&["id", "hours", "skill", "core", "owner"], InputFormat::Csv),
        )
        .unwrap();
        let defaults = vec![None, None, None, Some(Value::Bool(false)), None];
        let rec = Record::from_cells(7, &["T1", "45%", "Expert-Level", " ", ""]);
        let mut out = Vec::new();
        b.convert(&rec, &defaults, &mut out).unwrap();
        assert_eq!(
            out,
            [
                Value::Text("T1".into()),
                Value::Num(0.45),
                Value::Enum(1),
                Value::Bool(false),
                Value::Missing
            ]
        );
        let rec = Record::from_cells(9, &["T2", "", "none", "y", ""]);
        let e = b.convert(&rec, &defaults, &mut out).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv:9: column \"hours\": required value is empty"
        );
        let rec = Record::from_cells(10, &["T3", "3", "guru", "y", ""]);
        let e = b.convert(&rec, &defaults, &mut out).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv:10: column \"skill\": `guru` is not one of none, expert_level"
        );
    }
}
