//! Plain scalar reference implementations of every kernel. These define what the SIMD
//! versions must compute; the property tests compare the two.

use realfft::num_complex::Complex32;

/// `Σ a[i]·b[i]` over the shorter length.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `Σ a[i]`.
pub fn sum(a: &[f32]) -> f32 {
    a.iter().sum()
}

/// `x[i] *= w[i]` over the shorter length.
pub fn mul_in_place(x: &mut [f32], w: &[f32]) {
    x.iter_mut().zip(w).for_each(|(x, w)| *x *= w);
}

/// The post-processing pass of an even-length real FFT (the reference for
/// [`super::real_fft_post`]): `out[..m]` holds the complex FFT of length `m` of the real input
/// read as `m` complex pairs, `out.len() == m + 1`, `twiddles[k − 1] = e^{−2πik/2m} / 2` for
/// `k = 1 … ⌈m/2⌉ − 1`. The arithmetic, operation by operation, of realfft 3.5's
/// `RealToComplexEven`, so the spectrum is bit-identical to realfft's.
pub fn real_fft_post(out: &mut [Complex32], twiddles: &[Complex32]) {
    let Some(&first) = out.first() else { return };
    let last = out.len() - 1;
    if last == 0 {
        return;
    }
    out[0] = Complex32::new(first.re + first.im, 0.0);
    out[last] = Complex32::new(first.re - first.im, 0.0);
    let len = out.len();
    let (left, right) = out.split_at_mut(len / 2);
    let (left, right) = (&mut left[1..], &mut right[..len - len / 2 - 1]);
    for ((tw, a), b) in twiddles.iter().zip(left.iter_mut()).zip(right.iter_mut().rev()) {
        let (pa, pb) = post_pair(*a, *b, *tw);
        (*a, *b) = (pa, pb);
    }
    if len % 2 == 1 {
        out[len / 2].im = -out[len / 2].im;
    }
}

/// One pair `(X[k], X[m − k])` of [`real_fft_post`].
#[inline(always)]
pub(super) fn post_pair(a: Complex32, b: Complex32, tw: Complex32) -> (Complex32, Complex32) {
    let (s_re, s_im) = (a.re + b.re, a.im + b.im);
    let (d_re, d_im) = (a.re - b.re, a.im - b.im);
    let half_sum_re = 0.5 * s_re;
    let half_diff_im = 0.5 * d_im;
    let twiddled_re = s_im * tw.re + d_re * tw.im;
    let twiddled_im = s_im * tw.im - d_re * tw.re;
    (
        Complex32::new(half_sum_re + twiddled_re, half_diff_im + twiddled_im),
        Complex32::new(half_sum_re - twiddled_re, twiddled_im - half_diff_im),
    )
}

/// Whether every `x[i]` is finite (no NaN, no infinity).
pub fn all_finite(x: &[f32]) -> bool {
    x.iter().all(|v| v.is_finite())
}

/// `out[i] = x[i]·w[i]` over the shortest length.
pub fn mul_into(x: &[f32], w: &[f32], out: &mut [f32]) {
    out.iter_mut().zip(x.iter().zip(w)).for_each(|(o, (x, w))| *o = x * w);
}

/// `out[i] = re² + im²`.
pub fn power(c: &[Complex32], out: &mut [f32]) {
    out.iter_mut().zip(c).for_each(|(o, c)| *o = c.re * c.re + c.im * c.im);
}

/// `out[i] = sqrt(re² + im²)`.
pub fn magnitude(c: &[Complex32], out: &mut [f32]) {
    out.iter_mut().zip(c).for_each(|(o, c)| *o = (c.re * c.re + c.im * c.im).sqrt());
}

/// `x[i] = ln(1 + gamma·x[i])`.
pub fn log1p_scaled_in_place(x: &mut [f32], gamma: f32) {
    x.iter_mut().for_each(|v| *v = (gamma * *v).ln_1p());
}

/// `out[i] = max(a[i] − b[i], 0)`; returns `Σ out[i]`.
pub fn hwr_diff(a: &[f32], b: &[f32], out: &mut [f32]) -> f32 {
    let mut s = 0.0;
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = (x - y).max(0.0);
        s += *o;
    }
    s
}

/// `Σ max(a[i] − b[i], 0)`.
pub fn hwr_diff_sum(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).max(0.0)).sum()
}

/// `x[i] += a·y[i]` (axpy).
pub fn axpy(x: &mut [f32], a: f32, y: &[f32]) {
    x.iter_mut().zip(y).for_each(|(x, y)| *x += a * y);
}

/// `max_i x[i]` (−∞ for an empty slice).
pub fn max(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// `max_n |Σ_k taps[k]·x[n + T − 1 − k]|` over the complete outputs (0 when there are none).
pub fn fir_abs_max(x: &[f32], taps: &[f32]) -> f32 {
    let t = taps.len();
    if t == 0 || x.len() < t {
        return 0.0;
    }
    (0..x.len() - (t - 1))
        .map(|n| taps.iter().enumerate().fold(0.0f32, |acc, (k, &h)| acc + h * x[n + t - 1 - k]).abs())
        .fold(0.0, f32::max)
}

/// Two biquads in cascade over channel `first + c` (`c` = 0, 1) of an interleaved signal,
/// adding `weights[c]·y²` to `power[i]`, channel 0 first, and raising `peaks[c]` to the largest
/// `|x|`. Non-finite samples count as 0. Direct form I in `f64` ([`super::BiquadState::push`]).
#[allow(clippy::too_many_arguments)]
pub fn biquad_cascade_pair(
    stages: &[super::Biquad; 2],
    x: &[f32],
    n_ch: usize,
    first: usize,
    weights: [f64; 2],
    state: &mut [super::BiquadState; 2],
    power: &mut [f64],
    peaks: &mut [f32; 2],
) {
    let n = power.len().min(x.len() / n_ch.max(1));
    if first + 1 >= n_ch {
        return;
    }
    for (i, p) in power.iter_mut().enumerate().take(n) {
        for (c, st) in state.iter_mut().enumerate() {
            let v = x[i * n_ch + first + c];
            let v = if v.is_finite() { v } else { 0.0 };
            peaks[c] = peaks[c].max(v.abs());
            let y = st.push(stages, f64::from(v));
            *p += weights[c] * y * y;
        }
    }
}

/// `out[r] = Σ_k w_r[k]·x[start_r + k]`, row by row with [`dot`].
pub fn sparse_dots(x: &[f32], rows: &super::SparseRows, out: &mut [f32]) {
    for (r, o) in out.iter_mut().enumerate().take(rows.n_rows()) {
        let (start, w) = rows.row(r);
        *o = dot(&x[start..start + w.len()], w);
    }
}
