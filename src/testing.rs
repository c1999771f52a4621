//! Running a rule set's `test` blocks: each given task or portfolio is
//! evaluated, each expectation checked, and coverage of rules and label lines
//! recorded.

use crate::ast::{ExpectKind, Severity};
use crate::compile::{CompiledExpect, CompiledTest, Program};
use crate::eval::{Accumulators, Env, Explanation, Finding, FindingStatus, Task, explain_false};

/// The result of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct TestOutcome {
    /// Index in [`Program::tests`].
    pub test: usize,
    pub passed: bool,
    /// For each expectation that failed: what was expected and what was seen.
    pub failures: Vec<String>,
    /// The explanation of each task of a failed test, for the first
    /// [`EXPLAINED_FAILURES`] failed tests of a run only (empty for the rest).
    pub explanations: Vec<(Task<'static>, Explanation)>,
}

/// Which rules fired and which label lines were taken across the tests run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    pub rules: Vec<bool>,
    pub lines: Vec<bool>,
}

impl Coverage {
    /// Covered and total count of rules and label lines together.
    pub fn counts(&self) -> (usize, usize) {
        let covered = self.rules.iter().chain(&self.lines).filter(|c| **c).count();
        (covered, self.rules.len() + self.lines.len())
    }

    /// The share covered, in percent; 0 when there is nothing to cover.
    pub fn percent(&self) -> f64 {
        let (covered, total) = self.counts();
        if total == 0 {
            0.0
        } else {
            covered as f64 * 100.0 / total as f64
        }
    }
}

/// The results of a test run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TestReport {
    pub outcomes: Vec<TestOutcome>,
    pub coverage: Coverage,
}

impl TestReport {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.len() - self.passed()
    }
}

/// How many failed tests of a run keep the explanations of their tasks:
/// those are the ones shown in full; an explanation lists every rule, so
/// keeping one for every failed test grows with rules × tests.
pub const EXPLAINED_FAILURES: usize = 10;

/// Runs the tests whose names contain `filter` (all when `None`); `today` is
/// the date of the run, which a test's own `today` overrides.
pub fn run_tests(program: &Program, filter: Option<&str>, today: i32) -> TestReport {
    let mut report = TestReport {
        outcomes: Vec::new(),
        coverage: Coverage {
            rules: vec![false; program.rules.len()],
            lines: vec![false; program.labels.len()],
        },
    };
    for (i, test) in program.tests.iter().enumerate() {
        if filter.is_some_and(|f| !test.name.contains(f)) {
            continue;
        }
        let explain = report.failed() < EXPLAINED_FAILURES;
        let outcome = run_one(
            program,
            i,
            test,
            test.today.unwrap_or(today),
            &mut report.coverage,
            explain,
        );
        report.outcomes.push(outcome);
    }
    report
}

