// prezero-trace-dat FILE: writes every record of trace-cmd's trace.dat FILE (its top buffer and
// every instance buffer, merged by time) to prezero as the frames of trace_stream.h, using libtracecmd and libtraceevent: page and fault records as EVENT
// frames from their numeric fields, a record of an event prezero does not read as an OTHER frame
// (with --known-events), every other record as a line of `trace-cmd report -t` text for
// prezero's text parser.
//
// A separate process because libtracecmd can crash on a damaged file (a libFuzzer run crashed
// it in tracecmd_close within 11 inputs): prezero starts this helper, reads its output, and a
// crash here becomes a clear error there instead of taking prezero down.
//
// TEXT lines:  COMM-PID [CPU] SECONDS.NANOSECONDS: EVENT: FIELDS
//              CPU:N [M EVENTS DROPPED]   (or [EVENTS DROPPED] when the count is unknown)
// Exit:   0 done; 2 the file could not be opened (the reason on stderr); 3 write error; 4 the file
//         holds what prezero does not read (the reason on stderr).
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>
#include <event-parse.h>
#include <trace-seq.h>
#include "trace_render.h"

// Exported by libtracecmd (trace-input.c) though its 3.1 header does not declare them: the CPUs
// of one buffer (an instance's may differ from the top's), the file's trace clock, and its flags,
// of which TRACECMD_FL_IN_USECS (1 << 2, trace-cmd-private.h) says its times are nanoseconds
// (a local, global or mono clock, or x86-tsc with the TSC2NSEC option's conversion).
int tracecmd_cpus(struct tracecmd_input *handle);
const char *tracecmd_get_trace_clock(struct tracecmd_input *handle);
const char *tracecmd_get_cpustats(struct tracecmd_input *handle);
unsigned long long tracecmd_get_flags(struct tracecmd_input *handle);
#define PZ_TRACECMD_FL_IN_USECS (1 << 2)

/// A clock whose times are a count, not nanoseconds (the kernel's trace_clocks[] in_ns 0): its
/// name, else NULL. libtracecmd takes uptime for nanoseconds, but it counts jiffies.
static const char *counting_clock(struct tracecmd_input *handle) {
    const char *clock = tracecmd_get_trace_clock(handle);
    if (!clock) return NULL;
    if (strcmp(clock, "counter") == 0 || strcmp(clock, "uptime") == 0) return clock;
    if (strcmp(clock, "x86-tsc") == 0 && !(tracecmd_get_flags(handle) & PZ_TRACECMD_FL_IN_USECS)) return clock;
    return NULL;
}

/// The events each buffer's CPUs lost, as the kernel counted them when the file was written (the
/// CPUSTAT option `trace-cmd report --stat` prints: `overrun`, overwritten in the ring buffer,
/// `commit overrun` and `dropped events`, refused when it was full with overwrite off), for
/// buffer b (the top one, then each `Buffer: NAME` in order) and CPU c at lost[b * cpus + c].
/// Returns the buffers seen, 0 when the file has no stats.
static int stats_lost(struct tracecmd_input *top, unsigned long long *lost, int buffers, int cpus) {
    const char *stats = tracecmd_get_cpustats(top);
    if (!stats) return 0;
    int buffer = 0, cpu = -1;
    for (const char *line = stats; *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        unsigned long long value;
        int number;
        if (length > 8 && strncmp(line, "Buffer: ", 8) == 0) buffer++, cpu = -1;
        else if (sscanf(line, "CPU: %d", &number) == 1) cpu = number;
        else if (cpu >= 0 && cpu < cpus && buffer < buffers
                 && (sscanf(line, "overrun: %llu", &value) == 1 || sscanf(line, "commit overrun: %llu", &value) == 1
                     || sscanf(line, "dropped events: %llu", &value) == 1))
            lost[buffer * cpus + cpu] += value;
        line += length + (end ? 1 : 0);
    }
    return buffer + 1;
}

