//! The `audio_analyzer._core` extension module.
//!
//! Conversions and error mapping only: every computation lives in `analyzer-core`. Work that
//! takes time runs with the GIL released through [`run_detached`], the one place that also maps
//! core errors (and any panic) to the Python exception hierarchy.

use std::path::PathBuf;

mod batch;
mod record;
mod samples;

use std::sync::Mutex;

use analyzer_core::analysis::{AnalysisConfig, Analyzer, TrackAnalysis};
use analyzer_core::audio::{self, LoadConfig};
use analyzer_core::spectral::{PadMode, Stft, StftConfig, WindowType};
use analyzer_core::{AnalyzerError, ErrorKind};
use analyzer_core::{rhythm, tonal};
use numpy::ndarray::Array2;
use numpy::{Complex32, PyArray1, PyArray2};
use pyo3::IntoPyObject;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyTuple, PyType};

/// The exception classes, created once per interpreter (ParameterError, ReadError and
/// NotFoundError have two bases, which `create_exception!` cannot express).
struct Exceptions {
    analyzer: Py<PyType>,
    decode: Py<PyType>,
    unsupported: Py<PyType>,
    parameter: Py<PyType>,
    limit: Py<PyType>,
    read: Py<PyType>,
    not_found: Py<PyType>,
}

static EXCEPTIONS: PyOnceLock<Exceptions> = PyOnceLock::new();

fn make_class(py: Python<'_>, name: &str, doc: &str, bases: Vec<Bound<'_, PyAny>>) -> PyResult<Py<PyType>> {
    let ns = PyDict::new(py);
    ns.set_item("__module__", "audio_analyzer")?;
    ns.set_item("__doc__", doc)?;
    let cls = py.import("builtins")?.getattr("type")?.call1((name, PyTuple::new(py, bases)?, ns))?;
    Ok(cls.cast_into::<PyType>()?.unbind())
}

fn exceptions(py: Python<'_>) -> PyResult<&Exceptions> {
    EXCEPTIONS.get_or_try_init(py, || {
        let base = make_class(
            py,
            "AnalyzerError",
            "Root of every error raised by audio_analyzer.",
            vec![py.get_type::<pyo3::exceptions::PyException>().into_any()],
        )?;
        let sub = |name: &str, doc: &str, extra: Option<Bound<'_, PyAny>>| {
            let mut bases = vec![base.bind(py).clone().into_any()];
            bases.extend(extra);
            make_class(py, name, doc, bases)
        };
        let read = sub(
            "ReadError",
            "The input cannot be read: an I/O error (also an OSError, with `errno`, `strerror` and \
             `filename` when the system gave an error number).",
            Some(py.get_type::<PyOSError>().into_any()),
        )?
        .into_bound(py);
        Ok::<_, PyErr>(Exceptions {
            decode: sub("DecodeError", "The input is corrupt, truncated or holds no audio.", None)?,
            unsupported: sub("UnsupportedFormatError", "The container or codec is not supported.", None)?,
            parameter: sub(
                "ParameterError",
                "A parameter is out of range (also a ValueError).",
                Some(py.get_type::<pyo3::exceptions::PyValueError>().into_any()),
            )?,
            limit: sub("LimitExceededError", "The input exceeds a configured resource limit.", None)?,
            read: read.clone().unbind(),
            not_found: make_class(
                py,
                "NotFoundError",
                "The input file does not exist (also a FileNotFoundError).",
                vec![read.into_any(), py.get_type::<PyFileNotFoundError>().into_any()],
            )?,
            analyzer: base,
        })
    })
}

fn raise(py: Python<'_>, cls: &Py<PyType>, msg: String) -> PyErr {
    PyErr::from_type(cls.bind(py).clone(), msg)
}

/// A `ParameterError` with `msg`.
fn parameter_error(py: Python<'_>, msg: String) -> PyErr {
    match exceptions(py) {
        Ok(e) => raise(py, &e.parameter, msg),
        Err(e) => e,
    }
}

