//! Benchmarks live in `api.rs`; run them with `cargo bench -p benches`.
