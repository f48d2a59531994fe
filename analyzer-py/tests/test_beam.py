"""The Beam transform on the DirectRunner against the batch CLI on the same committed fixtures:
same records, same error kinds, same snapshot rule, readable snapshots both ways."""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

beam = pytest.importorskip("apache_beam")

import audio_analyzer as aa  # noqa: E402
from audio_analyzer import beam as aab  # noqa: E402
from audio_analyzer.beam import __main__ as beam_main  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ("formats/s16.flac", "formats/mp3.mp3", "formats/vorbis.ogg", "formats/s16.wav", "misc/mono8k.wav")
CORRUPT = "misc/not_audio.mp3"


@pytest.fixture(scope="module")
def cli():
    """The `audio-analyzer` binary built by `cargo test --release` (built here if missing)."""
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = target / "release" / "audio-analyzer"
    if not exe.exists():
        if shutil.which("cargo") is None:
            pytest.skip("no audio-analyzer binary and no cargo to build it")
        subprocess.run(["cargo", "build", "--release", "-p", "analyzer-cli"], cwd=ROOT, check=True)
    return exe


@pytest.fixture
def music(tmp_path):
    d = tmp_path / "music"
    d.mkdir()
    for rel in FIXTURES:
        shutil.copy(ROOT / "testdata" / rel, d / rel.split("/")[-1])
    return d


def run_cli(cli, *args):
    p = subprocess.run([str(cli), "analyze", "--no-progress", "--jobs", "1", *map(str, args)], capture_output=True)
    assert p.returncode in (0, 1), p.stderr.decode()
    return p


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def by_id(records):
    out = {r["id"]: r for r in records}
    assert len(out) == len(records), "one record per id"
    return out


def run_beam(*argv):
    """Runs the command-line pipeline on the DirectRunner; returns its counters."""
    args, beam_args = beam_main._parser().parse_known_args([str(a) for a in argv])
    p = beam.Pipeline(options=beam.options.pipeline_options.PipelineOptions(["--runner=DirectRunner", *beam_args]))
    beam_main.build(p, args)
    result = p.run()
    result.wait_until_finish()
    return aab.counters(result)


def test_schema_is_the_cli_schema():
    assert aab.FIELDS[:4] == ("id", "path", "content_hash", "analyzer_version")
    assert len(aab.FIELDS) == 24 and "valence" in aab.FIELDS
    assert aa._core.content_hash(b"") == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"


def test_pipeline_records_equal_cli_records(cli, music, tmp_path):
    run_cli(cli, music, "-o", tmp_path / "cli.jsonl")
    c = run_beam("--input", f"{music}/*", "--output", tmp_path / "beam.jsonl")
    cli_records = by_id(read_jsonl(tmp_path / "cli.jsonl"))
    beam_records = by_id(read_jsonl(tmp_path / "beam.jsonl"))
    assert len(cli_records) == len(FIXTURES)
    assert beam_records == cli_records
    for r in beam_records.values():
        assert list(r) == list(aab.FIELDS)
    assert (c["analysed"], c.get("skipped", 0), c.get("failed", 0), c["decoded"]) == (len(FIXTURES), 0, 0, len(FIXTURES))
    assert c["audio_ms"] == sum(r["duration_ms"] for r in cli_records.values())
    assert c["decode_us"] > 0 and c["analysis_us"] > 0 and c["read_us"] >= 0


