//! The command line's side of the pass over the inputs (the pass itself is
//! the library's, [`outsort::pass`]): name the inputs, print what opening
//! them found, report row errors and progress, and turn the pass's errors
//! into exit codes.

use super::out::{self, err, errln};
use super::{Exit, InputArgs, Ui};
use outsort::Program;
use outsort::input::{InputOptions, ReadError, Record};
use outsort::pass::{Batch, OpenEvent, Pass, PassError};
use std::io::IsTerminal;
use std::time::Instant;

pub use outsort::pass::{Evaluator, InputMeta, Inputs, MAX_THREADS, TaskView, Work, threads};

/// How many row errors are printed before only counting them.
const SHOWN_ROW_ERRORS: u64 = 20;

/// Opens every input and binds it. Errors are printed; `Err` carries exit 2.
/// `reserved` are the column names outsort adds: an input column with one of
/// those names is an error unless `overwrite`, which drops the input's column.
pub fn open(
    ui: &Ui,
    program: &Program,
    args: &InputArgs,
    reserved: &[String],
    overwrite: bool,
    threads: usize,
) -> Result<Inputs, Exit> {
    open_for(ui, &[("", program)], args, reserved, overwrite, threads)
}

/// Like [`open`], binding every input to several rule sets, each named for
/// its messages (`""` adds nothing): the first to [`InputMeta::binding`],
/// the others to [`InputMeta::others`]. `threads` may read each input.
pub fn open_for(
    ui: &Ui,
    programs: &[(&str, &Program)],
    args: &InputArgs,
    reserved: &[String],
    overwrite: bool,
    threads: usize,
) -> Result<Inputs, Exit> {
    let mut names: Vec<String> = args.inputs.clone();
    if names.is_empty() {
        if std::io::stdin().is_terminal() {
            ui.error(
                "no input: name a CSV, TSV, JSON or NDJSON file, or pipe one into standard input",
            );
            errln!("  for example: outsort classify examples/tasks.csv");
            return Err(Exit::Error);
        }
        names.push("-".into());
    }
    if names.iter().filter(|n| *n == "-").count() > 1 {
        ui.error("standard input (`-`) can be read only once");
        return Err(Exit::Error);
    }
    let options = InputOptions {
        threads,
        ..args.options(ui.files)
    };
    let (inputs, events) = outsort::pass::open(programs, &names, &options, reserved, overwrite);
    for event in events {
        print_event(ui, event);
    }
    inputs.ok_or(Exit::Error)
}

fn prefix(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("{label}: ")
    }
}

/// Prints what opening an input found.
fn print_event(ui: &Ui, event: OpenEvent) {
    let shown = outsort::diag::MAX_SHOWN;
    match event {
        OpenEvent::Unreadable(e) => ui.error(&e.to_string()),
        OpenEvent::HeaderBelow { name, line } => ui.warning(&format!(
            "{name}: the header is on line {line}: the rows above it do not hold the \
             rule set's columns and were skipped (--header-row {line} says so and \
             silences this)"
        )),
        OpenEvent::Warnings { label, warnings } => {
            let more = warnings.len().saturating_sub(shown);
            for w in warnings.iter().take(shown) {
                ui.warning(&format!("{}{w}", prefix(&label)));
            }
            if more > 0 {
                errln!(
                    "… and {more} more {}",
                    if more == 1 { "warning" } else { "warnings" }
                );
            }
        }
        OpenEvent::Unbound { label, errors } => {
            // Each error lists the input's columns; say them once.
            const COLUMNS: &str = "; the input has columns: ";
            let mut columns = None;
            let more = errors.len().saturating_sub(shown);
            for (n, e) in errors.into_iter().enumerate() {
                if n >= shown {
                    // Only the column list of the rest is printed.
                    if let Some((_, list)) = e.to_string().split_once(COLUMNS) {
                        columns = Some(list.to_string());
                    }
                    continue;
                }
                let text = format!("{}{e}", prefix(&label));
                match text.split_once(COLUMNS) {
                    Some((message, list)) => {
                        ui.error(message);
                        columns = Some(list.to_string());
                    }
                    None => ui.error(&text),
                }
            }
            if more > 0 {
                errln!(
                    "… and {more} more {}",
                    if more == 1 { "error" } else { "errors" }
                );
            }
            if let Some(list) = columns {
                // A header of a million cells, or a 1 MiB title, is cut.
                let list = outsort::quote::cut(&list, outsort::quote::MAX_QUOTED * 5);
                errln!("  the input has columns: {}", outsort::quote::escape(&list));
            }
        }
        OpenEvent::Clash(clashes) => {
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
            errln!("  rename the column, or pass --overwrite to replace it with outsort's value");
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
            let message = outsort::quote::escape(message);
            if self.color {
                errln!("\x1b[1;31merror\x1b[0m: {message}");
            } else {
                errln!("error: {message}");
            }
        }
    }

    /// The closing count line; the exit code is 2 with row errors unless
    /// `skip_invalid`.
    pub fn finish(&self, skip_invalid: bool) -> Exit {
        self.finish_saying(skip_invalid, "the other rows were written")
    }

    /// Like [`RowErrors::finish`], for a command whose output file is put in
    /// place only when it succeeds: with exit 2, `file` was not written.
    pub fn finish_unwritten(&self, skip_invalid: bool, file: &std::path::Path) -> Exit {
        let unwritten = format!("`{}` was not written", file.display());
        self.finish_saying(skip_invalid, &unwritten)
    }

    /// `fate` says what became of the output when the run fails.
    fn finish_saying(&self, skip_invalid: bool, fate: &str) -> Exit {
        if self.count == 0 {
            return Exit::Success;
        }
        if self.count > SHOWN_ROW_ERRORS {
            errln!("… and {} more row errors", self.count - SHOWN_ROW_ERRORS);
        }
        let rows = if self.count == 1 {
            "1 row".to_string()
        } else {
            format!("{} rows", self.count)
        };
        if skip_invalid {
            errln!("{rows} skipped (--skip-invalid); the other rows were processed");
            Exit::Success
        } else {
            errln!(
                "{rows} could not be processed; {fate}. Fix them, or pass --skip-invalid to accept skipping them."
            );
            Exit::Error
        }
    }
}

