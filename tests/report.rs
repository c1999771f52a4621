//! The HTML report: self-contained, with every section, one point per task,
//! and as a browser renders it when Chromium is installed.

use std::process::Command;

fn make_report(dir: &std::path::Path) -> String {
    let path = dir.join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_outsort"))
        .args([
            "report",
            "examples/tasks.csv",
            "--weight",
            "hours",
            "--today",
            "2026-11-28",
            "-o",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_report_is_self_contained_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let html = make_report(dir.path());
    for forbidden in ["<script", "<link", "@import", "url(", "src=\""] {
        assert!(
            !html.contains(forbidden),
            "the report must not load anything: {forbidden}"
        );
    }
    // The only address is the SVG namespace, which is a name, not a fetch.
    let addresses = html.matches("http").count();
    assert_eq!(
        addresses,
        html.matches("http://www.w3.org/2000/svg").count()
    );
    for section in [
        "id=\"headline\"",
        "id=\"metrics\"",
        "id=\"chart\"",
        "id=\"findings\"",
        "id=\"tasks\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert_eq!(
        html.matches("<circle").count(),
        60 + 3,
        "a point per task, and the legend's three"
    );
    assert_eq!(
        html.matches("<title>T0").count(),
        60,
        "hover text per point"
    );
    assert!(html.contains("<title>T001 Supplier invoice processing: bpo\nknowledge 1, strategic 10, outsourceability 100</title>"));
    assert!(
        html.contains("1824</div><div>hours (39%)"),
        "bpo hours in the headline"
    );
    assert!(html.contains("<details><summary>routine work, 90% by written procedure"));
}

#[test]
fn a_browser_renders_the_chart_and_tables() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(chromium) = chromium else {
        eprintln!("skipped: Chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    make_report(dir.path());
    let profile = dir.path().join("profile");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!(
            "file://{}",
            dir.path().join("report.html").display()
        ))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg"), "the chart is in the rendered page");
    assert_eq!(dom.matches("<circle").count(), 63);
    assert!(
        dom.matches("<tr>").count() >= 60,
        "the task table is rendered"
    );
}
