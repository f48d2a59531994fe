//! Analysis windows.
//!
//! Windows are *periodic* by default (the DFT-even form used by `scipy.signal.get_window` with
//! `fftbins=True`, and so by librosa): `w[n] = f(n / N)` for `n = 0..N`. The symmetric form
//! `w[n] = f(n / (N - 1))` is available for filter design.
//!
//! # References
//! - F. J. Harris, "On the use of windows for harmonic analysis with the discrete Fourier
//!   transform", Proc. IEEE 66(1), 1978.

use std::f64::consts::PI;

use crate::error::{AnalyzerError, Result};

/// The window shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum WindowType {
    /// `0.5 - 0.5 cos(2πx)`: the default, as in librosa.
    #[default]
    Hann,
    /// `0.54 - 0.46 cos(2πx)`.
    Hamming,
    /// Classic Blackman, `0.42 - 0.5 cos(2πx) + 0.08 cos(4πx)`.
    Blackman,
    /// 4-term Blackman-Harris (-92 dB side lobes), used by Essentia's spectral peaks.
    BlackmanHarris,
    /// All ones.
    Rectangular,
}

impl WindowType {
    /// Parses the names used by librosa/scipy (`"hann"`, `"hamming"`, `"blackman"`,
    /// `"blackmanharris"`, `"boxcar"`/`"rectangular"`).
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for any other name.
    pub fn from_name(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "hann" | "hanning" => Ok(WindowType::Hann),
            "hamming" => Ok(WindowType::Hamming),
            "blackman" => Ok(WindowType::Blackman),
            "blackmanharris" | "blackman-harris" | "blackman_harris" => Ok(WindowType::BlackmanHarris),
            "boxcar" | "rectangular" | "rect" | "ones" => Ok(WindowType::Rectangular),
            other => Err(AnalyzerError::invalid("window", format!("unknown window `{other}`"))),
        }
    }

    fn eval(self, x: f64) -> f64 {
        let c = |k: f64| (2.0 * PI * k * x).cos();
        match self {
            WindowType::Hann => 0.5 - 0.5 * c(1.0),
            WindowType::Hamming => 0.54 - 0.46 * c(1.0),
            WindowType::Blackman => 0.42 - 0.5 * c(1.0) + 0.08 * c(2.0),
            WindowType::BlackmanHarris => 0.35875 - 0.48829 * c(1.0) + 0.14128 * c(2.0) - 0.01168 * c(3.0),
            WindowType::Rectangular => 1.0,
        }
    }
}

/// Builds a periodic window of length `n` (for spectral analysis).
pub fn periodic(kind: WindowType, n: usize) -> Vec<f32> {
    (0..n).map(|i| kind.eval(i as f64 / n as f64) as f32).collect()
}

/// Builds a symmetric window of length `n` (for filter design).
pub fn symmetric(kind: WindowType, n: usize) -> Vec<f32> {
    match n {
        0 => Vec::new(),
        1 => vec![1.0],
        _ => (0..n).map(|i| kind.eval(i as f64 / (n - 1) as f64) as f32).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hann_periodic_matches_formula_and_sums_to_half() {
        let w = periodic(WindowType::Hann, 8);
        assert_eq!(w[0], 0.0);
        assert!((w[4] - 1.0).abs() < 1e-7);
        let s: f32 = w.iter().sum();
        assert!((s - 4.0).abs() < 1e-5, "periodic Hann sums to N/2, got {s}");
    }

    #[test]
    fn symmetric_is_symmetric_and_peaks_at_one() {
        for kind in [WindowType::Hann, WindowType::Hamming, WindowType::Blackman, WindowType::BlackmanHarris] {
            let w = symmetric(kind, 33);
            for i in 0..33 {
                assert!((w[i] - w[32 - i]).abs() < 1e-6);
            }
            assert!((w[16] - 1.0).abs() < 1e-6, "{kind:?} peak {}", w[16]);
        }
        assert!(symmetric(WindowType::Hann, 0).is_empty());
        assert_eq!(symmetric(WindowType::Hann, 1), vec![1.0]);
    }

    #[test]
    fn names_parse_and_unknown_is_typed_error() {
        assert_eq!(WindowType::from_name("HANN").unwrap(), WindowType::Hann);
        assert_eq!(WindowType::from_name("boxcar").unwrap(), WindowType::Rectangular);
        let err = WindowType::from_name("kaiser-ish").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidParameter);
    }
}
