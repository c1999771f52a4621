//! Work that grows with the input grows near-linearly (SPEC §10): each case
//! runs the binary at size n and 2n, best of 3 runs each taken in turns
//! (`support`), and asserts the ratio of the times, never an absolute time
//! (the machines are shared).
//! Where output is capped, its size is asserted too. The inputs are built
//! in a temp dir at run time.

mod support;

use std::fmt::Write as _;
use std::time::{Duration, Instant};
use support::{assert_near_linear, outsort};

/// Writes the files, runs outsort in their dir and returns the time taken.
fn timed(files: &[(&str, &str)], args: &[&str], expect_code: i32) -> Duration {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let start = Instant::now();
    let run = outsort(dir.path(), args);
    let took = start.elapsed();
    assert_eq!(
        run.code,
        expect_code,
        "{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
    took
}

const SMALL_CSV: &str = "id,hours\na,3\nb,5\n";

fn unknown_names(n: usize) -> String {
    let mut text = String::from("input { id: text  hours: number }\nkey id\n");
    for i in 0..n {
        let _ = writeln!(text, "let v{i} = w{i} + 1");
    }
    text
}

fn many_labels(n: usize) -> String {
    let mut text = String::from("input { id: text  hours: number }\nkey id\nlabel {\n");
    for i in 0..n {
        let _ = writeln!(text, "    l{i} when hours == {i}");
    }
    text.push_str("    in_house otherwise\n}\n");
    text
}

#[test]
fn growth() {
    let _serial = support::serial();
    // One case at a time, so they do not compete for the cores.
    assert_near_linear("unknown names", 2_000, &|n| {
        timed(
            &[("r.rules", &unknown_names(n)), ("in.csv", SMALL_CSV)],
            &["check", "-r", "r.rules", "in.csv"],
            2,
        )
    });
    assert_near_linear("label lines", 10_000, &|n| {
        timed(
            &[("r.rules", &many_labels(n)), ("in.csv", SMALL_CSV)],
            &["classify", "-r", "r.rules", "in.csv"],
            0,
        )
    });
    assert_near_linear("label lint", 2_500, &|n| {
        timed(
            &[("r.rules", &many_labels(n))],
            &["lint", "-r", "r.rules"],
            0,
        )
    });
    assert_near_linear("columns", 40_000, &|n| {
        let rules = "input { id: text  hours: number }\nkey id\n\
                     score s = 0 in 0..100\nrule \"r\" when hours > 1 { s += 1 }\n";
        let mut csv = String::from("id");
        for i in 0..n {
            let _ = write!(csv, ",c{i}");
        }
        csv.push_str(",Hours\na");
        csv.push_str(&",x".repeat(n));
        csv.push_str(",3\n");
        timed(
            &[("r.rules", rules), ("in.csv", &csv)],
            &["classify", "-r", "r.rules", "in.csv"],
            0,
        )
    });
    assert_near_linear("fields × columns", 6_000, &|n| {
        // Fields named `f_i`, columns `F i` in reverse order: every field
        // matches only after normalising.
        let mut rules = String::from("input {\n  id: text\n");
        for i in 0..n {
            let _ = writeln!(rules, "  f_{i}: text");
        }
        rules.push_str("}\nkey id\n");
        let mut csv = String::from("id");
        for i in (0..n).rev() {
            let _ = write!(csv, ",F {i}");
        }
        csv.push_str("\na");
        csv.push_str(&",x".repeat(n));
        csv.push('\n');
        timed(
            &[("r.rules", &rules), ("in.csv", &csv)],
            &["classify", "-r", "r.rules", "in.csv"],
            0,
        )
    });
    assert_near_linear("failing tests", 600, &|n| {
        timed(
            &[("r.rules", &failing_tests(n, 200))],
            &["test", "-r", "r.rules"],
            1,
        )
    });
    assert_near_linear("interpolation", 4_000_000, &|n| {
        let (rules, csv) = interpolation(1_000, n);
        timed(
            &[("r.rules", &rules), ("in.csv", &csv)],
            &["classify", "-r", "r.rules", "in.csv", "-f", "json"],
            0,
        )
    });
}

fn failing_tests(tests: usize, rules: usize) -> String {
    let mut text =
        String::from("input { id: text  hours: number }\nkey id\nscore s = 0 in 0..1000000\n");
    for i in 0..rules {
        let _ = writeln!(text, "rule \"r{i}\" when hours > {} {{ s += 1 }}", i % 3);
    }
    text.push_str("label {\n    bpo when s > 0\n    in_house otherwise\n}\n");
    for i in 0..tests {
        let _ = writeln!(
            text,
            "test \"t{i}\" {{\n    given {{ id: \"x{i}\", hours: 5 }}\n    expect label == in_house\n}}"
        );
    }
    text
}

/// `k` interpolations of one cell of `cell` bytes.
fn interpolation(k: usize, cell: usize) -> (String, String) {
    let rules = format!(
        "input {{ id: text  name: text }}\nkey id\nlabel {{\n    bpo when true because \"{}\"\n    in_house otherwise\n}}\n",
        "{name}".repeat(k)
    );
    let csv = format!("id,name\na,{}\n", "é".repeat(cell / 2));
    (rules, csv)
}

#[test]
fn errors_for_9000_unknown_names_are_capped() {
    let _serial = support::serial();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("r.rules"), unknown_names(9_000)).expect("write");
    std::fs::write(dir.path().join("in.csv"), SMALL_CSV).expect("write");
    let run = outsort(dir.path(), &["check", "-r", "r.rules", "in.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.len() < 100_000, "{} bytes", run.stderr.len());
    assert_eq!(run.stderr.matches("error[unknown-name]").count(), 100);
    assert!(
        run.stderr
            .ends_with("… and 8900 more errors\n9000 errors\n"),
        "{}",
        &run.stderr[run.stderr.len() - 300..]
    );
    // JSON keeps them all.
    let run = outsort(
        dir.path(),
        &["check", "--error-format", "json", "-r", "r.rules", "in.csv"],
    );
    let all: serde_json::Value = serde_json::from_str(&run.stderr).expect("JSON");
    assert_eq!(all.as_array().map(Vec::len), Some(9_000));
}

#[test]
fn failing_tests_are_explained_ten_at_a_time() {
    let _serial = support::serial();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("r.rules"), failing_tests(500, 200)).expect("write");
    let run = outsort(dir.path(), &["test", "-r", "r.rules"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout.matches("\n---- \"t").count(), 10);
    assert!(run.stdout.contains("… and 490 more failed tests"));
    assert!(run.stdout.len() < 200_000, "{} bytes", run.stdout.len());
}

#[test]
fn interpolated_text_is_cut() {
    let _serial = support::serial();
    let dir = tempfile::tempdir().expect("temp dir");
    let (rules, csv) = interpolation(1_000, 1_000_000);
    std::fs::write(dir.path().join("r.rules"), rules).expect("write");
    std::fs::write(dir.path().join("in.csv"), csv).expect("write");
    let run = outsort(
        dir.path(),
        &["classify", "-r", "r.rules", "in.csv", "-f", "json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let reason = rows[0]["reason"].as_str().expect("a reason");
    assert!(
        reason.len() <= outsort::eval::MAX_TEXT_BYTES,
        "{}",
        reason.len()
    );
    assert!(reason.ends_with('…'));
    // The first value is cut at 200 characters.
    let first: String = reason.chars().take(201).collect();
    assert_eq!(first, format!("{}…", "é".repeat(200)));
}

#[test]
fn too_many_interpolations_in_a_file_are_a_limit_error() {
    let _serial = support::serial();
    let text = format!(
        "input {{ id: text  s: text }}\nkey id\nlabel {{\n    bpo when true because \"{}\"\n    in_house otherwise\n}}\n",
        "{s}".repeat(20_001)
    );
    let err = outsort::load_str("many.rules", &text).expect_err("over the limit");
    assert_eq!(err.diagnostics[0].code, "limit");
    let rendered = err.render(outsort::diag::Style::Plain);
    assert!(rendered.len() < 2_000, "{rendered}");
    // 20,000 load, and `{{` is a brace, not an interpolation.
    let ok = text.replacen("{s}", "{{", 1);
    outsort::load_str("ok.rules", &ok).expect("at the limit");
}

#[test]
fn more_than_65535_labels_are_a_limit_error() {
    let _serial = support::serial();
    let err = outsort::load_str("l.rules", &many_labels(65_536)).expect_err("over");
    assert!(
        err.diagnostics
            .iter()
            .any(|d| d.code == "limit" && d.message.contains("65535 different labels")),
        "{:?}",
        err.diagnostics.first()
    );
    outsort::load_str("l.rules", &many_labels(65_534)).expect("65,535 labels load");
}

// ---- snapshots -------------------------------------------------------------

#[test]
fn capped_diagnostics_snapshot() {
    let _serial = support::serial();
    let err = outsort::load_str("r.rules", &unknown_names(103)).expect_err("unknown");
    let text = err.render(outsort::diag::Style::Plain);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len() - 14..].join("\n");
    insta::assert_snapshot!(tail);
}

#[test]
fn error_in_a_because_is_a_row_error_snapshot() {
    let _serial = support::serial();
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = "input { id: text  hours: number }\nkey id\nlabel {\n    \
                 bpo when hours > 4 because \"{hours} hours, {hours / 0} per zero\"\n    \
                 in_house otherwise\n}\n";
    std::fs::write(dir.path().join("r.rules"), rules).expect("write");
    std::fs::write(dir.path().join("in.csv"), SMALL_CSV).expect("write");
    let run = outsort(dir.path(), &["classify", "-r", "r.rules", "in.csv"]);
    assert_eq!(run.code, 2);
    let skip = outsort(
        dir.path(),
        &["classify", "-r", "r.rules", "in.csv", "--skip-invalid"],
    );
    assert_eq!(skip.code, 0, "{}", skip.stderr);
    insta::assert_snapshot!(format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    ));
}
