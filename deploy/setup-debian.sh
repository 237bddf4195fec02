#!/usr/bin/env bash
# Installs what the cluster test needs on Debian or Ubuntu: Slurm (slurm-wlm) and munge. Idempotent: does nothing when
# the tools are already there. Needs root and the distribution's package archive; prints why when it cannot.
set -euo pipefail
if command -v sbatch >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
  && command -v munged >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-debian.sh: slurm-wlm and munge not installed (needs root and apt-get); the Slurm test will be skipped"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
echo "setup-debian.sh: installed slurm-wlm and munge"
