//! Writers of classified tasks: table, CSV, TSV, JSON, NDJSON and Markdown
//! (SPEC §9). CSV, TSV, JSON and NDJSON stream row by row; table and
//! Markdown must see every row to size their columns, so they keep them.

pub mod diff;
pub mod explain;
pub mod findings;
pub mod report;

use crate::compile::{Program, Ty};
use crate::eval::{RuleTrace, Task};
use crate::input::{JsonValue, Record, RecordData};
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

    /// Hands each added cell, in schema order, to `emit`, formatting into
    /// `scratch` so no cell allocates.
    fn each_added(
        &self,
        schema: &Schema,
        scratch: &mut String,
        mut emit: impl FnMut(&str, bool) -> io::Result<()>,
    ) -> io::Result<()> {
        // The second argument says the cell is safe: a number, a label or
        // another value that never holds a quote, delimiter or line break.
        for s in &self.task.scores {
            scratch.clear();
            crate::value::write_number(scratch, *s);
            emit(scratch, true)?;
        }
        if schema.has_label {
            emit(self.label(), true)?;
            emit(self.reason, false)?;
        }
        for i in 0..schema.outputs.len() {
            match self.task.outputs.get(i) {
                Some(Value::Text(t)) => emit(t, false)?,
                Some(Value::Num(n)) => {
                    scratch.clear();
                    crate::value::write_number(scratch, *n);
                    emit(scratch, true)?;
                }
                Some(Value::Missing) | None => emit("", true)?,
                Some(_) => emit(&self.output_text(i), false)?,
            }
        }
        if schema.explain {
            emit(&self.fired_rules(), false)?;
        }
        Ok(())
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
                        .and_then(|c| m.get_hinted(self.columns.get(c)?, c))
                        .map_or(J::Null, |v| v.to_json());
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

/// A row serialised straight to JSON, in the order of SPEC §9 and with input
/// columns in file order, without building a JSON tree first.
struct JsonRow<'a, 'r> {
    row: &'a Row<'r>,
    schema: &'a Schema,
}

/// A number as printed in text, as a JSON number.
struct Num(f64);

impl serde::Serialize for Num {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        if n.fract() == 0.0 && n.abs() < 1e15 {
            s.serialize_i64(n as i64)
        } else {
            s.serialize_f64(format_number(n).parse().unwrap_or(n))
        }
    }
}

/// Pairs serialised as a JSON object.
struct Obj<I>(std::cell::Cell<Option<I>>);

impl<K: serde::Serialize, V: serde::Serialize, I: Iterator<Item = (K, V)>> serde::Serialize
    for Obj<I>
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        if let Some(items) = self.0.take() {
            for (k, v) in items {
                map.serialize_entry(&k, &v)?;
            }
        }
        map.end()
    }
}

fn obj<K, V, I: Iterator<Item = (K, V)>>(items: I) -> Obj<I> {
    Obj(std::cell::Cell::new(Some(items)))
}

impl serde::Serialize for JsonRow<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let row = self.row;
        let program = row.program;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("key", &program.key_text(row.task))?;
        if self.schema.has_label {
            map.serialize_entry("label", row.label())?;
            map.serialize_entry("reason", row.reason)?;
        }
        map.serialize_entry(
            "scores",
            &obj(self
                .schema
                .scores
                .iter()
                .zip(&row.task.scores)
                .map(|(n, v)| (n, Num(*v)))),
        )?;
        map.serialize_entry(
            "outputs",
            &obj(program
                .outputs
                .iter()
                .zip(&row.task.outputs)
                .map(|(o, v)| (o.name.as_str(), row.json_value(o.ty, v)))),
        )?;
        match row.record.json() {
            Some(m) => map.serialize_entry(
                "input",
                &obj(self.schema.input.iter().enumerate().map(|(i, name)| {
                    let value = row
                        .column_map
                        .get(i)
                        .copied()
                        .flatten()
                        .and_then(|c| m.get_hinted(row.columns.get(c)?, c))
                        .unwrap_or(JsonValue::Null);
                    (name, value)
                })),
            )?,
            None => map.serialize_entry(
                "input",
                &obj(self
                    .schema
                    .input
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (name, row.input_text(i)))),
            )?,
        }
        if row.trace.is_some() {
            map.serialize_entry("explain", &row.to_json(self.schema)["explain"])?;
        }
        map.end()
    }
}

