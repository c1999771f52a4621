//! Output files (SPEC §10): `-o` never names a file the command reads, by
//! any name; the results go to a temporary file renamed over the target
//! only when the command succeeded, so a failed or interrupted run leaves
//! the old file; a target that is not a regular file is written into and
//! never replaced.

#![cfg(unix)]

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TODAY: &str = "--today=2026-11-28";

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn outsort_in(dir: &Path, args: &[&str], stdin: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_outsort"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match stdin {
        Some(p) => cmd.stdin(std::fs::File::open(p).expect("stdin file")),
        None => cmd.stdin(Stdio::null()),
    };
    let out = cmd.output().expect("the binary runs");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// The crate root, where `rules/` and `examples/` are.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `rows` tasks in `examples/tasks.csv`'s columns, with their own keys.
fn tasks_csv(rows: usize) -> String {
    let sample = std::fs::read_to_string(root().join("examples/tasks.csv")).expect("sample");
    let mut lines = sample.lines();
    let header = lines.next().expect("header");
    let body: Vec<&str> = lines.collect();
    let mut out = format!("{header}\n");
    for i in 0..rows {
        let row = body[i % body.len()];
        let (_, rest) = row.split_once(',').expect("a key");
        out.push_str(&format!("K{i},{rest}\n"));
    }
    out
}

/// Files in `dir` whose name starts with the temporary files' prefix.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".outsort-"))
        .collect()
}

/// `-o` naming the input, by its name, `./` its name, a symbolic link, a
/// hard link or a longer path, is refused before anything is written, and
/// the input keeps every byte (it used to be truncated while being read).
#[test]
fn output_naming_an_input_is_refused_by_any_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let data = tasks_csv(20_000);
    std::fs::write(d.join("tasks.csv"), &data).expect("input");
    std::os::unix::fs::symlink("tasks.csv", d.join("link.csv")).expect("symlink");
    std::fs::hard_link(d.join("tasks.csv"), d.join("hard.csv")).expect("hard link");
    std::fs::create_dir(d.join("sub")).expect("sub");
    let long = d.join("sub/../tasks.csv");
    let long = long.to_str().expect("utf-8");
    for name in ["tasks.csv", "./tasks.csv", "link.csv", "hard.csv", long] {
        for args in [
            vec!["classify", "tasks.csv", "-o", name, "-f", "csv", TODAY],
            vec!["classify", "link.csv", "-o", name, "-f", "csv", TODAY],
            vec!["report", "tasks.csv", "-o", name, TODAY],
        ] {
            let run = outsort_in(d, &args, None);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert_eq!(
                run.stderr,
                format!("error: `-o {name}` names an input; write the results to another file\n"),
                "{args:?}"
            );
            assert_eq!(run.stdout, "");
            let after = std::fs::read_to_string(d.join("tasks.csv")).expect("input");
            assert!(after == data, "{args:?}: the input changed");
            assert!(
                std::fs::symlink_metadata(d.join("link.csv"))
                    .expect("link")
                    .file_type()
                    .is_symlink()
            );
        }
    }
    assert_eq!(leftovers(d), Vec::<String>::new());
}

/// Standard input redirected from the target file is an input too.
#[test]
fn output_naming_the_file_on_standard_input_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let data = tasks_csv(100);
    let path = d.join("tasks.csv");
    std::fs::write(&path, &data).expect("input");
    for args in [
        vec!["classify", "-o", "tasks.csv", "-f", "csv", TODAY],
        vec!["classify", "-", "-o", "tasks.csv", "-f", "csv", TODAY],
        vec!["report", "-o", "tasks.csv", TODAY],
    ] {
        let run = outsort_in(d, &args, Some(&path));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(
                "error: `-o tasks.csv` names the file on standard input; write the results to another file"
            ),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(std::fs::read_to_string(&path).expect("input"), data);
    }
    // Standard input not read (an input is named): no conflict with it.
    std::fs::write(d.join("other.csv"), &data).expect("other");
    let run = outsort_in(
        d,
        &[
            "classify",
            "other.csv",
            "-o",
            "tasks.csv",
            "-f",
            "csv",
            TODAY,
        ],
        Some(&path),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// A rule file given with `-r`, alone or in a directory, is not an output.
#[test]
fn output_naming_a_rule_file_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("tasks.csv"), tasks_csv(10)).expect("input");
    std::fs::create_dir(d.join("rules")).expect("rules dir");
    let rules = std::fs::read_to_string(root().join("rules/default.rules")).expect("rules");
    std::fs::write(d.join("rules/my.rules"), &rules).expect("rules");
    for (r, o) in [
        ("rules/my.rules", "rules/my.rules"),
        ("rules", "rules/my.rules"),
        ("rules", "./rules/../rules/my.rules"),
    ] {
        for args in [
            vec![
                "classify",
                "-r",
                r,
                "tasks.csv",
                "-o",
                o,
                "-f",
                "csv",
                TODAY,
            ],
            vec!["report", "-r", r, "tasks.csv", "-o", o, TODAY],
        ] {
            let run = outsort_in(d, &args, None);
            assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
            assert_eq!(
                run.stderr,
                format!("error: `-o {o}` names a rule file; write the results to another file\n"),
                "{args:?}"
            );
            assert_eq!(
                std::fs::read_to_string(d.join("rules/my.rules")).expect("rules"),
                rules
            );
        }
    }
}

