//! Standard output, standard error and the files the commands write
//! (SPEC §10, "Untrusted files").
//!
//! Every print of the command line goes through here: [`out!`] and
//! [`outln!`] write to standard output, [`err!`] and [`errln!`] to standard
//! error, and none of them panics on a write error as `print!` does. The
//! first write error on standard output, and on each output file, is
//! remembered (later writes to standard output are skipped), and [`finish`]
//! turns it into exit 2: quietly for a closed pipe, else with one line
//! naming what could not be written and why.
//!
//! [`OutputFile`] writes `-o` files and rewritten rule files: into a
//! temporary file beside the target, renamed over it only by
//! [`OutputFile::commit`], so that a failed or interrupted run leaves the
//! old file (or none). A target that exists and is not a regular file
//! (`/dev/null`, a FIFO, a terminal) is written into directly and never
//! replaced. [`refuse_inputs`] refuses a target that is one of the files the
//! command reads.

use super::{Exit, Ui};
use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prints to standard output, like `print!`, without panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!($($arg)*))
    };
}

/// Prints a line to standard output, like `println!`, without panicking.
macro_rules! outln {
    () => {
        $crate::cli::out::print(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Prints to standard error, like `eprint!`; a failure is ignored.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::cli::out::eprint(format_args!($($arg)*))
    };
}

/// Prints a line to standard error, like `eprintln!`; a failure is ignored.
macro_rules! errln {
    () => {
        $crate::cli::out::eprint(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::eprint(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {err, errln, out, outln};

/// What could not be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Stdout,
    /// Where a command's results went, when the error did not say.
    Output,
    /// A file, as the command line named it.
    File(PathBuf),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stdout => f.write_str("to standard output"),
            Target::Output => f.write_str("the output"),
            Target::File(p) => write!(f, "`{}`", p.display()),
        }
    }
}

/// The first write error on one target.
struct Failure {
    target: Target,
    kind: io::ErrorKind,
    reason: String,
}

/// Standard output failed: later writes to it are skipped.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);
/// The first failure of each target, in order.
static FAILURES: Mutex<Vec<Failure>> = Mutex::new(Vec::new());

fn failures() -> std::sync::MutexGuard<'static, Vec<Failure>> {
    FAILURES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Remembers a write error on `target`, unless one was remembered for it.
pub fn record(target: Target, e: &io::Error) {
    if target == Target::Stdout {
        STDOUT_FAILED.store(true, Ordering::Relaxed);
    }
    let mut failures = failures();
    if !failures.iter().any(|f| f.target == target) {
        failures.push(Failure {
            target,
            kind: e.kind(),
            reason: reason(e),
        });
    }
}

/// Remembers a write error that reached a command, when the writer that
/// failed did not (a writer of this module remembers its own).
pub fn record_unseen(e: &io::Error) {
    if failures().is_empty() {
        record(Target::Output, e);
    }
}

/// Whether standard output failed: the run will end with exit 2, and what
/// is left to print would be lost.
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

/// An error's reason in words, without Rust's "(os error 28)".
pub fn reason(e: &io::Error) -> String {
    use io::ErrorKind as K;
    let words = match e.kind() {
        K::StorageFull => "no space left on device",
        K::QuotaExceeded => "disk quota exceeded",
        K::FileTooLarge => "the file is too large",
        K::ReadOnlyFilesystem => "read-only file system",
        K::PermissionDenied => "permission denied",
        K::NotFound => "no such file or directory",
        K::IsADirectory => "it is a directory",
        K::NotADirectory => "a part of the path is not a directory",
        K::BrokenPipe => "the reading end of the pipe was closed",
        K::WriteZero => "nothing more could be written",
        K::TimedOut => "timed out",
        K::Interrupted => "interrupted",
        _ => {
            let text = e.to_string();
            let text = match text.rfind(" (os error ") {
                Some(i) if text.ends_with(')') => text[..i].to_string(),
                _ => text,
            };
            let mut chars = text.chars();
            return match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => "an unknown error".to_string(),
            };
        }
    };
    words.to_string()
}

/// Writes to standard output unless it failed before; remembers a failure.
pub fn print(args: fmt::Arguments<'_>) {
    if STDOUT_FAILED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = io::stdout().lock().write_fmt(args) {
        record(Target::Stdout, &e);
    }
}

/// Writes to standard error. There is nowhere left to report its failure,
/// so a failure is ignored.
pub fn eprint(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Standard output as a writer: a failure is remembered, and after one,
/// every write fails at once.
pub struct Stdout;

impl Stdout {
    fn check(result: io::Result<usize>) -> io::Result<usize> {
        result.inspect_err(|e| record(Target::Stdout, e))
    }

    fn gone() -> io::Error {
        io::Error::other("standard output failed before")
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if STDOUT_FAILED.load(Ordering::Relaxed) {
            return Err(Stdout::gone());
        }
        Stdout::check(io::stdout().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if STDOUT_FAILED.load(Ordering::Relaxed) {
            return Err(Stdout::gone());
        }
        io::stdout()
            .write_all(buf)
            .inspect_err(|e| record(Target::Stdout, e))
    }

    fn flush(&mut self) -> io::Result<()> {
        if STDOUT_FAILED.load(Ordering::Relaxed) {
            return Err(Stdout::gone());
        }
        io::stdout()
            .flush()
            .inspect_err(|e| record(Target::Stdout, e))
    }
}

/// Whether standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    io::stdout().is_terminal()
}

/// Whether standard error is a terminal.
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    io::stderr().is_terminal()
}

/// Ends the run: flushes standard output, and turns a remembered write error
/// into exit 2, saying what failed unless it was a closed pipe.
pub fn finish(ui: &Ui, exit: Exit) -> Exit {
    if !STDOUT_FAILED.load(Ordering::Relaxed)
        && let Err(e) = io::stdout().flush()
    {
        record(Target::Stdout, &e);
    }
    let failures = std::mem::take(&mut *failures());
    if failures.is_empty() {
        return exit;
    }
    for f in failures {
        if f.kind != io::ErrorKind::BrokenPipe {
            ui.error(&format!("cannot write {}: {}", f.target, f.reason));
        }
    }
    Exit::Error
}

/// Where an [`OutputFile`]'s bytes go.
enum Dest {
    /// A temporary file beside `target`, renamed over it on commit.
    Replace {
        temp: tempfile::NamedTempFile,
        target: PathBuf,
    },
    /// A target that is not a regular file, written into.
    Direct(File),
}

/// A file a command writes, as a writer: see the module documentation.
/// Dropped without [`OutputFile::commit`], it leaves the target as it was.
pub struct OutputFile {
    /// The target as the command line named it, for messages.
    name: PathBuf,
    dest: Dest,
}

impl OutputFile {
    /// Starts writing `path`. An error is remembered for [`finish`].
    pub fn create(path: &Path) -> io::Result<OutputFile> {
        OutputFile::open(path).inspect_err(|e| record(Target::File(path.to_path_buf()), e))
    }

    fn open(path: &Path) -> io::Result<OutputFile> {
        let name = path.to_path_buf();
        let existing = match std::fs::metadata(path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if let Some(meta) = &existing
            && !meta.is_file()
        {
            // A device, a FIFO or a directory (which fails here): never
            // renamed over, so `-o /dev/full` leaves the device node.
            let file = std::fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)?;
            return Ok(OutputFile {
                name,
                dest: Dest::Direct(file),
            });
        }
        // Through a link, the file linked to is replaced, not the link.
        let target = match existing {
            Some(_) => std::fs::canonicalize(path)?,
            None => match std::fs::symlink_metadata(path) {
                // A link to nothing: written through, as `File::create` does.
                Ok(m) if m.file_type().is_symlink() => {
                    let file = File::create(path)?;
                    return Ok(OutputFile {
                        name,
                        dest: Dest::Direct(file),
                    });
                }
                _ => path.to_path_buf(),
            },
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".outsort-").suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // A new file gets the mode `File::create` would give it (the
            // umask applies); a replaced file keeps its mode, below.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(&dir)?;
        if let Some(meta) = &existing {
            std::fs::set_permissions(temp.path(), meta.permissions())?;
        }
        Ok(OutputFile {
            name,
            dest: Dest::Replace { temp, target },
        })
    }

    /// Whether the bytes go straight into the target (not a regular file),
    /// so that what was written before a failure stays written.
    pub fn is_direct(&self) -> bool {
        matches!(self.dest, Dest::Direct(_))
    }

    /// The target as the command line named it.
    pub fn name(&self) -> &Path {
        &self.name
    }

    /// Puts the file in place of the target: the command succeeded. An error
    /// is remembered for [`finish`], and the target is left as it was.
    pub fn commit(self) -> io::Result<()> {
        let name = self.name;
        let result = match self.dest {
            Dest::Direct(mut file) => file.flush(),
            Dest::Replace { temp, target } => temp
                .as_file()
                .sync_all()
                .and_then(|()| temp.persist(&target).map(|_| ()).map_err(|e| e.error)),
        };
        result.inspect_err(|e| record(Target::File(name), e))
    }

    fn file(&mut self) -> &mut File {
        match &mut self.dest {
            Dest::Replace { temp, .. } => temp.as_file_mut(),
            Dest::Direct(f) => f,
        }
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = self.file().write(buf);
        result.inspect_err(|e| record(Target::File(self.name.clone()), e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let result = self.file().write_all(buf);
        result.inspect_err(|e| record(Target::File(self.name.clone()), e))
    }

    fn flush(&mut self) -> io::Result<()> {
        let result = self.file().flush();
        result.inspect_err(|e| record(Target::File(self.name.clone()), e))
    }
}

/// Writes `bytes` to `path` through an [`OutputFile`]: the old file stays
/// unless all of them were written. An error is remembered for [`finish`].
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OutputFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// What a file is, to tell whether two names are one file.
#[derive(PartialEq, Eq)]
struct Identity(#[cfg(unix)] (u64, u64), #[cfg(not(unix))] PathBuf);

#[cfg(unix)]
fn identity(path: &Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(Identity((m.dev(), m.ino())))
}

#[cfg(not(unix))]
fn identity(path: &Path) -> Option<Identity> {
    std::fs::canonicalize(path).ok().map(Identity)
}

/// Standard input's file, when it is a regular file.
#[cfg(unix)]
fn stdin_identity() -> Option<Identity> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let m = File::from(fd).metadata().ok()?;
    m.is_file().then(|| Identity((m.dev(), m.ino())))
}

#[cfg(not(unix))]
fn stdin_identity() -> Option<Identity> {
    None
}

/// What `-o` must not name: the inputs (and standard input, when it is read)
/// and the rule files.
pub struct Reads<'a> {
    /// Input arguments; `-` is standard input.
    pub inputs: &'a [String],
    /// Whether standard input is read (`-`, or no input named).
    pub stdin: bool,
    /// `-r` arguments: files or directories of rule files.
    pub rules: &'a [PathBuf],
}

/// Refuses `-o output` when it is one of the files the command reads, by
/// any name (a link, a hard link, `./x`): writing it would destroy the data
/// before it is read. Prints the error; `Err` carries exit 2.
pub fn refuse_inputs(ui: &Ui, output: &Path, reads: &Reads<'_>) -> Result<(), Exit> {
    let Some(target) = identity(output) else {
        // Nothing there yet: it cannot be an input.
        return Ok(());
    };
    let shown = output.display();
    let is_input = reads
        .inputs
        .iter()
        .filter(|i| *i != "-")
        .any(|i| identity(Path::new(i)).as_ref() == Some(&target));
    if is_input {
        ui.error(&format!(
            "`-o {shown}` names an input; write the results to another file"
        ));
        return Err(Exit::Error);
    }
    if reads.stdin && stdin_identity().as_ref() == Some(&target) {
        ui.error(&format!(
            "`-o {shown}` names the file on standard input; write the results to another file"
        ));
        return Err(Exit::Error);
    }
    let mut rules: Vec<PathBuf> = reads.rules.to_vec();
    if let Ok(files) = outsort::rule_files(reads.rules, ui.files) {
        rules.extend(files.into_iter().map(|(path, _)| path));
    }
    if rules.iter().any(|r| identity(r).as_ref() == Some(&target)) {
        ui.error(&format!(
            "`-o {shown}` names a rule file; write the results to another file"
        ));
        return Err(Exit::Error);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::reason;
    use std::io;

    #[test]
    fn reasons_are_words_without_the_os_error_number() {
        let full = io::Error::from_raw_os_error(28);
        assert_eq!(reason(&full), "no space left on device");
        let eio = io::Error::from_raw_os_error(5);
        assert_eq!(reason(&eio), "input/output error");
        assert_eq!(reason(&io::Error::other("Odd")), "odd");
    }
}
