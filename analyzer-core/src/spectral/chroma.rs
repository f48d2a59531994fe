//! Harmonic pitch-class profile (HPCP) with tuning estimation.
//!
//! For every frame, spectral peaks `(f_i, a_i)` are picked ([`super::peaks`]). Each peak is
//! taken as the `h`-th harmonic (`h = 1 … n_harmonics`) of a fundamental `f_i / h` and adds
//! `a_i² · s^(h−1) · w(d)` to the pitch-class bins around `f_i / h`, where `s` is
//! [`HpcpConfig::harmonic_decay`] and `w(d) = cos²(π·d / l)` for a distance `|d| ≤ l/2`
//! semitones between the fundamental and the bin centre (`l` = [`HpcpConfig::window_semitones`],
//! 4/3 in Gómez 2006). Bin `j` of `size` is centred `12·j/size` semitones above C, relative to
//! the tuned reference `f_ref = reference_hz · 2^(τ/12)`.
//!
//! The tuning `τ ∈ [−0.5, 0.5)` semitones is estimated over the whole signal as the circular
//! mean of every peak's deviation from the equal-tempered grid, weighted by magnitude:
//! `τ = arg(Σ a_i · e^{2πi·c_i}) / 2π`, `c_i = 12·log2(f_i / reference_hz)`.
//!
//! # References
//! - E. Gómez, "Tonal description of music audio signals", PhD thesis, Universitat Pompeu
//!   Fabra, 2006 (HPCP: peak-based, harmonic weighting, cos² window of 4/3 semitone).
//! - T. Fujishima, "Realtime chord recognition of musical sound: a system using Common Lisp
//!   Music", ICMC 1999 (pitch-class profiles).

use super::Spectrogram;
use super::peaks::{self, PeakConfig, SpectralPeak};
use crate::error::{AnalyzerError, Result};

/// Default number of bins per octave.
pub const DEFAULT_HPCP_SIZE: usize = 12;
/// Concert pitch A4 in Hz.
pub const DEFAULT_REFERENCE_HZ: f32 = 440.0;
/// Default number of harmonics each peak contributes to (Essentia's key extractor uses 4).
pub const DEFAULT_N_HARMONICS: usize = 4;
/// Default weight decay per harmonic, `s` in Gómez 2006.
pub const DEFAULT_HARMONIC_DECAY: f32 = 0.6;
/// Default width of the weighting window in semitones (Gómez 2006).
pub const DEFAULT_WINDOW_SEMITONES: f32 = 4.0 / 3.0;
/// Semitones from C up to A.
const C_TO_A_SEMITONES: f32 = 9.0;

/// How a peak is spread over neighbouring bins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HpcpWeighting {
    /// `cos²(π·d/l)` over `|d| ≤ l/2` (Gómez 2006).
    #[default]
    Cosine,
    /// All weight to the nearest bin.
    Nearest,
}

/// Per-frame normalisation of the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum HpcpNormalization {
    /// Strongest bin = 1 (Spotify's `pitches`). All-zero frames stay zero.
    #[default]
    UnitMax,
    /// Bins sum to 1.
    UnitSum,
    /// Raw energies.
    None,
}

/// Parameters of the HPCP.
#[derive(Debug, Clone, PartialEq)]
pub struct HpcpConfig {
    /// Bins per octave: 12, 24, 36, ... (a multiple of 12).
    pub size: usize,
    /// Concert pitch for A4 in Hz before tuning correction.
    pub reference_hz: f32,
    /// Estimate the tuning from the signal; otherwise `reference_hz` is used as is.
    pub estimate_tuning: bool,
    /// Peak picking (also carries `sr` and `n_fft`).
    pub peaks: PeakConfig,
    /// Number of harmonics per peak (≥ 1).
    pub n_harmonics: usize,
    /// Weight decay per harmonic, in (0, 1].
    pub harmonic_decay: f32,
    /// Width of the weighting window in semitones (> 0, ≤ 12).
    pub window_semitones: f32,
    /// Spreading of a peak over bins.
    pub weighting: HpcpWeighting,
    /// Per-frame normalisation.
    pub normalization: HpcpNormalization,
}