/// A number as JSON: integers without a fraction, others rounded like text.
pub fn json_number(n: f64) -> serde_json::Value {
    let text = format_number(n);
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// Formats rows into chunks; shared by the threads that evaluate tasks.
pub struct Formatter {
    format: Format,
    schema: Schema,
    /// Table and Markdown: the name-like field shown after the key.
    name_field: Option<usize>,
    header: Vec<String>,
    /// Output buffers the sink has written out, for the next chunks.
    spare: Spare,
}

/// Buffers handed back by the [`Sink`], so that each batch does not
/// allocate (and grow) its own.
type Spare = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

/// How many spare buffers are kept: a few per thread.
const SPARE_BUFFERS: usize = 32;
/// The capacity of a new chunk buffer: room for a batch of typical rows.
const CHUNK_BYTES: usize = 1 << 17;

/// CSV or TSV rows written straight into a buffer, quoted as the `csv`
/// crate quotes them (the header is written by it): a cell holding the
/// delimiter, a quote or a line break is quoted, its quotes doubled; a
/// record of one empty cell is `""`.
struct CsvRows {
    out: Vec<u8>,
    delimiter: u8,
    /// Where the record being written starts in `out`.
    record_start: usize,
    /// Cells written of that record.
    cells: usize,
    /// For each cell of the input record, whether it needs quotes.
    quote: Vec<bool>,
    /// The last column map seen, and whether it carries every input column
    /// in place.
    in_place: (Vec<Option<usize>>, bool),
}

impl CsvRows {
    fn new(out: Vec<u8>, delimiter: u8) -> CsvRows {
        CsvRows {
            out,
            delimiter,
            record_start: 0,
            cells: 0,
            quote: Vec::new(),
            in_place: (Vec::new(), false),
        }
    }

    /// Whether `column_map` writes the `n` cells of an input record as they
    /// are, in their order; remembered for the map last asked about.
    fn in_place(&mut self, column_map: &[Option<usize>], n: usize) -> bool {
        if self.in_place.0 != column_map {
            let verdict = column_map.iter().enumerate().all(|(i, c)| *c == Some(i));
            self.in_place = (column_map.to_vec(), verdict);
        }
        self.in_place.1 && column_map.len() == n
    }

    /// Writes `n` cells that need no quotes, given as they are in `text`
    /// with this writer's delimiter between them.
    fn separated_fields(&mut self, text: &[u8], n: usize) {
        if self.cells > 0 {
            self.out.push(self.delimiter);
        }
        self.cells += n;
        self.out.extend_from_slice(text);
    }

    /// Writes a cell, quoted when it needs to be.
    fn field(&mut self, cell: &[u8]) {
        let d = self.delimiter;
        let special = if cell.len() >= 16 {
            memchr::memchr3(b'"', b'\n', b'\r', cell).is_some() || memchr::memchr(d, cell).is_some()
        } else {
            cell.iter()
                .any(|&b| b == d || b == b'"' || b == b'\n' || b == b'\r')
        };
        if special {
            self.quoted_field(cell);
        } else {
            self.plain_field(cell);
        }
    }

    /// Finds the cells of a record that need quotes: those holding a
    /// delimiter, quote or line break. `text` is the record's cells one
    /// after the other, `ends` where each ends. Such bytes are rare, so two
    /// vectorised searches over the whole record replace a look at each
    /// byte of each cell.
    fn mark_cells(&mut self, text: &[u8], ends: &[usize]) {
        self.quote.clear();
        self.quote.resize(ends.len(), false);
        let quote = &mut self.quote;
        let mut mark = |cell: &mut usize, at: usize| {
            while ends.get(*cell).is_some_and(|&end| end <= at) {
                *cell += 1;
            }
            if let Some(q) = quote.get_mut(*cell) {
                *q = true;
            }
        };
        let mut cell = 0;
        for at in memchr::memchr3_iter(b'"', b'\n', b'\r', text) {
            mark(&mut cell, at);
        }
        let mut cell = 0;
        for at in memchr::memchr_iter(self.delimiter, text) {
            mark(&mut cell, at);
        }
    }

    /// Whether cell `i` of the record given to [`CsvRows::mark_cells`] needs quotes.
    fn marked(&self, i: usize) -> bool {
        self.quote.get(i).copied().unwrap_or(false)
    }

    /// Writes a cell known to need no quotes.
    fn plain_field(&mut self, cell: &[u8]) {
        if self.cells > 0 {
            self.out.push(self.delimiter);
        }
        self.cells += 1;
        self.out.extend_from_slice(cell);
    }

    /// Writes a cell in quotes, its quotes doubled.
    fn quoted_field(&mut self, cell: &[u8]) {
        if self.cells > 0 {
            self.out.push(self.delimiter);
        }
        self.cells += 1;
        self.out.push(b'"');
        let mut rest = cell;
        while let Some(at) = memchr::memchr(b'"', rest) {
            let (upto, after) = rest.split_at(at + 1);
            self.out.extend_from_slice(upto);
            self.out.push(b'"');
            rest = after;
        }
        self.out.extend_from_slice(rest);
        self.out.push(b'"');
    }

    fn end_record(&mut self) {
        if self.out.len() == self.record_start {
            self.out.extend_from_slice(b"\"\"");
        }
        self.out.push(b'\n');
        self.record_start = self.out.len();
        self.cells = 0;
    }
}

/// Formatted rows of one batch, written out in input order by a [`Sink`].
pub struct Chunk {
    csv: Option<CsvRows>,
    json: Vec<u8>,
    rows: Vec<Vec<String>>,
    scratch: String,
}

impl Formatter {
    pub fn new(program: &Program, format: Format, schema: Schema) -> Formatter {
        let key = program
            .fields
            .get(program.key as usize)
            .map_or("key", |f| f.name.as_str());
        let name_field = program.name_field();
        let mut header = vec![key.to_string()];
        if let Some(f) = name_field.and_then(|i| program.fields.get(i)) {
            header.push(f.name.clone());
        }
        header.extend(schema.added());
        Formatter {
            format,
            schema,
            name_field,
            header,
            spare: Spare::default(),
        }
    }

    /// A spare output buffer, emptied, or a new one.
    fn buffer(&self) -> Vec<u8> {
        let spare = self.spare.lock().ok().and_then(|mut s| s.pop());
        spare.unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES))
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    pub fn chunk(&self) -> Chunk {
        let csv = match self.format {
            Format::Csv | Format::Tsv => Some(CsvRows::new(
                self.buffer(),
                if self.format == Format::Tsv {
                    b'\t'
                } else {
                    b','
                },
            )),
            _ => None,
        };
        let json = match self.format {
            Format::Json | Format::Ndjson => self.buffer(),
            _ => Vec::new(),
        };
        Chunk {
            csv,
            json,
            rows: Vec::new(),
            scratch: String::new(),
        }
    }

    /// Formats one row into a chunk.
    pub fn row(&self, row: &Row<'_>, chunk: &mut Chunk) -> io::Result<()> {
        match self.format {
            Format::Csv | Format::Tsv => {
                let Some(csv) = chunk.csv.as_mut() else {
                    return Ok(());
                };
                let cells = match row.record.data() {
                    RecordData::Csv(cells) => Some(cells),
                    RecordData::Json(_) => None,
                };
                let mut written = false;
                if let Some(cells) = cells {
                    if cells.separator() == Some(csv.delimiter) {
                        // A plain line: no cell needs quotes, and carried
                        // whole, the line is the output.
                        csv.quote.clear();
                        if !cells.is_empty()
                            && self.schema.input.len() == cells.len()
                            && csv.in_place(row.column_map, cells.len())
                        {
                            csv.separated_fields(cells.as_str().as_bytes(), cells.len());
                            written = true;
                        }
                    } else {
                        csv.mark_cells(cells.as_str().as_bytes(), cells.ends());
                    }
                }
                for i in 0..self.schema.input.len() {
                    if written {
                        break;
                    }
                    let column = row.column_map.get(i).copied().flatten();
                    if let Some(cells) = cells {
                        // CSV cells go out as read: no conversion.
                        let bytes = column.and_then(|c| cells.get(c)).unwrap_or("").as_bytes();
                        if column.is_some_and(|c| csv.marked(c)) {
                            csv.quoted_field(bytes);
                        } else {
                            csv.plain_field(bytes);
                        }
                    } else {
                        csv.field(row.input_text(i).as_bytes());
                    }
                }
                row.each_added(&self.schema, &mut chunk.scratch, |cell, safe| {
                    if safe {
                        csv.plain_field(cell.as_bytes());
                    } else {
                        csv.field(cell.as_bytes());
                    }
                    Ok(())
                })?;
                csv.end_record();
            }
            Format::Json | Format::Ndjson => {
                if self.format == Format::Json && !chunk.json.is_empty() {
                    chunk.json.extend_from_slice(b",\n  ");
                }
                serde_json::to_writer(
                    &mut chunk.json,
                    &JsonRow {
                        row,
                        schema: &self.schema,
                    },
                )?;
                if self.format == Format::Ndjson {
                    chunk.json.push(b'\n');
                }
            }
            Format::Table | Format::Markdown => {
                let program = row.program;
                let mut cells = vec![program.key_text(row.task)];
                if let Some(i) = self.name_field {
                    cells.push(
                        row.task
                            .fields
                            .get(i)
                            .map(|v| program.display(Ty::Text, v))
                            .unwrap_or_default(),
                    );
                }
                row.added_cells(&self.schema, &mut cells);
                chunk.rows.push(cells);
            }
        }
        Ok(())
    }
}

