//! outsort: score business tasks for knowledge intensity, strategic value and
//! outsourceability with a small rule language, and label each BPO, KPO or
//! in-house.

pub mod ast;
pub mod diag;
pub mod syntax;
pub mod value;
