//! Whole-track analysis: every entry point agrees, one shared analyzer equals one per thread,
//! and every field is defined on hostile-but-valid audio.

use std::path::PathBuf;
use std::sync::Arc;

#[path = "support/signals.rs"]
mod signals;

use analyzer_core::analysis::{AnalysisConfig, Analyzer, AudioFeatures, Stage, Stages, TrackAnalysis};
use analyzer_core::audio::LoadConfig;

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn check_ranges(f: &AudioFeatures) {
    for (name, v) in [
        ("tempo_confidence", f.tempo_confidence),
        ("time_signature_confidence", f.time_signature_confidence),
        ("key_confidence", f.key_confidence),
        ("mode_confidence", f.mode_confidence),
        ("energy", f.energy),
        ("danceability", f.danceability),
        ("speechiness", f.speechiness),
        ("acousticness", f.acousticness),
        ("instrumentalness", f.instrumentalness),
        ("liveness", f.liveness),
        ("valence", f.valence),
    ] {
        assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{name} = {v}");
    }
    assert!(f.tempo == 0.0 || (40.0..=240.0).contains(&f.tempo), "tempo {}", f.tempo);
    assert!((3..=7).contains(&f.time_signature), "time_signature {}", f.time_signature);
    assert!((-1..=11).contains(&f.key), "key {}", f.key);
    assert!(f.mode <= 1);
    assert!(f.loudness.is_finite() && f.loudness <= 3.0, "loudness {}", f.loudness);
}

fn check_timeline(a: &TrackAnalysis) {
    let tl = a.timeline.as_ref().expect("timeline requested");
    let duration = a.track.num_samples as f64 / a.track.analysis_sample_rate as f64;
    for (name, starts_ends) in [
        ("segments", tl.segments.iter().map(|s| (s.start, s.start + s.duration)).collect::<Vec<_>>()),
        ("sections", tl.sections.iter().map(|s| (s.start, s.start + s.duration)).collect::<Vec<_>>()),
    ] {
        if duration > 0.0 {
            assert!(!starts_ends.is_empty(), "{name}");
            assert_eq!(starts_ends[0].0, 0.0, "{name} start at 0");
            for w in starts_ends.windows(2) {
                assert!((w[0].1 - w[1].0).abs() < 1e-9, "{name}: gap or overlap");
            }
            assert!((starts_ends.last().unwrap().1 - duration).abs() < 1e-6, "{name} end");
        }
    }
    for s in &tl.segments {
        assert!(s.pitches.iter().chain(&s.timbre).all(|v| v.is_finite()));
        assert!(s.loudness_max.is_finite() && s.loudness_start.is_finite() && s.loudness_end.is_finite());
    }
    for s in &tl.sections {
        assert!(s.loudness.is_finite() && s.tempo.is_finite());
    }
    assert!(tl.end_of_fade_in >= 0.0 && tl.end_of_fade_in <= tl.start_of_fade_out);
    assert!(tl.start_of_fade_out <= duration + 1e-9);
    for b in tl.beats.iter().chain(&tl.bars).chain(&tl.tatums) {
        assert!(b.start >= 0.0 && b.duration >= 0.0 && (0.0..=1.0).contains(&b.confidence));
    }
}

#[test]
fn path_bytes_reader_and_samples_agree() {
    let analyzer = Analyzer::new(AnalysisConfig::default()).unwrap();
    let path = testdata().join("formats/s16.wav");
    let by_path = analyzer.analyze_path(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let by_bytes = analyzer.analyze_bytes(bytes.clone(), Some("wav")).unwrap();
    let by_reader = analyzer.analyze_reader(std::io::Cursor::new(bytes), None).unwrap();
    check_ranges(&by_path.features);
    assert_eq!(by_path.features, by_bytes.features);
    assert_eq!(by_path.features, by_reader.features);
    assert_eq!(by_path.track.content_hash, by_reader.track.content_hash);
    // The same audio as interleaved samples: identical features.
    let mut reader = hound::WavReader::open(&path).unwrap();
    let spec = reader.spec();
    let interleaved: Vec<f32> = reader.samples::<i16>().map(|s| s.unwrap() as f32 / 32768.0).collect();
    let by_samples = analyzer.analyze_samples(&interleaved, spec.sample_rate, spec.channels as usize).unwrap();
    assert_eq!(by_samples.features, by_path.features);
    assert_eq!(by_samples.track.content_hash, None);
}

#[test]
fn one_shared_analyzer_equals_one_per_thread() {
    let files: Vec<PathBuf> = ["formats/mp3.mp3", "formats/s16.flac", "formats/vorbis.ogg", "misc/surround51.flac"]
        .iter()
        .map(|f| testdata().join(f))
        .collect();
    let cfg = AnalysisConfig::default().with_timeline(true);
    let shared = Arc::new(Analyzer::new(cfg.clone()).unwrap());
    let handles: Vec<_> = files
        .iter()
        .cloned()
        .map(|f| {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || shared.analyze_path(f).unwrap())
        })
        .collect();
    let threaded: Vec<TrackAnalysis> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (f, t) in files.iter().zip(&threaded) {
        let own = Analyzer::new(cfg.clone()).unwrap().analyze_path(f).unwrap();
        assert_eq!(own.features, t.features, "{}", f.display());
        let (a, b) = (own.timeline.as_ref().unwrap(), t.timeline.as_ref().unwrap());
        assert_eq!(a.beats, b.beats);
        assert_eq!(a.segments, b.segments);
        assert_eq!(a.sections, b.sections);
        check_timeline(t);
    }
}

