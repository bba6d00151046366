//! Keeps the features' dependency graph free of cycles (README, "Layers"). A feature is a
//! folder of `app/src` other than `ui` (the shell composes every feature) and `platform`
//! (server plumbing every feature uses). A feature depends on another when one of its files
//! names `crate::<other>`; the graph of those edges must have no cycle, so each feature can be
//! read, tested and changed with only the features below it in mind.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

const NOT_FEATURES: [&str; 2] = ["ui", "platform"];

fn rust_files(dir: &Path, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("readable source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(fs::read_to_string(&path).expect("readable source file"));
        }
    }
}

/// The names after `crate::`, including each name of a `crate::{a, b::c}` group.
fn crate_paths(source: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in source.match_indices("crate::") {
        let rest = &source[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..group.find('}').unwrap_or(group.len())];
            for item in body.split(',') {
                let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    names.insert(name);
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            names.insert(name);
        }
    }
    names
}

fn feature_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let features: BTreeSet<String> = fs::read_dir(&src)
        .expect("app/src")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| !NOT_FEATURES.contains(&name.as_str()))
        .collect();
    let mut graph = BTreeMap::new();
    for feature in &features {
        let mut sources = Vec::new();
        rust_files(&src.join(feature), &mut sources);
        let uses: BTreeSet<String> = sources
            .iter()
            .flat_map(|s| crate_paths(s))
            .filter(|name| name != feature && features.contains(name))
            .collect();
        graph.insert(feature.clone(), uses);
    }
    graph
}

/// A cycle through `node`, if the depth-first search finds one.
fn find_cycle(
    graph: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(start) = path.iter().position(|n| n == node) {
        let mut cycle = path[start..].to_vec();
        cycle.push(node.to_owned());
        return Some(cycle);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_owned());
    for next in graph.get(node).into_iter().flatten() {
        if let Some(cycle) = find_cycle(graph, next, path, done) {
            return Some(cycle);
        }
    }
    path.pop();
    done.insert(node.to_owned());
    None
}

#[test]
fn features_depend_on_each_other_without_cycles() {
    let graph = feature_graph();
    assert!(graph.len() >= 8, "found the feature folders: {graph:?}");
    let mut done = BTreeSet::new();
    for feature in graph.keys() {
        if let Some(cycle) = find_cycle(&graph, feature, &mut Vec::new(), &mut done) {
            panic!("features import each other in a circle: {}\nfull graph: {graph:#?}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_parser_sees_grouped_and_plain_paths() {
    let names = crate_paths("use crate::{cart::model::Cart, catalog};\nlet x = crate::orders::store::get();");
    assert_eq!(names.into_iter().collect::<Vec<_>>(), vec!["cart", "catalog", "orders"]);
}