/// A run that fails (here a bad row, without `--skip-invalid`) leaves the
/// old file as it was, or no file, and no temporary file; with
/// `--skip-invalid` it succeeds and replaces the file, keeping its mode.
#[test]
fn a_failed_run_leaves_the_old_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let mut data = tasks_csv(5_000);
    data.push_str("BAD,a row with too few cells\n");
    std::fs::write(d.join("tasks.csv"), &data).expect("input");
    for (out, args) in [
        (
            "out.csv",
            vec!["classify", "tasks.csv", "-o", "out.csv", TODAY],
        ),
        (
            "out.json",
            vec![
                "classify",
                "tasks.csv",
                "-o",
                "out.json",
                "--threads",
                "3",
                TODAY,
            ],
        ),
        (
            "report.html",
            vec!["report", "tasks.csv", "-o", "report.html", TODAY],
        ),
    ] {
        // No old file: none is left behind.
        let run = outsort_in(d, &args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "1 row could not be processed; `{out}` was not written."
            )),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!d.join(out).exists(), "{args:?}");
        // An old file stays as it was, mode and all.
        std::fs::write(d.join(out), "the old results\n").expect("old");
        std::fs::set_permissions(d.join(out), std::fs::Permissions::from_mode(0o640))
            .expect("mode");
        let run = outsort_in(d, &args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(
            std::fs::read_to_string(d.join(out)).expect("old"),
            "the old results\n",
            "{args:?}"
        );
        assert_eq!(leftovers(d), Vec::<String>::new(), "{args:?}");
        // Accepting the bad row, the run succeeds and the file is replaced.
        let mut skipping = args.clone();
        skipping.push("--skip-invalid");
        let run = outsort_in(d, &skipping, None);
        assert_eq!(run.code, 0, "{skipping:?}: {}", run.stderr);
        let new = std::fs::read_to_string(d.join(out)).expect("new");
        assert!(new.contains("K4999"), "{skipping:?}");
        let mode = std::fs::metadata(d.join(out))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640, "{skipping:?}: the mode is kept");
        assert_eq!(leftovers(d), Vec::<String>::new(), "{args:?}");
        std::fs::remove_file(d.join(out)).expect("remove");
    }
}

/// A run killed while it writes leaves the old file whole: the results so
/// far are in a temporary file beside it, not in the target.
#[test]
fn an_interrupted_run_leaves_the_old_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let fifo = d.join("input.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    std::fs::write(d.join("out.csv"), "the old results\n").expect("old");
    let mut child = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args([
            "classify",
            "input.csv",
            "-o",
            "out.csv",
            "--threads",
            "1",
            TODAY,
        ])
        .current_dir(d)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    // Far more rows than one buffer of output, and then the input stays
    // open: the run waits for more in the middle of its output.
    let mut input = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("fifo");
    input.write_all(tasks_csv(20_000).as_bytes()).expect("rows");
    let written = |d: &Path| {
        leftovers(d)
            .iter()
            .any(|n| std::fs::metadata(d.join(n)).is_ok_and(|m| m.len() > 0))
    };
    let start = std::time::Instant::now();
    while !written(d) && start.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(written(d), "the results so far are in a temporary file");
    child.kill().expect("kill");
    child.wait().expect("wait");
    drop(input);
    assert_eq!(
        std::fs::read_to_string(d.join("out.csv")).expect("old"),
        "the old results\n"
    );
}

