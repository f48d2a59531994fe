//! Loudness and the perceptual descriptors of Spotify's `audio-features`.
//!
//! - [`loudness`]: ITU-R BS.1770-4 / EBU R128 integrated loudness, loudness range and true peak,
//!   measured by a streaming meter on the original channels at the source rate (the decoder
//!   feeds it, see [`crate::audio::LoadConfig::loudness`]).
//! - [`features`]: track-level features of the mono analysis signal.
//! - [`model`]: the logistic descriptor models, whose weights are data (JSON).
//! - [`compute_descriptors`]: all of it together, returning [`Descriptors`].
//!
//! # The descriptors
//! Each is `σ(b + Σ w_i · clip((x_i − c_i)/s_i))` over the features named in the model JSON
//! (see [`model`]); the default weights and how they were obtained are in `model.json` and
//! `scripts/descriptors/` (recipe and fit script). All are in 0–1 except `loudness`.
//!
//! - **`loudness`** (dB): the BS.1770 integrated loudness in LUFS — Spotify's field, whose
//!   documented range is about −60…0. Taken from the source-rate multichannel meter when the
//!   caller passes its [`LoudnessStats`]; otherwise measured on the mono analysis signal as one
//!   front channel plus [`DescriptorConfig::mono_loudness_offset_lu`] (+3.01 LU, the reading of
//!   a dual-mono stereo programme). Fallback failure case: a stereo track with uncorrelated or
//!   out-of-phase channels reads too low from its mono mix. Floors at −70 LUFS for silence.
//! - **`energy`**: perceptual intensity; features: loudness, dynamic range (−), onset rate,
//!   spectral entropy, centroid, flatness. A prior (not fitted: no honest labels can be made
//!   here), with centres and scales from the development corpus. Fails on quiet-but-intense
//!   masters (loudness weighs a lot) and on loud sustained drones.
//! - **`danceability`**: pulse clarity and beat strength (+), DFA exponent α of the onset
//!   envelope (−; Streich & Herrera: lower α, more regular, more danceable), distance of the
//!   tempo from 120 BPM in octaves (−). A prior, like energy. Uses the context's tempo and beats
//!   when given, else the pulse estimate. Fails on metrically regular but undanceable music
//!   (a metronome) and on swung/syncopated grooves with weak onsets at beats.
//! - **`speechiness`**: syllabic 4 Hz modulation of the vocal band, low-energy frames, pitch
//!   instability, harmonicity, MFCC statistics; fitted on speech vs music vs music+speech.
//!   Fails on rap over sparse beats (mid values, as Spotify's does) and on a cappella singing.
//! - **`acousticness`**: fitted on electronic (EDM) vs acoustic recordings; features: low-
//!   frequency energy, dynamic range and crest, flatness, MFCC statistics, onset regularity.
//!   Fails on acoustic recordings with heavy production (compression, sub-bass) and on
//!   synthesizers imitating acoustic instruments.
//! - **`instrumentalness`**: fitted on instrumental music vs the same music mixed with speech;
//!   mostly the inverse of vocal cues. Sung vowels ("ooh"/"aah") are harmonic and stable and
//!   read instrumental, as Spotify's documentation asks; lead instruments with vocal-like pitch
//!   glides (violin, sax) can read vocal.
//! - **`liveness`**: fitted on recordings vs the same with synthetic crowd noise and hall
//!   reverberation; features: noise floor, flatness of the quiet frames, decay rate after
//!   onsets. Fails on studio recordings with added reverb or ambience, and on live recordings
//!   mastered with no audible audience.
//! - **`valence`**: mode (major +), tempo, brightness, harmonicity. A prior; valence is the
//!   least reliable descriptor (Spotify's own correlates weakly with any audio feature). Fails
//!   on happy minor-key music and sad fast music.
//!
//! Rhythm and key come from other modules through [`MusicalContext`]; every field is optional
//! and the descriptors degrade to the features' own estimates when it is absent.
//!
//! # References
//! - Spotify Web API, "Get Track's Audio Features" (field definitions), 2018–2024.
//! - S. Streich, P. Herrera, "Detrended fluctuation analysis of music signals", AES 2005.
//! - E. Scheirer, M. Slaney, "Construction and evaluation of a robust multifeature
//!   speech/music discriminator", ICASSP 1997.
//! - ITU-R BS.1770-4 (loudness).

