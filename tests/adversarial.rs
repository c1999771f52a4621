//! Adversarial inputs and rule files (SPEC §7): each case ends with a clear
//! error or the correct result, never a panic, a hang or unbounded memory.
//! The big cases are built in memory or in a temp dir. Where time matters
//! it is asserted as a ratio, n against 2n in the same run (`support`),
//! never as an absolute time. The 10 MB rule file takes about 50 s in a
//! debug build, so it is ignored:
//! `cargo test --release --test adversarial -- --ignored` runs it.

mod support;

use std::path::PathBuf;
use support::{Run, assert_independent_of_n, assert_near_linear, time};

use outsort::input::{InputFormat, InputOptions, InputReader, ReadError, Record};

const RULES: &str = r#"
input {
    id:    text
    hours: number
    core:  bool = false
    note:  text?
}
key id
score s = 0 in 0..100
rule "big" when hours > 10 { s += 50 }
label {
    bpo      when s >= 50
    in_house otherwise
}
"#;

fn outsort(dir: &std::path::Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    support::outsort_with(dir, args, stdin)
}

/// A temp dir holding `rules.rules` and `input.<ext>` with these bytes.
fn setup(ext: &str, input: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("rules.rules"), RULES).expect("write rules");
    let path = dir.path().join(format!("input.{ext}"));
    std::fs::write(&path, input).expect("write input");
    (dir, path)
}

fn classify(ext: &str, input: &[u8], format: &str) -> Run {
    let (dir, _) = setup(ext, input);
    let file = format!("input.{ext}");
    outsort(
        dir.path(),
        &[
            "classify",
            "-r",
            "rules.rules",
            &file,
            "-f",
            format,
            "--today=2026-01-01",
        ],
        None,
    )
}

/// Reads all rows of bytes: (good rows, row errors, fatal error).
fn read_all(bytes: Vec<u8>, format: InputFormat) -> (Vec<Record>, Vec<String>, Option<String>) {
    let options = InputOptions {
        format: Some(format),
        ..InputOptions::default()
    };
    let mut reader = match InputReader::from_bytes("in", bytes, &options) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Vec::new(), Some(e.to_string())),
    };
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    loop {
        let mut rec = Record::new();
        match reader.read(&mut rec) {
            Ok(true) => rows.push(rec),
            Ok(false) => return (rows, errors, None),
            Err(ReadError::Row(e)) => errors.push(e.to_string()),
            Err(ReadError::Fatal(e)) => return (rows, errors, Some(e.to_string())),
        }
    }
}

// ---- invalid UTF-8 ----------------------------------------------------------

#[test]
fn invalid_utf8_in_a_cell_is_a_row_error_naming_its_line() {
    let _serial = support::serial();
    let run = classify("csv", b"id,hours\nT1,5\nT\xff\xfe2,20\nT3,30\n", "csv");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("input.csv:3"), "{}", run.stderr);
    assert!(run.stderr.contains("UTF-8"), "{}", run.stderr);
    assert!(run.stdout.contains("T1,5,0,in_house"), "{}", run.stdout);
    assert!(run.stdout.contains("T3,30,50,bpo"), "{}", run.stdout);
}

