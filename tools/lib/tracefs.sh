# Shared by capture-perf.sh and capture-ftrace.sh: find tracefs (mounting it when root) and list
# the tracepoints prezero uses. PREZERO_TRACEFS names the one tracefs directory to use instead of
# /sys/kernel/tracing and /sys/kernel/debug/tracing (a tracefs mounted elsewhere; tests).

# Is DIR a tracefs mount point? A non-root user cannot look inside a mounted tracefs (mode 700),
# so "no events/ directory" alone does not mean "not mounted".
tracefs_mounted_at() {
    awk -v d="$1" '$2 == d && $3 == "tracefs" {found = 1} END {exit !found}' /proc/self/mounts
}

# require_tracefs TOOL: sets TRACEFS to a readable tracefs, mounting it first when root.
# Otherwise prints the command to run and exits 1, before anything is recorded: without tracefs
# every tracepoint looks absent and perf would quietly record cpu-clock samples instead.
require_tracefs() {
    local tool=$1 dir target=${PREZERO_TRACEFS:-/sys/kernel/tracing} err=""
    for dir in ${PREZERO_TRACEFS:-/sys/kernel/tracing /sys/kernel/debug/tracing}; do
        if [ -d "$dir/events" ]; then TRACEFS=$dir; return 0; fi
        if tracefs_mounted_at "$dir"; then
            echo "$tool: tracefs at $dir is not readable by $(id -un); run this tool as root (sudo $0 ...)" >&2
            exit 1
        fi
    done
    if [ "$(id -u)" = 0 ]; then
        if err=$(mount -t tracefs nodev "$target" 2>&1) && [ -d "$target/events" ]; then
            echo "prezero: mounted tracefs at $target" >&2
            TRACEFS=$target
            return 0
        fi
        echo "$tool: tracefs is not mounted and mounting it at $target failed${err:+: ${err%%$'\n'*}}" >&2   # mount's first line says why
        echo "$tool: mount it with \`mount -t tracefs nodev $target\` (as root), then run this again" >&2
    else
        echo "$tool: tracefs is not mounted, and only root can mount it" >&2
        echo "$tool: run this tool as root (sudo $0 ...), which mounts it, or first run \`sudo mount -t tracefs nodev $target\`" >&2
    fi
    exit 1
}

# without_events LIST NAME...: LIST (comma-separated) without the events whose names contain a NAME.
without_events() {
    local list=$1; shift
    local args=() n
    for n in "$@"; do args+=(-e "$n"); done
    printf '%s' "$list" | tr ',' '\n' | { grep -v "${args[@]}" || true; } | paste -sd, -
}

# available_events TOOL: the events prezero uses that this kernel has, comma-separated (after
# require_tracefs). The page events are required: a trace without them is useless to prezero,
# so their absence is an error (return 1), while a missing optional event is a note.
# kmem:rss_stat (one per fault that maps a page, and at unmap) says what a first write mapped:
# shmem, a cached file page, or nothing (hugetlb).
available_events() {
    local tool=$1 wanted e list="" missing=""
    wanted="kmem:mm_page_alloc kmem:mm_page_free kmem:mm_page_free_batched kmem:mm_page_alloc_zone_locked
            kmem:mm_page_pcpu_drain exceptions:page_fault_user exceptions:page_fault_kernel sched:sched_switch
            sched:sched_process_exec sched:sched_process_fork sched:sched_process_exit kmem:rss_stat"
    for e in $wanted; do
        if [ -d "$TRACEFS/events/${e%%:*}/${e#*:}" ]; then
            list+="${list:+,}$e"
        elif [ "$e" = kmem:mm_page_alloc ] || [ "$e" = kmem:mm_page_free ]; then
            missing+="${missing:+ }$e"
        else
            echo "note: tracepoint $e not on this kernel; skipped" >&2
        fi
    done
    if [ -n "$missing" ]; then
        echo "$tool: required tracepoint(s) $missing not in $TRACEFS/events; this kernel cannot be traced for prezero" >&2
        return 1
    fi
    printf '%s' "$list"
}
