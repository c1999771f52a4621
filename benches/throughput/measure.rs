//! Timing runs: in-process closures, and child processes with their peak
//! resident set size.
//!
//! A child's peak RSS comes from `wait4(2)`, which reaps the child and returns
//! its resource usage: `ru_maxrss` is the high-water mark of its resident set
//! (Linux: in KiB), exact up to the last instruction of the process, which
//! polling `/proc/<pid>/status` for `VmHWM` could miss. It is taken by a
//! helper process (see [`best_child`]) so that it is outsort's alone. `wait4` is declared
//! here rather than taken from the `libc` crate, to add no dependency; it is
//! used on 64-bit Linux, and elsewhere the peak is not reported.

use std::ffi::OsString;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Wall-clock seconds.
    pub secs: f64,
    /// Peak resident set size in bytes, when known.
    pub peak_rss: Option<u64>,
    /// User plus system CPU seconds of the child, when known.
    pub cpu_secs: Option<f64>,
}

/// Runs `f` `repeat` times and keeps the fastest run; `f` returns the number
/// of rows it handled, which must be the same every time.
pub fn best_in_process(
    repeat: u32,
    mut f: impl FnMut() -> Result<u64, String>,
) -> Result<(Run, u64), String> {
    let mut best: Option<(Run, u64)> = None;
    for _ in 0..repeat {
        let cpu = thread_cpu_secs();
        let start = Instant::now();
        let rows = f()?;
        let run = Run {
            secs: start.elapsed().as_secs_f64(),
            peak_rss: None,
            cpu_secs: cpu.and_then(|c| Some(thread_cpu_secs()? - c)),
        };
        if best.is_none_or(|(b, _)| run.secs < b.secs) {
            best = Some((run, rows));
        }
    }
    best.ok_or_else(|| "no run".to_string())
}

/// CPU seconds this thread has run, from `/proc/thread-self/schedstat`
/// (nanoseconds on the CPU, user and system); `None` where there is none.
fn thread_cpu_secs() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// The first argument that makes the benchmark binary act as [`helper`].
pub const HELPER_ARG: &str = "__outsort_bench_measure";

