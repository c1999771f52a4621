//! Checking tasks against the sourcing policies: what `outsort check` does,
//! as a library. [`Checker`] is the [`Work`] of a [`Pass`](crate::pass::Pass)
//! that finds each task's findings; [`Check`] takes the batches in input
//! order and keeps what spans tasks: the portfolio's accumulators, repeated
//! keys, which waivers were used, which rules fired and which label lines
//! were taken. [`Check::finish`] adds the portfolio findings, the expired
//! waivers and the warnings, and gives the [`Report`].
//!
//! Checks of several passes merge: [`Check::merge`] combines two partial
//! checks (over parts of the inventory) into what one pass over all of it
//! gives — the same metrics, findings and counts.
//!
//! ```
//! use outsort::ast::Severity;
//! use outsort::input::InputOptions;
//! use outsort::pass::{self, Pass};
//! use outsort::policy::{Check, Checker};
//!
//! let (program, _warnings) = outsort::load_default().expect("the built-in rules load");
//! let today = 20_000; // days since 1970-01-01
//! // A check of the tasks in `files`, in one pass.
//! let check = |files: &[&str]| {
//!     let names: Vec<String> = files.iter().map(|f| f.to_string()).collect();
//!     let options = InputOptions::default();
//!     let (inputs, _events) = pass::open(&[("", &program)], &names, &options, &[], true);
//!     let mut inputs = inputs.expect("the inputs open");
//!     let mut check = Check::new(&program, today, &inputs, true);
//!     let pass = Pass { program: &program, today, trace: false, threads: 2 };
//!     pass.run(&mut inputs, &Checker::new(&program, today), |batch| {
//!         check.add(batch.out, |_finding| Ok(()))
//!     })
//!     .expect("the pass runs");
//!     check
//! };
//!
//! let report = check(&["examples/tasks.csv"]).finish(|_| Ok(())).expect("checks");
//! assert_eq!(report.tasks, 60);
//!
//! // The inventory in two parts, as two workers might hold it.
//! let text = std::fs::read_to_string("examples/tasks.csv").unwrap();
//! let (header, rows) = text.split_once('\n').unwrap();
//! let rows: Vec<&str> = rows.lines().collect();
//! let dir = tempfile::tempdir().unwrap();
//! let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
//! std::fs::write(&a, format!("{header}\n{}\n", rows[..25].join("\n"))).unwrap();
//! std::fs::write(&b, format!("{header}\n{}\n", rows[25..].join("\n"))).unwrap();
//! let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
//!
//! // Two partial checks merged give what one pass over both parts gives.
//! let mut merged = check(&[a]);
//! merged.merge(check(&[b]));
//! let merged = merged.finish(|_| Ok(())).expect("checks");
//! let whole = check(&[a, b]).finish(|_| Ok(())).expect("checks");
//! assert_eq!(merged.tasks, whole.tasks);
//! assert_eq!(merged.fired(Severity::Deny), whole.fired(Severity::Deny));
//! assert_eq!(merged.fired(Severity::Warn), whole.fired(Severity::Warn));
//! assert!(!whole.findings.is_empty()); // one exempted by `unless`
//! assert_eq!(merged.findings, whole.findings);
//! ```

mod seen;

pub use crate::output::findings::{Finding, Location, Report, Status};
pub use seen::SeenHashes;

use crate::Program;
use crate::ast::{Severity, Span};
use crate::eval::{Accumulators, FindingStatus, TaskError};
use crate::pass::{Inputs, TaskView, Work};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

/// Repeated keys named one by one in the warnings; the rest are counted.
const SHOWN_REPEATED: usize = 20;

/// The line of a rule-set span, and its file unless built in.
pub fn rules_location(program: &Program, span: Span) -> Location {
    let file = program.sources.get(span.file);
    let line = file.map_or(0, |f| f.line_col(span.start as usize).0 as u64);
    let name = file
        .map(|f| f.name.clone())
        .filter(|n| n != crate::DEFAULT_RULES_NAME);
    Location::Rules { file: name, line }
}

fn key_hash(key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// What one batch of tasks found.
pub struct CheckBatch {
    findings: Vec<Finding>,
    acc: Accumulators,
    fired: Vec<bool>,
    taken: Vec<bool>,
    /// Each task's key hash, key, input and line, in order.
    keys: Vec<(u64, String, usize, u64)>,
    waivers_used: Vec<u32>,
}

/// The [`Work`] of a check: each task's findings, and what spans tasks.
pub struct Checker<'p> {
    program: &'p Program,
    today: i32,
}

impl<'p> Checker<'p> {
    pub fn new(program: &'p Program, today: i32) -> Checker<'p> {
        Checker { program, today }
    }
}

impl Work for Checker<'_> {
    type Out = CheckBatch;