#[test]
fn silence_noise_clicks_and_tiny_inputs_give_defined_fields() {
    let sr = 22050u32;
    let n = 10 * sr as usize;
    let mut state = 12345u32;
    let noise: Vec<f32> = (0..n)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        })
        .collect();
    let clicks: Vec<f32> = (0..n).map(|i| if i % (sr as usize / 2) < 40 { 0.9 } else { 0.0 }).collect();
    let analyzer = Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap();
    for (name, y) in [
        ("silence", vec![0.0f32; n]),
        ("noise", noise),
        ("clicks", clicks),
        ("one second", vec![0.1f32; sr as usize]),
        ("one sample", vec![0.5f32]),
        ("empty", Vec::new()),
    ] {
        let a = analyzer.analyze_samples(&y, sr, 1).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_ranges(&a.features);
        check_timeline(&a);
        if name == "silence" {
            assert_eq!(a.features.key, -1, "silence has no key");
        }
    }
}

#[test]
fn invalid_configuration_is_a_typed_error() {
    let mut cfg = AnalysisConfig::default();
    cfg.structure.segments.min_duration = -1.0;
    assert!(matches!(Analyzer::new(cfg), Err(analyzer_core::AnalyzerError::InvalidParameter { .. })));
    for sr in [Some(0), Some(44100), None] {
        let cfg = AnalysisConfig::default().with_load(LoadConfig { sr, ..LoadConfig::default() });
        let e = Analyzer::new(cfg).unwrap_err();
        assert!(e.to_string().contains("`sr`"), "{sr:?}: {e}");
    }
}

fn wav_interleaved(name: &str) -> (Vec<f32>, u32, usize) {
    let mut reader = hound::WavReader::open(testdata().join(name)).unwrap();
    let spec = reader.spec();
    let interleaved: Vec<f32> = reader.samples::<i16>().map(|s| s.unwrap() as f32 / 32768.0).collect();
    (interleaved, spec.sample_rate, spec.channels as usize)
}

#[test]
fn streaming_in_any_chunking_equals_the_whole_buffer() {
    let (interleaved, sr, channels) = wav_interleaved("formats/s16.wav");
    assert!(channels > 1, "the fixture should exercise frames split across pushes");
    let analyzer = Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap();
    let whole = analyzer.analyze_samples(&interleaved, sr, channels).unwrap();
    // Odd chunk sizes split frames between pushes; 0 stands for "one sample per push over the
    // first second, then the rest in one push".
    for chunk in [0usize, 7, 4093, 44_101, interleaved.len()] {
        let mut stream = analyzer.stream(sr, channels).unwrap();
        if chunk == 0 {
            let first = (sr as usize * channels).min(interleaved.len());
            for s in &interleaved[..first] {
                stream.push(std::slice::from_ref(s)).unwrap();
            }
            stream.push(&interleaved[first..]).unwrap();
        } else {
            for c in interleaved.chunks(chunk) {
                stream.push(c).unwrap();
            }
        }
        let expected_s = interleaved.len() as f64 / channels as f64 / sr as f64;
        assert!((stream.duration_seconds() - expected_s).abs() < 1e-9);
        let streamed = stream.finish().unwrap();
        assert_eq!(streamed.features, whole.features, "chunk {chunk}");
        assert_eq!(streamed.track.num_samples, whole.track.num_samples);
        assert_eq!(streamed.track.loudness, whole.track.loudness, "chunk {chunk}");
        let (a, b) = (streamed.timeline.unwrap(), whole.timeline.as_ref().unwrap().clone());
        assert_eq!(a.segments, b.segments, "chunk {chunk}");
        assert_eq!(a.beats, b.beats);
    }
}

