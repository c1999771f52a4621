//! The pass over the inputs that classify, check and the other data commands
//! share: read, convert and evaluate each row of every input, on one thread
//! or several, and hand each batch's results on in input order. Bad rows are
//! row errors in their batch; the pass goes on.
//!
//! Rows are read in batches (a JSON record only cut out, not parsed, until
//! the batch is processed). With more than one thread, every thread (the
//! calling one too) takes the next batch from the inputs in turn, processes
//! it, and hands it on if it is next in order, with the batches after it
//! that are already processed; else it leaves it for the thread whose batch
//! is next. In its turn a thread only cuts the batch out of the input where
//! it can: CSV rows as text (see [`InputReader::take_chunk`]), JSON records
//! unparsed; it parses them after. A batch is read, processed and mostly
//! written on one core, so its rows and its output do not move between
//! cores' caches. No thread reads more than four batches per thread ahead of
//! the output, so memory stays flat however long the input.
//!
//! ```
//! use outsort::pass::{self, Batch, Pass, TaskView, Work};
//! use outsort::input::InputOptions;
//!
//! // The work on each task: here, its label.
//! struct Labels<'p>(&'p outsort::Program);
//! impl Work for Labels<'_> {
//!     type Out = Vec<String>;
//!     fn start(&self) -> Vec<String> {
//!         Vec::new()
//!     }
//!     fn task(&self, view: &TaskView<'_>, out: &mut Vec<String>) -> Result<(), String> {
//!         out.push(view.task.label.map_or("?", |l| self.0.label_name(l)).to_string());
//!         Ok(())
//!     }
//! }
//!
//! let (program, _warnings) = outsort::load_default().expect("the built-in rules load");
//! let (inputs, events) = pass::open(
//!     &[("", &program)],
//!     &["examples/tasks.csv".to_string()],
//!     &InputOptions::default(),
//!     &[],
//!     false,
//! );
//! assert!(events.iter().all(|e| !e.is_error()));
//! let mut inputs = inputs.expect("the sample opens");
//! let mut labels = Vec::new();
//! let pass = Pass { program: &program, today: 20_000, trace: false, threads: 2 };
//! let counts = pass
//!     .run(&mut inputs, &Labels(&program), |batch: Batch<Vec<String>>| {
//!         assert!(batch.errors.is_empty());
//!         labels.extend(batch.out);
//!         Ok(())
//!     })
//!     .expect("the pass runs");
//! assert_eq!(counts.tasks as usize, labels.len());
//! assert!(labels.iter().any(|l| l == "kpo"));
//! ```

mod open;

pub use open::{InputMeta, Inputs, OpenEvent, field_specs, open};

use crate::Program;
use crate::eval::{RuleTrace, Task};
use crate::input::{Binding, ChunkSpare, InputReader, ReadError, Record};
use crate::value::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};

/// Rows per batch. With several threads a batch ends where the input is
/// read next, after an eighth as many rows and before four times as many.
const BATCH_ROWS: usize = 512;
/// Batches read ahead of the output, at most, for each thread: enough to
/// keep every thread busy while one is paused by a shared machine, few
/// enough that the batches in flight stay in the caches.
const BATCHES_AHEAD_PER_THREAD: usize = 4;

/// The most threads a pass uses, whatever is asked for.
pub const MAX_THREADS: usize = 256;

/// The number of threads to use: `requested` (at least 1), or every core;
/// at most [`MAX_THREADS`].
pub fn threads(requested: Option<usize>) -> usize {
    let n = match requested {
        Some(n) => n.max(1),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    n.min(MAX_THREADS)
}

/// What the work sees of each evaluated task.
pub struct TaskView<'a> {
    pub task: &'a Task<'a>,
    pub record: &'a Record,
    pub input: &'a InputMeta,
    /// The rules tried, when the pass traces.
    pub trace: Option<&'a [RuleTrace]>,
}

/// The per-command work on each task, done on any of the threads. Its output
/// for a batch is handed back in input order.
pub trait Work: Sync {
    type Out: Send;
    fn start(&self) -> Self::Out;
    /// Handles one evaluated task; an `Err` is the row's error.
    fn task(&self, view: &TaskView<'_>, out: &mut Self::Out) -> Result<(), String>;
}

/// Counts of a pass.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub tasks: u64,
}

/// One batch processed, handed on in input order: the work's output, the
/// row errors of the batch (each naming the input and line), and how many
/// tasks it made.
pub struct Batch<O> {
    pub out: O,
    pub errors: Vec<String>,
    pub tasks: u64,
}

/// Why a pass stopped before the end of its inputs.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// An input cannot be read on (broken JSON structure, a limit).
    #[error("{0}")]
    Read(ReadError),
    /// Handing a batch on failed: the output could not be written.
    #[error("{0}")]
    Output(std::io::Error),
}

