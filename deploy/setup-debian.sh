#!/usr/bin/env bash
# Installs what the tests and peers need on Debian or Ubuntu beyond the .NET SDK: Slurm (slurm-wlm) and munge for the
# cluster test, NumPy and PyTorch for the PyTorch cross-check and the bench peers. Idempotent: does nothing when the
# tools are already there. Needs root and the distribution's package archive; prints why when it cannot (the tests that
# need them are then skipped with that reason).
set -euo pipefail
if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
  && command -v munged >/dev/null && /usr/bin/python3 -c "import numpy, torch" 2>/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-debian.sh: slurm-wlm, munge, python3-numpy, python3-torch not installed (needs root and apt-get); the tests that need them will be skipped"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends slurm-wlm munge python3-numpy python3-torch >/dev/null
echo "setup-debian.sh: installed slurm-wlm, munge, python3-numpy and python3-torch"
