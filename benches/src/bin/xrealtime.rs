//! Prints decode (and decode + resample to 22050 Hz mono) speed in x realtime, single thread.
//!
//! `cargo run --release -p analyzer-benches --bin xrealtime [FILES...]`; without files it uses
//! `testdata/formats`. Each file is read into memory first so that disk speed does not count;
//! each figure is the best of `REPEATS` runs.

use std::path::PathBuf;
use std::time::Instant;

use analyzer_core::audio::{LoadConfig, load_bytes};

const REPEATS: usize = 5;

fn main() {
    let mut files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(analyzer_benches::formats_dir())
            .expect("testdata/formats")
            .map(|e| e.expect("dir entry").path())
            .collect();
        v.sort();
        files = v;
    }
    println!("{:<40} {:>9} {:>14} {:>20}", "file", "audio s", "decode x rt", "decode+resample x rt");
    for path in files {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                println!("{}: {e}", path.display());
                continue;
            }
        };
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        let time = |cfg: &LoadConfig| {
            let mut best = f64::INFINITY;
            let mut seconds = 0.0;
            for _ in 0..REPEATS {
                let input = bytes.clone();
                let t0 = Instant::now();
                match load_bytes(input, ext.as_deref(), cfg) {
                    Ok(a) => seconds = a.source.duration_seconds(),
                    Err(e) => return Err(e),
                }
                best = best.min(t0.elapsed().as_secs_f64());
            }
            Ok((seconds, best))
        };
        let native = LoadConfig { sr: None, ..LoadConfig::default() };
        match (time(&native), time(&LoadConfig::default())) {
            (Ok((secs, t_dec)), Ok((_, t_res))) => println!(
                "{:<40} {:>9.2} {:>14.0} {:>20.0}",
                path.file_name().unwrap().to_string_lossy(),
                secs,
                secs / t_dec,
                secs / t_res
            ),
            (Err(e), _) | (_, Err(e)) => println!("{}: error: {e}", path.display()),
        }
    }
}
