//! `outsort report`: one self-contained HTML file for people who do not run
//! the tool. It holds every task, so memory grows with the input.

use super::out::{self, OutputFile, errln};
use super::pipeline::{self, RowErrors, TaskView, Work};
use super::{Exit, InputArgs, RulesArgs, Ui, today};
use clap::Args;
use outsort::Program;
use outsort::ast::Severity;
use outsort::compile::Ty;
use outsort::eval::{Accumulators, FindingStatus};
use outsort::output::report::{Report, ReportFinding, ReportTask};
use outsort::value::Value;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(flatten)]
    rules: RulesArgs,

    #[command(flatten)]
    input: InputArgs,

    /// Where to write the HTML report
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// A numeric field, let or output to weigh tasks by (such as hours or
    /// cost): sums per label, and the size of each point in the chart
    #[arg(long, value_name = "NAME")]
    weight: Option<String>,

    /// The report's title
    #[arg(long, default_value = "Sourcing report")]
    title: String,
}

/// Where the weight comes from.
#[derive(Clone, Copy)]
enum Weight {
    None,
    Field(usize),
    Let(usize),
    Output(usize),
}

struct ReportWork<'a> {
    program: &'a Program,
    today: i32,
    weight: Weight,
}

type Part = (Vec<ReportTask>, Vec<ReportFinding>, Accumulators);

fn status_text(s: FindingStatus) -> &'static str {
    match s {
        FindingStatus::Fired => "fired",
        FindingStatus::Exempted => "exempted",
        FindingStatus::Waived(_) => "waived",
    }
}

impl Work for ReportWork<'_> {
    type Out = Part;

    fn start(&self) -> Part {
        (Vec::new(), Vec::new(), Accumulators::new(self.program))
    }

    fn task(&self, view: &TaskView<'_>, out: &mut Part) -> Result<(), String> {
        let program = self.program;
        let task = view.task;
        out.2
            .add(program, task, self.today)
            .map_err(|e| e.to_string())?;
        let mut found = Vec::new();
        program
            .task_findings(task, self.today, &mut found)
            .map_err(|e| e.to_string())?;
        let key = program.key_text(task);
        for f in found {
            let Some(policy) = program.policies.get(f.policy as usize) else {
                continue;
            };
            out.1.push(ReportFinding {
                policy: policy.name.clone(),
                severity: policy.severity.as_str().into(),
                status: status_text(f.status).into(),
                location: format!("{}:{} {key}", view.input.name, view.record.line()),
                message: f.message,
            });
        }
        let value = match self.weight {
            Weight::None => Some(Value::Num(1.0)),
            Weight::Field(i) => task.fields.get(i).cloned(),
            Weight::Let(i) => task.lets.get(i).cloned(),
            Weight::Output(i) => task.outputs.get(i).cloned(),
        };
        let weight = match value {
            Some(Value::Num(n)) => n,
            _ => 0.0,
        };
        let mut copy = task.clone();
        let explanation = program
            .explain(&mut copy, self.today)
            .map_err(|e| e.to_string())?;
        let name = program
            .name_field()
            .and_then(|i| task.fields.get(i))
            .map(|v| program.display(Ty::Text, v))
            .unwrap_or_default();
        out.0.push(ReportTask {
            key,
            name,
            label: task
                .label
                .map(|l| program.label_name(l).to_string())
                .unwrap_or_default(),
            reason: program
                .reason(task, self.today)
                .map_err(|e| e.to_string())?
                .into_owned(),
            scores: task.scores.clone(),
            weight,
            explanation: outsort::output::explain::render_text(
                program,
                &copy,
                &explanation,
                self.today,
                0,
            ),
        });
        Ok(())
    }
}

