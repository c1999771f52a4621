//! Unit tests of drafting; whole drafts are tested in `tests/init.rs` and
//! its snapshots.

use super::names::{snake, unique_name};
use super::rules::{nice, quantile};
use super::sniff::{GIVEN_TEXT_CHARS, Kind, infer};
use super::*;
use crate::fmt::WIDTH;
use std::collections::HashSet;

#[test]
fn names() {
    let cases = [
        ("Issue key", "issue_key"),
        ("Custom field (Story Points)", "story_points"),
        ("assignedTo", "assigned_to"),
        ("Σ Time Spent", "sum_time_spent"),
        ("O*NET-SOC Code", "o_net_soc_code"),
        ("Section/Column", "section_column"),
        ("Fecha de creación", "fecha_de_creacion"),
        ("ID", "id"),
        ("Q4Budget", "q4_budget"),
        ("  ", ""),
    ];
    for (header, want) in cases {
        assert_eq!(snake(header), want, "{header}");
    }
    let mut used = HashSet::new();
    let got: Vec<String> = ["number", "label", "2024 budget", "", "x", "x", "in"]
        .iter()
        .enumerate()
        .map(|(i, h)| unique_name(&snake(h), i, &mut used))
        .collect();
    assert_eq!(
        got,
        [
            "task_number",
            "label_value",
            "field_2024_budget",
            "column_4",
            "x",
            "x_2",
            "in_value"
        ]
    );
}

#[test]
fn types() {
    let cases: [(&[&str], Kind); 11] = [
        (&["1", "2.5", "45%"], Kind::Number),
        (&["007", "012"], Kind::Text),
        (&["1209000000000104", "12"], Kind::Text),
        (&["yes", "No", "TRUE"], Kind::Bool),
        (&["2025-01-31", " 2024-02-29 "], Kind::Date),
        (
            &["High", "low", "Medium", "high", "low", "medium"],
            Kind::Enum(vec!["low".into(), "medium".into(), "high".into()]),
        ),
        (
            &["In Progress", "Done", "done", "in-progress"],
            Kind::Enum(vec!["done".into(), "in_progress".into()]),
        ),
        (&["a", "b", "c"], Kind::Text),
        (
            &["4 - Low", "4 - Low", "3 - Moderate", "3 - Moderate"],
            Kind::Text,
        ),
        (&["true", "maybe", "true", "maybe"], Kind::Text),
        (&["1", "2", "x"], Kind::Text),
    ];
    for (values, want) in cases {
        assert_eq!(infer(values, false, "x").0, want, "{values:?}");
    }
    let people = ["Ann Lee", "Bo Ng", "Ann Lee", "Bo Ng"];
    assert_eq!(infer(&people, false, "assignee").0, Kind::Text);
    assert_eq!(
        infer(&people, false, "who").0,
        Kind::Enum(vec!["ann_lee".into(), "bo_ng".into()])
    );
    assert_eq!(infer(&["10091", "10092"], false, "issue_id").0, Kind::Text);
    let long = ["a b c d", "a b c d", "e", "e"];
    assert_eq!(infer(&long, false, "x").0, Kind::Text);
}

#[test]
fn sampling_reads_the_first_rows() {
    let csv = "id,n\na,1\nb,2,extra\nc,3\nd,4\n";
    let options = crate::input::InputOptions::default();
    let mut reader = InputReader::from_bytes("t.csv", csv.into(), &options).unwrap();
    let sample = Sample::read(&mut reader, "t.csv", 3).unwrap();
    assert_eq!(sample.rows, [["a", "1"], ["c", "3"]]);
    assert_eq!((sample.skipped, sample.more), (1, true));
    let mut reader = InputReader::from_bytes("t.csv", csv.into(), &options).unwrap();
    let sample = Sample::read(&mut reader, "t.csv", 4).unwrap();
    assert_eq!((sample.rows.len(), sample.more), (3, false));
}

#[test]
fn long_text_is_cut_in_the_test() {
    let long = "word ".repeat(100);
    let sample = Sample::from_rows("t.csv", &["id", "notes"], &[["a", long.as_str()]]);
    let text = draft(&sample).unwrap();
    let want = format!("notes: \"{}…\"", cut(&long, GIVEN_TEXT_CHARS));
    assert!(text.contains(&want), "{text}");
}

#[test]
fn thresholds() {
    assert_eq!(nice(147.0), 150.0);
    assert_eq!(nice(0.254), 0.25);
    assert_eq!(nice(16.0), 16.0);
    assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.75), Some(3.0));
    assert_eq!(quantile(&[], 0.75), None);
}

#[test]
fn given_literals_read_back() {
    let sample = Sample::from_rows(
        "t.csv",
        &["id", "amount", "when", "note"],
        &[&["a", "-3.5", "2025-01-31", "two\nlines \"quoted\" \\ {x}\r"]],
    );
    let text = draft(&sample).unwrap();
    assert!(
        text.contains("        amount: -3.5,\n        when_value: 2025-01-31,\n"),
        "{text}"
    );
    assert_eq!(
        given_value(&text),
        Some(crate::value::Value::Text("a".into()))
    );
    assert!(
        text.contains("note: \"two\\nlines \\\"quoted\\\" \\\\ {x}\\u{d}\""),
        "{text}"
    );
}

#[test]
fn no_rows_and_no_values() {
    let empty = Sample::from_rows::<[&str; 1]>("t.csv", &["a"], &[]);
    assert!(matches!(draft(&empty), Err(InitError::NoRows)));
    let blank = Sample::from_rows("t.csv", &["a", ""], &[&["", "x"]]);
    assert!(matches!(draft(&blank), Err(InitError::NoValues)));
}

#[test]
fn key_falls_back_to_a_default() {
    let sample = Sample::from_rows("t.csv", &["a", "b"], &[&["1", ""], &["", "2"]]);
    let text = draft(&sample).unwrap();
    assert!(text.contains("a: text = \"\"  # the key"), "{text}");
}

#[test]
fn lines_stay_within_the_width() {
    let sample = Sample::from_rows(
        "t.csv",
        &["Priority", "Data Classification", "Category", "Hours"],
        &[
            &["High", "Confidential", "Legal research", "5"],
            &["Low", "Public", "Invoice entry", "50"],
            &["High", "Public", "Invoice entry", "20"],
            &["Low", "Confidential", "Legal research", "1"],
        ],
    );
    let text = draft(&sample).unwrap();
    for line in text.lines() {
        assert!(line.chars().count() <= WIDTH, "{line}");
    }
}

/// The given value of a field as the checker will see it, for tests.
fn given_value(text: &str) -> Option<crate::value::Value<'static>> {
    let program = crate::load_str("t", text).ok()?;
    program.tests.first()?.tasks.first()?.first().cloned()
}
