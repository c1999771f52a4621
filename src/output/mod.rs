//! Writers of classified tasks: table, CSV, TSV, JSON, NDJSON and Markdown
//! (SPEC §9). CSV, TSV, JSON and NDJSON stream row by row; table and
//! Markdown must see every row to size their columns, so they keep them.

pub mod diff;
pub mod explain;
pub mod findings;

use crate::compile::{Program, Ty};
use crate::eval::{RuleTrace, Task};
use crate::input::Record;
use crate::value::{Value, format_number};
use std::borrow::Cow;
use std::io::{self, Write};

/// An output format of `classify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
    Markdown,
}

impl Format {
    /// The format a file name implies, by extension.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::Ndjson,
            "md" | "markdown" => Format::Markdown,
            "txt" => Format::Table,
            _ => return None,
        })
    }

    /// Whether the format keeps every row until the end.
    pub fn buffers(self) -> bool {
        matches!(self, Format::Table | Format::Markdown)
    }
}

/// The columns of the output: carried input columns, then what outsort adds.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// Input columns carried through: the union over all inputs, first-seen order.
    pub input: Vec<String>,
    pub scores: Vec<String>,
    pub has_label: bool,
    pub outputs: Vec<String>,
    pub explain: bool,
}

impl Schema {
    pub fn new(program: &Program, input: Vec<String>, explain: bool) -> Schema {
        Schema {
            input,
            scores: program.scores.iter().map(|s| s.name.clone()).collect(),
            has_label: program.label_enum.is_some(),
            outputs: program.outputs.iter().map(|o| o.name.clone()).collect(),
            explain,
        }
    }

    /// The names of the columns outsort adds, in order.
    pub fn added(&self) -> Vec<String> {
        let mut cols = self.scores.clone();
        if self.has_label {
            cols.push("label".into());
            cols.push("reason".into());
        }
        cols.extend(self.outputs.iter().cloned());
        if self.explain {
            cols.push("rules".into());
        }
        cols
    }
}

/// One classified task, as writers see it.
pub struct Row<'a> {
    pub program: &'a Program,
    pub task: &'a Task<'a>,
    pub record: &'a Record,
    /// The input's columns (for reading JSON records by name).
    pub columns: &'a [String],
    /// For each schema input column, the index of that column in this input.
    pub column_map: &'a [Option<usize>],
    pub reason: &'a str,
    pub trace: Option<&'a [RuleTrace]>,
}

