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
//!
//! Section keys, on tracks with key labels whose track key is not −1: the share of labelled
//! time that lies in a section whose key and mode are the label's, the same for the track key
//! (the baseline a section key has to be read against; over the tracks whose labels change
//! key too), and the share of section time whose key is the track's. POP909 manifests carry
//! timed key labels (`key_segments`), so a section is scored against the key sounding in it;
//! other manifests' `key` label counts for the whole track.
//!
//! Flags: `--keys-only` (one analysis per track and the section-key figures alone: no timing,
//! no concatenations), `--section-prior-seconds S` ([`KeyConfig::section_prior_seconds`]).
//!
//! [`KeyConfig::section_prior_seconds`]: analyzer_core::tonal::KeyConfig::section_prior_seconds

use std::path::{Path, PathBuf};
use std::time::Instant;

use analyzer_benches::parse_key;
use analyzer_core::analysis::{AnalysisConfig, Analyzer, TrackAnalysis};
use analyzer_core::audio::{LoadConfig, load_path};

const SR: u32 = 22050;
/// Seconds of each track in the concatenation check.
const JOIN_PART_SECONDS: usize = 30;
/// Repetitions for the timing (best of).
const TIMING_RUNS: usize = 3;

/// Timed key labels `(start, end, (key, mode))` in seconds.
type KeySpans = Vec<(f64, f64, (i8, u8))>;

