//! The pass over the inputs that classify, check and the other data commands
//! share: open and bind every input, then read, convert and evaluate each row,
//! reporting bad rows without stopping.

use super::{Exit, InputArgs, Ui};
use outsort::Program;
use outsort::eval::{RuleTrace, Task};
use outsort::input::{Binding, FieldSpec, InputReader, InputSource, ReadError, Record, RowError};
use outsort::value::Value;
use std::io::{IsTerminal, Write};

/// How many row errors are printed before only counting them.
const SHOWN_ROW_ERRORS: u64 = 20;

/// One input, opened and bound to the rule set's fields.
pub struct Opened {
    pub name: String,
    pub reader: InputReader,
    pub binding: Binding,
    /// Bindings for the further rule sets given to [`open_for`], in order.
    pub others: Vec<Binding>,
    pub columns: Vec<String>,
    /// For each carried column of the output, its index in this input.
    pub column_map: Vec<Option<usize>>,
}

/// All inputs of a run and the union of their columns.
pub struct Inputs {
    pub opened: Vec<Opened>,
    /// Columns carried into the output: the union, first-seen order.
    pub columns: Vec<String>,
}

/// The field specifications the readers bind.
pub fn field_specs(program: &Program) -> Vec<FieldSpec> {
    program
        .fields
        .iter()
        .map(|f| FieldSpec {
            name: f.name.clone(),
            from: f.from.clone(),
            ty: f.field_type.clone(),
            optional: f.optional,
            has_default: f.default.is_some(),
        })
        .collect()
}

/// Opens every input and binds it. Errors are printed; `Err` carries exit 2.
/// `reserved` are the column names outsort adds: an input column with one of
/// those names is an error unless `overwrite`, which drops the input's column.
pub fn open(
    ui: &Ui,
    program: &Program,
    args: &InputArgs,
    reserved: &[String],
    overwrite: bool,
) -> Result<Inputs, Exit> {
    open_for(ui, &[("", program)], args, reserved, overwrite)
}

/// Like [`open`], binding every input to several rule sets, each named for
/// its messages (`""` adds nothing): the first to [`Opened::binding`], the
/// others to [`Opened::others`].
pub fn open_for(
    ui: &Ui,
    programs: &[(&str, &Program)],
    args: &InputArgs,
    reserved: &[String],
    overwrite: bool,
) -> Result<Inputs, Exit> {
    let mut names: Vec<String> = args.inputs.clone();
    if names.is_empty() {
        if std::io::stdin().is_terminal() {
            ui.error(
                "no input: name a CSV, TSV, JSON or NDJSON file, or pipe one into standard input",
            );
            eprintln!("  for example: outsort classify examples/tasks.csv");
            return Err(Exit::Error);
        }
        names.push("-".into());
    }
    if names.iter().filter(|n| *n == "-").count() > 1 {
        ui.error("standard input (`-`) can be read only once");
        return Err(Exit::Error);
    }
    let specs: Vec<(&str, Vec<FieldSpec>)> = programs
        .iter()
        .map(|(label, p)| (*label, field_specs(p)))
        .collect();
    let prefix = |label: &str| {
        if label.is_empty() {
            String::new()
        } else {
            format!("{label}: ")
        }
    };
    let options = args.options();
    let mut opened = Vec::new();
    let mut failed = false;
    let mut union: Vec<String> = Vec::new();
    for name in &names {
        let source = InputSource::from_arg(name);
        let reader = match InputReader::open(&source, &options) {
            Ok(r) => r,
            Err(e) => {
                ui.error(&e.to_string());
                failed = true;
                continue;
            }
        };
        let info = reader.info().clone();
        let mut bindings = Vec::new();
        for (label, specs) in &specs {
            match Binding::new(specs, &info) {
                Ok((binding, warnings)) => {
                    for w in warnings {
                        ui.warning(&format!("{}{w}", prefix(label)));
                    }
                    bindings.push(binding);
                }
                Err(errors) => {
                    for e in errors {
                        ui.error(&format!("{}{e}", prefix(label)));
                    }
                    failed = true;
                }
            }
        }
        if bindings.len() != specs.len() {
            continue;
        }
        let mut bindings = bindings.into_iter();
        let Some(binding) = bindings.next() else {
            continue;
        };
        for c in &info.columns {
            if !union.contains(c) {
                union.push(c.clone());
            }
        }
        opened.push(Opened {
            name: source.name(),
            reader,
            binding,
            others: bindings.collect(),
            columns: info.columns.clone(),
            column_map: Vec::new(),
        });
    }
    if failed {
        return Err(Exit::Error);
    }
    let clashes: Vec<&String> = union.iter().filter(|c| reserved.contains(c)).collect();
    if !clashes.is_empty() {
        if overwrite {
            union.retain(|c| !reserved.contains(c));
        } else {
            let list: Vec<String> = clashes.iter().map(|c| format!("`{c}`")).collect();
            ui.error(&format!(
                "the input already has {} {}, which outsort adds to its results",
                if list.len() == 1 {
                    "a column"
                } else {
                    "columns"
                },
                list.join(", ")
            ));
            eprintln!(
                "  rename the column, or pass --overwrite to replace it with outsort's value"
            );
            return Err(Exit::Error);
        }
    }
    for o in &mut opened {
        o.column_map = union
            .iter()
            .map(|c| o.columns.iter().position(|x| x == c))
            .collect();
    }
    Ok(Inputs {
        opened,
        columns: union,
    })
}

