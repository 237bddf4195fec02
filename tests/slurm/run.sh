#!/usr/bin/env bash
# End-to-end test of sharded runs on a real single-node Slurm cluster started here, as root, without systemd:
# munged, slurmctld and slurmd run in the foreground from a generated configuration under a temp directory, bound to
# this host. It submits `ratelab check tests/slurm/claims.json` as a 4-task array plus the dependent merge job and
# compares the merged report with a single-process run (timing fields aside); then it kills one shard mid-run,
# resubmits it, and checks that the merge completes and no configuration finished before the kill was recomputed.
# Exit 0 pass, 1 fail, 77 skipped (the reason printed). The daemons are stopped by their PIDs on every exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "slurm test skipped: $1"; exit 77; }
for tool in sbatch squeue sinfo scancel slurmctld slurmd munged; do
  command -v "$tool" >/dev/null || skip "$tool not found (deploy/setup-debian.sh installs slurm-wlm and munge)"
done
[ "$(id -u)" -eq 0 ] || skip "starting slurmctld, slurmd and munged needs root"
ratelab=$repo/src/Analysis.FSharp/bin/Release/net10.0/ratelab
[ -x "$ratelab" ] || dotnet build "$repo/src/Analysis.FSharp" -c Release -v q >/dev/null
[ -x "$ratelab" ] || { echo "slurm test failed: $ratelab was not built"; exit 1; }

work=$(mktemp -d /tmp/ratelab-slurm.XXXXXX)
pids=()
stop() {
  for ((k = ${#pids[@]} - 1; k >= 0; k--)); do kill "${pids[k]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop EXIT
fail() {
  echo "slurm test failed: $1"
  for f in "$work"/log/*.log "$work"/runs/*/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  exit 1
}
started=$SECONDS

# --- munge and a single-node Slurm, all state under $work ---
mkdir -p "$work"/{munge,state,spool,log,runs}
chmod 700 "$work/munge"
head -c 1024 /dev/urandom >"$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munged -F -f --key-file="$work/munge/munge.key" --socket="$work/munge/munge.sock" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" --seed-file="$work/munge/seed" \
  >>"$work/log/daemons.out" 2>&1 &
pids+=($!)
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
node=$(hostname -s)
memory=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=ratelab-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.sock
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
for _ in $(seq 50); do [ -S "$work/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.sock" ] || fail "munged did not start"
slurmctld -D -i -f "$SLURM_CONF" >>"$work/log/daemons.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >>"$work/log/daemons.out" 2>&1 &
pids+=($!)
for _ in $(seq 60); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 0.5; done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || fail "the node did not become idle"

# --- helpers ---
export RATELAB=$ratelab RATELAB_SBATCH_OPTS="--cpus-per-task=1 --mem=1G --time=10"
claims=$repo/tests/slurm/claims.json
# Waits until none of the given jobs is queued or running (timeout in seconds).
wait_jobs() {
  local deadline=$((SECONDS + $1)); shift
  while [ -n "$(squeue -h -j "$(IFS=,; echo "$*")" 2>/dev/null)" ]; do
    [ $SECONDS -lt $deadline ] || fail "jobs $* still running after the timeout"
    sleep 1
  done
}
# Compares a report with the single-process one; only the manifest and its wall-time lines may differ.
same_report() {
  local differ
  differ=$(diff -r -q -x .cache -x manifest.json -x timings.json -x index.md -x index.html "$work/single" "$1" | head -3) || true
  [ -z "$differ" ] || fail "$1 differs from the single-process report: $differ"
  for f in $(cd "$work/single" && find . -name 'index.*'); do
    diff <(grep -v 'wall time' "$work/single/$f") <(grep -v 'wall time' "$1/$f") >/dev/null || fail "$1/$f differs"
  done
}

# --- the single-process reference ---
"$ratelab" check "$claims" --out "$work/single" >"$work/log/single.log" || fail "the single-process check failed"

# --- 1: a 4-task array and the merge job ---
read -r array merge < <("$repo/deploy/slurm/submit.sh" 4 "$work/runs/a" "$work/merged-a" check "$claims")
wait_jobs 120 "$array" "$merge"
[ -f "$work/merged-a/index.md" ] || fail "the merge job wrote no report"
same_report "$work/merged-a"
grep -q "0 configurations recomputed" "$work/runs/a/merge.log" || fail "the merge recomputed configurations"
echo "slurm: 4-task array + merge equals the single-process report"

# --- 2: a shard killed mid-run, resubmitted; the merge completes without recomputing its finished units ---
# The kill lands some time after the first entry appears; should shard 1 finish first (its work is a few seconds),
# the harness, not the resume, has failed, and the case is run again on a fresh run directory.
for attempt in 1 2 3; do
  run=$work/runs/b$attempt merged=$work/merged-b$attempt
  read -r array merge < <("$repo/deploy/slurm/submit.sh" 4 "$run" "$merged" check "$claims")
  cache=$run/shard-1/.cache
  for _ in $(seq 600); do [ -n "$(ls "$cache" 2>/dev/null)" ] && break; sleep 0.05; done
  scancel "${array}_1"
  wait_jobs 120 "$array" "$merge"
  [ -f "$run/shard-1/shard.json" ] || break
  [ "$attempt" -lt 3 ] || fail "shard 1 finished before it could be killed, 3 times"
  echo "slurm: shard 1 finished before the kill landed (attempt $attempt); again on a fresh run"
done
[ ! -f "$merged/index.md" ] || fail "the merge ran although shard 1 was killed"
before=$(cd "$cache" && find . -name '*.json' ! -name '.*' -printf '%p %T@\n' | sort)
[ -n "$before" ] || fail "shard 1 wrote no cache entry before the kill"
again=$(RATELAB_SHARDS=4 sbatch --parsable --cpus-per-task=1 --mem=1G --time=10 --array=1 \
  --output="$run/shard-1-again.log" "$repo/deploy/slurm/shard.sbatch" "$run" check "$claims")
merge=$(sbatch --parsable --cpus-per-task=1 --mem=1G --time=10 --dependency="afterok:${again%%;*}" \
  --output="$run/merge.log" "$repo/deploy/slurm/merge.sbatch" "$run" 4 "$merged")
wait_jobs 120 "${again%%;*}" "$merge"
[ -f "$merged/index.md" ] || fail "the merge after the resubmitted shard wrote no report"
same_report "$merged"
after=$(cd "$cache" && find . -name '*.json' ! -name '.*' -printf '%p %T@\n' | sort)
kept=$(comm -12 <(echo "$before") <(echo "$after") | wc -l)
[ "$kept" -eq "$(echo "$before" | wc -l)" ] || fail "entries finished before the kill were rewritten"
echo "slurm: shard 1 killed after $kept cache entries, resubmitted, merged without recomputing them"
echo "slurm test passed in $((SECONDS - started)) s"
