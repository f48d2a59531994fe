//! Spectral peak picking with quadratic interpolation.
//!
//! A peak is a bin `k` with `|X[k−1]| < |X[k]| ≥ |X[k+1]|` inside `[fmin, fmax]` and above an
//! absolute magnitude threshold. Its frequency and magnitude are refined by fitting a parabola
//! through the log magnitudes `α, β, γ` of bins `k−1, k, k+1`:
//! `p = ½(α − γ)/(α − 2β + γ)`, `f = (k + p)·sr/n_fft`, `ln|X| = β − ¼(α − γ)p`.
//! Only the `max_peaks` strongest peaks are kept.
//!
//! # References
//! - J. O. Smith, X. Serra, "PARSHL: an analysis/synthesis program for non-harmonic sounds based
//!   on a sinusoidal representation", ICMC 1987 (quadratic interpolation of spectral peaks).

use crate::error::{AnalyzerError, Result, check};

/// Default lowest peak frequency in Hz.
pub const DEFAULT_PEAK_FMIN: f32 = 60.0;
/// Default highest peak frequency in Hz.
pub const DEFAULT_PEAK_FMAX: f32 = 5000.0;
/// Default number of peaks kept per frame (Essentia's key extractor uses 60–100).
pub const DEFAULT_MAX_PEAKS: usize = 60;
/// Default absolute magnitude threshold.
pub const DEFAULT_PEAK_THRESHOLD: f32 = 1e-5;

/// Parameters of the peak picker.
#[derive(Debug, Clone, PartialEq)]
pub struct PeakConfig {
    /// Sample rate in Hz.
    pub sr: u32,
    /// FFT size of the analysed spectra.
    pub n_fft: usize,
    /// Lowest frequency in Hz.
    pub fmin: f32,
    /// Highest frequency in Hz.
    pub fmax: f32,
    /// Number of strongest peaks kept.
    pub max_peaks: usize,
    /// Peaks below this magnitude are ignored.
    pub threshold: f32,
}

impl Default for PeakConfig {
    fn default() -> Self {
        Self {
            sr: crate::DEFAULT_SAMPLE_RATE,
            n_fft: 4096,
            fmin: DEFAULT_PEAK_FMIN,
            fmax: DEFAULT_PEAK_FMAX,
            max_peaks: DEFAULT_MAX_PEAKS,
            threshold: DEFAULT_PEAK_THRESHOLD,
        }
    }
}

impl PeakConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.sr == 0 {
            return Err(AnalyzerError::invalid("sr", "must be > 0"));
        }
        check::at_least("n_fft", self.n_fft, 4)?;
        check::ordered_range("fmin..fmax", self.fmin, self.fmax)?;
        check::at_least("max_peaks", self.max_peaks, 1)?;
        check::non_negative("threshold", self.threshold)?;
        Ok(())
    }
}

/// One spectral peak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpectralPeak {
    /// Interpolated frequency in Hz.
    pub frequency: f32,
    /// Interpolated linear magnitude.
    pub magnitude: f32,
}

/// Finds the peaks of one magnitude spectrum (`n_fft/2 + 1` bins), replacing the contents of
/// `out`, which ends up sorted by frequency.
pub fn find_peaks(magnitude: &[f32], cfg: &PeakConfig, out: &mut Vec<SpectralPeak>) {
    out.clear();
    let bin_hz = cfg.sr as f32 / cfg.n_fft as f32;
    let lo = ((cfg.fmin / bin_hz).floor() as usize).max(1);
    let hi = ((cfg.fmax / bin_hz).ceil() as usize).min(magnitude.len().saturating_sub(2));
    let ln = |x: f32| x.max(f32::MIN_POSITIVE).ln();
    for k in lo..=hi {
        let (a, b, c) = (magnitude[k - 1], magnitude[k], magnitude[k + 1]);
        if b > cfg.threshold && b > a && b >= c {
            let (la, lb, lc) = (ln(a), ln(b), ln(c));
            let den = la - 2.0 * lb + lc;
            let p = if den < 0.0 { (0.5 * (la - lc) / den).clamp(-0.5, 0.5) } else { 0.0 };
            let frequency = (k as f32 + p) * bin_hz;
            if frequency >= cfg.fmin && frequency <= cfg.fmax {
                out.push(SpectralPeak { frequency, magnitude: (lb - 0.25 * (la - lc) * p).exp() });
            }
        }
    }
    if out.len() > cfg.max_peaks {
        out.select_nth_unstable_by(cfg.max_peaks - 1, |x, y| y.magnitude.total_cmp(&x.magnitude));
        out.truncate(cfg.max_peaks);
        out.sort_unstable_by(|x, y| x.frequency.total_cmp(&y.frequency));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::{Stft, StftConfig};

    fn sines(freqs: &[(f32, f32)], sr: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                freqs.iter().map(|&(f, a)| a * (2.0 * std::f32::consts::PI * f * i as f32 / sr as f32).sin()).sum()
            })
            .collect()
    }

    #[test]
    fn interpolates_frequency_of_off_bin_sines() {
        let cfg = PeakConfig::default();
        let y = sines(&[(441.3, 1.0), (1234.5, 0.5)], cfg.sr, 16384);
        let mag = Stft::new(StftConfig::new(cfg.n_fft, 1024)).unwrap().magnitude(&y);
        let mut peaks = Vec::new();
        find_peaks(mag.frame(mag.n_frames() / 2), &cfg, &mut peaks);
        let strongest = |lo: f32, hi: f32| {
            peaks
                .iter()
                .filter(|p| p.frequency > lo && p.frequency < hi)
                .max_by(|a, b| a.magnitude.total_cmp(&b.magnitude))
                .copied()
                .unwrap()
        };
        let p1 = strongest(400.0, 500.0);
        let p2 = strongest(1200.0, 1300.0);
        // Hann window bin spacing is 5.4 Hz; parabolic interpolation gets well under a bin.
        assert!((p1.frequency - 441.3).abs() < 0.5, "{p1:?}");
        assert!((p2.frequency - 1234.5).abs() < 0.5, "{p2:?}");
        assert!((p1.magnitude / p2.magnitude - 2.0).abs() < 0.1);
    }

    #[test]
    fn keeps_only_strongest_and_handles_silence() {
        let cfg = PeakConfig { max_peaks: 2, ..PeakConfig::default() };
        let y = sines(&[(300.0, 1.0), (700.0, 0.2), (1500.0, 0.6)], cfg.sr, 8192);
        let mag = Stft::new(StftConfig::new(cfg.n_fft, 1024)).unwrap().magnitude(&y);
        let mut peaks = Vec::new();
        find_peaks(mag.frame(4), &cfg, &mut peaks);
        assert_eq!(peaks.len(), 2);
        assert!(peaks[0].frequency < 310.0 && peaks[1].frequency > 1490.0, "{peaks:?}");
        find_peaks(&vec![0.0; 2049], &cfg, &mut peaks);
        assert!(peaks.is_empty());
        find_peaks(&[], &cfg, &mut peaks);
        assert!(peaks.is_empty());
    }

    #[test]
    fn invalid_configs_rejected() {
        assert!(PeakConfig { fmin: 100.0, fmax: 50.0, ..PeakConfig::default() }.validate().is_err());
        assert!(PeakConfig { max_peaks: 0, ..PeakConfig::default() }.validate().is_err());
        assert!(PeakConfig { threshold: f32::NAN, ..PeakConfig::default() }.validate().is_err());
        assert!(PeakConfig { sr: 0, ..PeakConfig::default() }.validate().is_err());
    }
}
