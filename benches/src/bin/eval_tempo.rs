//! Evaluates tempo, beats and meter on a manifest of labelled recordings.
//!
//! ```text
//! cargo run --release -p analyzer-benches --bin eval_tempo -- MANIFEST [--out results.jsonl]
//!     [--cache DIR] [--prior-center BPM] [--prior-sigma OCTAVES] [--uniform-prior]
//!     [--decay D] [--harmonics K] [--min-duration S] [--max-lag-fraction F] [--dump DIR] [--level prior|learned] [--no-isolated-pulse] [--lag-smoothing FRAMES] [--level-dump FILE]
//! ```
//!
//! Each track is decoded with `audio::load_path` at 22050 Hz and analysed with
//! `rhythm::analyze_rhythm`; one JSON line per track is written
//! (`{"id","tempo","tempo_confidence","time_signature","time_signature_confidence","beats":[...]}`),
//! ready for `../shared/eval/score.py`. Printed: Acc1/Acc2 (4 % tolerance), Acc1 also accepting
//! the manifest's `tempo_alt` where there is one, Acc1 of the more
//! confident half vs the less confident half, beat F-measure (±70 ms, beats in the first 5 s
//! ignored, as `mir_eval.beat.f_measure` with its default trimming) where the manifest has
//! `beats`, downbeat F-measure and time-signature accuracy where it has `downbeats`, and
//! decode/analysis times.
//! `--cache DIR` keeps the decoded samples as raw f32 files so that repeated runs skip decoding;
//! `--dump DIR` writes each onset envelope as raw little-endian f32 (`ID.env`) for analysis.
//! `--level-dump FILE` writes, per track, the metrical-level candidates and their features
//! (`rhythm::level::level_candidates`) with the annotated tempi, for
//! `scripts/tempo/fit_tempo_level.py`.
//! The remaining flags override the tempo configuration (for parameter studies).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use analyzer_core::audio::{LoadConfig, load_path};
use analyzer_core::rhythm::level::{LEVEL_FEATURE_NAMES, level_candidates};
use analyzer_core::rhythm::onset::SuperFlux;
use analyzer_core::rhythm::onset::{FluxAggregate, OnsetConfig};
use analyzer_core::rhythm::{
    LevelMethod, RhythmConfig, TempoPrior, estimate_tempo, onset_detect, rhythm_from_onset_strength, track_beats,
};

/// Beat-matching tolerance in seconds (mir_eval default).
const F_MEASURE_WINDOW_S: f64 = 0.07;
/// Beats before this time are ignored by the F-measure (mir_eval `trim_beats`).
const TRIM_BEATS_S: f64 = 5.0;
/// Accuracy1 tolerance (relative).
const ACC_TOLERANCE: f64 = 0.04;
/// Metrical factors accepted by Accuracy2.
const ACC2_FACTORS: [f64; 5] = [1.0, 2.0, 3.0, 0.5, 1.0 / 3.0];
/// Analysis sample rate.
const SR: u32 = 22050;

fn read_times(path: &Path) -> Option<Vec<f64>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.lines().filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok()).collect())
}

/// mir_eval's beat F-measure (greedy matching is exact when the window is below half a beat).
fn f_measure(reference: &[f64], estimated: &[f64]) -> f64 {
    let r: Vec<f64> = reference.iter().copied().filter(|&t| t >= TRIM_BEATS_S).collect();
    let e: Vec<f64> = estimated.iter().copied().filter(|&t| t >= TRIM_BEATS_S).collect();
    if r.is_empty() || e.is_empty() {
        return 0.0;
    }
    let mut used = vec![false; e.len()];
    let mut hits = 0usize;
    for &t in &r {
        let best = e
            .iter()
            .enumerate()
            .filter(|&(j, &x)| !used[j] && (x - t).abs() <= F_MEASURE_WINDOW_S)
            .min_by(|a, b| (a.1 - t).abs().total_cmp(&(b.1 - t).abs()));
        if let Some((j, _)) = best {
            used[j] = true;
            hits += 1;
        }
    }
    let (p, rc) = (hits as f64 / e.len() as f64, hits as f64 / r.len() as f64);
    if p + rc == 0.0 { 0.0 } else { 2.0 * p * rc / (p + rc) }
}

/// Beats per bar from downbeat and beat annotations (the most common count).
fn reference_meter(beats: &[f64], downbeats: &[f64]) -> Option<usize> {
    let mut counts = [0usize; 16];
    for w in downbeats.windows(2) {
        let n = beats.iter().filter(|&&b| b >= w[0] - 1e-3 && b < w[1] - 1e-3).count();
        if n < counts.len() {
            counts[n] += 1;
        }
    }
    let (m, &c) = counts.iter().enumerate().max_by_key(|&(_, c)| *c)?;
    (c > 0).then_some(m)
}

fn acc1(est: f64, reference: f64) -> bool {
    (est - reference).abs() <= ACC_TOLERANCE * reference
}

fn acc2(est: f64, reference: f64) -> bool {
    ACC2_FACTORS.iter().any(|f| acc1(est, reference * f))
}

