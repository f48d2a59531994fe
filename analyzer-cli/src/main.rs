//! `audio-analyzer`: the batch front end of analyzer-core.
//!
//! `audio-analyzer analyze FILE...` prints one JSON object per input on stdout (JSON Lines).
//! A file that fails is reported on stderr with its path and error kind; the others still
//! print.
//!
//! Exit codes: `0` every file analysed; `1` at least one file failed (the rest were written);
//! `2` usage error (bad arguments).

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use analyzer_core::audio::{self, LoadConfig};
use analyzer_core::{ANALYZER_VERSION, AnalyzerError};
use clap::{Parser, Subcommand};
use serde::Serialize;

/// Exit code when some inputs failed.
const EXIT_PARTIAL_FAILURE: u8 = 1;
/// Exit code when the output itself cannot be written.
const EXIT_FATAL: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "audio-analyzer",
    version,
    about = "Music analysis: tempo, key, loudness and more, for one file or millions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse audio files and print one JSON record per file (JSON Lines) on stdout.
    Analyze {
        /// Audio files (WAV, FLAC, MP3, Ogg Vorbis, AAC/M4A, ALAC, AIFF).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Analysis sample rate in Hz.
        #[arg(long, default_value_t = analyzer_core::DEFAULT_SAMPLE_RATE)]
        sr: u32,
    },
}

/// The per-file record. Later stages add the musical fields to this same record.
#[derive(Debug, Serialize)]
struct Record<'a> {
    path: &'a str,
    duration_ms: u64,
    sample_rate: u32,
    channels: u16,
    codec: &'a str,
    content_hash: String,
    analyzer_version: &'static str,
}

fn analyze_one(path: &std::path::Path, cfg: &LoadConfig) -> Result<String, AnalyzerError> {
    let content_hash = audio::content_hash_path(path)?;
    let decoded = audio::load_path(path, cfg)?;
    let src = &decoded.source;
    let record = Record {
        path: &path.to_string_lossy(),
        duration_ms: (src.duration_seconds() * 1000.0).round() as u64,
        sample_rate: src.sample_rate,
        channels: src.channels,
        codec: &src.codec,
        content_hash,
        analyzer_version: ANALYZER_VERSION,
    };
    for w in &decoded.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok(serde_json::to_string(&record).expect("records serialize"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze { files, sr } => {
            let cfg = LoadConfig { sr: Some(sr), ..LoadConfig::default() };
            if let Err(e) = cfg.validate() {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            let mut failed = 0usize;
            for path in &files {
                match analyze_one(path, &cfg) {
                    Ok(line) => {
                        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                            eprintln!("error: cannot write to stdout");
                            return ExitCode::from(EXIT_FATAL);
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("error: {}: [{}] {e}", path.display(), e.kind());
                    }
                }
            }
            if failed > 0 {
                eprintln!("{failed} of {} files failed", files.len());
                ExitCode::from(EXIT_PARTIAL_FAILURE)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
