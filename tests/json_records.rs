//! The JSON record parser against serde_json: on random and hand-written
//! objects (escapes, surrogates, numbers, nesting, whitespace, repeated keys,
//! broken text) it accepts exactly what serde_json accepts, with the same
//! values; and parse errors found on any of several threads are reported in input
//! order with their lines.

use std::process::Command;

use outsort::input::JsonObject;
use outsort::input::convert::json_text;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// Checks one text: same verdict as serde_json, same values.
fn agree(text: &str) {
    let ours = JsonObject::parse_str(text);
    let theirs = serde_json::from_str::<Map<String, Value>>(text);
    assert_eq!(
        ours.is_some(),
        theirs.is_ok(),
        "verdicts differ on {text:?}: serde_json says {theirs:?}"
    );
    let (Some(ours), Ok(theirs)) = (ours, theirs) else {
        return;
    };
    assert_eq!(ours.len(), theirs.len(), "{text:?}");
    for (key, want) in &theirs {
        let got = ours
            .get(key)
            .unwrap_or_else(|| panic!("no {key:?} in {text:?}"));
        assert_eq!(got.to_json(), *want, "{key:?} in {text:?}");
        assert_eq!(got.text(), json_text(want), "{key:?} in {text:?}");
        assert_eq!(
            got.as_f64().map(f64::to_bits),
            want.as_number().and_then(|n| n.as_f64()).map(f64::to_bits),
            "{key:?} in {text:?}"
        );
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(want).unwrap(),
            "{key:?} in {text:?}"
        );
    }
    assert_eq!(
        serde_json::to_string(&ours.to_map()).unwrap(),
        serde_json::to_string(&theirs).unwrap()
    );
}

#[test]
fn hand_written_cases() {
    let deep = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
    let deep_objects = |n: usize| format!("{}{}", "{\"a\":".repeat(n), "}".repeat(n));
    let mut cases: Vec<String> = [
        "{}",
        " {} ",
        "{\"a\":1}",
        "\u{feff}{\"a\":1}",
        "{\"a\":1,}",
        "{,\"a\":1}",
        "{\"a\":1 \"b\":2}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{\"a\":1}}",
        "{\"a\":1} x",
        "{\"a\":1}\n",
        "{\"a\":1}\r\n",
        "{\"a\":[1,2,]}",
        "{\"a\":[,]}",
        "{\"a\":[]}",
        "{\"a\":{}}",
        "{\"a\":{\"b\":[{\"c\":\"]\"}]}}",
        "{\"a\":[1}",
        "{\"a\":{]}",
        "{\"a\":-0}",
        "{\"a\":-0.0}",
        "{\"a\":1e400}",
        "{\"a\":-1e400}",
        "{\"a\":1e-400}",
        "{\"a\":1E+2}",
        "{\"a\":0.1e-5}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":1e}",
        "{\"a\":1e+}",
        "{\"a\":0x10}",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":18446744073709551615}",
        "{\"a\":18446744073709551616}",
        "{\"a\":-9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":123456789012345678901234567890}",
        "{\"a\":0.1234567890123456789}",
        "{\"a\":9007199254740993}",
        "{\"a\":2.2250738585072011e-308}",
        "{\"a\":1.7976931348623157e308}",
        "{\"a\":1.7976931348623159e308}",
        "{\"a\":100.000,\"b\":0.95,\"c\":0.3,\"d\":123.456}",
        "{\"a\":tru}",
        "{\"a\":truex}",
        "{\"a\":nul}",
        "{\"a\":True}",
        "{\"a\":\"x\\u0041\\u00e9\\ud83d\\ude00\"}",
        "{\"a\":\"\\ud83d\"}",
        "{\"a\":\"\\ud83dx\"}",
        "{\"a\":\"\\ud83d\\u0041\"}",
        "{\"a\":\"\\ude00\"}",
        "{\"a\":\"\\ud83d\\ud83d\\ude00\"}",
        "{\"a\":\"\\u00\"}",
        "{\"a\":\"\\u00G0\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\'\"}",
        "{\"a\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"nl\nhere\"}",
        "{\"a\":\"nul\u{0}here\"}",
        "{\"a\":\"del\u{7f}here\"}",
        "{\"a\":\"é ü 😀\"}",
        "{\"a\":\"unclosed}",
        "{\"a\":\"x\\\"}",
        "{\"a\\u0062\":1,\"ab\":2}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":1,\"b\":2,\"a\":{\"x\":1}}",
        "{\"\":1}",
        "{\"a\":1,\"b\":[1,{\"a\":1,\"a\":2}]}",
        "{\"b\":{\"z\":1,\"a\":2}}",
        "{ \"a\" : 1 , \"b\" :\t[ 1 , 2 ] }",
        "{\"a\":1}\u{0}",
        "{\"a\"\u{a0}:1}",
        "[{\"a\":1}]",
        "\"a\"",
        "{'a':1}",
        "{a:1}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for n in [1, 120, 125, 126, 127, 128, 129, 200] {
        cases.push(deep(n));
        cases.push(deep_objects(n));
    }
    for text in &cases {
        agree(text);
    }
}

