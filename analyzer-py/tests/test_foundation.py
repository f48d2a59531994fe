"""Tests of the foundation API: load, info, stft, the error hierarchy, and the stubs."""

import ast
import errno
import io
import os
import pathlib

import numpy as np
import pytest

import audio_analyzer as aa

ROOT = pathlib.Path(__file__).resolve().parents[2]
FORMATS = ROOT / "testdata" / "formats"
MISC = ROOT / "testdata" / "misc"
ALL_FORMATS = sorted(p.name for p in FORMATS.iterdir())


@pytest.mark.parametrize("name", ALL_FORMATS)
def test_load_every_format_to_mono_float32(name):
    y, sr = aa.load(FORMATS / name)
    assert sr == 22050
    assert y.dtype == np.float32 and y.ndim == 1
    # One second of audio, within one codec frame (AAC/MP3: <= 1152 source samples at 44.1 kHz,
    # i.e. 576 at 22.05 kHz). ADTS states no encoder priming, so its priming frames stay in:
    # allow 2.5 AAC frames there, as the Rust decode test does.
    tolerance = (2 * 1024 + 512) // 2 if name.endswith(".aac") else 1152 // 2 + 1
    assert abs(len(y) - 22050) <= tolerance, (name, len(y))
    assert np.isfinite(y).all()
    assert 0.05 < float(np.sqrt(np.mean(y**2))) < 1.0


def test_sr_none_keeps_source_rate_and_lossless_matches_wav():
    wav, sr = aa.load(FORMATS / "s16.wav", sr=None)
    assert sr == 44100 and len(wav) == 44100
    for name in ("s16.flac", "s16.aiff", "s16_alac.m4a"):
        y, sr2 = aa.load(FORMATS / name, sr=None)
        assert sr2 == 44100
        np.testing.assert_array_equal(y, wav, err_msg=name)


def test_bytes_fileobj_and_pathlike_give_the_same_samples():
    path = FORMATS / "vorbis.ogg"
    a, _ = aa.load(str(path))
    b, _ = aa.load(path.read_bytes())
    with open(path, "rb") as f:
        c, _ = aa.load(f)
    d, _ = aa.load(io.BytesIO(path.read_bytes()))
    e, _ = aa.load(bytearray(path.read_bytes()))
    for other in (b, c, d, e):
        np.testing.assert_array_equal(a, other)


def test_info_describes_the_source():
    d = aa.info(MISC / "surround51.flac")
    assert d["channels"] == 6 and d["sample_rate"] == 48000 and d["codec"] == "flac"
    assert abs(d["duration"] - 0.5) < 1e-3
    assert len(d["content_hash"]) == 64
    assert d["warnings"] == []


def test_error_hierarchy(tmp_path):
    assert issubclass(aa.ParameterError, aa.AnalyzerError)
    assert issubclass(aa.ParameterError, ValueError)
    for cls in (aa.DecodeError, aa.UnsupportedFormatError, aa.LimitExceededError, aa.ReadError):
        assert issubclass(cls, aa.AnalyzerError)
    assert issubclass(aa.ReadError, OSError)
    assert issubclass(aa.NotFoundError, aa.ReadError) and issubclass(aa.NotFoundError, FileNotFoundError)
    missing = tmp_path / "missing.wav"
    with pytest.raises(aa.NotFoundError) as info:
        aa.load(missing)
    # Built as Python builds its own OSErrors: errno, strerror and filename are set.
    assert (info.value.errno, info.value.strerror, info.value.filename) == (errno.ENOENT, os.strerror(errno.ENOENT), str(missing))
    with pytest.raises(aa.ReadError) as info:
        aa.load(tmp_path / ("x" * 300 + ".wav"))
    assert info.value.errno == errno.ENAMETOOLONG
    with pytest.raises(aa.ReadError, match="not a regular file"):
        aa.load(tmp_path)
    with pytest.raises(aa.UnsupportedFormatError):
        aa.load(MISC / "not_audio.mp3")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(aa.DecodeError):
        aa.load(empty)
    with pytest.raises(aa.DecodeError):
        aa.load(b"")
    with pytest.raises(ValueError):
        aa.load(FORMATS / "s16.wav", sr=1)
    with pytest.raises(TypeError):
        aa.load(12345)
    truncated = tmp_path / "cut.flac"
    truncated.write_bytes((FORMATS / "s16.flac").read_bytes()[:20000])
    y, _ = aa.load(truncated)  # keeps the good audio
    assert 0 < len(y) < 22050
    assert any("truncated" in w for w in aa.info(truncated)["warnings"])


