//! Streaming band-limited resampling of mono audio (rubato).
//!
//! Two methods, both band-limited windowed-sinc designs with a Blackman-Harris window:
//! - [`ResampleQuality::Fast`] (default): rubato's synchronous FFT resampler, which convolves
//!   with the sinc filter in the frequency domain (overlap-add). Exact rational ratio. Its FFT
//!   blocks are multiples of `sr / gcd(sr_in, sr_out)` frames on each side, which is small for
//!   the usual rates (2 frames from 44.1 kHz to 22.05 kHz, 320 from 48 kHz, 5,120 from
//!   768 kHz) but the whole rate for an odd one (a 96,001 Hz file, or a header claiming
//!   589,937 Hz: an FFT of 1.2 M points, 0.27 s and 75 MB to plan before the first sample). Past
//!   [`MAX_FFT_BLOCK_FRAMES`] on either side, `Fast` uses the `High` interpolator instead.
//! - [`ResampleQuality::High`]: rubato's asynchronous sinc interpolator, 256 taps, 128×
//!   oversampled filter table with cubic interpolation between table entries.
//!
//! The resampler's start-up delay is removed, and at the end of the stream the tail still
//! inside the filter is flushed, so that `n` input samples give `round(n · sr_out / sr_in)`
//! output samples aligned with the input (the tests check length, gain, delay, passband ripple
//! and alias rejection on sines and a sweep).
//!
//! # References
//! - J. O. Smith, "Digital Audio Resampling Home Page" (bandlimited interpolation), CCRMA.
//! - F. J. Harris, "On the use of windows for harmonic analysis with the DFT", Proc. IEEE 1978.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, Fft, FixedAsync, FixedSync, Indexing, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction,
};

use crate::error::{AnalyzerError, Result};

/// Input frames per resampler call.
const CHUNK_FRAMES: usize = 1024;
/// Sinc length of [`ResampleQuality::High`].
const HQ_SINC_LEN: usize = 256;
/// Filter-table oversampling of [`ResampleQuality::High`].
const HQ_OVERSAMPLING: usize = 128;
/// Largest minimal FFT block, `sr / gcd(sr_in, sr_out)` frames on either side, for which
/// [`ResampleQuality::Fast`] uses the FFT resampler; beyond it, the sinc interpolator of
/// [`ResampleQuality::High`] (see the module docs). Every standard rate from 8 kHz to 768 kHz
/// to or from 22,050, 44,100 or 48,000 Hz stays at or below 5,120. The FFT plan grows with
/// the block (measured through `decode-bench` on 1 s files to 22,050 Hz: 96,001 Hz 0.03 s and
/// 14 MB in all, 589,937 Hz 0.27 s and 75 MB, against 0.02 s and 10 MB through the
/// interpolator), while the interpolator costs more per sample than the FFT at ordinary rates
/// (30 s at 44,056 Hz, block 22,028: 0.14 s through the interpolator with a limit of 8,192,
/// 0.06–0.08 s through the FFT); 2¹⁵ keeps such rates on the FFT and the plan to about 10 ms.
pub const MAX_FFT_BLOCK_FRAMES: u32 = 32_768;

/// Greatest common divisor (Euclid).
fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The method [`StreamResampler::new`] uses for `quality` between these rates:
/// [`ResampleQuality::Fast`] becomes [`ResampleQuality::High`] when its FFT blocks would exceed
/// [`MAX_FFT_BLOCK_FRAMES`]. Rates must be > 0.
pub fn effective_quality(sr_in: u32, sr_out: u32, quality: ResampleQuality) -> ResampleQuality {
    let g = gcd(sr_in, sr_out).max(1);
    match quality {
        ResampleQuality::Fast if sr_in / g > MAX_FFT_BLOCK_FRAMES || sr_out / g > MAX_FFT_BLOCK_FRAMES => {
            ResampleQuality::High
        }
        q => q,
    }
}

/// The resampling method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ResampleQuality {
    /// FFT-based synchronous resampler (fast, exact ratio).
    #[default]
    Fast,
    /// 256-tap sinc interpolation.
    High,
}

/// A mono resampler fed in arbitrary chunks. When input and output rates are equal it passes
/// samples through untouched.
pub struct StreamResampler {
    inner: Option<Inner>,
}

impl std::fmt::Debug for StreamResampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamResampler").field("passthrough", &self.inner.is_none()).finish()
    }
}

struct Inner {
    rs: Box<dyn Resampler<f32>>,
    /// Input not yet consumed.
    pending: Vec<f32>,
    /// Scratch output of one call.
    out_buf: Vec<f32>,
    /// Output frames still to drop (start-up delay).
    to_trim: usize,
    frames_in: u64,
    frames_out: u64,
    ratio: f64,
}

