//! outsort: score business tasks for knowledge intensity, strategic value and
//! outsourceability with a small rule language, and label each BPO, KPO or
//! in-house.
//!
//! The library runs the stages in one direction: parse ([`syntax`]) → check
//! and compile ([`check`], [`compile`]) → evaluate ([`eval`]). Input readers
//! live in [`input`]. Nothing here prints; everything returns data.
//!
//! ```
//! use outsort::{load_str, value::Value};
//!
//! let rules = r#"
//!     input { id: text  hours: number  core: bool }
//!     score outsourceability = 50 in 0..100
//!     rule "core work stays" when core { outsourceability -= 40 }
//!     rule "big tasks" when hours >= 100 { outsourceability += 20 }
//!     label {
//!         bpo      when outsourceability >= 50
//!         in_house otherwise
//!     }
//! "#;
//! let program = load_str("example.rules", rules).expect("the rules are valid");
//!
//! let mut task = program.new_task();
//! task.fields = vec![Value::Text("T1".into()), Value::Num(120.0), Value::Bool(false)];
//! program.evaluate(&mut task, 0).expect("no division by zero here");
//! assert_eq!(task.scores, vec![70.0]);
//! assert_eq!(task.label.map(|l| program.label_name(l)), Some("bpo"));
//!
//! // Mistakes come back as diagnostics, all at once, with positions.
//! let err = load_str("bad.rules", "input { id: text }\nlet x = hourz * 2").unwrap_err();
//! assert_eq!(err.diagnostics[0].message, "unknown name `hourz`");
//! assert!(err.render(outsort::diag::Style::Plain).contains("bad.rules:2:9"));
//! ```

pub mod ast;
pub mod check;
pub mod compile;
pub mod diag;
pub mod diff;
pub mod eval;
pub mod files;
pub mod fmt;
pub mod init;
pub mod input;
pub mod lint;
pub mod output;
pub mod pass;
pub mod policy;
pub mod quote;
pub mod syntax;
pub mod testing;
pub mod value;

use diag::{Diagnostic, Sources, Style};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use compile::Program;

/// The built-in rule set, compiled into the binary.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.rules");
/// The name the built-in rule set goes by in messages.
pub const DEFAULT_RULES_NAME: &str = "<built-in>/default.rules";

/// A rule set that could not be loaded: its diagnostics and the sources
/// they point into.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Arc<Sources>,
}

impl LoadError {
    /// Renders every diagnostic in a style.
    pub fn render(&self, style: Style) -> String {
        diag::render_all(&self.diagnostics, &self.sources, style)
    }

    fn file(e: &files::FileError) -> LoadError {
        LoadError::io(e.to_string(), e.help().map(str::to_string))
    }

    fn io(message: String, help: Option<String>) -> LoadError {
        let mut d = Diagnostic::error("io", message);
        if let Some(h) = help {
            d = d.help(h);
        }
        LoadError {
            diagnostics: vec![d],
            sources: Arc::new(Sources::new()),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Style::Plain))
    }
}

impl std::error::Error for LoadError {}

/// A loaded rule set and the warnings found while checking it.
pub type Loaded = (Program, Vec<Diagnostic>);

/// The stack for parsing and checking, so deeply nested input is refused
/// with a diagnostic long before it could overflow.
const LOAD_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Loads a rule set from source texts (name, text), merged in the order given.
pub fn load_sources(files: Vec<(String, String)>) -> Result<Loaded, LoadError> {
    let mut sources = Sources::new();
    for (name, text) in files {
        sources.add(name, text);
    }
    let sources = Arc::new(sources);
    let worker = {
        let sources = Arc::clone(&sources);
        move || load_inner(sources)
    };
    let joined = std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("outsort-load".into())
            .stack_size(LOAD_STACK_BYTES)
            .spawn_scoped(s, worker)
            .map(|h| h.join())
    });
    match joined {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(LoadError {
            diagnostics: vec![
                Diagnostic::error("internal", "outsort failed while loading the rule set")
                    .help("this is a bug in outsort; please report it with the rule file"),
            ],
            sources,
        }),
        Err(e) => Err(LoadError::io(
            format!("could not start loading the rule set: {e}"),
            None,
        )),
    }
}