impl Default for HpcpConfig {
    fn default() -> Self {
        Self {
            size: DEFAULT_HPCP_SIZE,
            reference_hz: DEFAULT_REFERENCE_HZ,
            estimate_tuning: true,
            peaks: PeakConfig::default(),
            n_harmonics: DEFAULT_N_HARMONICS,
            harmonic_decay: DEFAULT_HARMONIC_DECAY,
            window_semitones: DEFAULT_WINDOW_SEMITONES,
            weighting: HpcpWeighting::Cosine,
            normalization: HpcpNormalization::UnitMax,
        }
    }
}

impl HpcpConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if self.size == 0 || !self.size.is_multiple_of(12) {
            return Err(AnalyzerError::invalid(
                "size",
                format!("must be a positive multiple of 12, got {}", self.size),
            ));
        }
        crate::error::check::positive_f32("reference_hz", self.reference_hz)?;
        self.peaks.validate()?;
        crate::error::check::at_least("n_harmonics", self.n_harmonics, 1)?;
        if !(self.harmonic_decay > 0.0 && self.harmonic_decay <= 1.0) {
            return Err(AnalyzerError::invalid("harmonic_decay", "must be in (0, 1]"));
        }
        if !(self.window_semitones > 0.0 && self.window_semitones <= 12.0) {
            return Err(AnalyzerError::invalid("window_semitones", "must be in (0, 12]"));
        }
        Ok(())
    }
}

/// A pitch-class profile per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Chromagram {
    /// `n_frames × size`; bin 0 is C.
    pub profile: Spectrogram,
    /// Estimated (or assumed) tuning offset in semitones, in [−0.5, 0.5).
    pub tuning: f32,
    /// The tuned reference frequency for A4 in Hz.
    pub reference_hz: f32,
    /// Concentration of the peaks' deviations from the equal-tempered grid, in [0, 1]: the
    /// length of the magnitude-weighted mean resultant (see [`tuning_resultant`]). Near 1
    /// for notes on a stable tuning, near 0 for noise, glides (speech) and drums.
    pub tuning_concentration: f32,
}

/// The spectral peaks of a sequence of frames, stored flat with per-frame offsets (at most
/// [`PeakConfig::max_peaks`] per frame): what [`Hpcp::from_peaks`] needs of a spectrogram.
#[derive(Debug, Clone, PartialEq)]
pub struct FramePeaks {
    all: Vec<SpectralPeak>,
    /// `offsets[t]..offsets[t + 1]` are frame `t`'s peaks.
    offsets: Vec<usize>,
    scratch: Vec<SpectralPeak>,
}

impl Default for FramePeaks {
    fn default() -> Self {
        Self { all: Vec::new(), offsets: vec![0], scratch: Vec::new() }
    }
}

impl FramePeaks {
    /// Finds the peaks of the next frame's magnitudes and appends them.
    pub fn push_frame(&mut self, magnitude: &[f32], cfg: &PeakConfig) {
        peaks::find_peaks(magnitude, cfg, &mut self.scratch);
        self.all.extend_from_slice(&self.scratch);
        self.offsets.push(self.all.len());
    }

    /// Number of frames.
    pub fn n_frames(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The peaks of frame `t`.
    pub fn frame(&self, t: usize) -> &[SpectralPeak] {
        &self.all[self.offsets[t]..self.offsets[t + 1]]
    }

    /// The peaks of every frame, in frame order.
    pub fn all(&self) -> &[SpectralPeak] {
        &self.all
    }
}

/// A planned HPCP computation.
#[derive(Debug, Clone)]
pub struct Hpcp {
    config: HpcpConfig,
    /// `log2(h)` for `h = 1 … n_harmonics`.
    harmonic_octaves: Vec<f32>,
}

impl Hpcp {
    /// Validates the configuration.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn new(config: HpcpConfig) -> Result<Self> {
        config.validate()?;
        let harmonic_octaves = (1..=config.n_harmonics).map(|h| (h as f32).log2()).collect();
        Ok(Self { config, harmonic_octaves })
    }

