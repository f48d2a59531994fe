//! The CLI's manifest parser (TSV and JSON Lines) on arbitrary bytes (a tab-separated line need
//! not be UTF-8).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(inputs) = analyzer_cli::inputs::parse_manifest(data, Path::new("/base"), "fuzz.tsv") {
        for i in &inputs {
            assert!(!i.path.as_os_str().is_empty());
        }
    }
});
