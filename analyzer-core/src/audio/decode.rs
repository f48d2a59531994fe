//! Decoding with symphonia, streamed: packet → mono mixdown → resampler → output.
//!
//! The multichannel source-rate signal never exists in memory beyond one packet. The mono
//! output at the analysis rate goes to a sink: the `load_*` functions collect it into
//! [`DecodedAudio::samples`], while the analysis (`crate::analysis`) feeds it to the stages as
//! it comes, so that it is never held whole. Encoder priming and padding are removed where the
//! container states them (symphonia's gapless mode: MP3 LAME/Xing headers, MP4 edit lists and
//! iTunSMPB for AAC). Mixdown is the plain average of all channels.
//!
//! Loudness (BS.1770) is measured on the way, before mixdown: each packet's interleaved
//! source-rate frames, trimmed exactly as the mono signal is, feed an optional
//! [`LoudnessMeter`] (see [`LoadConfig::loudness`]).

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use symphonia::core::audio::conv::IntoSample;
use symphonia::core::audio::sample::Sample;
use symphonia::core::audio::{Audio, AudioBuffer, Channels, GenericAudioBufferRef, Position};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;

use super::mp4::{self, EditRange};
use super::resample::{ResampleQuality, StreamResampler};
use crate::descriptors::loudness::{ChannelRole, LoudnessConfig, LoudnessMeter, LoudnessStats};
use crate::error::{AnalyzerError, Result};

/// Default longest accepted input, in seconds (3 hours).
pub const DEFAULT_MAX_DURATION_S: f64 = 3.0 * 3600.0;
/// Highest source sample rate accepted, in Hz (default of [`LoadConfig::max_sample_rate`] and
/// the ceiling of what it may be set to).
pub const MAX_SOURCE_SAMPLE_RATE: u32 = 768_000;
/// Lowest source sample rate accepted, in Hz: below it a stated rate is a header lie, not audio.
pub const MIN_SOURCE_SAMPLE_RATE: u32 = 1000;
/// Most channels accepted (default of [`LoadConfig::max_channels`] and its ceiling).
pub const MAX_CHANNELS: usize = 64;
/// Default [`LoadConfig::max_decoded_bytes`]: 1 GiB of decoded mono `f32` samples (3 hours at
/// the default 22050 Hz analysis rate take about 0.95 GB).
pub const DEFAULT_MAX_DECODED_BYTES: u64 = 1 << 30;
/// Largest sample magnitude passed on (+80 dBFS). Float PCM may exceed ±1, but a value beyond
/// this is garbage (a corrupt or crafted float file), and is clamped so that the resampler's
/// and the spectra's sums stay finite.
pub const MAX_SAMPLE_MAGNITUDE: f32 = 1.0e4;
/// Most samples (frames × channels) one packet may declare. Decoders allocate their output
/// buffer from the container's `max_frames_per_packet`, so a lying header would allocate
/// gigabytes before the first packet. Real codecs stay far below: FLAC's largest block is
/// 65,535 frames, AAC's 2,048, PCM readers' packets a few thousand frames.
const MAX_SAMPLES_PER_PACKET: u64 = 1 << 22;
/// Bytes of one decoded output sample (`f32`).
const BYTES_PER_OUTPUT_SAMPLE: u64 = std::mem::size_of::<f32>() as u64;
/// Consecutive undecodable packets after which a stream is given up as corrupt.
const MAX_CONSECUTIVE_BAD_PACKETS: usize = 64;
/// Frames by which decoded audio may fall short of the container's stated length before the
/// stream is reported as truncated (priming/padding differences are smaller).
const TRUNCATION_SLACK_FRAMES: u64 = 8192;
/// Lowest accepted analysis rate in Hz.
const MIN_ANALYSIS_RATE: u32 = 4000;
/// Highest accepted analysis rate in Hz.
const MAX_ANALYSIS_RATE: u32 = 192_000;

/// How audio is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadConfig {
    /// Output sample rate in Hz; `None` keeps the source rate (librosa's `sr=None`).
    pub sr: Option<u32>,
    /// Resampler quality.
    pub resample_quality: ResampleQuality,
    /// Longest accepted input in seconds; `None` for no limit.
    pub max_duration_s: Option<f64>,
    /// When the input is longer than `max_duration_s`: `true` keeps the first
    /// `max_duration_s` seconds (with a warning), `false` fails with
    /// [`AnalyzerError::LimitExceeded`].
    pub truncate_long_input: bool,
    /// Measure BS.1770 / R128 loudness on the original channels at the source rate while
    /// decoding (result in [`DecodedAudio::loudness`]); `None` skips the meter. Default on.
    pub loudness: Option<LoudnessConfig>,
    /// Most bytes of decoded output (mono `f32` at the analysis rate) kept; past it decoding
    /// stops with [`AnalyzerError::LimitExceeded`] (never truncated: it is a memory guard, not
    /// a duration choice). `None` for no limit. Default [`DEFAULT_MAX_DECODED_BYTES`].
    pub max_decoded_bytes: Option<u64>,
    /// Most source channels accepted (stated or decoded), 1..=[`MAX_CHANNELS`]; more is
    /// [`AnalyzerError::LimitExceeded`]. Default [`MAX_CHANNELS`].
    pub max_channels: usize,
    /// Highest source sample rate accepted in Hz,
    /// [`MIN_SOURCE_SAMPLE_RATE`]..=[`MAX_SOURCE_SAMPLE_RATE`]; a higher (or a stated rate below
    /// [`MIN_SOURCE_SAMPLE_RATE`]) is [`AnalyzerError::LimitExceeded`]. Default
    /// [`MAX_SOURCE_SAMPLE_RATE`].
    pub max_sample_rate: u32,
}

impl Default for LoadConfig {
    fn default() -> Self {
        Self {
            sr: Some(crate::DEFAULT_SAMPLE_RATE),
            resample_quality: ResampleQuality::default(),
            max_duration_s: Some(DEFAULT_MAX_DURATION_S),
            truncate_long_input: false,
            loudness: Some(LoudnessConfig::default()),
            max_decoded_bytes: Some(DEFAULT_MAX_DECODED_BYTES),
            max_channels: MAX_CHANNELS,
            max_sample_rate: MAX_SOURCE_SAMPLE_RATE,
        }
    }
}