/// An unsigned integer argument (`sr`, `n_fft`, `workers`, `max_decoded_bytes`, …), taken from
/// Python as an `i128`: pyo3's own conversion to an unsigned type raises `OverflowError` for a
/// negative int, this a `ParameterError` (a `ValueError`) naming the argument, as every other
/// out-of-range parameter does. A value that is not an int still raises `TypeError`.
fn unsigned<T: TryFrom<i128>>(py: Python<'_>, name: &'static str, value: i128) -> PyResult<T> {
    T::try_from(value).map_err(|_| {
        let why = if value < 0 { format!("must be >= 0, got {value}") } else { format!("{value} is too large") };
        map_error(py, AnalyzerError::invalid(name, why))
    })
}

/// [`unsigned`] for an optional argument.
fn unsigned_opt<T: TryFrom<i128>>(py: Python<'_>, name: &'static str, value: Option<i128>) -> PyResult<Option<T>> {
    value.map(|v| unsigned(py, name, v)).transpose()
}

/// Maps a core error to its Python exception.
fn map_error(py: Python<'_>, err: AnalyzerError) -> PyErr {
    let msg = err.to_string();
    let exc = match exceptions(py) {
        Ok(e) => e,
        Err(e) => return e,
    };
    match err.kind() {
        ErrorKind::NotFound => os_error(py, &exc.not_found, &err, msg),
        ErrorKind::Io => os_error(py, &exc.read, &err, msg),
        ErrorKind::InvalidParameter => raise(py, &exc.parameter, msg),
        ErrorKind::UnsupportedFormat | ErrorKind::NoAudioTrack => raise(py, &exc.unsupported, msg),
        ErrorKind::Decode | ErrorKind::Empty => raise(py, &exc.decode, msg),
        ErrorKind::LimitExceeded => raise(py, &exc.limit, msg),
        _ => raise(py, &exc.analyzer, msg),
    }
}

/// An I/O error as `cls` (an `OSError` subclass) built as Python builds its own,
/// `cls(errno, strerror, filename)`, so `errno`, `strerror` and `filename` are set; with only
/// `msg` when the error carries no system error number.
fn os_error(py: Python<'_>, cls: &Py<PyType>, err: &AnalyzerError, msg: String) -> PyErr {
    let AnalyzerError::Io { path, source } = err else { return raise(py, cls, msg) };
    let Some(errno) = source.raw_os_error() else { return raise(py, cls, msg) };
    let strerror = py
        .import("os")
        .and_then(|os| os.getattr("strerror")?.call1((errno,))?.extract::<String>())
        .unwrap_or_else(|_| source.to_string());
    let filename = path.as_ref().map(|p| p.as_os_str().to_os_string());
    PyErr::from_type(cls.bind(py).clone(), (errno, strerror, filename))
}

/// Runs `f` with the GIL released, mapping core errors and panics to Python exceptions.
fn run_detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> Result<T, AnalyzerError> + Send,
{
    let outcome = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    match outcome {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(map_error(py, e)),
        Err(panic) => Err(map_error(py, AnalyzerError::from_panic(panic))),
    }
}

/// The resource limits a Python caller sets (`max_duration` seconds and `max_decoded_bytes`;
/// `None` lifts a limit), applied to a [`LoadConfig`].
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_duration: Option<f64>,
    max_decoded_bytes: Option<u64>,
}

impl Limits {
    /// The limits, or a `ParameterError` naming the Python argument (the core would name its
    /// config field, `max_duration_s`).
    fn new(py: Python<'_>, max_duration: Option<f64>, max_decoded_bytes: Option<i128>) -> PyResult<Self> {
        if let Some(d) = max_duration
            && !(d.is_finite() && d > 0.0)
        {
            let why = format!("must be finite and > 0 (None for no limit), got {d}");
            return Err(map_error(py, AnalyzerError::invalid("max_duration", why)));
        }
        Ok(Self { max_duration, max_decoded_bytes: unsigned_opt(py, "max_decoded_bytes", max_decoded_bytes)? })
    }

    fn apply(self, cfg: &mut LoadConfig) {
        cfg.max_duration_s = self.max_duration;
        cfg.max_decoded_bytes = self.max_decoded_bytes;
    }
}

/// What `load` can read.
enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>, Option<String>),
}

