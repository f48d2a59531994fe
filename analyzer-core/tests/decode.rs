//! Decoding: every format of the same signal, lossless identity, and the bad-input battery.

use std::path::{Path, PathBuf};

use analyzer_core::ErrorKind;
use analyzer_core::audio::{DecodedAudio, LoadConfig, load_bytes, load_path, load_reader, load_samples};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn formats() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(testdata().join("formats")).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn native() -> LoadConfig {
    LoadConfig { sr: None, ..LoadConfig::default() }
}

/// Best normalised cross-correlation of `b` against `a` over lags in ±`max_lag`, and the lag.
fn aligned_correlation(a: &[f32], b: &[f32], max_lag: isize) -> (f64, isize) {
    let mut best = (f64::NEG_INFINITY, 0);
    for lag in -max_lag..=max_lag {
        let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
        for (i, &x) in a.iter().enumerate() {
            let j = i as isize + lag;
            if j < 0 || j as usize >= b.len() {
                continue;
            }
            let y = b[j as usize];
            ab += x as f64 * y as f64;
            aa += x as f64 * x as f64;
            bb += y as f64 * y as f64;
        }
        let c = ab / (aa * bb).sqrt().max(1e-30);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

/// The longest codec frame among the fixtures' codecs, in source samples (MP3: 1152).
const MAX_CODEC_FRAME: u64 = 1152;

#[test]
fn every_format_decodes_to_the_same_signal() {
    check_format_matrix(&testdata().join("formats"), 44100);
}

/// Opt-in: `scripts/format-matrix.sh` encodes 30 s of a real recording into every format.
#[test]
#[ignore = "needs AA_FORMAT_MATRIX_DIR from scripts/format-matrix.sh"]
fn real_recording_format_matrix() {
    let dir = PathBuf::from(std::env::var("AA_FORMAT_MATRIX_DIR").expect("AA_FORMAT_MATRIX_DIR"));
    check_format_matrix(&dir, 30 * 44100);
    let wav = load_path(dir.join("s16.wav"), &native()).unwrap();
    for name in ["s16.flac", "s16.aiff", "s16_alac.m4a"] {
        assert_eq!(load_path(dir.join(name), &native()).unwrap().samples, wav.samples, "{name} sample-identical");
    }
}

fn check_format_matrix(dir: &Path, expected_frames: u64) {
    let reference = load_path(dir.join("s16.wav"), &LoadConfig::default()).unwrap();
    let ref_frames = reference.source.n_frames;
    assert_eq!(ref_frames, expected_frames);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let got = load_path(&path, &LoadConfig::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.sample_rate, 22050);
        assert_eq!(got.source.sample_rate, 44100, "{name}");
        assert_eq!(got.source.channels, 2, "{name}");
        // ADTS states no priming, so its 1024 priming samples stay in (symphonia does not
        // trim them and the container cannot tell): allow two codec frames there.
        let tolerance = if name.ends_with(".aac") { 2 * 1024 + 512 } else { MAX_CODEC_FRAME };
        let diff = got.source.n_frames.abs_diff(ref_frames);
        assert!(diff <= tolerance, "{name}: {} frames vs {ref_frames}", got.source.n_frames);
        let (corr, lag) = aligned_correlation(&reference.samples, &got.samples, 1200);
        assert!(corr > 0.99, "{name}: correlation {corr} at lag {lag}");
        assert!(got.warnings.is_empty(), "{name}: {:?}", got.warnings);
        println!("{name:<16} frames {:>6} lag {lag:>5} corr {corr:.5} codec {}", got.source.n_frames, got.source.codec);
    }
}

#[test]
fn lossless_formats_are_sample_identical() {
    let wav = load_path(testdata().join("formats/s16.wav"), &native()).unwrap();
    for name in ["s16.flac", "s16.aiff", "s16_alac.m4a"] {
        let got = load_path(testdata().join("formats").join(name), &native()).unwrap();
        assert_eq!(got.samples, wav.samples, "{name}");
    }
    // 24/32-bit integer and float WAVs hold the same master at higher precision.
    let f32wav = load_path(testdata().join("formats/f32.wav"), &native()).unwrap();
    for name in ["s24.wav", "s32.wav"] {
        let got = load_path(testdata().join("formats").join(name), &native()).unwrap();
        let max_err = got.samples.iter().zip(&f32wav.samples).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_err < 1e-6, "{name}: {max_err}");
    }
    let max_err = wav.samples.iter().zip(&f32wav.samples).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(max_err <= 1.0 / 32768.0, "16-bit quantisation bound: {max_err}");
}

