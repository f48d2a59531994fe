//! Onset strength by SuperFlux, and onset peak picking.
//!
//! The signal is transformed with the SIMD STFT front end ([`crate::spectral::Stft`]); each
//! magnitude frame is mapped onto a logarithmic filterbank (`bands_per_octave` triangular filters
//! between `fmin` and `fmax`, rounded to FFT bins and de-duplicated as in madmom) and compressed
//! with `ln(1 + γ·x)`. The onset strength of frame `t` is the SuperFlux
//!
//! `SF(t) = Σ_k max(Y[t, k] − Ymax[t − μ, k], 0)`, with `Ymax[t, k] = max(Y[t, k−w … k+w])`,
//!
//! i.e. the spectral flux against a frequency-max-filtered earlier frame, which suppresses the
//! spurious flux of vibrato and tremolo. Onsets are the peaks of `SF` that are local maxima in
//! `[t − pre_max, t + post_max]`, exceed the moving mean over `[t − pre_avg, t + post_avg]` by
//! `delta` times the mean of the whole envelope, and lie at least `combine_s` after the previous
//! onset (Böck et al. 2012).
//!
//! Non-finite samples are treated as zeros, and so are spectrogram values that overflow.
//!
//! The envelope is computed frame by frame as the STFT frames arrive (a ring of `μ` filtered
//! rows). The filterbank spectrogram itself is only kept for the meter's beat-synchronous
//! spectra ([`crate::rhythm::meter`]), with adjacent bands summed in groups of
//! [`OnsetConfig::spectrogram_band_group`]: with the default 2, twelve bands per octave
//! (semitone resolution, enough for the chord and bass changes the meter looks for), stored in
//! half precision ([`HalfSpectrogram`]): a quarter of the memory of every band in `f32`.
//!
//! # References
//! - S. Böck, G. Widmer, "Maximum filter vibrato suppression for onset detection", DAFx 2013.
//! - S. Böck, F. Krebs, M. Schedl, "Evaluating the online capabilities of onset detection
//!   methods", ISMIR 2012 (peak picking).
//! - S. Böck, F. Korzeniowski, J. Schlüter, F. Krebs, G. Widmer, "madmom: a new Python audio and
//!   music signal processing library", ACM MM 2016 (filterbank construction).

use realfft::num_complex::Complex32;

use crate::error::{AnalyzerError, Result, check};
use crate::simd::{self, SparseRows};
use crate::spectral::{HalfSpectrogram, LogCompression, Spectrogram, Stft, StftConfig};

/// Default FFT size in samples (46 ms at 22050 Hz, as madmom's 2048 at 44.1 kHz).
pub const DEFAULT_ONSET_N_FFT: usize = 1024;
/// Default hop in samples (86.1 frames per second at 22050 Hz).
pub const DEFAULT_ONSET_HOP_LENGTH: usize = 256;
/// Default lowest filterbank frequency in Hz (madmom's SuperFlux uses 30 Hz).
pub const DEFAULT_ONSET_FMIN: f32 = 30.0;
/// Default highest filterbank frequency in Hz (madmom uses 17 kHz; clipped to Nyquist).
pub const DEFAULT_ONSET_FMAX: f32 = 17_000.0;
/// Default filterbank resolution (Böck & Widmer 2013).
pub const DEFAULT_BANDS_PER_OCTAVE: usize = 24;
/// Default log compression factor `γ` of `ln(1 + γ·x)`.
pub const DEFAULT_ONSET_LOG_GAMMA: f32 = 1.0;
/// Default half-width of the frequency maximum filter in bands (width 3, Böck & Widmer 2013).
pub const DEFAULT_MAX_FILTER_HALF_WIDTH: usize = 1;
/// Default lag `μ` in frames between the compared frames.
pub const DEFAULT_DIFF_LAG: usize = 1;
/// Default number of adjacent filterbank bands summed into one band of the kept spectrogram
/// (24 bands per octave → 12, semitone resolution).
pub const DEFAULT_SPECTROGRAM_BAND_GROUP: usize = 2;
/// Default pre-maximum window of the peak picker in seconds.
pub const DEFAULT_PRE_MAX_S: f32 = 0.03;
/// Default post-maximum window of the peak picker in seconds.
pub const DEFAULT_POST_MAX_S: f32 = 0.03;
/// Default pre-average window of the peak picker in seconds.
pub const DEFAULT_PRE_AVG_S: f32 = 0.1;
/// Default post-average window of the peak picker in seconds.
pub const DEFAULT_POST_AVG_S: f32 = 0.07;
/// Default threshold above the moving mean, in units of the envelope's global mean.
pub const DEFAULT_PEAK_DELTA: f32 = 0.5;
/// Default minimum distance between two onsets in seconds.
pub const DEFAULT_COMBINE_S: f32 = 0.03;