#[test]
fn invalid_utf8_in_a_rule_file_is_refused() {
    let _serial = support::serial();
    let (dir, _) = setup("csv", b"id,hours\nT1,5\n");
    std::fs::write(
        dir.path().join("bad.rules"),
        b"input { id: text }\n# caf\xe9\n",
    )
    .expect("write");
    let run = outsort(dir.path(), &["check", "-r", "bad.rules", "input.csv"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is not valid UTF-8 (at byte 24)"),
        "{}",
        run.stderr
    );
}

#[test]
fn invalid_utf8_in_json_is_a_row_error() {
    let _serial = support::serial();
    let json = b"[{\"id\": \"T\xff1\", \"hours\": 1},\n{\"id\": \"T2\", \"hours\": 2}]";
    let (rows, errors, fatal) = read_all(json.to_vec(), InputFormat::Json);
    assert_eq!(fatal, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(errors, ["in:1: invalid JSON: invalid unicode code point"]);
    let (rows, errors, fatal) = read_all(json[1..json.len() - 1].to_vec(), InputFormat::Ndjson);
    assert_eq!(fatal, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("in:1: "), "{errors:?}");
}

// ---- NUL bytes --------------------------------------------------------------

#[test]
fn nul_bytes_in_cells_are_text_or_a_row_error() {
    let _serial = support::serial();
    let run = classify("csv", b"id,hours\nT\x001,5\nT2,1\x002\n", "json");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("input.csv:3"), "{}", run.stderr);
    assert!(run.stderr.contains("is not a number"), "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("json output");
    assert_eq!(rows[0]["input"]["id"], "T\u{0}1");
    assert_eq!(rows.as_array().map(Vec::len), Some(1));
}

#[test]
fn nul_bytes_in_a_rule_file_are_a_syntax_error() {
    let _serial = support::serial();
    let err = outsort::load_str("nul.rules", "input { id: text }\nlet x = \0 1\n").unwrap_err();
    let text = err.render(outsort::diag::Style::Plain);
    assert!(text.contains("nul.rules:2:9"), "{text}");
}

#[test]
fn nul_bytes_in_json_are_an_error() {
    let _serial = support::serial();
    let (rows, errors, fatal) = read_all(
        b"[{\"id\": \"T\x001\", \"hours\": 1}]".to_vec(),
        InputFormat::Json,
    );
    assert!(rows.is_empty());
    assert!(!errors.is_empty() || fatal.is_some());
}

// ---- a huge field -----------------------------------------------------------

fn huge_field_case(size: usize) {
    let mut bytes = b"id,hours\nT1,5\nT2,\"".to_vec();
    bytes.resize(bytes.len() + size, b'7');
    bytes.extend_from_slice(b"\"\nT3,30\n");
    let (rows, errors, fatal) = read_all(bytes, InputFormat::Csv);
    assert_eq!(fatal, None);
    assert_eq!(rows.len(), 2, "{errors:?}");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("in:3: "), "{errors:?}");
    assert!(errors[0].contains("larger than"), "{errors:?}");
    assert_eq!(rows[1].cell_str(0), Some("T3"));
    assert_eq!(rows[1].line(), 4);
}

#[test]
fn a_huge_field_is_skipped_in_time_linear_in_its_size() {
    let _serial = support::serial();
    assert_near_linear("a huge field", outsort::input::MAX_FIELD_BYTES + 1, &|n| {
        let mut bytes = b"id,hours\nT1,5\nT2,\"".to_vec();
        bytes.resize(bytes.len() + n, b'7');
        bytes.extend_from_slice(b"\"\nT3,30\n");
        time(|| {
            let (rows, _, _) = read_all(bytes, InputFormat::Csv);
            assert_eq!(rows.len(), 2);
        })
    });
}

#[test]
fn a_field_over_the_cell_limit_is_a_row_error() {
    let _serial = support::serial();
    huge_field_case(outsort::input::MAX_FIELD_BYTES + 1);
}

#[test]
fn a_field_over_the_record_limit_is_a_row_error() {
    let _serial = support::serial();
    huge_field_case(outsort::input::MAX_RECORD_BYTES as usize + 1);
}

#[test]
fn a_100_mb_field_is_a_row_error() {
    let _serial = support::serial();
    huge_field_case(100 * 1000 * 1000);
}

#[test]
fn a_huge_record_over_several_lines_is_skipped_to_its_end() {
    let _serial = support::serial();
    // The quoted cell spans lines and holds delimiters and doubled quotes;
    // the next row's line number counts the skipped lines.
    let mut bytes = b"id,hours\nT1,5\nT2,\"a,\"\"b\n".to_vec();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..40 {
        bytes.extend_from_slice(&chunk);
        bytes.extend_from_slice(b",\"\"\r\n");
    }
    bytes.extend_from_slice(b"end\",9\nT3,30\n");
    let (rows, errors, fatal) = read_all(bytes, InputFormat::Csv);
    assert_eq!(fatal, None);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("in:3: "), "{errors:?}");
    assert!(
        errors[0].contains("lines 3 to 44 were skipped"),
        "{errors:?}"
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].cell_str(0), Some("T3"));
    assert_eq!(rows[1].line(), 45);
}

