//! Rhythm: onset strength, tempo, beats, bars, tatums and time signature.
//!
//! [`analyze_rhythm`] chains the stages, one algorithm per module:
//! 1. [`onset`]: SuperFlux onset strength on a log-frequency filterbank (Böck & Widmer 2013) and
//!    onset peak picking;
//! 2. [`tempo`]: harmonic-comb periodicity of the onset envelope with a log-Gaussian tempo prior
//!    choosing the metrical level, and a confidence from periodicity clarity and stability;
//! 3. [`beats`]: dynamic-programming beat tracking (Ellis 2007) with per-beat confidence;
//! 4. [`meter`]: time signature (3–7), downbeats/bars, and tatums.
//!
//! **Short input.** A signal shorter than [`RhythmConfig::min_duration_s`] (2 s by default: two
//! periods of 60 BPM, four beats at 120), including an empty one, is not an error: it gives
//! tempo 0, tempo confidence 0, time signature 4 with confidence 0 and no beats, bars or
//! tatums; the onset envelope and onsets are still computed. Silence and other input without a
//! pulse give the same tempo/meter result. From 2 s on a tempo is estimated, with a confidence
//! scaled down by the length ([`crate::rhythm::tempo::TempoConfig::full_evidence_s`]): on
//! 2-second excerpts of the POP909 development renders the tempo is right to within a factor of
//! two or three (Accuracy2) about two times in three (0.650; the peers 0.625–0.775, see the
//! README).
//!
//! # References
//! See the stage modules.

pub mod beats;
pub mod level;
pub mod meter;
pub mod onset;
pub mod tempo;

pub use beats::{BeatConfig, Beats, track_beats};
pub use level::{LevelChoice, LevelConfig, LevelMethod, choose_level};
pub use meter::{Meter, MeterConfig, analyze_meter};
pub use onset::{
    FluxAggregate, OnsetConfig, OnsetPeakConfig, OnsetStrength, SuperFlux, SuperFluxFrames, SuperFluxRows,
    onset_detect, onset_strength,
};
pub use tempo::{GlobalTempo, TempoConfig, TempoEstimate, TempoPrior, estimate_tempo};

use crate::error::{Result, check};
use crate::timeline::{TimeInterval, intervals_from_times};

/// Default shortest input analysed for tempo and meter, in seconds.
pub const DEFAULT_MIN_DURATION_S: f32 = 2.0;

/// Parameters of the whole rhythm analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct RhythmConfig {
    /// Onset strength (SuperFlux).
    pub onset: OnsetConfig,
    /// Onset peak picking (the `onsets` list).
    pub onset_peaks: OnsetPeakConfig,
    /// Tempo estimation.
    pub tempo: TempoConfig,
    /// Metrical-level choice of the tempo.
    pub level: LevelConfig,
    /// Beat tracking.
    pub beats: BeatConfig,
    /// Time signature, bars and tatums.
    pub meter: MeterConfig,
    /// Inputs shorter than this (seconds) get the defined "no tempo" result.
    pub min_duration_s: f32,
}

impl Default for RhythmConfig {
    fn default() -> Self {
        Self {
            onset: OnsetConfig::default(),
            onset_peaks: OnsetPeakConfig::default(),
            tempo: TempoConfig::default(),
            level: LevelConfig::default(),
            beats: BeatConfig::default(),
            meter: MeterConfig::default(),
            min_duration_s: DEFAULT_MIN_DURATION_S,
        }
    }
}

impl RhythmConfig {
    /// Checks every field of every stage.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`](crate::AnalyzerError::InvalidParameter) naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.onset.validate()?;
        self.onset_peaks.validate()?;
        self.tempo.validate()?;
        self.level.validate()?;
        self.beats.validate()?;
        self.meter.validate()?;
        check::non_negative("min_duration_s", self.min_duration_s)?;
        Ok(())
    }
}

/// The rhythm of a signal, in the shape of Spotify's `audio-analysis`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rhythm {
    /// Tempo in BPM (0 when there is none).
    pub tempo: f32,
    /// Confidence in 0–1 that `tempo` is right.
    pub tempo_confidence: f32,
    /// Beats per bar, 3–7.
    pub time_signature: u8,
    /// Confidence in 0–1 of `time_signature`.
    pub time_signature_confidence: f32,
    /// Beats.
    pub beats: Vec<TimeInterval>,
    /// Bars (starting at downbeats).
    pub bars: Vec<TimeInterval>,
    /// Tatums (beat subdivisions, including the beats).
    pub tatums: Vec<TimeInterval>,
    /// The SuperFlux onset strength envelope.
    pub onset_envelope: Vec<f32>,
    /// Frames per second of `onset_envelope`.
    pub onset_frame_rate: f32,
    /// Onset times in seconds.
    pub onsets: Vec<f64>,
}

