//! Whole-track analysis: one decode, then every stage, into the shape of Spotify's
//! `audio-features` (the flat [`AudioFeatures`]) and `audio-analysis` (the [`Timeline`]).
//!
//! This is the entry point the CLI and the Python module use. Each stage lives in its own
//! module and can be called on its own: [`crate::rhythm`] (tempo, beats, bars, tatums, time
//! signature), [`crate::tonal`] (key and mode, pitch vectors), [`crate::descriptors`]
//! (loudness and the perceptual descriptors).
//!
//! ```no_run
//! use analyzer_core::analysis::{AnalysisConfig, Analyzer};
//! let analyzer = Analyzer::new(AnalysisConfig::default())?; // build once, share across threads
//! let a = analyzer.analyze_path("song.flac")?;
//! println!("{} BPM, key {} mode {}", a.features.tempo, a.features.key, a.features.mode);
//! # Ok::<(), analyzer_core::AnalyzerError>(())
//! ```

mod pipeline;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use pipeline::Pipeline;

use crate::audio::{self, DecodeInfo, DecodedAudio, LoadConfig, RawStream};
use crate::descriptors::{self, DescriptorConfig, Descriptors, FeatureExtractor, MusicalContext};
use crate::error::{AnalyzerError, Result};
use crate::rhythm::{Rhythm, RhythmConfig, SuperFlux};
use crate::spectral::{Stft, StftConfig};
use crate::structure::{self, FrameFeatures, Section, SectionKey, SectionRhythm, Segment, StructureConfig};
use crate::timeline::TimeInterval;
use crate::tonal::{self, KeyConfig, KeyEstimate};

/// One stage of the flat analysis (see [`Stages`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Onset strength, tempo, beats, bars, tatums and time signature ([`crate::rhythm`]).
    Rhythm,
    /// Key and mode ([`crate::tonal`]).
    Key,
    /// The perceptual descriptors ([`crate::descriptors`]): energy, danceability, speechiness,
    /// acousticness, instrumentalness, liveness, valence. Loudness itself is measured while
    /// decoding and is always reported.
    Descriptors,
}

impl Stage {
    /// Every stage, in the order they run.
    pub const ALL: [Stage; 3] = [Stage::Rhythm, Stage::Key, Stage::Descriptors];

    fn bit(self) -> u8 {
        match self {
            Stage::Rhythm => 1,
            Stage::Key => 2,
            Stage::Descriptors => 4,
        }
    }
}

/// The set of stages an [`Analyzer`] runs; all of them by default. A tool that only needs
/// the tempo (a DJ tool, say) runs `Stages::none().with(Stage::Rhythm)` and pays for nothing
/// else.
///
/// The fields of a stage that did not run hold documented "not computed" values in
/// [`AudioFeatures`]: rhythm → tempo 0, time signature 4, confidences 0 (the same as "no
/// pulse"); key → key −1, mode 1, confidences 0 (the same as "no key"); descriptors → `NaN`
/// for the seven 0–1 descriptors (serialized as `null` by serde_json).
/// [`TrackAnalysis::stages`] says which stages ran.
///
/// ```
/// use analyzer_core::analysis::{AnalysisConfig, Analyzer, Stage, Stages};
/// let tempo_only = AnalysisConfig::default().with_stages(Stages::none().with(Stage::Rhythm));
/// let analyzer = Analyzer::new(tempo_only)?;
/// assert!(analyzer.config().stages.contains(Stage::Rhythm));
/// assert!(!analyzer.config().stages.contains(Stage::Key));
/// # Ok::<(), analyzer_core::AnalyzerError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stages(u8);

impl Stages {
    /// Every stage.
    pub const fn all() -> Self {
        Stages(0b111)
    }

    /// No stage (decode and loudness only); add stages with [`Stages::with`].
    pub const fn none() -> Self {
        Stages(0)
    }

    /// This set plus `stage`.
    #[must_use]
    pub fn with(self, stage: Stage) -> Self {
        Stages(self.0 | stage.bit())
    }

    /// This set without `stage`.
    #[must_use]
    pub fn without(self, stage: Stage) -> Self {
        Stages(self.0 & !stage.bit())
    }

    /// Whether `stage` runs.
    pub fn contains(self, stage: Stage) -> bool {
        self.0 & stage.bit() != 0
    }
}

impl Default for Stages {
    fn default() -> Self {
        Stages::all()
    }
}

impl std::fmt::Debug for Stages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(Stage::ALL.iter().filter(|s| self.contains(**s))).finish()
    }
}

/// Configuration of a whole-track analysis: one sub-config per stage.
///
/// `#[non_exhaustive]`: start from [`AnalysisConfig::default`] and change fields by assignment
/// or with the `with_*` methods; [`Analyzer::new`] validates it.
///
/// ```
/// use analyzer_core::analysis::{AnalysisConfig, Analyzer};
/// let mut config = AnalysisConfig::default().with_timeline(true);
/// config.load.max_duration_s = Some(600.0);
/// let analyzer = Analyzer::new(config)?;
/// # Ok::<(), analyzer_core::AnalyzerError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AnalysisConfig {
    /// Decoding: resampler quality, duration limit, loudness metering. Its analysis rate `sr`
    /// must be [`crate::DEFAULT_SAMPLE_RATE`] (see [`AnalysisConfig::validate`]).
    pub load: LoadConfig,
    /// Which stages run (all by default).
    pub stages: Stages,
    /// Onset strength, tempo, beats, meter.
    pub rhythm: RhythmConfig,
    /// Key and mode.
    pub key: KeyConfig,
    /// Loudness and the perceptual descriptors.
    pub descriptors: DescriptorConfig,
    /// Segments, sections and fades (used when `timeline` is set).
    pub structure: StructureConfig,
    /// Also compute the timeline (beats, bars, tatums, sections, segments, fades); needs the
    /// rhythm stage.
    pub timeline: bool,
}

