//! The per-track record: one row of every output format.
//!
//! Field names and meanings follow Spotify's (deprecated) `audio-features` object, plus the
//! provenance fields a pipeline needs (`id`, `path`, `content_hash`, `analyzer_version`) and
//! the source stream's description. Musical fields are `None` (JSON `null`, an empty CSV cell,
//! a Parquet null) until the analysis that computes them exists. The schema is documented in
//! `analyzer-cli/SCHEMA.md`; [`FIELDS`] lists the columns in output order.

use serde::{Deserialize, Serialize};

/// One analysed track.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Record {
    /// Caller's identifier (defaults to the path as given).
    pub id: String,
    /// The file analysed, as given (or resolved against the manifest's directory).
    pub path: String,
    /// BLAKE3 of the file bytes, lowercase hex.
    pub content_hash: String,
    /// Version of the analyzer that produced the record.
    pub analyzer_version: String,
    /// Decoded duration in milliseconds (after `--max-duration` truncation).
    pub duration_ms: u64,
    /// Source sample rate in Hz.
    pub sample_rate: u32,
    /// Source channel count.
    pub channels: u16,
    /// Source codec short name.
    pub codec: String,
    /// Global tempo in BPM.
    pub tempo: Option<f64>,
    /// Confidence of `tempo`, 0..=1.
    pub tempo_confidence: Option<f64>,
    /// Estimated beats per bar (3..=7).
    pub time_signature: Option<i32>,
    /// Confidence of `time_signature`, 0..=1.
    pub time_signature_confidence: Option<f64>,
    /// Pitch class of the key, 0 = C ... 11 = B.
    pub key: Option<i32>,
    /// Confidence of `key`, 0..=1.
    pub key_confidence: Option<f64>,
    /// 1 = major, 0 = minor.
    pub mode: Option<i32>,
    /// Confidence of `mode`, 0..=1.
    pub mode_confidence: Option<f64>,
    /// Integrated loudness in dB.
    pub loudness: Option<f64>,
    /// Energy, 0..=1.
    pub energy: Option<f64>,
    /// Danceability, 0..=1.
    pub danceability: Option<f64>,
    /// Speechiness, 0..=1.
    pub speechiness: Option<f64>,
    /// Acousticness, 0..=1.
    pub acousticness: Option<f64>,
    /// Instrumentalness, 0..=1.
    pub instrumentalness: Option<f64>,
    /// Liveness, 0..=1.
    pub liveness: Option<f64>,
    /// Valence, 0..=1.
    pub valence: Option<f64>,
}

/// Column names in output order (the order of the struct fields).
pub const FIELDS: [&str; 24] = [
    "id",
    "path",
    "content_hash",
    "analyzer_version",
    "duration_ms",
    "sample_rate",
    "channels",
    "codec",
    "tempo",
    "tempo_confidence",
    "time_signature",
    "time_signature_confidence",
    "key",
    "key_confidence",
    "mode",
    "mode_confidence",
    "loudness",
    "energy",
    "danceability",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
];

impl Record {
    /// Whether this record was computed from the same bytes by the same analyzer version, so it
    /// can be reused instead of analysing again.
    pub fn is_current(&self, content_hash: &str, analyzer_version: &str) -> bool {
        self.content_hash == content_hash && self.analyzer_version == analyzer_version
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_are_the_documented_fields_in_order() {
        let v = serde_json::to_value(Record::default()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted_fields = FIELDS.to_vec();
        sorted_fields.sort_unstable();
        let mut sorted_keys = keys.clone();
        sorted_keys.sort_unstable();
        assert_eq!(sorted_keys, sorted_fields);
        let line = serde_json::to_string(&Record::default()).unwrap();
        let positions: Vec<usize> = FIELDS.iter().map(|f| line.find(&format!("\"{f}\"")).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{line}");
        assert!(v["tempo"].is_null() && v["valence"].is_null());
    }

    #[test]
    fn currency_needs_hash_and_version() {
        let r = Record { content_hash: "ab".into(), analyzer_version: "1".into(), ..Record::default() };
        assert!(r.is_current("ab", "1"));
        assert!(!r.is_current("ac", "1"));
        assert!(!r.is_current("ab", "2"));
    }
}
