//! The descriptor models: one logistic model per descriptor over named features, with the
//! weights as data (JSON).
//!
//! Each descriptor is
//! `d = σ(b + Σ_i w_i · clip((x_i − c_i) / s_i))`, `σ(z) = 1 / (1 + e^{−z})`,
//! where `x_i` is the value of feature `f_i` ([`Feature`]), `c_i` and `s_i` its centre and scale
//! (standardisation), `w_i` its weight, `b` the bias, and `clip` limits a standardised feature
//! to ±[`STANDARDISED_CLIP`] so that one extreme feature cannot saturate a model on unusual
//! input. The default weights ([`DescriptorModel::default`], embedded from `model.json`) were
//! fitted by `scripts/descriptors/fit_descriptors.py` on the labelled pairs its recipe builds
//! (speechiness, instrumentalness, liveness, acousticness), or set as documented priors with
//! data-derived centres and scales (energy, danceability, valence); see that script. Users can
//! recalibrate with their own labels and load the result with [`DescriptorModel::from_json`].
//!
//! # References
//! - D. R. Cox, "The regression analysis of binary sequences", J. R. Stat. Soc. B 20(2), 1958
//!   (logistic regression).

use serde::{Deserialize, Serialize};

use crate::error::{AnalyzerError, Result};

/// Largest magnitude of a standardised feature inside a model.
pub const STANDARDISED_CLIP: f32 = 5.0;

/// The embedded default model.
const DEFAULT_MODEL_JSON: &str = include_str!("model.json");

/// A named feature a descriptor model can use. Names in JSON are the snake_case variant names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Feature {
    /// Integrated loudness, LUFS.
    LoudnessLufs,
    /// Loudness range, LU (0 when the source-rate meter did not run).
    LoudnessRangeLu,
    /// RMS level, dBFS.
    RmsDb,
    /// P95 − P10 of frame levels, dB.
    DynamicRangeDb,
    /// Peak-to-RMS ratio, dB.
    CrestDb,
    /// Spectral centroid, kHz.
    CentroidKhz,
    /// Spectral rolloff, kHz.
    RolloffKhz,
    /// Mel spectral flatness, 0–1.
    Flatness,
    /// Normalised mel spectral entropy, 0–1.
    Entropy,
    /// Log-mel spectral flux per band.
    Flux,
    /// Autocorrelation harmonicity, 0–1.
    Harmonicity,
    /// Fraction of voiced frames.
    VoicedRatio,
    /// Fraction of consecutive voiced frames with a stable pitch.
    PitchStability,
    /// Fraction of energy in the 300–3400 Hz vocal band.
    VocalBandRatio,
    /// Syllabic (≈4 Hz) modulation fraction of the vocal-band envelope.
    #[serde(rename = "modulation_4hz")]
    Modulation4hz,
    /// Fraction of low-energy frames.
    LowEnergyRatio,
    /// Onsets per second.
    OnsetRate,
    /// Pulse clarity, 0–1.
    PulseClarity,
    /// Beat strength (mean envelope at beats over its mean, minus 1).
    BeatStrength,
    /// DFA exponent of the onset envelope.
    DfaAlpha,
    /// Fraction of energy below 150 Hz.
    LowFreqRatio,
    /// Zero crossings per sample.
    Zcr,
    /// Noise floor, P10 − P50 of frame levels, dB.
    NoiseFloorDb,
    /// Flatness of the quietest frames.
    QuietFlatness,
    /// Median level decay after onsets, dB/s.
    DecayDbPerS,
    /// Mean of MFCC 1.
    Mfcc1Mean,
    /// Mean of MFCC 2.
    Mfcc2Mean,
    /// Mean of MFCC 3.
    Mfcc3Mean,
    /// Mean of MFCC 4.
    Mfcc4Mean,
    /// Mean of MFCC 5.
    Mfcc5Mean,
    /// Standard deviation of MFCC 1.
    Mfcc1Std,
    /// Standard deviation of MFCC 2.
    Mfcc2Std,
    /// Standard deviation of MFCC 3.
    Mfcc3Std,
    /// Standard deviation of MFCC 4.
    Mfcc4Std,
    /// Standard deviation of MFCC 5.
    Mfcc5Std,
    /// Tempo in BPM (the context's, else the pulse estimate).
    TempoBpm,
    /// `|log2(tempo / dance_tempo_center_bpm)|`, octaves away from the dance tempo.
    TempoOctaveDistance,
    /// Tempo confidence from the context (0 when absent).
    TempoConfidence,
    /// Mode: 1 major, 0 minor, 0.5 unknown.
    ModeMajor,
    /// Mode confidence from the context (0 when absent).
    ModeConfidence,
}

