//! Loudness and the perceptual descriptors of Spotify's `audio-features`.
//!
//! - [`loudness`]: ITU-R BS.1770-4 / EBU R128 integrated loudness, loudness range and true peak,
//!   measured by a streaming meter on the original channels at the source rate (the decoder
//!   feeds it, see [`crate::audio::LoadConfig::loudness`]).

pub mod loudness;

pub use loudness::{ChannelRole, LoudnessConfig, LoudnessMeter, LoudnessStats, measure_loudness};