pub mod features;
pub mod loudness;
pub mod model;

pub use features::{AudioFeatures, FeatureConfig, FeatureExtractor, FeatureFrames, FeatureState, SignalStats};
pub use loudness::{ChannelRole, LoudnessConfig, LoudnessMeter, LoudnessStats, measure_loudness};
pub use model::{DescriptorModel, Feature, FeatureVector, LogisticModel, Term};

use crate::error::{AnalyzerError, Result};

/// Rhythm and key results from other analyzers, all optional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MusicalContext {
    /// Tempo in BPM.
    pub tempo: Option<f32>,
    /// Tempo confidence, 0–1.
    pub tempo_confidence: Option<f32>,
    /// Beat times in seconds.
    pub beat_times: Vec<f64>,
    /// Mode: 1 major, 0 minor (Spotify's convention).
    pub mode: Option<u8>,
    /// Mode confidence, 0–1.
    pub mode_confidence: Option<f32>,
    /// Key confidence, 0–1.
    pub key_confidence: Option<f32>,
}

/// Configuration of [`compute_descriptors`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescriptorConfig {
    /// The feature extractor.
    pub features: FeatureConfig,
    /// The loudness meter used when no [`LoudnessStats`] are passed.
    pub loudness: LoudnessConfig,
    /// The descriptor models.
    pub model: DescriptorModel,
    /// Added to the loudness of the mono fallback measurement, LU (+3.01: a dual-mono stereo
    /// programme reads 3.01 LU above one of its channels).
    pub mono_loudness_offset_lu: f32,
    /// The tempo danceability is centred on, BPM.
    pub dance_tempo_center_bpm: f32,
}

impl Default for DescriptorConfig {
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            loudness: LoudnessConfig::default(),
            model: DescriptorModel::default(),
            mono_loudness_offset_lu: 3.01,
            dance_tempo_center_bpm: 120.0,
        }
    }
}

impl DescriptorConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.features.validate()?;
        self.loudness.validate()?;
        self.model.validate()?;
        if !self.mono_loudness_offset_lu.is_finite() {
            return Err(AnalyzerError::invalid("mono_loudness_offset_lu", "must be finite"));
        }
        crate::error::check::positive_f32("dance_tempo_center_bpm", self.dance_tempo_center_bpm)
    }
}

/// Spotify's `audio-features` descriptors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Descriptors {
    /// Integrated loudness, LUFS (BS.1770-4).
    pub loudness: f32,
    /// Energy, 0–1.
    pub energy: f32,
    /// Danceability, 0–1.
    pub danceability: f32,
    /// Speechiness, 0–1 (> 0.66 speech, 0.33–0.66 mixed, < 0.33 music).
    pub speechiness: f32,
    /// Acousticness, 0–1.
    pub acousticness: f32,
    /// Instrumentalness, 0–1 (> 0.5 instrumental).
    pub instrumentalness: f32,
    /// Liveness, 0–1 (> 0.8 strongly live).
    pub liveness: f32,
    /// Valence, 0–1.
    pub valence: f32,
}

impl Descriptors {
    /// The value of a track whose descriptor stage did not run: `loudness_lufs` (measured while
    /// decoding) and `NaN` for the seven 0–1 descriptors.
    pub fn not_computed(loudness_lufs: f32) -> Self {
        Descriptors {
            loudness: loudness_lufs,
            energy: f32::NAN,
            danceability: f32::NAN,
            speechiness: f32::NAN,
            acousticness: f32::NAN,
            instrumentalness: f32::NAN,
            liveness: f32::NAN,
            valence: f32::NAN,
        }
    }
}

