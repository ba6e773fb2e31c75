// Output for the binary-trace helpers (prezero-trace-dat, prezero-perf-data): the frames of
// trace_stream.h, written into one buffer by hand (printf was half their time). Page and
// fault records become EVENT frames from their numeric fields; every other record a TEXT line,
// built with the pz_line_* calls.
#ifndef PREZERO_TRACE_RENDER_H
#define PREZERO_TRACE_RENDER_H
#include <event-parse.h>
#include <stddef.h>
#include <stdint.h>
#include <trace-seq.h>
#include "trace_stream.h"

/// Appends to the TEXT line being built.
void pz_line_bytes(const char *bytes, size_t count);
void pz_line_str(const char *text);
void pz_line_char(char c);
void pz_line_udec(unsigned long long value);
void pz_line_dec(long long value);
/// SECONDS.NANOSECONDS (9 digits).
void pz_line_time(unsigned long long ns);
/// Appends `record`'s fields as its event's print format renders them (tep_print_event, as
/// trace-cmd report and perf script print them; `scratch` is reused). Newlines become spaces.
void pz_line_fields(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct trace_seq *scratch);
/// Records printed through an event whose plugin handler may register comms as it prints
/// (sched_switch's does), by `pz_line_fields` or a gfp rendering: what a helper caching comms
/// must forget its cache at.
extern uint64_t pz_handler_prints;
/// Writes the line built so far as a TEXT frame and starts a new one.
void pz_end_line(void);

/// The id of `text` (`length` bytes), writing its STRING frame the first time it is seen.
uint32_t pz_string(const char *text, size_t length);

/// Fills `frame`'s event, order, migratetype, a, b and c from `record` when it is a page or fault
/// record whose values the text parser would take as they are (a pfn within 52 physical address
/// bits, an order below 64, a migratetype in -1...127, a successful allocation with gfp flags,
/// a fault whose addresses name no kernel symbol, a memory counter printed as 6.2 on print it);
/// returns 1, else 0 (render it as text).
int pz_fast_event(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct pz_frame_event *frame);
/// The events prezero reads, by name without their system (comma-separated, from the helper's
/// --known-events): records of other events become OTHER frames (`pz_other_event`), not TEXT
/// lines. Never called: every record is rendered.
void pz_set_known_events(const char *names);
/// Whether prezero reads events of `name` (every event when no --known-events was given).
int pz_is_known_event(const char *name);
/// Writes an OTHER frame for a record of `event` when its name is not among the known events,
/// naming it as its TEXT line would (`system:event` when `with_system`, else `event`); returns 1
/// then, else 0 (the record is the caller's to write).
int pz_other_event(struct tep_event *event, int with_system);
/// Writes `frame` as an EVENT frame.
void pz_out_event(struct pz_frame_event *frame);

/// Writes what is buffered to standard output; returns 0, or -1 on a write error.
int pz_out_flush(void);

/// Reports (done, total) to prezero on fd 3, a pipe it gives the helper, as 16 bytes (written
/// whole: under PIPE_BUF). Nothing when fd 3 is not a pipe (the helper run by hand).
void pz_progress(unsigned long long done, unsigned long long total);

#endif
