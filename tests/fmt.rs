//! The formatter: snapshots of a messy corpus, and properties over every rule
//! file of the repository and over generated ones.

use outsort::fmt::format_source;
use outsort::syntax::parse_file;
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::path::{Path, PathBuf};

fn fmt(text: &str) -> String {
    match format_source(text) {
        Ok(out) => out,
        Err(diags) => panic!("the formatter refused the text: {diags:#?}\n{text}"),
    }
}

/// The declarations of a rule file as S-expressions, which carry no spans.
fn tree(text: &str) -> String {
    let (items, diags) = parse_file(0, text);
    assert!(!diags.iter().any(|d| d.is_error()), "{diags:#?}\n{text}");
    items.iter().map(|i| format!("{i}\n")).collect()
}

/// The comments of a rule file, found without the formatter's lexer.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => in_string = !in_string,
            '\n' => in_string = false,
            '#' if !in_string => {
                let end = text[i..].find('\n').map_or(text.len(), |e| i + e);
                out.push(text[i..end].trim_end().to_string());
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rules") {
            out.push(path);
        }
    }
}

/// Every rule file of the repository that parses, with its text.
fn repository_files() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    collect(&root.join("rules"), &mut paths);
    collect(&root.join("tests/cases"), &mut paths);
    paths.sort();
    let files: Vec<(String, String)> = paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let (_, diags) = parse_file(0, &text);
            let name = p.strip_prefix(root).unwrap_or(&p).display().to_string();
            (!diags.iter().any(|d| d.is_error())).then_some((name, text))
        })
        .collect();
    assert!(
        files.len() >= 10,
        "too few rule files found: {}",
        files.len()
    );
    files
}

#[test]
fn fmt_messy_corpus() {
    insta::glob!("cases/fmt/*.rules", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        insta::assert_snapshot!(fmt(&text));
    });
}

#[test]
fn fmt_repository_files_keep_their_meaning_and_comments() {
    for (name, text) in repository_files() {
        let once = fmt(&text);
        assert_eq!(tree(&once), tree(&text), "{name}: the syntax tree changed");
        assert_eq!(
            comments(&once),
            comments(&text),
            "{name}: the comments changed"
        );
        assert_eq!(
            fmt(&once),
            once,
            "{name}: formatting twice changed the result"
        );
        assert!(
            once.ends_with('\n') && !once.ends_with("\n\n"),
            "{name}: not one final newline"
        );
        assert!(
            once.lines().all(|l| l == l.trim_end()),
            "{name}: trailing whitespace"
        );
    }
}

#[test]
fn fmt_shipped_rule_files_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("rules/default.rules")];
    collect(&root.join("rules/examples"), &mut paths);
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let formatted = fmt(&text);
        let first_difference = formatted
            .lines()
            .zip(text.lines())
            .position(|(a, b)| a != b);
        assert!(
            formatted == text,
            "{} is not formatted (run the formatter over it); first difference at line {}",
            p.display(),
            first_difference.map_or(formatted.lines().count().min(text.lines().count()), |i| i) + 1
        );
    }
}

#[test]
fn fmt_documented_examples_are_formatted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/fmt.md")).unwrap();
    let blocks: Vec<&str> = doc.split("```").skip(1).step_by(2).collect();
    assert!(blocks.len() >= 5);
    for block in blocks {
        let example = block.strip_prefix('\n').unwrap_or(block);
        assert_eq!(
            fmt(example),
            example,
            "docs/fmt.md shows an example the formatter would change"
        );
    }
}

