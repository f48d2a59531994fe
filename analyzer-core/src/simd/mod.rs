//! SIMD kernels with run-time dispatch.
//!
//! Every kernel is written once, generically over pulp's [`Simd`] trait, and dispatched through
//! an [`Arch`] detected once per process: AVX-512 (`x86-v4`), AVX2+FMA (`x86-v3`), NEON on
//! aarch64, or portable scalar code. No `-C target-cpu` is needed. Each kernel has a plain
//! scalar reference in [`scalar`]; the property tests compare the two on random inputs of odd
//! lengths, for the dispatched path and for pulp's emulated 128/256/512-bit scalar backends
//! (which exercise the tail handling of every vector width).
//!
//! Reductions (`dot`, `sum`, `hwr_diff_sum`) use several accumulators, so their rounding differs
//! from the sequential scalar loop by a few ulps of the sum of magnitudes (a `dot` shorter than
//! [`SHORT_DOT`] is the scalar loop itself); element-wise kernels, `all_finite` and
//! `real_fft_post` are exact except `log1p_scaled_in_place`, which uses a Cephes-style
//! polynomial `ln` (≤ 5e-7 relative error).

mod kernels;
pub mod scalar;

use std::sync::OnceLock;

use pulp::{Arch, Simd, WithSimd};
pub use realfft::num_complex::Complex32;

fn arch() -> Arch {
    static ARCH: OnceLock<Arch> = OnceLock::new();
    *ARCH.get_or_init(Arch::new)
}

/// The instruction set the kernels were dispatched to: `"avx512"`, `"avx2"`, `"neon"`,
/// `"scalar"`, or another pulp backend's name.
pub fn active_path() -> &'static str {
    struct Name;
    impl WithSimd for Name {
        type Output = &'static str;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> &'static str {
            if S::IS_SCALAR {
                return "scalar";
            }
            let t = std::any::type_name::<S>();
            if t.ends_with("V4") {
                "avx512"
            } else if t.ends_with("V3") {
                "avx2"
            } else if t.contains("Neon") {
                "neon"
            } else {
                "simd"
            }
        }
    }
    arch().dispatch(Name)
}

/// Views complex numbers as interleaved `[re, im, re, im, ...]` floats.
#[allow(unsafe_code)]
fn complex_as_floats(c: &[Complex32]) -> &[f32] {
    // SAFETY: `num_complex::Complex<f32>` is `#[repr(C)]` with two `f32` fields (`re`, `im`), so
    // a slice of `n` complex values is exactly `2n` contiguous, aligned `f32`s; the lifetime and
    // mutability are carried over unchanged.
    unsafe { std::slice::from_raw_parts(c.as_ptr().cast::<f32>(), c.len() * 2) }
}

/// Products below this length are summed in order, exactly as [`scalar::dot`], by every
/// backend: for a vector of a few lanes the SIMD reduction costs more than the products.
pub const SHORT_DOT: usize = 32;

/// Views `2n` floats as `n` complex numbers `(x[2i], x[2i+1])` (a real FFT's input read as
/// complex pairs). `x.len()` must be even.
///
/// # Panics
/// If `x.len()` is odd.
#[allow(unsafe_code)]
pub(crate) fn floats_as_complex_mut(x: &mut [f32]) -> &mut [Complex32] {
    assert!(x.len().is_multiple_of(2), "floats_as_complex_mut: odd length {}", x.len());
    // SAFETY: `Complex<f32>` is `#[repr(C)]` with two `f32` fields (size 8, alignment 4, the
    // alignment of `f32`), so `2n` contiguous `f32`s are exactly `n` valid complex values; the
    // exclusive borrow and its lifetime are carried over.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<Complex32>(), x.len() / 2) }
}

#[allow(unsafe_code)]
fn complex_as_floats_mut(c: &mut [Complex32]) -> &mut [f32] {
    // SAFETY: as in `complex_as_floats`: `Complex<f32>` is `#[repr(C)]` with two `f32` fields, so
    // `n` complex values are exactly `2n` contiguous, aligned `f32`s; the exclusive borrow is
    // carried over, so nothing else can reach them while the float view lives.
    unsafe { std::slice::from_raw_parts_mut(c.as_mut_ptr().cast::<f32>(), c.len() * 2) }
}

