//! Track-level audio features for the perceptual descriptors: spectral shape, harmonicity,
//! MFCC statistics, speech cues, onsets and rhythm regularity, dynamics, and liveness cues.
//!
//! Everything is computed in one pass over the STFT of the mono analysis signal (default
//! `n_fft = 1024`, `hop_length = 512` at 22.05 kHz), followed by cheap statistics over the
//! per-frame series. Each frame gives:
//! - power `P[k]` (SIMD kernel), frame energy `E = Σ P`, centroid `Σ f_k P_k / E`, 85 % rolloff,
//!   the fraction of energy below 150 Hz and in the 300–3400 Hz vocal band;
//! - a 40-band mel spectrum `M`; its flatness `exp(mean ln M) / mean M` (Wiener entropy) and
//!   normalised entropy `−Σ q ln q / ln n` with `q = M / Σ M`; the log-mel spectral flux
//!   `Σ max(0, L_t − L_{t−1})`, `L = ln(1 + γ M)` (the onset envelope); MFCCs as the DCT-II of
//!   `ln M`;
//! - the normalised autocorrelation `r(τ) / (r(0) · r_w(τ) / r_w(0))` from the inverse FFT of
//!   `P` (window-corrected, Boersma 1993); its maximum over the 80–800 Hz lag range is the
//!   frame's harmonicity, its lag the frame's f0.
//!
//! Track statistics: means of the above over non-silent frames; dynamic range (P95 − P10 of
//! frame dB) and crest factor; low-energy-frame ratio and 4 Hz modulation energy of the
//! vocal-band envelope (Scheirer & Slaney); voiced ratio and pitch stability (fraction of
//! consecutive voiced frames within half a semitone); onset rate from peak picking on the flux;
//! pulse clarity (maximum of the flux autocorrelation over 60–200 BPM) and the DFA exponent of
//! the flux (Streich & Herrera); liveness cues: the noise floor (P10 − P50 of frame dB), the
//! flatness of the quietest frames (crowd noise is broadband), and the median energy decay
//! rate after onsets (reverberation slows it).
//!
//! A signal with no non-silent frame gets [`AudioFeatures::silent`], every field finite.
//!
//! # References
//! - E. Scheirer, M. Slaney, "Construction and evaluation of a robust multifeature speech/music
//!   discriminator", ICASSP 1997 (4 Hz modulation energy, low-energy frames, flux).
//! - P. Boersma, "Accurate short-term analysis of the fundamental frequency and the
//!   harmonics-to-noise ratio of a sampled sound", IFA Proceedings 17, 1993 (window-corrected
//!   autocorrelation harmonicity).
//! - S. Streich, P. Herrera, "Detrended fluctuation analysis of music signals: danceability
//!   estimation and further semantic characterization", AES 118th Convention, 2005.
//! - S. B. Davis, P. Mermelstein, "Comparison of parametric representations for monosyllabic
//!   word recognition", IEEE Trans. ASSP 28(4), 1980 (MFCC).
//! - G. Peeters, "A large set of audio features for sound description", CUIDADO report, 2004
//!   (centroid, rolloff, flatness, flux, entropy, zero-crossing rate).
//! - O. Lartillot, T. Eerola, P. Toiviainen, J. Fornari, "Multi-feature modeling of pulse
//!   clarity", ISMIR 2008.

use realfft::RealFftPlanner;
use realfft::num_complex::Complex32;

use crate::error::{AnalyzerError, Result, check};
use crate::simd;
use crate::spectral::{MelConfig, MelFilterbank, Stft, StftConfig};

/// Frames whose energy is this far (dB) below the loudest frame are silent and skipped.
const SILENCE_RELATIVE_DB: f32 = 60.0;
/// Absolute floor for frame energy in dB (relative to a full-scale sine): below it a frame is
/// silent whatever the rest of the track.
const SILENCE_ABSOLUTE_DB: f32 = -90.0;
/// Floor for any dB value, so logs of zero stay finite.
const DB_FLOOR: f32 = -120.0;
/// Guard added inside logs of mel energies.
const LOG_EPS: f32 = 1e-10;
/// Semitones per octave.
const SEMITONES: f32 = 12.0;

/// Parameters of the feature extractor.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureConfig {
    /// FFT size in samples.
    pub n_fft: usize,
    /// Hop between frames in samples.
    pub hop_length: usize,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Number of MFCCs whose statistics are kept (coefficients 1..=n_mfcc, c0 excluded).
    pub n_mfcc: usize,
    /// Log compression factor `γ` of the flux, applied to mel energies scaled to the mean power
    /// per FFT bin in the band (a full-scale sine's peak bin has power 1/4).
    pub log_gamma: f32,
    /// Spectral rolloff fraction.
    pub rolloff_fraction: f32,
    /// Upper edge of the low-frequency band in Hz.
    pub low_freq_hz: f32,
    /// Vocal band in Hz (telephone band).
    pub voice_band_hz: (f32, f32),
    /// f0 search range in Hz for harmonicity and pitch.
    pub f0_range_hz: (f32, f32),
    /// Harmonicity and f0 are computed on every `pitch_frame_stride`-th frame (the inverse FFT
    /// is about a third of the cost of the pass).
    pub pitch_frame_stride: usize,
    /// A frame is voiced when its harmonicity exceeds this.
    pub voicing_threshold: f32,
    /// Consecutive voiced frames closer than this (semitones) count as a stable pitch.
    pub pitch_stable_semitones: f32,
    /// Syllabic modulation band of the vocal-band envelope, in Hz.
    pub modulation_band_hz: (f32, f32),
    /// Lowest modulation frequency counted in the total (Hz).
    pub modulation_min_hz: f32,
    /// Window for the low-energy frame ratio in seconds.
    pub low_energy_window_s: f32,
    /// A frame is low-energy below this fraction of its window's mean RMS.
    pub low_energy_fraction: f32,
    /// Half-width of the onset peak-picking neighbourhood in seconds.
    pub onset_neighbourhood_s: f32,
    /// Onset threshold above the local mean, in standard deviations of the flux.
    pub onset_delta: f32,
    /// Tempo range of the pulse-clarity search in BPM.
    pub pulse_bpm_range: (f32, f32),
    /// DFA time scales in seconds (smallest, largest) and their number.
    pub dfa_scales_s: (f32, f32),
    /// Number of DFA time scales (log-spaced).
    pub dfa_n_scales: usize,
    /// Delay after an onset peak at which the decay is read, in seconds.
    pub decay_delay_s: f32,
    /// Percentile of frames (by energy) taken as "quiet" for the noise-floor flatness.
    pub quiet_percentile: f32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            n_fft: 1024,
            hop_length: 512,
            n_mels: 40,
            n_mfcc: 5,
            log_gamma: 1.0e5,
            rolloff_fraction: 0.85,
            low_freq_hz: 150.0,
            voice_band_hz: (300.0, 3400.0),
            f0_range_hz: (80.0, 800.0),
            pitch_frame_stride: 2,
            voicing_threshold: 0.6,
            pitch_stable_semitones: 0.5,
            modulation_band_hz: (3.0, 6.0),
            modulation_min_hz: 0.5,
            low_energy_window_s: 1.0,
            low_energy_fraction: 0.5,
            onset_neighbourhood_s: 0.07,
            onset_delta: 0.5,
            pulse_bpm_range: (60.0, 200.0),
            dfa_scales_s: (0.3, 3.0),
            dfa_n_scales: 8,
            decay_delay_s: 0.2,
            quiet_percentile: 20.0,
        }
    }
}

