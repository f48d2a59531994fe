//! Runs the `audio-analyzer` binary: JSON Lines records, per-file errors, exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn run(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_audio-analyzer")).arg("analyze").args(args).output().expect("binary runs")
}

#[test]
fn prints_one_record_per_good_file_and_reports_bad_ones() {
    let good = testdata().join("formats/s16.flac");
    let bad = testdata().join("misc/not_audio.mp3");
    let missing = testdata().join("misc/does_not_exist.wav");
    let good2 = testdata().join("misc/mono8k.wav");
    let out = run(&[&good, &bad, &missing, &good2]);
    assert_eq!(out.status.code(), Some(1), "partial failure exit code");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let rec: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(rec["path"], good.to_string_lossy().as_ref());
    assert_eq!(rec["duration_ms"], 1000);
    assert_eq!(rec["sample_rate"], 44100);
    assert_eq!(rec["channels"], 2);
    assert_eq!(rec["codec"], "flac");
    assert_eq!(rec["analyzer_version"], env!("CARGO_PKG_VERSION"));
    let hash = rec["content_hash"].as_str().unwrap();
    assert_eq!(hash, blake3_hex(&std::fs::read(&good).unwrap()));
    let rec2: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(rec2["channels"], 1);
    assert_eq!(rec2["duration_ms"], 500);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("not_audio.mp3") && stderr.contains("[unsupported_format]"), "{stderr}");
    assert!(stderr.contains("does_not_exist.wav") && stderr.contains("[not_found]"), "{stderr}");
}

#[test]
fn all_good_exits_zero_and_usage_errors_exit_two() {
    let out = run(&[&testdata().join("formats/mp3.mp3")]);
    assert_eq!(out.status.code(), Some(0));
    let none = Command::new(env!("CARGO_BIN_EXE_audio-analyzer")).arg("analyze").output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    // An absurd rate, and another rate than the models' (at 44.1 kHz one tempo in nine of the
    // evaluation files came out doubled): refused before any work, naming the option.
    for sr in ["5", "44100"] {
        let bad_sr = Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
            .args(["analyze", "--sr", sr])
            .arg(testdata().join("formats/mp3.mp3"))
            .output()
            .unwrap();
        assert_eq!(bad_sr.status.code(), Some(2), "--sr {sr}");
        assert!(bad_sr.stdout.is_empty(), "--sr {sr}");
        assert!(String::from_utf8_lossy(&bad_sr.stderr).contains("`sr`"), "--sr {sr}");
    }
    let explicit = Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
        .args(["analyze", "--sr", "22050"])
        .arg(testdata().join("formats/mp3.mp3"))
        .output()
        .unwrap();
    assert_eq!(explicit.status.code(), Some(0));
}

/// The hash of the bytes, computed independently of the binary through the core's helper.
fn blake3_hex(bytes: &[u8]) -> String {
    analyzer_core::audio::content_hash_bytes(bytes)
}

#[test]
fn records_carry_every_feature_and_analysis_dir_gets_the_timeline() {
    let dir = std::env::temp_dir().join(format!("aa-analysis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let good = testdata().join("formats/s16.wav");
    let out = Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
        .arg("analyze")
        .arg(&good)
        .arg("--analysis")
        .arg(&dir)
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rec: serde_json::Value = serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    // Every musical field of the documented schema (those after `codec`) is filled.
    let musical: Vec<&str> =
        analyzer_cli::record::FIELDS.iter().copied().skip_while(|f| *f != "codec").skip(1).collect();
    assert_eq!(musical.len(), 16, "{musical:?}");
    for field in musical {
        assert!(rec[field].is_number(), "{field}: {}", rec[field]);
    }
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    for key in ["meta", "track", "bars", "beats", "tatums", "sections", "segments"] {
        assert!(!doc[key].is_null(), "{key}");
    }
    assert_eq!(doc["track"]["tempo"], rec["tempo"].as_f64().map(|t| t as f32 as f64).unwrap());
    let seg = &doc["segments"][0];
    assert_eq!(seg["pitches"].as_array().unwrap().len(), 12);
    assert_eq!(seg["timbre"].as_array().unwrap().len(), 12);
    assert_eq!(doc["sections"][0]["start"], 0.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn decode_bench_prints_the_floor_and_the_ratio() {
    let out = Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
        .args(["decode-bench", "--analyze", "--repeats", "2"])
        .arg(testdata().join("formats/s16.flac"))
        .arg(testdata().join("formats/mp3.mp3"))
        .output()
        .expect("binary runs");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let total: Vec<&str> =
        stdout.lines().find(|l| l.starts_with("TOTAL")).expect("TOTAL row").split_whitespace().collect();
    // TOTAL audio_s decode_s decode_xrt analyze_s analyze_xrt
    assert_eq!(total.len(), 6, "{stdout}");
    let audio_s: f64 = total[1].parse().unwrap();
    assert!(audio_s > 1.0, "{stdout}");
    assert!(total[3].parse::<f64>().unwrap() > 0.0 && total[5].parse::<f64>().unwrap() > 0.0, "{stdout}");
    assert!(stdout.contains("analysis / decode-only time"), "{stdout}");

    let bad = Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
        .arg("decode-bench")
        .arg(testdata().join("misc/not_audio.mp3"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("[unsupported_format]"));
    let none = Command::new(env!("CARGO_BIN_EXE_audio-analyzer")).arg("decode-bench").output().unwrap();
    assert_eq!(none.status.code(), Some(2));
}
