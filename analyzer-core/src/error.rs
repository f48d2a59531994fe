//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in `analyzer-core`.
///
/// The variants are coarse on purpose: callers (the CLI's error stream, the Python exception
/// hierarchy) map each one to a stable kind with [`AnalyzerError::kind`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalyzerError {
    /// The container or codec is not one this build can read (or the bytes are not audio at all).
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    /// The stream is corrupt or truncated so badly that no usable audio could be decoded.
    #[error("corrupt or truncated stream: {0}")]
    Decode(String),
    /// The container holds no audio track.
    #[error("no audio track in the container")]
    NoAudioTrack,
    /// The input holds no bytes or no audio samples.
    #[error("empty input: {0}")]
    Empty(String),
    /// The input exceeds a configured resource limit (duration, channels, sample rate).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// A parameter or configuration value is out of its valid range.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// The parameter's name, as spelled in the config struct (`n_fft`, `hop_length`, ...).
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading the input failed.
    #[error("I/O error{}: {source}", path.as_ref().map(|p| format!(" on {}", p.display())).unwrap_or_default())]
    Io {
        /// The file involved, when there is one.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A bug: an internal invariant failed (a caught panic, for instance). Reported, never
    /// aborting the process, so that a batch goes on.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Short alias used across the crate.
pub type Result<T, E = AnalyzerError> = std::result::Result<T, E>;

/// A stable, machine-readable name for each error kind (used in error records and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// See [`AnalyzerError::UnsupportedFormat`].
    UnsupportedFormat,
    /// See [`AnalyzerError::Decode`].
    Decode,
    /// See [`AnalyzerError::NoAudioTrack`].
    NoAudioTrack,
    /// See [`AnalyzerError::Empty`].
    Empty,
    /// See [`AnalyzerError::LimitExceeded`].
    LimitExceeded,
    /// See [`AnalyzerError::InvalidParameter`].
    InvalidParameter,
    /// An I/O error whose cause is a missing file.
    NotFound,
    /// Any other I/O error.
    Io,
    /// See [`AnalyzerError::Internal`].
    Internal,
}

impl ErrorKind {
    /// The snake_case name written into error records.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::Decode => "decode",
            ErrorKind::NoAudioTrack => "no_audio_track",
            ErrorKind::Empty => "empty",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::InvalidParameter => "invalid_parameter",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Io => "io",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AnalyzerError {
    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            AnalyzerError::UnsupportedFormat(_) => ErrorKind::UnsupportedFormat,
            AnalyzerError::Decode(_) => ErrorKind::Decode,
            AnalyzerError::NoAudioTrack => ErrorKind::NoAudioTrack,
            AnalyzerError::Empty(_) => ErrorKind::Empty,
            AnalyzerError::LimitExceeded(_) => ErrorKind::LimitExceeded,
            AnalyzerError::InvalidParameter { .. } => ErrorKind::InvalidParameter,
            AnalyzerError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            AnalyzerError::Io { .. } => ErrorKind::Io,
            AnalyzerError::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Turns a caught panic payload into [`AnalyzerError::Internal`].
    pub fn from_panic(payload: Box<dyn std::any::Any + Send>) -> Self {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        AnalyzerError::Internal(what)
    }

    /// Builds an [`AnalyzerError::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        AnalyzerError::InvalidParameter { name, reason: reason.into() }
    }

    pub(crate) fn io(path: Option<&std::path::Path>, source: std::io::Error) -> Self {
        AnalyzerError::Io { path: path.map(|p| p.to_path_buf()), source }
    }
}

/// Validation helpers shared by every config struct.
pub(crate) mod check {
    use super::{AnalyzerError, Result};

    /// `value` must be a finite number strictly greater than zero.
    pub fn positive_f32(name: &'static str, value: f32) -> Result<()> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(AnalyzerError::invalid(name, format!("must be finite and > 0, got {value}")))
        }
    }

    /// `value` must be a finite number, zero or more.
    pub fn non_negative<T: Into<f64> + Copy + std::fmt::Display>(name: &'static str, value: T) -> Result<()> {
        let v: f64 = value.into();
        if v.is_finite() && v >= 0.0 {
            Ok(())
        } else {
            Err(AnalyzerError::invalid(name, format!("must be finite and >= 0, got {value}")))
        }
    }

    /// `value` must be at least `min`.
    pub fn at_least(name: &'static str, value: usize, min: usize) -> Result<()> {
        if value >= min { Ok(()) } else { Err(AnalyzerError::invalid(name, format!("must be >= {min}, got {value}"))) }
    }

    /// `value` must lie in `[0, 1]`.
    pub fn unit_f32(name: &'static str, value: f32) -> Result<()> {
        if (0.0..=1.0).contains(&value) {
            Ok(())
        } else {
            Err(AnalyzerError::invalid(name, format!("must be in [0, 1], got {value}")))
        }
    }

    /// `lo < hi`, both finite and non-negative.
    pub fn ordered_range(name: &'static str, lo: f32, hi: f32) -> Result<()> {
        if lo.is_finite() && hi.is_finite() && lo >= 0.0 && lo < hi {
            Ok(())
        } else {
            Err(AnalyzerError::invalid(name, format!("needs 0 <= low < high, got {lo}..{hi}")))
        }
    }
}
