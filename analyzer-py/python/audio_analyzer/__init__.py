"""audio_analyzer: fast music analysis in Rust.

The functions here are thin wrappers over the compiled ``audio_analyzer._core`` module; all
computation happens in the Rust crate ``analyzer-core`` with the GIL released.

>>> import audio_analyzer as aa
>>> y, sr = aa.load("song.mp3")            # mono float32 at 22050 Hz  # doctest: +SKIP
>>> S = aa.stft(y, n_fft=2048, hop_length=512)                       # doctest: +SKIP
>>> r = aa.analyze("song.mp3")                                      # doctest: +SKIP
>>> r.features["tempo"], r.features["key"], r.features["mode"]      # doctest: +SKIP
>>> table = aa.analyze_many(paths, workers=4).to_pandas()           # doctest: +SKIP
"""

from ._core import (
    ANALYZER_VERSION,
    DEFAULT_MAX_DECODED_BYTES,
    DEFAULT_MAX_DURATION,
    DEFAULT_SAMPLE_RATE,
    AnalyzerError,
    DecodeError,
    LimitExceededError,
    NotFoundError,
    ParameterError,
    ReadError,
    UnsupportedFormatError,
    __version__,
    beats,
    chroma,
    info,
    key,
    load,
    onset_strength,
    stft,
    tempo,
)
from ._api import (
    FEATURE_FIELDS,
    AnalysisResult,
    BatchResult,
    analyze,
    analyze_many,
    iter_analyze,
    key_name,
)

__all__ = [
    "FEATURE_FIELDS",
    "AnalysisResult",
    "BatchResult",
    "analyze",
    "analyze_many",
    "iter_analyze",
    "key_name",
    "ANALYZER_VERSION",
    "DEFAULT_MAX_DECODED_BYTES",
    "DEFAULT_MAX_DURATION",
    "DEFAULT_SAMPLE_RATE",
    "AnalyzerError",
    "DecodeError",
    "LimitExceededError",
    "NotFoundError",
    "ParameterError",
    "ReadError",
    "UnsupportedFormatError",
    "__version__",
    "beats",
    "chroma",
    "info",
    "key",
    "load",
    "onset_strength",
    "stft",
    "tempo",
]
