//! The pulp kernels, generic over the SIMD backend. See the module docs of [`super`].

use pulp::{Simd, WithSimd, as_arrays};
use realfft::num_complex::Complex32;

pub(super) struct Dot<'a> {
    pub a: &'a [f32],
    pub b: &'a [f32],
}

impl WithSimd for Dot<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        dot_body(simd, self.a, self.b)
    }
}

/// The body of [`Dot`] (equal lengths), shared with [`SparseDots`] so that a row of a sparse
/// product is bit-identical to `dot` of that row.
#[inline(always)]
fn dot_body<S: Simd>(simd: S, a: &[f32], b: &[f32]) -> f32 {
    if a.len() < super::SHORT_DOT {
        return super::scalar::dot(a, b);
    }
    let (a, at) = S::as_simd_f32s(a);
    let (b, bt) = S::as_simd_f32s(b);
    let (a4, a1) = as_arrays::<4, _>(a);
    let (b4, b1) = as_arrays::<4, _>(b);
    let z = simd.splat_f32s(0.0);
    let (mut c0, mut c1, mut c2, mut c3) = (z, z, z, z);
    for ([x0, x1, x2, x3], [y0, y1, y2, y3]) in a4.iter().zip(b4) {
        c0 = simd.mul_add_e_f32s(*x0, *y0, c0);
        c1 = simd.mul_add_e_f32s(*x1, *y1, c1);
        c2 = simd.mul_add_e_f32s(*x2, *y2, c2);
        c3 = simd.mul_add_e_f32s(*x3, *y3, c3);
    }
    for (x, y) in a1.iter().zip(b1) {
        c0 = simd.mul_add_e_f32s(*x, *y, c0);
    }
    c1 = simd.mul_add_e_f32s(simd.partial_load_f32s(at), simd.partial_load_f32s(bt), c1);
    simd.reduce_sum_f32s(simd.add_f32s(simd.add_f32s(c0, c1), simd.add_f32s(c2, c3)))
}

/// `out[r] = Σ_k w_r[k]·x[start_r + k]` for every row of a [`super::SparseRows`] in one
/// dispatch (a filterbank of short rows spends more time entering a dispatched `dot` per row
/// than multiplying); the caller has checked that `x` and `out` are long enough.
pub(super) struct SparseDots<'a> {
    pub x: &'a [f32],
    pub rows: &'a super::SparseRows,
    pub out: &'a mut [f32],
}

impl WithSimd for SparseDots<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        for (r, o) in self.out.iter_mut().enumerate().take(self.rows.n_rows()) {
            let (start, w) = self.rows.row(r);
            *o = dot_body(simd, &self.x[start..start + w.len()], w);
        }
    }
}

/// `Σ f(x[i])` with four accumulators, the shared body of [`Sum`] and [`AllFinite`]. `f` must
/// map 0 to 0: the tail is read with zeros in the lanes past the end.
#[inline(always)]
fn sum_map<S: Simd>(simd: S, x: &[f32], f: impl Fn(S::f32s) -> S::f32s) -> f32 {
    let (v, t) = S::as_simd_f32s(x);
    let (v4, v1) = as_arrays::<4, _>(v);
    let z = simd.splat_f32s(0.0);
    let (mut c0, mut c1, mut c2, mut c3) = (z, z, z, z);
    for [x0, x1, x2, x3] in v4 {
        c0 = simd.add_f32s(c0, f(*x0));
        c1 = simd.add_f32s(c1, f(*x1));
        c2 = simd.add_f32s(c2, f(*x2));
        c3 = simd.add_f32s(c3, f(*x3));
    }
    for x in v1 {
        c0 = simd.add_f32s(c0, f(*x));
    }
    c1 = simd.add_f32s(c1, f(simd.partial_load_f32s(t)));
    simd.reduce_sum_f32s(simd.add_f32s(simd.add_f32s(c0, c1), simd.add_f32s(c2, c3)))
}

pub(super) struct Sum<'a>(pub &'a [f32]);

impl WithSimd for Sum<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        sum_map(simd, self.0, |v| v)
    }
}

pub(super) struct MulInPlace<'a> {
    pub x: &'a mut [f32],
    pub w: &'a [f32],
}

