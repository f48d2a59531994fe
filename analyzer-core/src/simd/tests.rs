//! Property tests: every kernel, dispatched and on pulp's emulated backends of every width,
//! against the scalar reference, on random inputs with lengths from 0 to a few thousand.

use super::*;
use proptest::collection::vec;
use proptest::prelude::*;
use pulp::{Scalar128b, Scalar256b, Scalar512b};

/// Tolerance for reductions: a few ulps of the sum of magnitudes.
fn reduction_tol(magnitude_sum: f32) -> f32 {
    4.0 * f32::EPSILON * magnitude_sum.max(1.0) * 8.0
}

fn check_all_kernels<S: Simd>(simd: S, a: &[f32], b: &[f32]) {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mag: f32 = a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum();
    let got = simd.vectorize(kernels::Dot { a, b });
    assert!((got - scalar::dot(a, b)).abs() <= reduction_tol(mag), "dot n={n}");

    let abs_sum: f32 = a.iter().map(|x| x.abs()).sum();
    assert!((simd.vectorize(kernels::Sum(a)) - scalar::sum(a)).abs() <= reduction_tol(abs_sum), "sum n={n}");

    let (mut x1, mut x2) = (a.to_vec(), a.to_vec());
    simd.vectorize(kernels::MulInPlace { x: &mut x1, w: b });
    scalar::mul_in_place(&mut x2, b);
    assert_eq!(x1, x2, "mul_in_place n={n}");
    let (mut o1, mut o2) = (vec![f32::NAN; n], vec![f32::NAN; n]);
    simd.vectorize(kernels::MulInto { x: a, w: b, out: &mut o1 });
    scalar::mul_into(a, b, &mut o2);
    assert_eq!(o1, o2, "mul_into n={n}");
    assert_eq!(o1, x1, "mul_into is mul_in_place on a copy, n={n}");
    assert_eq!(simd.vectorize(kernels::AllFinite(a)), scalar::all_finite(a), "all_finite n={n}");
    // One non-finite value anywhere, in the SIMD body or the tail, is found.
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        for i in [0, n / 2, n.saturating_sub(1)].into_iter().filter(|&i| i < n) {
            let mut c = a.to_vec();
            c[i] = bad;
            assert!(!simd.vectorize(kernels::AllFinite(&c)), "all_finite n={n} i={i} {bad}");
        }
    }

    let cplx: Vec<Complex32> = a.iter().zip(b).map(|(&re, &im)| Complex32::new(re, im)).collect();
    let z = complex_as_floats(&cplx);
    for magnitude in [false, true] {
        let (mut p1, mut p2) = (vec![0.0; n], vec![0.0; n]);
        simd.vectorize(kernels::PowerSpec { z, out: &mut p1, magnitude });
        if magnitude {
            scalar::magnitude(&cplx, &mut p2);
        } else {
            scalar::power(&cplx, &mut p2);
        }
        for i in 0..n {
            // FMA contraction may differ from the scalar loop by one rounding.
            assert!((p1[i] - p2[i]).abs() <= 2.0 * f32::EPSILON * p2[i].abs(), "power/mag n={n} i={i}");
        }
    }

    let spectrum: Vec<f32> = a.iter().map(|x| x * x * 1000.0).collect();
    for gamma in [1.0f32, 100.0] {
        let (mut l1, mut l2) = (spectrum.clone(), spectrum.clone());
        simd.vectorize(kernels::LogCompress { x: &mut l1, gamma });
        scalar::log1p_scaled_in_place(&mut l2, gamma);
        for i in 0..n {
            let tol = 1e-6 * l2[i].abs().max(1.0);
            assert!((l1[i] - l2[i]).abs() <= tol, "log1p n={n} x={} {} vs {}", spectrum[i], l1[i], l2[i]);
        }
    }

    let (mut h1, mut h2) = (vec![0.0; n], vec![0.0; n]);
    let s1 = simd.vectorize(kernels::HwrDiff { a, b, out: &mut h1 });
    let s2 = scalar::hwr_diff(a, b, &mut h2);
    assert_eq!(h1, h2, "hwr_diff n={n}");
    let hsum: f32 = h2.iter().sum();
    assert!((s1 - s2).abs() <= reduction_tol(hsum), "hwr_diff sum n={n}");
    let s3 = simd.vectorize(kernels::HwrDiffSum { a, b });
    assert!((s3 - scalar::hwr_diff_sum(a, b)).abs() <= reduction_tol(hsum), "hwr_diff_sum n={n}");

    let (mut y1, mut y2) = (a.to_vec(), a.to_vec());
    simd.vectorize(kernels::Axpy { x: &mut y1, alpha: 0.75, y: b });
    scalar::axpy(&mut y2, 0.75, b);
    for i in 0..n {
        assert!((y1[i] - y2[i]).abs() <= 2.0 * f32::EPSILON * (a[i].abs() + 0.75 * b[i].abs()), "axpy n={n}");
    }

    assert_eq!(simd.vectorize(kernels::Max(a)), scalar::max(a), "max n={n}");

    // A 12-tap filter from the head of `b` (the true-peak interpolator's size) and a 3-tap one.
    if n >= 12 {
        let taps12: [f32; 12] = std::array::from_fn(|k| b[k] / 100.0);
        let taps3: [f32; 3] = [0.25, -0.5, 0.125];
        let fir_tol = |taps: &[f32]| {
            let bound: f32 = taps.iter().map(|h| h.abs()).sum::<f32>() * a.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            reduction_tol(bound)
        };
        let got = simd.vectorize(kernels::FirAbsMax { x: a, taps: &taps12 });
        assert!((got - scalar::fir_abs_max(a, &taps12)).abs() <= fir_tol(&taps12), "fir12 n={n}");
        // Exactly what successive axpy passes over the shifted views give (the old true peak).
        let outs = n - 11;
        let mut y = vec![0.0f32; outs];
        for (k, &h) in taps12.iter().enumerate() {
            simd.vectorize(kernels::Axpy { x: &mut y, alpha: h, y: &a[11 - k..11 - k + outs] });
        }
        assert_eq!(got, y.iter().fold(0.0f32, |m, v| m.max(v.abs())), "fir12 vs axpy n={n}");
        let got = simd.vectorize(kernels::FirAbsMax { x: a, taps: &taps3 });
        assert!((got - scalar::fir_abs_max(a, &taps3)).abs() <= fir_tol(&taps3), "fir3 n={n}");
    } else {
        assert_eq!(
            simd.vectorize(kernels::FirAbsMax { x: a, taps: &[1.0f32; 12] }),
            scalar::fir_abs_max(a, &[1.0; 12])
        );
    }
}

