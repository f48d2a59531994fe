"""Tests of the high-level API: analyze, analyze_many / iter_analyze, results and tables."""

import math
import os
import pathlib
import threading

import numpy as np
import pytest

import audio_analyzer as aa

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMATS = ROOT / "testdata" / "formats"
MISC = ROOT / "testdata" / "misc"
FLAC = FORMATS / "s16.flac"

UNIT_FIELDS = ("acousticness", "danceability", "energy", "instrumentalness", "liveness", "speechiness", "valence")
CONFIDENCES = ("tempo_confidence", "key_confidence", "mode_confidence", "time_signature_confidence")


def check_features(f):
    assert set(f) == set(aa.FEATURE_FIELDS)
    for k in UNIT_FIELDS + CONFIDENCES:
        assert isinstance(f[k], float) and 0.0 <= f[k] <= 1.0, (k, f[k])
    assert isinstance(f["key"], int) and -1 <= f["key"] <= 11
    assert f["mode"] in (0, 1)
    assert isinstance(f["time_signature"], int) and 3 <= f["time_signature"] <= 7
    assert f["tempo"] == 0.0 or 40.0 <= f["tempo"] <= 240.0
    assert math.isfinite(f["loudness"]) and f["loudness"] <= 3.0
    assert isinstance(f["duration_ms"], int)


def test_analyze_path_gives_every_spotify_field():
    r = aa.analyze(FLAC)
    assert r.ok and r.error is None
    check_features(r.features)
    assert r.source == str(FLAC)
    assert abs(r.features["duration_ms"] - 1000) <= 1
    assert r.track["sample_rate"] == 44100 and r.track["channels"] == 2
    assert r.track["analyzer_version"] == aa.ANALYZER_VERSION
    assert len(r.track["content_hash"]) == 64
    assert set(r.analysis) >= {"beats", "bars", "tatums"}
    for beat in r.analysis["beats"]:
        assert set(beat) == {"start", "duration", "confidence"}


def test_path_bytes_fileobj_and_samples_agree():
    by_path = aa.analyze(FLAC, timeline=False)
    by_bytes = aa.analyze(FLAC.read_bytes(), timeline=False)
    with open(FLAC, "rb") as fh:
        by_file = aa.analyze(fh, timeline=False)
    assert by_path.features == by_bytes.features == by_file.features
    # Any bytes-like object, given directly or returned by a reader's read().
    data = FLAC.read_bytes()

    class Reader:
        def __init__(self, chunk):
            self.chunk = chunk

        def read(self):
            return self.chunk

    for like in (bytearray(data), memoryview(data)):
        assert aa.analyze(like, timeline=False).features == by_path.features
        assert aa.analyze(Reader(like), timeline=False).features == by_path.features
    assert by_path.track["content_hash"] == by_bytes.track["content_hash"]
    assert by_path.analysis is None
    y, sr = aa.load(FLAC)
    by_array = aa.analyze(y, sr=sr, timeline=False)
    check_features(by_array.features)
    assert by_array.features["key"] == by_path.features["key"]
    assert by_array.track["content_hash"] is None
    # float64 and (channels, n) arrays are accepted.
    stereo = np.stack([y, y]).astype(np.float64)
    assert aa.analyze(stereo, sr=sr, timeline=False).features == by_array.features


def test_array_without_sr_is_a_parameter_error():
    with pytest.raises(aa.ParameterError):
        aa.analyze(np.zeros(22050, dtype=np.float32))
    with pytest.raises(ValueError):
        aa.analyze(np.zeros((2, 2, 2), dtype=np.float32), sr=22050)