impl FeatureConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        StftConfig::new(self.n_fft, self.hop_length).validate()?;
        check::at_least("n_fft", self.n_fft, 64)?;
        check::at_least("n_mels", self.n_mels, 2)?;
        check::at_least("n_mfcc", self.n_mfcc, 1)?;
        if self.n_mfcc >= self.n_mels {
            return Err(AnalyzerError::invalid("n_mfcc", "must be < n_mels"));
        }
        check::positive_f32("log_gamma", self.log_gamma)?;
        if !(self.rolloff_fraction > 0.0 && self.rolloff_fraction < 1.0) {
            return Err(AnalyzerError::invalid("rolloff_fraction", "must be in (0, 1)"));
        }
        check::positive_f32("low_freq_hz", self.low_freq_hz)?;
        check::ordered_range("voice_band_hz", self.voice_band_hz.0, self.voice_band_hz.1)?;
        check::ordered_range("f0_range_hz", self.f0_range_hz.0, self.f0_range_hz.1)?;
        check::positive_f32("f0_range_hz", self.f0_range_hz.0)?;
        check::at_least("pitch_frame_stride", self.pitch_frame_stride, 1)?;
        if !(self.voicing_threshold > 0.0 && self.voicing_threshold < 1.0) {
            return Err(AnalyzerError::invalid("voicing_threshold", "must be in (0, 1)"));
        }
        check::positive_f32("pitch_stable_semitones", self.pitch_stable_semitones)?;
        check::ordered_range("modulation_band_hz", self.modulation_band_hz.0, self.modulation_band_hz.1)?;
        check::positive_f32("modulation_min_hz", self.modulation_min_hz)?;
        check::positive_f32("low_energy_window_s", self.low_energy_window_s)?;
        if !(self.low_energy_fraction > 0.0 && self.low_energy_fraction < 1.0) {
            return Err(AnalyzerError::invalid("low_energy_fraction", "must be in (0, 1)"));
        }
        check::positive_f32("onset_neighbourhood_s", self.onset_neighbourhood_s)?;
        check::non_negative("onset_delta", self.onset_delta)?;
        check::ordered_range("pulse_bpm_range", self.pulse_bpm_range.0, self.pulse_bpm_range.1)?;
        check::positive_f32("pulse_bpm_range", self.pulse_bpm_range.0)?;
        check::ordered_range("dfa_scales_s", self.dfa_scales_s.0, self.dfa_scales_s.1)?;
        check::positive_f32("dfa_scales_s", self.dfa_scales_s.0)?;
        check::at_least("dfa_n_scales", self.dfa_n_scales, 2)?;
        check::positive_f32("decay_delay_s", self.decay_delay_s)?;
        if !(self.quiet_percentile > 0.0 && self.quiet_percentile < 100.0) {
            return Err(AnalyzerError::invalid("quiet_percentile", "must be in (0, 100)"));
        }
        Ok(())
    }
}

/// Track-level features. Units are stated per field; every field is finite.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFeatures {
    /// Duration in seconds.
    pub duration_s: f32,
    /// RMS level of the whole signal in dBFS.
    pub rms_db: f32,
    /// P95 − P10 of non-silent frame levels, dB.
    pub dynamic_range_db: f32,
    /// Peak-to-RMS ratio of the whole signal, dB.
    pub crest_db: f32,
    /// Mean spectral centroid, kHz.
    pub centroid_khz: f32,
    /// Mean spectral rolloff, kHz.
    pub rolloff_khz: f32,
    /// Mean mel spectral flatness, 0–1.
    pub flatness: f32,
    /// Mean normalised mel spectral entropy, 0–1.
    pub entropy: f32,
    /// Mean log-mel flux per frame, divided by the number of mel bands.
    pub flux: f32,
    /// Mean window-corrected autocorrelation harmonicity, 0–1.
    pub harmonicity: f32,
    /// Fraction of non-silent frames that are voiced.
    pub voiced_ratio: f32,
    /// Fraction of consecutive voiced frame pairs with a stable pitch.
    pub pitch_stability: f32,
    /// Mean fraction of energy in the vocal band.
    pub vocal_band_ratio: f32,
    /// Fraction of vocal-band envelope modulation energy in the syllabic (≈4 Hz) band.
    pub modulation_4hz: f32,
    /// Fraction of low-energy frames (Scheirer & Slaney).
    pub low_energy_ratio: f32,
    /// Onsets per second.
    pub onset_rate: f32,
    /// Maximum normalised autocorrelation of the onset envelope over the pulse tempo range.
    pub pulse_clarity: f32,
    /// Tempo in BPM of that maximum.
    pub pulse_bpm: f32,
    /// Mean onset envelope at the beats over its overall mean, minus 1 (0: beats no stronger
    /// than anywhere else). Beats are the given beat times, else the best phase of the pulse
    /// grid.
    pub beat_strength: f32,
    /// DFA exponent α of the onset envelope (≈0.5 uncorrelated, →1 and above: drifting).
    pub dfa_alpha: f32,
    /// Mean fraction of energy below the low-frequency edge.
    pub low_freq_ratio: f32,
    /// Zero crossings per sample.
    pub zcr: f32,
    /// P10 − P50 of non-silent frame levels, dB (closer to 0: a raised noise floor).
    pub noise_floor_db: f32,
    /// Mean mel flatness of the quietest frames.
    pub quiet_flatness: f32,
    /// Median level drop rate after onsets, dB/s.
    pub decay_db_per_s: f32,
    /// Means of MFCC 1..=n_mfcc.
    pub mfcc_mean: Vec<f32>,
    /// Standard deviations of MFCC 1..=n_mfcc.
    pub mfcc_std: Vec<f32>,
}

