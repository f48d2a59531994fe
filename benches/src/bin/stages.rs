//! Per-stage time breakdown of a full analysis, single thread, in x realtime.
//!
//! ```text
//! cargo run --release -p analyzer-benches --bin stages -- [--repeats N] [--max-seconds S] FILES...
//! ```
//!
//! Each file is read into memory first (disk speed does not count). Every stage is timed on
//! its own, in the order the analysis runs it, and each figure is the best of `--repeats` runs
//! (default 3) per file, summed over the files. `--max-seconds S` analyses only the first `S`
//! seconds of each file (e.g. 30 for a "30-s clip" figure). The decode rows are nested:
//! "decode" is decode and channel mixdown at the source rate, "+ resample" adds the resampler
//! to 22050 Hz, "+ loudness meter" adds the BS.1770 meter (the full `load_bytes` the analysis
//! uses). The last rows time the whole `Analyzer::analyze_bytes` (decode included) without and
//! with the timeline, so the sum of the stage rows can be checked against them; the "after decode"
//! rows time `Analyzer::analyze_decoded` on the decoded signal with the tempo and key stages
//! only, with every stage, and with every stage and the timeline (the marginal costs of the
//! descriptors and of the timeline).

use std::path::PathBuf;
use std::time::Instant;

use analyzer_core::analysis::{AnalysisConfig, Analyzer, Stage, Stages};
use analyzer_core::audio::{LoadConfig, load_bytes};
use analyzer_core::descriptors::{self, MusicalContext};
use analyzer_core::rhythm::{self, RhythmConfig, SuperFlux};
use analyzer_core::structure;
use analyzer_core::tonal::{self, KeyConfig};

/// Default number of runs per stage and file (the best one counts).
const DEFAULT_REPEATS: usize = 3;