#[test]
fn fmt_layout_rules() {
    // (input, formatted)
    let cases: &[(&str, &str)] = &[
        ("rule \"a\" {}", "rule \"a\" {}\n"),
        ("rule \"a\" when x { }", "rule \"a\" when x {}\n"),
        ("input{}", "input {}\n"),
        (
            "let a=1 let b=2\n\nlet c=3",
            "let a = 1\nlet b = 2\n\nlet c = 3\n",
        ),
        ("let a=1 score b=2", "let a = 1\n\nscore b = 2\n"),
        ("let a=(1+2)*3", "let a = (1 + 2) * 3\n"),
        ("let a=1_000+0.50", "let a = 1_000 + 0.50\n"),
        (
            "let a=\"\\u{41}\\u{7f}\\r\"",
            "let a = \"A\\u{7f}\\u{d}\"\n",
        ),
        ("let a = x not  in[1,2,]", "let a = x not in [1, 2]\n"),
        ("let a = sum(h where c)", "let a = sum(h where c)\n"),
        ("let a=1 # one\nlet b=2", "let a = 1  # one\nlet b = 2\n"),
        ("let a=1\n# two\nlet b=2", "let a = 1\n# two\nlet b = 2\n"),
        ("let a = 1 +\n# inside\n2", "# inside\nlet a = 1 + 2\n"),
        (
            "let a = [1, # one\n2]",
            "let a = [\n    1,  # one\n    2,\n]\n",
        ),
        (
            "label{a when x because \"{{y}} {z}\"\nbb otherwise}",
            "label {\n    a  when x because \"{{y}} {z}\"\n    bb otherwise\n}\n",
        ),
        (
            "policy \"p\" warn when x",
            "policy \"p\" warn\n    when x\n",
        ),
        (
            "waiver \"p\" { reason \"r\" tasks [] }",
            "waiver \"p\" {\n    reason \"r\"\n    tasks  []\n}\n",
        ),
        ("test \"t\" { given [] }", "test \"t\" {\n    given []\n}\n"),
        (
            "test \"t\" { given [{a: 1}] }",
            "test \"t\" {\n    given [\n        { a: 1 },\n    ]\n}\n",
        ),
        ("", ""),
        ("# only a comment", "# only a comment\n"),
        (
            "\u{feff}let a=1\r\n# c\r\nlet b=2\r\n",
            "let a = 1\n# c\nlet b = 2\n",
        ),
        ("let a = b in [ # open\n]", "let a = b in [  # open\n]\n"),
        (
            "label { a when x because \"{y}\" # t\n b otherwise }",
            "label {\n    a when x because \"{y}\"  # t\n    b otherwise\n}\n",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(fmt(input), *expected, "formatting {input:?}");
    }
}

#[test]
fn fmt_broken_files_are_refused_with_their_syntax_errors() {
    let diags = format_source("let a = \nrule \"r\" {}").unwrap_err();
    assert!(
        diags.iter().any(|d| d.code == "syntax" && d.is_error()),
        "{diags:#?}"
    );
    let diags = format_source("let s = \"unterminated\n").unwrap_err();
    assert!(
        diags.iter().any(|d| d.code == "unterminated-string"),
        "{diags:#?}"
    );
}

#[test]
fn fmt_repeated_clauses_are_refused_rather_than_dropped() {
    let diags =
        format_source("waiver \"p\" {\n    reason \"a\"\n    reason \"b\"\n}\n").unwrap_err();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "duplicate");
    assert_eq!(diags[0].message, "this waiver clause is written twice");
}

/// The places between tokens where the text has whitespace, outside strings
/// and comments: (offset, whether the run holds a newline, whether a comment
/// follows it).
fn whitespace_runs(text: &str) -> Vec<(usize, bool, bool)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\n' => {
                let start = i;
                while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
                let newline = text[start..i].contains('\n');
                runs.push((start, newline, bytes.get(i) == Some(&b'#')));
            }
            _ => i += 1,
        }
    }
    runs
}

/// Adds blanks to existing whitespace: spaces and tabs anywhere, and one
/// newline where there was none and no comment follows (so no blank line
/// appears and no trailing comment moves to a line of its own).
fn perturb(text: &str, edits: &[(usize, u8, usize)]) -> String {
    let runs = whitespace_runs(text);
    if runs.is_empty() {
        return text.to_string();
    }
    let mut inserts: Vec<(usize, String)> = Vec::new();
    let mut got_newline = vec![false; runs.len()];
    for &(k, kind, n) in edits {
        let r = k % runs.len();
        let (at, newline, before_comment) = runs[r];
        let s = match kind {
            0 => " ".repeat(n),
            1 => "\t".repeat(n),
            _ if !newline && !before_comment && !got_newline[r] => {
                got_newline[r] = true;
                format!("\n{}", " ".repeat(n * 3))
            }
            _ => " ".repeat(n),
        };
        inserts.push((at, s));
    }
    inserts.sort_by_key(|x| std::cmp::Reverse(x.0));
    let mut out = text.to_string();
    for (at, s) in inserts {
        out.insert_str(at, &s);
    }
    out
}

