//! Decoding of `.mp3` input (hint `mp3`, seeds of that format): see `analyzer_fuzz::decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: analyzer_fuzz::init(),
    |data: &[u8]| analyzer_fuzz::decode(data, "mp3")
);