impl Rhythm {
    /// The "no pulse" result: tempo 0, time signature 4, zero confidences, no beats, bars,
    /// tatums, onsets or envelope. Also the value of a rhythm stage that did not run.
    pub fn none() -> Self {
        Rhythm {
            tempo: 0.0,
            tempo_confidence: 0.0,
            time_signature: meter::DEFAULT_TIME_SIGNATURE,
            time_signature_confidence: 0.0,
            beats: Vec::new(),
            bars: Vec::new(),
            tatums: Vec::new(),
            onset_envelope: Vec::new(),
            onset_frame_rate: 0.0,
            onsets: Vec::new(),
        }
    }
}

/// Analyses the rhythm of mono samples `y` at sample rate `sr`. See the module docs.
///
/// The default frame sizes (in samples) and the fitted metrical level are those of the analysis
/// rate [`crate::DEFAULT_SAMPLE_RATE`], at which [`crate::analysis`] runs; at another rate,
/// resample first ([`crate::audio::resample_mono`]) for the same answers (a rock groove at
/// 120 BPM given at 44.1 kHz with the defaults comes out at 240).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`](crate::AnalyzerError::InvalidParameter) for a bad config or `sr == 0`.
pub fn analyze_rhythm(y: &[f32], sr: u32, config: &RhythmConfig) -> Result<Rhythm> {
    config.validate()?;
    let detector = SuperFlux::new(config.onset.clone(), sr)?;
    let os = detector.compute(y);
    rhythm_from_onset_strength(os, y.len() as f64 / sr as f64, config)
}

/// The rest of [`analyze_rhythm`] once the onset strength of the signal is known (for callers
/// that computed it in an STFT pass shared with other stages); `duration` is the signal's
/// length in seconds.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`](crate::AnalyzerError::InvalidParameter) for a bad config.
pub fn rhythm_from_onset_strength(os: OnsetStrength, duration: f64, config: &RhythmConfig) -> Result<Rhythm> {
    let fps = os.frame_rate;
    let onsets = onset_detect(&os.envelope, fps, &config.onset_peaks)?;
    let mut rhythm = Rhythm { onset_frame_rate: fps, onsets, ..Rhythm::none() };
    if duration < config.min_duration_s as f64 {
        rhythm.onset_envelope = os.envelope;
        return Ok(rhythm);
    }
    let mut tempo = estimate_tempo(&os.envelope, fps, &config.tempo)?;
    let beats_at = |bpm: f32, confidence: f32| track_beats(&os.envelope, fps, bpm, confidence, &config.beats);
    let meter_of = |beats: &Beats, confidence: f32| -> Result<Meter> {
        analyze_meter(&os.envelope, &os.spectrogram, fps, &beats.frames, &beats.confidence, confidence, &config.meter)
    };
    // The beats at the comb's tempo `b*` carry the metrical grouping the fitted level reads.
    let comb_beats = match config.level.method {
        LevelMethod::Prior => None,
        _ => Some(beats_at(tempo.bpm, tempo.confidence)?),
    };
    let comb_frames = comb_beats.as_ref().map_or(&[][..], |b| &b.frames[..]);
    let mut level =
        choose_level(&tempo, &os, rhythm.onsets.len(), duration, comb_frames, &config.tempo, &config.level)?;
    if level.octave < 0
        && let Some(comb_beats) = &comb_beats
    {
        // Halving pairs the comb's beats: not when they group in threes, fives or sevens.
        let meter = meter_of(comb_beats, tempo.confidence)?;
        if meter.time_signature % 2 == 1 && meter.time_signature_confidence >= config.level.odd_meter_veto_confidence {
            level.keep_comb_choice(tempo.bpm);
        }
    }
    tempo.bpm = level.bpm;
    tempo.confidence *= level.probability;
    let beats = beats_at(tempo.bpm, tempo.confidence)?;
    let meter = meter_of(&beats, tempo.confidence)?;
    Ok(finish_rhythm(rhythm, os, &tempo, beats, meter, duration))
}

/// Fills `rhythm` from the tempo, beats and meter.
fn finish_rhythm(
    mut rhythm: Rhythm,
    os: OnsetStrength,
    tempo: &TempoEstimate,
    beats: Beats,
    meter: Meter,
    duration: f64,
) -> Rhythm {
    if !beats.frames.is_empty() {
        rhythm.tempo = tempo.bpm;
        rhythm.tempo_confidence = tempo.confidence;
        rhythm.time_signature = meter.time_signature;
        rhythm.time_signature_confidence = meter.time_signature_confidence;
    }
    // The last beat lasts one beat period (not until the end of a silent tail).
    let end = match beats.times.as_slice() {
        [.., a, b] => (b + (b - a)).min(duration),
        _ => duration,
    };
    rhythm.beats = intervals_from_times(&beats.times, &beats.confidence, end);
    let bar_times: Vec<f64> = meter.downbeats.iter().map(|&i| beats.times[i]).collect();
    rhythm.bars = intervals_from_times(&bar_times, &meter.bar_confidence, end);
    rhythm.tatums = intervals_from_times(&meter.tatum_times, &meter.tatum_confidence, end);
    rhythm.onset_envelope = os.envelope;
    rhythm
}