impl AnalysisConfig {
    /// Checks every sub-config.
    ///
    /// The analysis rate `load.sr` must be [`crate::DEFAULT_SAMPLE_RATE`] (22050 Hz): the
    /// stages' frame sizes are in samples and their fitted models (the tempo level, the key
    /// profile, the descriptor models) were trained at that rate, so another rate changed the
    /// answers (on 97 evaluation files, one tempo in nine came out doubled at 44.1 kHz and one
    /// in five at 48 kHz, and liveness moved by 0.15 on average). Input at any rate is
    /// resampled to it.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first invalid parameter, including
    /// `sr` for another analysis rate and `timeline` when the timeline is asked for without the
    /// rhythm stage.
    pub fn validate(&self) -> Result<()> {
        self.load.validate()?;
        if self.load.sr != Some(crate::DEFAULT_SAMPLE_RATE) {
            let got = self.load.sr.map_or_else(|| "the source's own rate".to_owned(), |sr| format!("{sr} Hz"));
            return Err(AnalyzerError::invalid(
                "sr",
                format!(
                    "the analysis runs at {} Hz, the rate its fitted models were trained at (input at any \
                     rate is resampled to it), got {got}",
                    crate::DEFAULT_SAMPLE_RATE
                ),
            ));
        }
        self.rhythm.validate()?;
        self.key.validate()?;
        self.descriptors.validate()?;
        self.structure.validate()?;
        if self.timeline && !self.stages.contains(Stage::Rhythm) {
            return Err(AnalyzerError::invalid("timeline", "the timeline needs the rhythm stage (beats, onsets)"));
        }
        Ok(())
    }

    /// Sets the analysis sample rate in Hz. Only [`crate::DEFAULT_SAMPLE_RATE`], the default,
    /// is valid (see [`AnalysisConfig::validate`]).
    #[deprecated(note = "the analysis runs at DEFAULT_SAMPLE_RATE only; input at any rate is resampled to it")]
    #[must_use]
    pub fn with_sample_rate(mut self, sr: Option<u32>) -> Self {
        self.load.sr = sr;
        self
    }

    /// Also compute the timeline (beats, bars, tatums, sections, segments).
    #[must_use]
    pub fn with_timeline(mut self, timeline: bool) -> Self {
        self.timeline = timeline;
        self
    }

    /// Sets the stages that run.
    #[must_use]
    pub fn with_stages(mut self, stages: Stages) -> Self {
        self.stages = stages;
        self
    }

    /// Replaces the decoding configuration (rate, limits, loudness metering).
    #[must_use]
    pub fn with_load(mut self, load: LoadConfig) -> Self {
        self.load = load;
        self
    }

    /// Replaces the rhythm configuration.
    #[must_use]
    pub fn with_rhythm(mut self, rhythm: RhythmConfig) -> Self {
        self.rhythm = rhythm;
        self
    }

    /// Replaces the key configuration.
    #[must_use]
    pub fn with_key(mut self, key: KeyConfig) -> Self {
        self.key = key;
        self
    }

    /// Replaces the descriptor configuration (including the model weights).
    #[must_use]
    pub fn with_descriptors(mut self, descriptors: DescriptorConfig) -> Self {
        self.descriptors = descriptors;
        self
    }

    /// Replaces the structure (segments, sections, fades) configuration.
    #[must_use]
    pub fn with_structure(mut self, structure: StructureConfig) -> Self {
        self.structure = structure;
        self
    }

    /// Sets the longest accepted input in seconds (`None`: no limit); longer input fails with
    /// [`AnalyzerError::LimitExceeded`] unless `LoadConfig::truncate_long_input` is set.
    #[must_use]
    pub fn with_max_duration(mut self, seconds: Option<f64>) -> Self {
        self.load.max_duration_s = seconds;
        self
    }
}

/// The analyzer: a validated configuration and the stages' plans (FFT plans, windows,
/// filterbanks, DCT bases) for the analysis sample rate, built once and shared across files and
/// threads (`Send + Sync`, cheap to clone; every method takes `&self`).
#[derive(Debug, Clone)]
pub struct Analyzer {
    config: AnalysisConfig,
    /// Plans for the analysis rate `config.load.sr`.
    plans: Arc<Plans>,
}

/// What the frame-level stages need planned for one sample rate: the plans of the stages the
/// configuration runs (`None` for the others).
#[derive(Debug)]
struct Plans {
    sr: u32,
    onset: Option<SuperFlux>,
    key_stft: Option<Stft>,
    features: Option<FeatureExtractor>,
    /// When the descriptor STFT's frames are every `k`-th frame of the onset STFT (same FFT
    /// size, window and padding, hop `k` times as long): `Some(k)`, and one STFT pass feeds
    /// both stages.
    shared_stride: Option<usize>,
    /// The timeline's frame features, when the timeline is asked for.
    frames: Option<structure::FrameFeatureExtractor>,
}