impl Opened {
    /// The binding for the `i`-th rule set given to [`open_for`].
    pub fn binding_for(&self, i: usize) -> Option<&Binding> {
        match i {
            0 => Some(&self.binding),
            _ => self.others.get(i - 1),
        }
    }
}

/// Prints row errors: the first few in full, then only a count.
pub struct RowErrors {
    pub count: u64,
    color: bool,
}

impl RowErrors {
    pub fn new(ui: &Ui) -> RowErrors {
        RowErrors {
            count: 0,
            color: ui.color,
        }
    }

    pub fn report(&mut self, message: &str) {
        self.count += 1;
        if self.count <= SHOWN_ROW_ERRORS {
            if self.color {
                eprintln!("\x1b[1;31merror\x1b[0m: {message}");
            } else {
                eprintln!("error: {message}");
            }
        }
    }

    fn row(&mut self, e: &RowError) {
        self.report(&e.to_string());
    }

    /// The closing count line; the exit code is 2 with row errors unless
    /// `skip_invalid`.
    pub fn finish(&self, skip_invalid: bool) -> Exit {
        if self.count == 0 {
            return Exit::Success;
        }
        if self.count > SHOWN_ROW_ERRORS {
            eprintln!("… and {} more row errors", self.count - SHOWN_ROW_ERRORS);
        }
        let rows = if self.count == 1 { "1 row" } else { "rows" };
        let count = if self.count == 1 {
            String::new()
        } else {
            format!("{} ", self.count)
        };
        if skip_invalid {
            eprintln!("{count}{rows} skipped (--skip-invalid); the other rows were processed");
            Exit::Success
        } else {
            eprintln!(
                "{count}{rows} could not be processed; the other rows were written. Fix them, or pass --skip-invalid to accept skipping them."
            );
            Exit::Error
        }
    }
}

/// What the callback sees of each evaluated task.
pub struct TaskView<'a> {
    pub task: &'a Task<'a>,
    pub record: &'a Record,
    pub input: &'a Opened,
    pub trace: Option<&'a [RuleTrace]>,
}

/// Counts of a pass.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tasks: u64,
}

