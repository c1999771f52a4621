use super::*;

#[test]
fn reason_drops_the_os_error_number() {
    let e = io::Error::from_raw_os_error(28);
    assert_eq!(reason(&e), "no space left on device");
    let e = io::Error::from_raw_os_error(5);
    assert_eq!(reason(&e), "Input/output error");
}

#[test]
fn descriptors_are_recognised() {
    for p in ["/dev/stdin", "/dev/fd/63", "/proc/self/fd/0"] {
        assert!(is_descriptor(Path::new(p)), "{p}");
    }
    for p in [
        "/dev/fd/",
        "/dev/fd/x",
        "/dev/stdout",
        "stdin",
        "/proc/self/environ",
    ] {
        assert!(!is_descriptor(Path::new(p)), "{p}");
    }
}

#[test]
fn at_reads_its_own_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"0123456789").unwrap();
    let file = std::sync::Arc::new(File::open(&path).unwrap());
    let mut a = At::new(file.clone(), 2, Some(5));
    let mut b = At::new(file, 7, None);
    let mut out = String::new();
    b.read_to_string(&mut out).unwrap();
    assert_eq!(out, "789");
    out.clear();
    a.read_to_string(&mut out).unwrap();
    assert_eq!(out, "234");
}
