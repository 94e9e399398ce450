#!/bin/sh
# Install, configure and start a single-node SLURM (slurmctld + slurmd + munged) on this machine,
# from Debian's packages. Idempotent: run it again and it restarts the daemons with the same setup.
# Needs root. Used by tests/test_slurm.py (marked slow) and described in docs/cluster.md.
#
#   sudo sh benchmarks/slurm/setup.sh          # install (apt-get), configure, start
#   sinfo                                       # the partition 'debug' with this node, idle
set -eu

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge
fi

HOST=$(hostname -s)
CPUS=$(nproc)
MEM=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)   # MB, leave 10% to the system

# munge: a key, then the daemon (as the munge user, as Debian's service would)
mkdir -p /etc/munge /var/log/munge /var/lib/munge /run/munge
[ -s /etc/munge/munge.key ] || (mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null)
chown -R munge:munge /etc/munge /var/log/munge /var/lib/munge /run/munge
chmod 0700 /etc/munge; chmod 0400 /etc/munge/munge.key
if ! pgrep -u munge -x munged >/dev/null 2>&1; then
    su -s /bin/sh munge -c "munged"
fi
munge -n | unmunge >/dev/null

mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
# Single-node SLURM written by benchmarks/slurm/setup.sh
ClusterName=akrim
SlurmctldHost=${HOST}
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
InactiveLimit=0
KillWait=30
MinJobAge=300
SlurmctldTimeout=120
SlurmdTimeout=300
Waittime=0
NodeName=${HOST} CPUs=${CPUS} RealMemory=${MEM} State=UNKNOWN
PartitionName=debug Nodes=${HOST} Default=YES MaxTime=INFINITE State=UP
CONF

# (re)start the daemons this script started before (by their pid files), then start them
for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        kill "$(cat "$pidfile")"; sleep 2
    fi
done
slurmctld
slurmd
for _ in $(seq 1 30); do
    if sinfo -h -o '%t' 2>/dev/null | grep -q idle; then
        sinfo
        exit 0
    fi
    scontrol update nodename="${HOST}" state=resume >/dev/null 2>&1 || true
    sleep 1
done
echo "setup.sh: SLURM did not report an idle node; see /var/log/slurm/*.log" >&2
sinfo >&2 || true
exit 1
