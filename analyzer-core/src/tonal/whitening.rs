//! Spectral whitening of a magnitude spectrum by its local mean (its spectral envelope).
//!
//! Each bin is divided by the mean magnitude of the bins within `±half_width` of it:
//! `Y[k] = X[k] / max(mean(X[k−B … k+B]), floor)`. Sinusoidal peaks stand far above their
//! local mean (a ratio of 10–100 for a clear partial), while broadband energy (drums, noise,
//! breath) has ratios of order 1. A peak threshold on the whitened spectrum therefore keeps
//! partials and drops most of the percussive and noisy peaks, and the spectral tilt of the
//! mix no longer lets the bass dominate the pitch-class profile. `floor` keeps near-silent
//! frames (dither, fade tails) from being amplified into noise.
//!
//! The local mean is computed with a prefix sum, `O(n_bins)` per frame.
//!
//! # References
//! - A. Röbel, X. Rodet, "Efficient spectral envelope estimation and its application to pitch
//!   shifting and envelope preservation", DAFx 2005 (whitening by the spectral envelope).
//! - E. Gómez, "Tonal description of music audio signals", PhD thesis, UPF, 2006, §3.2
//!   (spectral whitening before the HPCP).
//! - Á. Faraldo et al., "Key estimation in electronic dance music", ECIR 2016 (whitening as
//!   the step that most helps key estimation on EDM).

/// Divides every bin of `magnitude` by the mean of the bins within `±half_width` of it (the
/// window is clipped at the spectrum's edges), or by `floor` when that mean is lower.
/// `prefix` is a reusable buffer. Non-finite bins are treated as zero.
pub fn whiten_in_place(magnitude: &mut [f32], half_width: usize, floor: f32, prefix: &mut Vec<f64>) {
    let n = magnitude.len();
    if n == 0 {
        return;
    }
    prefix.clear();
    prefix.reserve(n + 1);
    prefix.push(0.0);
    let mut acc = 0.0f64;
    for v in magnitude.iter_mut() {
        if !v.is_finite() {
            *v = 0.0;
        }
        acc += f64::from(*v);
        prefix.push(acc);
    }
    let floor = if floor.is_finite() && floor > 0.0 { floor } else { f32::MIN_POSITIVE };
    for (k, v) in magnitude.iter_mut().enumerate() {
        let lo = k.saturating_sub(half_width);
        let hi = (k + half_width + 1).min(n);
        let mean = ((prefix[hi] - prefix[lo]) / (hi - lo) as f64) as f32;
        *v /= mean.max(floor);
    }
}

/// Energies of one frame over a band, from [`tonal_energy`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TonalEnergy {
    /// `Σ X[k]²` over the band.
    pub total: f64,
    /// The part of `total` in *tonal* bins: whitened value `X[k] / max(local mean, floor)` at
    /// least `ratio`.
    pub tonal: f64,
    /// `Σ S[k]²` over tonal bins whose *sustained* magnitude `S[k] = min(X[k], max(P[k], N[k]))`
    /// (`P`, `N`: the previous and next frames) is itself at least `ratio` times the local mean:
    /// the tonal energy that a neighbouring frame holds too. `S` is the three-frame median
    /// `median(P[k], X[k], N[k])` clipped to `X[k]`, the horizontal median filter of
    /// harmonic/percussive separation (Fitzgerald 2010): a drum's pitched ring dies within a
    /// frame, a note does not.
    pub sustained: f64,
}

