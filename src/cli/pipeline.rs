//! The pass over the inputs that classify, check and the other data commands
//! share: open and bind every input, then read, convert and evaluate each row,
//! reporting bad rows without stopping.
//!
//! Rows are read on the calling thread in batches (a JSON record only cut
//! out, not parsed); with more than one thread, worker threads parse JSON,
//! convert, evaluate and format the batches, and the calling
//! thread hands the results to the command in input order. At most four
//! batches per worker are queued, and eight per worker in flight in all, so
//! memory stays flat however long the input.

use super::{Exit, InputArgs, Ui};
use outsort::Program;
use outsort::eval::{RuleTrace, Task};
use outsort::input::{
    Binding, FieldSpec, InputOptions, InputReader, InputSource, ReadError, Record,
};
use outsort::value::Value;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many row errors are printed before only counting them.
const SHOWN_ROW_ERRORS: u64 = 20;
/// Rows per batch handed to a worker.
const BATCH_ROWS: usize = 512;
/// Batches handed to each worker and not yet handed back, at most: four keep
/// a worker busy through most pauses of a shared machine (two left it idle
/// at times); more make the batches in flight outgrow the caches (twelve
/// made two threads slower on NDJSON, and held twice the memory).
const BATCHES_PER_WORKER: usize = 4;

/// What workers need to know of one input.
pub struct InputMeta {
    /// Position among the run's inputs.
    pub index: usize,
    pub name: String,
    pub binding: Binding,
    /// Bindings for the further rule sets given to [`open_for`], in order.
    pub others: Vec<Binding>,
    pub columns: Vec<String>,
    /// For each carried column of the output, its index in this input.
    pub column_map: Vec<Option<usize>>,
}

/// All inputs of a run and the union of their columns.
pub struct Inputs {
    pub readers: Vec<InputReader>,
    pub metas: Vec<InputMeta>,
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
    let options = InputOptions {
        threads,
        ..args.options()
    };
    let mut readers = Vec::new();
    let mut metas = Vec::new();
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
                    // Each error lists the input's columns; say them once.
                    const COLUMNS: &str = "; the input has columns: ";
                    let mut columns = None;
                    for e in errors {
                        let text = format!("{}{e}", prefix(label));
                        match text.split_once(COLUMNS) {
                            Some((message, list)) => {
                                ui.error(message);
                                columns = Some(list.to_string());
                            }
                            None => ui.error(&text),
                        }
                    }
                    if let Some(list) = columns {
                        eprintln!("  the input has columns: {list}");
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
        readers.push(reader);
        metas.push(InputMeta {
            index: metas.len(),
            name: source.name(),
            binding,
            others: bindings.collect(),
            columns: info.columns,
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
    for m in &mut metas {
        m.column_map = union
            .iter()
            .map(|c| m.columns.iter().position(|x| x == c))
            .collect();
    }
    Ok(Inputs {
        readers,
        metas,
        columns: union,
    })
}

impl InputMeta {
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

    /// The closing count line; the exit code is 2 with row errors unless
    /// `skip_invalid`.
    pub fn finish(&self, skip_invalid: bool) -> Exit {
        if self.count == 0 {
            return Exit::Success;
        }
        if self.count > SHOWN_ROW_ERRORS {
            eprintln!("… and {} more row errors", self.count - SHOWN_ROW_ERRORS);
        }
        let rows = if self.count == 1 {
            "1 row".to_string()
        } else {
            format!("{} rows", self.count)
        };
        if skip_invalid {
            eprintln!("{rows} skipped (--skip-invalid); the other rows were processed");
            Exit::Success
        } else {
            eprintln!(
                "{rows} could not be processed; the other rows were written. Fix them, or pass --skip-invalid to accept skipping them."
            );
            Exit::Error
        }
    }
}

/// What a worker sees of each evaluated task.
pub struct TaskView<'a> {
    pub task: &'a Task<'a>,
    pub record: &'a Record,
    pub input: &'a InputMeta,
    pub trace: Option<&'a [RuleTrace]>,
}

/// The per-command work on each task, done on worker threads. Its output
/// for a batch is handed back in input order.
pub trait Work: Sync {
    type Out: Send;
    fn start(&self) -> Self::Out;
    /// Handles one evaluated task; an `Err` is reported as a row error.
    fn task(&self, view: &TaskView<'_>, out: &mut Self::Out) -> Result<(), String>;
}

/// Counts of a pass.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub tasks: u64,
}

/// Whether an input has more rows after a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    More,
    End,
    Fatal,
}

/// One unit of reading: a record, or the error of a row that could not be read.
enum Item {
    Row(Record),
    Bad(String),
}

struct Batch {
    seq: u64,
    input: usize,
    items: Vec<Item>,
}

struct Done<O> {
    seq: u64,
    items: Vec<Item>,
    out: O,
    errors: Vec<String>,
    tasks: u64,
}

/// What every batch is processed with.
struct Stage<'a, W> {
    program: &'a Program,
    defaults: &'a [Option<Value<'static>>],
    today: i32,
    trace: bool,
    work: &'a W,
}

