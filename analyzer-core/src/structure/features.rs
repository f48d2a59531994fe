//! Frame features shared by segments and sections: loudness (dB), timbre (12 DCT coefficients
//! of the log-mel spectrum) and pitch classes (12-bin chroma), from one STFT.
//!
//! # Formulas
//! - loudness: `L[t] = 10·log10(Σ_n (w[n]·x_t[n])² / Σ_n w[n]² + ε)`, the mean-square level of the
//!   windowed frame in dBFS (a full-scale sine reads −3 dB), computed in the time domain at every
//!   hop and floored at [`FrameFeatureConfig::floor_db`].
//! - timbre: `M[t] = 10·log10(mel(|X_t|²) + ε)` on `n_mels` Slaney mel bands, then the
//!   orthonormal DCT-II `c_j = Σ_m M[m]·cos(π j (m + ½) / n_mels)·s_j`, `j = 0..12`. `c_0` tracks
//!   loudness, `c_1` (sign flipped, so that it grows with brightness) the spectral tilt, `c_2` the
//!   flatness/curvature of the envelope, higher ones finer envelope shape. Unlike Spotify's
//!   learned basis, the 4th coefficient is spectral (envelope shape), not attack sharpness.
//! - chroma: each STFT bin between `fmin` and `fmax` adds its magnitude to its nearest pitch
//!   class with a cos² weight falling to zero half a semitone away (equal temperament, A4 =
//!   440 Hz), as in the HPCP weighting of Gómez (2006) without peak picking.
//!
//! Timbre and chroma come from the spectrum of every [`FrameFeatureConfig::spectral_stride`]-th
//! frame (default 2: a hop of 46 ms for a 93 ms window, still 50 % overlap) and are interpolated
//! linearly in between (held after the last transformed frame), so every hop has all three
//! features while only half the frames are transformed; the loudness needs no transform.
//!
//! # References
//! - B. Logan, "Mel frequency cepstral coefficients for music modeling", ISMIR 2000.
//! - E. Gómez, "Tonal description of music audio signals", PhD thesis, UPF, 2006.
//! - Echo Nest / Spotify, "Analyzer documentation" (timbre, pitches, loudness of segments), 2014.

use realfft::num_complex::Complex32;

use crate::error::{AnalyzerError, Result, check};
use crate::simd;
use crate::spectral::{MelConfig, MelFilterbank, Stft, StftConfig};

/// Number of timbre coefficients and pitch classes (Spotify's shape).
pub const N_DIMS: usize = 12;
/// Default FFT size for frame features at 22050 Hz (93 ms).
pub const DEFAULT_N_FFT: usize = 2048;
/// Default hop (23 ms at 22050 Hz).
pub const DEFAULT_HOP_LENGTH: usize = 512;
/// Default number of mel bands for the timbre DCT.
pub const DEFAULT_N_MELS: usize = 40;
/// Default loudness floor in dB.
pub const DEFAULT_FLOOR_DB: f32 = -60.0;
/// Default spectral stride: timbre and chroma are computed on every 2nd frame.
pub const DEFAULT_SPECTRAL_STRIDE: usize = 2;
/// Default lowest chroma frequency (A1).
pub const DEFAULT_CHROMA_FMIN: f32 = 55.0;
/// Default highest chroma frequency.
pub const DEFAULT_CHROMA_FMAX: f32 = 5000.0;
/// Reference pitch for the chroma (A4).
const A4_HZ: f32 = 440.0;
/// Pitch class of A with C = 0.
const PITCH_CLASS_A: i32 = 9;
/// Guard against log of zero.
const EPS: f32 = 1e-10;

/// Parameters of the frame features.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameFeatureConfig {
    /// FFT size.
    pub n_fft: usize,
    /// Hop in samples.
    pub hop_length: usize,
    /// Timbre and chroma are computed on every `spectral_stride`-th frame and interpolated
    /// linearly in between (1 = every frame); loudness is computed at every hop.
    pub spectral_stride: usize,
    /// Mel bands for the timbre DCT (≥ 12).
    pub n_mels: usize,
    /// Loudness floor in dB (frames below read as this).
    pub floor_db: f32,
    /// Lowest frequency for the chroma in Hz.
    pub chroma_fmin: f32,
    /// Highest frequency for the chroma in Hz.
    pub chroma_fmax: f32,
}

