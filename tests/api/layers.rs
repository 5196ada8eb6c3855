//! The crate's layers depend one way: HTTP and the features on storage and infrastructure,
//! never the reverse. A lower layer that imported the HTTP error type or the app state would
//! pull the whole application into anything that reads or tests it alone.

use std::path::Path;

/// Storage and infrastructure, what the features are built on, and at the bottom the
/// settings with the command line they are read from.
const LOWER: &[&str] = &[
    "db",
    "cache",
    "jobs",
    "email",
    "observability",
    "time",
    "config",
    "cli",
];

/// The HTTP layer and the features, which the lower layers must not know.
const UPPER: &[&str] = &[
    "admin",
    "assistant",
    "audit",
    "auth",
    "backup",
    "error",
    "events",
    "http",
    "idempotency",
    "startup",
    "state",
    "todos",
    "two_factor",
    "users",
    "web",
];

/// Every `crate::module` a source file names outside its tests.
fn crate_modules(source: &str) -> Vec<&str> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    code.match_indices("crate::")
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

fn sources(path: &Path, found: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            sources(&entry.unwrap().path(), found);
        }
    } else if path.is_file() && path.extension().is_some_and(|ext| ext == "rs") {
        found.push(path.to_owned());
    }
}

#[test]
fn storage_infrastructure_and_settings_never_import_http_or_features() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    let mut upward = Vec::new();
    for layer in LOWER {
        let mut files = Vec::new();
        sources(&src.join(layer), &mut files);
        sources(&src.join(format!("{layer}.rs")), &mut files);
        assert!(!files.is_empty(), "src/{layer} is gone: update this test");
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            for module in crate_modules(&source) {
                if UPPER.contains(&module) {
                    upward.push(format!("{} uses crate::{module}", file.display()));
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} files checked");
    assert!(
        upward.is_empty(),
        "imports that point up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn finds_the_modules_a_file_names() {
    let source =
        "use crate::db::Db;\nfn f() { crate::http::x(); }\n#[cfg(test)]\nuse crate::state;";
    assert_eq!(crate_modules(source), ["db", "http"]);
}
