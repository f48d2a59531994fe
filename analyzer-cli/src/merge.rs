//! `merge`: folds a full snapshot and daily outputs into a new full snapshot.
//!
//! Inputs are read in the order given (any of the three formats, by extension); for each id the
//! record of the last input that has it wins, at the position where the id was first seen. The
//! result is written atomically (temporary file + rename), so `OUT` may be one of the inputs.

use std::path::{Path, PathBuf};

use crate::output::{self, Format};
use crate::snapshot::Snapshot;

/// What a merge did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeStats {
    /// Records read from all inputs.
    pub records_in: usize,
    /// Records written.
    pub records_out: usize,
    /// Records replaced by a later input's record with the same id.
    pub replaced: usize,
}

/// Why a merge failed.
#[derive(Debug)]
pub enum MergeError {
    /// A file name without a known format extension (a usage error).
    UnknownFormat(PathBuf),
    /// Reading or writing failed.
    Io(String),
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeError::UnknownFormat(p) => {
                write!(f, "{}: unknown format (use .jsonl, .csv or .parquet, or --format)", p.display())
            }
            MergeError::Io(m) => f.write_str(m),
        }
    }
}

fn format_of(path: &Path) -> Result<Format, MergeError> {
    Format::from_path(path).ok_or_else(|| MergeError::UnknownFormat(path.to_path_buf()))
}

/// Merges `inputs` into `output` (format from `format`, else from the extension).
///
/// # Errors
/// [`MergeError`].
pub fn merge(inputs: &[PathBuf], output: &Path, format: Option<Format>) -> Result<MergeStats, MergeError> {
    let out_format = match format {
        Some(f) => f,
        None => format_of(output)?,
    };
    let formats = inputs.iter().map(|p| format_of(p)).collect::<Result<Vec<_>, _>>()?;
    let mut snap = Snapshot::new();
    let mut stats = MergeStats { records_in: 0, records_out: 0, replaced: 0 };
    for (path, fmt) in inputs.iter().zip(formats) {
        let records = output::read_records(path, fmt).map_err(|e| MergeError::Io(format!("reading {e}")))?;
        stats.records_in += records.len();
        for r in records {
            stats.replaced += usize::from(snap.upsert(r));
        }
    }
    stats.records_out = snap.len();
    output::write_atomic(output, out_format, snap.records())
        .map_err(|e| MergeError::Io(format!("writing {}: {e}", output.display())))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Record;

    fn rec(id: &str, hash: &str) -> Record {
        Record { id: id.into(), content_hash: hash.into(), ..Record::default() }
    }

    #[test]
    fn last_write_wins_across_formats() {
        let dir = tempfile::tempdir().unwrap();
        let full = dir.path().join("full.parquet");
        let d1 = dir.path().join("d1.jsonl");
        let d2 = dir.path().join("d2.csv");
        output::write_atomic(&full, Format::Parquet, &[rec("a", "1"), rec("b", "1")]).unwrap();
        output::write_atomic(&d1, Format::Jsonl, &[rec("b", "2"), rec("c", "1")]).unwrap();
        output::write_atomic(&d2, Format::Csv, &[rec("a", "3")]).unwrap();
        let stats = merge(&[full.clone(), d1, d2], &full, None).unwrap();
        assert_eq!(stats, MergeStats { records_in: 5, records_out: 3, replaced: 2 });
        let got = output::read_records(&full, Format::Parquet).unwrap();
        assert_eq!(got, [rec("a", "3"), rec("b", "2"), rec("c", "1")]);
        assert!(matches!(merge(&[dir.path().join("x.txt")], &full, None), Err(MergeError::UnknownFormat(_))));
        assert!(matches!(merge(&[dir.path().join("missing.jsonl")], &full, None), Err(MergeError::Io(_))));
    }
}
