//! Published key profiles: the expected salience of each pitch class, relative to the tonic,
//! in a major and in a minor key.
//!
//! Index 0 is the tonic, index `i` the pitch class `i` semitones above it. Only the shape of a
//! profile matters: key estimation correlates it (Pearson) with a pitch-class profile, which is
//! invariant to offset and scale.
//!
//! # References
//! - C. L. Krumhansl, *Cognitive Foundations of Musical Pitch*, Oxford University Press, 1990
//!   (probe-tone ratings of Krumhansl & Kessler 1982).
//! - D. Temperley, "What's key for key? The Krumhansl-Schmuckler key-finding algorithm
//!   reconsidered", Music Perception 17(1), 1999.
//! - Á. Faraldo, E. Gómez, S. Jordà, P. Herrera, "Key estimation in electronic dance music",
//!   ECIR 2016 (`edma`: profiles averaged over Beatport EDM).
//! - Á. Faraldo, S. Jordà, P. Herrera, "A multi-profile method for key estimation in EDM",
//!   AES Conference on Semantic Audio, 2017 (`bgate`: the EDM profiles with non-diatonic
//!   degrees gated to zero).
//!
//! The `edma` and `bgate` values are those distributed with Essentia 2.1 (`Key` algorithm,
//! `profileType`), the reference implementation of the two papers.
//!
//! The `learned` profile (the default) is fitted, not published: see [`KeyProfile::Learned`].

/// Number of pitch classes.
pub const PITCH_CLASSES: usize = 12;

/// A key profile family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyProfile {
    /// Krumhansl & Kessler (1982) probe-tone ratings.
    Krumhansl,
    /// Temperley (1999), revised for key finding.
    Temperley,
    /// Faraldo et al. (2016), EDM corpus average.
    Edma,
    /// Faraldo et al. (2017), EDM profiles with gated non-diatonic degrees. The default until
    /// 2026-12-06: on the development sets (GiantSteps EDM previews / rendered POP909) it gave
    /// MIREX scores of 0.433 / 0.850 against 0.385 / 0.860 for the consensus and 0.339 / 0.72
    /// for edma.
    Bgate,
    /// The mean of the z-scored Krumhansl, Temperley, edma and bgate profiles: a consensus of
    /// the cognitive, corpus-classical and corpus-EDM profiles (no fitted values).
    Consensus,
    /// Templates fitted by multinomial logistic regression over the 24 keys (every rotation
    /// shares the two templates; with the major offset, 25 fitted parameters), with an L2 pull
    /// towards `bgate`, on the frame-weighted pitch-class profiles of 414 rendered POP909 songs
    /// that are not in the
    /// development manifest and the 46 GiantSteps EDM previews (each counted 5 times), as
    /// `scripts/key/fit_key_profile.py` documents. Besides the two shapes it fits a weight per
    /// mode and an offset for major ([`KeyProfile::mode_calibration`]): the major template must
    /// fit clearly better than the minor one before major is chosen, which stops the
    /// over-prediction of major on EDM. The default. With the default front end (uniform frame
    /// salience): MIREX on the 40 development POP909 songs (never fitted on) 0.910 against
    /// 0.843 for `bgate`; the 414 other renders, 5-fold cross-validated, 0.892 against 0.874;
    /// GiantSteps, 5-fold cross-validated (three splits), 0.496–0.502 against 0.417.
    #[default]
    Learned,
}

impl KeyProfile {
    /// Every profile, for evaluation loops.
    pub const ALL: [KeyProfile; 6] = [
        KeyProfile::Krumhansl,
        KeyProfile::Temperley,
        KeyProfile::Edma,
        KeyProfile::Bgate,
        KeyProfile::Consensus,
        KeyProfile::Learned,
    ];

