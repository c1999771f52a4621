//! `outsort check`: run the policies over every task in one pass, the CI gate.

use super::out::{self, errln};
use super::pipeline::{self, RowErrors, TaskView, Work};
use super::{Exit, InputArgs, RulesArgs, Ui, today};
use clap::{Args, ValueEnum};
use outsort::Program;
use outsort::ast::Severity;
use outsort::eval::{Accumulators, FindingStatus};
use outsort::output::findings::{Finding, Location, Report, Status};
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io::Write;

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    rules: RulesArgs,

    #[command(flatten)]
    input: InputArgs,

    /// Output format: text, json, junit, github (workflow annotations) or sarif
    #[arg(short, long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,

    /// The least severity that fails the check (exit 1)
    #[arg(long, value_enum, default_value_t = FailOn::Deny)]
    fail_on: FailOn,

    /// Threads reading and evaluating tasks (default: every core; at most 256)
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    Junit,
    Github,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Deny,
    Warn,
}

/// The line of a rule-set span, and its file unless built in.
fn rules_location(program: &Program, span: outsort::ast::Span) -> Location {
    let file = program.sources.get(span.file);
    let line = file.map_or(0, |f| f.line_col(span.start as usize).0 as u64);
    let name = file
        .map(|f| f.name.clone())
        .filter(|n| n != outsort::DEFAULT_RULES_NAME);
    Location::Rules { file: name, line }
}

fn key_hash(key: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// What one batch of tasks found.
struct CheckOut {
    findings: Vec<Finding>,
    acc: Accumulators,
    fired: Vec<bool>,
    taken: Vec<bool>,
    /// Each task's key hash, key, input and line, in order.
    keys: Vec<(u64, String, usize, u64)>,
    waivers_used: Vec<u32>,
}

struct CheckWork<'a> {
    program: &'a Program,
    today: i32,
    /// Index of each input by name, to refer to it compactly.
    inputs: Vec<String>,
}

impl Work for CheckWork<'_> {
    type Out = CheckOut;

    fn start(&self) -> CheckOut {
        CheckOut {
            findings: Vec::new(),
            acc: Accumulators::new(self.program),
            fired: vec![false; self.program.rules.len()],
            taken: vec![false; self.program.labels.len()],
            keys: Vec::new(),
            waivers_used: Vec::new(),
        }
    }

    fn task(&self, view: &TaskView<'_>, out: &mut CheckOut) -> Result<(), String> {
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
        let input = view.input.index;
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
            .push((key_hash(&key), key, input, view.record.line()));
        Ok(())
    }
}