impl AudioFeatures {
    /// The features of a signal with no audible frame (all neutral, finite).
    pub fn silent(duration_s: f32, n_mfcc: usize) -> Self {
        Self {
            duration_s,
            rms_db: DB_FLOOR,
            dynamic_range_db: 0.0,
            crest_db: 0.0,
            centroid_khz: 0.0,
            rolloff_khz: 0.0,
            flatness: 0.0,
            entropy: 0.0,
            flux: 0.0,
            harmonicity: 0.0,
            voiced_ratio: 0.0,
            pitch_stability: 0.0,
            vocal_band_ratio: 0.0,
            modulation_4hz: 0.0,
            low_energy_ratio: 0.0,
            onset_rate: 0.0,
            pulse_clarity: 0.0,
            pulse_bpm: 0.0,
            beat_strength: 0.0,
            dfa_alpha: 0.0,
            low_freq_ratio: 0.0,
            zcr: 0.0,
            noise_floor_db: 0.0,
            quiet_flatness: 0.0,
            decay_db_per_s: 0.0,
            mfcc_mean: vec![0.0; n_mfcc],
            mfcc_std: vec![0.0; n_mfcc],
        }
    }
}

/// A planned feature extractor (STFT, inverse FFT, mel filterbank, DCT made once).
pub struct FeatureExtractor {
    config: FeatureConfig,
    sr: u32,
    stft: Stft,
    irfft: std::sync::Arc<dyn realfft::ComplexToReal<f32>>,
    mel: MelFilterbank,
    /// DCT-II basis, `n_mfcc × n_mels` (rows for coefficients 1..=n_mfcc).
    dct: Vec<f32>,
    /// Window autocorrelation `r_w(τ) / r_w(0)`.
    inv_window_acf: Vec<f32>,
    /// Power normalisation: a full-scale sine's peak bin reads 1/4 after it.
    power_norm: f32,
    /// Scales Slaney-normalised mel energies (densities per Hz) to mean power per bin.
    mel_to_bin_power: f32,
    /// Centre frequency of every STFT bin in Hz.
    freqs: Vec<f32>,
}

impl std::fmt::Debug for FeatureExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureExtractor").field("config", &self.config).field("sr", &self.sr).finish_non_exhaustive()
    }
}

/// Per-frame series gathered in the STFT pass.
#[derive(Default)]
struct Frames {
    energy: Vec<f32>,
    centroid: Vec<f32>,
    rolloff: Vec<f32>,
    flatness: Vec<f32>,
    entropy: Vec<f32>,
    flux: Vec<f32>,
    harmonicity: Vec<f32>,
    f0: Vec<f32>,
    voice: Vec<f32>,
    low: Vec<f32>,
    mfcc: Vec<f32>,
}

