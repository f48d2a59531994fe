"""Type stubs for the compiled extension ``audio_analyzer._core``."""

import os
from typing import IO, Any, Dict, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

Source = Union[str, "os.PathLike[str]", bytes, bytearray, IO[bytes]]

__version__: str
ANALYZER_VERSION: str
DEFAULT_SAMPLE_RATE: int
DEFAULT_MAX_DURATION: float
DEFAULT_MAX_DECODED_BYTES: int
#: The batch CLI's record schema: ``(name, pyarrow type name, nullable)`` in column order.
RECORD_SCHEMA: List[Tuple[str, str, bool]]

class AnalyzerError(Exception):
    """Root of every error raised by audio_analyzer."""

class DecodeError(AnalyzerError):
    """The input is corrupt, truncated or holds no audio."""

class UnsupportedFormatError(AnalyzerError):
    """The container or codec is not supported."""

class ParameterError(AnalyzerError, ValueError):
    """A parameter is out of range (also a ValueError)."""

class LimitExceededError(AnalyzerError):
    """The input exceeds a configured resource limit."""

class ReadError(AnalyzerError, OSError):
    """The input cannot be read: an I/O error (also an OSError, with `errno`, `strerror` and
    `filename` when the system gave an error number)."""

class NotFoundError(ReadError, FileNotFoundError):
    """The input file does not exist (also a FileNotFoundError)."""

def load(
    source: Source,
    *,
    sr: Optional[int] = 22050,
    max_duration: Optional[float] = 10800.0,
    max_decoded_bytes: Optional[int] = 1073741824,
) -> Tuple[npt.NDArray[np.float32], int]:
    """Decode ``source`` to a mono float32 array at ``sr`` Hz (``sr=None`` keeps the file's rate).

    Raises NotFoundError (a FileNotFoundError) for a missing path, ReadError (an OSError) for
    another I/O error, UnsupportedFormatError, DecodeError,
    LimitExceededError, ParameterError (bad ``sr``).
    """

def info(source: Source) -> Dict[str, Any]:
    """Decode ``source`` and describe it: duration (s), sample_rate, channels, codec, container,
    n_frames, content_hash (BLAKE3 hex of the bytes) and warnings."""

def stft(
    y: npt.ArrayLike,
    *,
    n_fft: int = 2048,
    hop_length: Optional[int] = None,
    win_length: Optional[int] = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
) -> npt.NDArray[np.complex64]:
    """Short-time Fourier transform, shape ``(1 + n_fft // 2, n_frames)`` as in librosa.

    ``y`` is converted to float32 if needed (integer PCM scaled to ±1 by its full scale, as in
    :func:`audio_analyzer.analyze`). ``hop_length`` defaults to ``n_fft // 4``.
    ``window``: hann, hamming, blackman, blackmanharris, boxcar. ``pad_mode``: constant, reflect.
    """

def analyze(
    source: Any,
    *,
    sr: Optional[int] = None,
    timeline: bool = True,
    max_duration: Optional[float] = 10800.0,
    max_decoded_bytes: Optional[int] = 1073741824,
) -> Dict[str, Any]:
    """Analyse one source (path, bytes, binary file object, or numpy samples with ``sr``).

    Every source is analysed at 22050 Hz; ``sr`` is the rate of numpy samples (required for
    them, 1 to 768000 Hz) and is not used for files, which carry their own rate.
    Returns ``{"features": {...}, "track": {...}, "analysis": {...} | None}``; the high-level
    :func:`audio_analyzer.analyze` wraps it in an ``AnalysisResult``.
    """

class AnalyzeBatch:
    """A running batch on Rust worker threads (GIL released). Iterating yields
    ``(index, result_dict | None, exception | None)`` in input order; ``cancel()`` stops it."""

    def __init__(
        self,
        sources: Any,
        *,
        workers: int = 1,
        sr: Optional[int] = None,
        timeline: bool = False,
        max_duration: Optional[float] = 10800.0,
        max_decoded_bytes: Optional[int] = 1073741824,
    ) -> None: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> "AnalyzeBatch": ...
    def __next__(self) -> Tuple[int, Optional[Dict[str, Any]], Optional[BaseException]]: ...
    def cancel(self) -> None: ...
    @property
    def delivered(self) -> int: ...

def onset_strength(y: npt.ArrayLike, *, sr: int = 22050) -> Tuple[npt.NDArray[np.float32], float]:
    """SuperFlux onset strength: ``(envelope, frame_rate)``.

    This function and ``tempo``, ``beats``, ``chroma`` and ``key`` analyse ``y`` at 22050 Hz, as
    :func:`analyze` does: an array at another ``sr`` (1 to 768000 Hz) is resampled first, since
    the stages' frame sizes and fitted models are set for that rate. ``frame_rate`` is the
    analysis frame rate (about 100 frames per second) whatever ``sr`` is.
    """

def tempo(y: npt.ArrayLike, *, sr: int = 22050) -> Tuple[float, float]:
    """``(bpm, confidence)``; ``(0.0, 0.0)`` without a pulse or under 2 s."""

def beats(y: npt.ArrayLike, *, sr: int = 22050) -> Tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    """``(bpm, beat_times_seconds, beat_confidence)``."""

def chroma(y: npt.ArrayLike, *, sr: int = 22050) -> Tuple[npt.NDArray[np.float32], float]:
    """HPCP ``(chroma of shape (12, n_frames), frame_rate)``; row 0 = C, each frame's max = 1."""

def key(y: npt.ArrayLike, *, sr: int = 22050) -> Dict[str, Any]:
    """``{"key", "mode", "key_confidence", "mode_confidence"}`` in Spotify's encoding."""

def content_hash(data: bytes) -> str:
    """BLAKE3 of ``data``, 64 lowercase hex digits (the records' ``content_hash``)."""

def check_record_options(*, sr: int = 22050, max_duration: Optional[float] = None) -> None:
    """Raise ``ParameterError`` if :func:`track_record` would refuse these options."""

def track_record(
    data: bytes,
    *,
    id: str,
    path: str,
    content_hash: Optional[str] = None,
    sr: int = 22050,
    max_duration: Optional[float] = None,
) -> Dict[str, Any]:
    """The ``audio-analyzer analyze`` record of a file given as bytes (``path`` is recorded and
    its extension is the format hint): ``{"record", "warnings", "decode_seconds",
    "analysis_seconds"}``. Errors carry the CLI's error kind in ``.kind``."""
