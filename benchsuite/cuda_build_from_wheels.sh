#!/usr/bin/env bash
# Build veracity with `--features cuda` on a machine that has no CUDA toolkit (and no GPU):
# nvcc, the CUDA headers and the libraries to link against come from NVIDIA's PyPI wheels,
# libcuda.so (link time only; the GPU machine's driver provides it at run time) from
# Debian's non-free libcuda1 package, downloaded and unpacked, not installed.
#
# usage: benchsuite/cuda_build_from_wheels.sh [WORK_DIR] [COMPUTE_CAP]
#   WORK_DIR     where the tools are unpacked (default /tmp/veracity-cuda)
#   COMPUTE_CAP  GPU architecture for candle's kernels (default 90: H100/H200)
#
# With a CUDA toolkit installed, none of this is needed: `cargo build --release --features cuda`.
# The CUDA version (13.0) must not be newer than what the GPU machine's driver supports.
# Result: target/profiling/veracity and the golden test binary (printed at the end).
set -euo pipefail
work=${1:-/tmp/veracity-cuda}
cap=${2:-90}
mkdir -p "$work/wheels" "$work/site" "$work/deb"
cd "$work"
py_platforms=(--platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_27_x86_64)
python3 -m pip download -q --no-deps --only-binary=:all: "${py_platforms[@]}" -d wheels \
  nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88 \
  nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 nvidia-cuda-nvrtc==13.0.88 \
  nvidia-cublas==13.0.2.14 nvidia-curand==10.4.0.35
for w in wheels/*.whl; do unzip -q -o "$w" -d site; done
cuda=$work/site/nvidia/cu13
chmod +x "$cuda"/bin/* "$cuda"/nvvm/bin/*

# libcuda.so for the linker, from Debian non-free (download only).
if [ ! -e "$work/deb/libcuda.so" ]; then
  mkdir -p apt/lists/partial
  echo "deb http://deb.debian.org/debian bookworm non-free" >apt/sources.list
  apt_opts=(-o Dir::Etc::sourcelist="$work/apt/sources.list" -o Dir::Etc::sourceparts=/nonexistent
    -o Dir::State::Lists="$work/apt/lists")
  apt-get "${apt_opts[@]}" update -qq
  (cd deb && apt-get "${apt_opts[@]}" download libcuda1 && dpkg -x libcuda1_*.deb x)
  ln -sf "$(find "$work/deb/x" -name 'libcuda.so.*.*' | head -1)" "$work/deb/libcuda.so"
fi

# Unversioned names for the linker (the binary records the versioned sonames).
mkdir -p "$cuda/lib64"
for l in cublas cublasLt curand nvrtc cudart; do
  ln -sf "$(ls "$cuda"/lib/lib$l.so.* | head -1)" "$cuda/lib64/lib$l.so"
done
ln -sf "$work/deb/libcuda.so" "$cuda/lib64/libcuda.so"

export PATH=$cuda/bin:$PATH CUDA_HOME=$cuda CUDA_PATH=$cuda CUDA_COMPUTE_CAP=$cap CUDARC_CUDA_VERSION=13000
cd "$(dirname "$0")/.."
cargo build --profile profiling --features cuda --bin veracity
cargo test --profile profiling --features cuda --no-run --test golden_embeddings 2>&1 | tail -3
echo "binary: target/profiling/veracity (run it where libcuda.so.1 and the CUDA 13 libraries are on the loader path)"