fn extract_source(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    try_extract_source(obj)?.ok_or_else(|| {
        PyTypeError::new_err("source must be a path (str or os.PathLike), bytes, or a binary file object")
    })
}

/// The bytes of a bytes-like object (`bytes`, `bytearray`, `memoryview`, …), not of a list.
fn bytes_like(obj: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Some(b.as_bytes().to_vec());
    }
    if obj.is_instance_of::<pyo3::types::PyList>() {
        return None;
    }
    obj.extract::<Vec<u8>>().ok()
}

/// An encoded source, or `None` when `obj` is of no type that can hold one.
fn try_extract_source(obj: &Bound<'_, PyAny>) -> PyResult<Option<Source>> {
    // Bytes first: a path may be given as bytes too (`os.fspath(b"...")`), but bytes are data here.
    if let Some(v) = bytes_like(obj) {
        return Ok(Some(Source::Bytes(v, None)));
    }
    if let Ok(p) = obj.extract::<PathBuf>() {
        return Ok(Some(Source::Path(p)));
    }
    if obj.hasattr("read")? {
        let data = obj.call_method0("read")?;
        let bytes = bytes_like(&data)
            .ok_or_else(|| PyTypeError::new_err("file object's read() must return bytes (open it in 'rb' mode)"))?;
        let ext = obj
            .getattr("name")
            .ok()
            .and_then(|n| n.extract::<PathBuf>().ok())
            .and_then(|p| p.extension().map(|e| e.to_string_lossy().into_owned()));
        return Ok(Some(Source::Bytes(bytes, ext)));
    }
    Ok(None)
}

/// Decodes audio to a mono float32 array at `sr` Hz (`sr=None` keeps the file's rate).
#[pyfunction]
#[pyo3(signature = (source, *, sr = Some(analyzer_core::DEFAULT_SAMPLE_RATE as i128), max_duration = Some(audio::DEFAULT_MAX_DURATION_S), max_decoded_bytes = Some(audio::DEFAULT_MAX_DECODED_BYTES as i128)))]
fn load<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    sr: Option<i128>,
    max_duration: Option<f64>,
    max_decoded_bytes: Option<i128>,
) -> PyResult<(Bound<'py, PyArray1<f32>>, u32)> {
    let src = extract_source(source)?;
    let mut cfg = LoadConfig { sr: unsigned_opt(py, "sr", sr)?, ..LoadConfig::default() };
    Limits::new(py, max_duration, max_decoded_bytes)?.apply(&mut cfg);
    let decoded = run_detached(py, move || match src {
        Source::Path(p) => audio::load_path(&p, &cfg),
        Source::Bytes(b, ext) => audio::load_bytes(b, ext.as_deref(), &cfg),
    })?;
    Ok((PyArray1::from_vec(py, decoded.samples), decoded.sample_rate))
}

/// Decodes audio and returns a dict describing the source and the decode.
#[pyfunction]
fn info<'py>(py: Python<'py>, source: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let src = extract_source(source)?;
    let cfg = LoadConfig { sr: None, ..LoadConfig::default() };
    let (decoded, hash) = run_detached(py, move || match src {
        Source::Path(p) => Ok((audio::load_path(&p, &cfg)?, audio::content_hash_path(&p)?)),
        Source::Bytes(b, ext) => {
            let hash = audio::content_hash_bytes(&b);
            Ok((audio::load_bytes(b, ext.as_deref(), &cfg)?, hash))
        }
    })?;
    let d = PyDict::new(py);
    let s = &decoded.source;
    d.set_item("duration", s.duration_seconds())?;
    d.set_item("sample_rate", s.sample_rate)?;
    d.set_item("channels", s.channels)?;
    d.set_item("codec", &s.codec)?;
    d.set_item("container", &s.container)?;
    d.set_item("n_frames", s.n_frames)?;
    d.set_item("content_hash", hash)?;
    d.set_item("warnings", &decoded.warnings)?;
    Ok(d)
}

