//! What the targets share: the fixed rule set and its field specifications.
#![allow(dead_code)]

use std::sync::OnceLock;

use outsort::Program;
use outsort::input::{Binding, FieldSpec, ReadError, Record, SourceInfo};
use outsort::value::Value;

pub const FIELDS_RULES: &str = include_str!("../rules/fields.rules");

/// The rule set with every type of field (`rules/fields.rules`).
pub fn program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| match outsort::load_str("fields.rules", FIELDS_RULES) {
        Ok(p) => p,
        Err(e) => panic!("the fuzz rule set does not load:\n{e}"),
    })
}

/// The built-in rule set, whose fields the shipped examples carry.
pub fn default_program() -> &'static Program {
    static PROGRAM: OnceLock<Program> = OnceLock::new();
    PROGRAM.get_or_init(|| match outsort::load_default() {
        Ok((p, _)) => p,
        Err(e) => panic!("the built-in rule set does not load:\n{e}"),
    })
}

/// The field specifications the readers bind, as the CLI builds them.
pub fn specs(program: &Program) -> Vec<FieldSpec> {
    program
        .fields
        .iter()
        .map(|f| FieldSpec {
            name: f.name.clone(),
            from: f.from.clone(),
            ty: f.field_type.clone(),
            optional: f.optional,
            has_default: f.default.is_some(),
        })
        .collect()
}

/// The same with every field optional, so any input binds the columns it has.
pub fn relaxed(mut specs: Vec<FieldSpec>) -> Vec<FieldSpec> {
    for s in &mut specs {
        s.optional = true;
    }
    specs
}

pub fn defaults(program: &Program) -> Vec<Option<Value<'static>>> {
    program.fields.iter().map(|f| f.default.clone()).collect()
}

/// Bindings of a source: the fixed rule set strictly, and both rule sets
/// relaxed; each with the program to evaluate strictly bound rows with.
pub fn bindings(info: &SourceInfo) -> Vec<(Binding, &'static Program, bool)> {
    let mut out = Vec::new();
    let p = program();
    if let Ok((b, _)) = Binding::new(&specs(p), info) {
        out.push((b, p, true));
    }
    if let Ok((b, _)) = Binding::new(&relaxed(specs(p)), info) {
        out.push((b, p, false));
    }
    let d = default_program();
    if let Ok((b, _)) = Binding::new(&relaxed(specs(d)), info) {
        out.push((b, d, false));
    }
    out
}

/// Reads every row of a reader, converts it with every binding, and
/// evaluates the rows the strict binding converts.
pub fn drain(mut reader: outsort::input::InputReader) {
    let info = reader.info().clone();
    let _ = outsort::input::column_label(&info.columns, info.columns.len());
    let bindings = bindings(&info);
    let defaults: Vec<_> = bindings.iter().map(|(_, p, _)| defaults(p)).collect();
    let mut rec = Record::new();
    let mut rows = 0u32;
    loop {
        match reader.read(&mut rec) {
            Ok(true) => {
                rows += 1;
                for i in 0..=rec.len() {
                    let _ = rec.text(&info.columns, i);
                }
                for ((binding, program, strict), defaults) in bindings.iter().zip(&defaults) {
                    let mut values = Vec::new();
                    match binding.convert(&rec, defaults, &mut values) {
                        Ok(()) if *strict => {
                            let mut task = program.new_task();
                            task.fields = values;
                            if program.evaluate(&mut task, 20_000).is_ok() {
                                let _ = program.reason(&task, 20_000);
                            }
                        }
                        Ok(()) => {}
                        Err(e) => {
                            let _ = e.to_string();
                        }
                    }
                }
            }
            Ok(false) => break,
            Err(ReadError::Row(e)) => {
                rows += 1;
                let _ = e.to_string();
            }
            Err(ReadError::Fatal(e)) => {
                let _ = e.to_string();
                break;
            }
        }
        // A reader that keeps returning rows past the input's size loops.
        assert!(rows < 10_000_000, "the reader does not end");
    }
}
