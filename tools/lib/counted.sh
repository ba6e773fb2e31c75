#!/usr/bin/env bash
# counted.sh DIR COMMAND...: runs COMMAND in a child process with the kernel's own counters
# (metadata.sh kernel_counters) read just before its fork and just after its exit, into
# DIR/counters.before and DIR/counters.after, the two times into DIR/counters.window, the
# child's pid into DIR/counters.pid and this process's into DIR/counters.reader. A capture runs its command through this inside the
# recording, so `prezero stat` sets the counters beside the trace's events of the same span:
# those from that pid's fork to its exit happened between the readings, and those between the
# readings happened before this process's exit. Nothing here starts a process but the child.
# Exits with COMMAND's status.
set -u
dir=$1
shift
. "${0%/*}/metadata.sh"
echo $$ > "$dir/counters.reader"
kernel_counters "$dir/counters.before"
start=${EPOCHREALTIME:-0}
status=0
bash -c 'echo $$ > "$0"; exec "$@"' "$dir/counters.pid" "$@" || status=$?
end=${EPOCHREALTIME:-0}
kernel_counters "$dir/counters.after"
echo "$start $end" > "$dir/counters.window"
exit $status
