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

# The selected word of a sysfs choice file ("always [madvise] never" -> madvise), as JSON.
json_choice() {
    if [ -r "$1" ]; then json_string "$(sed -n 's/.*\[\(.*\)\].*/\1/p' "$1")"; else printf 'null'; fi
}

# hugetlb_pool_pages: the pages the hugetlb pool can hand out now, every size, overcommit
# included (a capture records it at its start in HUGETLB_POOL_AT_START, and the pool at its end).
hugetlb_pool_pages() {
    local total=0 f
    for f in /sys/kernel/mm/hugepages/hugepages-*kB/nr_hugepages /sys/kernel/mm/hugepages/hugepages-*kB/nr_overcommit_hugepages; do
        [ -r "$f" ] && total=$((total + $(cat "$f")))
    done
    echo "$total"
}

# Free page reporting (mm/page_reporting.c): whether a VM's balloon device takes the free blocks
# of page_reporting_order and up back to the host, which refaults them on their next touch.
# virtio_balloon offers it as feature bit 5 (VIRTIO_BALLOON_F_REPORTING), the features file
# one character a bit, bit 0 first. page_reporting_order reads -1 until a device registers, so
# an order of 0 or more says one did: hv_balloon (Hyper-V) where its driver is bound, else a
# device not named here. Three JSON fields, each line ending in a comma: the device ("none"
# when none registered), the order (null without a device), and every readable file of the
# module's parameters as strings (a vendor's kernel may add its own: this project's Zen 4 guest
# has free_bitmap_enable, min_free_ms, max_waiting_mib and counters). SYSFS_ROOT: /sys (tests).
json_free_page_reporting() {
    local sys=${SYSFS_ROOT:-/sys} features device=none order=null file first=1
    local params="$sys/module/page_reporting/parameters"
    for features in "$sys"/bus/virtio/drivers/virtio_balloon/virtio*/features; do
        [ -r "$features" ] || continue
        [ "$(cut -c6 "$features")" = 1 ] && device=virtio_balloon
    done
    local read_order
    read_order=$(cat "$params/page_reporting_order" 2>/dev/null || true)
    case "$read_order" in ''|*[!0-9]*) read_order="";; esac
    if [ "$device" = none ] && [ -n "$read_order" ]; then
        if [ -d "$sys/bus/vmbus/drivers/hv_balloon" ]; then device=hv_balloon; else device=unknown; fi
    fi
    [ "$device" = none ] || order=${read_order:-null}
    printf '  "free_page_reporting": %s,\n' "$(json_string "$device")"
    printf '  "free_page_reporting_order": %s,\n' "$order"
    printf '  "free_page_reporting_parameters": {'
    for file in "$params"/*; do
        [ -f "$file" ] && [ -r "$file" ] || continue
        [ $first = 1 ] || printf ','
        first=0
        printf '%s: %s' "$(json_string "$(basename "$file")")" "$(json_string "$(cat "$file" 2>/dev/null)")"
    done
    printf '},\n'
}

# What decides how the kernel zero-fills an anonymous fault: THP and mTHP settings, the hugetlb
# pool (nr_hugepages and nr_overcommit_hugepages per size: with none, no fault is a hugetlb
# fault), the command line, and init_on_alloc / init_on_free from the boot log's "mem auto-init:" line (the state the
# kernel chose from its config and command line), as JSON fields, each line ending in a comma.
json_kernel_settings() {
    local thp=/sys/kernel/mm/transparent_hugepage dir first=1 auto alloc=null free=null
    printf '  "thp_enabled": %s,\n' "$(json_choice "$thp/enabled")"
    printf '  "thp_defrag": %s,\n' "$(json_choice "$thp/defrag")"
    printf '  "hpage_pmd_size": %s,\n' "$(cat "$thp/hpage_pmd_size" 2>/dev/null || echo null)"
    printf '  "mthp_enabled": {'
    for dir in "$thp"/hugepages-*kB; do
        [ -r "$dir/enabled" ] || continue
        [ $first = 1 ] || printf ','
        first=0
        printf '%s: %s' "$(json_string "$(basename "$dir")")" "$(json_choice "$dir/enabled")"
    done
    printf '},\n'
    local key
    for key in nr_hugepages nr_overcommit_hugepages; do
        printf '  "hugetlb_%s": {' "${key#nr_}"
        first=1
        for dir in /sys/kernel/mm/hugepages/hugepages-*kB; do
            [ -r "$dir/$key" ] || continue
            [ $first = 1 ] || printf ','
            first=0
            printf '%s: %s' "$(json_string "$(basename "$dir")")" "$(cat "$dir/$key")"
        done
        printf '},\n'
    done
    printf '  "hugetlb_pool_pages_at_start": %s,\n' "${HUGETLB_POOL_AT_START:-null}"
    json_free_page_reporting
    printf '  "kernel_cmdline": %s,\n' "$(json_file /proc/cmdline)"
    # The state line only: under init_on_free the kernel prints a second "mem auto-init:" line
    # ("clearing system memory may take some time...", mm/mm_init.c report_meminit).
    auto=$(dmesg 2>/dev/null | sed -n 's/.*mem auto-init: \(stack:.*\)/\1/p' | tail -1)
    case "$auto" in *"heap alloc:on"*) alloc=true;; *"heap alloc:off"*) alloc=false;; esac
    case "$auto" in *"heap free:on"*) free=true;; *"heap free:off"*) free=false;; esac
    local from=null config
    if [ -z "$auto" ]; then
        # No boot log line (dmesg restricted, or rotated away on a long-running machine): the
        # command line says it when it sets them, else the kernel's config gives the default
        # (CONFIG_INIT_ON_ALLOC_DEFAULT_ON, CONFIG_INIT_ON_FREE_DEFAULT_ON; mm/mm_init.c).
        for config in /proc/config.gz "/boot/config-$(uname -r)"; do
            [ -r "$config" ] || continue
            local text
            case "$config" in *.gz) text=$(zcat "$config" 2>/dev/null) ;; *) text=$(cat "$config") ;; esac
            case "$text" in *CONFIG_INIT_ON_ALLOC_DEFAULT_ON=y*) alloc=true;; *) alloc=false;; esac
            case "$text" in *CONFIG_INIT_ON_FREE_DEFAULT_ON=y*) free=true;; *) free=false;; esac
            from="the defaults of $config"
            break
        done
        # The kernel's own parameters: those before a "--" (the rest are init's); kstrtobool's
        # spellings (1/0, y/n, t/f, on/off, any case), the last one given winning.
        local word
        for word in $(sed 's/ -- .*//' /proc/cmdline 2>/dev/null); do
            case "$word" in
                init_on_alloc=[1yYtT]*|init_on_alloc=[oO][nN]*) alloc=true ;;
                init_on_alloc=[0nNfF]*|init_on_alloc=[oO][fF]*) alloc=false ;;
                init_on_free=[1yYtT]*|init_on_free=[oO][nN]*) free=true ;;
                init_on_free=[0nNfF]*|init_on_free=[oO][fF]*) free=false ;;
                *) continue ;;
            esac
            case "$from" in null) from="the kernel command line" ;; "the kernel command line"*) ;; *) from="the kernel command line over $from" ;; esac
        done
        [ "$from" = null ] || from=$(json_string "$from")
        printf '  "mem_auto_init": null,\n'
    else
        from=$(json_string "the boot log")
        printf '  "mem_auto_init": %s,\n' "$(json_string "$auto")"
    fi
    printf '  "init_settings_from": %s,\n' "$from"
    printf '  "init_on_alloc": %s,\n  "init_on_free": %s,\n' "$alloc" "$free"
}