fn pad_mode_from_name(name: &str) -> Result<PadMode, AnalyzerError> {
    match name {
        "constant" => Ok(PadMode::Constant),
        "reflect" => Ok(PadMode::Reflect),
        other => Err(AnalyzerError::invalid("pad_mode", format!("unknown pad mode `{other}` (constant, reflect)"))),
    }
}

/// Short-time Fourier transform; returns complex64 of shape `(1 + n_fft // 2, n_frames)`
/// (librosa's layout). `y` is converted as [`samples::samples_1d`] says.
#[pyfunction]
#[pyo3(signature = (y, *, n_fft = 2048, hop_length = None, win_length = None, window = "hann", center = true, pad_mode = "constant"))]
#[allow(clippy::too_many_arguments)]
fn stft<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    n_fft: i128,
    hop_length: Option<i128>,
    win_length: Option<i128>,
    window: &str,
    center: bool,
    pad_mode: &str,
) -> PyResult<Bound<'py, PyArray2<Complex32>>> {
    let n_fft: usize = unsigned(py, "n_fft", n_fft)?;
    let hop_length: Option<usize> = unsigned_opt(py, "hop_length", hop_length)?;
    let win_length: Option<usize> = unsigned_opt(py, "win_length", win_length)?;
    let samples = samples::samples_1d(y)?;
    let window = window.to_string();
    let pad_mode = pad_mode.to_string();
    let (data, n_frames, n_bins) = run_detached(py, move || {
        let mut cfg = StftConfig::new(n_fft, hop_length.unwrap_or((n_fft / 4).max(1)));
        cfg.win_length = win_length;
        cfg.window = WindowType::from_name(&window)?;
        cfg.center = center;
        cfg.pad_mode = pad_mode_from_name(&pad_mode)?;
        let stft = Stft::new(cfg)?;
        let (data, n_frames) = stft.complex(&samples);
        Ok((data, n_frames, stft.config().n_bins()))
    })?;
    let frames_major = Array2::from_shape_vec((n_frames, n_bins), data).expect("shape matches the STFT output");
    Ok(PyArray2::from_owned_array(py, frames_major.reversed_axes()))
}

/// A source `analyze` accepts: everything `load` reads, plus samples with their rate.
enum AnalysisSource {
    Encoded(Source),
    /// Mono samples at `sr` Hz.
    Samples(Vec<f32>, u32),
}

/// `sr` is the samples' rate, already checked by [`samples_rate`]; a file's own rate is
/// read from it, so `sr` is not used for files.
fn extract_analysis_source(obj: &Bound<'_, PyAny>, sr: Option<u32>) -> PyResult<AnalysisSource> {
    if obj.cast::<numpy::PyUntypedArray>().is_ok() {
        let sr =
            sr.ok_or_else(|| parameter_error(obj.py(), "sr is required when the source is a numpy array".into()))?;
        let samples = samples::samples_mono(obj)?;
        return Ok(AnalysisSource::Samples(samples, sr));
    }
    match try_extract_source(obj)? {
        Some(src) => Ok(AnalysisSource::Encoded(src)),
        None => Err(PyTypeError::new_err(
            "source must be a path (str or os.PathLike), bytes, a binary file object, or a numpy array of samples",
        )),
    }
}

fn run_analysis(src: &AnalysisSource, cfg: &AnalysisConfig) -> Result<TrackAnalysis, AnalyzerError> {
    run_analysis_with(&Analyzer::new(cfg.clone())?, src)
}

/// [`run_analysis`] on a prepared analyzer (plans reused across sources).
fn run_analysis_with(analyzer: &Analyzer, src: &AnalysisSource) -> Result<TrackAnalysis, AnalyzerError> {
    match src {
        AnalysisSource::Encoded(Source::Path(p)) => analyzer.analyze_path(p),
        AnalysisSource::Encoded(Source::Bytes(b, ext)) => analyzer.analyze_bytes(b.clone(), ext.as_deref()),
        AnalysisSource::Samples(y, sr) => analyzer.analyze_samples(y, *sr, 1),
    }
}

/// The analysis of `analyze` and `AnalyzeBatch`: every source, file or samples, is analysed at
/// the core's one analysis rate, so `sr` (the rate of samples) plays no part here.
fn analysis_config(timeline: bool, limits: Limits) -> AnalysisConfig {
    let mut cfg = AnalysisConfig::default().with_timeline(timeline);
    limits.apply(&mut cfg.load);
    cfg
}