#[test]
fn a_huge_record_with_a_quote_left_open_ends_the_input_with_a_row_error() {
    let _serial = support::serial();
    let mut bytes = b"id,hours\nT1,5\nT2,\"open\n".to_vec();
    bytes.extend(std::iter::repeat_n(b"T9,1\n".as_slice(), 8_000_000).flatten());
    let (rows, errors, fatal) = read_all(bytes, InputFormat::Csv);
    assert_eq!(fatal, None);
    assert_eq!(rows.len(), 1);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("in:3: "), "{errors:?}");
    assert!(
        errors[0]
            .contains("a quote opened in it is never closed: the rest of the input was skipped"),
        "{errors:?}"
    );
}

#[test]
fn a_huge_json_element_is_a_row_error() {
    let _serial = support::serial();
    let big = "x".repeat(outsort::input::MAX_ELEMENT_BYTES + 1);
    let json = format!(
        "[{{\"id\": \"T1\", \"hours\": 1}},\n{{\"id\": \"{big}\", \"hours\": 2}},\n{{\"id\": \"T3\", \"hours\": 3}}]"
    );
    let ndjson = format!(
        "{{\"id\": \"T1\", \"hours\": 1}}\n{{\"id\": \"{big}\", \"hours\": 2}}\n{{\"id\": \"T3\", \"hours\": 3}}\n"
    );
    for (bytes, format) in [(json, InputFormat::Json), (ndjson, InputFormat::Ndjson)] {
        let (rows, errors, fatal) = read_all(bytes.into_bytes(), format);
        assert_eq!(fatal, None, "{format:?}");
        assert_eq!(rows.len(), 2, "{format:?}: {errors:?}");
        assert_eq!(errors.len(), 1, "{format:?}");
        assert!(errors[0].starts_with("in:2: "), "{format:?}: {errors:?}");
        assert!(errors[0].contains("than 16 MiB"), "{format:?}: {errors:?}");
        assert_eq!(rows[1].line(), 3, "{format:?}");
    }
}

// ---- a million cells --------------------------------------------------------

#[test]
fn a_line_with_a_million_cells_is_a_row_error() {
    let _serial = support::serial();
    let (rows, errors, fatal) = read_all(many_cells(1_000_000), InputFormat::Csv);
    assert_eq!(fatal, None);
    assert_eq!(rows.len(), 2);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("in:3"), "{errors:?}");
    assert!(errors[0].contains("more than 100000 cells"), "{errors:?}");
}

/// A CSV file whose third line has `n` cells.
fn many_cells(n: usize) -> Vec<u8> {
    let mut bytes = b"id,hours\nT1,5\n".to_vec();
    bytes.extend(std::iter::repeat_n(b"x,".as_slice(), n - 1).flatten());
    bytes.extend_from_slice(b"x\nT3,30\n");
    bytes
}

#[test]
fn a_line_with_too_many_cells_is_skipped_in_time_linear_in_its_size() {
    let _serial = support::serial();
    assert_near_linear("cells", 250_000, &|n| {
        let bytes = many_cells(n);
        time(|| {
            let (rows, _, _) = read_all(bytes, InputFormat::Csv);
            assert_eq!(rows.len(), 2);
        })
    });
}

#[test]
fn a_header_with_a_million_cells_is_refused() {
    let _serial = support::serial();
    let mut bytes = Vec::new();
    bytes.extend(std::iter::repeat_n(b"x,".as_slice(), 999_999).flatten());
    bytes.extend_from_slice(b"x\n1\n");
    let (rows, _, fatal) = read_all(bytes, InputFormat::Csv);
    assert!(rows.is_empty());
    let fatal = fatal.expect("a fatal error");
    assert!(fatal.contains("more than 100000 columns"), "{fatal}");
}

// ---- header only, empty ------------------------------------------------------

#[test]
fn a_header_only_file_is_a_clear_error() {
    let _serial = support::serial();
    for format in ["csv", "json"] {
        let run = classify("csv", b"id,hours\n", format);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("no tasks: the input holds no rows to classify"),
            "{}",
            run.stderr
        );
    }
    let (rows, errors, fatal) = read_all(b"id,hours\r\n".to_vec(), InputFormat::Csv);
    assert!(rows.is_empty() && errors.is_empty() && fatal.is_none());
}