/// Writes chunks in order: the header first, the closing lines last.
pub struct Sink<'w> {
    format: Format,
    out: Box<dyn Write + Send + 'w>,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    wrote_json: bool,
    width: Option<u16>,
    spare: Spare,
}

impl<'w> Sink<'w> {
    /// Starts the output; `width` is the terminal width for tables.
    pub fn new(
        formatter: &Formatter,
        mut out: Box<dyn Write + Send + 'w>,
        width: Option<u16>,
    ) -> io::Result<Sink<'w>> {
        if matches!(formatter.format, Format::Csv | Format::Tsv) {
            let mut header = formatter.schema.input.clone();
            header.extend(formatter.schema.added());
            let mut csv = csv::WriterBuilder::new()
                .delimiter(if formatter.format == Format::Tsv {
                    b'\t'
                } else {
                    b','
                })
                .from_writer(&mut out);
            csv.write_record(&header)?;
            csv.flush()?;
        }
        Ok(Sink {
            format: formatter.format,
            out,
            header: formatter.header.clone(),
            rows: Vec::new(),
            wrote_json: false,
            width,
            spare: formatter.spare.clone(),
        })
    }

    pub fn chunk(&mut self, chunk: Chunk) -> io::Result<()> {
        if let Some(csv) = chunk.csv {
            self.out.write_all(&csv.out)?;
            self.give_back(csv.out);
        }
        if !chunk.json.is_empty() {
            if self.format == Format::Json {
                self.out
                    .write_all(if self.wrote_json { b",\n  " } else { b"[\n  " })?;
            }
            self.out.write_all(&chunk.json)?;
            self.wrote_json = true;
        }
        self.give_back(chunk.json);
        self.rows.extend(chunk.rows);
        Ok(())
    }

    /// Keeps a written buffer for the formatter's next chunks.
    fn give_back(&self, mut buffer: Vec<u8>) {
        if buffer.capacity() == 0 {
            return;
        }
        buffer.clear();
        if let Ok(mut spare) = self.spare.lock()
            && spare.len() < SPARE_BUFFERS
        {
            spare.push(buffer);
        }
    }

    /// On a terminal too narrow for the whole table, drops the columns after
    /// `reason` (the outputs) from the right until the rest fits; returns
    /// the names of the columns dropped.
    fn fit_columns(&mut self) -> Vec<String> {
        let Some(width) = self.width.map(usize::from) else {
            return Vec::new();
        };
        let first_droppable = self
            .header
            .iter()
            .position(|h| h == "reason")
            .map_or(self.header.len(), |i| i + 1);
        let natural = |i: usize, header: &[String], rows: &[Vec<String>]| -> usize {
            let cells = rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count());
            cells
                .chain(header.get(i).map(|h| h.chars().count()))
                .max()
                .unwrap_or(0)
                + 3
        };
        let mut hidden = Vec::new();
        loop {
            let total: usize = (0..self.header.len())
                .map(|i| natural(i, &self.header, &self.rows))
                .sum::<usize>()
                + 1;
            if total <= width || self.header.len() <= first_droppable {
                break;
            }
            if let Some(name) = self.header.pop() {
                hidden.insert(0, name);
            }
            for r in &mut self.rows {
                r.truncate(self.header.len());
            }
        }
        hidden
    }

    /// Ends the output (closes a JSON array, prints a buffered table).
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json => self
                .out
                .write_all(if self.wrote_json { b"\n]\n" } else { b"[]\n" })?,
            Format::Markdown => write_markdown(&mut self.out, &self.header, &self.rows)?,
            Format::Table => {
                let hidden = self.fit_columns();
                let mut table = comfy_table::Table::new();
                table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
                if let Some(w) = self.width {
                    table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
                    table.set_width(w);
                }
                // Cells may hold line breaks (shown as such, inside the
                // table) but no other control characters.
                let safe = |c: &String| crate::quote::escape_keep_lines(c).into_owned();
                table.set_header(self.header.iter().map(safe).collect::<Vec<_>>());
                for r in std::mem::take(&mut self.rows) {
                    table.add_row(r.iter().map(safe).collect::<Vec<_>>());
                }
                writeln!(self.out, "{table}")?;
                if !hidden.is_empty() {
                    writeln!(
                        self.out,
                        "{} more column{} for this width: {}; see them all with -f csv or -f json",
                        hidden.len(),
                        if hidden.len() == 1 { "" } else { "s" },
                        crate::quote::escape(&hidden.join(", "))
                    )?;
                }
            }
            _ => {}
        }
        self.out.flush()
    }
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
                .map(|c| crate::quote::markdown_cell(c))
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