impl Plans {
    /// Plans the configured stages for `sr` (in stage order: rhythm, key, descriptors,
    /// timeline).
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] from the first stage that cannot work at `sr`.
    fn new(config: &AnalysisConfig, sr: u32) -> Result<Self> {
        let stages = config.stages;
        let onset =
            if stages.contains(Stage::Rhythm) { Some(SuperFlux::new(config.rhythm.onset.clone(), sr)?) } else { None };
        let key_stft = if stages.contains(Stage::Key) {
            Some(Stft::new(StftConfig::new(config.key.n_fft, config.key.hop_length))?)
        } else {
            None
        };
        let features = if stages.contains(Stage::Descriptors) {
            Some(FeatureExtractor::new(sr, config.descriptors.features.clone())?)
        } else {
            None
        };
        let shared_stride = match (&onset, &features) {
            (Some(o), Some(f)) => {
                let (a, b) = (o.stft().config(), f.stft().config());
                let same_frames = a.n_fft == b.n_fft
                    && a.win_length == b.win_length
                    && a.window == b.window
                    && a.center == b.center
                    && a.pad_mode == b.pad_mode;
                (same_frames && b.hop_length % a.hop_length == 0).then(|| b.hop_length / a.hop_length)
            }
            _ => None,
        };
        let frames = if config.timeline {
            Some(structure::FrameFeatureExtractor::new(sr, config.structure.features.clone())?)
        } else {
            None
        };
        Ok(Self { sr, onset, key_stft, features, shared_stride, frames })
    }
}

/// Wall time of one analysis: decoding (with mixdown, resampling and loudness metering) and
/// the analysis stages, which run interleaved as the decoder produces the signal.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AnalysisTiming {
    /// Seconds spent outside the stages: reading, decoding, mixdown, metering, resampling.
    pub decode_seconds: f64,
    /// Seconds spent in the stages.
    pub analysis_seconds: f64,
}

/// An encoded input for [`Analyzer::analyze_encoded`].
#[derive(Debug, Clone)]
pub enum EncodedInput<'a> {
    /// A file, decoded as it is read (the file is never held in memory).
    Path(&'a Path),
    /// A file's bytes; `extension` (`"mp3"`, ...) is a hint only.
    Bytes {
        /// The encoded bytes.
        bytes: Vec<u8>,
        /// The file name extension, if known.
        extension: Option<&'a str>,
    },
}

impl Analyzer {
    /// Validates `config` and builds the analyzer, planning every stage for the analysis rate
    /// [`crate::DEFAULT_SAMPLE_RATE`].
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for an invalid configuration, including a stage
    /// that cannot work at the analysis rate.
    pub fn new(config: AnalysisConfig) -> Result<Self> {
        config.validate()?;
        let plans = Arc::new(Plans::new(&config, crate::DEFAULT_SAMPLE_RATE)?);
        Ok(Analyzer { config, plans })
    }

    /// The configuration.
    pub fn config(&self) -> &AnalysisConfig {
        &self.config
    }

    /// Analyses a file. The file is hashed, then decoded as it is read, every stage running
    /// on the signal as it is decoded: neither the file nor its decoded signal is held in
    /// memory (see [`Analyzer::stream`]).
    ///
    /// # Errors
    /// The decode errors of [`audio::load_path`]; `Io` with kind `NotFound` for a missing file.
    pub fn analyze_path(&self, path: impl AsRef<Path>) -> Result<TrackAnalysis> {
        let path = path.as_ref();
        let hash = audio::content_hash_path(path)?;
        Ok(self.analyze_encoded(EncodedInput::Path(path), hash)?.0)
    }

    /// Analyses an encoded file held in memory; `extension` (`"mp3"`, ...) is a hint only.
    ///
    /// # Errors
    /// As [`Analyzer::analyze_path`].
    pub fn analyze_bytes(&self, bytes: impl Into<Vec<u8>>, extension: Option<&str>) -> Result<TrackAnalysis> {
        let bytes: Vec<u8> = bytes.into();
        let hash = audio::content_hash_bytes(&bytes);
        Ok(self.analyze_encoded(EncodedInput::Bytes { bytes, extension }, hash)?.0)
    }

    /// Analyses an encoded input whose BLAKE3 hash (hex, as [`audio::content_hash_path`]) the
    /// caller already has, and reports the time spent decoding and in the stages.
    ///
    /// # Errors
    /// As [`Analyzer::analyze_path`].
    pub fn analyze_encoded(
        &self,
        input: EncodedInput<'_>,
        content_hash: String,
    ) -> Result<(TrackAnalysis, AnalysisTiming)> {
        let started = Instant::now();
        let load = &self.config.load;
        let mut make = |sr: u32| self.pipeline(sr, load.loudness.is_none());
        let (pipe, info) = match input {
            EncodedInput::Path(path) => audio::stream_path(path, load, &mut make)?,
            EncodedInput::Bytes { bytes, extension } => audio::stream_bytes(bytes, extension, load, &mut make)?,
        };
        let (analysis, busy) = pipe.finish(info, Some(content_hash))?;
        let total = started.elapsed().as_secs_f64();
        let analysis_seconds = busy.as_secs_f64().min(total);
        Ok((analysis, AnalysisTiming { decode_seconds: total - analysis_seconds, analysis_seconds }))
    }

