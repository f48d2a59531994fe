//! Batch behaviour of the `audio-analyzer` binary: per-file errors and exit codes, crash-safe
//! resume after `kill -9`, incremental `--snapshot` runs, the three output formats agreeing
//! with the documented schema, and `merge`.
//!
//! Every corpus is built at test time in a temporary directory from the committed
//! `testdata/` fixtures.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use arrow_array::{Array, Float64Array, Int32Array, Int64Array, StringArray};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

/// Committed fixtures that decode.
const GOOD_SOURCES: [&str; 14] = [
    "formats/aac.m4a",
    "formats/aac_adts.aac",
    "formats/f32.wav",
    "formats/mp3.mp3",
    "formats/s16.aiff",
    "formats/s16.flac",
    "formats/s16.wav",
    "formats/s16_alac.m4a",
    "formats/s24.wav",
    "formats/s32.wav",
    "formats/vorbis.ogg",
    "misc/mono8k.wav",
    "misc/odd37800.wav",
    "misc/surround51.flac",
];

/// The documented Parquet schema (analyzer-cli/SCHEMA.md): name, type, nullable.
const SCHEMA: [(&str, DataType, bool); 24] = [
    ("id", DataType::Utf8, false),
    ("path", DataType::Utf8, false),
    ("content_hash", DataType::Utf8, false),
    ("analyzer_version", DataType::Utf8, false),
    ("duration_ms", DataType::Int64, false),
    ("sample_rate", DataType::Int32, false),
    ("channels", DataType::Int32, false),
    ("codec", DataType::Utf8, false),
    ("tempo", DataType::Float64, true),
    ("tempo_confidence", DataType::Float64, true),
    ("time_signature", DataType::Int32, true),
    ("time_signature_confidence", DataType::Float64, true),
    ("key", DataType::Int32, true),
    ("key_confidence", DataType::Float64, true),
    ("mode", DataType::Int32, true),
    ("mode_confidence", DataType::Float64, true),
    ("loudness", DataType::Float64, true),
    ("energy", DataType::Float64, true),
    ("danceability", DataType::Float64, true),
    ("speechiness", DataType::Float64, true),
    ("acousticness", DataType::Float64, true),
    ("instrumentalness", DataType::Float64, true),
    ("liveness", DataType::Float64, true),
    ("valence", DataType::Float64, true),
];

fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata").join(rel)
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_audio-analyzer"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().expect("binary runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Ten files that must fail, each a different way: empty, text, random bytes, truncated
/// containers of several formats, zeros.
fn bad_files() -> Vec<(&'static str, Vec<u8>)> {
    let read = |rel: &str| std::fs::read(testdata(rel)).unwrap();
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    vec![
        ("empty.wav", Vec::new()),
        ("text.mp3", b"this is not audio\n".to_vec()),
        ("random.flac", random),
        ("header_only.wav", read("formats/s16.wav")[..44].to_vec()),
        ("trunc.flac", read("formats/s16.flac")[..300].to_vec()),
        ("trunc.ogg", read("formats/vorbis.ogg")[..2000].to_vec()),
        ("trunc.m4a", read("formats/aac.m4a")[..1000].to_vec()),
        ("trunc.mp3", read("formats/mp3.mp3")[..100].to_vec()),
        ("zeros.aiff", vec![0; 4096]),
        ("text.wav", b"RIFF....WAVEnot really".to_vec()),
    ]
}

/// Copies `n_good` good fixtures (cycling through the formats, half of them in a
/// subdirectory) and, with `bad`, the ten bad files into `dir`. Returns the good and bad paths.
fn make_corpus(dir: &Path, n_good: usize, bad: bool) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let sub = dir.join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    let mut good = Vec::new();
    for i in 0..n_good {
        let src = testdata(GOOD_SOURCES[i % GOOD_SOURCES.len()]);
        let name = format!("g{i:03}_{}", src.file_name().unwrap().to_str().unwrap());
        let dest = if i % 2 == 0 { dir.join(name) } else { sub.join(name) };
        std::fs::copy(&src, &dest).unwrap();
        good.push(dest);
    }
    let mut bads = Vec::new();
    if bad {
        for (name, bytes) in bad_files() {
            let dest = dir.join(format!("bad_{name}"));
            std::fs::write(&dest, bytes).unwrap();
            bads.push(dest);
        }
    }
    (good, bads)
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}: {l}", path.display())))
        .collect()
}