struct Dispatched<'a>(&'a [f32], &'a [f32]);

impl WithSimd for Dispatched<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        check_all_kernels(simd, self.0, self.1);
    }
}

fn inputs() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
    (0usize..3000).prop_flat_map(|n| (vec(-100.0f32..100.0, n), vec(-100.0f32..100.0, n)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn dispatched_matches_scalar((a, b) in inputs()) {
        arch().dispatch(Dispatched(&a, &b));
    }

    #[test]
    fn emulated_backends_match_scalar((a, b) in inputs()) {
        check_all_kernels(Scalar128b, &a, &b);
        check_all_kernels(Scalar256b, &a, &b);
        check_all_kernels(Scalar512b, &a, &b);
    }

    #[test]
    fn public_wrappers_handle_mismatched_lengths(a in vec(-1.0f32..1.0, 0..300), b in vec(-1.0f32..1.0, 0..300)) {
        let n = a.len().min(b.len());
        prop_assert!((dot(&a, &b) - scalar::dot(&a[..n], &b[..n])).abs() <= reduction_tol(n as f32));
        let mut x = a.clone();
        mul_in_place(&mut x, &b);
        prop_assert_eq!(&x[n..], &a[n..]);
        let mut o = vec![f32::NAN; a.len() + 1];
        mul_into(&a, &b, &mut o);
        prop_assert_eq!(&o[..n], &x[..n]);
        prop_assert!(o[n..].iter().all(|v| v.is_nan()));
        let mut out = vec![0.0; a.len()];
        hwr_diff(&a, &b, &mut out);
        prop_assert!(out[n..].iter().all(|&v| v == 0.0));
    }
}

/// Xorshift32 values in [−1, 1] from `seed` (non-zero): deterministic inputs for the
/// every-length tests.
fn uniform(seed: u32) -> impl FnMut() -> f32 {
    let mut s = seed;
    move || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s as f32 / u32::MAX as f32 * 2.0 - 1.0
    }
}

