//! The batch runner: parallel analysis with bounded memory, ordered crash-safe output,
//! per-file errors, resume and incremental snapshots.
//!
//! Per input (in parallel, `jobs` workers pulling the next index from a shared counter):
//! 1. With a record for the id in the output (an interrupted earlier run) or in `--snapshot`,
//!    and no `--force`: read and hash the file (no decode). Same content hash and analyzer
//!    version → *resumed* (already in the output) or *carried over* (the snapshot record is
//!    written, with `path` updated to the current input). Otherwise go on to 2.
//! 2. Decode from the bytes already read and analyse → *ok*, or a typed error → *failed*
//!    (or *skipped* for a file over `--max-duration` with `--skip-long`).
//!
//! The main thread writes outcomes in input order (a small reorder buffer), so the output is
//! deterministic whatever `jobs` is. After the inputs, snapshot records of ids that are no
//! longer inputs are appended (*kept*) unless `--prune-missing`. When a record superseded one
//! already in the output, or pruning removed some, the output is rewritten atomically at the
//! end with one record per id (Parquet is always finalized that way).

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use analyzer_core::analysis::Analyzer;
use analyzer_core::{ANALYZER_VERSION, AnalyzerError, ErrorKind};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use serde::Serialize;

use crate::budget::{self, Budget};
use crate::output::{self, Format, Sink};
use crate::record::Record;
use crate::snapshot::Snapshot;
use crate::summary::Summary;
use crate::track::{self, Content, TrackInput, TrackOptions};

/// Milliseconds per second.
const MS_PER_S: f64 = 1000.0;
/// Default `--memory-budget-mb`.
pub const DEFAULT_MEMORY_BUDGET_MB: u64 = 2048;
/// Bytes per MiB.
pub const BYTES_PER_MB: u64 = 1024 * 1024;
/// Progress bar template (count, rate, ETA).
const PROGRESS_TEMPLATE: &str = "{bar:40} {pos}/{len} files  {rate}  ETA {eta}";

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Per-track analysis options.
    pub track: TrackOptions,
    /// Write each analysed track's `audio-analysis` document (JSON) into this directory.
    pub analysis_dir: Option<std::path::PathBuf>,
    /// Worker threads.
    pub jobs: usize,
    /// Cap on bytes (encoded files held + estimated analysis records) held by workers at once.
    pub memory_budget_bytes: u64,
    /// Re-analyse even when a current record exists.
    pub force: bool,
    /// Drop snapshot / output records whose id is not among the inputs.
    pub prune_missing: bool,
    /// Count a `limit_exceeded` error (over `--max-duration` with `--skip-long`) as skipped.
    pub skip_long: bool,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
    /// Records per Parquet part while running.
    pub parquet_part_rows: usize,
}

/// Where the records go.
#[derive(Debug, Clone)]
pub enum Destination {
    /// JSON Lines on stdout (no resume).
    Stdout,
    /// A file in a format.
    File(PathBuf, Format),
}

/// One row of the errors stream.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorRow {
    /// The input's id.
    pub id: String,
    /// The input's path.
    pub path: String,
    /// Stable error kind (`not_found`, `unsupported_format`, `decode`, `empty`, ...).
    pub kind: String,
    /// Human-readable message.
    pub message: String,
}

/// A fatal error: the run stops (exit code 3).
#[derive(Debug)]
pub struct Fatal(pub String);

enum Outcome {
    Analysed { record: Record, warnings: Vec<String>, audio_s: f64 },
    Carried(Record),
    Resumed { carried: bool },
    Failed(ErrorRow),
    Skipped(ErrorRow),
}

/// What the workers consult (read only).
struct Known {
    output: Snapshot,
    previous: Snapshot,
}

fn error_row(input: &TrackInput, e: &AnalyzerError) -> ErrorRow {
    ErrorRow {
        id: input.id.clone(),
        path: input.path_string(),
        kind: e.kind().as_str().to_string(),
        message: e.to_string(),
    }
}

