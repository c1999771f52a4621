//! The synthetic inventory: N tasks in the layout of examples/tasks.csv, as CSV
//! and as NDJSON, the same tasks in both, deterministic by seed.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The header of examples/tasks.csv.
pub const COLUMNS: [&str; 16] = [
    "id",
    "name",
    "department",
    "category",
    "hours_per_month",
    "hourly_cost",
    "skill",
    "core",
    "data_sensitivity",
    "standardized",
    "regulated",
    "bottleneck",
    "languages",
    "same_day",
    "anonymised",
    "owner",
];

/// Task names; some need quoting in CSV (commas, quotes) as in real exports.
const NAMES: [&str; 16] = [
    "Supplier invoice processing",
    "Month-end close and consolidation",
    "Variance analysis and management reporting",
    "Employee expense report audit",
    "Contract review: NDAs, supplier and reseller agreements",
    "Blog, newsletter and social media content",
    "Product description localisation (DE, FR, ES, IT, NL)",
    "Email and chat support in German, French, Spanish and Italian",
    "Competitor \"share of shelf\" survey",
    "Payroll run and year-end forms",
    "Patient records intake",
    "Vendor master data upkeep",
    "Demand forecasting",
    "IT service desk, first line",
    "Case law research",
    "Order entry from EDI and e-mail",
];

const DEPARTMENTS: [&str; 11] = [
    "Customer Service",
    "Finance",
    "HR",
    "Healthcare Services",
    "IT",
    "Legal",
    "Marketing",
    "Operations",
    "Procurement",
    "R&D",
    "Sales",
];

/// Categories as exports write them, in any case: about a third KPO services,
/// a third BPO services, a third neither.
const CATEGORIES: [&str; 30] = [
    "Market research",
    "Financial analysis",
    "Risk management",
    "Data analytics",
    "Healthcare data",
    "Healthcare research",
    "Legal research",
    "Document review",
    "Content creation",
    "DATA ANALYTICS",
    "Customer service",
    "Data entry",
    "Invoice processing",
    "Accounts payable",
    "Payroll",
    "Claims processing",
    "Order processing",
    "IT helpdesk",
    "Back office",
    "data entry",
    "Accounting close",
    "Architecture",
    "Brand strategy",
    "Complaint handling",
    "Facilities",
    "Key account sales",
    "Litigation",
    "Logistics coordination",
    "Software engineering",
    "Treasury",
];

const HOURS: [u32; 17] = [
    4, 8, 12, 20, 24, 30, 40, 50, 60, 80, 100, 120, 140, 160, 200, 240, 320,
];
const SKILLS: [&str; 5] = ["none", "training", "certification", "degree", "advanced"];
const SKILLS_CAPITALISED: [&str; 5] = ["None", "Training", "Certification", "Degree", "Advanced"];
const STANDARDIZED: [&str; 12] = [
    "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.75", "0.8", "0.85", "0.9", "0.95",
];
const OWNERS: [&str; 8] = [
    "ap-lead@example.com",
    "controller@example.com",
    "fpa@example.com",
    "general-counsel@example.com",
    "cs-manager@example.com",
    "hr-director@example.com",
    "ops-manager@example.com",
    "cto@example.com",
];

/// splitmix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// One task: every cell as text, `None` for an empty cell (CSV) or `null` (JSON).
struct Row {
    id: String,
    name: &'static str,
    department: &'static str,
    category: &'static str,
    hours: u32,
    hourly_cost: String,
    skill: &'static str,
    core: bool,
    sensitivity: Option<&'static str>,
    standardized: &'static str,
    regulated: Option<bool>,
    bottleneck: bool,
    languages: u32,
    same_day: bool,
    anonymised: bool,
    owner: Option<&'static str>,
}

