//! Accounting (SPEC §7: no row is ever dropped without a word): for random
//! inventories with random bad rows, in every output format, the rows read
//! are the rows written plus the rows reported as errors, and each error
//! printed names the file and line of its row. Also for two inputs in one run.

use std::path::Path;
use std::process::{Command, Stdio};

use proptest::prelude::*;

const RULES: &str = r#"
input {
    id:    text
    hours: number
    core:  bool
    level: enum(low, high) = low
}
key id
score s = 0 in 0..100
rule "big" when hours > 10 { s += 50 }
rule "core" when core { s -= 20 }
label {
    bpo      when s >= 50
    in_house otherwise
}
"#;

/// One row of an inventory, good or bad.
#[derive(Debug, Clone)]
enum Row {
    /// A good row; `multiline` quotes the id with a line break inside.
    Good {
        hours: u32,
        core: bool,
        level: Option<bool>,
        multiline: bool,
    },
    BadNumber,
    BadBool,
    BadEnum,
    EmptyRequired,
    TooFewCells,
    TooManyCells,
    InvalidUtf8,
}

fn row() -> impl Strategy<Value = Row> {
    prop_oneof![
        6 => (0u32..40, any::<bool>(), proptest::option::of(any::<bool>()), proptest::bool::weighted(0.15))
            .prop_map(|(hours, core, level, multiline)| Row::Good { hours, core, level, multiline }),
        1 => Just(Row::BadNumber),
        1 => Just(Row::BadBool),
        1 => Just(Row::BadEnum),
        1 => Just(Row::EmptyRequired),
        1 => Just(Row::TooFewCells),
        1 => Just(Row::TooManyCells),
        1 => Just(Row::InvalidUtf8),
    ]
}

/// An inventory: its bytes, the ids of the good rows in order, and the start
/// line of each bad row.
struct Inventory {
    bytes: Vec<u8>,
    good: Vec<String>,
    bad_lines: Vec<u64>,
}