// A record's event and its task's comm, looked up once per id and pid: libtraceevent finds each
// by a binary search (over every event format of the file, and its saved cmdlines), which was a
// sixth of this helper's time. The events are fixed for the file; the comms are not quite: a
// plugin printing a record (sched_switch's registers the comms it prints) may add one, so the
// comms cached are forgotten whenever a record is printed through a plugin's handler
// (`pz_handler_prints`). A comm too long for a slot is not cached.
struct event_slot { int id; struct tep_event *event; };
static struct event_slot event_cache[1024];
static struct tep_event *event_of(struct tep_handle *tep, struct tep_record *record) {
    int id = tep_data_type(tep, record);
    struct event_slot *slot = &event_cache[(unsigned)id & 1023];
    if (slot->event && slot->id == id) return slot->event;
    struct tep_event *event = tep_find_event_by_record(tep, record);
    if (event) *slot = (struct event_slot){id, event};
    return event;
}
struct comm_slot { int pid; uint64_t generation; uint32_t id; char comm[64]; };
static struct comm_slot comm_cache[4096];
/// `pid`'s comm in its cache slot (valid while no handler printed since: generation), or NULL
/// and the comm in *uncached when it does not fit a slot (the kernel's are 15 bytes; a file's
/// saved cmdlines can hold longer ones).
static struct comm_slot *comm_of(struct tep_handle *tep, int pid, const char **uncached) {
    const uint64_t generation = pz_handler_prints + 1;  // 0: an empty slot
    struct comm_slot *slot = &comm_cache[(unsigned)pid * 2654435761u >> 20];
    if (slot->generation == generation && slot->pid == pid) return slot;
    const char *comm = tep_data_comm_from_pid(tep, pid);
    if (!comm) comm = "<...>";
    const size_t n = strlen(comm);
    if (n >= sizeof slot->comm) {
        *uncached = comm;
        return NULL;
    }
    memcpy(slot->comm, comm, n + 1);
    slot->pid = pid;
    slot->generation = generation;
    slot->id = 0;
    return slot;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--known-events") == 0) {
        pz_set_known_events(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: prezero-trace-dat [--known-events NAME,...] FILE\n");
        return 2;
    }
    tep_set_loglevel(TEP_LOG_NONE);
    tracecmd_set_loglevel(TEP_LOG_NONE);
    struct tracecmd_input *handle = tracecmd_open(argv[1], 0);
    if (!handle) {
        fprintf(stderr, "libtracecmd cannot open it\n");
        return 2;
    }
    const char *clock = counting_clock(handle);
    if (clock) {
        fprintf(stderr, "its trace_clock is %s, which counts %s, not nanoseconds, and prezero does not convert it; capture with trace_clock "
                        "local, global or mono (tools/capture-ftrace.sh does), or x86-tsc with trace-cmd record --tsc2nsec\n",
                clock, strcmp(clock, "x86-tsc") == 0 ? "cycles" : strcmp(clock, "uptime") == 0 ? "jiffies" : "events");
        return 4;
    }
    struct tep_handle *tep = tracecmd_get_tep(handle);
    struct trace_seq info;
    trace_seq_init(&info);

    // The top buffer and every instance buffer (`trace-cmd record -B NAME`), as `trace-cmd
    // report` reads them: the instances share the top's event formats and comms.
    int instances = tracecmd_buffer_instances(handle);
    if (instances < 0) instances = 0;
    struct tracecmd_input **handles = calloc((size_t)instances + 1, sizeof *handles);
    if (!handles) return 2;
    int handle_count = 0;
    handles[handle_count++] = handle;
    for (int i = 0; i < instances; i++) {
        struct tracecmd_input *instance = tracecmd_buffer_instance_handle(handle, i);
        if (!instance) {
            const char *name = tracecmd_buffer_instance_name(handle, i);
            fprintf(stderr, "libtracecmd cannot read its buffer instance %s\n", name ? name : "(unnamed)");
            return 2;
        }
        handles[handle_count++] = instance;
    }