/// Converts an analysis to `{"features": {...}, "track": {...}, "analysis": {...} | None}`.
fn analysis_to_py<'py>(py: Python<'py>, a: &TrackAnalysis) -> PyResult<Bound<'py, PyDict>> {
    let f = &a.features;
    let features = PyDict::new(py);
    features.set_item("acousticness", f.acousticness)?;
    features.set_item("danceability", f.danceability)?;
    features.set_item("duration_ms", f.duration_ms)?;
    features.set_item("energy", f.energy)?;
    features.set_item("instrumentalness", f.instrumentalness)?;
    features.set_item("key", f.key)?;
    features.set_item("liveness", f.liveness)?;
    features.set_item("loudness", f.loudness)?;
    features.set_item("mode", f.mode)?;
    features.set_item("speechiness", f.speechiness)?;
    features.set_item("tempo", f.tempo)?;
    features.set_item("time_signature", f.time_signature)?;
    features.set_item("valence", f.valence)?;
    features.set_item("tempo_confidence", f.tempo_confidence)?;
    features.set_item("key_confidence", f.key_confidence)?;
    features.set_item("mode_confidence", f.mode_confidence)?;
    features.set_item("time_signature_confidence", f.time_signature_confidence)?;
    let t = &a.track;
    let track = PyDict::new(py);
    track.set_item("sample_rate", t.source.sample_rate)?;
    track.set_item("channels", t.source.channels)?;
    track.set_item("codec", &t.source.codec)?;
    track.set_item("container", &t.source.container)?;
    track.set_item("duration", t.source.duration_seconds())?;
    track.set_item("analysis_sample_rate", t.analysis_sample_rate)?;
    track.set_item("num_samples", t.num_samples)?;
    track.set_item("content_hash", &t.content_hash)?;
    track.set_item("analyzer_version", t.analyzer_version)?;
    track.set_item("warnings", &t.warnings)?;
    let out = PyDict::new(py);
    out.set_item("features", features)?;
    if let Some(loud) = &t.loudness {
        track.set_item("integrated_lufs", loud.integrated_lufs)?;
        track.set_item("loudness_range_lu", loud.loudness_range_lu)?;
        track.set_item("true_peak_dbtp", loud.true_peak_dbtp)?;
    }
    out.set_item("track", track)?;
    // The timeline goes through the core's serde schema (one schema for the CLI and Python).
    match a.audio_analysis() {
        Some(doc) => {
            let json = serde_json::to_string(&doc)
                .map_err(|e| map_error(py, AnalyzerError::Internal(format!("serializing the analysis: {e}"))))?;
            out.set_item("analysis", py.import("json")?.call_method1("loads", (json,))?)?;
        }
        None => out.set_item("analysis", py.None())?,
    }
    Ok(out)
}

/// Analyses one source (path, bytes, binary file object, or numpy samples with `sr`, their
/// rate) and returns a dict with `features`, `track` and `analysis`. Every source is analysed
/// at the core's analysis rate; `sr`, when given, must be a valid sample rate, and is not used
/// for files (they carry their own rate).
#[pyfunction]
#[pyo3(signature = (source, *, sr = None, timeline = true, max_duration = Some(audio::DEFAULT_MAX_DURATION_S), max_decoded_bytes = Some(audio::DEFAULT_MAX_DECODED_BYTES as i128)))]
fn analyze<'py>(
    py: Python<'py>,
    source: &Bound<'py, PyAny>,
    sr: Option<i128>,
    timeline: bool,
    max_duration: Option<f64>,
    max_decoded_bytes: Option<i128>,
) -> PyResult<Bound<'py, PyDict>> {
    let sr = sr.map(|sr| samples_rate(py, sr)).transpose()?;
    let src = extract_analysis_source(source, sr)?;
    let limits = Limits::new(py, max_duration, max_decoded_bytes)?;
    let cfg = analysis_config(timeline, limits);
    let a = run_detached(py, move || run_analysis(&src, &cfg))?;
    analysis_to_py(py, &a)
}