/// [`process_unguarded`] with any panic (a bug in the core or a decoder) turned into a recorded
/// `internal` failure of that input, so that the batch goes on.
fn process(
    input: &TrackInput,
    known: &Known,
    opts: &BatchOptions,
    analyzer: &Analyzer,
    budget: &Budget,
    decoded: &AtomicUsize,
) -> Outcome {
    let run = || process_unguarded(input, known, opts, analyzer, budget, decoded);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
        .unwrap_or_else(|panic| Outcome::Failed(error_row(input, &AnalyzerError::from_panic(panic))))
}

fn process_unguarded(
    input: &TrackInput,
    known: &Known,
    opts: &BatchOptions,
    analyzer: &Analyzer,
    budget: &Budget,
    decoded: &AtomicUsize,
) -> Outcome {
    let in_output = if opts.force { None } else { known.output.get(&input.id) };
    let in_previous = if opts.force { None } else { known.previous.get(&input.id) };
    let candidate = in_output.is_some() || in_previous.is_some();
    let size = std::fs::metadata(&input.path).map(|m| m.len()).unwrap_or(0);
    let held = size.min(opts.track.in_memory_limit_bytes);
    let full = held.saturating_add(budget::analysis_estimate(
        size,
        opts.track.load.sr.unwrap_or(analyzer_core::DEFAULT_SAMPLE_RATE),
        opts.track.load.max_duration_s,
    ));
    let mut permit = budget.acquire(if candidate { held } else { full });
    let file = match track::read_and_hash(&input.path, &opts.track) {
        Ok(f) => f,
        Err(e) => return Outcome::Failed(error_row(input, &e)),
    };
    if candidate {
        let prev_current = in_previous.filter(|r| r.is_current(&file.content_hash, ANALYZER_VERSION));
        if in_output.is_some_and(|r| r.is_current(&file.content_hash, ANALYZER_VERSION)) {
            return Outcome::Resumed { carried: prev_current.is_some() };
        }
        if let Some(prev) = prev_current {
            return Outcome::Carried(Record { path: input.path_string(), ..prev.clone() });
        }
        let keep = matches!(file.content, Content::Bytes(_));
        drop(permit);
        permit = budget.acquire(if keep { full } else { full - held });
    }
    decoded.fetch_add(1, Ordering::Relaxed);
    let result = track::analyze_hashed_with(input, file, analyzer);
    drop(permit);
    match result {
        Ok(a) => {
            if let (Some(dir), Some(doc)) = (&opts.analysis_dir, &a.audio_analysis)
                && let Err(e) = track::write_analysis(dir, &a.record.id, &a.record.content_hash, doc)
            {
                return Outcome::Failed(error_row(input, &e));
            }
            let audio_s = a.record.duration_ms as f64 / MS_PER_S;
            Outcome::Analysed { record: a.record, warnings: a.warnings, audio_s }
        }
        Err(e) if opts.skip_long && e.kind() == ErrorKind::LimitExceeded => Outcome::Skipped(error_row(input, &e)),
        Err(e) => Outcome::Failed(error_row(input, &e)),
    }
}

/// Messages on stderr that do not tear the progress bar.
struct Log {
    bar: ProgressBar,
}

impl Log {
    fn say(&self, msg: &str) {
        if self.bar.is_hidden() {
            eprintln!("{msg}");
        } else {
            self.bar.suspend(|| eprintln!("{msg}"));
        }
    }
}

/// The writer side: output sink, final record set, errors stream, counters.
struct Writer<'a> {
    sink: Box<dyn Sink>,
    /// The complete output content (not kept for stdout).
    all: Option<Snapshot>,
    dirty: bool,
    errors: Option<std::fs::File>,
    previous: &'a Snapshot,
    summary: Summary,
    log: Log,
}