impl Feature {
    /// Every feature, in a fixed order (the order of [`FeatureVector`]).
    pub const ALL: [Feature; 40] = [
        Feature::LoudnessLufs,
        Feature::LoudnessRangeLu,
        Feature::RmsDb,
        Feature::DynamicRangeDb,
        Feature::CrestDb,
        Feature::CentroidKhz,
        Feature::RolloffKhz,
        Feature::Flatness,
        Feature::Entropy,
        Feature::Flux,
        Feature::Harmonicity,
        Feature::VoicedRatio,
        Feature::PitchStability,
        Feature::VocalBandRatio,
        Feature::Modulation4hz,
        Feature::LowEnergyRatio,
        Feature::OnsetRate,
        Feature::PulseClarity,
        Feature::BeatStrength,
        Feature::DfaAlpha,
        Feature::LowFreqRatio,
        Feature::Zcr,
        Feature::NoiseFloorDb,
        Feature::QuietFlatness,
        Feature::DecayDbPerS,
        Feature::Mfcc1Mean,
        Feature::Mfcc2Mean,
        Feature::Mfcc3Mean,
        Feature::Mfcc4Mean,
        Feature::Mfcc5Mean,
        Feature::Mfcc1Std,
        Feature::Mfcc2Std,
        Feature::Mfcc3Std,
        Feature::Mfcc4Std,
        Feature::Mfcc5Std,
        Feature::TempoBpm,
        Feature::TempoOctaveDistance,
        Feature::TempoConfidence,
        Feature::ModeMajor,
        Feature::ModeConfidence,
    ];

    /// The snake_case name used in JSON.
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    }

    fn index(self) -> usize {
        Feature::ALL.iter().position(|&f| f == self).unwrap_or(0)
    }
}

/// The value of every [`Feature`] for one track.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureVector {
    values: [f32; Feature::ALL.len()],
}

impl Default for FeatureVector {
    fn default() -> Self {
        Self { values: [0.0; Feature::ALL.len()] }
    }
}

impl FeatureVector {
    /// The value of `f`.
    pub fn get(&self, f: Feature) -> f32 {
        self.values[f.index()]
    }

    /// Sets the value of `f` (non-finite values are stored as 0).
    pub fn set(&mut self, f: Feature, v: f32) {
        self.values[f.index()] = if v.is_finite() { v } else { 0.0 };
    }

    /// `(feature, value)` pairs in [`Feature::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Feature, f32)> + '_ {
        Feature::ALL.iter().map(|&f| (f, self.get(f)))
    }
}

/// One term `w · clip((x − c) / s)` of a logistic model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// The feature.
    pub feature: Feature,
    /// Centre `c` subtracted from the feature.
    pub center: f32,
    /// Scale `s` (> 0) dividing it.
    pub scale: f32,
    /// Weight `w`.
    pub weight: f32,
}

/// A logistic model `σ(bias + Σ terms)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticModel {
    /// Bias `b`.
    pub bias: f32,
    /// The terms.
    pub terms: Vec<Term>,
}

impl LogisticModel {
    /// The model's output in 0–1 for `x`.
    pub fn predict(&self, x: &FeatureVector) -> f32 {
        let z = self.terms.iter().fold(self.bias, |z, t| {
            let s = ((x.get(t.feature) - t.center) / t.scale).clamp(-STANDARDISED_CLIP, STANDARDISED_CLIP);
            z + t.weight * s
        });
        let y = 1.0 / (1.0 + (-z).exp());
        if y.is_finite() { y.clamp(0.0, 1.0) } else { 0.5 }
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        if !self.bias.is_finite() {
            return Err(AnalyzerError::invalid(name, "bias must be finite"));
        }
        for t in &self.terms {
            if !(t.center.is_finite() && t.weight.is_finite() && t.scale.is_finite() && t.scale > 0.0) {
                return Err(AnalyzerError::invalid(
                    name,
                    format!("term `{}` needs finite center and weight and scale > 0", t.feature.name()),
                ));
            }
        }
        Ok(())
    }
}

