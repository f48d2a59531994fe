//! # analyzer-core
//!
//! The pure-Rust DSP core of **audio-analyzer**, an open music analyzer in the spirit of the
//! Echo Nest analyzer behind Spotify's `audio-features` / `audio-analysis` endpoints.
//!
//! This crate knows nothing of Python or command lines. It provides:
//! - [`audio`]: decoding of WAV, FLAC, MP3, Ogg Vorbis, AAC (MP4/ADTS), ALAC and AIFF with
//!   symphonia, mixed down to mono and resampled in bounded-memory chunks to the analysis rate
//!   (22050 Hz by default, the rate the Echo Nest analyzer used);
//! - [`spectral`]: the STFT, windows, log compression, mel filterbank, spectral peaks and the
//!   HPCP pitch-class front end with tuning estimation;
//! - [`simd`]: the hot kernels, each with a scalar reference, dispatched once at run time to
//!   AVX-512, AVX2+FMA, NEON or scalar code.
//!
//! ## Quick start
//! ```
//! use analyzer_core::audio::{load_samples, LoadConfig};
//! use analyzer_core::spectral::{Stft, StftConfig};
//!
//! // One second of a 440 Hz tone at 44.1 kHz, loaded as if it were decoded audio.
//! let y: Vec<f32> = (0..44100).map(|i| (i as f32 * 440.0 * std::f32::consts::TAU / 44100.0).sin()).collect();
//! let audio = load_samples(&y, 44100, 1, &LoadConfig::default())?;
//! assert_eq!(audio.sample_rate, 22050);
//!
//! let stft = Stft::new(StftConfig::new(2048, 512))?;
//! let power = stft.power(&audio.samples);
//! assert_eq!(power.n_bins(), 1025);
//! # Ok::<(), analyzer_core::AnalyzerError>(())
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod audio;
pub mod descriptors;
pub mod error;
pub mod rhythm;
pub mod simd;
pub mod spectral;
pub mod structure;
#[cfg(feature = "test-hooks")]
#[doc(hidden)]
pub mod test_hooks;
pub mod timeline;
pub mod tonal;

pub use error::{AnalyzerError, ErrorKind, Result};

/// The default analysis sample rate in Hz (the Echo Nest analyzer's rate).
pub const DEFAULT_SAMPLE_RATE: u32 = 22050;

/// The version written into every record as `analyzer_version`. A change of any number the
/// analysis produces must change this version, so that batch runs know to recompute.
pub const ANALYZER_VERSION: &str = env!("CARGO_PKG_VERSION");