    /// Analyses an encoded stream from any reader (read to the end, then decoded).
    ///
    /// # Errors
    /// `Io` if reading fails; otherwise as [`Analyzer::analyze_path`].
    pub fn analyze_reader(&self, mut reader: impl std::io::Read, extension: Option<&str>) -> Result<TrackAnalysis> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| AnalyzerError::io(None, e))?;
        self.analyze_bytes(bytes, extension)
    }

    /// Analyses interleaved samples (`channels` per frame) at `sr` Hz, already in memory.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a zero rate or channel count or a length that is
    /// not a multiple of `channels`; `LimitExceeded` past the duration limit.
    pub fn analyze_samples(&self, interleaved: &[f32], sr: u32, channels: usize) -> Result<TrackAnalysis> {
        let mut stream = self.stream(sr, channels)?;
        if !interleaved.len().is_multiple_of(channels) {
            return Err(AnalyzerError::invalid("channels", "sample count is not a multiple of the channel count"));
        }
        stream.push(interleaved)?;
        stream.finish()
    }

    /// Starts a streaming analysis of interleaved `f32` samples with `channels` channels at
    /// `sample_rate` Hz: push chunks as they arrive with [`AnalysisStream::push`], then
    /// [`AnalysisStream::finish`] gives the analysis. Mixdown, loudness metering, resampling
    /// and every stage's frame analysis run as the chunks arrive, so memory holds the stages'
    /// frame records (a few MB per hour of audio), never the signal; the result equals
    /// [`Analyzer::analyze_samples`] on the concatenated chunks, whatever the chunking.
    ///
    /// ```
    /// use analyzer_core::analysis::{AnalysisConfig, Analyzer};
    /// let analyzer = Analyzer::new(AnalysisConfig::default())?;
    /// let mut stream = analyzer.stream(44100, 1)?;
    /// let tone: Vec<f32> = (0..4410).map(|i| (i as f32 * 0.0627).sin() * 0.5).collect();
    /// for _ in 0..20 {
    ///     stream.push(&tone)?; // 2 s of audio in 0.1 s chunks
    /// }
    /// let analysis = stream.finish()?;
    /// assert_eq!(analysis.features.duration_ms, 2000);
    /// # Ok::<(), analyzer_core::AnalyzerError>(())
    /// ```
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a zero or absurd rate or channel count.
    pub fn stream(&self, sample_rate: u32, channels: usize) -> Result<AnalysisStream> {
        let load = &self.config.load;
        let raw = RawStream::new(sample_rate, channels, load, &mut |sr| self.pipeline(sr, load.loudness.is_none()))?;
        Ok(AnalysisStream { raw })
    }

    /// The stages' pipeline for a signal at `sr` Hz, the analysis rate (the decoder and
    /// [`RawStream`] resample to `config.load.sr`, which validation fixed to it);
    /// `meter_mono` meters the mono signal (the source channels are not metered).
    fn pipeline(&self, sr: u32, meter_mono: bool) -> Result<Pipeline> {
        debug_assert_eq!(sr, self.plans.sr, "the signal reaches the stages at the analysis rate");
        Pipeline::new(&self.config, Arc::clone(&self.plans), meter_mono)
    }

    /// Analyses many files in parallel on rayon's global pool (feature `rayon`); results come
    /// back in input order, one `Result` per file, so one bad file does not stop the others.
    /// The numbers do not depend on the number of threads.
    #[cfg(feature = "rayon")]
    pub fn analyze_paths<P>(&self, paths: &[P]) -> Vec<Result<TrackAnalysis>>
    where
        P: AsRef<Path> + Sync,
    {
        use rayon::prelude::*;
        paths.par_iter().map(|p| self.analyze_path(p)).collect()
    }

    /// Runs every stage on audio already decoded by [`crate::audio`]; audio decoded at
    /// another rate than the analysis rate is resampled to it first
    /// ([`audio::resample_mono`], with `config.load.resample_quality`).
    ///
    /// # Errors
    /// Only configuration errors; any audio, however short or silent, gives a result.
    pub fn analyze_decoded(&self, decoded: DecodedAudio, content_hash: Option<String>) -> Result<TrackAnalysis> {
        let (mut samples, mut info) = decoded.into_parts();
        let sr = self.plans.sr;
        if info.sample_rate != sr {
            // As the pipeline does, non-finite samples count as zeros (here before the
            // resampler's filter could spread them).
            samples.iter_mut().filter(|v| !v.is_finite()).for_each(|v| *v = 0.0);
            samples = audio::resample_mono(&samples, info.sample_rate, sr, self.config.load.resample_quality)?;
            info.sample_rate = sr;
        }
        let mut pipe = self.pipeline(sr, info.loudness.is_none())?;
        pipe.push(&samples);
        drop(samples);
        Ok(pipe.finish(info, content_hash)?.0)
    }
}

/// A streaming analysis started by [`Analyzer::stream`]: push interleaved chunks as they
/// arrive, then [`AnalysisStream::finish`].
#[derive(Debug)]
pub struct AnalysisStream {
    raw: RawStream<Pipeline>,
}

impl AnalysisStream {
    /// Feeds interleaved samples (a chunk need not hold whole frames).
    ///
    /// # Errors
    /// [`AnalyzerError::LimitExceeded`] once the stream passes the configured
    /// `max_duration_s` (unless `truncate_long_input` is set).
    pub fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        self.raw.push(interleaved)
    }

    /// Seconds of audio received so far.
    pub fn duration_seconds(&self) -> f64 {
        self.raw.duration_seconds()
    }

    /// Ends the stream and runs the analysis.
    ///
    /// # Errors
    /// As [`Analyzer::analyze_decoded`].
    pub fn finish(self) -> Result<TrackAnalysis> {
        let (pipe, info) = self.raw.finish()?;
        Ok(pipe.finish(info, None)?.0)
    }
}

