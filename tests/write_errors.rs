//! Standard output that cannot be written (SPEC §10): a full disk ends every
//! command with exit 2 and one line naming the reason, a closed pipe ends it
//! with exit 2 and nothing printed, and nothing panics.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TODAY: &str = "--today=2026-11-28";

/// What standard output is for a run.
enum Stdout {
    /// `/dev/full`: every write fails with "no space left on device".
    Full,
    /// A pipe whose reading end was closed before the command started, so
    /// that its first write fails (`EPIPE`), whatever the size of the output.
    Closed,
}

struct Run {
    stderr: String,
    code: i32,
}

/// Runs the binary in the crate root with `stdin` (a file) on standard input.
fn run(args: &[String], stdin: Option<&Path>, stdout: Stdout) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outsort"));
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stderr(Stdio::piped());
    match stdin {
        Some(path) => cmd.stdin(std::fs::File::open(path).expect("stdin file")),
        None => cmd.stdin(Stdio::null()),
    };
    match stdout {
        Stdout::Full => {
            let full = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full");
            cmd.stdout(Stdio::from(full));
        }
        Stdout::Closed => {
            let (reader, writer) = std::io::pipe().expect("pipe");
            drop(reader);
            cmd.stdout(writer);
        }
    }
    let out = cmd.output().expect("the binary runs");
    Run {
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The files the commands read, made in a temporary directory.
struct Files {
    _dir: tempfile::TempDir,
    /// `examples/tasks.csv`'s 60 rows, twenty times over (with new keys):
    /// more output than a pipe holds.
    tasks: PathBuf,
    /// The built-in rules with their indentation doubled: not formatted.
    unformatted: PathBuf,
    /// The built-in rules with one rule's points changed, for `diff`.
    changed: PathBuf,
}

fn files() -> Files {
    let dir = tempfile::tempdir().expect("temp dir");
    let sample = std::fs::read_to_string("examples/tasks.csv").expect("sample");
    let mut lines = sample.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.collect();
    let mut tasks = format!("{header}\n");
    for copy in 0..20 {
        for row in &rows {
            let (key, rest) = row.split_once(',').expect("a key");
            // T001 keeps its key in the first copy, for `explain --task T001`.
            if copy == 0 {
                tasks.push_str(&format!("{key},{rest}\n"));
            } else {
                tasks.push_str(&format!("{key}-{copy},{rest}\n"));
            }
        }
    }
    let tasks_path = dir.path().join("tasks.csv");
    std::fs::write(&tasks_path, tasks).expect("tasks");
    let rules = std::fs::read_to_string("rules/default.rules").expect("rules");
    let unformatted: String = rules
        .lines()
        .map(|l| {
            let indent = l.len() - l.trim_start().len();
            format!("{}{l}\n", &l[..indent])
        })
        .collect();
    let unformatted_path = dir.path().join("unformatted.rules");
    std::fs::write(&unformatted_path, &unformatted).expect("unformatted");
    assert_ne!(unformatted, rules, "the copy must need formatting");
    let changed_path = dir.path().join("changed.rules");
    std::fs::write(&changed_path, rules.replacen("+= ", "+= 10 + ", 3)).expect("changed");
    Files {
        tasks: tasks_path,
        unformatted: unformatted_path,
        changed: changed_path,
        _dir: dir,
    }
}

/// Every command that prints to standard output, with the file it reads on
/// standard input, if any.
fn commands(f: &Files) -> Vec<(Vec<String>, Option<PathBuf>)> {
    let tasks = f.tasks.display().to_string();
    let unformatted = f.unformatted.display().to_string();
    let changed = f.changed.display().to_string();
    let mut list: Vec<Vec<String>> = Vec::new();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for format in ["table", "csv", "tsv", "json", "ndjson", "markdown"] {
        list.push(args(&["classify", &tasks, "-f", format, TODAY]));
        list.push(args(&[
            "classify",
            &tasks,
            "-f",
            format,
            "--summary",
            "--threads",
            "2",
            TODAY,
        ]));
    }
    for format in ["text", "json", "junit", "github", "sarif"] {
        list.push(args(&["check", &tasks, "-f", format, TODAY]));
    }
    list.push(args(&["test", TODAY]));
    list.push(args(&["test", "-r", "rules/default.rules", TODAY]));
    list.push(args(&["explain", &tasks, "--task", "T001", TODAY]));
    list.push(args(&[
        "explain", &tasks, "--task", "T001", "-f", "json", TODAY,
    ]));
    list.push(args(&["lint"]));
    list.push(args(&["lint", "--list"]));
    list.push(args(&["lint", &tasks, TODAY]));
    list.push(args(&["fmt", "--check", &unformatted]));
    for format in ["text", "json", "markdown"] {
        list.push(args(&[
            "diff",
            "--before",
            "rules/default.rules",
            "--after",
            &changed,
            &tasks,
            "-f",
            format,
            TODAY,
        ]));
    }
    list.push(args(&["init", &tasks]));
    list.push(args(&["completions", "bash"]));
    list.push(args(&["--help"]));
    list.push(args(&["classify", "--help"]));
    list.push(args(&["--version"]));
    let mut with_stdin: Vec<(Vec<String>, Option<PathBuf>)> =
        list.into_iter().map(|a| (a, None)).collect();
    // `fmt -` formats standard input to standard output.
    with_stdin.push((args(&["fmt", "-"]), Some(f.unformatted.clone())));
    with_stdin.push((args(&["fmt", "-"]), Some("rules/default.rules".into())));
    with_stdin.push((
        args(&["classify", "-f", "csv", TODAY]),
        Some(f.tasks.clone()),
    ));
    with_stdin
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_standard_output_is_exit_2_with_the_reason() {
    let f = files();
    for (args, stdin) in commands(&f) {
        let run = run(&args, stdin.as_deref(), Stdout::Full);
        let shown = args.join(" ");
        assert!(!run.stderr.contains("panicked"), "{shown}: {}", run.stderr);
        assert_eq!(run.code, 2, "{shown}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("error: cannot write to standard output: no space left on device\n"),
            "{shown}: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.matches("cannot write").count(),
            1,
            "{shown}: said once: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("os error"), "{shown}: {}", run.stderr);
    }
}

/// A closed pipe (`outsort … | head -1` once `head` is done) ends the
/// command with exit 2 and says nothing: the reader chose to stop reading.
#[test]
fn a_closed_pipe_on_standard_output_is_exit_2_and_quiet() {
    let f = files();
    for (args, stdin) in commands(&f) {
        let run = run(&args, stdin.as_deref(), Stdout::Closed);
        let shown = args.join(" ");
        assert_eq!(run.code, 2, "{shown}: {}", run.stderr);
        assert_eq!(run.stderr, "", "{shown}");
    }
}

/// `report` writes its file, not standard output: `-o /dev/full` is the
/// write that fails, and the message names it.
#[cfg(target_os = "linux")]
#[test]
fn report_to_a_full_disk_is_exit_2_naming_the_file() {
    let args: Vec<String> = ["report", "examples/tasks.csv", "-o", "/dev/full", TODAY]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let run = run(&args, None, Stdout::Full);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: cannot write `/dev/full`: no space left on device\n"),
        "{}",
        run.stderr
    );
}

/// After the output fails, the pass stops: a bad row far past the point of
/// failure is never read, so it is not reported.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_stops_the_pass() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("many.csv");
    let mut csv = String::from("id,name,hours,skill\n");
    for i in 0..50_000 {
        csv.push_str(&format!("A{i},Task {i},{},degree\n", i % 50));
    }
    csv.push_str("LAST,the bad row,not a number,degree\n");
    std::fs::write(&path, csv).expect("input");
    for threads in ["1", "4"] {
        let args: Vec<String> = [
            "classify",
            "-r",
            "tests/fixtures/classify/small.rules",
            path.to_str().expect("utf-8 path"),
            "-f",
            "csv",
            "--threads",
            threads,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for stdout in [Stdout::Full, Stdout::Closed] {
            let run = run(&args, None, stdout);
            assert_eq!(run.code, 2, "{threads}: {}", run.stderr);
            assert!(!run.stderr.contains("LAST"), "{threads}: {}", run.stderr);
            assert!(!run.stderr.contains("row"), "{threads}: {}", run.stderr);
        }
    }
}
