//! Samples given as numpy arrays (or array-likes) to float32: the dtype and shape rules every
//! function taking `y` shares.
//!
//! - Floating point (`float16` … `float64`) is taken as is, full scale ±1.
//! - Integer PCM, as `soundfile` (`dtype="int16"`, …) and `scipy.io.wavfile.read` return it, is
//!   scaled to ±1 by its type's full scale: `int8`, `int16`, `int32`, `int64` divided by 2^(bits−1),
//!   `uint8` (8-bit WAV) centred at 128 and divided by 128. Before, an `int16` array was taken as
//!   floats ±32,768: every level came out 90 dB too loud, with no error.
//! - Other dtypes (`bool`, complex, `uint16` and wider unsigned types, which have no PCM
//!   convention, strings, dates) raise `ParameterError` naming the dtype. Object arrays and
//!   Python lists are converted by numpy to float32 without scaling.
//! - A 2-D array is librosa's `(channels, n)` and is mixed down by the mean; more than
//!   [`MAX_CHANNELS`] rows raise `ParameterError` suggesting `y.T`, since the usual cause is an
//!   `(n, channels)` array as `soundfile` and `scipy` return it, which would otherwise be read
//!   as thousands of channels of a few samples each: a silent, "successful" result.

use analyzer_core::AnalyzerError;
use analyzer_core::audio::MAX_CHANNELS;
use numpy::{AllowTypeChange, PyArrayDescrMethods, PyArrayLike1, PyArrayLike2, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::map_error;

/// The 8-bit unsigned PCM midpoint (silence) and full scale.
const UINT8_MIDPOINT: f32 = 128.0;

fn invalid(py: Python<'_>, msg: String) -> PyErr {
    map_error(py, AnalyzerError::invalid("y", msg))
}

/// `y` as a float32 numpy array plus the affine map `(offset, scale)` that brings its values to
/// full scale ±1 (`v' = (v - offset) * scale`).
fn as_float32<'py>(y: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, f32, f32)> {
    let py = y.py();
    let asarray = py.import("numpy")?.getattr("asarray")?;
    let Ok(array) = y.cast::<PyUntypedArray>() else {
        return Ok((asarray.call1((y, "float32"))?, 0.0, 1.0));
    };
    let dtype = array.dtype();
    let bits = 8 * dtype.itemsize();
    let (offset, scale) = match (dtype.kind(), bits) {
        (b'f' | b'O', _) => (0.0, 1.0),
        (b'i', 8 | 16 | 32 | 64) => (0.0, (0.5f64).powi(bits as i32 - 1) as f32),
        (b'u', 8) => (UINT8_MIDPOINT, 1.0 / UINT8_MIDPOINT),
        _ => {
            return Err(invalid(
                py,
                format!(
                    "samples must be floating point or integer PCM (int8, int16, int32, int64, uint8), got dtype {}",
                    dtype.str()?
                ),
            ));
        }
    };
    Ok((asarray.call1((y, "float32"))?, offset, scale))
}

fn rescale(values: impl Iterator<Item = f32>, offset: f32, scale: f32) -> Vec<f32> {
    if offset == 0.0 && scale == 1.0 { values.collect() } else { values.map(|v| (v - offset) * scale).collect() }
}

fn one_channel(array: &Bound<'_, PyAny>, offset: f32, scale: f32) -> PyResult<Vec<f32>> {
    let a = array.extract::<PyArrayLike1<f32, AllowTypeChange>>()?;
    Ok(rescale(a.as_array().iter().copied(), offset, scale))
}

/// Mono samples from a 1-D `y`.
pub(crate) fn samples_1d(y: &Bound<'_, PyAny>) -> PyResult<Vec<f32>> {
    let (array, offset, scale) = as_float32(y)?;
    match array.cast::<PyUntypedArray>()?.ndim() {
        1 => one_channel(&array, offset, scale),
        ndim => Err(invalid(y.py(), format!("expected 1-D samples, got {ndim}-D"))),
    }
}

/// Mono samples from a 1-D `y` or a 2-D `(channels, n)` one, mixed down by the mean.
pub(crate) fn samples_mono(y: &Bound<'_, PyAny>) -> PyResult<Vec<f32>> {
    let (array, offset, scale) = as_float32(y)?;
    match array.cast::<PyUntypedArray>()?.ndim() {
        1 => one_channel(&array, offset, scale),
        2 => {
            let a = array.extract::<PyArrayLike2<f32, AllowTypeChange>>()?;
            let view = a.as_array();
            let (channels, n) = view.dim();
            if channels == 0 {
                return Err(invalid(y.py(), "a (channels, n) array needs channels >= 1".into()));
            }
            if channels > MAX_CHANNELS {
                return Err(invalid(
                    y.py(),
                    format!(
                        "a (channels, n) array has at most {MAX_CHANNELS} channels, got shape ({channels}, {n}); \
                         pass y.T for an (n, channels) array as soundfile and scipy return it"
                    ),
                ));
            }
            let mixed = (0..n).map(|i| view.column(i).sum() / channels as f32);
            Ok(rescale(mixed, offset, scale))
        }
        ndim => Err(invalid(y.py(), format!("expected 1-D or 2-D samples, got {ndim}-D"))),
    }
}