#[test]
fn streaming_enforces_the_duration_limit_as_chunks_arrive() {
    let sr = 8000u32;
    let second = vec![0.25f32; sr as usize];
    let analyzer = Analyzer::new(AnalysisConfig::default().with_max_duration(Some(3.0))).unwrap();
    let mut stream = analyzer.stream(sr, 1).unwrap();
    for _ in 0..3 {
        stream.push(&second).unwrap();
    }
    let err = stream.push(&second).unwrap_err();
    assert_eq!(err.kind(), analyzer_core::ErrorKind::LimitExceeded, "{err}");

    // With truncation the first 3 s are kept and later pushes are ignored.
    let mut cfg = AnalysisConfig::default().with_max_duration(Some(3.0));
    cfg.load.truncate_long_input = true;
    let analyzer = Analyzer::new(cfg).unwrap();
    let mut stream = analyzer.stream(sr, 1).unwrap();
    for _ in 0..5 {
        stream.push(&second).unwrap();
    }
    let a = stream.finish().unwrap();
    assert_eq!(a.features.duration_ms, 3000);
    assert!(a.track.warnings.iter().any(|w| w.contains("truncated")), "{:?}", a.track.warnings);

    // A trailing partial frame is dropped with a warning, never a panic.
    let analyzer = Analyzer::new(AnalysisConfig::default()).unwrap();
    let mut stream = analyzer.stream(sr, 2).unwrap();
    stream.push(&[0.1, 0.2, 0.3]).unwrap();
    let a = stream.finish().unwrap();
    assert_eq!(a.track.source.n_frames, 1);
    assert!(a.track.warnings.iter().any(|w| w.contains("trailing")), "{:?}", a.track.warnings);

    for (rate, ch) in [(0u32, 1usize), (sr, 0), (sr, 100_000)] {
        let err = analyzer.stream(rate, ch).unwrap_err();
        assert_eq!(err.kind(), analyzer_core::ErrorKind::InvalidParameter, "{rate} Hz {ch} ch");
    }
}

#[test]
fn stages_that_do_not_run_leave_documented_values_and_cost_nothing_else() {
    let path = testdata().join("formats/s16.flac");
    let full = Analyzer::new(AnalysisConfig::default()).unwrap().analyze_path(&path).unwrap();
    assert_eq!(full.stages, Stages::all());

    let tempo_only = AnalysisConfig::default().with_stages(Stages::none().with(Stage::Rhythm));
    let a = Analyzer::new(tempo_only).unwrap().analyze_path(&path).unwrap();
    assert!(a.stages.contains(Stage::Rhythm) && !a.stages.contains(Stage::Key));
    let f = &a.features;
    // The rhythm is the same as in the full analysis ...
    assert_eq!(f.tempo, full.features.tempo);
    assert_eq!(f.tempo_confidence, full.features.tempo_confidence);
    assert_eq!(f.time_signature, full.features.time_signature);
    // ... the key reads "not detected", the descriptors NaN, and the loudness is still there.
    assert_eq!((f.key, f.key_confidence, f.mode_confidence), (-1, 0.0, 0.0));
    for v in [f.energy, f.danceability, f.speechiness, f.acousticness, f.instrumentalness, f.liveness, f.valence] {
        assert!(v.is_nan());
    }
    assert_eq!(f.loudness, full.features.loudness);

    let key_only = AnalysisConfig::default().with_stages(Stages::none().with(Stage::Key));
    let k = Analyzer::new(key_only).unwrap().analyze_path(&path).unwrap();
    assert_eq!((k.features.key, k.features.mode), (full.features.key, full.features.mode));
    assert_eq!((k.features.tempo, k.features.tempo_confidence), (0.0, 0.0));

    // Without the loudness meter in the decoder the descriptors still report a loudness.
    let mut no_meter = AnalysisConfig::default().with_stages(Stages::none());
    no_meter.load.loudness = None;
    let n = Analyzer::new(no_meter).unwrap().analyze_path(&path).unwrap();
    // (measured on the mono mixdown, so not equal to the source-channel loudness).
    assert!(n.features.loudness.is_finite() && (-70.0..=0.0).contains(&n.features.loudness));
    assert!(n.track.loudness.is_none());

    assert_eq!(Stages::all().without(Stage::Key).with(Stage::Key), Stages::all());
    let no_rhythm_timeline =
        AnalysisConfig::default().with_timeline(true).with_stages(Stages::all().without(Stage::Rhythm));
    let err = Analyzer::new(no_rhythm_timeline).unwrap_err();
    assert_eq!(err.kind(), analyzer_core::ErrorKind::InvalidParameter);
}