    /// The configuration.
    pub fn config(&self) -> &HpcpConfig {
        &self.config
    }

    /// Computes the HPCP of every frame of a magnitude spectrogram made with the configured
    /// `n_fft` at the configured `sr`.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] if the spectrogram has the wrong number of bins.
    pub fn compute(&self, magnitude: &Spectrogram) -> Result<Chromagram> {
        let pc = &self.config.peaks;
        if magnitude.n_bins() != pc.n_fft / 2 + 1 {
            return Err(AnalyzerError::invalid(
                "n_fft",
                format!("HPCP expects {} bins, spectrogram has {}", pc.n_fft / 2 + 1, magnitude.n_bins()),
            ));
        }
        // Pass 1: peaks of every frame.
        let mut peaks = FramePeaks::default();
        for row in magnitude.frames() {
            peaks.push_frame(row, pc);
        }
        Ok(self.from_peaks(&peaks))
    }

    /// Pass 2 of [`Hpcp::compute`] on the peaks of every frame (found with this config's
    /// [`HpcpConfig::peaks`], e.g. frame by frame with [`FramePeaks::push_frame`]): the tuning
    /// from all peaks, then each frame's profile.
    pub fn from_peaks(&self, peaks: &FramePeaks) -> Chromagram {
        let (estimated, tuning_concentration) = tuning_resultant(&peaks.all, self.config.reference_hz);
        let tuning = if self.config.estimate_tuning { estimated } else { 0.0 };
        let reference_hz = self.config.reference_hz * 2f32.powf(tuning / 12.0);
        let size = self.config.size;
        let n_frames = peaks.n_frames();
        let mut profile = Spectrogram::new(vec![0.0; n_frames * size], n_frames, size);
        for t in 0..n_frames {
            let out = profile.frame_mut(t);
            self.accumulate(peaks.frame(t), reference_hz, out);
            normalize(out, self.config.normalization);
        }
        Chromagram { profile, tuning, reference_hz, tuning_concentration }
    }

    /// Adds the contributions of one frame's peaks to `out` (length `size`).
    fn accumulate(&self, frame_peaks: &[SpectralPeak], reference_hz: f32, out: &mut [f32]) {
        let cfg = &self.config;
        let size = cfg.size as f32;
        let bins_per_semitone = size / 12.0;
        let c_hz = reference_hz * 2f32.powf(-C_TO_A_SEMITONES / 12.0);
        let half_window_bins = 0.5 * cfg.window_semitones * bins_per_semitone;
        let inv_c_hz = 1.0 / c_hz;
        for p in frame_peaks {
            let energy = p.magnitude * p.magnitude;
            let octaves = (p.frequency * inv_c_hz).log2();
            let mut weight = energy;
            for (h_octaves, _) in self.harmonic_octaves.iter().zip(0..cfg.n_harmonics) {
                let pos = ((octaves - h_octaves) * size).rem_euclid(size);
                match cfg.weighting {
                    HpcpWeighting::Nearest => {
                        let j = (pos.round() as usize) % cfg.size;
                        out[j] += weight;
                    }
                    HpcpWeighting::Cosine => {
                        let first = (pos - half_window_bins).ceil() as isize;
                        let last = (pos + half_window_bins).floor() as isize;
                        for j in first..=last {
                            let d_semitones = (j as f32 - pos) / bins_per_semitone;
                            let w = (std::f32::consts::PI * d_semitones / cfg.window_semitones).cos();
                            out[j.rem_euclid(cfg.size as isize) as usize] += weight * w * w;
                        }
                    }
                }
                weight *= cfg.harmonic_decay;
            }
        }
    }
}

fn normalize(x: &mut [f32], how: HpcpNormalization) {
    let denom = match how {
        HpcpNormalization::UnitMax => x.iter().copied().fold(0.0, f32::max),
        HpcpNormalization::UnitSum => x.iter().sum(),
        HpcpNormalization::None => return,
    };
    if denom > 0.0 {
        x.iter_mut().for_each(|v| *v /= denom);
    }
}

