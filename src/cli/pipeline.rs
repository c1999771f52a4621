//! The pass over the inputs that classify, check and the other data commands
//! share: open and bind every input, then read, convert and evaluate each row,
//! reporting bad rows without stopping.
//!
//! Rows are read in batches (a JSON record only cut out, not parsed, until
//! the batch is processed). With more than one thread, each thread reads
//! the next batch in turn (CSV rows cut out as text where they can be),
//! then parses, converts, evaluates and formats it, and the results reach
//! the command in input order (see [`run`]).

use super::out::{self, err, errln};
use super::{Exit, InputArgs, Ui};
use outsort::Program;
use outsort::eval::{RuleTrace, Task};
use outsort::input::{
    Binding, ChunkSpare, FieldSpec, InputOptions, InputReader, InputSource, ReadError, Record,
};
use outsort::value::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

/// How many row errors are printed before only counting them.
const SHOWN_ROW_ERRORS: u64 = 20;
/// Rows per batch. With several threads a batch ends where the input is
/// read next, after an eighth as many rows and before four times as many.
const BATCH_ROWS: usize = 512;
/// Batches read ahead of the output, at most, for each thread: enough to
/// keep every thread busy while one is paused by a shared machine, few
/// enough that the batches in flight stay in the caches.
const BATCHES_AHEAD_PER_THREAD: usize = 4;

