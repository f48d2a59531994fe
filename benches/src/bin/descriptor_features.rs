//! Prints the descriptor feature vector and descriptors of audio files, one JSON object per
//! line: `{"path": ..., "features": {name: value, ...}, "descriptors": {...}}`.
//!
//! Used by `scripts/descriptors/fit_descriptors.py` to fit the descriptor weights. Paths come
//! from the command line or, with no arguments, one per line on standard input. Each file is
//! decoded with the default `LoadConfig` (22.05 kHz mono, loudness measured on the source
//! channels) and analysed with the default `DescriptorConfig`, or with the model JSON given by
//! `--model FILE`.

use std::io::{BufRead, Write};

use analyzer_core::audio::{LoadConfig, load_path};
use analyzer_core::descriptors::{DescriptorConfig, DescriptorModel, MusicalContext, compute_features};

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = DescriptorConfig::default();
    if let Some(i) = args.iter().position(|a| a == "--model") {
        let path = args.get(i + 1).cloned().unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        config.model = DescriptorModel::from_json(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        args.drain(i..(i + 2).min(args.len()));
    }
    let paths: Vec<String> = if args.is_empty() {
        std::io::stdin().lock().lines().map_while(Result::ok).filter(|l| !l.trim().is_empty()).collect()
    } else {
        args
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in paths {
        let audio = match load_path(&path, &LoadConfig::default()) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let x = match compute_features(
            &audio.samples,
            audio.sample_rate,
            audio.loudness.as_ref(),
            &MusicalContext::default(),
            &config,
        ) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let d = config.model.predict(&x);
        let feats: Vec<String> = x.iter().map(|(f, v)| format!("{}: {v}", json_str(&f.name()))).collect();
        let desc = format!(
            "\"loudness\": {}, \"energy\": {}, \"danceability\": {}, \"speechiness\": {}, \"acousticness\": {}, \
             \"instrumentalness\": {}, \"liveness\": {}, \"valence\": {}",
            d.loudness,
            d.energy,
            d.danceability,
            d.speechiness,
            d.acousticness,
            d.instrumentalness,
            d.liveness,
            d.valence
        );
        let _ = writeln!(
            out,
            "{{\"path\": {}, \"features\": {{{}}}, \"descriptors\": {{{desc}}}}}",
            json_str(&path),
            feats.join(", ")
        );
    }
}