#[test]
fn an_empty_file_is_a_clear_error() {
    let _serial = support::serial();
    for (ext, message) in [
        ("csv", "input.csv: the file is empty: no header"),
        ("json", "input.json: the file is empty"),
        (
            "ndjson",
            "input.ndjson: field \"id\": no key \"id\"; the input has no keys",
        ),
    ] {
        let run = classify(ext, b"", "csv");
        assert_eq!(run.code, 2, "{ext}: {}", run.stderr);
        assert!(run.stderr.contains(message), "{ext}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{ext}");
    }
}

// ---- deep nesting -------------------------------------------------------------

#[test]
fn deeply_nested_json_is_refused() {
    let _serial = support::serial();
    for depth in [129, 100_000] {
        let mut bytes = b"[{\"id\": \"T1\", \"hours\": 1, \"x\": ".to_vec();
        bytes.extend(std::iter::repeat_n(b'[', depth));
        bytes.extend(std::iter::repeat_n(b']', depth));
        bytes.extend_from_slice(b"}]");
        let ndjson = bytes[1..bytes.len() - 1].to_vec();
        for (bytes, format) in [(bytes, InputFormat::Json), (ndjson, InputFormat::Ndjson)] {
            let (rows, errors, fatal) = read_all(bytes, format);
            assert!(rows.is_empty());
            match format {
                // The array reader bounds nesting itself: fatal.
                InputFormat::Json => assert_eq!(
                    fatal.as_deref(),
                    Some("in:1: nesting deeper than 128 levels"),
                    "{errors:?}"
                ),
                // An NDJSON line is parsed alone: a row error.
                _ => assert_eq!(
                    errors,
                    ["in:1: invalid JSON: recursion limit exceeded"],
                    "{fatal:?}"
                ),
            }
        }
    }
}

fn nested_rules(expr: &str) -> String {
    format!("input {{ id: text  hours: number }}\nlet x = {expr}\n")
}

fn assert_limit(text: &str, what: &str) {
    let err = outsort::load_str("deep.rules", text).expect_err(what);
    let rendered = err.render(outsort::diag::Style::Plain);
    assert!(
        err.diagnostics.iter().any(|d| d.code == "limit"),
        "{what}: {rendered}"
    );
}

/// The nested expressions of [`deeply_nested_rule_expressions_are_refused`]
/// at depth `n`.
fn nested(n: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "brackets",
            format!("{}hours{}", "(".repeat(n), ")".repeat(n)),
        ),
        ("nots", format!("{}true", "not ".repeat(n))),
        ("minus", format!("{}1", "-".repeat(n))),
        ("calls", format!("{}1{}", "abs(".repeat(n), ")".repeat(n))),
        (
            "lists",
            format!("hours in {}1{}", "[".repeat(n), "]".repeat(n)),
        ),
    ]
}

#[test]
fn deeply_nested_rule_expressions_are_refused() {
    let _serial = support::serial();
    for (what, expr) in nested(100_000) {
        assert_limit(&nested_rules(&expr), what);
    }
}

#[test]
fn refusing_deep_nesting_takes_time_linear_in_the_depth() {
    let _serial = support::serial();
    for (i, (what, _)) in nested(1).into_iter().enumerate() {
        assert_near_linear(what, 100_000, &|n| {
            let text = nested_rules(&nested(n)[i].1);
            time(|| assert!(outsort::load_str("deep.rules", &text).is_err()))
        });
    }
}

#[test]
fn long_flat_expressions_load_or_are_refused_in_time_linear_in_their_length() {
    let _serial = support::serial();
    // Long chains do not nest brackets, but a parser or checker that recurses
    // along them could still run out of stack, or be quadratic.
    for (i, (what, _)) in flat(1).into_iter().enumerate() {
        assert_near_linear(what, 2_500, &|n| {
            let text = nested_rules(&flat(n)[i].1);
            time(|| match outsort::load_str("long.rules", &text) {
                Ok(_) => {}
                Err(e) => {
                    let text = e.render(outsort::diag::Style::Plain);
                    assert!(text.contains("long.rules:"), "{what}: {text}");
                }
            })
        });
    }
}

