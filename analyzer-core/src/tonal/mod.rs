//! Tonal analysis: per-frame pitch-class vectors (Spotify's `pitches`) and the global key and
//! mode with confidences (Spotify's `key`, `mode`, `key_confidence`, `mode_confidence`).
//!
//! Pipeline of [`estimate_key`]:
//! 1. STFT magnitude (`n_fft`, `hop_length`, Hann), non-finite samples read as zero;
//! 2. per frame, the share of in-band energy in bins standing [`KeyConfig::gate_ratio`] above
//!    their local-mean envelope (spectral whitening, [`whitening`]): the frame's *tonal
//!    fraction*, low for drum hits and noise. The spectrum itself is whitened only with
//!    [`SpectralWhitening::LocalMean`] (off by default, see there);
//! 3. HPCP with tuning estimation and harmonic weighting ([`crate::spectral::chroma`],
//!    Gómez 2006), peaks from [`KeyConfig::fmin`] (above kick drums) to [`KeyConfig::fmax`];
//! 4. frame weighting by tonal salience: `energy^salience_exponent ·
//!    tonal_fraction^tonal_fraction_exponent`, which suppresses percussive frames;
//! 5. key by profile correlation ([`key`]), over the whole track or by segment vote, with
//!    relative/parallel margins for the confidences and `key = −1` for atonal input
//!    (tonalness, sustained tonalness, tuning concentration and correlation thresholds).
//!
//! # References
//! - E. Gómez, "Tonal description of music audio signals", PhD thesis, UPF, 2006.
//! - C. L. Krumhansl, *Cognitive Foundations of Musical Pitch*, 1990.
//! - Á. Faraldo, E. Gómez, S. Jordà, P. Herrera, "Key estimation in electronic dance music",
//!   ECIR 2016.
//! - The Echo Nest, *Analyzer Documentation* v3.08, 2014 (`key`, `mode`, confidences and
//!   segment `pitches`, strongest class = 1).

pub mod accumulate;
pub mod key;
pub mod profiles;
pub mod whitening;

pub use accumulate::TonalAccumulator;
use key::TonalEvidence;
pub use key::{KeyAggregation, KeyEstimate, KeyTemplates, MAJOR, MINOR, NO_KEY};
pub use profiles::{KeyProfile, ModeCalibration, PITCH_CLASSES};

use crate::error::{AnalyzerError, Result, check};
use crate::spectral::chroma::{
    DEFAULT_HARMONIC_DECAY, DEFAULT_N_HARMONICS, DEFAULT_REFERENCE_HZ, DEFAULT_WINDOW_SEMITONES,
};
use crate::spectral::{HpcpConfig, HpcpNormalization, HpcpWeighting, PeakConfig, Stft, StftConfig};