fn summary(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn ids(records: &[Value]) -> Vec<String> {
    records.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

fn path_strings(paths: &[PathBuf]) -> BTreeSet<String> {
    paths.iter().map(|p| s(p).to_string()).collect()
}

/// Reads a Parquet file with the parquet crate into JSON objects, checking the schema.
fn read_parquet(path: &Path) -> Vec<Value> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let got: Vec<(&str, &DataType, bool)> =
        schema.fields().iter().map(|f| (f.name().as_str(), f.data_type(), f.is_nullable())).collect();
    let want: Vec<(&str, &DataType, bool)> = SCHEMA.iter().map(|(n, t, null)| (*n, t, *null)).collect();
    assert_eq!(got, want, "documented schema");
    let mut out = Vec::new();
    for batch in builder.build().unwrap() {
        let batch = batch.unwrap();
        for row in 0..batch.num_rows() {
            let mut obj = serde_json::Map::new();
            for (name, dt, _) in SCHEMA.iter() {
                let col = batch.column_by_name(name).unwrap();
                let v = if col.is_null(row) {
                    Value::Null
                } else {
                    match dt {
                        DataType::Utf8 => col.as_any().downcast_ref::<StringArray>().unwrap().value(row).into(),
                        DataType::Int64 => col.as_any().downcast_ref::<Int64Array>().unwrap().value(row).into(),
                        DataType::Int32 => col.as_any().downcast_ref::<Int32Array>().unwrap().value(row).into(),
                        DataType::Float64 => col.as_any().downcast_ref::<Float64Array>().unwrap().value(row).into(),
                        other => panic!("unexpected type {other}"),
                    }
                };
                obj.insert(name.to_string(), v);
            }
            out.push(Value::Object(obj));
        }
    }
    out
}

/// Reads a CSV output with the csv crate: header = documented names, empty cell = null.
fn read_csv_cells(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let names: Vec<&str> = SCHEMA.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(header, names);
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(str::to_string)).collect()).collect()
}

fn json_matches_cell(v: &Value, cell: &str) -> bool {
    match v {
        Value::Null => cell.is_empty(),
        Value::String(s) => s == cell,
        Value::Number(n) => cell.parse::<f64>().ok() == n.as_f64(),
        _ => false,
    }
}

#[test]
fn two_hundred_files_with_ten_bad_give_190_records_10_error_rows_and_exit_1() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    let (good, bad) = make_corpus(&corpus, 190, true);
    let out = tmp.path().join("out.jsonl");
    let errs = tmp.path().join("errors.jsonl");
    let sum = tmp.path().join("summary.json");
    let o =
        run(&["analyze", s(&corpus), "-o", s(&out), "--errors", s(&errs), "--summary-json", s(&sum), "--jobs", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));

    let records = read_jsonl(&out);
    assert_eq!(records.len(), 190);
    let got: Vec<String> = ids(&records);
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(got, sorted, "records come in input order (directory walk sorted by path)");
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), path_strings(&good));

    let errors = read_jsonl(&errs);
    assert_eq!(errors.len(), 10);
    let err_ids: BTreeSet<String> = ids(&errors).into_iter().collect();
    assert_eq!(err_ids, path_strings(&bad));
    for e in &errors {
        let kind = e["kind"].as_str().unwrap();
        assert!(["empty", "unsupported_format", "decode", "no_audio_track"].contains(&kind), "{e}");
        assert_eq!(e["path"], e["id"]);
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let sm = summary(&sum);
    assert_eq!((sm["ok"].as_u64(), sm["failed"].as_u64(), sm["decoded"].as_u64()), (Some(190), Some(10), Some(200)));
    assert_eq!(sm["records"], 190);
    assert!(String::from_utf8_lossy(&o.stderr).contains("summary: 190 ok, 10 failed"));

    // Same inputs, one job, stdout: byte-identical output whatever the thread count.
    let single = run(&["analyze", s(&corpus), "--jobs", "1", "--no-progress"]);
    assert_eq!(single.status.code(), Some(1));
    assert_eq!(single.stdout, std::fs::read(&out).unwrap());
}