impl FeatureExtractor {
    /// Plans the extractor for signals at `sr` Hz.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a bad config or rate.
    pub fn new(sr: u32, config: FeatureConfig) -> Result<Self> {
        config.validate()?;
        if sr == 0 {
            return Err(AnalyzerError::invalid("sr", "must be > 0"));
        }
        let nyquist = sr as f32 / 2.0;
        if config.voice_band_hz.1 > nyquist || config.f0_range_hz.1 > nyquist {
            return Err(AnalyzerError::invalid("sr", format!("{sr} Hz is too low for the voice band / f0 range")));
        }
        let stft = Stft::new(StftConfig::new(config.n_fft, config.hop_length))?;
        let mut planner = RealFftPlanner::<f32>::new();
        let irfft = planner.plan_fft_inverse(config.n_fft);
        let mel =
            MelFilterbank::new(MelConfig { sr, n_fft: config.n_fft, n_mels: config.n_mels, ..MelConfig::default() })?;
        let n_mels = config.n_mels;
        let dct = (1..=config.n_mfcc)
            .flat_map(|k| {
                (0..n_mels).map(move |m| {
                    (std::f32::consts::PI * k as f32 * (m as f32 + 0.5) / n_mels as f32).cos()
                        * (2.0 / n_mels as f32).sqrt()
                })
            })
            .collect();
        let win = stft.window().to_vec();
        let wsum: f32 = win.iter().sum();
        let power_norm = if wsum > 0.0 { 1.0 / (wsum * wsum) } else { 1.0 };
        let n = win.len();
        let r0: f32 = win.iter().map(|w| w * w).sum::<f32>().max(f32::MIN_POSITIVE);
        let inv_window_acf = (0..n / 2 + 1)
            .map(|lag| {
                r0 / win[..n - lag].iter().zip(&win[lag..]).map(|(a, b)| a * b).sum::<f32>().max(f32::MIN_POSITIVE)
            })
            .collect();
        let mel_to_bin_power = sr as f32 / config.n_fft as f32;
        let bin_hz = sr as f32 / config.n_fft as f32;
        let freqs = (0..config.n_fft / 2 + 1).map(|k| k as f32 * bin_hz).collect();
        Ok(Self { config, sr, stft, irfft, mel, dct, inv_window_acf, power_norm, mel_to_bin_power, freqs })
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Extracts the features of a mono signal. Non-finite samples count as 0. `beat_times`
    /// (seconds, may be empty) are used for the beat strength.
    pub fn extract(&self, y: &[f32], beat_times: &[f64]) -> AudioFeatures {
        let clean: Vec<f32>;
        let y = if crate::simd::all_finite(y) {
            y
        } else {
            clean = y.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect();
            &clean
        };
        let frames = self.frame_pass(y);
        self.extract_frames(frames, &SignalStats::of(y), beat_times)
    }

    /// Finishes [`FeatureExtractor::extract`] from frames gathered by an accumulator over the
    /// STFT of the same `y` (see [`FeatureExtractor::accumulator`]).
    pub fn extract_from_frames(&self, frames: FeatureFrames<'_>, y: &[f32], beat_times: &[f64]) -> AudioFeatures {
        let clean: Vec<f32>;
        let y = if crate::simd::all_finite(y) {
            y
        } else {
            clean = y.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect();
            &clean
        };
        self.extract_frames(frames.state.frames, &SignalStats::of(y), beat_times)
    }

    /// Finishes [`FeatureExtractor::extract`] from a [`FeatureState`] fed the STFT frames of a
    /// signal and the [`SignalStats`] of the same (finite) samples: the streaming form, which
    /// never holds the signal.
    pub fn extract_from_state(&self, state: FeatureState, stats: &SignalStats, beat_times: &[f64]) -> AudioFeatures {
        self.extract_frames(state.frames, stats, beat_times)
    }

    /// The features from the frame series and sample statistics of a finite signal.
    fn extract_frames(&self, frames: Frames, stats: &SignalStats, beat_times: &[f64]) -> AudioFeatures {
        let cfg = &self.config;
        let sr = self.sr as f32;
        let duration_s = stats.n as f32 / sr;
        let db: Vec<f32> = frames.energy.iter().map(|&e| power_db(e)).collect();
        let max_db = db.iter().copied().fold(DB_FLOOR, f32::max);
        let gate = (max_db - SILENCE_RELATIVE_DB).max(SILENCE_ABSOLUTE_DB);
        let active: Vec<usize> = (0..db.len()).filter(|&t| db[t] > gate).collect();
        if active.is_empty() {
            return AudioFeatures::silent(duration_s, cfg.n_mfcc);
        }
        let frame_rate = sr / cfg.hop_length as f32;
        let mean_over = |v: &[f32]| active.iter().map(|&t| v[t]).sum::<f32>() / active.len() as f32;

        // Dynamics.
        let rms = (stats.sum_sq / stats.n.max(1) as f64).sqrt() as f32;
        let peak = stats.peak;
        let rms_db = amp_db(rms);
        let crest_db = (amp_db(peak) - rms_db).max(0.0);
        let mut active_db: Vec<f32> = active.iter().map(|&t| db[t]).collect();
        active_db.sort_by(f32::total_cmp);
        let p10 = percentile_sorted(&active_db, 10.0);
        let p50 = percentile_sorted(&active_db, 50.0);
        let p95 = percentile_sorted(&active_db, 95.0);

        // Speech cues.
        let voiced: Vec<bool> =
            (0..db.len()).map(|t| db[t] > gate && frames.harmonicity[t] > cfg.voicing_threshold).collect();
        let n_voiced = active.iter().filter(|&&t| voiced[t]).count();
        let pitch_active: Vec<usize> = active.iter().copied().filter(|&t| frames.harmonicity[t].is_finite()).collect();
        let stride = cfg.pitch_frame_stride;
        let (mut pairs, mut stable) = (0usize, 0usize);
        for t in stride..voiced.len() {
            if voiced[t] && voiced[t - stride] {
                pairs += 1;
                let d = SEMITONES * (frames.f0[t] / frames.f0[t - stride]).log2().abs();
                if d < cfg.pitch_stable_semitones {
                    stable += 1;
                }
            }
        }
        let modulation_4hz = modulation_fraction(&frames.voice, frame_rate, cfg);
        let low_energy_ratio = low_energy_ratio(&frames.energy, &active, frame_rate, cfg);

        // Onsets and rhythm.
        let onsets = pick_onsets(&frames.flux, frame_rate, cfg);
        let (pulse_clarity, pulse_bpm) = pulse(&frames.flux, frame_rate, cfg);
        let dfa_alpha = dfa_exponent(&frames.flux, frame_rate, cfg);
        let beat_strength = beat_strength(&frames.flux, beat_times, pulse_bpm, frame_rate);

        // Liveness cues.
        let quiet_cut = percentile_sorted(&active_db, cfg.quiet_percentile);
        let quiet: Vec<usize> = active.iter().copied().filter(|&t| db[t] <= quiet_cut).collect();
        let quiet_flatness = if quiet.is_empty() {
            0.0
        } else {
            quiet.iter().map(|&t| frames.flatness[t]).sum::<f32>() / quiet.len() as f32
        };
        let decay_db_per_s = onset_decay(&db, &onsets, frame_rate, cfg);

        // MFCC statistics over active frames.
        let n_mfcc = cfg.n_mfcc;
        let mut mfcc_mean = vec![0.0f32; n_mfcc];
        let mut mfcc_std = vec![0.0f32; n_mfcc];
        for &t in &active {
            for (k, m) in mfcc_mean.iter_mut().enumerate() {
                *m += frames.mfcc[t * n_mfcc + k];
            }
        }
        mfcc_mean.iter_mut().for_each(|m| *m /= active.len() as f32);
        for &t in &active {
            for k in 0..n_mfcc {
                let d = frames.mfcc[t * n_mfcc + k] - mfcc_mean[k];
                mfcc_std[k] += d * d;
            }
        }
        mfcc_std.iter_mut().for_each(|s| *s = (*s / active.len() as f32).sqrt());

        let zcr = if stats.n > 1 { stats.crossings as f32 / (stats.n - 1) as f32 } else { 0.0 };
        let features = AudioFeatures {
            duration_s,
            rms_db,
            dynamic_range_db: p95 - p10,
            crest_db,
            centroid_khz: mean_over(&frames.centroid) / 1000.0,
            rolloff_khz: mean_over(&frames.rolloff) / 1000.0,
            flatness: mean_over(&frames.flatness),
            entropy: mean_over(&frames.entropy),
            flux: mean_over(&frames.flux) / cfg.n_mels as f32,
            harmonicity: if pitch_active.is_empty() {
                0.0
            } else {
                pitch_active.iter().map(|&t| frames.harmonicity[t]).sum::<f32>() / pitch_active.len() as f32
            },
            voiced_ratio: if pitch_active.is_empty() { 0.0 } else { n_voiced as f32 / pitch_active.len() as f32 },
            pitch_stability: if pairs == 0 { 0.0 } else { stable as f32 / pairs as f32 },
            vocal_band_ratio: mean_over(&frames.voice_ratio_view()),
            modulation_4hz,
            low_energy_ratio,
            onset_rate: if duration_s > 0.0 { onsets.len() as f32 / duration_s } else { 0.0 },
            pulse_clarity,
            pulse_bpm,
            beat_strength,
            dfa_alpha,
            low_freq_ratio: mean_over(&frames.low),
            zcr,
            noise_floor_db: p10 - p50,
            quiet_flatness,
            decay_db_per_s,
            mfcc_mean,
            mfcc_std,
        };
        sanitize(features)
    }

    /// The STFT pass: one frame at a time, no per-frame allocation.
    fn frame_pass(&self, y: &[f32]) -> Frames {
        let mut acc = self.accumulator(self.stft.config().n_frames(y.len()));
        self.stft.for_each_frame(y, |t, x| acc.push(t, x));
        acc.state.frames
    }

    /// The planned STFT (its frames are the ones [`FeatureFrames::push`] expects).
    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// A frame-by-frame accumulator for `n_frames` STFT frames (see [`FeatureExtractor::stft`]),
    /// for callers that share the STFT pass with other stages; finish with
    /// [`FeatureExtractor::extract_from_frames`].
    pub fn accumulator(&self, n_frames: usize) -> FeatureFrames<'_> {
        let mut state = self.state();
        state.frames.mfcc.reserve(n_frames * self.config.n_mfcc);
        FeatureFrames { ex: self, state }
    }