impl Row<'_> {
    fn input_text(&self, i: usize) -> Cow<'_, str> {
        self.column_map
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| self.record.text(self.columns, c))
            .unwrap_or(Cow::Borrowed(""))
    }

    fn label(&self) -> &str {
        self.task.label.map_or("", |l| self.program.label_name(l))
    }

    fn output_text(&self, i: usize) -> String {
        let ty = self.program.outputs.get(i).map_or(Ty::Text, |o| o.ty);
        self.task
            .outputs
            .get(i)
            .map(|v| self.program.display(ty, v))
            .unwrap_or_default()
    }

    fn fired_rules(&self) -> String {
        self.task
            .fired
            .iter()
            .enumerate()
            .filter(|(_, f)| **f)
            .filter_map(|(i, _)| self.program.rules.get(i).map(|r| r.name.as_str()))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The row as text cells in schema order (input, added).
    fn cells(&self, schema: &Schema) -> Vec<String> {
        let mut cells: Vec<String> = (0..schema.input.len())
            .map(|i| self.input_text(i).into_owned())
            .collect();
        self.added_cells(schema, &mut cells);
        cells
    }

    fn added_cells(&self, schema: &Schema, cells: &mut Vec<String>) {
        cells.extend(self.task.scores.iter().map(|s| format_number(*s)));
        if schema.has_label {
            cells.push(self.label().to_string());
            cells.push(self.reason.to_string());
        }
        cells.extend((0..schema.outputs.len()).map(|i| self.output_text(i)));
        if schema.explain {
            cells.push(self.fired_rules());
        }
    }

    /// The row as a JSON object (SPEC §9).
    pub fn to_json(&self, schema: &Schema) -> serde_json::Value {
        use serde_json::{Map, Value as J};
        let mut obj = Map::new();
        obj.insert("key".into(), J::String(self.program.key_text(self.task)));
        if schema.has_label {
            obj.insert("label".into(), J::String(self.label().to_string()));
            obj.insert("reason".into(), J::String(self.reason.to_string()));
        }
        let scores: Map<String, J> = schema
            .scores
            .iter()
            .zip(&self.task.scores)
            .map(|(name, v)| (name.clone(), json_number(*v)))
            .collect();
        obj.insert("scores".into(), J::Object(scores));
        let outputs: Map<String, J> = self
            .program
            .outputs
            .iter()
            .zip(&self.task.outputs)
            .map(|(o, v)| (o.name.clone(), self.json_value(o.ty, v)))
            .collect();
        obj.insert("outputs".into(), J::Object(outputs));
        let input = match self.record.json() {
            Some(m) => {
                let mut out = Map::new();
                for (i, name) in schema.input.iter().enumerate() {
                    let value = self
                        .column_map
                        .get(i)
                        .copied()
                        .flatten()
                        .and_then(|c| self.columns.get(c))
                        .and_then(|k| m.get(k))
                        .cloned()
                        .unwrap_or(J::Null);
                    out.insert(name.clone(), value);
                }
                out
            }
            None => schema
                .input
                .iter()
                .enumerate()
                .map(|(i, name)| (name.clone(), J::String(self.input_text(i).into_owned())))
                .collect(),
        };
        obj.insert("input".into(), J::Object(input));
        if let Some(trace) = self.trace {
            let fired: Vec<J> = trace
                .iter()
                .filter(|t| t.fired)
                .map(|t| {
                    let mut deltas = Map::new();
                    for (score, d) in &t.deltas {
                        let name = self
                            .program
                            .scores
                            .get(*score as usize)
                            .map_or("?", |s| s.name.as_str());
                        let prev = deltas.get(name).and_then(J::as_f64).unwrap_or(0.0);
                        deltas.insert(name.to_string(), json_number(prev + d));
                    }
                    let rule = self
                        .program
                        .rules
                        .get(t.rule)
                        .map_or("?", |r| r.name.as_str());
                    serde_json::json!({ "rule": rule, "deltas": deltas })
                })
                .collect();
            obj.insert("explain".into(), J::Array(fired));
        }
        J::Object(obj)
    }

    fn json_value(&self, ty: Ty, v: &Value<'_>) -> serde_json::Value {
        use serde_json::Value as J;
        match v {
            Value::Missing => J::Null,
            Value::Num(n) => json_number(*n),
            Value::Bool(b) => J::Bool(*b),
            _ => J::String(self.program.display(ty, v)),
        }
    }
}

/// A number as JSON: integers without a fraction, others rounded like text.
pub fn json_number(n: f64) -> serde_json::Value {
    let text = format_number(n);
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Writes rows in one format.
pub trait Writer {
    fn row(&mut self, row: &Row<'_>) -> io::Result<()>;
    /// Ends the output (closes a JSON array, prints a buffered table).
    fn finish(&mut self) -> io::Result<()>;
}

/// Makes a writer; `width` is the terminal width for tables.
pub fn writer<'w>(
    format: Format,
    schema: Schema,
    out: Box<dyn Write + 'w>,
    width: Option<u16>,
) -> io::Result<Box<dyn Writer + 'w>> {
    Ok(match format {
        Format::Csv | Format::Tsv => {
            let mut csv = csv::WriterBuilder::new()
                .delimiter(if format == Format::Tsv { b'\t' } else { b',' })
                .from_writer(out);
            let mut header = schema.input.clone();
            header.extend(schema.added());
            csv.write_record(&header)?;
            Box::new(CsvWriter {
                csv,
                schema,
                buf: Vec::new(),
            })
        }
        Format::Json => Box::new(JsonWriter {
            out,
            schema,
            first: true,
            lines: false,
        }),
        Format::Ndjson => Box::new(JsonWriter {
            out,
            schema,
            first: true,
            lines: true,
        }),
        Format::Table | Format::Markdown => Box::new(TableWriter {
            out,
            schema,
            rows: Vec::new(),
            markdown: format == Format::Markdown,
            width,
            header: Vec::new(),
        }),
    })
}