impl DescriptorModel {
    /// Applies the seven models to a feature vector (`loudness` is copied from the features).
    pub fn predict(&self, x: &FeatureVector) -> Descriptors {
        Descriptors {
            loudness: x.get(Feature::LoudnessLufs),
            energy: self.energy.predict(x),
            danceability: self.danceability.predict(x),
            speechiness: self.speechiness.predict(x),
            acousticness: self.acousticness.predict(x),
            instrumentalness: self.instrumentalness.predict(x),
            liveness: self.liveness.predict(x),
            valence: self.valence.predict(x),
        }
    }
}

/// Value of an optional context number when it is absent or not finite.
fn finite_or(v: Option<f32>, default: f32) -> f32 {
    v.filter(|x| x.is_finite()).unwrap_or(default)
}

/// Mode value for an unknown mode (halfway between minor 0 and major 1).
const MODE_UNKNOWN: f32 = 0.5;

/// The track loudness the descriptors use: `loudness` when the decoder measured it on the
/// source channels, otherwise BS.1770 on the mono signal `y` (true peak skipped) plus
/// [`DescriptorConfig::mono_loudness_offset_lu`] for the lost channel sum.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad loudness config or rate.
pub fn track_loudness(
    y: &[f32],
    sr: u32,
    loudness: Option<&LoudnessStats>,
    config: &DescriptorConfig,
) -> Result<LoudnessStats> {
    if let Some(s) = loudness {
        return Ok(*s);
    }
    let mut meter = MonoLoudness::new(sr, config)?;
    meter.push(y);
    Ok(meter.stats(config))
}

/// The fallback of [`track_loudness`] fed chunk by chunk: BS.1770 on a mono signal (true peak
/// skipped, only the integrated loudness and range are read), plus
/// [`DescriptorConfig::mono_loudness_offset_lu`] for the lost channel sum.
#[derive(Debug, Clone)]
pub struct MonoLoudness {
    meter: LoudnessMeter,
}

impl MonoLoudness {
    /// A meter for a mono signal at `sr` Hz.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a bad loudness config or rate.
    pub fn new(sr: u32, config: &DescriptorConfig) -> Result<Self> {
        let meter_cfg = LoudnessConfig { true_peak: false, ..config.loudness.clone() };
        Ok(Self { meter: LoudnessMeter::new(sr, &[ChannelRole::Front], meter_cfg)? })
    }

    /// Adds the next samples.
    pub fn push(&mut self, y: &[f32]) {
        self.meter.push_interleaved(y);
    }

    /// The loudness so far, offset as [`track_loudness`] does.
    pub fn stats(&self, config: &DescriptorConfig) -> LoudnessStats {
        let mut s = self.meter.finish();
        if s.gated_blocks > 0 {
            s.integrated_lufs += config.mono_loudness_offset_lu;
        }
        s
    }
}

/// Computes the feature vector the descriptor models read: the audio features of `y` (mono,
/// `sr` Hz), the loudness (see [`Descriptors::loudness`]) and the musical context.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config or a rate too low for the features.
pub fn compute_features(
    y: &[f32],
    sr: u32,
    loudness: Option<&LoudnessStats>,
    context: &MusicalContext,
    config: &DescriptorConfig,
) -> Result<FeatureVector> {
    config.validate()?;
    let extractor = FeatureExtractor::new(sr, config.features.clone())?;
    let f = extractor.extract(y, &context.beat_times);
    feature_vector(&f, y, sr, loudness, context, config)
}

/// The rest of [`compute_features`] once the audio features of `y` are known (for callers
/// that extracted them with a planned [`FeatureExtractor`], e.g. in a shared STFT pass).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad loudness config.
pub fn feature_vector(
    f: &AudioFeatures,
    y: &[f32],
    sr: u32,
    loudness: Option<&LoudnessStats>,
    context: &MusicalContext,
    config: &DescriptorConfig,
) -> Result<FeatureVector> {
    let stats = track_loudness(y, sr, loudness, config)?;
    Ok(feature_vector_from_loudness(f, &stats, context, config))
}

