//! Every SIMD kernel, dispatched vs scalar reference, on spectrum-sized inputs.
//! Elements/s divided between the two rows gives the SIMD speed-up.

use analyzer_core::simd::{self, Complex32, SparseRows, scalar};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn data(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.max(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            s as f32 / u32::MAX as f32
        })
        .collect()
}

fn kernels(c: &mut Criterion) {
    println!("dispatched SIMD path: {}", simd::active_path());
    for &n in &[1025usize, 4096] {
        let a = data(n, 1);
        let b = data(n, 2);
        let cplx: Vec<Complex32> = a.iter().zip(&b).map(|(&re, &im)| Complex32::new(re, im)).collect();
        let mut out = vec![0.0f32; n];
        let mut g = c.benchmark_group(format!("kernels/{n}"));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("dot", "simd"), |bch| bch.iter(|| simd::dot(black_box(&a), black_box(&b))));
        g.bench_function(BenchmarkId::new("dot", "scalar"), |bch| {
            bch.iter(|| scalar::dot(black_box(&a), black_box(&b)))
        });
        g.bench_function(BenchmarkId::new("sum", "simd"), |bch| bch.iter(|| simd::sum(black_box(&a))));
        g.bench_function(BenchmarkId::new("sum", "scalar"), |bch| bch.iter(|| scalar::sum(black_box(&a))));
        g.bench_function(BenchmarkId::new("window_mul", "simd"), |bch| {
            bch.iter(|| {
                out.copy_from_slice(&a);
                simd::mul_in_place(black_box(&mut out), black_box(&b))
            })
        });
        g.bench_function(BenchmarkId::new("window_mul", "scalar"), |bch| {
            bch.iter(|| {
                out.copy_from_slice(&a);
                scalar::mul_in_place(black_box(&mut out), black_box(&b))
            })
        });
        g.bench_function(BenchmarkId::new("power", "simd"), |bch| bch.iter(|| simd::power(black_box(&cplx), &mut out)));
        g.bench_function(BenchmarkId::new("power", "scalar"), |bch| {
            bch.iter(|| scalar::power(black_box(&cplx), &mut out))
        });
        g.bench_function(BenchmarkId::new("magnitude", "simd"), |bch| {
            bch.iter(|| simd::magnitude(black_box(&cplx), &mut out))
        });
        g.bench_function(BenchmarkId::new("magnitude", "scalar"), |bch| {
            bch.iter(|| scalar::magnitude(black_box(&cplx), &mut out))
        });
        g.bench_function(BenchmarkId::new("log1p", "simd"), |bch| {
            bch.iter(|| {
                out.copy_from_slice(&a);
                simd::log1p_scaled_in_place(black_box(&mut out), 100.0)
            })
        });
        g.bench_function(BenchmarkId::new("log1p", "scalar"), |bch| {
            bch.iter(|| {
                out.copy_from_slice(&a);
                scalar::log1p_scaled_in_place(black_box(&mut out), 100.0)
            })
        });
        g.bench_function(BenchmarkId::new("hwr_diff_sum", "simd"), |bch| {
            bch.iter(|| simd::hwr_diff_sum(black_box(&a), black_box(&b)))
        });
        g.bench_function(BenchmarkId::new("hwr_diff_sum", "scalar"), |bch| {
            bch.iter(|| scalar::hwr_diff_sum(black_box(&a), black_box(&b)))
        });
        g.bench_function(BenchmarkId::new("axpy", "simd"), |bch| {
            bch.iter(|| simd::axpy(black_box(&mut out), 0.5, black_box(&b)))
        });
        g.bench_function(BenchmarkId::new("axpy", "scalar"), |bch| {
            bch.iter(|| scalar::axpy(black_box(&mut out), 0.5, black_box(&b)))
        });
        g.bench_function(BenchmarkId::new("max", "simd"), |bch| bch.iter(|| simd::max(black_box(&a))));
        g.bench_function(BenchmarkId::new("max", "scalar"), |bch| bch.iter(|| scalar::max(black_box(&a))));
        g.finish();
    }
}

