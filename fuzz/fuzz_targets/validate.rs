//! Whole validation of one arbitrary file in memory: diagnostics only, never a panic.
//! Run: `cargo +nightly fuzz run validate`.
#![no_main]

use std::path::PathBuf;

use amlctl::manifest::MemoryTree;
use amlctl::validate::validate_tree;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut tree = MemoryTree::new();
    tree.insert("m.yml", data.to_vec());
    let _ = validate_tree(&tree, &[PathBuf::from("m.yml")]);
});