proptest! {
    #![proptest_config(Config { cases: 128, failure_persistence: None, ..Config::default() })]

    #[test]
    fn fmt_whitespace_between_tokens_does_not_change_the_result(
        file in prop::sample::select(repository_files()),
        edits in prop::collection::vec((any::<usize>(), 0u8..4, 1usize..4), 1..60),
    ) {
        let (name, text) = file;
        let perturbed = perturb(&text, &edits);
        prop_assert_eq!(tree(&perturbed), tree(&text), "{}: the perturbation changed the meaning", name);
        prop_assert_eq!(fmt(&perturbed), fmt(&text), "{}", name);
    }

    #[test]
    fn fmt_generated_rule_files_format_stably(file in rule_file(), blanks in prop::collection::vec(0u8..12, 1..64)) {
        let text = fill_blanks(&file, &blanks);
        let (_, diags) = parse_file(0, &text);
        prop_assume!(!diags.iter().any(|d| d.is_error()));
        let once = match format_source(&text) {
            Ok(out) => out,
            Err(d) => return Err(TestCaseError::fail(format!("{d:#?}\n{text}"))),
        };
        prop_assert_eq!(tree(&once), tree(&text));
        prop_assert_eq!(comments(&once), comments(&text));
        prop_assert_eq!(fmt(&once), once.clone(), "not idempotent for\n{}\nfirst pass:\n{}", text, once);
    }

    #[test]
    fn fmt_any_text_is_formatted_or_refused_without_panic(
        words in prop::collection::vec(prop::sample::select(SOUP.to_vec()), 0..80),
    ) {
        let text = words.join(" ");
        if let Ok(out) = format_source(&text) {
            prop_assert_eq!(fmt(&out), out.clone());
        } else if let Err(diags) = format_source(&text) {
            prop_assert!(diags.iter().all(|d| d.code != "internal"), "{:#?}", diags);
        }
    }
}

const SOUP: &[&str] = &[
    "input",
    "{",
    "}",
    "id",
    ":",
    "text",
    "number",
    "let",
    "=",
    "1",
    "+",
    "\"s\"",
    "#c\n",
    "\n",
    "match",
    "=>",
    ",",
    "[",
    "]",
    "(",
    ")",
    "rule",
    "\"r\"",
    "when",
    "and",
    "or",
    "label",
    "otherwise",
    "because",
    "\"{x}\"",
    "policy",
    "deny",
    "message",
    "test",
    "given",
    "expect",
    "2027-01-01",
    "-",
    "in",
    "..",
    "score",
    "waiver",
    "tasks",
    "reason",
    "today",
    "not",
    "if",
    "then",
    "else",
    "_",
    "|",
    "?",
    "enum",
    "from",
    "key",
    "output",
    "metric",
    "where",
    "sum",
    "+=",
    "x",
    "y",
    ">=",
    "==",
];

/// Where a generated file may have blanks: one of a space, newlines,
/// comments, chosen by [`fill_blanks`].
const BLANK: char = '\u{2423}';

fn fill_blanks(file: &str, choices: &[u8]) -> String {
    let mut out = String::new();
    let mut k = 0;
    for c in file.chars() {
        if c == BLANK {
            let choice = choices.get(k % choices.len().max(1)).copied().unwrap_or(0);
            k += 1;
            out.push_str(match choice {
                0..=6 => " ",
                7 => "\n",
                8 => "  # after\n",
                9 => "\n\n",
                10 => "\n# own line\n",
                _ => "\n    \n\t ",
            });
        } else {
            out.push(c);
        }
    }
    out
}

/// Joins pieces with blanks between them.
fn b(pieces: &[&str]) -> String {
    pieces.join(&BLANK.to_string())
}

fn name() -> impl Strategy<Value = String> {
    "v_[a-z]{0,6}"
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        name(),
        "[0-9]{1,3}(_[0-9]{3})?(\\.[0-9]{1,2})?",
        "\"[a-z {}]{0,12}\"",
        Just("true".to_string()),
        Just("label".to_string()),
        Just("2027-06-30".to_string()),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "??", "==", "<", ">=", "and", "or"]),
                inner.clone()
            )
                .prop_map(|(a, op, c)| b(&[&a, op, &c])),
            inner.clone().prop_map(|a| b(&["(", &a, ")"])),
            inner.clone().prop_map(|a| b(&["not", &a])),
            inner.clone().prop_map(|a| b(&["-", &a])),
            (inner.clone(), prop::collection::vec(inner.clone(), 0..5)).prop_map(|(a, l)| {
                let items: Vec<String> = l.iter().map(|x| b(&[x, ","])).collect();
                b(&[
                    &a,
                    "in",
                    "[",
                    &b(&items.iter().map(String::as_str).collect::<Vec<_>>()),
                    "]",
                ])
            }),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, t, e)| b(&["(", "if", &c, "then", &t, "else", &e, ")"])),
            (
                inner.clone(),
                prop::collection::vec((name(), inner.clone()), 1..5)
            )
                .prop_map(|(s, arms)| {
                    let mut parts = vec!["match".to_string(), s, "{".to_string()];
                    for (p, e) in arms {
                        parts.extend([p, "=>".to_string(), e, ",".to_string()]);
                    }
                    parts.extend([
                        "_".to_string(),
                        "=>".to_string(),
                        "0".to_string(),
                        "}".to_string(),
                    ]);
                    b(&parts.iter().map(String::as_str).collect::<Vec<_>>())
                }),
            (
                name(),
                prop::collection::vec(inner.clone(), 0..4),
                prop::option::of(inner)
            )
                .prop_map(|(f, args, w)| {
                    let mut parts = vec![f, "(".to_string()];
                    for (i, a) in args.iter().enumerate() {
                        if i > 0 {
                            parts.push(",".to_string());
                        }
                        parts.push(a.clone());
                    }
                    if let Some(w) = w {
                        parts.extend(["where".to_string(), w]);
                    }
                    parts.push(")".to_string());
                    b(&parts.iter().map(String::as_str).collect::<Vec<_>>())
                }),
        ]
    })
}