impl LoadConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        if let Some(sr) = self.sr {
            if !(MIN_ANALYSIS_RATE..=MAX_ANALYSIS_RATE).contains(&sr) {
                return Err(AnalyzerError::invalid(
                    "sr",
                    format!("must be in {MIN_ANALYSIS_RATE}..={MAX_ANALYSIS_RATE} Hz, got {sr}"),
                ));
            }
        }
        if let Some(d) = self.max_duration_s {
            if !(d.is_finite() && d > 0.0) {
                return Err(AnalyzerError::invalid("max_duration_s", format!("must be finite and > 0, got {d}")));
            }
        }
        if let Some(l) = &self.loudness {
            l.validate()?;
        }
        if self.max_decoded_bytes == Some(0) {
            return Err(AnalyzerError::invalid("max_decoded_bytes", "must be > 0"));
        }
        if !(1..=MAX_CHANNELS).contains(&self.max_channels) {
            return Err(AnalyzerError::invalid(
                "max_channels",
                format!("must be in 1..={MAX_CHANNELS}, got {}", self.max_channels),
            ));
        }
        if !(MIN_SOURCE_SAMPLE_RATE..=MAX_SOURCE_SAMPLE_RATE).contains(&self.max_sample_rate) {
            return Err(AnalyzerError::invalid(
                "max_sample_rate",
                format!(
                    "must be in {MIN_SOURCE_SAMPLE_RATE}..={MAX_SOURCE_SAMPLE_RATE} Hz, got {}",
                    self.max_sample_rate
                ),
            ));
        }
        Ok(())
    }

    /// `Err(LimitExceeded)` unless `rate` is a plausible source rate within
    /// [`LoadConfig::max_sample_rate`].
    fn check_source_rate(&self, rate: u32) -> Result<()> {
        if (MIN_SOURCE_SAMPLE_RATE..=self.max_sample_rate).contains(&rate) {
            Ok(())
        } else {
            Err(AnalyzerError::LimitExceeded(format!(
                "sample rate {rate} Hz (accepted: {MIN_SOURCE_SAMPLE_RATE}..={} Hz, max_sample_rate)",
                self.max_sample_rate
            )))
        }
    }

    /// `Err(LimitExceeded)` when `n` channels exceed [`LoadConfig::max_channels`].
    fn check_channels(&self, n: usize) -> Result<()> {
        if n <= self.max_channels {
            Ok(())
        } else {
            Err(AnalyzerError::LimitExceeded(format!("{n} channels (max_channels = {})", self.max_channels)))
        }
    }
}

/// What the source stream was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceInfo {
    /// Source sample rate in Hz.
    pub sample_rate: u32,
    /// Source channel count.
    pub channels: u16,
    /// Codec short name (`pcm_s16le`, `flac`, `mp3`, `vorbis`, `aac`, `alac`, ...).
    pub codec: String,
    /// Container short name (`wave`, `flac`, `mp3`, `ogg`, `isomp4`, `adts`, `aiff`, ...).
    pub container: String,
    /// Source frames decoded (after priming/padding removal and any truncation).
    pub n_frames: u64,
}

impl SourceInfo {
    /// Decoded duration in seconds.
    pub fn duration_seconds(&self) -> f64 {
        if self.sample_rate == 0 { 0.0 } else { self.n_frames as f64 / self.sample_rate as f64 }
    }
}

/// Decoded, mono, resampled audio.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DecodedAudio {
    /// Mono samples at `sample_rate`.
    pub samples: Vec<f32>,
    /// Sample rate of `samples` in Hz.
    pub sample_rate: u32,
    /// The source stream.
    pub source: SourceInfo,
    /// Recoverable problems met on the way (skipped corrupt packets, truncation, non-finite
    /// samples). Empty for a clean file.
    pub warnings: Vec<String>,
    /// BS.1770 loudness of the source channels at the source rate, when
    /// [`LoadConfig::loudness`] is set (`None` also when a mid-stream change of rate or channel
    /// count stopped the meter; a warning says so).
    pub loudness: Option<LoudnessStats>,
}

/// Where the decoder's mono output at the analysis rate goes: collected into a `Vec` (the
/// `load_*` functions) or fed straight to the analysis stages (`crate::analysis`), so that a
/// long file's signal is never held.
pub(crate) trait MonoSink {
    /// Receives the next mono samples at the analysis rate (finite, clamped).
    ///
    /// # Errors
    /// Whatever the sink reports; the decode stops with it.
    fn push_mono(&mut self, samples: &[f32]) -> Result<()>;

    /// The source channels' loudness meter stopped mid-stream (a change of rate or channel
    /// count): from here on the source loudness will be missing.
    fn source_meter_stopped(&mut self) {}
}

impl MonoSink for Vec<f32> {
    fn push_mono(&mut self, samples: &[f32]) -> Result<()> {
        self.extend_from_slice(samples);
        Ok(())
    }
}

/// Everything of a decode but the samples.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DecodeInfo {
    /// The rate of the mono output in Hz.
    pub sample_rate: u32,
    /// The source stream.
    pub source: SourceInfo,
    /// Recoverable problems met on the way.
    pub warnings: Vec<String>,
    /// BS.1770 loudness of the source channels (see [`DecodedAudio::loudness`]).
    pub loudness: Option<LoudnessStats>,
}

impl DecodedAudio {
    fn from_parts(samples: Vec<f32>, info: DecodeInfo) -> Self {
        let DecodeInfo { sample_rate, source, warnings, loudness } = info;
        Self { samples, sample_rate, source, warnings, loudness }
    }

    /// Splits off the samples.
    pub(crate) fn into_parts(self) -> (Vec<f32>, DecodeInfo) {
        let Self { samples, sample_rate, source, warnings, loudness } = self;
        (samples, DecodeInfo { sample_rate, source, warnings, loudness })
    }
}

/// A panic raised by a [`MonoSink`] (the analysis stages) inside the decode loop: carried
/// through the decoder's panic guard, which only turns the *decoders'* panics into errors, and
/// resumed outside it with the original payload.
struct SinkPanic(Box<dyn std::any::Any + Send>);

