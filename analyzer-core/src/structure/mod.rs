//! The `audio-analysis` structure: segments (onset-aligned events with loudness, pitches and
//! timbre), sections (large-scale structure) and the fade-in/fade-out times.
//!
//! Each algorithm is in its own file: [`features`] (frame loudness, timbre, chroma),
//! [`segments()`], [`sections()`], [`fades()`]. [`crate::analysis`] runs them after the rhythm and key
//! stages, which provide the onsets, beats and the key estimator.

pub mod fades;
pub mod features;
pub mod sections;
pub mod segments;

pub use fades::{FadeConfig, fades};
pub use features::{
    FrameFeatureConfig, FrameFeatureExtractor, FrameFeatureState, FrameFeatures, N_DIMS, frame_features,
};
pub use sections::{Section, SectionConfig, SectionKey, SectionRhythm, section_boundaries, sections};
pub use segments::{Segment, SegmentConfig, segments};

use crate::error::Result;

/// Parameters of the whole structure stage.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructureConfig {
    /// Frame features.
    pub features: FrameFeatureConfig,
    /// Segments.
    pub segments: SegmentConfig,
    /// Sections.
    pub sections: SectionConfig,
    /// Fades.
    pub fades: FadeConfig,
}

impl StructureConfig {
    /// Checks every sub-config.
    ///
    /// # Errors
    /// [`crate::AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        self.features.validate()?;
        self.segments.validate()?;
        self.sections.validate()?;
        self.fades.validate()
    }
}

/// The structure of a track.
#[derive(Debug, Clone, Default)]
pub struct Structure {
    /// Segments, tiling the track.
    pub segments: Vec<Segment>,
    /// Sections, tiling the track.
    pub sections: Vec<Section>,
    /// End of the fade-in in seconds (0 when none).
    pub end_of_fade_in: f64,
    /// Start of the fade-out in seconds (the duration when none).
    pub start_of_fade_out: f64,
}