fn load_inner(sources: Arc<Sources>) -> Result<Loaded, LoadError> {
    let mut items = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, file) in sources.files().iter().enumerate() {
        let (file_items, file_diags) = syntax::parse_file(id as ast::FileId, &file.text);
        items.extend(file_items);
        diagnostics.extend(file_diags);
    }
    let rule_set = ast::RuleSet { items };
    // Check even after syntax errors, so all mistakes are reported at once;
    // but names declared in a broken declaration would be reported as
    // unknown, so keep only the checker's findings when parsing was clean.
    let parse_failed = diagnostics.iter().any(Diagnostic::is_error);
    let (program, check_diags) = check::check(&rule_set, Arc::clone(&sources));
    if !parse_failed {
        diagnostics.extend(check_diags);
    }
    diag::sort(&mut diagnostics);
    match program {
        Some(p) if !parse_failed => Ok((
            p,
            diagnostics.into_iter().filter(|d| !d.is_error()).collect(),
        )),
        _ => Err(LoadError {
            diagnostics,
            sources,
        }),
    }
}

/// Loads a rule set from one source text.
pub fn load_str(name: &str, text: &str) -> Result<Program, LoadError> {
    load_sources(vec![(name.to_string(), text.to_string())]).map(|(p, _)| p)
}

/// Loads the built-in rule set.
pub fn load_default() -> Result<Loaded, LoadError> {
    load_sources(vec![(
        DEFAULT_RULES_NAME.to_string(),
        DEFAULT_RULES.to_string(),
    )])
}

/// The rule files named by paths: files as given, directories read
/// recursively for `*.rules` in sorted path order, every one under the
/// file [`Policy`](files::Policy); each with how it was named.
pub fn rule_files(
    paths: &[PathBuf],
    policy: files::Policy,
) -> Result<Vec<(PathBuf, files::Origin)>, LoadError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| {
            LoadError::io(
                format!(
                    "cannot read the rule file `{}`: {}",
                    p.display(),
                    files::reason(&e)
                ),
                None,
            )
        })?;
        if meta.is_dir() {
            let found = files::walk(p, "rules", policy).map_err(|e| match e {
                files::WalkError::File(e) => LoadError::file(&e),
                other => LoadError::io(other.to_string(), None),
            })?;
            if found.is_empty() {
                return Err(LoadError::io(
                    format!("the directory `{}` holds no `.rules` file", p.display()),
                    Some("rule files end in `.rules`".into()),
                ));
            }
            out.extend(found.into_iter().map(|f| (f, files::Origin::Found)));
        } else {
            out.push((p.clone(), files::Origin::Named));
        }
    }
    Ok(out)
}

/// Rule files read together, in bytes, at most.
pub const MAX_RULE_SET_BYTES: usize = 64 * 1024 * 1024;

/// Reads one rule file under the policy, bounded by the size limit as it is
/// read, as UTF-8.
pub fn read_rule_file(
    path: &Path,
    origin: files::Origin,
    policy: files::Policy,
) -> Result<String, LoadError> {
    let bytes = files::read_bounded(path, origin, policy, syntax::MAX_FILE_BYTES).map_err(|e| {
        match e.why {
            files::Why::TooLarge(limit) => LoadError::io(
                format!(
                    "the rule file `{}` is more than the limit of {limit} bytes",
                    path.display()
                ),
                Some(
                    "split it into several files in one directory and pass the directory with -r"
                        .into(),
                ),
            ),
            _ => LoadError::file(&e),
        }
    })?;
    String::from_utf8(bytes).map_err(|e| {
        LoadError::io(
            format!(
                "the rule file `{}` is not valid UTF-8 (at byte {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
            Some("save it as UTF-8".into()),
        )
    })
}

/// Loads a rule set from files and directories (directories are read
/// recursively in sorted path order), under the strictest file policy.
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded, LoadError> {
    load_paths_with(paths, files::Policy::default())
}

/// Loads a rule set from files and directories under a file policy.
pub fn load_paths_with(paths: &[PathBuf], policy: files::Policy) -> Result<Loaded, LoadError> {
    let files = rule_files(paths, policy)?;
    let mut texts = Vec::new();
    let mut total = 0usize;
    for (f, origin) in files {
        let text = read_rule_file(&f, origin, policy)?;
        total += text.len();
        if total > MAX_RULE_SET_BYTES {
            return Err(LoadError::io(
                format!(
                    "the rule files are larger than the limit of {MAX_RULE_SET_BYTES} bytes together"
                ),
                None,
            ));
        }
        texts.push((f.display().to_string(), text));
    }
    load_sources(texts)
}