/// [`feature_vector`] with the track loudness already known (see [`track_loudness`]).
pub fn feature_vector_from_loudness(
    f: &AudioFeatures,
    stats: &LoudnessStats,
    context: &MusicalContext,
    config: &DescriptorConfig,
) -> FeatureVector {
    let mut x = FeatureVector::default();
    use Feature as F;
    for (feat, v) in [
        (F::LoudnessLufs, stats.integrated_lufs),
        (F::LoudnessRangeLu, stats.loudness_range_lu),
        (F::RmsDb, f.rms_db),
        (F::DynamicRangeDb, f.dynamic_range_db),
        (F::CrestDb, f.crest_db),
        (F::CentroidKhz, f.centroid_khz),
        (F::RolloffKhz, f.rolloff_khz),
        (F::Flatness, f.flatness),
        (F::Entropy, f.entropy),
        (F::Flux, f.flux),
        (F::Harmonicity, f.harmonicity),
        (F::VoicedRatio, f.voiced_ratio),
        (F::PitchStability, f.pitch_stability),
        (F::VocalBandRatio, f.vocal_band_ratio),
        (F::Modulation4hz, f.modulation_4hz),
        (F::LowEnergyRatio, f.low_energy_ratio),
        (F::OnsetRate, f.onset_rate),
        (F::PulseClarity, f.pulse_clarity),
        (F::BeatStrength, f.beat_strength),
        (F::DfaAlpha, f.dfa_alpha),
        (F::LowFreqRatio, f.low_freq_ratio),
        (F::Zcr, f.zcr),
        (F::NoiseFloorDb, f.noise_floor_db),
        (F::QuietFlatness, f.quiet_flatness),
        (F::DecayDbPerS, f.decay_db_per_s),
    ] {
        x.set(feat, v);
    }
    let mfcc_means = [F::Mfcc1Mean, F::Mfcc2Mean, F::Mfcc3Mean, F::Mfcc4Mean, F::Mfcc5Mean];
    let mfcc_stds = [F::Mfcc1Std, F::Mfcc2Std, F::Mfcc3Std, F::Mfcc4Std, F::Mfcc5Std];
    for (k, (&m, &s)) in mfcc_means.iter().zip(&mfcc_stds).enumerate() {
        x.set(m, f.mfcc_mean.get(k).copied().unwrap_or(0.0));
        x.set(s, f.mfcc_std.get(k).copied().unwrap_or(0.0));
    }
    let tempo = context.tempo.filter(|t| t.is_finite() && *t > 0.0).unwrap_or(f.pulse_bpm);
    x.set(F::TempoBpm, tempo);
    let octaves = if tempo > 0.0 { (tempo / config.dance_tempo_center_bpm).log2().abs() } else { 0.0 };
    x.set(F::TempoOctaveDistance, octaves);
    x.set(F::TempoConfidence, finite_or(context.tempo_confidence, 0.0));
    let mode = match context.mode {
        Some(1) => 1.0,
        Some(0) => 0.0,
        _ => MODE_UNKNOWN,
    };
    x.set(F::ModeMajor, mode);
    x.set(F::ModeConfidence, finite_or(context.mode_confidence, 0.0));
    x
}

/// Computes Spotify's descriptors for a mono signal `y` at `sr` Hz.
///
/// `loudness` should be the [`LoudnessStats`] the decoder measured on the source channels
/// ([`crate::audio::DecodedAudio::loudness`]); with `None` the mono signal is measured instead
/// (see [`Descriptors::loudness`]). `context` carries tempo, beats and mode when known.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config or a rate too low for the features
/// (below 8 kHz with the defaults).
pub fn compute_descriptors(
    y: &[f32],
    sr: u32,
    loudness: Option<&LoudnessStats>,
    context: &MusicalContext,
    config: &DescriptorConfig,
) -> Result<Descriptors> {
    let x = compute_features(y, sr, loudness, context, config)?;
    Ok(config.model.predict(&x))
}