/// `Σ a[i]·b[i]` over the shorter of the two lengths.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    arch().dispatch(kernels::Dot { a: &a[..n], b: &b[..n] })
}

/// A sparse matrix whose rows are each one contiguous run of weights: row `r` weighs
/// `x[start_r .. start_r + len_r]` (a filterbank of triangles). Stored flat, for
/// [`sparse_dots`].
#[derive(Debug, Clone, PartialEq)]
pub struct SparseRows {
    starts: Vec<usize>,
    /// Row `r`'s weights are `weights[offsets[r]..offsets[r + 1]]`.
    offsets: Vec<usize>,
    weights: Vec<f32>,
    n_cols: usize,
}

impl SparseRows {
    /// An empty matrix (no rows).
    pub fn new() -> Self {
        Self { starts: Vec::new(), offsets: vec![0], weights: Vec::new(), n_cols: 0 }
    }

    /// Appends a row weighing `x[start .. start + weights.len()]`.
    pub fn push_row(&mut self, start: usize, weights: &[f32]) {
        self.starts.push(start);
        self.weights.extend_from_slice(weights);
        self.offsets.push(self.weights.len());
        self.n_cols = self.n_cols.max(start + weights.len());
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.starts.len()
    }

    /// The shortest input the rows fit in (the largest `start + len`).
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `r`: its first column and its weights.
    ///
    /// # Panics
    /// If `r >= self.n_rows()`.
    pub fn row(&self, r: usize) -> (usize, &[f32]) {
        (self.starts[r], &self.weights[self.offsets[r]..self.offsets[r + 1]])
    }
}

impl Default for SparseRows {
    fn default() -> Self {
        Self::new()
    }
}

/// `out[r] = Σ_k w_r[k]·x[start_r + k]` for every row `r` of `rows`: one dispatch for the whole
/// filterbank, each value bit-identical to [`dot`] of its row.
///
/// # Panics
/// If `x` is shorter than [`SparseRows::n_cols`] or `out` shorter than [`SparseRows::n_rows`]
/// (a plan built for another input size).
pub fn sparse_dots(x: &[f32], rows: &SparseRows, out: &mut [f32]) {
    assert!(x.len() >= rows.n_cols(), "sparse_dots: input of {} for {} columns", x.len(), rows.n_cols());
    assert!(out.len() >= rows.n_rows(), "sparse_dots: output of {} for {} rows", out.len(), rows.n_rows());
    arch().dispatch(kernels::SparseDots { x, rows, out })
}

/// `Σ x[i]`.
pub fn sum(x: &[f32]) -> f32 {
    arch().dispatch(kernels::Sum(x))
}

/// `x[i] *= w[i]` over the shorter length (window × frame).
pub fn mul_in_place(x: &mut [f32], w: &[f32]) {
    let n = x.len().min(w.len());
    arch().dispatch(kernels::MulInPlace { x: &mut x[..n], w: &w[..n] })
}