/// Default FFT size: 186 ms at 22050 Hz, 5.4 Hz bins (two bins per semitone from ~80 Hz).
pub const DEFAULT_KEY_N_FFT: usize = 4096;
/// Default hop: no overlap (key needs coverage, not time resolution; 5.4 frames/s).
pub const DEFAULT_KEY_HOP_LENGTH: usize = 4096;
/// Default lowest peak frequency in Hz: above the fundamentals of kick drums and sub-bass
/// (lower bass notes still count through their second harmonic).
pub const DEFAULT_KEY_FMIN: f32 = 100.0;
/// Default highest peak frequency in Hz (Essentia's key extractor: 3500 Hz).
pub const DEFAULT_KEY_FMAX: f32 = 3500.0;
/// Default number of peaks per frame: peaks weigh by energy, and on both development sets 20,
/// 30, 40 and 60 peaks gave identical keys, so the cheaper 30.
pub const DEFAULT_KEY_MAX_PEAKS: usize = 30;
/// Default half-width of the whitening envelope in Hz.
pub const DEFAULT_WHITENING_HALF_WIDTH_HZ: f32 = 100.0;
/// Default floor of the whitening envelope, in dB below the loudest bin of the track.
pub const DEFAULT_WHITENING_FLOOR_DB: f32 = -70.0;
/// Default ratio of a tonal bin to its local mean (3 ≈ 9.5 dB).
pub const DEFAULT_GATE_RATIO: f32 = 3.0;
/// Default absolute peak threshold (as in [`crate::spectral::peaks`]).
pub const DEFAULT_PEAK_THRESHOLD: f32 = crate::spectral::peaks::DEFAULT_PEAK_THRESHOLD;
/// Default frame weight exponent on the whitened HPCP energy (0 = frames weighted by their
/// tonal fraction alone, whatever their level). 0.5 until 2026-12-06: with `bgate`, 0 gave
/// MIREX 0.874 against 0.830 on 414 rendered POP909 songs outside the development manifest
/// (0.843 / 0.850 on the 40 development songs, 0.417 / 0.433 on GiantSteps), and the learned
/// profile fitted on each front end does better with 0 on every set (see
/// [`KeyProfile::Learned`]): loud frames (drops, drum fills) no longer outweigh the quieter
/// harmonic passages.
pub const DEFAULT_SALIENCE_EXPONENT: f32 = 0.0;
/// Default exponent of the frame's tonal fraction in its weight.
pub const DEFAULT_TONAL_FRACTION_EXPONENT: f32 = 1.0;
/// Default segment length for [`KeyAggregation::SegmentVote`] in seconds.
pub const DEFAULT_SEGMENT_SECONDS: f32 = 15.0;
/// Default minimum correlation for a key to be reported. The tonality gates (tonalness,
/// sustained tonalness, tuning concentration, speechiness) catch atonal input first; this floor
/// keeps the margin it had with `bgate` (0.35 against a lowest 0.55 on the 89 key-labelled
/// development tracks): the learned templates correlate less with any real profile (lowest 0.35
/// there), so the floor is 0.2.
pub const DEFAULT_MIN_STRENGTH: f32 = 0.2;
/// Default minimum tonalness (share of in-band energy in tonal bins) for a key.
pub const DEFAULT_MIN_TONALNESS: f32 = 0.05;
/// Default minimum sustained tonalness ([`TonalFrames::sustained_tonalness`]) for a key: a
/// synthetic drum kit with pitched kick and snare gives 0.001, the 86 key-labelled development
/// tracks 0.013–0.55 (EDM previews at the low end), spoken word ~0.09; the threshold sits near
/// the geometric middle of the gap between drums and music.
pub const DEFAULT_MIN_SUSTAINED_TONALNESS: f32 = 0.004;
/// Default minimum tuning concentration for a key: white noise gives ~0.01, tonal
/// recordings 0.1–0.8 (pitch-shifted, lossy EDM previews down to ~0.01, hence a low value).
pub const DEFAULT_MIN_TUNING_CONCENTRATION: f32 = 0.005;
/// Default top of the bass band in Hz (B3 ≈ 247 Hz: the bass register).
pub const DEFAULT_BASS_FMAX: f32 = 250.0;
/// Default correlation margin under which the bass decides between relative keys: 0, off.
/// On the development sets the bass rule did not help (pop 0.850 → 0.832 MIREX at 0.1,
/// EDM 0.433 → 0.428), so relative confusions are only reflected in `mode_confidence`.
pub const DEFAULT_RELATIVE_MARGIN: f32 = 0.0;
/// Default margin scale of the key confidence.
pub const DEFAULT_KEY_MARGIN_SCALE: f32 = 0.1;
/// Default margin scale of the mode confidence.
pub const DEFAULT_MODE_MARGIN_SCALE: f32 = 0.1;
/// Default weight of the track's pitch-class profile in a section's key, in seconds of the
/// track's average frame evidence ([`KeyConfig::section_prior_seconds`]). Measured with
/// `eval_structure --keys-only` against POP909's timed key labels (`key_segments`) on 414
/// rendered songs outside the development manifest, pop909_dev and GiantSteps (500 tracks with
/// a key; 2026-12-06): share of labelled time lying in a section of the labelled key 0.564 with
/// sections on their own frames (0), 0.705 at 10 s, 0.786 at 60 s, 0.795 at 120 s, 0.798 at
/// 300 s, against 0.792 for the track key everywhere; on the 18 tracks whose key changes within
/// the excerpt, 0.455 / 0.506 / 0.514 / 0.508 / 0.538 against 0.543. A section's own frames
/// are weak evidence (a few seconds of chords); at 120 s, 4 % of section time carries another
/// key than the track's, and those sections are right more often than the track key.
pub const DEFAULT_SECTION_PRIOR_SECONDS: f32 = 120.0;
/// Default speechiness above which a track has no key: Spotify's documented threshold for
/// tracks "probably made entirely of spoken words".
pub const DEFAULT_MAX_SPEECHINESS: f32 = 0.66;

