//! The batch machinery behind the `audio-analyzer` binary: the per-track [`record::Record`],
//! input collection, one-track analysis, the decode benchmark, output formats (JSON Lines, CSV, Parquet) with crash
//! safety and resume, incremental snapshots, `merge`, and the parallel runner.
//!
//! The schema of the outputs is documented in `analyzer-cli/SCHEMA.md`.

pub mod batch;
pub mod budget;
pub mod decode_bench;
pub mod inputs;
pub mod merge;
pub mod output;
pub mod record;
pub mod snapshot;
pub mod summary;
pub mod track;