fn field() -> impl Strategy<Value = String> {
    let ty = prop::sample::select(vec![
        "text",
        "number",
        "bool",
        "date",
        "enum ( v_a , v_b )",
        "text ?",
    ]);
    let default = prop::option::of(prop::sample::select(vec![
        "1_000",
        "-2.50",
        "\"x\"",
        "true",
        "2027-01-01",
        "v_a",
    ]));
    let from = prop::option::of("\"[a-z ]{0,30}\"");
    (name(), ty, default, from, any::<bool>()).prop_map(|(n, t, d, f, comma)| {
        let mut parts = vec![n, ":".to_string()];
        parts.extend(t.split(' ').map(String::from));
        if let Some(d) = d {
            parts.extend(["=".to_string(), d.to_string()]);
        }
        if let Some(f) = f {
            parts.extend(["from".to_string(), f]);
        }
        if comma {
            parts.push(",".to_string());
        }
        b(&parts.iter().map(String::as_str).collect::<Vec<_>>())
    })
}

fn item() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(field(), 0..6).prop_map(|fields| {
            b(&[
                "input",
                "{",
                &b(&fields.iter().map(String::as_str).collect::<Vec<_>>()),
                "}",
            ])
        }),
        (name(), "-?[0-9]{1,2}(\\.[0-9]0)?", any::<bool>()).prop_map(|(n, start, range)| {
            if range {
                b(&["score", &n, "=", &start, "in", "-10..+1_00"])
            } else {
                b(&["score", &n, "=", &start])
            }
        }),
        (name(), expr()).prop_map(|(n, e)| b(&["let", &n, "=", &e])),
        (name(), expr(), expr(), expr())
            .prop_map(|(n, c, t, e)| b(&["output", &n, "=", "if", &c, "then", &t, "else", &e])),
        (expr(), prop::collection::vec((name(), expr()), 0..4)).prop_map(|(c, actions)| {
            let mut parts = vec![
                "rule".to_string(),
                "\"r\"".to_string(),
                "when".to_string(),
                c,
                "{".to_string(),
            ];
            for (t, e) in actions {
                parts.extend([t, "+=".to_string(), e]);
            }
            parts.push("}".to_string());
            b(&parts.iter().map(String::as_str).collect::<Vec<_>>())
        }),
        (expr(), "[a-z ]{0,90}").prop_map(|(c, reason)| b(&[
            "label",
            "{",
            "v_a",
            "when",
            &c,
            "because",
            &format!("\"{reason}\""),
            "v_b",
            "otherwise",
            "}"
        ])),
        (expr(), expr()).prop_map(|(w, u)| b(&[
            "policy",
            "\"p\"",
            "warn",
            "when",
            &w,
            "unless",
            &u,
            "message",
            "\"{v_x} {{ok}}\""
        ])),
        (
            prop::collection::vec(prop::collection::vec((name(), expr()), 0..4), 1..4),
            expr()
        )
            .prop_map(|(records, e)| {
                let recs: Vec<String> = records
                    .iter()
                    .map(|fields| {
                        let fs: Vec<String> = fields.iter().map(|(n, v)| b(&[n, ":", v])).collect();
                        b(&["{", &fs.join(&format!("{BLANK},{BLANK}")), "}"])
                    })
                    .collect();
                let given = if recs.len() == 1 {
                    recs.first().cloned().unwrap_or_default()
                } else {
                    b(&["[", &recs.join(&format!(",{BLANK}")), "]"])
                };
                b(&["test", "\"t\"", "{", "given", &given, "expect", &e, "}"])
            }),
        (prop::collection::vec("\"T[0-9]{1,3}\"", 0..4)).prop_map(|tasks| {
            b(&[
                "waiver",
                "\"p\"",
                "{",
                "tasks",
                "[",
                &tasks.join(&format!(",{BLANK}")),
                "]",
                "reason",
                "\"r\"",
                "}",
            ])
        }),
    ]
}

fn rule_file() -> impl Strategy<Value = String> {
    prop::collection::vec(item(), 1..4)
        .prop_map(|items| b(&items.iter().map(String::as_str).collect::<Vec<_>>()))
}