/// A running batch: iterate to get `(index, result_dict_or_None, exception_or_None)` in input
/// order. Work runs on Rust threads with the GIL released; `cancel()` (or dropping the object,
/// or Ctrl-C while iterating) stops the workers after their current file.
#[pyclass(module = "audio_analyzer._core")]
struct AnalyzeBatch {
    inner: Mutex<Option<batch::Batch<TrackAnalysis>>>,
}

impl AnalyzeBatch {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<batch::Batch<TrackAnalysis>>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[pymethods]
impl AnalyzeBatch {
    #[new]
    #[pyo3(signature = (sources, *, workers = 1, sr = None, timeline = false, max_duration = Some(audio::DEFAULT_MAX_DURATION_S), max_decoded_bytes = Some(audio::DEFAULT_MAX_DECODED_BYTES as i128)))]
    fn new(
        sources: &Bound<'_, PyAny>,
        workers: i128,
        sr: Option<i128>,
        timeline: bool,
        max_duration: Option<f64>,
        max_decoded_bytes: Option<i128>,
    ) -> PyResult<Self> {
        let py = sources.py();
        let workers: usize = unsigned(py, "workers", workers)?;
        if workers > batch::MAX_WORKERS {
            return Err(map_error(
                py,
                AnalyzerError::invalid("workers", format!("must be at most {}, got {workers}", batch::MAX_WORKERS)),
            ));
        }
        let sr = sr.map(|sr| samples_rate(py, sr)).transpose()?;
        let limits = Limits::new(py, max_duration, max_decoded_bytes)?;
        let mut items = Vec::new();
        for obj in sources.try_iter()? {
            let obj = obj?;
            // Per-item extraction errors (a wrong type) are raised at once: they are usage errors.
            items.push(extract_analysis_source(&obj, sr)?);
        }
        // One analyzer for every source, so the plans (FFTs, filterbanks) are built once per
        // batch, not per item. An invalid limit is a usage error, raised here.
        let analyzer = Analyzer::new(analysis_config(timeline, limits)).map_err(|e| map_error(py, e))?;
        let batch = batch::Batch::start(items, workers, move |src: &AnalysisSource| run_analysis_with(&analyzer, src));
        Ok(AnalyzeBatch { inner: Mutex::new(Some(batch)) })
    }

    fn __len__(&self) -> usize {
        self.lock().as_ref().map_or(0, |b| b.len())
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let mut guard = self.lock();
        let Some(batch) = guard.as_mut() else { return Ok(None) };
        loop {
            let polled = py.detach(|| batch.poll_next());
            match polled {
                Err(()) => return Ok(None),
                Ok(None) => {
                    if let Err(e) = py.check_signals() {
                        batch.cancel();
                        return Err(e);
                    }
                }
                Ok(Some((index, Ok(a)))) => {
                    let d = analysis_to_py(py, &a)?;
                    return Ok(Some(PyTuple::new(
                        py,
                        [index.into_pyobject(py)?.into_any(), d.into_any(), py.None().into_bound(py)],
                    )?));
                }
                Ok(Some((index, Err(e)))) => {
                    let err = map_error(py, e).into_value(py).into_bound(py).into_any();
                    return Ok(Some(PyTuple::new(
                        py,
                        [index.into_pyobject(py)?.into_any(), py.None().into_bound(py), err],
                    )?));
                }
            }
        }
    }

    /// Stops the workers after their current item and drops the pending results.
    fn cancel(&self, py: Python<'_>) {
        let taken = self.lock().take();
        if let Some(b) = taken {
            py.detach(move || drop(b));
        }
    }

