//! The performance benchmark of outsort (README, "Performance"): throughput of
//! `outsort classify` against a floor (reading the CSV alone) and a ceiling (a
//! hand-written classifier of the same rules), its peak memory, and the time
//! to load a rule set of 2,000 rules.
//!
//! `cargo bench --bench throughput [-- throughput|load]`. Settings from the
//! environment:
//!
//! - `OUTSORT_BENCH_ROWS`: tasks in the inventory (default 1,000,000)
//! - `OUTSORT_BENCH_SEED`: seed of the generator (default 42)
//! - `OUTSORT_BENCH_REPEAT`: runs of each measurement, the best is kept
//!   (default 5: on a shared machine whose speed drifts, the best of five is
//!   steadier than of three)
//! - `OUTSORT_BENCH_DIR`: where inventories and outputs go (default: the
//!   system's temporary directory, `outsort-bench/`); inventories are reused
//!   by later runs with the same rows and seed.
//! - `OUTSORT_BENCH_BIN`: another outsort binary to measure (default: the one
//!   Cargo builds for the bench profile), for comparing two builds.
//!
//! Every measurement is taken in this one process, so the ratios compare runs
//! on the same machine under the same load. outsort runs as a child process
//! (the binary Cargo builds for the bench profile) writing to a file; its
//! results are compared row by row with the hand-written classifier's, and
//! any difference fails the benchmark (exit 1).

#[path = "throughput/generate.rs"]
mod generate;
#[path = "throughput/handwritten.rs"]
mod handwritten;
#[path = "throughput/measure.rs"]
mod measure;
#[path = "throughput/ruleset.rs"]
mod ruleset;
#[path = "throughput/verify.rs"]
mod verify;

use measure::Run;
use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The outsort binary Cargo built for this benchmark (bench profile).
const OUTSORT: &str = env!("CARGO_BIN_EXE_outsort");
const RULES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/bench.rules");
const RULES: &str = include_str!("bench.rules");

/// The rows of the small inventory that memory at N rows is compared with.
const SMALL_ROWS: u64 = 100_000;
const MIB: f64 = 1024.0 * 1024.0;

/// Targets (the issue "The benchmark").
const TARGET_SINGLE_VS_HANDWRITTEN: f64 = 0.8;
const TARGET_ALL_CORES_VS_SINGLE: f64 = 1.7;
const TARGET_CLASSIFY_RSS: u64 = 64 << 20;
const TARGET_CHECK_RSS_PER_TASK: u64 = 16;
/// Peak RSS counts as flat when N rows take at most this much more than 100k.
const FLAT_SLACK: u64 = 4 << 20;
const TARGET_LOAD_MS: f64 = 100.0;
const LOAD_RULES: usize = 2_000;

struct Settings {
    rows: u64,
    seed: u64,
    repeat: u32,
    dir: PathBuf,
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => match v.replace(['_', ','], "").parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("{name}={v} is not a number; using {default}");
                default
            }
        },
        Err(_) => default,
    }
}