/// A manifest's tracks: id, audio path and the timed key labels: `key_segments` (POP909's
/// `key_audio.txt` within the rendered excerpt) when present, else the `key` label over the
/// whole track (end `f64::INFINITY`), else none.
fn tracks(manifest: &Path) -> Vec<(String, PathBuf, KeySpans)> {
    let dir = manifest.parent().unwrap_or(Path::new("."));
    std::fs::read_to_string(manifest)
        .expect("read manifest")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("manifest line");
            let timed: Option<KeySpans> = v["key_segments"].as_array().map(|segs| {
                segs.iter().filter_map(|g| Some((g[0].as_f64()?, g[1].as_f64()?, parse_key(g[2].as_str()?)?))).collect()
            });
            let keys = timed
                .or_else(|| v["key"].as_str().and_then(parse_key).map(|k| vec![(0.0, f64::INFINITY, k)]))
                .unwrap_or_default();
            (v["id"].as_str().unwrap_or("?").to_string(), dir.join(v["path"].as_str().expect("path")), keys)
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

/// Agreement of the section keys with the timed key labels and with the track key (see the
/// module docs).
#[derive(Default)]
struct SectionKeys {
    tracks: usize,
    /// Labelled seconds, and those whose section key / track key is the label's.
    seconds: f64,
    seconds_section: f64,
    seconds_track: f64,
    /// The same on tracks whose labels change key.
    modulating: usize,
    mod_seconds: f64,
    mod_section: f64,
    mod_track: f64,
    /// Section seconds whose key is the track's.
    section_is_track: f64,
    section_seconds: f64,
}

impl SectionKeys {
    /// Adds a track with labels whose track key is not −1 (others are skipped).
    fn add(&mut self, a: &TrackAnalysis, spans: &KeySpans) {
        let Some(tl) = a.timeline.as_ref().filter(|_| !spans.is_empty() && a.features.key >= 0) else {
            return;
        };
        let track = (a.features.key, a.features.mode);
        let duration = a.track.num_samples as f64 / f64::from(a.track.analysis_sample_rate);
        self.tracks += 1;
        let modulates = spans.iter().any(|s| s.2 != spans[0].2);
        self.modulating += usize::from(modulates);
        let (mut sec, mut sec_ok, mut trk_ok) = (0.0, 0.0, 0.0);
        for &(a, b, label) in spans {
            let b = b.min(duration);
            if b <= a {
                continue;
            }
            sec += b - a;
            trk_ok += if track == label { b - a } else { 0.0 };
            for s in &tl.sections {
                let overlap = (s.start + s.duration).min(b) - s.start.max(a);
                if overlap > 0.0 && (s.key, s.mode) == label {
                    sec_ok += overlap;
                }
            }
        }
        self.seconds += sec;
        self.seconds_section += sec_ok;
        self.seconds_track += trk_ok;
        if modulates {
            self.mod_seconds += sec;
            self.mod_section += sec_ok;
            self.mod_track += trk_ok;
        }
        for s in &tl.sections {
            self.section_seconds += s.duration;
            self.section_is_track += if (s.key, s.mode) == track { s.duration } else { 0.0 };
        }
    }

    fn report(&self) {
        if self.tracks == 0 {
            return;
        }
        let share = |a: f64, b: f64| a / b.max(f64::MIN_POSITIVE);
        println!(
            "section keys ({} key-labelled tracks with a key): labelled time in the section's key {:.3} (in the track's key {:.3}); {} tracks with a key change: {:.3} (track key {:.3}); section time in the track's key {:.3}",
            self.tracks,
            share(self.seconds_section, self.seconds),
            share(self.seconds_track, self.seconds),
            self.modulating,
            share(self.mod_section, self.mod_seconds),
            share(self.mod_track, self.mod_seconds),
            share(self.section_is_track, self.section_seconds)
        );
    }
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
    let mut manifests: Vec<PathBuf> = Vec::new();
    let mut config = AnalysisConfig::default();
    let mut keys_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--keys-only" => keys_only = true,
            "--section-prior-seconds" => {
                config.key.section_prior_seconds =
                    args.next().and_then(|v| v.parse().ok()).expect("--section-prior-seconds SECONDS")
            }
            _ => manifests.push(PathBuf::from(a)),
        }
    }
    if manifests.is_empty() {
        eprintln!("usage: eval_structure [--keys-only] [--section-prior-seconds S] MANIFEST...");
        std::process::exit(2);
    }
    let features_only = Analyzer::new(config.clone()).expect("config");
    let with_timeline = Analyzer::new(config.with_timeline(true)).expect("config");
    let load = LoadConfig { sr: Some(SR), ..LoadConfig::default() };
    let mut seg_rates = Vec::new();
    let mut seg_durations = Vec::new();
    let mut n_sections = Vec::new();
    let (mut t_features, mut t_timeline) = (0.0, 0.0);
    let mut failures = 0;
    let mut parts: Vec<(String, Vec<f32>)> = Vec::new();
    let mut section_keys = SectionKeys::default();
    for manifest in &manifests {
        for (id, path, key_spans) in tracks(manifest) {
            let decoded = match load_path(&path, &load) {
                Ok(d) => d,
                Err(e) => {
                    println!("{id}: decode error {e}");
                    failures += 1;
                    continue;
                }
            };
            if keys_only {
                let a = with_timeline.analyze_decoded(decoded, None).expect("analysis");
                section_keys.add(&a, &key_spans);
                continue;
            }
            let (_, tf) = best_of(|| features_only.analyze_decoded(decoded.clone(), None).expect("analysis"));
            let (a, tt) = best_of(|| with_timeline.analyze_decoded(decoded.clone(), None).expect("analysis"));
            t_features += tf;
            t_timeline += tt;
            if let Err(e) = finite_and_tiled(&a) {
                println!("{id}: {e}");
                failures += 1;
            }
            section_keys.add(&a, &key_spans);
            let tl = a.timeline.as_ref().expect("timeline");
            let duration = a.track.num_samples as f64 / SR as f64;
            seg_rates.push(tl.segments.len() as f64 / duration);
            seg_durations.extend(tl.segments.iter().map(|s| s.duration));
            n_sections.push(tl.sections.len() as f64);
            let n = (JOIN_PART_SECONDS * SR as usize).min(decoded.samples.len());
            parts.push((id, decoded.samples[..n].to_vec()));
        }
    }
    if keys_only {
        section_keys.report();
        return;
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
    section_keys.report();
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