    /// The per-frame series of a signal of unknown length, gathered frame by frame; unlike
    /// [`FeatureFrames`] it does not borrow the extractor, which is passed to each call (for
    /// streaming analyses that own their plans). Finish with
    /// [`FeatureExtractor::extract_from_state`].
    pub fn state(&self) -> FeatureState {
        let cfg = &self.config;
        let n_bins = cfg.n_fft / 2 + 1;
        let bin_hz = self.sr as f32 / cfg.n_fft as f32;
        let bin = |hz: f32| ((hz / bin_hz).round() as usize).min(n_bins - 1);
        let n_mels = cfg.n_mels;
        FeatureState {
            frames: Frames::default(),
            v_lo: bin(cfg.voice_band_hz.0),
            v_hi: bin(cfg.voice_band_hz.1),
            low_hi: bin(cfg.low_freq_hz),
            lag_min: ((self.sr as f32 / cfg.f0_range_hz.1).floor() as usize).max(1),
            lag_max: ((self.sr as f32 / cfg.f0_range_hz.0).ceil() as usize).min(cfg.n_fft / 2),
            power: vec![0.0f32; n_bins],
            melv: vec![0.0f32; n_mels],
            logmel: vec![0.0f32; n_mels],
            prev_log: vec![0.0f32; n_mels],
            lnmel: vec![0.0f32; n_mels],
            spec: self.irfft.make_input_vec(),
            acf: self.irfft.make_output_vec(),
            scratch: self.irfft.make_scratch_vec(),
        }
    }
}

/// The per-frame series being gathered one STFT frame at a time
/// ([`FeatureExtractor::accumulator`]).
pub struct FeatureFrames<'a> {
    ex: &'a FeatureExtractor,
    state: FeatureState,
}

impl std::fmt::Debug for FeatureFrames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureFrames").field("n_frames", &self.state.frames.energy.len()).finish_non_exhaustive()
    }
}

impl FeatureFrames<'_> {
    /// Adds frame `t` (`n_fft / 2 + 1` complex bins of the extractor's STFT; frames must come in
    /// order). No allocation.
    pub fn push(&mut self, t: usize, x: &[Complex32]) {
        self.state.push(self.ex, t, x);
    }
}

/// The per-frame series of [`FeatureExtractor::state`].
pub struct FeatureState {
    frames: Frames,
    v_lo: usize,
    v_hi: usize,
    low_hi: usize,
    lag_min: usize,
    lag_max: usize,
    power: Vec<f32>,
    melv: Vec<f32>,
    logmel: Vec<f32>,
    prev_log: Vec<f32>,
    lnmel: Vec<f32>,
    spec: Vec<Complex32>,
    acf: Vec<f32>,
    scratch: Vec<Complex32>,
}

impl std::fmt::Debug for FeatureState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeatureState").field("n_frames", &self.frames.energy.len()).finish_non_exhaustive()
    }
}

impl FeatureState {
    /// Adds frame `t` (`n_fft / 2 + 1` complex bins of `ex`'s STFT; frames must come in
    /// order). No allocation beyond the growing series.
    pub fn push(&mut self, ex: &FeatureExtractor, t: usize, x: &[Complex32]) {
        let cfg = &ex.config;
        let fr = &mut self.frames;
        let power = &mut self.power;
        let n_bins = power.len();
        let n_mels = cfg.n_mels;
        simd::power(x, power);
        power.iter_mut().for_each(|p| *p *= ex.power_norm);
        let e = simd::sum(power);
        fr.energy.push(e);
        let safe_e = e.max(f32::MIN_POSITIVE);
        fr.centroid.push(simd::dot(power, &ex.freqs) / safe_e);
        let target = cfg.rolloff_fraction * e;
        let mut acc = 0.0;
        let k_roll = power
            .iter()
            .position(|&p| {
                acc += p;
                acc >= target
            })
            .unwrap_or(n_bins - 1);
        fr.rolloff.push(ex.freqs[k_roll]);
        fr.voice.push(simd::sum(&power[self.v_lo..=self.v_hi]));
        fr.low.push(simd::sum(&power[..=self.low_hi]) / safe_e);
        // Mel: flatness, entropy, flux, MFCC.
        ex.mel.apply_frame(power, &mut self.melv);
        let msum = simd::sum(&self.melv).max(f32::MIN_POSITIVE);
        // Entropy of q = m / S from the same logs: −Σ q ln q = ln S − Σ m ln m / S.
        let mut log_mean = 0.0;
        let mut m_ln_m = 0.0;
        for ((l, ln), &m) in self.logmel.iter_mut().zip(self.lnmel.iter_mut()).zip(&self.melv) {
            *ln = (m + LOG_EPS).ln();
            log_mean += *ln;
            m_ln_m += m * *ln;
            *l = m;
        }
        let ent = (msum.ln() - m_ln_m / msum).max(0.0);
        log_mean /= n_mels as f32;
        fr.flatness.push(if e > 0.0 { (log_mean.exp() / (msum / n_mels as f32)).min(1.0) } else { 0.0 });
        fr.entropy.push(if e > 0.0 { ent / (n_mels as f32).ln() } else { 0.0 });
        simd::log1p_scaled_in_place(&mut self.logmel, cfg.log_gamma * ex.mel_to_bin_power);
        fr.flux.push(if t == 0 { 0.0 } else { simd::hwr_diff_sum(&self.logmel, &self.prev_log) });
        std::mem::swap(&mut self.logmel, &mut self.prev_log);
        for k in 0..cfg.n_mfcc {
            fr.mfcc.push(simd::dot(&ex.dct[k * n_mels..(k + 1) * n_mels], &self.lnmel));
        }
        // Window-corrected autocorrelation from the power spectrum, every
        // `pitch_frame_stride`-th frame (NaN marks the frames skipped).
        if !t.is_multiple_of(cfg.pitch_frame_stride) {
            fr.harmonicity.push(f32::NAN);
            fr.f0.push(f32::NAN);
            return;
        }
        for (s, &p) in self.spec.iter_mut().zip(power.iter()) {
            *s = Complex32::new(p, 0.0);
        }
        let (lag_min, lag_max) = (self.lag_min, self.lag_max);
        let (h, f0) =
            if e > 0.0 && ex.irfft.process_with_scratch(&mut self.spec, &mut self.acf, &mut self.scratch).is_ok() {
                let acf = &self.acf;
                let r0 = acf[0].max(f32::MIN_POSITIVE);
                let mut best = (0.0f32, lag_min);
                let lags = acf[lag_min..=lag_max].iter().zip(&ex.inv_window_acf[lag_min..=lag_max]);
                for (i, (&a, &inv)) in lags.enumerate() {
                    let r = a * inv / r0;
                    if r > best.0 {
                        best = (r, lag_min + i);
                    }
                }
                (best.0.min(1.0), ex.sr as f32 / best.1 as f32)
            } else {
                (0.0, 0.0)
            };
        fr.harmonicity.push(h);
        fr.f0.push(f0);
    }
}