/// The flat per-track record: exactly Spotify's `audio-features` fields and meanings, plus the
/// confidences of Spotify's `audio-analysis` track object.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AudioFeatures {
    /// Duration of the decoded audio in milliseconds.
    pub duration_ms: u64,
    /// Estimated tempo in beats per minute (0 when no tempo could be estimated).
    pub tempo: f32,
    /// Confidence in 0–1 that `tempo` is right.
    pub tempo_confidence: f32,
    /// Estimated beats per bar, 3–7 (Spotify's `time_signature`).
    pub time_signature: u8,
    /// Confidence in 0–1 of `time_signature`.
    pub time_signature_confidence: f32,
    /// Pitch class of the key, 0 = C … 11 = B; −1 when no key was detected.
    pub key: i8,
    /// Confidence in 0–1 of `key`.
    pub key_confidence: f32,
    /// 1 major, 0 minor.
    pub mode: u8,
    /// Confidence in 0–1 of `mode`.
    pub mode_confidence: f32,
    /// Integrated loudness in dB (LUFS, ITU-R BS.1770-4).
    pub loudness: f32,
    /// Perceptual intensity, 0–1.
    pub energy: f32,
    /// Suitability for dancing, 0–1.
    pub danceability: f32,
    /// Presence of spoken words, 0–1 (> 0.66 speech, 0.33–0.66 mixed, < 0.33 music).
    pub speechiness: f32,
    /// Confidence that the track is acoustic, 0–1.
    pub acousticness: f32,
    /// Likelihood of no vocals, 0–1 (> 0.5 instrumental).
    pub instrumentalness: f32,
    /// Presence of an audience, 0–1 (> 0.8 strongly live).
    pub liveness: f32,
    /// Musical positiveness, 0–1.
    pub valence: f32,
}

/// What was analysed: the source and the decode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TrackInfo {
    /// The source as read from the container (rate, channels, codec, frames).
    pub source: audio::SourceInfo,
    /// The analysis sample rate in Hz.
    pub analysis_sample_rate: u32,
    /// Number of samples at the analysis rate.
    pub num_samples: usize,
    /// BLAKE3 hex of the input bytes (`None` for raw samples).
    pub content_hash: Option<String>,
    /// Integrated loudness, loudness range and peaks of the source channels, when measured.
    pub loudness: Option<descriptors::LoudnessStats>,
    /// Decoder warnings (skipped corrupt packets, truncation).
    pub warnings: Vec<String>,
    /// The analyzer version that produced this analysis.
    pub analyzer_version: &'static str,
}

/// The `audio-analysis` timeline.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Timeline {
    /// Bars (downbeat to downbeat).
    pub bars: Vec<TimeInterval>,
    /// Beats.
    pub beats: Vec<TimeInterval>,
    /// Tatums (the smallest regular pulse).
    pub tatums: Vec<TimeInterval>,
    /// Sections (large-scale structure), tiling the track.
    pub sections: Vec<Section>,
    /// Segments (onset-aligned events with loudness, pitches and timbre), tiling the track.
    pub segments: Vec<Segment>,
    /// End of the fade-in in seconds (0 when none).
    pub end_of_fade_in: f64,
    /// Start of the fade-out in seconds (the duration when none).
    pub start_of_fade_out: f64,
}

/// Everything a whole-track analysis produces.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TrackAnalysis {
    /// The source and decode.
    pub track: TrackInfo,
    /// The flat features (fields of stages that did not run hold the values documented on
    /// [`Stages`]).
    pub features: AudioFeatures,
    /// The stages that ran.
    pub stages: Stages,
    /// The timeline, when [`AnalysisConfig::timeline`] is set.
    pub timeline: Option<Timeline>,
}

/// One-shot [`Analyzer::analyze_path`] (validates `config` on every call; build an
/// [`Analyzer`] to reuse it).
///
/// # Errors
/// As [`Analyzer::new`] and [`Analyzer::analyze_path`].
pub fn analyze_path(path: impl AsRef<Path>, config: &AnalysisConfig) -> Result<TrackAnalysis> {
    Analyzer::new(config.clone())?.analyze_path(path)
}

/// One-shot [`Analyzer::analyze_bytes`].
///
/// # Errors
/// As [`Analyzer::new`] and [`Analyzer::analyze_bytes`].
pub fn analyze_bytes(
    bytes: impl Into<Vec<u8>>,
    extension: Option<&str>,
    config: &AnalysisConfig,
) -> Result<TrackAnalysis> {
    Analyzer::new(config.clone())?.analyze_bytes(bytes, extension)
}

/// One-shot analysis of mono samples `y` at `sr` Hz.
///
/// # Errors
/// As [`Analyzer::new`] and [`Analyzer::analyze_samples`].
pub fn analyze_samples(y: &[f32], sr: u32, config: &AnalysisConfig) -> Result<TrackAnalysis> {
    Analyzer::new(config.clone())?.analyze_samples(y, sr, 1)
}

