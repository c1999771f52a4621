//! Property tests: no input makes loading a rule set panic, and every
//! diagnostic points inside the text it came from.

use proptest::prelude::*;

const TOKENS: &[&str] = &[
    "input",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "+=",
    "-=",
    "??",
    "..",
    "=>",
    "|",
    "_",
    "and",
    "or",
    "not",
    "in",
    "if",
    "then",
    "else",
    "match",
    "where",
    "true",
    "false",
    "label",
    "otherwise",
    "key",
    "let",
    "score",
    "rule",
    "when",
    "because",
    "output",
    "metric",
    "policy",
    "deny",
    "warn",
    "unless",
    "message",
    "waiver",
    "tasks",
    "reason",
    "owner",
    "expires",
    "test",
    "given",
    "expect",
    "denied",
    "passes",
    "today",
    "text",
    "number",
    "bool",
    "date",
    "enum",
    "from",
    "?",
    "hours",
    "skill",
    "id",
    "x",
    "k",
    "degree",
    "sum",
    "count",
    "round",
    "lower",
    "matches",
    "1",
    "0.5",
    "1_000",
    "2027-06-30",
    "\"s\"",
    "\"{x}\"",
    "\"{{\"",
    "\"\\u{e9}\"",
    "\"unterminated",
    "#c\n",
    "\n",
    " ",
    "\t",
    "é",
];

fn check_spans(text: &str) {
    let result = outsort::load_str("p.rules", text);
    if let Err(e) = result {
        assert!(!e.diagnostics.is_empty());
        for d in &e.diagnostics {
            if let Some(span) = d.span {
                assert!(span.start <= span.end, "{d:?}");
                assert!(
                    span.end as usize <= text.len(),
                    "span {span:?} past the end of {text:?}"
                );
                assert!(
                    text.is_char_boundary(span.start as usize)
                        && text.is_char_boundary(span.end as usize)
                );
            }
            // Rendering never panics either.
            let _ = e.render(outsort::diag::Style::Plain);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)) {
        let text = tokens.join(" ");
        check_spans(&text);
    }

    #[test]
    fn mutated_valid_files_never_panic(
        file in proptest::sample::select(vec![
            "rules/default.rules",
            "rules/examples/jira.rules",
            "tests/cases/parse/ok/spec_example.rules",
            "tests/cases/parse/ok/all_declarations.rules",
        ]),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, proptest::sample::select(TOKENS)), 1..6),
    ) {
        let mut text = std::fs::read_to_string(file).unwrap();
        for (at, kind, token) in edits {
            let mut pos = at.index(text.len().max(1)).min(text.len());
            while !text.is_char_boundary(pos) {
                pos -= 1;
            }
            match kind {
                0 => text.insert_str(pos, token),
                1 => {
                    let mut end = (pos + token.len()).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(pos..end, "");
                }
                2 => text.insert_str(pos, &format!(" {token} ")),
                _ => text.truncate(pos),
            }
        }
        check_spans(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check_spans(&text);
    }
}

#[test]
fn deep_and_long_inputs_are_refused_cleanly() {
    let deep = format!(
        "input {{ id: text }}\nlet x = {}1{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    check_spans(&deep);
    let nots = format!(
        "input {{ id: text  f: bool }}\nlet x = {}f",
        "not ".repeat(100_000)
    );
    check_spans(&nots);
    let chain = format!(
        "input {{ id: text  a: number }}\nlet x = a{}",
        " + a".repeat(50_000)
    );
    check_spans(&chain);
    let ifs = format!(
        "input {{ id: text  f: bool }}\nlet x = {}1{}",
        "if f then ".repeat(5_000),
        " else 2".repeat(5_000)
    );
    check_spans(&ifs);
    let unclosed = format!("input {{ id: text }}\nlet x = \"{}", "a".repeat(1_000_000));
    check_spans(&unclosed);
}