/// The band energies of `magnitude` ([`TonalEnergy`]): the same test as [`whiten_in_place`]
/// followed by a threshold, without writing the whitened spectrum. `neighbours` are the
/// previous and next frames' magnitudes (`None` for a missing frame, read as zeros).
/// Non-finite bins count as zero.
///
/// # References
/// - D. FitzGerald, "Harmonic/percussive separation using median filtering", DAFx 2010.
pub fn tonal_energy(
    magnitude: &[f32],
    neighbours: [Option<&[f32]>; 2],
    band: std::ops::Range<usize>,
    half_width: usize,
    floor: f32,
    ratio: f32,
    prefix: &mut Vec<f64>,
) -> TonalEnergy {
    let n = magnitude.len();
    let (lo, hi) = (band.start.min(n), band.end.min(n));
    if lo >= hi {
        return TonalEnergy::default();
    }
    let ext_lo = lo.saturating_sub(half_width);
    let ext_hi = (hi + half_width).min(n);
    prefix.clear();
    prefix.push(0.0);
    let mut acc = 0.0f64;
    for &v in &magnitude[ext_lo..ext_hi] {
        acc += if v.is_finite() { f64::from(v) } else { 0.0 };
        prefix.push(acc);
    }
    let floor = f64::from(if floor.is_finite() && floor > 0.0 { floor } else { f32::MIN_POSITIVE });
    let ratio = f64::from(ratio);
    let finite_at = |row: Option<&[f32]>, k: usize| match row.and_then(|r| r.get(k)) {
        Some(&v) if v.is_finite() => f64::from(v),
        _ => 0.0,
    };
    let mut out = TonalEnergy::default();
    for (&v, k) in magnitude[lo..hi].iter().zip(lo..) {
        if !v.is_finite() {
            continue;
        }
        let (a, b) = (k.saturating_sub(half_width).max(ext_lo), (k + half_width + 1).min(ext_hi));
        let mean = ((prefix[b - ext_lo] - prefix[a - ext_lo]) / (b - a) as f64).max(floor);
        let v = f64::from(v);
        out.total += v * v;
        if v >= ratio * mean {
            out.tonal += v * v;
            let held = v.min(finite_at(neighbours[0], k).max(finite_at(neighbours[1], k)));
            if held >= ratio * mean {
                out.sustained += held * held;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_spectrum_becomes_ones_and_a_peak_stands_out() {
        let mut x = vec![2.0f32; 101];
        let mut buf = Vec::new();
        whiten_in_place(&mut x, 5, 1e-9, &mut buf);
        assert!(x.iter().all(|&v| (v - 1.0).abs() < 1e-6));
        let mut y = vec![1.0f32; 101];
        y[50] = 100.0;
        whiten_in_place(&mut y, 10, 1e-9, &mut buf);
        // mean over 21 bins = (20 + 100) / 21
        assert!((y[50] - 100.0 * 21.0 / 120.0).abs() < 1e-3, "{}", y[50]);
        assert!(y[0] > 0.9 && y[0] < 1.01);
    }

    #[test]
    fn empty_silence_and_non_finite_inputs_are_safe() {
        let mut buf = Vec::new();
        let mut e: Vec<f32> = Vec::new();
        whiten_in_place(&mut e, 3, 1e-6, &mut buf);
        let mut z = vec![0.0f32; 64];
        whiten_in_place(&mut z, 3, 1e-6, &mut buf);
        assert!(z.iter().all(|&v| v == 0.0));
        let mut n = vec![1.0, f32::NAN, f32::INFINITY, 1.0];
        whiten_in_place(&mut n, 1, 1e-6, &mut buf);
        assert!(n.iter().all(|v| v.is_finite()));
        // A floor above the local mean caps the gain of near-silent frames.
        let mut quiet = vec![1e-9f32; 16];
        whiten_in_place(&mut quiet, 2, 1e-6, &mut buf);
        assert!(quiet.iter().all(|&v| v <= 1e-3));
    }

    #[test]
    fn tonal_energy_agrees_with_whitening_and_a_threshold() {
        let mut s = 99u32;
        let x: Vec<f32> = (0..300)
            .map(|k| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 1000) as f32 / 1000.0 + if k % 37 == 0 { 20.0 } else { 0.0 }
            })
            .collect();
        let mut buf = Vec::new();
        let mut w = x.clone();
        whiten_in_place(&mut w, 7, 1e-6, &mut buf);
        let (mut want_t, mut want_all) = (0.0f64, 0.0f64);
        for k in 40..250 {
            let e = f64::from(x[k]) * f64::from(x[k]);
            want_all += e;
            if w[k] >= 3.0 {
                want_t += e;
            }
        }
        let e = tonal_energy(&x, [Some(&x), None], 40..250, 7, 1e-6, 3.0, &mut buf);
        assert!((e.tonal - want_t).abs() < 1e-6 * want_all && (e.total - want_all).abs() < 1e-6 * want_all);
        assert!(e.tonal > 0.0 && e.tonal < e.total);
        // The same frame on both sides: everything tonal is sustained.
        assert_eq!(e.sustained, e.tonal);
        let zero = TonalEnergy::default();
        #[allow(clippy::reversed_empty_ranges)] // on purpose: a reversed band is empty, not a panic
        let reversed = 250..40;
        assert_eq!(tonal_energy(&x, [None, None], reversed, 7, 1e-6, 3.0, &mut buf), zero);
        assert_eq!(tonal_energy(&[], [None, None], 0..10, 7, 1e-6, 3.0, &mut buf), zero);
        assert_eq!(tonal_energy(&[0.0; 50], [None, None], 0..50, 3, 1e-6, 3.0, &mut buf), zero);
    }

    #[test]
    fn sustained_energy_needs_a_neighbour_holding_the_peak() {
        let mut buf = Vec::new();
        let mut frame = vec![0.01f32; 200];
        frame[100] = 10.0;
        // No neighbours (a lone hit): tonal but not sustained.
        let lone = tonal_energy(&frame, [None, None], 0..200, 10, 1e-6, 3.0, &mut buf);
        assert!(lone.tonal > 99.0 && lone.sustained == 0.0, "{lone:?}");
        // A neighbour holding half the peak: sustained at the held magnitude.
        let mut half = vec![0.01f32; 200];
        half[100] = 5.0;
        let held = tonal_energy(&frame, [None, Some(&half)], 0..200, 10, 1e-6, 3.0, &mut buf);
        assert!((held.sustained - 25.0).abs() < 1e-6, "{held:?}");
        // A neighbour louder than the frame does not raise it above the frame's own energy;
        // non-finite or short neighbours read as zero.
        let loud = vec![100.0f32; 200];
        let capped = tonal_energy(&frame, [Some(&loud), None], 0..200, 10, 1e-6, 3.0, &mut buf);
        assert_eq!(capped.sustained, capped.tonal);
        let junk = [f32::NAN; 200];
        let short = [10.0f32; 50];
        let none = tonal_energy(&frame, [Some(&junk), Some(&short)], 0..200, 10, 1e-6, 3.0, &mut buf);
        assert_eq!(none.sustained, 0.0);
    }

    #[test]
    fn impulse_and_constant_spectra() {
        let mut buf = Vec::new();
        let mut imp = vec![0.0f32; 32];
        imp[0] = 1.0;
        whiten_in_place(&mut imp, 0, 1e-6, &mut buf);
        assert_eq!(imp[0], 1.0);
        let mut c = vec![0.5f32; 8];
        whiten_in_place(&mut c, 100, 1e-6, &mut buf);
        assert!(c.iter().all(|&v| (v - 1.0).abs() < 1e-6));
    }
}
