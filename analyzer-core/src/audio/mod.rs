//! Audio input: decoding (symphonia), mixdown to mono, and band-limited resampling to the
//! analysis rate, streamed in chunks so that memory stays bounded by the *output* signal.

mod decode;
mod mp4;
pub mod resample;

pub use decode::{
    DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_DURATION_S, DecodedAudio, LoadConfig, MAX_CHANNELS, MAX_SAMPLE_MAGNITUDE,
    MAX_SOURCE_SAMPLE_RATE, MIN_SOURCE_SAMPLE_RATE, SampleStream, SourceInfo, content_hash_bytes, content_hash_path,
    load_bytes, load_path, load_reader, load_samples, open_regular_file, regular_file_metadata,
};
pub(crate) use decode::{DecodeInfo, MonoSink, RawStream, stream_bytes, stream_path};
#[cfg(feature = "test-hooks")]
pub(crate) use mp4::audio_edit_range as mp4_edit_range;
pub use resample::{ResampleQuality, StreamResampler, resample_mono};

/// File extensions (lowercase) of the containers this crate decodes with every codec feature
/// on: what a directory walk should pick up (the CLI's and the `batch_dir` example's list).
pub const AUDIO_EXTENSIONS: [&str; 14] =
    ["wav", "wave", "flac", "mp3", "ogg", "oga", "m4a", "mp4", "aac", "aif", "aiff", "aifc", "caf", "mka"];