pub fn run(ui: &Ui, args: CheckArgs) -> Exit {
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let today = today(args.rules.today);
    let mut inputs = match pipeline::open(
        ui,
        &program,
        &args.input,
        &[],
        true,
        pipeline::threads(args.threads),
    ) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let work = CheckWork {
        program: &program,
        today,
        inputs: inputs.metas.iter().map(|m| m.name.clone()).collect(),
    };
    let mut errors = RowErrors::new(ui);
    let mut acc = Accumulators::new(&program);
    let mut report = Report::new(
        program
            .policies
            .iter()
            .map(|p| (p.name.clone(), p.severity))
            .collect(),
    );
    // JSON and GitHub output stream the task findings as they come, in input
    // order; the other formats group or sort them, so keep them to the end.
    let streaming = matches!(args.format, CheckFormat::Json | CheckFormat::Github);
    let mut out = std::io::BufWriter::new(out::Stdout);
    let mut wrote_findings = false;
    if args.format == CheckFormat::Json {
        let _ = out.write_all(Report::JSON_OPEN.as_bytes());
    }
    let mut fired = vec![false; program.rules.len()];
    let mut taken = vec![false; program.labels.len()];
    // Keys seen, by hash: at most 16 bytes a task to find repeated keys.
    let mut keys = super::seen::SeenHashes::new();
    let mut repeated: Vec<String> = Vec::new();
    let mut repeated_count = 0u64;
    let waiver_keys: HashSet<&str> = program
        .waivers
        .iter()
        .flat_map(|w| w.tasks.iter().map(String::as_str))
        .collect();
    let mut waiver_keys_seen: HashSet<String> = HashSet::new();
    let mut waiver_used: Vec<bool> = vec![false; program.waivers.len()];
    let threads = pipeline::threads(args.threads);
    let names = work.inputs.clone();
    let result = pipeline::run(
        ui,
        &program,
        &mut inputs,
        today,
        false,
        threads,
        &mut errors,
        &work,
        |batch| {
            acc.merge(&batch.acc);
            for (a, b) in fired.iter_mut().zip(&batch.fired) {
                *a |= *b;
            }
            for (a, b) in taken.iter_mut().zip(&batch.taken) {
                *a |= *b;
            }
            for (hash, key, input, line) in batch.keys {
                if !keys.insert(hash) {
                    repeated_count += 1;
                    if repeated.len() < 20 {
                        let file = names.get(input).map_or("?", String::as_str);
                        repeated.push(format!("{file}:{line}: the key `{key}` is repeated"));
                    }
                }
                if waiver_keys.contains(key.as_str()) {
                    waiver_keys_seen.insert(key);
                }
            }
            for w in batch.waivers_used {
                if let Some(u) = waiver_used.get_mut(w as usize) {
                    *u = true;
                }
            }
            for f in batch.findings {
                if streaming {
                    let text = match args.format {
                        CheckFormat::Json => Report::json_finding(&f, !wrote_findings),
                        _ => Report::github_line(&f),
                    };
                    out.write_all(text.as_bytes())?;
                    wrote_findings = true;
                }
                report.add(f, !streaming);
            }
            Ok(())
        },
    );
    let counts = match result {
        Ok(c) => c,
        Err(e) => return e,
    };
    report.tasks = counts.tasks;
    let row_exit = errors.finish(args.input.skip_invalid);
    if counts.tasks == 0 {
        ui.error("no tasks were read, so no policy was checked");
        errln!(
            "  a check that checked nothing must not pass: give an input with at least one task"
        );
        return Exit::Error;
    }
    // Portfolio findings and expired waivers come after the task findings.
    let mut extra: Vec<Finding> = Vec::new();
    match program.portfolio(&acc, today) {
        Ok(p) => {
            for f in p.findings {
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
                    location: rules_location(&program, policy.span),
                    expired_waiver: false,
                });
            }
        }
        Err(e) => {
            ui.error(&format!("cannot compute the portfolio: {e}"));
            return Exit::Error;
        }
    }
    for w in program.expired_waivers(today) {
        let Some(waiver) = program.waivers.get(w as usize) else {
            continue;
        };
        let policy = program
            .policies
            .get(waiver.policy as usize)
            .map_or("?", |p| p.name.as_str());
        let expired = waiver
            .expires
            .map(outsort::value::format_date)
            .unwrap_or_default();
        extra.push(Finding {
            policy: policy.to_string(),
            severity: Severity::Deny,
            status: Status::Fired,
            message: format!(
                "the waiver for {} expired on {expired}; renew it with a new date or remove it",
                waiver
                    .tasks
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            location: rules_location(&program, waiver.span),
            expired_waiver: true,
        });
    }
    let expired: HashSet<u32> = program.expired_waivers(today).into_iter().collect();
    for (i, w) in program.waivers.iter().enumerate() {
        let loc = match rules_location(&program, w.span) {
            Location::Rules { file, line } => {
                format!("{}:{line}", file.as_deref().unwrap_or("built-in rules"))
            }
            Location::Task { .. } => String::new(),
        };
        let policy = program
            .policies
            .get(w.policy as usize)
            .map_or("?", |p| p.name.as_str());
        for t in &w.tasks {
            if !waiver_keys_seen.contains(t) {
                report.warnings.push(format!("{loc}: the waiver of \"{policy}\" names the task `{t}`, which is not in the input"));
            }
        }
        if !waiver_used.get(i).copied().unwrap_or(true) && !expired.contains(&(i as u32)) {
            report.warnings.push(format!(
                "{loc}: the waiver of \"{policy}\" exempted nothing on this data"
            ));
        }
    }
    if repeated_count > 0 {
        report.warnings.extend(repeated);
        if repeated_count > 20 {
            report
                .warnings
                .push(format!("… {} repeated keys in all", repeated_count));
        }
    }
    report.never_fired = program
        .rules
        .iter()
        .zip(&fired)
        .filter(|(_, f)| !**f)
        .map(|(r, _)| format!("\"{}\"", r.name))
        .collect();
    report.never_taken = program
        .labels
        .iter()
        .zip(&taken)
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
        if streaming {
            let text = match args.format {
                CheckFormat::Json => Report::json_finding(&f, !wrote_findings),
                _ => Report::github_line(&f),
            };
            let _ = out.write_all(text.as_bytes());
            wrote_findings = true;
        }
        report.add(f, !streaming);
    }
    let text = match args.format {
        CheckFormat::Text => report.text(),
        CheckFormat::Json => report.json_close(wrote_findings),
        CheckFormat::Junit => report.junit(),
        CheckFormat::Github => report.github_summary(),
        CheckFormat::Sarif => report.sarif(&program),
    };
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        out::record_unseen(&e);
        return Exit::Error;
    }
    let failed = report.fired(Severity::Deny) > 0
        || (args.fail_on == FailOn::Warn && report.fired(Severity::Warn) > 0);
    let exit = if failed { Exit::Failed } else { Exit::Success };
    // Exit 2 wins over 1.
    exit.max(row_exit)
}