/// What a path that is not a regular file is, for the error message.
fn file_type_name(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// `Ok` for a regular file; otherwise an `InvalidInput` I/O error naming what `path` is.
fn ensure_regular(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let message = format!("is {}, not a regular file", file_type_name(meta));
    Err(AnalyzerError::io(Some(path), std::io::Error::new(std::io::ErrorKind::InvalidInput, message)))
}

/// The metadata of `path` (symlinks followed) if it is a regular file.
///
/// Audio is read from regular files only: opening a FIFO blocks until a writer appears, and a
/// character device such as `/dev/zero` or `/dev/urandom` never ends, so reading either would
/// hang a worker or exhaust its memory. They, block devices, sockets and directories are refused
/// from their metadata, before anything opens them.
///
/// # Errors
/// [`AnalyzerError::Io`]: kind `NotFound` for a missing path, `InvalidInput` ("is a FIFO, not a
/// regular file", ...) for a path that is not a regular file, the `stat` error otherwise.
pub fn regular_file_metadata(path: impl AsRef<Path>) -> Result<std::fs::Metadata> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| AnalyzerError::io(Some(path), e))?;
    ensure_regular(path, &meta)?;
    Ok(meta)
}

/// Opens `path` for reading after [`regular_file_metadata`] has checked it, and checks the
/// opened file again (a path swapped for a directory or device between the two is refused; one
/// swapped for a FIFO in that instant can still block the open).
///
/// # Errors
/// As [`regular_file_metadata`], and the open error.
pub fn open_regular_file(path: impl AsRef<Path>) -> Result<std::fs::File> {
    let path = path.as_ref();
    regular_file_metadata(path)?;
    let file = std::fs::File::open(path).map_err(|e| AnalyzerError::io(Some(path), e))?;
    ensure_regular(path, &file.metadata().map_err(|e| AnalyzerError::io(Some(path), e))?)?;
    Ok(file)
}