    /// Items delivered so far.
    #[getter]
    fn delivered(&self) -> usize {
        self.lock().as_ref().map_or(0, |b| b.delivered())
    }
}

/// The rate `sr` of samples handed over as an array: `1..=MAX_SOURCE_SAMPLE_RATE`, as for files.
fn samples_rate(py: Python<'_>, sr: i128) -> PyResult<u32> {
    match u32::try_from(sr) {
        Ok(sr) if (1..=audio::MAX_SOURCE_SAMPLE_RATE).contains(&sr) => Ok(sr),
        _ => {
            let why = format!("must be in 1..={} Hz for samples, got {sr}", audio::MAX_SOURCE_SAMPLE_RATE);
            Err(map_error(py, AnalyzerError::invalid("sr", why)))
        }
    }
}

/// `y` (at `sr` Hz) at the analysis rate [`analyzer_core::DEFAULT_SAMPLE_RATE`], which the
/// rhythm and key stages' defaults and fitted models assume, as [`analyze`] does for arrays.
fn at_analysis_rate(y: Vec<f32>, sr: u32) -> Result<Vec<f32>, AnalyzerError> {
    if sr == ANALYSIS_SR {
        return Ok(y);
    }
    audio::resample_mono(&y, sr, ANALYSIS_SR, audio::ResampleQuality::default())
}

/// The rate the array functions below analyse at.
const ANALYSIS_SR: u32 = analyzer_core::DEFAULT_SAMPLE_RATE;

/// Onset strength (SuperFlux, Böck & Widmer 2013) of mono `y` at `sr` Hz: returns
/// `(envelope float32, frame_rate)`; frame `t` is centred at `t / frame_rate` seconds.
///
/// This function and the four after it analyse `y` resampled to [`ANALYSIS_SR`] (when `sr`
/// differs), the rate `analyze` uses: the stages' frame sizes are in samples and their fitted
/// models were trained there (a rock groove given at 44.1 kHz without it came out at twice its
/// tempo, and chords at 192 kHz gave no key).
#[pyfunction]
#[pyo3(signature = (y, *, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128))]
fn onset_strength<'py>(py: Python<'py>, y: &Bound<'py, PyAny>, sr: i128) -> PyResult<(Bound<'py, PyArray1<f32>>, f32)> {
    let sr = samples_rate(py, sr)?;
    let samples = samples::samples_1d(y)?;
    let o = run_detached(py, move || {
        rhythm::onset_strength(&at_analysis_rate(samples, sr)?, ANALYSIS_SR, &rhythm::OnsetConfig::default())
    })?;
    Ok((PyArray1::from_vec(py, o.envelope), o.frame_rate))
}

/// Tempo of mono `y` at `sr` Hz: `(bpm, confidence)`; `(0.0, 0.0)` when there is no pulse or the
/// input is shorter than 2 s.
#[pyfunction]
#[pyo3(signature = (y, *, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128))]
fn tempo(py: Python<'_>, y: &Bound<'_, PyAny>, sr: i128) -> PyResult<(f32, f32)> {
    let sr = samples_rate(py, sr)?;
    let samples = samples::samples_1d(y)?;
    let r = run_detached(py, move || {
        rhythm::analyze_rhythm(&at_analysis_rate(samples, sr)?, ANALYSIS_SR, &rhythm::RhythmConfig::default())
    })?;
    Ok((r.tempo, r.tempo_confidence))
}

/// Beats of mono `y` at `sr` Hz: `(bpm, beat_times float64 seconds, beat_confidence float32)`.
#[pyfunction]
#[pyo3(signature = (y, *, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128))]
#[allow(clippy::type_complexity)]
fn beats<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    sr: i128,
) -> PyResult<(f32, Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f32>>)> {
    let sr = samples_rate(py, sr)?;
    let samples = samples::samples_1d(y)?;
    let r = run_detached(py, move || {
        rhythm::analyze_rhythm(&at_analysis_rate(samples, sr)?, ANALYSIS_SR, &rhythm::RhythmConfig::default())
    })?;
    let times: Vec<f64> = r.beats.iter().map(|b| b.start).collect();
    let conf: Vec<f32> = r.beats.iter().map(|b| b.confidence).collect();
    Ok((r.tempo, PyArray1::from_vec(py, times), PyArray1::from_vec(py, conf)))
}

