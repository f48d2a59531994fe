//! Loudness per ITU-R BS.1770-4 / EBU R128: integrated loudness, loudness range (EBU Tech 3342),
//! true peak (BS.1770-4 Annex 2) and sample peak, measured by a streaming meter.
//!
//! # Algorithm
//! 1. **K-weighting** of every channel: a high-shelf pre-filter (+4 dB above ~1.7 kHz, the
//!    acoustic effect of the head) followed by the RLB high-pass (~38 Hz). The two biquads'
//!    coefficients are derived for any sample rate from their analog prototypes (centre
//!    frequency, gain and Q fitted to the 48 kHz coefficients of BS.1770-4 Table 1 and 2, the
//!    derivation used by libebur128), so 44.1 kHz, 22.05 kHz or 37.8 kHz input is measured
//!    exactly as the standard's 48 kHz filter would.
//! 2. **Mean square per 100 ms step** of the weighted channel sum
//!    `z = Σ_c G_c · mean(y_c²)`, with `G = 1` for front channels, `1.41` for surround channels
//!    (azimuth 60°…120°: Ls, Rs, and the side/back pairs of 7.1) and `0` for LFE.
//! 3. **Gating blocks** of 400 ms with 75 % overlap (four consecutive steps),
//!    `l_j = −0.691 + 10·log10(z_j)`. Integrated loudness is the power mean over the blocks above
//!    the absolute gate (−70 LUFS) and above the relative gate (power mean of the absolute-gated
//!    blocks − 10 LU).
//! 4. **Loudness range** (EBU Tech 3342): short-term loudness over 3 s windows every 100 ms,
//!    absolute gate −70 LUFS, relative gate −20 LU below their power mean, and
//!    `LRA = P95 − P10` of the remaining values (nearest-rank percentiles).
//! 5. **True peak** (BS.1770-4 Annex 2): 4× oversampling with the Annex's 48-tap polyphase
//!    interpolation filter (four phases of 12 taps), maximum absolute value, in dBTP. At source
//!    rates of 192 kHz and above the samples are already that dense and are used directly.
//!
//! Only complete blocks are measured (as libebur128 and ffmpeg do): input shorter than one
//! 400 ms block, silence, and signals entirely below the absolute gate get the documented floor
//! [`LOUDNESS_FLOOR_LUFS`] (−70 LUFS, the absolute gate) instead of −∞, so that every record
//! holds a finite number. Peaks of digital silence are floored at [`PEAK_FLOOR_DB`].
//!
//! Non-finite input samples are measured as 0.
//!
//! # References
//! - ITU-R BS.1770-4, "Algorithms to measure audio programme loudness and true-peak audio
//!   level", 2015 (K-weighting, gating, channel weights, Annex 2 true peak).
//! - EBU R 128, "Loudness normalisation and permitted maximum level of audio signals", 2020.
//! - EBU Tech 3341, "Loudness Metering: 'EBU Mode' metering to supplement EBU R 128", 2016
//!   (the synthetic test signals used in the tests).
//! - EBU Tech 3342, "Loudness Range: A measure to supplement EBU R 128 loudness
//!   normalization", 2016.
//! - R. J. Kraemer et al., libebur128 (the sample-rate independent derivation of the K-weighting
//!   filter coefficients).

use std::f64::consts::PI;

use crate::error::{AnalyzerError, Result, check};
use crate::simd::{Biquad, BiquadState};

/// Floor reported for the integrated loudness when no block passes the gates (silence, input
/// shorter than one block): the absolute gate itself, in LUFS.
pub const LOUDNESS_FLOOR_LUFS: f32 = -70.0;
/// Floor for sample and true peaks of digital silence, in dBFS / dBTP.
pub const PEAK_FLOOR_DB: f32 = -120.0;

/// BS.1770 offset in the loudness formula `−0.691 + 10·log10(z)` (makes a 997 Hz sine at
/// 0 dBFS on one front channel read −3.01 LUFS).
const LOUDNESS_OFFSET_DB: f64 = -0.691;

/// High-shelf pre-filter analog prototype: centre frequency in Hz (libebur128 fit of Table 1).
const SHELF_F0_HZ: f64 = 1_681.974_450_955_533;
/// High-shelf gain in dB.
const SHELF_GAIN_DB: f64 = 3.999_843_853_973_347;
/// High-shelf quality factor.
const SHELF_Q: f64 = 0.707_175_236_955_419_6;
/// Exponent giving the band gain `Vb = Vh^e` of the shelf.
const SHELF_VB_EXPONENT: f64 = 0.499_666_774_154_541_6;
/// RLB high-pass analog prototype: corner frequency in Hz (fit of Table 2).
const RLB_F0_HZ: f64 = 38.135_470_876_024_44;
/// RLB high-pass quality factor.
const RLB_Q: f64 = 0.500_327_037_323_877_3;