/// Writes `n` distinct 30-second WAVs built by tiling the committed `misc/mono8k.wav`
/// (slow enough per file that a run can be killed in the middle).
fn make_long_corpus(dir: &Path, n: usize) -> Vec<PathBuf> {
    const TILES: usize = 60;
    std::fs::create_dir_all(dir).unwrap();
    let mut reader = hound::WavReader::open(testdata("misc/mono8k.wav")).unwrap();
    let spec = reader.spec();
    assert_eq!(spec.sample_format, hound::SampleFormat::Int);
    let samples: Vec<i32> = reader.samples::<i32>().map(Result::unwrap).collect();
    (0..n)
        .map(|i| {
            let p = dir.join(format!("long{i:04}.wav"));
            let mut w = hound::WavWriter::create(&p, spec).unwrap();
            for t in 0..TILES {
                for (k, &x) in samples.iter().enumerate() {
                    // The first sample carries the file's index, so every file hashes differently.
                    let v = if t == 0 && k == 0 { i as i32 } else { x };
                    w.write_sample(v).unwrap();
                }
            }
            w.finalize().unwrap();
            p
        })
        .collect()
}

/// Counts the records already durable in an output while the writer runs.
fn progress(out: &Path, parquet: bool) -> usize {
    if parquet {
        let parts = out.with_file_name(format!("{}.parts", out.file_name().unwrap().to_str().unwrap()));
        std::fs::read_dir(parts)
            .map(|d| d.filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "parquet")).count())
            .unwrap_or(0)
    } else {
        let header = usize::from(out.extension().is_some_and(|x| x == "csv"));
        std::fs::read(out).map(|b| b.iter().filter(|&&c| c == b'\n').count()).unwrap_or(0).saturating_sub(header)
    }
}

#[test]
fn kill_9_mid_run_then_rerun_gives_exactly_one_record_per_good_file() {
    const N: usize = 150;
    /// Records (JSONL/CSV lines, or Parquet parts of 4 rows) to wait for before killing.
    const KILL_AFTER: usize = 8;
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("long");
    let good = make_long_corpus(&corpus, N);
    let want = path_strings(&good);
    for name in ["out.jsonl", "out.csv", "out.parquet"] {
        let parquet = name.ends_with(".parquet");
        let out = tmp.path().join(name);
        let sum = tmp.path().join(format!("{name}.summary.json"));
        let args = [
            "analyze",
            s(&corpus),
            "-o",
            s(&out),
            "--jobs",
            "1",
            "--parquet-part-rows",
            "4",
            "--summary-json",
            s(&sum),
        ];
        let mut child = bin().args(args).stdin(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        while progress(&out, parquet) < KILL_AFTER {
            assert!(child.try_wait().unwrap().is_none(), "{name}: the run ended before it could be killed");
            assert!(Instant::now() < deadline, "{name}: no progress");
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert_eq!(status.code(), None, "{name}: killed by a signal, not finished");

        // Whatever the moment, what is on disk is valid.
        let partial: Vec<Value> = if parquet {
            assert!(!out.exists(), "the final Parquet file only appears at the end");
            let parts = tmp.path().join(format!("{name}.parts"));
            let mut v = Vec::new();
            for e in std::fs::read_dir(parts).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "parquet") {
                    v.extend(read_parquet(&p));
                }
            }
            v
        } else {
            let text = std::fs::read_to_string(&out).unwrap();
            let complete = &text[..text.rfind('\n').map_or(0, |i| i + 1)];
            if name.ends_with(".csv") {
                complete.lines().skip(1).map(|l| Value::String(l.to_string())).collect()
            } else {
                complete.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
            }
        };
        assert!(partial.len() >= KILL_AFTER.min(N) && partial.len() < N, "{name}: {} records", partial.len());

        let o = bin().args(args).stdin(Stdio::null()).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&o.stderr));
        let records = if parquet {
            read_parquet(&out)
        } else if name.ends_with(".csv") {
            read_csv_cells(&out).into_iter().map(|m| Value::String(m["id"].clone())).collect()
        } else {
            read_jsonl(&out)
        };
        let got: Vec<String> = records
            .iter()
            .map(|r| r.get("id").map_or_else(|| r.as_str().unwrap(), |v| v.as_str().unwrap()).to_string())
            .collect();
        assert_eq!(got.len(), N, "{name}: one record per good file");
        assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), want, "{name}");
        let sm = summary(&sum);
        let resumed = sm["resumed"].as_u64().unwrap() as usize;
        assert!(resumed >= partial.len().min(N) && resumed < N, "{name}: {sm}");
        assert_eq!(sm["ok"].as_u64().unwrap() as usize + resumed, N, "{name}: {sm}");
        assert_eq!(sm["decoded"], sm["ok"], "{name}: resumed files are not decoded");
        if parquet {
            assert!(!tmp.path().join(format!("{name}.parts")).exists(), "parts are removed after finalizing");
        }
    }
}

