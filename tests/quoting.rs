//! Text from hostile files shown to people (SECURITY.md, "Untrusted files";
//! `src/quote.rs`): escape bytes, forged log lines and bidirectional
//! controls in rule files, cells, column names and file names appear escaped
//! in every diagnostic, row error, table and CI report, and a long line is
//! quoted in part. Data output (CSV, JSON) keeps the bytes exactly.

mod support;

use std::path::{Path, PathBuf};
use support::outsort as run;

const ESC: &str = "\u{1b}[2J\u{1b}]0;pwned\u{7}";
const BIDI: &str = "\u{202e}\u{2066}";
/// A line break that would start a GitHub workflow command of its own.
const FORGED: &str = "\n::error::forged";

/// The characters no output meant for people may carry raw.
fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[track_caller]
fn assert_safe(what: &str, text: &str) {
    if let Some((i, c)) = text.char_indices().find(|&(_, c)| unsafe_char(c)) {
        panic!("{what}: raw U+{:04X} at byte {i} in:\n{text}", c as u32);
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::error::forged"),
            "{what}: a forged line in:\n{text}"
        );
    }
}

fn dir() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().to_path_buf();
    (d, p)
}

const RULES: &str = "input { id: text  hours: number }\nscore s = 0 in 0..10\nlabel { bpo when hours > 1\n in_house otherwise }\n";

