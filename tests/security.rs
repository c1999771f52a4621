//! A rule file cannot reach the file system, the environment, the network or
//! a process (SECURITY.md): such calls are unknown functions, strings that
//! look like paths are only text, and running the rules creates or reads no
//! file beyond those on the command line.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

fn rejected_as_unknown_function(call: &str) {
    let text = format!("input {{ id: text  path: text }}\nlet x = {call}\n");
    let err = outsort::load_str("evil.rules", &text)
        .map(|_| ())
        .expect_err(call);
    let rendered = err.render(outsort::diag::Style::Plain);
    assert!(
        err.diagnostics
            .iter()
            .any(|d| d.message.contains("unknown function")),
        "{call}: {rendered}"
    );
    assert!(rendered.contains("evil.rules:2:9"), "{call}: {rendered}");
}

#[test]
fn functions_that_would_reach_the_system_do_not_exist() {
    for call in [
        r#"read_file("/etc/passwd")"#,
        r#"read("/etc/passwd")"#,
        r#"open("/etc/passwd")"#,
        r#"include("other.rules")"#,
        r#"import("other.rules")"#,
        r#"env("HOME")"#,
        r#"getenv("PATH")"#,
        r#"exec("touch /tmp/pwned")"#,
        r#"system("touch pwned")"#,
        r#"shell("touch pwned")"#,
        r#"http_get("http://example.com")"#,
        r#"fetch("http://example.com")"#,
        "now()",
        "today()",
        "random()",
        "write_file(path, id)",
    ] {
        rejected_as_unknown_function(call);
    }
}

#[test]
fn declarations_that_would_reach_the_system_are_syntax_errors() {
    for text in [
        "include \"/etc/passwd\"\n",
        "import \"other.rules\"\n",
        "use \"other.rules\"\n",
        "input from \"/etc/passwd\" { id: text }\n",
    ] {
        let err = outsort::load_str("evil.rules", text)
            .map(|_| ())
            .expect_err(text);
        assert!(
            err.diagnostics.iter().any(|d| d.code == "syntax"),
            "{text}: {}",
            err.render(outsort::diag::Style::Plain)
        );
    }
}

/// Every path under a directory, relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            out.insert(
                path.strip_prefix(dir)
                    .expect("under the dir")
                    .display()
                    .to_string(),
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

const PATHLIKE_RULES: &str = r#"
input {
    id:     text
    secret: text? from "/etc/passwd"
    home:   text? from "$HOME"
    hours:  number
}
key id
let leak = contains(secret ?? "", "root") or starts_with(home ?? "", "/")
let looks_like_a_file = id == "../../etc/shadow" or matches(id, "^/proc/self/.*$")
score s = 0 in 0..100
rule "paths are text" when looks_like_a_file or leak { s += 50 }
label {
    bpo      when s >= 50 because "created pwned.txt at /tmp/pwned and ./pwned"
    in_house otherwise
}
output target = "pwned.txt"
output cmd = "$(touch pwned) `touch pwned2`; rm -rf ."
policy "no writes" warn when id == "pwned.txt" message "{id} written to {target}"
test "a path is a string" {
    given { id: "../../etc/shadow", hours: 1 }
    expect label == bpo
    expect target == "pwned.txt"
}
"#;

#[test]
fn running_path_like_rules_touches_no_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("evil.rules"), PATHLIKE_RULES).expect("rules");
    std::fs::write(
        root.join("tasks.csv"),
        "id,hours\n../../etc/shadow,1\n/proc/self/environ,2\npwned.txt,3\n",
    )
    .expect("input");
    let before = tree(root);
    for args in [
        vec!["test", "-r", "evil.rules"],
        vec!["classify", "-r", "evil.rules", "tasks.csv", "-f", "json"],
        vec!["check", "-r", "evil.rules", "tasks.csv"],
        vec!["lint", "-r", "evil.rules", "tasks.csv"],
        vec![
            "explain",
            "-r",
            "evil.rules",
            "tasks.csv",
            "--task",
            "pwned.txt",
        ],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
            .args(&args)
            .arg("--today=2026-01-01")
            .current_dir(root)
            .env("NO_COLOR", "1")
            .env("HOME", root.join("home"))
            .stdin(Stdio::null())
            .output()
            .expect("the binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0..=2)),
            "{args:?}: {stdout}{stderr}"
        );
        // `from "/etc/passwd"` named a column the input lacks, not a file.
        assert!(!stdout.contains("root:"), "{args:?}: {stdout}");
        assert_eq!(tree(root), before, "{args:?} changed the directory");
    }
    let run = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args(["classify", "-r", "evil.rules", "tasks.csv", "-f", "json"])
        .arg("--today=2026-01-01")
        .current_dir(root)
        .output()
        .expect("the binary runs");
    let rows: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON output");
    assert_eq!(rows[0]["label"], "bpo");
    assert_eq!(rows[0]["outputs"]["target"], "pwned.txt");
    assert_eq!(rows[2]["label"], "in_house");
}