/// How the magnitude spectrum is prepared before peak picking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum SpectralWhitening {
    /// Raw magnitudes; [`KeyConfig::peak_threshold`] is an absolute magnitude. The default:
    /// at `n_fft = 4096` the low register of a chord is too dense for a local-mean envelope
    /// (the fundamentals of close chord tones raise each other's envelope), so whitening or
    /// gating loses the fundamentals and lets upper partials (fifths, thirds) dominate.
    /// Drums are handled by the salience weighting and the tonalness instead.
    #[default]
    Off,
    /// Divide by the local mean ([`whitening::whiten_in_place`]); the peak threshold is a
    /// ratio to the local mean. Flattens the spectral tilt, so upper partials weigh as much as
    /// fundamentals.
    LocalMean,
}

/// Parameters of key estimation and of the pitch vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyConfig {
    /// FFT size in samples.
    pub n_fft: usize,
    /// Hop between frames in samples.
    pub hop_length: usize,
    /// Lowest spectral peak in Hz.
    pub fmin: f32,
    /// Highest spectral peak in Hz.
    pub fmax: f32,
    /// Strongest peaks kept per frame.
    pub max_peaks: usize,
    /// Spectral whitening before peak picking.
    pub whitening: SpectralWhitening,
    /// Half-width of the whitening envelope in Hz (> 0).
    pub whitening_half_width_hz: f32,
    /// Floor of the whitening envelope in dB relative to the loudest bin of the input (< 0).
    pub whitening_floor_db: f32,
    /// Minimum peak magnitude: a ratio to the local mean with [`SpectralWhitening::LocalMean`],
    /// absolute otherwise.
    pub peak_threshold: f32,
    /// Ratio to the local mean above which a bin counts as tonal (tonalness and frame
    /// salience; > 1).
    pub gate_ratio: f32,
    /// Estimate the tuning (otherwise A4 = 440 Hz).
    pub estimate_tuning: bool,
    /// Harmonics per peak in the HPCP (≥ 1).
    pub n_harmonics: usize,
    /// Weight decay per harmonic, in (0, 1].
    pub harmonic_decay: f32,
    /// Width of the HPCP weighting window in semitones, in (0, 12].
    pub window_semitones: f32,
    /// Frame weight = (HPCP energy)^salience_exponent · (tonal fraction)^tonal_fraction_exponent;
    /// both 0 weigh every non-empty frame equally.
    pub salience_exponent: f32,
    /// Exponent of the frame's tonal fraction (share of its in-band energy in tonal bins) in
    /// the frame weight (≥ 0): frames dominated by drums or noise weigh less.
    pub tonal_fraction_exponent: f32,
    /// Key profile.
    pub profile: KeyProfile,
    /// Global key decision.
    pub aggregation: KeyAggregation,
    /// Segment length for [`KeyAggregation::SegmentVote`] in seconds (> 0).
    pub segment_seconds: f32,
    /// Below this best correlation the key is −1, in [−1, 1].
    pub min_strength: f32,
    /// Below this tonalness ([`TonalFrames::tonalness`]) the key is −1 (≥ 0; only used with
    /// audio input).
    pub min_tonalness: f32,
    /// Below this sustained tonalness ([`TonalFrames::sustained_tonalness`]) the key is −1:
    /// tonal peaks that no neighbouring frame holds are drum hits, not notes (≥ 0; only used
    /// with audio input).
    pub min_sustained_tonalness: f32,
    /// Below this tuning concentration ([`TonalFrames::tuning_concentration`]) the key is −1
    /// (in [0, 1]; only used with audio input).
    pub min_tuning_concentration: f32,
    /// Highest bass peak in Hz for the bass profile (> `fmin`).
    pub bass_fmax: f32,
    /// When the chosen key beats its relative by less than this correlation margin, the one
    /// whose tonic is stronger in the bass wins (≥ 0; 0 disables).
    pub relative_margin: f32,
    /// Correlation margin giving a key confidence of `1 − 1/e` times the strength (> 0).
    pub key_margin_scale: f32,
    /// Correlation margin giving a mode confidence of `1 − 1/e` times the strength (> 0).
    pub mode_margin_scale: f32,
    /// When the descriptor stage runs too and the track's speechiness exceeds this, the key is
    /// −1 with zero confidences: spoken word has pitch but no key. In [0, 1]; 1 disables. Only
    /// used by [`crate::analysis`], which has both.
    pub max_speechiness: f32,
    /// Weight of the whole track's pitch-class profile in each section's key ([`key_between`]),
    /// in seconds of the track's average frame evidence (finite, ≥ 0; 0 = each section on its
    /// own frames). A section's profile is the weighted mean of its frames and of the track's
    /// profile counted as that many seconds: short sections lean on the track's key, long
    /// sections with other harmony (a modulation) keep theirs. Only with
    /// [`KeyAggregation::Global`].
    pub section_prior_seconds: f32,
}