impl WithSimd for MulInPlace<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (x, xt) = S::as_mut_simd_f32s(self.x);
        let (w, wt) = S::as_simd_f32s(self.w);
        for (x, w) in x.iter_mut().zip(w) {
            *x = simd.mul_f32s(*x, *w);
        }
        let r = simd.mul_f32s(simd.partial_load_f32s(xt), simd.partial_load_f32s(wt));
        simd.partial_store_f32s(xt, r);
    }
}

/// Whether every value is finite: `x − x` is 0 for a finite `x` and NaN for a NaN or an
/// infinity, and a sum of such terms is 0 exactly when all are 0 (no short-circuit, so the whole
/// signal is read at full width).
pub(super) struct AllFinite<'a>(pub &'a [f32]);

impl WithSimd for AllFinite<'_> {
    type Output = bool;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> bool {
        sum_map(simd, self.0, |v| simd.sub_f32s(v, v)) == 0.0
    }
}

/// `out[i] = x[i]·w[i]` (equal lengths): a frame copied and windowed in one pass.
pub(super) struct MulInto<'a> {
    pub x: &'a [f32],
    pub w: &'a [f32],
    pub out: &'a mut [f32],
}

impl WithSimd for MulInto<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (x, xt) = S::as_simd_f32s(self.x);
        let (w, wt) = S::as_simd_f32s(self.w);
        let (out, ot) = S::as_mut_simd_f32s(self.out);
        for (o, (x, w)) in out.iter_mut().zip(x.iter().zip(w)) {
            *o = simd.mul_f32s(*x, *w);
        }
        let r = simd.mul_f32s(simd.partial_load_f32s(xt), simd.partial_load_f32s(wt));
        simd.partial_store_f32s(ot, r);
    }
}

/// The pairs of [`super::real_fft_post`] with the upper half already reversed: `a[k]`, `b[k]`,
/// `tw[k]` interleaved `(re, im)`, all the same length. Written as a plain loop over forward
/// slices (like [`PowerSpec`]) around the scalar reference's own pair arithmetic
/// ([`super::scalar::post_pair`]): inside `with_simd` LLVM vectorises it with the backend's
/// features, and with no fused multiply-add it computes what the scalar reference does.
pub(super) struct RealFftPairs<'a> {
    pub a: &'a mut [f32],
    pub b: &'a mut [f32],
    pub tw: &'a [f32],
}

impl WithSimd for RealFftPairs<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let pairs = self.a.chunks_exact_mut(2).zip(self.b.chunks_exact_mut(2)).zip(self.tw.chunks_exact(2));
        for ((a, b), tw) in pairs {
            let (pa, pb) = super::scalar::post_pair(
                Complex32::new(a[0], a[1]),
                Complex32::new(b[0], b[1]),
                Complex32::new(tw[0], tw[1]),
            );
            (a[0], a[1], b[0], b[1]) = (pa.re, pa.im, pb.re, pb.im);
        }
    }
}

/// Power or magnitude from interleaved `(re, im)` pairs. pulp 0.22 has no order-preserving
/// deinterleave on x86, so the body is written as a plain loop: inside `with_simd` it is
/// compiled with the backend's target features and LLVM vectorises it (shuffles + FMA + sqrt).
pub(super) struct PowerSpec<'a> {
    pub z: &'a [f32],
    pub out: &'a mut [f32],
    pub magnitude: bool,
}

impl WithSimd for PowerSpec<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let pairs = self.z.chunks_exact(2);
        if self.magnitude {
            for (o, c) in self.out.iter_mut().zip(pairs) {
                *o = (c[0] * c[0] + c[1] * c[1]).sqrt();
            }
        } else {
            for (o, c) in self.out.iter_mut().zip(pairs) {
                *o = c[0] * c[0] + c[1] * c[1];
            }
        }
    }
}

