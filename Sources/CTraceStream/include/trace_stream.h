// The stream a binary-trace helper (prezero-perf-data, prezero-trace-dat) writes to prezero on
// its standard output: frames, in trace order, in this machine's byte order (prezero runs the
// helper beside it).
//
//   TEXT    a record rendered as one line of `perf script` / `trace-cmd report -t` text, which
//           prezero's text parser reads (every record without a fast path: scheduler events,
//           lost records, events prezero does not use, odd values);
//   STRING  defines a string id (a comm, a gfp_flags rendering, an event name), before its first use;
//   OTHER   a record of an event prezero does not read (its name not among those the helper was
//           given with --known-events), counted by name as the text parser counts its line;
//   EVENT   a page or fault record decoded from its numeric fields, with the meaning the text
//           parser gives its line (prezero's HelperStreamDecoder applies the same rules).
#ifndef PREZERO_TRACE_STREAM_H
#define PREZERO_TRACE_STREAM_H
#include <stdint.h>

enum pz_frame_type { PZ_FRAME_TEXT = 1, PZ_FRAME_STRING = 2, PZ_FRAME_EVENT = 3, PZ_FRAME_OTHER = 4 };

/// The events with a fast path.
enum pz_stream_event {
    PZ_EVENT_PAGE_ALLOC = 1,          // kmem:mm_page_alloc: a = pfn, order, migratetype, c = gfp string id
    PZ_EVENT_PAGE_FREE = 2,           // kmem:mm_page_free: a = pfn, order
    PZ_EVENT_PAGE_FREE_BATCHED = 3,   // kmem:mm_page_free_batched: a = pfn
    PZ_EVENT_ALLOC_ZONE_LOCKED = 4,   // kmem:mm_page_alloc_zone_locked: a = pfn, order, migratetype
    PZ_EVENT_PCPU_DRAIN = 5,          // kmem:mm_page_pcpu_drain: a = pfn, order, migratetype
    PZ_EVENT_FAULT_USER = 6,          // exceptions:page_fault_user: a = address, b = ip, c = error_code
    PZ_EVENT_FAULT_KERNEL = 7,        // exceptions:page_fault_kernel: likewise
    PZ_EVENT_RSS_STAT = 8,            // kmem:rss_stat: a = mm_id, b = size (bytes, two's complement),
                                      // c = the member its name gives (0 MM_FILEPAGES ... 3 MM_SHMEMPAGES),
                                      // plus 0x100 when curr is 1 (TraceEvent's layout)
};

/// TEXT: `length` bytes of one line (no newline) follow.
struct pz_frame_text {
    uint8_t frame;  // PZ_FRAME_TEXT
    uint8_t reserved[3];
    uint32_t length;
};

/// STRING: `length` bytes follow; ids count up from 1.
struct pz_frame_string {
    uint8_t frame;  // PZ_FRAME_STRING
    uint8_t reserved[3];
    uint32_t id;
    uint32_t length;
};

/// OTHER: 8 bytes; `name` is the string id of the event's name as its TEXT line would give it
/// (`system:event` from perf.data, `event` from trace.dat).
struct pz_frame_other {
    uint8_t frame;  // PZ_FRAME_OTHER
    uint8_t reserved[3];
    uint32_t name;
};

/// EVENT: 48 bytes.
struct pz_frame_event {
    uint8_t frame;  // PZ_FRAME_EVENT
    uint8_t event;  // pz_stream_event
    uint8_t order;  // 0...63
    int8_t migratetype;  // -1 when the event has none
    uint32_t cpu;
    int32_t pid;  // the task (perf: the tid), >= 0
    uint32_t comm;  // string id
    uint64_t time_ns;
    uint64_t a, b, c;
};

#endif