    /// Short lowercase name (`krumhansl`, `temperley`, `edma`, `bgate`, `consensus`, `learned`).
    pub fn name(self) -> &'static str {
        match self {
            KeyProfile::Krumhansl => "krumhansl",
            KeyProfile::Temperley => "temperley",
            KeyProfile::Edma => "edma",
            KeyProfile::Bgate => "bgate",
            KeyProfile::Consensus => "consensus",
            KeyProfile::Learned => "learned",
        }
    }

    /// Parses [`KeyProfile::name`].
    ///
    /// # Errors
    /// [`crate::AnalyzerError::InvalidParameter`] for an unknown name.
    pub fn from_name(name: &str) -> crate::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| crate::AnalyzerError::invalid("profile", format!("unknown key profile `{name}`")))
    }

    /// The `(major, minor)` profiles, tonic first, z-scored (zero mean, unit variance).
    pub fn templates(self) -> ([f32; PITCH_CLASSES], [f32; PITCH_CLASSES]) {
        match self {
            KeyProfile::Krumhansl => (zscore(&KRUMHANSL_MAJOR), zscore(&KRUMHANSL_MINOR)),
            KeyProfile::Temperley => (zscore(&TEMPERLEY_MAJOR), zscore(&TEMPERLEY_MINOR)),
            KeyProfile::Edma => (zscore(&EDMA_MAJOR), zscore(&EDMA_MINOR)),
            KeyProfile::Bgate => (zscore(&BGATE_MAJOR), zscore(&BGATE_MINOR)),
            KeyProfile::Learned => (zscore(&LEARNED_MAJOR), zscore(&LEARNED_MINOR)),
            KeyProfile::Consensus => {
                let members = [KeyProfile::Krumhansl, KeyProfile::Temperley, KeyProfile::Edma, KeyProfile::Bgate];
                let (mut major, mut minor) = ([0.0; PITCH_CLASSES], [0.0; PITCH_CLASSES]);
                for p in members {
                    let (ma, mi) = p.templates();
                    for i in 0..PITCH_CLASSES {
                        major[i] += ma[i];
                        minor[i] += mi[i];
                    }
                }
                (zscore(&major), zscore(&minor))
            }
        }
    }

    /// How the correlations with the major and minor templates are compared:
    /// `r'(τ, m) = weight_m · r(τ, m) + offset_m`. Published profiles compare raw correlations
    /// ([`ModeCalibration::IDENTITY`]); the learned one carries its fitted weights and offset.
    pub fn mode_calibration(self) -> ModeCalibration {
        match self {
            KeyProfile::Learned => ModeCalibration {
                major_weight: LEARNED_MAJOR_WEIGHT,
                minor_weight: LEARNED_MINOR_WEIGHT,
                major_offset: LEARNED_MAJOR_OFFSET,
                softmax_scale: Some(LEARNED_SOFTMAX_SCALE),
            },
            _ => ModeCalibration::IDENTITY,
        }
    }
}

/// Per-mode weights and a major offset applied to the template correlations before keys are
/// compared (see [`KeyProfile::mode_calibration`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModeCalibration {
    /// Weight of the correlation with a major template.
    pub major_weight: f32,
    /// Weight of the correlation with a minor template.
    pub minor_weight: f32,
    /// Added to every major key's weighted correlation.
    pub major_offset: f32,
    /// For a fitted model, the factor `a` that turns calibrated correlations into the model's
    /// key probabilities, `P(k) = exp(a·r'_k) / Σ_j exp(a·r'_j)`; the confidences are then
    /// probabilities (see [`super::key`]). `None` for the published profiles, whose
    /// confidences come from correlation margins.
    pub softmax_scale: Option<f32>,
}

impl ModeCalibration {
    /// Raw correlations, no offset.
    pub const IDENTITY: ModeCalibration =
        ModeCalibration { major_weight: 1.0, minor_weight: 1.0, major_offset: 0.0, softmax_scale: None };
}

/// Krumhansl-Kessler major profile.
pub const KRUMHANSL_MAJOR: [f32; PITCH_CLASSES] =
    [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88];
/// Krumhansl-Kessler minor profile.
pub const KRUMHANSL_MINOR: [f32; PITCH_CLASSES] =
    [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17];