/// Parameters of the SuperFlux onset strength.
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetConfig {
    /// FFT size in samples.
    pub n_fft: usize,
    /// Hop between frames in samples; the envelope's frame rate is `sr / hop_length`.
    pub hop_length: usize,
    /// Lowest filterbank frequency in Hz.
    pub fmin: f32,
    /// Highest filterbank frequency in Hz (clipped to the Nyquist frequency).
    pub fmax: f32,
    /// Filterbank bands per octave.
    pub bands_per_octave: usize,
    /// Log compression applied to the filtered magnitudes.
    pub log: LogCompression,
    /// Half-width (in bands) of the maximum filter along frequency; 0 gives plain spectral flux.
    pub max_filter_half_width: usize,
    /// Lag `μ` in frames between the current frame and the max-filtered reference frame (≥ 1).
    pub diff_lag: usize,
    /// How band differences are combined per frame.
    pub aggregate: FluxAggregate,
    /// The kept spectrogram ([`OnsetStrength::spectrogram`]) sums adjacent filterbank bands in
    /// groups of this many (≥ 1; 1 keeps every band). The envelope always uses every band.
    pub spectrogram_band_group: usize,
}

impl Default for OnsetConfig {
    fn default() -> Self {
        Self {
            n_fft: DEFAULT_ONSET_N_FFT,
            hop_length: DEFAULT_ONSET_HOP_LENGTH,
            fmin: DEFAULT_ONSET_FMIN,
            fmax: DEFAULT_ONSET_FMAX,
            bands_per_octave: DEFAULT_BANDS_PER_OCTAVE,
            log: LogCompression::Log1p { gamma: DEFAULT_ONSET_LOG_GAMMA },
            max_filter_half_width: DEFAULT_MAX_FILTER_HALF_WIDTH,
            diff_lag: DEFAULT_DIFF_LAG,
            aggregate: FluxAggregate::Sum,
            spectrogram_band_group: DEFAULT_SPECTROGRAM_BAND_GROUP,
        }
    }
}

impl OnsetConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        StftConfig::new(self.n_fft, self.hop_length).validate()?;
        check::ordered_range("fmin..fmax", self.fmin, self.fmax)?;
        check::positive_f32("fmin", self.fmin)?;
        check::at_least("bands_per_octave", self.bands_per_octave, 1)?;
        check::at_least("diff_lag", self.diff_lag, 1)?;
        check::at_least("spectrogram_band_group", self.spectrogram_band_group, 1)?;
        self.log.validate()
    }

    /// Envelope frames per second at sample rate `sr`.
    pub fn frame_rate(&self, sr: u32) -> f32 {
        sr as f32 / self.hop_length as f32
    }
}

/// Parameters of onset peak picking.
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetPeakConfig {
    /// A peak must be the maximum over this many seconds before it.
    pub pre_max_s: f32,
    /// ... and this many seconds after it.
    pub post_max_s: f32,
    /// The moving mean covers this many seconds before the frame ...
    pub pre_avg_s: f32,
    /// ... and this many after.
    pub post_avg_s: f32,
    /// Required excess over the moving mean, in units of the envelope's global mean (≥ 0).
    pub delta: f32,
    /// Minimum distance between reported onsets in seconds (≥ 0).
    pub combine_s: f32,
}

impl Default for OnsetPeakConfig {
    fn default() -> Self {
        Self {
            pre_max_s: DEFAULT_PRE_MAX_S,
            post_max_s: DEFAULT_POST_MAX_S,
            pre_avg_s: DEFAULT_PRE_AVG_S,
            post_avg_s: DEFAULT_POST_AVG_S,
            delta: DEFAULT_PEAK_DELTA,
            combine_s: DEFAULT_COMBINE_S,
        }
    }
}

impl OnsetPeakConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("pre_max_s", self.pre_max_s),
            ("post_max_s", self.post_max_s),
            ("pre_avg_s", self.pre_avg_s),
            ("post_avg_s", self.post_avg_s),
            ("delta", self.delta),
            ("combine_s", self.combine_s),
        ] {
            check::non_negative(name, v)?;
        }
        Ok(())
    }
}