#[test]
fn every_length_up_to_300_on_every_backend() {
    let mut next = uniform(0x1234_5678);
    for n in 0..=300 {
        let a: Vec<f32> = (0..n).map(|_| next()).collect();
        let b: Vec<f32> = (0..n).map(|_| next()).collect();
        arch().dispatch(Dispatched(&a, &b));
        check_all_kernels(pulp::Scalar::new(), &a, &b);
        check_all_kernels(Scalar512b, &a, &b);
    }
}

#[test]
fn ln_is_accurate_over_the_whole_normal_range() {
    let xs: Vec<f32> = (0..16 * 8000).map(|i| 1.2e-38f32 * 1.0071f32.powi(i)).filter(|x| x.is_finite()).collect();
    let mut ys: Vec<f32> = xs.iter().map(|x| x - 1.0).collect();
    // log1p_scaled with gamma = 1 computes ln(1 + (x − 1)) = ln(x) for x ≥ 1; check ln directly
    // through the kernel on x ≥ 1, and through the identity for small values via gamma.
    log1p_scaled_in_place(&mut ys, 1.0);
    let mut worst = 0.0f64;
    for (&x, &y) in xs.iter().zip(&ys) {
        if x >= 1.0 {
            let want = (x as f64).ln();
            worst = worst.max((y as f64 - want).abs() / want.abs().max(1e-3));
        }
    }
    assert!(worst < 5e-7, "worst relative error {worst:e}");
}

#[test]
fn active_path_is_named() {
    let p = active_path();
    assert!(["avx512", "avx2", "neon", "scalar", "simd"].contains(&p), "{p}");
    #[cfg(target_arch = "x86_64")]
    if ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"].iter().all(|f| match *f {
        "avx512f" => std::arch::is_x86_feature_detected!("avx512f"),
        "avx512bw" => std::arch::is_x86_feature_detected!("avx512bw"),
        "avx512cd" => std::arch::is_x86_feature_detected!("avx512cd"),
        "avx512dq" => std::arch::is_x86_feature_detected!("avx512dq"),
        _ => std::arch::is_x86_feature_detected!("avx512vl"),
    }) {
        assert_eq!(p, "avx512", "x86-v4 is enabled, AVX-512 should be chosen on this CPU");
    }
}

/// The K-weighting stages at 44.1 kHz (BS.1770 shelf and RLB high-pass, rounded).
const K_STAGES: [Biquad; 2] = [
    Biquad { b: [1.530_841, -2.650_979_6, 1.169_079_3], a: [-1.663_655_1, 0.712_595_4] },
    Biquad { b: [1.0, -2.0, 1.0], a: [-1.989_542_4, 0.989_597_3] },
];

/// Feeds `x` (`n_ch` interleaved channels, pair at `first`) to the pair kernel through `simd`
/// in chunks of `chunk` frames and returns (power, state, peaks).
fn run_pair<S: Simd>(
    simd: S,
    x: &[f32],
    n_ch: usize,
    first: usize,
    chunk: usize,
) -> (Vec<f64>, [BiquadState; 2], [f32; 2]) {
    let n = x.len() / n_ch;
    let mut power = vec![0.25f64; n];
    let mut state = [BiquadState::default(); 2];
    let mut peaks = [0.0f32; 2];
    for (xs, ps) in x[..n * n_ch].chunks(chunk * n_ch).zip(power.chunks_mut(chunk)) {
        simd.vectorize(kernels::BiquadCascadePair {
            stages: &K_STAGES,
            x: xs,
            n_ch,
            first,
            weights: [1.0, 1.41],
            state: &mut state,
            power: ps,
            peaks: &mut peaks,
        });
    }
    (power, state, peaks)
}

