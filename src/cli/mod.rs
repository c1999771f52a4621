//! The command line: arguments, exit codes, and one module per command.

mod check;
mod classify;
mod diff;
mod explain;
mod fmt;
mod init;
mod lint;
mod out;
mod pipeline;
mod report;
mod test;

use clap::{Args, Parser, Subcommand, ValueEnum};
use out::{err, errln};
use outsort::diag::Style;
use outsort::input::{Encoding, InputFormat};
use std::path::PathBuf;
use std::process::ExitCode;

/// How a run ended (SPEC §6, exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// The job was done and nothing checked failed.
    Success = 0,
    /// The checked thing failed: a deny finding, a failed test, an
    /// unformatted file, a missed coverage gate.
    Failed = 1,
    /// outsort could not do the job: bad arguments, rule-set errors,
    /// unreadable input, row errors, no tasks.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

const EXAMPLES: &str = "\
Examples:
  outsort classify examples/tasks.csv
      label tasks with the built-in rules
  outsort classify -r my.rules export.csv -o out.csv
      your rules, results to a file
  outsort check -r rules/ tasks.csv -f github
      the CI gate, with annotations on the CSV lines
  outsort test -r rules/ --min-coverage 90
      run the rule set's tests
  outsort explain tasks.csv --task T012
      why a task got its label, and what would change it
  outsort diff --before old.rules --after new.rules tasks.csv
      who changes label between two versions of the rules
  outsort init export.csv > my.rules
      a starter rule file for an export";

/// Score business tasks for knowledge intensity, strategic value and
/// outsourceability, and label each BPO, KPO or in-house.
#[derive(Parser, Debug)]
#[command(name = "outsort", version, about, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,

    /// Colour in messages: auto (on a terminal, unless NO_COLOR is set), always or never
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,

    /// How rule-set errors are shown: human, plain or json
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    error_format: ErrorFormat,

    /// Read through symbolic links that lead outside the working directory
    /// (refused by default: see SECURITY.md)
    #[arg(long, global = true)]
    follow_links: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ErrorFormat {
    Human,
    Plain,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Score and label every task
    Classify(classify::ClassifyArgs),
    /// Run the policies over the tasks: the CI command
    Check(check::CheckArgs),
    /// Run the rule set's tests
    Test(test::TestArgs),
    /// Explain one task's scores and label, and what would change it
    Explain(explain::ExplainArgs),
    /// Format rule files in the canonical layout
    Fmt(fmt::FmtArgs),
    /// Static lints, and with data, coverage
    Lint(lint::LintArgs),
    /// Compare two versions of a rule set on the same tasks
    Diff(diff::DiffArgs),
    /// Write a self-contained HTML report
    Report(report::ReportArgs),
    /// Draft a rule file from an export's header and values
    Init(init::InitArgs),
    /// Print shell completions
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

/// Where the rules come from.
#[derive(Args, Debug, Clone)]
pub struct RulesArgs {
    /// A rule file or a directory of them (read recursively); repeatable.
    /// Without it, the built-in rule set is used.
    #[arg(short = 'r', long = "rules", value_name = "RULES")]
    pub rules: Vec<PathBuf>,

    /// The date of the run, YYYY-MM-DD (for `days_until` and waiver expiry)
    #[arg(long, value_name = "DATE", value_parser = parse_today)]
    pub today: Option<i32>,
}

/// How to read the inputs.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Task inventories: CSV, TSV, JSON or NDJSON files; `-` or none reads standard input
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// The input format, when the extension does not say
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormatArg>,

    /// The CSV delimiter (otherwise sniffed among , ; TAB |); `tab` for a tab
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,

    /// The text encoding of the inputs: any WHATWG label (utf-8, windows-1252,
    /// latin1, utf-16le, shift_jis, …); a byte-order mark decides over it
    #[arg(long, value_name = "LABEL", default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: Encoding,

    /// JSON: the key of the array holding the tasks, when the document has several
    #[arg(long, value_name = "KEY")]
    pub records: Option<String>,

    /// CSV: the row holding the header (rows above it, such as a title, are
    /// skipped); by default the first of the first 20 rows that has the
    /// columns of the rule set's required fields
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_row: Option<u64>,

    /// Do not fail on bad rows: report their count and go on (exit 0)
    #[arg(long)]
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    Csv,
    Tsv,
    Json,
    Ndjson,
}

pub fn parse_encoding(label: &str) -> Result<Encoding, String> {
    Encoding::for_label(label)
}

impl InputArgs {
    /// Whether standard input is read: `-`, or no input named.
    pub fn reads_stdin(&self) -> bool {
        self.inputs.is_empty() || self.inputs.iter().any(|i| i == "-")
    }

    pub fn options(&self, files: outsort::files::Policy) -> outsort::input::InputOptions {
        outsort::input::InputOptions {
            format: self.input_format.map(|f| match f {
                InputFormatArg::Csv => InputFormat::Csv,
                InputFormatArg::Tsv => InputFormat::Tsv,
                InputFormatArg::Json => InputFormat::Json,
                InputFormatArg::Ndjson => InputFormat::Ndjson,
            }),
            delimiter: self.delimiter,
            encoding: self.encoding,
            records: self.records.clone(),
            threads: 1,
            files,
            header_row: self.header_row,
            header_fields: Vec::new(),
        }
    }
}