def test_integer_pcm_is_scaled_to_full_scale_and_other_dtypes_are_refused():
    # As soundfile (dtype="int16", ...) and scipy.io.wavfile return it: before, int16 samples
    # were taken as floats of +-32768 and every level came out ~90 dB too loud.
    y, sr = aa.load(FLAC)
    ref = aa.analyze(y, sr=sr, timeline=False).features
    wide = y.astype(np.float64)
    pcm = {
        np.int16: np.round(wide * 32767).astype(np.int16),
        np.int32: np.round(wide * (2**31 - 1)).astype(np.int32),
        np.uint8: np.round(wide * 127 + 128).astype(np.uint8),
    }
    for dtype, samples in pcm.items():
        f = aa.analyze(samples, sr=sr, timeline=False).features
        tolerance_db = 0.5 if dtype is np.uint8 else 0.01
        assert abs(f["loudness"] - ref["loudness"]) < tolerance_db, (dtype, f["loudness"], ref["loudness"])
    scaled = pcm[np.int16].astype(np.float32) / 32768
    np.testing.assert_array_equal(aa.onset_strength(pcm[np.int16], sr=sr)[0], aa.onset_strength(scaled, sr=sr)[0])
    refused = [y > 0, y.astype(np.complex64), (wide * 30000 + 32768).astype(np.uint16), y.astype(str)]
    for samples in refused:
        with pytest.raises(aa.ParameterError, match="floating point or integer PCM"):
            aa.analyze(samples, sr=sr)
        with pytest.raises(aa.ParameterError, match="floating point or integer PCM"):
            aa.tempo(samples, sr=sr)


def test_an_n_by_channels_array_is_refused_with_a_hint():
    y, sr = aa.load(FLAC)
    with pytest.raises(aa.ParameterError, match=r"pass y\.T"):
        aa.analyze(np.stack([y, y]).T, sr=sr)
    with pytest.raises(aa.ParameterError, match="expected 1-D"):
        aa.chroma(np.stack([y, y]), sr=sr)
    with pytest.raises(TypeError, match="numpy array of samples"):
        aa.analyze([0.0] * 100, sr=sr)


def test_silence_and_short_input_give_defined_results():
    r = aa.analyze(np.zeros(22050 * 3, dtype=np.float32), sr=22050)
    check_features(r.features)
    assert r.features["key"] == -1
    r = aa.analyze(np.zeros(100, dtype=np.float32), sr=22050)
    check_features(r.features)


def test_errors_map_to_the_hierarchy():
    with pytest.raises(FileNotFoundError):
        aa.analyze(ROOT / "does-not-exist.wav")
    with pytest.raises(aa.UnsupportedFormatError):
        aa.analyze(MISC / "not_audio.mp3")
    with pytest.raises(TypeError):
        aa.analyze(12345)


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX FIFOs and devices")
def test_fifos_and_devices_are_refused_not_read(tmp_path):
    # Opening a FIFO with no writer blocks; /dev/zero never ends. Both are refused from their
    # metadata (an OSError), before anything reads them.
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    for path in (fifo, "/dev/zero"):
        with pytest.raises(OSError, match="not a regular file"):
            aa.analyze(path)
    results = aa.analyze_many([fifo, FORMATS / "s16.wav"], workers=2, progress=False)
    assert [r.ok for r in results] == [False, True]
    assert isinstance(results[0].error, OSError)


def test_analyze_many_keeps_input_order_and_records_errors():
    sources = [FORMATS / "s16.wav", MISC / "not_audio.mp3", FLAC, ROOT / "missing.flac", FORMATS / "mp3.mp3"]
    results = aa.analyze_many(sources, workers=2, progress=False)
    assert [r.source for r in results] == [str(s) for s in sources]
    assert [r.ok for r in results] == [True, False, True, False, True]
    assert isinstance(results[1].error, aa.UnsupportedFormatError)
    assert isinstance(results[3].error, FileNotFoundError)
    assert len(results.errors) == 2
    single = aa.analyze(FLAC, timeline=False)
    assert results[2].features == single.features
    skipped = aa.analyze_many(sources, workers=2, progress=False, on_error="skip")
    assert len(skipped) == 3
    # One source is not a batch (a str would be analysed character by character).
    for one in (str(FLAC), FLAC, FLAC.read_bytes()):
        with pytest.raises(TypeError, match="use analyze"):
            aa.analyze_many(one, progress=False)
    with pytest.raises(aa.UnsupportedFormatError):
        aa.analyze_many(sources, workers=2, progress=False, on_error="raise")
    with pytest.raises(aa.ParameterError):
        aa.analyze_many(sources, on_error="ignore")
    with pytest.raises(ValueError):
        aa.analyze_many(sources, workers=0)


def test_results_do_not_depend_on_the_worker_count():
    sources = sorted(FORMATS.iterdir())
    one = aa.analyze_many(sources, workers=1, progress=False)
    two = aa.analyze_many(sources, workers=2, progress=False)
    assert [r.features for r in one] == [r.features for r in two]