/// Oversampling factor of the true-peak interpolator (BS.1770-4 Annex 2).
pub const TRUE_PEAK_OVERSAMPLING: usize = 4;
/// Taps per phase of the Annex 2 interpolation filter.
const TP_TAPS: usize = 12;
/// Source rate from which samples are already as dense as the Annex's 4 × 48 kHz.
const TP_NATIVE_RATE_HZ: u32 = 192_000;
/// The BS.1770-4 Annex 2 interpolation filter (48 taps), as its four polyphase components.
/// Phase `p` interpolates the point `p/4` of a sample period; output `y_p[n] = Σ_k h_p[k]·x[n−k]`.
const TP_PHASES: [[f64; TP_TAPS]; TRUE_PEAK_OVERSAMPLING] = [
    [
        0.001_708_984_375,
        0.010_986_328_125,
        -0.019_653_320_312_5,
        0.033_203_125,
        -0.059_448_242_187_5,
        0.137_329_101_562_5,
        0.972_167_968_75,
        -0.102_294_921_875,
        0.047_607_421_875,
        -0.026_611_328_125,
        0.014_892_578_125,
        -0.008_300_781_25,
    ],
    [
        -0.029_174_804_687_5,
        0.029_296_875,
        -0.051_757_812_5,
        0.089_111_328_125,
        -0.166_503_906_25,
        0.465_087_890_625,
        0.779_785_156_25,
        -0.200_317_382_812_5,
        0.101_562_5,
        -0.058_227_539_062_5,
        0.033_081_054_687_5,
        -0.018_920_898_437_5,
    ],
    [
        -0.018_920_898_437_5,
        0.033_081_054_687_5,
        -0.058_227_539_062_5,
        0.101_562_5,
        -0.200_317_382_812_5,
        0.779_785_156_25,
        0.465_087_890_625,
        -0.166_503_906_25,
        0.089_111_328_125,
        -0.051_757_812_5,
        0.029_296_875,
        -0.029_174_804_687_5,
    ],
    [
        -0.008_300_781_25,
        0.014_892_578_125,
        -0.026_611_328_125,
        0.047_607_421_875,
        -0.102_294_921_875,
        0.972_167_968_75,
        0.137_329_101_562_5,
        -0.059_448_242_187_5,
        0.033_203_125,
        -0.019_653_320_312_5,
        0.010_986_328_125,
        0.001_708_984_375,
    ],
];

/// Tolerance when checking that block and window lengths are whole numbers of steps.
const STEP_RATIO_TOLERANCE: f64 = 1e-6;
/// Percent → fraction.
const PERCENT: f64 = 100.0;
/// Longest stretch of source frames processed at once (bounds the scratch buffers).
const MAX_CHUNK_FRAMES: usize = 8192;

/// What a channel is, for the BS.1770 channel weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelRole {
    /// Left, right, centre and other front or overhead channels: weight 1.
    Front,
    /// Surround channels at 60°…120° azimuth (Ls, Rs, side/back pairs): weight
    /// [`LoudnessConfig::surround_weight`] (1.41).
    Surround,
    /// Low-frequency effects: weight 0 (not measured).
    Lfe,
}

impl ChannelRole {
    /// The conventional roles for `channels` channels in WAV/SMPTE order when the container
    /// states no layout: 5 channels `L R C Ls Rs`; 6 `L R C LFE Ls Rs`; 7 `L R C LFE Cs Ls Rs`
    /// (back centre counted as surround); 8 `L R C LFE Lb Rb Ls Rs`; more than 8: the first 8
    /// as for 8, the rest front. 1–4 channels are all front.
    pub fn default_layout(channels: usize) -> Vec<ChannelRole> {
        use ChannelRole::{Front, Lfe, Surround};
        const LFE_INDEX: usize = 3;
        const FIVE_CH_SURROUND_START: usize = 3;
        const FIVE_CH: usize = 5;
        const SURROUND_START: usize = 4;
        const SURROUND_END_MAX: usize = 8;
        match channels {
            FIVE_CH => (0..channels).map(|i| if i >= FIVE_CH_SURROUND_START { Surround } else { Front }).collect(),
            n if n > FIVE_CH => (0..n)
                .map(|i| match i {
                    LFE_INDEX => Lfe,
                    i if (SURROUND_START..SURROUND_END_MAX).contains(&i) => Surround,
                    _ => Front,
                })
                .collect(),
            n => vec![Front; n],
        }
    }
}

