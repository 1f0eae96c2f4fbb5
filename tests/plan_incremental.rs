//! `diff::Incremental` fed page by page (as `ops::plan` does while the workspace lists arrive)
//! gives exactly the plan `diff` gives on the whole state, whatever the paging.

mod plan_common;

use amlctl::diff::{Incremental, diff};
use amlctl::model::LiveResource;
use plan_common::*;
use proptest::prelude::*;

fn workspace() -> (amlctl::model::DesiredState, amlctl::model::LiveState) {
    let mut desired = Vec::new();
    let mut live_items = Vec::new();
    for i in 0..40 {
        let name = format!("compute.c{i:02}");
        desired.push(plan_common::desired(
            &name,
            "AmlCompute",
            aml_cluster("Standard_DS3_v2", 4),
        ));
        match i % 4 {
            0 => {}                                                                          // to create
            1 => live_items.push(live(&name, aml_cluster_echo("Standard_DS3_v2", 4), true)), // in sync
            2 => live_items.push(live(&name, aml_cluster_echo("Standard_DS3_v2", 8), true)), // update
            _ => live_items.push(live(&name, aml_cluster_echo("Standard_DS4_v2", 4), true)), // replace
        }
    }
    for i in 0..10 {
        // Not declared: owned (orphaned or pruned) and unowned.
        live_items.push(live(
            &format!("compute.x{i}"),
            aml_cluster_echo("Standard_DS3_v2", 2),
            i % 2 == 0,
        ));
    }
    (desired_state(desired), live_state(live_items))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn paging_never_changes_the_plan(page in 1usize..20, prune in any::<bool>(), rotate in 0usize..50) {
        let (desired, live) = workspace();
        let mut options = opts();
        options.prune = prune;
        let whole = diff(&desired, &live, &options);
        let mut items: Vec<LiveResource> = live.resources.values().cloned().collect();
        let len = items.len();
        items.rotate_left(rotate % len);
        let mut incremental = Incremental::new(&desired, &options);
        for chunk in items.chunks(page) {
            incremental.observe(chunk);
        }
        let paged = incremental.finish(&live);
        prop_assert_eq!(
            serde_json::to_string(&paged).unwrap(),
            serde_json::to_string(&whole).unwrap()
        );
        prop_assert!(whole.has_changes());
    }
}
