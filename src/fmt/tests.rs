//! Unit tests of the formatter; the layout as a whole is tested in
//! `tests/fmt.rs` and its snapshots.

use super::*;

fn fmt(s: &str) -> String {
    match format_source(s) {
        Ok(out) => out,
        Err(d) => panic!("{d:?}"),
    }
}

#[test]
fn lexes_comments_outside_strings() {
    let (toks, comments) = lex("let a = \"# not\" # yes\n");
    assert_eq!(comments.len(), 1);
    assert_eq!(comments.first().map(|c| c.text.as_str()), Some("# yes"));
    assert_eq!(toks.len(), 4);
}

#[test]
fn keeps_numbers_as_written() {
    assert_eq!(
        fmt("let a=1_000+0.50\nscore s = -5 in -10..+10"),
        "let a = 1_000 + 0.50\n\nscore s = -5 in -10..+10\n"
    );
}

#[test]
fn empty_input_is_empty() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  \n"), "");
    assert_eq!(fmt("# only\n\n\n# comments\n"), "# only\n\n# comments\n");
}

#[test]
fn refuses_broken_files() {
    let err = format_source("let a = 1 +\nlet b = 2").unwrap_err();
    assert!(err.iter().any(|d| d.code == "syntax"));
}

#[test]
fn refuses_repeated_clauses() {
    let err = format_source("test \"t\" { given { a: 1 } given { a: 2 } }").unwrap_err();
    assert_eq!(err.first().map(|d| d.code), Some("duplicate"));
}
