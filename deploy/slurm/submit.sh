#!/usr/bin/env bash
# Submits a sharded report or check: an N-task array of shards plus a merge job that runs when all succeeded.
#   deploy/slurm/submit.sh N OUTROOT MERGED report --profile full
#   deploy/slurm/submit.sh N OUTROOT MERGED check CLAIMS.json
# Prints the two job ids (array, merge). Extra sbatch options for both jobs (partition, account, smaller resources)
# go in RATELAB_SBATCH_OPTS, e.g. RATELAB_SBATCH_OPTS="--partition=compute --cpus-per-task=4".
set -euo pipefail
if [ $# -lt 4 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: submit.sh N OUTROOT MERGED report|check [ratelab options]  (N = number of shards, ≥ 1)" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
shards=$1
out_root=$(realpath -m "$2")
merged=$(realpath -m "$3")
shift 3
mkdir -p "$out_root"
read -r -a extra <<<"${RATELAB_SBATCH_OPTS:-}"
array=$(sbatch --parsable "${extra[@]}" --array="0-$((shards - 1))" --output="$out_root/shard-%a.log" \
  "$here/shard.sbatch" "$out_root" "$@")
array=${array%%;*}
merge=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$out_root/merge.log" "$here/merge.sbatch" "$out_root" "$shards" "$merged")
echo "$array ${merge%%;*}"
