//! The streaming analysis: every stage is fed the mono signal at the analysis rate chunk by
//! chunk, as the decoder produces it, and keeps only its own frame-level records (onset
//! filterbank rows, descriptor frame series, key peaks, timeline frames), never the signal.
//! Memory therefore grows with the number of analysis frames, not with the samples: the
//! decoded signal of a long file is never held.
//!
//! Each stage's STFT runs on a [`StftStream`], which yields exactly the frames of the stage's
//! STFT over the whole signal, so the numbers equal those of the stages run on a buffer (the
//! stage functions of [`crate::rhythm`], [`crate::tonal`], [`crate::descriptors`] and
//! [`crate::structure`] on the same samples), whatever the chunk sizes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use realfft::num_complex::Complex32;

use super::{AnalysisConfig, KeyStage, Plans, TrackAnalysis};
use crate::audio::{DecodeInfo, MonoSink};
use crate::descriptors::{self, Descriptors, FeatureExtractor, FeatureState, LoudnessStats, MonoLoudness, SignalStats};
use crate::error::Result;
use crate::rhythm::{self, Rhythm, SuperFlux, SuperFluxRows};
use crate::spectral::StftStream;
use crate::structure::FrameFeatureState;
use crate::tonal::{self, KeyEstimate, TonalAccumulator};

/// Most samples passed to the stages at once (1.5 s at 22050 Hz): each stage's [`StftStream`]
/// holds about twice this, so a whole signal pushed at once is not copied whole per stage.
const PUSH_CHUNK: usize = 1 << 15;

/// The onset STFT, and the descriptor frames when they are every `stride`-th onset frame.
#[derive(Debug)]
struct OnsetPass {
    stream: StftStream,
    rows: SuperFluxRows,
    shared: Option<(usize, FeatureState)>,
}

/// One track's analysis in progress (see the module docs).
pub(crate) struct Pipeline {
    config: AnalysisConfig,
    plans: Arc<Plans>,
    sr: u32,
    stats: SignalStats,
    /// BS.1770 on the mono signal, when the source channels are not metered.
    mono_loudness: Option<MonoLoudness>,
    /// Whether the mono meter started late (the source meter stopped mid-stream).
    mono_loudness_late: bool,
    onset: Option<OnsetPass>,
    features: Option<(StftStream, FeatureState)>,
    key: Option<(StftStream, TonalAccumulator)>,
    frames: Option<(StftStream, FrameFeatureState)>,
    /// Non-finite samples replaced by zeros.
    clean: Vec<f32>,
    /// Time spent in the stages.
    busy: Duration,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("sr", &self.sr)
            .field("samples", &self.stats.len())
            .field("stages", &self.config.stages)
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    /// A pipeline for a signal at `sr` Hz with the analyzer's configuration; `plans` must have
    /// been made for `sr` from `config` (they hold a plan for exactly the stages that run).
    /// `meter_mono` starts the mono loudness meter (for sources whose
    /// channels are not metered while decoding).
    ///
    /// # Errors
    /// [`crate::AnalyzerError::InvalidParameter`] when a stage cannot work at `sr`.
    pub(crate) fn new(config: &AnalysisConfig, plans: Arc<Plans>, meter_mono: bool) -> Result<Self> {
        let sr = plans.sr;
        let mono_loudness = if meter_mono { Some(MonoLoudness::new(sr, &config.descriptors)?) } else { None };
        let onset = plans.onset.as_ref().map(|detector| OnsetPass {
            stream: StftStream::new(detector.stft().clone()),
            rows: detector.rows(),
            shared: plans.shared_stride.zip(plans.features.as_ref()).map(|(k, ex)| (k, ex.state())),
        });
        let features = match &plans.features {
            Some(ex) if plans.shared_stride.is_none() => Some((StftStream::new(ex.stft().clone()), ex.state())),
            _ => None,
        };
        let key = match &plans.key_stft {
            Some(stft) => Some((StftStream::new(stft.clone()), TonalAccumulator::new(sr, &config.key)?)),
            None => None,
        };
        let frames = plans.frames.as_ref().map(|ex| (StftStream::new(ex.stft().clone()), ex.state()));
        Ok(Self {
            config: config.clone(),
            plans,
            sr,
            stats: SignalStats::default(),
            mono_loudness,
            mono_loudness_late: false,
            onset,
            features,
            key,
            frames,
            clean: Vec::new(),
            busy: Duration::ZERO,
        })
    }

    /// Feeds the next mono samples (non-finite ones count as zeros), in chunks of at most
    /// [`PUSH_CHUNK`] so that the stages' sample buffers stay small whatever the caller passes.
    pub(crate) fn push(&mut self, samples: &[f32]) {
        for chunk in samples.chunks(PUSH_CHUNK) {
            self.push_chunk(chunk);
        }
    }

