#!/usr/bin/env bash
# Opt-in check (about 25 minutes on 2 cores): the aarch64 build, whose SIMD dispatch takes the
# NEON path, under qemu-user emulation.
#   1. cross-builds analyzer-core's tests for aarch64-unknown-linux-gnu and runs them all under
#      qemu-aarch64, as scripts/test-all.sh (so CI) also does, so that this script stands alone;
#   2. (not in CI) analyses AUDIO_DIR with the aarch64 and the native `audio-analyzer` (records and
#      `--analysis` documents) and compares them with scripts/compare_records.py: integers and
#      strings identical, floats within 1e-4 of each field's scale.
#
#   scripts/check-aarch64.sh [AUDIO_DIR]     default: ../shared/evaldata if present, else testdata
#
# Installs what it needs (scripts/aarch64-env.sh): the rustup target, Debian's cross linker and
# qemu-user (apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-}
if [ -z "$DIR" ]; then
    if [ -d ../shared/evaldata ]; then DIR=../shared/evaldata; else DIR=testdata; fi
fi
source scripts/aarch64-env.sh
TARGET=$AARCH64_TARGET
SYSROOT=$AARCH64_SYSROOT

echo "== analyzer-core tests on $TARGET (qemu-aarch64)"
cargo test --release -p analyzer-core --target "$TARGET" --tests

echo "== records on $TARGET against native, $DIR"
cargo build --release -p analyzer-cli --target "$TARGET"
cargo build --release -p analyzer-cli
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Exit code 1 (some inputs failed: testdata holds broken files on purpose) is expected.
# analyze OUT DOCS COMMAND...: runs COMMAND analyze DIR into OUT and DOCS.
analyze() {
    local out=$1 docs=$2
    shift 2
    "$@" analyze "$DIR" -j 2 --no-progress -o "$out" --analysis "$docs" 2>/dev/null || [ $? -eq 1 ]
}
analyze "$OUT/arm.jsonl" "$OUT/arm_docs" qemu-aarch64 -L "$SYSROOT" "target/$TARGET/release/audio-analyzer"
analyze "$OUT/native.jsonl" "$OUT/native_docs" target/release/audio-analyzer
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('platform of the aarch64 run:', d['meta']['platform'])" \
    "$(ls -d "$OUT"/arm_docs/* | head -1)"
python3 scripts/compare_records.py "$OUT/native.jsonl" "$OUT/arm.jsonl" --docs "$OUT/native_docs" "$OUT/arm_docs"
