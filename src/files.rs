//! Opening the files outsort reads: the one place that decides what may be read.
//!
//! In CI the command line is trusted but the files in the working tree are
//! not: a rule file or an export in a pull request may be a symbolic link to
//! `/proc/self/environ`, a link to `/dev/zero`, or a named pipe that never
//! ends. Every file outsort reads is opened here, under one [`Policy`]:
//!
//! - only regular files, and pipes named on the command line (`-` is read by
//!   the caller; `/dev/stdin`, `<(zcat x.gz)` and FIFOs come here);
//! - never a device, a socket, or a file under `/proc`, `/sys` or `/dev`;
//! - a path that goes through a symbolic link must end inside the working
//!   directory, unless [`Policy::follow_links`], and never in a `.git`
//!   directory (where CI keeps the repository's credentials);
//! - reads are bounded as they happen ([`read_bounded`]), not by a size
//!   looked up beforehand.

use std::collections::HashSet;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// What may be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// Read through symbolic links that lead outside the working directory.
    pub follow_links: bool,
}

/// How a path came to be read: the command line names paths on purpose; a
/// directory's entries are whatever the working tree holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Named on the command line.
    Named,
    /// Found in a directory named on the command line.
    Found,
}

/// What an opened file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file: its size is known and it can be read at an offset.
    Regular,
    /// A pipe (a FIFO, `/dev/stdin` on a pipe, a process substitution): read
    /// once, from the start to the end.
    Pipe,
}

/// Why a file was not read: the path as given, never what a link points
/// to, and the reason.
#[derive(Debug, thiserror::Error)]
#[error("`{}` {why}", crate::quote::escape(path))]
pub struct FileError {
    pub path: String,
    pub why: Why,
}

/// The reason in [`FileError`], worded to follow the file's name.
#[derive(Debug, thiserror::Error)]
pub enum Why {
    /// `rules/x.rules -> /etc/passwd`.
    #[error("is a symbolic link to a file outside the working directory")]
    LinkOutside,
    /// `/dev/zero`, a socket, a block device, a directory.
    #[error("is {0}, not a file")]
    Special(&'static str),
    /// `/proc/self/environ`, `/sys/...`.
    #[error("is a system file under `{0}`, which outsort never reads")]
    System(&'static str),
    /// `rules/x.rules -> ../.git/config`: where CI keeps its credentials.
    #[error("is a symbolic link into a `.git` directory")]
    LinkIntoGit,
    /// A FIFO found in a rules directory.
    #[error("is a named pipe; pipes are read only when named on the command line")]
    PipeFound,
    /// A file read with [`read_bounded`] went past its limit.
    #[error("is more than the limit of {0} bytes")]
    TooLarge(usize),
    /// The system's own error.
    #[error("cannot be read: {}", reason(.0))]
    Io(io::Error),
}

impl FileError {
    fn new(path: &Path, why: Why) -> FileError {
        FileError {
            path: path.display().to_string(),
            why,
        }
    }

    fn io(path: &Path, error: io::Error) -> FileError {
        FileError::new(path, Why::Io(error))
    }

    /// What the user can do about it, when there is something.
    pub fn help(&self) -> Option<&'static str> {
        match self.why {
            Why::LinkOutside => Some(
                "copy the file into the working directory, or pass --follow-links if the files are trusted",
            ),
            Why::PipeFound => Some(
                "name the pipe on the command line to read it, or remove it from the directory",
            ),
            _ => None,
        }
    }
}

/// The system's error in words, without Rust's `(os error N)`.
pub fn reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "it is a directory".into(),
        io::ErrorKind::StorageFull => "no space left on device".into(),
        io::ErrorKind::BrokenPipe => "the pipe was closed".into(),
        io::ErrorKind::InvalidData => e.to_string(),
        _ => {
            let text = e.to_string();
            match text.find(" (os error") {
                Some(at) => text.get(..at).unwrap_or(&text).to_string(),
                None => text,
            }
        }
    }
}

