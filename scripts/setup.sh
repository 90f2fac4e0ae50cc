#!/usr/bin/env bash
# Installs the C libraries StructuredML links (OpenBLAS, LAPACKE, FFTW3) from Debian/Ubuntu packages when
# pkg-config cannot find them, and Open MPI (mpirun and libmpi, which structml loads at run time and the
# two-rank tests use) when it is missing; does nothing when they are already there. The fuzzers and sanitizer runs
# (scripts/fuzz.sh, scripts/sanitize.sh) need nothing more: libFuzzer, the sanitizer runtimes and lld come
# with the Swift toolchain.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists openblas || missing+=(libopenblas-dev)
  pkg-config --exists lapacke || missing+=(liblapacke-dev)
  { pkg-config --exists fftw3 && pkg-config --exists fftw3f; } || missing+=(libfftw3-dev)
else
  missing+=(libopenblas-dev liblapacke-dev libfftw3-dev)
fi
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
{ command -v pkg-config >/dev/null 2>&1 && pkg-config --exists ompi-c; } || missing+=(libopenmpi-dev)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
