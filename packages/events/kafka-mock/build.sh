#!/usr/bin/env bash
# Builds the librdkafka mock-cluster test broker into .build/mock-broker.
# Idempotent: rebuilds only when mock-broker.c is newer than the binary.
# Installs gcc and librdkafka-dev with apt-get only if they are missing
# (needs root, as on CI). Prints the binary path on stdout on success.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/mock-broker.c"
out_dir="$here/.build"
out="$out_dir/mock-broker"

fail() {
  echo "kafka-mock build.sh: $*" >&2
  exit 1
}

have_header() {
  [ -f /usr/include/librdkafka/rdkafka_mock.h ] ||
    { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists rdkafka 2>/dev/null &&
      [ -f "$(pkg-config --variable=includedir rdkafka)/librdkafka/rdkafka_mock.h" ]; }
}

if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$out_dir"
# Keep the build folder out of git without touching the repository's .gitignore.
[ -f "$out_dir/.gitignore" ] || printf '*\n' >"$out_dir/.gitignore"

# Serialise concurrent builds (parallel test workers, apt's dpkg lock).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out_dir/.lock"
  flock -w 600 9 || fail "timed out waiting for another build to finish"
  if [ -x "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$here/build.sh" ]; then
    echo "$out"
    exit 0
  fi
fi

missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
have_header || missing+=(librdkafka-dev)

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "missing ${missing[*]} and apt-get is not available; install gcc and librdkafka (with rdkafka_mock.h) manually"
  fi
  if [ "$(id -u)" -ne 0 ]; then
    fail "missing ${missing[*]}; run as root or: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
  echo "kafka-mock build.sh: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || fail "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
    fail "apt-get install ${missing[*]} failed"
  command -v gcc >/dev/null 2>&1 || fail "gcc still missing after apt-get install"
  have_header || fail "librdkafka/rdkafka_mock.h still missing after installing librdkafka-dev"
fi

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
gcc -O2 -Wall -Wextra -o "$tmp" "$src" -lrdkafka >&2 ||
  fail "gcc failed to compile $src (is librdkafka-dev installed?)"
mv -f "$tmp" "$out"
echo "$out"
