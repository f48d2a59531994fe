# Sourced by scripts/test-all.sh and scripts/check-aarch64.sh: installs what an aarch64 build
# run under emulation needs (the rustup target, Debian's cross linker and qemu-user) when it is
# missing, and exports the cargo settings that link with the cross linker and run test
# binaries under qemu-aarch64. Returns non-zero if something could not be installed.
AARCH64_TARGET=aarch64-unknown-linux-gnu
AARCH64_SYSROOT=/usr/aarch64-linux-gnu
export AARCH64_TARGET AARCH64_SYSROOT

# Longest an install step may take (an unreachable server must not stall the test run).
AARCH64_INSTALL_TIMEOUT_S=600

aarch64_install() {
    rustup target list --installed 2>/dev/null | grep -qx "$AARCH64_TARGET" \
        || timeout "$AARCH64_INSTALL_TIMEOUT_S" rustup target add "$AARCH64_TARGET" || return 1
    if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null \
        || [ ! -d "$AARCH64_SYSROOT/lib" ]; then
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
        timeout "$AARCH64_INSTALL_TIMEOUT_S" $sudo apt-get update -qq || return 1
        DEBIAN_FRONTEND=noninteractive timeout "$AARCH64_INSTALL_TIMEOUT_S" $sudo apt-get install -y -qq \
            gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user >/dev/null || return 1
    fi
}

if aarch64_install; then
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
    export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $AARCH64_SYSROOT"
    # qemu-user runs the release build 10-30 times slower than native.
    export CORRUPT_CORPUS_TIME_SCALE=40
    true
else
    false
fi
