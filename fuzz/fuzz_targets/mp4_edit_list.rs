//! The MP4 edit-list parser (`audio/mp4.rs`) on arbitrary bytes: never a panic, never a
//! large allocation from a lying box size.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((skip, length, timescale)) = analyzer_core::test_hooks::mp4_edit_range(data) {
        // The conversion to a sample rate must not overflow either.
        let _ = (skip, length, timescale);
    }
});
