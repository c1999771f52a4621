//! Snapshot tests of the language by phase: parsed ASTs of valid files, and
//! rendered diagnostics of broken ones. Adding a case is adding a file under
//! `tests/cases/`.

use outsort::diag::Style;
use std::path::Path;

fn read(path: &Path) -> (String, String) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    (name, std::fs::read_to_string(path).unwrap())
}

#[test]
fn parse_ok_prints_the_ast() {
    insta::glob!("cases/parse/ok/*.rules", |path| {
        let (_, text) = read(path);
        let (items, diags) = outsort::syntax::parse_file(0, &text);
        assert!(diags.is_empty(), "{path:?} should parse: {diags:?}");
        let ast: Vec<String> = items.iter().map(ToString::to_string).collect();
        insta::assert_snapshot!(ast.join("\n"));
    });
}

#[test]
fn parse_ok_files_also_check() {
    insta::glob!("cases/parse/ok/*.rules", |path| {
        let (name, text) = read(path);
        if let Err(e) = outsort::load_str(&name, &text) {
            panic!("{name} should check:\n{}", e.render(Style::Plain));
        }
    });
}

#[test]
fn parse_errors_are_rendered() {
    insta::glob!("cases/parse/err/*.rules", |path| {
        let (name, text) = read(path);
        let err = outsort::load_str(&name, &text).expect_err("a broken file must not load");
        assert!(err.diagnostics.iter().any(|d| d.is_error()));
        for d in &err.diagnostics {
            let span = d.span.expect("syntax errors point into the file");
            assert!(span.end as usize <= text.len(), "span inside the source");
        }
        insta::assert_snapshot!(err.render(Style::Plain));
    });
}

#[test]
fn check_errors_are_rendered() {
    insta::glob!("cases/check/err/*.rules", |path| {
        let (name, text) = read(path);
        let (_, syntax) = outsort::syntax::parse_file(0, &text);
        assert!(
            syntax.is_empty(),
            "{name} should parse, and fail only the checker: {syntax:?}"
        );
        let err = outsort::load_str(&name, &text).expect_err("a wrong file must not load");
        assert!(err.diagnostics.iter().any(|d| d.is_error()));
        insta::assert_snapshot!(err.render(Style::Plain));
    });
}

#[test]
fn no_grammar_rule_name_reaches_a_user() {
    let mut all = String::new();
    for dir in ["tests/cases/parse/err", "tests/cases/check/err"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let (name, text) = read(&path);
            if let Err(e) = outsort::load_str(&name, &text) {
                all.push_str(&e.render(Style::Plain));
            }
        }
    }
    for raw in [
        "EOI",
        "op_expr",
        "expr",
        "primary",
        "ident",
        "item_only",
        "kw_",
        "rbrace",
        "istring",
    ] {
        for line in all
            .lines()
            .filter(|l| l.starts_with("error") || l.contains("= help"))
        {
            let words: Vec<&str> = line
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .collect();
            assert!(
                !words.contains(&raw) && !line.contains("kw_"),
                "raw rule name `{raw}` in: {line}"
            );
        }
    }
}

#[test]
fn json_diagnostics_carry_positions() {
    let err = outsort::load_str("x.rules", "input { id: text }\nlet y = idd").unwrap_err();
    let json: serde_json::Value = serde_json::from_str(&err.render(Style::Json)).unwrap();
    assert_eq!(json[0]["file"], "x.rules");
    assert_eq!(json[0]["line"], 2);
    assert_eq!(json[0]["column"], 9);
    assert_eq!(json[0]["code"], "unknown-name");
    assert_eq!(json[0]["help"], "did you mean `id`?");
}

#[test]
fn diagnostics_name_the_right_file_when_merged() {
    let files = vec![
        (
            "a.rules".to_string(),
            "input { id: text  hours: number }\nscore k = 0\n".to_string(),
        ),
        (
            "b.rules".to_string(),
            "rule \"r\" when hourz > 1 { k += 1 }\n".to_string(),
        ),
    ];
    let err = outsort::load_sources(files).unwrap_err();
    let text = err.render(Style::Plain);
    assert!(text.contains("--> b.rules:1:15"), "{text}");
}

#[test]
fn built_in_and_example_rule_sets_load_without_warnings() {
    let (_, warnings) = outsort::load_default().unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    for f in [
        "rules/examples/jira.rules",
        "rules/examples/servicenow.rules",
    ] {
        let (_, warnings) = outsort::load_paths(&[f.into()]).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(warnings.is_empty(), "{f}: {warnings:?}");
    }
}