fn run_one(
    program: &Program,
    index: usize,
    test: &CompiledTest,
    today: i32,
    coverage: &mut Coverage,
    explain: bool,
) -> TestOutcome {
    let mut failures = Vec::new();
    let mut tasks: Vec<Task<'static>> = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut acc = Accumulators::new(program);
    for (n, values) in test.tasks.iter().enumerate() {
        let mut task = program.new_task();
        task.fields.clone_from(values);
        let which = if test.portfolio {
            format!("task {} of the portfolio: ", n + 1)
        } else {
            String::new()
        };
        if let Err(e) = program.evaluate(&mut task, today) {
            failures.push(format!("{which}evaluation failed {e}"));
            continue;
        }
        if let Err(e) = program.reason(&task, today) {
            failures.push(format!("{which}evaluation failed {e}"));
        }
        for (c, fired) in coverage.rules.iter_mut().zip(&task.fired) {
            *c |= *fired;
        }
        if let Some(c) = task.label_line.and_then(|l| coverage.lines.get_mut(l)) {
            *c = true;
        }
        if let Err(e) = program.task_findings(&task, today, &mut findings) {
            failures.push(format!("{which}evaluation failed {e}"));
        }
        if let Err(e) = acc.add(program, &task, today) {
            failures.push(format!("{which}evaluation failed {e}"));
        }
        tasks.push(task);
    }
    let portfolio = match program.portfolio(&acc, today) {
        Ok(p) => Some(p),
        Err(e) => {
            failures.push(format!("evaluation failed {e}"));
            None
        }
    };
    if let Some(p) = &portfolio {
        findings.extend(p.findings.iter().cloned());
    }
    if failures.is_empty()
        && let Some(p) = &portfolio
    {
        for expect in &test.expects {
            match expect {
                CompiledExpect::Cond { node, text, .. } => {
                    for (n, task) in tasks.iter().enumerate() {
                        let env = Env {
                            task: Some(task),
                            aggs: &p.aggs,
                            metrics: &p.metrics,
                            today,
                        };
                        match program.holds(node, env) {
                            Ok(true) => {}
                            Ok(false) => {
                                let why = explain_false(program, node, env);
                                let which = if test.portfolio {
                                    format!(" for task {} ({})", n + 1, program.key_text(task))
                                } else {
                                    String::new()
                                };
                                failures.push(format!(
                                    "expected `{text}`{which}, but {}",
                                    why.join("; ")
                                ));
                            }
                            Err(e) => failures
                                .push(format!("expected `{text}`, but evaluating it failed: {e}")),
                        }
                    }
                }
                CompiledExpect::Policy { kind, policy, .. } => {
                    let Some(def) = program.policies.get(*policy as usize) else {
                        continue;
                    };
                    let of_policy: Vec<&Finding> =
                        findings.iter().filter(|f| f.policy == *policy).collect();
                    let fired = of_policy
                        .iter()
                        .filter(|f| f.status == FindingStatus::Fired)
                        .count();
                    let holds = match kind {
                        ExpectKind::Denied => def.severity == Severity::Deny && fired > 0,
                        ExpectKind::Warned => def.severity == Severity::Warn && fired > 0,
                        ExpectKind::Passes => fired == 0,
                    };
                    if !holds {
                        let seen = describe_findings(program, &of_policy);
                        let sev = def.severity.as_str();
                        let wanted = match kind {
                            ExpectKind::Denied if def.severity != Severity::Deny => {
                                format!(
                                    "expected \"{}\" to deny, but it is a `{sev}` policy",
                                    def.name
                                )
                            }
                            ExpectKind::Warned if def.severity != Severity::Warn => {
                                format!(
                                    "expected \"{}\" to warn, but it is a `{sev}` policy",
                                    def.name
                                )
                            }
                            ExpectKind::Passes => {
                                format!("expected \"{}\" to pass, but {seen}", def.name)
                            }
                            _ => format!("expected \"{}\" to {sev}, but {seen}", def.name),
                        };
                        failures.push(wanted);
                    }
                }
            }
        }
    }
    let passed = failures.is_empty();
    let mut explanations = Vec::new();
    if !passed && explain {
        for t in &tasks {
            let mut task = t.clone();
            if let Ok(e) = program.explain(&mut task, today) {
                explanations.push((task, e));
            }
        }
    }
    TestOutcome {
        test: index,
        passed,
        failures,
        explanations,
    }
}

fn describe_findings(program: &Program, findings: &[&Finding]) -> String {
    if findings.is_empty() {
        return "its condition did not hold".to_string();
    }
    let parts: Vec<String> = findings
        .iter()
        .map(|f| match f.status {
            FindingStatus::Fired if f.message.is_empty() => "it fired".to_string(),
            FindingStatus::Fired => format!("it fired: {}", f.message),
            FindingStatus::Exempted => "its `unless` exempted the task".to_string(),
            FindingStatus::Waived(w) => {
                let reason = program
                    .waivers
                    .get(w as usize)
                    .map_or("", |w| w.reason.as_str());
                format!("a waiver exempted the task ({reason})")
            }
        })
        .collect();
    parts.join("; ")
}
