//! The `outsort` command as a user runs it: outputs, messages and exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn outsort(args: &[&str]) -> Run {
    outsort_stdin(args, None)
}

fn outsort_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outsort"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

const TODAY: &str = "--today=2026-11-28";

#[test]
fn classify_sample_in_every_format() {
    for format in ["table", "csv", "tsv", "json", "ndjson", "markdown"] {
        let run = outsort(&["classify", "examples/tasks.csv", "-f", format, TODAY]);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{format}");
        insta::assert_snapshot!(format!("classify_{format}"), run.stdout);
    }
}

#[test]
fn classify_output_parses_back() {
    let run = outsort(&["classify", "examples/tasks.csv", "-f", "json", TODAY]);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 60);
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    let count = |l: &str| labels.iter().filter(|x| **x == l).count();
    assert_eq!(
        (count("in_house"), count("kpo"), count("bpo")),
        (25, 17, 18)
    );
    assert_eq!(rows[0]["key"], "T001");
    assert_eq!(rows[0]["input"]["hours_per_month"], "160");

    let run = outsort(&["classify", "examples/tasks.csv", "-f", "csv", TODAY]);
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let header = reader.headers().unwrap().clone();
    assert_eq!(&header[0], "id");
    assert!(header.iter().any(|h| h == "label"));
    assert_eq!(reader.records().count(), 60);
}

