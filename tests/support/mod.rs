//! What several integration tests share: running the binary, and the n vs
//! 2n ratio that tests growth without timing anything absolutely.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test; `OUTSORT_BIN` runs a test against another build
/// (an older one, to see the test fail there).
pub fn binary() -> String {
    std::env::var("OUTSORT_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_outsort").to_string())
}

pub struct Run {
    pub stdout: String,
    pub stderr: String,
    /// The exit code, -1 when a signal ended the process.
    pub code: i32,
}

/// Runs outsort in `dir` without colour, feeding `stdin` when given.
pub fn outsort_with(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(binary())
        .args(args)
        .current_dir(dir)
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
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(bytes).expect("write stdin");
    }
    let out = child.wait_with_output().expect("the binary ends");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

pub fn outsort(dir: &Path, args: &[&str]) -> Run {
    outsort_with(dir, args, None)
}

/// How long `f` takes.
pub fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// The best of several runs of `case` at `n` and at `grow × n`, taken in
/// turns, so that a burst of load on the machine slows both alike: 5 runs
/// each, or more for a case so quick that a single pause of the machine
/// would swamp it (as many as fit in about 100 ms, up to 200).
pub fn best_of_runs(
    n: usize,
    grow: usize,
    case: &dyn Fn(usize) -> Duration,
) -> (Duration, Duration) {
    let (mut small, mut big) = (case(n), case(grow * n));
    let quick = small.max(Duration::from_micros(100));
    let runs = (Duration::from_millis(100).as_secs_f64() / quick.as_secs_f64()).clamp(5.0, 200.0);
    for _ in 1..runs as usize {
        small = small.min(case(n));
        big = big.min(case(grow * n));
    }
    (small, big)
}

/// Asserts that `case` at size `grow × n` takes less than `1.5 × grow` times
/// as long as at size `n` (best of 3 each): work near-linear in n.
pub fn assert_grows_at_most(what: &str, n: usize, grow: usize, case: &dyn Fn(usize) -> Duration) {
    let (small, big) = best_of_runs(n, grow, case);
    let ratio = big.as_secs_f64() / small.as_secs_f64().max(1e-6);
    eprintln!("{what}: n={n} {small:?}, {grow}n {big:?}, ratio {ratio:.2}");
    let limit = 1.5 * grow as f64;
    assert!(
        ratio < limit,
        "{what}: n={n} took {small:?}, {grow}n took {big:?} (ratio {ratio:.2}, limit {limit})"
    );
}

/// Asserts that doubling n less than triples the time.
pub fn assert_near_linear(what: &str, n: usize, case: &dyn Fn(usize) -> Duration) {
    assert_grows_at_most(what, n, 2, case);
}

/// Asserts that `case` at `grow × n` takes less than 3 times as long as at
/// `n`: work that must not depend on n (a file refused before it is read).
pub fn assert_independent_of_n(
    what: &str,
    n: usize,
    grow: usize,
    case: &dyn Fn(usize) -> Duration,
) {
    let (small, big) = best_of_runs(n, grow, case);
    let ratio = big.as_secs_f64() / small.as_secs_f64().max(1e-6);
    eprintln!("{what}: n={n} {small:?}, {grow}n {big:?}, ratio {ratio:.2}");
    assert!(
        ratio < 3.0,
        "{what}: n={n} took {small:?}, {grow}n took {big:?} (ratio {ratio:.2})"
    );
}

/// Held by every test of a binary that times work, so that no other test
/// of it runs at the same time and skews the ratios.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