#[test]
fn a_rule_file_line_is_shown_escaped_with_the_mark_under_the_name() {
    let (_d, dir) = dir();
    let text = format!(
        "input {{ id: text  hours: number }}\nscore s = 0 in 0..10\nrule \"r{ESC}{BIDI}\" when hourz > 1 {{ s += 1 }}\n"
    );
    std::fs::write(dir.join("bad.rules"), text).unwrap();
    let r = run(&dir, &["lint", "-r", "bad.rules"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_safe("stderr", &r.stderr);
    assert!(
        r.stderr
            .contains("\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{202e}\\u{2066}")
    );
    insta::assert_snapshot!("escaped_source_line", r.stderr);
}

#[test]
fn a_long_line_is_quoted_in_part_around_the_mark() {
    let (_d, dir) = dir();
    let long = format!("let x = \"{}\" + hourz", "word ".repeat(3000));
    std::fs::write(
        dir.join("long.rules"),
        format!("input {{ id: text  hours: number }}\n{long}\n"),
    )
    .unwrap();
    let r = run(&dir, &["lint", "-r", "long.rules"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    let at_line = lines
        .iter()
        .position(|l| l.contains("hourz") && l.contains(" | "))
        .expect("the line is quoted");
    let (quoted, caret) = (lines[at_line], lines[at_line + 1]);
    assert!(quoted.chars().count() < 220, "{quoted}");
    assert!(
        quoted.contains("| …") && quoted.contains("word word"),
        "{quoted}"
    );
    // In characters: the `…` is one column.
    let at = caret.chars().position(|c| c == '^').unwrap();
    let marked: String = quoted.chars().skip(at).take(5).collect();
    assert_eq!(marked, "hourz", "\n{quoted}\n{caret}");
    assert!(r.stderr.len() < 2_000, "{} bytes", r.stderr.len());
}

#[test]
fn a_cell_in_a_row_error_is_escaped() {
    let (_d, dir) = dir();
    std::fs::write(dir.join("r.rules"), RULES).unwrap();
    std::fs::write(
        dir.join("t.csv"),
        format!("id,hours\nT1,\"5{ESC}{FORGED}{BIDI}\"\nT2,3\n"),
    )
    .unwrap();
    let r = run(&dir, &["classify", "-r", "r.rules", "t.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_safe("stderr", &r.stderr);
    assert!(r.stderr.contains("`5\\u{1b}[2J"), "{}", r.stderr);
    assert!(
        r.stderr.contains("\\n::error::forged\\u{202e}"),
        "{}",
        r.stderr
    );
}

#[test]
fn column_names_in_binding_errors_are_escaped() {
    let (_d, dir) = dir();
    std::fs::write(dir.join("r.rules"), RULES).unwrap();
    std::fs::write(
        dir.join("t.csv"),
        format!("id,\"ho{ESC}{FORGED}urs\"\nT1,5\n"),
    )
    .unwrap();
    let r = run(&dir, &["classify", "-r", "r.rules", "t.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_safe("stderr", &r.stderr);
    assert!(r.stderr.contains("ho\\u{1b}[2J"), "{}", r.stderr);
}

#[test]
fn a_file_name_is_escaped() {
    let (_d, dir) = dir();
    std::fs::create_dir(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules/ok.rules"), RULES).unwrap();
    std::fs::write(
        dir.join(format!("rules/x{ESC}.rules")),
        "let y = nothing_here\n",
    )
    .unwrap();
    let r = run(&dir, &["lint", "-r", "rules"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_safe("stderr", &r.stderr);
    assert!(r.stderr.contains("x\\u{1b}[2J"), "{}", r.stderr);
}

/// The built-in rules over a task whose name is hostile: the policy
/// "standardized is a share" fires and quotes the name.
fn hostile_tasks(dir: &Path) {
    let name = format!("Inv{ESC}{FORGED}{BIDI}oice");
    std::fs::write(
        dir.join("t.csv"),
        format!(
            "id,name,department,category,hours_per_month,hourly_cost,skill,core,data_sensitivity,standardized,regulated,bottleneck,languages,same_day,anonymised,owner\n\
             T{BIDI}1,\"{name}\",Finance,Invoice processing,160,34,training,false,low,80,false,true,1,false,false,a@example.com\n\
             T2,Payroll,Finance,Payroll,100,30,training,false,low,0.9,false,false,1,false,false,b@example.com\n"
        ),
    )
    .unwrap();
}

#[test]
fn check_reports_escape_in_every_format() {
    let (_d, dir) = dir();
    hostile_tasks(&dir);
    for format in ["text", "github", "junit", "sarif", "json"] {
        let r = run(&dir, &["check", "t.csv", "-f", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert_safe(format, &r.stderr);
        if format == "sarif" {
            // Keys in fingerprints are data; the messages people read are
            // escaped (their line breaks are JSON's, and kept).
            let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            for result in doc["runs"][0]["results"].as_array().unwrap() {
                let text = result["message"]["text"].as_str().unwrap();
                assert!(!text.chars().any(unsafe_char), "{text:?}");
            }
        } else if format != "json" {
            assert_safe(format, &r.stdout);
        }
        assert!(
            r.stdout.contains("\\u{1b}[2J") || r.stdout.contains("\\u001b[2J"),
            "{format}: {}",
            r.stdout
        );
    }
    let github = run(&dir, &["check", "t.csv", "-f", "github"]).stdout;
    let line = github.lines().find(|l| l.contains("Inv")).unwrap();
    assert!(line.starts_with("::error "), "{line}");
    assert!(
        line.contains("%0A::error::forged\\u{202e}\\u{2066}oice"),
        "{line}"
    );
    let junit = run(&dir, &["check", "t.csv", "-f", "junit"]).stdout;
    assert!(
        junit.contains("Inv\\u{1b}[2J\\u{1b}]0;pwned\\u{7}&#10;::error::forged"),
        "{junit}"
    );
}

#[test]
fn tables_markdown_and_explanations_escape_but_csv_keeps_the_bytes() {
    let (_d, dir) = dir();
    hostile_tasks(&dir);
    for format in ["table", "markdown"] {
        let r = run(&dir, &["classify", "t.csv", "-f", format, "--summary"]);
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
        assert_safe(format, &r.stdout);
        assert_safe(format, &r.stderr);
        assert!(
            r.stdout.contains("T\\u{202e}\\u{2066}1"),
            "{format}: {}",
            r.stdout
        );
    }
    let r = run(&dir, &["explain", "t.csv", "--task", &format!("T{BIDI}1")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_safe("explain", &r.stdout);
    assert!(
        r.stdout.contains("task T\\u{202e}\\u{2066}1"),
        "{}",
        r.stdout
    );
    let r = run(&dir, &["explain", "t.csv", "--task", "T\u{1b}9"]);
    assert_safe("explain stderr", &r.stderr);
    // CSV is data: the bytes come out as they went in.
    let r = run(&dir, &["classify", "t.csv", "-f", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(&format!("Inv{ESC}{FORGED}{BIDI}oice")));
}

#[test]
fn test_names_and_reasons_from_rule_strings_are_escaped() {
    let (_d, dir) = dir();
    std::fs::write(
        dir.join("r.rules"),
        "input { id: text  hours: number }\nscore s = 0 in 0..10\nlabel { bpo when hours > 1 because \"x\\u{1b}[2J\"\n in_house otherwise }\n\
         test \"t\\u{1b}]0;pwned\\u{7}\" {\n given { id: \"a\\u{202e}\", hours: 5 }\n expect label == in_house\n }\n",
    )
    .unwrap();
    let r = run(&dir, &["test", "-r", "r.rules"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_safe("test stdout", &r.stdout);
    assert!(r.stdout.contains("t\\u{1b}]0;pwned\\u{7}"), "{}", r.stdout);
}

#[test]
fn fmt_check_shows_the_lines_escaped() {
    let (_d, dir) = dir();
    std::fs::write(
        dir.join("r.rules"),
        format!("input {{ id: text  hours: number }}\n# {ESC}{BIDI}\nscore   s = 0 in 0..10\n"),
    )
    .unwrap();
    let r = run(&dir, &["fmt", "--check", "r.rules"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_safe("fmt --check", &r.stdout);
    assert!(r.stdout.contains("# \\u{1b}[2J"), "{}", r.stdout);
}

#[test]
fn fmt_writes_bidi_controls_in_strings_as_escapes() {
    // "Trojan Source": a bidi control in a string reorders how the line
    // reads. Formatted, it is an escape anyone can see.
    let (_d, dir) = dir();
    std::fs::write(
        dir.join("r.rules"),
        format!("input {{ id: text }}\nlet x = \"admin{BIDI}\"\n"),
    )
    .unwrap();
    let r = run(&dir, &["fmt", "r.rules"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.join("r.rules")).unwrap();
    assert!(text.contains("\"admin\\u{202e}\\u{2066}\""), "{text}");
}