#[test]
fn classify_explain_and_summary() {
    let run = outsort(&[
        "classify",
        "examples/tasks.csv",
        "-f",
        "csv",
        "--explain",
        TODAY,
    ]);
    assert_eq!(run.code, 0);
    let first_rows: String = run.stdout.lines().take(4).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!("classify_explain_csv", first_rows);

    let run = outsort(&[
        "classify",
        "examples/tasks.csv",
        "-f",
        "ndjson",
        "--explain",
        TODAY,
    ]);
    let first: serde_json::Value =
        serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    insta::assert_snapshot!(
        "classify_explain_json",
        serde_json::to_string_pretty(&first["explain"]).unwrap()
    );

    let run = outsort(&[
        "classify",
        "examples/tasks.csv",
        "-f",
        "csv",
        "--summary",
        TODAY,
    ]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!("classify_summary", run.stderr);
}

fn small(input: &str) -> Run {
    outsort(&[
        "classify",
        "-r",
        "tests/fixtures/classify/small.rules",
        input,
        "-f",
        "csv",
        TODAY,
    ])
}

#[test]
fn row_errors_name_file_line_column_and_value() {
    for case in [
        "bad_number",
        "bad_enum",
        "ragged",
        "invalid_utf8",
        "unclosed_quote",
    ] {
        let run = small(&format!("tests/fixtures/classify/{case}.csv"));
        assert_eq!(run.code, 2, "{case}");
        insta::assert_snapshot!(
            format!("row_error_{case}"),
            format!("{}\n--- stdout ---\n{}", run.stderr, run.stdout)
        );
    }
}

#[test]
fn skip_invalid_still_counts_the_rows() {
    let run = outsort(&[
        "classify",
        "-r",
        "tests/fixtures/classify/small.rules",
        "tests/fixtures/classify/ragged.csv",
        "-f",
        "csv",
        "--skip-invalid",
    ]);
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("2 rows skipped (--skip-invalid)"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout.lines().count(), 3, "header and two good rows");
}

#[test]
fn header_errors_come_before_any_row() {
    for case in ["missing_column", "repeated_header"] {
        let run = small(&format!("tests/fixtures/classify/{case}.csv"));
        assert_eq!(run.code, 2, "{case}");
        assert_eq!(run.stdout, "", "{case}: nothing written");
        insta::assert_snapshot!(format!("header_error_{case}"), run.stderr);
    }
}

#[test]
fn bom_semicolons_decimal_commas_and_crlf() {
    let run = small("tests/fixtures/classify/bom_semicolon.csv");
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("bom_semicolon", run.stdout);
}

#[test]
fn standard_input_and_several_inputs() {
    let csv = std::fs::read("tests/fixtures/classify/bad_enum.csv").unwrap();
    let run = outsort_stdin(
        &[
            "classify",
            "-r",
            "tests/fixtures/classify/small.rules",
            "-",
            "-f",
            "csv",
            "--skip-invalid",
        ],
        Some(&csv),
    );
    assert_eq!(run.code, 0);
    assert!(
        run.stderr.contains("<stdin>:3: column \"skill\""),
        "{}",
        run.stderr
    );
    let run = outsort(&[
        "classify",
        "-r",
        "tests/fixtures/classify/small.rules",
        "tests/fixtures/classify/bom_semicolon.csv",
        "tests/fixtures/classify/bad_number.csv",
        "-f",
        "csv",
        "--skip-invalid",
    ]);
    assert_eq!(run.code, 0);
    let records = csv::Reader::from_reader(run.stdout.as_bytes())
        .records()
        .count();
    assert_eq!(records, 2 + 2, "{}", run.stdout);
}

#[test]
fn a_broken_rule_file_is_exit_2_with_file_line_col() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.rules");
    std::fs::write(&path, "input { id: text }\nlet x = idd + 1\n").unwrap();
    let run = outsort(&[
        "classify",
        "-r",
        path.to_str().unwrap(),
        "examples/tasks.csv",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("broken.rules:2:9"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `id`?"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn no_tasks_is_an_error() {
    let run = outsort_stdin(
        &[
            "classify",
            "-r",
            "tests/fixtures/classify/small.rules",
            "-f",
            "csv",
        ],
        Some(b"id,name,hours,skill\n"),
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no tasks"), "{}", run.stderr);
}

#[test]
fn output_file_takes_its_format_from_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let run = outsort(&[
        "classify",
        "examples/tasks.csv",
        "-o",
        path.to_str().unwrap(),
        TODAY,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 60);
}

#[test]
fn check_on_the_sample_passes_and_an_added_violation_fails() {
    let run = outsort(&["check", "examples/tasks.csv", TODAY]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // A high-sensitivity task the rules label `bpo`: a deny finding on its line.
    let mut csv = std::fs::read_to_string("examples/tasks.csv").unwrap();
    let lines = csv.lines().count();
    csv.push_str("T999,Customer bank detail updates,Finance,Data entry,160,30,none,false,high,0.95,false,true,1,false,false,\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tasks.csv");
    std::fs::write(&path, &csv).unwrap();
    let run = outsort(&["check", path.to_str().unwrap(), TODAY, "-f", "github"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let expected = format!(
        "line={},title=sensitive data stays in-house::T999",
        lines + 1
    );
    assert!(run.stdout.contains(&expected), "{}", run.stdout);
}

fn check_fixture(format: &str) -> Run {
    outsort(&[
        "check",
        "-r",
        "tests/fixtures/check/policies.rules",
        "tests/fixtures/check/tasks.csv",
        "-f",
        format,
        TODAY,
    ])
}

#[test]
fn check_in_every_format() {
    for format in ["text", "json", "junit", "github", "sarif"] {
        let run = check_fixture(format);
        assert_eq!(
            run.code, 1,
            "{format}: a deny finding fails the check\n{}",
            run.stderr
        );
        insta::assert_snapshot!(format!("check_{format}"), run.stdout);
    }
}

#[test]
fn check_points_at_the_line_where_the_row_starts() {
    let run = check_fixture("json");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let line_of = |key: &str| {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .map(|f| f["line"].as_u64().unwrap())
    };
    // T1's name spans lines 2 to 4, so T2 starts on line 5 (record 2).
    assert_eq!(line_of("T2"), Some(5));
    assert_eq!(line_of("T5"), Some(8));
    assert_eq!(line_of("T6"), Some(10));
}

#[test]
fn check_junit_and_sarif_parse_back() {
    let run = check_fixture("junit");
    let doc = roxmltree::Document::parse(&run.stdout).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert!(cases.len() >= 3);
    assert!(failures >= 3);

    let run = check_fixture("sarif");
    let sarif: serde_sarif::sarif::Sarif = serde_json::from_str(&run.stdout).unwrap();
    let results = sarif.runs[0].results.as_ref().unwrap();
    assert!(
        results
            .iter()
            .any(|r| r.rule_id.as_deref() == Some("sensitive data stays in-house"))
    );
}

#[test]
fn check_with_nothing_to_check_is_exit_2() {
    let run = outsort_stdin(&["check", "-", TODAY], Some(b"id,name\n"));
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn fail_on_warn() {
    let run = outsort(&[
        "check",
        "-r",
        "tests/fixtures/check/policies.rules",
        "tests/fixtures/check/tasks.csv",
        TODAY,
        "--fail-on",
        "warn",
    ]);
    assert_eq!(run.code, 1);
}

#[test]
fn rule_set_tests_pass_for_every_shipped_rule_set() {
    for rules in [
        None,
        Some("rules/examples/jira.rules"),
        Some("rules/examples/servicenow.rules"),
    ] {
        let mut args = vec!["test", TODAY];
        if let Some(r) = rules {
            args.extend(["-r", r]);
        }
        args.extend(["--min-coverage", "90"]);
        let run = outsort(&args);
        assert_eq!(run.code, 0, "{rules:?}: {}", run.stdout);
        let last = run.stdout.lines().last().unwrap();
        assert!(last.ends_with(" passed, 0 failed"), "{last}");
    }
    let run = outsort(&["test", TODAY]);
    insta::assert_snapshot!("test_default_rules", run.stdout);
}

#[test]
fn failing_tests_and_missing_tests() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.rules");
    std::fs::write(
        &path,
        "input { id: text  hours: number }\nscore k = 0 in 0..100\nrule \"big\" when hours > 10 { k += 60 }\nlabel {\n    kpo when k >= 50\n    bpo otherwise\n}\ntest \"small tasks are kpo\" {\n    given { id: \"t\", hours: 5 }\n    expect label == kpo\n}\ntest \"big tasks are kpo\" {\n    given { id: \"u\", hours: 50 }\n    expect label == kpo\n}\n",
    )
    .unwrap();
    let run = outsort(&["test", "-r", path.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(
        "test_failing",
        run.stdout.replace(dir.path().to_str().unwrap(), "DIR")
    );

    std::fs::write(&path, "input { id: text }\n").unwrap();
    let run = outsort(&["test", "-r", path.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("has no tests"), "{}", run.stdout);
    let run = outsort(&["test", "-r", path.to_str().unwrap(), "--min-coverage", "50"]);
    assert_eq!(run.code, 1);
}

#[test]
fn help_version_and_completions() {
    let run = outsort(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:"));
    let run = outsort(&["--version"]);
    assert!(run.stdout.starts_with("outsort "));
    let run = outsort(&["completions", "bash"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("outsort"));
    let run = outsort(&["classify", "--no-such-flag"]);
    assert_eq!(run.code, 2);
}

#[test]
fn every_thread_count_gives_the_same_output_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let mut csv = String::from("id,name,hours,skill\n");
    let skills = ["none", "training", "certification", "degree", "advanced"];
    for i in 0..5000 {
        if i % 997 == 0 {
            csv.push_str(&format!("B{i},Bad,{},expert\n", i % 50));
        } else if i % 1500 == 0 {
            csv.push_str(&format!("R{i},\"Multi\nline\",{}\n", i % 50));
        } else if i % 1200 == 0 {
            // Too few cells, on one line with quotes and on one without.
            csv.push_str(&format!("C{i},\"Quoted, \"\"name\"\"\",{}\n", i % 50));
            csv.push_str(&format!("S{i},short\n"));
        } else if i % 7 == 0 {
            csv.push_str(&format!(
                "\"Q{i}\",\"Task, \"\"{i}\"\"\",{},degree\n",
                i % 50
            ));
        } else {
            csv.push_str(&format!("A{i},Task {i},{},{}\n", i % 50, skills[i % 5]));
        }
    }
    std::fs::write(&path, csv).unwrap();
    let run = |threads: &str, format: &str| {
        outsort(&[
            "classify",
            "-r",
            "tests/fixtures/classify/small.rules",
            path.to_str().unwrap(),
            "-f",
            format,
            "--threads",
            threads,
            "--summary",
        ])
    };
    for format in ["csv", "ndjson", "json"] {
        let one = run("1", format);
        assert_eq!(one.code, 2, "bad rows make it exit 2");
        assert!(
            one.stderr
                .contains("many.csv:1202: the row has 3 cells, the header has 4")
        );
        assert!(
            one.stderr
                .contains("many.csv:1203: the row has 2 cells, the header has 4")
        );
        for threads in ["2", "3", "8"] {
            let many = run(threads, format);
            assert_eq!(many.code, one.code);
            assert_eq!(many.stdout, one.stdout, "{format} with {threads} threads");
            assert_eq!(many.stderr, one.stderr, "{format} with {threads} threads");
        }
    }
}

/// Several inputs, one shorter than a batch, one with no rows, and one with
/// its columns in another order: every thread count gives the same rows in
/// the same order.
#[test]
fn every_thread_count_reads_several_inputs_alike() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let mut big = String::from("id,name,hours,skill\n");
    for i in 0..3000 {
        big.push_str(&format!("A{i},Task {i},{},degree\n", i % 50));
    }
    std::fs::write(path("big.csv"), &big).unwrap();
    std::fs::write(
        path("tiny.csv"),
        "skill,id,hours,name\nnone,T1,3,One\nnone,T2,4,Two\n",
    )
    .unwrap();
    std::fs::write(path("empty.csv"), "id,name,hours,skill\n").unwrap();
    let run = |threads: &str, inputs: &[String]| {
        let mut args = vec![
            "classify",
            "-r",
            "tests/fixtures/classify/small.rules",
            "--threads",
            threads,
            "--summary",
        ];
        args.extend(inputs.iter().map(String::as_str));
        outsort(&args)
    };
    let several = [
        path("big.csv"),
        path("tiny.csv"),
        path("empty.csv"),
        path("big.csv"),
    ];
    let one = run("1", &several);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(one.stdout.lines().count(), 1 + 3000 + 2 + 3000);
    for threads in ["2", "3", "8"] {
        let many = run(threads, &several);
        assert_eq!(many.code, 0, "{threads} threads: {}", many.stderr);
        assert_eq!(many.stdout, one.stdout, "{threads} threads");
        assert_eq!(many.stderr, one.stderr, "{threads} threads");
    }
}

/// More threads than a system starts are not an error: the run uses at most
/// 256, and gives the same output as one thread.
#[test]
fn a_huge_thread_count_is_capped_not_fatal() {
    let run = |threads: &str| {
        outsort(&[
            "classify",
            "examples/tasks.csv",
            "-f",
            "csv",
            "--threads",
            threads,
            TODAY,
        ])
    };
    let one = run("1");
    assert_eq!(one.code, 0, "{}", one.stderr);
    let many = run("1000000");
    assert_eq!(many.code, 0, "{}", many.stderr);
    assert_eq!(many.stdout, one.stdout);
    assert_eq!(many.stderr, one.stderr);
}

/// `--threads 0` would do no work: argument parsing refuses it, with exit 2
/// and a message, for both commands that take it.
#[test]
fn zero_threads_are_refused() {
    for command in ["classify", "check"] {
        let run = outsort(&[command, "examples/tasks.csv", "--threads", "0", TODAY]);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{command}");
        assert!(
            run.stderr.starts_with(
                "error: invalid value '0' for '--threads <N>': 0 threads cannot do the work; give 1 or more"
            ),
            "{command}: {}",
            run.stderr
        );
        let run = outsort(&[command, "examples/tasks.csv", "--threads", "two", TODAY]);
        assert_eq!(run.code, 2, "{command}: {}", run.stderr);
        assert!(
            run.stderr.contains("`two` is not a number of threads"),
            "{command}: {}",
            run.stderr
        );
    }
}

/// An output that cannot be written ends the run with exit 2 and says so,
/// however many threads are writing, instead of hanging or panicking.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_ends_the_run_with_an_error_on_every_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.csv");
    let mut csv = String::from("id,name,hours,skill\n");
    for i in 0..20_000 {
        csv.push_str(&format!("A{i},Task {i},{},degree\n", i % 50));
    }
    std::fs::write(&path, csv).unwrap();
    for threads in ["1", "2", "8"] {
        let run = outsort(&[
            "classify",
            "-r",
            "tests/fixtures/classify/small.rules",
            path.to_str().unwrap(),
            "--threads",
            threads,
            "-o",
            "/dev/full",
            "-f",
            "csv",
        ]);
        assert_eq!(run.code, 2, "{threads} threads");
        assert!(
            run.stderr
                .contains("error: cannot write `/dev/full`: no space left on device\n"),
            "{threads} threads: {}",
            run.stderr
        );
    }
}

#[test]
fn explain_one_task_with_what_if() {
    let run = outsort(&["explain", "examples/tasks.csv", "--task", "T009", TODAY]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("explain_text", run.stdout);
    let run = outsort(&[
        "explain",
        "examples/tasks.csv",
        "--task",
        "T001",
        "-f",
        "json",
        TODAY,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["key"], "T001");
    assert_eq!(doc["line"], 2);
    insta::assert_snapshot!("explain_json", run.stdout);
    let run = outsort(&["explain", "examples/tasks.csv", "--task", "T09", TODAY]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("explain_unknown_key", run.stderr);
}

#[test]
fn lint_finds_every_lint_and_honours_allow_comments() {
    let run = outsort(&["lint", "-r", "tests/cases/lint/every_lint.rules"]);
    assert_eq!(run.code, 0, "warnings alone exit 0");
    insta::assert_snapshot!("lint_every_lint", run.stdout);
    for (name, _) in outsort::lint::LINTS {
        assert!(
            run.stdout.contains(&format!("warning[{name}]")),
            "{name} did not fire"
        );
    }
    assert!(
        !run.stdout.contains("\"silenced\""),
        "the allow comment silences it"
    );
    let run = outsort(&[
        "lint",
        "-r",
        "tests/cases/lint/every_lint.rules",
        "--deny-warnings",
    ]);
    assert_eq!(run.code, 1);
    let run = outsort(&["lint", "--deny-warnings"]);
    assert_eq!(
        run.code, 0,
        "the built-in rules are lint-clean: {}",
        run.stdout
    );
}

#[test]
fn lint_with_data_reports_coverage() {
    let run = outsort(&[
        "lint",
        "-r",
        "rules/examples/jira.rules",
        "examples/jira-export.csv",
        TODAY,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("lint_jira_coverage", run.stdout);
}

#[test]
fn fmt_checks_rewrites_and_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messy.rules");
    std::fs::write(&path, "input{id:text  hours:number}\nscore k=0 in 0..100\nrule \"big\" when hours>10{k+=1}   # big tasks\n").unwrap();
    let file = path.to_str().unwrap();
    let run = outsort(&["fmt", "--check", file]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("fmt_check_diff", run.stdout.replace(file, "messy.rules"));
    let run = outsort(&["fmt", file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let formatted = std::fs::read_to_string(&path).unwrap();
    assert!(
        formatted.contains("rule \"big\" when hours > 10 {\n    k += 1\n}  # big tasks\n"),
        "{formatted}"
    );
    assert_eq!(outsort(&["fmt", "--check", file]).code, 0);
    let run = outsort_stdin(&["fmt", "-"], Some(b"let x=1\n"));
    assert_eq!((run.code, run.stdout.as_str()), (0, "let x = 1\n"));
    let run = outsort_stdin(&["fmt", "-"], Some(b"let x = \n"));
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("<stdin>:1:"), "{}", run.stderr);
    let run = outsort(&["fmt", "--check", "rules/"]);
    assert_eq!(
        run.code, 0,
        "the shipped rule files are formatted: {}",
        run.stdout
    );
}

#[test]
fn a_waiver_lets_the_violation_pass_until_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = std::fs::read_to_string("examples/tasks.csv").unwrap();
    csv.push_str("T999,Customer bank detail updates,Finance,Data entry,160,30,none,false,high,0.95,false,true,1,false,false,\n");
    let tasks = dir.path().join("tasks.csv");
    std::fs::write(&tasks, &csv).unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::copy("rules/default.rules", rules.join("default.rules")).unwrap();
    let waiver = |expires: &str| {
        format!(
            "waiver \"sensitive data stays in-house\" {{\n    tasks   [\"T999\"]\n    reason  \"the provider holds ISO 27001 and a signed DPA\"\n    owner   \"legal@example.com\"\n    expires {expires}\n}}\n"
        )
    };
    let (rules_arg, tasks_arg) = (rules.to_str().unwrap(), tasks.to_str().unwrap());
    for format in ["text", "json", "junit", "github", "sarif"] {
        let run = outsort(&["check", "-r", rules_arg, tasks_arg, "-f", format, TODAY]);
        assert_eq!(run.code, 1, "{format}: the violation fails the check");
        assert!(
            run.stdout.contains("T999"),
            "{format} names the task: {}",
            run.stdout
        );
    }
    std::fs::write(rules.join("waivers.rules"), waiver("2027-06-30")).unwrap();
    let run = outsort(&["check", "-r", rules_arg, tasks_arg, TODAY]);
    assert_eq!(run.code, 0, "a valid waiver exempts it: {}", run.stdout);
    assert!(
        run.stdout
            .contains("waived \"sensitive data stays in-house\""),
        "{}",
        run.stdout
    );
    std::fs::write(rules.join("waivers.rules"), waiver("2026-11-27")).unwrap();
    let run = outsort(&["check", "-r", rules_arg, tasks_arg, TODAY]);
    assert_eq!(run.code, 1, "an expired waiver fails: {}", run.stdout);
    assert!(
        run.stdout.contains("expired on 2026-11-27"),
        "{}",
        run.stdout
    );
}

/// Input columns are carried into CSV and TSV outputs cell for cell, as the
/// `csv` crate reads them, whatever the layout: lines with and without
/// quotes, CRLF, a last line without a line break, semicolons with commas in
/// cells, a tab inside a cell of a comma file, and several inputs whose
/// columns differ in order or in number.
#[test]
fn carried_columns_are_the_input_cells_in_every_layout() {
    let dir = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8], u8); 4] = [
        (
            "plain.csv",
            b"id,name,hours,skill\r\nA1,Plain name,2,advanced\nA2,\"Quoted, with comma\",3,none\r\n\
              A3,Caf\xc3\xa9 \xe2\x80\x94 d\xc3\xa9j\xc3\xa0 vu,4,degree\nA4,tab\there,5,none\n\
              A5,\"two\nlines\",6,none\nA6,last line,7,none",
            b',',
        ),
        (
            "semicolon.csv",
            b"id;name;hours;skill\nB1;has, commas, inside;37,5;degree\nB2;\"quoted; semi\";1;none\n",
            b';',
        ),
        (
            "reordered.csv",
            b"skill,hours,name,id,extra\nnone,1,Reordered,C1,x\"y\ndegree,2,plain,C2,\nnone,3,\"q\"\"uote\",C3,z\n",
            b',',
        ),
        ("narrow.csv", b"id,name,hours,skill\nD1,n,1,none\n", b','),
    ];
    let mut paths = Vec::new();
    for (name, bytes, _) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        paths.push(path.to_str().unwrap().to_string());
    }
    // What each input holds, by column name, as the `csv` crate reads it.
    let mut expected: Vec<std::collections::HashMap<String, String>> = Vec::new();
    for (_, bytes, delimiter) in &files {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(*delimiter)
            .from_reader(*bytes);
        let header = reader.headers().unwrap().clone();
        for record in reader.records() {
            let record = record.unwrap();
            expected.push(
                header
                    .iter()
                    .zip(record.iter())
                    .map(|(h, c)| (h.to_string(), c.to_string()))
                    .collect(),
            );
        }
    }
    for (format, delimiter) in [("csv", b','), ("tsv", b'\t')] {
        // Each input alone, then all of them at once.
        let mut runs: Vec<Vec<&str>> = paths.iter().map(|p| vec![p.as_str()]).collect();
        runs.push(paths.iter().map(String::as_str).collect());
        for inputs in runs {
            let mut args = vec!["classify", "-r", "tests/fixtures/classify/small.rules"];
            args.extend(&inputs);
            args.extend(["-f", format, "--threads", "1", TODAY]);
            let run = outsort(&args);
            assert_eq!(run.code, 0, "{inputs:?}: {}", run.stderr);
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .from_reader(run.stdout.as_bytes());
            let header = reader.headers().unwrap().clone();
            let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
            let wanted: Vec<_> = expected
                .iter()
                .filter(|row| {
                    let id = &row["id"];
                    inputs
                        .iter()
                        .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(id.as_str())))
                })
                .collect();
            assert_eq!(rows.len(), wanted.len(), "{inputs:?}: {}", run.stdout);
            for (row, want) in rows.iter().zip(wanted) {
                for (name, cell) in header.iter().zip(row.iter()) {
                    if ["knowledge", "label", "reason"].contains(&name) {
                        continue;
                    }
                    let want = want.get(name).map_or("", String::as_str);
                    assert_eq!(cell, want, "{inputs:?}, {format}, column {name}");
                }
            }
        }
    }
}

#[test]
fn encodings_from_a_byte_order_mark_or_a_label() {
    let rules = "tests/fixtures/check/encodings.rules";
    // Excel's "Unicode Text" (UTF-16LE with a mark) reads as it is.
    let run = outsort(&[
        "classify",
        "-r",
        rules,
        "tests/fixtures/input/excel_unicode_text.txt",
        "-f",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("encoding_utf16", run.stdout);
    let run = outsort(&[
        "classify",
        "-r",
        rules,
        "tests/fixtures/input/shift_jis.csv",
        "--encoding",
        "shift_jis",
        "-f",
        "csv",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("T1,経費精算,12,"), "{}", run.stdout);
    let run = outsort(&["classify", "-r", rules, "x.csv", "--encoding", "klingon"]);
    assert_eq!(run.code, 2);
    insta::assert_snapshot!("encoding_unknown_label", run.stderr);
}

#[test]
fn a_title_above_the_header_is_skipped_and_said() {
    let rules = "tests/fixtures/check/encodings.rules";
    let input = "tests/fixtures/input/board_with_title.csv";
    let run = outsort(&["classify", "-r", rules, input, "-f", "csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 3, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("id,name,hours,Status,"),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("header_below_title", run.stderr);
    // `--header-row` names the line: the same rows, and no warning.
    let fixed = outsort(&[
        "classify",
        "-r",
        rules,
        input,
        "-f",
        "csv",
        "--header-row",
        "4",
    ]);
    assert_eq!(fixed.code, 0, "{}", fixed.stderr);
    assert_eq!(fixed.stdout, run.stdout);
    assert_eq!(fixed.stderr, "");
    let past = outsort(&["classify", "-r", rules, input, "--header-row", "40"]);
    assert_eq!(past.code, 2);
    assert!(
        past.stderr.contains("no row starts on line 40 or after it"),
        "{}",
        past.stderr
    );
}