impl Default for FrameFeatureConfig {
    fn default() -> Self {
        Self {
            n_fft: DEFAULT_N_FFT,
            hop_length: DEFAULT_HOP_LENGTH,
            spectral_stride: DEFAULT_SPECTRAL_STRIDE,
            n_mels: DEFAULT_N_MELS,
            floor_db: DEFAULT_FLOOR_DB,
            chroma_fmin: DEFAULT_CHROMA_FMIN,
            chroma_fmax: DEFAULT_CHROMA_FMAX,
        }
    }
}

impl FrameFeatureConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::at_least("n_fft", self.n_fft, 16)?;
        check::at_least("hop_length", self.hop_length, 1)?;
        check::at_least("spectral_stride", self.spectral_stride, 1)?;
        check::at_least("n_mels", self.n_mels, N_DIMS)?;
        if !self.floor_db.is_finite() || self.floor_db >= 0.0 {
            return Err(AnalyzerError::invalid("floor_db", "must be finite and < 0"));
        }
        check::positive_f32("chroma_fmin", self.chroma_fmin)?;
        check::ordered_range("chroma_fmin..chroma_fmax", self.chroma_fmin, self.chroma_fmax)
    }
}

/// Per-frame features.
#[derive(Debug, Clone, Default)]
pub struct FrameFeatures {
    /// Frames per second.
    pub frame_rate: f32,
    /// Length of the analysis window in seconds (a frame at time `t` sees `t ± window/2`).
    pub window_seconds: f64,
    /// Loudness per frame in dB.
    pub loudness_db: Vec<f32>,
    /// Timbre per frame.
    pub timbre: Vec<[f32; N_DIMS]>,
    /// Chroma per frame (raw, not normalised; bin 0 = C).
    pub chroma: Vec<[f32; N_DIMS]>,
}

impl FrameFeatures {
    /// Number of frames.
    pub fn len(&self) -> usize {
        self.loudness_db.len()
    }

    /// True when there are no frames.
    pub fn is_empty(&self) -> bool {
        self.loudness_db.is_empty()
    }

    /// The frame range `[a, b)` whose windows lie inside `[start, end)` as far as possible: from
    /// the frame centred at `start` to the last frame whose window ends by `end` (at least one
    /// frame when there are any).
    pub fn frames_within(&self, start: f64, end: f64) -> (usize, usize) {
        if self.is_empty() {
            return (0, 0);
        }
        let a = self.frame_at(start);
        let last = self.frame_at((end - self.window_seconds / 2.0).max(start)).max(a);
        (a, (last + 1).min(self.len()))
    }

    /// The frame index nearest to time `t` seconds, clamped to the frames.
    pub fn frame_at(&self, t: f64) -> usize {
        if self.is_empty() {
            return 0;
        }
        ((t * self.frame_rate as f64).round().max(0.0) as usize).min(self.len() - 1)
    }
}

/// Computes the frame features of mono `y` at `sr` Hz (plans the transform on the spot; an
/// [`FrameFeatureExtractor`] reuses its plans across signals).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config or `sr`.
pub fn frame_features(y: &[f32], sr: u32, config: &FrameFeatureConfig) -> Result<FrameFeatures> {
    Ok(FrameFeatureExtractor::new(sr, config.clone())?.compute(y))
}

/// The planned frame features: STFT plan, mel filterbank, chroma map and DCT basis built once
/// for a sample rate and reused for every signal. The frames are processed as the STFT produces
/// them, so no spectrogram is held in memory.
#[derive(Debug, Clone)]
pub struct FrameFeatureExtractor {
    sr: u32,
    config: FrameFeatureConfig,
    stft: Stft,
    mel: MelFilterbank,
    /// `(bin, pitch class, weight)`, sorted by bin.
    chroma_map: Vec<(u32, u8, f32)>,
    /// One past the highest bin of the chroma map (the magnitudes needed).
    chroma_bins: usize,
    /// `N_DIMS × n_mels`, row-major.
    dct: Vec<f32>,
    /// `Σ w[n]²`: the energy of a full-scale DC frame after windowing.
    win_energy: f32,
}

