// Output for the binary-trace helpers (prezero-trace-dat, prezero-perf-data): lines of text for
// prezero's parser, written into one buffer by hand (printf was half their time).
#ifndef PREZERO_TRACE_RENDER_H
#define PREZERO_TRACE_RENDER_H
#include <event-parse.h>
#include <stddef.h>
#include <trace-seq.h>

void pz_out_bytes(const char *bytes, size_t count);
void pz_out_str(const char *text);
void pz_out_char(char c);
void pz_out_udec(unsigned long long value);
void pz_out_dec(long long value);
/// 0x and lowercase hex digits.
void pz_out_hex(unsigned long long value);
/// SECONDS.NANOSECONDS (9 digits).
void pz_out_time(unsigned long long ns);
/// Writes what is buffered to standard output; returns 0, or -1 on a write error.
int pz_out_flush(void);

/// Reports (done, total) to prezero on fd 3, a pipe it gives the helper, as 16 bytes (written
/// whole: under PIPE_BUF). Nothing when fd 3 is not a pipe (the helper run by hand).
void pz_progress(unsigned long long done, unsigned long long total);

/// Appends `record`'s fields as `key=value` text. The page-allocator events are written from
/// their numeric fields (pfn, order, migratetype; the gfp_flags text rendered once per distinct
/// value), faults whose addresses name no kernel symbol likewise; every other record by its
/// event's print format (tep_print_event, into `scratch`), as trace-cmd report and perf script
/// print it. prezero's parser reads both the same way. Newlines in a rendering become spaces.
void pz_out_fields(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct trace_seq *scratch);

#endif
