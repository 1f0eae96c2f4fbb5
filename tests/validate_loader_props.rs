//! Property tests: the loader and the validator never panic, whatever the bytes.

use std::path::PathBuf;

use amlctl::manifest::{Limits, MemoryTree, load};
use amlctl::validate::validate_tree;
use proptest::prelude::*;

/// YAML-ish text: fragments that exercise indentation, flow collections, anchors and tags.
fn yamlish() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("a: ".to_owned()),
        Just("\n  ".to_owned()),
        Just("- ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("&x ".to_owned()),
        Just("*x".to_owned()),
        Just("!!int ".to_owned()),
        Just("\"q\"".to_owned()),
        Just("type: command\n".to_owned()),
        Just("${{inputs.x}}".to_owned()),
        Just("\t".to_owned()),
        Just("---\n".to_owned()),
        "[a-z0-9:#\\- ]{0,8}",
    ];
    proptest::collection::vec(fragment, 0..64).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn loader_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load(&bytes, Limits::default());
    }

    #[test]
    fn loaded_spans_stay_inside_the_text(text in yamlish()) {
        if let Ok(loaded) = load(text.as_bytes(), Limits::default())
            && let Some(root) = loaded.root
        {
            prop_assert!(root.span.end.byte <= text.len());
            prop_assert!(text.is_char_boundary(root.span.start.byte));
            let _ = root.to_json();
        }
    }

    #[test]
    fn validation_never_panics(text in yamlish()) {
        let mut tree = MemoryTree::new();
        tree.insert("m.yml", text.into_bytes());
        let report = validate_tree(&tree, &[PathBuf::from("m.yml")]);
        prop_assert_eq!(report.files, 1);
    }
}
