//! The fixed rule set (`rules/fields.rules`, every type of field) on
//! arbitrary field values: evaluate, explain, what-if, task findings, and the
//! portfolio accumulators. Values are made the way readers make them: from
//! text through the binding's conversion, or as any value of the field's
//! type a reader can produce (finite numbers, dates of years 0 to 9999).
#![no_main]

mod common;

use std::borrow::Cow;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use outsort::input::{Binding, InputFormat, Record, SourceInfo};
use outsort::value::{FieldType, Value, parse_date};

/// One binding per field, reading a one-cell row.
fn single_bindings() -> &'static Vec<Binding> {
    static B: OnceLock<Vec<Binding>> = OnceLock::new();
    B.get_or_init(|| {
        common::specs(common::program())
            .into_iter()
            .map(|mut spec| {
                spec.from = None;
                let info = SourceInfo {
                    name: "fuzz".into(),
                    format: InputFormat::Csv,
                    delimiter: Some(b','),
                    columns: vec![spec.name.clone()],
                };
                match Binding::new(&[spec], &info) {
                    Ok((b, _)) => b,
                    Err(e) => panic!("{e:?}"),
                }
            })
            .collect()
    })
}

fn date_range() -> (i32, i32) {
    (
        parse_date("0000-01-01").unwrap_or(-719_528),
        parse_date("9999-12-31").unwrap_or(2_932_896),
    )
}

fn typed(u: &mut Unstructured<'_>, ty: &FieldType) -> Result<Value<'static>> {
    let (lo, hi) = date_range();
    Ok(match ty {
        FieldType::Text => Value::Text(Cow::Owned(u.arbitrary::<String>()?)),
        FieldType::Number => {
            let n: f64 = u.arbitrary()?;
            Value::Num(if n.is_finite() { n + 0.0 } else { 0.0 })
        }
        FieldType::Bool => Value::Bool(u.arbitrary()?),
        FieldType::Date => Value::Date(u.int_in_range(lo..=hi)?),
        FieldType::Enum(values) => {
            Value::Enum(u.int_in_range(0..=values.len().saturating_sub(1) as u16)?)
        }
    })
}

fn field_value(u: &mut Unstructured<'_>, i: usize) -> Result<Value<'static>> {
    let program = common::program();
    let Some(field) = program.fields.get(i) else {
        return Ok(Value::Missing);
    };
    match u.int_in_range(0u8..=2)? {
        0 if field.optional => Ok(Value::Missing),
        0 if field.default.is_some() => Ok(field.default.clone().unwrap_or(Value::Missing)),
        2 => {
            let cell: String = u.arbitrary()?;
            let rec = Record::from_cells(2, &[cell.as_str()]);
            let defaults = [field.default.clone()];
            let mut out = Vec::new();
            match single_bindings().get(i).map(|b| b.convert(&rec, &defaults, &mut out)) {
                Some(Ok(())) => match out.pop() {
                    Some(Value::Missing) if !field.optional => typed(u, &field.field_type),
                    Some(v) => Ok(v.into_owned()),
                    None => typed(u, &field.field_type),
                },
                _ => typed(u, &field.field_type),
            }
        }
        _ => typed(u, &field.field_type),
    }
}

fn run(data: &[u8]) -> Result<()> {
    let program = common::program();
    let mut u = Unstructured::new(data);
    let (lo, hi) = date_range();
    let today = u.int_in_range(lo..=hi)?;
    let mut acc = outsort::eval::Accumulators::new(program);
    for _ in 0..u.int_in_range(1u8..=3)? {
        let mut fields = Vec::with_capacity(program.fields.len());
        for i in 0..program.fields.len() {
            fields.push(field_value(&mut u, i)?);
        }
        let mut task = program.new_task();
        task.fields = fields;
        let mut fresh = task.clone();
        match program.evaluate(&mut task, today) {
            Ok(()) => {
                let _ = program.reason(&task, today);
                let _ = program.key_text(&task);
                for w in program.what_if(&task, today) {
                    let _ = program.label_name(w.label);
                }
                let mut findings = Vec::new();
                if let Err(e) = program.task_findings(&task, today, &mut findings) {
                    let _ = e.to_string();
                }
                if let Err(e) = acc.add(program, &task, today) {
                    let _ = e.to_string();
                }
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
        match program.explain(&mut fresh, today) {
            Ok(x) => {
                let _ = x.rules.len();
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    let copy = acc.clone();
    acc.merge(&copy);
    let _ = acc.finish(program);
    if let Err(e) = program.portfolio(&acc, today) {
        let _ = e.to_string();
    }
    let _ = program.expired_waivers(today);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});