/// Reads every input, converts and evaluates each row, and hands each task to
/// `f`, which may report a task as a bad row too. Bad rows go to `errors`. A
/// fatal input error is printed and ends the pass with exit 2; an output
/// error too.
pub fn run(
    ui: &Ui,
    program: &Program,
    inputs: &mut Inputs,
    today: i32,
    trace: bool,
    errors: &mut RowErrors,
    mut f: impl FnMut(&TaskView<'_>, &mut RowErrors) -> std::io::Result<()>,
) -> Result<Counts, Exit> {
    let evaluator = Evaluator::new(program, today);
    let mut spare: Task<'static> = program.new_task();
    let mut traces: Vec<RuleTrace> = Vec::new();
    each_record(ui, inputs, errors, |input, record, errors| {
        traces.clear();
        let task = match evaluator.task(
            &input.binding,
            &input.name,
            record,
            &mut spare,
            if trace { Some(&mut traces) } else { None },
        ) {
            Ok(t) => t,
            Err(message) => {
                errors.report(&message);
                return Ok(false);
            }
        };
        let view = TaskView {
            task: &task,
            record,
            input,
            trace: if trace { Some(&traces) } else { None },
        };
        let written = f(&view, errors);
        spare = task.recycle();
        written.map(|()| true)
    })
}

/// One rule set's side of a pass: its field defaults and the date of the run.
pub struct Evaluator<'p> {
    pub program: &'p Program,
    defaults: Vec<Option<Value<'static>>>,
    today: i32,
}

impl<'p> Evaluator<'p> {
    pub fn new(program: &'p Program, today: i32) -> Evaluator<'p> {
        Evaluator {
            program,
            defaults: program.fields.iter().map(|f| f.default.clone()).collect(),
            today,
        }
    }

    /// Converts a record with `binding` and evaluates it, in the buffers of
    /// `spare` (given back there on error; the caller recycles a returned
    /// task into it). The error is the row error's message, naming the input
    /// `name` and the line.
    pub fn task<'s>(
        &'s self,
        binding: &Binding,
        name: &str,
        record: &'s Record,
        spare: &mut Task<'static>,
        trace: Option<&mut Vec<RuleTrace>>,
    ) -> Result<Task<'s>, String> {
        let mut task: Task<'s> = std::mem::take(spare);
        if let Err(e) = binding.convert(record, &self.defaults, &mut task.fields) {
            *spare = task.recycle();
            return Err(e.to_string());
        }
        if let Err(e) = self.program.evaluate_traced(&mut task, self.today, trace) {
            let message = format!(
                "{name}:{}: task `{}`: {e}",
                record.line(),
                self.program.key_text(&task)
            );
            *spare = task.recycle();
            return Err(message);
        }
        Ok(task)
    }
}

/// Reads every record of every input and hands it to `f`, which returns
/// whether it made a task of it (counted, and shown in the progress line).
/// Rows that cannot be read go to `errors`. A fatal input error is printed
/// and ends the pass with exit 2; so does an error from `f`, except a broken
/// pipe, which ends the pass quietly.
pub fn each_record(
    ui: &Ui,
    inputs: &mut Inputs,
    errors: &mut RowErrors,
    mut f: impl FnMut(&Opened, &Record, &mut RowErrors) -> std::io::Result<bool>,
) -> Result<Counts, Exit> {
    let mut counts = Counts::default();
    let mut record = Record::new();
    let progress = std::io::stderr().is_terminal();
    for input in &mut inputs.opened {
        loop {
            match input.reader.read(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(ReadError::Row(e)) => {
                    errors.row(&e);
                    continue;
                }
                Err(ReadError::Fatal(e)) => {
                    ui.error(&e.to_string());
                    return Err(Exit::Error);
                }
            }
            match f(input, &record, errors) {
                Ok(false) => continue,
                Ok(true) => counts.tasks += 1,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(counts),
                Err(e) => {
                    ui.error(&format!("cannot write the output: {e}"));
                    return Err(Exit::Error);
                }
            }
            if progress && counts.tasks.is_multiple_of(250_000) {
                eprint!("\r{} tasks…", counts.tasks);
                let _ = std::io::stderr().flush();
            }
        }
    }
    if progress && counts.tasks >= 250_000 {
        eprint!("\r\x1b[K");
    }
    Ok(counts)
}