    fn start(&self) -> CheckBatch {
        CheckBatch {
            findings: Vec::new(),
            acc: Accumulators::new(self.program),
            fired: vec![false; self.program.rules.len()],
            taken: vec![false; self.program.labels.len()],
            keys: Vec::new(),
            waivers_used: Vec::new(),
        }
    }

    fn task(&self, view: &TaskView<'_>, out: &mut CheckBatch) -> Result<(), String> {
        let program = self.program;
        let task = view.task;
        let mut found = Vec::new();
        program
            .task_findings(task, self.today, &mut found)
            .map_err(|e| e.to_string())?;
        out.acc
            .add(program, task, self.today)
            .map_err(|e| e.to_string())?;
        for (f, t) in out.fired.iter_mut().zip(&task.fired) {
            *f |= *t;
        }
        if let Some(t) = task.label_line.and_then(|l| out.taken.get_mut(l)) {
            *t = true;
        }
        let key = program.key_text(task);
        for f in found {
            let Some(policy) = program.policies.get(f.policy as usize) else {
                continue;
            };
            let status = match f.status {
                FindingStatus::Fired => Status::Fired,
                FindingStatus::Exempted => Status::Exempted,
                FindingStatus::Waived(w) => {
                    out.waivers_used.push(w);
                    Status::Waived
                }
            };
            out.findings.push(Finding {
                policy: policy.name.clone(),
                severity: policy.severity,
                status,
                message: f.message,
                location: Location::Task {
                    file: view.input.name.clone(),
                    line: view.record.line(),
                    key: key.clone(),
                },
                expired_waiver: false,
            });
        }
        out.keys
            .push((key_hash(&key), key, view.input.index, view.record.line()));
        Ok(())
    }
}

/// Why a check has no report.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// A check that checked nothing must not pass.
    #[error("no tasks were read, so no policy was checked")]
    NoTasks,
    /// An aggregate or metric could not be computed.
    #[error("cannot compute the portfolio: {0}")]
    Portfolio(TaskError),
    /// A finding could not be handed on.
    #[error("{0}")]
    Output(std::io::Error),
}

/// A check under way: the batches of one or more passes, in input order.
pub struct Check<'p> {
    program: &'p Program,
    today: i32,
    /// The inputs' names, by index, for the warnings.
    names: Vec<String>,
    report: Report,
    /// Whether the report keeps every finding (else they are only handed on).
    keep: bool,
    acc: Accumulators,
    fired: Vec<bool>,
    taken: Vec<bool>,
    /// Keys seen, by hash: at most 16 bytes a task to find repeated keys.
    keys: SeenHashes,
    repeated: Vec<String>,
    repeated_count: u64,
    waiver_keys: HashSet<String>,
    waiver_keys_seen: HashSet<String>,
    waiver_used: Vec<bool>,
}