/// An open file that passed the policy.
#[derive(Debug)]
pub struct Opened {
    pub file: File,
    pub kind: Kind,
}

/// Trees under which nothing is read, whatever links lead there.
const SYSTEM_ROOTS: [&str; 3] = ["/proc", "/sys", "/dev"];

/// Paths that name a descriptor the (trusted) command line set up.
fn is_descriptor(path: &Path) -> bool {
    let Some(text) = path.to_str() else {
        return false;
    };
    text == "/dev/stdin"
        || ["/dev/fd/", "/proc/self/fd/"].iter().any(|p| {
            text.strip_prefix(p)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// The working directory, with its links resolved.
fn root() -> io::Result<PathBuf> {
    std::env::current_dir()?.canonicalize()
}

/// Whether some part of `path` is a symbolic link. A relative path is
/// taken from the working directory with its own links resolved, so only
/// links at or below it count.
fn through_link(path: &Path, root: &Path) -> io::Result<bool> {
    let mut at = if path.is_absolute() {
        PathBuf::new()
    } else {
        root.to_path_buf()
    };
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(_) => {
                at.push(c.as_os_str());
                if std::fs::symlink_metadata(&at)?.file_type().is_symlink() {
                    return Ok(true);
                }
            }
            Component::RootDir | Component::Prefix(_) => at.push(c.as_os_str()),
        }
    }
    Ok(false)
}

fn type_name(meta: &Metadata) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_char_device() {
            return Some("a device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    if meta.is_dir() {
        return Some("a directory");
    }
    None
}

fn is_fifo(meta: &Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        meta.file_type().is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}

/// Checks `path` against the policy without opening it; `meta` is what it
/// resolves to.
fn allow(path: &Path, meta: &Metadata, origin: Origin, policy: Policy) -> Result<Kind, FileError> {
    if is_fifo(meta) {
        return match origin {
            Origin::Named => Ok(Kind::Pipe),
            Origin::Found => Err(FileError::new(path, Why::PipeFound)),
        };
    }
    if let Some(what) = type_name(meta) {
        return Err(FileError::new(path, Why::Special(what)));
    }
    if origin == Origin::Named && is_descriptor(path) {
        return check_place(path, policy, Some(false)).map(|()| Kind::Regular);
    }
    check_place(path, policy, None)?;
    Ok(Kind::Regular)
}

/// Checks where `path` leads: never into a system tree, and through a link
/// (`linked`, or found out when `None`) only into the working directory.
fn check_place(path: &Path, policy: Policy, linked: Option<bool>) -> Result<(), FileError> {
    let real = path.canonicalize().map_err(|e| FileError::io(path, e))?;
    if let Some(root) = SYSTEM_ROOTS.iter().find(|r| real.starts_with(r)) {
        return Err(FileError::new(path, Why::System(root)));
    }
    let root = root().map_err(|e| FileError::io(path, e))?;
    let linked = match linked {
        Some(l) => l,
        None => through_link(path, &root).map_err(|e| FileError::io(path, e))?,
    };
    if !linked {
        return Ok(());
    }
    if real.components().any(|c| c.as_os_str() == ".git") {
        return Err(FileError::new(path, Why::LinkIntoGit));
    }
    if !policy.follow_links && !real.starts_with(&root) {
        return Err(FileError::new(path, Why::LinkOutside));
    }
    Ok(())
}

/// Opens a file to read, under the policy.
pub fn open(path: &Path, origin: Origin, policy: Policy) -> Result<Opened, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
    let kind = allow(path, &meta, origin, policy)?;
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    // The file opened must be the one checked.
    let opened = file.metadata().map_err(|e| FileError::io(path, e))?;
    if !same_file(&meta, &opened) {
        return Err(FileError::io(
            path,
            io::Error::other("it changed while it was opened"),
        ));
    }
    Ok(Opened { file, kind })
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.file_type() == b.file_type()
}

