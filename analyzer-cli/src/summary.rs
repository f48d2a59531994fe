//! The end-of-run summary: one line on stderr and, with `--summary-json FILE`, a JSON object.

use serde::Serialize;

/// Seconds per hour.
const S_PER_HOUR: f64 = 3600.0;

/// Counts and timings of one batch run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Inputs after de-duplication by id.
    pub inputs: usize,
    /// Tracks analysed in this run (records written from a fresh decode).
    pub ok: usize,
    /// Tracks that failed (one errors-stream row each).
    pub failed: usize,
    /// Tracks skipped on purpose (`--skip-long`; one errors-stream row each).
    pub skipped: usize,
    /// Unchanged tracks whose `--snapshot` record was reused without decoding.
    pub carried_over: usize,
    /// Tracks already in the output from an earlier, interrupted run of the same command.
    pub resumed: usize,
    /// Snapshot records kept for ids that failed now or are no longer among the inputs.
    pub kept: usize,
    /// Records dropped by `--prune-missing`.
    pub pruned: usize,
    /// Files whose audio was decoded in this run (successfully or not).
    pub decoded: usize,
    /// Records the output holds at the end.
    pub records: usize,
    /// Decoded audio in seconds (tracks analysed in this run).
    pub audio_seconds: f64,
    /// Wall-clock time of the run in seconds.
    pub wall_seconds: f64,
}

impl Summary {
    /// Decoded audio per wall-clock time.
    pub fn x_realtime(&self) -> f64 {
        if self.wall_seconds > 0.0 { self.audio_seconds / self.wall_seconds } else { 0.0 }
    }

    /// Inputs handled per second.
    pub fn files_per_second(&self) -> f64 {
        if self.wall_seconds > 0.0 { self.inputs as f64 / self.wall_seconds } else { 0.0 }
    }

    /// The one-line human form.
    pub fn line(&self) -> String {
        format!(
            "summary: {} ok, {} failed, {} skipped, {} carried over, {} resumed, {} kept, {} pruned; \
             {} decoded; {} records; {:.3} h audio in {:.2} s ({:.1}x realtime, {:.2} files/s)",
            self.ok,
            self.failed,
            self.skipped,
            self.carried_over,
            self.resumed,
            self.kept,
            self.pruned,
            self.decoded,
            self.records,
            self.audio_seconds / S_PER_HOUR,
            self.wall_seconds,
            self.x_realtime(),
            self.files_per_second(),
        )
    }

    /// The JSON form: every field plus `audio_hours`, `x_realtime` and `files_per_second`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("audio_hours".into(), (self.audio_seconds / S_PER_HOUR).into());
            o.insert("x_realtime".into(), self.x_realtime().into());
            o.insert("files_per_second".into(), self.files_per_second().into());
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_forms() {
        let s =
            Summary { inputs: 10, ok: 9, failed: 1, audio_seconds: 7200.0, wall_seconds: 10.0, ..Summary::default() };
        assert_eq!(s.x_realtime(), 720.0);
        assert_eq!(s.files_per_second(), 1.0);
        assert!(s.line().contains("9 ok, 1 failed") && s.line().contains("2.000 h"), "{}", s.line());
        let j = s.to_json();
        assert_eq!(j["decoded"], 0);
        assert_eq!(j["x_realtime"], 720.0);
        assert_eq!(Summary::default().x_realtime(), 0.0);
        assert_eq!(Summary::default().files_per_second(), 0.0);
    }
}