/// Flat chains of `n` operations.
fn flat(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("sum", format!("hours{}", " + hours".repeat(n))),
        ("and", format!("true{}", " and true".repeat(n))),
        ("concat", format!("1{}", " * 1".repeat(n))),
        (
            "power of ifs",
            format!("{}0", "if hours > 1 then 1 else ".repeat(n)),
        ),
        ("coalesce", format!("hours{}", " ?? hours".repeat(n))),
    ]
}

// ---- numbers ------------------------------------------------------------------

#[test]
fn numbers_out_of_range_are_row_errors_and_minus_zero_is_zero() {
    let _serial = support::serial();
    let input = b"id,hours\nA,1e400\nB,-0\nC,NaN\nD,inf\nE,-Infinity\nF,1e-400\nG,12\n";
    let run = classify("csv", input, "csv");
    assert_eq!(run.code, 2, "{}", run.stderr);
    for line in [2, 4, 5, 6] {
        assert!(
            run.stderr.contains(&format!("input.csv:{line}")),
            "line {line}: {}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("is not a finite number"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("4 rows could not be processed"),
        "{}",
        run.stderr
    );
    // -0 and an underflow to 0 are 0; the input column is carried untouched.
    assert!(run.stdout.contains("\nB,-0,0,in_house"), "{}", run.stdout);
    assert!(
        run.stdout.contains("\nF,1e-400,0,in_house"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\nG,12,50,bpo"), "{}", run.stdout);
}

#[test]
fn json_numbers_out_of_range_are_errors() {
    let _serial = support::serial();
    let json = br#"[{"id": "A", "hours": 1e400}, {"id": "B", "hours": -0.0}, {"id": "C", "hours": "NaN"}, {"id": "D", "hours": 11}]"#;
    let run = classify("json", json, "json");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("input.json:1"), "{}", run.stderr);
    assert!(run.stderr.contains("NaN"), "{}", run.stderr);
}

#[test]
fn huge_integers_are_read_as_numbers() {
    let _serial = support::serial();
    let input = b"id,hours\nA,123456789012345678901234567890\nB,-99999999999999999999\n";
    let run = classify("csv", input, "json");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(rows[0]["input"]["hours"], "123456789012345678901234567890");
    assert_eq!(rows[0]["label"], "bpo");
    assert_eq!(rows[1]["label"], "in_house");
    let json = br#"[{"id": "A", "hours": 123456789012345678901234567890}]"#;
    let run = classify("json", json, "json");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(rows[0]["label"], "bpo");
}

#[test]
fn numbers_in_rule_files() {
    let _serial = support::serial();
    let huge = "9".repeat(400);
    for (literal, ok) in [
        ("1e400", false),
        (huge.as_str(), false),
        ("-0", true),
        ("123456789012345678901234567890", true),
    ] {
        let text = format!("input {{ id: text  hours: number }}\nlet x = hours * {literal}\n");
        let result = outsort::load_str("n.rules", &text);
        match (ok, result) {
            (true, Ok(_)) => {}
            (false, Err(e)) => {
                let text = e.render(outsort::diag::Style::Plain);
                assert!(text.contains("n.rules:2:"), "{literal}: {text}");
            }
            (ok, r) => panic!("{literal}: expected ok={ok}, got {:?}", r.map(|_| ())),
        }
    }
    for word in ["NaN", "inf"] {
        let text = format!("input {{ id: text  hours: number }}\nlet x = hours * {word}\n");
        let err = outsort::load_str("n.rules", &text).expect_err(word);
        assert!(
            err.render(outsort::diag::Style::Plain)
                .contains("unknown name")
        );
    }
}

// ---- an expensive regex ---------------------------------------------------------

#[test]
fn a_backtracking_regex_runs_in_linear_time() {
    let _serial = support::serial();
    let rules = r#"
input { id: text  name: text }
score s = 0 in 0..1
rule "nested" when matches(name, "(a+)+$") { s += 1 }
rule "alternation" when matches(name, "^(a|aa)*c$") { s += 1 }
"#;
    let program = outsort::load_str("re.rules", rules).expect("loads");
    assert_near_linear("the regex", 500_000, &|n| {
        let long = format!("{}b", "a".repeat(n));
        let mut task = program.new_task();
        task.fields = vec![
            outsort::value::Value::Text("T1".into()),
            outsort::value::Value::Text(long.as_str().into()),
        ];
        let took = time(|| program.evaluate(&mut task, 0).expect("evaluates"));
        assert_eq!(task.scores, vec![0.0]);
        took
    });
}

#[test]
fn a_huge_regex_is_refused_when_loading() {
    let _serial = support::serial();
    let huge = |n: usize| {
        format!("input {{ id: text  name: text }}\nlet x = matches(name, \"(a{{1000}}){{{n}}}\")\n")
    };
    let err = outsort::load_str("re.rules", &huge(1000)).expect_err("too big");
    let text = err.render(outsort::diag::Style::Plain);
    assert!(text.contains("re.rules:2:"), "{text}");
    // Refused at the size limit, whatever the size asked for.
    assert_independent_of_n("a huge regex", 1000, 100, &|n| {
        let rules = huge(n);
        time(|| assert!(outsort::load_str("re.rules", &rules).is_err()))
    });
}

// ---- duplicate keys -----------------------------------------------------------

#[test]
fn duplicate_task_keys_are_classified_and_reported_by_check() {
    let _serial = support::serial();
    let input = b"id,hours\nT1,5\nT1,20\nT2,1\n";
    let run = classify("csv", input, "csv");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 4, "{}", run.stdout);
    let (dir, _) = setup("csv", input);
    let run = outsort(
        dir.path(),
        &[
            "check",
            "-r",
            "rules.rules",
            "input.csv",
            "--today=2026-01-01",
        ],
        None,
    );
    assert!(
        run.stdout.contains("T1") || run.stderr.contains("T1"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("repeated") || all.contains("more than once"),
        "{all}"
    );
}

// ---- a big rule file -------------------------------------------------------------

fn big_rules(target: usize) -> String {
    let mut text = String::from(
        "input { id: text  hours: number  core: bool = false }\nscore s = 0 in 0..1000000\n",
    );
    let mut i = 0;
    while text.len() < target {
        text.push_str(&format!(
            "rule \"r{i}\" when hours > {i} and not core {{ s += {} }}\n",
            i % 7
        ));
        i += 1;
    }
    text
}

#[test]
fn a_big_rule_file_loads_or_is_refused_clearly() {
    let _serial = support::serial();
    let text = big_rules(1024 * 1024);
    let program = outsort::load_str("big.rules", &text).expect("a 1 MB rule file loads");
    assert!(program.rules.len() > 10_000);
}

#[test]
fn a_big_rule_file_loads_in_time_linear_in_its_size() {
    let _serial = support::serial();
    assert_near_linear("a big rule file", 128 * 1024, &|n| {
        let text = big_rules(n);
        time(|| assert!(outsort::load_str("big.rules", &text).is_ok()))
    });
}

#[test]
#[ignore = "10 MB; run with --ignored (slow in a debug build)"]
fn a_10_mb_rule_file_loads() {
    let _serial = support::serial();
    let text = big_rules(10 * 1024 * 1024);
    let program = outsort::load_str("big.rules", &text).expect("a 10 MB rule file loads");
    assert!(program.rules.len() > 100_000);
}

#[test]
fn a_rule_file_over_the_limit_is_refused_before_reading() {
    let _serial = support::serial();
    let dir = tempfile::tempdir().expect("temp dir");
    let sparse = |len: usize| -> PathBuf {
        let path = dir.path().join(format!("huge{len}.rules"));
        let file = std::fs::File::create(&path).expect("create");
        file.set_len(len as u64).expect("sparse file");
        path
    };
    let path = sparse(outsort::syntax::MAX_FILE_BYTES + 1);
    let err = outsort::load_paths(&[path]).expect_err("too big");
    let text = err.render(outsort::diag::Style::Plain);
    assert!(text.contains("more than the limit of 16777216"), "{text}");
    // A file 64 times as big is refused as fast: the limit stops the read.
    assert_independent_of_n(
        "the size check",
        outsort::syntax::MAX_FILE_BYTES + 1,
        64,
        &|n| {
            let path = sparse(n);
            time(|| assert!(outsort::load_paths(&[path]).is_err()))
        },
    );
    let err = outsort::load_str("s.rules", &" ".repeat(outsort::syntax::MAX_FILE_BYTES + 1))
        .expect_err("too big");
    assert_eq!(err.diagnostics[0].code, "limit");
}
