//! The loader on arbitrary bytes: must return a tree or an error, never panic, never overflow
//! the stack, and stay within its limits. Run: `cargo +nightly fuzz run load`.
#![no_main]

use amlctl::manifest::{Limits, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(loaded) = load(data, Limits::default())
        && let Some(root) = loaded.root
    {
        let json = root.to_json();
        // Every pointer of the tree maps back to a span inside the text.
        if let Some(map) = json.as_object() {
            for key in map.keys() {
                let span = root.span_at(&amlctl::manifest::push_token("", key));
                assert!(span.end.byte <= loaded.text.len());
            }
        }
    }
});