#[cfg(feature = "rayon")]
#[test]
fn analyze_paths_keeps_input_order_and_reports_each_failure() {
    let files: Vec<PathBuf> =
        ["formats/s16.flac", "misc/not_audio.mp3", "formats/vorbis.ogg", "formats/missing.wav", "formats/mp3.mp3"]
            .iter()
            .map(|f| testdata().join(f))
            .collect();
    let analyzer = Analyzer::new(AnalysisConfig::default()).unwrap();
    let results = analyzer.analyze_paths(&files);
    assert_eq!(results.len(), files.len());
    for (f, r) in files.iter().zip(&results) {
        let one = analyzer.analyze_path(f);
        match (r, one) {
            (Ok(a), Ok(b)) => assert_eq!(a.features, b.features, "{}", f.display()),
            (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind(), "{}", f.display()),
            _ => panic!("{}: parallel and sequential disagree", f.display()),
        }
    }
    assert!(results[1].is_err() && results[3].is_err());
    assert_eq!(results[3].as_ref().unwrap_err().kind(), analyzer_core::ErrorKind::NotFound);
}

/// Spoken word has pitch but no key: the espeak-ng speech fixture gets key −1 with zero
/// confidences, and so do its sections; the music fixture keeps its key, and with the gate
/// disabled (`max_speechiness` 1) the speech gets a key again.
#[test]
fn speech_has_no_key() {
    let dir = testdata().join("descriptors");
    let analyzer = Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap();
    let speech = analyzer.analyze_path(dir.join("desc_speech.flac")).unwrap();
    assert!(speech.features.speechiness > 0.66, "{:?}", speech.features);
    assert_eq!((speech.features.key, speech.features.key_confidence, speech.features.mode_confidence), (-1, 0.0, 0.0));
    assert!(speech.timeline.as_ref().unwrap().sections.iter().all(|s| s.key == -1));
    let music = analyzer.analyze_path(dir.join("desc_music.flac")).unwrap();
    assert!(music.features.key >= 0, "{:?}", music.features);
    let mut cfg = AnalysisConfig::default();
    cfg.key.max_speechiness = 1.0;
    let ungated = Analyzer::new(cfg).unwrap().analyze_path(dir.join("desc_speech.flac")).unwrap();
    assert!(ungated.features.key >= 0, "{:?}", ungated.features);
    let mut cfg = AnalysisConfig::default();
    cfg.key.max_speechiness = 1.5;
    assert!(matches!(Analyzer::new(cfg), Err(analyzer_core::AnalyzerError::InvalidParameter { .. })));
}

#[test]
fn drums_only_have_no_key_and_keep_their_tempo() {
    let sr = 44100;
    let analyzer = Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap();
    let drums = analyzer.analyze_samples(&signals::drum_machine(30.0, sr), sr, 1).unwrap();
    let f = &drums.features;
    assert_eq!((f.key, f.key_confidence, f.mode_confidence), (-1, 0.0, 0.0), "{f:?}");
    assert!(drums.timeline.as_ref().unwrap().sections.iter().all(|s| s.key == -1));
    assert!((f.tempo - 120.0).abs() < 2.0 && f.tempo_confidence > 0.0, "{f:?}");
}

#[test]
fn section_keys_come_from_the_key_front_end() {
    // A section spanning the whole track has the track's key: both come from the same frames.
    let analyzer = Analyzer::new(AnalysisConfig::default().with_timeline(true)).unwrap();
    for rel in ["tonal/a_minor_band.wav", "descriptors/desc_music.flac"] {
        let a = analyzer.analyze_path(testdata().join(rel)).unwrap();
        let sections = &a.timeline.as_ref().unwrap().sections;
        assert_eq!(sections.len(), 1, "{rel}");
        let f = &a.features;
        assert!(f.key >= 0, "{rel}: {f:?}");
        assert_eq!((sections[0].key, sections[0].mode), (f.key, f.mode), "{rel}");
    }
}