impl StreamResampler {
    /// Creates a resampler from `sr_in` to `sr_out` Hz.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for a zero rate or a ratio rubato cannot realise.
    pub fn new(sr_in: u32, sr_out: u32, quality: ResampleQuality) -> Result<Self> {
        if sr_in == 0 || sr_out == 0 {
            return Err(AnalyzerError::invalid("sr", "sample rates must be > 0"));
        }
        if sr_in == sr_out {
            return Ok(Self { inner: None });
        }
        let ratio = sr_out as f64 / sr_in as f64;
        let err = |e: rubato::ResamplerConstructionError| {
            AnalyzerError::invalid("sr", format!("cannot resample {sr_in} -> {sr_out} Hz: {e}"))
        };
        let (rs, to_trim): (Box<dyn Resampler<f32>>, usize) = match effective_quality(sr_in, sr_out, quality) {
            ResampleQuality::Fast => {
                let rs =
                    Fft::<f32>::new(sr_in as usize, sr_out as usize, CHUNK_FRAMES, 1, FixedSync::Input).map_err(err)?;
                let delay = rs.output_delay();
                (Box::new(rs), delay)
            }
            ResampleQuality::High => {
                let params = SincInterpolationParameters::new(HQ_SINC_LEN, WindowFunction::BlackmanHarris2)
                    .interpolation(SincInterpolationType::Cubic)
                    .oversampling_factor(HQ_OVERSAMPLING);
                let rs =
                    Async::<f32>::new_sinc(ratio, 1.0, &params, CHUNK_FRAMES, 1, FixedAsync::Input).map_err(err)?;
                // The true group delay of the sinc interpolator is len/2 input samples, one
                // output sample less than rubato's `output_delay()` reports (measured).
                let delay = (HQ_SINC_LEN.next_multiple_of(8) as f64 * ratio / 2.0 - 1.0).round().max(0.0) as usize;
                (Box::new(rs), delay)
            }
        };
        Ok(Self {
            inner: Some(Inner {
                out_buf: vec![0.0; rs.output_frames_max()],
                pending: Vec::with_capacity(2 * rs.input_frames_max()),
                rs,
                to_trim,
                frames_in: 0,
                frames_out: 0,
                ratio,
            }),
        })
    }

    /// Feeds samples and appends every output sample that became available to `out`.
    pub fn process(&mut self, samples: &[f32], out: &mut Vec<f32>) {
        let Some(inner) = self.inner.as_mut() else {
            out.extend_from_slice(samples);
            return;
        };
        inner.frames_in += samples.len() as u64;
        inner.pending.extend_from_slice(samples);
        let mut consumed = 0;
        loop {
            let need = inner.rs.input_frames_next();
            if inner.pending.len() - consumed < need {
                break;
            }
            inner.run(consumed, None, out);
            consumed += need;
        }
        inner.pending.drain(..consumed);
    }

    /// Flushes the filter tail at the end of the stream; afterwards the total output length is
    /// `round(frames_in · sr_out / sr_in)`. The resampler can then be dropped.
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        let Some(inner) = self.inner.as_mut() else { return };
        let expected = (inner.frames_in as f64 * inner.ratio).round() as u64;
        let rest = inner.pending.len();
        if rest > 0 {
            inner.run(0, Some(rest), out);
            inner.pending.clear();
        }
        // Feed silence (partial length 0) until the delayed tail is out.
        let mut guard = 0;
        while inner.frames_out < expected && guard < 64 {
            inner.run(0, Some(0), out);
            guard += 1;
        }
        let extra = inner.frames_out.saturating_sub(expected) as usize;
        out.truncate(out.len() - extra.min(out.len()));
        inner.frames_out -= extra as u64;
    }
}

/// Resamples a whole mono signal held in memory from `sr_in` to `sr_out` Hz: a
/// [`StreamResampler`] fed `y` and flushed, so the output has `round(len · sr_out / sr_in)`
/// samples aligned with the input. Equal rates return a copy.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a zero rate or a ratio rubato cannot realise.
pub fn resample_mono(y: &[f32], sr_in: u32, sr_out: u32, quality: ResampleQuality) -> Result<Vec<f32>> {
    let mut resampler = StreamResampler::new(sr_in, sr_out, quality)?;
    let mut out = Vec::with_capacity((y.len() as f64 * sr_out as f64 / sr_in as f64).ceil() as usize + 1);
    resampler.process(y, &mut out);
    resampler.finish(&mut out);
    Ok(out)
}

