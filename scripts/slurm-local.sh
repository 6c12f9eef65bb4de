#!/usr/bin/env bash
# A real single-node Slurm (Debian slurm-wlm 22.05 + munge) on localhost, for the cluster tests
# and for trying `changewatch submit` on one machine. Recipe and pitfalls:
# ../shared/notes/slurm-local.md (cgroups do not work here, so proctrack/linuxproc + task/none).
#
#   scripts/slurm-local.sh start    munged (if not already up), slurmctld -c, slurmd; waits for idle
#   scripts/slurm-local.sh stop     scancel every job, then stops only the daemons this script
#                                   started (PIDs from its pid files), SIGTERM then SIGKILL
#   scripts/slurm-local.sh status   exit 0 when the node answers and is idle/mixed/allocated
#
# Idempotent: start on a running Slurm and stop on a stopped one do nothing. Needs root.
# State: /var/spool/slurm-local, pid files: /run/slurm-local, logs: /var/log/slurm-local.
set -euo pipefail
export PATH="/usr/sbin:/sbin:$PATH"

spool=/var/spool/slurm-local
rundir=/run/slurm-local
logdir=/var/log/slurm-local
conf=/etc/slurm/slurm.conf
start_timeout_s=${SLURM_LOCAL_START_TIMEOUT:-30}
host=$(hostname -s)

say() { echo "slurm-local: $*" >&2; }

alive() {  # alive PIDFILE: the process named in the pid file runs
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

node_state() { timeout 5 sinfo -h -o %T 2>/dev/null | head -n1; }

is_up() {
  alive "$rundir/slurmctld.pid" && alive "$rundir/slurmd.pid" || return 1
  case "$(node_state)" in idle* | mixed* | allocated* | completing*) return 0 ;; esac
  return 1
}

write_conf() {
  # Node hardware exactly as slurmd sees it, else the node is drained for "low resources".
  local hw
  hw=$(slurmd -C | head -n1 | tr ' ' '\n' | grep -E '^(CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory)=' | tr '\n' ' ')
  mkdir -p /etc/slurm
  local tmp
  tmp=$(mktemp /etc/slurm/.slurm.conf.XXXXXX)
  cat >"$tmp" <<EOF
# Written by changewatch scripts/slurm-local.sh: single-node Slurm on localhost for tests.
ClusterName=localci
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$spool/ctld
SlurmdSpoolDir=$spool/d
SlurmctldPidFile=$rundir/slurmctld.pid
SlurmdPidFile=$rundir/slurmd.pid
SlurmctldLogFile=$logdir/slurmctld.log
SlurmdLogFile=$logdir/slurmd.log
ProctrackType=proctrack/linuxproc
MpiDefault=none
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$logdir/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,bf_interval=1,sched_interval=2
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=300
NodeName=${host} NodeAddr=127.0.0.1 ${hw}State=UNKNOWN
PartitionName=ci Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  chmod 644 "$tmp"
  mv -f "$tmp" "$conf"
  # cgroup/v2 kills slurmd on this hybrid host; autodetect is harmless with task/none.
  if [ -f /etc/slurm/cgroup.conf ] && ! grep -q '^CgroupPlugin=autodetect' /etc/slurm/cgroup.conf; then
    mv -f /etc/slurm/cgroup.conf /etc/slurm/cgroup.conf.slurm-local-moved
  fi
}

start_munge() {
  if timeout 5 munge -n 2>/dev/null | timeout 5 unmunge >/dev/null 2>&1; then
    return 0  # someone's munged already answers; not ours to stop
  fi
  install -d -o munge -g munge -m 0755 /run/munge
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 600 /etc/munge/munge.key
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  # Our copy of the pid file marks munged as started by this script.
  cp /run/munge/munged.pid "$rundir/munged.pid"
  for _ in $(seq 50); do
    if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  say "munged does not answer (munge -n | unmunge)"
  exit 1
}

start() {
  if is_up; then
    say "already up (node $(node_state))"
    return 0
  fi
  command -v slurmctld >/dev/null || { say "slurmctld not installed (apt-get install slurm-wlm munge)"; exit 1; }
  [ "$(id -u)" = 0 ] || { say "must run as root"; exit 1; }
  install -d -m 0755 "$spool" "$spool/ctld" "$spool/d" "$rundir" "$logdir"
  start_munge
  # Half-started leftovers (one daemon dead) are stopped before a clean start.
  stop_daemons
  write_conf
  local t0
  t0=$(date +%s.%N)
  slurmctld -c
  slurmd -N "$host"
  local deadline=$((SECONDS + start_timeout_s)) st="" ok=0
  while [ $SECONDS -lt $deadline ]; do
    st=$(node_state || true)
    case "$st" in
      idle) ok=1; break ;;
      down* | drain*) scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  if [ $ok = 0 ]; then
    say "node not idle after ${start_timeout_s} s (state '${st}'); logs in $logdir"
    tail -n 20 "$logdir/slurmctld.log" "$logdir/slurmd.log" >&2 || true
    exit 1
  fi
  say "up: node $host idle, partition ci ($(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s)"
}

stop_pid() {  # stop_pid PIDFILE NAME
  local f=$1 name=$2 pid
  alive "$f" || { rm -f "$f"; return 0; }
  pid=$(cat "$f")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
    sleep 0.1
  done
  say "$name (pid $pid) ignored SIGTERM for 15 s; SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$f"
}

stop_daemons() {
  stop_pid "$rundir/slurmd.pid" slurmd
  stop_pid "$rundir/slurmctld.pid" slurmctld
}

stop() {
  if alive "$rundir/slurmctld.pid"; then
    # Jobs first, so no task outlives the daemons.
    timeout 10 scancel --user="$(id -un)" >/dev/null 2>&1 || true
    for _ in $(seq 50); do
      [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  stop_daemons
  if [ -f "$rundir/munged.pid" ]; then
    local ours
    ours=$(cat "$rundir/munged.pid")
    # Only the munged this script started (same PID as when started).
    if [ "$ours" = "$(cat /run/munge/munged.pid 2>/dev/null)" ]; then
      stop_pid "$rundir/munged.pid" munged
    fi
    rm -f "$rundir/munged.pid"
  fi
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if is_up; then
      echo "up: node $host $(node_state)"
    else
      echo "down"
      exit 1
    fi
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