impl Writer<'_> {
    fn write(&mut self, record: Record) -> Result<(), Fatal> {
        self.sink.write(&record).map_err(|e| Fatal(format!("writing the output: {e}")))?;
        if let Some(all) = &mut self.all {
            self.dirty |= all.upsert(record);
        }
        Ok(())
    }

    fn error(&mut self, row: &ErrorRow, skipped: bool) -> Result<(), Fatal> {
        let label = if skipped { "skipped" } else { "error" };
        self.log.say(&format!("{label}: {}: [{}] {}", row.path, row.kind, row.message));
        if let Some(f) = &mut self.errors {
            let mut line = serde_json::to_vec(row).map_err(|e| Fatal(e.to_string()))?;
            line.push(b'\n');
            f.write_all(&line).and_then(|_| f.flush()).map_err(|e| Fatal(format!("writing the errors file: {e}")))?;
        }
        Ok(())
    }

    fn outcome(&mut self, input: &TrackInput, outcome: Outcome) -> Result<(), Fatal> {
        match outcome {
            Outcome::Analysed { record, warnings, audio_s } => {
                for w in warnings {
                    self.log.say(&format!("warning: {}: {w}", record.path));
                }
                self.summary.ok += 1;
                self.summary.audio_seconds += audio_s;
                self.write(record)?;
            }
            Outcome::Carried(record) => {
                self.summary.carried_over += 1;
                self.write(record)?;
            }
            Outcome::Resumed { carried } => {
                if carried {
                    self.summary.carried_over += 1;
                } else {
                    self.summary.resumed += 1;
                }
            }
            Outcome::Failed(row) => {
                self.summary.failed += 1;
                self.error(&row, false)?;
                self.keep_previous(&input.id)?;
            }
            Outcome::Skipped(row) => {
                self.summary.skipped += 1;
                self.error(&row, true)?;
                self.keep_previous(&input.id)?;
            }
        }
        Ok(())
    }

    /// A track that failed now keeps its snapshot record (unless the output already has one).
    fn keep_previous(&mut self, id: &str) -> Result<(), Fatal> {
        let already = self.all.as_ref().is_some_and(|a| a.contains(id));
        if let (false, Some(prev)) = (already, self.previous.get(id)) {
            self.summary.kept += 1;
            self.write(prev.clone())?;
        }
        Ok(())
    }
}

