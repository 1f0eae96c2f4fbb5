//! amlctl ARM client (being built; see ARCHITECTURE.md).
