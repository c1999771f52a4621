//! Regression tests for what the catalogue of adversarial inputs and the fuzz
//! targets found, one test per finding, each small and fast.

use std::time::{Duration, Instant};

use outsort::input::{InputFormat, InputOptions, InputReader, ReadError, Record};

fn assert_fast(start: Instant, limit: Duration, what: &str) {
    let took = start.elapsed();
    assert!(took < limit, "{what} took {took:?}");
}

/// Lowering a chain of `if ... else if ...` measured the text of every level
/// before refusing the chain as too deep: quadratic, minutes for 20,000.
#[test]
fn a_long_if_chain_is_refused_in_linear_time() {
    let chain = format!("{}0", "if hours > 1 then 1 else ".repeat(20_000));
    let text = format!("input {{ id: text  hours: number }}\nlet x = {chain}\n");
    let start = Instant::now();
    let err = outsort::load_str("ifs.rules", &text)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(err.diagnostics[0].code, "limit");
    assert_eq!(
        err.diagnostics[0].message,
        "this expression is nested more than 128 levels deep"
    );
    assert_fast(start, Duration::from_secs(30), "a 20,000-long if chain");
    // 128 levels are still fine.
    let chain = format!("{}0", "if hours > 1 then 1 else ".repeat(100));
    let text = format!("input {{ id: text  hours: number }}\nlet x = {chain}\n");
    assert!(outsort::load_str("ifs.rules", &text).is_ok());
}

/// Asking pest whether the rest of a file was blank cost time linear in the
/// rest of the file for every declaration: a rule file of 20,000 rules took
/// minutes.
#[test]
fn many_declarations_load_in_linear_time() {
    let mut text = String::from("input { id: text  hours: number }\nscore s = 0 in 0..100\n");
    for i in 0..20_000 {
        text.push_str(&format!("rule \"r{i}\" when hours > {i} {{ s += 1 }}\n"));
    }
    text.push_str("# a comment at the end\n\n  \t\n# and another");
    let start = Instant::now();
    let program = outsort::load_str("many.rules", &text).expect("loads");
    assert_eq!(program.rules.len(), 20_000);
    assert_fast(start, Duration::from_secs(60), "20,000 rules");
}

/// Every syntax error cost time linear in the rest of the file; an error on
/// every line of a big file was quadratic. At most 100 are reported.
#[test]
fn syntax_errors_stop_after_a_hundred() {
    let text = "let = 1\n".repeat(200_000);
    let start = Instant::now();
    let err = outsort::load_str("bad.rules", &text)
        .map(|_| ())
        .unwrap_err();
    assert_fast(start, Duration::from_secs(30), "200,000 syntax errors");
    let syntax: Vec<_> = err
        .diagnostics
        .iter()
        .filter(|d| d.code == "syntax")
        .collect();
    assert_eq!(syntax.len(), 101);
    assert_eq!(
        syntax[100].message,
        "more than 100 syntax errors; the rest of the file was not read"
    );
}

fn read_csv(bytes: Vec<u8>) -> (Vec<Record>, Vec<String>, Option<String>) {
    let options = InputOptions {
        format: Some(InputFormat::Csv),
        ..InputOptions::default()
    };
    let mut reader = InputReader::from_bytes("in.csv", bytes, &options).expect("opens");
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

/// A CSV record over 32 MiB (a 100 MB cell) ended reading with a fatal
/// error; it is now discarded without being held, and is a row error.
#[test]
fn a_record_over_the_size_bound_is_a_row_error() {
    let mut bytes = b"a,b\n1,2\n3,".to_vec();
    bytes.resize(bytes.len() + (33 << 20), b'x');
    bytes.extend_from_slice(b"\n5,6\n");
    let (rows, errors, fatal) = read_csv(bytes);
    assert_eq!(fatal, None);
    assert_eq!(
        errors,
        ["in.csv:3: the row is larger than 32 MiB or has more than 1000000 cells; it was skipped"]
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].cell_str(1), Some("6"));
    assert_eq!(rows[1].line(), 4);
}

/// The same for a record of more than a million delimiters; a quoted
/// delimiter or line break does not end the skipping, a doubled quote does
/// not close the cell.
#[test]
fn a_record_of_too_many_cells_is_skipped_to_its_real_end() {
    let mut bytes = b"a,b\n1,2\n\"x\"\"\n".to_vec();
    bytes.resize(bytes.len() + 1_100_000, b',');
    bytes.extend_from_slice(b"\"\"\n,\"\r\n7,8\n");
    let (rows, errors, fatal) = read_csv(bytes);
    assert_eq!(fatal, None);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("in.csv:3: the row is larger than 32 MiB or has more than 1000000 cells; lines 3 to 5 were skipped"),
        "{errors:?}"
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].cell_str(0), Some("7"));
    assert_eq!(rows[1].line(), 6);
}

/// A header over the bounds stays fatal: there is nothing to bind to.
#[test]
fn a_header_over_the_size_bound_is_fatal() {
    let mut bytes = vec![b'h'; 33 << 20];
    bytes.extend_from_slice(b"\n1\n");
    let options = InputOptions {
        format: Some(InputFormat::Csv),
        ..InputOptions::default()
    };
    let err = InputReader::from_bytes("in.csv", bytes, &options)
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("larger than 32 MiB"), "{err}");
}

/// Each `matches` compiled its own regex of up to 1 MiB: 2,000 of them in
/// 60 KB of rule file took 700 MB. Patterns used again share one compiled
/// regex, and a rule set holds at most 256 different ones.
#[test]
fn regular_expressions_are_bounded_per_rule_set() {
    let mut text = String::from("input { id: text  name: text }\n");
    for i in 0..1000 {
        text.push_str(&format!("let same{i} = matches(name, \"\\\\w{{5}}x\")\n"));
    }
    let program = outsort::load_str("re.rules", &text).expect("one pattern 1000 times");
    assert_eq!(program.lets.len(), 1000);

    let mut text = String::from("input { id: text  name: text }\n");
    for i in 0..300 {
        text.push_str(&format!("let m{i} = matches(name, \"x{i}\")\n"));
    }
    let err = outsort::load_str("re.rules", &text)
        .map(|_| ())
        .unwrap_err();
    let limits: Vec<_> = err
        .diagnostics
        .iter()
        .filter(|d| d.code == "limit")
        .collect();
    assert_eq!(limits.len(), 300 - outsort::check::expr::MAX_REGEXES);
    assert_eq!(
        limits[0].message,
        "more than 256 different regular expressions in the rule set"
    );
    assert!(
        err.render(outsort::diag::Style::Plain)
            .contains("re.rules:258:"),
        "{}",
        err.render(outsort::diag::Style::Plain)
    );
}