/// Pitch-class profile (HPCP, Gómez 2006) of mono `y` at `sr` Hz: `(chroma, frame_rate)` with
/// chroma float32 of shape `(12, n_frames)` as librosa, row 0 = C, each frame's strongest class = 1.
#[pyfunction]
#[pyo3(signature = (y, *, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128))]
fn chroma<'py>(py: Python<'py>, y: &Bound<'py, PyAny>, sr: i128) -> PyResult<(Bound<'py, PyArray2<f32>>, f32)> {
    let sr = samples_rate(py, sr)?;
    let samples = samples::samples_1d(y)?;
    let (frames, rate) = run_detached(py, move || {
        tonal::pitch_vectors(&at_analysis_rate(samples, sr)?, ANALYSIS_SR, &tonal::KeyConfig::default())
    })?;
    let n = frames.len();
    let flat: Vec<f32> = frames.into_iter().flatten().collect();
    let frames_major = Array2::from_shape_vec((n, 12), flat).expect("12 pitch classes per frame");
    Ok((PyArray2::from_owned_array(py, frames_major.reversed_axes()), rate))
}

/// Key and mode of mono `y` at `sr` Hz, Spotify's encoding: a dict with `key` (−1…11, 0 = C,
/// −1 none), `mode` (1 major, 0 minor), `key_confidence`, `mode_confidence`.
#[pyfunction]
#[pyo3(signature = (y, *, sr = analyzer_core::DEFAULT_SAMPLE_RATE as i128))]
fn key<'py>(py: Python<'py>, y: &Bound<'py, PyAny>, sr: i128) -> PyResult<Bound<'py, PyDict>> {
    let sr = samples_rate(py, sr)?;
    let samples = samples::samples_1d(y)?;
    let k = run_detached(py, move || {
        tonal::estimate_key(&at_analysis_rate(samples, sr)?, ANALYSIS_SR, &tonal::KeyConfig::default())
    })?;
    let d = PyDict::new(py);
    d.set_item("key", k.key)?;
    d.set_item("mode", k.mode)?;
    d.set_item("key_confidence", k.key_confidence)?;
    d.set_item("mode_confidence", k.mode_confidence)?;
    Ok(d)
}

/// The module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let exc = exceptions(py)?;
    m.add("AnalyzerError", exc.analyzer.bind(py))?;
    m.add("DecodeError", exc.decode.bind(py))?;
    m.add("UnsupportedFormatError", exc.unsupported.bind(py))?;
    m.add("ParameterError", exc.parameter.bind(py))?;
    m.add("LimitExceededError", exc.limit.bind(py))?;
    m.add("ReadError", exc.read.bind(py))?;
    m.add("NotFoundError", exc.not_found.bind(py))?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ANALYZER_VERSION", analyzer_core::ANALYZER_VERSION)?;
    m.add("DEFAULT_SAMPLE_RATE", analyzer_core::DEFAULT_SAMPLE_RATE)?;
    m.add("DEFAULT_MAX_DURATION", audio::DEFAULT_MAX_DURATION_S)?;
    m.add("DEFAULT_MAX_DECODED_BYTES", audio::DEFAULT_MAX_DECODED_BYTES)?;
    // Built with the `test-hooks` feature (tests only): inputs starting with this marker panic
    // inside the core. `None` in a normal build.
    #[cfg(feature = "test-hooks")]
    m.add("_TEST_PANIC_MARKER", PyBytes::new(py, analyzer_core::test_hooks::FORCE_PANIC_MARKER))?;
    #[cfg(not(feature = "test-hooks"))]
    m.add("_TEST_PANIC_MARKER", py.None())?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(stft, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(onset_strength, m)?)?;
    m.add_function(wrap_pyfunction!(tempo, m)?)?;
    m.add_function(wrap_pyfunction!(beats, m)?)?;
    m.add_function(wrap_pyfunction!(chroma, m)?)?;
    m.add_function(wrap_pyfunction!(key, m)?)?;
    m.add_class::<AnalyzeBatch>()?;
    m.add("RECORD_SCHEMA", record::record_schema(py)?)?;
    m.add_function(wrap_pyfunction!(record::content_hash, m)?)?;
    m.add_function(wrap_pyfunction!(record::track_record, m)?)?;
    m.add_function(wrap_pyfunction!(record::check_record_options, m)?)?;
    Ok(())
}
