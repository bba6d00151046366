//! Embeds `migrations/` into the binary: a release binary needs no files beside it.
// A build script reports failure by panicking; it runs at build time, never on a request path.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::fs;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    for (folder, backend) in
        [("", "None"), ("postgres", "Some(Backend::Postgres)"), ("sqlite", "Some(Backend::Sqlite)")]
    {
        let dir = root.join(folder);
        // Only folders that exist: cargo counts a missing path as changed, which reran this
        // script (and recompiled the server) on every build. A folder added later changes
        // `migrations/` itself, which is watched.
        let Ok(read) = fs::read_dir(&dir) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", dir.display());
        for entry in read.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("sql") {
                continue;
            }
            // Each file too: an edited migration must be re-embedded (its checksum is checked).
            println!("cargo:rerun-if-changed={}", path.display());
            let file = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
            let (version, name) = file.split_once('_').unwrap_or((&file, ""));
            let version: i64 = version.parse().unwrap_or_else(|_| panic!("migration {file} must start with a number"));
            let abs = fs::canonicalize(&path).expect("migration path");
            entries.push((
                version,
                format!(
                    "Migration {{ version: {version}, name: {name:?}, backend: {backend}, sql: include_str!({:?}) }},",
                    abs.display().to_string()
                ),
            ));
        }
    }
    entries.sort_by_key(|(v, _)| *v);
    for pair in entries.windows(2) {
        assert!(pair[0].0 != pair[1].0, "two migrations share version {}", pair[0].0);
    }
    let body: Vec<String> = entries.into_iter().map(|(_, line)| line).collect();
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    fs::write(out, format!("pub static MIGRATIONS: &[Migration] = &[\n{}\n];\n", body.join("\n")))
        .expect("write migrations.rs");
}