fn check_pair<S: Simd>(simd: S, x: &[f32], n_ch: usize, first: usize, chunk: usize) {
    let n = x.len() / n_ch;
    let mut power = vec![0.25f64; n];
    let mut state = [BiquadState::default(); 2];
    let mut peaks = [0.0f32; 2];
    scalar::biquad_cascade_pair(&K_STAGES, x, n_ch, first, [1.0, 1.41], &mut state, &mut power, &mut peaks);
    let got = run_pair(simd, x, n_ch, first, chunk);
    assert_eq!(got.0, power, "power n_ch={n_ch} first={first} n={n} chunk={chunk}");
    assert_eq!(got.1, state, "state n_ch={n_ch} first={first} n={n} chunk={chunk}");
    assert_eq!(got.2, peaks, "peaks n_ch={n_ch} first={first} n={n} chunk={chunk}");
}

struct DispatchedPair<'a>(&'a [f32], usize, usize, usize);

impl WithSimd for DispatchedPair<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        check_pair(simd, self.0, self.1, self.2, self.3);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Bit-identical to the scalar reference, in one call or in chunks (the state carries over),
    /// for any channel count and pair position, with non-finite samples mixed in.
    #[test]
    fn biquad_cascade_pair_matches_scalar_bit_for_bit(
        frames in 0usize..1500,
        n_ch in 2usize..6,
        first_pick in 0usize..5,
        chunk in 1usize..700,
        seed in any::<u32>(),
    ) {
        let first = first_pick % (n_ch - 1);
        let mut s = seed | 1;
        let x: Vec<f32> = (0..frames * n_ch)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                match (s % 997, i % 3) {
                    (0, 0) => f32::NAN,
                    (0, 1) => f32::INFINITY,
                    (0, _) => f32::NEG_INFINITY,
                    _ => s as f32 / u32::MAX as f32 * 2.0 - 1.0,
                }
            })
            .collect();
        arch().dispatch(DispatchedPair(&x, n_ch, first, chunk));
        check_pair(pulp::Scalar::new(), &x, n_ch, first, chunk);
        check_pair(Scalar256b, &x, n_ch, first, chunk);
        check_pair(Scalar512b, &x, n_ch, first, chunk);
    }
}

#[test]
fn biquad_cascade_pair_ignores_a_pair_out_of_range() {
    let x = [0.5f32; 12];
    let mut power = vec![0.0f64; 4];
    let mut state = [BiquadState::default(); 2];
    let mut peaks = [0.0f32; 2];
    biquad_cascade_pair(&K_STAGES, &x, 3, 2, [1.0, 1.0], &mut state, &mut power, &mut peaks);
    assert!(power.iter().all(|&p| p == 0.0) && peaks == [0.0; 2]);
}

/// A random filterbank over an input of `n` values: rows of 0..40 weights anywhere inside it.
fn random_rows(n: usize, n_rows: usize, seed: u32) -> SparseRows {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        s
    };
    let mut rows = SparseRows::new();
    for _ in 0..n_rows {
        let start = if n == 0 { 0 } else { next() as usize % n };
        let len = (next() as usize % 40).min(n - start);
        let w: Vec<f32> = (0..len).map(|_| (next() % 2001) as f32 / 1000.0 - 1.0).collect();
        rows.push_row(start, &w);
    }
    rows
}

