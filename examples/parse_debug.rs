fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    match outsort::load_paths(&paths) {
        Ok((p, warns)) => {
            println!("ok: {} fields, {} rules, {} tests, {} warnings", p.fields.len(), p.rules.len(), p.tests.len(), warns.len());
        }
        Err(e) => print!("{}", e.render(outsort::diag::Style::Plain)),
    }
}