/// A pass of one rule set over inputs.
pub struct Pass<'p> {
    pub program: &'p Program,
    /// The date of the run, in days since 1970-01-01.
    pub today: i32,
    /// Whether [`TaskView::trace`] holds the rules tried.
    pub trace: bool,
    /// Threads reading and evaluating: 1 runs on the calling thread only.
    pub threads: usize,
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

/// What every batch is processed with.
struct Stage<'a, W> {
    program: &'a Program,
    defaults: &'a [Option<Value<'static>>],
    today: i32,
    trace: bool,
    work: &'a W,
}

/// Hands each batch on in input order, counting its tasks.
struct Handing<F> {
    consume: F,
    counts: Counts,
    /// The output failed: later batches are dropped.
    failed: Option<std::io::Error>,
}

impl<F> Handing<F> {
    /// False once the output has failed.
    fn hand<O>(&mut self, done: Batch<O>) -> bool
    where
        F: FnMut(Batch<O>) -> std::io::Result<()>,
    {
        if self.failed.is_some() {
            return false;
        }
        self.counts.tasks += done.tasks;
        if let Err(e) = (self.consume)(done) {
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
    /// The error that stopped the reading.
    fatal: Option<ReadError>,
}

/// The threads' shared account of the batches read and not yet handed on.
struct Turn<O> {
    /// The next batch to hand on.
    next: u64,
    /// Batches processed before their turn.
    waiting: BTreeMap<u64, Batch<O>>,
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
) -> Batch<W::Out> {
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
    Batch { out, errors, tasks }
}

impl Pass<'_> {
    /// Reads every input, converts and evaluates each row, and hands each
    /// batch to `consume` in input order (see the module's documentation).
    /// An input that cannot be read on ends the pass with
    /// [`PassError::Read`] after the batches before it are handed on; an
    /// error from `consume` ends it with [`PassError::Output`].
    pub fn run<W: Work>(
        &self,
        inputs: &mut Inputs,
        work: &W,
        consume: impl FnMut(Batch<W::Out>) -> std::io::Result<()> + Send,
    ) -> Result<Counts, PassError> {
        let program = self.program;
        let threads = self.threads.clamp(1, MAX_THREADS);
        let defaults: Vec<Option<Value<'static>>> =
            program.fields.iter().map(|fd| fd.default.clone()).collect();
        let stage = Stage {
            program,
            defaults: &defaults,
            today: self.today,
            trace: self.trace,
            work,
        };
        let mut handing = Handing {
            consume,
            counts: Counts::default(),
            failed: None,
        };
        let metas = &inputs.metas;
        let readers = &mut inputs.readers;
        let mut fatal: Option<ReadError> = None;

        // With several threads, a batch ends where the reader must read more
        // of the input (rows permitting), so that each read's bytes are taken
        // in by the thread that processes them: a row read into one core's
        // cache and processed on another costs more than the row itself on
        // some placements of the cores (a fifth more CPU time, for two
        // threads, in some runs on a shared host).
        let aligned = threads > 1;
        let most = if aligned { BATCH_ROWS * 4 } else { BATCH_ROWS };
        // Reads the next batch of one input.
        let read_batch = |reader: &mut InputReader,
                          items: &mut Vec<Item>,
                          pool: &mut Vec<Record>,
                          fatal: &mut Option<ReadError>|
         -> Next {
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
                    Err(e) => {
                        pool.push(record);
                        *fatal = Some(e);
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
                    let next = read_batch(reader, &mut items, &mut pool, &mut fatal);
                    let done = process(&stage, meta, &mut items, &mut spare);
                    recycle(items, &mut pool);
                    if !handing.hand(done) || next == Next::Fatal {
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
                fatal: None,
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
            let stopped = AtomicBool::new(false);
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
                            // CSV rows that can be cut as text are parsed
                            // after this turn; the others are read here.
                            match reader.take_chunk(&mut chunk_spare) {
                                Ok(Some(c)) => {
                                    chunk = Some(c);
                                    break i;
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    r.fatal = Some(e);
                                    r.ended = true;
                                    stopped.store(true, Ordering::Relaxed);
                                    break i;
                                }
                            }
                            let mut fatal = None;
                            let next = read_batch(reader, &mut items, &mut pool, &mut fatal);
                            match next {
                                Next::More => break i,
                                Next::End => {
                                    r.input += 1;
                                    if !items.is_empty() {
                                        break i;
                                    }
                                }
                                Next::Fatal => {
                                    r.fatal = fatal;
                                    r.ended = true;
                                    stopped.store(true, Ordering::Relaxed);
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
                        Some(meta) => process(&stage, meta, &mut items, &mut spare),
                        None => Batch {
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
            if stopped.load(Ordering::Relaxed) {
                fatal = reading.into_inner().ok().and_then(|r| r.fatal);
            }
        }
        if let Some(e) = handing.failed {
            return Err(PassError::Output(e));
        }
        if let Some(e) = fatal {
            return Err(PassError::Read(e));
        }
        Ok(handing.counts)
    }
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