/// Vectorised natural log for finite, normal `x > 0`: exponent/mantissa split by bit
/// manipulation, then the Cephes `logf` polynomial on the mantissa in [√½, √2).
#[inline(always)]
fn ln_f32s<S: Simd>(simd: S, x: S::f32s) -> S::f32s {
    let bits = simd.transmute_u32s_f32s(x);
    let expo = simd.wrapping_dyn_shr_u32s(bits, simd.splat_u32s(23));
    let frac = simd.and_u32s(bits, simd.splat_u32s(0x007F_FFFF));
    let m = simd.transmute_f32s_u32s(simd.or_u32s(frac, simd.splat_u32s(0x3F00_0000)));
    // u32 -> f32 without a conversion op: bits(2^23) | e == 2^23 + e exactly for e < 2^23.
    let e = simd.transmute_f32s_u32s(simd.or_u32s(expo, simd.splat_u32s(0x4B00_0000)));
    let e = simd.sub_f32s(e, simd.splat_f32s(8_388_608.0 + 126.0));
    let (one, zero) = (simd.splat_f32s(1.0), simd.splat_f32s(0.0));
    let small = simd.less_than_f32s(m, simd.splat_f32s(std::f32::consts::FRAC_1_SQRT_2));
    let e = simd.sub_f32s(e, simd.select_f32s(small, one, zero));
    let t = simd.add_f32s(simd.sub_f32s(m, one), simd.select_f32s(small, m, zero));
    let z = simd.mul_f32s(t, t);
    let mut y = simd.splat_f32s(7.037_683_6e-2);
    for c in [
        -1.151_461e-1,
        1.167_699_9e-1,
        -1.242_014_1e-1,
        1.424_932_3e-1,
        -1.666_805_8e-1,
        2.000_071_4e-1,
        -2.499_999_4e-1,
        3.333_333e-1,
    ] {
        y = simd.mul_add_e_f32s(y, t, simd.splat_f32s(c));
    }
    y = simd.mul_f32s(simd.mul_f32s(y, t), z);
    y = simd.mul_add_e_f32s(e, simd.splat_f32s(-2.121_944_4e-4), y);
    y = simd.mul_add_e_f32s(z, simd.splat_f32s(-0.5), y);
    simd.mul_add_e_f32s(e, simd.splat_f32s(0.693_359_4), simd.add_f32s(t, y))
}

pub(super) struct LogCompress<'a> {
    pub x: &'a mut [f32],
    pub gamma: f32,
}

impl WithSimd for LogCompress<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let (g, one) = (simd.splat_f32s(self.gamma), simd.splat_f32s(1.0));
        let (v, t) = S::as_mut_simd_f32s(self.x);
        for x in v {
            *x = ln_f32s(simd, simd.mul_add_e_f32s(g, *x, one));
        }
        let r = ln_f32s(simd, simd.mul_add_e_f32s(g, simd.partial_load_f32s(t), one));
        simd.partial_store_f32s(t, r);
    }
}

pub(super) struct HwrDiff<'a> {
    pub a: &'a [f32],
    pub b: &'a [f32],
    pub out: &'a mut [f32],
}

impl WithSimd for HwrDiff<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let (a, at) = S::as_simd_f32s(self.a);
        let (b, bt) = S::as_simd_f32s(self.b);
        let (o, ot) = S::as_mut_simd_f32s(self.out);
        let zero = simd.splat_f32s(0.0);
        let mut acc = zero;
        for ((o, a), b) in o.iter_mut().zip(a).zip(b) {
            *o = simd.max_f32s(simd.sub_f32s(*a, *b), zero);
            acc = simd.add_f32s(acc, *o);
        }
        // Zero-filled tail lanes give max(0 − 0, 0) = 0 and do not change the sum.
        let r = simd.max_f32s(simd.sub_f32s(simd.partial_load_f32s(at), simd.partial_load_f32s(bt)), zero);
        simd.partial_store_f32s(ot, r);
        simd.reduce_sum_f32s(simd.add_f32s(acc, r))
    }
}

pub(super) struct HwrDiffSum<'a> {
    pub a: &'a [f32],
    pub b: &'a [f32],
}

impl WithSimd for HwrDiffSum<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let (a, at) = S::as_simd_f32s(self.a);
        let (b, bt) = S::as_simd_f32s(self.b);
        let (a2, a1) = as_arrays::<2, _>(a);
        let (b2, b1) = as_arrays::<2, _>(b);
        let zero = simd.splat_f32s(0.0);
        let (mut c0, mut c1) = (zero, zero);
        for ([x0, x1], [y0, y1]) in a2.iter().zip(b2) {
            c0 = simd.add_f32s(c0, simd.max_f32s(simd.sub_f32s(*x0, *y0), zero));
            c1 = simd.add_f32s(c1, simd.max_f32s(simd.sub_f32s(*x1, *y1), zero));
        }
        for (x, y) in a1.iter().zip(b1) {
            c0 = simd.add_f32s(c0, simd.max_f32s(simd.sub_f32s(*x, *y), zero));
        }
        let r = simd.max_f32s(simd.sub_f32s(simd.partial_load_f32s(at), simd.partial_load_f32s(bt)), zero);
        simd.reduce_sum_f32s(simd.add_f32s(simd.add_f32s(c0, c1), r))
    }
}