/// The post-processing pass of an even-length real FFT of length `2m` computed as a complex FFT
/// of length `m` (Sorensen et al. 1987): `out[..m]` holds that complex FFT, `out.len() == m + 1`,
/// and on return `out` is the real input's spectrum, bins `0 … m`. `twiddles[k − 1] =
/// e^{−2πik/2m} / 2` for `k = 1 … ⌈m/2⌉ − 1`; `scratch` needs `⌈m/2⌉` values. Pairs `X[k]` and
/// `X[m − k]` are combined as
///
/// `X'[k] = ½(S_re) + (S_im·w_re + D_re·w_im) + i·(½D_im + S_im·w_im − D_re·w_re)` and
/// `X'[m−k] = ½S_re − (…) + i·(S_im·w_im − D_re·w_re − ½D_im)`, with `S = X[k] + X[m−k]`,
/// `D = X[k] − X[m−k]`; the upper half is reversed into `scratch` so that the pass runs over
/// forward slices at SIMD width. Bit-identical to [`scalar::real_fft_post`] (realfft 3.5's
/// arithmetic), which realfft runs one pair at a time.
///
/// # References
/// - H. V. Sorensen, D. L. Jones, M. T. Heideman, C. S. Burrus, "Real-valued fast Fourier
///   transform algorithms", IEEE Trans. ASSP 35(6), 1987.
///
/// # Panics
/// If `twiddles` or `scratch` is shorter than the pass needs (a plan built for another size).
pub fn real_fft_post(out: &mut [Complex32], twiddles: &[Complex32], scratch: &mut [Complex32]) {
    let Some(&first) = out.first() else { return };
    let len = out.len();
    if len == 1 {
        return;
    }
    out[0] = Complex32::new(first.re + first.im, 0.0);
    out[len - 1] = Complex32::new(first.re - first.im, 0.0);
    let n_pairs = len / 2 - 1;
    assert!(twiddles.len() >= n_pairs && scratch.len() >= n_pairs, "real_fft_post: plan for another size");
    let (left, right) = out.split_at_mut(len / 2);
    let left = &mut left[1..];
    // The upper partners X[m − k], k = 1 … n_pairs, in forward order.
    let upper = &mut right[len - len / 2 - 1 - n_pairs..len - len / 2 - 1];
    let rev = &mut scratch[..n_pairs];
    for (r, u) in rev.iter_mut().zip(upper.iter().rev()) {
        *r = *u;
    }
    arch().dispatch(kernels::RealFftPairs {
        a: complex_as_floats_mut(&mut left[..n_pairs]),
        b: complex_as_floats_mut(rev),
        tw: complex_as_floats(&twiddles[..n_pairs]),
    });
    for (u, r) in upper.iter_mut().zip(rev.iter().rev()) {
        *u = *r;
    }
    if len % 2 == 1 {
        out[len / 2].im = -out[len / 2].im;
    }
}

/// Whether every value of `x` is finite (no NaN, no infinity); the whole slice is read at SIMD
/// width (no early exit), for the checks that guard a stage against non-finite samples.
pub fn all_finite(x: &[f32]) -> bool {
    arch().dispatch(kernels::AllFinite(x))
}

/// `out[i] = x[i]·w[i]` over the shortest of the three lengths (a frame copied and windowed in
/// one pass; bit-identical to copying it and [`mul_in_place`]).
pub fn mul_into(x: &[f32], w: &[f32], out: &mut [f32]) {
    let n = x.len().min(w.len()).min(out.len());
    arch().dispatch(kernels::MulInto { x: &x[..n], w: &w[..n], out: &mut out[..n] })
}

/// Power spectrum `out[k] = re² + im²` over the shorter length.
pub fn power(c: &[Complex32], out: &mut [f32]) {
    let n = c.len().min(out.len());
    arch().dispatch(kernels::PowerSpec { z: complex_as_floats(&c[..n]), out: &mut out[..n], magnitude: false })
}

/// Magnitude spectrum `out[k] = sqrt(re² + im²)` over the shorter length.
pub fn magnitude(c: &[Complex32], out: &mut [f32]) {
    let n = c.len().min(out.len());
    arch().dispatch(kernels::PowerSpec { z: complex_as_floats(&c[..n]), out: &mut out[..n], magnitude: true })
}

/// Log compression `x[i] = ln(1 + gamma·x[i])`, for `x[i] ≥ 0` (spectra) and `gamma > 0`.
/// Non-finite inputs give non-finite or meaningless outputs, as with any `ln`.
pub fn log1p_scaled_in_place(x: &mut [f32], gamma: f32) {
    arch().dispatch(kernels::LogCompress { x, gamma })
}

/// Half-wave rectified difference `out[i] = max(a[i] − b[i], 0)`; returns `Σ out[i]`.
/// Works over the shortest of the three lengths.
pub fn hwr_diff(a: &[f32], b: &[f32], out: &mut [f32]) -> f32 {
    let n = a.len().min(b.len()).min(out.len());
    arch().dispatch(kernels::HwrDiff { a: &a[..n], b: &b[..n], out: &mut out[..n] })
}

