//! A counting semaphore on bytes: bounds the audio held in memory by concurrent tasks.
//!
//! A task reserves an estimate of what it will hold (the encoded file read into memory plus
//! the analysis stages' frame records, see [`analysis_estimate`]; the decoded signal itself is
//! never held, the stages run on it as it is decoded) before reading, and releases it when its
//! record is done. A reservation larger than the whole budget is clamped to it, so a huge file
//! runs alone instead of deadlocking.

use std::sync::{Condvar, Mutex};

/// Bytes the stages' frame records take per sample of audio at the analysis rate (onset
/// envelope and band spectrogram, descriptor series, key peaks, timeline frames): measured
/// 1.3 on a 62-minute MP3 without the timeline, about 1.5 with it; rounded up.
const RECORD_BYTES_PER_SAMPLE: u64 = 2;
/// Lowest encoded data rate assumed when estimating the decoded size from the file size, in
/// bytes per second: 32 kbit/s, a low-bitrate MP3/AAC. PCM and lossless files decode to less
/// than this predicts; only lower bitrates exceed the estimate.
const MIN_ENCODED_BYTES_PER_S: u64 = 4000;

/// Upper estimate of the analysis records of an encoded file of `encoded_bytes` analysed at
/// `sr` Hz, capped by `max_duration_s` when one is set.
pub fn analysis_estimate(encoded_bytes: u64, sr: u32, max_duration_s: Option<f64>) -> u64 {
    let per_s = u64::from(sr) * RECORD_BYTES_PER_SAMPLE;
    let by_size = encoded_bytes.saturating_mul(per_s) / MIN_ENCODED_BYTES_PER_S;
    match max_duration_s {
        Some(d) if d.is_finite() && d > 0.0 => by_size.min((d * per_s as f64).ceil() as u64),
        _ => by_size,
    }
}

/// The semaphore.
#[derive(Debug)]
pub struct Budget {
    capacity: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// A reservation; released on drop.
#[derive(Debug)]
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `capacity` bytes (at least 1).
    pub fn new(capacity: u64) -> Budget {
        Budget { capacity: capacity.max(1), used: Mutex::new(0), freed: Condvar::new() }
    }

    /// Waits until `bytes` (clamped to the capacity) fit, then reserves them.
    pub fn acquire(&self, bytes: u64) -> Permit<'_> {
        let bytes = bytes.min(self.capacity);
        let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
        while *used > 0 && *used + bytes > self.capacity {
            used = self.freed.wait(used).unwrap_or_else(|p| p.into_inner());
        }
        *used += bytes;
        Permit { budget: self, bytes }
    }

    /// Bytes currently reserved.
    pub fn in_use(&self) -> u64 {
        *self.used.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(|p| p.into_inner());
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn never_exceeds_capacity_and_oversized_requests_run_alone() {
        let b = Budget::new(100);
        let peak = AtomicU64::new(0);
        std::thread::scope(|s| {
            for i in 0..8u64 {
                let (b, peak) = (&b, &peak);
                s.spawn(move || {
                    for _ in 0..50 {
                        let _p = b.acquire(30 + i * 20);
                        peak.fetch_max(b.in_use(), Ordering::SeqCst);
                        std::thread::yield_now();
                    }
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 100);
        assert_eq!(b.in_use(), 0);
    }

    #[test]
    fn estimate_scales_with_rate_and_is_capped() {
        assert_eq!(analysis_estimate(4000, 22050, None), 22050 * 2);
        assert_eq!(analysis_estimate(4000 * 600, 22050, Some(10.0)), 22050 * 2 * 10);
        assert_eq!(analysis_estimate(0, 22050, None), 0);
        assert_eq!(analysis_estimate(u64::MAX, 22050, None), u64::MAX / 4000);
    }
}
