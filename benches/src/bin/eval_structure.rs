//! Timeline evaluation (opt-in; never run as a test).
//!
//! `cargo run --release -p analyzer-benches --bin eval_structure -- MANIFEST...`
//!
//! For every track of the manifests: the full analysis with the timeline; checks that every
//! segment/section field is finite and that segments and sections tile the track; reports the
//! distribution of segments per second, sections per track, and the time of the feature-only
//! analysis against the analysis with the timeline (same process, one thread, best of 3).
//! Then the concatenation check: the first 30 s of track i joined to the first 30 s of track
//! i+1 (different recordings), analysed as one signal; reports the distance from the join to
//! the nearest section boundary (target: within 1 s). Pairs with a part shorter than 15 s are
//! skipped (a section cannot be shorter than 6 s at the end of a track). `ALL_STARTS=1` prints every
//! concatenation's section starts, not only the misses'.

use std::path::{Path, PathBuf};
use std::time::Instant;

use analyzer_core::analysis::{AnalysisConfig, Analyzer, TrackAnalysis};
use analyzer_core::audio::{LoadConfig, load_path};

const SR: u32 = 22050;
/// Seconds of each track in the concatenation check.
const JOIN_PART_SECONDS: usize = 30;
/// Repetitions for the timing (best of).
const TIMING_RUNS: usize = 3;

fn tracks(manifest: &Path) -> Vec<(String, PathBuf)> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    std::fs::read_to_string(manifest)
        .expect("read manifest")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("manifest line");
            (v["id"].as_str().unwrap_or("?").to_string(), dir.join(v["path"].as_str().expect("path")))
        })
        .collect()
}

fn finite_and_tiled(a: &TrackAnalysis) -> Result<(), String> {
    let tl = a.timeline.as_ref().ok_or("no timeline")?;
    let duration = a.track.num_samples as f64 / a.track.analysis_sample_rate as f64;
    let tiles = |v: Vec<(f64, f64)>, what: &str| -> Result<(), String> {
        if v.is_empty() || v[0].0 != 0.0 || (v.last().unwrap().1 - duration).abs() > 1e-6 {
            return Err(format!("{what} do not cover the track"));
        }
        if v.windows(2).any(|w| (w[0].1 - w[1].0).abs() > 1e-9) {
            return Err(format!("{what} have a gap or overlap"));
        }
        Ok(())
    };
    tiles(tl.segments.iter().map(|s| (s.start, s.start + s.duration)).collect(), "segments")?;
    tiles(tl.sections.iter().map(|s| (s.start, s.start + s.duration)).collect(), "sections")?;
    for s in &tl.segments {
        let vals = [s.loudness_start, s.loudness_max, s.loudness_end, s.confidence];
        if !vals.iter().chain(&s.pitches).chain(&s.timbre).all(|v| v.is_finite()) || !s.loudness_max_time.is_finite() {
            return Err(format!("non-finite segment at {}", s.start));
        }
    }
    for s in &tl.sections {
        let vals = [s.loudness, s.tempo, s.tempo_confidence, s.key_confidence, s.mode_confidence, s.confidence];
        if !vals.iter().all(|v| v.is_finite()) {
            return Err(format!("non-finite section at {}", s.start));
        }
    }
    Ok(())
}

