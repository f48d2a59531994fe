//! Every file of the corrupt corpus (truncations, bit flips, header lies, zero-length, ID3-only,
//! wrong extensions, garbage, huge files) through `Analyzer::analyze_bytes`: a typed error or a
//! valid result with finite numbers, within a time budget, and never a panic.

#[path = "support/corrupt.rs"]
mod corrupt;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use analyzer_core::analysis::{AnalysisConfig, Analyzer, TrackAnalysis};
use analyzer_core::audio::LoadConfig;
use analyzer_core::{AnalyzerError, ErrorKind};

/// Longest one file may take (decode + analysis, release build, native).
const TIME_BUDGET: Duration = Duration::from_secs(10);

/// Set to a factor for [`TIME_BUDGET`] when the tests run under an emulator (qemu-user runs
/// this build 10-30 times slower; `scripts/aarch64-env.sh` sets it).
const TIME_SCALE_ENV: &str = "CORRUPT_CORPUS_TIME_SCALE";

/// [`TIME_BUDGET`] times the factor in [`TIME_SCALE_ENV`], if set to a positive number.
fn time_budget() -> Duration {
    let scale = std::env::var(TIME_SCALE_ENV).ok().and_then(|v| v.parse::<f64>().ok()).filter(|s| *s > 0.0);
    scale.map_or(TIME_BUDGET, |s| TIME_BUDGET.mul_f64(s))
}

/// Set to print every file's outcome.
const VERBOSE_ENV: &str = "CORRUPT_CORPUS_VERBOSE";

/// Every number of a result must be finite and within its documented range.
fn check_valid(a: &TrackAnalysis) -> Result<(), String> {
    let f = &a.features;
    let unit = [
        ("tempo_confidence", f.tempo_confidence),
        ("time_signature_confidence", f.time_signature_confidence),
        ("key_confidence", f.key_confidence),
        ("mode_confidence", f.mode_confidence),
        ("energy", f.energy),
        ("danceability", f.danceability),
        ("speechiness", f.speechiness),
        ("acousticness", f.acousticness),
        ("instrumentalness", f.instrumentalness),
        ("liveness", f.liveness),
        ("valence", f.valence),
    ];
    for (name, v) in unit {
        if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
            return Err(format!("{name} = {v}"));
        }
    }
    for (name, v) in [("tempo", f.tempo), ("loudness", f.loudness)] {
        if !v.is_finite() {
            return Err(format!("{name} = {v}"));
        }
    }
    if !(-1..=11).contains(&f.key) || f.mode > 1 {
        return Err(format!("key {} mode {}", f.key, f.mode));
    }
    if let Some(tl) = &a.timeline {
        let times = tl.beats.iter().chain(&tl.bars).chain(&tl.tatums).flat_map(|t| [t.start, t.duration]);
        let times = times
            .chain(tl.segments.iter().flat_map(|s| {
                let levels = [s.loudness_start, s.loudness_max, s.loudness_end].into_iter();
                let vectors = s.pitches.into_iter().chain(s.timbre).chain(levels).map(f64::from);
                [s.start, s.duration, s.loudness_max_time].into_iter().chain(vectors)
            }))
            .chain(tl.sections.iter().flat_map(|s| [s.start, s.duration, s.loudness as f64]))
            .chain([tl.end_of_fade_in, tl.start_of_fade_out]);
        for t in times {
            if !t.is_finite() {
                return Err(format!("non-finite timeline value {t}"));
            }
        }
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Counts {
    tried: usize,
    valid: usize,
    typed: usize,
    by_kind: std::collections::BTreeMap<&'static str, usize>,
    failures: Vec<String>,
}

/// Runs one file in its own thread under `catch_unwind`, waiting at most [`time_budget`].
fn run_one(
    analyzer: &Arc<Analyzer>,
    bytes: Vec<u8>,
    hint: Option<String>,
) -> Result<Result<TrackAnalysis, AnalyzerError>, String> {
    let (tx, rx) = mpsc::channel();
    let a = Arc::clone(analyzer);
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| a.analyze_bytes(bytes, hint.as_deref())));
        let _ = tx.send(r);
    });
    let budget = time_budget();
    match rx.recv_timeout(budget) {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(p)) => Err(format!("PANIC: {}", AnalyzerError::from_panic(p))),
        Err(_) => Err(format!("TIMEOUT: more than {budget:?}")),
    }
}

