//! Mel filterbank.
//!
//! Triangular filters equally spaced on the mel scale between `fmin` and `fmax`, applied to a
//! magnitude or power spectrum. Filter `m` has corners `f[m], f[m+1], f[m+2]` (the `n_mels + 2`
//! mel-spaced frequencies) and weight at FFT bin frequency `φ`
//! `w_m(φ) = max(0, min((φ − f[m]) / (f[m+1] − f[m]), (f[m+2] − φ) / (f[m+2] − f[m+1])))`.
//! With [`MelNorm::Slaney`] each filter is scaled by `2 / (f[m+2] − f[m])` (constant energy per
//! channel). Defaults and both scales follow librosa's `filters.mel`.
//!
//! Filters are stored sparsely (first bin + weights), and applied with the SIMD dot kernel.
//!
//! # References
//! - S. S. Stevens, J. Volkmann, E. B. Newman, "A scale for the measurement of the psychological
//!   magnitude pitch", JASA 8, 1937.
//! - M. Slaney, "Auditory Toolbox", Interval Research Technical Report 1998-010 (the Slaney scale
//!   and normalisation).
//! - S. Young et al., "The HTK Book" (the HTK formula `2595·log10(1 + f/700)`).

use super::Spectrogram;
use crate::error::{AnalyzerError, Result, check};
use crate::simd::{self, SparseRows};

/// Default number of mel bands (librosa).
pub const DEFAULT_N_MELS: usize = 128;

/// The mel scale formula.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MelScale {
    /// Slaney's: linear below 1 kHz, logarithmic above (librosa's default).
    #[default]
    Slaney,
    /// HTK's `2595·log10(1 + f/700)`.
    Htk,
}

/// Filter normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MelNorm {
    /// Scale each triangle by `2 / bandwidth` (librosa's default `norm="slaney"`).
    #[default]
    Slaney,
    /// Peak value 1.
    None,
}

/// Parameters of the mel filterbank.
#[derive(Debug, Clone, PartialEq)]
pub struct MelConfig {
    /// Sample rate of the analysed signal in Hz.
    pub sr: u32,
    /// FFT size of the spectra the filterbank is applied to.
    pub n_fft: usize,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest frequency in Hz.
    pub fmin: f32,
    /// Highest frequency in Hz; `None` means `sr / 2`.
    pub fmax: Option<f32>,
    /// Mel scale formula.
    pub scale: MelScale,
    /// Filter normalisation.
    pub norm: MelNorm,
}

impl Default for MelConfig {
    fn default() -> Self {
        Self {
            sr: crate::DEFAULT_SAMPLE_RATE,
            n_fft: super::stft::DEFAULT_N_FFT,
            n_mels: DEFAULT_N_MELS,
            fmin: 0.0,
            fmax: None,
            scale: MelScale::Slaney,
            norm: MelNorm::Slaney,
        }
    }
}

impl MelConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.sr == 0 {
            return Err(AnalyzerError::invalid("sr", "must be > 0"));
        }
        check::at_least("n_fft", self.n_fft, 2)?;
        check::at_least("n_mels", self.n_mels, 1)?;
        let fmax = self.fmax.unwrap_or(self.sr as f32 / 2.0);
        check::ordered_range("fmin..fmax", self.fmin, fmax)?;
        if fmax > self.sr as f32 / 2.0 + 1e-3 {
            return Err(AnalyzerError::invalid("fmax", format!("must be <= sr/2 = {}", self.sr as f32 / 2.0)));
        }
        Ok(())
    }
}

/// Hz to mel.
pub fn hz_to_mel(f: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + f / 700.0).log10(),
        MelScale::Slaney => {
            let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
            if f < min_log_hz { f / f_sp } else { min_log_hz / f_sp + (f / min_log_hz).ln() / slaney_logstep() }
        }
    }
}

