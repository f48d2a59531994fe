#!/usr/bin/env python3
"""Says from libFuzzer logs whether a fuzzing run has stopped finding new coverage.

    python3 fuzz/plateau.py fuzz/logs/*.log [--tail 0.1] [--max-ft-gain 0.001]

For each log (as `fuzz/campaign.sh` writes them) it reads the status lines
(`#N  NEW|REDUCE|pulse|INITED  cov: C ft: F ...`) and the final `stat::` lines, and prints:

- the units and coverage when the corpus had been loaded (`INITED`), the executions after that
  (the fuzzing proper) and the average rate;
- coverage (`cov`, edges; `ft`, libFuzzer's features: edges with hit-count buckets and value
  profiles) at the start of the last tenth of the fuzzing executions and at the end;
- the gain over that last tenth, the new units added in it, and how long before the end (as a
  share of the fuzzing executions) the last new unit was found.

A run is called a **plateau** when its last tenth (`--tail`) added no new unit to the corpus, or
added no edge and fewer features than a thousandth (`--max-ft-gain`) of those it had: the
criterion `fuzz/RESULTS.md` uses. A run of fewer than `--min-execs` executions after its corpus
was loaded is not judged. (A `REDUCE` line, a shorter input replacing one already kept,
can move the counts by one or two without a new unit.) Time
is not in libFuzzer's status lines; the executions stand for it (the rate of one run is steady
once its corpus is loaded).
"""
import argparse
import re
import sys

STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+)(?: corp: (\d+)/)?")
STAT = re.compile(r"^stat::(\w+):\s+(\d+)")


def parse(path):
    """(rows, stats): rows are (executions, kind, cov, ft, corpus units) in log order."""
    rows, stats = [], {}
    with open(path, errors="replace") as log:
        for line in log:
            m = STATUS.match(line)
            if m:
                units = int(m[5]) if m[5] else None
                rows.append((int(m[1]), m[2], int(m[3]), int(m[4]), units))
                continue
            m = STAT.match(line)
            if m:
                stats[m[1]] = int(m[2])
    return rows, stats


def summarize(path, tail, max_ft_gain):
    """One dict of figures for a log, or None while its corpus is still loading (no `INITED`)."""
    rows, stats = parse(path)
    inited = next((r for r in rows if r[1] == "INITED"), None)
    if inited is None:
        return None
    end_execs = max(stats.get("number_of_executed_units", 0), rows[-1][0])
    fuzz_execs = max(end_execs - inited[0], 0)
    cut = inited[0] + (1.0 - tail) * fuzz_execs
    before = [r for r in rows if r[0] <= cut]
    at_cut = before[-1] if before else inited
    last = rows[-1]
    news = [r for r in rows if r[1] == "NEW" and r[0] > inited[0]]
    new_in_tail = sum(1 for r in news if r[0] > cut)
    last_new = news[-1][0] if news else None
    ft_gain = last[3] - at_cut[3]
    cov_gain = last[2] - at_cut[2]
    rate = stats.get("average_exec_per_sec")
    return {
        "log": path,
        "inited_units": inited[4],
        "inited_cov": inited[2],
        "inited_ft": inited[3],
        "fuzz_execs": fuzz_execs,
        "exec_per_s": rate,
        "seconds": round(end_execs / rate) if rate else None,
        "cut_cov": at_cut[2],
        "cut_ft": at_cut[3],
        "end_cov": last[2],
        "end_ft": last[3],
        "tail_cov_gain": cov_gain,
        "tail_ft_gain": ft_gain,
        "tail_ft_gain_share": ft_gain / max(at_cut[3], 1),
        "tail_new_units": new_in_tail,
        "since_last_new_share": (end_execs - last_new) / fuzz_execs if last_new and fuzz_execs else 1.0,
        "plateau": new_in_tail == 0 or (cov_gain <= 0 and ft_gain / max(at_cut[3], 1) < max_ft_gain),
        "peak_rss_mb": stats.get("peak_rss_mb"),
        "slowest_unit_s": stats.get("slowest_unit_time_sec"),
    }


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--tail", type=float, default=0.1, help="share of the fuzzing executions judged")
    ap.add_argument("--min-execs", type=int, default=10_000, help="fewer executions after INITED: too short to judge")
    ap.add_argument("--max-ft-gain", type=float, default=0.001, help="largest feature gain in it, as a share")
    args = ap.parse_args(argv)
    if not 0.0 < args.tail < 1.0:
        ap.error("--tail must be between 0 and 1")
    for path in args.logs:
        s = summarize(path, args.tail, args.max_ft_gain)
        if s is None:
            print(f"{path}: no INITED line yet (the corpus is still loading)")
            continue
        verdict = "PLATEAU" if s["plateau"] else "growing"
        if s["fuzz_execs"] < args.min_execs:
            verdict = "too short to judge"
        secs = f"{s['seconds']} s" if s["seconds"] is not None else "? s"
        print(
            f"{path}: {verdict}; {s['inited_units']} units at INITED (cov/ft {s['inited_cov']}/{s['inited_ft']}), "
            f"{s['fuzz_execs']:,} executions after it ({s['exec_per_s']}/s, {secs} in all); "
            f"cov/ft {s['cut_cov']}/{s['cut_ft']} at {100 * (1 - args.tail):.0f} % -> {s['end_cov']}/{s['end_ft']}: "
            f"+{s['tail_cov_gain']} cov, +{s['tail_ft_gain']} ft ({100 * s['tail_ft_gain_share']:.2f} %), "
            f"{s['tail_new_units']} new units in the last {100 * args.tail:.0f} %; last new unit "
            f"{100 * s['since_last_new_share']:.1f} % of the executions before the end; "
            f"peak RSS {s['peak_rss_mb']} MB, slowest unit {s['slowest_unit_s']} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
