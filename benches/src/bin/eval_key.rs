//! Key evaluation on a labelled manifest (opt-in; never run as a test).
//!
//! `cargo run --release -p analyzer-benches --bin eval_key -- MANIFEST OUT.jsonl [VARIANT ...]`
//!
//! Decodes each track with `audio::load_path` at 22050 Hz, estimates the key with
//! `KeyConfig::default()` modified by each `VARIANT` (comma-separated `field=value` pairs, e.g.
//! `profile=edma,aggregation=segment_vote`; no variant = the default config), writes
//! `{"id","key","mode","key_confidence","mode_confidence"}` lines for
//! `../shared/eval/score.py` (first variant to `OUT.jsonl`, variant `i > 0` to
//! `OUT.jsonl.v{i}`), and prints exact accuracy, the MIREX weighted score and the accuracy of
//! the more confident half against the less confident half (ranked by `key_confidence`).
//! `KEY_CACHE_DIR=dir` caches the decoded samples as raw f32 to speed up repeated runs.
//! `KEY_DUMP_DIR=dir` writes the first variant's frames as `ID.frames` (little-endian f32, 25
//! values a frame: the salience weight, the 12 pitch classes, the 12 bass pitch classes, zeros
//! when the config computes no bass), for fitting profiles offline (`scripts/key/`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use analyzer_benches::parse_key;
use analyzer_core::audio::{LoadConfig, load_path};
use analyzer_core::tonal::{
    KeyAggregation, KeyConfig, KeyEstimate, KeyProfile, MAJOR, PITCH_CLASSES, SpectralWhitening, key_from_frames,
    tonal_frames,
};

const SR: u32 = 22050;
/// MIREX weighted score: 1 same, .5 fifth either way (same mode), .3 relative, .2 parallel.
fn mirex(est: (i8, u8), gt: (i8, u8)) -> f64 {
    if est.0 < 0 {
        return 0.0;
    }
    let (e, g) = (est.0 as i32, gt.0 as i32);
    let d = (e - g).rem_euclid(12);
    if est == gt {
        1.0
    } else if est.1 == gt.1 && (d == 7 || d == 5) {
        0.5
    } else if est.1 != gt.1 && ((gt.1 == 1 && d == 9) || (gt.1 == 0 && d == 3)) {
        0.3
    } else if est.1 != gt.1 && d == 0 {
        0.2
    } else {
        0.0
    }
}

fn field<'a>(v: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    v.get(name)?.as_str()
}

fn apply(cfg: &mut KeyConfig, spec: &str) -> Result<(), String> {
    for kv in spec.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=').ok_or(format!("bad override {kv}"))?;
        let f = || v.parse::<f32>().map_err(|e| format!("{k}: {e}"));
        let u = || v.parse::<usize>().map_err(|e| format!("{k}: {e}"));
        match k {
            "profile" => cfg.profile = KeyProfile::from_name(v).map_err(|e| e.to_string())?,
            "aggregation" => {
                cfg.aggregation = match v {
                    "global" => KeyAggregation::Global,
                    "segment_vote" => KeyAggregation::SegmentVote,
                    _ => return Err(format!("aggregation {v}")),
                }
            }
            "whitening" => {
                cfg.whitening = match v {
                    "off" => SpectralWhitening::Off,
                    "local_mean" => SpectralWhitening::LocalMean,
                    _ => return Err(format!("whitening {v}")),
                }
            }
            "gate_ratio" => cfg.gate_ratio = f()?,
            "n_fft" => cfg.n_fft = u()?,
            "hop_length" => cfg.hop_length = u()?,
            "fmin" => cfg.fmin = f()?,
            "fmax" => cfg.fmax = f()?,
            "max_peaks" => cfg.max_peaks = u()?,
            "whitening_half_width_hz" => cfg.whitening_half_width_hz = f()?,
            "whitening_floor_db" => cfg.whitening_floor_db = f()?,
            "peak_threshold" => cfg.peak_threshold = f()?,
            "n_harmonics" => cfg.n_harmonics = u()?,
            "harmonic_decay" => cfg.harmonic_decay = f()?,
            "window_semitones" => cfg.window_semitones = f()?,
            "salience_exponent" => cfg.salience_exponent = f()?,
            "tonal_fraction_exponent" => cfg.tonal_fraction_exponent = f()?,
            "segment_seconds" => cfg.segment_seconds = f()?,
            "min_strength" => cfg.min_strength = f()?,
            "min_tonalness" => cfg.min_tonalness = f()?,
            "bass_fmax" => cfg.bass_fmax = f()?,
            "relative_margin" => cfg.relative_margin = f()?,
            "min_tuning_concentration" => cfg.min_tuning_concentration = f()?,
            "min_sustained_tonalness" => cfg.min_sustained_tonalness = f()?,
            _ => return Err(format!("unknown field {k}")),
        }
    }
    cfg.validate().map_err(|e| e.to_string())
}

fn load(path: &Path, id: &str) -> Option<Vec<f32>> {
    let cache = std::env::var_os("KEY_CACHE_DIR").map(|d| PathBuf::from(d).join(format!("{id}.f32")));
    if let Some(c) = &cache
        && let Ok(bytes) = std::fs::read(c)
    {
        return Some(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect());
    }
    let audio = match load_path(path, &LoadConfig::default()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{id}: {e}");
            return None;
        }
    };
    if let Some(c) = &cache {
        let _ = std::fs::create_dir_all(c.parent().unwrap_or(Path::new(".")));
        let bytes: Vec<u8> = audio.samples.iter().flat_map(|v| v.to_le_bytes()).collect();
        let _ = std::fs::write(c, bytes);
    }
    Some(audio.samples)
}