impl Default for KeyConfig {
    fn default() -> Self {
        Self {
            n_fft: DEFAULT_KEY_N_FFT,
            hop_length: DEFAULT_KEY_HOP_LENGTH,
            fmin: DEFAULT_KEY_FMIN,
            fmax: DEFAULT_KEY_FMAX,
            max_peaks: DEFAULT_KEY_MAX_PEAKS,
            whitening: SpectralWhitening::Off,
            whitening_half_width_hz: DEFAULT_WHITENING_HALF_WIDTH_HZ,
            whitening_floor_db: DEFAULT_WHITENING_FLOOR_DB,
            peak_threshold: DEFAULT_PEAK_THRESHOLD,
            gate_ratio: DEFAULT_GATE_RATIO,
            estimate_tuning: true,
            n_harmonics: DEFAULT_N_HARMONICS,
            harmonic_decay: DEFAULT_HARMONIC_DECAY,
            window_semitones: DEFAULT_WINDOW_SEMITONES,
            salience_exponent: DEFAULT_SALIENCE_EXPONENT,
            tonal_fraction_exponent: DEFAULT_TONAL_FRACTION_EXPONENT,
            profile: KeyProfile::default(),
            aggregation: KeyAggregation::default(),
            segment_seconds: DEFAULT_SEGMENT_SECONDS,
            min_strength: DEFAULT_MIN_STRENGTH,
            min_tonalness: DEFAULT_MIN_TONALNESS,
            min_sustained_tonalness: DEFAULT_MIN_SUSTAINED_TONALNESS,
            min_tuning_concentration: DEFAULT_MIN_TUNING_CONCENTRATION,
            bass_fmax: DEFAULT_BASS_FMAX,
            relative_margin: DEFAULT_RELATIVE_MARGIN,
            key_margin_scale: DEFAULT_KEY_MARGIN_SCALE,
            mode_margin_scale: DEFAULT_MODE_MARGIN_SCALE,
            max_speechiness: DEFAULT_MAX_SPEECHINESS,
            section_prior_seconds: DEFAULT_SECTION_PRIOR_SECONDS,
        }
    }
}

