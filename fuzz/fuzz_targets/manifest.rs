//! The CLI's manifest parser (TSV and JSON Lines) on arbitrary text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(inputs) = analyzer_cli::inputs::parse_manifest(text, Path::new("/base"), "fuzz.tsv") {
        for i in &inputs {
            assert!(!i.path.as_os_str().is_empty());
        }
    }
});