def test_iter_analyze_is_lazy_and_can_stop_early():
    sources = sorted(FORMATS.iterdir()) * 3
    it = aa.iter_analyze(sources, workers=2, progress=False)
    first = next(it)
    assert first.ok
    it.close()  # cancels the remaining work


def test_concurrent_python_threads_each_get_their_result():
    out = {}

    def work(name):
        out[name] = aa.analyze(FORMATS / name, timeline=False).features

    names = ["s16.wav", "s16.flac", "mp3.mp3", "vorbis.ogg"]
    threads = [threading.Thread(target=work, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(out) == set(names)
    assert out["s16.wav"] == aa.analyze(FORMATS / "s16.wav", timeline=False).features


def test_records_and_tables():
    results = aa.analyze_many([FLAC, MISC / "not_audio.mp3"], workers=1, progress=False)
    recs = results.to_records()
    assert recs[0]["error"] is None and recs[1]["error"].startswith("UnsupportedFormatError")
    assert recs[0]["tempo"] == results[0].features["tempo"]
    assert "tempo=" in repr(results[0]) and "error=" in repr(results[1])
    assert "<table>" in results[0]._repr_html_()
    pd = pytest.importorskip("pandas")
    df = results.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    pa = pytest.importorskip("pyarrow")
    table = results.to_arrow()
    assert isinstance(table, pa.Table) and table.num_rows == 2


def test_key_name():
    assert aa.key_name(9, 0) == "A minor"
    assert aa.key_name(0, 1) == "C major"
    assert aa.key_name(-1, 1) == "none"


def test_timeline_has_spotify_shape_and_arrays():
    r = aa.analyze(FORMATS / "s16.wav")
    a = r.analysis
    assert set(a) == {"meta", "track", "bars", "beats", "tatums", "sections", "segments"}
    assert a["track"]["analysis_sample_rate"] == 22050 and a["track"]["analysis_channels"] == 1
    assert a["track"]["tempo"] == r.features["tempo"] and a["track"]["key"] == r.features["key"]
    assert a["meta"]["analyzer_version"] == aa.ANALYZER_VERSION
    seg = a["segments"]
    assert seg and set(seg[0]) == {
        "start", "duration", "confidence", "loudness_start", "loudness_max", "loudness_max_time",
        "loudness_end", "pitches", "timbre",
    }
    assert len(seg[0]["pitches"]) == 12 and len(seg[0]["timbre"]) == 12
    sec = a["sections"]
    assert sec[0]["start"] == 0.0 and {"tempo", "key", "mode", "loudness", "time_signature"} <= set(sec[0])
    arrays = r.segments_arrays()
    assert arrays["pitches"].shape == (len(seg), 12) and arrays["start"].shape == (len(seg),)
    np.testing.assert_allclose(arrays["start"], [s["start"] for s in seg])
    with pytest.raises(ValueError):
        aa.analyze(FORMATS / "s16.wav", timeline=False).segments_arrays()


def test_plot_when_matplotlib_is_installed():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    fig = aa.analyze(FORMATS / "s16.wav").plot()
    assert len(fig.axes) >= 3


DRUMS = ROOT / "testdata" / "rhythm" / "drums_100bpm.wav"
A_MINOR = ROOT / "testdata" / "tonal" / "a_minor_band.wav"


def test_low_level_rhythm_functions_librosa_style():
    y, sr = aa.load(DRUMS)
    env, fps = aa.onset_strength(y, sr=sr)
    assert env.dtype == np.float32 and env.ndim == 1 and fps > 0
    assert abs(len(env) / fps - len(y) / sr) < 0.1
    bpm, conf = aa.tempo(y, sr=sr)
    assert abs(bpm - 100.0) < 4.0 and 0.0 <= conf <= 1.0
    bpm2, times, beat_conf = aa.beats(y.astype(np.float64), sr=sr)
    assert bpm2 == bpm and times.dtype == np.float64 and len(times) == len(beat_conf) >= 10
    assert np.allclose(np.diff(times), 0.6, atol=0.03)
    assert aa.tempo(np.zeros(100, dtype=np.float32), sr=sr) == (0.0, 0.0)
    with pytest.raises(aa.ParameterError):
        aa.tempo(y, sr=0)


def _rock_groove(bpm, sr, seconds=20.0):
    """Kick on beats 1 and 3, snare on 2 and 4, hi-hat noise on every eighth note."""
    rng = np.random.default_rng(0)
    n = int(sr * seconds)
    y = np.zeros(n, dtype=np.float32)
    eighth = 30.0 / bpm
    for k in range(int(seconds / eighth)):
        i = int(k * eighth * sr)
        m = min(int(0.1 * sr), n - i)
        t = np.arange(m) / sr
        v = 0.1 * np.exp(-t * 120) * rng.uniform(-1, 1, m)
        if k % 2 == 0:
            body = 60.0 if (k // 2) % 2 == 0 else 200.0
            v += 0.5 * np.exp(-t * 40) * np.sin(2 * np.pi * body * t)
        y[i : i + m] += v
    return y


@pytest.mark.parametrize("sr", [16000, 44100, 48000, 96000, 192000])
def test_array_functions_give_the_same_answers_at_any_sample_rate(sr):
    # They analyse at 22050 Hz whatever the array's rate, as analyze() does: at 44.1 kHz this
    # groove came out at 240 BPM, and the A minor fixture at 192 kHz had no key.
    bpm, conf = aa.tempo(_rock_groove(120.0, sr), sr=sr)
    assert abs(bpm / 120.0 - 1.0) < 0.02 and conf > 0.3, (sr, bpm, conf)
    env, fps = aa.onset_strength(_rock_groove(120.0, sr), sr=sr)
    assert abs(fps - aa.onset_strength(_rock_groove(120.0, 22050), sr=22050)[1]) < 1e-3
    y, file_sr = aa.load(A_MINOR, sr=sr)
    assert file_sr == sr
    k = aa.key(y, sr=sr)
    assert (k["key"], k["mode"]) == (9, 0), (sr, k)
    assert aa.chroma(y, sr=sr)[0].shape[0] == 12


def _write_wav(path, y, sr):
    import wave

    pcm = (np.clip(y, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def test_files_are_analysed_at_22050_hz_whatever_sr_says(tmp_path):
    # `sr` set the analysis rate of files: this groove, as a 44.1 kHz WAV, came out at 239.9
    # BPM with sr=44100 (120.0 without). Now `sr` is the rate of arrays only.
    y = _rock_groove(120.0, 44100)
    path = tmp_path / "groove.wav"
    _write_wav(path, y, 44100)
    default = aa.analyze(path, timeline=False)
    assert abs(default.features["tempo"] / 120.0 - 1.0) < 0.02, default.features["tempo"]
    assert default.track["analysis_sample_rate"] == aa.DEFAULT_SAMPLE_RATE
    for sr in (44100, 48000, 16000):
        assert aa.analyze(path, sr=sr, timeline=False).features == default.features, sr
    # A mixed batch: `sr` is the array's rate, and the file is analysed as above.
    by_file, by_array = aa.analyze_many([path, y], sr=44100, progress=False)
    assert by_file.features == default.features
    assert abs(by_array.features["tempo"] / 120.0 - 1.0) < 0.02, by_array.features["tempo"]
    # A rate that is no rate at all is still refused, file or not.
    with pytest.raises(aa.ParameterError, match="sr"):
        aa.analyze(path, sr=0)
    # The CLI's record function keeps the CLI's option, which takes 22050 only.
    with pytest.raises(aa.ParameterError, match="sr"):
        aa._core.track_record(path.read_bytes(), id="g", path=str(path), sr=44100)
    record = aa._core.track_record(path.read_bytes(), id="g", path=str(path))["record"]
    assert record["tempo"] == pytest.approx(default.features["tempo"], rel=1e-6)  # as a record rounds it


def test_array_functions_reject_rates_analyze_rejects():
    y = np.zeros(22050, dtype=np.float32)
    for f in (aa.onset_strength, aa.tempo, aa.beats, aa.chroma, aa.key):
        with pytest.raises(aa.ParameterError, match="sr"):
            f(y, sr=10**9)


def test_low_level_tonal_functions_librosa_style():
    y, sr = aa.load(A_MINOR)
    C, rate = aa.chroma(y, sr=sr)
    assert C.shape[0] == 12 and C.dtype == np.float32 and rate > 0
    assert np.allclose(C.max(axis=0)[C.max(axis=0) > 0], 1.0)
    k = aa.key(y, sr=sr)
    assert (k["key"], k["mode"]) == (9, 0)
    assert 0.0 <= k["key_confidence"] <= 1.0
    assert aa.key(np.zeros(22050 * 2, dtype=np.float32), sr=sr)["key"] == -1
