//! Hostile files in the working tree (SECURITY.md, "Untrusted files"): each
//! case is what an attacker can put in a pull request, and each asserts the
//! exact outcome and that no byte from outside the working directory (a
//! secret in the environment, in a file beside the checkout, in `.git`)
//! reaches standard output or standard error.

use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "s3cr3t-token-4f9a1c";
const RULES: &str = "input { id: text  hours: number }\nscore s = 0 in 0..10\nlabel { bpo when hours > 1\n in_house otherwise }\n";
const CSV: &str = "id,hours\nT1,5\nT2,0\n";

/// The binary under test; `OUTSORT_BIN` runs the catalogue against another
/// build (an older one, to see each case fail there).
fn binary() -> String {
    std::env::var("OUTSORT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_outsort").to_string())
}

/// A working directory and, beside it, a directory holding secrets.
struct Tree {
    _dir: tempfile::TempDir,
    work: PathBuf,
    outside: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(work.join("rules")).unwrap();
        std::fs::create_dir_all(work.join(".git")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(work.join("rules/ok.rules"), RULES).unwrap();
        std::fs::write(work.join("tasks.csv"), CSV).unwrap();
        std::fs::write(
            work.join(".git/config"),
            format!("[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n"),
        )
        .unwrap();
        std::fs::write(outside.join("secret.rules"), format!("{SECRET} {SECRET}\n")).unwrap();
        std::fs::write(
            outside.join("secret.csv"),
            format!("id,hours\n{SECRET},{SECRET}\n"),
        )
        .unwrap();
        Tree {
            _dir: dir,
            work,
            outside,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.work.join(rel)
    }

    fn link(&self, target: impl AsRef<Path>, rel: &str) {
        symlink(target, self.path(rel)).unwrap();
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, None)
    }