/// What the descriptors know of the rhythm and key (nothing of a stage that did not run).
fn musical_context(rhythm: &Rhythm, key: &KeyEstimate, stages: Stages) -> MusicalContext {
    let (r, k) = (stages.contains(Stage::Rhythm), stages.contains(Stage::Key));
    MusicalContext {
        tempo: r.then_some(rhythm.tempo),
        tempo_confidence: r.then_some(rhythm.tempo_confidence),
        beat_times: rhythm.beats.iter().map(|b| b.start).collect(),
        mode: (key.key >= 0).then_some(key.mode),
        mode_confidence: k.then_some(key.mode_confidence),
        key_confidence: k.then_some(key.key_confidence),
    }
}

/// The key stage's result, with its frames when the timeline will estimate section keys.
struct KeyStage {
    estimate: KeyEstimate,
    frames: Option<tonal::TonalFrames>,
}

/// The flat features, the timeline when asked for, and the track record.
#[allow(clippy::too_many_arguments)]
fn finish(
    decoded: DecodeInfo,
    num_samples: usize,
    content_hash: Option<String>,
    config: &AnalysisConfig,
    rhythm: Rhythm,
    key: KeyStage,
    desc: Descriptors,
    frames: Option<FrameFeatures>,
) -> Result<TrackAnalysis> {
    let KeyStage { estimate: key, frames: key_frames } = key;
    let sr = decoded.sample_rate;
    let duration_ms = (decoded.source.duration_seconds() * 1000.0).round() as u64;
    // Spoken word has pitch but no key (the descriptors ran after the key, with its mode); its
    // sections get none either.
    let speech_without_key = config.stages.contains(Stage::Key)
        && config.stages.contains(Stage::Descriptors)
        && desc.speechiness > config.key.max_speechiness;
    let key = if speech_without_key { KeyEstimate::NONE } else { key };
    // A track the key stage found atonal (drums, noise, speech) has atonal sections too: a
    // section's key comes from its chroma alone, without the audio evidence of tonality.
    let without_key = config.stages.contains(Stage::Key) && key.key == tonal::NO_KEY;
    let features = AudioFeatures {
        duration_ms,
        tempo: rhythm.tempo,
        tempo_confidence: rhythm.tempo_confidence,
        time_signature: rhythm.time_signature,
        time_signature_confidence: rhythm.time_signature_confidence,
        key: key.key,
        key_confidence: key.key_confidence,
        mode: key.mode,
        mode_confidence: key.mode_confidence,
        loudness: desc.loudness,
        energy: desc.energy,
        danceability: desc.danceability,
        speechiness: desc.speechiness,
        acousticness: desc.acousticness,
        instrumentalness: desc.instrumentalness,
        liveness: desc.liveness,
        valence: desc.valence,
    };
    let timeline = match frames {
        Some(frames) if config.timeline => {
            let section_keys = if without_key { SectionKeys::None } else { SectionKeys::from(key_frames.as_ref()) };
            let duration = num_samples as f64 / sr as f64;
            Some(timeline(frames, duration, rhythm, &features, section_keys, config)?)
        }
        _ => None,
    };
    let track = TrackInfo {
        num_samples,
        analysis_sample_rate: sr,
        source: decoded.source,
        content_hash,
        loudness: decoded.loudness,
        warnings: decoded.warnings,
        analyzer_version: crate::ANALYZER_VERSION,
    };
    Ok(TrackAnalysis { track, features, stages: config.stages, timeline })
}

/// Where the sections' keys come from.
enum SectionKeys<'a> {
    /// Key −1 everywhere: the key stage gave the track key −1 (atonal, or spoken word, see
    /// [`crate::tonal::KeyConfig::max_speechiness`]).
    None,
    /// The key stage's frames over each section (the same front end as the track's key).
    Frames(&'a tonal::TonalFrames),
    /// The timeline's chroma (the key stage did not run).
    Chroma,
}

impl<'a> From<Option<&'a tonal::TonalFrames>> for SectionKeys<'a> {
    fn from(frames: Option<&'a tonal::TonalFrames>) -> Self {
        frames.map_or(SectionKeys::Chroma, SectionKeys::Frames)
    }
}

/// Segments, sections and fades on top of the rhythm, section keys from `section_keys`.
fn timeline(
    frames: FrameFeatures,
    duration: f64,
    rhythm: Rhythm,
    features: &AudioFeatures,
    section_keys: SectionKeys<'_>,
    config: &AnalysisConfig,
) -> Result<Timeline> {
    let strengths: Vec<f32> = rhythm
        .onsets
        .iter()
        .map(|&t| {
            let i = (t * rhythm.onset_frame_rate as f64).round().max(0.0) as usize;
            rhythm.onset_envelope.get(i).copied().unwrap_or(0.0)
        })
        .collect();
    let segments = structure::segments(&frames, &rhythm.onsets, &strengths, duration, &config.structure.segments)?;
    let beat_times: Vec<f64> = rhythm.beats.iter().map(|b| b.start).collect();
    let section_rhythm = SectionRhythm {
        beats: &beat_times,
        tempo: features.tempo,
        tempo_confidence: features.tempo_confidence,
        time_signature: features.time_signature,
        time_signature_confidence: features.time_signature_confidence,
    };
    let key_of = |start: f64, end: f64, chroma: &[[f32; structure::N_DIMS]]| {
        let k = match section_keys {
            SectionKeys::None => KeyEstimate::NONE,
            SectionKeys::Frames(key_frames) => tonal::key_between(key_frames, start, end, &config.key),
            SectionKeys::Chroma => tonal::key_from_chroma(chroma, frames.frame_rate, &config.key),
        };
        SectionKey { key: k.key, key_confidence: k.key_confidence, mode: k.mode, mode_confidence: k.mode_confidence }
    };
    let sections = structure::sections(&frames, &section_rhythm, duration, &config.structure.sections, &key_of)?;
    let (end_of_fade_in, start_of_fade_out) = structure::fades(&frames, duration, &config.structure.fades)?;
    Ok(Timeline {
        bars: rhythm.bars,
        beats: rhythm.beats,
        tatums: rhythm.tatums,
        sections,
        segments,
        end_of_fade_in,
        start_of_fade_out,
    })
}

