//! `outsort test`: run the rule set's `test` blocks, with a coverage gate.

use super::out::out;
use super::{Exit, RulesArgs, Ui, today};
use clap::Args;
use outsort::quote::escape;
use outsort::testing::run_tests;
use std::fmt::Write;

#[derive(Args, Debug)]
pub struct TestArgs {
    #[command(flatten)]
    rules: RulesArgs,

    /// Run only the tests whose name contains this text
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,

    /// Fail (exit 1) when the tests exercise less than this percentage of
    /// rules and label lines
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    min_coverage: Option<f64>,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    let n: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=100.0).contains(&n) {
        Ok(n)
    } else {
        Err(format!("`{s}` is not between 0 and 100"))
    }
}

pub fn run(ui: &Ui, args: TestArgs) -> Exit {
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let today = today(args.rules.today);
    let (text, exit) = report(&program, args.filter.as_deref(), args.min_coverage, today);
    // Test names and values come from the rule files.
    out!("{}", outsort::quote::escape_keep_lines(&text));
    exit
}

/// The whole text of a test run and its exit code.
pub fn report(
    program: &outsort::Program,
    filter: Option<&str>,
    min_coverage: Option<f64>,
    today: i32,
) -> (String, Exit) {
    let mut out = String::new();
    if program.tests.is_empty() {
        out.push_str("this rule set has no tests: nothing was checked\n");
        out.push_str("add `test \"name\" { given { ... } expect ... }` blocks to the rule files\n");
        let _ = writeln!(out, "0 passed, 0 failed");
        let exit = if min_coverage.is_some() {
            out.push_str("coverage gate failed: there are no tests\n");
            Exit::Failed
        } else {
            Exit::Success
        };
        return (out, exit);
    }
    let report = run_tests(program, filter, today);
    if report.outcomes.is_empty() {
        let _ = writeln!(out, "no test name contains \"{}\"", filter.unwrap_or(""));
        let _ = writeln!(out, "0 passed, 0 failed");
        return (
            out,
            if min_coverage.is_some() {
                Exit::Failed
            } else {
                Exit::Success
            },
        );
    }
    for o in &report.outcomes {
        let name = program.tests.get(o.test).map_or("?", |t| t.name.as_str());
        let name = escape(name);
        let _ = writeln!(
            out,
            "test \"{name}\" ... {}",
            if o.passed { "ok" } else { "FAILED" }
        );
    }
    let failed: Vec<_> = report.outcomes.iter().filter(|o| !o.passed).collect();
    if !failed.is_empty() {
        out.push_str("\nfailures:\n");
        let shown = outsort::testing::EXPLAINED_FAILURES;
        let more = failed.len().saturating_sub(shown);
        for o in failed.into_iter().take(shown) {
            let Some(test) = program.tests.get(o.test) else {
                continue;
            };
            let _ = writeln!(
                out,
                "\n---- \"{}\" ({}) ----",
                escape(&test.name),
                program.sources.location(test.span)
            );
            for f in &o.failures {
                let _ = writeln!(out, "  {}", escape(&f.to_string()));
            }
            for (task, e) in &o.explanations {
                out.push('\n');
                out.push_str(&outsort::output::explain::render_text(
                    program,
                    task,
                    e,
                    test.today.unwrap_or(today),
                    2,
                ));
            }
        }
        if more > 0 {
            let _ = writeln!(
                out,
                "\n… and {more} more failed {} (listed above as FAILED)",
                if more == 1 { "test" } else { "tests" }
            );
        }
    }
    let cov = &report.coverage;
    let rules_hit = cov.rules.iter().filter(|c| **c).count();
    let lines_hit = cov.lines.iter().filter(|c| **c).count();
    let pct = cov.percent();
    let _ = writeln!(
        out,
        "\ncoverage: {rules_hit} of {} rules fired, {lines_hit} of {} label lines taken ({}%)",
        cov.rules.len(),
        cov.lines.len(),
        outsort::value::format_number((pct * 10.0).round() / 10.0)
    );
    let never: Vec<String> = program
        .rules
        .iter()
        .zip(&cov.rules)
        .filter(|(_, c)| !**c)
        .map(|(r, _)| format!("rule \"{}\"", escape(&r.name)))
        .chain(
            program
                .labels
                .iter()
                .zip(&cov.lines)
                .filter(|(_, c)| !**c)
                .map(|(l, _)| {
                    format!(
                        "label line `{} {}`",
                        program.label_name(l.value),
                        if l.when.is_some() {
                            format!("when {}", l.text)
                        } else {
                            "otherwise".into()
                        }
                    )
                }),
        )
        .collect();
    for n in &never {
        let _ = writeln!(out, "  not exercised: {n}");
    }
    let mut exit = if report.failed() > 0 {
        Exit::Failed
    } else {
        Exit::Success
    };
    if let Some(min) = min_coverage
        && pct + 1e-9 < min
    {
        let _ = writeln!(
            out,
            "coverage gate failed: {}% is below the required {}%",
            outsort::value::format_number((pct * 10.0).round() / 10.0),
            outsort::value::format_number(min)
        );
        exit = Exit::Failed;
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        report.passed(),
        report.failed()
    );
    (out, exit)
}