impl<'p> Check<'p> {
    /// A check of the tasks of `inputs`. With `keep`, the report holds every
    /// finding (for output that groups or sorts them); else findings are
    /// only counted and handed on as they come (for output that streams).
    pub fn new(program: &'p Program, today: i32, inputs: &Inputs, keep: bool) -> Check<'p> {
        Check {
            program,
            today,
            names: inputs.metas.iter().map(|m| m.name.clone()).collect(),
            report: Report::new(
                program
                    .policies
                    .iter()
                    .map(|p| (p.name.clone(), p.severity))
                    .collect(),
            ),
            keep,
            acc: Accumulators::new(program),
            fired: vec![false; program.rules.len()],
            taken: vec![false; program.labels.len()],
            keys: SeenHashes::new(),
            repeated: Vec::new(),
            repeated_count: 0,
            waiver_keys: program
                .waivers
                .iter()
                .flat_map(|w| w.tasks.iter().cloned())
                .collect(),
            waiver_keys_seen: HashSet::new(),
            waiver_used: vec![false; program.waivers.len()],
        }
    }

    /// Takes the next batch, in input order, handing each task finding to
    /// `each` as it comes.
    pub fn add(
        &mut self,
        batch: CheckBatch,
        mut each: impl FnMut(&Finding) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        // Every task checked has its key in the batch.
        self.report.tasks += batch.keys.len() as u64;
        self.acc.merge(&batch.acc);
        or_into(&mut self.fired, &batch.fired);
        or_into(&mut self.taken, &batch.taken);
        for (hash, key, input, line) in batch.keys {
            if !self.keys.insert(hash) {
                self.repeated_count += 1;
                if self.repeated.len() < SHOWN_REPEATED {
                    let file = self.names.get(input).map_or("?", String::as_str);
                    self.repeated
                        .push(format!("{file}:{line}: the key `{key}` is repeated"));
                }
            }
            if self.waiver_keys.contains(key.as_str()) {
                self.waiver_keys_seen.insert(key);
            }
        }
        for w in batch.waivers_used {
            if let Some(u) = self.waiver_used.get_mut(w as usize) {
                *u = true;
            }
        }
        for f in batch.findings {
            each(&f)?;
            self.report.add(f, self.keep);
        }
        Ok(())
    }

    /// Adds another check of the same rule set, over other tasks: the
    /// result is what one pass over both would give. A key in both counts
    /// as repeated; those are counted, not named (a check keeps only the
    /// hashes of its keys).
    pub fn merge(&mut self, other: Check<'_>) {
        self.acc.merge(&other.acc);
        or_into(&mut self.fired, &other.fired);
        or_into(&mut self.taken, &other.taken);
        self.repeated_count += other.repeated_count;
        for r in other.repeated {
            if self.repeated.len() < SHOWN_REPEATED {
                self.repeated.push(r);
            }
        }
        for hash in other.keys.hashes() {
            if !self.keys.insert(hash) {
                self.repeated_count += 1;
            }
        }
        self.waiver_keys_seen.extend(other.waiver_keys_seen);
        or_into(&mut self.waiver_used, &other.waiver_used);
        self.report.merge(other.report);
    }

    /// Ends the check: the portfolio's findings and the expired waivers
    /// (handed to `each`, after the task findings), the warnings about
    /// waivers and repeated keys, and the coverage of rules and label lines.
    pub fn finish(
        mut self,
        mut each: impl FnMut(&Finding) -> std::io::Result<()>,
    ) -> Result<Report, CheckError> {
        let program = self.program;
        let today = self.today;
        if self.report.tasks == 0 {
            return Err(CheckError::NoTasks);
        }
        // Portfolio findings and expired waivers come after the task findings.
        let mut extra: Vec<Finding> = Vec::new();
        let portfolio = program
            .portfolio(&self.acc, today)
            .map_err(CheckError::Portfolio)?;
        for f in portfolio.findings {
            let Some(policy) = program.policies.get(f.policy as usize) else {
                continue;
            };
            extra.push(Finding {
                policy: policy.name.clone(),
                severity: policy.severity,
                status: if f.status == FindingStatus::Exempted {
                    Status::Exempted
                } else {
                    Status::Fired
                },
                message: f.message,
                location: rules_location(program, policy.span),
                expired_waiver: false,
            });
        }
        let expired: HashSet<u32> = program.expired_waivers(today).into_iter().collect();
        for w in program.expired_waivers(today) {
            let Some(waiver) = program.waivers.get(w as usize) else {
                continue;
            };
            let expires = waiver
                .expires
                .map(crate::value::format_date)
                .unwrap_or_default();
            extra.push(Finding {
                policy: policy_name(program, waiver.policy).to_string(),
                severity: Severity::Deny,
                status: Status::Fired,
                message: format!(
                    "the waiver for {} expired on {expires}; renew it with a new date or remove it",
                    waiver
                        .tasks
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                location: rules_location(program, waiver.span),
                expired_waiver: true,
            });
        }
        let report = &mut self.report;
        for (i, w) in program.waivers.iter().enumerate() {
            let loc = match rules_location(program, w.span) {
                Location::Rules { file, line } => {
                    format!("{}:{line}", file.as_deref().unwrap_or("built-in rules"))
                }
                Location::Task { .. } => String::new(),
            };
            let policy = policy_name(program, w.policy);
            for t in &w.tasks {
                if !self.waiver_keys_seen.contains(t) {
                    report.warnings.push(format!(
                        "{loc}: the waiver of \"{policy}\" names the task `{t}`, which is not in the input"
                    ));
                }
            }
            if !self.waiver_used.get(i).copied().unwrap_or(true) && !expired.contains(&(i as u32)) {
                report.warnings.push(format!(
                    "{loc}: the waiver of \"{policy}\" exempted nothing on this data"
                ));
            }
        }
        if self.repeated_count > 0 {
            report.warnings.append(&mut self.repeated);
            if self.repeated_count > SHOWN_REPEATED as u64 {
                report
                    .warnings
                    .push(format!("… {} repeated keys in all", self.repeated_count));
            }
        }
        report.never_fired = program
            .rules
            .iter()
            .zip(&self.fired)
            .filter(|(_, f)| !**f)
            .map(|(r, _)| format!("\"{}\"", r.name))
            .collect();
        report.never_taken = program
            .labels
            .iter()
            .zip(&self.taken)
            .filter(|(_, t)| !**t)
            .map(|(l, _)| {
                let cond = if l.when.is_some() {
                    format!("when {}", l.text)
                } else {
                    "otherwise".into()
                };
                format!("{} {cond}", program.label_name(l.value))
            })
            .collect();
        for f in extra {
            each(&f).map_err(CheckError::Output)?;
            report.add(f, self.keep);
        }
        Ok(self.report)
    }
}

fn policy_name(program: &Program, policy: u32) -> &str {
    program
        .policies
        .get(policy as usize)
        .map_or("?", |p| p.name.as_str())
}

fn or_into(into: &mut [bool], from: &[bool]) {
    for (a, b) in into.iter_mut().zip(from) {
        *a |= *b;
    }
}