/// The reading thread's account of the batches in flight.
struct Order<O> {
    /// The next batch to hand on.
    next_seq: u64,
    /// Batches finished before their turn.
    waiting: BTreeMap<u64, Done<O>>,
    /// Records to read into again.
    pool: Vec<Record>,
    /// The output failed: batches are no longer handed on.
    stop: bool,
    /// Batches handed to the workers and handed back (or taken back).
    returned: u64,
}

impl<O> Order<O> {
    /// After waiting for the batch `before` with no progress: a worker
    /// ended early, and nothing more will come.
    fn ended_early(&self, before: u64) -> bool {
        self.next_seq == before && !self.waiting.contains_key(&self.next_seq)
    }
}

/// How long the reading thread waits for a worker's batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    No,
    Up(Duration),
    Forever,
}

/// Parses (JSON), converts, evaluates and hands each row of a batch to the work.
fn process<W: Work>(
    stage: &Stage<'_, W>,
    meta: &InputMeta,
    items: &mut [Item],
    spare: &mut Task<'static>,
) -> (W::Out, Vec<String>, u64) {
    let Stage {
        program,
        defaults,
        today,
        trace,
        work,
    } = *stage;
    let mut out = work.start();
    let mut errors = Vec::new();
    let mut tasks = 0;
    let mut traces: Vec<RuleTrace> = Vec::new();
    for item in items {
        let record = match item {
            Item::Row(r) => r,
            Item::Bad(e) => {
                errors.push(e.clone());
                continue;
            }
        };
        if let Err(e) = record.prepare(&meta.name) {
            errors.push(e.to_string());
            continue;
        }
        let record: &Record = record;
        let mut task: Task<'_> = std::mem::take(spare);
        let line = record.line();
        if let Err(e) = meta.binding.convert(record, defaults, &mut task.fields) {
            errors.push(e.to_string());
            *spare = task.recycle();
            continue;
        }
        traces.clear();
        let evaluated = program.evaluate_traced(
            &mut task,
            today,
            if trace { Some(&mut traces) } else { None },
        );
        if let Err(e) = evaluated {
            errors.push(format!(
                "{}:{line}: task `{}`: {e}",
                meta.name,
                program.key_text(&task)
            ));
            *spare = task.recycle();
            continue;
        }
        let view = TaskView {
            task: &task,
            record,
            input: meta,
            trace: if trace { Some(&traces) } else { None },
        };
        match work.task(&view, &mut out) {
            Ok(()) => tasks += 1,
            Err(e) => errors.push(format!(
                "{}:{line}: task `{}`: {e}",
                meta.name,
                program.key_text(&task)
            )),
        }
        *spare = task.recycle();
    }
    (out, errors, tasks)
}

/// Processes a batch queued for the workers, on whichever thread takes it.
fn process_batch<W: Work>(
    stage: &Stage<'_, W>,
    meta: &InputMeta,
    mut batch: Batch,
    spare: &mut Task<'static>,
) -> Done<W::Out> {
    let (out, errors, tasks) = process(stage, meta, &mut batch.items, spare);
    Done {
        seq: batch.seq,
        items: batch.items,
        out,
        errors,
        tasks,
    }
}

