//! Short-time Fourier transform on real signals.
//!
//! Frame `t` covers samples `t·hop_length − pad … t·hop_length − pad + n_fft` of the input,
//! where `pad = n_fft / 2` when [`StftConfig::center`] is set (so frame `t` is centred on
//! sample `t·hop_length`, as in librosa) and `0` otherwise. Each frame is multiplied by the
//! window `w` (length `win_length`, zero-padded to `n_fft` and centred) and transformed:
//!
//! `X[t, k] = Σ_{n=0}^{n_fft−1} w[n] · x[t·hop_length − pad + n] · e^{−2πi·k·n / n_fft}`,
//! for `k = 0 … n_fft/2`.
//!
//! The FFT plan is made once in [`Stft::new`]: for an even `n_fft`, a complex FFT of
//! `n_fft / 2` points (rustfft, which chooses its own SIMD path at run time) on the frame read as
//! complex pairs, then [`simd::real_fft_post`] (the same arithmetic as realfft, at SIMD width);
//! for an odd `n_fft`, realfft. Buffers are allocated once per call, never per frame. An `Stft`
//! is `Send + Sync` and can be shared by threads.
//!
//! # References
//! - J. B. Allen, "Short term spectral analysis, synthesis, and modification by discrete
//!   Fourier transform", IEEE Trans. ASSP 25(3), 1977.
//! - B. McFee et al., "librosa: Audio and music signal analysis in Python", SciPy 2015
//!   (the framing and padding conventions followed here).

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

use super::Spectrogram;
use super::window::{self, WindowType};
use crate::error::{AnalyzerError, Result, check};
use crate::simd;

/// Default FFT size (librosa's `n_fft`).
pub const DEFAULT_N_FFT: usize = 2048;
/// Default hop between frames in samples (librosa's `hop_length`).
pub const DEFAULT_HOP_LENGTH: usize = 512;
/// Largest FFT size accepted (2^18): larger sizes are almost surely a caller's mistake.
pub const MAX_N_FFT: usize = 1 << 18;

/// How the signal is extended beyond its ends when frames are centred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PadMode {
    /// Zeros (librosa ≥ 0.10 default).
    #[default]
    Constant,
    /// Mirror without repeating the edge sample (numpy `reflect`).
    Reflect,
}

/// Parameters of the STFT. Field names follow librosa.
#[derive(Debug, Clone, PartialEq)]
pub struct StftConfig {
    /// FFT size in samples (any size ≥ 2; powers of two are fastest).
    pub n_fft: usize,
    /// Hop between successive frames in samples (≥ 1).
    pub hop_length: usize,
    /// Window length (≤ `n_fft`); `None` means `n_fft`.
    pub win_length: Option<usize>,
    /// Window shape.
    pub window: WindowType,
    /// Centre frames on `t·hop_length` by padding `n_fft/2` samples at both ends.
    pub center: bool,
    /// Padding used when `center` is set.
    pub pad_mode: PadMode,
}

impl Default for StftConfig {
    fn default() -> Self {
        Self {
            n_fft: DEFAULT_N_FFT,
            hop_length: DEFAULT_HOP_LENGTH,
            win_length: None,
            window: WindowType::Hann,
            center: true,
            pad_mode: PadMode::Constant,
        }
    }
}

impl StftConfig {
    /// A config with the given FFT size and hop, other fields at their defaults.
    pub fn new(n_fft: usize, hop_length: usize) -> Self {
        Self { n_fft, hop_length, ..Self::default() }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::at_least("n_fft", self.n_fft, 2)?;
        if self.n_fft > MAX_N_FFT {
            return Err(AnalyzerError::invalid("n_fft", format!("must be <= {MAX_N_FFT}, got {}", self.n_fft)));
        }
        check::at_least("hop_length", self.hop_length, 1)?;
        if let Some(w) = self.win_length {
            if w == 0 || w > self.n_fft {
                return Err(AnalyzerError::invalid("win_length", format!("must be in 1..={}, got {w}", self.n_fft)));
            }
        }
        Ok(())
    }