/// A planned SuperFlux onset detector (STFT plan and filterbank made once).
#[derive(Debug, Clone)]
pub struct SuperFlux {
    config: OnsetConfig,
    sr: u32,
    stft: Stft,
    /// The triangular bands of the log filterbank, one sparse row each.
    bands: SparseRows,
    /// Centre frequency of each kept spectrogram column in Hz.
    band_hz: Vec<f32>,
}

/// The onset strength envelope and the log-filtered spectrogram it was computed from (bands
/// summed in groups of [`OnsetConfig::spectrogram_band_group`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OnsetStrength {
    /// SuperFlux value per frame; frame `t` is centred at `t / frame_rate` seconds.
    pub envelope: Vec<f32>,
    /// Frames per second.
    pub frame_rate: f32,
    /// The log-compressed filterbank spectrogram, adjacent bands summed in groups of
    /// [`OnsetConfig::spectrogram_band_group`] (frames × ⌈bands / group⌉), in half precision.
    pub spectrogram: HalfSpectrogram,
    /// Centre frequency in Hz of each spectrogram column (the mean of its bands' centres).
    pub band_hz: Vec<f32>,
}

impl SuperFlux {
    /// Plans the STFT and builds the filterbank for sample rate `sr`.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a bad config or `sr == 0`, or when no band fits
    /// between `fmin` and the Nyquist frequency.
    pub fn new(config: OnsetConfig, sr: u32) -> Result<Self> {
        config.validate()?;
        if sr == 0 {
            return Err(AnalyzerError::invalid("sr", "must be > 0"));
        }
        let stft = Stft::new(StftConfig::new(config.n_fft, config.hop_length))?;
        let (bands, centres_hz) = log_filterbank(&config, sr);
        if bands.n_rows() == 0 {
            return Err(AnalyzerError::invalid("fmin", format!("no filterbank band between fmin and {} Hz", sr / 2)));
        }
        let band_hz =
            centres_hz.chunks(config.spectrogram_band_group).map(|c| c.iter().sum::<f32>() / c.len() as f32).collect();
        Ok(Self { config, sr, stft, bands, band_hz })
    }

    /// The configuration.
    pub fn config(&self) -> &OnsetConfig {
        &self.config
    }

    /// Number of filterbank bands.
    pub fn n_bands(&self) -> usize {
        self.bands.n_rows()
    }

    /// Number of bands of the kept spectrogram ([`OnsetConfig::spectrogram_band_group`]).
    pub fn n_spectrogram_bands(&self) -> usize {
        self.bands.n_rows().div_ceil(self.config.spectrogram_band_group)
    }

    /// The planned STFT (its frames are the ones [`SuperFluxFrames::push`] expects).
    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// Computes the log-filtered spectrogram and the SuperFlux envelope of `y`.
    pub fn compute(&self, y: &[f32]) -> OnsetStrength {
        let clean;
        let y = if crate::simd::all_finite(y) {
            y
        } else {
            clean = y.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect::<Vec<f32>>();
            &clean
        };
        let mut acc = self.accumulator(self.stft.config().n_frames(y.len()));
        self.stft.for_each_frame(y, |t, x| acc.push(t, x));
        acc.finish()
    }

    /// A frame-by-frame accumulator for `n_frames` STFT frames (see [`SuperFlux::stft`]), for
    /// callers that share the STFT pass with other stages.
    pub fn accumulator(&self, n_frames: usize) -> SuperFluxFrames<'_> {
        let mut rows = self.rows();
        rows.kept.reserve(n_frames);
        rows.envelope.reserve_exact(n_frames);
        rows.limit = Some(n_frames);
        SuperFluxFrames { detector: self, rows }
    }

    /// The envelope and kept spectrogram of a signal of unknown length, gathered frame by
    /// frame; unlike [`SuperFluxFrames`] it does not borrow the detector, which is passed to
    /// each call (for streaming analyses that own their plans).
    pub fn rows(&self) -> SuperFluxRows {
        let n_bands = self.bands.n_rows();
        let lag = self.config.diff_lag;
        SuperFluxRows {
            kept: HalfSpectrogram::new(self.n_spectrogram_bands()),
            envelope: Vec::new(),
            limit: None,
            mag: vec![0.0f32; self.config.n_fft / 2 + 1],
            row: vec![0.0f32; n_bands],
            maxed: vec![0.0f32; lag * n_bands],
            diff: vec![0.0f32; n_bands],
        }
    }
}

/// The envelope and spectrogram being gathered one STFT frame at a time
/// ([`SuperFlux::accumulator`]).
#[derive(Debug)]
pub struct SuperFluxFrames<'a> {
    detector: &'a SuperFlux,
    rows: SuperFluxRows,
}

