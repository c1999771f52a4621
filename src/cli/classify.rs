//! `outsort classify`: score and label every task, streaming the results.

use super::out::{self, OutputFile, err, out};
use super::pipeline::{self, RowErrors, TaskView, Work};
use super::{Exit, InputArgs, RulesArgs, Ui, today};
use clap::{Args, ValueEnum};
use outsort::Program;
use outsort::eval::{Accumulators, Portfolio};
use outsort::output::{Chunk, Format, Formatter, Row, Schema, Sink};
use outsort::value::format_number;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    #[command(flatten)]
    rules: RulesArgs,

    #[command(flatten)]
    input: InputArgs,

    /// Output format: table (default on a terminal), csv (default otherwise), tsv, json, ndjson, markdown
    #[arg(short, long, value_enum)]
    format: Option<FormatArg>,

    /// Write the results to a file; its extension sets the format
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// Add the rules that fired (and in JSON, what each added to each score)
    #[arg(long)]
    explain: bool,

    /// Print the count of tasks per label, mean scores and the metrics
    #[arg(long)]
    summary: bool,

    /// Replace input columns named like the columns outsort adds
    #[arg(long)]
    overwrite: bool,

    /// Threads reading and evaluating tasks (default: every core; at most 256); output order is kept
    #[arg(long, value_name = "N", value_parser = super::parse_threads)]
    threads: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    Table,
    Csv,
    Tsv,
    Json,
    Ndjson,
    Markdown,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Tsv => Format::Tsv,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}

/// The work done on each task: format its row, and add it to the summary.
struct ClassifyWork<'a> {
    program: &'a Program,
    formatter: Formatter,
    today: i32,
    summary: bool,
}

impl Work for ClassifyWork<'_> {
    /// The rows, the summary, and a buffer for the reason of each task.
    type Out = (Chunk, Option<Summary>, String);

    fn start(&self) -> Self::Out {
        (
            self.formatter.chunk(),
            self.summary.then(|| Summary::new(self.program)),
            String::new(),
        )
    }

    fn task(&self, view: &TaskView<'_>, out: &mut Self::Out) -> Result<(), String> {
        let reason = &mut out.2;
        reason.clear();
        self.program
            .write_reason(view.task, self.today, reason)
            .map_err(|e| e.to_string())?;
        let row = Row {
            program: self.program,
            task: view.task,
            record: view.record,
            columns: &view.input.columns,
            column_map: &view.input.column_map,
            reason,
            trace: view.trace,
        };
        if let Some(summary) = out.1.as_mut() {
            summary
                .add(self.program, view.task, self.today)
                .map_err(|e| e.to_string())?;
        }
        self.formatter
            .row(&row, &mut out.0)
            .map_err(|e| format!("cannot format the row: {e}"))
    }
}

pub fn run(ui: &Ui, args: ClassifyArgs) -> Exit {
    if let Some(path) = &args.output {
        let reads = out::Reads {
            inputs: &args.input.inputs,
            stdin: args.input.reads_stdin(),
            rules: &args.rules.rules,
        };
        if let Err(e) = out::refuse_inputs(ui, path, &reads) {
            return e;
        }
    }
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let today = today(args.rules.today);
    let stdout_terminal = out::stdout_is_terminal();
    let format = match (&args.format, &args.output) {
        (Some(f), _) => Format::from(*f),
        (None, Some(path)) => match Format::from_path(path) {
            Some(f) => f,
            None => {
                ui.error(&format!(
                    "cannot tell the format of `{}` from its extension; use --format",
                    path.display()
                ));
                return Exit::Error;
            }
        },
        (None, None) if stdout_terminal => Format::Table,
        (None, None) => Format::Csv,
    };
    let probe = Schema::new(&program, Vec::new(), args.explain);
    let mut inputs = match pipeline::open(
        ui,
        &program,
        &args.input,
        &probe.added(),
        args.overwrite,
        pipeline::threads(args.threads),
    ) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let schema = Schema::new(&program, inputs.columns.clone(), args.explain);
    // An output file is put in place only when the run succeeds.
    let mut file = match &args.output {
        Some(path) => match OutputFile::create(path) {
            Ok(f) => Some(f),
            Err(_) => return Exit::Error,
        },
        None => None,
    };
    let sink_out: Box<dyn Write + Send + '_> = match file.as_mut() {
        Some(f) => Box::new(std::io::BufWriter::with_capacity(1 << 16, f)),
        None => Box::new(std::io::BufWriter::with_capacity(1 << 16, out::Stdout)),
    };
    let width = if stdout_terminal && args.output.is_none() {
        terminal_width()
    } else {
        None
    };
    let work = ClassifyWork {
        program: &program,
        formatter: Formatter::new(&program, format, schema),
        today,
        summary: args.summary,
    };
    let mut sink = match Sink::new(&work.formatter, sink_out, width) {
        Ok(s) => s,
        Err(e) => {
            out::record_unseen(&e);
            return Exit::Error;
        }
    };
    let mut errors = RowErrors::new(ui);
    let mut summary = Summary::new(&program);
    let threads = pipeline::threads(args.threads);
    let result = pipeline::run(
        ui,
        &program,
        &mut inputs,
        today,
        args.explain,
        threads,
        &mut errors,
        &work,
        |(chunk, part, _)| {
            if let Some(part) = part {
                summary.merge(&part);
            }
            sink.chunk(chunk)
        },
    );
    let counts = match result {
        Ok(c) => c,
        Err(e) => return e,
    };
    if let Err(e) = sink.finish() {
        out::record_unseen(&e);
        return Exit::Error;
    }
    let mut exit = match &file {
        Some(f) if !f.is_direct() => errors.finish_unwritten(args.input.skip_invalid, f.name()),
        _ => errors.finish(args.input.skip_invalid),
    };
    if counts.tasks == 0 {
        ui.error("no tasks: the input holds no rows to classify");
        exit = Exit::Error;
    }
    if args.summary {
        let text = summary.render(&program, today);
        let text = outsort::quote::escape_keep_lines(&text);
        // The summary goes with the table when the table is on the terminal,
        // else to standard error, so it never mixes into CSV or JSON data.
        if format.buffers() && args.output.is_none() {
            out!("{text}");
        } else {
            err!("{text}");
        }
    }
    if let Some(file) = file
        && exit == Exit::Success
        && file.commit().is_err()
    {
        return Exit::Error;
    }
    exit
}

