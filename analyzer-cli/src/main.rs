//! `audio-analyzer`: the batch front end of analyzer-core.
//!
//! `audio-analyzer analyze INPUT...` analyses files, directories (recursive, audio extensions),
//! a `--manifest` and paths on stdin (`-`), in parallel, and writes one record per track as
//! JSON Lines (stdout by default), CSV or Parquet (`-o out.csv`, `-o out.parquet`). Bad files go
//! to stderr and to `--errors FILE` (JSON Lines) and never stop the batch. Rerunning the same
//! command after a crash continues where it stopped; `--snapshot PREV` reuses the records of
//! unchanged tracks. `audio-analyzer merge` folds snapshots;
//! `audio-analyzer decode-bench FILES...` measures the decode floor (and, with `--analyze`, the
//! ratio of the full analysis to it) on the same files. See `analyzer-cli/SCHEMA.md`.
//!
//! Exit codes: `0` every input analysed (or carried over); `1` at least one input failed (all
//! others were written); `2` usage error (bad arguments, bad manifest); `3` fatal error (an
//! output, the errors file or the snapshot cannot be read or written).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use analyzer_core::audio::{self, LoadConfig};
use clap::{Parser, Subcommand};

use analyzer_cli::batch::{self, BatchOptions, Destination};
use analyzer_cli::decode_bench::{self, DecodeBenchOptions};
use analyzer_cli::output::{self, Format};
use analyzer_cli::track::TrackOptions;
use analyzer_cli::{inputs, merge};

/// Exit code when some inputs failed.
const EXIT_PARTIAL_FAILURE: u8 = 1;
/// Exit code for a usage error (also clap's).
const EXIT_USAGE: u8 = 2;
/// Exit code when an output cannot be written (or a snapshot read).
const EXIT_FATAL: u8 = 3;
/// The `-o` value that means standard output.
const STDOUT_ARG: &str = "-";
/// Most worker threads `--jobs` accepts: more than any machine's cores. A larger value (a typo,
/// or a file count given as the job count) would start that many threads: with 1,000,000 the
/// process spun for minutes starting them and then aborted.
const MAX_JOBS: usize = 1024;

#[derive(Debug, Parser)]
#[command(
    name = "audio-analyzer",
    version,
    about = "Music analysis: tempo, key, loudness and more, for one file or millions",
    after_help = "Exit codes: 0 all inputs ok; 1 some inputs failed (the rest were written); \
                  2 usage error; 3 fatal output/snapshot error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Analyse audio files and write one record per track (JSON Lines on stdout by default).
    Analyze(AnalyzeArgs),
    /// Time decoding (read into memory, decode, mixdown, resample, loudness meter: exactly as
    /// `analyze` does it), single thread, and print seconds and x realtime per file and in total;
    /// with `--analyze` also time the full analysis of the same bytes and print the ratio.
    DecodeBench(DecodeBenchArgs),
    /// Fold a full snapshot and daily outputs into a new full snapshot (last write wins per id).
    Merge {
        /// Snapshot files in order, oldest first (.jsonl, .csv or .parquet).
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// The merged snapshot (written atomically; may be one of the inputs).
        #[arg(short, long)]
        output: PathBuf,
        /// Output format (default: from the extension of --output).
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
}