impl Inner {
    /// One resampler call on `pending[offset..]` (at most one chunk is consumed).
    fn run(&mut self, offset: usize, partial: Option<usize>, out: &mut Vec<f32>) {
        let input_frames = &self.pending[offset..];
        let input = InterleavedSlice::new(input_frames, 1, input_frames.len()).expect("mono adapter over a slice");
        let cap = self.out_buf.len();
        let mut output = InterleavedSlice::new_mut(&mut self.out_buf[..], 1, cap).expect("mono output adapter");
        let indexing = partial.map(|n| Indexing::new().partial_len(n));
        // Buffers are sized from the resampler's own maxima, so this cannot fail.
        let (_, n_out) = self
            .rs
            .process_into_buffer(&input, &mut output, indexing.as_ref())
            .expect("rubato buffers sized from its own maxima");
        let skip = self.to_trim.min(n_out);
        self.to_trim -= skip;
        out.extend_from_slice(&self.out_buf[skip..n_out]);
        self.frames_out += (n_out - skip) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine(f: f64, fs: f64, n: usize) -> Vec<f32> {
        (0..n).map(|i| (2.0 * PI * f * i as f64 / fs).sin() as f32).collect()
    }

    /// Least-squares fit `y ≈ a·sin(wn) + b·cos(wn)` away from the edges: (amplitude, phase).
    fn fit_sine(y: &[f32], f: f64, fs: f64, skip: usize) -> (f64, f64) {
        let w = 2.0 * PI * f / fs;
        let (mut ss, mut cc, mut sc, mut ys, mut yc) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (n, &v) in y.iter().enumerate().take(y.len().saturating_sub(skip)).skip(skip) {
            let (s, c) = (w * n as f64).sin_cos();
            ss += s * s;
            cc += c * c;
            sc += s * c;
            ys += v as f64 * s;
            yc += v as f64 * c;
        }
        let det = ss * cc - sc * sc;
        let (a, b) = ((ys * cc - yc * sc) / det, (yc * ss - ys * sc) / det);
        ((a * a + b * b).sqrt(), b.atan2(a))
    }

    fn resample(x: &[f32], fs_in: u32, fs_out: u32, push: usize, q: ResampleQuality) -> Vec<f32> {
        let mut r = StreamResampler::new(fs_in, fs_out, q).unwrap();
        let mut out = Vec::new();
        for c in x.chunks(push) {
            r.process(c, &mut out);
        }
        r.finish(&mut out);
        out
    }

    const QUALITIES: [ResampleQuality; 2] = [ResampleQuality::Fast, ResampleQuality::High];

    #[test]
    fn resample_mono_equals_the_stream_fed_in_chunks() {
        for q in QUALITIES {
            for (fs_in, fs_out) in [(44100u32, 22050u32), (48000, 22050), (8000, 22050), (22050, 22050)] {
                let x = sine(440.0, fs_in as f64, fs_in as usize / 3 + 101);
                let whole = resample_mono(&x, fs_in, fs_out, q).unwrap();
                assert_eq!(whole, resample(&x, fs_in, fs_out, 777, q), "{q:?} {fs_in} -> {fs_out}");
            }
        }
        assert!(resample_mono(&[0.0; 10], 0, 22050, ResampleQuality::Fast).is_err());
        assert!(resample_mono(&[], 44100, 22050, ResampleQuality::Fast).unwrap().is_empty());
    }

    #[test]
    fn length_gain_and_delay_for_many_rates() {
        for q in QUALITIES {
            for fs in [8000u32, 11025, 16000, 22050, 32000, 37800, 44100, 48000, 88200, 96000, 192000] {
                let n = fs as usize + 777;
                let y = resample(&sine(440.0, fs as f64, n), fs, 22050, 1000, q);
                let want = (n as f64 * 22050.0 / fs as f64).round() as i64;
                assert!((y.len() as i64 - want).abs() <= 1, "{q:?} {fs}: len {} want {want}", y.len());
                let (amp, phase) = fit_sine(&y, 440.0, 22050.0, 1500);
                let delay = -phase / (2.0 * PI * 440.0 / 22050.0);
                assert!((amp - 1.0).abs() < 2e-3, "{q:?} {fs}: gain {amp}");
                assert!(delay.abs() < 0.6, "{q:?} {fs}: residual delay {delay} samples");
            }
        }
    }

    #[test]
    fn passband_is_flat_and_aliases_are_rejected() {
        let fs = 44100u32;
        let n = 2 * fs as usize;
        for q in QUALITIES {
            for f in [50.0, 1000.0, 4000.0, 8000.0, 9000.0] {
                let (amp, _) = fit_sine(&resample(&sine(f, fs as f64, n), fs, 22050, 4096, q), f, 22050.0, 2000);
                let db = 20.0 * amp.log10();
                assert!(db.abs() < 0.1, "{q:?}: passband ripple {db:.3} dB at {f} Hz");
            }
            for f in [12000.0, 15000.0, 20000.0] {
                let y = resample(&sine(f, fs as f64, n), fs, 22050, 4096, q);
                let alias = 22050.0 - f;
                let (amp, _) = fit_sine(&y, alias, 22050.0, 2000);
                let db = 20.0 * amp.max(1e-12).log10();
                assert!(db < -80.0, "{q:?}: alias of {f} Hz at {alias} Hz only {db:.1} dB down");
            }
        }
    }

    #[test]
    fn sweep_keeps_the_passband_and_removes_what_would_alias() {
        // A linear sweep 0 -> 22050 Hz over 4 s at 44.1 kHz; its instantaneous frequency at
        // time t is 22050·t/4. Where it is in the passband the output RMS stays at 1/√2
        // (ripple), where it is above the new Nyquist the output is silent (alias rejection).
        let fs = 44100.0;
        let dur = 4.0;
        let n = (fs * dur) as usize;
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                (PI * 22050.0 * t * t / dur).sin() as f32
            })
            .collect();
        for q in QUALITIES {
            let y = resample(&x, 44100, 22050, 777, q);
            let win = 512;
            let (mut worst_ripple_db, mut worst_alias_db) = (0.0f64, f64::NEG_INFINITY);
            for start in (0..y.len() - win).step_by(win) {
                let f = 22050.0 * ((start + win / 2) as f64 / 22050.0) / dur;
                let rms = (y[start..start + win].iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / win as f64).sqrt();
                let db = 20.0 * (rms * 2f64.sqrt()).max(1e-12).log10();
                if (200.0..9000.0).contains(&f) {
                    worst_ripple_db = worst_ripple_db.max(db.abs());
                } else if (12500.0..21500.0).contains(&f) {
                    worst_alias_db = worst_alias_db.max(db);
                }
            }
            assert!(worst_ripple_db < 0.1, "{q:?}: passband ripple {worst_ripple_db:.3} dB");
            assert!(worst_alias_db < -80.0, "{q:?}: alias rejection only {worst_alias_db:.1} dB");
        }
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let x = sine(1234.0, 48000.0, 30000);
        for q in QUALITIES {
            let a = resample(&x, 48000, 22050, 1, q);
            let b = resample(&x, 48000, 22050, 30000, q);
            assert_eq!(a.len(), b.len());
            let d = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max);
            assert!(d < 1e-5, "{q:?}: chunking changed output by {d}");
        }
    }

    #[test]
    fn odd_rates_fall_back_to_the_interpolator_and_keep_length_gain_and_delay() {
        // Standard rates keep the FFT path, to and from the usual analysis rates.
        for fs in [
            8000u32, 11025, 16000, 24000, 32000, 37800, 44100, 48000, 88200, 96000, 176400, 192000, 352800, 384000,
            705600, 768000,
        ] {
            for out in [22050u32, 44100, 48000] {
                assert_eq!(effective_quality(fs, out, ResampleQuality::Fast), ResampleQuality::Fast, "{fs} -> {out}");
            }
        }
        assert_eq!(gcd(44100, 22050), 22050);
        assert_eq!(gcd(48000, 22050), 150);
        // Rates whose exact ratio needs blocks of thousands of frames fall back, on either side.
        for (fs, out) in [(96001u32, 22050u32), (589_937, 22050), (44100, 22051), (22050, 44101)] {
            assert_eq!(effective_quality(fs, out, ResampleQuality::Fast), ResampleQuality::High, "{fs} -> {out}");
            assert_eq!(effective_quality(fs, out, ResampleQuality::High), ResampleQuality::High);
            let n = fs as usize / 2 + 333;
            let y = resample(&sine(440.0, fs as f64, n), fs, out, 4000, ResampleQuality::Fast);
            let want = (n as f64 * out as f64 / fs as f64).round() as i64;
            assert!((y.len() as i64 - want).abs() <= 1, "{fs} -> {out}: len {} want {want}", y.len());
            let (amp, phase) = fit_sine(&y, 440.0, out as f64, 1500);
            let delay = -phase / (2.0 * PI * 440.0 / out as f64);
            assert!((amp - 1.0).abs() < 2e-3, "{fs} -> {out}: gain {amp}");
            assert!(delay.abs() < 0.6, "{fs} -> {out}: residual delay {delay} samples");
        }
    }

    #[test]
    fn passthrough_empty_and_invalid() {
        let x = sine(440.0, 22050.0, 1000);
        assert_eq!(resample(&x, 22050, 22050, 100, ResampleQuality::Fast), x);
        assert!(resample(&[], 44100, 22050, 100, ResampleQuality::Fast).is_empty());
        assert!(StreamResampler::new(0, 22050, ResampleQuality::Fast).is_err());
        assert!(StreamResampler::new(44100, 0, ResampleQuality::High).is_err());
    }
}