/// The sample statistics the features need besides the frames: length, energy, peak and zero
/// crossings of a finite signal, gathered chunk by chunk ([`SignalStats::push`]) or at once
/// ([`SignalStats::of`]) with the same arithmetic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalStats {
    n: usize,
    /// `Σ y²` in f64, summed in sample order.
    sum_sq: f64,
    peak: f32,
    /// Pairs of consecutive samples on either side of zero (`y ≥ 0` against `y < 0`).
    crossings: usize,
    /// Whether the last sample was `≥ 0`.
    last_non_negative: Option<bool>,
}

impl SignalStats {
    /// The statistics of `y`.
    pub fn of(y: &[f32]) -> Self {
        let mut s = Self::default();
        s.push(y);
        s
    }

    /// Adds the next samples.
    pub fn push(&mut self, y: &[f32]) {
        self.n += y.len();
        self.sum_sq = y.iter().fold(self.sum_sq, |acc, &v| acc + f64::from(v) * f64::from(v));
        self.peak = y.iter().fold(self.peak, |m, v| m.max(v.abs()));
        let mut last = self.last_non_negative;
        for &v in y {
            let s = v >= 0.0;
            if last.is_some_and(|l| l != s) {
                self.crossings += 1;
            }
            last = Some(s);
        }
        self.last_non_negative = last;
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether no sample was added.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
}

impl Frames {
    /// Vocal-band energy as a fraction of frame energy.
    fn voice_ratio_view(&self) -> Vec<f32> {
        self.voice.iter().zip(&self.energy).map(|(&v, &e)| if e > 0.0 { v / e } else { 0.0 }).collect()
    }
}

fn power_db(e: f32) -> f32 {
    if e > 0.0 { (10.0 * e.log10()).max(DB_FLOOR) } else { DB_FLOOR }
}

fn amp_db(a: f32) -> f32 {
    if a > 0.0 { (20.0 * a.log10()).max(DB_FLOOR) } else { DB_FLOOR }
}

/// Linear-interpolated percentile of sorted data (0 for empty).
pub(crate) fn percentile_sorted(v: &[f32], pct: f32) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let pos = (pct / 100.0).clamp(0.0, 1.0) * (v.len() - 1) as f32;
    let i = pos.floor() as usize;
    let j = (i + 1).min(v.len() - 1);
    v[i] + (v[j] - v[i]) * (pos - i as f32)
}

/// Fraction of the envelope's modulation energy (above `modulation_min_hz`) in the syllabic band.
fn modulation_fraction(env: &[f32], frame_rate: f32, cfg: &FeatureConfig) -> f32 {
    let n = env.len();
    let mean = env.iter().sum::<f32>() / n.max(1) as f32;
    if n < 4 || mean <= 0.0 {
        return 0.0;
    }
    let mut x: Vec<f32> = env.iter().map(|&v| (v / mean).sqrt() - 1.0).collect();
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(n);
    let mut out = fft.make_output_vec();
    if fft.process(&mut x, &mut out).is_err() {
        return 0.0;
    }
    let df = frame_rate / n as f32;
    let (mut band, mut total) = (0.0f32, 0.0f32);
    for (k, c) in out.iter().enumerate() {
        let f = k as f32 * df;
        if f < cfg.modulation_min_hz {
            continue;
        }
        let p = c.norm_sqr();
        total += p;
        if f >= cfg.modulation_band_hz.0 && f <= cfg.modulation_band_hz.1 {
            band += p;
        }
    }
    if total > 0.0 { band / total } else { 0.0 }
}

/// Scheirer & Slaney's low-energy ratio over consecutive windows.
fn low_energy_ratio(energy: &[f32], active: &[usize], frame_rate: f32, cfg: &FeatureConfig) -> f32 {
    let win = ((cfg.low_energy_window_s * frame_rate).round() as usize).max(1);
    let mut low = 0usize;
    for chunk_start in (0..energy.len()).step_by(win) {
        let chunk = &energy[chunk_start..(chunk_start + win).min(energy.len())];
        let mean_rms = chunk.iter().map(|e| e.sqrt()).sum::<f32>() / chunk.len() as f32;
        low += chunk.iter().filter(|e| e.sqrt() < cfg.low_energy_fraction * mean_rms).count();
    }
    if active.is_empty() { 0.0 } else { (low as f32 / energy.len() as f32).clamp(0.0, 1.0) }
}

/// Local-maximum peak picking above a moving mean plus `onset_delta` standard deviations.
fn pick_onsets(flux: &[f32], frame_rate: f32, cfg: &FeatureConfig) -> Vec<usize> {
    let n = flux.len();
    if n < 3 {
        return Vec::new();
    }
    let w = ((cfg.onset_neighbourhood_s * frame_rate).round() as usize).max(1);
    let mean = flux.iter().sum::<f32>() / n as f32;
    let std = (flux.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n as f32).sqrt();
    let avg_w = 4 * w;
    let mut out = Vec::new();
    let mut last: Option<usize> = None;
    for t in 1..n {
        let lo = t.saturating_sub(w);
        let hi = (t + w + 1).min(n);
        if flux[lo..hi].iter().any(|&v| v > flux[t]) {
            continue;
        }
        let (alo, ahi) = (t.saturating_sub(avg_w), (t + avg_w + 1).min(n));
        let local = flux[alo..ahi].iter().sum::<f32>() / (ahi - alo) as f32;
        if flux[t] > local + cfg.onset_delta * std && flux[t] > 0.0 && last.is_none_or(|l| t - l > w) {
            out.push(t);
            last = Some(t);
        }
    }
    out
}