impl FrameFeatureExtractor {
    /// Plans the features for signals at `sr` Hz.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for an invalid config or `sr`.
    pub fn new(sr: u32, config: FrameFeatureConfig) -> Result<Self> {
        config.validate()?;
        if sr == 0 {
            return Err(AnalyzerError::invalid("sr", "must be > 0"));
        }
        let stft = Stft::new(StftConfig::new(config.n_fft, config.hop_length))?;
        let fmax = (sr as f32 / 2.0).min(config.chroma_fmax);
        let mel =
            MelFilterbank::new(MelConfig { sr, n_fft: config.n_fft, n_mels: config.n_mels, ..MelConfig::default() })?;
        let chroma_map = chroma_map(sr, config.n_fft, config.chroma_fmin, fmax);
        let chroma_bins = chroma_map.last().map_or(0, |&(bin, _, _)| bin as usize + 1);
        let dct = dct_basis(config.n_mels);
        let win_energy: f32 = stft.window().iter().map(|w| w * w).sum::<f32>();
        Ok(Self { sr, config, stft, mel, chroma_map, chroma_bins, dct, win_energy })
    }

    /// The sample rate this extractor was planned for.
    pub fn sample_rate(&self) -> u32 {
        self.sr
    }

    /// The configuration.
    pub fn config(&self) -> &FrameFeatureConfig {
        &self.config
    }

    /// The planned STFT (its frames are the ones [`FrameFeatureState::push`] expects).
    pub fn stft(&self) -> &Stft {
        &self.stft
    }

    /// The frame features of mono `y` (at [`Self::sample_rate`]).
    pub fn compute(&self, y: &[f32]) -> FrameFeatures {
        let mut state = self.state();
        self.stft.for_each_frame_strided(y, self.config.spectral_stride, |_, w, x| state.push(self, w, x));
        state.finish(self)
    }

    /// The frame features of a signal of unknown length, gathered frame by frame (streaming
    /// analyses); the extractor is passed to each call.
    pub fn state(&self) -> FrameFeatureState {
        let config = &self.config;
        FrameFeatureState {
            out: FrameFeatures {
                frame_rate: self.sr as f32 / config.hop_length as f32,
                window_seconds: config.n_fft as f64 / self.sr as f64,
                loudness_db: Vec::new(),
                timbre: Vec::new(),
                chroma: Vec::new(),
            },
            power: vec![0.0f32; self.stft.config().n_bins()],
            mel_frame: vec![0.0f32; config.n_mels],
            mag: vec![0.0f32; self.chroma_bins],
        }
    }
}

/// The frame features being gathered ([`FrameFeatureExtractor::state`]).
#[derive(Debug, Clone)]
pub struct FrameFeatureState {
    out: FrameFeatures,
    power: Vec<f32>,
    mel_frame: Vec<f32>,
    mag: Vec<f32>,
}

