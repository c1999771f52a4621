//! `outsort fmt`: rewrite rule files in the one canonical layout, or check
//! that they are in it.

use super::out::{self, err, errln, out, outln};
use super::{Exit, Ui};
use clap::Args;
use std::io::Read;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Rule files or directories (read recursively for `*.rules`); `-` formats
    /// standard input to standard output
    #[arg(value_name = "FILES", required = true)]
    files: Vec<PathBuf>,

    /// Change nothing: list the files that are not formatted, with a diff,
    /// and exit 1 if there is any
    #[arg(long)]
    check: bool,
}

fn render_errors(ui: &Ui, name: &str, text: &str, diags: &[outsort::diag::Diagnostic]) {
    let mut sources = outsort::diag::Sources::new();
    sources.add(name, text);
    err!("{}", outsort::diag::render_all(diags, &sources, ui.style));
}

pub fn run(ui: &Ui, args: FmtArgs) -> Exit {
    if args.files.iter().any(|f| f.as_os_str() == "-") {
        if args.files.len() > 1 {
            ui.error("`-` (standard input) cannot be combined with files");
            return Exit::Error;
        }
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            ui.error(&format!("cannot read standard input: {e}"));
            return Exit::Error;
        }
        return match outsort::fmt::format_source(&text) {
            Ok(formatted) => {
                out!("{formatted}");
                if args.check && formatted != text {
                    Exit::Failed
                } else {
                    Exit::Success
                }
            }
            Err(diags) => {
                render_errors(ui, "<stdin>", &text, &diags);
                Exit::Error
            }
        };
    }
    let files = match outsort::rule_files(&args.files, ui.files) {
        Ok(f) => f,
        Err(e) => {
            err!("{}", e.render(ui.style));
            return Exit::Error;
        }
    };
    let mut exit = Exit::Success;
    let mut unformatted = 0;
    for (path, origin) in &files {
        if out::stdout_failed() {
            // The diffs of `--check` would be lost: the run ends with exit 2.
            return Exit::Error;
        }
        let name = path.display().to_string();
        let text = match outsort::read_rule_file(path, *origin, ui.files) {
            Ok(t) => t,
            Err(e) => {
                err!("{}", e.render(ui.style));
                exit = Exit::Error;
                continue;
            }
        };
        let formatted = match outsort::fmt::format_source(&text) {
            Ok(f) => f,
            Err(diags) => {
                render_errors(ui, &name, &text, &diags);
                exit = Exit::Error;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            unformatted += 1;
            let name = outsort::quote::escape(&name);
            outln!("{name} is not formatted:");
            let diff = similar::TextDiff::from_lines(&text, &formatted);
            let diff = diff
                .unified_diff()
                .context_radius(2)
                .header(&name, &format!("{name} (formatted)"))
                .to_string();
            // The lines come from the file: shown escaped, as in diagnostics.
            out!("{}", outsort::quote::escape_keep_lines(&diff));
            exit = exit.max(Exit::Failed);
        } else if out::replace(path, formatted.as_bytes()).is_err() {
            // Said at the end of the run; the old file is left as it was.
            exit = Exit::Error;
        } else {
            errln!("formatted {name}");
        }
    }
    if args.check && unformatted > 0 {
        outln!("{unformatted} of {} files need `outsort fmt`", files.len());
    }
    exit
}