/// `-o /dev/full` is written into, fails, says so, and the device node is
/// still there: a temporary file is never renamed over a device.
#[cfg(target_os = "linux")]
#[test]
fn output_to_a_device_is_written_into_and_never_replaced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("tasks.csv"), tasks_csv(2_000)).expect("input");
    for args in [
        vec![
            "classify",
            "tasks.csv",
            "-o",
            "/dev/full",
            "-f",
            "csv",
            TODAY,
        ],
        vec![
            "classify",
            "tasks.csv",
            "-o",
            "/dev/full",
            "-f",
            "table",
            TODAY,
        ],
        vec!["report", "tasks.csv", "-o", "/dev/full", TODAY],
    ] {
        let run = outsort_in(d, &args, None);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("error: cannot write `/dev/full`: no space left on device\n"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
        let meta = std::fs::symlink_metadata("/dev/full").expect("/dev/full");
        assert!(meta.file_type().is_char_device(), "/dev/full is a device");
    }
    for args in [
        vec![
            "classify",
            "tasks.csv",
            "-o",
            "/dev/null",
            "-f",
            "csv",
            TODAY,
        ],
        vec!["report", "tasks.csv", "-o", "/dev/null", TODAY],
    ] {
        let run = outsort_in(d, &args, None);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let meta = std::fs::symlink_metadata("/dev/null").expect("/dev/null");
        assert!(meta.file_type().is_char_device(), "/dev/null is a device");
    }
}

/// A FIFO given to `-o` gets the results, as standard output would.
#[test]
fn output_to_a_fifo_streams_into_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("tasks.csv"), tasks_csv(3_000)).expect("input");
    let fifo = d.join("results.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read fifo"))
    };
    let run = outsort_in(
        d,
        &[
            "classify",
            "tasks.csv",
            "-o",
            "results.csv",
            "-f",
            "csv",
            TODAY,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let through_fifo = reader.join().expect("reader");
    let direct = outsort_in(d, &["classify", "tasks.csv", "-f", "csv", TODAY], None);
    assert_eq!(through_fifo, direct.stdout);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("fifo")
            .file_type()
            .is_fifo()
    );
}

/// Through a symbolic link, the file linked to gets the results and the
/// link stays a link.
#[test]
fn output_through_a_link_replaces_the_file_linked_to() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("tasks.csv"), tasks_csv(50)).expect("input");
    std::fs::write(d.join("real.csv"), "old\n").expect("old");
    std::os::unix::fs::symlink("real.csv", d.join("link.csv")).expect("symlink");
    let run = outsort_in(
        d,
        &[
            "classify",
            "tasks.csv",
            "-o",
            "link.csv",
            "-f",
            "csv",
            TODAY,
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::symlink_metadata(d.join("link.csv"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(d.join("real.csv"))
            .expect("real")
            .contains("K49")
    );
}

/// `fmt` rewrites a rule file through a temporary file too: the mode is
/// kept, a link stays a link, and nothing is left beside it.
#[test]
fn fmt_rewrites_in_place_keeping_mode_and_links() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rules = std::fs::read_to_string(root().join("rules/default.rules")).expect("rules");
    let messy: String = rules.lines().map(|l| format!("{l}   \n")).collect();
    std::fs::write(d.join("a.rules"), &messy).expect("a");
    std::fs::set_permissions(d.join("a.rules"), std::fs::Permissions::from_mode(0o600))
        .expect("mode");
    std::fs::create_dir(d.join("real")).expect("dir");
    std::fs::write(d.join("real/b.rules"), &messy).expect("b");
    std::os::unix::fs::symlink("real/b.rules", d.join("b.rules")).expect("symlink");
    let run = outsort_in(d, &["fmt", "a.rules", "b.rules"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join("a.rules")).expect("a"),
        rules
    );
    assert_eq!(
        std::fs::read_to_string(d.join("real/b.rules")).expect("b"),
        rules
    );
    let mode = std::fs::metadata(d.join("a.rules"))
        .expect("a")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::symlink_metadata(d.join("b.rules"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(leftovers(d), Vec::<String>::new());
    assert_eq!(leftovers(&d.join("real")), Vec::<String>::new());
}