impl SuperFluxFrames<'_> {
    /// Adds frame `t` (`n_fft / 2 + 1` complex bins of the detector's STFT; frames in order).
    /// No allocation.
    pub fn push(&mut self, t: usize, x: &[Complex32]) {
        self.rows.push(self.detector, t, x);
    }

    /// The envelope and the spectrogram.
    pub fn finish(self) -> OnsetStrength {
        self.rows.finish(self.detector)
    }
}

/// The envelope and kept spectrogram of [`SuperFlux::rows`]: frames arrive in order, each with
/// the detector that planned them. The envelope is exactly [`superflux`] of the full filterbank
/// rows, computed as they arrive.
#[derive(Debug, Clone)]
pub struct SuperFluxRows {
    /// The kept spectrogram.
    kept: HalfSpectrogram,
    envelope: Vec<f32>,
    /// The number of frames, when known in advance (later frames are ignored).
    limit: Option<usize>,
    mag: Vec<f32>,
    /// The current filterbank row.
    row: Vec<f32>,
    /// The maximum-filtered rows of the last `lag` frames (a ring, as in [`superflux`]).
    maxed: Vec<f32>,
    diff: Vec<f32>,
}

impl SuperFluxRows {
    /// Adds frame `t` (`n_fft / 2 + 1` complex bins of `detector`'s STFT). Frames come in
    /// order; a frame skipped counts as silent (a zero row).
    pub fn push(&mut self, detector: &SuperFlux, t: usize, x: &[Complex32]) {
        if self.limit.is_some_and(|n| t >= n) || t < self.envelope.len() {
            return;
        }
        while self.envelope.len() < t {
            self.row.iter_mut().for_each(|v| *v = 0.0);
            self.add_row(detector);
        }
        simd::magnitude(x, &mut self.mag);
        simd::sparse_dots(&self.mag, &detector.bands, &mut self.row);
        detector.config.log.apply(&mut self.row);
        // Samples near f32::MAX overflow the FFT: keep every value finite.
        self.row.iter_mut().filter(|v| !v.is_finite()).for_each(|v| *v = 0.0);
        self.add_row(detector);
    }

    /// Appends `self.row` as the next frame: its SuperFlux value and its kept bands.
    fn add_row(&mut self, detector: &SuperFlux) {
        let cfg = &detector.config;
        let t = self.envelope.len();
        let n_bands = self.row.len();
        let lag = cfg.diff_lag;
        let slot = (t % lag) * n_bands..(t % lag + 1) * n_bands;
        let e = if t >= lag {
            // Slot `t % lag` still holds the filtered row `t − lag`.
            let reference = &self.maxed[slot.clone()];
            match cfg.aggregate {
                FluxAggregate::Sum => simd::hwr_diff_sum(&self.row, reference),
                FluxAggregate::Median => {
                    simd::hwr_diff(&self.row, reference, &mut self.diff);
                    let mid = n_bands / 2;
                    *self.diff.select_nth_unstable_by(mid, f32::total_cmp).1
                }
            }
        } else {
            0.0
        };
        self.envelope.push(e);
        max_filter(&self.row, cfg.max_filter_half_width, &mut self.maxed[slot]);
        self.kept.push_row(self.row.chunks(cfg.spectrogram_band_group).map(|c| c.iter().sum::<f32>()));
    }

    /// The envelope and the kept spectrogram (of `limit` frames when it was set, missing
    /// frames silent; otherwise of the frames pushed).
    pub fn finish(mut self, detector: &SuperFlux) -> OnsetStrength {
        if let Some(n) = self.limit {
            while self.envelope.len() < n {
                self.row.iter_mut().for_each(|v| *v = 0.0);
                self.add_row(detector);
            }
        }
        let spectrogram = self.kept;
        OnsetStrength {
            envelope: self.envelope,
            frame_rate: detector.config.frame_rate(detector.sr),
            spectrogram,
            band_hz: detector.band_hz.clone(),
        }
    }
}