impl KeyConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        StftConfig::new(self.n_fft, self.hop_length).validate()?;
        check::ordered_range("fmin..fmax", self.fmin, self.fmax)?;
        check::at_least("max_peaks", self.max_peaks, 1)?;
        check::positive_f32("whitening_half_width_hz", self.whitening_half_width_hz)?;
        if !(self.whitening_floor_db.is_finite() && self.whitening_floor_db < 0.0) {
            return Err(AnalyzerError::invalid("whitening_floor_db", "must be finite and < 0"));
        }
        check::non_negative("peak_threshold", self.peak_threshold)?;
        if !(self.gate_ratio.is_finite() && self.gate_ratio > 1.0) {
            return Err(AnalyzerError::invalid("gate_ratio", "must be finite and > 1"));
        }
        check::non_negative("salience_exponent", self.salience_exponent)?;
        check::non_negative("tonal_fraction_exponent", self.tonal_fraction_exponent)?;
        check::positive_f32("segment_seconds", self.segment_seconds)?;
        if !(-1.0..=1.0).contains(&self.min_strength) {
            return Err(AnalyzerError::invalid("min_strength", "must be in [-1, 1]"));
        }
        check::unit_f32("max_speechiness", self.max_speechiness)?;
        check::non_negative("section_prior_seconds", self.section_prior_seconds)?;
        check::non_negative("min_tonalness", self.min_tonalness)?;
        check::non_negative("min_sustained_tonalness", self.min_sustained_tonalness)?;
        check::unit_f32("min_tuning_concentration", self.min_tuning_concentration)?;
        check::ordered_range("fmin..bass_fmax", self.fmin, self.bass_fmax)?;
        check::non_negative("relative_margin", self.relative_margin)?;
        check::positive_f32("key_margin_scale", self.key_margin_scale)?;
        check::positive_f32("mode_margin_scale", self.mode_margin_scale)?;
        self.hpcp_config(crate::DEFAULT_SAMPLE_RATE).validate()
    }

    fn hpcp_config(&self, sr: u32) -> HpcpConfig {
        HpcpConfig {
            size: PITCH_CLASSES,
            reference_hz: DEFAULT_REFERENCE_HZ,
            estimate_tuning: self.estimate_tuning,
            peaks: PeakConfig {
                sr,
                n_fft: self.n_fft,
                fmin: self.fmin,
                fmax: self.fmax,
                max_peaks: self.max_peaks,
                threshold: self.peak_threshold,
            },
            n_harmonics: self.n_harmonics,
            harmonic_decay: self.harmonic_decay,
            window_semitones: self.window_semitones,
            weighting: HpcpWeighting::Cosine,
            normalization: HpcpNormalization::None,
        }
    }

    /// The tonal-bin ratio used by the gate and the tonalness.
    fn whitening_ratio(&self) -> f32 {
        self.gate_ratio
    }

    fn decision_params(&self, frame_rate: f32) -> key::DecisionParams {
        key::DecisionParams {
            aggregation: self.aggregation,
            frames_per_segment: ((self.segment_seconds * frame_rate).round() as usize).max(1),
            min_strength: self.min_strength,
            min_tonalness: self.min_tonalness,
            min_sustained_tonalness: self.min_sustained_tonalness,
            min_tuning_concentration: self.min_tuning_concentration,
            key_margin_scale: self.key_margin_scale,
            mode_margin_scale: self.mode_margin_scale,
            relative_margin: self.relative_margin,
        }
    }
}

/// The tonal frames of a signal.
#[derive(Debug, Clone, PartialEq)]
pub struct TonalFrames {
    /// Per-frame pitch-class vectors, strongest class = 1 (all zeros for frames without
    /// tonal peaks); bin 0 = C.
    pub pitches: Vec<[f32; PITCH_CLASSES]>,
    /// Per-frame bass pitch-class vectors (peaks from `fmin` to `bass_fmax`, fundamentals
    /// only, strongest class = 1); empty unless [`KeyConfig::relative_margin`] > 0.
    pub bass: Vec<[f32; PITCH_CLASSES]>,
    /// Per-frame HPCP energy (before normalization).
    pub energy: Vec<f32>,
    /// Per-frame share of the in-band spectral energy in tonal bins (see
    /// [`TonalFrames::tonalness`]), in [0, 1].
    pub tonal_fraction: Vec<f32>,
    /// Frames per second.
    pub frame_rate: f32,
    /// Estimated tuning in semitones relative to A4 = 440 Hz.
    pub tuning: f32,
    /// Share of the in-band spectral energy (`fmin..fmax`) found in bins standing at least
    /// the peak-ratio threshold above their whitened envelope, in [0, 1]: near 0 for noise,
    /// clicks and silence, typically 0.2–0.8 for tonal music.
    pub tonalness: f32,
    /// Share of the in-band spectral energy that is tonal *and sustained*: held by a
    /// neighbouring frame as well ([`whitening::TonalEnergy::sustained`], a three-frame median
    /// filter as in harmonic/percussive separation), in [0, `tonalness`]. The pitched ring of
    /// drums (toms, snare body, kick) lasts less than a frame and scores near 0 (a drum kit
    /// ~0.001), music with notes or chords 0.01–0.5.
    pub sustained_tonalness: f32,
    /// Concentration of the spectral peaks around the tuned equal-tempered grid, in [0, 1]
    /// ([`crate::spectral::chroma::tuning_resultant`]): low for glides (speech), pitch-swept
    /// drums and noise, whose peaks fall anywhere between semitones.
    pub tuning_concentration: f32,
}

