//! `outsort diff`: the report in each format, and the exit code of each gate.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn outsort(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The default rule set with one weight changed: a provider that would see
/// high-sensitivity data costs 20 points of outsourceability instead of 50,
/// which moves four tasks of the sample out of in-house.
fn after_rules(dir: &Path) -> PathBuf {
    let rules = std::fs::read_to_string("rules/default.rules").unwrap();
    let from = "outsourceability -= if anonymised then 15 else 50";
    assert!(
        rules.contains(from),
        "the default rules changed: update this test"
    );
    let path = dir.join("after.rules");
    std::fs::write(
        &path,
        rules.replace(from, "outsourceability -= if anonymised then 15 else 20"),
    )
    .unwrap();
    path
}

/// Runs `diff` of the default rules against the changed ones on the sample.
fn diff(extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let after = after_rules(dir.path());
    let mut args = vec![
        "diff",
        "--before",
        "rules/default.rules",
        "--after",
        after.to_str().unwrap(),
        "examples/tasks.csv",
        "--today",
        "2026-11-28",
    ];
    args.extend_from_slice(extra);
    outsort(&args)
}

#[test]
fn report_in_every_format() {
    for format in ["text", "json", "markdown"] {
        let run = diff(&["-f", format]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{format}");
        insta::assert_snapshot!(format!("diff_{format}"), run.stdout);
    }
}

#[test]
fn json_report_adds_up() {
    let run = diff(&["-f", "json"]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["tasks"], 60);
    assert_eq!(report["changed"], 4);
    let total: u64 = report["matrix"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(total, 60);
    let first = &report["changes"][0];
    assert_eq!(first["key"], "T020");
    assert_eq!(first["line"], 21);
    assert_eq!(first["scores"][2]["delta"], 30);
}

#[test]
fn gates_set_the_exit_code() {
    let cases: [(&[&str], i32); 14] = [
        (&[], 0),
        (&["--fail-on-change"], 1),
        (&["--max-changed", "4"], 0),
        (&["--max-changed", "3"], 1),
        (&["--max-changed", "7%"], 0),
        (&["--max-changed", "5%"], 1),
        (&["--deny-transition", "in_house:bpo"], 1),
        (&["--deny-transition", "bpo:in_house"], 0),
        (&["--deny-transition", "kpo:*"], 0),
        (&["--deny-transition", "*:kpo"], 1),
        (
            &[
                "--deny-transition",
                "bpo:in_house",
                "--deny-transition",
                "in_house:kpo",
            ],
            1,
        ),
        (&["--max-changed", "10", "--deny-transition", "kpo:bpo"], 0),
        // Mistakes in the gates are errors, not passes.
        (&["--deny-transition", "in_hous:bpo"], 2),
        (&["--max-changed", "many"], 2),
    ];
    for (gates, want) in cases {
        let run = diff(gates);
        assert_eq!(run.code, want, "{gates:?}: {}{}", run.stdout, run.stderr);
    }
    let run = diff(&["--deny-transition", "in_hous:bpo"]);
    assert!(
        run.stderr
            .contains("neither rule set has the label `in_hous`")
            && run.stderr.contains("did you mean `in_house`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn failed_gates_are_in_the_report() {
    let run = diff(&["--max-changed", "5%", "--deny-transition", "in_house:bpo"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(
        "gate failed: 4 tasks change label (6.7%), more than the 5% allowed (--max-changed 5%)"
    ));
    assert!(run.stdout.contains(
        "gate failed: 3 tasks go from in_house to bpo: T034, T056, T058 (--deny-transition in_house:bpo)"
    ));
    let run = diff(&["-f", "markdown", "--deny-transition", "bpo:kpo"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("- ✅ no task goes from bpo to kpo (`--deny-transition bpo:kpo`)")
    );
}

#[test]
fn same_rules_change_nothing() {
    let run = outsort(&[
        "diff",
        "--before",
        "rules/default.rules",
        "--after",
        "rules/default.rules",
        "examples/tasks.csv",
        "--fail-on-change",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("no task changes label (60 tasks)"));
}

#[test]
fn row_errors_exit_2_over_failed_gates() {
    let dir = tempfile::tempdir().unwrap();
    let after = after_rules(dir.path());
    let csv = std::fs::read_to_string("examples/tasks.csv").unwrap();
    let bad = dir.path().join("tasks.csv");
    std::fs::write(
        &bad,
        csv.replacen(
            "T002,Month-end close and consolidation,Finance,Accounting close,140,",
            "T002,Month-end close and consolidation,Finance,Accounting close,lots,",
            1,
        ),
    )
    .unwrap();
    let args = |extra: &'static [&'static str]| {
        let mut a = vec![
            "diff".to_string(),
            "--before".into(),
            "rules/default.rules".into(),
            "--after".into(),
            after.display().to_string(),
            bad.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run_with = |extra: &'static [&'static str]| {
        let a = args(extra);
        outsort(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let run = run_with(&["--fail-on-change"]);
    assert_eq!(run.code, 2);
    // Both rule sets read the cell the same way: one message for the row.
    assert_eq!(
        run.stderr.matches("`lots` is not a number").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("tasks.csv:3: column \"hours_per_month\"")
    );
    assert!(run.stdout.contains("4 of 59 tasks change label"));
    let run = run_with(&["--skip-invalid"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = run_with(&["--skip-invalid", "--fail-on-change"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn each_rule_set_binds_its_own_fields() {
    let dir = tempfile::tempdir().unwrap();
    let rules = std::fs::read_to_string("rules/default.rules").unwrap();
    let after = dir.path().join("after.rules");
    // The after rules read a column the sample lacks (their tests, which
    // would lack it too, are left out).
    let rules = rules.split("\ntest \"").next().unwrap();
    std::fs::write(
        &after,
        rules
            .lines()
            .flat_map(|l| {
                let extra = l
                    .trim_start()
                    .starts_with("owner:")
                    .then_some("    vendor: text");
                std::iter::once(l).chain(extra)
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let run = outsort(&[
        "diff",
        "--before",
        "rules/default.rules",
        "--after",
        after.to_str().unwrap(),
        "examples/tasks.csv",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: --after rules: examples/tasks.csv: field \"vendor\": no column \"vendor\""
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn arguments_are_required() {
    let run = outsort(&["diff", "examples/tasks.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--before <RULES>"), "{}", run.stderr);
}