pub(super) struct Axpy<'a> {
    pub x: &'a mut [f32],
    pub alpha: f32,
    pub y: &'a [f32],
}

impl WithSimd for Axpy<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let a = simd.splat_f32s(self.alpha);
        let (x, xt) = S::as_mut_simd_f32s(self.x);
        let (y, yt) = S::as_simd_f32s(self.y);
        for (x, y) in x.iter_mut().zip(y) {
            *x = simd.mul_add_e_f32s(a, *y, *x);
        }
        let r = simd.mul_add_e_f32s(a, simd.partial_load_f32s(yt), simd.partial_load_f32s(xt));
        simd.partial_store_f32s(xt, r);
    }
}

pub(super) struct Max<'a>(pub &'a [f32]);

impl WithSimd for Max<'_> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        let (v, t) = S::as_simd_f32s(self.0);
        let mut m = simd.splat_f32s(f32::NEG_INFINITY);
        for x in v {
            m = simd.max_f32s(m, *x);
        }
        // The tail is folded in scalar: zero-filled lanes would be wrong for negative data.
        t.iter().fold(simd.reduce_max_f32s(m), |acc, &x| acc.max(x))
    }
}

/// `max_n |Σ_k taps[k]·x[n + T − 1 − k]|` over the `x.len() − T + 1` complete outputs, each
/// accumulated from 0 in tap order with the backend's `mul_add` (so every output is computed
/// exactly as `T` successive [`Axpy`] passes would compute it, without storing it).
pub(super) struct FirAbsMax<'a, const T: usize> {
    pub x: &'a [f32],
    pub taps: &'a [f32; T],
}

impl<const T: usize> WithSimd for FirAbsMax<'_, T> {
    type Output = f32;
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) -> f32 {
        if T == 0 || self.x.len() < T {
            return 0.0;
        }
        let n = self.x.len() - (T - 1);
        // Output n reads x[n + T − 1 − k] for tap k: one shifted view of x per tap, all of the
        // same length, so their vector heads and tails line up.
        let views: [(&[S::f32s], &[f32]); T] =
            std::array::from_fn(|k| S::as_simd_f32s(&self.x[T - 1 - k..T - 1 - k + n]));
        let taps: [S::f32s; T] = std::array::from_fn(|k| simd.splat_f32s(self.taps[k]));
        let zero = simd.splat_f32s(0.0);
        let mut m = zero;
        for j in 0..views[0].0.len() {
            let mut acc = zero;
            for (h, (head, _)) in taps.iter().zip(&views) {
                acc = simd.mul_add_e_f32s(*h, head[j], acc);
            }
            m = simd.max_f32s(m, simd.abs_f32s(acc));
        }
        let mut acc = zero;
        for (h, (_, tail)) in taps.iter().zip(&views) {
            acc = simd.mul_add_e_f32s(*h, simd.partial_load_f32s(tail), acc);
        }
        // The lanes past the tail hold 0: they cannot raise a maximum of absolute values.
        m = simd.max_f32s(m, simd.abs_f32s(acc));
        simd.reduce_max_f32s(m)
    }
}

/// Two biquads in cascade over two interleaved channels; see [`super::biquad_cascade_pair`].
///
/// Software-pipelined into four `f64` lanes: lanes 0 and 1 run the first stage of the two
/// channels at frame `i`, lanes 2 and 3 the second stage at frame `i − 1` (fed by the first
/// stage's outputs of the previous step). Each lane's recursion is the scalar reference's,
/// operation for operation (no contraction into fused multiply-adds), so the result is
/// bit-identical to [`super::scalar::biquad_cascade_pair`]; the gain is that the four
/// recursions share instructions (one vector register holds all four) and that in direct form I
/// only `y[n−1] → ·a₁ → −` is on the loop-carried path.
pub(super) struct BiquadCascadePair<'a> {
    pub stages: &'a [super::Biquad; 2],
    pub x: &'a [f32],
    pub n_ch: usize,
    pub first: usize,
    pub weights: [f64; 2],
    pub state: &'a mut [super::BiquadState; 2],
    pub power: &'a mut [f64],
    pub peaks: &'a mut [f32; 2],
}