/// `Σ max(a[i] − b[i], 0)` (spectral flux) over the shorter length.
pub fn hwr_diff_sum(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    arch().dispatch(kernels::HwrDiffSum { a: &a[..n], b: &b[..n] })
}

/// `x[i] += alpha·y[i]` over the shorter length.
pub fn axpy(x: &mut [f32], alpha: f32, y: &[f32]) {
    let n = x.len().min(y.len());
    arch().dispatch(kernels::Axpy { x: &mut x[..n], alpha, y: &y[..n] })
}

/// `max_i x[i]`, or −∞ for an empty slice. With NaNs in `x` the result is unspecified.
pub fn max(x: &[f32]) -> f32 {
    arch().dispatch(kernels::Max(x))
}

/// Maximum absolute output of the FIR filter `taps` over `x`:
/// `max_n |Σ_k taps[k]·x[n + T − 1 − k]|` for the `x.len() − T + 1` outputs that need no sample
/// outside `x` (0 when there are none). Used for true-peak interpolation; each output is
/// accumulated in tap order with fused multiply-adds where the backend has them, and never
/// stored.
pub fn fir_abs_max<const T: usize>(x: &[f32], taps: &[f32; T]) -> f32 {
    arch().dispatch(kernels::FirAbsMax { x, taps })
}

/// A biquad's coefficients, normalised so that `a₀ = 1`: `b = [b₀, b₁, b₂]`, `a = [a₁, a₂]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    /// Feed-forward coefficients.
    pub b: [f64; 3],
    /// Feedback coefficients `a₁, a₂` (the transfer function's denominator is `1 + a₁z⁻¹ + a₂z⁻²`).
    pub a: [f64; 2],
}

/// One channel's memory of a two-biquad cascade in direct form I.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BiquadState {
    /// `[x[n−1], x[n−2], y[n−1], y[n−2]]` of each stage.
    pub stage: [[f64; 4]; 2],
}

impl BiquadState {
    /// Feeds one sample through the cascade and returns the second stage's output. Each stage
    /// computes `y[n] = b₀x[n] + b₁x[n−1] + b₂x[n−2] − a₂y[n−2] − a₁y[n−1]`, left to right: the
    /// scalar definition [`biquad_cascade_pair`] reproduces bit for bit.
    #[inline(always)]
    pub fn push(&mut self, stages: &[Biquad; 2], x: f64) -> f64 {
        let mut v = x;
        for (q, m) in stages.iter().zip(self.stage.iter_mut()) {
            let [x1, x2, y1, y2] = *m;
            let y = q.b[0] * v + q.b[1] * x1 + q.b[2] * x2 - q.a[1] * y2 - q.a[0] * y1;
            *m = [v, x1, y, y1];
            v = y;
        }
        v
    }
}

/// Runs two biquads in cascade over channels `first` and `first + 1` of the interleaved
/// `x` (`n_ch` channels per frame), adds `weights[c]·y_c[i]²` to `power[i]` for each of the two
/// channels in order, for `i < min(power.len(), x.len() / n_ch)`, and raises `peaks[c]` to the
/// largest `|x_c[i]|`; non-finite samples count as 0. This is the BS.1770 K-weighting filter and
/// sample peak of the loudness meter.
///
/// Direct form I, `y[n] = b₀x[n] + b₁x[n−1] + b₂x[n−2] − a₂y[n−2] − a₁y[n−1]`, so that only one
/// multiply and one subtract are on the loop-carried path. The four recursions (two stages × two
/// channels) are software-pipelined into four lanes; the result is bit-identical to
/// [`scalar::biquad_cascade_pair`] (same operations in the same order, no fused
/// multiply-adds). Does nothing unless `first + 1 < n_ch`.
#[allow(clippy::too_many_arguments)]
pub fn biquad_cascade_pair(
    stages: &[Biquad; 2],
    x: &[f32],
    n_ch: usize,
    first: usize,
    weights: [f64; 2],
    state: &mut [BiquadState; 2],
    power: &mut [f64],
    peaks: &mut [f32; 2],
) {
    arch().dispatch(kernels::BiquadCascadePair { stages, x, n_ch, first, weights, state, power, peaks });
}

#[cfg(test)]
mod tests;
