//! Analysis of one track: bytes → [`Record`].
//!
//! A file up to [`TrackOptions::in_memory_limit_bytes`] is read once: its bytes are hashed
//! (BLAKE3) and decoded from memory. A larger file is hashed while streaming from disk and then
//! decoded from the path (a second read, normally served by the page cache), so that a long
//! file is never held in memory whole. Either way the analysis stages run on the signal as it
//! is decoded ([`Analyzer::analyze_encoded`]): the decoded signal is never held either.

use std::io::Write;
use std::path::Path;

use analyzer_core::analysis::{AnalysisConfig, AnalysisTiming, Analyzer, AudioAnalysis, EncodedInput, TrackAnalysis};
use analyzer_core::audio::{self, LoadConfig};
use analyzer_core::{ANALYZER_VERSION, AnalyzerError};

use crate::record::Record;

/// Milliseconds per second.
const MS_PER_S: f64 = 1000.0;
/// Default for [`TrackOptions::in_memory_limit_bytes`]: 32 MiB (a 25-minute MP3 at 160 kbit/s;
/// a longer file is decoded from disk, so a worker's memory does not grow with it).
pub const DEFAULT_IN_MEMORY_LIMIT_BYTES: u64 = 32 * 1024 * 1024;

/// How one track is analysed.
#[derive(Debug, Clone)]
pub struct TrackOptions {
    /// Decoding (analysis rate, `--max-duration`).
    pub load: LoadConfig,
    /// The analysis stages (their `load` field is replaced by [`TrackOptions::load`]); set
    /// `timeline` to also produce the `audio-analysis` document (`--analysis DIR`).
    pub analysis: AnalysisConfig,
    /// Files up to this size are read into memory once, hashed and decoded from the bytes.
    pub in_memory_limit_bytes: u64,
}

impl Default for TrackOptions {
    fn default() -> Self {
        Self {
            load: LoadConfig::default(),
            analysis: AnalysisConfig::default(),
            in_memory_limit_bytes: DEFAULT_IN_MEMORY_LIMIT_BYTES,
        }
    }
}

impl TrackOptions {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<(), AnalyzerError> {
        // The analysis is checked with these decode options (its rate among them).
        self.analysis.clone().with_load(self.load.clone()).validate()?;
        if self.in_memory_limit_bytes == 0 {
            return Err(AnalyzerError::invalid("in_memory_limit_bytes", "must be > 0"));
        }
        Ok(())
    }

    /// The analyzer these options describe (build it once per batch and share it).
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] for an invalid configuration.
    pub fn analyzer(&self) -> Result<Analyzer, AnalyzerError> {
        Analyzer::new(self.analysis.clone().with_load(self.load.clone()))
    }
}

/// One input: where the bytes are and what to call the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackInput {
    /// Record id.
    pub id: String,
    /// The file.
    pub path: std::path::PathBuf,
}

impl TrackInput {
    /// The path as recorded in outputs: see [`path_text`].
    pub fn path_string(&self) -> String {
        path_text(&self.path)
    }
}

/// A path as text for ids and records: the path itself when it is UTF-8 (the usual case, and
/// then unchanged). A Unix name that is not UTF-8 (say a Latin-1 `caf\xe9.mp3` from an old
/// archive) keeps its valid parts, writes each byte of an invalid sequence as `%XX` and a `%`
/// as `%25`, so that two such names never become the same id: a lossy conversion would turn
/// `caf\xe9` and `caf\xe8` into the same `caf\u{FFFD}`, and the second file would be dropped as
/// a duplicate. Elsewhere (Windows: unpaired surrogates) the conversion is lossy.
pub fn path_text(path: &Path) -> String {
    if let Some(s) = path.to_str() {
        return s.to_owned();
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_non_utf8(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned()
    }
}

/// Bytes read as an id (a manifest's `id` column): the text itself when it is UTF-8, otherwise
/// written as [`path_text`] writes a name that is not UTF-8.
pub fn bytes_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => escape_non_utf8(bytes),
    }
}