/// BLAKE3 hash of a file's bytes, hex encoded, read in a streaming fashion.
///
/// # Errors
/// [`AnalyzerError::Io`] if the file cannot be read or is not a regular file
/// ([`regular_file_metadata`]).
pub fn content_hash_path(path: impl AsRef<Path>) -> Result<String> {
    let path = path.as_ref();
    let mut file = open_regular_file(path)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(&mut file).map_err(|e| AnalyzerError::io(Some(path), e))?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// BLAKE3 hash of bytes, hex encoded.
pub fn content_hash_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Decodes a file (a regular file: FIFOs, devices, sockets and directories are refused, see
/// [`regular_file_metadata`]).
///
/// # Errors
/// [`AnalyzerError::Io`] (with kind `NotFound` for a missing file, `InvalidInput` for a path
/// that is not a regular file), [`AnalyzerError::Empty`],
/// [`AnalyzerError::UnsupportedFormat`], [`AnalyzerError::NoAudioTrack`],
/// [`AnalyzerError::Decode`], [`AnalyzerError::LimitExceeded`], or
/// [`AnalyzerError::InvalidParameter`] for a bad config.
pub fn load_path(path: impl AsRef<Path>, cfg: &LoadConfig) -> Result<DecodedAudio> {
    let (samples, info) = stream_path(path.as_ref(), cfg, &mut |_| Ok(Vec::new()))?;
    Ok(DecodedAudio::from_parts(samples, info))
}

/// [`load_path`] into the sink `make(output_rate)` builds (once per decode attempt).
pub(crate) fn stream_path<O: MonoSink>(
    path: &Path,
    cfg: &LoadConfig,
    make: &mut dyn FnMut(u32) -> Result<O>,
) -> Result<(O, DecodeInfo)> {
    cfg.validate()?;
    let file = open_regular_file(path)?;
    let ext = path.extension().and_then(|e| e.to_str());
    let mut first = Some(file);
    let open = || -> Result<Box<dyn MediaSource>> {
        match first.take() {
            Some(f) => Ok(Box::new(f)),
            None => Ok(Box::new(open_regular_file(path)?)),
        }
    };
    decode_with_fallback(open, ext, cfg, make)
}

/// Decodes an encoded file held in memory. `extension` (`"mp3"`, `"flac"`, ...) is a hint only;
/// the content decides.
///
/// # Errors
/// As [`load_path`].
pub fn load_bytes(bytes: impl Into<Vec<u8>>, extension: Option<&str>, cfg: &LoadConfig) -> Result<DecodedAudio> {
    let (samples, info) = stream_bytes(bytes.into(), extension, cfg, &mut |_| Ok(Vec::new()))?;
    Ok(DecodedAudio::from_parts(samples, info))
}

/// [`load_bytes`] into the sink `make(output_rate)` builds (once per decode attempt).
pub(crate) fn stream_bytes<O: MonoSink>(
    bytes: Vec<u8>,
    extension: Option<&str>,
    cfg: &LoadConfig,
    make: &mut dyn FnMut(u32) -> Result<O>,
) -> Result<(O, DecodeInfo)> {
    cfg.validate()?;
    let bytes: Arc<[u8]> = bytes.into();
    decode_with_fallback(|| Ok(Box::new(Cursor::new(Arc::clone(&bytes)))), extension, cfg, make)
}

/// Decodes from any seekable reader.
///
/// # Errors
/// As [`load_path`].
pub fn load_reader<R>(reader: R, extension: Option<&str>, cfg: &LoadConfig) -> Result<DecodedAudio>
where
    R: Read + Seek + Send + Sync + 'static,
{
    cfg.validate()?;
    let (samples, info) =
        decode_source(Box::new(ReaderSource { inner: reader, seekable: true }), extension, cfg, &mut |_| {
            Ok(Vec::new())
        })?;
    Ok(DecodedAudio::from_parts(samples, info))
}

/// Mixes down and resamples audio already in memory: `interleaved` holds `channels` samples per
/// frame at `sample_rate` Hz.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a zero rate or channel count, or a length that is not
/// a multiple of `channels`; [`AnalyzerError::LimitExceeded`] as for decoded files.
pub fn load_samples(interleaved: &[f32], sample_rate: u32, channels: usize, cfg: &LoadConfig) -> Result<DecodedAudio> {
    cfg.validate()?;
    check_raw_format(sample_rate, channels, cfg)?;
    if !interleaved.len().is_multiple_of(channels) {
        return Err(AnalyzerError::invalid("channels", "sample count is not a multiple of the channel count"));
    }
    let mut stream = SampleStream::new(sample_rate, channels, cfg)?;
    stream.push(interleaved)?;
    stream.finish()
}

/// Frames per chunk when raw samples are mixed down and resampled.
const RAW_CHUNK_FRAMES: usize = 8192;
/// `SourceInfo::codec` of raw samples.
const RAW_CODEC: &str = "pcm_f32";
/// `SourceInfo::container` of raw samples.
const RAW_CONTAINER: &str = "memory";

fn check_raw_format(sample_rate: u32, channels: usize, cfg: &LoadConfig) -> Result<()> {
    if sample_rate == 0 || sample_rate > cfg.max_sample_rate {
        return Err(AnalyzerError::invalid("sample_rate", format!("must be in 1..={}", cfg.max_sample_rate)));
    }
    if channels == 0 || channels > cfg.max_channels {
        return Err(AnalyzerError::invalid("channels", format!("must be in 1..={}", cfg.max_channels)));
    }
    Ok(())
}

/// Raw samples pushed in chunks as they arrive (from a network stream, a capture device, a
/// decoder of the caller's own), mixed down, loudness-metered and resampled to the analysis
/// rate chunk by chunk, exactly as [`load_samples`] does for a whole buffer: pushing the same
/// frames in any chunking gives the same [`DecodedAudio`].
///
/// Memory holds the mono output at the analysis rate, not the input; the duration limit of
/// [`LoadConfig::max_duration_s`] is enforced as the chunks arrive, so an endless stream fails
/// early with [`AnalyzerError::LimitExceeded`] (or is cut, with `truncate_long_input`).
///
/// ```
/// use analyzer_core::audio::{LoadConfig, SampleStream};
/// let mut stream = SampleStream::new(44100, 2, &LoadConfig::default())?;
/// let chunk = vec![0.0_f32; 2 * 4410]; // 0.1 s of stereo silence
/// for _ in 0..10 {
///     stream.push(&chunk)?;
/// }
/// let audio = stream.finish()?;
/// assert_eq!(audio.sample_rate, 22050);
/// assert_eq!(audio.source.n_frames, 44100);
/// # Ok::<(), analyzer_core::AnalyzerError>(())
/// ```
#[derive(Debug)]
pub struct SampleStream {
    raw: RawStream<Vec<f32>>,
}

impl SampleStream {
    /// A stream of interleaved `f32` frames with `channels` channels at `sample_rate` Hz.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for an invalid `cfg`, a zero or absurd rate or
    /// channel count.
    pub fn new(sample_rate: u32, channels: usize, cfg: &LoadConfig) -> Result<Self> {
        Ok(Self { raw: RawStream::new(sample_rate, channels, cfg, &mut |_| Ok(Vec::new()))? })
    }

    /// Feeds interleaved samples; a chunk need not hold whole frames (the rest is kept for the
    /// next push). Non-finite samples are replaced by 0 (counted in the warnings).
    ///
    /// # Errors
    /// [`AnalyzerError::LimitExceeded`] once the input passes `max_duration_s` (unless
    /// `truncate_long_input` is set, which keeps the first `max_duration_s` seconds and ignores
    /// the rest); a push that would pass it fails before any of its samples is processed.
    pub fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        self.raw.push(interleaved)
    }

    /// Seconds of input received so far (source frames / source rate).
    pub fn duration_seconds(&self) -> f64 {
        self.raw.duration_seconds()
    }

    /// Flushes the resampler and returns the decoded audio (an incomplete trailing frame is
    /// dropped with a warning).
    ///
    /// # Errors
    /// None at present; the `Result` leaves room for checks at the end of the stream.
    pub fn finish(self) -> Result<DecodedAudio> {
        let (samples, info) = self.raw.finish()?;
        Ok(DecodedAudio::from_parts(samples, info))
    }
}

/// [`SampleStream`] into any [`MonoSink`].
#[derive(Debug)]
pub(crate) struct RawStream<O> {
    sink: Sink<O>,
    sample_rate: u32,
    channels: usize,
    /// Interleaved samples of an incomplete frame left over from the last push.
    partial: Vec<f32>,
    mono: Vec<f32>,
    /// Set once the duration limit cut the input: later pushes are ignored.
    done: bool,
}

impl<O: MonoSink> RawStream<O> {
    /// As [`SampleStream::new`], the output going to `make(output_rate)`.
    pub(crate) fn new(
        sample_rate: u32,
        channels: usize,
        cfg: &LoadConfig,
        make: &mut dyn FnMut(u32) -> Result<O>,
    ) -> Result<Self> {
        cfg.validate()?;
        check_raw_format(sample_rate, channels, cfg)?;
        let out = make(cfg.sr.unwrap_or(sample_rate))?;
        Ok(Self {
            sink: Sink::new(cfg, sample_rate, None, &ChannelRole::default_layout(channels), out)?,
            sample_rate,
            channels,
            partial: Vec::new(),
            mono: Vec::new(),
            done: false,
        })
    }

    /// As [`SampleStream::push`].
    pub(crate) fn push(&mut self, interleaved: &[f32]) -> Result<()> {
        if self.done {
            return Ok(());
        }
        let ch = self.channels;
        self.sink.check_incoming(((self.partial.len() + interleaved.len()) / ch) as u64)?;
        let mut rest = interleaved;
        if !self.partial.is_empty() {
            let need = (ch - self.partial.len()).min(rest.len());
            self.partial.extend_from_slice(&rest[..need]);
            rest = &rest[need..];
            if self.partial.len() < ch {
                return Ok(());
            }
            let frame = std::mem::take(&mut self.partial);
            self.push_frames(&frame)?;
        }
        let whole = rest.len() / ch * ch;
        for chunk in rest[..whole].chunks(ch * RAW_CHUNK_FRAMES) {
            if self.done {
                return Ok(());
            }
            self.push_frames(chunk)?;
        }
        self.partial.extend_from_slice(&rest[whole..]);
        Ok(())
    }

    fn push_frames(&mut self, frames: &[f32]) -> Result<()> {
        let ch = self.channels;
        self.mono.clear();
        self.mono.extend(frames.chunks_exact(ch).map(|f| f.iter().sum::<f32>() / ch as f32));
        let mut mono = std::mem::take(&mut self.mono);
        let keep_going = self.sink.push(&mut mono, frames);
        self.mono = mono;
        if !keep_going? {
            self.done = true;
        }
        Ok(())
    }

    /// As [`SampleStream::duration_seconds`].
    pub(crate) fn duration_seconds(&self) -> f64 {
        self.sink.frames_in as f64 / self.sample_rate as f64
    }

    /// As [`SampleStream::finish`], giving the sink back.
    pub(crate) fn finish(mut self) -> Result<(O, DecodeInfo)> {
        if !self.partial.is_empty() {
            self.sink.warnings.push(format!(
                "{} trailing samples did not make a whole {}-channel frame and were dropped",
                self.partial.len(),
                self.channels
            ));
        }
        let info = SourceInfo {
            sample_rate: self.sample_rate,
            channels: self.channels as u16,
            codec: RAW_CODEC.into(),
            container: RAW_CONTAINER.into(),
            n_frames: 0,
        };
        self.sink.finish(info)
    }
}

/// Adapts any `Read + Seek` to symphonia's `MediaSource`; `seekable: false` makes the demuxer
/// read strictly forward (no index scans at the end of the file).
struct ReaderSource<R> {
    inner: R,
    seekable: bool,
}

impl<R: Read> Read for ReaderSource<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl<R: Seek> Seek for ReaderSource<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read + Seek + Send + Sync> MediaSource for ReaderSource<R> {
    fn is_seekable(&self) -> bool {
        self.seekable
    }
    fn byte_len(&self) -> Option<u64> {
        None
    }
}

/// Receives mono source-rate chunks, resamples them into `out` and enforces the duration limit.
#[derive(Debug)]
struct Sink<O> {
    cfg: LoadConfig,
    source_rate: u32,
    out_rate: u32,
    resampler: StreamResampler,
    out: O,
    /// Samples passed to `out`.
    out_len: u64,
    /// The resampler's output for one chunk.
    resampled: Vec<f32>,
    frames_in: u64,
    max_frames: Option<u64>,
    non_finite: u64,
    /// Finite samples beyond ±[`MAX_SAMPLE_MAGNITUDE`], clamped.
    clamped: u64,
    /// The meter's copy of a chunk that held non-finite samples (zeroed).
    meter_scratch: Vec<f32>,
    warnings: Vec<String>,
    /// Source frames still to drop at the start (encoder priming stated by the container).
    skip: u64,
    /// Source frames to keep after the skip (the container's stated length), if known.
    keep: Option<u64>,
    /// The loudness meter, fed the same frames as the mono path, before mixdown.
    meter: Option<LoudnessMeter>,
}

impl<O: MonoSink> Sink<O> {
    fn new(cfg: &LoadConfig, source_rate: u32, edit: Option<EditRange>, roles: &[ChannelRole], out: O) -> Result<Self> {
        let out_rate = cfg.sr.unwrap_or(source_rate);
        let (skip, keep) = edit.map_or((0, None), |e| e.at_rate(source_rate));
        let meter = match &cfg.loudness {
            Some(l) => Some(LoudnessMeter::new(source_rate, roles, l.clone())?),
            None => None,
        };
        Ok(Self {
            meter,
            skip,
            keep,
            cfg: cfg.clone(),
            source_rate,
            out_rate,
            resampler: StreamResampler::new(source_rate, out_rate, cfg.resample_quality)?,
            out,
            out_len: 0,
            resampled: Vec::new(),
            frames_in: 0,
            max_frames: cfg.max_duration_s.map(|d| (d * source_rate as f64).ceil() as u64),
            non_finite: 0,
            clamped: 0,
            meter_scratch: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// Switches to a new source rate mid-stream (chained streams): flushes the old resampler.
    fn change_rate(&mut self, rate: u32) -> Result<()> {
        self.resampler.finish(&mut self.resampled);
        self.forward()?;
        let elapsed = self.frames_in as f64 / self.source_rate as f64;
        self.warnings.push(format!("sample rate changed from {} to {rate} Hz mid-stream", self.source_rate));
        self.source_rate = rate;
        // The container's edit range was stated in the first stream's rate.
        self.skip = 0;
        self.keep = None;
        self.stop_meter("the sample rate changed mid-stream");
        self.resampler = StreamResampler::new(rate, self.out_rate, self.cfg.resample_quality)?;
        self.max_frames =
            self.cfg.max_duration_s.map(|d| self.frames_in + ((d - elapsed).max(0.0) * rate as f64).ceil() as u64);
        Ok(())
    }

    fn stop_meter(&mut self, why: &str) {
        if self.meter.take().is_some() {
            self.warnings.push(format!("loudness not measured: {why}"));
            self.out.source_meter_stopped();
        }
    }

    /// Passes the resampled samples on to `out`. A panic inside `out` (the analysis stages)
    /// is carried past the decoder's panic guard as a [`SinkPanic`].
    fn forward(&mut self) -> Result<()> {
        if self.resampled.is_empty() {
            return Ok(());
        }
        self.out_len += self.resampled.len() as u64;
        let (out, samples) = (&mut self.out, &self.resampled);
        let pushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| out.push_mono(samples)));
        self.resampled.clear();
        match pushed {
            Ok(r) => r,
            Err(payload) => std::panic::resume_unwind(Box::new(SinkPanic(payload))),
        }
    }

    /// Feeds one chunk: `mono` and the same frames `interleaved` (for the loudness meter).
    /// Returns `Ok(false)` when the duration limit truncated the input.
    fn push(&mut self, mono: &mut Vec<f32>, interleaved: &[f32]) -> Result<bool> {
        let mut first = 0;
        if self.skip > 0 {
            let n = (self.skip as usize).min(mono.len());
            mono.drain(..n);
            self.skip -= n as u64;
            first = n;
        }
        if let Some(keep) = self.keep {
            let room = keep.saturating_sub(self.frames_in) as usize;
            mono.truncate(room);
        }
        for v in mono.iter_mut() {
            if !v.is_finite() {
                *v = 0.0;
                self.non_finite += 1;
            } else if v.abs() > MAX_SAMPLE_MAGNITUDE {
                *v = v.clamp(-MAX_SAMPLE_MAGNITUDE, MAX_SAMPLE_MAGNITUDE);
                self.clamped += 1;
            }
        }
        let mut keep_going = true;
        if let Some(max) = self.max_frames {
            let room = max.saturating_sub(self.frames_in);
            if mono.len() as u64 > room {
                if !self.cfg.truncate_long_input {
                    return Err(self.too_long());
                }
                mono.truncate(room as usize);
                self.warnings.push(format!(
                    "input truncated to max_duration_s = {} s",
                    self.cfg.max_duration_s.unwrap_or_default()
                ));
                keep_going = false;
            }
        }
        if let Some(m) = self.meter.as_mut() {
            let ch = m.n_channels();
            match interleaved.get(first * ch..(first + mono.len()) * ch) {
                // The meter's filters would carry a NaN or an infinity forever: zero them in a
                // copy (the mono path above counted them already).
                Some(frames) if frames.iter().any(|v| !v.is_finite()) => {
                    self.meter_scratch.clear();
                    self.meter_scratch.extend(frames.iter().map(|&v| if v.is_finite() { v } else { 0.0 }));
                    m.push_interleaved(&self.meter_scratch);
                }
                Some(frames) => m.push_interleaved(frames),
                None => self.stop_meter("the channel count changed mid-stream"),
            }
        }
        self.frames_in += mono.len() as u64;
        self.resampler.process(mono, &mut self.resampled);
        self.forward()?;
        self.check_memory()?;
        Ok(keep_going)
    }

    fn too_long(&self) -> AnalyzerError {
        AnalyzerError::LimitExceeded(format!(
            "input longer than max_duration_s = {} s",
            self.cfg.max_duration_s.unwrap_or_default()
        ))
    }

    /// `Err(LimitExceeded)` when `frames` more source frames would pass the duration limit
    /// and long input is not to be truncated. A caller holding the input in memory checks its
    /// whole length first, so that input far too long (or given with far too low a rate: a
    /// minute at 8 kHz declared as 8 Hz is 16 hours) fails at once instead of after resampling
    /// the limit's worth of it.
    fn check_incoming(&self, frames: u64) -> Result<()> {
        match self.max_frames {
            Some(max) if !self.cfg.truncate_long_input && self.frames_in.saturating_add(frames) > max => {
                Err(self.too_long())
            }
            _ => Ok(()),
        }
    }

    /// `Err(LimitExceeded)` once the decoded output passes [`LoadConfig::max_decoded_bytes`].
    fn check_memory(&self) -> Result<()> {
        let held = self.out_len.saturating_mul(BYTES_PER_OUTPUT_SAMPLE);
        match self.cfg.max_decoded_bytes {
            Some(max) if held > max => Err(AnalyzerError::LimitExceeded(format!(
                "decoded audio exceeds max_decoded_bytes = {max} bytes ({} samples at {} Hz)",
                self.out_len, self.out_rate
            ))),
            _ => Ok(()),
        }
    }

    /// Whether the duration limit cut the input.
    fn max_frames_hit(&self) -> bool {
        self.max_frames.is_some_and(|m| self.frames_in >= m)
    }

    fn finish(mut self, mut info: SourceInfo) -> Result<(O, DecodeInfo)> {
        self.resampler.finish(&mut self.resampled);
        self.forward()?;
        self.check_memory()?;
        if self.non_finite > 0 {
            self.warnings.push(format!("{} non-finite samples replaced by 0", self.non_finite));
        }
        if self.clamped > 0 {
            self.warnings.push(format!("{} samples beyond ±{MAX_SAMPLE_MAGNITUDE} (+80 dBFS) clamped", self.clamped));
        }
        info.n_frames = self.frames_in;
        let loudness = self.meter.as_ref().map(LoudnessMeter::finish);
        Ok((self.out, DecodeInfo { sample_rate: self.out_rate, source: info, warnings: self.warnings, loudness }))
    }
}

/// Averages the planes of one decoded buffer into `out` (replacing its contents).
fn mix_planes<S>(buf: &AudioBuffer<S>, out: &mut Vec<f32>)
where
    S: Sample + IntoSample<f32>,
{
    out.clear();
    out.resize(buf.frames(), 0.0);
    let planes = buf.num_planes().max(1);
    for plane in buf.iter_planes() {
        for (d, &s) in out.iter_mut().zip(plane) {
            *d += s.into_sample();
        }
    }
    if planes > 1 {
        let g = 1.0 / planes as f32;
        out.iter_mut().for_each(|d| *d *= g);
    }
}

/// BS.1770 roles of the decoder's channels, from their stated positions when there are any
/// (LFE: not measured; side and rear pairs: surround), else from the count.
fn channel_roles(channels: &Channels, n: usize) -> Vec<ChannelRole> {
    let Channels::Positioned(pos) = channels else { return ChannelRole::default_layout(n) };
    let surround = Position::REAR_LEFT | Position::REAR_RIGHT | Position::SIDE_LEFT | Position::SIDE_RIGHT;
    let lfe = Position::LFE1 | Position::LFE2;
    let roles: Vec<ChannelRole> = pos
        .iter()
        .map(|p| {
            if lfe.contains(p) {
                ChannelRole::Lfe
            } else if surround.contains(p) {
                ChannelRole::Surround
            } else {
                ChannelRole::Front
            }
        })
        .collect();
    if roles.len() == n { roles } else { ChannelRole::default_layout(n) }
}

/// Runs `$e` with `$b: &AudioBuffer<S>` for whatever sample type the decoder produced.
macro_rules! with_typed_buf {
    ($buf:expr, $b:ident => $e:expr) => {
        match $buf {
            GenericAudioBufferRef::U8($b) => $e,
            GenericAudioBufferRef::U16($b) => $e,
            GenericAudioBufferRef::U24($b) => $e,
            GenericAudioBufferRef::U32($b) => $e,
            GenericAudioBufferRef::S8($b) => $e,
            GenericAudioBufferRef::S16($b) => $e,
            GenericAudioBufferRef::S24($b) => $e,
            GenericAudioBufferRef::S32($b) => $e,
            GenericAudioBufferRef::F32($b) => $e,
            GenericAudioBufferRef::F64($b) => $e,
        }
    };
}

fn probe_error(e: SymError) -> AnalyzerError {
    match e {
        SymError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            AnalyzerError::UnsupportedFormat("no known container signature (stream ended while probing)".into())
        }
        SymError::IoError(io) => AnalyzerError::io(None, io),
        SymError::Unsupported(what) => AnalyzerError::UnsupportedFormat(what.to_string()),
        SymError::LimitError(what) => AnalyzerError::LimitExceeded(what.to_string()),
        other => AnalyzerError::Decode(other.to_string()),
    }
}

/// Decodes a source that can be opened again. Demuxers that scan the whole file when they can
/// seek (Ogg looks for the last page) fail on one corrupt page; when the first attempt fails
/// with a decode error, the source is read again strictly forward, which skips the damage.
fn decode_with_fallback<O: MonoSink>(
    mut open: impl FnMut() -> Result<Box<dyn MediaSource>>,
    extension: Option<&str>,
    cfg: &LoadConfig,
    make: &mut dyn FnMut(u32) -> Result<O>,
) -> Result<(O, DecodeInfo)> {
    match decode_source(open()?, extension, cfg, make) {
        Err(AnalyzerError::Decode(first)) => {
            let forward = Box::new(ReaderSource { inner: open()?, seekable: false });
            match decode_source(forward, extension, cfg, make) {
                Ok((out, mut info)) => {
                    info.warnings.push(format!("decoded by reading forward after: {first}"));
                    Ok((out, info))
                }
                Err(_) => Err(AnalyzerError::Decode(first)),
            }
        }
        other => other,
    }
}

fn decode_source<O: MonoSink>(
    source: Box<dyn MediaSource>,
    extension: Option<&str>,
    cfg: &LoadConfig,
    make: &mut dyn FnMut(u32) -> Result<O>,
) -> Result<(O, DecodeInfo)> {
    let mut source = source;
    let len = source.seek(SeekFrom::End(0)).map_err(|e| AnalyzerError::io(None, e))?;
    source.seek(SeekFrom::Start(0)).map_err(|e| AnalyzerError::io(None, e))?;
    if len == 0 {
        return Err(AnalyzerError::Empty("the input has no bytes".into()));
    }
    #[cfg(feature = "test-hooks")]
    crate::test_hooks::panic_if_marked(source.as_mut());
    let edit = if looks_like_mp4(source.as_mut()) { mp4::audio_edit_range(source.as_mut()) } else { None };
    let mss = MediaSourceStream::new(source, MediaSourceStreamOptions::default());
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    // Catch panics from the third-party decoders: malformed input must never abort the caller.
    // A panic of the sink (our own stages) is not theirs: it goes on unwinding.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_stream(mss, &hint, cfg, edit, make)));
    result.unwrap_or_else(|panic| {
        let panic = match panic.downcast::<SinkPanic>() {
            Ok(ours) => std::panic::resume_unwind(ours.0),
            Err(theirs) => theirs,
        };
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "decoder panicked".into());
        Err(AnalyzerError::Decode(format!("decoder failed on malformed input: {msg}")))
    })
}