#[cfg(test)]
mod tests {
    use super::CsvRows;

    /// Records of random cells written by [`CsvRows`] and by the `csv` crate
    /// are the same bytes.
    #[test]
    fn csv_rows_quote_as_the_csv_crate() {
        let pieces: [&[u8]; 11] = [
            b"",
            b"a",
            b"x y",
            b",",
            b"\t",
            b"\"",
            b"\n",
            b"\r\n",
            b"\xc3\xa9",
            b"\r",
            b"a cell of 20 bytes..",
        ];
        let mut seed: u64 = 7;
        for delimiter in [b',', b'\t'] {
            let mut ours = CsvRows::new(Vec::new(), delimiter);
            let mut theirs = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .flexible(true)
                .from_writer(Vec::new());
            for _ in 0..2_000 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let cells = (seed % 4) as usize;
                let mut record: Vec<Vec<u8>> = Vec::new();
                for c in 0..cells {
                    let mut cell = Vec::new();
                    for k in 0..(seed >> (c * 5)) % 6 {
                        cell.extend_from_slice(
                            pieces[((seed >> (k as usize * 3 + c)) % 11) as usize],
                        );
                    }
                    record.push(cell);
                }
                for cell in &record {
                    ours.field(cell);
                }
                ours.end_record();
                theirs.write_record(&record).unwrap();
            }
            let theirs = theirs.into_inner().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&ours.out),
                String::from_utf8_lossy(&theirs)
            );
            assert!(
                ours.out.windows(2).any(|w| w == b"\"\""),
                "quotes were written"
            );
        }
    }

    /// The cells [`CsvRows::mark_cells`] marks are those that need quotes.
    #[test]
    fn marks_the_cells_that_need_quotes() {
        let cells: [&str; 7] = ["plain", "a,b", "", "say \"hi\"", "two\nlines", "x\ry", "z"];
        let text: String = cells.concat();
        let mut end = 0;
        let ends: Vec<usize> = cells
            .iter()
            .map(|c| {
                end += c.len();
                end
            })
            .collect();
        let mut rows = CsvRows::new(Vec::new(), b',');
        rows.mark_cells(text.as_bytes(), &ends);
        let marked: Vec<bool> = (0..cells.len()).map(|i| rows.marked(i)).collect();
        assert_eq!(marked, [false, true, false, true, true, true, false]);
        assert!(!rows.marked(cells.len()), "past the last cell");
    }
}