    // The next record of every CPU of every buffer, each buffer with its own CPU count; the
    // earliest goes first, the top buffer's and the lower CPU's on a tie
    // (tracecmd_iterate_events_multi's order).
    size_t streams = 0;
    for (int h = 0; h < handle_count; h++) {
        int cpus = tracecmd_cpus(handles[h]);
        if (cpus > 0) streams += (size_t)cpus;
    }
    struct tep_record **next = calloc(streams + 1, sizeof *next);
    struct tracecmd_input **source_of = calloc(streams + 1, sizeof *source_of);
    int *cpu_of = calloc(streams + 1, sizeof *cpu_of);
    unsigned long long *missed = calloc(streams + 1, sizeof *missed);  // the drops records marked, by count
    int *cpu_id = calloc(streams + 1, sizeof *cpu_id);
    if (!next || !source_of || !cpu_of || !missed || !cpu_id) return 2;
    size_t k = 0;
    for (int h = 0; h < handle_count; h++) {
        for (int c = 0; c < tracecmd_cpus(handles[h]); c++, k++) {
            source_of[k] = handles[h];
            cpu_of[k] = c;
            next[k] = tracecmd_read_cpu_first(handles[h], c);
            cpu_id[k] = next[k] ? next[k]->cpu : c;
        }
    }
    // No progress on fd 3: a record's offset (in a version 7 file's decompressed sections) does not
    // say how much of the file is done, and libtracecmd does not say it otherwise.
    for (;;) {
        long stream = -1;
        for (size_t k = 0; k < streams; k++)
            if (next[k] && (stream < 0 || next[k]->ts < next[stream]->ts)) stream = (long)k;
        if (stream < 0) break;
        struct tracecmd_input *source = source_of[stream];
        const int cpu = cpu_of[stream];
        struct tep_record *record = next[stream];
        if (record->missed_events > 0) missed[stream] += (unsigned long long)record->missed_events;
        if (record->missed_events != 0) {
            pz_line_str("CPU:");
            pz_line_dec(record->cpu);
            pz_line_str(" [");
            if (record->missed_events > 0) {
                pz_line_dec(record->missed_events);
                pz_line_char(' ');
            }
            pz_line_str("EVENTS DROPPED]");
            pz_end_line();
        }
        struct tep_event *event = event_of(tep, record);
        if (event && pz_other_event(event, 0)) {
            tracecmd_free_record(record);
            next[stream] = tracecmd_read_data(source, cpu);
            continue;
        }
        int pid = tep_data_pid(tep, record);
        const char *long_comm = NULL;
        struct comm_slot *task = comm_of(tep, pid, &long_comm);
        const char *comm = task ? task->comm : long_comm;
        struct pz_frame_event frame;
        if (event && pid >= 0 && record->cpu >= 0 && pz_fast_event(tep, event, record, &frame)) {
            frame.cpu = (uint32_t)record->cpu;
            frame.pid = pid;
            if (task && !task->id) task->id = pz_string(comm, strlen(comm));
            frame.comm = task ? task->id : pz_string(comm, strlen(comm));
            frame.time_ns = record->ts;
            pz_out_event(&frame);
        } else {
            pz_line_str(comm);
            pz_line_char('-');
            pz_line_dec(pid);
            pz_line_str(" [");
            pz_line_dec(record->cpu);
            pz_line_str("] ");
            pz_line_time(record->ts);
            pz_line_str(": ");
            pz_line_str(event && event->name ? event->name : "unknown_event_id");
            pz_line_str(": ");
            if (event) pz_line_fields(tep, event, record, &info);
            pz_end_line();
        }
        tracecmd_free_record(record);
        next[stream] = tracecmd_read_data(source, cpu);
    }
    // What the kernel counted lost beyond the drops the records marked (a count the ring buffer
    // could not store, or none at all with overwrite off): one drop line a CPU, after the records.
    int most_cpus = 0;
    for (int h = 0; h < handle_count; h++) most_cpus = tracecmd_cpus(handles[h]) > most_cpus ? tracecmd_cpus(handles[h]) : most_cpus;
    unsigned long long *lost = most_cpus > 0 ? calloc((size_t)handle_count * (size_t)most_cpus, sizeof *lost) : NULL;
    if (lost && stats_lost(handle, lost, handle_count, most_cpus) > 0) {
        for (size_t k = 0; k < streams; k++) {
            int h = 0;
            while (h < handle_count && handles[h] != source_of[k]) h++;
            // The stats name CPUs by id, as records do: a stream's first record's cpu (its index
            // in the buffer otherwise).
            const int cpu = cpu_id[k];
            if (cpu < 0 || cpu >= most_cpus) continue;
            unsigned long long counted = lost[h * most_cpus + cpu];
            if (counted <= missed[k]) continue;
            pz_line_str("CPU:");
            pz_line_dec(cpu);
            pz_line_str(" [");
            pz_line_udec(counted - missed[k]);
            pz_line_str(" EVENTS DROPPED]");
            pz_end_line();
        }
    }
    free(lost);
    free(missed);
    free(cpu_id);
    trace_seq_destroy(&info);
    free(next);
    free(source_of);
    free(cpu_of);
    for (int i = handle_count - 1; i >= 0; i--) tracecmd_close(handles[i]);
    free(handles);
    if (pz_out_flush() != 0) {
        fprintf(stderr, "write error: %s\n", strerror(errno));
        return 3;
    }
    return 0;
}
