#!/usr/bin/env bash
# The Slurm recipe of docs/scale.md, run on a Slurm of its own (issue 19): a one-node cluster on this
# machine only, configured and started by this test (Debian's slurm-wlm and munge, which
# scripts/setup.sh installs without starting their services): a munge key and munged on a socket in
# a temporary folder, a slurm.conf there (SlurmctldHost=localhost, NodeName=localhost CPUs=2, one
# partition, ports that are free), slurmctld and slurmd in the foreground as background jobs of
# this script. Once sinfo shows the node idle, the recipe runs on the sample dataset: a job array
# with one task per capture (scripts/slurm/part.sbatch) and the merge job after it (afterok,
# scripts/slurm/merge.sbatch). The merged database must give every export byte for byte and every
# table of one direct run. Everything started here is stopped by its process id, and the test
# fails if any process of its folder is left. Slurm that cannot start here fails the test, saying
# why (not root, a package missing, a daemon that died, a node never idle); it is never skipped.
source "$(dirname "$0")/lib.sh"
sample=$CIOT_SOURCE_DIR/datasets/sample
dump=$CIOT_SOURCE_DIR/tests/golden/dump.sh
slurm_scripts=$CIOT_SOURCE_DIR/scripts/slurm
exports=$("$CIOT_REPORT" --help | awk '/^Tables:/ { t = 1; next } t && /^  [a-z]/ { print $1 } t && /^$/ { t = 0 }')

cannot() { echo "FAIL: Slurm cannot run here: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || cannot "the test runs slurmd, which starts jobs as their user, so it needs root"
for tool in munged munge slurmctld slurmd sbatch sinfo scontrol ss; do
  command -v "$tool" >/dev/null || cannot "$tool is missing (scripts/setup.sh installs slurm-wlm and munge)"
done

# munged checks that every folder above its socket is searchable by all
chmod 755 "$work"
dir=$work/slurm
mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/logs" "$work/parts"
pids=()
stop_all() {
  local pid i
  for pid in ${pids[@]+"${pids[@]}"}; do kill -TERM "$pid" 2>/dev/null || true; done
  for i in $(seq 1 100); do
    local alive=0
    for pid in ${pids[@]+"${pids[@]}"}; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in ${pids[@]+"${pids[@]}"}; do kill -KILL "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

# two free TCP ports, from a range of their own
ports=()
for p in $(shuf -i 20000-29999 -n 50); do
  ss -Htln "sport = :$p" | grep -q . || ports+=("$p")
  [ ${#ports[@]} -eq 2 ] && break
done
[ ${#ports[@]} -eq 2 ] || cannot "no free TCP port for slurmctld and slurmd"

head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
cat >"$dir/slurm.conf" <<EOF
ClusterName=ciottest
SlurmctldHost=localhost
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/logs/slurmctld.log
SlurmdLogFile=$dir/logs/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=ciot Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
: >"$dir/plugstack.conf"
export SLURM_CONF=$dir/slurm.conf

started=$(date +%s)
munged -F --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/logs/munged.log" --seed-file="$dir/munge/seed" >"$dir/logs/munged.out" 2>&1 &
pids+=($!)
for i in $(seq 1 50); do [ -S "$socket" ] && break; sleep 0.1; done
munge -n -S "$socket" | unmunge -S "$socket" >/dev/null 2>&1 ||
  cannot "munged did not start: $(tail -3 "$dir/logs/munged.out" "$dir/logs/munged.log" 2>/dev/null)"
slurmctld -D -f "$SLURM_CONF" >"$dir/logs/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$dir/logs/slurmd.out" 2>&1 &
pids+=($!)
state=
for i in $(seq 1 300); do
  state=$(sinfo -h -N -n localhost -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null ||
      cannot "a daemon died: $(tail -3 "$dir"/logs/slurm*.out "$dir"/logs/slurm*.log 2>/dev/null | tr '\n' ' ')"
  done
  sleep 0.1
done
[ "$state" = idle ] || cannot "the node is '$state', not idle, after 30 s: $(tail -3 "$dir"/logs/*.log | tr '\n' ' ')"
pass "a one-node Slurm is up in $(($(date +%s) - started)) s: $(sinfo -h -o '%P %a %D %T %N')"

# the recipe (docs/scale.md): one array task per capture, then the merge after every task's success
head -c 32 /dev/urandom >"$work/pii.key"
n=$("$CIOT_ANALYZE" --list-captures "$sample" | wc -l)
array=$(sbatch --parsable --array=1-"$n" --output="$dir/logs/part-%a.log" \
  "$slurm_scripts/part.sbatch" "$sample" "$work/parts" --pii-key "$work/pii.key") || fail "sbatch of the array"
merge=$(sbatch --parsable --dependency=afterok:"$array" --output="$dir/logs/merge.log" \
  "$slurm_scripts/merge.sbatch" "$work/parts" "$work/merged.db") || fail "sbatch of the merge"
pass "submitted: array job $array of $n tasks, merge job $merge after it"
# the reference meanwhile: the whole dataset in one run
"$CIOT_ANALYZE" -q -j 1 --pii-key "$work/pii.key" -o "$work/all.db" "$sample" || fail "the direct run"

job_state() { scontrol -o show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
merge_state=
for i in $(seq 1 900); do
  merge_state=$(job_state "$merge")
  case $merge_state in COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) break ;; esac
  if scontrol -o show job "$merge" 2>/dev/null | grep -q 'Reason=DependencyNeverSatisfied'; then
    merge_state="never started: a task of the array failed"
    break
  fi
  sleep 0.1
done
expect_eq "the merge job" "$merge_state" COMPLETED
expect_eq "array tasks that completed" "$(scontrol -o show job "$array" | grep -c 'JobState=COMPLETED')" "$n"
if [ "$merge_state" != COMPLETED ]; then
  tail -5 "$dir"/logs/part-*.log "$dir/logs/merge.log" >&2 2>/dev/null || true
fi
pass "the recipe took $(($(date +%s) - started)) s from the daemons' start"

if [ -f "$work/merged.db" ]; then
  same=0
  for t in $exports; do
    "$CIOT_REPORT" "$work/all.db" "$t" >"$work/a.csv" 2>&1 || echo "exit $?" >>"$work/a.csv"
    "$CIOT_REPORT" "$work/merged.db" "$t" >"$work/b.csv" 2>&1 || echo "exit $?" >>"$work/b.csv"
    if cmp -s "$work/a.csv" "$work/b.csv"; then same=$((same + 1)); else fail "export $t differs from the direct run's"; fi
  done
  expect_eq "exports of the Slurm merge identical to the direct run's" "$same" "$(echo $exports | wc -w)"
  norm() {
    "$dump" "$1" | grep -v "^'last_run_at'\|^'merged_parts'" | awk '/^== table meta/ { m = 1 } m && /^rows / { m = 0; next } { print }'
  }
  if diff <(norm "$work/all.db") <(norm "$work/merged.db") >"$work/dump.diff"; then
    pass "every table of the Slurm merge as the direct run's"
  else fail "tables of the Slurm merge differ:"; head -20 "$work/dump.diff" >&2; fi
else
  fail "no merged database"
fi

# everything started here stopped, and nothing of this folder left running (a job step)
stop_all
left=$(ps -eo pid=,args= | grep -F -- "$work" | grep -v -e grep -e "ps -eo" || true)
if [ -n "$left" ]; then
  fail "processes left running: $left"
  for pid in $(echo "$left" | awk '{ print $1 }'); do kill -KILL "$pid" 2>/dev/null || true; done
else pass "munged, slurmctld and slurmd stopped; nothing left running"; fi
finish