/// Runs a batch. Returns the summary; per-file failures are in it, not errors.
///
/// # Errors
/// [`Fatal`] when the output, the errors file or the snapshot cannot be read or written.
pub fn run(
    inputs: &[TrackInput],
    destination: &Destination,
    snapshot: Option<&Path>,
    errors_path: Option<&Path>,
    opts: &BatchOptions,
) -> Result<Summary, Fatal> {
    let start = Instant::now();
    let previous = match snapshot {
        Some(p) => {
            let format = Format::from_path(p).ok_or_else(|| {
                Fatal(format!("{}: unknown snapshot format (use .jsonl, .csv or .parquet)", p.display()))
            })?;
            let records = output::read_records(p, format).map_err(|e| Fatal(format!("reading the snapshot: {e}")))?;
            Snapshot::from_records(records).0
        }
        None => Snapshot::new(),
    };
    let (sink, existing): (Box<dyn Sink>, Vec<Record>) = match destination {
        Destination::Stdout => (Box::new(output::StdoutSink::new()), Vec::new()),
        Destination::File(path, format) => {
            if *format == Format::Parquet {
                let (mut s, r) = output::parquet::ParquetSink::open(path)
                    .map_err(|e| Fatal(format!("opening {}: {e}", path.display())))?;
                s.rows_per_part = opts.parquet_part_rows;
                (Box::new(s), r)
            } else {
                output::open_sink(path, *format).map_err(|e| Fatal(format!("opening {}: {e}", path.display())))?
            }
        }
    };
    let (output_set, had_duplicates) = Snapshot::from_records(existing);
    let errors = match errors_path {
        Some(p) => Some(std::fs::File::create(p).map_err(|e| Fatal(format!("creating {}: {e}", p.display())))?),
        None => None,
    };
    let keep_all = matches!(destination, Destination::File(..));
    let known = Known { output: output_set.clone(), previous };
    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(inputs.len() as u64);
        if let Ok(style) = ProgressStyle::with_template(PROGRESS_TEMPLATE) {
            bar.set_style(style.with_key("rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = std::fmt::Write::write_fmt(w, format_args!("{:.1} files/s", state.per_sec()));
            }));
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut writer = Writer {
        sink,
        all: if keep_all { Some(output_set) } else { None },
        dirty: had_duplicates,
        errors,
        previous: &known.previous,
        summary: Summary { inputs: inputs.len(), ..Summary::default() },
        log: Log { bar: bar.clone() },
    };

    // One analyzer (configuration and stage plans) for the whole batch, shared by the workers.
    let analyzer = opts.track.analyzer().map_err(|e| Fatal(format!("invalid analysis options: {e}")))?;
    let analyzer = &analyzer;
    // More workers than inputs would only start idle threads.
    let jobs = opts.jobs.clamp(1, inputs.len().max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("analyze-{i}"))
        .build()
        .map_err(|e| Fatal(format!("starting the thread pool: {e}")))?;
    let budget = Budget::new(opts.memory_budget_bytes);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let decoded = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let mut fatal = None;
    pool.in_place_scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, stop, known, budget, decoded) = (&next, &stop, &known, &budget, &decoded);
            scope.spawn(move |_| {
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    let outcome = process(input, known, opts, analyzer, budget, decoded);
                    if tx.send((i, outcome)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending = BTreeMap::new();
        let mut emitted = 0usize;
        for (i, outcome) in rx.iter() {
            pending.insert(i, outcome);
            while let Some(outcome) = pending.remove(&emitted) {
                if let Err(e) = writer.outcome(&inputs[emitted], outcome) {
                    fatal = Some(e);
                    stop.store(true, Ordering::Relaxed);
                    return;
                }
                emitted += 1;
                bar.inc(1);
            }
        }
    });
    bar.finish_and_clear();
    if let Some(e) = fatal {
        return Err(e);
    }

    // Snapshot records whose ids are no longer inputs.
    let input_ids: HashSet<&str> = inputs.iter().map(|i| i.id.as_str()).collect();
    for prev in known.previous.records() {
        if input_ids.contains(prev.id.as_str()) {
            continue;
        }
        if opts.prune_missing {
            if !writer.all.as_ref().is_some_and(|a| a.contains(&prev.id)) {
                writer.summary.pruned += 1;
            }
        } else if !writer.all.as_ref().is_some_and(|a| a.contains(&prev.id)) {
            writer.summary.kept += 1;
            writer.write(prev.clone())?;
        }
    }
    if opts.prune_missing
        && let Some(all) = &mut writer.all
    {
        let removed = all.retain(|r| input_ids.contains(r.id.as_str()));
        writer.summary.pruned += removed;
        writer.dirty |= removed > 0;
    }
    writer.summary.decoded = decoded.load(Ordering::Relaxed);
    writer.summary.records = match &writer.all {
        Some(all) => all.len(),
        None => writer.summary.ok + writer.summary.carried_over + writer.summary.kept,
    };
    let full = writer.dirty || writer.sink.needs_full_list();
    let all = writer.all.take();
    let list = if full { all.as_ref().map(Snapshot::records) } else { None };
    writer.sink.finish(list).map_err(|e| Fatal(format!("finishing the output: {e}")))?;
    if let Some(f) = &mut writer.errors {
        f.sync_all().map_err(|e| Fatal(format!("writing the errors file: {e}")))?;
    }
    writer.summary.wall_seconds = start.elapsed().as_secs_f64();
    Ok(writer.summary)
}
