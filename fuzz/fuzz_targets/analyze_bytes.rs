//! Decode + analyse arbitrary bytes. The first byte picks the extension hint (none, or one of
//! the containers), the rest is the file. Any outcome but a typed error or a result with
//! finite numbers is a bug; panics inside third-party decoders are caught by the core (and
//! must not abort), panics elsewhere abort here.
#![no_main]

use std::sync::OnceLock;

use analyzer_core::analysis::{AnalysisConfig, Analyzer};
use libfuzzer_sys::fuzz_target;

/// Extension hints tried: `None` plus every container the decoder knows.
const HINTS: [Option<&str>; 8] =
    [None, Some("wav"), Some("flac"), Some("mp3"), Some("ogg"), Some("m4a"), Some("aac"), Some("aiff")];
/// Longest audio analysed per input (longer is truncated), to keep executions fast.
const MAX_DURATION_S: f64 = 30.0;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| {
        let mut cfg = AnalysisConfig::default().with_timeline(true);
        cfg.load.max_duration_s = Some(MAX_DURATION_S);
        cfg.load.truncate_long_input = true;
        Analyzer::new(cfg).expect("valid config")
    })
}

fuzz_target!(
    // Silent for third-party panics the core catches on purpose; see `analyzer_fuzz::init`.
    init: analyzer_fuzz::init(),
    |data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else { return };
    // The test hook's forced panic is by design (libFuzzer lifts the marker from the binary).
    if file.starts_with(analyzer_core::test_hooks::FORCE_PANIC_MARKER) {
        return;
    }
    let hint = HINTS[usize::from(selector) % HINTS.len()];
    if let Ok(a) = analyzer().analyze_bytes(file.to_vec(), hint) {
        let f = &a.features;
        for v in [
            f.tempo,
            f.tempo_confidence,
            f.key_confidence,
            f.mode_confidence,
            f.time_signature_confidence,
            f.loudness,
            f.energy,
            f.danceability,
            f.speechiness,
            f.acousticness,
            f.instrumentalness,
            f.liveness,
            f.valence,
        ] {
            assert!(v.is_finite(), "non-finite feature in {f:?}");
        }
    }
});
