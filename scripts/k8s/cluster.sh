#!/usr/bin/env bash
# A real, node-less Kubernetes 1.20 control plane on loopback: etcd + kube-apiserver +
# kube-controller-manager, for the rollback-k8s tests.
#
#   cluster.sh start  DIR   fresh cluster with its state, logs and pid files in DIR; prints the env
#   cluster.sh stop   DIR   stops exactly the pids recorded in DIR (TERM, then KILL after a bound)
#   cluster.sh env    DIR   prints `export KEY='VALUE'` lines for a started cluster (for eval)
#   cluster.sh status DIR   one line per process; exit 0 when all are running
#
# After `start`: DIR/cluster.env (KEY=VALUE lines: KUBE_SERVER, KUBE_TOKEN, KUBE_NOACCESS_TOKEN,
# KUBECONFIG, ETCD_PORT, ...), DIR/kubeconfig (admin, system:masters), DIR/kubeconfig-noaccess
# (user "nobody", no RBAC bindings: every API call gets 403), DIR/*.log, DIR/*.pid.
#
# Every server binds to 127.0.0.1 on ports picked at run time. No kubelet is run: pods stay
# Pending unless a test-side node simulator binds them. `start` always wipes the cluster state
# previously left in DIR.
#
# Environment (all optional):
#   K8S_BIN_DIR        kube-apiserver / kube-controller-manager dir
#                      (default: the line in ~/.cache/rollback/k8s-bin-dir, see scripts/k8s/build.sh)
#   ETCD_BIN           etcd binary (default: etcd on PATH, Debian's etcd-server)
#   KCM_CONTROLLERS    --controllers of kube-controller-manager (default below)
#   KCM_API_QPS, KCM_API_BURST  its client's request rate limit (default 20 and 30, the
#                      component's own defaults)
#   CLUSTER_OWNER_PID  if set, a watchdog stops the cluster when that process is gone
#                      (e.g. the test JVM's pid: covers a JVM killed before its shutdown hook)
#   START_TIMEOUT      seconds to wait for each component to become ready (default 60)
set -euo pipefail
umask 077

SCRIPT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
CACHE="${ROLLBACK_CACHE:-$HOME/.cache/rollback}"
DEFAULT_CONTROLLERS="deployment,replicaset,statefulset,daemonset,garbagecollector,namespace,serviceaccount,serviceaccount-token"
# The service ClusterIP range is only allocated from, never contacted (no kube-proxy, no node):
# RFC 5737 TEST-NET-1, reserved for documentation, neither private, link-local nor routable.
SERVICE_CIDR="192.0.2.0/24"
# Stop order: dependants first.
COMPONENTS=(watchdog kube-controller-manager kube-apiserver etcd)

log() { echo "[k8s-cluster] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

usage() { echo "usage: $0 start|stop|env|status DIR" >&2; exit 2; }

# ---------------------------------------------------------------- processes and pid files

# Alive = exists and is not a zombie.
is_alive() {
  local pid="$1" state
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state="$(sed -E 's/^.*\) ([A-Za-z]).*$/\1/' "/proc/$pid/stat" 2>/dev/null)" || return 1
  [ "$state" != "Z" ] && [ "$state" != "X" ]
}

# True when pid is alive and is the process the pid file was written for (guards against a
# recycled pid): its argv[0] is the component's binary, or for the watchdog, this script.
is_ours() {
  local name="$1" pid="$2" argv
  is_alive "$pid" || return 1
  argv="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null)" || return 1
  if [ "$name" = watchdog ]; then
    grep -qxF "$SCRIPT" <<< "$argv" && grep -qxF "watch" <<< "$argv"
  else
    [ "$(basename "$(head -n 1 <<< "$argv")")" = "$name" ]
  fi
}

pid_of() { [ -f "$DIR/$1.pid" ] && cat "$DIR/$1.pid" || true; }

# launch NAME BINARY ARGS...: starts BINARY in the background (no cloud provider; AWS metadata
# lookups disabled; loopback never proxied), stdout+stderr to DIR/NAME.log, pid to DIR/NAME.pid.
launch() {
  local name="$1"; shift
  env AWS_EC2_METADATA_DISABLED=true NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost \
    "$@" > "$DIR/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$name.pid"
}

# wait_ready NAME CHECK...: polls CHECK until it succeeds; fails when the process exits or after
# START_TIMEOUT seconds.
wait_ready() {
  local name="$1"; shift
  local pid deadline=$(( $(now_ms) + ${START_TIMEOUT:-60} * 1000 ))
  pid="$(pid_of "$name")"
  while :; do
    if "$@" > /dev/null 2>&1; then return 0; fi
    is_alive "$pid" || { log "$name (pid $pid) exited during start-up"; return 1; }
    [ "$(now_ms)" -lt "$deadline" ] || { log "$name not ready after ${START_TIMEOUT:-60} s"; return 1; }
    sleep 0.1
  done
}

port_in_use() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

# A loopback port nothing listens on, below the kernel's ephemeral range (32768+) so that
# outgoing connections cannot be holding it; not one already handed out in this run.
PICKED=" "
free_port() {
  local p
  while :; do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    case "$PICKED" in *" $p "*) continue ;; esac
    port_in_use "$p" && continue
    PICKED="$PICKED$p "
    echo "$p"
    return 0
  done
}