struct CsvWriter<'w> {
    csv: csv::Writer<Box<dyn Write + 'w>>,
    schema: Schema,
    buf: Vec<String>,
}

impl Writer for CsvWriter<'_> {
    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        for i in 0..self.schema.input.len() {
            self.csv.write_field(row.input_text(i).as_bytes())?;
        }
        self.buf.clear();
        row.added_cells(&self.schema, &mut self.buf);
        for cell in &self.buf {
            self.csv.write_field(cell.as_bytes())?;
        }
        self.csv.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.csv.flush()
    }
}

struct JsonWriter<'w> {
    out: Box<dyn Write + 'w>,
    schema: Schema,
    first: bool,
    lines: bool,
}

impl Writer for JsonWriter<'_> {
    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        let value = row.to_json(&self.schema);
        if self.lines {
            serde_json::to_writer(&mut self.out, &value)?;
            self.out.write_all(b"\n")?;
        } else {
            self.out
                .write_all(if self.first { b"[\n  " } else { b",\n  " })?;
            serde_json::to_writer(&mut self.out, &value)?;
        }
        self.first = false;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.lines {
            self.out
                .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        }
        self.out.flush()
    }
}

/// Table and Markdown: the key, a name-like column, then what outsort adds;
/// the full rows are in the CSV and JSON formats.
struct TableWriter<'w> {
    out: Box<dyn Write + 'w>,
    schema: Schema,
    rows: Vec<Vec<String>>,
    markdown: bool,
    width: Option<u16>,
    header: Vec<String>,
}

impl TableWriter<'_> {
    fn shown_cells(&mut self, row: &Row<'_>) -> Vec<String> {
        let program = row.program;
        let key = program
            .fields
            .get(program.key as usize)
            .map_or("key", |f| f.name.as_str());
        let name_field = program
            .fields
            .iter()
            .enumerate()
            .find(|(i, f)| *i != program.key as usize && f.ty == Ty::Text && !f.optional)
            .map(|(i, f)| (i, f.name.clone()));
        if self.header.is_empty() {
            self.header.push(key.to_string());
            if let Some((_, n)) = &name_field {
                self.header.push(n.clone());
            }
            self.header.extend(self.schema.added());
        }
        let mut cells = vec![program.key_text(row.task)];
        if let Some((i, _)) = name_field {
            cells.push(
                row.task
                    .fields
                    .get(i)
                    .map(|v| program.display(Ty::Text, v))
                    .unwrap_or_default(),
            );
        }
        row.added_cells(&self.schema, &mut cells);
        cells
    }
}

impl Writer for TableWriter<'_> {
    fn row(&mut self, row: &Row<'_>) -> io::Result<()> {
        let cells = self.shown_cells(row);
        self.rows.push(cells);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.header.is_empty() {
            self.header = self.schema.added();
        }
        if self.markdown {
            write_markdown(&mut self.out, &self.header, &self.rows)?;
        } else {
            let mut table = comfy_table::Table::new();
            table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            if let Some(w) = self.width {
                table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                table.set_width(w);
            }
            table.set_header(self.header.clone());
            for r in &self.rows {
                table.add_row(r.clone());
            }
            writeln!(self.out, "{table}")?;
        }
        self.out.flush()
    }
}

/// Escapes a cell for a Markdown table.
fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

pub fn write_markdown(
    out: &mut dyn Write,
    header: &[String],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let line = |cells: &[String]| {
        format!(
            "| {} |",
            cells
                .iter()
                .map(|c| md_cell(c))
                .collect::<Vec<_>>()
                .join(" | ")
        )
    };
    writeln!(out, "{}", line(header))?;
    writeln!(
        out,
        "|{}",
        header.iter().map(|_| "---|").collect::<String>()
    )?;
    for r in rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

/// The text cells of a row in schema order, for callers that gather rows.
pub fn row_cells(row: &Row<'_>, schema: &Schema) -> Vec<String> {
    row.cells(schema)
}