impl TonalFrames {
    /// Frame weights `energy^salience_exponent · tonal_fraction^tonal_fraction_exponent`
    /// (frames without energy weigh 0).
    pub fn weights(&self, salience_exponent: f32, tonal_fraction_exponent: f32) -> Vec<f32> {
        self.energy
            .iter()
            .zip(&self.tonal_fraction)
            .map(|(&e, &f)| {
                if e > 0.0 && e.is_finite() {
                    e.powf(salience_exponent) * f.clamp(0.0, 1.0).powf(tonal_fraction_exponent)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

/// Computes the tonal frames (whitened HPCP) of a mono signal at `sr` Hz, frame by frame with a
/// [`TonalAccumulator`] (so the whitening floor is relative to the loudest bin *so far*, as in
/// the streaming analysis; see there).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config or `sr == 0`.
pub fn tonal_frames(y: &[f32], sr: u32, config: &KeyConfig) -> Result<TonalFrames> {
    let mut acc = TonalAccumulator::new(sr, config)?;
    let stft = Stft::new(StftConfig::new(config.n_fft, config.hop_length))?;
    let clean;
    let y = if crate::simd::all_finite(y) {
        y
    } else {
        clean = y.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect::<Vec<f32>>();
        &clean
    };
    stft.for_each_frame(y, |_, x| acc.push(x));
    acc.finish()
}

/// Estimates the key and mode of a mono signal at `sr` Hz.
///
/// The default frame size (in samples) is that of the analysis rate
/// [`crate::DEFAULT_SAMPLE_RATE`], at which [`crate::analysis`] runs; at a much higher rate,
/// resample first ([`crate::audio::resample_mono`]): with the defaults, A minor chords at 192 kHz
/// give no key.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config or `sr == 0`.
pub fn estimate_key(y: &[f32], sr: u32, config: &KeyConfig) -> Result<KeyEstimate> {
    let frames = tonal_frames(y, sr, config)?;
    Ok(key_from_frames(&frames, config))
}

/// Estimates the key from already computed tonal frames (uses their energies as salience and
/// their tonalness for the no-key decision).
pub fn key_from_frames(frames: &TonalFrames, config: &KeyConfig) -> KeyEstimate {
    if config.validate().is_err() {
        return KeyEstimate::NONE;
    }
    let weights = frames.weights(config.salience_exponent, config.tonal_fraction_exponent);
    let templates = KeyTemplates::new(config.profile);
    key::decide(
        &frames.pitches,
        &weights,
        Some(TonalEvidence {
            tonalness: frames.tonalness,
            sustained_tonalness: frames.sustained_tonalness,
            tuning_concentration: frames.tuning_concentration,
        }),
        (!frames.bass.is_empty()).then_some(frames.bass.as_slice()),
        &templates,
        &config.decision_params(frames.frame_rate),
    )
}

/// The key of the frames whose centres lie in `[start, end)` seconds (a section of the track),
/// decided like [`key_from_frames`] but without the track-level tonality tests (they describe
/// the whole track; the caller decides whether it has a key at all). An empty range or an
/// invalid config gives [`KeyEstimate::NONE`].
///
/// With [`KeyConfig::section_prior_seconds`] `= s > 0` (and [`KeyAggregation::Global`]) the
/// section's profile is shrunk towards the track's:
///
/// `p = (Σ_{t ∈ section} w_t·x_t + W·x̄) / (Σ_{t ∈ section} w_t + W)`, `W = s · frame_rate · w̄`,
///
/// with `x̄` the track's weighted mean profile and `w̄` its mean frame weight: the track's
/// profile counts as `s` seconds of its average evidence (the posterior mean under a prior
/// centred on the track's profile, as in empirical-Bayes shrinkage of small-sample means).
pub fn key_between(frames: &TonalFrames, start: f64, end: f64, config: &KeyConfig) -> KeyEstimate {
    if config.validate().is_err() || frames.frame_rate.is_nan() || frames.frame_rate <= 0.0 {
        return KeyEstimate::NONE;
    }
    let rate = f64::from(frames.frame_rate);
    let n = frames.pitches.len();
    let a = ((start * rate).ceil().max(0.0) as usize).min(n);
    let b = ((end * rate).ceil().max(0.0) as usize).clamp(a, n);
    let weights = frames.weights(config.salience_exponent, config.tonal_fraction_exponent);
    if !weights[a..b].iter().any(|w| w.is_finite() && *w > 0.0) {
        // No evidence of its own (empty, silent or atonal): the prior alone would give the
        // track's key to a section without tonal content.
        return KeyEstimate::NONE;
    }
    let prior = (config.section_prior_seconds > 0.0 && config.aggregation == KeyAggregation::Global)
        .then(|| key::prior_frame(&frames.pitches, &weights, config.section_prior_seconds * frames.frame_rate))
        .flatten();
    // The prior enters as one more frame: the weighted mean above.
    let pooled;
    let (pitches, weights) = match prior {
        Some((profile, weight)) => {
            pooled = (
                frames.pitches[a..b].iter().copied().chain([profile]).collect::<Vec<_>>(),
                weights[a..b].iter().copied().chain([weight]).collect::<Vec<_>>(),
            );
            (pooled.0.as_slice(), pooled.1.as_slice())
        }
        None => (&frames.pitches[a..b], &weights[a..b]),
    };
    key::decide(
        pitches,
        weights,
        None,
        (!frames.bass.is_empty()).then(|| &frames.bass[a..b]),
        &KeyTemplates::new(config.profile),
        &config.decision_params(frames.frame_rate),
    )
}

/// Per-frame pitch vectors of a mono signal (Spotify's `pitches`: strongest class = 1,
/// bin 0 = C, all zeros where no tonal peak was found) and the frame rate in Hz.
/// Frame `t` is centred on sample `t · hop_length`.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config or `sr == 0`.
pub fn pitch_vectors(y: &[f32], sr: u32, config: &KeyConfig) -> Result<(Vec<[f32; PITCH_CLASSES]>, f32)> {
    let frames = tonal_frames(y, sr, config)?;
    Ok((frames.pitches, frames.frame_rate))
}

/// Estimates the key from a chromagram given as frames of 12 pitch-class values (bin 0 = C),
/// librosa-style (`chroma.T`). Each frame weighs by its total energy to the power
/// [`KeyConfig::salience_exponent`]; segments are [`KeyConfig::segment_seconds`] at
/// `frame_rate` frames per second. The tonalness test is skipped (it needs the audio).
/// An invalid config gives [`KeyEstimate::NONE`]; validate it first to get the error.
pub fn key_from_chroma(chroma: &[[f32; PITCH_CLASSES]], frame_rate: f32, config: &KeyConfig) -> KeyEstimate {
    if config.validate().is_err() {
        return KeyEstimate::NONE;
    }
    let mut pitches = Vec::with_capacity(chroma.len());
    let mut weights = Vec::with_capacity(chroma.len());
    for row in chroma {
        let finite = row.iter().all(|v| v.is_finite() && *v >= 0.0);
        let max = if finite { row.iter().copied().fold(0.0f32, f32::max) } else { 0.0 };
        if max > 0.0 {
            let mut p = *row;
            p.iter_mut().for_each(|v| *v /= max);
            weights.push(row.iter().sum::<f32>().powf(config.salience_exponent));
            pitches.push(p);
        } else {
            weights.push(0.0);
            pitches.push([0.0; PITCH_CLASSES]);
        }
    }
    let rate = if frame_rate.is_finite() && frame_rate > 0.0 { frame_rate } else { 1.0 };
    key::decide(&pitches, &weights, None, None, &KeyTemplates::new(config.profile), &config.decision_params(rate))
}