fn main() {
    let raw: Vec<OsString> = std::env::args_os().collect();
    if raw.get(1).is_some_and(|a| a == measure::HELPER_ARG) {
        std::process::exit(measure::helper(raw.get(2..).unwrap_or_default()));
    }
    // `handwritten IN.csv OUT.csv` runs (b) alone, for profilers.
    if let [_, mode, input, output] = raw.as_slice()
        && mode == "handwritten"
    {
        match handwritten::csv_to_csv(Path::new(input), Path::new(output)) {
            Ok(n) => println!("{n} tasks"),
            Err(e) => {
                println!("FAILED: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    // `cargo bench` passes `--bench`; other words choose the benchmarks.
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| chosen.is_empty() || chosen.iter().any(|c| name.contains(c.as_str()));
    let settings = Settings {
        rows: env_number("OUTSORT_BENCH_ROWS", 1_000_000).max(1),
        seed: env_number("OUTSORT_BENCH_SEED", 42),
        repeat: env_number("OUTSORT_BENCH_REPEAT", 5).clamp(1, 100) as u32,
        dir: std::env::var_os("OUTSORT_BENCH_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("outsort-bench")),
    };
    println!("{}", machine());
    println!("outsort: {}", outsort_bin().display());
    let mut ok = true;
    if wants("throughput") {
        match throughput(&settings) {
            Ok(pass) => ok &= pass,
            Err(e) => {
                println!("\nFAILED: {e}");
                ok = false;
            }
        }
    }
    if wants("load") {
        match load() {
            Ok(()) => {}
            Err(e) => {
                println!("\nFAILED: {e}");
                ok = false;
            }
        }
    }
    if !ok {
        std::process::exit(1);
    }
}

/// The machine, as `nproc` and /proc/cpuinfo describe it.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "machine: {cores} cores ({cpu}), {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// The outsort binary to measure.
fn outsort_bin() -> PathBuf {
    std::env::var_os("OUTSORT_BENCH_BIN").map_or_else(|| PathBuf::from(OUTSORT), PathBuf::from)
}

/// Whether `outsort SUBCOMMAND --help` mentions `--threads`.
fn has_threads_flag(subcommand: &str) -> bool {
    Command::new(outsort_bin())
        .args([subcommand, "--help"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("--threads"))
        .unwrap_or(false)
}

/// A line of the results table.
struct Line {
    label: &'static str,
    what: String,
    rows: u64,
    run: Option<Run>,
    note: String,
}

impl Line {
    fn rate(&self) -> Option<f64> {
        self.run.map(|r| self.rows as f64 / r.secs)
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / MIB)
}

fn verdict(pass: bool) -> &'static str {
    if pass { "PASS" } else { "FAIL" }
}

/// The classify runs: (label, description, input is NDJSON, threads, output extension).
type ClassifyRun = (
    &'static str,
    &'static str,
    bool,
    Option<usize>,
    &'static str,
);

fn throughput(s: &Settings) -> Result<bool, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let classify_threads = has_threads_flag("classify");
    let check_threads = has_threads_flag("check");
    outsort::load_str("bench.rules", RULES)
        .map_err(|e| format!("benches/bench.rules does not load:\n{e}"))?;

    eprintln!(
        "generating {} and {SMALL_ROWS} tasks (seed {}) in {} …",
        s.rows,
        s.seed,
        s.dir.display()
    );
    let started = Instant::now();
    let (csv_path, ndjson_path) =
        generate::inventory(&s.dir, s.rows, s.seed).map_err(|e| e.to_string())?;
    let (small_csv, _) =
        generate::inventory(&s.dir, SMALL_ROWS, s.seed).map_err(|e| e.to_string())?;
    eprintln!("  ready in {:.1} s", started.elapsed().as_secs_f64());
    let out_dir = s.dir.join(format!("out-{}", std::process::id()));
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let result = run_all(
        s,
        cores,
        classify_threads,
        check_threads,
        &csv_path,
        &ndjson_path,
        &small_csv,
        &out_dir,
    );
    let _ = std::fs::remove_dir_all(&out_dir);
    result
}

#[allow(clippy::too_many_arguments)]
fn run_all(
    s: &Settings,
    cores: usize,
    classify_threads: bool,
    check_threads: bool,
    csv_path: &Path,
    ndjson_path: &Path,
    small_csv: &Path,
    out_dir: &Path,
) -> Result<bool, String> {
    let n = s.rows;
    let mut lines: Vec<Line> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let progress = |what: &str| eprintln!("measuring {what} …");

    // (a) The floor: the csv crate reads every record, nothing else.
    progress("(a) floor");
    let (run, rows) = measure::best_in_process(s.repeat, || floor_csv(csv_path))?;
    check_rows(rows, n)?;
    lines.push(Line {
        label: "a",
        what: "floor: csv crate reads the CSV (in-process)".into(),
        rows,
        run: Some(run),
        note: String::new(),
    });
    progress("(a') NDJSON floor");
    let (run, rows) = measure::best_in_process(s.repeat, || floor_ndjson(ndjson_path))?;
    check_rows(rows, n)?;
    lines.push(Line {
        label: "a'",
        what: "floor: serde_json parses each NDJSON line (in-process)".into(),
        rows,
        run: Some(run),
        note: String::new(),
    });

    // (b) The ceiling: the hand-written classifier; its output is the reference.
    // (b), (c), (d), (e1) and (e2) take turns, round after round, so that a
    // machine whose speed drifts (shared hosts do) drifts under all of them
    // alike; each keeps its best round.
    progress("(b), (c), (d), (e1) and (e2) in turns");
    let reference = out_dir.join("handwritten.csv");
    let turn_args = |label: &str, input: &Path, threads: usize| {
        let out = out_dir.join(format!("outsort-{label}.csv"));
        classify_args(input, &out, Some(threads).filter(|_| classify_threads))
    };
    let (c_args, d_args) = (turn_args("c", csv_path, 1), turn_args("d", csv_path, cores));
    let (e1_args, e2_args) = (
        turn_args("e1", ndjson_path, 1),
        turn_args("e2", ndjson_path, cores),
    );
    let pair_args = [
        turn_args("pair-1", csv_path, 1),
        turn_args("pair-2", csv_path, 1),
    ];
    let mut best_b: Option<(Run, u64)> = None;
    let mut in_turns: Vec<(&str, Run)> = Vec::new();
    for _ in 0..s.repeat {
        let b = measure::best_in_process(1, || handwritten::csv_to_csv(csv_path, &reference))?;
        if best_b.is_none_or(|(r, _)| b.0.secs < r.secs) {
            best_b = Some(b);
        }
        let mut turns = vec![("c", &c_args)];
        if classify_threads {
            turns.push(("d", &d_args));
        }
        turns.push(("e1", &e1_args));
        if classify_threads {
            turns.push(("e2", &e2_args));
        }
        // (c2) Two single-threaded runs at once: what the machine gives two
        // independent processes, the ceiling for (d) on this host.
        if cores > 1 {
            let pair = std::thread::scope(|sc| {
                let runs: Vec<_> = pair_args
                    .iter()
                    .map(|args| sc.spawn(move || outsort(1, &[0], args, None)))
                    .collect();
                runs.into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| Err("a run panicked".into())))
                    .collect::<Result<Vec<Run>, String>>()
            })?;
            let run = Run {
                secs: pair.iter().map(|r| r.secs).fold(0.0, f64::max),
                peak_rss: None,
                cpu_secs: pair.iter().map(|r| r.cpu_secs).sum(),
            };
            match in_turns.iter_mut().find(|(l, _)| *l == "c2") {
                Some((_, best)) if run.secs < best.secs => *best = run,
                Some(_) => {}
                None => in_turns.push(("c2", run)),
            }
        }
        for (label, args) in turns {
            let run = outsort(1, &[0], args, None)?;
            match in_turns.iter_mut().find(|(l, _)| *l == label) {
                Some((_, best)) if run.secs < best.secs => *best = run,
                Some(_) => {}
                None => in_turns.push((label, run)),
            }
        }
    }
    let (run, rows) = best_b.ok_or("no run")?;
    check_rows(rows, n)?;
    lines.push(Line {
        label: "b",
        what: "hand-written classifier, CSV to CSV (in-process)".into(),
        rows,
        run: Some(run),
        note: String::new(),
    });
    progress("(b') hand-written classifier, NDJSON");
    let from_ndjson = out_dir.join("handwritten-ndjson.csv");
    let (run, rows) = measure::best_in_process(s.repeat, || {
        handwritten::ndjson_to_csv(ndjson_path, &from_ndjson)
    })?;
    check_rows(rows, n)?;
    // The two hand-written readers must agree before outsort is judged by them.
    verify::csv_files(&reference, &from_ndjson)
        .map_err(|e| format!("the hand-written classifier differs between CSV and NDJSON: {e}"))?;
    let _ = std::fs::remove_file(&from_ndjson);
    lines.push(Line {
        label: "b'",
        what: "hand-written classifier, NDJSON to CSV (in-process)".into(),
        rows,
        run: Some(run),
        note: String::new(),
    });

    // (c) to (f): outsort classify as a child process, writing to a file.
    let all = if classify_threads { Some(cores) } else { None };
    let mut runs: Vec<ClassifyRun> = vec![("c", "CSV to CSV", false, Some(1), "csv")];
    runs.push(("d", "CSV to CSV", false, all, "csv"));
    runs.push(("e1", "NDJSON to CSV", true, Some(1), "csv"));
    runs.push(("e2", "NDJSON to CSV", true, all, "csv"));
    runs.push(("f", "CSV to NDJSON", false, Some(1), "ndjson"));
    for (label, what, ndjson, threads, ext) in runs {
        let single = threads == Some(1);
        let flag = match threads {
            Some(t) if classify_threads => format!(" --threads {t}"),
            _ => String::new(),
        };
        let what = format!("outsort classify{flag}, {what}");
        if !single && !classify_threads {
            lines.push(Line {
                label,
                what: "outsort classify on all cores".into(),
                rows: n,
                run: None,
                note: "skipped: this outsort has no --threads flag".into(),
            });
            continue;
        }
        progress(&format!("({label}) {what}"));
        let input = if ndjson { ndjson_path } else { csv_path };
        let out = out_dir.join(format!("outsort-{label}.{ext}"));
        let args = classify_args(input, &out, threads.filter(|_| classify_threads));
        let run = match in_turns.iter().position(|(l, _)| *l == label) {
            Some(i) => in_turns.swap_remove(i).1,
            None => outsort(s.repeat, &[0], &args, None)?,
        };
        let verified = if ext == "csv" {
            verify::csv_files(&reference, &out)
        } else {
            verify::ndjson_file(
                &reference,
                &out,
                &["knowledge", "outsourceability"],
                &["monthly_savings", "destination", "accountable"],
            )
        };
        let note = match verified {
            Ok(rows) if rows == n => "same results as (b) on every row".to_string(),
            Ok(rows) => {
                failures.push(format!("({label}): {rows} rows, expected {n}"));
                format!("WRONG: {rows} rows")
            }
            Err(e) => {
                failures.push(format!("({label}) {what}: {e}"));
                "WRONG: differs from (b), see below".to_string()
            }
        };
        let _ = std::fs::remove_file(&out);
        lines.push(Line {
            label,
            what,
            rows: n,
            run: Some(run),
            note,
        });
    }

    if let Some(i) = in_turns.iter().position(|(l, _)| *l == "c2") {
        let (_, run) = in_turns.swap_remove(i);
        lines.push(Line {
            label: "c2",
            what: "two outsort classify --threads 1 at once, CSV to CSV".into(),
            rows: 2 * n,
            run: Some(run),
            note: "the ceiling for (d) on this machine".into(),
        });
    }
    for args in &pair_args {
        if let Some(out) = args
            .iter()
            .position(|a| a == "-o")
            .and_then(|i| args.get(i + 1))
        {
            let _ = std::fs::remove_file(out);
        }
    }

    // (g), (h): check, whose reports hold the findings until the end.
    let check_flag = if check_threads { Some(cores) } else { None };
    let mut findings = None;
    for (label, format) in [("g", "json"), ("h", "github")] {
        let flag = check_flag.map_or(String::new(), |t| format!(" --threads {t}"));
        let what = format!("outsort check -f {format}{flag}");
        progress(&format!("({label}) {what}"));
        let out = out_dir.join(format!("check.{format}"));
        let args = check_args(csv_path, format, check_flag);
        let run = outsort(s.repeat, &[0, 1], &args, Some(&out))?;
        if format == "json" {
            findings = count_findings(&out);
        }
        let _ = std::fs::remove_file(&out);
        lines.push(Line {
            label,
            what,
            rows: n,
            run: Some(run),
            note: String::new(),
        });
    }

    // Memory at 100k rows, to compare with N.
    progress("memory at 100k rows");
    let small_out = out_dir.join("small.csv");
    let small_ndjson = out_dir.join("small.ndjson");
    let small_check = out_dir.join("small-check.json");
    let one = Some(1).filter(|_| classify_threads);
    let small_c = outsort(1, &[0], &classify_args(small_csv, &small_out, one), None)?;
    let small_d = if classify_threads {
        let args = classify_args(small_csv, &small_out, Some(cores));
        Some(outsort(1, &[0], &args, None)?)
    } else {
        None
    };
    let small_f = outsort(1, &[0], &classify_args(small_csv, &small_ndjson, one), None)?;
    let small_g = outsort(
        1,
        &[0, 1],
        &check_args(small_csv, "json", check_flag),
        Some(&small_check),
    )?;

    print_table(s, cores, &lines);
    let find = |label: &str| lines.iter().find(|l| l.label == label);
    let ratio = |x: &str, y: &str| -> Option<f64> { Some(find(x)?.rate()? / find(y)?.rate()?) };
    let peak = |label: &str| find(label).and_then(|l| l.run).and_then(|r| r.peak_rss);

    println!("\nratios (rows per second over rows per second)");
    let mut targets: Vec<(String, Option<bool>)> = Vec::new();
    let mut ratio_line = |name: &str, what: &str, value: Option<f64>, target: Option<f64>| {
        let shown = value.map_or("n/a".to_string(), |v| format!("{v:.2}"));
        let verdict_text = match (value, target) {
            (Some(v), Some(t)) => format!("target >= {t}: {}", verdict(v >= t)),
            (None, Some(t)) => format!("target >= {t}: not measured"),
            _ => String::new(),
        };
        println!("  {name:<6} {shown:>6}  {what:<46} {verdict_text}");
        if let Some(t) = target {
            targets.push((format!("{name} {what}"), value.map(|v| v >= t)));
        }
    };
    ratio_line(
        "c/b",
        "single-threaded outsort vs hand-written",
        ratio("c", "b"),
        Some(TARGET_SINGLE_VS_HANDWRITTEN),
    );
    ratio_line(
        "d/c",
        &format!("all cores ({cores}) vs single-threaded"),
        ratio("d", "c"),
        Some(TARGET_ALL_CORES_VS_SINGLE),
    );
    ratio_line(
        "c2/c",
        "two single-threaded runs at once vs one",
        ratio("c2", "c"),
        None,
    );
    let cpu = |label: &str| find(label).and_then(|l| l.run).and_then(|r| r.cpu_secs);
    ratio_line(
        "c/b",
        "the same by CPU time, less exposed to other load",
        cpu("b").zip(cpu("c")).map(|(b, c)| b / c),
        None,
    );
    ratio_line(
        "c/a",
        "single-threaded outsort vs the CSV floor",
        ratio("c", "a"),
        None,
    );
    ratio_line(
        "b/a",
        "hand-written vs the CSV floor",
        ratio("b", "a"),
        None,
    );
    ratio_line(
        "e1/b'",
        "NDJSON: single-threaded outsort vs hand-written",
        ratio("e1", "b'"),
        None,
    );
    ratio_line(
        "e2/e1",
        &format!("NDJSON: all cores ({cores}) vs single-threaded"),
        ratio("e2", "e1"),
        Some(TARGET_ALL_CORES_VS_SINGLE),
    );

    println!("\npeak RSS (MiB), from wait4's ru_maxrss of the outsort process");
    let mut rss_line = |what: String, small: Option<u64>, big: Option<u64>, limit: u64| {
        let fmt = |v: Option<u64>| v.map_or("n/a".to_string(), mib);
        let flat = match (small, big) {
            (Some(a), Some(b)) if n > SMALL_ROWS => Some(b <= a + FLAT_SLACK),
            _ => None,
        };
        let under = big.map(|b| b < limit);
        let pass = match (under, flat) {
            (Some(u), Some(f)) => Some(u && f),
            (Some(u), None) => Some(u),
            _ => None,
        };
        println!(
            "  {what:<46} {:>7} at {SMALL_ROWS}, {:>7} at {n}   limit {} MiB{}: {}",
            fmt(small),
            fmt(big),
            mib(limit),
            if flat.is_some() { ", flat" } else { "" },
            pass.map_or("not measured", verdict)
        );
        targets.push((format!("peak RSS of {what}"), pass));
    };
    rss_line(
        "(c) classify, CSV to CSV, single-threaded".into(),
        small_c.peak_rss,
        peak("c"),
        TARGET_CLASSIFY_RSS,
    );
    if classify_threads {
        rss_line(
            format!("(d) classify, CSV to CSV, {cores} threads"),
            small_d.and_then(|r| r.peak_rss),
            peak("d"),
            TARGET_CLASSIFY_RSS,
        );
    }
    rss_line(
        "(f) classify, CSV to NDJSON, single-threaded".into(),
        small_f.peak_rss,
        peak("f"),
        TARGET_CLASSIFY_RSS,
    );
    let check_limit = TARGET_CLASSIFY_RSS + TARGET_CHECK_RSS_PER_TASK * n;
    for label in ["g", "h"] {
        let what = find(label).map_or(String::new(), |l| format!("({label}) {}", l.what));
        let big = peak(label);
        let fmt = big.map_or("n/a".to_string(), mib);
        // Bytes per task the peak grew by from SMALL_ROWS to n: the set of
        // keys must stay within its 16 bytes a task, at any n.
        let growth = match (label, small_g.peak_rss, big) {
            ("g", Some(p), Some(b)) if n > SMALL_ROWS => {
                Some(b.saturating_sub(p) as f64 / (n - SMALL_ROWS) as f64)
            }
            _ => None,
        };
        let pass = big.map(|b| {
            b < check_limit && growth.is_none_or(|g| g <= TARGET_CHECK_RSS_PER_TASK as f64)
        });
        let small = match (label, small_g.peak_rss, growth) {
            ("g", Some(p), Some(g)) => format!(
                " ({} at {SMALL_ROWS}, {g:.1} bytes per task beyond {SMALL_ROWS})",
                mib(p)
            ),
            _ => String::new(),
        };
        let growth_limit = if growth.is_some() {
            format!(", growth <= {TARGET_CHECK_RSS_PER_TASK} B/task")
        } else {
            String::new()
        };
        println!(
            "  {what:<46} {fmt:>7} at {n}{small}   limit 64 MiB + {TARGET_CHECK_RSS_PER_TASK} B/task = {} MiB{growth_limit}: {}",
            mib(check_limit),
            pass.map_or("not measured", verdict)
        );
        targets.push((format!("peak RSS of {what}"), pass));
    }
    if let Some(f) = findings {
        println!("  (check reported {f} findings on {n} tasks)");
    }

    println!("\nsame results as the hand-written classifier on every row");
    if failures.is_empty() {
        println!("  PASS: every outsort output above equals (b), row by row, in input order");
    } else {
        for f in &failures {
            println!("  FAIL {f}");
        }
    }
    let missed: Vec<&String> = targets
        .iter()
        .filter(|(_, p)| *p == Some(false))
        .map(|(t, _)| t)
        .collect();
    println!(
        "\ntargets: {} passed, {} failed, {} not measured",
        targets.iter().filter(|(_, p)| *p == Some(true)).count(),
        missed.len(),
        targets.iter().filter(|(_, p)| p.is_none()).count()
    );
    // A missed performance target is reported, not an error; wrong results are.
    Ok(failures.is_empty())
}

fn check_rows(rows: u64, want: u64) -> Result<(), String> {
    if rows == want {
        Ok(())
    } else {
        Err(format!("read {rows} tasks, expected {want}"))
    }
}

fn classify_args(input: &Path, out: &Path, threads: Option<usize>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec!["classify".into(), "-r".into(), RULES_PATH.into()];
    args.extend([input.into(), "-o".into(), out.into()]);
    if let Some(t) = threads {
        args.extend(["--threads".into(), t.to_string().into()]);
    }
    args
}

fn check_args(input: &Path, format: &str, threads: Option<usize>) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["check", "--today", "2026-01-01", "-f", format, "-r"]
        .into_iter()
        .map(OsString::from)
        .collect();
    args.extend([RULES_PATH.into(), input.into()]);
    if let Some(t) = threads {
        args.extend(["--threads".into(), t.to_string().into()]);
    }
    args
}

/// Runs outsort `repeat` times (see [`measure::best_child`]).
fn outsort(
    repeat: u32,
    ok_codes: &[i32],
    args: &[OsString],
    stdout: Option<&Path>,
) -> Result<Run, String> {
    measure::best_child(repeat, ok_codes, &outsort_bin(), args, stdout)
}

fn count_findings(path: &Path) -> Option<usize> {
    let file = File::open(path).ok()?;
    let doc: serde_json::Value = serde_json::from_reader(BufReader::new(file)).ok()?;
    doc.get("findings")?.as_array().map(Vec::len)
}

fn floor_csv(path: &Path) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut rdr = csv::Reader::from_reader(BufReader::with_capacity(1 << 16, file));
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while rdr.read_byte_record(&mut rec).map_err(|e| e.to_string())? {
        n += 1;
    }
    Ok(n)
}