/// The K-weighting cascade (two biquads, two interleaved channels) on 8192 stereo frames, the
/// loudness meter's chunk: software-pipelined kernel vs the channel-by-channel reference.
fn biquad_pair(c: &mut Criterion) {
    const FRAMES: usize = 8192;
    let x: Vec<f32> = data(2 * FRAMES, 3).iter().map(|v| v - 0.5).collect();
    let stages = [
        simd::Biquad { b: [1.53, -2.69, 1.19], a: [-1.69, 0.73] },
        simd::Biquad { b: [1.0, -2.0, 1.0], a: [-1.99, 0.99] },
    ];
    let mut power = vec![0.0f64; FRAMES];
    let mut state = [simd::BiquadState::default(); 2];
    let mut peaks = [0.0f32; 2];
    let mut g = c.benchmark_group("kernels/biquad_cascade_pair");
    g.throughput(Throughput::Elements(FRAMES as u64));
    g.bench_function("simd", |bch| {
        bch.iter(|| {
            simd::biquad_cascade_pair(&stages, black_box(&x), 2, 0, [1.0, 1.0], &mut state, &mut power, &mut peaks)
        })
    });
    g.bench_function("scalar", |bch| {
        bch.iter(|| {
            scalar::biquad_cascade_pair(&stages, black_box(&x), 2, 0, [1.0, 1.0], &mut state, &mut power, &mut peaks)
        })
    });
    g.finish();
}

/// The onset detector's filterbank shape: triangles between log-spaced centres (24 per octave
/// from 30 Hz) over the 513 magnitude bins of a 1024-point FFT at 22050 Hz, de-duplicated
/// (125 rows of 3 to 29 weights).
fn onset_like_filterbank() -> SparseRows {
    let (n_bins, bin_hz) = (513usize, 22050.0f64 / 1024.0);
    let mut centres: Vec<usize> = Vec::new();
    for i in 0.. {
        let f = 30.0 * 2f64.powf(i as f64 / 24.0);
        if f > 11025.0 {
            break;
        }
        let b = ((f / bin_hz).round() as usize).min(n_bins - 1);
        if centres.last() != Some(&b) {
            centres.push(b);
        }
    }
    let mut rows = SparseRows::new();
    for w in centres.windows(3) {
        let weights: Vec<f32> = (w[0]..=w[2]).map(|k| 1.0 / (1 + k.abs_diff(w[1])) as f32).collect();
        rows.push_row(w[0], &weights);
    }
    rows
}

/// A filterbank applied to one spectrum: the one-dispatch `sparse_dots`, a dispatched `dot`
/// per row (what the onset detector and the mel filterbank did before), and the scalar
/// reference.
fn filterbank(c: &mut Criterion) {
    let rows = onset_like_filterbank();
    let x = data(rows.n_cols(), 3);
    let mut out = vec![0.0f32; rows.n_rows()];
    let mut g = c.benchmark_group(format!("filterbank/{}x{}", rows.n_rows(), rows.n_cols()));
    g.throughput(Throughput::Elements(rows.n_rows() as u64));
    g.bench_function("sparse_dots", |bch| bch.iter(|| simd::sparse_dots(black_box(&x), &rows, &mut out)));
    g.bench_function("dot_per_row", |bch| {
        bch.iter(|| {
            for (r, o) in out.iter_mut().enumerate() {
                let (start, w) = rows.row(r);
                *o = simd::dot(black_box(&x[start..start + w.len()]), w);
            }
        })
    });
    g.bench_function("scalar", |bch| bch.iter(|| scalar::sparse_dots(black_box(&x), &rows, &mut out)));
    g.finish();
}

criterion_group!(benches, kernels, biquad_pair, filterbank);
criterion_main!(benches);