/// Parameters of the loudness meter. The defaults are the standards' values; changing them
/// measures something that is no longer BS.1770 / R128 loudness.
#[derive(Debug, Clone, PartialEq)]
pub struct LoudnessConfig {
    /// Gating block length in seconds (BS.1770: 0.4).
    pub block_s: f64,
    /// Overlap of consecutive gating blocks, in 0..1 (BS.1770: 0.75, i.e. a 100 ms step).
    pub block_overlap: f64,
    /// Absolute gate in LUFS (BS.1770 and Tech 3342: −70).
    pub absolute_gate_lufs: f64,
    /// Relative gate of the integrated loudness in LU (BS.1770: −10).
    pub relative_gate_lu: f64,
    /// Short-term window of the loudness range in seconds (Tech 3342: 3).
    pub lra_window_s: f64,
    /// Relative gate of the loudness range in LU (Tech 3342: −20).
    pub lra_relative_gate_lu: f64,
    /// Lower percentile of the loudness range (Tech 3342: 10).
    pub lra_low_percentile: f64,
    /// Upper percentile of the loudness range (Tech 3342: 95).
    pub lra_high_percentile: f64,
    /// Weight of surround channels (BS.1770: 1.41, i.e. +1.5 dB).
    pub surround_weight: f64,
    /// Measure the true peak (4× oversampling; the costliest part of the meter).
    pub true_peak: bool,
}

impl Default for LoudnessConfig {
    fn default() -> Self {
        Self {
            block_s: 0.4,
            block_overlap: 0.75,
            absolute_gate_lufs: -70.0,
            relative_gate_lu: -10.0,
            lra_window_s: 3.0,
            lra_relative_gate_lu: -20.0,
            lra_low_percentile: 10.0,
            lra_high_percentile: 95.0,
            surround_weight: 1.41,
            true_peak: true,
        }
    }
}

impl LoudnessConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        fn finite(name: &'static str, v: f64) -> Result<()> {
            if v.is_finite() { Ok(()) } else { Err(AnalyzerError::invalid(name, format!("must be finite, got {v}"))) }
        }
        if !(self.block_s.is_finite() && self.block_s > 0.0) {
            return Err(AnalyzerError::invalid("block_s", format!("must be finite and > 0, got {}", self.block_s)));
        }
        if !(self.block_overlap.is_finite() && (0.0..1.0).contains(&self.block_overlap)) {
            return Err(AnalyzerError::invalid(
                "block_overlap",
                format!("must be in [0, 1), got {}", self.block_overlap),
            ));
        }
        let step = self.step_s();
        let per_block = self.block_s / step;
        if (per_block - per_block.round()).abs() > STEP_RATIO_TOLERANCE {
            return Err(AnalyzerError::invalid("block_overlap", "block_s must be a whole number of steps"));
        }
        finite("absolute_gate_lufs", self.absolute_gate_lufs)?;
        if !(self.relative_gate_lu.is_finite() && self.relative_gate_lu <= 0.0) {
            return Err(AnalyzerError::invalid("relative_gate_lu", "must be finite and <= 0"));
        }
        if !(self.lra_window_s.is_finite() && self.lra_window_s >= step) {
            return Err(AnalyzerError::invalid("lra_window_s", format!("must be finite and >= the {step} s step")));
        }
        let per_window = self.lra_window_s / step;
        if (per_window - per_window.round()).abs() > STEP_RATIO_TOLERANCE {
            return Err(AnalyzerError::invalid("lra_window_s", "must be a whole number of steps"));
        }
        if !(self.lra_relative_gate_lu.is_finite() && self.lra_relative_gate_lu <= 0.0) {
            return Err(AnalyzerError::invalid("lra_relative_gate_lu", "must be finite and <= 0"));
        }
        let (lo, hi) = (self.lra_low_percentile, self.lra_high_percentile);
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo < hi && hi <= PERCENT) {
            return Err(AnalyzerError::invalid(
                "lra_low_percentile",
                format!("needs 0 <= low < high <= 100, got {lo}..{hi}"),
            ));
        }
        check::non_negative("surround_weight", self.surround_weight)?;
        Ok(())
    }

    /// The hop between gating blocks in seconds.
    pub fn step_s(&self) -> f64 {
        self.block_s * (1.0 - self.block_overlap)
    }

    fn weight(&self, role: ChannelRole) -> f64 {
        match role {
            ChannelRole::Front => 1.0,
            ChannelRole::Surround => self.surround_weight,
            ChannelRole::Lfe => 0.0,
        }
    }
}