fn terminal_width() -> Option<u16> {
    terminal_size::terminal_size()
        .map(|(w, _)| w.0)
        .or_else(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()))
}

/// Per-label counts, score sums and the portfolio accumulators.
pub struct Summary {
    labels: Vec<u64>,
    unlabelled: u64,
    score_sums: Vec<f64>,
    pub acc: Accumulators,
    pub tasks: u64,
}

impl Summary {
    pub fn new(program: &Program) -> Summary {
        Summary {
            labels: vec![0; program.label_values().len()],
            unlabelled: 0,
            score_sums: vec![0.0; program.scores.len()],
            acc: Accumulators::new(program),
            tasks: 0,
        }
    }

    pub fn add(
        &mut self,
        program: &Program,
        task: &outsort::eval::Task<'_>,
        today: i32,
    ) -> Result<(), outsort::eval::TaskError> {
        self.acc.add(program, task, today)?;
        self.tasks += 1;
        match task.label.and_then(|l| self.labels.get_mut(l as usize)) {
            Some(c) => *c += 1,
            None => self.unlabelled += 1,
        }
        for (s, v) in self.score_sums.iter_mut().zip(&task.scores) {
            *s += v;
        }
        Ok(())
    }

    /// Adds the counts of another part of the same run.
    pub fn merge(&mut self, other: &Summary) {
        self.acc.merge(&other.acc);
        self.tasks += other.tasks;
        self.unlabelled += other.unlabelled;
        for (a, b) in self.labels.iter_mut().zip(&other.labels) {
            *a += b;
        }
        for (a, b) in self.score_sums.iter_mut().zip(&other.score_sums) {
            *a += b;
        }
    }

    pub fn portfolio(&self, program: &Program, today: i32) -> Result<Portfolio, String> {
        program
            .portfolio(&self.acc, today)
            .map_err(|e| e.to_string())
    }

    pub fn render(&self, program: &Program, today: i32) -> String {
        let mut out = String::new();
        let n = self.tasks.max(1) as f64;
        out.push_str(&format!("\n{} tasks\n", self.tasks));
        let width = program
            .label_values()
            .iter()
            .chain(program.scores.iter().map(|s| &s.name))
            .chain(program.metrics.iter().map(|m| &m.name))
            .map(String::len)
            .max()
            .unwrap_or(0)
            .max(10);
        for (name, count) in program.label_values().iter().zip(&self.labels) {
            let pct = *count as f64 * 100.0 / n;
            out.push_str(&format!(
                "  {name:<width$}  {count:>6}  {:>5}%\n",
                format_number((pct * 10.0).round() / 10.0)
            ));
        }
        if self.unlabelled > 0 && program.label_enum.is_some() {
            out.push_str(&format!(
                "  {:<width$}  {:>6}\n",
                "(no label)", self.unlabelled
            ));
        }
        if !program.scores.is_empty() {
            out.push_str("mean scores\n");
            for (s, sum) in program.scores.iter().zip(&self.score_sums) {
                let mean = (sum / n * 10.0).round() / 10.0;
                out.push_str(&format!(
                    "  {:<width$}  {:>6}\n",
                    s.name,
                    format_number(mean)
                ));
            }
        }
        if !program.metrics.is_empty() {
            out.push_str("metrics\n");
            match self.portfolio(program, today) {
                Ok(p) => {
                    for (m, v) in program.metrics.iter().zip(&p.metrics) {
                        let shown = if v.is_missing() {
                            "missing".to_string()
                        } else {
                            program.display(m.ty, v)
                        };
                        out.push_str(&format!("  {:<width$}  {:>6}\n", m.name, shown));
                    }
                }
                Err(e) => out.push_str(&format!("  cannot compute the metrics: {e}\n")),
            }
        }
        out
    }
}
