//! `outsort diff`: run two versions of a rule set over the same tasks in one
//! pass and show who changes label, with gates for CI.

use super::out;
use super::pipeline::{self, Evaluator, RowErrors};
use super::{Exit, InputArgs, RulesArgs, Ui, parse_today, today};
use clap::{Args, ValueEnum};
use outsort::diff::{Diff, Gate, Limit};
use outsort::eval::Task;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The rule set before the change: a file or a directory (read
    /// recursively); repeatable
    #[arg(long, value_name = "RULES", required = true)]
    before: Vec<PathBuf>,

    /// The rule set after the change: a file or a directory; repeatable
    #[arg(long, value_name = "RULES", required = true)]
    after: Vec<PathBuf>,

    /// The date of the run, YYYY-MM-DD (for `days_until`)
    #[arg(long, value_name = "DATE", value_parser = parse_today)]
    today: Option<i32>,

    #[command(flatten)]
    input: InputArgs,

    /// Output format: text, json, or markdown (for a pull-request comment)
    #[arg(short, long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,

    /// Fail (exit 1) when any task changes label
    #[arg(long)]
    fail_on_change: bool,

    /// Fail (exit 1) when more than N tasks, or more than P% of them, change label
    #[arg(long, value_name = "N|P%")]
    max_changed: Option<Limit>,

    /// Fail (exit 1) when a task goes from one label to another, such as
    /// `in_house:bpo`; `*` stands for any label; repeatable
    #[arg(long, value_name = "FROM:TO", value_parser = Gate::parse_transition)]
    deny_transition: Vec<Gate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// Both messages of a row that failed under one rule set or both.
fn row_error(before: Option<String>, after: Option<String>) -> Option<String> {
    match (before, after) {
        (None, None) => None,
        (Some(b), Some(a)) if a == b => Some(b),
        (Some(b), None) => Some(format!("{b} (with the --before rules)")),
        (None, Some(a)) => Some(format!("{a} (with the --after rules)")),
        (Some(b), Some(a)) => Some(format!(
            "{b} (with the --before rules); {a} (with the --after rules)"
        )),
    }
}

pub fn run(ui: &Ui, args: DiffArgs) -> Exit {
    let load = |rules: &[PathBuf]| {
        ui.load(&RulesArgs {
            rules: rules.to_vec(),
            today: args.today,
        })
    };
    let (before, after) = match (load(&args.before), load(&args.after)) {
        (Ok(b), Ok(a)) => (b, a),
        _ => return Exit::Error,
    };
    let today = today(args.today);
    let mut gates: Vec<Gate> = Vec::new();
    if args.fail_on_change {
        gates.push(Gate::AnyChange);
    }
    if let Some(limit) = args.max_changed {
        gates.push(Gate::MaxChanged(limit));
    }
    gates.extend(args.deny_transition.iter().cloned());
    let mut diff = Diff::new(&before, &after);
    let labels: Vec<String> = diff.labels().iter().map(|l| l.to_string()).collect();
    let unknown: Vec<String> = gates
        .iter()
        .flat_map(|g| g.unknown_labels(&labels))
        .collect();
    if !unknown.is_empty() {
        for m in &unknown {
            ui.error(m);
        }
        return Exit::Error;
    }
    let programs = [("--before rules", &before), ("--after rules", &after)];
    let mut inputs = match pipeline::open_for(ui, &programs, &args.input, &[], true, 1) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let old_side = Evaluator::new(&before, today);
    let new_side = Evaluator::new(&after, today);
    let mut old_spare: Task<'static> = before.new_task();
    let mut new_spare: Task<'static> = after.new_task();
    let mut errors = RowErrors::new(ui);
    let result = pipeline::each_record(ui, &mut inputs, &mut errors, |input, record, errors| {
        // The inputs were bound to both rule sets: the after binding exists.
        let Some(new_binding) = input.binding_for(1) else {
            errors.report(&format!(
                "{}:{}: the input is not bound to the --after rules",
                input.name,
                record.line()
            ));
            return Ok(false);
        };
        let old = old_side.task(&input.binding, &input.name, record, &mut old_spare, None);
        let new = new_side.task(new_binding, &input.name, record, &mut new_spare, None);
        match (old, new) {
            (Ok(old), Ok(new)) => {
                let added = diff.add(
                    &before,
                    &old,
                    &after,
                    &new,
                    today,
                    &input.name,
                    record.line(),
                );
                if let Err(e) = &added {
                    errors.report(&format!(
                        "{}:{}: task `{}`: {e}",
                        input.name,
                        record.line(),
                        after.key_text(&new)
                    ));
                }
                old_spare = old.recycle();
                new_spare = new.recycle();
                Ok(added.is_ok())
            }
            (old, new) => {
                let message = row_error(old.as_ref().err().cloned(), new.as_ref().err().cloned());
                if let Ok(t) = old {
                    old_spare = t.recycle();
                }
                if let Ok(t) = new {
                    new_spare = t.recycle();
                }
                if let Some(m) = message {
                    errors.report(&m);
                }
                Ok(false)
            }
        }
    });
    let counts = match result {
        Ok(c) => c,
        Err(e) => return e,
    };
    let results = diff.check(&gates);
    let report = match args.format {
        DiffFormat::Text => outsort::output::diff::text(&diff, &results),
        DiffFormat::Json => outsort::output::diff::json(&diff, &results),
        DiffFormat::Markdown => outsort::output::diff::markdown(&diff, &results),
    };
    if let Err(e) = out::Stdout
        .write_all(report.as_bytes())
        .and_then(|()| out::Stdout.flush())
    {
        out::record_unseen(&e);
        return Exit::Error;
    }
    let mut exit = errors.finish(args.input.skip_invalid);
    if counts.tasks == 0 {
        ui.error("no tasks: the input holds no rows to compare");
        exit = Exit::Error;
    }
    if exit == Exit::Success && results.iter().any(|g| g.failed) {
        exit = Exit::Failed;
    }
    exit
}
