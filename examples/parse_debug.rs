fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = outsort::diag::Sources::new();
    let id = sources.add(path.clone(), text.clone());
    let (items, diags) = outsort::syntax::parse_file(id, &text);
    for i in &items { println!("{i}"); }
    print!("{}", outsort::diag::render_all(&diags, &sources, outsort::diag::Style::Plain));
}