/// The loudness of a programme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessStats {
    /// Integrated (gated) loudness in LUFS; [`LOUDNESS_FLOOR_LUFS`] when nothing passes the
    /// gates. This is the value of Spotify's `loudness` field.
    pub integrated_lufs: f32,
    /// Loudness range in LU (EBU Tech 3342); 0 when fewer than two short-term windows pass.
    pub loudness_range_lu: f32,
    /// Highest true peak over all channels in dBTP (4× oversampled; the sample peak when the
    /// true peak is switched off).
    pub true_peak_dbtp: f32,
    /// Highest absolute sample over all channels in dBFS.
    pub sample_peak_dbfs: f32,
    /// Number of 400 ms gating blocks that passed both gates.
    pub gated_blocks: usize,
}

/// The K-weighting's first stage (BS.1770-4, Table 1, re-derived for any rate): the high shelf.
fn shelf(sr: f64) -> Biquad {
    let k = (PI * SHELF_F0_HZ / sr).tan();
    let vh = 10f64.powf(SHELF_GAIN_DB / 20.0);
    let vb = vh.powf(SHELF_VB_EXPONENT);
    let a0 = 1.0 + k / SHELF_Q + k * k;
    Biquad {
        b: [(vh + vb * k / SHELF_Q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / SHELF_Q + k * k) / a0],
        a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / SHELF_Q + k * k) / a0],
    }
}

/// The K-weighting's second stage: the RLB high-pass.
fn rlb(sr: f64) -> Biquad {
    let k = (PI * RLB_F0_HZ / sr).tan();
    let a0 = 1.0 + k / RLB_Q + k * k;
    Biquad { b: [1.0, -2.0, 1.0], a: [2.0 * (k * k - 1.0) / a0, (1.0 - k / RLB_Q + k * k) / a0] }
}

/// Per-channel filter memory (direct form I, two stages) and true-peak history.
#[derive(Debug, Clone)]
struct ChannelState {
    filter: BiquadState,
    weight: f64,
    /// The last `TP_TAPS − 1` input samples followed by the current chunk.
    tp_buf: Vec<f32>,
    peak: f32,
    true_peak: f32,
}

/// A streaming BS.1770 / R128 meter: feed interleaved frames with
/// [`LoudnessMeter::push_interleaved`], read the result with [`LoudnessMeter::finish`]. Memory
/// grows by 16 bytes per 100 ms step (about 1.7 MB for three hours).
#[derive(Debug, Clone)]
pub struct LoudnessMeter {
    config: LoudnessConfig,
    sr: u32,
    /// The shelf and RLB stages.
    k_filter: [Biquad; 2],
    channels: Vec<ChannelState>,
    oversample: bool,
    /// Per-step (sum of weighted squares, frames).
    steps: Vec<(f64, u32)>,
    acc: f64,
    acc_frames: u32,
    /// Frames seen so far and the frame index at which the current step ends.
    frames: u64,
    next_boundary: u64,
    /// Scratch: weighted power per frame.
    power: Vec<f64>,
    /// The true-peak interpolation filter's phases in f32.
    tp_taps: [[f32; TP_TAPS]; TRUE_PEAK_OVERSAMPLING],
}

impl LoudnessMeter {
    /// A meter for `sr` Hz with one [`ChannelRole`] per channel.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a bad config, a zero rate or no channels.
    pub fn new(sr: u32, roles: &[ChannelRole], config: LoudnessConfig) -> Result<Self> {
        config.validate()?;
        if sr == 0 {
            return Err(AnalyzerError::invalid("sr", "must be > 0"));
        }
        if roles.is_empty() {
            return Err(AnalyzerError::invalid("channels", "must be >= 1"));
        }
        let srf = f64::from(sr);
        let channels = roles
            .iter()
            .map(|&r| ChannelState {
                filter: BiquadState::default(),
                weight: config.weight(r),
                tp_buf: vec![0.0; TP_TAPS - 1],
                peak: 0.0,
                true_peak: 0.0,
            })
            .collect();
        let mut meter = Self {
            k_filter: [shelf(srf), rlb(srf)],
            oversample: config.true_peak && sr < TP_NATIVE_RATE_HZ,
            config,
            sr,
            channels,
            steps: Vec::new(),
            acc: 0.0,
            acc_frames: 0,
            frames: 0,
            next_boundary: 0,
            power: Vec::new(),
            tp_taps: TP_PHASES.map(|phase| phase.map(|h| h as f32)),
        };
        meter.next_boundary = meter.step_end(0);
        Ok(meter)
    }