#[test]
fn every_corrupt_file_gives_a_typed_error_or_a_valid_result() {
    // Panics anywhere, caught or not (the core catches third-party decoder panics and turns
    // them into `Decode` errors): counted and reported.
    let panics = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        seen.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let dir = tempfile::tempdir().unwrap();
    let files = corrupt::generate(dir.path());
    let analyzer = Arc::new(Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap());
    let mut c = Counts::default();
    let mut slowest = (Duration::ZERO, String::new());
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let started = Instant::now();
        let outcome = run_one(&analyzer, bytes, corrupt::hint(path));
        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, name.clone());
        }
        c.tried += 1;
        if std::env::var_os(VERBOSE_ENV).is_some() {
            let what = match &outcome {
                Ok(Ok(a)) => format!("ok {} ms {:?}", a.features.duration_ms, a.track.warnings),
                Ok(Err(e)) => format!("{}: {e}", e.kind()),
                Err(w) => w.clone(),
            };
            println!("{name}\t{took:.2?}\t{what}");
        }
        match outcome {
            Ok(Ok(a)) => match check_valid(&a) {
                Ok(()) => c.valid += 1,
                Err(why) => c.failures.push(format!("{name}: invalid result: {why}")),
            },
            Ok(Err(e)) if e.kind() == ErrorKind::Internal => c.failures.push(format!("{name}: internal error: {e}")),
            Ok(Err(e)) => {
                c.typed += 1;
                *c.by_kind.entry(e.kind().as_str()).or_default() += 1;
            }
            Err(what) => c.failures.push(format!("{name}: {what}")),
        }
    }
    let _ = std::panic::take_hook();
    println!(
        "corrupt corpus (core): tried {} | typed errors {} {:?} | valid results {} | panics caught inside \
         decoders {} | failures (panics, timeouts, invalid results) {} | slowest {:.2?} ({})",
        c.tried,
        c.typed,
        c.by_kind,
        c.valid,
        panics.load(Ordering::SeqCst),
        c.failures.len(),
        slowest.0,
        slowest.1
    );
    assert!(c.failures.is_empty(), "{} bad outcomes:\n{}", c.failures.len(), c.failures.join("\n"));
    assert_eq!(c.tried, files.len());
    assert!(c.valid > 0 && c.typed > 0, "the corpus should give both results and errors: {c:?}");
}

#[test]
fn the_huge_silent_files_hit_the_limits_when_set_low() {
    let dir = tempfile::tempdir().unwrap();
    let files = corrupt::generate(dir.path());
    let long = files.iter().find(|p| p.to_string_lossy().contains("huge__silence_10min")).unwrap();
    let bytes = std::fs::read(long).unwrap();
    let limited = |load: LoadConfig| Analyzer::new(AnalysisConfig::default().with_load(load)).unwrap();
    let by_duration = limited(LoadConfig { max_duration_s: Some(60.0), ..LoadConfig::default() });
    let e = by_duration.analyze_bytes(bytes.clone(), Some("wav")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.to_string().contains("max_duration_s"), "{e}");
    // 60 s at 22050 Hz is 5.3 MB of f32: a 4 MB cap stops the decode.
    let by_memory = limited(LoadConfig { max_decoded_bytes: Some(4 << 20), ..LoadConfig::default() });
    let e = by_memory.analyze_bytes(bytes.clone(), Some("wav")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.to_string().contains("max_decoded_bytes"), "{e}");
    // The header that claims hours over one second of audio: no allocation from the claim.
    let liar = files.iter().find(|p| p.to_string_lossy().contains("claims_hours")).unwrap();
    let a = by_memory.analyze_bytes(std::fs::read(liar).unwrap(), Some("wav")).unwrap();
    assert!(a.features.duration_ms <= 1000, "{}", a.features.duration_ms);
    assert!(a.track.warnings.iter().any(|w| w.contains("truncated")), "{:?}", a.track.warnings);
}

