//! outsort: score business tasks for knowledge intensity, strategic value and
//! outsourceability with a small rule language, and label each BPO, KPO or
//! in-house.

pub mod input;
pub mod value;