/// A small deterministic generator of JSON-like text.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len())]
    }

    fn ws(&mut self, out: &mut String) {
        if self.below(4) == 0 {
            out.push_str(self.pick(&[" ", "\t", "\n", "\r\n", "  "]));
        } else if self.below(200) == 0 {
            out.push_str(self.pick(&["\u{a0}", "\u{c}"]));
        }
    }

    fn string(&mut self, out: &mut String) {
        out.push('"');
        for _ in 0..self.below(6) {
            let part = if self.below(40) == 0 {
                self.pick(&[
                    "\\ud800",
                    "\\udc00",
                    "\\uD800\\u0041",
                    "\\u12",
                    "\\q",
                    "\u{1}",
                    "\n",
                    "\\",
                ])
            } else {
                self.pick(&[
                    "a",
                    "key",
                    "b",
                    "Hours per month",
                    "x",
                    "\\\"",
                    "\\\\",
                    "\\/",
                    "\\b",
                    "\\f",
                    "\\n",
                    "\\r",
                    "\\t",
                    "\\u0041",
                    "\\u00e9",
                    "\\uD83D\\uDE00",
                    "é",
                    "😀",
                    "\u{7f}",
                    "{",
                    "]",
                    ",",
                    ":",
                ])
            };
            out.push_str(part);
        }
        out.push('"');
    }

    fn key(&mut self, out: &mut String) {
        let key = self.pick(&[
            "\"a\"",
            "\"b\"",
            "\"c\"",
            "\"\\u0061\"",
            "\"a b\"",
            "\"\"",
            "\"id\"",
        ]);
        if self.below(5) == 0 {
            self.string(out);
        } else {
            out.push_str(key);
        }
    }

    fn number(&mut self, out: &mut String) {
        if self.below(2) == 0 {
            out.push_str(self.pick(&[
                "0",
                "-0",
                "1",
                "-1",
                "0.5",
                "-0.0",
                "1e2",
                "1E+2",
                "1e-2",
                "0.1e-5",
                "1e400",
                "-1e400",
                "1e-400",
                "01",
                "1.",
                ".5",
                "-",
                "+1",
                "1e",
                "1.5e3",
                "18446744073709551615",
                "18446744073709551616",
                "-9223372036854775809",
                "123456789012345",
                "1234567890123456",
                "0.30000000000000004",
                "320",
                "0.95",
            ]));
            return;
        }
        if self.below(3) == 0 {
            out.push('-');
        }
        let digits = 1 + self.below(20);
        for i in 0..digits {
            let d = self.below(10);
            out.push(char::from(
                b'0' + if i == 0 && digits > 1 { d.max(1) } else { d } as u8,
            ));
        }
        if self.below(2) == 0 {
            out.push('.');
            for _ in 0..1 + self.below(18) {
                out.push(char::from(b'0' + self.below(10) as u8));
            }
        }
        if self.below(4) == 0 {
            out.push_str(self.pick(&["e", "E", "e+", "e-", "E-"]));
            for _ in 0..1 + self.below(4) {
                out.push(char::from(b'0' + self.below(10) as u8));
            }
        }
    }

    fn value(&mut self, depth: usize, out: &mut String) {
        let kinds = if depth > 4 { 5 } else { 8 };
        match self.below(kinds) {
            0 => self.string(out),
            1 => self.number(out),
            2 if self.below(30) == 0 => out.push_str(self.pick(&["tru", "nul", "True"])),
            2 => out.push_str(self.pick(&["true", "false", "null"])),
            3 | 4 => self.number(out),
            5 | 6 => {
                out.push('[');
                for i in 0..self.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    self.ws(out);
                    self.value(depth + 1, out);
                    self.ws(out);
                }
                out.push(']');
            }
            _ => self.object(depth + 1, out),
        }
    }

    fn object(&mut self, depth: usize, out: &mut String) {
        out.push('{');
        self.ws(out);
        for i in 0..self.below(6) {
            if i > 0 {
                out.push(',');
                self.ws(out);
            }
            self.key(out);
            self.ws(out);
            out.push(':');
            self.ws(out);
            self.value(depth, out);
            self.ws(out);
        }
        out.push('}');
    }

    /// A random object, sometimes broken by a few edits.
    fn text(&mut self) -> String {
        let mut out = String::new();
        self.ws(&mut out);
        self.object(0, &mut out);
        self.ws(&mut out);
        if self.below(4) == 0 {
            let mut chars: Vec<char> = out.chars().collect();
            for _ in 0..1 + self.below(3) {
                let at = self.below(chars.len() + 1);
                let c = self
                    .pick(&[
                        "{", "}", "[", "]", "\"", ",", ":", "\\", "u", "0", "1", "e", "-", ".",
                        " ", "\n", "\u{0}", "é", "t", "n",
                    ])
                    .chars()
                    .next()
                    .unwrap_or(' ');
                match self.below(3) {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ if at < chars.len() => chars[at] = c,
                    _ => chars.push(c),
                }
            }
            out = chars.into_iter().collect();
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_objects_agree_with_serde_json(seed in any::<u64>()) {
        let mut g = Gen(seed | 1);
        for _ in 0..5 {
            agree(&g.text());
        }
    }
}

const RULES: &str = r#"
input {
    id:    text
    hours: number
}
key id
score s = 0 in 0..100
rule "big" when hours > 10 { s += 50 }
label {
    bpo      when s >= 50
    in_house otherwise
}
"#;

/// Rows whose JSON is broken, spread over many batches, are reported in
/// order with their lines however many threads parse them; the other rows
/// come out in order too, with CRLF line ends and a line longer than one
/// read from the input among them.
#[test]
fn parse_errors_on_several_threads_keep_their_lines_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("r.rules");
    std::fs::write(&rules, RULES).unwrap();
    let mut input = String::new();
    let mut bad = Vec::new();
    for line in 1..=5000u32 {
        if line % 337 == 0 {
            input.push_str(&format!("{{\"id\":\"T{line}\",\"hours\":{line}.}}\n"));
            bad.push(line);
        } else if line % 1001 == 0 {
            input.push('\n');
        } else if line == 2500 {
            // Longer than a read from the input: a batch ends inside it.
            let note = "n".repeat(100_000);
            input.push_str(&format!(
                "{{\"id\":\"T{line}\",\"hours\":1,\"note\":\"{note}\"}}\n"
            ));
        } else if line % 13 == 0 {
            input.push_str(&format!(
                "{{\"id\":\"T{line}\",\"hours\":{}}}\r\n",
                line % 20
            ));
        } else {
            input.push_str(&format!("{{\"id\":\"T{line}\",\"hours\":{}}}\n", line % 20));
        }
    }
    let path = dir.path().join("in.ndjson");
    std::fs::write(&path, &input).unwrap();
    let run = |threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
            .args([
                "classify",
                "--threads",
                threads,
                "--skip-invalid",
                "-f",
                "csv",
                "-r",
            ])
            .arg(&rules)
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (one_out, one_err) = run("1");
    let name = path.display().to_string();
    let lines: Vec<String> = one_err
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(str::to_string)
        .collect();
    let want: Vec<String> = bad
        .iter()
        .take(20)
        .map(|line| format!("error: {name}:{line}: invalid JSON: invalid number"))
        .collect();
    assert_eq!(lines, want);
    for threads in ["2", "3", "4"] {
        let (out, err) = run(threads);
        assert_eq!(out, one_out, "--threads {threads}");
        assert_eq!(err, one_err, "--threads {threads}");
    }
    assert_eq!(one_out.lines().count(), 1 + 5000 - bad.len() - 4);
}

/// The generator makes valid and invalid objects both, with every kind of
/// value, so that the comparison above means something.
#[test]
fn the_generator_makes_valid_and_invalid_objects() {
    let (mut valid, mut invalid, mut nested, mut escaped) = (0, 0, 0, 0);
    for seed in 1..3000u64 {
        let text = Gen(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1).text();
        agree(&text);
        match serde_json::from_str::<Map<String, Value>>(&text) {
            Ok(map) => {
                valid += 1;
                nested += usize::from(map.values().any(|v| v.is_array() || v.is_object()));
                escaped += usize::from(text.contains('\\'));
            }
            Err(_) => invalid += 1,
        }
    }
    assert!(
        valid > 500 && invalid > 500,
        "{valid} valid, {invalid} invalid"
    );
    assert!(
        nested > 100 && escaped > 100,
        "{nested} nested, {escaped} escaped"
    );
}