#[test]
fn aac_in_mp4_priming_is_trimmed_from_the_edit_list() {
    let got = load_path(testdata().join("formats/aac.m4a"), &native()).unwrap();
    assert_eq!(got.source.n_frames, 44100, "edit list states the exact length");
    let wav = load_path(testdata().join("formats/s16.wav"), &native()).unwrap();
    let (corr, lag) = aligned_correlation(&wav.samples[..20000], &got.samples[..20000], 50);
    assert!(corr > 0.99 && lag.abs() <= 1, "aligned after trimming: lag {lag}, corr {corr}");
}

#[test]
fn path_bytes_reader_and_samples_agree() {
    let path = testdata().join("formats/vorbis.ogg");
    let a = load_path(&path, &LoadConfig::default()).unwrap();
    let b = load_bytes(std::fs::read(&path).unwrap(), Some("ogg"), &LoadConfig::default()).unwrap();
    let c = load_reader(std::fs::File::open(&path).unwrap(), None, &LoadConfig::default()).unwrap();
    assert_eq!(a.samples, b.samples);
    assert_eq!(a.samples, c.samples);
    let wav = load_path(testdata().join("formats/f32.wav"), &native()).unwrap();
    let d = load_samples(&wav.samples, 44100, 1, &LoadConfig::default()).unwrap();
    let e = load_path(testdata().join("formats/f32.wav"), &LoadConfig::default()).unwrap();
    // The file is stereo, load_samples got its mono mix: same resampled result.
    let max_err = d.samples.iter().zip(&e.samples).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert_eq!(d.samples.len(), e.samples.len());
    assert!(max_err < 1e-6, "{max_err}");
}

#[test]
fn channel_layouts_and_odd_rates() {
    let s51 = load_path(testdata().join("misc/surround51.flac"), &LoadConfig::default()).unwrap();
    assert_eq!((s51.source.channels, s51.source.sample_rate), (6, 48000));
    assert_eq!(s51.samples.len(), 11025);
    let m8 = load_path(testdata().join("misc/mono8k.wav"), &LoadConfig::default()).unwrap();
    assert_eq!((m8.source.channels, m8.source.sample_rate), (1, 8000));
    assert_eq!(m8.samples.len(), 11025);
    let odd = load_path(testdata().join("misc/odd37800.wav"), &LoadConfig::default()).unwrap();
    assert_eq!((odd.source.channels, odd.source.sample_rate), (2, 37800));
    assert_eq!(odd.samples.len(), 11025);
    let keep = load_path(testdata().join("misc/odd37800.wav"), &native()).unwrap();
    assert_eq!((keep.sample_rate, keep.samples.len()), (37800, 18900));
}

fn expect_err(result: analyzer_core::Result<DecodedAudio>, kinds: &[ErrorKind], what: &str) {
    match result {
        Ok(a) => panic!("{what}: expected an error, got {} samples", a.samples.len()),
        Err(e) => assert!(kinds.contains(&e.kind()), "{what}: unexpected {:?}: {e}", e.kind()),
    }
}

fn write_temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aa-decode-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn bad_inputs_give_typed_errors() {
    let cfg = LoadConfig::default();
    expect_err(load_path(write_temp("empty.wav", b""), &cfg), &[ErrorKind::Empty], "empty file");
    expect_err(load_bytes(Vec::new(), None, &cfg), &[ErrorKind::Empty], "empty bytes");
    expect_err(load_path(testdata().join("no/such/file.mp3"), &cfg), &[ErrorKind::NotFound], "missing");
    expect_err(load_path(testdata().join("formats"), &cfg), &[ErrorKind::Io], "directory");
    expect_err(
        load_path(testdata().join("misc/not_audio.mp3"), &cfg),
        &[ErrorKind::UnsupportedFormat],
        "text named .mp3",
    );
    let noise: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
    expect_err(
        load_bytes(noise, Some("mp3"), &cfg),
        &[ErrorKind::UnsupportedFormat, ErrorKind::Decode],
        "random bytes",
    );
    // Zero-length audio: a valid WAV header with no frames.
    let mut wav = Vec::new();
    {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let w = hound::WavWriter::new(std::io::Cursor::new(&mut wav), spec).unwrap();
        w.finalize().unwrap();
    }
    expect_err(load_bytes(wav, Some("wav"), &cfg), &[ErrorKind::Empty, ErrorKind::Decode], "zero-length audio");
    expect_err(
        load_path(testdata().join("formats/s16.wav"), &LoadConfig { sr: Some(10), ..LoadConfig::default() }),
        &[ErrorKind::InvalidParameter],
        "bad sr",
    );
    expect_err(
        load_path(
            testdata().join("formats/s16.wav"),
            &LoadConfig { max_duration_s: Some(0.5), ..LoadConfig::default() },
        ),
        &[ErrorKind::LimitExceeded],
        "too long",
    );
    let cut = load_path(
        testdata().join("formats/s16.wav"),
        &LoadConfig { max_duration_s: Some(0.5), truncate_long_input: true, ..LoadConfig::default() },
    )
    .unwrap();
    assert_eq!(cut.source.n_frames, 22050);
    assert!(cut.warnings.iter().any(|w| w.contains("max_duration_s")));
}

