#!/usr/bin/env bash
# A real Slurm on this machine (Debian's slurm-wlm and munge; one node on localhost): the
# example job array of examples/cluster/ analyses a data set in 4 tasks, bpcheck merge joins
# them, and the result must equal one unsharded run's; then one task is cancelled with scancel,
# the merge refuses the gap, and the task submitted again completes it. The daemons this
# script starts are stopped again (by their PIDs) and their state removed.
#
#   make test-slurm        (as root; CI runs it; BPCHECK overrides the binary)
set -euo pipefail
cd "$(dirname "$0")/../../../.."
root=$(pwd)
BPCHECK=${BPCHECK:-$root/.build/release/bpcheck}
[ -x "$BPCHECK" ] || { echo "slurm: no bpcheck at $BPCHECK (make test builds it)" >&2; exit 1; }
export BPCHECK
start=$(date +%s)

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

S=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -f /etc/slurm/slurm.conf
    rm -rf "$S"
}
trap cleanup EXIT

mkdir -p /run/munge "$S/state" "$S/spool" "$S/log" "$S/work"
chown -R munge:munge /run/munge /var/lib/munge /var/log/munge
if [ ! -f /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
runuser -u munge -- /usr/sbin/munged -F > "$S/log/munged.out" 2>&1 & pids+=($!)
for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
H=$(hostname)
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=local
SlurmctldHost=$H
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldLogFile=$S/log/ctld.log
SlurmdLogFile=$S/log/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$H CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=$H Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -D -i > "$S/log/ctld.out" 2>&1 & pids+=($!)
slurmd -D > "$S/log/d.out" 2>&1 & pids+=($!)
for _ in $(seq 100); do sinfo -h -o %T 2>/dev/null | grep -q idle && break; sleep 0.2; done
sinfo -h -o "%N %T" | grep -q idle || { echo "slurm: the node did not come up" >&2; cat "$S"/log/* >&2; exit 1; }

model=$root/examples/digits-mlp/model.json
# The example's bundled batch as the data set: 128 digits, 8 batches of 16.
data=$root/examples/digits-mlp/data.npz
options=(--batch-size 16 --batches 8 --precisions f16,f32)
"$BPCHECK" "$model" --data "$data" "${options[@]}" --report "$S/work/whole.md" >/dev/null

cd "$S/work"
results=$S/work/results
sbatch --wait --array=0-3 "$root/examples/cluster/job.sbatch" "$model" "$data" "$results" "${options[@]}" >/dev/null
ls "$results" | grep -c '^batch-' | grep -qx 8 || { echo "slurm: expected 8 batch results" >&2; ls -la "$results" >&2; cat bpcheck-*.out >&2; exit 1; }
"$BPCHECK" merge "$results" --report "$S/work/merged.md" >/dev/null
compare() {
    python3 - "$S/work/whole.json" "$1" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for j in (a, b): j.pop("command")
sys.exit(0 if a == b else "slurm: the merged report differs from the unsharded run's")
PY
}
compare "$S/work/merged.json"
echo "slurm: 4 array tasks merged; the report equals the unsharded run's"

# A task cancelled before it runs, the merge refusing the gap, the task submitted again.
results2=$S/work/results2
job=$(sbatch --parsable --hold --array=0-3 "$root/examples/cluster/job.sbatch" "$model" "$data" "$results2" "${options[@]}")
scancel "${job}_2"
scontrol release "$job" >/dev/null
for _ in $(seq 600); do [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break; sleep 0.2; done
if "$BPCHECK" merge "$results2" --report "$S/work/gap.md" > gap.log 2>&1; then echo "slurm: merge accepted a gap" >&2; exit 1; fi
grep -q "batches 2, 6 of the 8 have no result file" gap.log || { echo "slurm: unexpected merge message" >&2; cat gap.log >&2; exit 1; }
sbatch --wait --array=2 "$root/examples/cluster/job.sbatch" "$model" "$data" "$results2" "${options[@]}" >/dev/null
"$BPCHECK" merge "$results2" --report "$S/work/resumed.md" >/dev/null
compare "$S/work/resumed.json"
echo "slurm: task 2 cancelled (scancel), the merge refused batches 2 and 6, the resubmitted task completed the run"
echo "slurm: passed in $(( $(date +%s) - start )) s"
