//! `outsort lint`: static lints of a rule set, and with data, its coverage.

use super::out::{out, outln};
use super::pipeline::{self, RowErrors, TaskView, Work};
use super::{Exit, InputArgs, RulesArgs, Ui, today};
use clap::Args;
use outsort::Program;
use outsort::input::FieldSource;
use outsort::quote::escape;

#[derive(Args, Debug)]
pub struct LintArgs {
    #[command(flatten)]
    rules: RulesArgs,

    #[command(flatten)]
    input: InputArgs,

    /// Exit 1 when there is any warning
    #[arg(long)]
    deny_warnings: bool,

    /// List the lints and what each finds
    #[arg(long)]
    list: bool,
}

/// Rules fired and label lines taken in a batch.
struct Coverage<'a> {
    program: &'a Program,
}

impl Work for Coverage<'_> {
    type Out = (Vec<bool>, Vec<bool>);

    fn start(&self) -> Self::Out {
        (
            vec![false; self.program.rules.len()],
            vec![false; self.program.labels.len()],
        )
    }

    fn task(&self, view: &TaskView<'_>, out: &mut Self::Out) -> Result<(), String> {
        for (a, b) in out.0.iter_mut().zip(&view.task.fired) {
            *a |= *b;
        }
        if let Some(t) = view.task.label_line.and_then(|l| out.1.get_mut(l)) {
            *t = true;
        }
        Ok(())
    }
}

pub fn run(ui: &Ui, args: LintArgs) -> Exit {
    if args.list {
        for (name, what) in outsort::lint::LINTS {
            outln!("{name:<26} {what}");
        }
        return Exit::Success;
    }
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let warnings = outsort::lint::lint(&program);
    if !warnings.is_empty() {
        out!(
            "{}",
            outsort::diag::render_all(&warnings, &program.sources, ui.style)
        );
    }
    let mut exit = if args.deny_warnings && !warnings.is_empty() {
        Exit::Failed
    } else {
        Exit::Success
    };
    if !args.input.inputs.is_empty() {
        let today = today(args.rules.today);
        let mut inputs = match pipeline::open(
            ui,
            &program,
            &args.input,
            &[],
            true,
            pipeline::threads(None),
        ) {
            Ok(i) => i,
            Err(e) => return e,
        };
        let mut unused_columns: Vec<String> = Vec::new();
        for meta in &inputs.metas {
            let mut used = vec![false; meta.columns.len()];
            for f in meta.binding.fields() {
                match &f.source {
                    FieldSource::Column(i) => {
                        if let Some(u) = used.get_mut(*i) {
                            *u = true;
                        }
                    }
                    FieldSource::Joined(list) => {
                        for i in list {
                            if let Some(u) = used.get_mut(*i) {
                                *u = true;
                            }
                        }
                    }
                    FieldSource::Path(path) => {
                        if let Some(i) = path
                            .first()
                            .and_then(|k| meta.columns.iter().position(|c| c == k))
                            && let Some(u) = used.get_mut(i)
                        {
                            *u = true;
                        }
                    }
                    FieldSource::Absent => {}
                }
            }
            for (c, u) in meta.columns.iter().zip(&used) {
                let name = outsort::input::column_label(
                    &meta.columns,
                    meta.columns.iter().position(|x| x == c).unwrap_or(0),
                );
                if !u && !unused_columns.contains(&name) {
                    unused_columns.push(name);
                }
            }
        }
        let work = Coverage { program: &program };
        let mut fired = vec![false; program.rules.len()];
        let mut taken = vec![false; program.labels.len()];
        let mut errors = RowErrors::new(ui);
        let threads = pipeline::threads(None);
        let result = pipeline::run(
            ui,
            &program,
            &mut inputs,
            today,
            false,
            threads,
            &mut errors,
            &work,
            |(f, t)| {
                for (a, b) in fired.iter_mut().zip(&f) {
                    *a |= *b;
                }
                for (a, b) in taken.iter_mut().zip(&t) {
                    *a |= *b;
                }
                Ok(())
            },
        );
        let counts = match result {
            Ok(c) => c,
            Err(e) => return e,
        };
        exit = exit.max(errors.finish(args.input.skip_invalid));
        outln!("data coverage over {} tasks:", counts.tasks);
        let mut any = false;
        for (r, f) in program.rules.iter().zip(&fired) {
            if !f {
                any = true;
                outln!(
                    "  note: rule never fired: \"{}\" ({})",
                    escape(&r.name),
                    program.sources.location(r.span)
                );
            }
        }
        for (l, t) in program.labels.iter().zip(&taken) {
            if !t {
                any = true;
                let cond = if l.when.is_some() {
                    format!("when {}", l.text)
                } else {
                    "otherwise".into()
                };
                outln!(
                    "  note: label line never taken: {} {} ({})",
                    program.label_name(l.value),
                    escape(&cond),
                    program.sources.location(l.span)
                );
            }
        }
        if !unused_columns.is_empty() {
            any = true;
            outln!(
                "  note: input columns no field reads: {}",
                escape(&unused_columns.join(", "))
            );
        }
        if !any {
            outln!("  every rule fired, every label line was taken, every column was read");
        }
    } else if warnings.is_empty() {
        outln!("no lint warnings");
    }
    exit
}
