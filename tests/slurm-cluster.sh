#!/usr/bin/env bash
# A one-node SLURM cluster on this machine for the tests: tests/slurm-cluster.sh COMMAND... starts munged, slurmctld and
# slurmd with a generated configuration in a temporary folder, runs COMMAND with SLURM_CONF pointing at it, and stops every
# daemon it started by its process id when COMMAND ends, whatever its outcome. Installs slurm-wlm and munge with apt-get where
# they are missing; where that is not possible it runs COMMAND without a cluster (the SLURM tests then skip, saying why).
set -uo pipefail

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "slurm-cluster: installing slurm-wlm and munge (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null 2>&1; }
  fi
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  echo "slurm-cluster: no SLURM on this machine and none could be installed: running without a cluster"
  export NER_STUDY_NO_SLURM="slurm-wlm and munge are not installed and could not be installed here"
  exec "$@"
fi

dir=$(mktemp -d /tmp/ner-study-slurm.XXXXXX)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; kill -9 "$pid" 2>/dev/null; done
  rm -rf "$dir"
}
trap stop EXIT

host=$(hostname -s)
cpus=$(getconf _NPROCESSORS_ONLN)  # not nproc, which follows OMP_NUM_THREADS
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
port=$(( 20000 + RANDOM % 20000 ))
user=$(id -un)
mkdir -p "$dir/state" "$dir/spool"
dd if=/dev/urandom of="$dir/munge.key" bs=1 count=1024 status=none && chmod 600 "$dir/munge.key"
cat > "$dir/slurm.conf" <<EOF
ClusterName=nerstudy
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
KillWait=1
InactiveLimit=0
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf

munged --force --key-file="$dir/munge.key" --socket="$dir/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" || { echo "slurm-cluster: munged did not start"; cat "$dir/munged.log"; exit 1; }
pids+=("$(cat "$dir/munged.pid")")
slurmctld -f "$SLURM_CONF" || { echo "slurm-cluster: slurmctld did not start"; cat "$dir/slurmctld.log"; exit 1; }
for _ in $(seq 50); do [ -s "$dir/slurmctld.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$dir/slurmctld.pid")")
slurmd -f "$SLURM_CONF" || { echo "slurm-cluster: slurmd did not start"; cat "$dir/slurmd.log"; exit 1; }
for _ in $(seq 50); do [ -s "$dir/slurmd.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$dir/slurmd.pid")")
for _ in $(seq 100); do sinfo -h -o %t 2>/dev/null | grep -qE '^idle' && break; sleep 0.2; done
if ! sinfo -h -o %t | grep -qE '^idle'; then
  echo "slurm-cluster: the node did not come up"; sinfo; tail -20 "$dir/slurmctld.log" "$dir/slurmd.log"; exit 1
fi
echo "slurm-cluster: one node ($host, $cpus CPUs, $mem MB) in partition debug; SLURM_CONF=$SLURM_CONF"
"$@"