/// Reads every input, converts and evaluates each row on `threads` threads,
/// and hands each batch's output to `consume` in input order. Bad rows go to
/// `errors`. A fatal input error is printed and ends the pass with exit 2;
/// an output error too (a closed pipe ends it quietly).
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
    mut consume: impl FnMut(W::Out) -> std::io::Result<()>,
) -> Result<Counts, Exit> {
    let defaults: Vec<Option<Value<'static>>> =
        program.fields.iter().map(|fd| fd.default.clone()).collect();
    let stage = Stage {
        program,
        defaults: &defaults,
        today,
        trace,
        work,
    };
    let mut counts = Counts::default();
    let progress = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let metas = &inputs.metas;
    let readers = &mut inputs.readers;
    let mut fatal = false;
    let mut output_failed: Option<std::io::Error> = None;

    let mut finish_batch =
        |out: W::Out, errs: Vec<String>, tasks: u64, counts: &mut Counts| -> bool {
            for e in errs {
                errors.report(&e);
            }
            counts.tasks += tasks;
            if progress && counts.tasks / 250_000 != (counts.tasks - tasks) / 250_000 {
                let rate = counts.tasks as f64 / started.elapsed().as_secs_f64().max(1e-3);
                eprint!(
                    "\r{} tasks, {} a second…",
                    counts.tasks,
                    rate.round() as u64
                );
                let _ = std::io::stderr().flush();
            }
            if let Err(e) = consume(out) {
                output_failed = Some(e);
                return false;
            }
            true
        };

    // Reads the next batch of one input.
    let read_batch =
        |reader: &mut InputReader, items: &mut Vec<Item>, pool: &mut Vec<Record>| -> Next {
            while items.len() < BATCH_ROWS {
                let mut record = pool.pop().unwrap_or_default();
                match reader.read_deferred(&mut record) {
                    Ok(true) => items.push(Item::Row(record)),
                    Ok(false) => {
                        pool.push(record);
                        return Next::End;
                    }
                    Err(ReadError::Row(e)) => {
                        pool.push(record);
                        items.push(Item::Bad(e.to_string()));
                    }
                    Err(ReadError::Fatal(e)) => {
                        pool.push(record);
                        ui.error(&e.to_string());
                        return Next::Fatal;
                    }
                }
            }
            Next::More
        };

    if threads <= 1 {
        let mut spare: Task<'static> = program.new_task();
        let mut pool: Vec<Record> = Vec::new();
        'inputs: for (i, reader) in readers.iter_mut().enumerate() {
            let Some(meta) = metas.get(i) else { continue };
            loop {
                let mut items = Vec::with_capacity(BATCH_ROWS);
                let next = read_batch(reader, &mut items, &mut pool);
                fatal |= next == Next::Fatal;
                let (out, errs, tasks) = process(&stage, meta, &mut items, &mut spare);
                pool.extend(items.into_iter().filter_map(|it| match it {
                    Item::Row(r) => Some(r),
                    Item::Bad(_) => None,
                }));
                if !finish_batch(out, errs, tasks, &mut counts) || fatal {
                    break 'inputs;
                }
                if next == Next::End {
                    break;
                }
            }
        }
    } else {
        let (work_tx, work_rx) = mpsc::channel::<Batch>();
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done<W::Out>>();
        std::thread::scope(|s| {
            // The calling thread reads, and evaluates a batch itself whenever
            // the workers have all they can take: one worker fewer than
            // threads keeps every core busy, and the batches it keeps never
            // move between cores.
            let workers = threads - 1;
            for _ in 0..workers {
                let work_rx = Arc::clone(&work_rx);
                let done_tx = done_tx.clone();
                let stage = &stage;
                s.spawn(move || {
                    let mut spare: Task<'static> = program.new_task();
                    loop {
                        // The lock is held only to take the next batch.
                        let next = match work_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(batch) = next else { return };
                        let Some(meta) = metas.get(batch.input) else {
                            return;
                        };
                        let done = process_batch(stage, meta, batch, &mut spare);
                        if done_tx.send(done).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            let max_in_flight = (workers * BATCHES_PER_WORKER) as u64;
            let mut spare: Task<'static> = program.new_task();
            // Takes a batch queued for the workers and processes it here, for
            // when the output waits on a worker that is not running (a shared
            // machine pauses threads) and at the end. False when none is
            // queued (a worker waiting for one holds the lock).
            let steal = |order: &mut Order<W::Out>, spare: &mut Task<'static>| -> bool {
                let next = match work_rx.try_lock() {
                    Ok(rx) => rx.try_recv().ok(),
                    Err(_) => None,
                };
                let Some(batch) = next else {
                    return false;
                };
                let Some(meta) = metas.get(batch.input) else {
                    return false;
                };
                order.returned += 1;
                let done = process_batch(&stage, meta, batch, spare);
                order.waiting.insert(done.seq, done);
                true
            };
            let mut sent: u64 = 0;
            // How long this thread takes for a batch, averaged.
            let mut batch_time = Duration::ZERO;
            let mut order: Order<W::Out> = Order {
                next_seq: 0,
                waiting: BTreeMap::new(),
                pool: Vec::new(),
                stop: false,
                returned: 0,
            };
            // Batches handed to the workers.
            let mut to_workers: u64 = 0;
            // Hands finished batches on in order, waiting for one as `wait` says.
            let mut drain = |wait: Wait, order: &mut Order<W::Out>, counts: &mut Counts| loop {
                let got = match wait {
                    _ if order.waiting.contains_key(&order.next_seq) => done_rx.try_recv().ok(),
                    Wait::No => done_rx.try_recv().ok(),
                    Wait::Up(time) => done_rx.recv_timeout(time).ok(),
                    Wait::Forever => done_rx.recv().ok(),
                };
                let block = wait != Wait::No;
                let received = got.is_some();
                if let Some(d) = got {
                    order.returned += 1;
                    order.waiting.insert(d.seq, d);
                }
                let mut progressed = false;
                while let Some(d) = order.waiting.remove(&order.next_seq) {
                    order.next_seq += 1;
                    progressed = true;
                    order
                        .pool
                        .extend(d.items.into_iter().filter_map(|it| match it {
                            Item::Row(r) => Some(r),
                            Item::Bad(_) => None,
                        }));
                    order.pool.truncate(BATCH_ROWS * 4);
                    if !order.stop && !finish_batch(d.out, d.errors, d.tasks, counts) {
                        order.stop = true;
                    }
                }
                // Without blocking, take all that is ready; blocking, stop
                // once the output moved on (or nothing more will come).
                if !received || (block && progressed) {
                    return;
                }
            };
            'inputs: for (i, reader) in readers.iter_mut().enumerate() {
                loop {
                    let mut items = Vec::with_capacity(BATCH_ROWS);
                    let next = read_batch(reader, &mut items, &mut order.pool);
                    fatal |= next == Next::Fatal;
                    if !items.is_empty() {
                        if to_workers - order.returned >= max_in_flight {
                            let started = Instant::now();
                            let (out, errors, tasks) = match metas.get(i) {
                                Some(meta) => process(&stage, meta, &mut items, &mut spare),
                                None => break 'inputs,
                            };
                            batch_time = (batch_time * 3 + started.elapsed()) / 4;
                            let done = Done {
                                seq: sent,
                                items,
                                out,
                                errors,
                                tasks,
                            };
                            order.waiting.insert(sent, done);
                        } else if work_tx
                            .send(Batch {
                                seq: sent,
                                input: i,
                                items,
                            })
                            .is_err()
                        {
                            break 'inputs;
                        } else {
                            to_workers += 1;
                        }
                        sent += 1;
                    }
                    // Bounded memory: when a worker is behind, wait for it. A
                    // worker that takes far longer than a batch takes here is
                    // not running: then work on all the batches queued behind
                    // its, and wait for it.
                    while sent - order.next_seq >= max_in_flight * 2 {
                        let before = order.next_seq;
                        let patience = (batch_time * 3).max(Duration::from_millis(1));
                        drain(Wait::Up(patience), &mut order, &mut counts);
                        if order.next_seq != before {
                            continue;
                        }
                        while steal(&mut order, &mut spare) {}
                        drain(Wait::Forever, &mut order, &mut counts);
                        if order.ended_early(before) {
                            break 'inputs;
                        }
                    }
                    drain(Wait::No, &mut order, &mut counts);
                    if order.stop || fatal {
                        break 'inputs;
                    }
                    if next == Next::End {
                        break;
                    }
                }
            }
            drop(work_tx);
            while order.next_seq < sent {
                // The batches still queued are shared with the workers.
                if !order.stop && steal(&mut order, &mut spare) {
                    drain(Wait::No, &mut order, &mut counts);
                    continue;
                }
                let before = order.next_seq;
                drain(Wait::Forever, &mut order, &mut counts);
                if order.ended_early(before) {
                    break;
                }
            }
        });
    }
    if progress && counts.tasks >= 250_000 {
        eprint!("\r\x1b[K");
    }
    if let Some(e) = output_failed
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        ui.error(&format!("cannot write the output: {e}"));
        return Err(Exit::Error);
    }
    if fatal {
        return Err(Exit::Error);
    }
    Ok(counts)
}

/// One rule set's side of a sequential pass: its field defaults and the
/// date of the run.
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

/// Reads every record of every input on this thread and hands it to `f`,
/// which returns whether it made a task of it (counted). Rows that cannot be
/// read go to `errors`. A fatal input error is printed and ends the pass with
/// exit 2; so does an error from `f`, except a broken pipe, which ends the
/// pass quietly.
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
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(counts),
                Err(e) => {
                    ui.error(&format!("cannot write the output: {e}"));
                    return Err(Exit::Error);
                }
            }
        }
    }
    Ok(counts)
}

/// The number of threads to use: `--threads`, or every core.
pub fn threads(requested: Option<usize>) -> usize {
    match requested {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, usize::from),
    }
}
