"""``python -m audio_analyzer.beam``: the batch CLI's ``analyze`` as a Beam pipeline.

    python -m audio_analyzer.beam --input 'DIR/*.mp3' --output OUT.jsonl \\
        [--snapshot PREV.parquet] [--force] [--errors ERR.jsonl] --runner DirectRunner [BEAM OPTIONS]

Every argument this module does not know is passed to Beam's ``PipelineOptions`` (``--runner``,
``--project``, ``--region``, ``--temp_location``, ``--requirements_file``, ``--extra_package``,
``--direct_running_mode``, ``--direct_num_workers`` ...). Exit code 0 when no input failed,
1 when some failed (all other records were written), as the CLI.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.options.pipeline_options import PipelineOptions

from .. import _core
from ._transforms import DEFAULT_MAX_FILE_BYTES, AnalyzeAudio, ReadSnapshot, WriteErrors, WriteSnapshot, counters

_GLOB_CHARS = set("*?[")
_EXIT_PARTIAL_FAILURE = 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m audio_analyzer.beam",
        description="Analyse audio files on any Apache Beam runner; writes the batch CLI's records.",
        epilog="Other arguments go to Beam's PipelineOptions (--runner, --direct_num_workers, ...).",
    )
    p.add_argument(
        "--input",
        action="append",
        required=True,
        help="a file pattern ('DIR/*.mp3', 'gs://bucket/**.flac') or one file; repeatable. The record id is "
        "the matched path (a file without wildcards is taken as given and always attempted).",
    )
    p.add_argument("--output", required=True, help="the new full snapshot: .jsonl or .parquet (or --format)")
    p.add_argument("--format", choices=("jsonl", "parquet"), help="output format (default: from --output)")
    p.add_argument("--snapshot", help="a previous full output (.jsonl, .csv or .parquet) to carry unchanged tracks over")
    p.add_argument("--force", action="store_true", help="analyse every input again, ignoring --snapshot")
    p.add_argument("--prune-missing", action="store_true", help="leave out snapshot records whose id is not an input")
    p.add_argument("--errors", help="write the dead-letter rows (id, path, kind, message) here as JSON Lines")
    p.add_argument(
        "--sr",
        type=int,
        choices=(_core.DEFAULT_SAMPLE_RATE,),
        default=_core.DEFAULT_SAMPLE_RATE,
        help="analysis sample rate in Hz: only 22050, the rate the fitted models were trained at, as the CLI's",
    )
    p.add_argument("--max-duration", type=float, help="analyse at most this many seconds of each file")
    p.add_argument(
        "--max-file-mb",
        type=float,
        default=DEFAULT_MAX_FILE_BYTES / (1 << 20),
        help="largest file read into a worker's memory, in MiB (larger: a limit_exceeded error row; 0: no bound)",
    )
    p.add_argument(
        "--num-shards", type=int, default=1, help="output shards (1: exactly --output; 0: the runner decides)"
    )
    return p


def build(p: beam.Pipeline, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Adds the pipeline of ``args`` to ``p``; returns the ``AnalyzeAudio`` outputs."""
    literal = [i for i in args.input if not (_GLOB_CHARS & set(i))]
    patterns = [i for i in args.input if _GLOB_CHARS & set(i)]
    sources = []
    if literal:
        sources.append(p | "Files" >> beam.Create(literal))
    if patterns:
        matched = (
            p
            | "Patterns" >> beam.Create(patterns)
            | "Match" >> fileio.MatchAll()
            | "MatchedPaths" >> beam.Map(lambda m: m.path)
        )
        sources.append(matched)
    inputs = sources[0] if len(sources) == 1 else tuple(sources) | "AllInputs" >> beam.Flatten()
    previous = p | "ReadSnapshot" >> ReadSnapshot(args.snapshot) if args.snapshot else None
    out = inputs | "AnalyzeAudio" >> AnalyzeAudio(
        previous,
        force=args.force,
        sr=args.sr,
        max_duration=args.max_duration,
        max_file_bytes=round(args.max_file_mb * (1 << 20)) if args.max_file_mb > 0 else None,
        prune_missing=args.prune_missing,
    )
    out.records | "WriteSnapshot" >> WriteSnapshot(args.output, args.format, num_shards=args.num_shards)
    if args.errors:
        out.dead_letter | "WriteErrors" >> WriteErrors(args.errors)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    args, beam_args = _parser().parse_known_args(argv)
    started = time.monotonic()
    p = beam.Pipeline(options=PipelineOptions(beam_args))
    build(p, args)
    result = p.run()
    result.wait_until_finish()
    wall = time.monotonic() - started
    c = counters(result)
    audio_s = c.get("audio_ms", 0) / 1000.0
    inputs = c.get("analysed", 0) + c.get("skipped", 0) + c.get("failed", 0)
    print(
        f"analysed {c.get('analysed', 0)}, skipped {c.get('skipped', 0)} (carried over), "
        f"failed {c.get('failed', 0)}, kept {c.get('kept', 0)}, decoded {c.get('decoded', 0)}; "
        f"{audio_s / 3600:.2f} h of audio in {wall:.1f} s: {audio_s / wall if wall else 0:.1f}x realtime, "
        f"{inputs / wall if wall else 0:.2f} files/s; decode {c.get('decode_us', 0) / 1e6:.1f} s, "
        f"analysis {c.get('analysis_us', 0) / 1e6:.1f} s (summed over workers)",
        file=sys.stderr,
    )
    return _EXIT_PARTIAL_FAILURE if c.get("failed", 0) else 0


if __name__ == "__main__":
    sys.exit(main())