/// Estimates the tuning deviation in semitones, in [−0.5, 0.5), from spectral peaks: the
/// magnitude-weighted circular mean of each peak's offset from the equal-tempered grid built on
/// `reference_hz`. Returns 0 when there are no peaks.
pub fn estimate_tuning(peaks: &[SpectralPeak], reference_hz: f32) -> f32 {
    tuning_resultant(peaks, reference_hz).0
}

/// The tuning `τ` of [`estimate_tuning`] and the concentration `R = |Σ a_i·e^{2πi·c_i}| / Σ a_i`
/// of the deviations around it, in [0, 1] (the mean resultant length of circular statistics;
/// Mardia & Jupp, *Directional Statistics*, 2000). Returns `(0, 0)` without peaks.
pub fn tuning_resultant(peaks: &[SpectralPeak], reference_hz: f32) -> (f32, f32) {
    let (mut re, mut im, mut total) = (0.0f64, 0.0f64, 0.0f64);
    for p in peaks {
        if !(p.frequency > 0.0 && p.magnitude.is_finite() && p.magnitude > 0.0) {
            continue;
        }
        let c = 12.0 * (p.frequency as f64 / reference_hz as f64).log2();
        let phase = 2.0 * std::f64::consts::PI * c;
        re += p.magnitude as f64 * phase.cos();
        im += p.magnitude as f64 * phase.sin();
        total += p.magnitude as f64;
    }
    if (re == 0.0 && im == 0.0) || total <= 0.0 {
        return (0.0, 0.0);
    }
    let tau = (im.atan2(re) / (2.0 * std::f64::consts::PI)) as f32;
    let concentration = (re.hypot(im) / total).clamp(0.0, 1.0) as f32;
    (if tau >= 0.5 { tau - 1.0 } else { tau }, concentration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::{Stft, StftConfig};

    const SR: u32 = 22050;

    /// Notes as (MIDI number, amplitude), each with 4 decaying harmonics, detuned by `cents`.
    fn notes(midis: &[u32], cents: f32, seconds: f32) -> Vec<f32> {
        let n = (seconds * SR as f32) as usize;
        let mut y = vec![0.0f32; n];
        for &m in midis {
            let f0 = 440.0 * 2f32.powf((m as f32 - 69.0 + cents / 100.0) / 12.0);
            for h in 1..=4 {
                let f = f0 * h as f32;
                let a = 0.3 / h as f32;
                for (i, v) in y.iter_mut().enumerate() {
                    *v += a * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin();
                }
            }
        }
        y
    }

    fn chroma(y: &[f32], cfg: HpcpConfig) -> Chromagram {
        let mag = Stft::new(StftConfig::new(cfg.peaks.n_fft, 2048)).unwrap().magnitude(y);
        Hpcp::new(cfg).unwrap().compute(&mag).unwrap()
    }

    fn mean_profile(c: &Chromagram) -> Vec<f32> {
        let n = c.profile.n_frames() as f32;
        (0..c.profile.n_bins()).map(|j| c.profile.frames().map(|r| r[j]).sum::<f32>() / n).collect()
    }

    #[test]
    fn a440_lands_on_a_and_tuning_is_zero() {
        let c = chroma(&notes(&[69], 0.0, 2.0), HpcpConfig::default());
        let m = mean_profile(&c);
        let argmax = (0..12).max_by(|&a, &b| m[a].total_cmp(&m[b])).unwrap();
        assert_eq!(argmax, 9, "{m:?}");
        assert!(c.tuning.abs() < 0.02, "tuning {}", c.tuning);
    }

    #[test]
    fn detuned_notes_are_estimated_and_corrected() {
        for cents in [-40.0f32, -20.0, 25.0, 45.0] {
            let c = chroma(&notes(&[60, 64, 67], cents, 2.0), HpcpConfig::default());
            assert!((c.tuning - cents / 100.0).abs() < 0.03, "cents {cents}: tuning {}", c.tuning);
            let m = mean_profile(&c);
            let mut order: Vec<usize> = (0..12).collect();
            order.sort_by(|&a, &b| m[b].total_cmp(&m[a]));
            let mut top3 = order[..3].to_vec();
            top3.sort();
            assert_eq!(top3, vec![0, 4, 7], "C major triad at {cents} cents: {m:?}");
        }
    }

    #[test]
    fn every_pitch_class_maps_to_its_bin_at_36_bins() {
        let cfg = HpcpConfig { size: 36, estimate_tuning: false, n_harmonics: 1, ..HpcpConfig::default() };
        for pc in 0..12u32 {
            let c = chroma(&notes(&[60 + pc], 0.0, 0.5), cfg.clone());
            let m = mean_profile(&c);
            let argmax = (0..36).max_by(|&a, &b| m[a].total_cmp(&m[b])).unwrap();
            assert_eq!(argmax, 3 * pc as usize, "pitch class {pc}");
        }
    }

    #[test]
    fn silence_gives_zeros_and_noise_gives_a_flat_profile() {
        let c = chroma(&vec![0.0; SR as usize], HpcpConfig::default());
        assert!(c.profile.data().iter().all(|&x| x == 0.0));
        assert_eq!(c.tuning, 0.0);
        let mut s = 12345u32;
        let noise: Vec<f32> = (0..SR as usize * 3)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                s as f32 / u32::MAX as f32 - 0.5
            })
            .collect();
        let m = mean_profile(&chroma(&noise, HpcpConfig::default()));
        let (lo, hi) = m.iter().fold((f32::MAX, 0.0f32), |(l, h), &v| (l.min(v), h.max(v)));
        assert!(lo > 0.5 * hi, "noise profile not flat: {m:?}");
    }

    #[test]
    fn invalid_configs_and_shapes_rejected() {
        for cfg in [
            HpcpConfig { size: 13, ..HpcpConfig::default() },
            HpcpConfig { size: 0, ..HpcpConfig::default() },
            HpcpConfig { n_harmonics: 0, ..HpcpConfig::default() },
            HpcpConfig { harmonic_decay: 1.5, ..HpcpConfig::default() },
            HpcpConfig { window_semitones: 0.0, ..HpcpConfig::default() },
            HpcpConfig { reference_hz: -1.0, ..HpcpConfig::default() },
        ] {
            assert_eq!(Hpcp::new(cfg).unwrap_err().kind(), crate::ErrorKind::InvalidParameter);
        }
        let wrong = Spectrogram::new(vec![0.0; 1025], 1, 1025);
        assert!(Hpcp::new(HpcpConfig::default()).unwrap().compute(&wrong).is_err());
    }

    #[test]
    fn tuning_wraps_circularly() {
        let peak = |f: f32| SpectralPeak { frequency: f, magnitude: 1.0 };
        // 49 cents above A and 49 cents below A# average to the half-way point, not 0.
        let t = estimate_tuning(&[peak(440.0 * 2f32.powf(0.49 / 12.0)), peak(440.0 * 2f32.powf(0.51 / 12.0))], 440.0);
        assert!((t.abs() - 0.5).abs() < 0.02, "{t}");
        assert_eq!(estimate_tuning(&[], 440.0), 0.0);
    }

    #[test]
    fn tuning_concentration_separates_grid_notes_from_spread_frequencies() {
        let peak = |f: f32| SpectralPeak { frequency: f, magnitude: 1.0 };
        let on_grid: Vec<SpectralPeak> = (0..24).map(|k| peak(220.0 * 2f32.powf(k as f32 / 12.0))).collect();
        let (_, r) = tuning_resultant(&on_grid, 440.0);
        assert!(r > 0.99, "{r}");
        // Deviations spread evenly over a semitone cancel out.
        let spread: Vec<SpectralPeak> = (0..40).map(|k| peak(220.0 * 2f32.powf(k as f32 / 40.0 / 12.0))).collect();
        let (_, r) = tuning_resultant(&spread, 440.0);
        assert!(r < 0.05, "{r}");
        assert_eq!(tuning_resultant(&[], 440.0), (0.0, 0.0));
        assert_eq!(tuning_resultant(&[SpectralPeak { frequency: 440.0, magnitude: f32::NAN }], 440.0), (0.0, 0.0));
    }
}