impl FrameFeatureState {
    /// Adds the next frame of `ex`'s STFT, strided by its `spectral_stride`: the windowed
    /// samples `windowed` of every frame and the spectrum `spectrum` of every stride-th one
    /// (as [`Stft::for_each_frame_strided`] gives them).
    pub fn push(&mut self, ex: &FrameFeatureExtractor, windowed: &[f32], spectrum: Option<&[Complex32]>) {
        let config = &ex.config;
        let out = &mut self.out;
        let energy = simd::dot(windowed, windowed);
        let db = if energy.is_finite() { 10.0 * (energy / ex.win_energy + EPS).log10() } else { config.floor_db };
        out.loudness_db.push(db.max(config.floor_db));
        let Some(x) = spectrum else {
            // Filled in by interpolation in `finish`.
            out.timbre.push([0.0; N_DIMS]);
            out.chroma.push([0.0; N_DIMS]);
            return;
        };
        simd::power(x, &mut self.power);
        let frame = &self.power[..];
        ex.mel.apply_frame(frame, &mut self.mel_frame);
        for m in self.mel_frame.iter_mut() {
            *m = 10.0 * (m.max(0.0) + EPS).log10();
        }
        let mut t = [0.0f32; N_DIMS];
        for (j, tj) in t.iter_mut().enumerate() {
            *tj = simd::dot(&self.mel_frame, &ex.dct[j * config.n_mels..(j + 1) * config.n_mels]);
        }
        // Sign convention: the 2nd coefficient grows with brightness.
        t[1] = -t[1];
        if t.iter().any(|v| !v.is_finite()) {
            t = [0.0; N_DIMS];
        }
        out.timbre.push(t);
        for (m, p) in self.mag.iter_mut().zip(frame) {
            *m = p.max(0.0).sqrt();
        }
        let mut c = [0.0f32; N_DIMS];
        for &(bin, pc, w) in &ex.chroma_map {
            c[pc as usize] += w * self.mag[bin as usize];
        }
        if c.iter().any(|v| !v.is_finite()) {
            c = [0.0; N_DIMS];
        }
        out.chroma.push(c);
    }

    /// The frame features, the frames between the stride grid interpolated.
    pub fn finish(mut self, ex: &FrameFeatureExtractor) -> FrameFeatures {
        let stride = ex.config.spectral_stride;
        interpolate_strided(&mut self.out.timbre, stride);
        interpolate_strided(&mut self.out.chroma, stride);
        self.out
    }
}

/// Fills the frames between every `stride`-th one by linear interpolation of its two
/// neighbours on the stride grid; frames after the last grid frame copy it.
fn interpolate_strided(v: &mut [[f32; N_DIMS]], stride: usize) {
    if stride <= 1 {
        return;
    }
    let n = v.len();
    for t in 0..n {
        let r = t % stride;
        if r == 0 {
            continue;
        }
        let a = t - r;
        let b = a + stride;
        let prev = v[a];
        v[t] = if b < n {
            let (next, w) = (v[b], r as f32 / stride as f32);
            std::array::from_fn(|j| prev[j] + w * (next[j] - prev[j]))
        } else {
            prev
        };
    }
}

/// `(bin, pitch class, weight)` for every STFT bin in `[fmin, fmax]`.
fn chroma_map(sr: u32, n_fft: usize, fmin: f32, fmax: f32) -> Vec<(u32, u8, f32)> {
    let mut map = Vec::new();
    for k in 1..=n_fft / 2 {
        let f = k as f32 * sr as f32 / n_fft as f32;
        if f < fmin || f > fmax {
            continue;
        }
        let semis = 12.0 * (f / A4_HZ).log2();
        let nearest = semis.round();
        let d = semis - nearest; // in [-0.5, 0.5]
        let w = (std::f32::consts::PI * d).cos().powi(2);
        let pc = (nearest as i32 + PITCH_CLASS_A).rem_euclid(N_DIMS as i32) as u8;
        map.push((k as u32, pc, w));
    }
    map
}

/// Orthonormal DCT-II basis, `N_DIMS × n` row-major.
fn dct_basis(n: usize) -> Vec<f32> {
    let mut b = vec![0.0f32; N_DIMS * n];
    for j in 0..N_DIMS {
        let scale = if j == 0 { (1.0 / n as f64).sqrt() } else { (2.0 / n as f64).sqrt() };
        for m in 0..n {
            b[j * n + m] = (scale * (std::f64::consts::PI * j as f64 * (m as f64 + 0.5) / n as f64).cos()) as f32;
        }
    }
    b
}

