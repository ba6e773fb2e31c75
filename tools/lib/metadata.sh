# Shared by the capture scripts: writes the machine snapshot sidecar NAME.meta.json.
# Pure bash + coreutils + sed/awk, so it runs on machines without python.

json_escape() {
    # stdin -> a JSON string body (no surrounding quotes)
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/\r//g' | awk 'BEGIN{ORS=""} {if (NR>1) print "\\n"; print}'
}

json_string() { printf '"%s"' "$(printf '%s' "$1" | json_escape)"; }

json_file() {
    if [ -r "$1" ]; then printf '"%s"' "$(json_escape < "$1")"; else printf 'null'; fi
}

# Prints the caches of cpu0 as a JSON array.
json_caches() {
    local first=1 dir size unit bytes
    printf '['
    for dir in /sys/devices/system/cpu/cpu0/cache/index*; do
        [ -r "$dir/size" ] || continue
        size=$(cat "$dir/size")
        bytes=${size%[KMG]}
        unit=${size#"$bytes"}
        case "$unit" in K) bytes=$((bytes * 1024));; M) bytes=$((bytes * 1048576));; G) bytes=$((bytes * 1073741824));; esac
        [ $first = 1 ] || printf ','
        first=0
        printf '{"level":%s,"type":%s,"size_bytes":%s,"line_bytes":%s,"ways":%s,"shared_cpus":%s}' \
            "$(cat "$dir/level")" "$(json_string "$(cat "$dir/type")")" "$bytes" \
            "$(cat "$dir/coherency_line_size" 2>/dev/null || echo null)" \
            "$(cat "$dir/ways_of_associativity" 2>/dev/null || echo null)" \
            "$(json_string "$(cat "$dir/shared_cpu_list" 2>/dev/null)")"
    done
    printf ']'
}

# write_metadata OUT TOOL TRACE_FORMAT EVENTS_CSV DURATION_S EXTRA_JSON_FIELDS COMMAND...
# EXTRA_JSON_FIELDS is inserted verbatim (either empty or ',"key":value...').
write_metadata() {
    local out=$1 tool=$2 format=$3 events=$4 duration=$5 extra=$6
    shift 6
    local tracefs=${TRACEFS:-/sys/kernel/tracing}   # TRACEFS: set by require_tracefs (tracefs.sh)
    [ -d "$tracefs/events" ] || tracefs=/sys/kernel/debug/tracing
    local fmt=""
    [ -r "$tracefs/events/kmem/mm_page_alloc/format" ] && fmt=$(grep '^print fmt' "$tracefs/events/kmem/mm_page_alloc/format")
    local cmd_json="[" arg first=1
    for arg in "$@"; do
        [ $first = 1 ] || cmd_json+=","
        first=0
        cmd_json+=$(json_string "$arg")
    done
    cmd_json+="]"
    local events_json="[" e
    first=1
    for e in ${events//,/ }; do
        [ $first = 1 ] || events_json+=","
        first=0
        events_json+=$(json_string "$e")
    done
    events_json+="]"
    {
        printf '{\n'
        printf '  "format_version": 1,\n'
        printf '  "tool": %s,\n' "$(json_string "$tool")"
        printf '  "captured_at": %s,\n' "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
        printf '  "command": %s,\n' "$cmd_json"
        printf '  "trace_format": %s,\n' "$(json_string "$format")"
        printf '  "kernel_release": %s,\n' "$(json_string "$(uname -r)")"
        printf '  "machine": %s,\n' "$(json_string "$(uname -m)")"
        printf '  "page_size": %s,\n' "$(getconf PAGESIZE)"
        printf '  "cpus": %s,\n' "$(nproc --all)"
        printf '  "cpu_model": %s,\n' "$(json_string "$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)")"
        printf '  "mem_total_kb": %s,\n' "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
        printf '  "duration_seconds": %s,\n' "$duration"
        printf '  "events": %s,\n' "$events_json"
        printf '  "caches": %s,\n' "$(json_caches)"
        printf '  "mm_page_alloc_format": %s,\n' "$(json_string "$fmt")"
        printf '  "buddyinfo": %s,\n' "$(json_file "${BUDDYINFO_SNAPSHOT:-/proc/buddyinfo}")"
        printf '  "zoneinfo": %s' "$(json_file "${ZONEINFO_SNAPSHOT:-/proc/zoneinfo}")"
        printf '%s\n}\n' "$extra"
    } > "$out.tmp" && mv "$out.tmp" "$out"
}