/// `out[k] = max(row[k − w … k + w])` (clipped at the edges).
///
/// One pass per offset `d = 1 … w` over shifted slices (`out[k] = max(out[k], row[k ± d])`),
/// which the compiler vectorises; `max` is exact, so the result does not depend on the order.
fn max_filter(row: &[f32], half_width: usize, out: &mut [f32]) {
    let n = row.len().min(out.len());
    let (row, out) = (&row[..n], &mut out[..n]);
    out.copy_from_slice(row);
    for d in 1..=half_width.min(n.saturating_sub(1)) {
        // Right neighbours: out[k] against row[k + d] for k < n − d.
        for (o, &r) in out[..n - d].iter_mut().zip(&row[d..]) {
            *o = o.max(r);
        }
        // Left neighbours: out[k] against row[k − d] for k ≥ d.
        for (o, &l) in out[d..].iter_mut().zip(&row[..n - d]) {
            *o = o.max(l);
        }
    }
}

/// Builds the log-spaced triangular filterbank (unit-area filters, duplicates removed), one
/// sparse row per band over the `n_fft / 2 + 1` magnitude bins.
fn log_filterbank(config: &OnsetConfig, sr: u32) -> (SparseRows, Vec<f32>) {
    let mut rows = SparseRows::new();
    let mut centres_hz = Vec::new();
    let n_bins = config.n_fft / 2 + 1;
    let bin_hz = sr as f64 / config.n_fft as f64;
    let nyquist = sr as f64 / 2.0;
    let fmax = (config.fmax as f64).min(nyquist);
    let fmin = config.fmin as f64;
    if fmin >= fmax {
        return (rows, centres_hz);
    }
    // Centre frequencies fmin·2^(i/bpo) up to fmax, rounded to bins and de-duplicated.
    let mut bins: Vec<usize> = Vec::new();
    let mut i = 0usize;
    loop {
        let f = fmin * 2f64.powf(i as f64 / config.bands_per_octave as f64);
        if f > fmax {
            break;
        }
        let b = ((f / bin_hz).round() as usize).min(n_bins - 1);
        if bins.last() != Some(&b) {
            bins.push(b);
        }
        i += 1;
    }
    // Each band spans its neighbours' centres: a triangle rising from bins[j-1] to bins[j] and
    // falling to bins[j+1], normalised to unit area.
    for w in bins.windows(3) {
        let (lo, c, hi) = (w[0], w[1], w[2]);
        let weights: Vec<f32> = (lo..=hi)
            .map(|k| {
                if k <= c {
                    if c == lo { 1.0 } else { (k - lo) as f32 / (c - lo) as f32 }
                } else {
                    (hi - k) as f32 / (hi - c) as f32
                }
            })
            .collect();
        let area: f32 = weights.iter().sum();
        let weights: Vec<f32> = weights.into_iter().map(|v| v / area.max(f32::MIN_POSITIVE)).collect();
        rows.push_row(lo, &weights);
        centres_hz.push((c as f64 * bin_hz) as f32);
    }
    (rows, centres_hz)
}

/// How the rectified band differences of one frame are combined into one onset value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum FluxAggregate {
    /// The sum over bands (SuperFlux as published).
    #[default]
    Sum,
    /// The median over bands (librosa's `aggregate=np.median` in `beat_track`): only
    /// broadband events (drums, chord attacks) count, single-band events (a melody note, a
    /// hi-hat) are ignored.
    Median,
}

/// SuperFlux of a (log-compressed) spectrogram: rectified difference against the frequency
/// maximum filter of the frame `lag` frames earlier, aggregated over bands. The first `lag`
/// frames are zero.
pub fn superflux(spec: &Spectrogram, max_filter_half_width: usize, lag: usize, aggregate: FluxAggregate) -> Vec<f32> {
    let n_frames = spec.n_frames();
    let n_bands = spec.n_bins();
    let mut env = vec![0.0f32; n_frames];
    if n_bands == 0 || lag == 0 {
        return env;
    }
    // The maximum-filtered rows are needed `lag` frames later only: a ring of `lag` rows.
    let mut maxed = vec![0.0f32; lag * n_bands];
    let mut diff = vec![0.0f32; n_bands];
    for (t, e) in env.iter_mut().enumerate() {
        let slot = (t % lag) * n_bands..(t % lag + 1) * n_bands;
        if t >= lag {
            // Slot `t % lag` still holds the filtered row `t − lag`.
            let reference = &maxed[slot.clone()];
            *e = match aggregate {
                FluxAggregate::Sum => simd::hwr_diff_sum(spec.frame(t), reference),
                FluxAggregate::Median => {
                    simd::hwr_diff(spec.frame(t), reference, &mut diff);
                    let mid = n_bands / 2;
                    *diff.select_nth_unstable_by(mid, f32::total_cmp).1
                }
            };
        }
        max_filter(spec.frame(t), max_filter_half_width, &mut maxed[slot]);
    }
    env
}

