//! The spectral front end: STFT, windows, log compression, mel filterbank, and the
//! pitch-class (HPCP) front end with tuning estimation.

pub mod chroma;
pub mod log;
pub mod mel;
pub mod peaks;
pub mod stft;
pub mod stream;
pub mod window;

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
