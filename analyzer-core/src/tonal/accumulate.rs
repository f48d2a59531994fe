//! The key stage's frames ([`TonalFrames`]) gathered one STFT frame at a time, so that a
//! signal of any length is analysed with memory for a few frames and each frame's spectral
//! peaks, never the spectrogram.
//!
//! Each frame's tonal shares need its neighbours (the three-frame median of
//! [`whitening::tonal_energy`]), so frame `t` is measured when frame `t + 1` arrives. The
//! whitening floor is [`KeyConfig::whitening_floor_db`] below the loudest bin seen so far
//! (including frame `t + 1`): the track's loudest bin is not known before its end, and the
//! floor only matters in near-silent frames, whose energy weighs next to nothing. The tuning
//! (pass 1 of [`Hpcp`]) needs every frame's peaks, so the peaks are kept (at most
//! [`KeyConfig::max_peaks`] per frame) and the pitch-class profiles are accumulated at the end.
//!
//! # References
//! - E. Gómez, *Tonal description of music audio signals*, PhD thesis, UPF Barcelona, 2006
//!   (HPCP and its tuning estimation).
//! - D. FitzGerald, "Harmonic/percussive separation using median filtering", DAFx 2010.

use realfft::num_complex::Complex32;

use super::{KeyConfig, PITCH_CLASSES, SpectralWhitening, TonalFrames, whitening};
use crate::error::Result;
use crate::simd;
use crate::spectral::chroma::FramePeaks;
use crate::spectral::{Hpcp, HpcpConfig, PeakConfig};

/// The tonal frames of a signal being gathered frame by frame (see the module docs): feed it
/// the frames of the key STFT (`n_fft`, `hop_length` of the [`KeyConfig`]) in order with
/// [`TonalAccumulator::push`], then [`TonalAccumulator::finish`].
#[derive(Debug, Clone)]
pub struct TonalAccumulator {
    config: KeyConfig,
    sr: u32,
    hpcp: Hpcp,
    bass_peaks: Option<PeakConfig>,
    /// The tonal band `lo..hi` in bins and the envelope's half-width in bins.
    band: std::ops::Range<usize>,
    half_width: usize,
    /// Magnitudes of frames `t − 1`, `t` and `t + 1` (`t` is the next frame to measure).
    prev: Vec<f32>,
    cur: Vec<f32>,
    next: Vec<f32>,
    /// Frames received.
    received: usize,
    /// The loudest bin so far.
    peak: f32,
    prefix: Vec<f64>,
    whitened: Vec<f32>,
    tonal: f64,
    sustained: f64,
    total: f64,
    fractions: Vec<f32>,
    peaks: FramePeaks,
    bass: FramePeaks,
}

impl TonalAccumulator {
    /// An accumulator for signals at `sr` Hz.
    ///
    /// # Errors
    /// [`crate::AnalyzerError::InvalidParameter`] for an invalid config or `sr == 0`.
    pub fn new(sr: u32, config: &KeyConfig) -> Result<Self> {
        config.validate()?;
        if sr == 0 {
            return Err(crate::AnalyzerError::invalid("sr", "must be > 0"));
        }
        let hpcp_config = config.hpcp_config(sr);
        let hpcp = Hpcp::new(hpcp_config.clone())?;
        let bass_peaks =
            (config.relative_margin > 0.0).then_some(PeakConfig { fmax: config.bass_fmax, ..hpcp_config.peaks });
        let n_bins = config.n_fft / 2 + 1;
        let bin_hz = sr as f32 / config.n_fft as f32;
        let lo = ((config.fmin / bin_hz).floor() as usize).min(n_bins);
        let hi = ((config.fmax / bin_hz).ceil() as usize + 1).min(n_bins).max(lo);
        Ok(Self {
            config: config.clone(),
            sr,
            hpcp,
            bass_peaks,
            band: lo..hi,
            half_width: (config.whitening_half_width_hz / bin_hz).round() as usize,
            prev: vec![0.0; n_bins],
            cur: vec![0.0; n_bins],
            next: vec![0.0; n_bins],
            received: 0,
            peak: 0.0,
            prefix: Vec::with_capacity(n_bins + 1),
            whitened: Vec::new(),
            tonal: 0.0,
            sustained: 0.0,
            total: 0.0,
            fractions: Vec::new(),
            peaks: FramePeaks::default(),
            bass: FramePeaks::default(),
        })
    }