    /// The frame index at which step `k` ends (fractional step lengths are rounded per
    /// boundary, so no drift accumulates).
    fn step_end(&self, k: usize) -> u64 {
        ((k + 1) as f64 * self.config.step_s() * f64::from(self.sr)).round().max(1.0) as u64
    }

    /// Number of channels the meter expects per frame.
    pub fn n_channels(&self) -> usize {
        self.channels.len()
    }

    /// The sample rate the meter was built for.
    pub fn sample_rate(&self) -> u32 {
        self.sr
    }

    /// Feeds interleaved frames. A trailing partial frame is ignored.
    pub fn push_interleaved(&mut self, interleaved: &[f32]) {
        let n_ch = self.channels.len();
        for chunk in interleaved.chunks(n_ch * MAX_CHUNK_FRAMES) {
            self.push_chunk(chunk, n_ch);
        }
    }

    fn push_chunk(&mut self, chunk: &[f32], n_ch: usize) {
        let n = chunk.len() / n_ch;
        if n == 0 {
            return;
        }
        let chunk = &chunk[..n * n_ch];
        self.power.clear();
        self.power.resize(n, 0.0);
        // K-weighting two channels at a time with the software-pipelined SIMD kernel (the
        // weighted squares are added to the frame's power in channel order), a last odd
        // channel on its own.
        let mut c = 0;
        while c < n_ch {
            if c + 1 < n_ch {
                let [a, b] = &mut self.channels[c..c + 2] else { unreachable!("two channels") };
                let mut state = [a.filter, b.filter];
                let mut peaks = [a.peak, b.peak];
                crate::simd::biquad_cascade_pair(
                    &self.k_filter,
                    chunk,
                    n_ch,
                    c,
                    [a.weight, b.weight],
                    &mut state,
                    &mut self.power,
                    &mut peaks,
                );
                [a.filter, b.filter] = state;
                [a.peak, b.peak] = peaks;
                c += 2;
            } else {
                k_weight_one(&mut self.channels[c], &self.k_filter, chunk, n_ch, c, &mut self.power);
                c += 1;
            }
        }
        if self.oversample {
            for (c, st) in self.channels.iter_mut().enumerate() {
                true_peak_chunk(st, chunk, n_ch, c, &self.tp_taps);
            }
        }
        // Accumulate into 100 ms steps.
        let mut i = 0usize;
        while i < n {
            let room = (self.next_boundary - self.frames) as usize;
            let take = room.min(n - i);
            self.acc += sum_f64(&self.power[i..i + take]);
            self.acc_frames += take as u32;
            self.frames += take as u64;
            i += take;
            if self.frames == self.next_boundary {
                self.steps.push((self.acc, self.acc_frames));
                self.acc = 0.0;
                self.acc_frames = 0;
                self.next_boundary = self.step_end(self.steps.len());
            }
        }
    }

    /// Mean-square powers of the windows of `per` consecutive steps, hop one step.
    fn window_powers(&self, per: usize) -> Vec<f64> {
        if self.steps.len() < per || per == 0 {
            return Vec::new();
        }
        self.steps
            .windows(per)
            .map(|w| {
                let (s, n) = w.iter().fold((0.0, 0u64), |(s, n), &(a, b)| (s + a, n + u64::from(b)));
                if n == 0 { 0.0 } else { s / n as f64 }
            })
            .collect()
    }

    /// The measurement of everything fed so far.
    pub fn finish(&self) -> LoudnessStats {
        let cfg = &self.config;
        let step = cfg.step_s();
        let per_block = (cfg.block_s / step).round() as usize;
        let blocks = self.window_powers(per_block);
        let abs_gate = lufs_to_power(cfg.absolute_gate_lufs);
        let (integrated, gated_blocks) = gated_mean(&blocks, abs_gate, cfg.relative_gate_lu);
        let integrated_lufs = integrated.map_or(LOUDNESS_FLOOR_LUFS, |p| power_to_lufs(p) as f32);

        let per_window = (cfg.lra_window_s / step).round() as usize;
        let short_term = self.window_powers(per_window);
        let loudness_range_lu = loudness_range(&short_term, abs_gate, cfg) as f32;

        let sample_peak = self.channels.iter().fold(0.0f32, |m, c| m.max(c.peak));
        let true_peak = if self.oversample {
            self.channels.iter().fold(sample_peak, |m, c| m.max(c.true_peak))
        } else {
            sample_peak
        };
        LoudnessStats {
            integrated_lufs,
            loudness_range_lu,
            true_peak_dbtp: amplitude_db(true_peak),
            sample_peak_dbfs: amplitude_db(sample_peak),
            gated_blocks,
        }
    }
}