/// Mean of `rows[a..b]` (zeros when empty).
pub(crate) fn mean_rows(rows: &[[f32; N_DIMS]], a: usize, b: usize) -> [f32; N_DIMS] {
    let mut m = [0.0f32; N_DIMS];
    let b = b.min(rows.len());
    if a >= b {
        return m;
    }
    for r in &rows[a..b] {
        for (mi, ri) in m.iter_mut().zip(r) {
            *mi += ri;
        }
    }
    let n = (b - a) as f32;
    m.iter_mut().for_each(|v| *v /= n);
    m
}

/// Normalises so the strongest class is 1; a vector with no energy becomes all ones (no pitch
/// information, like noise).
pub(crate) fn normalize_max(v: [f32; N_DIMS]) -> [f32; N_DIMS] {
    let mx = v.iter().copied().fold(0.0f32, f32::max);
    if mx <= EPS || !mx.is_finite() {
        return [1.0; N_DIMS];
    }
    v.map(|x| (x / mx).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: u32 = 22050;

    fn sine(f: f32, secs: f32, amp: f32) -> Vec<f32> {
        (0..(secs * SR as f32) as usize)
            .map(|i| amp * (2.0 * std::f32::consts::PI * f * i as f32 / SR as f32).sin())
            .collect()
    }

    #[test]
    fn empty_input_gives_no_frames() {
        let f = frame_features(&[], SR, &FrameFeatureConfig::default()).unwrap();
        assert!(f.is_empty());
        assert_eq!(f.frame_at(3.0), 0);
    }

    #[test]
    fn silence_sits_at_the_floor_with_flat_pitches() {
        let f = frame_features(&vec![0.0; SR as usize], SR, &FrameFeatureConfig::default()).unwrap();
        assert!(f.loudness_db.iter().all(|&d| d == DEFAULT_FLOOR_DB));
        assert_eq!(normalize_max(mean_rows(&f.chroma, 0, f.len())), [1.0; N_DIMS]);
        assert!(f.timbre.iter().flatten().all(|v| v.is_finite()));
    }

    #[test]
    fn a_full_scale_sine_reads_minus_3_db_and_its_pitch_class() {
        // A 440 Hz sine at amplitude 1 has mean square 0.5: -3.01 dBFS.
        let f = frame_features(&sine(440.0, 2.0, 1.0), SR, &FrameFeatureConfig::default()).unwrap();
        let mid = f.len() / 2;
        assert!((f.loudness_db[mid] + 3.01).abs() < 0.1, "{}", f.loudness_db[mid]);
        let p = normalize_max(f.chroma[mid]);
        assert_eq!(p[9], 1.0);
        assert!(p.iter().enumerate().all(|(i, &v)| i == 9 || v < 0.2), "{p:?}");
        // Middle C.
        let f = frame_features(&sine(261.63, 1.0, 0.5), SR, &FrameFeatureConfig::default()).unwrap();
        assert_eq!(normalize_max(f.chroma[f.len() / 2])[0], 1.0);
    }

    #[test]
    fn timbre_tracks_loudness_and_brightness() {
        let cfg = FrameFeatureConfig::default();
        let quiet = frame_features(&sine(440.0, 1.0, 0.01), SR, &cfg).unwrap();
        let loud = frame_features(&sine(440.0, 1.0, 0.5), SR, &cfg).unwrap();
        let bright = frame_features(&sine(4000.0, 1.0, 0.5), SR, &cfg).unwrap();
        let mid = quiet.len() / 2;
        assert!(loud.timbre[mid][0] > quiet.timbre[mid][0] + 10.0);
        assert!(bright.timbre[mid][1] > loud.timbre[mid][1]);
    }

    #[test]
    fn an_impulse_and_a_constant_give_finite_features() {
        let mut x = vec![0.0f32; SR as usize];
        x[1000] = 1.0;
        for y in [x, vec![0.3f32; SR as usize]] {
            let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
            assert!(f.loudness_db.iter().all(|v| v.is_finite()));
            assert!(f.timbre.iter().flatten().chain(f.chroma.iter().flatten()).all(|v| v.is_finite()));
        }
    }

    #[test]
    fn non_finite_samples_do_not_poison_the_features() {
        let mut y = sine(440.0, 1.0, 0.5);
        y[5000] = f32::NAN;
        let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
        assert!(f.loudness_db.iter().all(|v| v.is_finite()));
        assert!(f.timbre.iter().flatten().chain(f.chroma.iter().flatten()).all(|v| v.is_finite()));
    }

    #[test]
    fn invalid_config_is_rejected() {
        let bad = [
            FrameFeatureConfig { n_mels: 8, ..Default::default() },
            FrameFeatureConfig { hop_length: 0, ..Default::default() },
            FrameFeatureConfig { spectral_stride: 0, ..Default::default() },
            FrameFeatureConfig { floor_db: 0.0, ..Default::default() },
            FrameFeatureConfig { chroma_fmin: 6000.0, ..Default::default() },
        ];
        for cfg in bad {
            assert!(matches!(frame_features(&[0.0; 100], SR, &cfg), Err(AnalyzerError::InvalidParameter { .. })));
        }
        assert!(frame_features(&[0.0; 100], 0, &FrameFeatureConfig::default()).is_err());
    }

    /// Stride 2 transforms half the frames: the transformed ones equal stride 1's exactly, the
    /// others lie between their two neighbours, and the loudness (time domain) is the same at
    /// every hop.
    #[test]
    fn strided_spectra_match_every_frame_on_the_grid_and_interpolate_between() {
        let y: Vec<f32> = sine(330.0, 2.0, 0.4).iter().zip(sine(1250.0, 2.0, 0.2)).map(|(a, b)| a + b).collect();
        let y: Vec<f32> = y.iter().enumerate().map(|(i, v)| v * (1.0 + (i as f32 * 0.0007).sin()) / 2.0).collect();
        let every = frame_features(&y, SR, &FrameFeatureConfig { spectral_stride: 1, ..Default::default() }).unwrap();
        let half = frame_features(&y, SR, &FrameFeatureConfig { spectral_stride: 2, ..Default::default() }).unwrap();
        assert_eq!(every.len(), half.len());
        assert_eq!(every.loudness_db, half.loudness_db);
        for t in 0..half.len() {
            if t % 2 == 0 {
                assert_eq!(every.timbre[t], half.timbre[t], "t={t}");
                assert_eq!(every.chroma[t], half.chroma[t], "t={t}");
            } else if t + 1 < half.len() {
                for j in 0..N_DIMS {
                    let (a, b) = (half.chroma[t - 1][j], half.chroma[t + 1][j]);
                    assert!((half.chroma[t][j] - (a + b) / 2.0).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0));
                    let (a, b) = (half.timbre[t - 1][j], half.timbre[t + 1][j]);
                    assert!((half.timbre[t][j] - (a + b) / 2.0).abs() <= 1e-4 * a.abs().max(b.abs()).max(1.0));
                }
            } else {
                assert_eq!(half.timbre[t], half.timbre[t - 1]);
            }
        }
    }

    /// The time-domain loudness is the spectral one (Parseval) up to the DC and Nyquist bins'
    /// half weight, which a zero-mean signal does not have.
    #[test]
    fn time_domain_loudness_matches_parseval() {
        let y = sine(1000.0, 1.0, 0.25);
        let cfg = FrameFeatureConfig::default();
        let f = frame_features(&y, SR, &cfg).unwrap();
        let stft = Stft::new(StftConfig::new(cfg.n_fft, cfg.hop_length)).unwrap();
        let win: f32 = stft.window().iter().map(|w| w * w).sum();
        let spec = stft.power(&y);
        for t in [0, f.len() / 3, f.len() / 2, f.len() - 1] {
            let row = &spec.data()[t * spec.n_bins()..(t + 1) * spec.n_bins()];
            let parseval = (2.0 * row.iter().sum::<f32>() - row[0] - row[row.len() - 1]) / cfg.n_fft as f32;
            let db = 10.0 * (parseval / win + EPS).log10();
            assert!((f.loudness_db[t] - db.max(cfg.floor_db)).abs() < 0.01, "t={t}: {} vs {db}", f.loudness_db[t]);
        }
    }
}
