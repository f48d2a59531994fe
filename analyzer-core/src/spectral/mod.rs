//! The spectral front end: STFT, windows, log compression, mel filterbank, and the
//! pitch-class (HPCP) front end with tuning estimation.

pub mod chroma;
pub mod log;
pub mod mel;
pub mod peaks;
pub mod stft;
pub mod stream;
pub mod window;

use half::slice::HalfFloatSliceExt;

pub use chroma::{Chromagram, Hpcp, HpcpConfig, HpcpNormalization, HpcpWeighting};
pub use log::LogCompression;
pub use mel::{MelConfig, MelFilterbank, MelNorm, MelScale};
pub use peaks::{PeakConfig, SpectralPeak};
pub use stft::{PadMode, Stft, StftConfig};
pub use stream::StftStream;
pub use window::WindowType;

/// A real-valued time-frequency matrix stored frame-major: row `t` is frame `t`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spectrogram {
    data: Vec<f32>,
    n_frames: usize,
    n_bins: usize,
}

impl Spectrogram {
    /// Wraps `data` (length `n_frames * n_bins`).
    ///
    /// # Panics
    /// If the length does not match; this is an internal invariant, never caused by input data.
    pub fn new(data: Vec<f32>, n_frames: usize, n_bins: usize) -> Self {
        assert_eq!(data.len(), n_frames * n_bins, "spectrogram shape");
        Self { data, n_frames, n_bins }
    }

    /// Number of frames (rows).
    pub fn n_frames(&self) -> usize {
        self.n_frames
    }

    /// Number of bins per frame (columns).
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Row `t`.
    pub fn frame(&self, t: usize) -> &[f32] {
        &self.data[t * self.n_bins..(t + 1) * self.n_bins]
    }

    /// Row `t`, mutable.
    pub fn frame_mut(&mut self, t: usize) -> &mut [f32] {
        &mut self.data[t * self.n_bins..(t + 1) * self.n_bins]
    }

    /// Iterates over rows.
    pub fn frames(&self) -> impl ExactSizeIterator<Item = &[f32]> {
        // chunks_exact of an empty row length would panic; an empty matrix has no rows.
        self.data.chunks_exact(self.n_bins.max(1)).take(self.n_frames)
    }

    /// The frame-major data.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The frame-major data, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the matrix and returns its data.
    pub fn into_data(self) -> Vec<f32> {
        self.data
    }
}

/// Row access for frame-major matrices of any storage ([`Spectrogram`], [`HalfSpectrogram`]).
pub trait FrameRows {
    /// Number of frames (rows).
    fn n_frames(&self) -> usize;
    /// Number of bins per frame (columns).
    fn n_bins(&self) -> usize;
    /// Writes row `t` as `f32` into `out` (length [`FrameRows::n_bins`]).
    fn frame_into(&self, t: usize, out: &mut [f32]);
}

impl FrameRows for Spectrogram {
    fn n_frames(&self) -> usize {
        self.n_frames
    }
    fn n_bins(&self) -> usize {
        self.n_bins
    }
    fn frame_into(&self, t: usize, out: &mut [f32]) {
        out.copy_from_slice(self.frame(t));
    }
}

/// Values converted to half precision at a time by [`HalfSpectrogram::push_row`].
const HALF_BLOCK: usize = 64;

/// A frame-major matrix stored in IEEE 754 half precision (11 significant bits, relative error
/// ≤ 2⁻¹¹, normal range 6.1·10⁻⁵ … 65504): half the memory of [`Spectrogram`], for long-lived
/// per-frame records such as the meter's band spectrogram. Rows are appended and read back as
/// `f32`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HalfSpectrogram {
    data: Vec<half::f16>,
    n_frames: usize,
    n_bins: usize,
}

impl HalfSpectrogram {
    /// An empty matrix of `n_bins` columns.
    pub fn new(n_bins: usize) -> Self {
        Self { data: Vec::new(), n_frames: 0, n_bins }
    }

    /// Reserves room for `n_frames` more rows.
    pub fn reserve(&mut self, n_frames: usize) {
        self.data.reserve_exact(n_frames * self.n_bins);
    }

    /// Appends a row (rounded to the nearest half; beyond ±65504 it saturates to infinity).
    ///
    /// # Panics
    /// If `row` is not `n_bins` long; an internal invariant, never caused by input data.
    pub fn push_row(&mut self, row: impl ExactSizeIterator<Item = f32>) {
        assert_eq!(row.len(), self.n_bins, "row length");
        // Converted a block at a time: `half`'s slice conversion uses the CPU's F16C (x86-64) or
        // FP16 (aarch64) instructions when present (runtime detection), with results identical
        // to its software fallback (IEEE round to nearest even).
        let mut block = [0.0f32; HALF_BLOCK];
        let mut row = row.peekable();
        while row.peek().is_some() {
            let mut n = 0;
            for (b, v) in block.iter_mut().zip(row.by_ref()) {
                *b = v;
                n += 1;
            }
            let start = self.data.len();
            self.data.resize(start + n, half::f16::ZERO);
            self.data[start..].convert_from_f32_slice(&block[..n]);
        }
        self.n_frames += 1;
    }

    /// Row `t` as `f32`.
    pub fn to_f32_row(&self, t: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.n_bins];
        self.frame_into(t, &mut out);
        out
    }
}

impl FrameRows for HalfSpectrogram {
    fn n_frames(&self) -> usize {
        self.n_frames
    }
    fn n_bins(&self) -> usize {
        self.n_bins
    }
    fn frame_into(&self, t: usize, out: &mut [f32]) {
        let row = &self.data[t * self.n_bins..(t + 1) * self.n_bins];
        let n = row.len().min(out.len());
        row[..n].convert_to_f32_slice(&mut out[..n]);
    }
}

#[cfg(test)]
mod half_tests {
    use super::*;

    #[test]
    fn half_rows_round_to_11_bits_and_read_back() {
        let mut h = HalfSpectrogram::new(4);
        h.push_row([1.0f32, 0.1, 6.25, 0.0].into_iter());
        h.push_row([65504.0f32, 1e-7, -3.0, 1.0 + 1.0 / 4096.0].into_iter());
        assert_eq!((h.n_frames(), h.n_bins()), (2, 4));
        let a = h.to_f32_row(0);
        assert_eq!(a[0], 1.0);
        assert!((a[1] - 0.1).abs() <= 0.1 * 2f32.powi(-11), "{}", a[1]);
        assert_eq!(a[2], 6.25);
        assert_eq!(a[3], 0.0);
        let b = h.to_f32_row(1);
        assert_eq!(b[0], 65504.0);
        assert!(b[1] > 0.0 && (b[1] - 1e-7).abs() < 6e-8, "subnormal {}", b[1]);
        assert_eq!(b[2], -3.0);
        assert_eq!(b[3], 1.0, "ties round to even");
        let s = Spectrogram::new(vec![1.0, 2.0, 3.0, 4.0], 2, 2);
        let mut out = [0.0; 2];
        s.frame_into(1, &mut out);
        assert_eq!(out, [3.0, 4.0]);
    }
}