def test_stft_matches_numpy_oracle_and_librosa_layout():
    rng = np.random.default_rng(0)
    y = rng.standard_normal(5000).astype(np.float32)
    S = aa.stft(y, n_fft=512, hop_length=128)
    assert S.dtype == np.complex64
    assert S.shape == (257, 1 + len(y) // 128)
    # Frame t is centred on sample t*hop with zero padding, periodic Hann window.
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(512) / 512)
    padded = np.pad(y.astype(np.float64), 256)
    for t in (0, 7, S.shape[1] - 1):
        ref = np.fft.rfft(padded[t * 128 : t * 128 + 512] * window)
        np.testing.assert_allclose(S[:, t], ref, rtol=1e-4, atol=1e-3)


def test_stft_accepts_float64_and_noncontiguous_input():
    rng = np.random.default_rng(1)
    y64 = rng.standard_normal(8000)
    a = aa.stft(y64, n_fft=256)
    b = aa.stft(y64.astype(np.float32), n_fft=256)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    strided = rng.standard_normal(16000).astype(np.float32)[::2]
    assert not strided.flags["C_CONTIGUOUS"]
    np.testing.assert_allclose(aa.stft(strided, n_fft=256), aa.stft(strided.copy(), n_fft=256))


def test_stft_parameter_errors():
    y = np.zeros(1000, dtype=np.float32)
    with pytest.raises(aa.ParameterError):
        aa.stft(y, n_fft=0)
    with pytest.raises(ValueError):
        aa.stft(y, window="nope")
    with pytest.raises(aa.ParameterError):
        aa.stft(y, pad_mode="wrap")
    with pytest.raises(aa.ParameterError):
        aa.stft(y, n_fft=256, win_length=512)
    assert aa.stft(np.zeros(0, dtype=np.float32), n_fft=256).shape == (129, 0)


def test_stubs_match_the_module():
    stub = pathlib.Path(aa.__file__).with_name("_core.pyi")
    tree = ast.parse(stub.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    names.discard("Source")
    public = {n for n in dir(aa._core) if not n.startswith("_")} | {"__version__"}
    assert names - {"Source"} == public, (names ^ public)
    assert (pathlib.Path(aa.__file__).with_name("py.typed")).exists()
    # Parameter names, kinds and defaults of every function agree with the compiled signatures.
    import inspect

    def stub_params(fn: ast.FunctionDef):
        a = fn.args
        out = []
        positional = a.posonlyargs + a.args
        defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
        for arg, d in zip(positional, defaults):
            out.append((arg.arg, "positional", None if d is None else ast.literal_eval(d)))
        for arg, d in zip(a.kwonlyargs, a.kw_defaults):
            out.append((arg.arg, "keyword", None if d is None else ast.literal_eval(d)))
        return [p for p in out if p[0] != "self"]

    def real_params(obj):
        out = []
        for p in inspect.signature(obj).parameters.values():
            kind = "keyword" if p.kind is p.KEYWORD_ONLY else "positional"
            default = None if p.default is p.empty else p.default
            out.append((p.name, kind, default))
        return out

    def agree(stub, real):
        # PyO3 renders some defaults (e.g. Some(22050)) as "...": then only their presence is compared.
        if len(stub) != len(real):
            return False
        for (sn, sk, sd), (rn, rk, rd) in zip(stub, real):
            if (sn, sk) != (rn, rk) or (sd is None) != (rd is None and rd is not Ellipsis):
                return False
            if rd is not Ellipsis and sd != rd:
                return False
        return True

    checked = 0
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            real = real_params(getattr(aa._core, node.name))
            assert agree(stub_params(node), real), (node.name, stub_params(node), real)
            checked += 1
        elif isinstance(node, ast.ClassDef) and node.name == "AnalyzeBatch":
            init = next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
            real = real_params(aa._core.AnalyzeBatch)
            assert agree(stub_params(init), real), (node.name, stub_params(init), real)
            checked += 1
    assert checked >= 4