/// Spotify's `audio-analysis` document: `meta`, `track`, `bars`, `beats`, `tatums`,
/// `sections`, `segments`, with Spotify's field names and nesting (serialize it with serde).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AudioAnalysis {
    /// About the analysis run.
    pub meta: AnalysisMeta,
    /// Track-level summary.
    pub track: AnalysisTrack,
    /// Bars.
    pub bars: Vec<TimeInterval>,
    /// Beats.
    pub beats: Vec<TimeInterval>,
    /// Tatums.
    pub tatums: Vec<TimeInterval>,
    /// Sections.
    pub sections: Vec<Section>,
    /// Segments.
    pub segments: Vec<Segment>,
}

/// The `meta` object of [`AudioAnalysis`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AnalysisMeta {
    /// The analyzer version.
    pub analyzer_version: String,
    /// Where it ran (`"audio-analyzer"` and the SIMD path).
    pub platform: String,
    /// `"OK"`, or the decoder warnings joined by `"; "`.
    pub detailed_status: String,
    /// 0 when the decode had no warnings, 1 otherwise.
    pub status_code: u8,
}

/// The `track` object of [`AudioAnalysis`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AnalysisTrack {
    /// Samples at the analysis rate.
    pub num_samples: usize,
    /// Duration in seconds.
    pub duration: f64,
    /// BLAKE3 hex of the input bytes (Spotify gave an MD5 here), empty for raw samples.
    pub sample_md5: String,
    /// Offset of the analysed audio in the file, seconds (always 0: the whole file is analysed).
    pub offset_seconds: f64,
    /// Analysis window in seconds (0: the whole file).
    pub window_seconds: f64,
    /// Analysis sample rate in Hz.
    pub analysis_sample_rate: u32,
    /// Channels analysed (1: the mono mixdown).
    pub analysis_channels: u16,
    /// End of the fade-in, seconds.
    pub end_of_fade_in: f64,
    /// Start of the fade-out, seconds.
    pub start_of_fade_out: f64,
    /// Integrated loudness, dB LUFS.
    pub loudness: f32,
    /// Tempo, BPM.
    pub tempo: f32,
    /// Tempo confidence.
    pub tempo_confidence: f32,
    /// Beats per bar.
    pub time_signature: u8,
    /// Time signature confidence.
    pub time_signature_confidence: f32,
    /// Key, 0 = C, −1 none.
    pub key: i8,
    /// Key confidence.
    pub key_confidence: f32,
    /// 1 major, 0 minor.
    pub mode: u8,
    /// Mode confidence.
    pub mode_confidence: f32,
}

impl TrackAnalysis {
    /// The Spotify-shaped `audio-analysis` document, when the timeline was computed.
    pub fn audio_analysis(&self) -> Option<AudioAnalysis> {
        let tl = self.timeline.as_ref()?;
        let f = &self.features;
        let t = &self.track;
        let status_ok = t.warnings.is_empty();
        Some(AudioAnalysis {
            meta: AnalysisMeta {
                analyzer_version: t.analyzer_version.to_string(),
                platform: format!("audio-analyzer ({})", crate::simd::active_path()),
                detailed_status: if status_ok { "OK".into() } else { t.warnings.join("; ") },
                status_code: u8::from(!status_ok),
            },
            track: AnalysisTrack {
                num_samples: t.num_samples,
                duration: t.num_samples as f64 / t.analysis_sample_rate.max(1) as f64,
                sample_md5: t.content_hash.clone().unwrap_or_default(),
                offset_seconds: 0.0,
                window_seconds: 0.0,
                analysis_sample_rate: t.analysis_sample_rate,
                analysis_channels: 1,
                end_of_fade_in: tl.end_of_fade_in,
                start_of_fade_out: tl.start_of_fade_out,
                loudness: f.loudness,
                tempo: f.tempo,
                tempo_confidence: f.tempo_confidence,
                time_signature: f.time_signature,
                time_signature_confidence: f.time_signature_confidence,
                key: f.key,
                key_confidence: f.key_confidence,
                mode: f.mode,
                mode_confidence: f.mode_confidence,
            },
            bars: tl.bars.clone(),
            beats: tl.beats.clone(),
            tatums: tl.tatums.clone(),
            sections: tl.sections.clone(),
            segments: tl.segments.clone(),
        })
    }
}

