//! Hostile input through the `audio-analyzer` binary: the corrupt corpus (every file a record
//! or a typed error row, the batch never stops), a panic forced inside the core (a recorded
//! `internal` failure, not an abort), and bit-identical output whatever `--jobs` is.

#[path = "../../analyzer-core/tests/support/corrupt.rs"]
mod corrupt;

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longest a whole CLI run of the corpus may take (about 0.02 s a file on one core; a hang
/// would show as this timeout).
const RUN_DEADLINE: Duration = Duration::from_secs(300);
/// How often a running child is polled.
const POLL: Duration = Duration::from_millis(50);
/// Worker counts compared by the determinism test.
const JOB_COUNTS: [usize; 3] = [1, 2, 4];

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

/// Runs `audio-analyzer analyze ARGS`, killing it past [`RUN_DEADLINE`].
fn analyze(args: &[&str]) -> Output {
    analyze_with_stdin(args, &[])
}

/// [`analyze`] with `stdin` on its standard input.
fn analyze_with_stdin(args: &[impl AsRef<OsStr>], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
        .arg("analyze")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    // Small enough for the pipe's buffer: written whole before the child reads.
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > RUN_DEADLINE {
            child.kill().unwrap();
            panic!("audio-analyzer ran longer than {RUN_DEADLINE:?}: a hang");
        }
        std::thread::sleep(POLL);
    }
    child.wait_with_output().unwrap()
}

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A TSV manifest `id<TAB>path` of `files` (ids: the file names).
fn manifest(dir: &Path, files: &[PathBuf]) -> PathBuf {
    let m = dir.join("manifest.tsv");
    let lines: Vec<String> =
        files.iter().map(|p| format!("{}\t{}", p.file_name().unwrap().to_string_lossy(), p.display())).collect();
    std::fs::write(&m, lines.join("\n") + "\n").unwrap();
    m
}

#[test]
fn the_corrupt_corpus_gives_a_record_or_a_typed_error_row_per_file() {
    let corpus = tempfile::tempdir().unwrap();
    let files = corrupt::generate(corpus.path());
    let work = tempfile::tempdir().unwrap();
    let m = manifest(work.path(), &files);
    let (out, errors, summary) =
        (work.path().join("out.jsonl"), work.path().join("errors.jsonl"), work.path().join("summary.json"));
    let run = analyze(&[
        "--manifest",
        m.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--errors",
        errors.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
        "--jobs",
        "2",
        "--no-progress",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "partial failure, not a crash: {stderr}");
    let (records, rows) = (json_lines(&out), json_lines(&errors));
    assert_eq!(records.len() + rows.len(), files.len(), "one outcome per file");
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for r in &rows {
        *kinds.entry(r["kind"].as_str().unwrap().to_string()).or_default() += 1;
    }
    for rec in &records {
        for field in ["tempo", "loudness", "energy", "valence", "key_confidence"] {
            assert!(rec[field].as_f64().is_some_and(f64::is_finite), "{field} of {}: {}", rec["id"], rec[field]);
        }
    }
    println!(
        "corrupt corpus (CLI): tried {} | typed error rows {} {kinds:?} | records {} | panics 0 | timeouts 0",
        files.len(),
        rows.len(),
        records.len()
    );
    assert!(!kinds.contains_key("internal"), "a panic inside the core: {rows:?}");
    assert!(!records.is_empty() && !rows.is_empty());
    let s: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(summary).unwrap()).unwrap();
    assert_eq!(s["failed"].as_u64(), Some(rows.len() as u64));
}

