//! Every SIMD kernel, dispatched vs scalar reference, on spectrum-sized inputs.
//! Elements/s divided between the two rows gives the SIMD speed-up.

use analyzer_core::simd::{self, Complex32, scalar};
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

criterion_group!(benches, kernels, biquad_pair);
criterion_main!(benches);