/// SuperFlux onset strength of `y` at sample rate `sr` (librosa's `onset_strength`).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config or sample rate.
pub fn onset_strength(y: &[f32], sr: u32, config: &OnsetConfig) -> Result<OnsetStrength> {
    Ok(SuperFlux::new(config.clone(), sr)?.compute(y))
}

/// Seconds to a whole number of frames (rounded, at least `min`).
pub(crate) fn seconds_to_frames(seconds: f32, frame_rate: f32, min: usize) -> usize {
    let f = (seconds * frame_rate).round();
    if f.is_finite() && f > 0.0 { (f as usize).max(min) } else { min }
}

/// Onset times in seconds: peaks of `envelope` (see the module docs).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config or a non-positive frame rate.
pub fn onset_detect(envelope: &[f32], frame_rate: f32, config: &OnsetPeakConfig) -> Result<Vec<f64>> {
    config.validate()?;
    check::positive_f32("frame_rate", frame_rate)?;
    let n = envelope.len();
    let env: Vec<f32> = envelope.iter().map(|&v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
    if n == 0 {
        return Ok(Vec::new());
    }
    let global_mean = env.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
    if global_mean <= 0.0 {
        return Ok(Vec::new());
    }
    let threshold = config.delta as f64 * global_mean;
    let pre_max = seconds_to_frames(config.pre_max_s, frame_rate, 0);
    let post_max = seconds_to_frames(config.post_max_s, frame_rate, 0);
    let pre_avg = seconds_to_frames(config.pre_avg_s, frame_rate, 0);
    let post_avg = seconds_to_frames(config.post_avg_s, frame_rate, 0);
    let combine = config.combine_s as f64;
    // Prefix sums for the moving mean.
    let mut prefix = vec![0.0f64; n + 1];
    for (i, &v) in env.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v as f64;
    }
    let mut onsets: Vec<f64> = Vec::new();
    for t in 0..n {
        let v = env[t];
        if v <= 0.0 {
            continue;
        }
        let (mlo, mhi) = (t.saturating_sub(pre_max), (t + post_max + 1).min(n));
        if simd::max(&env[mlo..mhi]) > v {
            continue;
        }
        let (alo, ahi) = (t.saturating_sub(pre_avg), (t + post_avg + 1).min(n));
        let mean = (prefix[ahi] - prefix[alo]) / (ahi - alo) as f64;
        if (v as f64) < mean + threshold {
            continue;
        }
        let time = t as f64 / frame_rate as f64;
        if onsets.last().is_none_or(|&last| time - last >= combine) {
            onsets.push(time);
        }
    }
    Ok(onsets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spectral::FrameRows;

    const SR: u32 = 22050;

    fn clicks(period_s: f64, seconds: f64) -> Vec<f32> {
        let n = (seconds * SR as f64) as usize;
        let mut y = vec![0.0f32; n];
        let mut t = 0.5;
        while t < seconds {
            let i = (t * SR as f64) as usize;
            for j in 0..32 {
                if i + j < n {
                    y[i + j] = if j % 2 == 0 { 0.8 } else { -0.8 };
                }
            }
            t += period_s;
        }
        y
    }

    #[test]
    fn filterbank_bands_are_unit_area_and_increasing() {
        let (bands, centres) = log_filterbank(&OnsetConfig::default(), SR);
        assert_eq!(centres.len(), bands.n_rows());
        assert!(centres.windows(2).all(|w| w[1] > w[0]), "band centres increase");
        assert!(bands.n_rows() > 50 && bands.n_rows() < 200, "{}", bands.n_rows());
        assert!(bands.n_cols() <= OnsetConfig::default().n_fft / 2 + 1);
        for r in 1..bands.n_rows() {
            assert!(bands.row(r).0 > bands.row(r - 1).0);
        }
        for r in 0..bands.n_rows() {
            let s: f32 = bands.row(r).1.iter().sum();
            assert!((s - 1.0).abs() < 1e-4);
        }
    }

    #[test]
    fn clicks_give_onsets_at_the_clicks() {
        let y = clicks(0.5, 6.0);
        let os = onset_strength(&y, SR, &OnsetConfig::default()).unwrap();
        assert!((os.frame_rate - SR as f32 / 256.0).abs() < 1e-3);
        let onsets = onset_detect(&os.envelope, os.frame_rate, &OnsetPeakConfig::default()).unwrap();
        assert_eq!(onsets.len(), 11, "{onsets:?}");
        for (i, &t) in onsets.iter().enumerate() {
            let expected = 0.5 + 0.5 * i as f64;
            assert!((t - expected).abs() < 0.03, "onset {i} at {t}, expected {expected}");
        }
    }

    #[test]
    fn empty_silence_constant_and_nan_give_no_onsets() {
        let sf = SuperFlux::new(OnsetConfig::default(), SR).unwrap();
        let peaks = OnsetPeakConfig::default();
        assert!(sf.compute(&[]).envelope.is_empty());
        for y in [vec![0.0f32; 22050], vec![0.3f32; 22050], vec![f32::NAN; 22050]] {
            let os = sf.compute(&y);
            assert_eq!(os.envelope.len(), 1 + y.len() / 256);
            assert!(os.envelope.iter().all(|v| v.is_finite()));
            // A constant only has edges at the ends (zero padding); no onset inside.
            let onsets = onset_detect(&os.envelope, os.frame_rate, &peaks).unwrap();
            assert!(onsets.iter().all(|&t| !(0.1..0.9).contains(&t)), "{onsets:?}");
        }
    }

    #[test]
    fn impulse_gives_one_onset() {
        let mut y = vec![0.0f32; SR as usize * 2];
        y[SR as usize] = 1.0;
        let os = onset_strength(&y, SR, &OnsetConfig::default()).unwrap();
        let onsets = onset_detect(&os.envelope, os.frame_rate, &OnsetPeakConfig::default()).unwrap();
        assert_eq!(onsets.len(), 1, "{onsets:?}");
        assert!((onsets[0] - 1.0).abs() < 0.05);
    }

    #[test]
    fn vibrato_is_suppressed_relative_to_plain_flux() {
        // A 1 kHz tone with ±2 % vibrato at 6 Hz: SuperFlux should give much less flux than
        // spectral flux without the maximum filter.
        let y: Vec<f32> = {
            let mut ph = 0.0f64;
            (0..SR as usize * 3)
                .map(|i| {
                    let t = i as f64 / SR as f64;
                    let f = 1000.0 * (1.0 + 0.02 * (std::f64::consts::TAU * 6.0 * t).sin());
                    ph += std::f64::consts::TAU * f / SR as f64;
                    (0.5 * ph.sin()) as f32
                })
                .collect()
        };
        let sf = onset_strength(&y, SR, &OnsetConfig::default()).unwrap().envelope;
        let plain = onset_strength(&y, SR, &OnsetConfig { max_filter_half_width: 0, ..OnsetConfig::default() })
            .unwrap()
            .envelope;
        let inner = |e: &[f32]| e[20..e.len() - 20].iter().sum::<f32>();
        assert!(inner(&sf) < 0.5 * inner(&plain), "{} vs {}", inner(&sf), inner(&plain));
    }

    #[test]
    fn median_aggregate_ignores_single_band_events() {
        // A broadband click counts for both aggregates; a pure tone onset only for the sum.
        let mut y = clicks(1.0, 3.0);
        let start = SR as usize * 2;
        for (i, v) in y.iter_mut().enumerate().skip(start) {
            // A 30 ms fade-in keeps the tone narrow-band.
            let fade = ((i - start) as f32 / (0.03 * SR as f32)).min(1.0);
            *v += 0.5 * fade * (std::f32::consts::TAU * 1000.0 * i as f32 / SR as f32).sin();
        }
        let med = OnsetConfig { aggregate: FluxAggregate::Median, ..OnsetConfig::default() };
        let (s, m) = (onset_strength(&y, SR, &OnsetConfig::default()).unwrap(), onset_strength(&y, SR, &med).unwrap());
        let at = |e: &[f32], t: f32| {
            let f = (t * s.frame_rate) as usize;
            e[f - 3..f + 4].iter().cloned().fold(0.0, f32::max)
        };
        // The tone enters at 2.0 s, just before the click at 2.5 s.
        assert!(at(&s.envelope, 2.0) > 0.1 * at(&s.envelope, 1.5));
        assert!(
            at(&m.envelope, 2.0) < 0.05 * at(&m.envelope, 1.5),
            "{} vs {}",
            at(&m.envelope, 2.0),
            at(&m.envelope, 1.5)
        );
        assert!(at(&m.envelope, 1.5) > 0.0);
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let bad = [
            OnsetConfig { n_fft: 1, ..OnsetConfig::default() },
            OnsetConfig { hop_length: 0, ..OnsetConfig::default() },
            OnsetConfig { fmin: 0.0, ..OnsetConfig::default() },
            OnsetConfig { fmin: 500.0, fmax: 100.0, ..OnsetConfig::default() },
            OnsetConfig { bands_per_octave: 0, ..OnsetConfig::default() },
            OnsetConfig { diff_lag: 0, ..OnsetConfig::default() },
            OnsetConfig { log: LogCompression::Log1p { gamma: -1.0 }, ..OnsetConfig::default() },
        ];
        for cfg in bad {
            assert_eq!(SuperFlux::new(cfg, SR).unwrap_err().kind(), crate::ErrorKind::InvalidParameter);
        }
        assert!(SuperFlux::new(OnsetConfig::default(), 0).is_err());
        // fmin above Nyquist: no band.
        assert!(SuperFlux::new(OnsetConfig { fmin: 9000.0, ..OnsetConfig::default() }, 8000).is_err());
        let p = OnsetPeakConfig { delta: f32::NAN, ..OnsetPeakConfig::default() };
        assert!(onset_detect(&[1.0], 100.0, &p).is_err());
        assert!(onset_detect(&[1.0], 0.0, &OnsetPeakConfig::default()).is_err());
    }

    /// The oracle: the full `f32` filterbank spectrogram of `y`, row by row from the STFT.
    fn full_rows(d: &SuperFlux, y: &[f32]) -> Spectrogram {
        let n_bands = d.bands.n_rows();
        let mut data = Vec::new();
        let mut mag = vec![0.0f32; d.config.n_fft / 2 + 1];
        d.stft.for_each_frame(y, |_, x| {
            simd::magnitude(x, &mut mag);
            // Band by band with `dot` (the detector uses the one-dispatch `sparse_dots`).
            let mut row: Vec<f32> = (0..n_bands)
                .map(|r| {
                    let (start, w) = d.bands.row(r);
                    simd::dot(&mag[start..start + w.len()], w)
                })
                .collect();
            d.config.log.apply(&mut row);
            data.extend(row.into_iter().map(|v| if v.is_finite() { v } else { 0.0 }));
        });
        let n = data.len() / n_bands;
        Spectrogram::new(data, n, n_bands)
    }

    #[test]
    fn streamed_envelope_is_superflux_of_every_band_and_the_kept_bands_are_sums() {
        let sr = 22050;
        let y = clicks(0.37, 6.0);
        for aggregate in [FluxAggregate::Sum, FluxAggregate::Median] {
            let cfg = OnsetConfig { aggregate, spectrogram_band_group: 3, diff_lag: 2, ..OnsetConfig::default() };
            let detector = SuperFlux::new(cfg.clone(), sr).unwrap();
            let full = full_rows(&detector, &y);
            let os = detector.compute(&y);
            assert_eq!(os.envelope, superflux(&full, cfg.max_filter_half_width, 2, aggregate));
            assert_eq!(os.spectrogram.n_bins(), detector.n_bands().div_ceil(3));
            assert_eq!(os.spectrogram.n_frames(), full.n_frames());
            for t in 0..full.n_frames() {
                let sums: Vec<f32> = full.frame(t).chunks(3).map(|c| c.iter().sum()).collect();
                for (kept, sum) in os.spectrogram.to_f32_row(t).iter().zip(&sums) {
                    assert!((kept - sum).abs() <= sum.abs() * 2f32.powi(-11), "{kept} vs {sum}");
                }
            }
        }
        let bad = OnsetConfig { spectrogram_band_group: 0, ..OnsetConfig::default() };
        assert!(SuperFlux::new(bad, sr).is_err());
    }

    #[test]
    fn max_filter_matches_the_windowed_maximum() {
        // The shifted-slice passes against the plain maximum over each clipped window, on odd
        // lengths and widths up to past the row.
        for n in [0usize, 1, 2, 3, 7, 16, 33, 151] {
            let row = crate::spectral::stft::tests::lcg_signal(n, n as u64 + 1);
            for w in 0..=5 {
                let mut got = vec![f32::NAN; n];
                max_filter(&row, w, &mut got);
                let want: Vec<f32> = (0..n)
                    .map(|k| {
                        row[k.saturating_sub(w)..(k + w + 1).min(n)].iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b))
                    })
                    .collect();
                assert_eq!(got, want, "n {n} w {w}");
            }
        }
    }

    #[test]
    fn deterministic() {
        let y = clicks(0.37, 3.0);
        let a = onset_strength(&y, SR, &OnsetConfig::default()).unwrap();
        let b = onset_strength(&y, SR, &OnsetConfig::default()).unwrap();
        assert_eq!(a, b);
    }
}