    fn run_with(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut child = Command::new(binary())
            .args(args)
            .current_dir(&self.work)
            .env("CI_SECRET", SECRET)
            .env("NO_COLOR", "1")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(bytes) = stdin {
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        let out = wait(child, Duration::from_secs(20), &args.join(" "));
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
            "a secret leaked from `{}`:\n{}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }
}

/// Waits for a child, killing it and failing the test after `limit`: a hang
/// is a failure, not a stuck test run.
fn wait(mut child: std::process::Child, limit: Duration, what: &str) -> std::process::Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("`{what}` still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn refused(&self, message: &str) {
        assert_eq!(self.code, Some(2), "{self:?}");
        assert!(self.stderr.contains(message), "{message}\n{self:?}");
    }
}

const OUTSIDE: &str = "is a symbolic link to a file outside the working directory";

#[test]
fn a_rule_file_linked_to_the_environment_is_never_read() {
    let t = Tree::new();
    t.link("/proc/self/environ", "rules/env.rules");
    t.link("/proc/self/environ", "env.rules");
    let system = "is a system file under `/proc`";
    t.run(&["lint", "-r", "rules"])
        .refused(&format!("`rules/env.rules` {system}"));
    t.run(&["check", "-r", "env.rules", "tasks.csv"])
        .refused(&format!("`env.rules` {system}"));
    // Even when links are followed on purpose.
    t.run(&["--follow-links", "test", "-r", "env.rules"])
        .refused(system);
    // Through a linked directory, and named through /proc directly.
    t.link("/proc/self", "proc");
    t.run(&["lint", "-r", "proc/environ"]).refused(system);
    t.run(&["classify", "proc/environ"]).refused("not read");
    t.run(&["classify", "/proc/self/environ"])
        .refused("not read");
}

#[test]
fn a_rule_file_linked_outside_the_working_directory_is_refused() {
    let t = Tree::new();
    t.link(t.outside.join("secret.rules"), "rules/a.rules");
    t.run(&["lint", "-r", "rules"])
        .refused(&format!("`rules/a.rules` {OUTSIDE}"));
    t.link(t.outside.join("secret.rules"), "b.rules");
    for cmd in ["lint", "test"] {
        t.run(&[cmd, "-r", "b.rules"])
            .refused("`b.rules` is a symbolic link");
    }
    t.run(&["fmt", "--check", "b.rules"]).refused(OUTSIDE);
    t.run(&[
        "diff",
        "--before",
        "b.rules",
        "--after",
        "rules/ok.rules",
        "tasks.csv",
    ])
    .refused(OUTSIDE);
    t.link("/etc/passwd", "passwd.rules");
    t.run(&["lint", "-r", "passwd.rules"]).refused(OUTSIDE);
    // Relative links, and links to links.
    t.link("../outside/secret.rules", "rel.rules");
    t.run(&["lint", "-r", "rel.rules"]).refused(OUTSIDE);
    t.link("rel.rules", "chain.rules");
    t.run(&["lint", "-r", "chain.rules"]).refused(OUTSIDE);
}

#[test]
fn follow_links_reads_outside_on_purpose() {
    let t = Tree::new();
    std::fs::write(t.outside.join("shared.rules"), RULES).unwrap();
    t.link(t.outside.join("shared.rules"), "shared.rules");
    t.run(&["lint", "-r", "shared.rules"]).refused(OUTSIDE);
    let run = t.run(&[
        "--follow-links",
        "classify",
        "-r",
        "shared.rules",
        "tasks.csv",
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("T1,5,0,bpo"), "{run:?}");
}

#[test]
fn links_inside_the_working_directory_are_read() {
    let t = Tree::new();
    t.link("rules/ok.rules", "alias.rules");
    std::fs::create_dir(t.path("data")).unwrap();
    t.link("../tasks.csv", "data/tasks.csv");
    let run = t.run(&["classify", "-r", "alias.rules", "data/tasks.csv"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(run.stdout.contains("T1,5,0,bpo"), "{run:?}");
}

#[test]
fn a_data_file_linked_outside_is_refused() {
    let t = Tree::new();
    t.link(t.outside.join("secret.csv"), "linked.csv");
    t.run(&["classify", "-r", "rules/ok.rules", "linked.csv"])
        .refused(&format!("linked.csv: not read: it {OUTSIDE}"));
    t.run(&["check", "-r", "rules/ok.rules", "linked.csv"])
        .refused(OUTSIDE);
    t.run(&["init", "linked.csv"]).refused(OUTSIDE);
    t.link("/etc/passwd", "passwd.csv");
    t.run(&["classify", "passwd.csv"]).refused(OUTSIDE);
    // A directory in the path that is a link out.
    t.link(&t.outside, "data");
    t.run(&["classify", "-r", "rules/ok.rules", "data/secret.csv"])
        .refused(OUTSIDE);
}

#[test]
fn links_into_git_are_refused_even_inside_the_tree() {
    let t = Tree::new();
    t.link("../.git/config", "rules/config.rules");
    t.run(&["lint", "-r", "rules"])
        .refused("is a symbolic link into a `.git` directory");
    t.link(".git/config", "config.csv");
    t.run(&["--follow-links", "classify", "config.csv"])
        .refused("into a `.git` directory");
}

#[test]
fn a_directory_linked_outside_is_refused() {
    let t = Tree::new();
    t.link(&t.outside, "rules/vendor");
    t.run(&["lint", "-r", "rules"])
        .refused(&format!("`rules/vendor` {OUTSIDE}"));
}

#[test]
fn devices_are_never_read() {
    let t = Tree::new();
    t.link("/dev/zero", "rules/zero.rules");
    let start = Instant::now();
    t.run(&["lint", "-r", "rules"])
        .refused("`rules/zero.rules` is a device, not a file");
    assert!(start.elapsed() < Duration::from_secs(10));
    t.run(&["lint", "-r", "/dev/zero"]).refused("is a device");
    for format in ["csv", "json", "ndjson"] {
        t.run(&["classify", "--input-format", format, "/dev/zero"])
            .refused("/dev/zero: not read: it is a device, not a file");
        t.run(&[
            "--follow-links",
            "classify",
            "--input-format",
            format,
            "/dev/urandom",
        ])
        .refused("is a device");
    }
    let _socket = std::os::unix::net::UnixListener::bind(t.path("s.csv")).unwrap();
    t.run(&["classify", "s.csv"])
        .refused("is a socket, not a file");
}

#[test]
fn a_pipe_in_a_directory_is_refused_without_waiting() {
    let t = Tree::new();
    make_fifo(&t.path("rules/pipe.rules"));
    t.run(&["lint", "-r", "rules"])
        .refused("`rules/pipe.rules` is a named pipe; pipes are read only when named");
}

#[test]
fn a_link_loop_is_read_once() {
    let t = Tree::new();
    t.link("..", "rules/up");
    t.link(".", "rules/here");
    let run = t.run(&["lint", "-r", "rules"]);
    assert_eq!(run.code, Some(0), "{run:?}");
}

#[test]
fn pipes_named_on_the_command_line_are_read_once_in_every_format() {
    let t = Tree::new();
    let json = r#"[{"id":"T1","hours":5},{"id":"T2","hours":0}]"#;
    let ndjson = "{\"id\":\"T1\",\"hours\":5}\n{\"id\":\"T2\",\"hours\":0}\n";
    for (name, text) in [
        ("p.csv", CSV),
        ("p.json", json),
        ("p.ndjson", ndjson),
        ("p", json),
    ] {
        let path = t.path(name);
        make_fifo(&path);
        let writer = {
            let text = text.to_string();
            std::thread::spawn(move || std::fs::write(path, text).unwrap())
        };
        let run = t.run(&["classify", "-r", "rules/ok.rules", name]);
        writer.join().unwrap();
        assert_eq!(run.code, Some(0), "{name}: {run:?}");
        assert!(
            run.stdout.contains("T1,5,0,bpo") && run.stdout.contains("T2,0,0,in_house"),
            "{name}: {run:?}"
        );
    }
    // Standard input named as a path.
    for (format, text) in [("csv", CSV), ("json", json), ("ndjson", ndjson)] {
        let run = t.run_with(
            &[
                "classify",
                "-r",
                "rules/ok.rules",
                "--input-format",
                format,
                "/dev/stdin",
            ],
            Some(text.as_bytes()),
        );
        assert_eq!(run.code, Some(0), "{format}: {run:?}");
        assert!(run.stdout.contains("T2,0,0,in_house"), "{format}: {run:?}");
    }
}

#[test]
fn rule_files_are_bounded_as_they_are_read() {
    let t = Tree::new();
    // A FIFO named on purpose that never ends: the limit stops it.
    let path = t.path("endless.rules");
    make_fifo(&path);
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        let chunk = vec![b'#'; 1 << 20];
        // Stops when the reader closes the pipe.
        while f.write_all(&chunk).is_ok() {}
    });
    t.run(&["lint", "-r", "endless.rules"])
        .refused("is more than the limit of 16777216 bytes");
    writer.join().unwrap();
}

fn make_fifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}