/// Runs `analyze INPUTS... --errors FILE --jobs 2`, expects exit code 1 (some inputs failed,
/// the batch went on) and returns the records on stdout and the error rows.
fn analyze_with_failures(inputs: &[&Path], work: &Path) -> (Vec<String>, Vec<serde_json::Value>) {
    let errors = work.join("errors.jsonl");
    let mut args: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    args.extend(["--errors", errors.to_str().unwrap(), "--jobs", "2"]);
    let run = analyze(&args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    let records = String::from_utf8(run.stdout).unwrap().lines().map(str::to_string).collect();
    (records, json_lines(&errors))
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_among_the_inputs_is_a_failed_row_not_a_hang() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("pipe.mp3");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    // Before, the FIFO blocked the worker's open for ever and /dev/zero was read into memory
    // until the process was killed.
    let (good, mp3) = (testdata().join("formats/s16.flac"), testdata().join("formats/mp3.mp3"));
    let (records, rows) = analyze_with_failures(&[&good, &fifo, Path::new("/dev/zero"), &mp3], work.path());
    assert_eq!(records.len(), 2, "the regular files were analysed");
    assert_eq!(rows.len(), 2, "{rows:?}");
    for row in &rows {
        assert_eq!(row["kind"], "io", "{row}");
        assert!(row["message"].as_str().unwrap().contains("not a regular file"), "{row}");
    }
}

/// File names that are not UTF-8 (Latin-1 from an old archive). Before, the two became one
/// lossy id (`caf\u{FFFD}.wav`) and the second was dropped as a duplicate; on stdin they stopped
/// the whole run ("stream did not contain valid UTF-8") and as arguments clap refused them.
#[cfg(target_os = "linux")]
#[test]
fn file_names_that_are_not_utf8_are_each_analysed_under_its_own_id() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let names: [&[u8]; 2] = [b"caf\xe8.wav", b"caf\xe9.wav"];
    let files: Vec<PathBuf> = names.iter().map(|n| dir.path().join(OsStr::from_bytes(n))).collect();
    for f in &files {
        std::fs::copy(testdata().join("formats/s16.wav"), f).unwrap();
    }
    let expected: Vec<String> = ["caf%E8.wav", "caf%E9.wav"].map(|n| format!("{}/{n}", dir.path().display())).into();
    let ids = |run: Output| -> Vec<String> {
        assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
        let text = String::from_utf8(run.stdout).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
            .collect()
    };
    let mut args: Vec<&OsStr> = files.iter().map(|f| f.as_os_str()).collect();
    args.push(OsStr::new("--no-progress"));
    assert_eq!(ids(analyze_with_stdin(&args, &[])), expected, "as arguments");
    assert_eq!(
        ids(analyze_with_stdin(&[dir.path().as_os_str(), OsStr::new("--no-progress")], &[])),
        expected,
        "a directory"
    );
    let lines: Vec<u8> = files.iter().flat_map(|f| [f.as_os_str().as_bytes(), b"\n"].concat()).collect();
    assert_eq!(ids(analyze_with_stdin(&["-", "--no-progress"], &lines)), expected, "on stdin");
}

/// A name holding a newline, as `find -print0 | audio-analyzer analyze -0 -` passes it: one
/// record under that name. Read by lines, the same bytes name two files that do not exist.
#[cfg(unix)]
#[test]
fn nul_separated_stdin_takes_names_with_newlines() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("two\nlines.wav");
    std::fs::copy(testdata().join("formats/s16.wav"), &odd).unwrap();
    let stdin = [odd.as_os_str().as_bytes(), b"\0"].concat();
    let run = analyze_with_stdin(&["-0", "-", "--no-progress"], &stdin);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let text = String::from_utf8(run.stdout).unwrap();
    let records: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["id"], odd.to_str().unwrap());
    let by_lines = analyze_with_stdin(&["-", "--no-progress"], &stdin);
    assert_eq!(by_lines.status.code(), Some(1), "two missing files");
}

#[test]
fn a_panic_inside_the_core_is_a_recorded_failure_not_an_abort() {
    let work = tempfile::tempdir().unwrap();
    let marked = work.path().join("panics.wav");
    std::fs::write(&marked, [analyzer_core::test_hooks::FORCE_PANIC_MARKER, &[0u8; 64]].concat()).unwrap();
    let (good, mp3) = (testdata().join("formats/s16.flac"), testdata().join("formats/mp3.mp3"));
    let (records, rows) = analyze_with_failures(&[&good, &marked, &good, &mp3], work.path());
    assert_eq!(records.len(), 2, "the files after the panic were analysed");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["kind"], "internal");
    assert!(rows[0]["message"].as_str().unwrap().contains("forced panic"), "{rows:?}");
}

#[test]
fn output_is_bit_identical_whatever_the_job_count_and_across_runs() {
    let inputs = [testdata().join("formats"), testdata().join("misc"), testdata().join("rhythm")];
    let args: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    // Records on stdout plus every `--analysis` document (the timeline), byte for byte.
    let run = |jobs: usize| {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs.to_string();
        let flags = ["--jobs", &jobs, "--no-progress", "--analysis", dir.path().to_str().unwrap()];
        let out = analyze(&[args.as_slice(), &flags].concat());
        assert!(out.status.code().is_some(), "killed by a signal");
        let mut docs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| (p.clone(), std::fs::read(p).unwrap()))
            .collect();
        docs.sort();
        let docs: Vec<(String, Vec<u8>)> =
            docs.into_iter().map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), b)).collect();
        (out.stdout, docs)
    };
    let reference = run(JOB_COUNTS[0]);
    assert!(std::str::from_utf8(&reference.0).unwrap().lines().count() >= 12);
    assert_eq!(reference.1.len(), std::str::from_utf8(&reference.0).unwrap().lines().count());
    for jobs in JOB_COUNTS {
        assert!(run(jobs) == reference, "--jobs {jobs} changed the output");
    }
    assert!(run(JOB_COUNTS[1]) == reference, "a second run changed the output");
}