    /// Number of frequency bins, `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for a signal of `n_samples` samples (0 for an empty signal).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        if n_samples == 0 {
            0
        } else if self.center {
            1 + n_samples / self.hop_length
        } else if n_samples >= self.n_fft {
            1 + (n_samples - self.n_fft) / self.hop_length
        } else {
            0
        }
    }
}

/// The real-input FFT of a frame.
#[derive(Clone)]
enum RealFft {
    /// Even length `2m`: a complex FFT of `m` points and the post-processing pass.
    Even {
        half: Arc<dyn Fft<f32>>,
        /// `e^{−2πik/2m} / 2` for `k = 1 … ⌈m/2⌉ − 1` (realfft's twiddles).
        twiddles: Vec<Complex32>,
    },
    /// Odd length: realfft's transform.
    Odd(Arc<dyn RealToComplex<f32>>),
}

impl RealFft {
    fn new(n: usize) -> Self {
        if n % 2 == 1 {
            return Self::Odd(RealFftPlanner::<f32>::new().plan_fft_forward(n));
        }
        let m = n / 2;
        let twiddles = (1..m.div_ceil(2))
            .map(|k| {
                let angle = -2.0 * std::f64::consts::PI / n as f64 * k as f64;
                Complex32::new(angle.cos() as f32 * 0.5, angle.sin() as f32 * 0.5)
            })
            .collect();
        Self::Even { half: FftPlanner::<f32>::new().plan_fft_forward(m), twiddles }
    }

    /// Scratch values [`RealFft::process`] needs.
    fn scratch_len(&self) -> usize {
        match self {
            Self::Even { half, twiddles } => half.get_outofplace_scratch_len().max(twiddles.len()),
            Self::Odd(fft) => fft.get_scratch_len(),
        }
    }

    /// `frame` (length `n`, overwritten) into `spectrum` (`n / 2 + 1` bins).
    fn process(&self, frame: &mut [f32], spectrum: &mut [Complex32], scratch: &mut [Complex32]) {
        match self {
            Self::Even { half, twiddles } => {
                let m = frame.len() / 2;
                half.process_outofplace_with_scratch(simd::floats_as_complex_mut(frame), &mut spectrum[..m], scratch);
                simd::real_fft_post(spectrum, twiddles, scratch);
            }
            // The buffers come from the plan itself, so their lengths are always right.
            Self::Odd(fft) => {
                fft.process_with_scratch(frame, spectrum, scratch).expect("realfft buffers sized by the plan")
            }
        }
    }
}

/// A planned STFT: FFT plan and window made once, reused for every signal.
#[derive(Clone)]
pub struct Stft {
    config: StftConfig,
    fft: RealFft,
    /// The window zero-padded (centred) to `n_fft`.
    window: Vec<f32>,
}