fn parse_today(s: &str) -> Result<i32, String> {
    outsort::value::parse_date(s).ok_or_else(|| format!("`{s}` is not a date; write YYYY-MM-DD"))
}

/// `--threads N`: a count of 1 or more; above
/// [`pipeline::MAX_THREADS`] the run uses that many.
pub fn parse_threads(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("0 threads cannot do the work; give 1 or more".to_string()),
        Ok(n) => Ok(n),
        Err(_) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(pipeline::MAX_THREADS)
        }
        Err(_) => Err(format!("`{s}` is not a number of threads; give 1 or more")),
    }
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        _ => Err(format!(
            "`{s}` is not a single ASCII character; use `,`, `;`, `|` or `tab`"
        )),
    }
}

/// What every command needs to report to the person running it.
pub struct Ui {
    pub color: bool,
    pub style: Style,
    /// What files may be read.
    pub files: outsort::files::Policy,
}

impl Ui {
    /// Prints a one-line error to standard error. Text from files in it is
    /// shown escaped.
    pub fn error(&self, message: &str) {
        let message = outsort::quote::escape(message);
        if self.color {
            errln!("\x1b[1;31merror\x1b[0m: {message}");
        } else {
            errln!("error: {message}");
        }
    }

    pub fn warning(&self, message: &str) {
        let message = outsort::quote::escape(message);
        if self.color {
            errln!("\x1b[1;33mwarning\x1b[0m: {message}");
        } else {
            errln!("warning: {message}");
        }
    }

    /// Loads the rule set named by `-r`, or the built-in one; prints its
    /// diagnostics (warnings too) and fails with exit 2 on errors.
    pub fn load(&self, rules: &RulesArgs) -> Result<outsort::Program, Exit> {
        let loaded = if rules.rules.is_empty() {
            outsort::load_default()
        } else {
            outsort::load_paths_with(&rules.rules, self.files)
        };
        match loaded {
            Ok((program, warnings)) => {
                if !warnings.is_empty() {
                    err!(
                        "{}",
                        outsort::diag::render_all(&warnings, &program.sources, self.style)
                    );
                }
                Ok(program)
            }
            Err(e) => {
                err!("{}", e.render(self.style));
                Err(Exit::Error)
            }
        }
    }
}

/// Today's date (UTC) in days since 1970-01-01, unless `--today` fixed it.
pub fn today(fixed: Option<i32>) -> i32 {
    fixed.unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        (secs / 86_400) as i32
    })
}

/// Whether colour is on for a stream: `--color`, else a terminal unless
/// `NO_COLOR` is set.
fn colour(choice: ColorChoice, terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && terminal,
    }
}

/// Prints clap's help, version or usage error: help and version to standard
/// output, errors to standard error, styled as clap would on a terminal.
fn print_clap(e: &clap::Error) -> Exit {
    let shown = e.render();
    let help = matches!(
        e.kind(),
        clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
    );
    let terminal = if help {
        out::stdout_is_terminal()
    } else {
        out::stderr_is_terminal()
    };
    let styled =
        colour(ColorChoice::Auto, terminal) && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
    let text = if styled {
        shown.ansi().to_string()
    } else {
        shown.to_string()
    };
    if help {
        out::out!("{text}");
        Exit::Success
    } else {
        err!("{text}");
        Exit::Error
    }
}

/// Parses the arguments and runs the command.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let exit = print_clap(&e);
            let ui = Ui {
                color: colour(ColorChoice::Auto, out::stderr_is_terminal()),
                style: Style::Plain,
                files: outsort::files::Policy::default(),
            };
            return out::finish(&ui, exit).into();
        }
    };
    let color = colour(cli.color, out::stderr_is_terminal());
    let style = match cli.error_format {
        ErrorFormat::Json => Style::Json,
        ErrorFormat::Plain => Style::Plain,
        ErrorFormat::Human if color => Style::Color,
        ErrorFormat::Human => Style::Plain,
    };
    let ui = Ui {
        color,
        style,
        files: outsort::files::Policy {
            follow_links: cli.follow_links,
        },
    };
    let exit = match cli.command {
        Command::Classify(args) => classify::run(&ui, args),
        Command::Check(args) => check::run(&ui, args),
        Command::Test(args) => test::run(&ui, args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            // Generated into memory: `generate` panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "outsort", &mut script);
            let _ = std::io::Write::write_all(&mut out::Stdout, &script);
            Exit::Success
        }
        Command::Explain(args) => explain::run(&ui, args),
        Command::Fmt(args) => fmt::run(&ui, args),
        Command::Lint(args) => lint::run(&ui, args),
        Command::Diff(args) => diff::run(&ui, args),
        Command::Report(args) => report::run(&ui, args),
        Command::Init(args) => init::run(&ui, args),
    };
    out::finish(&ui, exit).into()
}