/// Temperley (1999) major profile.
pub const TEMPERLEY_MAJOR: [f32; PITCH_CLASSES] = [5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0];
/// Temperley (1999) minor profile.
pub const TEMPERLEY_MINOR: [f32; PITCH_CLASSES] = [5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0];
/// Faraldo et al. (2016) `edma` major profile.
pub const EDMA_MAJOR: [f32; PITCH_CLASSES] = [1.0, 0.29, 0.50, 0.40, 0.60, 0.56, 0.32, 0.80, 0.31, 0.45, 0.42, 0.39];
/// Faraldo et al. (2016) `edma` minor profile.
pub const EDMA_MINOR: [f32; PITCH_CLASSES] = [1.0, 0.31, 0.44, 0.58, 0.33, 0.49, 0.29, 0.78, 0.43, 0.29, 0.53, 0.32];
/// Faraldo et al. (2017) `bgate` major profile.
pub const BGATE_MAJOR: [f32; PITCH_CLASSES] = [1.0, 0.0, 0.42, 0.0, 0.53, 0.37, 0.0, 0.77, 0.0, 0.38, 0.21, 0.30];
/// Faraldo et al. (2017) `bgate` minor profile.
pub const BGATE_MINOR: [f32; PITCH_CLASSES] = [1.0, 0.0, 0.36, 0.39, 0.0, 0.38, 0.0, 0.74, 0.27, 0.0, 0.42, 0.23];
/// Fitted major template (z-scored; `scripts/key/fit_key_profile.py`, 2026-12-06, defaults
/// `--lam 10 --lam-prior 10 --w-giantsteps 5`, on frames of the default [`super::KeyConfig`],
/// uniform frame salience).
pub const LEARNED_MAJOR: [f32; PITCH_CLASSES] =
    [1.9155, -0.9566, 0.5274, -1.0820, 1.1470, -0.1014, -1.0815, 1.4223, -0.7879, 0.0266, -0.9001, -0.1293];
/// Fitted minor template (z-scored; same fit).
pub const LEARNED_MINOR: [f32; PITCH_CLASSES] =
    [1.7299, -2.3721, -0.4486, 1.1525, -0.5933, -0.3323, 0.3035, 0.9646, -0.0299, -0.5664, 0.2094, -0.0174];
/// Fitted weight of the major correlation (same fit; the two weights average 1).
pub const LEARNED_MAJOR_WEIGHT: f32 = 1.3481;
/// Fitted weight of the minor correlation (same fit).
pub const LEARNED_MINOR_WEIGHT: f32 = 0.6519;
/// Fitted offset of every major key, in correlation units (same fit).
pub const LEARNED_MAJOR_OFFSET: f32 = -0.7044;
/// The fitted model's logits per unit of calibrated correlation (same fit: 12 × the mean
/// standard deviation of the two fitted weight vectors).
pub const LEARNED_SOFTMAX_SCALE: f32 = 9.8554;

/// Zero mean, unit (population) variance; a constant vector maps to zeros.
pub fn zscore(x: &[f32; PITCH_CLASSES]) -> [f32; PITCH_CLASSES] {
    let n = PITCH_CLASSES as f32;
    let mean = x.iter().sum::<f32>() / n;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let mut out = [0.0; PITCH_CLASSES];
    if var > 0.0 && var.is_finite() {
        let inv = 1.0 / var.sqrt();
        for (o, v) in out.iter_mut().zip(x) {
            *o = (v - mean) * inv;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_zscored_and_tonic_is_most_salient() {
        for p in KeyProfile::ALL {
            let (ma, mi) = p.templates();
            for t in [ma, mi] {
                let mean: f32 = t.iter().sum::<f32>() / 12.0;
                let var: f32 = t.iter().map(|v| v * v).sum::<f32>() / 12.0;
                assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4, "{p:?}");
                let argmax = (0..12).max_by(|&a, &b| t[a].total_cmp(&t[b])).unwrap();
                assert_eq!(argmax, 0, "{p:?}");
            }
            // The major third is above the minor third in major, the reverse in minor.
            assert!(ma[4] > ma[3] && mi[3] > mi[4], "{p:?}");
        }
    }

    #[test]
    fn names_round_trip_and_unknown_is_rejected() {
        for p in KeyProfile::ALL {
            assert_eq!(KeyProfile::from_name(p.name()).unwrap(), p);
        }
        assert_eq!(KeyProfile::from_name("shaath").unwrap_err().kind(), crate::ErrorKind::InvalidParameter);
    }

    #[test]
    fn constant_vector_zscores_to_zero() {
        assert_eq!(zscore(&[3.0; 12]), [0.0; 12]);
    }
}