fn row(rng: &mut Rng, i: u64) -> Row {
    let skill = rng.below(SKILLS.len());
    let cost = 28 + rng.below(133);
    Row {
        id: format!("T{:07}", i + 1),
        name: rng.pick(&NAMES),
        department: rng.pick(&DEPARTMENTS),
        category: rng.pick(&CATEGORIES),
        hours: HOURS[rng.below(HOURS.len())],
        hourly_cost: if rng.chance(10) {
            format!("{cost}.5")
        } else {
            cost.to_string()
        },
        skill: if rng.chance(5) {
            SKILLS_CAPITALISED[skill]
        } else {
            SKILLS[skill]
        },
        core: rng.chance(15),
        sensitivity: match rng.below(20) {
            0 | 1 => None,
            2 => Some("High"),
            3 => Some("Medium"),
            4..=9 => Some("medium"),
            10..=11 => Some("high"),
            _ => Some("low"),
        },
        standardized: rng.pick(&STANDARDIZED),
        regulated: match rng.below(20) {
            0 => None,
            1..=3 => Some(true),
            _ => Some(false),
        },
        bottleneck: rng.chance(20),
        languages: match rng.below(20) {
            0 => 2,
            1 => 3,
            2 => 4,
            3 => 5,
            _ => 1,
        },
        same_day: rng.chance(10),
        anonymised: rng.chance(5),
        owner: if rng.chance(40) {
            None
        } else {
            Some(rng.pick(&OWNERS))
        },
    }
}

/// Writes `rows` tasks as CSV and NDJSON into `dir`, unless files for the same
/// rows and seed are there already. Returns the paths (csv, ndjson).
pub fn inventory(dir: &Path, rows: u64, seed: u64) -> io::Result<(PathBuf, PathBuf)> {
    fs::create_dir_all(dir)?;
    let csv_path = dir.join(format!("tasks-{rows}-seed{seed}.csv"));
    let ndjson_path = dir.join(format!("tasks-{rows}-seed{seed}.ndjson"));
    if csv_path.exists() && ndjson_path.exists() {
        return Ok((csv_path, ndjson_path));
    }
    // Written under temporary names and renamed, so an interrupted run leaves
    // no half-written file that a later run would take as complete.
    let csv_tmp = csv_path.with_extension("csv.partial");
    let ndjson_tmp = ndjson_path.with_extension("ndjson.partial");
    let mut csv =
        csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, File::create(&csv_tmp)?));
    let mut nd = BufWriter::with_capacity(1 << 16, File::create(&ndjson_tmp)?);
    csv.write_record(COLUMNS)?;
    let mut rng = Rng(seed);
    for i in 0..rows {
        let r = row(&mut rng, i);
        let hours = r.hours.to_string();
        let languages = r.languages.to_string();
        csv.write_record([
            r.id.as_str(),
            r.name,
            r.department,
            r.category,
            &hours,
            &r.hourly_cost,
            r.skill,
            bool_text(r.core),
            r.sensitivity.unwrap_or(""),
            r.standardized,
            r.regulated.map_or("", bool_text),
            bool_text(r.bottleneck),
            &languages,
            bool_text(r.same_day),
            bool_text(r.anonymised),
            r.owner.unwrap_or(""),
        ])?;
        // Numbers and bools as JSON literals of the same text, so outsort
        // carries the same cell text into its CSV output from either input.
        write!(nd, "{{\"id\":{}", json_string(&r.id))?;
        write!(nd, ",\"name\":{}", json_string(r.name))?;
        write!(nd, ",\"department\":{}", json_string(r.department))?;
        write!(nd, ",\"category\":{}", json_string(r.category))?;
        write!(nd, ",\"hours_per_month\":{hours}")?;
        write!(nd, ",\"hourly_cost\":{}", r.hourly_cost)?;
        write!(nd, ",\"skill\":{}", json_string(r.skill))?;
        write!(nd, ",\"core\":{}", r.core)?;
        write!(
            nd,
            ",\"data_sensitivity\":{}",
            r.sensitivity.map_or("null".into(), json_string)
        )?;
        write!(nd, ",\"standardized\":{}", r.standardized)?;
        write!(
            nd,
            ",\"regulated\":{}",
            r.regulated.map_or("null", bool_text)
        )?;
        write!(nd, ",\"bottleneck\":{}", r.bottleneck)?;
        write!(nd, ",\"languages\":{languages}")?;
        write!(nd, ",\"same_day\":{}", r.same_day)?;
        write!(nd, ",\"anonymised\":{}", r.anonymised)?;
        writeln!(
            nd,
            ",\"owner\":{}}}",
            r.owner.map_or("null".into(), json_string)
        )?;
    }
    csv.flush()?;
    drop(csv);
    nd.flush()?;
    drop(nd);
    fs::rename(&csv_tmp, &csv_path)?;
    fs::rename(&ndjson_tmp, &ndjson_path)?;
    Ok((csv_path, ndjson_path))
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}