impl std::fmt::Debug for Stft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stft").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Reusable per-call buffers.
struct Work {
    frame: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl Stft {
    /// Plans the transform.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] if the config does not validate.
    pub fn new(config: StftConfig) -> Result<Self> {
        config.validate()?;
        let fft = RealFft::new(config.n_fft);
        let win_length = config.win_length.unwrap_or(config.n_fft);
        let mut window = vec![0.0; config.n_fft];
        let offset = (config.n_fft - win_length) / 2;
        window[offset..offset + win_length].copy_from_slice(&window::periodic(config.window, win_length));
        Ok(Self { config, fft, window })
    }

    /// The configuration this transform was planned with.
    pub fn config(&self) -> &StftConfig {
        &self.config
    }

    /// The window as applied to each frame (length `n_fft`).
    pub fn window(&self) -> &[f32] {
        &self.window
    }

    fn work(&self) -> Work {
        let (frame, spectrum, scratch) = self.buffers();
        Work { frame, spectrum, scratch }
    }

    /// Input, output and scratch buffers sized for [`Stft::transform`].
    pub(crate) fn buffers(&self) -> (Vec<f32>, Vec<Complex32>, Vec<Complex32>) {
        let zero = Complex32::new(0.0, 0.0);
        (vec![0.0; self.config.n_fft], vec![zero; self.config.n_bins()], vec![zero; self.fft.scratch_len()])
    }

    /// Transforms one windowed frame (overwritten) into its `n_fft/2+1` bins, with buffers
    /// from [`Stft::buffers`].
    pub(crate) fn transform(&self, frame: &mut [f32], spectrum: &mut [Complex32], scratch: &mut [Complex32]) {
        self.fft.process(frame, spectrum, scratch);
    }

    /// Writes frame `t` of `y` (with padding) times the window into `out` (length `n_fft`): in
    /// one pass for a frame inside the signal, the same values as [`Stft::fill_frame`] followed
    /// by the window.
    fn window_frame(&self, y: &[f32], t: usize, out: &mut [f32]) {
        let n_fft = self.config.n_fft;
        let pad = if self.config.center { n_fft / 2 } else { 0 };
        let start = (t * self.config.hop_length) as isize - pad as isize;
        if start >= 0 && start + n_fft as isize <= y.len() as isize {
            simd::mul_into(&y[start as usize..start as usize + n_fft], &self.window, out);
        } else {
            self.fill_frame(y, t, out);
            simd::mul_in_place(out, &self.window);
        }
    }

    /// Copies frame `t` of `y` (with padding) into `out` (length `n_fft`).
    fn fill_frame(&self, y: &[f32], t: usize, out: &mut [f32]) {
        let n_fft = self.config.n_fft;
        let pad = if self.config.center { n_fft / 2 } else { 0 };
        let start = (t * self.config.hop_length) as isize - pad as isize;
        let len = y.len() as isize;
        if start >= 0 && start + n_fft as isize <= len {
            out.copy_from_slice(&y[start as usize..start as usize + n_fft]);
            return;
        }
        for (i, o) in out.iter_mut().enumerate() {
            let idx = start + i as isize;
            *o = if (0..len).contains(&idx) {
                y[idx as usize]
            } else {
                match self.config.pad_mode {
                    PadMode::Constant => 0.0,
                    PadMode::Reflect => y[reflect_index(idx, y.len())],
                }
            };
        }
    }

    /// Runs the transform frame by frame, calling `f(t, X[t, ..])` with the `n_fft/2+1`
    /// complex bins of each frame. No allocation happens inside the frame loop.
    pub fn for_each_frame(&self, y: &[f32], mut f: impl FnMut(usize, &[Complex32])) {
        let n_frames = self.config.n_frames(y.len());
        if n_frames == 0 {
            return;
        }
        let mut work = self.work();
        for t in 0..n_frames {
            self.window_frame(y, t, &mut work.frame);
            self.transform(&mut work.frame, &mut work.spectrum, &mut work.scratch);
            f(t, &work.spectrum);
        }
    }

    /// Like [`Stft::for_each_frame`], but transforms only every `stride`-th frame: calls
    /// `f(t, w, X)` for every frame `t` with its windowed samples `w` (length `n_fft`) and, when
    /// `t` is a multiple of `stride`, its `n_fft/2+1` complex bins `X` (else `None`). For
    /// features that need the time-domain frame at every hop but the spectrum at a lower rate.
    /// `stride` 0 counts as 1. No allocation happens inside the frame loop.
    pub fn for_each_frame_strided(
        &self,
        y: &[f32],
        stride: usize,
        mut f: impl FnMut(usize, &[f32], Option<&[Complex32]>),
    ) {
        let n_frames = self.config.n_frames(y.len());
        if n_frames == 0 {
            return;
        }
        let stride = stride.max(1);
        let mut work = self.work();
        let mut windowed = vec![0.0f32; self.config.n_fft];
        for t in 0..n_frames {
            self.window_frame(y, t, &mut windowed);
            if t % stride != 0 {
                f(t, &windowed, None);
                continue;
            }
            // The transform overwrites its input, so it gets a copy.
            work.frame.copy_from_slice(&windowed);
            self.transform(&mut work.frame, &mut work.spectrum, &mut work.scratch);
            f(t, &windowed, Some(&work.spectrum));
        }
    }

    /// The complex spectrogram, frame-major: element `(t, k)` is at `t * n_bins + k`.
    pub fn complex(&self, y: &[f32]) -> (Vec<Complex32>, usize) {
        let n_bins = self.config.n_bins();
        let n_frames = self.config.n_frames(y.len());
        let mut out = Vec::with_capacity(n_frames * n_bins);
        self.for_each_frame(y, |_, x| out.extend_from_slice(x));
        (out, n_frames)
    }

    /// The power spectrogram `|X|²`.
    pub fn power(&self, y: &[f32]) -> Spectrogram {
        self.real_spectrogram(y, simd::power)
    }

    /// The magnitude spectrogram `|X|`.
    pub fn magnitude(&self, y: &[f32]) -> Spectrogram {
        self.real_spectrogram(y, simd::magnitude)
    }

    fn real_spectrogram(&self, y: &[f32], kernel: fn(&[Complex32], &mut [f32])) -> Spectrogram {
        let n_bins = self.config.n_bins();
        let n_frames = self.config.n_frames(y.len());
        let mut data = vec![0.0f32; n_frames * n_bins];
        self.for_each_frame(y, |t, x| kernel(x, &mut data[t * n_bins..(t + 1) * n_bins]));
        Spectrogram::new(data, n_frames, n_bins)
    }
}

/// numpy `reflect` padding: mirrors about the edge samples, repeating as often as needed.
pub(crate) fn reflect_index(idx: isize, len: usize) -> usize {
    if len == 1 {
        return 0;
    }
    let period = 2 * (len as isize - 1);
    let m = idx.rem_euclid(period);
    (if m < len as isize { m } else { period - m }) as usize
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::f64::consts::PI;

    /// The oracle: a naive O(N²) DFT of one windowed frame, in f64.
    fn naive_dft(frame: &[f64]) -> Vec<(f64, f64)> {
        let n = frame.len();
        (0..=n / 2)
            .map(|k| {
                frame.iter().enumerate().fold((0.0, 0.0), |(re, im), (i, &x)| {
                    let ph = -2.0 * PI * (k * i) as f64 / n as f64;
                    (re + x * ph.cos(), im + x * ph.sin())
                })
            })
            .collect()
    }

    /// A reproducible pseudo-random signal in [-1, 1) (a 64-bit LCG).
    pub(crate) fn lcg_signal(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn check_against_oracle(cfg: StftConfig, n_samples: usize) {
        let y = lcg_signal(n_samples, cfg.n_fft as u64 * 31 + n_samples as u64);
        let stft = Stft::new(cfg.clone()).unwrap();
        let (spec, n_frames) = stft.complex(&y);
        assert_eq!(n_frames, cfg.n_frames(n_samples));
        let n_bins = cfg.n_bins();
        let mut frame = vec![0.0f32; cfg.n_fft];
        for t in 0..n_frames {
            stft.fill_frame(&y, t, &mut frame);
            let windowed: Vec<f64> = frame.iter().zip(stft.window()).map(|(&a, &w)| a as f64 * w as f64).collect();
            let oracle = naive_dft(&windowed);
            let scale = windowed.iter().map(|x| x.abs()).sum::<f64>().max(1.0);
            for k in 0..n_bins {
                let got = spec[t * n_bins + k];
                let (re, im) = oracle[k];
                let err = ((got.re as f64 - re).powi(2) + (got.im as f64 - im).powi(2)).sqrt();
                assert!(err <= 1e-5 * scale, "cfg {cfg:?} t={t} k={k}: {got} vs ({re},{im})");
            }
        }
    }

    #[test]
    fn matches_naive_dft_for_many_sizes_and_modes() {
        for &(n_fft, hop) in &[(2, 1), (16, 4), (30, 7), (64, 64), (100, 33), (256, 100), (1024, 512), (1031, 200)] {
            for center in [true, false] {
                for pad_mode in [PadMode::Constant, PadMode::Reflect] {
                    let cfg = StftConfig { n_fft, hop_length: hop, center, pad_mode, ..StftConfig::default() };
                    check_against_oracle(cfg, 3 * n_fft + 17);
                }
            }
        }
        let short_window =
            StftConfig { win_length: Some(100), window: WindowType::Hamming, ..StftConfig::new(256, 64) };
        check_against_oracle(short_window, 1000);
    }

    /// The even-length transform (a half-length complex FFT and the SIMD post-processing pass)
    /// gives realfft's spectrum bit for bit, at every length from 2 to 130 and the analysis sizes
    /// (odd lengths use realfft itself).
    #[test]
    fn real_fft_is_bit_identical_to_realfft() {
        let mut planner = RealFftPlanner::<f32>::new();
        for n in (2..=130).chain([256, 512, 1000, 1024, 2048, 4096, 8192]) {
            let ours = RealFft::new(n);
            let theirs = planner.plan_fft_forward(n);
            let zero = Complex32::new(0.0, 0.0);
            let (mut got, mut want) = (vec![zero; n / 2 + 1], theirs.make_output_vec());
            let mut scratch = vec![zero; ours.scratch_len()];
            for seed in 0..3 {
                let x = lcg_signal(n, n as u64 * 7 + seed);
                let (mut a, mut b) = (x.clone(), x);
                ours.process(&mut a, &mut got, &mut scratch);
                theirs.process(&mut b, &mut want).unwrap();
                let bits = |s: &[Complex32]| s.iter().map(|c| (c.re.to_bits(), c.im.to_bits())).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "n {n} seed {seed}");
            }
        }
    }

    #[test]
    fn sine_peaks_at_its_bin_with_expected_amplitude() {
        let (sr, n_fft) = (22050.0f64, 2048usize);
        let k0 = 93usize;
        let f0 = k0 as f64 * sr / n_fft as f64;
        let y: Vec<f32> = (0..22050).map(|i| (2.0 * PI * f0 * i as f64 / sr).sin() as f32).collect();
        let mag = Stft::new(StftConfig::new(n_fft, 512)).unwrap().magnitude(&y);
        let t = mag.n_frames() / 2;
        let row = mag.frame(t);
        let argmax = (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap();
        assert_eq!(argmax, k0);
        // A Hann window has coherent gain N/2, so a unit sine peaks at N/4.
        let expected = n_fft as f32 / 4.0;
        assert!((row[k0] - expected).abs() / expected < 1e-3, "{} vs {expected}", row[k0]);
    }

    #[test]
    fn empty_silence_impulse_and_constant() {
        let stft = Stft::new(StftConfig::new(512, 128)).unwrap();
        assert_eq!(stft.power(&[]).n_frames(), 0);
        let silence = stft.power(&vec![0.0; 4000]);
        assert!(silence.data().iter().all(|&x| x == 0.0));
        // An impulse in the middle of a frame gives a flat magnitude (times the window value).
        let mut imp = vec![0.0f32; 4096];
        imp[2048] = 1.0;
        let mag = stft.magnitude(&imp);
        let row = mag.frame(2048 / 128);
        assert!(row.iter().all(|&m| (m - 1.0).abs() < 1e-5), "flat spectrum for a centred impulse");
        // A constant signal concentrates in bin 0 (frames fully inside the signal).
        let pow = stft.power(&vec![0.5; 4096]);
        let row = pow.frame(10);
        assert!(row[0] > 1e3 * row[2..].iter().cloned().fold(0.0, f32::max));
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        for cfg in [
            StftConfig::new(0, 10),
            StftConfig::new(1, 10),
            StftConfig::new(512, 0),
            StftConfig::new(MAX_N_FFT * 2, 10),
            StftConfig { win_length: Some(1024), ..StftConfig::new(512, 128) },
            StftConfig { win_length: Some(0), ..StftConfig::new(512, 128) },
        ] {
            let err = Stft::new(cfg).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidParameter);
        }
    }

    #[test]
    fn frame_counts_follow_librosa() {
        let c = StftConfig::new(2048, 512);
        assert_eq!(c.n_frames(22050), 44);
        assert_eq!(c.n_frames(1), 1);
        let nc = StftConfig { center: false, ..c };
        assert_eq!(nc.n_frames(2047), 0);
        assert_eq!(nc.n_frames(2048), 1);
        assert_eq!(nc.n_frames(22050), 1 + (22050 - 2048) / 512);
    }

    #[test]
    fn reflect_index_matches_numpy() {
        // numpy.pad([0,1,2,3], 5, mode="reflect") -> [1 2 3 2 1 | 0 1 2 3 | 2 1 0 1 2]
        let got: Vec<usize> = (-5..9).map(|i| reflect_index(i, 4)).collect();
        assert_eq!(got, vec![1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2]);
        assert_eq!(reflect_index(-3, 1), 0);
    }
}