fn floor_ndjson(path: &Path) -> Result<u64, String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let mut rdr = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let mut n = 0;
    loop {
        line.clear();
        if rdr
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?
            == 0
        {
            return Ok(n);
        }
        serde_json::from_slice::<serde::de::IgnoredAny>(&line)
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        n += 1;
    }
}

fn print_table(s: &Settings, cores: usize, lines: &[Line]) {
    println!(
        "\nthroughput: {} tasks (seed {}), best of {} runs; {cores} cores",
        s.rows, s.seed, s.repeat
    );
    println!(
        "  {:<5} {:<58} {:>11} {:>8} {:>9} {:>6}  note",
        "", "what", "rows/s", "seconds", "peak MiB", "CPU s"
    );
    for l in lines {
        let (rate, secs, rss, cpu) = match l.run {
            Some(r) => (
                format!("{:.0}", l.rows as f64 / r.secs),
                format!("{:.3}", r.secs),
                r.peak_rss.map_or("-".into(), mib),
                r.cpu_secs.map_or("-".into(), |c| format!("{c:.2}")),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        println!(
            "  ({:<3} {:<58} {rate:>11} {secs:>8} {rss:>9} {cpu:>6}  {}",
            format!("{})", l.label),
            l.what,
            l.note
        );
    }
}

/// The load benchmark: parse, check and compile a generated rule set of
/// 2,000 rules through the library, best of 10.
fn load() -> Result<(), String> {
    let text = ruleset::generate(LOAD_RULES);
    eprintln!("measuring the load of {LOAD_RULES} rules …");
    let mut best = f64::INFINITY;
    let mut rules = 0;
    for _ in 0..10 {
        let start = Instant::now();
        let program = outsort::load_str("generated.rules", &text)
            .map_err(|e| format!("the generated rule set does not load:\n{e}"))?;
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        rules = program.rules.len();
    }
    println!(
        "\nload: {rules} rules ({} KiB of rules), parse + check + compile with outsort::load_str, best of 10: {best:.1} ms   target < {TARGET_LOAD_MS} ms: {}",
        text.len() / 1024,
        verdict(best < TARGET_LOAD_MS)
    );
    Ok(())
}