// The analyzer is shared across worker threads.
const _: () = {
    const fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Analyzer>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rhythm;

    /// Clicks every 0.5 s over a chord, with a few non-finite samples.
    fn signal(sr: u32, seconds: f32) -> Vec<f32> {
        let n = (sr as f32 * seconds) as usize;
        let period = sr as usize / 2;
        let mut y: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f32 / sr as f32;
                let chord: f32 = [220.0f32, 277.18, 329.63].iter().map(|f| (std::f32::consts::TAU * f * t).sin()).sum();
                let click = if i % period < 64 { 0.8 } else { 0.0 };
                0.1 * chord + click
            })
            .collect();
        y[1000] = f32::NAN;
        y[2000] = f32::INFINITY;
        y
    }

    /// The oracle: every stage's own function on the whole buffer (each with its own STFT),
    /// as the analysis ran before it streamed.
    fn batch(decoded: &DecodedAudio, config: &AnalysisConfig) -> TrackAnalysis {
        let y: Vec<f32> = decoded.samples.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect();
        let sr = decoded.sample_rate;
        let stages = config.stages;
        let rhythm = if stages.contains(Stage::Rhythm) {
            rhythm::analyze_rhythm(&y, sr, &config.rhythm).unwrap()
        } else {
            Rhythm::none()
        };
        let key = if stages.contains(Stage::Key) {
            let frames = tonal::tonal_frames(&y, sr, &config.key).unwrap();
            KeyStage {
                estimate: tonal::key_from_frames(&frames, &config.key),
                frames: config.timeline.then_some(frames),
            }
        } else {
            KeyStage { estimate: KeyEstimate::NONE, frames: None }
        };
        let context = musical_context(&rhythm, &key.estimate, stages);
        let desc = if stages.contains(Stage::Descriptors) {
            descriptors::compute_descriptors(&y, sr, decoded.loudness.as_ref(), &context, &config.descriptors).unwrap()
        } else {
            let l = descriptors::track_loudness(&y, sr, decoded.loudness.as_ref(), &config.descriptors).unwrap();
            Descriptors::not_computed(l.integrated_lufs)
        };
        let frames = config.timeline.then(|| structure::frame_features(&y, sr, &config.structure.features).unwrap());
        let (_, info) = decoded.clone().into_parts();
        finish(info, y.len(), None, config, rhythm, key, desc, frames).unwrap()
    }

    fn same(a: &TrackAnalysis, b: &TrackAnalysis) {
        // Debug strings: stages that did not run leave NaN, which equals nothing.
        assert_eq!(format!("{:?}", a.features), format!("{:?}", b.features));
        assert_eq!(a.track.num_samples, b.track.num_samples);
        assert_eq!(format!("{:?}", a.timeline), format!("{:?}", b.timeline));
    }

    #[test]
    fn shared_stft_pass_gives_the_same_analysis_as_separate_stages() {
        let sr = crate::DEFAULT_SAMPLE_RATE;
        let config = AnalysisConfig::default().with_timeline(true);
        let decoded = audio::load_samples(&signal(sr, 12.0), sr, 1, &config.load).unwrap();
        let analyzer = Analyzer::new(config.clone()).unwrap();
        assert_eq!(analyzer.plans.shared_stride, Some(2));
        let shared = analyzer.analyze_decoded(decoded.clone(), None).unwrap();
        same(&shared, &batch(&decoded, &config));
        // Configurations whose frames do not coincide take separate passes, same numbers.
        let mut other = config.clone();
        other.descriptors.features.n_fft = 2048;
        let unshared = Analyzer::new(other.clone()).unwrap();
        assert_eq!(unshared.plans.shared_stride, None);
        let a = unshared.analyze_decoded(decoded.clone(), None).unwrap();
        same(&a, &batch(&decoded, &other));
    }

    #[test]
    fn streamed_chunks_give_the_stage_functions_numbers() {
        let sr = 44100;
        let y = signal(sr, 9.0);
        for (stages, timeline) in [
            (Stages::all(), true),
            (Stages::none().with(Stage::Key), false),
            (Stages::none().with(Stage::Descriptors), false),
            (Stages::all().without(Stage::Key), true),
        ] {
            let mut config = AnalysisConfig::default().with_timeline(timeline).with_stages(stages);
            // Loudness of the mono signal (no source meter) as well.
            config.load.loudness = None;
            let decoded = audio::load_samples(&y, sr, 1, &config.load).unwrap();
            let reference = batch(&decoded, &config);
            let analyzer = Analyzer::new(config.clone()).unwrap();
            for chunk in [1usize, 613, 4096, y.len()] {
                let mut stream = analyzer.stream(sr, 1).unwrap();
                for c in y.chunks(chunk) {
                    stream.push(c).unwrap();
                }
                same(&stream.finish().unwrap(), &reference);
            }
        }
    }

    #[test]
    fn only_the_analysis_rate_is_accepted_and_decoded_audio_is_resampled_to_it() {
        for sr in [None, Some(16000), Some(44100), Some(48000)] {
            let config = AnalysisConfig::default().with_load(LoadConfig { sr, ..LoadConfig::default() });
            let e = Analyzer::new(config).unwrap_err();
            assert!(matches!(&e, AnalyzerError::InvalidParameter { name, .. } if *name == "sr"), "{sr:?}: {e}");
        }
        // Audio decoded at its own rate is analysed as the same samples streamed in.
        let config = AnalysisConfig::default();
        let analyzer = Analyzer::new(config.clone()).unwrap();
        let y = signal(16000, 6.0);
        let native = LoadConfig { sr: None, ..config.load.clone() };
        let decoded = audio::load_samples(&y, 16000, 1, &native).unwrap();
        assert_eq!(decoded.sample_rate, 16000);
        let a = analyzer.analyze_decoded(decoded, None).unwrap();
        assert_eq!(a.track.analysis_sample_rate, crate::DEFAULT_SAMPLE_RATE);
        same(&a, &analyzer.analyze_samples(&y, 16000, 1).unwrap());
    }
}