/// What the threads processing batches need to know of one input.
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
            errln!("  for example: outsort classify examples/tasks.csv");
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
        ..args.options(ui.files)
    };
    let mut readers = Vec::new();
    let mut metas = Vec::new();
    let mut failed = false;
    let mut union: Vec<String> = Vec::new();
    let mut in_union: HashSet<String> = HashSet::new();
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
                    let shown = outsort::diag::MAX_SHOWN;
                    let more = warnings.len().saturating_sub(shown);
                    for w in warnings.iter().take(shown) {
                        ui.warning(&format!("{}{w}", prefix(label)));
                    }
                    if more > 0 {
                        errln!(
                            "… and {more} more {}",
                            if more == 1 { "warning" } else { "warnings" }
                        );
                    }
                    bindings.push(binding);
                }
                Err(errors) => {
                    // Each error lists the input's columns; say them once.
                    const COLUMNS: &str = "; the input has columns: ";
                    let mut columns = None;
                    let shown = outsort::diag::MAX_SHOWN;
                    let more = errors.len().saturating_sub(shown);
                    for (n, e) in errors.into_iter().enumerate() {
                        if n >= shown {
                            // Only the column list of the rest is printed.
                            if let Some((_, list)) = e.to_string().split_once(COLUMNS) {
                                columns = Some(list.to_string());
                            }
                            continue;
                        }
                        let text = format!("{}{e}", prefix(label));
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
                        errln!("  the input has columns: {}", outsort::quote::escape(&list));
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
            if in_union.insert(c.clone()) {
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
    let reserved: HashSet<&str> = reserved.iter().map(String::as_str).collect();
    let clashes: Vec<&String> = union
        .iter()
        .filter(|c| reserved.contains(c.as_str()))
        .collect();
    if !clashes.is_empty() {
        if overwrite {
            union.retain(|c| !reserved.contains(c.as_str()));
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
            errln!("  rename the column, or pass --overwrite to replace it with outsort's value");
            return Err(Exit::Error);
        }
    }
    for m in &mut metas {
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(m.columns.len());
        for (i, c) in m.columns.iter().enumerate() {
            first.entry(c.as_str()).or_insert(i);
        }
        m.column_map = union
            .iter()
            .map(|c| first.get(c.as_str()).copied())
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

/// What the work sees of each evaluated task.
pub struct TaskView<'a> {
    pub task: &'a Task<'a>,
    pub record: &'a Record,
    pub input: &'a InputMeta,
    pub trace: Option<&'a [RuleTrace]>,
}

/// The per-command work on each task, done on any of the threads. Its output
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

/// A batch processed, waiting for its turn to be handed on.
struct Done<O> {
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

/// Hands each batch's output on, in input order: reports its row errors,
/// counts its tasks and shows progress.
struct Handing<'e, F> {
    consume: F,
    errors: &'e mut RowErrors,
    counts: Counts,
    progress: bool,
    started: Instant,
    /// The output failed: later batches are dropped.
    failed: Option<std::io::Error>,
}

impl<F> Handing<'_, F> {
    /// False once the output has failed.
    fn hand<O>(&mut self, done: Done<O>) -> bool
    where
        F: FnMut(O) -> std::io::Result<()>,
    {
        if self.failed.is_some() {
            return false;
        }
        for e in done.errors {
            self.errors.report(&e);
        }
        let before = self.counts.tasks;
        self.counts.tasks += done.tasks;
        if self.progress && self.counts.tasks / 250_000 != before / 250_000 {
            let rate = self.counts.tasks as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            err!(
                "\r{} tasks, {} a second…",
                self.counts.tasks,
                rate.round() as u64
            );
        }
        if let Err(e) = (self.consume)(done.out) {
            self.failed = Some(e);
            return false;
        }
        true
    }
}

/// The threads' shared account of the reading.
struct Reading<'r> {
    readers: &'r mut [InputReader],
    /// The input being read.
    input: usize,
    /// The number the next batch gets.
    seq: u64,
    /// Every input is read, or reading stopped.
    ended: bool,
}

/// The threads' shared account of the batches read and not yet handed on.
struct Turn<O> {
    /// The next batch to hand on.
    next: u64,
    /// Batches processed before their turn.
    waiting: BTreeMap<u64, Done<O>>,
    /// A thread is handing batches on.
    busy: bool,
    /// Stop: the output failed, or a thread stopped early.
    halt: bool,
    /// Threads waiting for the output to move on.
    waiting_for_room: usize,
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

/// Reads every input, converts and evaluates each row on `threads` threads,
/// and hands each batch's output to `consume` in input order. Bad rows go to
/// `errors`. A fatal input error is printed and ends the pass with exit 2;
/// an output error too (a closed pipe ends it quietly).
///
/// With more than one thread, every thread (the calling one too) takes the
/// next batch from the inputs in turn, processes it, and hands it on if it
/// is next in order, with the batches after it that are already processed;
/// else it leaves it for the thread whose batch is next. In its turn a
/// thread only cuts the batch out of the input where it can: CSV rows as
/// text (see [`InputReader::take_chunk`]), JSON records unparsed; it parses
/// them after. A batch is read, processed and mostly written on one core,
/// so its rows and its output do not move between cores' caches. No thread
/// reads more than four batches per thread ahead of the output, so memory
/// stays flat however long the input.
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
    consume: impl FnMut(W::Out) -> std::io::Result<()> + Send,
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
    let mut handing = Handing {
        consume,
        errors,
        counts: Counts::default(),
        progress: out::stderr_is_terminal(),
        started: Instant::now(),
        failed: None,
    };
    let metas = &inputs.metas;
    let readers = &mut inputs.readers;
    let mut fatal = false;

    // With several threads, a batch ends where the reader must read more of
    // the input (rows permitting), so that each read's bytes are taken in
    // by the thread that processes them: a row read into one core's cache
    // and processed on another costs more than the row itself on some
    // placements of the cores (a fifth more CPU time, for two threads, in
    // some runs on a shared host).
    let aligned = threads > 1;
    let most = if aligned { BATCH_ROWS * 4 } else { BATCH_ROWS };
    // Reads the next batch of one input.
    let read_batch =
        |reader: &mut InputReader, items: &mut Vec<Item>, pool: &mut Vec<Record>| -> Next {
            while items.len() < most {
                let mut record = pool.pop().unwrap_or_default();
                match reader.read_deferred(&mut record) {
                    Ok(true) => {
                        items.push(Item::Row(record));
                        if aligned && items.len() >= BATCH_ROWS / 8 && reader.at_fill() {
                            return Next::More;
                        }
                    }
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
    // Keeps a processed batch's records to read into again.
    let recycle = |items: Vec<Item>, pool: &mut Vec<Record>| {
        pool.extend(items.into_iter().filter_map(|it| match it {
            Item::Row(r) => Some(r),
            Item::Bad(_) => None,
        }));
        pool.truncate(most);
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
                let (out, errors, tasks) = process(&stage, meta, &mut items, &mut spare);
                recycle(items, &mut pool);
                if !handing.hand(Done { out, errors, tasks }) || fatal {
                    break 'inputs;
                }
                if next == Next::End {
                    break;
                }
            }
        }
    } else {
        let reading = Mutex::new(Reading {
            readers,
            input: 0,
            seq: 0,
            ended: false,
        });
        let turn: Mutex<Turn<W::Out>> = Mutex::new(Turn {
            next: 0,
            waiting: BTreeMap::new(),
            busy: false,
            halt: false,
            waiting_for_room: 0,
        });
        // Signalled whenever the output moves on, or the pass halts.
        let room = Condvar::new();
        let handing = Mutex::new(&mut handing);
        let fatal_read = AtomicBool::new(false);
        let ahead = (threads * BATCHES_AHEAD_PER_THREAD) as u64;
        let participate = || {
            // A thread that panics halts the others rather than leave
            // them waiting for its batch.
            let _guard = HaltOnPanic {
                turn: &turn,
                room: &room,
            };
            let mut spare: Task<'static> = program.new_task();
            let mut pool: Vec<Record> = Vec::new();
            let mut chunk_spare = ChunkSpare::default();
            loop {
                let (seq, input, mut items, chunk) = {
                    let Ok(mut r) = reading.lock() else { return };
                    {
                        let Ok(mut t) = turn.lock() else { return };
                        while !t.halt && r.seq >= t.next + ahead {
                            t.waiting_for_room += 1;
                            t = match room.wait(t) {
                                Ok(t) => t,
                                Err(_) => return,
                            };
                            t.waiting_for_room -= 1;
                        }
                        if t.halt {
                            return;
                        }
                    }
                    if r.ended {
                        return;
                    }
                    let mut items = Vec::with_capacity(BATCH_ROWS);
                    let mut chunk = None;
                    let input = loop {
                        let i = r.input;
                        let Some(reader) = r.readers.get_mut(i) else {
                            r.ended = true;
                            break i;
                        };
                        // CSV rows that can be cut as text are parsed after
                        // this turn; the others are read here.
                        match reader.take_chunk(&mut chunk_spare) {
                            Ok(Some(c)) => {
                                chunk = Some(c);
                                break i;
                            }
                            Ok(None) => {}
                            Err(e) => {
                                ui.error(&e.to_string());
                                r.ended = true;
                                fatal_read.store(true, Ordering::Relaxed);
                                break i;
                            }
                        }
                        match read_batch(reader, &mut items, &mut pool) {
                            Next::More => break i,
                            Next::End => {
                                r.input += 1;
                                if !items.is_empty() {
                                    break i;
                                }
                            }
                            Next::Fatal => {
                                r.ended = true;
                                fatal_read.store(true, Ordering::Relaxed);
                                break i;
                            }
                        }
                    };
                    if items.is_empty() && chunk.is_none() {
                        return;
                    }
                    let seq = r.seq;
                    r.seq += 1;
                    (seq, input, items, chunk)
                };
                if let Some(mut chunk) = chunk {
                    loop {
                        let mut record = pool.pop().unwrap_or_default();
                        match chunk.read(&mut record) {
                            Ok(true) => items.push(Item::Row(record)),
                            Ok(false) => {
                                pool.push(record);
                                break;
                            }
                            Err(e) => {
                                pool.push(record);
                                let fatal = matches!(e, ReadError::Fatal(_));
                                items.push(Item::Bad(e.to_string()));
                                if fatal {
                                    break;
                                }
                            }
                        }
                    }
                    chunk_spare = chunk.into_spare();
                }
                let done = match metas.get(input) {
                    Some(meta) => {
                        let (out, errors, tasks) = process(&stage, meta, &mut items, &mut spare);
                        Done { out, errors, tasks }
                    }
                    None => Done {
                        out: work.start(),
                        errors: Vec::new(),
                        tasks: 0,
                    },
                };
                recycle(items, &mut pool);
                let Ok(mut t) = turn.lock() else { return };
                t.waiting.insert(seq, done);
                if t.busy {
                    continue;
                }
                // Hand on this batch and those after it, if it is next.
                t.busy = true;
                loop {
                    let next = t.next;
                    let Some(done) = t.waiting.remove(&next) else {
                        break;
                    };
                    drop(t);
                    let handed = match handing.lock() {
                        Ok(mut h) => h.hand(done),
                        Err(_) => false,
                    };
                    t = match turn.lock() {
                        Ok(t) => t,
                        Err(_) => return,
                    };
                    t.next += 1;
                    t.halt |= !handed;
                    // A wake-up is a system call: only for a thread waiting.
                    if t.waiting_for_room > 0 || t.halt {
                        room.notify_all();
                    }
                }
                t.busy = false;
            }
        };
        std::thread::scope(|s| {
            // With fewer threads than asked for when the system will not
            // start more: the calling thread does the work regardless.
            for _ in 1..threads {
                if std::thread::Builder::new()
                    .spawn_scoped(s, participate)
                    .is_err()
                {
                    break;
                }
            }
            participate();
        });
        fatal = fatal_read.load(Ordering::Relaxed);
    }
    if handing.progress && handing.counts.tasks >= 250_000 {
        err!("\r\x1b[K");
    }
    // The output failed: the message (none for a closed pipe) comes at
    // the end of the run, from `out::finish`.
    if let Some(e) = handing.failed {
        out::record_unseen(&e);
        return Err(Exit::Error);
    }
    if fatal {
        return Err(Exit::Error);
    }
    Ok(handing.counts)
}

/// Halts a multi-threaded pass when the thread holding it panics, so the
/// other threads stop waiting for that thread's batch.
struct HaltOnPanic<'a, O> {
    turn: &'a Mutex<Turn<O>>,
    room: &'a Condvar,
}

impl<O> Drop for HaltOnPanic<'_, O> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut t = self.turn.lock().unwrap_or_else(|e| e.into_inner());
            t.halt = true;
            self.room.notify_all();
        }
    }
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

/// The most threads a run uses, whatever `--threads` asks for.
pub const MAX_THREADS: usize = 256;

/// The number of threads to use: `--threads` (at least 1, as
/// `parse_threads` makes sure), or every core; at most [`MAX_THREADS`].
pub fn threads(requested: Option<usize>) -> usize {
    let n = match requested {
        Some(n) => n.max(1),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    n.min(MAX_THREADS)
}
