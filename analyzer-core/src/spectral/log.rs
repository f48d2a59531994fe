//! Log compression of magnitude or power spectra.
//!
//! - [`LogCompression::Log1p`]: `y = ln(1 + γ·x)`, the compression used for onset detection
//!   functions (Klapuri 1999; Böck & Widmer 2013 use `log10(1 + λ·x)`, which differs by a
//!   constant factor).
//! - [`LogCompression::Decibel`]: `y = 10·log10(max(x, amin))`, then clipped at
//!   `max(y) − top_db` (librosa's `power_to_db` with `ref = 1`).
//!
//! # References
//! - A. Klapuri, "Sound onset detection by applying psychoacoustic knowledge", ICASSP 1999.
//! - S. Böck, G. Widmer, "Maximum filter vibrato suppression for onset detection", DAFx 2013.

use crate::error::{Result, check};
use crate::simd;

/// Default `γ` of [`LogCompression::Log1p`].
pub const DEFAULT_LOG1P_GAMMA: f32 = 1.0;
/// Default `amin` of [`LogCompression::Decibel`] (librosa).
pub const DEFAULT_AMIN: f32 = 1e-10;
/// Default `top_db` of [`LogCompression::Decibel`] (librosa).
pub const DEFAULT_TOP_DB: f32 = 80.0;

/// A log compression method.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum LogCompression {
    /// `ln(1 + gamma·x)`.
    Log1p {
        /// Compression strength `γ > 0`.
        gamma: f32,
    },
    /// Power to decibels, floored at `amin` and optionally clipped `top_db` below the maximum.
    Decibel {
        /// Smallest power considered (`> 0`).
        amin: f32,
        /// Dynamic range kept below the maximum, if any.
        top_db: Option<f32>,
    },
}

impl Default for LogCompression {
    fn default() -> Self {
        LogCompression::Log1p { gamma: DEFAULT_LOG1P_GAMMA }
    }
}

impl LogCompression {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`crate::AnalyzerError::InvalidParameter`] for a non-positive or non-finite parameter.
    pub fn validate(&self) -> Result<()> {
        match *self {
            LogCompression::Log1p { gamma } => check::positive_f32("gamma", gamma),
            LogCompression::Decibel { amin, top_db } => {
                check::positive_f32("amin", amin)?;
                top_db.map_or(Ok(()), |t| check::positive_f32("top_db", t))
            }
        }
    }

    /// Compresses `x` in place.
    pub fn apply(&self, x: &mut [f32]) {
        match *self {
            LogCompression::Log1p { gamma } => simd::log1p_scaled_in_place(x, gamma),
            LogCompression::Decibel { amin, top_db } => {
                for v in x.iter_mut() {
                    *v = 10.0 * v.max(amin).log10();
                }
                if let Some(top) = top_db {
                    let floor = x.iter().copied().fold(f32::NEG_INFINITY, f32::max) - top;
                    for v in x.iter_mut() {
                        *v = v.max(floor);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log1p_matches_std() {
        let mut x: Vec<f32> = (0..1000).map(|i| i as f32 * 0.37).collect();
        let want: Vec<f32> = x.iter().map(|&v| (10.0 * v).ln_1p()).collect();
        LogCompression::Log1p { gamma: 10.0 }.apply(&mut x);
        for (g, w) in x.iter().zip(&want) {
            assert!((g - w).abs() <= 2e-6 * w.abs().max(1.0), "{g} vs {w}");
        }
    }

    #[test]
    fn decibel_floors_and_clips() {
        let mut x = vec![1.0, 0.1, 0.0, 1e-12];
        LogCompression::Decibel { amin: 1e-10, top_db: Some(80.0) }.apply(&mut x);
        assert_eq!(x[0], 0.0);
        assert!((x[1] + 10.0).abs() < 1e-5);
        assert_eq!(x[2], -80.0);
        assert_eq!(x[3], -80.0);
    }

    #[test]
    fn invalid_parameters_rejected() {
        assert!(LogCompression::Log1p { gamma: 0.0 }.validate().is_err());
        assert!(LogCompression::Log1p { gamma: f32::NAN }.validate().is_err());
        assert!(LogCompression::Decibel { amin: -1.0, top_db: None }.validate().is_err());
        assert!(LogCompression::Decibel { amin: 1e-10, top_db: Some(0.0) }.validate().is_err());
        assert!(LogCompression::default().validate().is_ok());
    }
}