/// Times `f` `repeats` times and returns the best wall time in seconds and the last result.
fn best_of<T>(repeats: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let v = std::hint::black_box(f());
        best = best.min(t0.elapsed().as_secs_f64());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

/// One row of the table: a stage and its summed best time.
struct Row {
    name: &'static str,
    seconds: f64,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mut repeats = DEFAULT_REPEATS;
    let mut max_seconds: Option<f64> = None;
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--repeats" => repeats = args.next().and_then(|v| v.parse().ok()).expect("--repeats N"),
            "--max-seconds" => max_seconds = Some(args.next().and_then(|v| v.parse().ok()).expect("--max-seconds S")),
            _ => files.push(PathBuf::from(a)),
        }
    }
    assert!(!files.is_empty(), "usage: stages [--repeats N] [--max-seconds S] FILES...");

    let load_full = LoadConfig { max_duration_s: max_seconds, truncate_long_input: true, ..LoadConfig::default() };
    let load_native = LoadConfig { sr: None, loudness: None, ..load_full.clone() };
    let load_resampled = LoadConfig { loudness: None, ..load_full.clone() };
    let analysis = AnalysisConfig::default().with_load(load_full.clone());
    let analyzer = Analyzer::new(analysis.clone()).expect("default config");
    let analyzer_tl = Analyzer::new(analysis.clone().with_timeline(true)).expect("default config");
    let tempo_key = Stages::none().with(Stage::Rhythm).with(Stage::Key);
    let analyzer_tk = Analyzer::new(analysis.with_stages(tempo_key)).expect("default config");
    let rcfg = RhythmConfig::default();
    let kcfg = KeyConfig::default();
    let dcfg = descriptors::DescriptorConfig::default();
    let scfg = structure::FrameFeatureConfig::default();

    let names = [
        "decode + mixdown (source rate)",
        "  + resample to 22050 Hz",
        "  + loudness meter (= load_bytes)",
        "onset: SuperFlux STFT + filterbank + flux",
        "onset peaks",
        "tempo",
        "beats",
        "meter, bars, tatums",
        "key: HPCP STFT + key",
        "descriptors: features STFT + model",
        "timeline frame features (STFT 2048/512/2)",
        "Analyzer::analyze_bytes (no timeline)",
        "Analyzer::analyze_bytes (timeline)",
        "after decode: tempo + key stages only",
        "after decode: all stages (+ descriptors)",
        "after decode: all stages + timeline",
    ];
    let mut rows: Vec<Row> = names.iter().map(|&name| Row { name, seconds: 0.0 }).collect();
    let mut audio_s = 0.0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        let ext = ext.as_deref();
        let dec = |cfg: &LoadConfig| load_bytes(bytes.clone(), ext, cfg).expect("decodes");
        let (t, _) = best_of(repeats, || dec(&load_native));
        rows[0].seconds += t;
        let (t, _) = best_of(repeats, || dec(&load_resampled));
        rows[1].seconds += t;
        let (t, decoded) = best_of(repeats, || dec(&load_full));
        rows[2].seconds += t;
        audio_s += decoded.samples.len() as f64 / decoded.sample_rate as f64;
        let y = &decoded.samples;
        let sr = decoded.sample_rate;

        let (t, os) = best_of(repeats, || SuperFlux::new(rcfg.onset.clone(), sr).expect("config").compute(y));
        rows[3].seconds += t;
        let fps = os.frame_rate;
        let (t, _) = best_of(repeats, || rhythm::onset_detect(&os.envelope, fps, &rcfg.onset_peaks).expect("ok"));
        rows[4].seconds += t;
        let (t, tempo) = best_of(repeats, || rhythm::estimate_tempo(&os.envelope, fps, &rcfg.tempo).expect("ok"));
        rows[5].seconds += t;
        let (t, beats) = best_of(repeats, || {
            rhythm::track_beats(&os.envelope, fps, tempo.bpm, tempo.confidence, &rcfg.beats).expect("ok")
        });
        rows[6].seconds += t;
        let (t, _) = best_of(repeats, || {
            rhythm::analyze_meter(
                &os.envelope,
                &os.spectrogram,
                fps,
                &beats.frames,
                &beats.confidence,
                tempo.confidence,
                &rcfg.meter,
            )
            .expect("ok")
        });
        rows[7].seconds += t;
        let (t, key) = best_of(repeats, || tonal::estimate_key(y, sr, &kcfg).expect("ok"));
        rows[8].seconds += t;
        let context = MusicalContext {
            tempo: Some(tempo.bpm),
            tempo_confidence: Some(tempo.confidence),
            beat_times: beats.times.clone(),
            mode: (key.key >= 0).then_some(key.mode),
            mode_confidence: Some(key.mode_confidence),
            key_confidence: Some(key.key_confidence),
        };
        let (t, _) = best_of(repeats, || {
            descriptors::compute_descriptors(y, sr, decoded.loudness.as_ref(), &context, &dcfg).expect("ok")
        });
        rows[9].seconds += t;
        let (t, _) = best_of(repeats, || structure::frame_features(y, sr, &scfg).expect("ok"));
        rows[10].seconds += t;
        let (t, _) = best_of(repeats, || analyzer.analyze_bytes(bytes.clone(), ext).expect("ok"));
        rows[11].seconds += t;
        let (t, _) = best_of(repeats, || analyzer_tl.analyze_bytes(bytes.clone(), ext).expect("ok"));
        rows[12].seconds += t;
        // The marginal costs, on the same decoded signal (the planned path of the analyzer).
        let (t, _) = best_of(repeats, || analyzer_tk.analyze_decoded(decoded.clone(), None).expect("ok"));
        rows[13].seconds += t;
        let (t, _) = best_of(repeats, || analyzer.analyze_decoded(decoded.clone(), None).expect("ok"));
        rows[14].seconds += t;
        let (t, _) = best_of(repeats, || analyzer_tl.analyze_decoded(decoded.clone(), None).expect("ok"));
        rows[15].seconds += t;
    }

    println!("{} files, {:.1} s of audio, best of {repeats}, single thread", files.len(), audio_s);
    println!("{:<44} {:>10} {:>8} {:>12}", "stage", "ms/file", "share", "x realtime");
    let whole = rows[11].seconds;
    for (i, r) in rows.iter().enumerate() {
        // The decode rows are nested: show the increments as shares of the whole.
        let own = match i {
            1 | 2 => r.seconds - rows[i - 1].seconds,
            _ => r.seconds,
        };
        let share = if i >= 11 { String::new() } else { format!("{:.1}%", 100.0 * own / whole) };
        println!(
            "{:<44} {:>10.2} {:>8} {:>12.0}",
            r.name,
            1000.0 * r.seconds / files.len() as f64,
            share,
            audio_s / r.seconds
        );
    }
    let stage_sum: f64 = rows[2].seconds + rows[3..10].iter().map(|r| r.seconds).sum::<f64>();
    println!(
        "sum of stages (load_bytes + onset..descriptors) {:.2} ms/file; decode-only share of the whole {:.1}%; \
         whole / (decode + resample) = {:.2}",
        1000.0 * stage_sum / files.len() as f64,
        100.0 * rows[1].seconds / whole,
        whole / rows[1].seconds
    );
    println!(
        "after decode: descriptors add {:.1}% to the tempo + key analysis; the timeline adds {:.1}% to all stages",
        100.0 * (rows[14].seconds / rows[13].seconds - 1.0),
        100.0 * (rows[15].seconds / rows[14].seconds - 1.0)
    );
}
