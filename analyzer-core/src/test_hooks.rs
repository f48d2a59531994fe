//! Hooks for tests and fuzzing, compiled only with the `test-hooks` cargo feature (never in a
//! release build of the CLI or the Python wheel).
//!
//! - [`FORCE_PANIC_MARKER`]: an input whose bytes start with it makes the decoder panic
//!   *outside* its own `catch_unwind`, so that tests can check that a panic inside the core
//!   reaches the CLI as a recorded failure and Python as `audio_analyzer.AnalyzerError`, never
//!   as an abort.
//! - [`mp4_edit_range`]: the MP4 edit-list parser, for the fuzzer.

use std::io::{Read, Seek, SeekFrom};

/// Inputs starting with these bytes panic inside the core (see the module docs).
pub const FORCE_PANIC_MARKER: &[u8] = b"AUDIO-ANALYZER-TEST-HOOK:FORCE-PANIC";

/// Panics when `source` starts with [`FORCE_PANIC_MARKER`]; leaves the position at the start.
pub(crate) fn panic_if_marked<R: Read + Seek + ?Sized>(source: &mut R) {
    let mut head = vec![0u8; FORCE_PANIC_MARKER.len()];
    let marked = source.read_exact(&mut head).is_ok() && head == FORCE_PANIC_MARKER;
    let _ = source.seek(SeekFrom::Start(0));
    if marked {
        panic!("forced panic (test-hooks feature, FORCE_PANIC_MARKER input)");
    }
}

/// The MP4 audio edit list of `bytes` as `(skip, length, media_timescale)`, `None` when there
/// is none or the file is not parseable.
pub fn mp4_edit_range(bytes: &[u8]) -> Option<(u64, Option<u64>, u32)> {
    crate::audio::mp4_edit_range(&mut std::io::Cursor::new(bytes)).map(|e| (e.skip, e.length, e.media_timescale))
}
