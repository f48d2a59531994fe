"""High-level API: ``analyze`` one source, ``analyze_many`` / ``iter_analyze`` for batches.

All computation happens in Rust with the GIL released; this file only shapes the results.
"""

from __future__ import annotations

import html
import os
from typing import Any, Dict, Iterable, Iterator, List, Optional

from . import _core

#: Spotify's ``audio-features`` field names, in the order the API listed them, followed by the
#: confidences the ``audio-analysis`` track object carried.
FEATURE_FIELDS = (
    "acousticness",
    "danceability",
    "duration_ms",
    "energy",
    "instrumentalness",
    "key",
    "liveness",
    "loudness",
    "mode",
    "speechiness",
    "tempo",
    "time_signature",
    "valence",
    "tempo_confidence",
    "key_confidence",
    "mode_confidence",
    "time_signature_confidence",
)

_KEY_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_ON_ERROR = ("record", "raise", "skip")


def key_name(key: int, mode: int) -> str:
    """``key_name(9, 0) == "A minor"``; ``-1`` gives ``"none"``."""
    if key is None or key < 0:
        return "none"
    return f"{_KEY_NAMES[key % 12]} {'major' if mode == 1 else 'minor'}"


def _source_label(source: Any) -> Optional[str]:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else None


class AnalysisResult:
    """The analysis of one source.

    Attributes:
        source: the path as given (``None`` for bytes, file objects without a name, arrays).
        features: a dict with exactly Spotify's ``audio-features`` names and meanings, plus
            ``tempo_confidence``, ``key_confidence``, ``mode_confidence`` and
            ``time_signature_confidence``.
        track: the source description (sample rate, channels, codec, content hash, loudness
            statistics, analysis version ...).
        analysis: the timeline (``beats``, ``bars``, ``tatums``, ``sections``, ``segments`` as
            lists of dicts in Spotify's ``audio-analysis`` shape), or ``None`` when not computed.
        error: ``None``, or the exception when the batch recorded a failure (then ``features``
            is empty).
    """

    __slots__ = ("source", "features", "track", "analysis", "error")

    def __init__(
        self,
        source: Optional[str],
        features: Dict[str, Any],
        track: Dict[str, Any],
        analysis: Optional[Dict[str, Any]],
        error: Optional[BaseException] = None,
    ) -> None:
        self.source = source
        self.features = features
        self.track = track
        self.analysis = analysis
        self.error = error

    @property
    def ok(self) -> bool:
        """``True`` when the analysis succeeded."""
        return self.error is None

    def segments_arrays(self) -> Dict[str, Any]:
        """The segments as numpy arrays: ``start``, ``duration``, ``confidence``,
        ``loudness_start``, ``loudness_max``, ``loudness_max_time``, ``loudness_end`` of shape
        ``(n,)`` and ``pitches``, ``timbre`` of shape ``(n, 12)`` (float64). Needs the timeline."""
        import numpy as np

        if not self.analysis:
            raise ValueError("no timeline: call analyze(..., timeline=True)")
        segs = self.analysis["segments"]
        out: Dict[str, Any] = {}
        for k in ("start", "duration", "confidence", "loudness_start", "loudness_max", "loudness_max_time", "loudness_end"):
            out[k] = np.array([s[k] for s in segs], dtype=np.float64)
        for k in ("pitches", "timbre"):
            out[k] = np.array([s[k] for s in segs], dtype=np.float64).reshape(len(segs), 12)
        return out

    def plot(self, *, figsize=(12, 7)):  # type: ignore[no-untyped-def]
        """A matplotlib figure (``pip install audio-analyzer[plot]``): the segment loudness curve
        with beats, bars and section boundaries, and the segment pitches and timbre over time."""
        import matplotlib.pyplot as plt
        import numpy as np

        seg = self.segments_arrays()
        a = self.analysis or {}
        fig, axes = plt.subplots(3, 1, figsize=figsize, sharex=True, gridspec_kw={"height_ratios": [2, 1, 1]})
        ax = axes[0]
        t = seg["start"] + seg["loudness_max_time"]
        ax.plot(t, seg["loudness_max"], lw=0.8, label="segment loudness_max (dB)")
        for b in a.get("beats", []):
            ax.axvline(b["start"], color="0.85", lw=0.5, zorder=0)
        for b in a.get("bars", []):
            ax.axvline(b["start"], color="0.6", lw=0.7, zorder=0)
        for sec in a.get("sections", []):
            ax.axvline(sec["start"], color="C3", lw=1.5)
        ax.set_ylabel("dB")
        f = self.features
        ax.set_title(
            f"{self.source or ''}  {f.get('tempo', 0):.1f} BPM  {key_name(f.get('key', -1), f.get('mode', 1))}  "
            f"{f.get('loudness', 0):.1f} LUFS"
        )
        edges = np.append(seg["start"], seg["start"][-1] + seg["duration"][-1]) if len(seg["start"]) else np.array([0.0])
        for ax, key, label in ((axes[1], "pitches", "pitch class"), (axes[2], "timbre", "timbre")):
            data = seg[key].T
            if key == "timbre":
                sd = data.std(axis=1, keepdims=True)
                data = (data - data.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
            ax.pcolormesh(edges, np.arange(13), data, shading="flat", cmap="magma")
            ax.set_ylabel(label)
        axes[1].set_yticks(np.arange(12) + 0.5, ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
        axes[2].set_xlabel("time (s)")
        fig.tight_layout()
        return fig

    def to_dict(self) -> Dict[str, Any]:
        """A flat record: ``source``, every feature, the track fields, and ``error`` (a string or
        ``None``). The timeline is left out (it is large); use ``.analysis``."""
        out: Dict[str, Any] = {"source": self.source}
        out.update(self.features)
        for k, v in self.track.items():
            out.setdefault(k, v)
        out["error"] = None if self.error is None else f"{type(self.error).__name__}: {self.error}"
        return out

    def __repr__(self) -> str:
        if self.error is not None:
            return f"<AnalysisResult {self.source!r} error={type(self.error).__name__}: {self.error}>"
        f = self.features
        return (
            f"<AnalysisResult {self.source!r} tempo={f.get('tempo', 0):.1f} "
            f"key={key_name(f.get('key', -1), f.get('mode', 1))} loudness={f.get('loudness', 0):.1f} dB "
            f"duration={f.get('duration_ms', 0) / 1000:.1f}s>"
        )

    def _repr_html_(self) -> str:
        title = html.escape(str(self.source))
        if self.error is not None:
            return f"<b>{title}</b>: <span style='color:#b00'>{html.escape(repr(self.error))}</span>"
        rows = []
        for k in FEATURE_FIELDS:
            if k in self.features:
                v = self.features[k]
                shown = key_name(v, self.features.get("mode", 1)) if k == "key" else v
                if isinstance(shown, float):
                    shown = f"{shown:.3f}"
                rows.append(f"<tr><td>{k}</td><td>{html.escape(str(shown))}</td></tr>")
        if self.analysis:
            counts = ", ".join(f"{len(v)} {k}" for k, v in self.analysis.items() if isinstance(v, list))
            rows.append(f"<tr><td>timeline</td><td>{html.escape(counts)}</td></tr>")
        return f"<b>{title}</b><table>{''.join(rows)}</table>"


class BatchResult(list):
    """A list of :class:`AnalysisResult` in input order, with table conversions."""

    @property
    def errors(self) -> List[AnalysisResult]:
        """The results that failed."""
        return [r for r in self if r.error is not None]

    def to_records(self) -> List[Dict[str, Any]]:
        """One flat dict per result (see :meth:`AnalysisResult.to_dict`)."""
        return [r.to_dict() for r in self]

    def to_pandas(self):  # type: ignore[no-untyped-def]
        """A ``pandas.DataFrame`` with one row per source (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(self.to_records())

    def to_arrow(self):  # type: ignore[no-untyped-def]
        """A ``pyarrow.Table`` with one row per source (needs pyarrow)."""
        import pyarrow as pa

        return pa.Table.from_pylist(self.to_records())


def _wrap(label: Optional[str], raw: Dict[str, Any]) -> AnalysisResult:
    return AnalysisResult(label, raw["features"], raw["track"], raw.get("analysis"))


def analyze(
    source: Any,
    *,
    sr: Optional[int] = None,
    timeline: bool = True,
    max_duration: Optional[float] = _core.DEFAULT_MAX_DURATION,
    max_decoded_bytes: Optional[int] = _core.DEFAULT_MAX_DECODED_BYTES,
) -> AnalysisResult:
    """Analyse one source: a path (str or os.PathLike), bytes, a binary file object, or a numpy
    array of samples (1-D mono, or 2-D ``(channels, n)`` as librosa) together with ``sr``.
    Floating-point samples are full scale ±1; integer PCM (``int16`` as soundfile and
    ``scipy.io.wavfile`` return it, ``int8``, ``int32``, ``int64``, ``uint8``) is scaled by its
    type's full scale; other dtypes raise :class:`ParameterError`.

    Every source is analysed at 22050 Hz, the rate the stages' frame sizes and fitted models are
    set for (files and arrays at any other rate are resampled to it). ``sr`` is the sample rate
    of an array source and is required for one; a file carries its own rate, so ``sr`` is not
    used for files (when given it must still be a valid rate, 1 to 768000 Hz).
    Raises the exception hierarchy rooted at :class:`AnalyzerError` (:class:`NotFoundError`, also
    a ``FileNotFoundError``, for a missing path). Resource limits: a file longer than
    ``max_duration`` seconds (default 3 h) or whose decoded signal would exceed
    ``max_decoded_bytes`` (default 1 GiB) raises :class:`LimitExceededError`; ``None`` lifts a
    limit.
    """
    raw = _core.analyze(
        source, sr=sr, timeline=timeline, max_duration=max_duration, max_decoded_bytes=max_decoded_bytes
    )
    return _wrap(_source_label(source), raw)


#: Types that are one source, though Python can iterate over some of them.
_SINGLE_SOURCE_TYPES = (str, bytes, bytearray, memoryview, os.PathLike)


def iter_analyze(
    sources: Iterable[Any],
    *,
    workers: Optional[int] = None,
    progress: bool = True,
    on_error: str = "record",
    sr: Optional[int] = None,
    timeline: bool = False,
    max_duration: Optional[float] = _core.DEFAULT_MAX_DURATION,
    max_decoded_bytes: Optional[int] = _core.DEFAULT_MAX_DECODED_BYTES,
) -> Iterator[AnalysisResult]:
    """Like :func:`analyze_many`, but yields results in input order as they finish."""
    if on_error not in _ON_ERROR:
        raise _core.ParameterError(f"on_error must be one of {_ON_ERROR}, not {on_error!r}")
    if isinstance(sources, _SINGLE_SOURCE_TYPES):
        # A str is iterable: each character would be analysed as a path of its own.
        raise TypeError(
            f"sources must be an iterable of sources, not one {type(sources).__name__}; "
            "use analyze() for a single source, or pass [source]"
        )
    sources = list(sources)
    labels = [_source_label(s) for s in sources]
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise _core.ParameterError(f"workers must be >= 1, not {workers}")
    batch = _core.AnalyzeBatch(
        sources,
        workers=workers,
        sr=sr,
        timeline=timeline,
        max_duration=max_duration,
        max_decoded_bytes=max_decoded_bytes,
    )
    bar = _progress_bar(len(sources)) if progress else None
    try:
        for index, raw, error in batch:
            if bar is not None:
                bar.update(1)
            if error is not None:
                if on_error == "raise":
                    raise error
                if on_error == "skip":
                    continue
                yield AnalysisResult(labels[index], {}, {}, None, error)
            else:
                yield _wrap(labels[index], raw)
    finally:
        batch.cancel()
        if bar is not None:
            bar.close()


def analyze_many(
    sources: Iterable[Any],
    *,
    workers: Optional[int] = None,
    progress: bool = True,
    on_error: str = "record",
    sr: Optional[int] = None,
    timeline: bool = False,
    max_duration: Optional[float] = _core.DEFAULT_MAX_DURATION,
    max_decoded_bytes: Optional[int] = _core.DEFAULT_MAX_DECODED_BYTES,
) -> BatchResult:
    """Analyse many sources on ``workers`` Rust threads (default: all cores; 1 to 1024, never
    more than the sources) with the GIL released; returns a :class:`BatchResult` in input order.

    ``on_error``: ``"record"`` (default) keeps failed items as results with ``.error`` set,
    ``"raise"`` raises the first failure (in input order), ``"skip"`` drops them. ``progress``
    shows a tqdm bar when tqdm is installed. Ctrl-C stops the workers and raises
    ``KeyboardInterrupt``. ``max_duration`` and ``max_decoded_bytes``: as :func:`analyze`.
    """
    return BatchResult(
        iter_analyze(
            sources,
            workers=workers,
            progress=progress,
            on_error=on_error,
            sr=sr,
            timeline=timeline,
            max_duration=max_duration,
            max_decoded_bytes=max_decoded_bytes,
        )
    )


def _progress_bar(total: int):  # type: ignore[no-untyped-def]
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="file", desc="audio_analyzer")