/// Samples in memory whose length passes the duration limit fail before any of them is
/// resampled: the limit's own error, not the decoded-bytes limit that resampling the first
/// chunks (8192 frames each, 82 s at 100 Hz) would reach on the way.
#[test]
fn samples_in_memory_past_the_duration_limit_fail_before_resampling() {
    let low_rate = 100;
    let y = vec![0.1f32; 3 * 8192];
    let cfg = LoadConfig { max_duration_s: Some(200.0), max_decoded_bytes: Some(1 << 20), ..LoadConfig::default() };
    let err = load_samples(&y, low_rate, 1, &cfg).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("max_duration_s"), "{err}");
    // Within the limit the same samples decode, and truncation still keeps the limit's worth.
    let fits = LoadConfig { max_duration_s: Some(300.0), ..LoadConfig::default() };
    assert_eq!(load_samples(&y, low_rate, 1, &fits).unwrap().source.n_frames, y.len() as u64);
    let cut = LoadConfig { max_duration_s: Some(200.0), truncate_long_input: true, ..LoadConfig::default() };
    assert_eq!(load_samples(&y, low_rate, 1, &cut).unwrap().source.n_frames, 200 * u64::from(low_rate));
}

/// Longest a refused special file may take (it is refused from its metadata, at once).
#[cfg(unix)]
const SPECIAL_FILE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs `f` on a thread and fails the test if it has not returned by the deadline (a FIFO's
/// open or a device's endless read would block it forever).
#[cfg(unix)]
fn within_deadline<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(SPECIAL_FILE_DEADLINE)
        .unwrap_or_else(|_| panic!("{what}: no answer in {SPECIAL_FILE_DEADLINE:?}: a hang"))
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_refused_not_read() {
    use analyzer_core::analysis::{AnalysisConfig, Analyzer};
    use analyzer_core::audio::{content_hash_path, regular_file_metadata};

    let dir = std::env::temp_dir().join(format!("aa-decode-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("pipe.wav");
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    // A FIFO with no writer (opening it would block), an endless device and an empty one.
    let mut specials = vec![fifo.clone()];
    specials.extend(["/dev/zero", "/dev/urandom", "/dev/null"].map(PathBuf::from).into_iter().filter(|p| p.exists()));
    for path in specials {
        let what = path.display().to_string();
        let p = path.clone();
        let (meta, hash, load, analysis) = within_deadline(&what, move || {
            let analyzer = Analyzer::new(AnalysisConfig::default()).unwrap();
            (
                regular_file_metadata(&p).map(|_| ()),
                content_hash_path(&p).map(|_| ()),
                load_path(&p, &LoadConfig::default()).map(|_| ()),
                analyzer.analyze_path(&p).map(|_| ()),
            )
        });
        for (step, r) in [("metadata", meta), ("hash", hash), ("load", load), ("analysis", analysis)] {
            let e = r.expect_err(&format!("{what}: {step} must refuse it"));
            assert_eq!(e.kind(), ErrorKind::Io, "{what}: {step}: {e}");
            assert!(e.to_string().contains("not a regular file"), "{what}: {step}: {e}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn wrong_extension_still_decodes_by_content() {
    let bytes = std::fs::read(testdata().join("formats/s16.flac")).unwrap();
    let p = write_temp("really_flac.mp3", &bytes);
    let got = load_path(&p, &LoadConfig::default()).unwrap();
    assert_eq!(got.source.codec, "flac");
}

#[test]
fn truncated_files_of_every_format_keep_the_good_audio_or_fail_typed() {
    for path in formats() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        for frac in [0.02, 0.3, 0.6, 0.97] {
            let cut = (bytes.len() as f64 * frac) as usize;
            let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
            match load_bytes(bytes[..cut].to_vec(), ext.as_deref(), &LoadConfig::default()) {
                Ok(a) => {
                    assert!(a.source.n_frames <= 44100 + MAX_CODEC_FRAME * 2, "{name}@{frac}");
                    assert!(a.samples.iter().all(|v| v.is_finite()));
                    if frac < 0.9 && a.source.n_frames > 0 {
                        assert!(
                            a.warnings.iter().any(|w| w.contains("truncated")) || a.source.n_frames < 44100,
                            "{name}@{frac}: a cut must be reported or visible"
                        );
                    }
                }
                Err(e) => assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Decode | ErrorKind::UnsupportedFormat | ErrorKind::Empty | ErrorKind::NoAudioTrack
                    ),
                    "{name}@{frac}: {e}"
                ),
            }
        }
    }
    // A truncated WAV keeps what is there and says so.
    let bytes = std::fs::read(testdata().join("formats/s16.wav")).unwrap();
    let a = load_bytes(bytes[..bytes.len() / 2].to_vec(), Some("wav"), &native()).unwrap();
    assert!(a.source.n_frames > 20000 && a.source.n_frames < 23000, "{}", a.source.n_frames);
    assert!(a.warnings.iter().any(|w| w.contains("truncated")), "{:?}", a.warnings);
}

#[test]
fn corruption_mid_stream_keeps_the_rest() {
    for name in ["mp3.mp3", "s16.flac", "aac_adts.aac", "s16.wav", "vorbis.ogg"] {
        let mut bytes = std::fs::read(testdata().join("formats").join(name)).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 200] {
            *b ^= 0x5A;
        }
        let ext = name.rsplit('.').next();
        match load_bytes(bytes, ext, &native()) {
            Ok(a) => {
                assert!(a.source.n_frames > 30000, "{name}: only {} frames kept", a.source.n_frames);
                assert!(a.samples.iter().all(|v| v.is_finite()), "{name}");
            }
            // The Ogg fixture holds its whole second of audio in one page: corrupting that page
            // leaves no audio, and the honest answer is a typed error.
            Err(e) if name == "vorbis.ogg" => assert_eq!(e.kind(), ErrorKind::Decode, "{e}"),
            Err(e) => panic!("{name}: {e}"),
        }
    }
}

/// A 32-bit float WAV (mono, 8 kHz) holding `samples`.
fn float_wav(samples: &[f32]) -> Vec<u8> {
    const RATE: u32 = 8000;
    let data_len = (samples.len() * 4) as u32;
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data_len).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&RATE.to_le_bytes());
    w.extend_from_slice(&(RATE * 4).to_le_bytes());
    w.extend_from_slice(&4u16.to_le_bytes());
    w.extend_from_slice(&32u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data_len.to_le_bytes());
    samples.iter().for_each(|s| w.extend_from_slice(&s.to_le_bytes()));
    w
}

