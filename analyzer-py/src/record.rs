//! The batch CLI's per-track record, for pipelines that read the bytes themselves (the Beam
//! transform in `audio_analyzer.beam`).
//!
//! The record is built by `analyzer_cli::track::analyze_hashed_with`, the function behind every
//! `audio-analyzer analyze` record, and serialized with the CLI's serde schema; the column
//! types come from the CLI's Parquet schema. Nothing about the schema is restated here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use analyzer_cli::output::parquet;
use analyzer_cli::track::{self, Content, HashedFile, TrackInput, TrackOptions};
use analyzer_core::AnalyzerError;
use analyzer_core::analysis::Analyzer;
use analyzer_core::audio::{self, LoadConfig};
use arrow_schema::DataType;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// Runs `f` with the GIL released; a failure becomes the mapped Python exception with a `kind`
/// attribute holding the CLI's error kind (`decode`, `unsupported_format`, `empty`, ...).
fn run_with_kind<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, AnalyzerError> + Send,
{
    let outcome = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    let err = match outcome {
        Ok(Ok(v)) => return Ok(v),
        Ok(Err(e)) => e,
        Err(panic) => AnalyzerError::from_panic(panic),
    };
    let kind = err.kind().as_str();
    let py_err = crate::map_error(py, err);
    py_err.value(py).setattr("kind", kind)?;
    Err(py_err)
}

/// The options of a `track_record` call that shape its analyzer: `sr` and `max_duration` (as
/// bits, so that the key is hashable).
type AnalyzerKey = (u32, Option<u64>);

/// Analyzers built so far, one per option set: a Beam worker calls `track_record` once per
/// file with the same options, and the plans (FFTs, filterbanks) are built once, not per file.
/// A pipeline uses one or two option sets, so the map stays tiny.
fn cached_analyzer(sr: u32, max_duration: Option<f64>) -> Result<Arc<Analyzer>, AnalyzerError> {
    static CACHE: Mutex<Option<HashMap<AnalyzerKey, Arc<Analyzer>>>> = Mutex::new(None);
    let key = (sr, max_duration.map(f64::to_bits));
    let mut guard = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(a) = map.get(&key) {
        return Ok(Arc::clone(a));
    }
    let load = LoadConfig {
        sr: Some(sr),
        max_duration_s: max_duration.or(LoadConfig::default().max_duration_s),
        truncate_long_input: max_duration.is_some(),
        ..LoadConfig::default()
    };
    let opts = TrackOptions { load, ..TrackOptions::default() };
    opts.validate()?;
    let analyzer = Arc::new(opts.analyzer()?);
    map.insert(key, Arc::clone(&analyzer));
    Ok(analyzer)
}

/// BLAKE3 of `data`, 64 lowercase hex digits: the records' `content_hash`.
#[pyfunction]
pub(crate) fn content_hash(py: Python<'_>, data: &[u8]) -> PyResult<String> {
    run_with_kind(py, || Ok(audio::content_hash_bytes(data)))
}

/// The `audio-analyzer analyze` record of one file given as bytes: returns
/// `{"record": {...}, "warnings": [...], "decode_seconds": s, "analysis_seconds": s}`.
///
/// `path` is recorded as given and its extension is the format hint; `content_hash` may be
/// passed when already computed (it must be [`content_hash`] of `data`). `sr` and
/// `max_duration` are the CLI's `--sr` and `--max-duration` (truncate with a warning).
/// Checks the options of [`track_record`] (`sr`, `max_duration`) by building their analyzer,
/// which is kept for the records: a Beam transform calls it when the pipeline is built, so a
/// bad option is an error there rather than a dead-letter row per file.
#[pyfunction]
#[pyo3(signature = (*, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128, max_duration = None))]
pub(crate) fn check_record_options(py: Python<'_>, sr: i128, max_duration: Option<f64>) -> PyResult<()> {
    let sr = crate::unsigned(py, "sr", sr)?;
    run_with_kind(py, move || cached_analyzer(sr, max_duration).map(drop))
}

#[pyfunction]
#[pyo3(signature = (data, *, id, path, content_hash = None, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128, max_duration = None))]
pub(crate) fn track_record<'py>(
    py: Python<'py>,
    data: &[u8],
    id: String,
    path: String,
    content_hash: Option<String>,
    sr: i128,
    max_duration: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let sr = crate::unsigned(py, "sr", sr)?;
    let bytes = data.to_vec();
    let analysed = run_with_kind(py, move || {
        let analyzer = cached_analyzer(sr, max_duration)?;
        let file = HashedFile {
            content_hash: content_hash.unwrap_or_else(|| audio::content_hash_bytes(&bytes)),
            size: bytes.len() as u64,
            content: Content::Bytes(bytes),
        };
        let input = TrackInput { id, path: PathBuf::from(path) };
        let a = track::analyze_hashed_with(&input, file, &analyzer)?;
        let json = serde_json::to_string(&a.record)
            .map_err(|e| AnalyzerError::Internal(format!("serializing the record: {e}")))?;
        Ok((json, a.warnings, a.decode_seconds, a.analysis_seconds))
    })?;
    let (json, warnings, decode_seconds, analysis_seconds) = analysed;
    let out = PyDict::new(py);
    out.set_item("record", py.import("json")?.call_method1("loads", (json,))?)?;
    out.set_item("warnings", warnings)?;
    out.set_item("decode_seconds", decode_seconds)?;
    out.set_item("analysis_seconds", analysis_seconds)?;
    Ok(out)
}

/// The pyarrow type name of a CLI Parquet column type.
fn arrow_type_name(dt: &DataType) -> PyResult<&'static str> {
    match dt {
        DataType::Utf8 => Ok("string"),
        DataType::Int64 => Ok("int64"),
        DataType::Int32 => Ok("int32"),
        DataType::Float64 => Ok("float64"),
        other => Err(pyo3::exceptions::PyTypeError::new_err(format!("no pyarrow name for {other:?}"))),
    }
}

/// The record schema of the CLI's outputs: a list of `(name, pyarrow type name, nullable)` in
/// column order, taken from the CLI's Parquet schema.
pub(crate) fn record_schema<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
    let schema = parquet::schema();
    let mut cols = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        cols.push((f.name().clone(), arrow_type_name(f.data_type())?, f.is_nullable()));
    }
    PyList::new(py, cols)
}