fn inventory(prefix: &str, rows: &[Row]) -> Inventory {
    let mut bytes = b"id,hours,core,level\n".to_vec();
    let mut line = 2u64;
    let (mut good, mut bad_lines) = (Vec::new(), Vec::new());
    for (i, row) in rows.iter().enumerate() {
        let id = format!("{prefix}{i}");
        let text: Vec<u8> = match row {
            Row::Good {
                hours,
                core,
                level,
                multiline,
            } => {
                let level = match level {
                    None => "",
                    Some(true) => "High",
                    Some(false) => "low",
                };
                let shown = if *multiline {
                    format!("{id}\nsecond line")
                } else {
                    id.clone()
                };
                good.push(shown.clone());
                let cell = if *multiline {
                    format!("\"{shown}\"")
                } else {
                    shown
                };
                format!("{cell},{hours},{core},{level}").into_bytes()
            }
            Row::BadNumber => format!("{id},12 hours,true,low").into_bytes(),
            Row::BadBool => format!("{id},3,maybe,low").into_bytes(),
            Row::BadEnum => format!("{id},3,no,medium").into_bytes(),
            Row::EmptyRequired => format!("{id},,no,low").into_bytes(),
            Row::TooFewCells => format!("{id},3").into_bytes(),
            Row::TooManyCells => format!("{id},3,no,low,extra").into_bytes(),
            Row::InvalidUtf8 => {
                let mut b = format!("{id},3,no,").into_bytes();
                b.extend_from_slice(b"l\xffw");
                b
            }
        };
        if !matches!(row, Row::Good { .. }) {
            bad_lines.push(line);
        }
        line += 1 + text.iter().filter(|&&b| b == b'\n').count() as u64;
        bytes.extend_from_slice(&text);
        bytes.push(b'\n');
    }
    Inventory {
        bytes,
        good,
        bad_lines,
    }
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn classify(dir: &Path, inputs: &[&str], format: &str) -> Run {
    let mut args = vec![
        "classify",
        "-r",
        "rules.rules",
        "--skip-invalid",
        "-f",
        format,
    ];
    args.extend_from_slice(inputs);
    let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args(&args)
        .arg("--today=2026-01-01")
        .current_dir(dir)
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

/// The `id` column of the rows written, in order.
fn written_ids(format: &str, stdout: &str) -> Vec<String> {
    match format {
        "csv" | "tsv" => {
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(if format == "tsv" { b'\t' } else { b',' })
                .from_reader(stdout.as_bytes());
            let headers = reader.headers().expect("a header").clone();
            let at = headers
                .iter()
                .position(|h| h == "id")
                .expect("an id column");
            reader
                .records()
                .map(|r| r.expect("a record").get(at).expect("an id").to_string())
                .collect()
        }
        "json" => {
            let rows: serde_json::Value = serde_json::from_str(stdout).expect("JSON output");
            rows.as_array()
                .expect("an array")
                .iter()
                .map(|r| r["input"]["id"].as_str().expect("an id").to_string())
                .collect()
        }
        "ndjson" => stdout
            .lines()
            .map(|l| {
                let r: serde_json::Value = serde_json::from_str(l).expect("an NDJSON line");
                r["input"]["id"].as_str().expect("an id").to_string()
            })
            .collect(),
        other => panic!("format {other}"),
    }
}

/// Checks stderr: the printed row errors name exactly the first 20 bad rows
/// (file and line, in order), and the count line gives them all.
fn check_errors(stderr: &str, expected: &[(String, u64)]) -> Result<(), TestCaseError> {
    let printed: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.starts_with(NO_TASKS))
        .collect();
    let want: Vec<&(String, u64)> = expected.iter().take(20).collect();
    prop_assert_eq!(printed.len(), want.len(), "stderr:\n{}", stderr);
    for (line, (file, n)) in printed.iter().zip(want) {
        let prefix = format!("error: {file}:{n}: ");
        prop_assert!(
            line.starts_with(&prefix),
            "{:?} should start with {:?}",
            line,
            prefix
        );
    }
    let total = expected.len();
    if total == 0 {
        prop_assert!(!stderr.contains("skipped"), "stderr:\n{}", stderr);
    } else {
        let rows = if total == 1 {
            "1 row".to_string()
        } else {
            format!("{total} rows")
        };
        let count = format!("{rows} skipped (--skip-invalid)");
        prop_assert!(
            stderr.contains(&count),
            "{:?} not in stderr:\n{}",
            count,
            stderr
        );
        if total > 20 {
            let more = format!("… and {} more row errors", total - 20);
            prop_assert!(stderr.contains(&more), "stderr:\n{}", stderr);
        }
    }
    Ok(())
}

const NO_TASKS: &str = "error: no tasks: the input holds no rows to classify";

const FORMATS: [&str; 4] = ["csv", "tsv", "json", "ndjson"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn rows_read_are_rows_written_plus_rows_reported(rows in proptest::collection::vec(row(), 0..32)) {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("rules.rules"), RULES).expect("rules");
        let inv = inventory("T", &rows);
        std::fs::write(dir.path().join("a.csv"), &inv.bytes).expect("input");
        let expected: Vec<(String, u64)> =
            inv.bad_lines.iter().map(|&l| ("a.csv".to_string(), l)).collect();
        for format in FORMATS {
            let run = classify(dir.path(), &["a.csv"], format);
            if inv.good.is_empty() {
                // Nothing to classify is an error of its own, after the count.
                prop_assert_eq!(run.code, 2);
                prop_assert!(run.stderr.contains(NO_TASKS), "{}", run.stderr);
                check_errors(&run.stderr, &expected)?;
                continue;
            }
            prop_assert_eq!(run.code, 0, "{}: {}", format, run.stderr);
            let written = written_ids(format, &run.stdout);
            prop_assert_eq!(rows.len(), written.len() + inv.bad_lines.len(), "{}", format);
            prop_assert_eq!(&written, &inv.good, "{}", format);
            check_errors(&run.stderr, &expected)?;
        }
    }

    #[test]
    fn two_inputs_are_accounted_for_each(
        first in proptest::collection::vec(row(), 0..16),
        second in proptest::collection::vec(row(), 0..16),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("rules.rules"), RULES).expect("rules");
        let a = inventory("A", &first);
        let b = inventory("B", &second);
        std::fs::write(dir.path().join("a.csv"), &a.bytes).expect("input");
        std::fs::write(dir.path().join("b.csv"), &b.bytes).expect("input");
        let expected: Vec<(String, u64)> = a
            .bad_lines
            .iter()
            .map(|&l| ("a.csv".to_string(), l))
            .chain(b.bad_lines.iter().map(|&l| ("b.csv".to_string(), l)))
            .collect();
        let mut good = a.good.clone();
        good.extend(b.good.iter().cloned());
        for format in FORMATS {
            let run = classify(dir.path(), &["a.csv", "b.csv"], format);
            if good.is_empty() {
                prop_assert_eq!(run.code, 2);
                prop_assert!(run.stderr.contains(NO_TASKS), "{}", run.stderr);
                check_errors(&run.stderr, &expected)?;
                continue;
            }
            prop_assert_eq!(run.code, 0, "{}: {}", format, run.stderr);
            let written = written_ids(format, &run.stdout);
            prop_assert_eq!(first.len() + second.len(), written.len() + expected.len(), "{}", format);
            prop_assert_eq!(&written, &good, "{}", format);
            check_errors(&run.stderr, &expected)?;
        }
    }
}

#[test]
fn more_than_twenty_bad_rows_are_counted() {
    let rows: Vec<Row> = (0..45)
        .map(|i| {
            if i % 3 == 0 {
                Row::Good {
                    hours: i,
                    core: false,
                    level: None,
                    multiline: false,
                }
            } else {
                Row::BadNumber
            }
        })
        .collect();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("rules.rules"), RULES).expect("rules");
    let inv = inventory("T", &rows);
    std::fs::write(dir.path().join("a.csv"), &inv.bytes).expect("input");
    let expected: Vec<(String, u64)> = inv
        .bad_lines
        .iter()
        .map(|&l| ("a.csv".to_string(), l))
        .collect();
    assert_eq!(expected.len(), 30);
    for format in FORMATS {
        let run = classify(dir.path(), &["a.csv"], format);
        assert_eq!(run.code, 0, "{format}: {}", run.stderr);
        assert_eq!(written_ids(format, &run.stdout), inv.good);
        check_errors(&run.stderr, &expected).expect("errors accounted for");
    }
}