impl WithSimd for BiquadCascadePair<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        let Self { stages: [s1, s2], x, n_ch, first, weights: [w0, w1], state, power, peaks } = self;
        let n = power.len().min(x.len() / n_ch.max(1));
        if n == 0 || first + 1 >= n_ch {
            return;
        }
        let lanes = |a: f64, b: f64| [a, a, b, b];
        let (b0, b1, b2) = (lanes(s1.b[0], s2.b[0]), lanes(s1.b[1], s2.b[1]), lanes(s1.b[2], s2.b[2]));
        let (a1, a2) = (lanes(s1.a[0], s2.a[0]), lanes(s1.a[1], s2.a[1]));
        // Lane l's memory x[n−1], x[n−2], y[n−1], y[n−2], one array each.
        let lane = |k: usize| [state[0].stage[0][k], state[1].stage[0][k], state[0].stage[1][k], state[1].stage[1][k]];
        let (mut x1, mut x2, mut y1, mut y2) = (lane(0), lane(1), lane(2), lane(3));
        let mut pk = *peaks;
        let mut sample = |frame: &[f32], c: usize| {
            let v = frame[first + c];
            let v = if v.is_finite() { v } else { 0.0 };
            pk[c] = pk[c].max(v.abs());
            f64::from(v)
        };
        let frames = &x[..n * n_ch];
        // One direct-form-I step of all four lanes.
        #[inline(always)]
        fn step(
            c: &[[f64; 4]; 5],
            input: [f64; 4],
            x1: &mut [f64; 4],
            x2: &mut [f64; 4],
            y1: &mut [f64; 4],
            y2: &mut [f64; 4],
        ) -> [f64; 4] {
            let [b0, b1, b2, a1, a2] = c;
            let y: [f64; 4] = std::array::from_fn(|l| {
                b0[l] * input[l] + b1[l] * x1[l] + b2[l] * x2[l] - a2[l] * y2[l] - a1[l] * y1[l]
            });
            (*x2, *x1, *y2, *y1) = (*x1, input, *y1, y);
            y
        }
        let coef = [b0, b1, b2, a1, a2];
        // Prologue: the first stage alone at frame 0 (the second-stage lanes keep their memory).
        let keep = |v: &[f64; 4]| [v[2], v[3]];
        let kept = [keep(&x1), keep(&x2), keep(&y1), keep(&y2)];
        let y = step(&coef, [sample(frames, 0), sample(frames, 1), 0.0, 0.0], &mut x1, &mut x2, &mut y1, &mut y2);
        for (v, k) in [&mut x1, &mut x2, &mut y1, &mut y2].into_iter().zip(kept) {
            [v[2], v[3]] = k;
        }
        let mut u = [y[0], y[1]];
        for (frame, p) in frames.chunks_exact(n_ch).skip(1).zip(power.iter_mut()) {
            let y = step(&coef, [sample(frame, 0), sample(frame, 1), u[0], u[1]], &mut x1, &mut x2, &mut y1, &mut y2);
            u = [y[0], y[1]];
            *p += w0 * y[2] * y[2];
            *p += w1 * y[3] * y[3];
        }
        // Epilogue: the second stage alone at frame n − 1.
        let keep = |v: &[f64; 4]| [v[0], v[1]];
        let kept = [keep(&x1), keep(&x2), keep(&y1), keep(&y2)];
        let y = step(&coef, [0.0, 0.0, u[0], u[1]], &mut x1, &mut x2, &mut y1, &mut y2);
        for (v, k) in [&mut x1, &mut x2, &mut y1, &mut y2].into_iter().zip(kept) {
            [v[0], v[1]] = k;
        }
        let p = &mut power[n - 1];
        *p += w0 * y[2] * y[2];
        *p += w1 * y[3] * y[3];
        for (c, st) in state.iter_mut().enumerate() {
            st.stage = [[x1[c], x2[c], y1[c], y2[c]], [x1[2 + c], x2[2 + c], y1[2 + c], y2[2 + c]]];
        }
        *peaks = pk;
    }
}
