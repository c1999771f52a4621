//! `outsort init` on exports shaped like Jira, Asana, ServiceNow, a plain
//! spreadsheet and a JSON board: the draft as written, that it loads without
//! a word, that its test passes and that it classifies its own export.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn outsort_stdin(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn outsort(args: &[&str]) -> Run {
    outsort_stdin(args, None)
}

/// Drafts rules for an export, checks that they load with no diagnostic,
/// pass their own test and classify the export; returns the draft.
fn draft_and_use(export: &str, options: &[&str]) -> String {
    let mut args = vec!["init", export];
    args.extend_from_slice(options);
    let run = outsort(&args);
    assert_eq!(run.code, 0, "init {export}: {}", run.stderr);
    assert_eq!(run.stderr, "", "init {export}");
    let (_, warnings) = outsort::load_sources(vec![("draft.rules".into(), run.stdout.clone())])
        .unwrap_or_else(|e| panic!("{export}: the draft does not load:\n{e}\n{}", run.stdout));
    assert!(warnings.is_empty(), "{export}: {warnings:?}");

    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("draft.rules");
    std::fs::write(&rules, &run.stdout).unwrap();
    let rules = rules.to_str().unwrap();
    let test = outsort(&["test", "-r", rules]);
    assert_eq!(test.code, 0, "{export}: {}{}", test.stdout, test.stderr);
    let fmt = outsort(&["fmt", "--check", rules]);
    assert_eq!(
        fmt.code, 0,
        "{export}: the draft is not in the canonical layout:\n{}",
        fmt.stdout
    );
    let lint = outsort(&["lint", "-r", rules]);
    assert_eq!(lint.code, 0, "{export}: {}{}", lint.stdout, lint.stderr);
    let mut args = vec!["classify", "-r", rules, export, "-f", "csv"];
    args.extend_from_slice(options);
    let classify = outsort(&args);
    assert_eq!(classify.code, 0, "{export}: {}", classify.stderr);
    assert_eq!(classify.stderr, "", "{export}");
    run.stdout
}

#[test]
fn drafts_for_common_exports() {
    let cases: [(&str, &str, &[&str]); 5] = [
        ("spreadsheet", "examples/tasks.csv", &[]),
        ("jira", "examples/jira-export.csv", &[]),
        ("servicenow", "examples/servicenow-incidents.csv", &[]),
        ("asana", "tests/fixtures/init/asana.csv", &[]),
        (
            "trello_json",
            "tests/fixtures/input/trello_like.json",
            &["--records", "cards"],
        ),
    ];
    for (name, export, options) in cases {
        let draft = draft_and_use(export, options);
        insta::assert_snapshot!(format!("init_{name}"), draft);
    }
}

#[test]
fn jira_traits_are_handled() {
    let draft = draft_and_use("examples/jira-export.csv", &[]);
    for want in [
        // Repeated headers: text joined, never bound silently to one column.
        "from \"Labels#*\"",
        "from \"Comment#*\"",
        // Custom fields lose the wrapper in their names.
        "data_sensitivity:",
        "from \"Custom field (Data Sensitivity)\"",
        "story_points:",
        // Σ columns do not collide with the plain ones.
        "sum_time_spent:",
        // Times in seconds become hours.
        "let hours = original_estimate / 3600",
        "key issue_key",
    ] {
        assert!(draft.contains(want), "no `{want}` in\n{draft}");
    }
}

#[test]
fn repeated_typed_columns_read_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("points.csv");
    std::fs::write(
        &export,
        "Ref,Points,Points,Note\nA-1,3,5,x\nA-2,8,,y\nA-3,2,1,x\nA-4,1,,y\n",
    )
    .unwrap();
    let draft = draft_and_use(export.to_str().unwrap(), &[]);
    assert!(
        draft.contains("from \"Points#1\"  # the first of 2 \"Points\" columns"),
        "{draft}"
    );
    assert!(draft.contains("points: number "), "{draft}");
    assert!(draft.contains("note:   enum(x, y)"), "{draft}");
}

#[test]
fn standard_input_and_json_lines() {
    let run = outsort_stdin(&["init", "-"], Some(b"id,hours\nA,3\nB,40\n"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("<stdin>"), "{}", run.stdout);
    assert!(
        run.stdout.contains("outsort classify -r my.rules EXPORT"),
        "{}",
        run.stdout
    );
    let ndjson = "{\"id\": 1, \"team\": \"ops\", \"cost\": 10.5}\n{\"id\": 2, \"team\": \"ops\", \"cost\": null}\n";
    let run = outsort_stdin(
        &["init", "-", "--input-format", "ndjson"],
        Some(ndjson.as_bytes()),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("cost: number?"), "{}", run.stdout);
}

#[test]
fn exports_without_values_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let header_only = dir.path().join("empty.csv");
    std::fs::write(&header_only, "id,name\n").unwrap();
    let cases: [(PathBuf, &str); 2] = [
        (
            header_only,
            "the export has no rows; init infers the field types from the values",
        ),
        (dir.path().join("missing.csv"), "missing.csv: cannot read"),
    ];
    for (path, want) in cases {
        let run = outsort(&["init", path.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{}", path.display());
        assert!(run.stderr.contains(want), "{}", run.stderr);
        assert_eq!(run.stdout, "");
    }
}

fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            csv_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            out.push(path);
        }
    }
}

/// Real exports collected from public repositories, when the shared corpus
/// is next to the project: init never panics, and both init and classify
/// either succeed or fail with exit 2 and a message.
#[test]
fn corpus_exports() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/exports");
    let mut files = Vec::new();
    csv_files(&root, &mut files);
    files.sort();
    let dir = tempfile::tempdir().unwrap();
    for file in files {
        let export = file.to_str().unwrap();
        let init = outsort(&["init", export]);
        assert!(
            !init.stderr.contains("panicked"),
            "{export}: {}",
            init.stderr
        );
        match init.code {
            0 => {}
            2 => {
                assert!(init.stderr.contains("error: "), "{export}: {}", init.stderr);
                continue;
            }
            code => panic!("{export}: init exited {code}: {}", init.stderr),
        }
        let rules = dir.path().join("draft.rules");
        std::fs::write(&rules, &init.stdout).unwrap();
        let classify = outsort(&[
            "classify",
            "-r",
            rules.to_str().unwrap(),
            export,
            "-f",
            "csv",
        ]);
        assert!(
            !classify.stderr.contains("panicked"),
            "{export}: {}",
            classify.stderr
        );
        match classify.code {
            0 => {}
            2 => assert!(
                classify.stderr.contains("error: "),
                "{export}: {}",
                classify.stderr
            ),
            code => panic!("{export}: classify exited {code}: {}", classify.stderr),
        }
    }
}