pub fn run(ui: &Ui, args: ReportArgs) -> Exit {
    let reads = out::Reads {
        inputs: &args.input.inputs,
        stdin: args.input.reads_stdin(),
        rules: &args.rules.rules,
    };
    if let Err(e) = out::refuse_inputs(ui, &args.output, &reads) {
        return e;
    }
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let today = today(args.rules.today);
    let weight = match &args.weight {
        None => Weight::None,
        Some(name) => {
            let numeric = |ty: Ty| ty == Ty::Number;
            if let Some(i) = program
                .fields
                .iter()
                .position(|f| f.name == *name && numeric(f.ty))
            {
                Weight::Field(i)
            } else if let Some(i) = program
                .lets
                .iter()
                .position(|l| l.name == *name && numeric(l.ty))
            {
                Weight::Let(i)
            } else if let Some(i) = program
                .outputs
                .iter()
                .position(|o| o.name == *name && numeric(o.ty))
            {
                Weight::Output(i)
            } else {
                let names: Vec<&str> = program
                    .fields
                    .iter()
                    .filter(|f| numeric(f.ty))
                    .map(|f| f.name.as_str())
                    .chain(
                        program
                            .lets
                            .iter()
                            .filter(|l| numeric(l.ty))
                            .map(|l| l.name.as_str()),
                    )
                    .chain(
                        program
                            .outputs
                            .iter()
                            .filter(|o| numeric(o.ty))
                            .map(|o| o.name.as_str()),
                    )
                    .collect();
                ui.error(&format!(
                    "`--weight {name}` is not a numeric field, let or output of the rule set"
                ));
                match outsort::diag::did_you_mean(name, names.iter().copied()) {
                    Some(best) => errln!("  did you mean `{best}`?"),
                    None => errln!("  the numeric names are: {}", names.join(", ")),
                }
                return Exit::Error;
            }
        }
    };
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
    let work = ReportWork {
        program: &program,
        today,
        weight,
    };
    let mut report = Report {
        title: args.title.clone(),
        sources: inputs.metas.iter().map(|m| m.name.clone()).collect(),
        date: outsort::value::format_date(today),
        labels: program.label_values().to_vec(),
        scores: program.scores.iter().map(|s| s.name.clone()).collect(),
        weight: args.weight.clone(),
        ..Report::default()
    };
    let mut acc = Accumulators::new(&program);
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
        |(tasks, findings, part)| {
            report.tasks.extend(tasks);
            report.findings.extend(findings);
            acc.merge(&part);
            Ok(())
        },
    );
    let counts = match result {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut exit = errors.finish_unwritten(args.input.skip_invalid, &args.output);
    if counts.tasks == 0 {
        ui.error("no tasks: the input holds no rows to report on");
        return Exit::Error;
    }
    match program.portfolio(&acc, today) {
        Ok(p) => {
            for (m, v) in program.metrics.iter().zip(&p.metrics) {
                let shown = if v.is_missing() {
                    "missing".to_string()
                } else {
                    program.display(m.ty, v)
                };
                report.metrics.push((m.name.clone(), shown));
            }
            for f in p.findings {
                let Some(policy) = program.policies.get(f.policy as usize) else {
                    continue;
                };
                report.findings.push(ReportFinding {
                    policy: policy.name.clone(),
                    severity: policy.severity.as_str().into(),
                    status: status_text(f.status).into(),
                    location: "portfolio".into(),
                    message: f.message,
                });
            }
        }
        Err(e) => {
            ui.error(&format!("cannot compute the metrics: {e}"));
            exit = Exit::Error;
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
        report.findings.push(ReportFinding {
            policy: policy.to_string(),
            severity: Severity::Deny.as_str().into(),
            status: "expired waiver".into(),
            location: program.sources.location(waiver.span),
            message: format!(
                "the waiver expired on {}",
                waiver
                    .expires
                    .map(outsort::value::format_date)
                    .unwrap_or_default()
            ),
        });
    }
    // Findings that count first, then waived and exempted ones.
    report
        .findings
        .sort_by_key(|f| f.status != "fired" && f.status != "expired waiver");
    let ranges: Vec<(f64, f64)> = program.scores.iter().map(|s| (s.lo, s.hi)).collect();
    // The report replaces the old file only when the run succeeded.
    if exit != Exit::Success {
        return exit;
    }
    let written = OutputFile::create(&args.output).and_then(|mut file| {
        file.write_all(report.html(&ranges).as_bytes())?;
        file.commit()
    });
    if written.is_err() {
        return Exit::Error;
    }
    errln!(
        "wrote {} ({} tasks)",
        args.output.display(),
        report.tasks.len()
    );
    exit
}
