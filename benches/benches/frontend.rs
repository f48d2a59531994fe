//! Decode per format, resampling and the spectral front end, with throughput in audio samples
//! per second: divide elements/s by the sample rate for x realtime (or run the `xrealtime`
//! binary, which prints it directly).

use analyzer_benches::{formats_dir, test_signal};
use analyzer_core::audio::{LoadConfig, load_bytes, load_samples};
use analyzer_core::spectral::{Hpcp, HpcpConfig, MelConfig, MelFilterbank, Stft, StftConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode_to_22050_mono");
    let native = LoadConfig { sr: None, ..LoadConfig::default() };
    for entry in std::fs::read_dir(formats_dir()).expect("testdata/formats") {
        let path = entry.expect("dir entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        let bytes = std::fs::read(&path).expect("fixture");
        let frames = load_bytes(bytes.clone(), ext.as_deref(), &native).expect("decodes").source.n_frames;
        g.throughput(Throughput::Elements(frames));
        g.bench_function(&name, |b| {
            b.iter(|| load_bytes(black_box(bytes.clone()), ext.as_deref(), &LoadConfig::default()).unwrap())
        });
    }
    g.finish();
}

fn frontend(c: &mut Criterion) {
    let seconds = 30.0;
    let y44 = test_signal(44100, seconds);
    let y = test_signal(22050, seconds);
    let mut g = c.benchmark_group("frontend_30s");
    g.sample_size(20);
    g.throughput(Throughput::Elements(y44.len() as u64));
    g.bench_function("resample_44100_to_22050", |b| {
        b.iter(|| load_samples(black_box(&y44), 44100, 1, &LoadConfig::default()).unwrap())
    });
    g.throughput(Throughput::Elements(y.len() as u64));
    let stft = Stft::new(StftConfig::new(2048, 512)).unwrap();
    g.bench_function("stft_power_2048_512", |b| b.iter(|| stft.power(black_box(&y))));
    let power = stft.power(&y);
    let mel = MelFilterbank::new(MelConfig::default()).unwrap();
    g.bench_function("mel_128", |b| b.iter(|| mel.apply(black_box(&power)).unwrap()));
    let stft4096 = Stft::new(StftConfig::new(4096, 2048)).unwrap();
    let mag = stft4096.magnitude(&y);
    let hpcp = Hpcp::new(HpcpConfig::default()).unwrap();
    g.bench_function("hpcp_4096_2048", |b| b.iter(|| hpcp.compute(black_box(&mag)).unwrap()));
    g.finish();
}

criterion_group!(benches, decode, frontend);
criterion_main!(benches);
