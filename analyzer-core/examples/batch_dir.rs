//! Analyse every audio file under a directory in parallel (rayon) and print one
//! tab-separated line per file, in a stable order; failures are reported and skipped.
//!
//! ```sh
//! cargo run --release -p analyzer-core --features rayon --example batch_dir -- DIR [THREADS]
//! ```
//!
//! One [`Analyzer`] is built once and shared by every worker thread; the numbers do not
//! depend on the thread count.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use analyzer_core::analysis::{AnalysisConfig, Analyzer};
use analyzer_core::audio::AUDIO_EXTENSIONS;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: batch_dir DIR [THREADS]");
        return ExitCode::from(2);
    };
    if let Some(threads) = args.next().and_then(|t| t.parse::<usize>().ok()) {
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global() {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let mut files = Vec::new();
    if let Err(e) = collect(Path::new(&dir), &mut files) {
        eprintln!("error: {dir}: {e}");
        return ExitCode::from(2);
    }
    files.sort();
    let analyzer = match Analyzer::new(AnalysisConfig::default()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let results = analyzer.analyze_paths(&files);
    let elapsed = started.elapsed().as_secs_f64();
    println!("file\ttempo\tkey\tmode\tloudness\tenergy\tdanceability");
    let (mut ok, mut audio_s) = (0usize, 0.0f64);
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(a) => {
                let f = a.features;
                ok += 1;
                audio_s += f.duration_ms as f64 / 1000.0;
                println!(
                    "{}\t{:.2}\t{}\t{}\t{:.2}\t{:.3}\t{:.3}",
                    file.display(),
                    f.tempo,
                    f.key,
                    f.mode,
                    f.loudness,
                    f.energy,
                    f.danceability
                );
            }
            Err(e) => eprintln!("failed: {}: [{}] {e}", file.display(), e.kind()),
        }
    }
    eprintln!(
        "{ok}/{} files, {audio_s:.0} s of audio in {elapsed:.2} s ({:.0}x realtime) on {} threads",
        files.len(),
        audio_s / elapsed.max(f64::EPSILON),
        rayon::current_num_threads()
    );
    if ok == files.len() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