fn load_cached(path: &Path, cache: Option<&Path>, id: &str) -> Result<(Vec<f32>, f64), String> {
    let cached = cache.map(|d| d.join(format!("{id}.f32")));
    if let Some(Ok(bytes)) = cached.as_ref().map(std::fs::read) {
        let y = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
        return Ok((y, 0.0));
    }
    let t0 = Instant::now();
    let audio = load_path(path, &LoadConfig::default()).map_err(|e| e.to_string())?;
    let secs = t0.elapsed().as_secs_f64();
    if let Some(c) = &cached {
        let bytes: Vec<u8> = audio.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        std::fs::write(c, bytes).map_err(|e| e.to_string())?;
    }
    Ok((audio.samples, secs))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut manifest: Option<PathBuf> = None;
    let mut out: Option<PathBuf> = None;
    let mut cache: Option<PathBuf> = None;
    let mut dump: Option<PathBuf> = None;
    let mut level_dump: Option<PathBuf> = None;
    let mut config = RhythmConfig::default();
    let (mut center, mut sigma) = match config.tempo.prior {
        TempoPrior::LogGaussian { center_bpm, sigma_octaves } => (center_bpm, sigma_octaves),
        _ => (analyzer_core::rhythm::tempo::DEFAULT_PRIOR_CENTER_BPM, 1.0),
    };
    let mut uniform = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(value())),
            "--cache" => cache = Some(PathBuf::from(value())),
            "--dump" => dump = Some(PathBuf::from(value())),
            "--level-dump" => level_dump = Some(PathBuf::from(value())),
            "--level" => {
                config.level.method = match value().as_str() {
                    "prior" => LevelMethod::Prior,
                    "learned" => LevelMethod::Learned,
                    other => panic!("--level prior|learned, got {other}"),
                }
            }
            "--no-isolated-pulse" => config.level.keep_isolated_pulse = false,
            "--prior-center" => center = value().parse().expect("number"),
            "--prior-sigma" => sigma = value().parse().expect("number"),
            "--uniform-prior" => uniform = true,
            "--decay" => config.tempo.harmonic_decay = value().parse().expect("number"),
            "--harmonics" => config.tempo.n_harmonics = value().parse().expect("integer"),
            "--min-duration" => config.min_duration_s = value().parse().expect("number"),
            "--max-lag-fraction" => config.tempo.max_lag_fraction = value().parse().expect("number"),
            "--lag-smoothing" => config.tempo.lag_smoothing_frames = value().parse().expect("number"),
            _ => manifest = Some(PathBuf::from(a)),
        }
    }
    config.tempo.prior = if uniform {
        TempoPrior::Uniform
    } else {
        TempoPrior::LogGaussian { center_bpm: center, sigma_octaves: sigma }
    };
    let manifest = manifest.expect("usage: eval_tempo MANIFEST [--out FILE] [--cache DIR] [overrides]");
    if let Some(c) = &cache {
        std::fs::create_dir_all(c).expect("cache dir");
    }
    let base = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let mut level_writer = level_dump.map(|p| std::io::BufWriter::new(std::fs::File::create(p).expect("level dump")));
    let detector = SuperFlux::new(config.onset.clone(), SR).expect("onset config");
    let mut writer = out.map(|p| std::io::BufWriter::new(std::fs::File::create(p).expect("output file")));

    let (mut decode_s, mut analyse_s, mut audio_s) = (0.0f64, 0.0f64, 0.0f64);
    let mut labelled: Vec<(f32, bool, bool)> = Vec::new();
    // Acc1 also accepting the manifest's `tempo_alt` (POP909: the tempo most listeners tap where
    // the annotation is at half of it).
    let (mut alt_ok, mut alt_n) = (0usize, 0usize);
    let mut fms: Vec<f64> = Vec::new();
    let mut dfms: Vec<f64> = Vec::new();
    let (mut meter_ok, mut meter_n) = (0usize, 0usize);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("manifest line");
        let id = entry["id"].as_str().unwrap_or("?").to_string();
        let path = base.join(entry["path"].as_str().unwrap_or(""));
        let (y, dec) = match load_cached(&path, cache.as_deref(), &id) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("{id}: {e}");
                continue;
            }
        };
        decode_s += dec;
        audio_s += y.len() as f64 / SR as f64;
        let t0 = Instant::now();
        let os = detector.compute(&y);
        let duration = y.len() as f64 / SR as f64;
        if let Some(w) = level_writer.as_mut() {
            let est = estimate_tempo(&os.envelope, os.frame_rate, &config.tempo).expect("tempo");
            let n_onsets = onset_detect(&os.envelope, os.frame_rate, &config.onset_peaks).expect("onsets").len();
            let comb_beats =
                track_beats(&os.envelope, os.frame_rate, est.bpm, est.confidence, &config.beats).expect("beats");
            let cands =
                level_candidates(&est, &os, n_onsets, duration, &comb_beats.frames, &config.tempo, &config.level);
            let record = serde_json::json!({
                "id": id,
                "tempo": entry["tempo"],
                "tempo_alt": entry["tempo_alt"],
                "names": LEVEL_FEATURE_NAMES,
                "candidates": cands.iter().map(|c| serde_json::json!({"bpm": c.bpm, "octave": c.octave, "features": c.features.to_vec()})).collect::<Vec<_>>(),
            });
            writeln!(w, "{record}").expect("write");
        }
        let rhythm = match rhythm_from_onset_strength(os, duration, &config) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{id}: {e}");
                continue;
            }
        };
        analyse_s += t0.elapsed().as_secs_f64();
        if let Some(d) = &dump {
            std::fs::create_dir_all(d).expect("dump dir");
            let bytes: Vec<u8> = rhythm.onset_envelope.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(d.join(format!("{id}.env")), bytes).expect("dump");
            let median = OnsetConfig { aggregate: FluxAggregate::Median, ..config.onset.clone() };
            let e = analyzer_core::rhythm::onset_strength(&y, SR, &median).expect("onsets").envelope;
            let bytes: Vec<u8> = e.iter().flat_map(|v| v.to_le_bytes()).collect();
            std::fs::write(d.join(format!("{id}.menv")), bytes).expect("dump");
        }
        let beat_times: Vec<f64> = rhythm.beats.iter().map(|b| b.start).collect();
        let record = serde_json::json!({
            "id": id,
            "tempo": rhythm.tempo,
            "tempo_confidence": rhythm.tempo_confidence,
            "time_signature": rhythm.time_signature,
            "time_signature_confidence": rhythm.time_signature_confidence,
            "beats": beat_times.iter().map(|t| (t * 1000.0).round() / 1000.0).collect::<Vec<f64>>(),
        });
        if let Some(w) = writer.as_mut() {
            writeln!(w, "{record}").expect("write");
        }
        let mut note = String::new();
        if let Some(reference) = entry["tempo"].as_f64() {
            let (a1, a2) = (acc1(rhythm.tempo as f64, reference), acc2(rhythm.tempo as f64, reference));
            labelled.push((rhythm.tempo_confidence, a1, a2));
            note += &format!(" ref {reference:.1} acc1 {}", a1 as u8);
            let alt = entry["tempo_alt"].as_f64();
            alt_n += 1;
            alt_ok += (a1 || alt.is_some_and(|t| acc1(rhythm.tempo as f64, t))) as usize;
            if let Some(t) = alt {
                note += &format!(" alt {t:.1}");
            }
        }
        let beats_ref = entry["beats"].as_str().and_then(|p| read_times(&base.join(p)));
        if let Some(reference) = &beats_ref {
            let f = f_measure(reference, &beat_times);
            fms.push(f);
            note += &format!(" F {f:.3}");
            if let Some(db) = entry["downbeats"].as_str().and_then(|p| read_times(&base.join(p))) {
                let bar_times: Vec<f64> = rhythm.bars.iter().map(|b| b.start).collect();
                let fd = f_measure(&db, &bar_times);
                dfms.push(fd);
                note += &format!(" downbeat F {fd:.3}");
                if let Some(m) = reference_meter(reference, &db) {
                    meter_n += 1;
                    meter_ok += (m == rhythm.time_signature as usize) as usize;
                    note += &format!(" meter {m}/{}", rhythm.time_signature);
                }
            }
        }
        println!(
            "{id:<28} tempo {:7.2} conf {:.3} ts {} ({:.2}){note}",
            rhythm.tempo, rhythm.tempo_confidence, rhythm.time_signature, rhythm.time_signature_confidence
        );
    }
    let n = labelled.len();
    if n > 0 {
        let a1 = labelled.iter().filter(|x| x.1).count() as f64 / n as f64;
        let a2 = labelled.iter().filter(|x| x.2).count() as f64 / n as f64;
        println!("tempo: n {n}  Acc1 {a1:.3}  Acc2 {a2:.3}");
        println!("tempo: Acc1 accepting tempo_alt {:.3} (n {alt_n})", alt_ok as f64 / alt_n.max(1) as f64);
        let mut sorted = labelled.clone();
        sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
        let half = n / 2;
        let rate = |s: &[(f32, bool, bool)]| s.iter().filter(|x| x.1).count() as f64 / s.len().max(1) as f64;
        println!(
            "confidence: Acc1 of the more confident half {:.3} (n {}), less confident half {:.3} (n {})",
            rate(&sorted[..n - half]),
            n - half,
            rate(&sorted[n - half..]),
            half
        );
    }
    if !fms.is_empty() {
        println!("beats: n {}  mean F-measure {:.3}", fms.len(), fms.iter().sum::<f64>() / fms.len() as f64);
    }
    if !dfms.is_empty() {
        println!("downbeats: n {}  mean F-measure {:.3}", dfms.len(), dfms.iter().sum::<f64>() / dfms.len() as f64);
    }
    if meter_n > 0 {
        println!("time signature: {meter_ok}/{meter_n} correct");
    }
    println!(
        "audio {audio_s:.1} s; decode {decode_s:.2} s ({:.0}x realtime, 0 when cached); analysis {analyse_s:.2} s ({:.0}x realtime)",
        if decode_s > 0.0 { audio_s / decode_s } else { 0.0 },
        audio_s / analyse_s.max(1e-9)
    );
}
