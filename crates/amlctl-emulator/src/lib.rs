//! A local emulator of the Azure ML ARM REST API (being built; see ARCHITECTURE.md).
