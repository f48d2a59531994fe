"""Hostile input from Python: the corrupt corpus (an AnalyzerError subclass or a valid result
per file, never a crash), a panic forced inside the core (AnalyzerError, not an abort), the
resource-limit keywords, and identical results whatever the worker count."""

import json
import math
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import audio_analyzer as aa

TESTDATA = pathlib.Path(__file__).resolve().parents[2] / "testdata"
# Longest the whole corpus may take in the child interpreter (a hang shows as this timeout).
CORPUS_DEADLINE_S = 600
# scripts/test-all.sh sets it: the wheel under test must carry the test hooks.
REQUIRE_HOOKS_ENV = "AUDIO_ANALYZER_REQUIRE_TEST_HOOKS"

# Runs in a child interpreter, so that an abort or a segfault fails the test instead of killing
# pytest. Prints one JSON object of counts.
CHILD = textwrap.dedent(
    """
    import json, math, sys
    sys.path.insert(0, sys.argv[2])
    import make_corpus
    import audio_analyzer as aa
    out = sys.argv[1]
    make_corpus.main([out])
    import os
    paths = sorted(os.path.join(out, n) for n in os.listdir(out))
    counts = {"tried": 0, "typed": 0, "valid": 0, "other": [], "invalid": [], "kinds": {}}
    for r in aa.analyze_many(paths, workers=2, progress=False, timeline=True):
        counts["tried"] += 1
        if r.error is not None:
            kind = type(r.error).__name__
            counts["kinds"][kind] = counts["kinds"].get(kind, 0) + 1
            if isinstance(r.error, aa.AnalyzerError) and type(r.error) is not aa.AnalyzerError:
                counts["typed"] += 1
            else:
                counts["other"].append(f"{r.source}: {kind}: {r.error}")
        elif all(isinstance(v, (int, float)) and math.isfinite(v) for v in r.features.values()):
            counts["valid"] += 1
        else:
            counts["invalid"].append(f"{r.source}: {r.features}")
    print(json.dumps(counts))
    """
)


def test_corrupt_corpus_gives_analyzer_errors_or_valid_results(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "corpus"), str(TESTDATA / "corrupt")],
        capture_output=True,
        text=True,
        timeout=CORPUS_DEADLINE_S,
    )
    assert proc.returncode == 0, f"the interpreter died ({proc.returncode}): {proc.stderr[-2000:]}"
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    n_files = len(os.listdir(tmp_path / "corpus"))
    print(
        f"corrupt corpus (Python): tried {counts['tried']} | typed errors {counts['typed']} {counts['kinds']} "
        f"| valid results {counts['valid']} | panics/other errors {len(counts['other'])} | crashes 0"
    )
    assert counts["tried"] == n_files
    # A plain AnalyzerError is a caught panic (`internal`): a bug, like any non-AnalyzerError.
    assert counts["other"] == [] and counts["invalid"] == []
    assert counts["typed"] + counts["valid"] == n_files
    assert counts["typed"] > 0 and counts["valid"] > 0


def test_a_panic_inside_the_core_raises_analyzer_error():
    marker = aa._core._TEST_PANIC_MARKER
    if marker is None:
        if os.environ.get(REQUIRE_HOOKS_ENV):
            pytest.fail("the wheel was built without the test-hooks feature")
        pytest.skip("needs a wheel built with --features test-hooks")
    data = marker + bytes(64)
    with pytest.raises(aa.AnalyzerError, match="forced panic") as info:
        aa.analyze(data)
    assert type(info.value) is aa.AnalyzerError  # the `internal` kind maps to the root class
    with pytest.raises(aa.AnalyzerError, match="forced panic"):
        aa.load(data)
    # In a batch the panicking item is a recorded error and the others go on.
    good = str(TESTDATA / "formats" / "s16.flac")
    results = aa.analyze_many([good, data, good], workers=2, progress=False)
    assert [r.ok for r in results] == [True, False, True]
    assert isinstance(results[1].error, aa.AnalyzerError)


def test_limit_keywords():
    wav = TESTDATA / "formats" / "s16.wav"
    with pytest.raises(aa.LimitExceededError, match="max_duration"):
        aa.analyze(wav, max_duration=0.5, timeline=False)
    with pytest.raises(aa.LimitExceededError, match="max_decoded_bytes"):
        aa.load(wav, max_decoded_bytes=1000)
    with pytest.raises(aa.ParameterError):
        aa.load(wav, max_decoded_bytes=0)
    # Errors name the Python argument (they named the core's field, `max_duration_s`, and
    # `sample_rate` for an array's `sr`).
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(aa.ParameterError, match="`max_duration`"):
            aa.analyze(wav, max_duration=bad)
    with pytest.raises(aa.ParameterError, match="`sr`"):
        aa.analyze(np.zeros(100, dtype=np.float32), sr=10**9)
    y, _ = aa.load(wav, max_duration=None, max_decoded_bytes=None)
    assert len(y) == aa.DEFAULT_SAMPLE_RATE
    results = aa.analyze_many([wav], workers=1, progress=False, max_duration=0.5)
    assert isinstance(results[0].error, aa.LimitExceededError)
    assert aa.DEFAULT_MAX_DURATION == 3 * 3600 and aa.DEFAULT_MAX_DECODED_BYTES == 1 << 30


def test_negative_or_huge_integer_arguments_are_parameter_errors():
    # A negative int for an unsigned argument raised OverflowError (pyo3's conversion) before.
    import numpy as np

    y = np.zeros(aa.DEFAULT_SAMPLE_RATE, dtype=np.float32)
    wav = TESTDATA / "formats" / "s16.wav"
    calls = {
        "sr": [
            lambda: aa.analyze(y, sr=-1),
            lambda: aa.analyze(wav, sr=1 << 40),
            lambda: aa.load(wav, sr=-22050),
            lambda: aa.onset_strength(y, sr=-1),
            lambda: aa.tempo(y, sr=-1),
            lambda: aa.beats(y, sr=-1),
            lambda: aa.chroma(y, sr=-1),
            lambda: aa.key(y, sr=-1),
        ],
        "max_decoded_bytes": [lambda: aa.load(wav, max_decoded_bytes=-1)],
        "n_fft": [lambda: aa.stft(y, n_fft=-512)],
        "hop_length": [lambda: aa.stft(y, hop_length=-1)],
        "win_length": [lambda: aa.stft(y, win_length=-1)],
        "workers": [
            lambda: aa._core.AnalyzeBatch([y], workers=-2, sr=22050),
            lambda: aa.analyze_many([y], workers=10**6, sr=22050, progress=False),
        ],
    }
    for name, fns in calls.items():
        for call in fns:
            with pytest.raises(aa.ParameterError, match=f"`{name}`") as info:
                call()
            assert isinstance(info.value, ValueError)
    with pytest.raises(TypeError):
        aa.analyze(y, sr=22050.5)


def test_results_do_not_depend_on_the_worker_count():
    paths = sorted(str(p) for p in (TESTDATA / "formats").iterdir())

    def run(workers):
        records = aa.analyze_many(paths, workers=workers, progress=False, timeline=True)
        return json.dumps([(r.features, r.analysis) for r in records], sort_keys=True)

    reference = run(1)
    assert run(2) == reference
    assert run(4) == reference
    assert not any(math.isnan(v) for v in json.loads(reference)[0][0].values())