/// Triangular smoothing kernel applied to the onset envelope before its autocorrelation, so
/// that a period falling between two frames still correlates.
const PULSE_SMOOTHING: [f32; 5] = [1.0 / 9.0, 2.0 / 9.0, 3.0 / 9.0, 2.0 / 9.0, 1.0 / 9.0];
/// A lag half as long as the best one is preferred when its correlation reaches this fraction
/// of the best (the first period of a periodic envelope, not its multiple).
const PULSE_HALF_LAG_RATIO: f32 = 0.8;

/// Maximum normalised autocorrelation of the smoothed, mean-removed onset envelope over the
/// pulse range, and the tempo of that lag.
fn pulse(flux: &[f32], frame_rate: f32, cfg: &FeatureConfig) -> (f32, f32) {
    let n = flux.len();
    let lag_min = ((60.0 * frame_rate / cfg.pulse_bpm_range.1).floor() as usize).max(1);
    let lag_max = (60.0 * frame_rate / cfg.pulse_bpm_range.0).ceil() as usize;
    if n <= lag_max + 1 {
        return (0.0, 0.0);
    }
    let mean = flux.iter().sum::<f32>() / n as f32;
    let half = PULSE_SMOOTHING.len() / 2;
    let x: Vec<f32> = (0..n)
        .map(|t| {
            PULSE_SMOOTHING
                .iter()
                .enumerate()
                .map(|(j, &w)| (t + j).checked_sub(half).and_then(|i| flux.get(i)).map_or(0.0, |&v| w * (v - mean)))
                .sum()
        })
        .collect();
    let r0 = simd::dot(&x, &x);
    if r0 <= 0.0 {
        return (0.0, 0.0);
    }
    // Biased estimate: it decreases with the lag, so a periodic envelope's first period wins
    // over its multiples.
    let r = |lag: usize| simd::dot(&x[..n - lag], &x[lag..]) / r0;
    let mut best = (0.0f32, 0usize);
    for lag in lag_min..=lag_max {
        let v = r(lag);
        if v > best.0 {
            best = (v, lag);
        }
    }
    if best.1 == 0 {
        return (0.0, 0.0);
    }
    let half_lag = best.1 / 2;
    if half_lag >= lag_min {
        let (h, l) = [half_lag, half_lag + 1]
            .iter()
            .map(|&l| (r(l), l))
            .fold((f32::MIN, 0), |a, b| if b.0 > a.0 { b } else { a });
        if h >= PULSE_HALF_LAG_RATIO * best.0 {
            best = (h, l);
        }
    }
    (best.0.clamp(0.0, 1.0), 60.0 * frame_rate / best.1 as f32)
}

/// Mean envelope at the beats relative to the overall mean, minus 1. Without beat times, the
/// beats are the phase of a grid at `pulse_bpm` with the largest mean.
fn beat_strength(flux: &[f32], beat_times: &[f64], pulse_bpm: f32, frame_rate: f32) -> f32 {
    let n = flux.len();
    let mean = flux.iter().sum::<f32>() / n.max(1) as f32;
    if n == 0 || mean <= 0.0 {
        return 0.0;
    }
    // The envelope peak within one frame either side of a beat.
    let at = |t: usize| flux[t.saturating_sub(1)..(t + 2).min(n)].iter().copied().fold(0.0f32, f32::max);
    let valid: Vec<usize> = beat_times
        .iter()
        .filter(|b| b.is_finite() && **b >= 0.0)
        .map(|&b| (b * f64::from(frame_rate)).round() as usize)
        .filter(|&t| t < n)
        .collect();
    let best = if !valid.is_empty() {
        valid.iter().map(|&t| at(t)).sum::<f32>() / valid.len() as f32
    } else if pulse_bpm > 0.0 {
        let period = (60.0 * frame_rate / pulse_bpm).round().max(1.0) as usize;
        (0..period.min(n))
            .map(|phase| {
                let beats: Vec<usize> = (phase..n).step_by(period).collect();
                beats.iter().map(|&t| at(t)).sum::<f32>() / beats.len() as f32
            })
            .fold(0.0f32, f32::max)
    } else {
        return 0.0;
    };
    (best / mean - 1.0).max(0.0)
}

/// Detrended fluctuation analysis exponent α of the onset envelope (Streich & Herrera 2005):
/// the slope of `log F(τ)` against `log τ`, with `F(τ)` the RMS residual of linear fits of the
/// integrated mean-removed envelope over windows of `τ` frames.
fn dfa_exponent(flux: &[f32], frame_rate: f32, cfg: &FeatureConfig) -> f32 {
    let n = flux.len();
    let mean = flux.iter().map(|&v| f64::from(v)).sum::<f64>() / n.max(1) as f64;
    let mut acc = 0.0f64;
    let profile: Vec<f64> = flux
        .iter()
        .map(|&v| {
            acc += f64::from(v) - mean;
            acc
        })
        .collect();
    let (s0, s1) = (f64::from(cfg.dfa_scales_s.0), f64::from(cfg.dfa_scales_s.1));
    const MIN_WINDOW: usize = 4;
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for i in 0..cfg.dfa_n_scales {
        let s = s0 * (s1 / s0).powf(i as f64 / (cfg.dfa_n_scales - 1) as f64);
        let tau = (s * f64::from(frame_rate)).round() as usize;
        if tau < MIN_WINDOW || tau > n / 2 {
            continue;
        }
        let mut sq = 0.0;
        let mut cnt = 0usize;
        for w in profile.chunks_exact(tau) {
            sq += detrend_residual_sq(w);
            cnt += tau;
        }
        if cnt > 0 && sq > 0.0 {
            pts.push(((tau as f64).ln(), (sq / cnt as f64).sqrt().ln()));
        }
    }
    if pts.len() < 2 {
        return 0.0;
    }
    let k = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / k, pts.iter().map(|p| p.1).sum::<f64>() / k);
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx > 0.0 { (sxy / sxx) as f32 } else { 0.0 }
}

