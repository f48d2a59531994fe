//! The codec features keep their promise: a format whose feature is on decodes, a format whose
//! feature is off is a typed `UnsupportedFormat` error (never a panic or a misleading decode).
//!
//! The default build has every codec on; `scripts/test-all.sh` also runs this file with
//! `--no-default-features --features wav,flac`.

use std::path::PathBuf;

use analyzer_core::ErrorKind;
use analyzer_core::audio::{LoadConfig, load_path};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/formats").join(name)
}

#[test]
fn each_format_decodes_exactly_when_its_feature_is_on() {
    let cases = [
        ("s16.wav", cfg!(feature = "wav")),
        ("s16.aiff", cfg!(feature = "aiff")),
        ("s16.flac", cfg!(feature = "flac")),
        ("mp3.mp3", cfg!(feature = "mp3")),
        ("vorbis.ogg", cfg!(feature = "vorbis")),
        ("aac.m4a", cfg!(feature = "aac")),
        ("aac_adts.aac", cfg!(feature = "aac")),
        ("s16_alac.m4a", cfg!(feature = "alac")),
    ];
    let cfg = LoadConfig { loudness: None, ..LoadConfig::default() };
    for (file, enabled) in cases {
        match load_path(fixture(file), &cfg) {
            Ok(audio) => {
                assert!(enabled, "{file} decoded although its feature is off");
                assert!(!audio.samples.is_empty(), "{file}");
            }
            Err(e) => {
                assert!(!enabled, "{file}: {e}");
                assert_eq!(e.kind(), ErrorKind::UnsupportedFormat, "{file}: {e}");
            }
        }
    }
}