fn check_sparse_dots<S: Simd>(simd: S, x: &[f32], rows: &SparseRows) {
    let mut got = vec![f32::NAN; rows.n_rows()];
    simd.vectorize(kernels::SparseDots { x, rows, out: &mut got });
    let mut want = vec![0.0; rows.n_rows()];
    scalar::sparse_dots(x, rows, &mut want);
    for r in 0..rows.n_rows() {
        let (start, w) = rows.row(r);
        let seg = &x[start..start + w.len()];
        // Bit-identical to the backend's own `dot` of the row, and within a few ulps of scalar.
        assert_eq!(got[r].to_bits(), simd.vectorize(kernels::Dot { a: seg, b: w }).to_bits(), "row {r}");
        let mag: f32 = seg.iter().zip(w).map(|(a, b)| (a * b).abs()).sum();
        assert!((got[r] - want[r]).abs() <= reduction_tol(mag), "row {r}: {} vs {}", got[r], want[r]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Every row of the one-dispatch filterbank product equals that backend's `dot` of the row
    /// bit for bit and the scalar reference within a few ulps, on every backend.
    #[test]
    fn sparse_dots_match_dot_and_scalar(x in vec(-1.0f32..1.0, 0..600), n_rows in 0usize..60, seed in any::<u32>()) {
        let rows = random_rows(x.len(), n_rows, seed);
        struct DispatchedRows<'a>(&'a [f32], &'a SparseRows);
        impl WithSimd for DispatchedRows<'_> {
            type Output = ();
            fn with_simd<S: Simd>(self, simd: S) {
                check_sparse_dots(simd, self.0, self.1);
            }
        }
        arch().dispatch(DispatchedRows(&x, &rows));
        check_sparse_dots(Scalar128b, &x, &rows);
        check_sparse_dots(Scalar256b, &x, &rows);
        check_sparse_dots(Scalar512b, &x, &rows);
        // The public wrapper: every row written, equal to `dot` of the row.
        let mut out = vec![f32::NAN; rows.n_rows() + 3];
        sparse_dots(&x, &rows, &mut out);
        for (r, o) in out[..rows.n_rows()].iter().enumerate() {
            let (start, w) = rows.row(r);
            prop_assert_eq!(o.to_bits(), dot(&x[start..start + w.len()], w).to_bits());
        }
        prop_assert!(out[rows.n_rows()..].iter().all(|v| v.is_nan()));
    }
}

/// The dispatched real-FFT post-processing pass against the scalar reference, bit for bit, for
/// every half length from 1 to 300 (odd and even, pair counts not a multiple of any width).
#[test]
fn real_fft_post_matches_scalar_bit_for_bit() {
    let mut next = uniform(0x9e37_79b9);
    for m in 1..=300usize {
        let z: Vec<Complex32> = (0..=m).map(|_| Complex32::new(next(), next())).collect();
        let tw: Vec<Complex32> = (1..m.div_ceil(2)).map(|_| Complex32::new(next(), next())).collect();
        let (mut got, mut want) = (z.clone(), z);
        let mut scratch = vec![Complex32::new(f32::NAN, f32::NAN); tw.len()];
        real_fft_post(&mut got, &tw, &mut scratch);
        scalar::real_fft_post(&mut want, &tw);
        let bits = |v: &[Complex32]| v.iter().map(|c| (c.re.to_bits(), c.im.to_bits())).collect::<Vec<_>>();
        assert_eq!(bits(&got), bits(&want), "m {m}");
    }
}

#[test]
fn sparse_rows_layout() {
    let mut rows = SparseRows::default();
    assert_eq!((rows.n_rows(), rows.n_cols()), (0, 0));
    rows.push_row(3, &[1.0, 2.0]);
    rows.push_row(0, &[]);
    rows.push_row(1, &[0.5]);
    assert_eq!((rows.n_rows(), rows.n_cols()), (3, 5));
    assert_eq!(rows.row(0), (3, &[1.0f32, 2.0][..]));
    assert_eq!(rows.row(1), (0, &[][..]));
    let mut out = [0.0; 3];
    sparse_dots(&[1.0, 10.0, 0.0, 100.0, 1000.0], &rows, &mut out);
    assert_eq!(out, [2100.0, 0.0, 5.0]);
}

#[test]
#[should_panic(expected = "columns")]
fn sparse_dots_refuses_a_short_input() {
    let mut rows = SparseRows::new();
    rows.push_row(2, &[1.0, 1.0]);
    sparse_dots(&[0.0; 3], &rows, &mut [0.0]);
}