/// An ISO-BMFF file starts with an `ftyp` box.
fn looks_like_mp4(source: &mut dyn MediaSource) -> bool {
    let mut head = [0u8; 8];
    let ok = source.read_exact(&mut head).is_ok() && &head[4..8] == b"ftyp";
    let _ = source.seek(SeekFrom::Start(0));
    ok
}

fn decode_stream<O: MonoSink>(
    mss: MediaSourceStream<'static>,
    hint: &Hint,
    cfg: &LoadConfig,
    edit: Option<EditRange>,
    make: &mut dyn FnMut(u32) -> Result<O>,
) -> Result<(O, DecodeInfo)> {
    let mut format = symphonia::default::get_probe()
        .probe(hint, mss, FormatOptions::default(), MetadataOptions::default())
        .map_err(probe_error)?;
    let container = format.format_info().short_name.to_string();
    let track = format.default_track(TrackType::Audio).ok_or(AnalyzerError::NoAudioTrack)?.clone();
    let params = track.codec_params.as_ref().and_then(|p| p.audio()).ok_or(AnalyzerError::NoAudioTrack)?.clone();
    let registry = symphonia::default::get_codecs();
    let codec = registry
        .get_audio_decoder(params.codec)
        .map(|r| r.codec.info.short_name.to_string())
        .ok_or_else(|| AnalyzerError::UnsupportedFormat(format!("no decoder for codec id {}", params.codec)))?;
    // The header's claims are checked before the decoder is made: decoders size their buffers
    // from them.
    let declared_channels = params.channels.as_ref().map(|c| c.count()).unwrap_or(0);
    cfg.check_channels(declared_channels)?;
    if let Some(rate) = params.sample_rate {
        cfg.check_source_rate(rate)?;
    }
    if let Some(frames) = params.max_frames_per_packet {
        let samples = frames.saturating_mul(declared_channels.max(1) as u64);
        if samples > MAX_SAMPLES_PER_PACKET {
            return Err(AnalyzerError::Decode(format!(
                "the container declares packets of {frames} frames x {declared_channels} channels \
                 (more than {MAX_SAMPLES_PER_PACKET} samples: a corrupt header)"
            )));
        }
    }
    let mut decoder = registry
        .make_audio_decoder(&params, &AudioDecoderOptions::default().gapless(true))
        .map_err(|e| AnalyzerError::UnsupportedFormat(format!("{codec}: {e}")))?;
    let mut sink: Option<Sink<O>> = None;
    let mut info = SourceInfo {
        sample_rate: params.sample_rate.unwrap_or(0),
        channels: declared_channels as u16,
        codec,
        container,
        n_frames: 0,
    };
    let mut mono = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut raw_frames = 0u64;
    let (mut bad_packets, mut consecutive_bad) = (0usize, 0usize);
    let mut last_error: Option<String> = None;
    let mut stream_warning: Option<String> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::ResetRequired) => {
                stream_warning = Some("chained stream: only the first logical stream was decoded".into());
                break;
            }
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                stream_warning = Some("stream truncated: decoded the audio up to the cut".into());
                break;
            }
            // Demuxers resynchronise after a corrupt page or frame header: skip it.
            Err(SymError::DecodeError(e)) if consecutive_bad < MAX_CONSECUTIVE_BAD_PACKETS => {
                bad_packets += 1;
                consecutive_bad += 1;
                last_error = Some(e.to_string());
                continue;
            }
            Err(e) => {
                stream_warning = Some(format!("demuxer stopped: {e}"));
                break;
            }
        };
        if packet.track_id != track.id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(buf) => buf,
            Err(e @ (SymError::DecodeError(_) | SymError::IoError(_))) | Err(e @ SymError::Unsupported(_))
                if !matches!(e, SymError::Unsupported(_)) || info.n_frames > 0 || sink.is_some() =>
            {
                bad_packets += 1;
                consecutive_bad += 1;
                last_error = Some(e.to_string());
                if consecutive_bad > MAX_CONSECUTIVE_BAD_PACKETS {
                    stream_warning = Some(format!("gave up after {consecutive_bad} consecutive bad packets"));
                    break;
                }
                continue;
            }
            Err(e) => return Err(AnalyzerError::Decode(format!("{}: {e}", info.codec))),
        };
        consecutive_bad = 0;
        let spec_rate = buf.spec().rate();
        let n_ch = buf.spec().channels().count();
        cfg.check_source_rate(spec_rate)?;
        cfg.check_channels(n_ch)?;
        with_typed_buf!(&buf, b => mix_planes(b, &mut mono));
        if cfg.loudness.is_some() {
            buf.copy_to_vec_interleaved(&mut interleaved);
        }
        raw_frames += mono.len() as u64;
        if mono.is_empty() {
            continue;
        }
        let s = match sink.as_mut() {
            Some(s) => {
                if s.source_rate != spec_rate {
                    s.change_rate(spec_rate)?;
                }
                s
            }
            None => {
                info.sample_rate = spec_rate;
                info.channels = n_ch as u16;
                let out = make(cfg.sr.unwrap_or(spec_rate))?;
                sink.insert(Sink::new(cfg, spec_rate, edit, &channel_roles(buf.spec().channels(), n_ch), out)?)
            }
        };
        if !s.push(&mut mono, &interleaved)? {
            break;
        }
    }
    let Some(mut sink) = sink else {
        return Err(match last_error {
            Some(e) => AnalyzerError::Decode(format!("{}: no packet could be decoded ({e})", info.codec)),
            None if stream_warning.is_some() => {
                AnalyzerError::Decode(format!("{}: {}", info.codec, stream_warning.unwrap_or_default()))
            }
            None => AnalyzerError::Empty("the stream holds no audio samples".into()),
        });
    };
    if bad_packets > 0 {
        sink.warnings
            .push(format!("skipped {bad_packets} corrupt packet(s), last error: {}", last_error.unwrap_or_default()));
    }
    if let Some(w) = stream_warning {
        sink.warnings.push(w);
    } else if let Some(stated) = track.num_frames {
        // Some demuxers end cleanly at a cut (MP3); the stated length still tells.
        if raw_frames + TRUNCATION_SLACK_FRAMES < stated && sink.keep.is_none() && !sink.max_frames_hit() {
            sink.warnings
                .push(format!("stream truncated: decoded {raw_frames} of the {stated} frames the container states"));
        }
    }
    sink.finish(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mono 16-bit PCM WAV of `n` samples (a slow ramp) at `sr` Hz.
    fn wav(sr: u32, n: usize) -> Vec<u8> {
        let data_len = (2 * n) as u32;
        let mut b = Vec::with_capacity(44 + 2 * n);
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data_len).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes()); // PCM
        b.extend_from_slice(&1u16.to_le_bytes()); // mono
        b.extend_from_slice(&sr.to_le_bytes());
        b.extend_from_slice(&(2 * sr).to_le_bytes());
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_len.to_le_bytes());
        for i in 0..n {
            b.extend_from_slice(&(((i % 200) as i16 - 100) * 100).to_le_bytes());
        }
        b
    }

    #[derive(Debug)]
    struct Panicking;

    impl MonoSink for Panicking {
        fn push_mono(&mut self, _: &[f32]) -> Result<()> {
            panic!("a bug in a stage")
        }
    }

    #[derive(Debug)]
    struct Failing;

    impl MonoSink for Failing {
        fn push_mono(&mut self, _: &[f32]) -> Result<()> {
            Err(AnalyzerError::LimitExceeded("the sink's own limit".into()))
        }
    }

    #[test]
    fn a_panic_of_the_sink_is_not_taken_for_a_decoder_panic() {
        let bytes = wav(8000, 8000);
        let cfg = LoadConfig::default();
        let caught = std::panic::catch_unwind(|| stream_bytes(bytes, Some("wav"), &cfg, &mut |_| Ok(Panicking)));
        let payload = caught.expect_err("the sink's panic goes on unwinding past the decoder guard");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"a bug in a stage"));
    }

    #[test]
    fn the_sink_gets_the_output_rate_and_every_sample_and_its_errors_stop_the_decode() {
        let cfg = LoadConfig::default();
        let mut rates = Vec::new();
        let (samples, info) = stream_bytes(wav(8000, 8000), Some("wav"), &cfg, &mut |sr| {
            rates.push(sr);
            Ok(Vec::new())
        })
        .unwrap();
        assert_eq!(rates, [crate::DEFAULT_SAMPLE_RATE]);
        assert_eq!(info.sample_rate, crate::DEFAULT_SAMPLE_RATE);
        assert_eq!(samples, load_bytes(wav(8000, 8000), Some("wav"), &cfg).unwrap().samples);
        let e = stream_bytes(wav(8000, 8000), Some("wav"), &cfg, &mut |_| Ok(Failing)).unwrap_err();
        assert!(matches!(e, AnalyzerError::LimitExceeded(_)), "{e:?}");
    }
}
