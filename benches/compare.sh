#!/usr/bin/env bash
# Whole-process speed (and accuracy from the same run) of audio-analyzer against its decode
# floor and, when installed, against peer analyzers, on the files of one manifest.
#
#   benches/compare.sh MANIFEST [OUTDIR]
#
# Env: JOBS2=0 skips the 2-job run; PEERS="essentia_percival essentia_key_edma ..." picks the
#      peers (default: the fastest tempo and key peer of Essentia and of librosa; PEERS="" skips
#      them); PEERS_HOME as for ../shared/eval/run_all.sh; EVAL=path to the peer harness
#      (default ../shared/eval next to the repository).
#
# Prints: decode-only and in-process full analysis (`audio-analyzer decode-bench --analyze`,
# single thread, files read into memory first), the whole `audio-analyzer analyze` process with
# --jobs 1 and --jobs 2 (wall time and peak RSS from /usr/bin/time), all in x realtime with the
# ratios, then the score table of ../shared/eval/score.py for our records and every peer's
# (Acc1/Acc2/key/MIREX and each tool's own seconds and x realtime).
set -euo pipefail
MAN=$(realpath "${1:?usage: benches/compare.sh MANIFEST [OUTDIR]}")
OUT=${2:-$(mktemp -d /tmp/aa-compare.XXXXXX)}
mkdir -p "$OUT"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EVAL=${EVAL:-$ROOT/../shared/eval}
[ -d "$EVAL" ] || EVAL=/work/shared/eval
H=${PEERS_HOME:-$HOME/.cache/audio-analyzer-peers}
BIN=$ROOT/target/release/audio-analyzer
(cd "$ROOT" && cargo build --release -q -p analyzer-cli)

MDIR=$(dirname "$MAN")
python3 - "$MAN" > "$OUT/files.txt" <<'EOF'
import json, os, sys
man = sys.argv[1]
for line in open(man):
    if line.strip():
        print(os.path.join(os.path.dirname(man), json.loads(line)["path"]))
EOF
mapfile -t FILES < "$OUT/files.txt"
echo "manifest $MAN: ${#FILES[@]} files; outputs in $OUT"

# 1. Decode floor and in-process analysis, single thread, same bytes.
"$BIN" decode-bench --analyze "${FILES[@]}" > "$OUT/decode_bench.txt"
read -r AUDIO DEC DEC_X ANA ANA_X < <(awk '$1 == "TOTAL" { print $2, $3, $4, $5, $6 }' "$OUT/decode_bench.txt")

# 2. The whole process, as users run it.
whole() { # $1 = jobs; prints "wall_s peak_rss_kb"
  rm -f "$OUT/ours_j$1.jsonl"
  /usr/bin/time -f "%e %M" -o "$OUT/time_j$1.txt" \
    "$BIN" analyze --no-progress --jobs "$1" --manifest "$MAN" -o "$OUT/ours_j$1.jsonl" 2> "$OUT/ours_j$1.log" || true
  cat "$OUT/time_j$1.txt"
}
read -r W1 RSS1 < <(whole 1)
if [ "${JOBS2:-1}" != 0 ]; then read -r W2 RSS2 < <(whole 2); else W2=""; RSS2=""; fi

python3 - "$AUDIO" "$DEC" "$ANA" "$W1" "$RSS1" "${W2:-}" "${RSS2:-}" <<'EOF'
import sys
audio, dec, ana, w1, rss1 = (float(v) for v in sys.argv[1:6])
w2 = float(sys.argv[6]) if sys.argv[6] else None
rss2 = float(sys.argv[7]) if sys.argv[7] else None
print(f"\naudio: {audio:.1f} s")
print(f"{'what':<52} {'seconds':>9} {'x realtime':>11}")
print(f"{'decode-bench: decode + resample + loudness, 1 thread':<52} {dec:>9.2f} {audio/dec:>11.0f}")
print(f"{'decode-bench --analyze: full analysis, 1 thread':<52} {ana:>9.2f} {audio/ana:>11.0f}")
print(f"{'analyze --jobs 1 (whole process)':<52} {w1:>9.2f} {audio/w1:>11.0f}   peak RSS {rss1/1024:.0f} MB")
if w2:
    print(f"{'analyze --jobs 2 (whole process)':<52} {w2:>9.2f} {audio/w2:>11.0f}   peak RSS {rss2/1024:.0f} MB")
print(f"\nanalysis / decode-only (in process): {ana/dec:.2f}")
print(f"whole process --jobs 1 / decode-only: {w1/dec:.2f}")
if w2:
    print(f"--jobs 2 speed-up over --jobs 1: {w1/w2:.2f}x")
EOF

# 3. Peers, when installed, and the score table (ours from the --jobs 1 run above).
mkdir -p "$OUT/peers"
cp "$OUT/ours_j1.jsonl" "$OUT/peers/audio-analyzer.jsonl"
PEER_LIST=${PEERS-essentia_percival essentia_key_edma librosa_tempo librosa_key}
if [ -n "$PEER_LIST" ] && [ -x "$H/venv/bin/python" ]; then
  for p in $PEER_LIST; do
    echo "== peer $p" >&2
    "$H/venv/bin/python" "$EVAL/peers.py" --manifest "$MAN" --peer "$p" --out "$OUT/peers/$p.jsonl" -q --threads 1 \
      2> "$OUT/peers/$p.log" || echo "   $p failed (see $OUT/peers/$p.log)" >&2
  done
elif [ -n "$PEER_LIST" ]; then
  echo "(peers not installed: $H/venv missing; see $EVAL/setup_peers.sh)"
fi
echo
python3 "$EVAL/score.py" --manifest "$MAN" "$OUT"/peers/*.jsonl | tee "$OUT/score.md"
echo "(audio-analyzer's seconds in the score table: none recorded per track; use the x realtime above)"
