//! Opening the inputs of a pass: each is opened under the file policy and
//! bound to the fields of one or more rule sets, and the columns carried into
//! the output are the union of theirs. What goes wrong comes back as
//! [`OpenEvent`]s, in the order met, for the caller to report.

use crate::Program;
use crate::input::{
    BindError, BindWarning, Binding, FieldSpec, InputError, InputOptions, InputReader, InputSource,
};
use std::collections::{HashMap, HashSet};

/// What the threads processing batches need to know of one input.
pub struct InputMeta {
    /// Position among the pass's inputs.
    pub index: usize,
    pub name: String,
    pub binding: Binding,
    /// Bindings for the further rule sets given to [`open`], in order.
    pub others: Vec<Binding>,
    pub columns: Vec<String>,
    /// For each carried column of the output, its index in this input.
    pub column_map: Vec<Option<usize>>,
}

impl InputMeta {
    /// The binding for the `i`-th rule set given to [`open`].
    pub fn binding_for(&self, i: usize) -> Option<&Binding> {
        match i {
            0 => Some(&self.binding),
            _ => self.others.get(i - 1),
        }
    }
}

/// All inputs of a pass and the union of their columns.
pub struct Inputs {
    pub readers: Vec<InputReader>,
    pub metas: Vec<InputMeta>,
    /// Columns carried into the output: the union, first-seen order.
    pub columns: Vec<String>,
}

/// Something found while opening the inputs, in the order met.
#[derive(Debug)]
pub enum OpenEvent {
    /// An input could not be opened (the pass fails).
    Unreadable(InputError),
    /// An input's columns bind the rule set named `label` (`""` for the only
    /// one), with these warnings.
    Warnings {
        label: String,
        warnings: Vec<BindWarning>,
    },
    /// An input's columns do not bind the rule set named `label` (the pass
    /// fails).
    Unbound {
        label: String,
        errors: Vec<BindError>,
    },
    /// The header was found on `line`, below rows that do not hold the
    /// required fields' columns (a title); those rows were skipped.
    HeaderBelow { name: String, line: u64 },
    /// Input columns that have the names of columns outsort adds, when
    /// they may not be overwritten (the pass fails).
    Clash(Vec<String>),
}

impl OpenEvent {
    /// Whether the pass cannot go on.
    pub fn is_error(&self) -> bool {
        !matches!(
            self,
            OpenEvent::Warnings { .. } | OpenEvent::HeaderBelow { .. }
        )
    }
}

/// The field specifications the readers bind.
pub fn field_specs(program: &Program) -> Vec<FieldSpec> {
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

/// Opens every input (`-` is standard input) and binds it to each rule set,
/// each named for its messages. `reserved` are the column names outsort
/// adds: an input column with one of those names is an error unless
/// `overwrite`, which drops the input's column. The inputs come back unless
/// an event is an error.
pub fn open(
    programs: &[(&str, &Program)],
    names: &[String],
    options: &InputOptions,
    reserved: &[String],
    overwrite: bool,
) -> (Option<Inputs>, Vec<OpenEvent>) {
    let specs: Vec<(&str, Vec<FieldSpec>)> = programs
        .iter()
        .map(|(label, p)| (*label, field_specs(p)))
        .collect();
    // A header below a title row is found by the first rule set's required
    // fields.
    let options = &InputOptions {
        header_fields: specs
            .first()
            .map(|(_, s)| {
                s.iter()
                    .filter(|f| !f.optional && !f.has_default)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default(),
        ..options.clone()
    };
    let mut events = Vec::new();
    let mut readers = Vec::new();
    let mut metas = Vec::new();
    let mut union: Vec<String> = Vec::new();
    let mut in_union: HashSet<String> = HashSet::new();
    for name in names {
        let source = InputSource::from_arg(name);
        let reader = match InputReader::open(&source, options) {
            Ok(r) => r,
            Err(e) => {
                events.push(OpenEvent::Unreadable(e));
                continue;
            }
        };
        let info = reader.info().clone();
        if let (Some(line), None) = (info.header_line, options.header_row) {
            events.push(OpenEvent::HeaderBelow {
                name: info.name.clone(),
                line,
            });
        }
        let mut bindings = Vec::new();
        for (label, specs) in &specs {
            match Binding::new(specs, &info) {
                Ok((binding, warnings)) => {
                    if !warnings.is_empty() {
                        events.push(OpenEvent::Warnings {
                            label: label.to_string(),
                            warnings,
                        });
                    }
                    bindings.push(binding);
                }
                Err(errors) => events.push(OpenEvent::Unbound {
                    label: label.to_string(),
                    errors,
                }),
            }
        }
        if bindings.len() != specs.len() {
            continue;
        }
        let mut bindings = bindings.into_iter();
        let Some(binding) = bindings.next() else {
            continue;
        };
        for c in &info.columns {
            if in_union.insert(c.clone()) {
                union.push(c.clone());
            }
        }
        readers.push(reader);
        metas.push(InputMeta {
            index: metas.len(),
            name: source.name(),
            binding,
            others: bindings.collect(),
            columns: info.columns,
            column_map: Vec::new(),
        });
    }
    if events.iter().any(OpenEvent::is_error) {
        return (None, events);
    }
    let reserved: HashSet<&str> = reserved.iter().map(String::as_str).collect();
    let clashes: Vec<String> = union
        .iter()
        .filter(|c| reserved.contains(c.as_str()))
        .cloned()
        .collect();
    if !clashes.is_empty() {
        if overwrite {
            union.retain(|c| !reserved.contains(c.as_str()));
        } else {
            events.push(OpenEvent::Clash(clashes));
            return (None, events);
        }
    }
    for m in &mut metas {
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(m.columns.len());
        for (i, c) in m.columns.iter().enumerate() {
            first.entry(c.as_str()).or_insert(i);
        }
        m.column_map = union
            .iter()
            .map(|c| first.get(c.as_str()).copied())
            .collect();
    }
    let inputs = Inputs {
        readers,
        metas,
        columns: union,
    };
    (Some(inputs), events)
}
