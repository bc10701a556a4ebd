#!/usr/bin/env bats
# The Kubernetes RuntimeClass path without a kubelet: containerd's CRI plugin
# with the runtime handler "reg" of contrib/containerd/config.toml (pointed at
# the runtime under test), driven through the CRI API by cri.py as the kubelet
# would for a pod with runtimeClassName "reg" (contrib/kubernetes/
# runtimeclass.yaml): RunPodSandbox, CreateContainer, StartContainer,
# ExecSync, UpdateContainerResources, StopContainer, RemovePodSandbox.
# The pod uses the host network (no CNI configuration needed).

load helpers
bats_require_minimum_version 1.5.0

CRI_NS=k8s.io

setup_file () {
  command -v containerd > /dev/null || skip "containerd not installed (contrib/install-client-deps.sh)"
  command -v podman > /dev/null || skip "podman not installed: the images are built with it (contrib/install-client-deps.sh)"
  command -v protoc > /dev/null || skip "protoc not installed (contrib/install-client-deps.sh)"
  /usr/bin/python3 -c 'import grpc' 2> /dev/null || skip "python3-grpcio not installed (contrib/install-client-deps.sh)"
  [ -x "$REG_RUNC" ] || skip "runtime under test not built: $REG_RUNC"
  write_podman_conf
  make_images
  cgroup_dirs_of reg-test-cri > "$BATS_FILE_TMPDIR/had-cgroups"
  [ -e /run/containerd ] && echo 1 > "$BATS_FILE_TMPDIR/had-run-containerd" || true
  start_containerd
  echo "$CTRD_DIR" > "$BATS_FILE_TMPDIR/ctrd-dir"
  make_images --containerd "$CTRD_DIR/containerd.sock" "$CRI_NS"
}

setup () {
  CTRD_DIR=$(cat "$BATS_FILE_TMPDIR/ctrd-dir")
  # The handler's Root (the shim adds the namespace)
  RT_ROOT=$CTRD_DIR/reg-root/$CRI_NS
  mkdir -p "$CTRD_DIR/logs"
}

teardown () {
  local id
  for id in $(cat "$BATS_FILE_TMPDIR/pods" 2>/dev/null); do
    cri StopPodSandbox "{\"pod_sandbox_id\": \"$id\"}" > /dev/null 2>&1 || true
    cri RemovePodSandbox "{\"pod_sandbox_id\": \"$id\"}" > /dev/null 2>&1 || true
  done
  rm -f "$BATS_FILE_TMPDIR/pods"
}

teardown_file () {
  if [ ! -s "$BATS_FILE_TMPDIR/ctrd-dir" ]; then return 0; fi
  CTRD_DIR=$(cat "$BATS_FILE_TMPDIR/ctrd-dir")
  ctr_cleanup_namespace "$CRI_NS"
  stop_containerd
  local d left=()
  for d in $(cgroup_dirs_of reg-test-cri); do
    grep -qx "$d" "$BATS_FILE_TMPDIR/had-cgroups" || left+=("$d")
  done
  remove_empty_cgroups "${left[@]}"
  if [ ! -s "$BATS_FILE_TMPDIR/had-run-containerd" ] && [ -d /run/containerd ]; then
    find /run/containerd -depth -type d -empty -delete 2>/dev/null || true
  fi
}

cri () {
  timeout "$CMD_TIMEOUT" /usr/bin/python3 "$CLIENTS_DIR/cri.py" "$CTRD_DIR/containerd.sock" "$@"
}

# The sandbox config of the test pod (host network, a cgroup parent the
# teardown can find, REG annotation passed through pod_annotations).
pod_config () {
  cat <<EOJ
{"metadata": {"name": "$1", "uid": "uid-$1", "namespace": "reg-test", "attempt": 0},
 "log_directory": "$CTRD_DIR/logs",
 "annotations": {"run.reg.mode": "share"},
 "linux": {"cgroup_parent": "/reg-test-cri",
           "security_context": {"namespace_options": {"network": "NODE"}}}}
EOJ
}

# run_pod NAME: RunPodSandbox with handler "reg"; sets POD_ID.
run_pod () {
  run cri RunPodSandbox "{\"config\": $(pod_config "$1"), \"runtime_handler\": \"reg\"}"
  [ "$status" -eq 0 ] || fail "RunPodSandbox"
  POD_ID=$(echo "$output" | jq -r .pod_sandbox_id)
  echo "$POD_ID" >> "$BATS_FILE_TMPDIR/pods"
}

# create_container POD NAME MEMORY ARGS-JSON: sets CTR_ID.
create_container () {
  local req
  req=$(cat <<EOJ
{"pod_sandbox_id": "$POD_ID",
 "config": {"metadata": {"name": "$1"},
            "image": {"image": "$BUSYBOX_IMAGE"},
            "command": $3,
            "log_path": "$1.log",
            "linux": {"resources": {"memory_limit_in_bytes": $2}}},
 "sandbox_config": $(pod_config "$POD_NAME")}
EOJ
)
  run cri CreateContainer "$req"
  [ "$status" -eq 0 ] || fail "CreateContainer"
  CTR_ID=$(echo "$output" | jq -r .container_id)
}