/// Runs the library's pass ([`Pass::run`]) and hands each batch's output
/// to `consume` in input order. Row errors go to `errors`, progress to a
/// terminal on standard error. A fatal input error is printed and ends the
/// pass with exit 2; an output error too (a closed pipe ends it quietly).
#[allow(clippy::too_many_arguments)]
pub fn run<W: Work>(
    ui: &Ui,
    program: &Program,
    inputs: &mut Inputs,
    today: i32,
    trace: bool,
    threads: usize,
    errors: &mut RowErrors,
    work: &W,
    mut consume: impl FnMut(W::Out) -> std::io::Result<()> + Send,
) -> Result<Counts, Exit> {
    let pass = Pass {
        program,
        today,
        trace,
        threads,
    };
    let progress = out::stderr_is_terminal();
    let started = Instant::now();
    let mut tasks = 0u64;
    let result = pass.run(inputs, work, |batch: Batch<W::Out>| {
        for e in &batch.errors {
            errors.report(e);
        }
        let before = tasks;
        tasks += batch.tasks;
        if progress && tasks / 250_000 != before / 250_000 {
            let rate = tasks as f64 / started.elapsed().as_secs_f64().max(1e-3);
            err!("\r{tasks} tasks, {} a second…", rate.round() as u64);
        }
        consume(batch.out)
    });
    if progress && tasks >= 250_000 {
        err!("\r\x1b[K");
    }
    match result {
        Ok(counts) => Ok(counts),
        // The output failed: the message (none for a closed pipe) comes at
        // the end of the run, from `out::finish`.
        Err(PassError::Output(e)) => {
            out::record_unseen(&e);
            Err(Exit::Error)
        }
        Err(PassError::Read(e)) => {
            ui.error(&e.to_string());
            Err(Exit::Error)
        }
    }
}

pub use outsort::pass::Counts;

/// Reads every record of every input on this thread and hands it to `f`,
/// which returns whether it made a task of it (counted). Rows that cannot be
/// read go to `errors`. A fatal input error is printed and ends the pass with
/// exit 2; so does an error from `f`, a write error, which is remembered for
/// `out::finish` to report.
pub fn each_record(
    ui: &Ui,
    inputs: &mut Inputs,
    errors: &mut RowErrors,
    mut f: impl FnMut(&InputMeta, &Record, &mut RowErrors) -> std::io::Result<bool>,
) -> Result<Counts, Exit> {
    let mut counts = Counts::default();
    let mut record = Record::new();
    for (reader, input) in inputs.readers.iter_mut().zip(&inputs.metas) {
        loop {
            match reader.read(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(ReadError::Row(e)) => {
                    errors.report(&e.to_string());
                    continue;
                }
                Err(ReadError::Fatal(e)) => {
                    ui.error(&e.to_string());
                    return Err(Exit::Error);
                }
            }
            match f(input, &record, errors) {
                Ok(false) => {}
                Ok(true) => counts.tasks += 1,
                Err(e) => {
                    out::record_unseen(&e);
                    return Err(Exit::Error);
                }
            }
        }
    }
    Ok(counts)
}
