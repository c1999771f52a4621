//! `outsort check`: run the policies over every task in one pass, the CI gate.

use super::out::{self, errln};
use super::pipeline::{self, RowErrors};
use super::{Exit, InputArgs, RulesArgs, Ui, today};
use clap::{Args, ValueEnum};
use outsort::ast::Severity;
use outsort::policy::{Check, CheckError, Checker, Finding, Report};
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

pub fn run(ui: &Ui, args: CheckArgs) -> Exit {
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let today = today(args.rules.today);
    let threads = pipeline::threads(args.threads);
    let mut inputs = match pipeline::open(ui, &program, &args.input, &[], true, threads) {
        Ok(i) => i,
        Err(e) => return e,
    };
    // JSON and GitHub output stream the task findings as they come, in input
    // order; the other formats group or sort them, so keep them to the end.
    let streaming = matches!(args.format, CheckFormat::Json | CheckFormat::Github);
    let mut check = Check::new(&program, today, &inputs, !streaming);
    let mut out = std::io::BufWriter::new(out::Stdout);
    let mut wrote_findings = false;
    if args.format == CheckFormat::Json {
        let _ = out.write_all(Report::JSON_OPEN.as_bytes());
    }
    let format = args.format;
    let mut stream = |f: &Finding| -> std::io::Result<()> {
        if streaming {
            let text = match format {
                CheckFormat::Json => Report::json_finding(f, !wrote_findings),
                _ => Report::github_line(f),
            };
            out.write_all(text.as_bytes())?;
            wrote_findings = true;
        }
        Ok(())
    };
    let mut errors = RowErrors::new(ui);
    let checker = Checker::new(&program, today);
    let result = pipeline::run(
        ui,
        &program,
        &mut inputs,
        today,
        false,
        threads,
        &mut errors,
        &checker,
        |batch| check.add(batch, &mut stream),
    );
    if let Err(e) = result {
        return e;
    }
    let row_exit = errors.finish(args.input.skip_invalid);
    let report = match check.finish(&mut stream) {
        Ok(r) => r,
        Err(CheckError::NoTasks) => {
            ui.error(&CheckError::NoTasks.to_string());
            errln!(
                "  a check that checked nothing must not pass: give an input with at least one task"
            );
            return Exit::Error;
        }
        Err(CheckError::Output(e)) => {
            out::record_unseen(&e);
            return Exit::Error;
        }
        Err(e) => {
            ui.error(&e.to_string());
            return Exit::Error;
        }
    };
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