#[test]
fn snapshot_rerun_decodes_nothing_and_reanalyses_only_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    let (good, _) = make_corpus(&corpus, 20, false);
    let day = |n: &str| tmp.path().join(n);
    let sum = day("summary.json");
    let o = run(&["analyze", s(&corpus), "-o", s(&day("d1.jsonl"))]);
    assert_eq!(o.status.code(), Some(0));
    let d1 = read_jsonl(&day("d1.jsonl"));

    // Unchanged inputs: nothing decoded, every record carried over, into another format.
    let o = run(&[
        "analyze",
        s(&corpus),
        "--snapshot",
        s(&day("d1.jsonl")),
        "-o",
        s(&day("d2.parquet")),
        "--summary-json",
        s(&sum),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let sm = summary(&sum);
    assert_eq!((sm["decoded"].as_u64(), sm["carried_over"].as_u64(), sm["ok"].as_u64()), (Some(0), Some(20), Some(0)));
    assert_eq!(read_parquet(&day("d2.parquet")), d1);

    // One file changed, one deleted, one added.
    std::fs::copy(testdata("misc/surround51.flac"), &good[0]).unwrap();
    std::fs::remove_file(&good[1]).unwrap();
    let added = corpus.join("zz_new.wav");
    std::fs::copy(testdata("misc/mono8k.wav"), &added).unwrap();
    let o = run(&[
        "analyze",
        s(&corpus),
        "--snapshot",
        s(&day("d2.parquet")),
        "-o",
        s(&day("d3.jsonl")),
        "--summary-json",
        s(&sum),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let sm = summary(&sum);
    assert_eq!(sm["decoded"], 2, "{sm}");
    assert_eq!(
        (sm["ok"].as_u64(), sm["carried_over"].as_u64(), sm["kept"].as_u64()),
        (Some(2), Some(18), Some(1)),
        "{sm}"
    );
    let d3 = read_jsonl(&day("d3.jsonl"));
    assert_eq!(d3.len(), 21, "previous ∪ new");
    let by_id: BTreeMap<String, &Value> = d3.iter().map(|r| (r["id"].as_str().unwrap().to_string(), r)).collect();
    let changed = by_id[s(&good[0])];
    assert_eq!(changed["codec"], "flac");
    assert_eq!(changed["channels"], 6);
    assert_ne!(changed["content_hash"], d1[0]["content_hash"]);
    assert!(by_id.contains_key(s(&good[1])), "deleted input kept without --prune-missing");
    assert!(by_id.contains_key(s(&added)));

    // --prune-missing drops the deleted one; in place (snapshot = output) nothing is decoded.
    let d3p = day("d3.jsonl");
    let o = run(&[
        "analyze",
        s(&corpus),
        "--snapshot",
        s(&d3p),
        "-o",
        s(&d3p),
        "--prune-missing",
        "--summary-json",
        s(&sum),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let sm = summary(&sum);
    assert_eq!(
        (sm["decoded"].as_u64(), sm["pruned"].as_u64(), sm["records"].as_u64()),
        (Some(0), Some(1), Some(20)),
        "{sm}"
    );
    let pruned = read_jsonl(&d3p);
    assert_eq!(pruned.len(), 20);
    assert!(!ids(&pruned).contains(&s(&good[1]).to_string()));

    // --force decodes everything again.
    let o = run(&[
        "analyze",
        s(&corpus),
        "--snapshot",
        s(&d3p),
        "-o",
        s(&day("d4.csv")),
        "--force",
        "--summary-json",
        s(&sum),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(summary(&sum)["decoded"], 20);
}

#[test]
fn jsonl_csv_and_parquet_agree_with_the_documented_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus, GOOD_SOURCES.len(), true);
    let mut outputs = Vec::new();
    for name in ["o.jsonl", "o.csv", "o.parquet"] {
        let out = tmp.path().join(name);
        let o = run(&["analyze", s(&corpus), "-o", s(&out)]);
        assert_eq!(o.status.code(), Some(1));
        outputs.push(out);
    }
    let json = read_jsonl(&outputs[0]);
    assert_eq!(json.len(), GOOD_SOURCES.len());
    let pq = read_parquet(&outputs[2]);
    assert_eq!(pq, json, "Parquet equals JSON Lines");
    let cells = read_csv_cells(&outputs[1]);
    assert_eq!(cells.len(), json.len());
    for (row, rec) in cells.iter().zip(&json) {
        let obj = rec.as_object().unwrap();
        assert_eq!(obj.len(), SCHEMA.len());
        for (name, v) in obj {
            assert!(json_matches_cell(v, &row[name]), "{name}: {v} vs {:?}", row[name]);
        }
    }
    let codecs: BTreeSet<&str> = json.iter().map(|r| r["codec"].as_str().unwrap()).collect();
    assert!(codecs.len() >= 6, "{codecs:?}");
}

#[test]
fn merge_folds_snapshots_last_write_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("in");
    make_corpus(&corpus, 6, false);
    let full = tmp.path().join("full.parquet");
    assert_eq!(run(&["analyze", s(&corpus), "-o", s(&full)]).status.code(), Some(0));
    let base = read_parquet(&full);
    let mut changed = base[2].clone();
    changed["tempo"] = 128.0.into();
    changed["content_hash"] = "beef".into();
    let mut new = base[0].clone();
    new["id"] = "brand-new".into();
    let daily1 = tmp.path().join("daily1.jsonl");
    // A torn last line (a crashed writer's residue) is left out, with a warning.
    std::fs::write(&daily1, format!("{changed}\n{new}\n{{\"id\": \"half-writ")).unwrap();
    let mut changed_again = changed.clone();
    changed_again["tempo"] = 130.5.into();
    let daily2 = tmp.path().join("daily2.jsonl");
    std::fs::write(&daily2, format!("{changed_again}\n")).unwrap();
    let daily2_csv = tmp.path().join("daily2.csv");
    assert_eq!(run(&["merge", s(&daily2), "-o", s(&daily2_csv)]).status.code(), Some(0));

    let o = run(&["merge", s(&full), s(&daily1), s(&daily2_csv), "-o", s(&full)]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("daily1.jsonl: leaving out a torn last record (17 bytes)"), "{stderr}");
    let merged = read_parquet(&full);
    assert_eq!(merged.len(), base.len() + 1);
    assert_eq!(merged[2], changed_again, "last write wins, in place");
    assert_eq!(merged[base.len()], new);
    assert_eq!(&merged[..2], &base[..2]);

    let bad = run(&["merge", s(&full), "-o", s(&tmp.path().join("x.txt"))]);
    assert_eq!(bad.status.code(), Some(2));
    let missing = run(&["merge", s(&tmp.path().join("missing.jsonl")), "-o", s(&tmp.path().join("y.jsonl"))]);
    assert_eq!(missing.status.code(), Some(3));
}

#[test]
fn manifests_stdin_and_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let flac = testdata("formats/s16.flac");
    let wav = testdata("misc/mono8k.wav");
    let tsv = tmp.path().join("m.tsv");
    std::fs::write(&tsv, format!("first\t{}\nsecond\t{}\n", s(&flac), s(&wav))).unwrap();
    std::fs::copy(&wav, tmp.path().join("rel.wav")).unwrap();
    let jsonl = tmp.path().join("m.jsonl");
    std::fs::write(&jsonl, "{\"id\": \"third\", \"path\": \"rel.wav\", \"tempo\": 120}\n").unwrap();
    for (manifest, want) in [(&tsv, vec!["first", "second"]), (&jsonl, vec!["third"])] {
        let o = run(&["analyze", "--manifest", s(manifest)]);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let recs: Vec<Value> =
            String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(ids(&recs), want);
    }

    let mut child = bin()
        .args(["analyze", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "{}\n{}", s(&flac), s(&wav)).unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let recs: Vec<Value> =
        String::from_utf8(o.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(ids(&recs), [s(&flac), s(&wav)]);

    let usage = |args: &[&str]| run(args).status.code();
    assert_eq!(usage(&["analyze", s(&flac), "-o", "out.txt"]), Some(2));
    assert_eq!(usage(&["analyze", s(&flac), "--format", "csv"]), Some(2));
    assert_eq!(usage(&["analyze", s(&flac), "--jobs", "0"]), Some(2));
    assert_eq!(usage(&["analyze", s(&flac), "--jobs", "1000000"]), Some(2));
    // Refused before the work (it failed after it, as exit 3).
    assert_eq!(usage(&["analyze", s(&flac), "--summary-json", s(tmp.path())]), Some(2));
    assert_eq!(usage(&["analyze", "--manifest", s(&tmp.path().join("none.tsv"))]), Some(2));
    let unwritable = tmp.path().join("no/such/dir/out.jsonl");
    assert_eq!(usage(&["analyze", s(&flac), "-o", s(&unwritable)]), Some(3));
    // An unrelated one-line file given as the output is left alone (it was cut to nothing as
    // if it were a torn record).
    for (name, text) in [("notes.jsonl", "my notes\n"), ("data.csv", "name,value")] {
        let other = tmp.path().join(name);
        std::fs::write(&other, text).unwrap();
        assert_eq!(usage(&["analyze", s(&flac), "-o", s(&other)]), Some(3), "{name}");
        assert_eq!(std::fs::read_to_string(&other).unwrap(), text, "{name}");
    }
}

#[test]
fn max_duration_truncates_or_skips() {
    let tmp = tempfile::tempdir().unwrap();
    let flac = testdata("formats/s16.flac");
    let o = run(&["analyze", s(&flac), "--max-duration", "0.25"]);
    assert_eq!(o.status.code(), Some(0));
    let rec: Value = serde_json::from_slice(o.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(rec["duration_ms"], 250);
    let errs = tmp.path().join("e.jsonl");
    let sum = tmp.path().join("s.json");
    let o = run(&[
        "analyze",
        s(&flac),
        "--max-duration",
        "0.25",
        "--skip-long",
        "--errors",
        s(&errs),
        "--summary-json",
        s(&sum),
    ]);
    assert_eq!(o.status.code(), Some(0), "a skipped file is not a failure");
    assert!(o.stdout.is_empty());
    assert_eq!(read_jsonl(&errs)[0]["kind"], "limit_exceeded");
    assert_eq!(summary(&sum)["skipped"], 1);
}
