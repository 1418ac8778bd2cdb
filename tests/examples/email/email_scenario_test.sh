#!/usr/bin/env bash
# Runs examples/email/run on free ports in a temporary folder (junctiond
# stopped with STOP_SIGNAL and restarted midway, two MailService instances)
# and checks: exactly one mail per event in the outbox, both MailServices
# wrote mail, every service exited 0.
#   email_scenario_test.sh SOURCE_DIR BUILD_DIR [STOP_SIGNAL: TERM or KILL]
set -uo pipefail
source_dir="$1"
build_dir="$2"
stop_signal="${3:-TERM}"
events=15
work="$(mktemp -d /tmp/junction-email-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT

failures=0
check() {
  local what="$1"
  shift
  if "$@"; then
    echo "ok: $what"
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}

mapfile -t ports < <(/usr/bin/python3 -c '
import socket
sockets = [socket.socket() for _ in range(5)]
for s in sockets: s.bind(("127.0.0.1", 0))
for s in sockets: print(s.getsockname()[1])
')

output="$work/run.out"
EMAIL_WORK="$work/scenario" EMAIL_BUILD_DIR="$build_dir" EMAIL_SKIP_BUILD=1 \
  EMAIL_EVENTS=$events EMAIL_RATE=6 EMAIL_OUTAGE_S=3 EMAIL_STOP_SIGNAL=$stop_signal \
  EMAIL_KAFKA_PORT=${ports[0]} EMAIL_AMQP_PORT=${ports[1]} EMAIL_ZMQ_PORT=${ports[2]} \
  EMAIL_ZMQ_PUBLISH_PORT=${ports[3]} EMAIL_ZMQ_PULL_PORT=${ports[4]} \
  timeout 100 "$source_dir/examples/email/run" >"$output" 2>&1
run_status=$?
cat "$output"
echo "--- checks"

check "run exited 0 (was $run_status)" test "$run_status" -eq 0

outbox="$work/scenario/outbox"
expected="$(for ((n = 1; n <= events; ++n)); do printf 'member-%04d\norder-%04d\n' $n $n; done | sort)"
present="$(find "$outbox" -maxdepth 1 -name '*.eml' -printf '%f\n' | sed 's/\.eml$//' | sort)"
check "the outbox holds exactly one mail per event id" test "$present" = "$expected"
check "no half-written mail is left" test -z "$(find "$outbox" -name '*.tmp')"
mails_naming_their_event() {
  local mail
  for mail in "$outbox"/*.eml; do
    grep -qx "X-Event-Id: $(basename "$mail" .eml)" "$mail" || return 1
  done
}
check "each mail is for the event its name says" mails_naming_their_event

for instance in mail-1 mail-2; do
  written="$(grep -ho 'done: handled [0-9]* records, wrote [0-9]*' "$work/scenario/logs/$instance.log" |
    grep -o '[0-9]*$')"
  check "$instance wrote at least one mail (${written:-none})" test "${written:-0}" -ge 1
done
for service in member-service order-service mail-1 mail-2; do
  check "$service exited 0" grep -q "^$service .*(exit 0)$" "$output"
done
check "junctiond was stopped and started again" grep -q "junctiond is back" "$output"
check "a MailService rejoined the restarted broker" \
  grep -q "broker is back" "$work/scenario/logs/mail-1.log" "$work/scenario/logs/mail-2.log"

if ((failures)); then
  echo "--- junctiond log"
  cat "$work/scenario/logs/junctiond.log"
fi
exit $((failures > 0))
