//! Shared timeline types: the interval shape used by Spotify's `audio-analysis` for beats, bars,
//! tatums, sections and segments.

/// A time interval with a confidence, as in Spotify's `audio-analysis` (`start`, `duration`,
/// `confidence`). Times are in seconds from the start of the decoded audio.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TimeInterval {
    /// Start time in seconds.
    pub start: f64,
    /// Duration in seconds (the distance to the next interval of the same kind, or to the end).
    pub duration: f64,
    /// Confidence in 0–1 that this interval is real.
    pub confidence: f32,
}

impl TimeInterval {
    /// The end time, `start + duration`.
    pub fn end(&self) -> f64 {
        self.start + self.duration
    }
}

/// Turn a sorted list of event times into intervals: each lasts until the next event, the last
/// until `end` (or zero if `end` is earlier). `confidences` must be as long as `times`.
pub fn intervals_from_times(times: &[f64], confidences: &[f32], end: f64) -> Vec<TimeInterval> {
    debug_assert_eq!(times.len(), confidences.len());
    times
        .iter()
        .zip(confidences)
        .enumerate()
        .map(|(i, (&start, &confidence))| {
            let next = times.get(i + 1).copied().unwrap_or(end.max(start));
            TimeInterval { start, duration: (next - start).max(0.0), confidence: confidence.clamp(0.0, 1.0) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_cover_until_the_next_event_and_the_end() {
        let iv = intervals_from_times(&[0.5, 1.0, 1.6], &[0.9, 1.2, -0.1], 2.0);
        assert_eq!(iv.len(), 3);
        assert!((iv[0].duration - 0.5).abs() < 1e-12);
        assert!((iv[2].end() - 2.0).abs() < 1e-12);
        assert_eq!(iv[1].confidence, 1.0);
        assert_eq!(iv[2].confidence, 0.0);
        assert!(intervals_from_times(&[], &[], 1.0).is_empty());
        assert_eq!(intervals_from_times(&[3.0], &[0.5], 1.0)[0].duration, 0.0);
    }
}