#[test]
fn channel_and_rate_limits_are_typed_and_configurable() {
    let wav = std::fs::read(corrupt::script().parent().unwrap().join("../formats/s16.wav")).unwrap();
    let stereo_limit = LoadConfig { max_channels: 1, ..LoadConfig::default() };
    let e = analyzer_core::audio::load_bytes(wav.clone(), Some("wav"), &stereo_limit).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
    assert!(e.to_string().contains("max_channels"), "{e}");
    let rate_limit = LoadConfig { max_sample_rate: 22050, ..LoadConfig::default() };
    let e = analyzer_core::audio::load_bytes(wav.clone(), Some("wav"), &rate_limit).unwrap_err();
    assert!(e.to_string().contains("max_sample_rate"), "{e}");
    for bad in [
        LoadConfig { max_channels: 0, ..LoadConfig::default() },
        LoadConfig { max_sample_rate: 10, ..LoadConfig::default() },
        LoadConfig { max_decoded_bytes: Some(0), ..LoadConfig::default() },
    ] {
        assert_eq!(bad.validate().unwrap_err().kind(), ErrorKind::InvalidParameter);
    }
    assert!(analyzer_core::audio::load_bytes(wav, Some("wav"), &LoadConfig::default()).is_ok());
}

/// Directory of the inputs the fuzzers found (`fuzz/README.md`), each once a crash.
fn regressions_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/regressions")
}

#[test]
fn every_fuzzer_finding_gives_a_typed_error_or_a_valid_result() {
    let mut files: Vec<_> =
        std::fs::read_dir(regressions_dir()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs in {}", regressions_dir().display());
    let analyzer = Arc::new(Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let hint = corrupt::hint(path);
        // Decoding alone, at the source rate and at the analysis rate: finite, bounded samples.
        for sr in [None, Some(22050)] {
            let load = LoadConfig { sr, ..LoadConfig::default() };
            if let Ok(audio) = analyzer_core::audio::load_bytes(bytes.clone(), hint.as_deref(), &load) {
                let bad = audio.samples.iter().filter(|v| !v.is_finite()).count();
                assert_eq!(bad, 0, "{}: {bad} non-finite samples at sr {sr:?}", path.display());
                if let Some(l) = &audio.loudness {
                    let levels = [l.integrated_lufs, l.loudness_range_lu, l.true_peak_dbtp, l.sample_peak_dbfs];
                    assert!(levels.iter().all(|v| !v.is_nan()), "{}: {l:?}", path.display());
                }
            }
        }
        match run_one(&analyzer, bytes, hint) {
            Ok(Ok(a)) => check_valid(&a).unwrap_or_else(|why| panic!("{}: {why}", path.display())),
            Ok(Err(e)) => assert_ne!(e.kind(), ErrorKind::Internal, "{}: {e}", path.display()),
            Err(what) => panic!("{}: {what}", path.display()),
        }
    }
}

#[test]
fn a_header_claiming_huge_packets_is_refused_before_any_allocation() {
    // A CAF whose description claims ~889 million frames per packet: the PCM decoder would
    // allocate its buffer (3.5 GB) from that claim (the fuzzer's out-of-memory finding).
    let caf = std::fs::read(regressions_dir().join("decode_caf__huge_packet_claim.caf")).unwrap();
    let e = analyzer_core::audio::load_bytes(caf, Some("caf"), &LoadConfig::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(e.to_string().contains("packets of"), "{e}");
}

#[test]
fn an_ape_footer_pointing_before_itself_does_not_loop_the_probe() {
    // 200 bytes of APE tag footers whose sizes point back before themselves: symphonia's probe
    // read the same footer again and again, appending a metadata revision each time, until an
    // allocation of 7.5 GB failed and aborted the process (the fuzzer's finding, decode_mkv
    // with a dictionary). Without the APE reader it is an ordinary unrecognised input.
    let bytes = std::fs::read(regressions_dir().join("decode_mkv__ape_footer_probe_loop.mkv")).unwrap();
    for hint in [Some("mkv"), Some("mp3"), None] {
        let e = analyzer_core::audio::load_bytes(bytes.clone(), hint, &LoadConfig::default()).unwrap_err();
        assert_ne!(e.kind(), ErrorKind::Internal, "{hint:?}: {e}");
    }
}