/// K-weights channel `c` of an interleaved chunk on its own (an odd channel out of the pairs
/// [`crate::simd::biquad_cascade_pair`] handles), adds its weighted square to `power[frame]` and
/// updates its sample peak. Non-finite samples count as 0; the same operations as the pair
/// kernel's scalar reference.
fn k_weight_one(st: &mut ChannelState, stages: &[Biquad; 2], chunk: &[f32], n_ch: usize, c: usize, power: &mut [f64]) {
    for (p, frame) in power.iter_mut().zip(chunk.chunks_exact(n_ch)) {
        let v = frame[c];
        let v = if v.is_finite() { v } else { 0.0 };
        st.peak = st.peak.max(v.abs());
        let y = st.filter.push(stages, f64::from(v));
        *p += st.weight * y * y;
    }
}

/// 4× polyphase interpolation of channel `c` of an interleaved chunk; updates the channel's
/// true peak and keeps the last `TP_TAPS − 1` samples as history. Each phase is a 12-tap FIR
/// whose largest absolute output is found by the SIMD [`crate::simd::fir_abs_max`] kernel.
fn true_peak_chunk(
    st: &mut ChannelState,
    chunk: &[f32],
    n_ch: usize,
    c: usize,
    taps: &[[f32; TP_TAPS]; TRUE_PEAK_OVERSAMPLING],
) {
    let hist = TP_TAPS - 1;
    st.tp_buf.truncate(hist);
    st.tp_buf.extend(chunk.chunks_exact(n_ch).map(|f| if f[c].is_finite() { f[c] } else { 0.0 }));
    for phase in taps {
        // Output y[n] = Σ_k h[k]·x[n−k] for every sample n of the chunk: x[n] sits at
        // tp_buf[hist + n], so the complete outputs of the FIR over tp_buf are exactly these.
        st.true_peak = st.true_peak.max(crate::simd::fir_abs_max(&st.tp_buf, phase));
    }
    let len = st.tp_buf.len();
    st.tp_buf.copy_within(len - hist.., 0);
    st.tp_buf.truncate(hist);
}

