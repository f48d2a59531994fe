//! Analyse audio files and print their features.
//!
//! ```sh
//! cargo run --release -p analyzer-core --example analyze_file -- FILE...
//! ```

use analyzer_core::analysis::{AnalysisConfig, Analyzer};

fn main() -> std::process::ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: analyze_file FILE...");
        return std::process::ExitCode::from(2);
    }
    let analyzer = match Analyzer::new(AnalysisConfig::default().with_timeline(true)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let mut failed = false;
    for file in &files {
        match analyzer.analyze_path(file) {
            Ok(a) => {
                let f = &a.features;
                println!("{file}");
                println!("  duration       {:.2} s", f.duration_ms as f64 / 1000.0);
                println!("  tempo          {:.1} BPM (confidence {:.2})", f.tempo, f.tempo_confidence);
                println!("  time signature {}/4 (confidence {:.2})", f.time_signature, f.time_signature_confidence);
                println!("  key            {} (confidence {:.2})", key_name(f.key, f.mode), f.key_confidence);
                println!("  loudness       {:.1} dB LUFS", f.loudness);
                println!("  energy {:.2}  danceability {:.2}  valence {:.2}", f.energy, f.danceability, f.valence);
                println!(
                    "  acousticness {:.2}  instrumentalness {:.2}  speechiness {:.2}  liveness {:.2}",
                    f.acousticness, f.instrumentalness, f.speechiness, f.liveness
                );
                if let Some(t) = &a.timeline {
                    println!(
                        "  timeline       {} beats, {} bars, {} tatums",
                        t.beats.len(),
                        t.bars.len(),
                        t.tatums.len()
                    );
                }
            }
            Err(e) => {
                eprintln!("error: {file}: [{}] {e}", e.kind());
                failed = true;
            }
        }
    }
    if failed { std::process::ExitCode::FAILURE } else { std::process::ExitCode::SUCCESS }
}

/// `key_name(9, 0) == "A minor"`.
fn key_name(key: i8, mode: u8) -> String {
    const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    if key < 0 {
        return "none".into();
    }
    format!("{} {}", NAMES[key as usize % 12], if mode == 1 { "major" } else { "minor" })
}