fn best_of<T>(mut f: impl FnMut() -> T) -> (T, f64) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..TIMING_RUNS {
        let t = Instant::now();
        out = Some(f());
        best = best.min(t.elapsed().as_secs_f64());
    }
    (out.expect("ran at least once"), best)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let manifests: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if manifests.is_empty() {
        eprintln!("usage: eval_structure MANIFEST...");
        std::process::exit(2);
    }
    let features_only = Analyzer::new(AnalysisConfig::default()).expect("config");
    let with_timeline = Analyzer::new(AnalysisConfig::default().with_timeline(true)).expect("config");
    let load = LoadConfig { sr: Some(SR), ..LoadConfig::default() };
    let mut seg_rates = Vec::new();
    let mut seg_durations = Vec::new();
    let mut n_sections = Vec::new();
    let (mut t_features, mut t_timeline) = (0.0, 0.0);
    let mut failures = 0;
    let mut parts: Vec<(String, Vec<f32>)> = Vec::new();
    for manifest in &manifests {
        for (id, path) in tracks(manifest) {
            let decoded = match load_path(&path, &load) {
                Ok(d) => d,
                Err(e) => {
                    println!("{id}: decode error {e}");
                    failures += 1;
                    continue;
                }
            };
            let (_, tf) = best_of(|| features_only.analyze_decoded(decoded.clone(), None).expect("analysis"));
            let (a, tt) = best_of(|| with_timeline.analyze_decoded(decoded.clone(), None).expect("analysis"));
            t_features += tf;
            t_timeline += tt;
            if let Err(e) = finite_and_tiled(&a) {
                println!("{id}: {e}");
                failures += 1;
            }
            let tl = a.timeline.as_ref().expect("timeline");
            let duration = a.track.num_samples as f64 / SR as f64;
            seg_rates.push(tl.segments.len() as f64 / duration);
            seg_durations.extend(tl.segments.iter().map(|s| s.duration));
            n_sections.push(tl.sections.len() as f64);
            let n = (JOIN_PART_SECONDS * SR as usize).min(decoded.samples.len());
            parts.push((id, decoded.samples[..n].to_vec()));
        }
    }
    for v in [&mut seg_rates, &mut seg_durations, &mut n_sections] {
        v.sort_by(f64::total_cmp);
    }
    println!("tracks: {}, failures (non-finite, gaps, decode): {failures}", seg_rates.len());
    println!(
        "segments per second: p10 {:.2}  median {:.2}  p90 {:.2}  (min {:.2}, max {:.2})",
        percentile(&seg_rates, 0.1),
        percentile(&seg_rates, 0.5),
        percentile(&seg_rates, 0.9),
        percentile(&seg_rates, 0.0),
        percentile(&seg_rates, 1.0)
    );
    println!(
        "segment duration s: p10 {:.3}  median {:.3}  p90 {:.3}",
        percentile(&seg_durations, 0.1),
        percentile(&seg_durations, 0.5),
        percentile(&seg_durations, 0.9)
    );
    println!(
        "sections per track: min {} median {} max {}",
        percentile(&n_sections, 0.0),
        percentile(&n_sections, 0.5),
        percentile(&n_sections, 1.0)
    );
    println!(
        "time, decode excluded: features only {:.2} s, with timeline {:.2} s: timeline adds {:.1} %",
        t_features,
        t_timeline,
        100.0 * (t_timeline / t_features - 1.0)
    );
    // Concatenations of consecutive different tracks.
    let mut distances = Vec::new();
    let (mut strongest_within, mut n_bounds) = (0usize, 0usize);
    for pair in parts.windows(2) {
        let (ref ida, ref a) = pair[0];
        let (ref idb, ref b) = pair[1];
        // Both parts must be at least half the excerpt length: a 3 s or 5 s recording after the
        // join cannot be a section of its own (boundaries keep
        // `SectionConfig::min_section_seconds`, 6 s, from the ends of the track).
        let too_short = |x: &[f32]| x.len() < JOIN_PART_SECONDS * SR as usize / 2;
        if too_short(a) || too_short(b) {
            println!("join {ida} | {idb}: skipped, a part is shorter than {} s", JOIN_PART_SECONDS / 2);
            continue;
        }
        let mut y = a.clone();
        y.extend_from_slice(b);
        let join = a.len() as f64 / SR as f64;
        let r = with_timeline.analyze_samples(&y, SR, 1).expect("analysis");
        let d = r.timeline.as_ref().expect("timeline").sections[1..]
            .iter()
            .map(|s| (s.start - join).abs())
            .fold(f64::INFINITY, f64::min);
        println!("join {ida} | {idb}: nearest section boundary {d:.2} s from the join");
        // The most confident boundary alone (more boundaries cannot help this one). The two
        // edges of a silent gap share one confidence: either may be the one.
        let bounds = &r.timeline.as_ref().expect("timeline").sections[1..];
        n_bounds += bounds.len();
        let top = bounds.iter().map(|s| s.confidence).fold(f32::NEG_INFINITY, f32::max);
        if bounds.iter().any(|s| s.confidence == top && (s.start - join).abs() <= 1.0) {
            strongest_within += 1;
        }
        if d > 1.0 || std::env::var_os("ALL_STARTS").is_some() {
            let starts: Vec<String> = r.timeline.as_ref().expect("timeline").sections[1..]
                .iter()
                .map(|s| format!("{:.1} ({:.2})", s.start, s.confidence))
                .collect();
            println!("  section starts (confidence): {}", starts.join(", "));
        }
        distances.push(d);
    }
    let within = distances.iter().filter(|&&d| d <= 1.0).count();
    println!("joins with a boundary within 1 s: {within}/{}", distances.len());
    println!(
        "joins whose most confident boundary is within 1 s: {strongest_within}/{}; boundaries per concatenation: {:.2}",
        distances.len(),
        n_bounds as f64 / distances.len().max(1) as f64
    );
}