/// `Σ v` with four interleaved accumulators (the sequential loop is bound by the latency of one
/// addition per frame).
fn sum_f64(v: &[f64]) -> f64 {
    let quads = v.chunks_exact(4);
    let rest = quads.remainder();
    let mut acc = [0.0f64; 4];
    for q in quads {
        for (a, x) in acc.iter_mut().zip(q) {
            *a += x;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest.iter().sum::<f64>()
}

fn lufs_to_power(lufs: f64) -> f64 {
    10f64.powf((lufs - LOUDNESS_OFFSET_DB) / 10.0)
}

fn power_to_lufs(p: f64) -> f64 {
    LOUDNESS_OFFSET_DB + 10.0 * p.log10()
}

fn amplitude_db(a: f32) -> f32 {
    if a > 0.0 { (20.0 * a.log10()).max(PEAK_FLOOR_DB) } else { PEAK_FLOOR_DB }
}

/// Two-stage gating: the power mean of the blocks above the absolute gate and above the
/// relative gate (`relative_lu` below the absolute-gated mean). Returns the mean power and the
/// number of blocks kept.
fn gated_mean(powers: &[f64], abs_gate: f64, relative_lu: f64) -> (Option<f64>, usize) {
    let above: Vec<f64> = powers.iter().copied().filter(|&p| p > abs_gate).collect();
    if above.is_empty() {
        return (None, 0);
    }
    let mean = above.iter().sum::<f64>() / above.len() as f64;
    let rel_gate = mean * 10f64.powf(relative_lu / 10.0);
    let kept: Vec<f64> = above.into_iter().filter(|&p| p > rel_gate).collect();
    if kept.is_empty() {
        return (None, 0);
    }
    (Some(kept.iter().sum::<f64>() / kept.len() as f64), kept.len())
}

/// EBU Tech 3342 loudness range of short-term powers.
fn loudness_range(short_term: &[f64], abs_gate: f64, cfg: &LoudnessConfig) -> f64 {
    let above: Vec<f64> = short_term.iter().copied().filter(|&p| p > abs_gate).collect();
    if above.len() < 2 {
        return 0.0;
    }
    let mean = above.iter().sum::<f64>() / above.len() as f64;
    let rel_gate = mean * 10f64.powf(cfg.lra_relative_gate_lu / 10.0);
    let mut kept: Vec<f64> = above.into_iter().filter(|&p| p > rel_gate).map(power_to_lufs).collect();
    if kept.len() < 2 {
        return 0.0;
    }
    kept.sort_by(f64::total_cmp);
    let last = (kept.len() - 1) as f64;
    let at = |pct: f64| kept[((last * pct / PERCENT).round() as usize).min(kept.len() - 1)];
    (at(cfg.lra_high_percentile) - at(cfg.lra_low_percentile)).max(0.0)
}

/// Measures interleaved audio in one call.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config, a zero rate, no channels or a length
/// that is not a multiple of the channel count.
pub fn measure_loudness(
    interleaved: &[f32],
    sr: u32,
    roles: &[ChannelRole],
    config: &LoudnessConfig,
) -> Result<LoudnessStats> {
    if !roles.is_empty() && !interleaved.len().is_multiple_of(roles.len()) {
        return Err(AnalyzerError::invalid("channels", "sample count is not a multiple of the channel count"));
    }
    let mut meter = LoudnessMeter::new(sr, roles, config.clone())?;
    meter.push_interleaved(interleaved);
    Ok(meter.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: u32 = 48_000;

    fn sine(freq: f64, dbfs: f64, seconds: f64, sr: u32) -> Vec<f32> {
        let a = 10f64.powf(dbfs / 20.0);
        let n = (seconds * f64::from(sr)) as usize;
        (0..n).map(|i| (a * (2.0 * PI * freq * i as f64 / f64::from(sr)).sin()) as f32).collect()
    }

    fn stereo(mono: &[f32]) -> Vec<f32> {
        mono.iter().flat_map(|&v| [v, v]).collect()
    }

    fn measure(x: &[f32], sr: u32, ch: usize) -> LoudnessStats {
        measure_loudness(x, sr, &ChannelRole::default_layout(ch), &LoudnessConfig::default()).unwrap()
    }

    #[test]
    fn coefficients_match_table_1_at_48k() {
        let s = shelf(48_000.0);
        let r = rlb(48_000.0);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
        assert!(close(s.b[0], 1.535_124_859_586_97) && close(s.b[1], -2.691_696_189_406_38));
        assert!(close(s.b[2], 1.198_392_810_852_85) && close(s.a[0], -1.690_659_293_182_41));
        assert!(close(s.a[1], 0.732_480_774_215_85));
        assert!(close(r.a[0], -1.990_047_454_833_98) && close(r.a[1], 0.990_072_250_366_21));
    }

    #[test]
    fn tech_3341_sine_minus_23_stereo() {
        for sr in [44_100, 48_000, 22_050] {
            let s = measure(&stereo(&sine(1000.0, -23.0, 20.0, sr)), sr, 2);
            assert!((s.integrated_lufs + 23.0).abs() < 0.1, "{sr}: {}", s.integrated_lufs);
            assert!(s.loudness_range_lu < 0.1);
            assert!((s.sample_peak_dbfs + 23.0).abs() < 0.01);
        }
    }

    #[test]
    fn tech_3341_sine_minus_33_mono_front_channel() {
        // One front channel: a −33 dBFS sine on a single channel reads −36.0 LUFS (−33 − 3.01).
        let s = measure(&sine(1000.0, -33.0, 10.0, SR), SR, 1);
        assert!((s.integrated_lufs + 36.01).abs() < 0.1, "{}", s.integrated_lufs);
    }

    #[test]
    fn relative_gate_ignores_quiet_part() {
        // Tech 3341 case 3: −36 / −23 / −36 dBFS, 10/60/10 s, reads −23.0.
        let mut x = sine(1000.0, -36.0, 10.0, SR);
        x.extend(sine(1000.0, -23.0, 60.0, SR));
        x.extend(sine(1000.0, -36.0, 10.0, SR));
        let s = measure(&stereo(&x), SR, 2);
        assert!((s.integrated_lufs + 23.0).abs() < 0.1, "{}", s.integrated_lufs);
    }

    #[test]
    fn tech_3342_loudness_range_cases() {
        // Tech 3342 cases 1 and 2: 20 s at −20 then 20 s at −30 (LRA 10), −20 then −15 (LRA 5).
        for (second, lra) in [(-30.0, 10.0), (-15.0, 5.0)] {
            let mut x = sine(1000.0, -20.0, 20.0, SR);
            x.extend(sine(1000.0, second, 20.0, SR));
            let s = measure(&stereo(&x), SR, 2);
            assert!((f64::from(s.loudness_range_lu) - lra).abs() < 0.2, "{}", s.loudness_range_lu);
        }
    }

    #[test]
    fn surround_weights_and_lfe() {
        // Same sine on Ls only reads 1.5 dB louder than on L only; LFE is not measured.
        let tone = sine(1000.0, -20.0, 5.0, SR);
        let on = |idx: usize| -> f32 {
            let mut x = vec![0.0; tone.len() * 6];
            for (i, &v) in tone.iter().enumerate() {
                x[i * 6 + idx] = v;
            }
            measure(&x, SR, 6).integrated_lufs
        };
        let (l, ls, lfe) = (on(0), on(4), on(3));
        assert!((ls - l - 1.49).abs() < 0.05, "{l} {ls}");
        assert_eq!(lfe, LOUDNESS_FLOOR_LUFS);
    }

    #[test]
    fn true_peak_sees_inter_sample_peak() {
        // fs/4 with a 45° phase: samples at ±0.707, the waveform reaches 1.0 between them.
        let n = SR as usize;
        let x: Vec<f32> = (0..n).map(|i| (PI / 2.0 * i as f64 + PI / 4.0).sin() as f32 * 0.5).collect();
        let s = measure(&x, SR, 1);
        assert!((s.sample_peak_dbfs - (-9.03)).abs() < 0.05, "{}", s.sample_peak_dbfs);
        assert!((s.true_peak_dbtp - (-6.02)).abs() < 0.3, "{}", s.true_peak_dbtp);
    }

    #[test]
    fn streaming_equals_one_shot() {
        let x = stereo(&sine(440.0, -18.0, 3.0, 44_100));
        let one = measure(&x, 44_100, 2);
        let mut m = LoudnessMeter::new(44_100, &ChannelRole::default_layout(2), LoudnessConfig::default()).unwrap();
        for c in x.chunks(2 * 1001) {
            m.push_interleaved(c);
        }
        let streamed = m.finish();
        assert!((one.integrated_lufs - streamed.integrated_lufs).abs() < 1e-4);
        assert_eq!(one.true_peak_dbtp, streamed.true_peak_dbtp);
    }

    #[test]
    fn empty_silence_short_constant_impulse_nan() {
        for x in [vec![], vec![0.0; 96_000], vec![0.5; 1000], vec![f32::NAN; 48_000]] {
            let s = measure(&x, SR, 1);
            assert_eq!(s.integrated_lufs, LOUDNESS_FLOOR_LUFS);
            assert!(s.true_peak_dbtp.is_finite() && s.sample_peak_dbfs.is_finite());
            assert_eq!(s.loudness_range_lu, 0.0);
        }
        // A DC offset is removed by the RLB high-pass: only the onset transient is measured,
        // far below the −6.7 LUFS of a sine of the same RMS.
        let s = measure(&vec![0.5; 96_000], SR, 1);
        assert!(s.integrated_lufs < -20.0, "{}", s.integrated_lufs);
        let mut imp = vec![0.0; 96_000];
        imp[1000] = 1.0;
        let s = measure(&imp, SR, 1);
        assert!(s.integrated_lufs.is_finite() && s.sample_peak_dbfs.abs() < 1e-6);
    }

    #[test]
    fn invalid_config() {
        let bad = [
            LoudnessConfig { block_s: 0.0, ..LoudnessConfig::default() },
            LoudnessConfig { block_overlap: 1.0, ..LoudnessConfig::default() },
            LoudnessConfig { block_overlap: 0.7, ..LoudnessConfig::default() },
            LoudnessConfig { relative_gate_lu: 3.0, ..LoudnessConfig::default() },
            LoudnessConfig { lra_window_s: 0.05, ..LoudnessConfig::default() },
            LoudnessConfig { lra_low_percentile: 96.0, ..LoudnessConfig::default() },
            LoudnessConfig { surround_weight: f64::NAN, ..LoudnessConfig::default() },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
        assert!(LoudnessMeter::new(0, &[ChannelRole::Front], LoudnessConfig::default()).is_err());
        assert!(LoudnessMeter::new(SR, &[], LoudnessConfig::default()).is_err());
        assert!(measure_loudness(&[0.0; 3], SR, &ChannelRole::default_layout(2), &LoudnessConfig::default()).is_err());
    }
}
