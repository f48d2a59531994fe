//! # analyzer-core
//!
//! The pure-Rust DSP core of **audio-analyzer**, an open music analyzer in the spirit of the
//! Echo Nest analyzer behind Spotify's `audio-features` / `audio-analysis` endpoints.
//!
//! This crate knows nothing of Python or command lines. It provides:
//! - [`analysis`]: the entry point, [`analysis::Analyzer`] (whole-track analysis, streaming
//!   input, stage selection) and the typed results [`analysis::AudioFeatures`] and
//!   [`analysis::AudioAnalysis`];
//! - [`audio`]: decoding of WAV, FLAC, MP3, Ogg Vorbis, AAC (MP4/ADTS), ALAC and AIFF with
//!   symphonia, mixed down to mono and resampled in bounded-memory chunks to the analysis rate
//!   (22050 Hz by default, the rate the Echo Nest analyzer used);
//! - [`spectral`]: the STFT, windows, log compression, mel filterbank, spectral peaks and the
//!   HPCP pitch-class front end with tuning estimation;
//! - [`simd`]: the hot kernels, each with a scalar reference, dispatched once at run time to
//!   AVX-512, AVX2+FMA, NEON or scalar code.
//!
//! ## Quick start
//! One [`analysis::Analyzer`], built once (it plans the FFTs and filterbanks) and shared across
//! files and threads, gives Spotify's `audio-features` fields and, on request, the
//! `audio-analysis` timeline:
//!
//! ```
//! use analyzer_core::analysis::{AnalysisConfig, Analyzer};
//!
//! let analyzer = Analyzer::new(AnalysisConfig::default().with_timeline(true))?;
//! // Ten seconds of a 440 Hz tone pulsed at 120 BPM, as interleaved mono samples at 44.1 kHz
//! // (`analyze_path`, `analyze_bytes`, `analyze_reader` and `stream` take files and streams).
//! let sr = 44100;
//! let y: Vec<f32> = (0..10 * sr)
//!     .map(|i| {
//!         let t = i as f32 / sr as f32;
//!         let gate = if (t * 2.0).fract() < 0.1 { 1.0 } else { 0.2 };
//!         gate * (t * 440.0 * std::f32::consts::TAU).sin()
//!     })
//!     .collect();
//! let a = analyzer.analyze_samples(&y, sr as u32, 1)?;
//! let f = &a.features;
//! assert_eq!(f.duration_ms, 10_000);
//! assert!((0.0..=1.0).contains(&f.tempo_confidence) && (-1..=11).contains(&f.key));
//! println!("{:.1} BPM, key {} mode {}, {:.1} LUFS", f.tempo, f.key, f.mode, f.loudness);
//! let timeline = a.timeline.as_ref().expect("asked for");
//! assert!(!timeline.segments.is_empty());
//! # Ok::<(), analyzer_core::AnalyzerError>(())
//! ```
//!
//! Each stage is also public on its own, librosa-style, on plain arrays:
//!
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
//!
//! ## Cargo features
//! - one per container/codec: `wav`, `aiff`, `caf`, `flac`, `mp3`, `vorbis`, `aac`, `alac`,
//!   `mkv` (all on by default through `all-codecs`; a format whose feature is off is an
//!   [`ErrorKind::UnsupportedFormat`] error);
//! - `serde`: `Serialize`/`Deserialize` on the result types;
//! - `rayon`: [`analysis::Analyzer::analyze_paths`], many files in parallel.
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

/// The analysis sample rate in Hz (the Echo Nest analyzer's rate): the stages' fitted models
/// were trained at it and [`analysis::Analyzer`] runs at it only (input at any rate is
/// resampled to it); also [`audio::LoadConfig`]'s default decode rate.
pub const DEFAULT_SAMPLE_RATE: u32 = 22050;

/// The version written into every record as `analyzer_version`. A change of any number the
/// analysis produces must change this version, so that batch runs know to recompute.
pub const ANALYZER_VERSION: &str = env!("CARGO_PKG_VERSION");
