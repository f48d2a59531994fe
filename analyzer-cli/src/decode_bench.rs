//! `audio-analyzer decode-bench`: the decode floor, measured on the same files as the analysis.
//!
//! Each file is read into memory first (disk speed does not count), then decoded, mixed down
//! and resampled exactly as `analyze` does it (the same [`LoadConfig`], loudness meter
//! included, since the analysis measures loudness while decoding), single thread. With
//! `--analyze` the full analysis (the same [`Analyzer`] the batch uses, without the timeline)
//! is timed too, from the same in-memory bytes, so the ratio analysis / decode is measured in
//! one process. Each figure is the best of `repeats` runs.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use analyzer_core::AnalyzerError;
use analyzer_core::analysis::{AnalysisConfig, Analyzer};
use analyzer_core::audio::{self, LoadConfig};

/// Default number of timed runs per file (the best one counts).
pub const DEFAULT_REPEATS: usize = 1;

/// What `decode-bench` does.
#[derive(Debug, Clone)]
pub struct DecodeBenchOptions {
    /// Decoding, as for `analyze`.
    pub load: LoadConfig,
    /// Also time the full analysis (without the timeline).
    pub analyze: bool,
    /// Timed runs per file; the best one counts.
    pub repeats: usize,
}

impl Default for DecodeBenchOptions {
    fn default() -> Self {
        Self { load: LoadConfig::default(), analyze: false, repeats: DEFAULT_REPEATS }
    }
}

/// One file's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTiming {
    /// The file.
    pub path: PathBuf,
    /// Decoded duration in seconds.
    pub audio_s: f64,
    /// Best decode time in seconds.
    pub decode_s: f64,
    /// Best full-analysis time in seconds (decode included), when asked for.
    pub analyze_s: Option<f64>,
}

/// The totals over every file that decoded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BenchTotals {
    /// Files timed.
    pub files: usize,
    /// Files that failed to decode.
    pub failed: usize,
    /// Seconds of audio.
    pub audio_s: f64,
    /// Seconds spent decoding.
    pub decode_s: f64,
    /// Seconds spent analysing (decode included), when asked for.
    pub analyze_s: Option<f64>,
}

impl BenchTotals {
    /// Decode speed in x realtime.
    pub fn decode_x_realtime(&self) -> f64 {
        x_realtime(self.audio_s, self.decode_s)
    }
}

fn x_realtime(audio_s: f64, s: f64) -> f64 {
    if s > 0.0 { audio_s / s } else { 0.0 }
}

fn best_of<T>(repeats: usize, mut f: impl FnMut() -> Result<T, AnalyzerError>) -> Result<(f64, T), AnalyzerError> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let v = f()?;
        best = best.min(t0.elapsed().as_secs_f64());
        last = Some(v);
    }
    Ok((best, last.expect("at least one run")))
}

/// Times one file.
///
/// # Errors
/// The read or decode error of the file.
pub fn time_file(
    path: &std::path::Path,
    opts: &DecodeBenchOptions,
    analyzer: &Analyzer,
) -> Result<FileTiming, AnalyzerError> {
    audio::regular_file_metadata(path)?;
    let bytes = std::fs::read(path).map_err(|e| AnalyzerError::Io { path: Some(path.to_path_buf()), source: e })?;
    let ext = path.extension().and_then(|e| e.to_str());
    let (decode_s, decoded) = best_of(opts.repeats, || audio::load_bytes(bytes.clone(), ext, &opts.load))?;
    let audio_s = decoded.source.duration_seconds();
    drop(decoded);
    let analyze_s =
        if opts.analyze { Some(best_of(opts.repeats, || analyzer.analyze_bytes(bytes.clone(), ext))?.0) } else { None };
    Ok(FileTiming { path: path.to_path_buf(), audio_s, decode_s, analyze_s })
}

/// Times every file, printing one row per file and a `TOTAL` row to `out` and failures to
/// `err`; returns the totals.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad configuration; per-file failures are counted,
/// not returned.
pub fn run(
    files: &[PathBuf],
    opts: &DecodeBenchOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<BenchTotals, AnalyzerError> {
    let analyzer = Analyzer::new(AnalysisConfig::default().with_load(opts.load.clone()))?;
    let mut totals = BenchTotals { analyze_s: opts.analyze.then_some(0.0), ..BenchTotals::default() };
    let _ = writeln!(
        out,
        "{:<48} {:>9} {:>10} {:>10} {:>11} {:>10}",
        "file", "audio_s", "decode_s", "decode_xrt", "analyze_s", "analyze_xrt"
    );
    for path in files {
        match time_file(path, opts, &analyzer) {
            Ok(t) => {
                totals.files += 1;
                totals.audio_s += t.audio_s;
                totals.decode_s += t.decode_s;
                if let (Some(sum), Some(a)) = (totals.analyze_s.as_mut(), t.analyze_s) {
                    *sum += a;
                }
                let name = path.file_name().map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy());
                let _ = writeln!(out, "{}", row(&name, t.audio_s, t.decode_s, t.analyze_s));
            }
            Err(e) => {
                totals.failed += 1;
                let _ = writeln!(err, "{}: [{}] {e}", path.display(), e.kind().as_str());
            }
        }
    }
    let _ = writeln!(out, "{}", row("TOTAL", totals.audio_s, totals.decode_s, totals.analyze_s));
    if let Some(a) = totals.analyze_s {
        let ratio = if totals.decode_s > 0.0 { a / totals.decode_s } else { 0.0 };
        let _ = writeln!(out, "analysis / decode-only time: {ratio:.2}");
    }
    Ok(totals)
}

fn row(name: &str, audio_s: f64, decode_s: f64, analyze_s: Option<f64>) -> String {
    let (a, axrt) = match analyze_s {
        Some(a) => (format!("{a:.4}"), format!("{:.0}", x_realtime(audio_s, a))),
        None => ("-".into(), "-".into()),
    };
    format!("{name:<48} {audio_s:>9.2} {decode_s:>10.4} {:>10.0} {a:>11} {axrt:>10}", x_realtime(audio_s, decode_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(rel: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(rel)
    }

    #[test]
    fn times_good_files_and_counts_bad_ones() {
        let files = [testdata("formats/s16.flac"), testdata("misc/not_audio.mp3"), testdata("misc/mono8k.wav")];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let opts = DecodeBenchOptions { analyze: true, ..DecodeBenchOptions::default() };
        let t = run(&files, &opts, &mut out, &mut err).unwrap();
        assert_eq!((t.files, t.failed), (2, 1));
        assert!((t.audio_s - 1.5).abs() < 1e-6, "{}", t.audio_s);
        assert!(t.decode_s > 0.0 && t.decode_x_realtime() > 0.0);
        assert!(t.analyze_s.is_some_and(|a| a > 0.0));
        let out = String::from_utf8(out).unwrap();
        assert!(out.lines().any(|l| l.starts_with("TOTAL")), "{out}");
        assert!(out.contains("analysis / decode-only time"), "{out}");
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("not_audio.mp3") && err.contains("[unsupported_format]"), "{err}");
    }

    #[test]
    fn decode_only_leaves_analysis_out() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let t = run(&[testdata("formats/s16.wav")], &DecodeBenchOptions::default(), &mut out, &mut err).unwrap();
        assert_eq!(t.analyze_s, None);
        assert!(!String::from_utf8(out).unwrap().contains("analysis / decode-only"));
    }
}