/// Sum of squared residuals of the least-squares line through `w` (x = 0..len).
fn detrend_residual_sq(w: &[f64]) -> f64 {
    let n = w.len() as f64;
    let mx = (n - 1.0) / 2.0;
    let my = w.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (i, &v) in w.iter().enumerate() {
        let dx = i as f64 - mx;
        sxx += dx * dx;
        sxy += dx * (v - my);
    }
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    w.iter().enumerate().map(|(i, &v)| (v - my - b * (i as f64 - mx)).powi(2)).sum()
}

/// Median rate (dB/s) at which the frame level falls from each onset's peak to
/// `decay_delay_s` later.
fn onset_decay(db: &[f32], onsets: &[usize], frame_rate: f32, cfg: &FeatureConfig) -> f32 {
    let delay = ((cfg.decay_delay_s * frame_rate).round() as usize).max(1);
    const PEAK_SEARCH_FRAMES: usize = 2;
    let mut rates: Vec<f32> = onsets
        .iter()
        .filter_map(|&t| {
            let end = (t + PEAK_SEARCH_FRAMES + 1).min(db.len());
            let (pk_i, pk) = (t..end).map(|i| (i, db[i])).max_by(|a, b| a.1.total_cmp(&b.1))?;
            let later = *db.get(pk_i + delay)?;
            Some(((pk - later) / (delay as f32 / frame_rate)).max(0.0))
        })
        .collect();
    if rates.is_empty() {
        return 0.0;
    }
    rates.sort_by(f32::total_cmp);
    percentile_sorted(&rates, 50.0)
}

/// Replaces any non-finite value by 0 (defensive: all paths above guard their divisions).
fn sanitize(mut f: AudioFeatures) -> AudioFeatures {
    let fix = |v: &mut f32| {
        if !v.is_finite() {
            *v = 0.0;
        }
    };
    for v in [
        &mut f.duration_s,
        &mut f.rms_db,
        &mut f.dynamic_range_db,
        &mut f.crest_db,
        &mut f.centroid_khz,
        &mut f.rolloff_khz,
        &mut f.flatness,
        &mut f.entropy,
        &mut f.flux,
        &mut f.harmonicity,
        &mut f.voiced_ratio,
        &mut f.pitch_stability,
        &mut f.vocal_band_ratio,
        &mut f.modulation_4hz,
        &mut f.low_energy_ratio,
        &mut f.onset_rate,
        &mut f.pulse_clarity,
        &mut f.pulse_bpm,
        &mut f.beat_strength,
        &mut f.dfa_alpha,
        &mut f.low_freq_ratio,
        &mut f.zcr,
        &mut f.noise_floor_db,
        &mut f.quiet_flatness,
        &mut f.decay_db_per_s,
    ] {
        fix(v);
    }
    f.mfcc_mean.iter_mut().for_each(fix);
    f.mfcc_std.iter_mut().for_each(fix);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: u32 = 22_050;

    fn ex() -> FeatureExtractor {
        FeatureExtractor::new(SR, FeatureConfig::default()).unwrap()
    }

    fn all_finite(f: &AudioFeatures) -> bool {
        let s = format!("{f:?}");
        !s.contains("NaN") && !s.contains("inf")
    }

    #[test]
    fn empty_silence_constant_impulse_nan() {
        let e = ex();
        let mut imp = vec![0.0; SR as usize];
        imp[5000] = 1.0;
        for y in [vec![], vec![0.0; SR as usize], vec![0.3; SR as usize], imp, vec![f32::NAN; 4000], vec![0.1; 10]] {
            let f = e.extract(&y, &[]);
            assert!(all_finite(&f), "{f:?}");
            assert!((0.0..=1.0).contains(&f.flatness) && (0.0..=1.0).contains(&f.harmonicity));
        }
        assert_eq!(e.extract(&[0.0; 1000], &[]), AudioFeatures::silent(1000.0 / SR as f32, 5));
    }

    #[test]
    fn tone_is_harmonic_noise_is_flat() {
        let e = ex();
        let tone: Vec<f32> =
            (0..SR as usize * 2).map(|i| 0.5 * (i as f32 * 220.0 * std::f32::consts::TAU / SR as f32).sin()).collect();
        let mut state = 12345u32;
        let noise: Vec<f32> = (0..SR as usize * 2)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
            })
            .collect();
        let (ft, fnz) = (e.extract(&tone, &[]), e.extract(&noise, &[]));
        assert!(ft.harmonicity > 0.9 && fnz.harmonicity < 0.5, "{} {}", ft.harmonicity, fnz.harmonicity);
        assert!(fnz.flatness > 0.5 && ft.flatness < 0.1, "{} {}", fnz.flatness, ft.flatness);
        assert!(ft.pitch_stability > 0.9 && ft.voiced_ratio > 0.9);
        assert!(fnz.zcr > 0.3 && ft.zcr < 0.05);
    }

    #[test]
    fn click_track_pulse() {
        // 120 BPM clicks: onset rate ≈ 2/s, the pulse found at 120 (or 60/240 folded into range).
        let mut y = vec![0.0f32; SR as usize * 8];
        let period = SR as usize / 2;
        for start in (0..y.len()).step_by(period) {
            for i in 0..64.min(y.len() - start) {
                y[start + i] = 0.8 * (1.0 - i as f32 / 64.0) * if i % 2 == 0 { 1.0 } else { -1.0 };
            }
        }
        let f = ex().extract(&y, &[]);
        assert!((f.onset_rate - 2.0).abs() < 0.3, "{}", f.onset_rate);
        assert!(f.pulse_clarity > 0.5 && (f.pulse_bpm - 120.0).abs() < 5.0, "{} {}", f.pulse_clarity, f.pulse_bpm);
    }

    #[test]
    fn invalid_config() {
        for c in [
            FeatureConfig { n_fft: 16, ..FeatureConfig::default() },
            FeatureConfig { hop_length: 0, ..FeatureConfig::default() },
            FeatureConfig { n_mfcc: 40, ..FeatureConfig::default() },
            FeatureConfig { voicing_threshold: 1.5, ..FeatureConfig::default() },
            FeatureConfig { dfa_n_scales: 1, ..FeatureConfig::default() },
            FeatureConfig { quiet_percentile: 0.0, ..FeatureConfig::default() },
        ] {
            assert!(FeatureExtractor::new(SR, c).is_err());
        }
        assert!(FeatureExtractor::new(4000, FeatureConfig::default()).is_err());
        assert!(FeatureExtractor::new(0, FeatureConfig::default()).is_err());
    }
}