ctr_state () {
  cri ContainerStatus "{\"container_id\": \"$1\"}" | jq -r .status.state
}

exec_sync () {
  local id=$1; shift
  cri ExecSync "{\"container_id\": \"$id\", \"cmd\": $(printf '%s\n' "$@" | jq -R . | jq -sc .), \"timeout\": 30}"
}

@test "cri: the CRI plugin answers" {
  run cri Version '{"version": "v1"}'
  [ "$status" -eq 0 ] || fail "Version"
  [ "$(echo "$output" | jq -r .runtime_name)" = containerd ] || fail "not containerd"
}

@test "cri: a pod with runtime handler reg runs its sandbox through the runtime under test" {
  POD_NAME=regt-pod1
  run_pod "$POD_NAME"
  [ -d "$RT_ROOT/$POD_ID" ] || fail "sandbox $POD_ID not in the handler's Root $RT_ROOT: not run by $REG_RUNC"
  # the pod annotation reached the sandbox's config.json (pod_annotations)
  local bundle=$CTRD_DIR/state/io.containerd.runtime.v2.task/$CRI_NS/$POD_ID
  [ "$(jq -r '.annotations["run.reg.mode"]' "$bundle/config.json")" = share ] || fail "run.reg.mode not passed to the runtime"
  run cri StopPodSandbox "{\"pod_sandbox_id\": \"$POD_ID\"}"
  [ "$status" -eq 0 ] || fail "StopPodSandbox"
  run cri RemovePodSandbox "{\"pod_sandbox_id\": \"$POD_ID\"}"
  [ "$status" -eq 0 ] || fail "RemovePodSandbox"
  [ ! -e "$RT_ROOT/$POD_ID" ] || fail "runtime state left after RemovePodSandbox"
}

@test "cri: container lifecycle in a reg pod: create, start, status, stop, remove" {
  POD_NAME=regt-pod2
  run_pod "$POD_NAME"
  create_container app 67108864 '["sh", "-c", "echo started; trap \"exit 0\" TERM; while :; do sleep 0.1; done"]'
  # (the CRI plugin creates the task, and so calls the runtime, at start)
  run cri StartContainer "{\"container_id\": \"$CTR_ID\"}"
  [ "$status" -eq 0 ] || fail "StartContainer"
  [ -d "$RT_ROOT/$CTR_ID" ] || fail "container not run by the runtime under test"
  [ "$(ctr_state "$CTR_ID")" = CONTAINER_RUNNING ] || fail "not running"
  sleep 0.5
  grep -q started "$CTRD_DIR/logs/app.log" || fail "no output in the container log"
  run cri StopContainer "{\"container_id\": \"$CTR_ID\", \"timeout\": 10}"
  [ "$status" -eq 0 ] || fail "StopContainer"
  run cri ContainerStatus "{\"container_id\": \"$CTR_ID\"}"
  [ "$(echo "$output" | jq -r .status.state)" = CONTAINER_EXITED ] || fail "not exited"
  [ "$(echo "$output" | jq -r .status.exit_code)" = 0 ] || fail "SIGTERM not delivered (exit code)"
  run cri RemoveContainer "{\"container_id\": \"$CTR_ID\"}"
  [ "$status" -eq 0 ] || fail "RemoveContainer"
  [ ! -e "$RT_ROOT/$CTR_ID" ] || fail "runtime state left after RemoveContainer"
}

@test "cri: ExecSync and UpdateContainerResources in a reg pod" {
  POD_NAME=regt-pod3
  run_pod "$POD_NAME"
  create_container app 67108864 '["sleep", "1000"]'
  cri StartContainer "{\"container_id\": \"$CTR_ID\"}"
  run exec_sync "$CTR_ID" sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 0 ] || fail "ExecSync"
  [ "$(echo "$output" | jq -r .stdout)" = "out" ] || fail "stdout"
  [ "$(echo "$output" | jq -r .stderr)" = "err" ] || fail "stderr"
  [ "$(echo "$output" | jq -r .exit_code)" = 3 ] || fail "exit code"
  local limit
  limit=$(cg_path_script memory memory.limit_in_bytes memory.max)
  run exec_sync "$CTR_ID" sh -c "$limit"
  [ "$(echo "$output" | jq -r .stdout)" = 67108864 ] || fail "memory limit inside"
  run cri UpdateContainerResources "{\"container_id\": \"$CTR_ID\", \"linux\": {\"memory_limit_in_bytes\": 134217728}}"
  [ "$status" -eq 0 ] || fail "UpdateContainerResources"
  run exec_sync "$CTR_ID" sh -c "$limit"
  [ "$(echo "$output" | jq -r .stdout)" = 134217728 ] || fail "memory limit after update"
}
