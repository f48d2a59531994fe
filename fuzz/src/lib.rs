//! Shared body of the `decode_*` fuzz targets: one target per container/codec path, each
//! seeded with files of its own format, so that libFuzzer's mutations stay inside one parser.
//!
//! Decoding only (no analysis) runs faster per input than `analyze_bytes`, so
//! each parser gets many more executions in the same time.

use std::sync::OnceLock;

use analyzer_core::audio::{LoadConfig, load_bytes};

/// Longest audio decoded per input: larger claims are truncated, as a pipeline would be told
/// to do, so one input never takes seconds.
pub const MAX_DURATION_S: f64 = 60.0;
/// Decoded-memory limit per input (the core's typed `LimitExceeded` error above it).
pub const MAX_DECODED_BYTES: u64 = 256 << 20;

/// Samples a resampler flush may add past the duration cut.
const RESAMPLER_SLACK: usize = 4096;

fn load_config() -> &'static LoadConfig {
    static CFG: OnceLock<LoadConfig> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut cfg = LoadConfig::default();
        cfg.max_duration_s = Some(MAX_DURATION_S);
        cfg.truncate_long_input = true;
        cfg.max_decoded_bytes = Some(MAX_DECODED_BYTES);
        cfg
    })
}

/// Installs a panic hook that is silent for panics inside third-party crates (the registry):
/// libfuzzer-sys aborts on any panic, even one the core catches on purpose (third-party decoder
/// panics become `Decode` errors). A panic in the project's own code is printed, and one the
/// core does not catch still aborts at the fuzzer's `extern "C"` entry point.
pub fn init() {
    std::panic::set_hook(Box::new(|info| {
        let third_party = info.location().is_some_and(|l| l.file().contains(".cargo/registry"));
        if !third_party {
            eprintln!("panic: {info}");
        }
    }));
}

/// Decodes `data` with the extension hint `ext`. A typed error is fine; a result must be
/// consistent: finite samples (the core replaces non-finite ones), a rate in range, and no
/// more samples than the duration limit allows.
pub fn decode(data: &[u8], ext: &str) {
    if data.starts_with(analyzer_core::test_hooks::FORCE_PANIC_MARKER) {
        return;
    }
    let cfg = load_config();
    if let Ok(audio) = load_bytes(data.to_vec(), Some(ext), cfg) {
        assert!(audio.sample_rate > 0, "zero sample rate");
        assert!(audio.samples.iter().all(|s| s.is_finite()), "non-finite decoded sample");
        // The resampler's flush may add a filter length past the cut.
        let max_len = (MAX_DURATION_S * f64::from(audio.sample_rate)).ceil() as usize + RESAMPLER_SLACK;
        assert!(audio.samples.len() <= max_len, "{} samples beyond the duration limit", audio.samples.len());
    }
}
