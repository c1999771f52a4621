//! Arbitrary trees of files, links (inside, outside, to `/proc`, to
//! `/dev/zero`, loops) and FIFOs, loaded as a rules directory and read as
//! inputs under the default file policy: nothing panics or hangs, and no byte
//! of the secret file outside the working directory is ever returned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use outsort::files::{Origin, Policy};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const SECRET: &str = "fuzz-secret-7d1e";

/// A scratch directory made once; the process works inside `work/`.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("outsort-fuzz-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("work")).unwrap();
        std::fs::create_dir_all(dir.join("outside")).unwrap();
        std::fs::write(dir.join("outside/secret.rules"), SECRET).unwrap();
        std::env::set_current_dir(dir.join("work")).unwrap();
        dir
    })
}

fn target(b: u8, names: &[String]) -> PathBuf {
    match b % 8 {
        0 => PathBuf::from("/proc/self/environ"),
        1 => PathBuf::from("/dev/zero"),
        2 => base().join("outside/secret.rules"),
        3 => PathBuf::from("../outside"),
        4 => PathBuf::from(".."),
        5 => PathBuf::from("."),
        6 => PathBuf::from("/etc/passwd"),
        _ => PathBuf::from(names.get(usize::from(b) % names.len().max(1)).cloned().unwrap_or_default()),
    }
}

fuzz_target!(|data: &[u8]| {
    let base = base();
    let work = base.join("work");
    let _ = std::fs::remove_dir_all(work.join("t"));
    std::fs::create_dir_all(work.join("t")).unwrap();
    let mut names = Vec::new();
    for (i, pair) in data.chunks(2).take(24).enumerate() {
        let (kind, arg) = (pair[0], pair.get(1).copied().unwrap_or(0));
        let dir = names
            .iter()
            .filter(|n: &&String| !n.ends_with(".rules") && !n.ends_with(".csv"))
            .nth(usize::from(arg) % 3)
            .cloned()
            .unwrap_or_else(|| "t".to_string());
        let ext = if kind & 0x80 != 0 { "rules" } else { "csv" };
        let name = match kind % 5 {
            0 => format!("{dir}/d{i}"),
            _ => format!("{dir}/f{i}.{ext}"),
        };
        let path = work.join(&name);
        let made = match kind % 5 {
            0 => std::fs::create_dir(&path).is_ok(),
            1 => std::fs::write(&path, "# a comment\n").is_ok(),
            2 | 3 => symlink(target(arg, &names), &path).is_ok(),
            _ => std::process::Command::new("mkfifo").arg(&path).status().is_ok_and(|s| s.success()),
        };
        if made {
            names.push(name);
        }
    }
    let policy = Policy::default();
    if let Err(e) = outsort::load_paths_with(&[PathBuf::from("t")], policy) {
        let text = e.render(outsort::diag::Style::Plain);
        assert!(!text.contains(SECRET) && !text.contains("PATH="), "{text}");
    }
    for name in &names {
        // FIFOs named on purpose would wait for a writer: only what is found
        // in a directory is read here, as a rules directory reads it.
        if let Ok(text) = outsort::read_rule_file(Path::new(name), Origin::Found, policy) {
            assert!(!text.contains(SECRET) && !text.contains("PATH="), "{name}: {text}");
        }
    }
});
