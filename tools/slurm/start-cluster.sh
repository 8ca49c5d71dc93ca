#!/usr/bin/env bash
# Starts a private single-node Slurm cluster (slurmctld + slurmd + munged) from Debian's packages, without systemd,
# with every file under $ENTROPYLONG_SLURM (default /tmp/entropylong-slurm). Run as root. Prints the line to source:
#   eval "$(tools/slurm/start-cluster.sh)"     # exports SLURM_CONF for sbatch/squeue/scontrol
# Stop with tools/slurm/stop-cluster.sh.
set -euo pipefail
state="${ENTROPYLONG_SLURM:-/tmp/entropylong-slurm}"
log() { echo "start-cluster: $*" >&2; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurmctld slurmd slurm-client munge"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null; }
fi

if [ -f "$state/slurmctld.pid" ] && kill -0 "$(cat "$state/slurmctld.pid")" 2>/dev/null; then
  log "already running ($state)"
  echo "export SLURM_CONF=$state/etc/slurm.conf"
  exit 0
fi
mkdir -p "$state"/{etc,ctld,spool,log}
chmod 755 "$state"

# munge: its own key (owner munge, 0600) and a 0711 socket folder, so the system's munge (if any) is untouched.
mkdir -p "$state/munge"
chown munge:munge "$state/munge"
chmod 0711 "$state/munge"
if [ ! -f "$state/munge/munge.key" ]; then
  head -c 1024 /dev/urandom >"$state/munge/munge.key"
fi
chown munge:munge "$state/munge/munge.key"
chmod 0600 "$state/munge/munge.key"
socket="$state/munge/munge.socket"
runuser -u munge -- munged --key-file="$state/munge/munge.key" --socket="$socket" \
  --pid-file="$state/munge/munged.pid" --log-file="$state/munge/munged.log" --seed-file="$state/munge/munged.seed"

# The node line comes from the hardware slurmd sees; addresses are pinned to 127.0.0.1 so name resolution never matters.
node="$(hostname -s)"
hw="$(slurmd -C | head -1 | sed -E "s/^NodeName=[^ ]+ //")"
cat >"$state/etc/slurm.conf" <<CONF
ClusterName=entropylong
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=${ENTROPYLONG_SLURM_PORT:-6817}
SlurmdPort=$(( ${ENTROPYLONG_SLURM_PORT:-6817} + 1 ))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MinJobAge=3600
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node $hw State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
# slurmd 22.05 loads a cgroup plugin whatever the task and proctrack plugins are: pin v1 so it loads without systemd.
echo "CgroupPlugin=cgroup/v1" >"$state/etc/cgroup.conf"
export SLURM_CONF="$state/etc/slurm.conf"

slurmctld -i -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$node"
for _ in $(seq 1 60); do
  if scontrol show node "$node" 2>/dev/null | grep -qE "State=(IDLE|MIXED|ALLOCATED)"; then
    log "cluster up: node $node ($hw), state in $state"
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
log "the node did not come up; logs:"
tail -n 20 "$state/log/slurmctld.log" "$state/log/slurmd.log" "$state/munge/munged.log" >&2 || true
exit 1
