// prezero-trace-dat FILE: prints every record of trace-cmd's trace.dat FILE as a line of
// `trace-cmd report -t` text, for prezero's text parser, using libtracecmd and libtraceevent.
//
// A separate process because libtracecmd can crash on a damaged file (a libFuzzer run crashed
// it in tracecmd_close within 11 inputs): prezero starts this helper, reads its output, and a
// crash here becomes a clear error there instead of taking prezero down.
//
// Lines:  COMM-PID [CPU] SECONDS.NANOSECONDS: EVENT: FIELDS
//         CPU:N [M EVENTS DROPPED]   (or [EVENTS DROPPED] when the count is unknown)
// Exit:   0 done; 2 the file could not be opened (the reason on stderr); 3 write error.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>
#include <event-parse.h>
#include <trace-seq.h>
#include "trace_render.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: prezero-trace-dat FILE\n");
        return 2;
    }
    tep_set_loglevel(TEP_LOG_NONE);
    tracecmd_set_loglevel(TEP_LOG_NONE);
    struct tracecmd_input *handle = tracecmd_open(argv[1], 0);
    if (!handle) {
        fprintf(stderr, "libtracecmd cannot open it\n");
        return 2;
    }
    struct tep_handle *tep = tracecmd_get_tep(handle);
    int cpus = tep ? tep_get_cpus(tep) : 0;
    if (cpus < 0) cpus = 0;
    struct trace_seq info;
    trace_seq_init(&info);

    // The next record of every CPU; the earliest goes first (tracecmd_iterate_events' order).
    struct tep_record **next = calloc((size_t)cpus + 1, sizeof *next);
    if (!next) return 2;
    for (int c = 0; c < cpus; c++) next[c] = tracecmd_read_cpu_first(handle, c);
    // No progress on fd 3: a record's offset (in a version 7 file's decompressed sections) does not
    // say how much of the file is done, and libtracecmd does not say it otherwise.
    for (;;) {
        int cpu = -1;
        for (int c = 0; c < cpus; c++)
            if (next[c] && (cpu < 0 || next[c]->ts < next[cpu]->ts)) cpu = c;
        if (cpu < 0) break;
        struct tep_record *record = next[cpu];
        if (record->missed_events != 0) {
            pz_out_str("CPU:");
            pz_out_dec(record->cpu);
            pz_out_str(" [");
            if (record->missed_events > 0) {
                pz_out_dec(record->missed_events);
                pz_out_char(' ');
            }
            pz_out_str("EVENTS DROPPED]\n");
        }
        struct tep_event *event = tep_find_event_by_record(tep, record);
        int pid = tep_data_pid(tep, record);
        const char *comm = tep_data_comm_from_pid(tep, pid);
        pz_out_str(comm ? comm : "<...>");
        pz_out_char('-');
        pz_out_dec(pid);
        pz_out_str(" [");
        pz_out_dec(record->cpu);
        pz_out_str("] ");
        pz_out_time(record->ts);
        pz_out_str(": ");
        pz_out_str(event && event->name ? event->name : "unknown_event_id");
        pz_out_str(": ");
        if (event) pz_out_fields(tep, event, record, &info);
        pz_out_char('\n');
        tracecmd_free_record(record);
        next[cpu] = tracecmd_read_data(handle, cpu);
    }
    trace_seq_destroy(&info);
    free(next);
    tracecmd_close(handle);
    if (pz_out_flush() != 0) {
        fprintf(stderr, "write error: %s\n", strerror(errno));
        return 3;
    }
    return 0;
}