/// Mel to Hz.
pub fn mel_to_hz(m: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(m / 2595.0) - 1.0),
        MelScale::Slaney => {
            let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
            let min_log_mel = min_log_hz / f_sp;
            if m < min_log_mel { m * f_sp } else { min_log_hz * (slaney_logstep() * (m - min_log_mel)).exp() }
        }
    }
}

fn slaney_logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// A planned mel filterbank.
#[derive(Debug, Clone, PartialEq)]
pub struct MelFilterbank {
    config: MelConfig,
    /// One sparse row per triangular filter, from its first non-zero bin.
    filters: SparseRows,
}

impl MelFilterbank {
    /// Builds the filters.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] if the config does not validate.
    pub fn new(config: MelConfig) -> Result<Self> {
        config.validate()?;
        let fmax = config.fmax.unwrap_or(config.sr as f32 / 2.0) as f64;
        let (lo, hi) = (hz_to_mel(config.fmin as f64, config.scale), hz_to_mel(fmax, config.scale));
        let n_pts = config.n_mels + 2;
        let mel_f: Vec<f64> =
            (0..n_pts).map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_pts - 1) as f64, config.scale)).collect();
        let n_bins = config.n_fft / 2 + 1;
        let bin_hz = config.sr as f64 / config.n_fft as f64;
        let mut filters = SparseRows::new();
        for m in 0..config.n_mels {
            let (f0, f1, f2) = (mel_f[m], mel_f[m + 1], mel_f[m + 2]);
            let enorm = match config.norm {
                MelNorm::Slaney => 2.0 / (f2 - f0),
                MelNorm::None => 1.0,
            };
            let w: Vec<f32> = (0..n_bins)
                .map(|k| {
                    let f = k as f64 * bin_hz;
                    let v = ((f - f0) / (f1 - f0)).min((f2 - f) / (f2 - f1)).max(0.0);
                    (v * enorm) as f32
                })
                .collect();
            let start = w.iter().position(|&v| v > 0.0).unwrap_or(0);
            let end = w.iter().rposition(|&v| v > 0.0).map_or(start, |e| e + 1);
            filters.push_row(start, &w[start..end]);
        }
        Ok(Self { config, filters })
    }

    /// The configuration.
    pub fn config(&self) -> &MelConfig {
        &self.config
    }

    /// Number of bands.
    pub fn n_mels(&self) -> usize {
        self.filters.n_rows()
    }

    /// Dense weight matrix `n_mels × (n_fft/2 + 1)`, row-major (as librosa returns it).
    pub fn dense(&self) -> Vec<f32> {
        let n_bins = self.config.n_fft / 2 + 1;
        let mut out = vec![0.0; self.filters.n_rows() * n_bins];
        for m in 0..self.filters.n_rows() {
            let (start, w) = self.filters.row(m);
            out[m * n_bins + start..m * n_bins + start + w.len()].copy_from_slice(w);
        }
        out
    }

    /// Applies the filterbank to one spectrum (`n_fft/2 + 1` bins) into `out` (`n_mels`).
    ///
    /// # Panics
    /// If the slice lengths do not match the filterbank's shape.
    pub fn apply_frame(&self, spectrum: &[f32], out: &mut [f32]) {
        assert_eq!(spectrum.len(), self.config.n_fft / 2 + 1, "spectrum length");
        assert_eq!(out.len(), self.filters.n_rows(), "output length");
        simd::sparse_dots(spectrum, &self.filters, out);
    }

    /// Applies the filterbank to every frame of a spectrogram.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] if the spectrogram's bin count does not match `n_fft`.
    pub fn apply(&self, spec: &Spectrogram) -> Result<Spectrogram> {
        if spec.n_bins() != self.config.n_fft / 2 + 1 {
            return Err(AnalyzerError::invalid(
                "n_fft",
                format!("filterbank built for {} bins, spectrogram has {}", self.config.n_fft / 2 + 1, spec.n_bins()),
            ));
        }
        let mut out = Spectrogram::new(vec![0.0; spec.n_frames() * self.n_mels()], spec.n_frames(), self.n_mels());
        for t in 0..spec.n_frames() {
            self.apply_frame(spec.frame(t), out.frame_mut(t));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_trip_and_known_values() {
        for scale in [MelScale::Slaney, MelScale::Htk] {
            for f in [0.0, 100.0, 999.0, 1000.0, 4000.0, 11025.0] {
                assert!((mel_to_hz(hz_to_mel(f, scale), scale) - f).abs() < 1e-6);
            }
        }
        // librosa.hz_to_mel(1000) == 15, hz_to_mel(440, htk=True) == 549.64
        assert!((hz_to_mel(1000.0, MelScale::Slaney) - 15.0).abs() < 1e-9);
        assert!((hz_to_mel(440.0, MelScale::Htk) - 549.6387).abs() < 1e-3);
    }

    #[test]
    fn filters_are_triangles_covering_the_band() {
        let cfg = MelConfig { n_mels: 40, n_fft: 2048, norm: MelNorm::None, ..MelConfig::default() };
        let fb = MelFilterbank::new(cfg).unwrap();
        let dense = fb.dense();
        let n_bins = 1025;
        for m in 0..40 {
            let row = &dense[m * n_bins..(m + 1) * n_bins];
            let peak = row.iter().cloned().fold(0.0, f32::max);
            assert!(peak > 0.5 && peak <= 1.0, "band {m} peak {peak}");
        }
        // Interior bins are covered by overlapping triangles summing to ~1 (no norm).
        for k in 50..900 {
            let s: f32 = (0..40).map(|m| dense[m * n_bins + k]).sum();
            assert!((s - 1.0).abs() < 1e-3, "bin {k} coverage {s}");
        }
    }

    #[test]
    fn slaney_norm_and_apply_match_dense_product() {
        let fb = MelFilterbank::new(MelConfig::default()).unwrap();
        let dense = fb.dense();
        let spec: Vec<f32> = (0..1025).map(|k| ((k * 7919) % 101) as f32 / 101.0).collect();
        let mut out = vec![0.0; 128];
        fb.apply_frame(&spec, &mut out);
        for m in 0..128 {
            let want: f64 = (0..1025).map(|k| dense[m * 1025 + k] as f64 * spec[k] as f64).sum();
            assert!((out[m] as f64 - want).abs() <= 1e-5 * want.abs().max(1e-3));
        }
        // Slaney normalisation gives every triangle unit area in Hz: sum_k w[k]·Δf ≈ 1 for
        // bands spanning many bins.
        let bin_hz = 22050.0 / 2048.0;
        for m in 40..128 {
            let area: f32 = dense[m * 1025..(m + 1) * 1025].iter().sum::<f32>() * bin_hz;
            assert!((area - 1.0).abs() < 0.05, "band {m} area {area}");
        }
    }

    #[test]
    fn invalid_configs_rejected_and_shape_mismatch_is_error() {
        assert!(MelFilterbank::new(MelConfig { n_mels: 0, ..MelConfig::default() }).is_err());
        assert!(MelFilterbank::new(MelConfig { fmin: 5000.0, fmax: Some(100.0), ..MelConfig::default() }).is_err());
        assert!(MelFilterbank::new(MelConfig { fmax: Some(20000.0), ..MelConfig::default() }).is_err());
        assert!(MelFilterbank::new(MelConfig { sr: 0, ..MelConfig::default() }).is_err());
        let fb = MelFilterbank::new(MelConfig::default()).unwrap();
        let wrong = Spectrogram::new(vec![0.0; 10 * 513], 10, 513);
        assert!(fb.apply(&wrong).is_err());
        let silent = Spectrogram::new(vec![0.0; 3 * 1025], 3, 1025);
        assert!(fb.apply(&silent).unwrap().data().iter().all(|&x| x == 0.0));
    }
}
