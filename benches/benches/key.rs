//! The key stage alone (STFT, HPCP with tuning, profile correlation) on a 30-second clip at
//! 22050 Hz, decode excluded, single thread. Throughput is in audio samples per second:
//! divide by 22050 for x realtime (3000× realtime = 30 s in 10 ms).

use analyzer_benches::test_signal;
use analyzer_core::tonal::{KeyConfig, estimate_key};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SR: u32 = 22050;
const SECONDS: f32 = 30.0;

fn key(c: &mut Criterion) {
    let y = test_signal(SR, SECONDS);
    let cfg = KeyConfig::default();
    let mut g = c.benchmark_group("key_30s");
    g.sample_size(20);
    g.throughput(Throughput::Elements(y.len() as u64));
    g.bench_function("estimate_key_default", |b| b.iter(|| estimate_key(black_box(&y), SR, &cfg).unwrap()));
    g.finish();
}

criterion_group!(benches, key);
criterion_main!(benches);
