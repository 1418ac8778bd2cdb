#!/usr/bin/env bash
# Installs Junction into a temporary prefix, builds the custom-transport
# example out of tree with find_package(Junction), loads it into the installed
# junctiond by name and by path, publishes through it with the line protocol
# and reads the record back with kcat through the installed Kafka transport.
#   install_sdk_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
source_dir="$1"
build_dir="$2"
work="$(mktemp -d)"
broker_pid=""
cleanup() {
  [[ -n "$broker_pid" ]] && kill -9 "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/broker.log" ]] && cat "$work/broker.log" >&2; exit 1; }

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
for f in bin/junctiond lib/libjunction_core.so include/junction/kernel.hpp \
         lib/cmake/Junction/JunctionConfig.cmake lib/junction/plugins/junction_memory.so \
         lib/junction/plugins/junction_kafka.so; do
  [[ -e "$work/prefix/$f" ]] || fail "cmake --install did not install $f"
done

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$source_dir/examples/custom-transport" -B "$work/line" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >/dev/null || fail "configure against the SDK"
cmake --build "$work/line" >/dev/null || fail "build against the SDK"
[[ -f "$work/line/junction_line.so" ]] || fail "no junction_line.so"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts the installed junctiond with PLUGIN_LINE, publishes one record with
# the line protocol and consumes it with kcat.
round_trip() {
  local plugin_line="$1" port kafka_port
  port="$(free_port)"
  kafka_port="$(free_port)"
  [[ "$kafka_port" != "$port" ]] || kafka_port="$(free_port)"
  cat > "$work/broker.toml" <<TOML
[broker]
data_dir = "data-$port"
plugin_path = ["$work/line"]
[[transport]]
$plugin_line
listen = "127.0.0.1:$port"
[[transport]]
plugin = "kafka"
listen = "127.0.0.1:$kafka_port"
TOML
  "$work/prefix/bin/junctiond" --config "$work/broker.toml" 2>"$work/broker.log" &
  broker_pid=$!
  for _ in $(seq 200); do grep -q "ready (config:" "$work/broker.log" && break; sleep 0.05; done
  grep -q "ready (config:" "$work/broker.log" || fail "junctiond did not start with $plugin_line"
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'PUB installed hello\n' >&3
  local reply
  read -r -t 10 reply <&3 || fail "no reply from the line transport"
  exec 3>&-
  [[ "$reply" == "OK 0 0" ]] || fail "expected 'OK 0 0', got '$reply'"
  local consumed
  consumed="$(timeout 20 kcat -b "127.0.0.1:$kafka_port" -C -t installed -o beginning -c 1 -e \
    -f '%s\n' -X socket.timeout.ms=5000 2>"$work/kcat.log")" || fail "kcat: $(cat "$work/kcat.log")"
  [[ "$consumed" == "hello" ]] || fail "kcat read '$consumed', expected 'hello'"
  kill -TERM "$broker_pid"
  wait "$broker_pid" || fail "junctiond did not exit cleanly"
  broker_pid=""
}

round_trip 'plugin = "line"'
round_trip "plugin = \"$work/line/junction_line.so\""
echo "install_sdk_test: ok"