/// `bytes` as text, each byte of an invalid UTF-8 sequence written as `%XX` and `%` as `%25`.
fn escape_non_utf8(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 2);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('%', "%25"));
        for b in chunk.invalid() {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The file's content, read once.
#[derive(Debug)]
pub enum Content {
    /// Small enough: the bytes themselves.
    Bytes(Vec<u8>),
    /// Too large to hold: decode from the path.
    Path,
}

/// A file whose bytes have been read and hashed but not decoded yet.
#[derive(Debug)]
pub struct HashedFile {
    /// BLAKE3 of the bytes, lowercase hex.
    pub content_hash: String,
    /// File size in bytes.
    pub size: u64,
    /// The bytes, when they were kept.
    pub content: Content,
}

/// Reads and hashes a file (see the module docs for the large-file path).
///
/// # Errors
/// [`AnalyzerError::Io`] (kind `not_found` for a missing file, `io` for a read error or a path
/// that is not a regular file: a directory, FIFO, device or socket, which would block the open
/// or never end; see [`audio::regular_file_metadata`]).
pub fn read_and_hash(path: &Path, opts: &TrackOptions) -> Result<HashedFile, AnalyzerError> {
    let meta = audio::regular_file_metadata(path)?;
    let size = meta.len();
    if size > opts.in_memory_limit_bytes {
        let content_hash = audio::content_hash_path(path)?;
        return Ok(HashedFile { content_hash, size, content: Content::Path });
    }
    let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
    Ok(HashedFile {
        content_hash: audio::content_hash_bytes(&bytes),
        size: bytes.len() as u64,
        content: Content::Bytes(bytes),
    })
}

/// Decodes and analyses a file already read by [`read_and_hash`], consuming its bytes.
///
/// # Errors
/// Any decoding error of [`audio::load_bytes`] / [`audio::load_path`].
pub fn analyze_hashed(input: &TrackInput, file: HashedFile, opts: &TrackOptions) -> Result<Analysed, AnalyzerError> {
    analyze_hashed_with(input, file, &opts.analyzer()?)
}

/// [`analyze_hashed`] with an [`Analyzer`] built once for the whole batch
/// ([`TrackOptions::analyzer`]), so that its plans are shared across tracks and threads.
///
/// # Errors
/// As [`analyze_hashed`].
pub fn analyze_hashed_with(
    input: &TrackInput,
    file: HashedFile,
    analyzer: &Analyzer,
) -> Result<Analysed, AnalyzerError> {
    let ext = input.path.extension().and_then(|e| e.to_str());
    let source = match file.content {
        Content::Bytes(bytes) => EncodedInput::Bytes { bytes, extension: ext },
        Content::Path => EncodedInput::Path(&input.path),
    };
    let (analysis, timing) = analyzer.analyze_encoded(source, file.content_hash)?;
    let AnalysisTiming { decode_seconds, analysis_seconds } = timing;
    let record = record_from_analysis(input, &analysis);
    let audio_analysis = analysis.audio_analysis();
    Ok(Analysed { record, warnings: analysis.track.warnings, audio_analysis, decode_seconds, analysis_seconds })
}

/// A record plus the recoverable problems met while decoding.
#[derive(Debug, Clone)]
pub struct Analysed {
    /// The record.
    pub record: Record,
    /// Decoder warnings (skipped packets, truncation by `--max-duration`, ...).
    pub warnings: Vec<String>,
    /// The `audio-analysis` document, when the timeline was requested.
    pub audio_analysis: Option<AudioAnalysis>,
    /// Wall time spent decoding (and resampling), seconds.
    pub decode_seconds: f64,
    /// Wall time spent analysing the decoded signal, seconds.
    pub analysis_seconds: f64,
}

/// Analyses one file: reads it once, hashes it, decodes it and fills the record.
///
/// Fills the source description, hash and version and every audio-features field with its
/// confidence, from one [`Analyzer`] run.
///
/// # Errors
/// The typed [`AnalyzerError`] of the first step that failed.
pub fn analyze_track(input: &TrackInput, opts: &TrackOptions) -> Result<Record, AnalyzerError> {
    opts.validate()?;
    let file = read_and_hash(&input.path, opts)?;
    analyze_hashed(input, file, opts).map(|a| a.record)
}

/// The record of one analysis: the one place where core results become CLI fields.
fn record_from_analysis(input: &TrackInput, a: &TrackAnalysis) -> Record {
    let src = &a.track.source;
    let f = &a.features;
    // The shortest decimal that round-trips the f32 (0.9, not 0.8999999761581726).
    let x = |v: f32| format!("{v}").parse::<f64>().ok();
    Record {
        id: input.id.clone(),
        path: input.path_string(),
        content_hash: a.track.content_hash.clone().unwrap_or_default(),
        analyzer_version: ANALYZER_VERSION.to_string(),
        duration_ms: (src.duration_seconds() * MS_PER_S).round() as u64,
        sample_rate: src.sample_rate,
        channels: src.channels,
        codec: src.codec.clone(),
        tempo: x(f.tempo),
        tempo_confidence: x(f.tempo_confidence),
        time_signature: Some(i32::from(f.time_signature)),
        time_signature_confidence: x(f.time_signature_confidence),
        key: Some(i32::from(f.key)),
        key_confidence: x(f.key_confidence),
        mode: Some(i32::from(f.mode)),
        mode_confidence: x(f.mode_confidence),
        loudness: x(f.loudness),
        energy: x(f.energy),
        danceability: x(f.danceability),
        speechiness: x(f.speechiness),
        acousticness: x(f.acousticness),
        instrumentalness: x(f.instrumentalness),
        liveness: x(f.liveness),
        valence: x(f.valence),
    }
}

fn io_error(path: &Path, source: std::io::Error) -> AnalyzerError {
    AnalyzerError::Io { path: Some(path.to_path_buf()), source }
}

/// Characters kept as they are in `--analysis` file names; others become `_`.
fn is_safe_file_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// Length of the content-hash suffix that keeps rewritten file names unique.
const NAME_HASH_CHARS: usize = 12;

/// Longest id (bytes) kept whole in a document's file name. With `-<hash>.json.tmp` after it
/// the name stays within the 255-byte limit of common file systems (ext4, XFS, Btrfs, APFS,
/// NTFS); a longer id (a deep path: the id defaults to the path) keeps its end.
const MAX_NAME_STEM_BYTES: usize = 200;

/// The file name of a track's `audio-analysis` document: the id when it is a safe file name,
/// otherwise the id with unsafe characters and leading dots replaced (no hidden files, no `..`)
/// plus a short content hash (so that `a/b` and `a_b` do not collide). An id longer than
/// [`MAX_NAME_STEM_BYTES`] keeps its last bytes (the file's own name) plus the hash. Two ids
/// can share a name only when the contents are the same, and then so are the documents (they
/// hold no id or path).
pub fn analysis_file_name(id: &str, content_hash: &str) -> String {
    let mut safe: String = id.chars().map(|c| if is_safe_file_char(c) { c } else { '_' }).collect();
    if safe == id && !id.is_empty() && !id.starts_with('.') && id.len() <= MAX_NAME_STEM_BYTES {
        return format!("{id}.json");
    }
    // `safe` is ASCII, so any byte offset is a character boundary.
    safe.drain(..safe.len().saturating_sub(MAX_NAME_STEM_BYTES));
    let dots = safe.len() - safe.trim_start_matches('.').len();
    safe.replace_range(..dots, &"_".repeat(dots));
    format!("{safe}-{}.json", &content_hash[..content_hash.len().min(NAME_HASH_CHARS)])
}

/// Writes `doc` as `dir/<name>.json` atomically and durably: a temporary file, synced to disk
/// before it is renamed over the name, so that the track's record (written after this returns)
/// never points at a document a power cut could leave empty or torn. The directory is synced
/// after the rename too ([`crate::output::sync_dir`]), so that the new name survives as well
/// (a renamed entry lives in the directory, which the file's sync does not cover). A failed
/// write removes the temporary file and leaves any earlier document of the track as it was.
///
/// # Errors
/// [`AnalyzerError::Io`] when the directory or file cannot be written.
pub fn write_analysis(dir: &Path, id: &str, content_hash: &str, doc: &AudioAnalysis) -> Result<(), AnalyzerError> {
    let path = dir.join(analysis_file_name(id, content_hash));
    let tmp = path.with_extension("json.tmp");
    let json =
        serde_json::to_vec(doc).map_err(|e| AnalyzerError::Internal(format!("serializing the analysis: {e}")))?;
    let written = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(&tmp, e));
    }
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error(&path, e)
    })?;
    crate::output::sync_dir(&path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_file_names_are_plain_visible_files() {
        assert_eq!(analysis_file_name("track_01.flac", "abcdef0123456789"), "track_01.flac.json");
        assert_eq!(analysis_file_name("a/b.mp3", "abcdef0123456789"), "a_b.mp3-abcdef012345.json");
        assert_eq!(analysis_file_name("../shared/x.mp3", "abcdef0123456789"), "___shared_x.mp3-abcdef012345.json");
        assert_eq!(analysis_file_name(".hidden", "ff"), "_hidden-ff.json");
        assert_eq!(analysis_file_name("", "ff"), "-ff.json");
    }

    /// A deep path as id made a name over the file system's 255-byte limit, and the track
    /// failed with "File name too long" under `--analysis`.
    #[test]
    fn long_ids_give_names_within_the_file_name_limit() {
        let hash = "abcdef0123456789";
        let deep = format!("{}/{}/track.wav", "a".repeat(150), "b".repeat(150));
        let name = analysis_file_name(&deep, hash);
        assert!(name.len() + ".tmp".len() <= 255, "{} bytes", name.len());
        assert!(name.ends_with("_track.wav-abcdef012345.json"), "{name}");
        let single = "c".repeat(250) + ".flac"; // a safe id, too long to keep whole
        let name = analysis_file_name(&single, hash);
        assert!(name.len() + ".tmp".len() <= 255 && name.ends_with(".flac-abcdef012345.json"), "{name}");
        let dotted = format!("{}.{}", "d".repeat(300), "e".repeat(199)); // the cut lands on the dot
        assert!(analysis_file_name(&dotted, hash).starts_with("_eee"), "no hidden file");
        let exact = "f".repeat(MAX_NAME_STEM_BYTES);
        assert_eq!(analysis_file_name(&exact, hash), format!("{exact}.json"), "kept whole up to the limit");
        let dir = tempfile::tempdir().unwrap();
        let deep_name = analysis_file_name(&("é/".repeat(200) + "x.mp3"), hash);
        std::fs::write(dir.path().join(&deep_name), b"{}").expect("a name the file system takes");
    }

    #[test]
    fn path_text_is_the_path_when_utf8_and_escapes_invalid_bytes_otherwise() {
        assert_eq!(path_text(Path::new("a/100% café.wav")), "a/100% café.wav");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let text = |b: &[u8]| path_text(Path::new(std::ffi::OsStr::from_bytes(b)));
            assert_eq!(text(b"caf\xe9.wav"), "caf%E9.wav");
            assert_eq!(text(b"caf\xe8.wav"), "caf%E8.wav");
            assert_eq!(text(b"50%\xff"), "50%25%FF", "a % is escaped once the name is");
            assert_eq!(text(b"\xe2\x82.wav"), "%E2%82.wav", "a cut multi-byte sequence");
            assert_eq!(text(b"\xc3\xa9\xff"), "é%FF", "valid characters are kept");
        }
    }

    fn testdata(rel: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(rel)
    }

    fn input(rel: &str) -> TrackInput {
        TrackInput { id: rel.to_string(), path: testdata(rel) }
    }

    #[test]
    fn fills_the_foundation_fields() {
        let r = analyze_track(&input("formats/s16.flac"), &TrackOptions::default()).unwrap();
        assert_eq!(r.id, "formats/s16.flac");
        assert_eq!((r.duration_ms, r.sample_rate, r.channels, r.codec.as_str()), (1000, 44100, 2, "flac"));
        assert_eq!(r.content_hash, audio::content_hash_path(testdata("formats/s16.flac")).unwrap());
        assert_eq!(r.analyzer_version, ANALYZER_VERSION);
        for (name, v) in [
            ("tempo_confidence", r.tempo_confidence),
            ("key_confidence", r.key_confidence),
            ("energy", r.energy),
            ("danceability", r.danceability),
            ("valence", r.valence),
            ("acousticness", r.acousticness),
        ] {
            let v = v.unwrap_or_else(|| panic!("{name} missing"));
            assert!((0.0..=1.0).contains(&v), "{name} {v}");
        }
        assert!(r.loudness.is_some_and(f64::is_finite));
        assert!(r.key.is_some_and(|k| (-1..=11).contains(&k)));
    }

    #[test]
    fn large_file_path_gives_the_same_record() {
        let small = analyze_track(&input("formats/s16.wav"), &TrackOptions::default()).unwrap();
        let opts = TrackOptions { in_memory_limit_bytes: 1, ..TrackOptions::default() };
        let large = analyze_track(&input("formats/s16.wav"), &opts).unwrap();
        assert_eq!(small, large);
    }

    #[test]
    fn analysis_documents_are_written_whole_or_not_at_all() {
        let mut opts = TrackOptions::default();
        opts.analysis.timeline = true;
        let t = input("formats/s16.wav");
        let a = analyze_hashed(&t, read_and_hash(&t.path, &opts).unwrap(), &opts).unwrap();
        let doc = a.audio_analysis.expect("the timeline was asked for");
        let dir = tempfile::tempdir().unwrap();
        let leftovers = |d: &Path| std::fs::read_dir(d).unwrap().filter_map(|e| e.ok()).count();
        write_analysis(dir.path(), "t1", &a.record.content_hash, &doc).unwrap();
        let written = std::fs::read(dir.path().join("t1.json")).unwrap();
        assert!(serde_json::from_slice::<serde_json::Value>(&written).is_ok());
        assert_eq!(leftovers(dir.path()), 1, "no temporary file is left behind");
        // The name is taken by a non-empty directory: the rename fails, the error is typed, the
        // temporary file is removed and the directory is untouched.
        let blocker = dir.path().join("t2.json");
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(blocker.join("keep"), b"x").unwrap();
        let err = write_analysis(dir.path(), "t2", &a.record.content_hash, &doc).unwrap_err();
        assert_eq!(err.kind().as_str(), "io");
        assert_eq!(leftovers(dir.path()), 2);
        assert_eq!(std::fs::read(blocker.join("keep")).unwrap(), b"x");
        // A directory that does not exist: a typed error, nothing created.
        let err = write_analysis(&dir.path().join("missing"), "t3", &a.record.content_hash, &doc).unwrap_err();
        assert_eq!(err.kind().as_str(), "not_found");
        assert_eq!(leftovers(dir.path()), 2);
    }

    #[test]
    fn typed_errors_and_invalid_config() {
        let missing = analyze_track(&input("misc/nope.wav"), &TrackOptions::default()).unwrap_err();
        assert_eq!(missing.kind().as_str(), "not_found");
        let dir = analyze_track(&input("misc"), &TrackOptions::default()).unwrap_err();
        assert_eq!(dir.kind().as_str(), "io");
        let junk = analyze_track(&input("misc/not_audio.mp3"), &TrackOptions::default()).unwrap_err();
        assert_eq!(junk.kind().as_str(), "unsupported_format");
        let bad = TrackOptions { in_memory_limit_bytes: 0, ..TrackOptions::default() };
        assert_eq!(analyze_track(&input("formats/s16.wav"), &bad).unwrap_err().kind().as_str(), "invalid_parameter");
    }
}