# kernel_counters FILE: the kernel's own event counters now, one "name value" line each: the
# /proc/vmstat counts `prezero stat` checks its own against (faults, pages allocated and freed,
# THP faults and their fallbacks) and each mTHP size's (hugepages-NkB/stats). Shell builtins
# only: counted.sh reads them inside a recording, where a process started here would be traced
# and counted on one side of the readings only. write_metadata takes them from KERNEL_COUNTERS_DIR.
kernel_counters() {
    local name value f size
    {
        while read -r name value; do
            case "$name" in
                pgfault|pgalloc_*|pgfree|thp_fault_alloc|thp_fault_fallback|thp_fault_fallback_charge|thp_file_alloc|thp_file_fallback_charge|thp_collapse_alloc)
                    printf '%s %s\n' "$name" "$value" ;;
            esac
        done < /proc/vmstat
        for f in /sys/kernel/mm/transparent_hugepage/hugepages-*kB/stats/{anon_fault_alloc,anon_fault_fallback,anon_fault_fallback_charge,shmem_alloc,shmem_fallback_charge,swpin}; do
            [ -r "$f" ] && read -r value < "$f" || continue
            size=${f#/sys/kernel/mm/transparent_hugepage/}
            printf '%s/%s %s\n' "${size%%/*}" "${f##*/}" "$value"
        done
    } > "$1" 2>/dev/null || true
}

# json_kernel_counters DIR: the "kernel_counters" field from counted.sh's files in DIR (each
# counter's rise from counters.before to counters.after, the seconds between, the pid they
# bracket and the reader's), ending in a comma; nothing without both readings.
json_kernel_counters() {
    local dir=$1 seconds=null
    [ -n "$dir" ] && [ -s "$dir/counters.before" ] && [ -s "$dir/counters.after" ] || return 0
    [ -s "$dir/counters.window" ] && seconds=$(awk '{ printf "%.3f", $2 - $1 }' "$dir/counters.window")
    printf '  "kernel_counters": {"scope": "system-wide", "pid": %s, "reader_pid": %s, "window_seconds": %s, "rise": {' \
        "$(cat "$dir/counters.pid" 2>/dev/null || echo null)" "$(cat "$dir/counters.reader" 2>/dev/null || echo null)" "$seconds"
    awk 'NR == FNR { before[$1] = $2; next }
        ($1 in before) && $2 ~ /^[0-9]+$/ && $2 >= before[$1] { printf "%s\"%s\": %.0f", (n++ ? ", " : ""), $1, $2 - before[$1] }' \
        "$dir/counters.before" "$dir/counters.after"
    printf '}},\n'
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
        printf '  "load_average": %s,\n' "$(awk '{print $1}' "${LOADAVG_SNAPSHOT:-/proc/loadavg}")"
        printf '  "duration_seconds": %s,\n' "$duration"
        printf '  "events": %s,\n' "$events_json"
        printf '  "caches": %s,\n' "$(json_caches)"
        printf '  "mm_page_alloc_format": %s,\n' "$(json_string "$fmt")"
        json_kernel_settings
        json_kernel_counters "${KERNEL_COUNTERS_DIR:-}"
        printf '  "buddyinfo": %s,\n' "$(json_file "${BUDDYINFO_SNAPSHOT:-/proc/buddyinfo}")"
        printf '  "zoneinfo": %s' "$(json_file "${ZONEINFO_SNAPSHOT:-/proc/zoneinfo}")"
        printf '%s\n}\n' "$extra"
    } > "$out.tmp" && mv "$out.tmp" "$out"
}
