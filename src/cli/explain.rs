//! `outsort explain`: the full trace of one task, and what would change its label.

use super::out::{errln, out, outln};
use super::pipeline::{self, RowErrors, TaskView, Work};
use super::{Exit, InputArgs, RulesArgs, Ui, today};
use clap::{Args, ValueEnum};
use outsort::Program;
use outsort::eval::Task;
use outsort::quote::escape;
use std::sync::Mutex;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    #[command(flatten)]
    rules: RulesArgs,

    #[command(flatten)]
    input: InputArgs,

    /// The key of the task to explain
    #[arg(long, value_name = "KEY")]
    task: String,

    /// text (default) or json
    #[arg(short, long, value_enum, default_value_t = ExplainFormat::Text)]
    format: ExplainFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

/// Finds the task; keeps the first few keys seen for a suggestion.
struct Find<'a> {
    program: &'a Program,
    key: &'a str,
    found: Mutex<Option<(Task<'static>, String, u64)>>,
}

impl Work for Find<'_> {
    type Out = Vec<String>;

    fn start(&self) -> Vec<String> {
        Vec::new()
    }

    fn task(&self, view: &TaskView<'_>, keys: &mut Vec<String>) -> Result<(), String> {
        let key = self.program.key_text(view.task);
        if key == self.key
            && let Ok(mut found) = self.found.lock()
            && found.is_none()
        {
            let owned = Task {
                fields: view
                    .task
                    .fields
                    .iter()
                    .map(|v| v.clone().into_owned())
                    .collect(),
                ..self.program.new_task()
            };
            *found = Some((owned, view.input.name.clone(), view.record.line()));
        }
        if keys.len() < 64 {
            keys.push(key);
        }
        Ok(())
    }
}

pub fn run(ui: &Ui, args: ExplainArgs) -> Exit {
    let program = match ui.load(&args.rules) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let today = today(args.rules.today);
    let mut inputs = match pipeline::open(ui, &program, &args.input, &[], true, 1) {
        Ok(i) => i,
        Err(e) => return e,
    };
    let find = Find {
        program: &program,
        key: &args.task,
        found: Mutex::new(None),
    };
    let mut errors = RowErrors::new(ui);
    let mut sample: Vec<String> = Vec::new();
    let result = pipeline::run(
        ui,
        &program,
        &mut inputs,
        today,
        false,
        1,
        &mut errors,
        &find,
        |keys| {
            for k in keys {
                if sample.len() < 10_000 {
                    sample.push(k);
                }
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        return e;
    }
    let found = find.found.into_inner().ok().flatten();
    let Some((mut task, file, line)) = found else {
        ui.error(&format!("no task has the key `{}`", args.task));
        match outsort::diag::did_you_mean(&args.task, sample.iter().map(String::as_str)) {
            Some(best) => errln!("  did you mean `{}`?", escape(best)),
            None if !sample.is_empty() => {
                let shown: Vec<&str> = sample.iter().take(5).map(String::as_str).collect();
                errln!("  keys look like: {}", escape(&shown.join(", ")));
            }
            None => {}
        }
        return Exit::Error;
    };
    let explanation = match program.explain(&mut task, today) {
        Ok(e) => e,
        Err(e) => {
            ui.error(&format!("{file}:{line}: task `{}`: {e}", args.task));
            return Exit::Error;
        }
    };
    let what_if = program.what_if(&task, today);
    match args.format {
        ExplainFormat::Json => {
            let mut doc = outsort::output::explain::render_json(
                &program,
                &task,
                &explanation,
                &what_if,
                today,
            );
            doc["file"] = serde_json::json!(file);
            doc["line"] = serde_json::json!(line);
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        ExplainFormat::Text => {
            outln!("{}:{line}", escape(&file));
            out!(
                "{}",
                outsort::output::explain::render_text(&program, &task, &explanation, today, 0)
            );
            if program.label_enum.is_some() {
                outln!("what if");
                if what_if.is_empty() {
                    outln!("  no single change of a field changes the label");
                }
                for w in &what_if {
                    outln!(
                        "  {}",
                        outsort::output::explain::what_if_text(&program, &task, w)
                    );
                }
            }
        }
    }
    Exit::Success
}