# bind_failed NAME: the component died because its port was taken meanwhile (then: new port, retry).
bind_failed() { grep -qiE "address already in use" "$DIR/$1.log" 2> /dev/null; }

stop_pids() {
  # TERM every still-running pid of ours, wait up to $2 s, then KILL and wait up to 5 s more.
  local bound="$1"; shift
  local name pid live=() deadline
  for name in "$@"; do
    pid="$(pid_of "$name")"
    [ "$name" = watchdog ] && [ "$pid" = "$$" ] && continue   # the watchdog stopping the cluster
    if is_ours "$name" "$pid"; then kill -TERM "$pid" 2> /dev/null || true; live+=("$name:$pid"); fi
  done
  [ ${#live[@]} -eq 0 ] && return 0
  deadline=$(( $(now_ms) + bound * 1000 ))
  local sig=TERM entry remaining
  while :; do
    remaining=()
    for entry in "${live[@]}"; do is_alive "${entry#*:}" && remaining+=("$entry"); done
    [ ${#remaining[@]} -eq 0 ] && return 0
    if [ "$(now_ms)" -ge "$deadline" ]; then
      if [ "$sig" = KILL ]; then log "still alive after KILL: ${remaining[*]}"; return 1; fi
      log "sending KILL to ${remaining[*]} (no exit ${bound} s after TERM)"
      for entry in "${remaining[@]}"; do kill -KILL "${entry#*:}" 2> /dev/null || true; done
      sig=KILL; deadline=$(( $(now_ms) + 5000 ))
    fi
    live=("${remaining[@]}")
    sleep 0.1
  done
}

cmd_stop() {
  local rc=0 name
  [ -d "$DIR" ] || return 0
  # Controllers and API server first (they would log errors about a vanished etcd), then etcd.
  stop_pids 15 watchdog kube-controller-manager kube-apiserver || rc=1
  stop_pids 15 etcd || rc=1
  if [ $rc -eq 0 ]; then
    for name in "${COMPONENTS[@]}"; do rm -f "$DIR/$name.pid"; done
    rm -f "$DIR/cluster.env"
  fi
  return $rc
}

cmd_status() {
  local name pid rc=0
  for name in etcd kube-apiserver kube-controller-manager watchdog; do
    pid="$(pid_of "$name")"
    if [ -z "$pid" ]; then
      [ "$name" = watchdog ] || { echo "$name: not started"; rc=1; }
    elif is_ours "$name" "$pid"; then echo "$name: running (pid $pid)"
    else echo "$name: not running (pid $pid)"; rc=1; fi
  done
  return $rc
}

cmd_env() {
  [ -f "$DIR/cluster.env" ] || die "no cluster started in $DIR"
  local k v
  while IFS='=' read -r k v; do
    [ -n "$k" ] && printf "export %s='%s'\n" "$k" "$v"
  done < "$DIR/cluster.env"
}

# Stops the cluster when the owner process is gone; exits when the cluster was stopped.
cmd_watch() {
  local owner="$1"
  while [ -f "$DIR/kube-apiserver.pid" ] || [ -f "$DIR/etcd.pid" ]; do
    if ! is_alive "$owner"; then
      log "owner pid $owner is gone: stopping the cluster in $DIR"
      cmd_stop
      exit 0
    fi
    sleep 2
  done
}

# ---------------------------------------------------------------- start

random_token() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

write_kubeconfig() { # FILE SERVER USER TOKEN
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: rollback
  cluster:
    server: $2
    insecure-skip-tls-verify: true
users:
- name: $3
  user:
    token: $4
contexts:
- name: rollback
  context:
    cluster: rollback
    user: $3
current-context: rollback
EOF
}

start_etcd() {
  local attempt
  for attempt in 1 2 3; do
    ETCD_PORT="$(free_port)"; ETCD_PEER_PORT="$(free_port)"
    rm -rf "$DIR/etcd-data"
    launch etcd "$ETCD_BIN" \
      --name rollback \
      --data-dir "$DIR/etcd-data" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "rollback=http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster-state new \
      --initial-cluster-token "rollback-$ETCD_PORT" \
      --logger zap --log-outputs stderr
    wait_ready etcd curl -sf --noproxy '*' --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" && return 0
    bind_failed etcd || return 1
    log "etcd port taken meanwhile, retrying with other ports"
    stop_pids 5 etcd || true
  done
  return 1
}

start_apiserver() {
  local attempt
  for attempt in 1 2 3; do
    API_PORT="$(free_port)"
    launch kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
      --bind-address=127.0.0.1 \
      --advertise-address=127.0.0.1 \
      --secure-port="$API_PORT" \
      --insecure-port=0 \
      --cert-dir="$DIR/apiserver-certs" \
      --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
      --token-auth-file="$DIR/tokens.csv" \
      --anonymous-auth=false \
      --authorization-mode=RBAC \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-account-key-file="$DIR/sa.pub" \
      --service-account-signing-key-file="$DIR/sa.key" \
      --service-cluster-ip-range="$SERVICE_CIDR" \
      --endpoint-reconciler-type=none \
      --profiling=false
    wait_ready kube-apiserver curl -skf --noproxy '*' --max-time 2 -H "@$DIR/admin-auth.header" \
      "https://127.0.0.1:$API_PORT/readyz" && return 0
    bind_failed kube-apiserver || return 1
    log "kube-apiserver port taken meanwhile, retrying with another port"
    stop_pids 5 kube-apiserver || true
  done
  return 1
}

start_kcm() {
  local attempt
  for attempt in 1 2 3; do
    KCM_PORT="$(free_port)"
    launch kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
      --kubeconfig="$DIR/kubeconfig" \
      --controllers="${KCM_CONTROLLERS:-$DEFAULT_CONTROLLERS}" \
      --leader-elect=false \
      --kube-api-qps="${KCM_API_QPS:-20}" \
      --kube-api-burst="${KCM_API_BURST:-30}" \
      --use-service-account-credentials=false \
      --service-account-private-key-file="$DIR/sa.key" \
      --bind-address=127.0.0.1 \
      --secure-port="$KCM_PORT" \
      --cert-dir="$DIR/kcm-certs" \
      --address=127.0.0.1 \
      --port=0 \
      --profiling=false
    # /healthz is always allowed on the controller manager's secure port.
    wait_ready kube-controller-manager curl -skf --noproxy '*' --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz" && return 0
    bind_failed kube-controller-manager || return 1
    log "kube-controller-manager port taken meanwhile, retrying with another port"
    stop_pids 5 kube-controller-manager || true
  done
  return 1
}

fail_start() {
  local name="$1"
  log "$name failed to start; last lines of $DIR/$name.log:"
  tail -n 25 "$DIR/$name.log" >&2 2> /dev/null || true
  cmd_stop || true
  exit 1
}

cmd_start() {
  local t0 name pid
  t0="$(now_ms)"
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  for name in "${COMPONENTS[@]}"; do
    pid="$(pid_of "$name")"
    if is_ours "$name" "$pid"; then die "$name is still running in $DIR (pid $pid): run '$0 stop $DIR' first"; fi
  done

  if [ -z "${K8S_BIN_DIR:-}" ]; then
    [ -f "$CACHE/k8s-bin-dir" ] || die "K8S_BIN_DIR unset and $CACHE/k8s-bin-dir missing: run scripts/setup/50-k8s.sh"
    K8S_BIN_DIR="$(head -n 1 "$CACHE/k8s-bin-dir")"
  fi
  ETCD_BIN="${ETCD_BIN:-$(command -v etcd || true)}"
  for b in "$K8S_BIN_DIR/kube-apiserver" "$K8S_BIN_DIR/kube-controller-manager" "$ETCD_BIN"; do
    [ -x "$b" ] || die "missing executable: ${b:-etcd} (run scripts/setup/50-k8s.sh)"
  done
  command -v curl > /dev/null || die "curl is needed"
  command -v openssl > /dev/null || die "openssl is needed"

  # Fresh state: remove only what a previous start wrote.
  rm -rf "$DIR/etcd-data" "$DIR/apiserver-certs" "$DIR/kcm-certs"
  rm -f "$DIR"/{etcd,kube-apiserver,kube-controller-manager,watchdog}.{pid,log} \
    "$DIR/cluster.env" "$DIR/kubeconfig" "$DIR/kubeconfig-noaccess" "$DIR/tokens.csv" "$DIR/admin-auth.header" "$DIR/sa.key" "$DIR/sa.pub"

  KUBE_TOKEN="$(random_token)"
  KUBE_NOACCESS_TOKEN="$(random_token)"
  {
    echo "$KUBE_TOKEN,admin,1,\"system:masters\""
    echo "$KUBE_NOACCESS_TOKEN,nobody,2"
  } > "$DIR/tokens.csv"
  # for curl -H @file: the token stays out of argv (visible to every local user in ps)
  echo "Authorization: Bearer $KUBE_TOKEN" > "$DIR/admin-auth.header"
  openssl genrsa -out "$DIR/sa.key" 2048 2> /dev/null
  openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2> /dev/null

  start_etcd || fail_start etcd
  local t_etcd; t_etcd="$(now_ms)"
  start_apiserver || fail_start kube-apiserver
  local t_api; t_api="$(now_ms)"
  KUBE_SERVER="https://127.0.0.1:$API_PORT"
  write_kubeconfig "$DIR/kubeconfig" "$KUBE_SERVER" admin "$KUBE_TOKEN"
  write_kubeconfig "$DIR/kubeconfig-noaccess" "$KUBE_SERVER" nobody "$KUBE_NOACCESS_TOKEN"
  start_kcm || fail_start kube-controller-manager
  local t_end; t_end="$(now_ms)"

  if [ -n "${CLUSTER_OWNER_PID:-}" ]; then
    is_alive "$CLUSTER_OWNER_PID" || { cmd_stop; die "CLUSTER_OWNER_PID $CLUSTER_OWNER_PID is not running"; }
    bash "$SCRIPT" watch "$DIR" "$CLUSTER_OWNER_PID" > "$DIR/watchdog.log" 2>&1 < /dev/null &
    echo $! > "$DIR/watchdog.pid"
  fi

  # Written last: its presence means the cluster is up.
  cat > "$DIR/cluster.env.tmp" <<EOF
KUBE_SERVER=$KUBE_SERVER
KUBE_TOKEN=$KUBE_TOKEN
KUBE_NOACCESS_TOKEN=$KUBE_NOACCESS_TOKEN
KUBECONFIG=$DIR/kubeconfig
KUBECONFIG_NOACCESS=$DIR/kubeconfig-noaccess
APISERVER_PORT=$API_PORT
ETCD_PORT=$ETCD_PORT
ETCD_ENDPOINT=http://127.0.0.1:$ETCD_PORT
KCM_PORT=$KCM_PORT
SERVICE_CIDR=$SERVICE_CIDR
K8S_BIN_DIR=$K8S_BIN_DIR
EOF
  mv "$DIR/cluster.env.tmp" "$DIR/cluster.env"
  log "started in $(( t_end - t0 )) ms (etcd $(( t_etcd - t0 )) ms, kube-apiserver $(( t_api - t_etcd )) ms, kube-controller-manager $(( t_end - t_api )) ms)"
  cat "$DIR/cluster.env"
}

# ---------------------------------------------------------------- main

[ $# -ge 2 ] || usage
CMD="$1"
DIR="$2"
case "$DIR" in /*) ;; *) DIR="$(pwd)/$DIR" ;; esac
case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  watch) [ $# -eq 3 ] || usage; cmd_watch "$3" ;;
  *) usage ;;
esac