#[derive(Debug, clap::Args)]
struct AnalyzeArgs {
    /// Audio files, directories (searched recursively for audio extensions), or `-` to read
    /// paths from stdin, one per line (or NUL-terminated, with `-0`). The record id is the path
    /// as given (a name that is not UTF-8 has its invalid bytes written as `%XX`).
    #[arg(required_unless_present = "manifest")]
    inputs: Vec<OsString>,
    /// Paths read from stdin (`-`) end with a NUL byte instead of a newline, as `find -print0`
    /// writes them: names may then contain newlines.
    #[arg(short = '0', long)]
    null: bool,
    /// Manifest of inputs: lines `id<TAB>path` (need not be UTF-8) or JSON Lines `{"id": ...,
    /// "path": ...}`; relative paths are relative to the manifest's directory.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Output file (`.jsonl`, `.csv`, `.parquet`) or `-` for JSON Lines on stdout. Rerunning
    /// with an existing output resumes: tracks already in it (same content hash and analyzer
    /// version) are not analysed again.
    #[arg(short, long)]
    output: Option<String>,
    /// Output format (default: from the extension of --output).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write one JSON line per failed or skipped input here (id, path, kind, message).
    #[arg(long)]
    errors: Option<PathBuf>,
    /// Worker threads, 1 to 1024 (default: all cores; never more than the inputs).
    #[arg(short, long)]
    jobs: Option<usize>,
    /// Analysis sample rate in Hz: only 22050, the rate the fitted models were trained at, is
    /// accepted (files at any rate are resampled to it).
    #[arg(long, default_value_t = analyzer_core::DEFAULT_SAMPLE_RATE)]
    sr: u32,
    /// Analyse at most this many seconds of each file (longer files are truncated with a
    /// warning, or skipped with --skip-long). Default: the decoder's limit of 3 hours (longer
    /// files fail).
    #[arg(long, value_name = "SECONDS")]
    max_duration: Option<f64>,
    /// Fail a file whose decoded signal (mono f32 at --sr) would exceed this many MiB, a guard
    /// against memory exhaustion (0: no limit).
    #[arg(long, value_name = "MB", default_value_t = audio::DEFAULT_MAX_DECODED_BYTES / batch::BYTES_PER_MB)]
    max_decoded_mb: u64,
    /// Fail a file with more channels than this.
    #[arg(long, value_name = "N", default_value_t = audio::MAX_CHANNELS)]
    max_channels: usize,
    /// Fail a file whose sample rate is above this, in Hz.
    #[arg(long, value_name = "HZ", default_value_t = audio::MAX_SOURCE_SAMPLE_RATE)]
    max_sample_rate: u32,
    /// Skip (instead of truncating) files longer than --max-duration.
    #[arg(long)]
    skip_long: bool,
    /// A previous full output (.jsonl, .csv or .parquet): unchanged tracks (same id, content
    /// hash and analyzer version) are carried over without decoding; the output is the full
    /// snapshot (previous records plus new ones).
    #[arg(long, value_name = "PREV")]
    snapshot: Option<PathBuf>,
    /// Leave out records (from --snapshot or an existing output) whose id is not an input.
    #[arg(long)]
    prune_missing: bool,
    /// Analyse every input again, ignoring existing and snapshot records.
    #[arg(long)]
    force: bool,
    /// Also write the end-of-run summary as a JSON object to this file.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Cap on audio bytes (encoded file + decoded signal estimate) held in memory at once.
    #[arg(long, default_value_t = batch::DEFAULT_MEMORY_BUDGET_MB, value_name = "MB")]
    memory_budget_mb: u64,
    /// Records per Parquet part file while running (parts are folded into the output at the end).
    #[arg(long, default_value_t = output::parquet::DEFAULT_PART_ROWS, value_name = "N")]
    parquet_part_rows: usize,
    /// Never show the progress bar (it is only shown when stderr is a terminal anyway).
    #[arg(long)]
    no_progress: bool,
    /// Also write each analysed track's full timeline (Spotify's `audio-analysis` JSON: meta,
    /// track, bars, beats, tatums, sections, segments) to DIR/<id>.json (an id that is not a
    /// plain file name or is over 200 bytes is rewritten, with a content-hash suffix). Tracks carried over
    /// from a snapshot or an existing output are not rewritten.
    #[arg(long, value_name = "DIR")]
    analysis: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct DecodeBenchArgs {
    /// Audio files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Decode sample rate in Hz (with --analyze, only 22050, as for `analyze`).
    #[arg(long, default_value_t = analyzer_core::DEFAULT_SAMPLE_RATE)]
    sr: u32,
    /// Also time the full analysis (without the timeline) of the same in-memory bytes.
    #[arg(long)]
    analyze: bool,
    /// Timed runs per file; the best one counts.
    #[arg(long, default_value_t = decode_bench::DEFAULT_REPEATS)]
    repeats: usize,
}

fn decode_bench_cmd(args: DecodeBenchArgs) -> ExitCode {
    let load = LoadConfig { sr: Some(args.sr), ..LoadConfig::default() };
    if let Err(e) = load.validate() {
        return usage(e);
    }
    if args.repeats == 0 {
        return usage("--repeats must be > 0");
    }
    let opts = DecodeBenchOptions { load, analyze: args.analyze, repeats: args.repeats };
    match decode_bench::run(&args.files, &opts, &mut std::io::stdout().lock(), &mut std::io::stderr().lock()) {
        Ok(t) if t.failed > 0 => ExitCode::from(EXIT_PARTIAL_FAILURE),
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => usage(e),
    }
}

fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

fn analyze(args: AnalyzeArgs) -> ExitCode {
    let load = LoadConfig {
        sr: Some(args.sr),
        max_duration_s: args.max_duration.or(LoadConfig::default().max_duration_s),
        truncate_long_input: args.max_duration.is_some() && !args.skip_long,
        max_decoded_bytes: (args.max_decoded_mb > 0).then(|| args.max_decoded_mb.saturating_mul(batch::BYTES_PER_MB)),
        max_channels: args.max_channels,
        max_sample_rate: args.max_sample_rate,
        ..LoadConfig::default()
    };
    let mut track = TrackOptions { load, ..TrackOptions::default() };
    track.analysis.timeline = args.analysis.is_some();
    if let Err(e) = track.validate() {
        return usage(e);
    }
    if args.jobs == Some(0) || args.parquet_part_rows == 0 || args.memory_budget_mb == 0 {
        return usage("--jobs, --parquet-part-rows and --memory-budget-mb must be > 0");
    }
    if args.jobs.is_some_and(|j| j > MAX_JOBS) {
        return usage(format!("--jobs must be at most {MAX_JOBS}"));
    }
    // Checked before the work: the summary is written after it.
    if let Some(p) = &args.summary_json
        && p.is_dir()
    {
        return usage(format!("--summary-json {}: is a directory", p.display()));
    }
    let destination = match args.output.as_deref() {
        None | Some(STDOUT_ARG) => match args.format {
            None | Some(Format::Jsonl) => Destination::Stdout,
            Some(f) => return usage(format!("{f:?} output needs a file (-o)")),
        },
        Some(p) => {
            let path = PathBuf::from(p);
            match args.format.or_else(|| Format::from_path(&path)) {
                Some(f) => Destination::File(path, f),
                None => return usage(format!("{p}: unknown output format (use .jsonl, .csv, .parquet or --format)")),
            }
        }
    };
    let delimiter = if args.null { inputs::StdinDelimiter::Nul } else { inputs::StdinDelimiter::Newline };
    let inputs = match inputs::collect(&args.inputs, args.manifest.as_deref(), &mut std::io::stdin().lock(), delimiter)
    {
        Ok(i) => i,
        Err(e) => return usage(e),
    };
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Some(dir) = &args.analysis
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("fatal: cannot create {}: {e}", dir.display());
        return ExitCode::from(EXIT_FATAL);
    }
    let opts = BatchOptions {
        track,
        analysis_dir: args.analysis.clone(),
        jobs,
        memory_budget_bytes: args.memory_budget_mb.saturating_mul(batch::BYTES_PER_MB),
        force: args.force,
        prune_missing: args.prune_missing,
        skip_long: args.skip_long,
        progress: !args.no_progress,
        parquet_part_rows: args.parquet_part_rows,
    };
    let summary = match batch::run(&inputs, &destination, args.snapshot.as_deref(), args.errors.as_deref(), &opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fatal: {}", e.0);
            return ExitCode::from(EXIT_FATAL);
        }
    };
    eprintln!("{}", summary.line());
    if let Some(p) = &args.summary_json {
        let text = summary.to_json().to_string() + "\n";
        // Atomically: a pipeline polling for it never reads half of it.
        if let Err(e) = output::write_file_atomic(p, |f| std::io::Write::write_all(f, text.as_bytes())) {
            eprintln!("fatal: writing {}: {e}", p.display());
            return ExitCode::from(EXIT_FATAL);
        }
    }
    if summary.failed > 0 { ExitCode::from(EXIT_PARTIAL_FAILURE) } else { ExitCode::SUCCESS }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::DecodeBench(args) => decode_bench_cmd(args),
        Command::Merge { inputs, output, format } => match merge::merge(&inputs, &output, format) {
            Ok(s) => {
                eprintln!(
                    "merge: {} records in, {} replaced, {} records out -> {}",
                    s.records_in,
                    s.replaced,
                    s.records_out,
                    output.display()
                );
                ExitCode::SUCCESS
            }
            Err(e @ merge::MergeError::UnknownFormat(_)) => usage(e),
            Err(e) => {
                eprintln!("fatal: {e}");
                ExitCode::from(EXIT_FATAL)
            }
        },
    }
}