#[test]
fn absurd_and_non_finite_float_samples_are_sanitised() {
    use analyzer_core::audio::MAX_SAMPLE_MAGNITUDE;
    // A tone with garbage spliced in: values near f32::MAX (their sums overflow in a resampler),
    // infinities and NaNs. The first fuzzer finding was such a file.
    let mut x: Vec<f32> = (0..8000).map(|i| 0.5 * (i as f32 * 0.1).sin()).collect();
    for (k, v) in [f32::MAX, -f32::MAX, 3.0e38, f32::INFINITY, f32::NAN, -1.0e20].into_iter().enumerate() {
        x[1000 + 37 * k] = v;
    }
    let wav = float_wav(&x);
    for sr in [None, Some(22050), Some(16000)] {
        let load = LoadConfig { sr, ..LoadConfig::default() };
        let audio = analyzer_core::audio::load_bytes(wav.clone(), Some("wav"), &load).unwrap();
        assert!(audio.samples.iter().all(|v| v.is_finite()), "non-finite output at sr {sr:?}");
        let peak = audio.samples.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // Bounded by the clamp times the resampler's gain (a few, at most).
        assert!(peak <= 4.0 * MAX_SAMPLE_MAGNITUDE, "peak {peak} at sr {sr:?}");
        assert!(audio.warnings.iter().any(|w| w.contains("2 non-finite samples replaced")), "{:?}", audio.warnings);
        assert!(audio.warnings.iter().any(|w| w.contains("4 samples beyond")), "{:?}", audio.warnings);
        let l = audio.loudness.expect("loudness measured");
        assert!(l.integrated_lufs.is_finite() && l.true_peak_dbtp.is_finite(), "{l:?}");
    }
}