/// Reads a whole file under the policy, failing as soon as more than
/// `limit` bytes have been read.
pub fn read_bounded(
    path: &Path,
    origin: Origin,
    policy: Policy,
    limit: usize,
) -> Result<Vec<u8>, FileError> {
    let opened = open(path, origin, policy)?;
    let mut out = Vec::new();
    opened
        .file
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| FileError::io(path, e))?;
    if out.len() > limit {
        return Err(FileError::new(path, Why::TooLarge(limit)));
    }
    Ok(out)
}

/// Directories deeper than this below a named one are an error.
const MAX_DEPTH: usize = 32;
/// Files listed from one named directory at most.
pub const MAX_FOUND: usize = 100_000;

/// Why a directory could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(
        "`{}` is nested more than {MAX_DEPTH} directories deep",
        crate::quote::escape(path)
    )]
    TooDeep { path: String },
    #[error(
        "`{}` holds more than {MAX_FOUND} matching files",
        crate::quote::escape(path)
    )]
    TooMany { path: String },
}

/// The files under `dir` (recursively) whose name ends in `.{extension}`,
/// in sorted path order. Links are checked as [`open`] checks them, a
/// directory reached twice (a link loop) is listed once, and special files
/// with the extension are refused.
pub fn walk(dir: &Path, extension: &str, policy: Policy) -> Result<Vec<PathBuf>, WalkError> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    walk_in(dir, extension, policy, 0, &mut seen, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk_in(
    dir: &Path,
    extension: &str,
    policy: Policy,
    depth: usize,
    seen: &mut HashSet<(u64, u64)>,
    out: &mut Vec<PathBuf>,
) -> Result<(), WalkError> {
    if depth > MAX_DEPTH {
        return Err(WalkError::TooDeep {
            path: dir.display().to_string(),
        });
    }
    let meta = std::fs::metadata(dir).map_err(|e| FileError::io(dir, e))?;
    if !seen.insert(identity(&meta)) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| FileError::io(dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| FileError::io(dir, e))?;
        names.push(entry.path());
        if names.len() > MAX_FOUND {
            return Err(WalkError::TooMany {
                path: dir.display().to_string(),
            });
        }
    }
    names.sort();
    for path in names {
        let link = std::fs::symlink_metadata(&path).map_err(|e| FileError::io(&path, e))?;
        let matches = path.extension().is_some_and(|e| e == extension);
        let is_link = link.file_type().is_symlink();
        let meta = if is_link {
            match std::fs::metadata(&path) {
                Ok(m) => m,
                // A dangling link is an error only where a file was wanted.
                Err(e) if matches => return Err(FileError::io(&path, e).into()),
                Err(_) => continue,
            }
        } else {
            link
        };
        if meta.is_dir() {
            if is_link {
                check_place(&path, policy, Some(true))?;
            }
            walk_in(&path, extension, policy, depth + 1, seen, out)?;
        } else if matches {
            allow(&path, &meta, Origin::Found, policy)?;
            out.push(path);
            if out.len() > MAX_FOUND {
                return Err(WalkError::TooMany {
                    path: dir.display().to_string(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn identity(meta: &Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &Metadata) -> (u64, u64) {
    (0, 0)
}

/// A regular file read at offsets from any thread: each reader keeps its own
/// position, so one open file serves every pass over an input.
#[derive(Debug, Clone)]
pub struct At {
    file: std::sync::Arc<File>,
    pos: u64,
    end: u64,
}

impl At {
    /// Reads `file` from `start` up to `end` (or its end).
    pub fn new(file: std::sync::Arc<File>, start: u64, end: Option<u64>) -> At {
        At {
            file,
            pos: start,
            end: end.unwrap_or(u64::MAX),
        }
    }
}

impl Read for At {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.end.saturating_sub(self.pos);
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let Some(buf) = buf.get_mut(..want) else {
            return Ok(0);
        };
        if buf.is_empty() {
            return Ok(0);
        }
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, at) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    use std::os::windows::fs::FileExt;
    file.seek_read(buf, at)
}

#[cfg(test)]
mod tests;