/// Runs `program args` `repeat` times, its standard output to `stdout` (or
/// nowhere); keeps the fastest wall time and the highest peak RSS (memory is
/// a bound, so the worst run counts). Fails when the command exits with a
/// code not in `ok_codes`, showing its stderr.
///
/// The command runs under a fresh copy of this binary acting as [`helper`]:
/// a child started by `posix_spawn` (as `std::process::Command` does) shares
/// its parent's memory until `exec`, and Linux counts the parent's peak RSS
/// into the child's `ru_maxrss`. The helper is small when it starts outsort,
/// so outsort's figure is its own.
pub fn best_child(
    repeat: u32,
    ok_codes: &[i32],
    program: &Path,
    args: &[OsString],
    stdout: Option<&Path>,
) -> Result<Run, String> {
    let shown = format!(
        "{} {}",
        program.display(),
        args.iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    // Unique per call: calls may run at the same time on several threads.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scratch = std::env::temp_dir().join(format!("outsort-bench-{}-{call}", std::process::id()));
    let stderr_path = scratch.with_extension("stderr");
    let report_path = scratch.with_extension("report");
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut best: Option<Run> = None;
    for _ in 0..repeat {
        let mut cmd = Command::new(&me);
        cmd.arg(HELPER_ARG)
            .arg(&report_path)
            .arg(program)
            .args(args);
        let stderr = File::create(&stderr_path).map_err(|e| e.to_string())?;
        cmd.stderr(stderr).stdin(Stdio::null());
        match stdout {
            Some(p) => cmd.stdout(File::create(p).map_err(|e| e.to_string())?),
            None => cmd.stdout(Stdio::null()),
        };
        let status = cmd
            .status()
            .map_err(|e| format!("cannot run {shown}: {e}"))?;
        let messages = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let report = std::fs::read_to_string(&report_path).unwrap_or_default();
        let _ = std::fs::remove_file(&stderr_path);
        let _ = std::fs::remove_file(&report_path);
        let fields: Vec<&str> = report.split_whitespace().collect();
        let (code, secs, peak, cpu) = match (status.success(), fields.as_slice()) {
            (true, [code, secs, peak, cpu]) => (
                code.parse::<i32>().unwrap_or(-1),
                secs.parse::<f64>().unwrap_or(f64::NAN),
                peak.parse::<u64>().ok(),
                cpu.parse::<f64>().ok(),
            ),
            _ => return Err(format!("cannot measure {shown}:\n{messages}")),
        };
        if !ok_codes.contains(&code) {
            return Err(format!(
                "{shown} exited with {code}:\n{}",
                messages.lines().take(30).collect::<Vec<_>>().join("\n")
            ));
        }
        let run = Run {
            secs,
            peak_rss: peak,
            cpu_secs: cpu,
        };
        best = Some(match best {
            None => run,
            Some(b) => Run {
                secs: b.secs.min(run.secs),
                peak_rss: b.peak_rss.max(run.peak_rss),
                cpu_secs: if run.secs < b.secs {
                    run.cpu_secs
                } else {
                    b.cpu_secs
                },
            },
        });
    }
    best.ok_or_else(|| "no run".to_string())
}

/// The helper: `HELPER_ARG REPORT PROGRAM ARGS...` runs the program with the
/// helper's standard streams, waits for it and writes `exit-code seconds
/// peak-rss-bytes cpu-seconds` (`-` when unknown) to REPORT. Returns the
/// helper's exit code: 0 when the report was written.
pub fn helper(args: &[OsString]) -> i32 {
    let [report, program, rest @ ..] = args else {
        eprintln!("usage: {HELPER_ARG} REPORT PROGRAM ARGS...");
        return 2;
    };
    let start = Instant::now();
    let child = match Command::new(program).args(rest).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot run {}: {e}", program.to_string_lossy());
            return 2;
        }
    };
    let (code, peak, cpu) = match wait(child) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let secs = start.elapsed().as_secs_f64();
    let text = format!(
        "{code} {secs} {} {}\n",
        peak.map_or("-".to_string(), |p| p.to_string()),
        cpu.map_or("-".to_string(), |c| c.to_string())
    );
    match std::fs::write(report, text) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cannot write the report: {e}");
            2
        }
    }
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod sys {
    use std::ffi::{c_int, c_long};

    #[repr(C)]
    pub struct Timeval {
        pub sec: c_long,
        pub usec: c_long,
    }

    /// `struct rusage` of 64-bit Linux: two timevals, then 14 longs.
    #[repr(C)]
    pub struct Rusage {
        pub utime: Timeval,
        pub stime: Timeval,
        pub maxrss: c_long,
        pub rest: [c_long; 13],
    }

    unsafe extern "C" {
        pub fn wait4(pid: c_int, status: *mut c_int, options: c_int, rusage: *mut Rusage) -> c_int;
    }
}

/// Waits for the child; returns its exit code (128 + signal when killed), its
/// peak RSS in bytes and its CPU seconds.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn wait(child: std::process::Child) -> Result<(i32, Option<u64>, Option<f64>), String> {
    let pid = child.id() as i32;
    let mut status = 0;
    let mut usage = sys::Rusage {
        utime: sys::Timeval { sec: 0, usec: 0 },
        stime: sys::Timeval { sec: 0, usec: 0 },
        maxrss: 0,
        rest: [0; 13],
    };
    loop {
        // SAFETY: `status` and `usage` are valid for writes and laid out as
        // the kernel's `int` and 64-bit `struct rusage`; `pid` is our child,
        // not yet reaped (std's `Child` reaps only in `wait`, never on drop).
        let r = unsafe { sys::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 failed: {err}"));
        }
    }
    drop(child);
    let code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    };
    let cpu = |t: &sys::Timeval| t.sec as f64 + t.usec as f64 / 1e6;
    Ok((
        code,
        Some(usage.maxrss as u64 * 1024),
        Some(cpu(&usage.utime) + cpu(&usage.stime)),
    ))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn wait(mut child: std::process::Child) -> Result<(i32, Option<u64>, Option<f64>), String> {
    let status = child.wait().map_err(|e| e.to_string())?;
    Ok((status.code().unwrap_or(128), None, None))
}