def test_parquet_output_has_the_cli_schema_and_values(cli, music, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    run_cli(cli, music, "-o", tmp_path / "cli.parquet")
    run_beam("--input", f"{music}/*", "--output", tmp_path / "beam.parquet")
    cli_table = pq.read_table(tmp_path / "cli.parquet")
    beam_table = pq.read_table(tmp_path / "beam.parquet")
    assert beam_table.schema.remove_metadata() == cli_table.schema.remove_metadata()
    assert beam_table.schema.remove_metadata() == aab.arrow_schema()
    assert by_id(beam_table.to_pylist()) == by_id(cli_table.to_pylist())
    # The CLI reads the pipeline's Parquet as a snapshot: every track is carried over.
    run_cli(cli, music, "--snapshot", tmp_path / "beam.parquet", "-o", tmp_path / "next.jsonl", "--summary-json",
            tmp_path / "summary.json")
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (summary["carried_over"], summary["decoded"]) == (len(FIXTURES), 0)


def test_corrupt_and_missing_files_go_to_the_dead_letter_output(cli, music, tmp_path):
    shutil.copy(ROOT / "testdata" / CORRUPT, music / "corrupt.mp3")
    (music / "empty.wav").write_bytes(b"")
    missing = music / "missing.flac"
    run_cli(cli, music, missing, "-o", tmp_path / "cli.jsonl", "--errors", tmp_path / "cli_errors.jsonl")
    c = run_beam(
        "--input", f"{music}/*", "--input", missing, "--output", tmp_path / "beam.jsonl",
        "--errors", tmp_path / "beam_errors.jsonl",
    )
    assert by_id(read_jsonl(tmp_path / "beam.jsonl")) == by_id(read_jsonl(tmp_path / "cli.jsonl"))
    cli_errors = by_id(read_jsonl(tmp_path / "cli_errors.jsonl"))
    beam_errors = by_id(read_jsonl(tmp_path / "beam_errors.jsonl"))
    assert set(beam_errors) == {str(music / "corrupt.mp3"), str(music / "empty.wav"), str(missing)}
    for id_, e in beam_errors.items():
        assert list(e) == list(aab.ERROR_FIELDS)
        assert (e["path"], e["kind"]) == (cli_errors[id_]["path"], cli_errors[id_]["kind"])
        if e["kind"] != "not_found":  # decoder errors: the same Rust error, the same message
            assert e["message"] == cli_errors[id_]["message"]
    assert beam_errors[str(missing)]["kind"] == "not_found"
    assert beam_errors[str(music / "corrupt.mp3")]["kind"] == "unsupported_format"
    assert (c["analysed"], c["failed"]) == (len(FIXTURES), 3)


def test_files_over_max_file_bytes_go_to_the_dead_letter_output(music, tmp_path):
    # A worker holds a file in memory: a file over the bound is an error row, not a worker killed
    # by an out-of-memory read; the files under it are analysed.
    sizes = {str(p): p.stat().st_size for p in music.iterdir()}
    bound = sorted(sizes.values())[len(sizes) // 2]
    c = run_beam(
        "--input", f"{music}/*", "--output", tmp_path / "out.jsonl", "--errors", tmp_path / "errors.jsonl",
        "--max-file-mb", bound / (1 << 20),
    )
    errors = by_id(read_jsonl(tmp_path / "errors.jsonl"))
    assert set(errors) == {p for p, n in sizes.items() if n > bound}
    assert {e["kind"] for e in errors.values()} == {"limit_exceeded"}
    assert set(by_id(read_jsonl(tmp_path / "out.jsonl"))) == {p for p, n in sizes.items() if n <= bound}
    assert (c["analysed"], c["failed"]) == (len(sizes) - len(errors), len(errors))
    assert len(errors) >= 1
    with pytest.raises(aa.LimitExceededError):
        aab.read_bytes(str(music / "s16.wav"), max_bytes=100)
    assert aab.read_bytes(str(music / "s16.wav"), max_bytes=None) == (music / "s16.wav").read_bytes()


def test_snapshot_skips_unchanged_tracks_and_reanalyses_a_changed_one(cli, music, tmp_path):
    # The CLI's output is the previous snapshot (plus a record of a track no longer an input).
    run_cli(cli, music, "-o", tmp_path / "prev.jsonl")
    gone = dict(read_jsonl(tmp_path / "prev.jsonl")[0], id="gone.flac", path="gone.flac")
    with open(tmp_path / "prev.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(gone) + "\n")
    prev = by_id(read_jsonl(tmp_path / "prev.jsonl"))

    c = run_beam("--input", f"{music}/*", "--output", tmp_path / "day2.jsonl", "--snapshot", tmp_path / "prev.jsonl")
    assert (c.get("analysed", 0), c["skipped"], c.get("decoded", 0), c["kept"]) == (0, len(FIXTURES), 0, 1)
    assert "decode_us" not in c or c["decode_us"] == 0
    assert by_id(read_jsonl(tmp_path / "day2.jsonl")) == prev

    # One file changes: only it is decoded, and its record is the CLI's record of the new bytes.
    changed = music / "s16.wav"
    shutil.copy(ROOT / "testdata" / "formats" / "s24.wav", changed)
    c = run_beam(
        "--input", f"{music}/*", "--output", tmp_path / "day3.parquet", "--snapshot", tmp_path / "day2.jsonl"
    )
    assert (c["analysed"], c["skipped"], c["decoded"], c["kept"]) == (1, len(FIXTURES) - 1, 1, 1)
    pq = pytest.importorskip("pyarrow.parquet")
    day3 = by_id(pq.read_table(tmp_path / "day3.parquet").to_pylist())
    run_cli(cli, changed, "-o", tmp_path / "changed.jsonl")
    (new,) = read_jsonl(tmp_path / "changed.jsonl")
    assert day3[str(changed)] == new
    assert new["content_hash"] != prev[str(changed)]["content_hash"]
    assert {k: v for k, v in day3.items() if k != str(changed)} == {k: v for k, v in prev.items() if k != str(changed)}

    # A Parquet snapshot of the pipeline, read back by the pipeline; --force analyses all again.
    c = run_beam(
        "--input", f"{music}/*", "--output", tmp_path / "day4.jsonl", "--snapshot", tmp_path / "day3.parquet",
        "--force", "--prune-missing",
    )
    assert (c["analysed"], c.get("skipped", 0), c["pruned"]) == (len(FIXTURES), 0, 1)
    day4 = by_id(read_jsonl(tmp_path / "day4.jsonl"))
    assert day4 == {k: v for k, v in day3.items() if k != "gone.flac"}


def test_transform_api_with_id_uri_pairs(music):
    from apache_beam.testing.util import assert_that, equal_to

    path = str(music / "s16.flac")
    with beam.Pipeline("DirectRunner") as p:
        out = p | beam.Create([("track-1", path), ("track-2", str(music / "nope.wav"))]) | aab.AnalyzeAudio()
        ids = out.records | "Ids" >> beam.Map(lambda r: (r["id"], r["path"], r["codec"]))
        assert_that(ids, equal_to([("track-1", path, "flac")]), label="records")
        kinds = out.dead_letter | beam.Map(lambda e: (e["id"], e["kind"]))
        assert_that(kinds, equal_to([("track-2", "not_found")]), label="dead")


def test_another_analysis_rate_is_refused_before_the_pipeline_runs():
    # As the CLI's --sr: only the rate the models were trained at.
    with pytest.raises(aa.ParameterError, match="22050"):
        aab.AnalyzeAudio(sr=44100)
    aab.AnalyzeAudio(sr=aa.DEFAULT_SAMPLE_RATE)
    with pytest.raises(SystemExit) as e:
        beam_main._parser().parse_known_args(["--input", "x.wav", "--output", "o.jsonl", "--sr", "44100"])
    assert e.value.code == 2


def test_track_record_errors_carry_the_cli_kind():
    with pytest.raises(aa.UnsupportedFormatError) as e:
        aa._core.track_record(b"not audio at all", id="x", path="x.mp3")
    assert e.value.kind == "unsupported_format"
    with pytest.raises(aa.DecodeError) as e:
        aa._core.track_record(b"", id="x", path="x.wav")
    assert e.value.kind == "empty"
    with pytest.raises(aa.ParameterError) as e:
        aa._core.track_record(b"", id="x", path="x.wav", sr=1)
    assert e.value.kind == "invalid_parameter"


def test_command_line_in_multi_process_mode(cli, music, tmp_path):
    """`python -m audio_analyzer.beam` as documented, SDK workers in 2 subprocesses."""
    import sys

    shutil.copy(ROOT / "testdata" / CORRUPT, music / "corrupt.mp3")
    run_cli(cli, music, "-o", tmp_path / "cli.jsonl")
    command = [sys.executable, "-m", "audio_analyzer.beam", "--input", f"{music}/*"]
    command += ["--output", str(tmp_path / "beam.jsonl"), "--runner", "DirectRunner"]
    command += ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    p = subprocess.run(command, capture_output=True, text=True)
    assert p.returncode == 1, p.stderr  # one input failed, the others were written
    assert f"analysed {len(FIXTURES)}, skipped 0 (carried over), failed 1" in p.stderr
    assert by_id(read_jsonl(tmp_path / "beam.jsonl")) == by_id(read_jsonl(tmp_path / "cli.jsonl"))


def test_csv_snapshot_of_the_cli_is_read_back(cli, music, tmp_path):
    run_cli(cli, music, "-o", tmp_path / "prev.csv")
    run_cli(cli, music, "-o", tmp_path / "prev.jsonl")
    c = run_beam("--input", f"{music}/*", "--output", tmp_path / "out.jsonl", "--snapshot", tmp_path / "prev.csv")
    assert (c.get("analysed", 0), c["skipped"]) == (0, len(FIXTURES))
    assert by_id(read_jsonl(tmp_path / "out.jsonl")) == by_id(read_jsonl(tmp_path / "prev.jsonl"))


def test_record_json_is_the_cli_line():
    r = {name: None for name in aab.FIELDS}
    r.update(id="a", path="é.wav", duration_ms=5, tempo=float("nan"), energy=0.5)
    line = aab.record_json(r)
    assert line.startswith('{"id":"a","path":"é.wav","content_hash":null,')
    assert json.loads(line)["tempo"] is None and json.loads(line)["energy"] == 0.5


def test_snapshot_lines_behind_a_byte_order_mark_are_read():
    from audio_analyzer.beam._transforms import _parse_json_line

    r = {name: None for name in aab.FIELDS}
    r.update(id="a", path="a.wav", duration_ms=5)
    (got,) = list(_parse_json_line("\ufeff" + aab.record_json(r)))
    assert got["id"] == "a"


def test_readme_beam_example_runs(cli, music, tmp_path):
    """The README's Beam example, run as written with the gs:// names pointed at local files."""
    import re

    text = (ROOT / "README.md").read_text()
    section = text.split("## Apache Beam", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    run_cli(cli, music, "-o", tmp_path / "day41.parquet")
    names = {
        "gs://bucket/music/**.mp3": f"{music}/*",
        "gs://bucket/day41.parquet": str(tmp_path / "day41.parquet"),
        "gs://bucket/day42.parquet": str(tmp_path / "day42.parquet"),
        "gs://bucket/day42.errors.jsonl": str(tmp_path / "day42.errors.jsonl"),
    }
    for name, local in names.items():
        assert name in code, name
        code = code.replace(name, local)
    opts = beam.options.pipeline_options.PipelineOptions(["--runner=DirectRunner"])
    exec(compile(code, "README.md", "exec"), {"opts": opts})
    pq = pytest.importorskip("pyarrow.parquet")
    assert by_id(pq.read_table(tmp_path / "day42.parquet").to_pylist()) == by_id(
        pq.read_table(tmp_path / "day41.parquet").to_pylist()
    )
    assert (tmp_path / "day42.errors.jsonl").read_text() == ""