/// The seven descriptor models. Loaded from JSON of the form
/// `{"version": 1, "source": "...", "energy": {"bias": 0.1, "terms": [{"feature":
/// "loudness_lufs", "center": -12, "scale": 5, "weight": 1.2}, ...]}, "danceability": ..., ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DescriptorModel {
    /// Format version (1).
    pub version: u32,
    /// Free text: how the weights were obtained.
    #[serde(default)]
    pub source: String,
    /// Energy.
    pub energy: LogisticModel,
    /// Danceability.
    pub danceability: LogisticModel,
    /// Speechiness.
    pub speechiness: LogisticModel,
    /// Acousticness.
    pub acousticness: LogisticModel,
    /// Instrumentalness.
    pub instrumentalness: LogisticModel,
    /// Liveness.
    pub liveness: LogisticModel,
    /// Valence.
    pub valence: LogisticModel,
}

/// The JSON format version this build reads.
pub const MODEL_VERSION: u32 = 1;

impl Default for DescriptorModel {
    fn default() -> Self {
        // The embedded JSON is checked by a unit test; a broken build-time file is a bug.
        Self::from_json(DEFAULT_MODEL_JSON).expect("embedded descriptor model is valid")
    }
}

impl DescriptorModel {
    /// Parses and validates a model.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] (`model`) for malformed JSON, an unknown feature, a
    /// wrong version, or a non-finite or non-positive number.
    pub fn from_json(json: &str) -> Result<Self> {
        let m: Self = serde_json::from_str(json).map_err(|e| AnalyzerError::invalid("model", e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// The model as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks every model.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad descriptor.
    pub fn validate(&self) -> Result<()> {
        if self.version != MODEL_VERSION {
            return Err(AnalyzerError::invalid(
                "model",
                format!("version {} (expected {MODEL_VERSION})", self.version),
            ));
        }
        self.energy.validate("energy")?;
        self.danceability.validate("danceability")?;
        self.speechiness.validate("speechiness")?;
        self.acousticness.validate("acousticness")?;
        self.instrumentalness.validate("instrumentalness")?;
        self.liveness.validate("liveness")?;
        self.valence.validate("valence")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_loads_and_round_trips() {
        let m = DescriptorModel::default();
        assert_eq!(DescriptorModel::from_json(&m.to_json()).unwrap(), m);
    }

    #[test]
    fn names_are_unique_snake_case() {
        let names: std::collections::HashSet<String> = Feature::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), Feature::ALL.len());
        assert_eq!(Feature::Modulation4hz.name(), "modulation_4hz");
    }

    #[test]
    fn invalid_models_are_rejected() {
        let good = DescriptorModel::default().to_json();
        assert!(DescriptorModel::from_json("{").is_err());
        assert!(DescriptorModel::from_json(&good.replacen("\"version\": 1", "\"version\": 7", 1)).is_err());
        let mut m = DescriptorModel::default();
        m.energy.terms.push(Term { feature: Feature::Zcr, center: 0.0, scale: 0.0, weight: 1.0 });
        assert!(m.validate().is_err());
        let unknown =
            r#"{"version":1,"energy":{"bias":0,"terms":[{"feature":"nope","center":0,"scale":1,"weight":1}]}}"#;
        assert!(DescriptorModel::from_json(unknown).is_err());
    }

    #[test]
    fn logistic_is_monotone_and_bounded() {
        let model = LogisticModel {
            bias: 0.0,
            terms: vec![Term { feature: Feature::Zcr, center: 0.1, scale: 0.05, weight: 2.0 }],
        };
        let mut x = FeatureVector::default();
        let mut last = -1.0;
        for v in [-1e30, 0.0, 0.1, 0.2, 1e30, f32::NAN] {
            x.set(Feature::Zcr, v);
            let y = model.predict(&x);
            assert!((0.0..=1.0).contains(&y));
            if v.is_finite() {
                assert!(y >= last);
                last = y;
            }
        }
    }
}