    fn push_chunk(&mut self, samples: &[f32]) {
        let started = Instant::now();
        let mut clean = std::mem::take(&mut self.clean);
        let y: &[f32] = if crate::simd::all_finite(samples) {
            samples
        } else {
            clean.clear();
            clean.extend(samples.iter().map(|&v| if v.is_finite() { v } else { 0.0 }));
            &clean
        };
        self.stats.push(y);
        if let Some(m) = self.mono_loudness.as_mut() {
            m.push(y);
        }
        let plans = &*self.plans;
        if let (Some(pass), Some(detector)) = (self.onset.as_mut(), plans.onset.as_ref()) {
            let OnsetPass { stream, rows, shared } = pass;
            stream.push(y, |t, x| onset_frame(rows, shared, detector, plans.features.as_ref(), t, x));
        }
        if let (Some((stream, state)), Some(ex)) = (self.features.as_mut(), plans.features.as_ref()) {
            stream.push(y, |t, x| state.push(ex, t, x));
        }
        if let Some((stream, acc)) = self.key.as_mut() {
            stream.push(y, |_, x| acc.push(x));
        }
        if let (Some((stream, state)), Some(ex)) = (self.frames.as_mut(), plans.frames.as_ref()) {
            let stride = ex.config().spectral_stride;
            stream.push_strided(y, stride, |_, w, x| state.push(ex, w, x));
        }
        self.clean = clean;
        self.busy += started.elapsed();
    }

    /// The source's loudness meter stopped mid-stream: the mono signal is metered from here on.
    pub(crate) fn source_meter_stopped(&mut self) {
        if self.mono_loudness.is_none() {
            self.mono_loudness = MonoLoudness::new(self.sr, &self.config.descriptors).ok();
            self.mono_loudness_late = true;
        }
    }

    /// Runs the track-level stages on the frame records and returns the analysis and the time
    /// spent in the stages (pushes included).
    ///
    /// # Errors
    /// Configuration errors of the stages only.
    pub(crate) fn finish(
        mut self,
        info: DecodeInfo,
        content_hash: Option<String>,
    ) -> Result<(TrackAnalysis, Duration)> {
        let started = Instant::now();
        let plans = Arc::clone(&self.plans);
        let config = &self.config;
        let stages = config.stages;
        let n = self.stats.len();
        let duration = n as f64 / self.sr as f64;
        let mut feature_state = None;
        let onset = match (self.onset.take(), plans.onset.as_ref()) {
            (Some(mut pass), Some(detector)) => {
                let OnsetPass { stream, rows, shared } = &mut pass;
                stream.finish(|t, x| onset_frame(rows, shared, detector, plans.features.as_ref(), t, x));
                feature_state = pass.shared.map(|(_, s)| s);
                Some(pass.rows.finish(detector))
            }
            _ => None,
        };
        if let (Some((mut stream, mut state)), Some(ex)) = (self.features.take(), plans.features.as_ref()) {
            stream.finish(|t, x| state.push(ex, t, x));
            feature_state = Some(state);
        }
        let rhythm: Rhythm = match onset {
            Some(os) => rhythm::rhythm_from_onset_strength(os, duration, &config.rhythm)?,
            None => Rhythm::none(),
        };
        let key = match self.key.take() {
            Some((mut stream, mut acc)) => {
                stream.finish(|_, x| acc.push(x));
                let frames = acc.finish()?;
                let estimate = tonal::key_from_frames(&frames, &config.key);
                KeyStage { estimate, frames: config.timeline.then_some(frames) }
            }
            None => KeyStage { estimate: KeyEstimate::NONE, frames: None },
        };
        let frame_features = match (self.frames.take(), plans.frames.as_ref()) {
            (Some((mut stream, mut state)), Some(ex)) => {
                let stride = ex.config().spectral_stride;
                stream.finish_strided(stride, |_, w, x| state.push(ex, w, x));
                Some(state.finish(ex))
            }
            _ => None,
        };
        let mut info = info;
        let loudness: LoudnessStats = match (info.loudness.as_ref(), self.mono_loudness.as_ref()) {
            (Some(s), _) => *s,
            (None, Some(m)) => {
                if self.mono_loudness_late {
                    info.warnings.push("loudness measured on the mono mix from the change on".into());
                }
                m.stats(&config.descriptors)
            }
            (None, None) => MonoLoudness::new(self.sr, &config.descriptors)?.stats(&config.descriptors),
        };
        let context = super::musical_context(&rhythm, &key.estimate, stages);
        let desc: Descriptors = match (feature_state, plans.features.as_ref()) {
            (Some(state), Some(ex)) => {
                let features = ex.extract_from_state(state, &self.stats, &context.beat_times);
                let x = descriptors::feature_vector_from_loudness(&features, &loudness, &context, &config.descriptors);
                config.descriptors.model.predict(&x)
            }
            _ => Descriptors::not_computed(loudness.integrated_lufs),
        };
        let analysis = super::finish(info, n, content_hash, config, rhythm, key, desc, frame_features)?;
        self.busy += started.elapsed();
        Ok((analysis, self.busy))
    }
}

/// One frame of the onset STFT: the SuperFlux rows, and the descriptor frames when they are
/// every `k`-th onset frame.
fn onset_frame(
    rows: &mut SuperFluxRows,
    shared: &mut Option<(usize, FeatureState)>,
    detector: &SuperFlux,
    features: Option<&FeatureExtractor>,
    t: usize,
    x: &[Complex32],
) {
    rows.push(detector, t, x);
    if let (Some((k, state)), Some(ex)) = (shared.as_mut(), features) {
        if t.is_multiple_of(*k) {
            state.push(ex, t / *k, x);
        }
    }
}

impl MonoSink for Pipeline {
    fn push_mono(&mut self, samples: &[f32]) -> Result<()> {
        self.push(samples);
        Ok(())
    }

    fn source_meter_stopped(&mut self) {
        Pipeline::source_meter_stopped(self);
    }
}