/// Values per dumped frame: the weight, the pitch classes, the bass pitch classes.
const DUMP_VALUES: usize = 1 + 2 * PITCH_CLASSES;

/// Writes `frames` as described in the module docs (`KEY_DUMP_DIR`).
fn dump_frames(dir: &Path, id: &str, frames: &analyzer_core::tonal::TonalFrames, cfg: &KeyConfig) {
    let weights = frames.weights(cfg.salience_exponent, cfg.tonal_fraction_exponent);
    let no_bass = [0.0f32; PITCH_CLASSES];
    let mut bytes = Vec::with_capacity(weights.len() * DUMP_VALUES * size_of::<f32>());
    for (t, (w, p)) in weights.iter().zip(&frames.pitches).enumerate() {
        let bass = frames.bass.get(t).unwrap_or(&no_bass);
        for v in std::iter::once(w).chain(p).chain(bass) {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    std::fs::create_dir_all(dir).expect("KEY_DUMP_DIR");
    std::fs::write(dir.join(format!("{id}.frames")), bytes).expect("frame dump");
}

struct Row {
    id: String,
    gt: Option<(i8, u8)>,
    est: KeyEstimate,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: eval_key MANIFEST OUT.jsonl [VARIANT ...]");
        std::process::exit(2);
    }
    let manifest = PathBuf::from(&args[0]);
    let out = PathBuf::from(&args[1]);
    let specs: Vec<String> = if args.len() > 2 { args[2..].to_vec() } else { vec![String::new()] };
    let configs: Vec<KeyConfig> = specs
        .iter()
        .map(|s| {
            let mut c = KeyConfig::default();
            apply(&mut c, s).unwrap_or_else(|e| panic!("variant `{s}`: {e}"));
            c
        })
        .collect();
    let dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    let mut rows: Vec<Vec<Row>> = configs.iter().map(|_| Vec::new()).collect();
    let mut key_seconds = vec![0.0f64; configs.len()];
    let mut audio_seconds = 0.0f64;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("manifest line");
        let (Some(id), Some(rel)) = (field(&v, "id"), field(&v, "path")) else { continue };
        let gt = field(&v, "key").and_then(parse_key);
        let Some(y) = load(&dir.join(rel), id) else { continue };
        audio_seconds += y.len() as f64 / SR as f64;
        for (i, cfg) in configs.iter().enumerate() {
            let t0 = Instant::now();
            let frames = tonal_frames(&y, SR, cfg).expect("valid config");
            let est = key_from_frames(&frames, cfg);
            key_seconds[i] += t0.elapsed().as_secs_f64();
            if std::env::var_os("KEY_DEBUG").is_some() && i == 0 {
                eprintln!(
                    "{id:<40} gt {:<9} est {:<9} r {:.3} kc {:.2} mc {:.2} tonal {:.2} sust {:.3} conc {:.3} tuning {:+.2}",
                    field(&v, "key").unwrap_or("-"),
                    est.name().unwrap_or_else(|| "none".into()),
                    est.strength,
                    est.key_confidence,
                    est.mode_confidence,
                    frames.tonalness,
                    frames.sustained_tonalness,
                    frames.tuning_concentration,
                    frames.tuning
                );
            }
            if i == 0
                && let Some(d) = std::env::var_os("KEY_DUMP_DIR")
            {
                dump_frames(Path::new(&d), id, &frames, cfg);
            }
            rows[i].push(Row { id: id.to_string(), gt, est });
        }
    }
    for (i, (spec, rs)) in specs.iter().zip(&rows).enumerate() {
        let path = if i == 0 { out.clone() } else { PathBuf::from(format!("{}.v{i}", out.display())) };
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("output file"));
        for r in rs {
            writeln!(
                f,
                "{{\"id\": {}, \"key\": {}, \"mode\": {}, \"key_confidence\": {:.4}, \"mode_confidence\": {:.4}}}",
                serde_json::Value::String(r.id.clone()),
                r.est.key,
                r.est.mode,
                r.est.key_confidence,
                r.est.mode_confidence
            )
            .expect("write");
        }
        let labelled: Vec<&Row> = rs.iter().filter(|r| r.gt.is_some()).collect();
        let n = labelled.len().max(1) as f64;
        let correct = |r: &&&Row| r.gt == Some((r.est.key, r.est.mode));
        let exact = labelled.iter().filter(correct).count() as f64 / n;
        let mx = labelled.iter().map(|r| mirex((r.est.key, r.est.mode), r.gt.unwrap_or((-1, MAJOR)))).sum::<f64>() / n;
        let mut ranked = labelled.clone();
        ranked.sort_by(|a, b| b.est.key_confidence.total_cmp(&a.est.key_confidence));
        let half = ranked.len() / 2;
        let acc = |s: &[&Row]| s.iter().filter(correct).count() as f64 / s.len().max(1) as f64;
        println!(
            "v{i} [{spec}] n={} exact={exact:.3} mirex={mx:.3} confident_half={:.3} other_half={:.3} key_stage_xrt={:.0}",
            labelled.len(),
            acc(&ranked[..half]),
            acc(&ranked[half..]),
            audio_seconds / key_seconds[i].max(1e-9)
        );
    }
}