    /// Adds the next frame (`n_fft/2 + 1` complex bins of the key STFT). No allocation beyond
    /// the growing per-frame records.
    pub fn push(&mut self, x: &[Complex32]) {
        std::mem::swap(&mut self.prev, &mut self.cur);
        std::mem::swap(&mut self.cur, &mut self.next);
        simd::magnitude(x, &mut self.next);
        self.peak = self.peak.max(simd::max(&self.next));
        self.received += 1;
        if self.received >= 2 {
            self.measure(self.received - 2, true);
        }
    }

    /// Measures frame `t` (held in `cur`), with `prev` when `t > 0` and `next` when `has_next`.
    fn measure(&mut self, t: usize, has_next: bool) {
        let floor = self.peak.max(0.0) * 10f32.powf(self.config.whitening_floor_db / 20.0);
        let ratio = self.config.whitening_ratio();
        let neighbours = [(t > 0).then_some(self.prev.as_slice()), has_next.then_some(self.next.as_slice())];
        let e = whitening::tonal_energy(
            &self.cur,
            neighbours,
            self.band.clone(),
            self.half_width,
            floor,
            ratio,
            &mut self.prefix,
        );
        self.tonal += e.tonal;
        self.sustained += e.sustained;
        self.total += e.total;
        self.fractions.push(if e.total > 0.0 { (e.tonal / e.total) as f32 } else { 0.0 });
        let row: &[f32] = if self.config.whitening == SpectralWhitening::LocalMean {
            self.whitened.clear();
            self.whitened.extend_from_slice(&self.cur);
            whitening::whiten_in_place(&mut self.whitened, self.half_width, floor, &mut self.prefix);
            &self.whitened
        } else {
            &self.cur
        };
        self.peaks.push_frame(row, &self.hpcp.config().peaks);
        if let Some(bass) = &self.bass_peaks {
            self.bass.push_frame(row, bass);
        }
    }

    /// The tonal frames of the signal.
    ///
    /// # Errors
    /// None with a validated config (the `Result` carries the HPCP's own checks).
    pub fn finish(mut self) -> Result<TonalFrames> {
        if self.received >= 1 {
            std::mem::swap(&mut self.prev, &mut self.cur);
            std::mem::swap(&mut self.cur, &mut self.next);
            self.measure(self.received - 1, false);
        }
        let share = |part: f64| if self.total > 0.0 { (part / self.total) as f32 } else { 0.0 };
        let (tonalness, sustained_tonalness) = (share(self.tonal), share(self.sustained));
        let chroma = self.hpcp.from_peaks(&self.peaks);
        let bass = match &self.bass_peaks {
            Some(_) => {
                let base = self.config.hpcp_config(self.sr);
                let bass_config = HpcpConfig {
                    estimate_tuning: false,
                    reference_hz: chroma.reference_hz,
                    n_harmonics: 1,
                    peaks: PeakConfig { fmax: self.config.bass_fmax, ..base.peaks },
                    ..base
                };
                let bass_chroma = Hpcp::new(bass_config)?.from_peaks(&self.bass);
                bass_chroma
                    .profile
                    .frames()
                    .map(|row| {
                        let mut p = [0.0f32; PITCH_CLASSES];
                        let max = row.iter().copied().fold(0.0f32, f32::max);
                        if max > 0.0 && max.is_finite() {
                            p.iter_mut().zip(row).for_each(|(o, v)| *o = v / max);
                        }
                        p
                    })
                    .collect()
            }
            None => Vec::new(),
        };
        let n = chroma.profile.n_frames();
        let mut pitches = Vec::with_capacity(n);
        let mut energy = Vec::with_capacity(n);
        for row in chroma.profile.frames() {
            let mut p = [0.0f32; PITCH_CLASSES];
            p.copy_from_slice(row);
            let max = p.iter().copied().fold(0.0f32, f32::max);
            let e: f32 = p.iter().sum();
            if max > 0.0 && max.is_finite() && e.is_finite() {
                p.iter_mut().for_each(|v| *v /= max);
                energy.push(e);
            } else {
                p = [0.0; PITCH_CLASSES];
                energy.push(0.0);
            }
            pitches.push(p);
        }
        Ok(TonalFrames {
            pitches,
            bass,
            energy,
            tonal_fraction: self.fractions,
            frame_rate: self.sr as f32 / self.config.hop_length as f32,
            tuning: chroma.tuning,
            tonalness,
            sustained_tonalness,
            tuning_concentration: chroma.tuning_concentration,
        })
    }
}
