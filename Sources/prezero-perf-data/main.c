// prezero-perf-data FILE: writes every tracepoint sample of the perf.data FILE to prezero as the
// frames of trace_stream.h: page and fault samples as EVENT frames from their numeric fields,
// samples of events prezero does not read as OTHER frames (with --known-events, from prezero),
// every other record as a line of `perf script -F comm,pid,tid,cpu,time,event,trace --ns
// --show-lost-events` text, for prezero's text parser. It reads the file itself
// (tools/perf/Documentation/perf.data-file-format.txt): the header, the attributes and their
// sample ids, the tracing-data feature section (the events' formats, parsed by libtraceevent),
// and the records, in one pass, in the order perf's ordered events deliver them (round by round:
// a record is written while its round is still in the cache, and prezero reads from the start;
// the writing on a second thread, handed the records in order);
// a TEXT record's raw tracepoint data is rendered by its event's print format (libtraceevent, as
// perf script does).
//
// A separate process, like prezero-trace-dat: a damaged file that crashes libtraceevent ends
// this helper, not prezero.
//
// TEXT lines:  COMM PID/TID [CPU] SECONDS.NANOSECONDS: SYSTEM:EVENT: FIELDS
//              COMM PID/TID [CPU] SECONDS.NANOSECONDS: PERF_RECORD_LOST lost N
// Exit:   0 done; 2 not a perf.data this reads (the reason, with the byte offset, on stderr).
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <event-parse.h>
#include <trace-seq.h>
#include <zstd.h>
#include "trace_render.h"

enum {
    RECORD_LOST = 2, RECORD_COMM = 3, RECORD_EXIT = 4, RECORD_FORK = 7, RECORD_SAMPLE = 9,
    RECORD_USER_TYPE_START = 64, RECORD_HEADER_ATTR = 64, RECORD_HEADER_TRACING_DATA = 66, RECORD_FINISHED_ROUND = 68,
    RECORD_AUXTRACE = 71,
    RECORD_COMPRESSED = 81,
    RECORD_COMPRESSED2 = 83,
};
enum {
    SAMPLE_IP = 1 << 0, SAMPLE_TID = 1 << 1, SAMPLE_TIME = 1 << 2, SAMPLE_ADDR = 1 << 3, SAMPLE_READ = 1 << 4,
    SAMPLE_CALLCHAIN = 1 << 5, SAMPLE_ID = 1 << 6, SAMPLE_CPU = 1 << 7, SAMPLE_PERIOD = 1 << 8,
    SAMPLE_STREAM_ID = 1 << 9, SAMPLE_RAW = 1 << 10, SAMPLE_IDENTIFIER = 1 << 16,
    // Every field but READ (BRANCH_STACK, REGS_USER, STACK_USER, WEIGHT, DATA_SRC, PHYS_ADDR, ...:
    // perf record -b, --call-graph dwarf, -d) comes after RAW in a sample, so it is not read.
};
enum { FEATURE_TRACING_DATA = 1, FEATURE_COMPRESSED = 27, PERF_TYPE_TRACEPOINT = 2 };

static const uint8_t *file;
static uint64_t file_size;

// Once perf record -z's records are decompressed (expand_compressed), offsets from
// `decompressed_at` on are in that copy: said as the data section's offset in the file and the
// byte of the decompressed records.
static uint64_t decompressed_at, compressed_data_offset;

// Says "byte offset N: what" on stderr and exits with `status`: 2 for a file that cannot be
// read, 4 for one read whole whose content prezero refuses (no "truncated or corrupt" advice).
__attribute__((noreturn)) static void stop_at(int status, uint64_t offset, const char *format, va_list args) {
    // The walk and the delivery thread may both stop: the first says why and exits, the other waits for that.
    static pthread_mutex_t stopping = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&stopping);
    if (decompressed_at && offset >= decompressed_at)
        fprintf(stderr, "byte offset %llu: at byte %llu of its records decompressed: ", (unsigned long long)compressed_data_offset,
                (unsigned long long)(offset - decompressed_at));
    else
        fprintf(stderr, "byte offset %llu: ", (unsigned long long)offset);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    exit(status);
}

__attribute__((noreturn)) static void fail(uint64_t offset, const char *format, ...) {
    va_list args;
    va_start(args, format);
    stop_at(2, offset, format, args);
}

__attribute__((noreturn)) static void refuse(uint64_t offset, const char *format, ...) {
    va_list args;
    va_start(args, format);
    stop_at(4, offset, format, args);
}

// Bounds-checked little-endian reads (perf.data of a little-endian machine; checked by the magic).
static int fits(uint64_t offset, uint64_t size) { return offset <= file_size && size <= file_size - offset; }
static uint64_t u64_at(uint64_t offset) {
    if (!fits(offset, 8)) fail(offset, "the file ends inside a field (%llu bytes in all)", (unsigned long long)file_size);
    uint64_t v;
    memcpy(&v, file + offset, 8);
    return v;
}
static uint32_t u32_at(uint64_t offset) {
    if (!fits(offset, 4)) fail(offset, "the file ends inside a field (%llu bytes in all)", (unsigned long long)file_size);
    uint32_t v;
    memcpy(&v, file + offset, 4);
    return v;
}

struct attr {
    uint64_t sample_type;
    int sample_id_all;
    uint32_t type;
    uint64_t config;
    struct tep_event *event;  // its tracepoint's format, looked up once (event_known)
    int event_known;
    // Where a sample's fields sit in its body when their places are fixed (no CALLCHAIN), so a
    // record costs a few loads, not a walk of sample_type: layout_fixed, then each field's offset
    // (NO_FIELD when absent) and the bytes up to the raw data.
    int layout_fixed;
    uint32_t tid_at, time_at, cpu_at, raw_at, fixed_size;
    // Sampling (perf_event_attr's sample_period or sample_freq, its freq bit) and where the
    // attribute is in the file, for the message refusing a sampled tracepoint.
    uint64_t period_or_freq, offset;
    int freq;
};
enum { NO_FIELD = UINT32_MAX };

static void plan_layout(struct attr *a) {
    uint64_t type = a->sample_type;
    uint32_t p = 0;
    a->layout_fixed = !(type & SAMPLE_CALLCHAIN);
    a->tid_at = a->time_at = a->cpu_at = a->raw_at = NO_FIELD;
    if (type & SAMPLE_IDENTIFIER) p += 8;
    if (type & SAMPLE_IP) p += 8;
    if (type & SAMPLE_TID) a->tid_at = p, p += 8;
    if (type & SAMPLE_TIME) a->time_at = p, p += 8;
    if (type & SAMPLE_ADDR) p += 8;
    if (type & SAMPLE_ID) p += 8;
    if (type & SAMPLE_STREAM_ID) p += 8;
    if (type & SAMPLE_CPU) a->cpu_at = p, p += 8;
    if (type & SAMPLE_PERIOD) p += 8;
    if (type & SAMPLE_RAW) a->raw_at = p, p += 4;
    a->fixed_size = p;
}
static struct attr *attrs;
static uint64_t attr_count;
struct id_entry { uint64_t id; uint64_t attr; };
static struct id_entry *ids;
static uint64_t id_count;

// By id, then by attribute: of two attributes listing one id, the later wins, as in perf's id
// hash (evlist__id_add adds to the head of its bucket).
static int compare_ids(const void *a, const void *b) {
    const struct id_entry *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->attr < y->attr ? -1 : x->attr > y->attr;
}
static struct attr *attr_of_id_searched(uint64_t id) {
    uint64_t low = 0, high = id_count;
    while (low < high) {
        uint64_t mid = (low + high) / 2;
        if (ids[mid].id < id) low = mid + 1; else high = mid;
    }
    if (low == id_count || ids[low].id != id) return NULL;
    while (low + 1 < id_count && ids[low + 1].id == id) low++;  // the last attribute to list it
    return &attrs[ids[low].attr];
}
// The last ids looked up, direct-mapped: a record's id is one of a few (events x CPUs), and a
// binary search per record cost an eighth of the first pass (23 -> 20 ms on a 1 M-record capture).
// One per thread: the delivery thread looks up a LOST record's attribute as the walk reads on.
static __thread struct { uint64_t id; struct attr *attr; } id_cache[64];
static struct attr *attr_of_id(uint64_t id) {
    if (attr_count == 1) return &attrs[0];
    const size_t slot = (size_t)((id * 0x9E3779B97F4A7C15ull) >> 58);
    if (id_cache[slot].attr && id_cache[slot].id == id) return id_cache[slot].attr;
    struct attr *found = attr_of_id_searched(id);
    if (found) id_cache[slot].id = id, id_cache[slot].attr = found;
    return found;
}

// A record's time, cpu and pid/tid (and a sample's raw data), from a sample or a sample_id trailer.
struct sample {
    uint64_t time, raw_offset;
    uint32_t pid, tid, cpu, raw_size;
};

// Reads a PERF_RECORD_SAMPLE body at [offset, end) laid out by sample_type (never READ: refused).
static int parse_sample(uint64_t offset, uint64_t end, uint64_t type, struct sample *s) {
    memset(s, 0, sizeof *s);
    uint64_t p = offset;
#define NEED(n) do { if ((n) > end - p || p > end) return 0; } while (0)
    if (type & SAMPLE_IDENTIFIER) { NEED(8); p += 8; }
    if (type & SAMPLE_IP) { NEED(8); p += 8; }
    if (type & SAMPLE_TID) { NEED(8); s->pid = u32_at(p); s->tid = u32_at(p + 4); p += 8; }
    if (type & SAMPLE_TIME) { NEED(8); s->time = u64_at(p); p += 8; }
    if (type & SAMPLE_ADDR) { NEED(8); p += 8; }
    if (type & SAMPLE_ID) { NEED(8); p += 8; }
    if (type & SAMPLE_STREAM_ID) { NEED(8); p += 8; }
    if (type & SAMPLE_CPU) { NEED(8); s->cpu = u32_at(p); p += 8; }
    if (type & SAMPLE_PERIOD) { NEED(8); p += 8; }
    if (type & SAMPLE_CALLCHAIN) {
        NEED(8);
        uint64_t n = u64_at(p);
        p += 8;
        if (n > (end - p) / 8) return 0;
        p += n * 8;
    }
    if (type & SAMPLE_RAW) {
        NEED(4);
        s->raw_size = u32_at(p);
        s->raw_offset = p + 4;
        NEED(4 + (uint64_t)s->raw_size);
    }
#undef NEED
    return 1;
}

// parse_sample under `a`'s layout, by its fixed offsets when it has them (the same answers).
static int parse_sample_of(const struct attr *a, uint64_t offset, uint64_t end, struct sample *s) {
    if (!a->layout_fixed) return parse_sample(offset, end, a->sample_type, s);
    if (end < offset || end - offset < a->fixed_size) return 0;
    const uint8_t *body = file + offset;
    memset(s, 0, sizeof *s);
    if (a->tid_at != NO_FIELD) memcpy(&s->pid, body + a->tid_at, 4), memcpy(&s->tid, body + a->tid_at + 4, 4);
    if (a->time_at != NO_FIELD) memcpy(&s->time, body + a->time_at, 8);
    if (a->cpu_at != NO_FIELD) memcpy(&s->cpu, body + a->cpu_at, 4);
    if (a->raw_at != NO_FIELD) {
        memcpy(&s->raw_size, body + a->raw_at, 4);
        s->raw_offset = offset + a->fixed_size;
        if (s->raw_size > end - s->raw_offset) return 0;
    }
    return 1;
}

// The sample_id trailer of a non-sample record (sample_id_all): TID, TIME, ID, STREAM_ID, CPU,
// IDENTIFIER, at the end of the record.
static void parse_trailer(uint64_t end, uint64_t body, uint64_t type, struct sample *s) {
    memset(s, 0, sizeof *s);
    uint64_t size = 0;
    if (type & SAMPLE_TID) size += 8;
    if (type & SAMPLE_TIME) size += 8;
    if (type & SAMPLE_ID) size += 8;
    if (type & SAMPLE_STREAM_ID) size += 8;
    if (type & SAMPLE_CPU) size += 8;
    if (type & SAMPLE_IDENTIFIER) size += 8;
    if (end < body || end - body < size) return;
    uint64_t p = end - size;
    if (type & SAMPLE_TID) { s->pid = u32_at(p); s->tid = u32_at(p + 4); p += 8; }
    if (type & SAMPLE_TIME) { s->time = u64_at(p); p += 8; }
    if (type & SAMPLE_ID) p += 8;
    if (type & SAMPLE_STREAM_ID) p += 8;
    if (type & SAMPLE_CPU) s->cpu = u32_at(p);  // IDENTIFIER last: trailer_attr reads it
}

// Comms by tid, as perf's thread map learns them from COMM and FORK records (open addressing).
struct thread { uint32_t tid, comm_id; int used, comm_set; char comm[32]; };  // comm_id: 0 until sent
static struct thread *threads;
static size_t thread_count, thread_capacity;
static size_t thread_slot(uint32_t tid) { return (size_t)(tid * 0x9E3779B1u) & (thread_capacity - 1); }
static struct thread *thread_of(uint32_t tid, int create) {
    if (thread_capacity > 0)
        for (size_t k = thread_slot(tid); threads[k].used; k = (k + 1) & (thread_capacity - 1))
            if (threads[k].tid == tid) return &threads[k];
    if (!create) return NULL;
    if ((thread_count + 1) * 2 > thread_capacity) {
        size_t old_capacity = thread_capacity;
        struct thread *old = threads;
        thread_capacity = thread_capacity ? thread_capacity * 2 : 1024;
        threads = calloc(thread_capacity, sizeof *threads);
        if (!threads) fail(0, "out of memory");
        for (size_t i = 0; i < old_capacity; i++) {
            if (!old[i].used) continue;
            size_t k = thread_slot(old[i].tid);
            while (threads[k].used) k = (k + 1) & (thread_capacity - 1);
            threads[k] = old[i];
        }
        free(old);
    }
    size_t k = thread_slot(tid);
    while (threads[k].used) k = (k + 1) & (thread_capacity - 1);
    struct thread *t = &threads[k];
    t->used = 1;
    t->tid = tid;
    t->comm_set = 0;
    t->comm_id = 0;
    thread_count++;
    snprintf(t->comm, sizeof t->comm, ":%d", (int32_t)tid);  // perf's name for a thread it has no comm for
    return t;
}

struct order { uint64_t time, index; };
static int compare_order(const void *a, const void *b) {
    const struct order *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/// `--radix-sort`: the fallback alone (a test compares the two).
static int radix_only;
/// `--merge-budget KEYS`: the merge gives up past KEYS of work instead of 8 a key (plus 4096), so
/// a test reaches the fallback after a partial merge.
static int64_t merge_budget = -1;

// Sorts keys[from..<count] (distinct) by merging its ascending runs, each into the sorted keys
// before it from where its first key belongs (a binary search). perf writes its rounds nearly in
// order: each CPU's buffer in order, a round's buffers overlapping each other and little else, so
// a merge touches about a round. Returns 0, with the keys a permutation of what they were, once
// the runs and the keys they moved pass 8 a key (plus 4096) in all: the caller then sorts another way.
static int merge_runs(uint64_t *keys, size_t from, size_t count) {
    const uint64_t budget = merge_budget >= 0 ? (uint64_t)merge_budget : 8 * (uint64_t)count + 4096;
    uint64_t work = 0, *spill = NULL;
    size_t spill_capacity = 0, sorted_end = from < count ? from + 1 : count;
    while (sorted_end < count && work <= budget) {
        size_t run_end = sorted_end + 1;
        while (run_end < count && keys[run_end - 1] < keys[run_end]) run_end++;
        if (keys[sorted_end - 1] > keys[sorted_end]) {
            size_t low = from, high = sorted_end;  // the first key above the run's first
            while (low < high) {
                size_t mid = low + (high - low) / 2;
                if (keys[mid] < keys[sorted_end]) low = mid + 1; else high = mid;
            }
            size_t moved = sorted_end - low;
            work += moved + (run_end - sorted_end);
            if (moved > spill_capacity) {
                spill_capacity = moved * 2;
                free(spill);
                spill = malloc(spill_capacity * sizeof *spill);
                if (!spill) fail(0, "out of memory");
            }
            memcpy(spill, keys + low, moved * sizeof *spill);
            size_t a = 0, b = sorted_end, out = low;
            while (a < moved && b < run_end) keys[out++] = spill[a] < keys[b] ? spill[a++] : keys[b++];
            while (a < moved) keys[out++] = spill[a++];
        }
        sorted_end = run_end;
    }
    free(spill);
    return sorted_end >= count;
}

// The record indexes 0..<count in order of times[index], file order (index order) among equal
// times. Each key is the time's rank above the index's bits, so one u64 sorts both: the runs
// perf writes merged (`merge_runs`), else a stable LSD radix sort over the time bits alone, 11
// bits a pass; qsort when the two do not fit in 64. The rank: 0 for time 0 (perf's synthesized
// COMM and FORK records), else time - earliest other + 1, so a capture taken hours after boot
// still fits.
// Consumes `times`: its buffer becomes the keys (fresh memory costs a page fault a page).
static uint64_t *sort_by_time(uint64_t *times, size_t count, int *index_bits) {
    if (count == 0) {
        *index_bits = 1;
        return times;
    }
    uint64_t low = UINT64_MAX, high = 0;
    size_t untimed = 0;
    for (size_t i = 0; i < count; i++) {
        if (times[i] == 0) { untimed++; continue; }
        if (times[i] < low) low = times[i];
        if (times[i] > high) high = times[i];
    }
    uint64_t top_rank = high == 0 ? 0 : high - low + 1;  // high == 0: every time is 0
    int time_bits = top_rank == 0 ? 0 : 64 - __builtin_clzll(top_rank);
    *index_bits = count < 2 ? 1 : 64 - __builtin_clzll((uint64_t)count - 1);
    if (time_bits + *index_bits > 64) {
        struct order *pairs = malloc((count ? count : 1) * sizeof *pairs);
        if (!pairs) fail(0, "out of memory");
        for (size_t i = 0; i < count; i++) pairs[i] = (struct order){times[i], i};
        qsort(pairs, count, sizeof *pairs, compare_order);
        uint64_t *keys = times;
        for (size_t i = 0; i < count; i++) keys[i] = pairs[i].index;
        free(pairs);
        *index_bits = 64;
        return keys;
    }
    // Time-0 records first (rank 0, in file order), then the others. The timed keys are written
    // from the end down, each at or after its own time's slot, so in place.
    uint64_t *untimed_indexes = malloc((untimed ? untimed : 1) * sizeof *untimed_indexes);
    if (!untimed_indexes) fail(0, "out of memory");
    for (size_t i = 0, n = 0; i < count; i++) {
        if (times[i] == 0) untimed_indexes[n++] = i;
    }
    uint64_t *keys = times;
    for (size_t i = count, w = count; i-- > 0;) {
        if (times[i] != 0) keys[--w] = (times[i] - low + 1) << *index_bits | i;
    }
    memcpy(keys, untimed_indexes, untimed * sizeof *keys);
    free(untimed_indexes);
    const size_t first_timed = untimed;
    if (!radix_only && merge_runs(keys, first_timed, count)) return keys;
    uint64_t *other = malloc((count ? count : 1) * sizeof *other), *from = keys, *to = other;
    if (!other) fail(0, "out of memory");
    for (int shift = *index_bits; shift < *index_bits + time_bits; shift += 11) {
        size_t counts[2048] = {0};
        for (size_t i = 0; i < count; i++) counts[(from[i] >> shift) & 2047]++;
        size_t sum = 0;
        for (int d = 0; d < 2048; d++) { size_t n = counts[d]; counts[d] = sum; sum += n; }
        for (size_t i = 0; i < count; i++) to[counts[(from[i] >> shift) & 2047]++] = from[i];
        uint64_t *t = from; from = to; to = t;
    }
    free(to);
    return from;
}

// The tracing-data feature section: the same layout as trace-cmd's (tools/perf/util/trace-event-read.c).
static void read_tracing_data(struct tep_handle *tep, uint64_t offset, uint64_t size) {
    uint64_t p = offset, end = offset + size;
    static const char magic[] = "\027\010\104tracing";
    if (!fits(offset, size) || size < 10 || memcmp(file + p, magic, 10) != 0)
        fail(offset, "the tracing-data section does not start with its magic");
    p += 10;
    const char *version = (const char *)file + p;
    while (p < end && file[p]) p++;
    p++;
    if (p + 6 > end) fail(p, "the tracing-data section ends in its header");
    if (file[p] != 0) fail(p, "big-endian tracing data is not supported");
    int long_size = file[p + 1];
    uint32_t page_size = u32_at(p + 2);
    p += 6;
    tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
    tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
    tep_set_long_size(tep, long_size);
    tep_set_page_size(tep, (int)page_size);
    // header_page and header_event: a name, a u64 size, the text.
    for (int k = 0; k < 2; k++) {
        while (p < end && file[p]) p++;
        p++;
        uint64_t n = u64_at(p);
        p += 8;
        if (!fits(p, n) || p + n > end) fail(p, "the tracing-data header file of %llu bytes runs past the section", (unsigned long long)n);
        if (k == 0) {
            char *copy = malloc(n + 1);
            if (!copy) fail(p, "out of memory");
            memcpy(copy, file + p, n);
            copy[n] = 0;
            tep_parse_header_page(tep, copy, n, long_size);
            free(copy);
        }
        p += n;
    }
    // ftrace's own event formats, then each system's.
    uint32_t formats = u32_at(p);
    p += 4;
    for (uint32_t i = 0; i < formats; i++) {
        uint64_t n = u64_at(p);
        p += 8;
        if (!fits(p, n) || p + n > end) fail(p, "an ftrace event format runs past the section");
        tep_parse_event(tep, (const char *)file + p, n, "ftrace");
        p += n;
    }
    uint32_t systems = u32_at(p);
    p += 4;
    for (uint32_t i = 0; i < systems; i++) {
        const char *system = (const char *)file + p;
        while (p < end && file[p]) p++;
        p++;
        uint32_t count = u32_at(p);
        p += 4;
        for (uint32_t j = 0; j < count; j++) {
            uint64_t n = u64_at(p);
            p += 8;
            if (!fits(p, n) || p + n > end) fail(p, "an event format of system %.32s runs past the section", system);
            tep_parse_event(tep, (const char *)file + p, n, system);
            p += n;
        }
    }
    // kallsyms and printk formats (u32 sizes), then the saved cmdlines (u64, version >= 0.6).
    for (int k = 0; k < 3 && p < end; k++) {
        if (k == 2 && strcmp(version, "0.6") < 0) break;
        uint64_t n = k < 2 ? u32_at(p) : u64_at(p);
        p += k < 2 ? 4 : 8;
        if (!fits(p, n) || p + n > end) fail(p, "the tracing-data section's %s run past it", k == 0 ? "kallsyms" : k == 1 ? "printk formats" : "cmdlines");
        if (n > 0) {
            char *copy = malloc(n + 1);
            if (!copy) fail(p, "out of memory");
            memcpy(copy, file + p, n);
            copy[n] = 0;
            if (k == 0) tep_parse_kallsyms(tep, copy);
            else if (k == 1) tep_parse_printk_formats(tep, copy);
            else tep_parse_saved_cmdlines(tep, copy);
            free(copy);
        }
        p += n;
    }
}

// The attribute of a sample with body [body, end): by its IDENTIFIER (its first u64) when the
// events record one, the only layout when all are alike, else by its ID under the first layout.
static struct attr *sample_attr(uint64_t body, uint64_t end, uint64_t first_type, int all_same) {
    if (first_type & SAMPLE_IDENTIFIER) return end - body >= 8 ? attr_of_id(u64_at(body)) : NULL;
    if (all_same && !(first_type & SAMPLE_ID)) return &attrs[0];
    // ID comes after IP, TID, TIME and ADDR, 8 bytes each.
    uint64_t at = 8 * (uint64_t)__builtin_popcountll(first_type & (SAMPLE_IP | SAMPLE_TID | SAMPLE_TIME | SAMPLE_ADDR));
    return end - body >= at + 8 ? attr_of_id(u64_at(body + at)) : NULL;
}

// The attribute of a non-sample record: its sample_id trailer ends with the IDENTIFIER.
static struct attr *trailer_attr(uint64_t body, uint64_t end, uint64_t first_type) {
    if ((first_type & SAMPLE_IDENTIFIER) && end - body >= 8) {
        struct attr *a = attr_of_id(u64_at(end - 8));
        if (a) return a;
    }
    return &attrs[0];
}

static void parse_record_trailer(uint64_t p, uint16_t size, uint64_t first_type, struct sample *s) {
    struct attr *a = trailer_attr(p + 8, p + size, first_type);
    parse_trailer(p + size, p + 8, a->sample_id_all ? a->sample_type : 0, s);
}

// "COMM PID/TID [CPU] SECONDS.NANOSECONDS: ", perf script's columns.
static void line_start(const char *comm, const struct sample *s) {
    pz_line_str(comm);
    pz_line_char(' ');
    pz_line_dec((int32_t)s->pid);
    pz_line_char('/');
    pz_line_dec((int32_t)s->tid);
    pz_line_str(" [");
    pz_line_udec(s->cpu);
    pz_line_str("] ");
    pz_line_time(s->time);
    pz_line_str(": ");
}

static struct tep_handle *tep;
static uint64_t first_type;  // the first attribute's sample_type
static int all_same;         // every attribute has first_type
static struct trace_seq info;

// Writes the record at the offset in `tagged` (its attribute + 1 in the top 16 bits, 0 when
// not looked up): a page or fault sample as an EVENT frame, any other sample or a LOST record
// as a TEXT line; COMM and FORK records update the comms.
static void deliver(uint64_t tagged) {
    if (tagged == 0) return;  // a record perf queues for its time only (records start past the header)
    uint64_t p = tagged & ((1ULL << 48) - 1), attr_tag = tagged >> 48;
    uint32_t type = u32_at(p);
    uint16_t size;
    memcpy(&size, file + p + 6, 2);
    struct sample s;
    if (type == RECORD_COMM) {
        struct thread *t = thread_of(u32_at(p + 12), 1);
        size_t n = strnlen((const char *)file + p + 16, size > 16 ? size - 16 : 0);
        if (n >= sizeof t->comm) n = sizeof t->comm - 1;
        memcpy(t->comm, file + p + 16, n);
        t->comm[n] = 0;
        t->comm_set = 1;
        t->comm_id = 0;
    } else if (type == RECORD_FORK) {
        uint32_t ptid = u32_at(p + 20), tid = u32_at(p + 16);
        // perf's thread__fork: the child is a new thread (a reused tid loses its old comm) and
        // takes the parent's comm if the parent has one.
        struct thread *parent = thread_of(ptid, 0);
        char comm[32];
        int inherit = parent && parent->comm_set;
        if (inherit) memcpy(comm, parent->comm, sizeof comm);  // creating the child may move the table
        struct thread *child = thread_of(tid, 1);
        child->comm_set = inherit;
        child->comm_id = 0;
        if (inherit) memcpy(child->comm, comm, sizeof child->comm);
        else snprintf(child->comm, sizeof child->comm, ":%d", (int32_t)tid);
    } else if (type == RECORD_LOST) {
        parse_record_trailer(p, size, first_type, &s);
        line_start(thread_of(s.tid, 1)->comm, &s);
        pz_line_str("PERF_RECORD_LOST lost ");
        pz_line_udec(u64_at(p + 16));
        pz_end_line();
    } else {
        struct attr *a = attr_tag ? &attrs[attr_tag - 1] : sample_attr(p + 8, p + size, first_type, all_same);
        if (!a || !parse_sample_of(a, p + 8, p + size, &s)) return;
        if (a->type != PERF_TYPE_TRACEPOINT || !(a->sample_type & SAMPLE_RAW) || s.raw_size == 0) return;
        struct tep_record record = {0};
        record.ts = s.time;
        record.cpu = (int)s.cpu;
        record.data = (void *)(file + s.raw_offset);
        record.size = (int)s.raw_size;
        if (!a->event_known) {
            a->event = tep_find_event(tep, (int)a->config);
            a->event_known = 1;
        }
        struct tep_event *event = a->event;
        if (!event || pz_other_event(event, 1)) return;
        struct thread *thread = thread_of(s.tid, 1);
        struct pz_frame_event frame;
        // A pid or tid over INT32_MAX prints negative, which the text parser reads its own way.
        if (s.pid <= INT32_MAX && s.tid <= INT32_MAX && pz_fast_event(tep, event, &record, &frame)) {
            if (!thread->comm_id) thread->comm_id = pz_string(thread->comm, strlen(thread->comm));
            frame.cpu = s.cpu;
            frame.pid = (int32_t)s.tid;
            frame.comm = thread->comm_id;
            frame.time_ns = s.time;
            pz_out_event(&frame);
            return;
        }
        line_start(thread->comm, &s);
        pz_line_str(event->system ? event->system : "?");
        pz_line_char(':');
        pz_line_str(event->name ? event->name : "?");
        pz_line_str(": ");
        pz_line_fields(tep, event, &record, &info);
        pz_end_line();
    }
}

// Delivery runs on a second thread: the walk (record headers, sample layouts, the rounds' sort)
// and the delivery (fields, comms, frames) each take about half of the helper's time. The walk
// hands records over in batches, in the order it would have delivered them; the delivery thread
// alone touches the comms, the event formats and the output (each thread has its own cache of
// attribute lookups). `--delivery-batch 0` delivers on the walk's thread.
enum { DELIVERY_SLOTS = 4 };
static size_t delivery_batch = 1 << 14;  // records a batch
static int delivery_threaded;
static uint64_t *delivery_slots[DELIVERY_SLOTS];
static size_t delivery_counts[DELIVERY_SLOTS], delivery_filled;
static uint64_t delivery_produced, delivery_consumed;  // batches
static int delivery_done;
static pthread_mutex_t delivery_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t delivery_changed = PTHREAD_COND_INITIALIZER;
static pthread_t delivery_thread;

static void *deliver_batches(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&delivery_lock);
        while (delivery_consumed == delivery_produced && !delivery_done) pthread_cond_wait(&delivery_changed, &delivery_lock);
        if (delivery_consumed == delivery_produced) {
            pthread_mutex_unlock(&delivery_lock);
            return NULL;
        }
        const size_t slot = (size_t)(delivery_consumed % DELIVERY_SLOTS), count = delivery_counts[slot];
        pthread_mutex_unlock(&delivery_lock);
        for (size_t i = 0; i < count; i++) deliver(delivery_slots[slot][i]);
        pthread_mutex_lock(&delivery_lock);
        delivery_consumed++;
        pthread_cond_signal(&delivery_changed);
        pthread_mutex_unlock(&delivery_lock);
    }
}

// The batch being filled goes to the delivery thread; the walk waits for a free slot to fill next.
static void publish_batch(void) {
    pthread_mutex_lock(&delivery_lock);
    delivery_counts[delivery_produced % DELIVERY_SLOTS] = delivery_filled;
    delivery_produced++;
    pthread_cond_signal(&delivery_changed);
    while (delivery_produced - delivery_consumed == DELIVERY_SLOTS) pthread_cond_wait(&delivery_changed, &delivery_lock);
    pthread_mutex_unlock(&delivery_lock);
    delivery_filled = 0;
}

static void start_delivery(void) {
    if (delivery_batch == 0) return;
    for (int i = 0; i < DELIVERY_SLOTS; i++) {
        delivery_slots[i] = malloc(delivery_batch * sizeof *delivery_slots[i]);
        if (!delivery_slots[i]) fail(0, "out of memory");
    }
    delivery_threaded = pthread_create(&delivery_thread, NULL, deliver_batches, NULL) == 0;
}

// The next record to deliver, in order.
static void hand_over(uint64_t tagged) {
    if (!delivery_threaded) {
        deliver(tagged);
        return;
    }
    delivery_slots[delivery_produced % DELIVERY_SLOTS][delivery_filled++] = tagged;
    if (delivery_filled == delivery_batch) publish_batch();
}

// Every record handed over is delivered.
static void finish_delivery(void) {
    if (!delivery_threaded) return;
    if (delivery_filled > 0) publish_batch();
    pthread_mutex_lock(&delivery_lock);
    delivery_done = 1;
    pthread_cond_signal(&delivery_changed);
    pthread_mutex_unlock(&delivery_lock);
    pthread_join(delivery_thread, NULL);
}

// perf's ordered events (tools/perf/util/ordered-events.c), the order perf script and perf
// kmem deliver records in: a record with no time at once; the others queued, and at each
// FINISHED_ROUND the queued ones up to the newest time queued by the round before are
// delivered in time order (file order among equal times); the rest at the end. perf writes a
// round after reading every CPU's buffer, so a round's records come after the round before
// last; one that does not (perf's "out of order events") waits for the next flush, as there.
struct queued { uint64_t time, tagged; };
static struct queued *queue, *queue_spare;
static size_t queued_count, queue_capacity;
static uint64_t next_flush, max_timestamp;

static void enqueue(uint64_t time, uint64_t tagged) {
    if (queued_count == queue_capacity) {
        queue_capacity = queue_capacity ? queue_capacity * 2 : 1 << 14;
        queue = realloc(queue, queue_capacity * sizeof *queue);
        queue_spare = realloc(queue_spare, queue_capacity * sizeof *queue_spare);
        if (!queue || !queue_spare) fail(0, "out of memory");
    }
    if (queued_count == 0 || time > max_timestamp) max_timestamp = time;
    queue[queued_count++] = (struct queued){time, tagged};
}

// Delivers the queued records with times up to `limit`, in order; keeps the others, in order.
static void flush_up_to(uint64_t limit) {
    if (queued_count == 0 || limit == 0) return;
    size_t count = queued_count;
    uint64_t *keys = malloc(count * sizeof *keys);
    if (!keys) fail(0, "out of memory");
    for (size_t i = 0; i < count; i++) keys[i] = queue[i].time;
    int index_bits;
    keys = sort_by_time(keys, count, &index_bits);
    uint64_t index_mask = index_bits == 64 ? ~0ULL : (1ULL << index_bits) - 1;
    size_t i = 0, kept = 0;
    for (; i < count && queue[keys[i] & index_mask].time <= limit; i++) hand_over(queue[keys[i] & index_mask].tagged);
    for (; i < count; i++) queue_spare[kept++] = queue[keys[i] & index_mask];
    free(keys);
    struct queued *t = queue;
    queue = queue_spare;
    queue_spare = t;
    queued_count = kept;
}

// perf's OE_FLUSH__ROUND: nothing when nothing is queued (the limit stays), else a flush up to
// the limit, and the newest time queued becomes the next limit.
static void finish_round(void) {
    if (queued_count == 0) return;
    flush_up_to(next_flush);
    next_flush = max_timestamp;
}

// The attribute at `a` (a perf_event_attr) with `n_ids` sample ids at `ids_offset`: from the
// header's attribute section, or a pipe-mode file's HEADER_ATTR record.
static void add_attr(uint64_t a, uint64_t ids_offset, uint64_t n_ids) {
    uint64_t i = attr_count++;
    attrs = realloc(attrs, (attr_count + 1) * sizeof *attrs);
    if (!attrs) fail(0, "out of memory");
    memset(&attrs[i], 0, sizeof attrs[i]);
    attrs[i].type = u32_at(a);
    attrs[i].config = u64_at(a + 8);
    attrs[i].sample_type = u64_at(a + 24);
    attrs[i].sample_id_all = (u64_at(a + 40) >> 18) & 1;
    attrs[i].period_or_freq = u64_at(a + 16);
    attrs[i].freq = (u64_at(a + 40) >> 10) & 1;
    attrs[i].offset = a;
    // perf delivers such a sample once per group member whose count moved, as that member
    // (session.c deliver_sample_group), which this reader does not do.
    if (attrs[i].sample_type & SAMPLE_READ)
        fail(a + 24, "samples with counter values (PERF_SAMPLE_READ, from a group sampled by its leader, '{...}:S'), which "
                     "perf script splits per member and this reader does not; record the events without ':S'");
    plan_layout(&attrs[i]);
    if (!fits(ids_offset, n_ids * 8) || n_ids > file_size / 8 - id_count) fail(ids_offset, "an attribute's id list runs past the end of the file");
    ids = realloc(ids, (id_count + n_ids + 1) * sizeof *ids);
    if (!ids) fail(0, "out of memory");
    for (uint64_t k = 0; k < n_ids; k++) ids[id_count++] = (struct id_entry){u64_at(ids_offset + 8 * k), i};
}

// The type and size of the record at `p`, which must fit before `end`.
// No perf.data record has a type this high (perf's PERF_RECORD_HEADER_MAX is 84 in 6.x; perf
// script refuses a type past it): damaged bytes, not a record to skip as unknown.
enum { RECORD_TYPE_LIMIT = 128 };

static void record_header(uint64_t p, uint64_t end, uint32_t *type, uint16_t *size) {
    if (end - p < 8) fail(p, "the data section ends inside a record header");
    *type = u32_at(p);
    memcpy(size, file + p + 6, 2);
    if (*type >= RECORD_TYPE_LIMIT)
        fail(p, "a record of type %u: perf writes no record type past %d, so the data section is damaged here", *type, RECORD_TYPE_LIMIT - 1);
    if (*size < 8 || *size > end - p) fail(p, "a record of %u bytes (type %u) does not fit the data section", *size, *type);
}

// The bytes from the record at `p` (of `type` and `size`, ending by `end`) to the next: its
// size, and the data that follows two kinds of record: a pipe-mode HEADER_TRACING_DATA's tracing
// data, an AUXTRACE's AUX area data (Intel PT, Arm SPE or CoreSight beside the tracepoints:
// its u64 size right after the header, as perf_session__process_user_event skips it).
// The data after the record at `p` (of `type` and `size`, whose bytes are there): the size its
// header gives, 0 for a record with none; -1 for a record too short to give it.
static int64_t data_after(uint64_t p, uint32_t type, uint16_t size) {
    if (type == RECORD_AUXTRACE) return size < 16 ? -1 : (int64_t)(u64_at(p + 8) & INT64_MAX);
    if (type == RECORD_HEADER_TRACING_DATA) return size < 12 ? -1 : (int64_t)u32_at(p + 8);
    return 0;
}

static uint64_t record_span(uint64_t p, uint64_t end, uint32_t type, uint16_t size) {
    int64_t data = data_after(p, type, size);
    const char *what = type == RECORD_AUXTRACE ? "AUX trace" : "tracing";
    if (data < 0) fail(p, "%s record of %u bytes (expected %u)", type == RECORD_AUXTRACE ? "an AUX trace" : "a tracing-data", size,
                       type == RECORD_AUXTRACE ? 48 : 16);
    if ((uint64_t)data > end - p - size)
        fail(p, "the %s data of %llu bytes after this record runs past the data", what, (unsigned long long)data);
    return size + (uint64_t)data;
}

// Where a pipe-mode stream cut inside its last record ends (cut_end), and that record's bytes
// present and full size (0: its header is cut too): perf reads the records before it ("unexpected
// end of event stream"), and so does this reader, which says so when it is done.
static uint64_t cut_at, cut_present, cut_size;

// Whether the pipe-mode record at `p` is the stream's last, cut by its end, once the formats are
// read: its header, its size or the data after it (tracing or AUX data) passes `end`. Before the
// formats, or a size below 8 (damage, not a cut), it is an error as any other.
static int cut_by_end(uint64_t p, uint64_t end, int have_formats) {
    if (!have_formats) return 0;
    uint64_t present = end - p, size = 0;
    if (present >= 8) {
        uint16_t record_size;
        memcpy(&record_size, file + p + 6, 2);
        if (record_size < 8) return 0;
        size = record_size;
        if (size <= present) {
            int64_t data = data_after(p, u32_at(p), record_size);
            if (data < 0 || (uint64_t)data <= present - size) return 0;  // whole, or short: record_span says
            size += (uint64_t)data;
        }
    }
    cut_at = p, cut_present = present, cut_size = size;
    return 1;
}

// A pipe-mode file (perf record -o -): the attributes and the tracing data come as records
// (HEADER_ATTR, HEADER_TRACING_DATA, the data right after its record) in the stream. Returns
// whether formats were found; *end becomes the last whole record's end when the stream is cut.
static int read_pipe_headers(struct tep_handle *tep, uint64_t begin, uint64_t *end_at, int *compressed) {
    int have_formats = 0;
    const uint64_t end = *end_at;
    for (uint64_t p = begin; p < end;) {
        if (cut_by_end(p, end, have_formats)) {
            *end_at = p;
            break;
        }
        uint32_t type;
        uint16_t size;
        record_header(p, end, &type, &size);
        if (type == RECORD_HEADER_ATTR) {
            if (size < 8 + 64) fail(p, "an attribute record of %u bytes (expected at least 72)", size);
            uint32_t attr_bytes = u32_at(p + 8 + 4);
            if (attr_bytes < 64 || attr_bytes > (uint32_t)size - 8) fail(p + 12, "attribute size %u in a record of %u bytes", attr_bytes, size);
            add_attr(p + 8, p + 8 + attr_bytes, ((uint64_t)size - 8 - attr_bytes) / 8);
        } else if (type == RECORD_COMPRESSED || type == RECORD_COMPRESSED2) {
            *compressed = 1;
        } else if (type == RECORD_HEADER_TRACING_DATA) {
            uint64_t span = record_span(p, end, type, size);
            read_tracing_data(tep, p + size, span - size);
            have_formats = 1;
        }
        p += record_span(p, end, type, size);
    }
    return have_formats;
}

// A file's header: its attributes and ids, and the tracing data among the features after the
// data section. Sets where the attributes and the data are; returns whether formats were found.
static int read_file_headers(struct tep_handle *tep, uint64_t header_size, uint64_t *attrs_at, uint64_t *data_at, uint64_t *data_bytes) {
    if (file_size < 104) fail(file_size, "the file ends inside the 104-byte perf.data header");
    if (header_size < 104) fail(8, "header size %llu (expected 104 or more)", (unsigned long long)header_size);
    uint64_t attr_size = u64_at(16), attrs_size = u64_at(32), attrs_offset = u64_at(24);
    uint64_t data_offset = u64_at(40), data_size = u64_at(48);
    *attrs_at = attrs_offset, *data_at = data_offset, *data_bytes = data_size;
    int have_formats = 0;
    // perf_event_attr is at least 64 bytes (PERF_ATTR_SIZE_VER0), then the 16-byte id section.
    if (attr_size < 80 || attr_size > 4096) fail(16, "attribute size %llu (expected 80 to 4096)", (unsigned long long)attr_size);
    if (!fits(attrs_offset, attrs_size)) fail(24, "the attribute section runs past the end of the file");
    // perf record writes the data size (and the features after the data, the event formats
    // among them) when it ends: a record that was killed, or is still running, leaves 0.
    if (data_size == 0 && file_size > data_offset)
        fail(48, "the data section's size is 0 with %llu bytes after its start: the perf record that wrote it did not end "
                 "properly (killed, or still running), so it has no event formats either; perf script reads no events from it",
             (unsigned long long)(file_size - data_offset));
    if (!fits(data_offset, data_size))
        fail(data_offset + data_size > file_size ? file_size : 40,
             "the data section (%llu bytes at %llu) runs past the end of the file (%llu bytes): the file is cut short",
             (unsigned long long)data_size, (unsigned long long)data_offset, (unsigned long long)file_size);

    // Attributes and their ids.
    for (uint64_t i = 0; i < attrs_size / attr_size; i++) {
        uint64_t a = attrs_offset + i * attr_size;
        uint64_t ids_offset = u64_at(a + attr_size - 16), ids_size = u64_at(a + attr_size - 8);
        if (!fits(ids_offset, ids_size)) fail(a + attr_size - 16, "an attribute's id list runs past the end of the file");
        add_attr(a, ids_offset, ids_size / 8);
    }
    // The features after the data section; the tracing data holds the event formats.
    uint64_t table = data_offset + data_size, index = 0;
    for (int bit = 0; bit < 256; bit++) {
        if (!((u64_at(72 + (uint64_t)(bit / 64) * 8) >> (bit % 64)) & 1)) continue;
        if (bit == FEATURE_TRACING_DATA) {
            uint64_t offset = u64_at(table + index * 16), size = u64_at(table + index * 16 + 8);
            read_tracing_data(tep, offset, size);
            have_formats = 1;
        }
        index++;
    }
    return have_formats;
}

// perf record -z writes its records in PERF_RECORD_COMPRESSED records (COMPRESSED2, with its
// size, in newer perf): frames of one zstd stream, a record cut at one's end going on in the
// next (perf_session__process_compressed_event). They are decompressed, with the plain records
// between them, into a copy of the file with the whole data section appended, which the rest
// reads as it reads any file. A stream that would pass 64 times the file (plus 64 MiB) is an
// error: a damaged or hostile one.
static void expand_compressed(uint64_t *data_offset, uint64_t *data_size) {
    const uint64_t begin = *data_offset, end = begin + *data_size;
    int any = 0;
    for (uint64_t p = begin; p + 8 <= end;) {
        uint32_t type = u32_at(p);
        uint16_t size;
        memcpy(&size, file + p + 6, 2);
        if (size < 8 || size > end - p) break;  // the main loop says where
        if (type == RECORD_COMPRESSED || type == RECORD_COMPRESSED2) { any = 1; break; }
        p += record_span(p, end, type, size);
    }
    if (!any) return;
    const uint64_t limit = file_size * 64 + (64u << 20);
    uint64_t capacity = file_size + *data_size * 4 + (1u << 20), length = file_size;
    uint8_t *copy = malloc(capacity);
    ZSTD_DStream *stream = ZSTD_createDStream();
    if (!copy || !stream) fail(0, "out of memory");
    memcpy(copy, file, file_size);
    ZSTD_initDStream(stream);
    for (uint64_t p = begin; p < end;) {
        uint32_t type;
        uint16_t size;
        record_header(p, end, &type, &size);
        uint64_t from = p, count = record_span(p, end, type, size);  // the record itself, or what it decompresses to
        if (type == RECORD_COMPRESSED || type == RECORD_COMPRESSED2) {
            from = p + 8, count = size - 8u;
            if (type == RECORD_COMPRESSED2) {
                if (size < 16 || u64_at(p + 8) > (uint64_t)size - 16) fail(p, "a compressed record whose data size does not fit it");
                from = p + 16, count = u64_at(p + 8);
            }
        }
        int compressed = type == RECORD_COMPRESSED || type == RECORD_COMPRESSED2;
        if (!compressed) {
            if (capacity - length < count) {
                capacity = capacity * 2 + count;
                uint8_t *grown = realloc(copy, capacity);
                if (!grown) fail(p, "out of memory decompressing the records");
                copy = grown;
            }
            memcpy(copy + length, file + from, count);
            length += count;
        }
        ZSTD_inBuffer in = {file + from, compressed ? count : 0, 0};
        // Until the input is used up and the last call left room in the output: a full output
        // may leave data in the decoder after the last input byte.
        for (int full = 1; compressed && (in.pos < in.size || full);) {
            if (capacity - length < (1u << 20)) {
                capacity = capacity * 2 + (1u << 20);
                uint8_t *grown = realloc(copy, capacity);
                if (!grown) fail(p, "out of memory decompressing the records");
                copy = grown;
            }
            ZSTD_outBuffer out = {copy + length, capacity - length, 0};
            size_t before = in.pos, result = ZSTD_decompressStream(stream, &out, &in);
            if (ZSTD_isError(result)) fail(p, "a compressed record (perf record -z) does not decompress: %s", ZSTD_getErrorName(result));
            length += out.pos;
            if (length > limit) fail(p, "compressed records that decompress past %llu bytes", (unsigned long long)limit);
            if (out.pos == 0 && in.pos == before) {
                if (in.pos == in.size) break;  // nothing was left in the decoder
                fail(p, "a compressed record (perf record -z) that does not decompress any further");
            }
            full = out.pos == out.size;
        }
        p += record_span(p, end, type, size);
    }
    ZSTD_freeDStream(stream);
    decompressed_at = file_size;
    compressed_data_offset = begin;
    *data_offset = file_size;
    *data_size = length - file_size;
    file = copy;  // the mapping stays: nothing reads it again
    file_size = length;
}

// A tracepoint sampled, not recorded at every hit: with perf record -F (sample_freq) the kernel
// writes a sample when its period has run out (perf_swevent_event), about one event in N, and so
// it does with -c N when the sample carries no PERIOD; every count and verdict of such a capture
// would be of the events that happened to be written. Refused for the events prezero reads
// (--known-events; every tracepoint without it): an event of its own, cpu-clock -F 99 beside
// the tracepoints, is fine.
static void refuse_sampled_tracepoints(void) {
    for (uint64_t i = 0; i < attr_count; i++) {
        const struct attr *a = &attrs[i];
        if (a->type != PERF_TYPE_TRACEPOINT) continue;
        int sampled = a->freq || (a->period_or_freq > 1 && !(a->sample_type & SAMPLE_PERIOD));
        if (!sampled) continue;
        struct tep_event *event = tep_find_event(tep, (int)a->config);
        if (event && !pz_is_known_event(event->name)) continue;
        char name[160];
        snprintf(name, sizeof name, "%s:%s", event && event->system ? event->system : "tracepoint",
                 event && event->name ? event->name : "?");
        unsigned long long n = a->period_or_freq;
        char how[96];
        if (a->freq) snprintf(how, sizeof how, "at %llu samples a second (perf record -F %llu)", n, n);
        else snprintf(how, sizeof how, "once every %llu hits (perf record -c %llu) without the sample period", n, n);
        refuse(a->offset + 16, "%s was sampled %s, not recorded at each hit: the kernel wrote one of every so many events, so no "
               "count or verdict would be the workload's; record the tracepoints with perf's default for them, -c 1 (no -F), as "
               "tools/capture-perf.sh does", name, how);
    }
}

int main(int argc, char **argv) {
    while (argc >= 3 && argv[1][0] == '-') {
        if (strcmp(argv[1], "--radix-sort") == 0) {
            radix_only = 1;
            argv++;
            argc--;
        } else if (argc >= 4 && strcmp(argv[1], "--known-events") == 0) {
            pz_set_known_events(argv[2]);
            argv += 2;
            argc -= 2;
        } else if (argc >= 4 && strcmp(argv[1], "--merge-budget") == 0) {
            char *end = NULL;
            errno = 0;
            long long keys = strtoll(argv[2], &end, 10);
            if (end == argv[2] || *end != 0 || errno != 0 || keys < 0) break;
            merge_budget = keys;
            argv += 2;
            argc -= 2;
        } else if (argc >= 4 && strcmp(argv[1], "--delivery-batch") == 0) {
            char *end = NULL;
            errno = 0;
            long long records = strtoll(argv[2], &end, 10);
            if (end == argv[2] || *end != 0 || errno != 0 || records < 0 || records > 1 << 24) break;
            delivery_batch = (size_t)records;
            argv += 2;
            argc -= 2;
        } else {
            break;
        }
    }
    if (argc != 2) {
        fprintf(stderr, "usage: prezero-perf-data [--radix-sort] [--merge-budget KEYS] [--delivery-batch RECORDS] [--known-events NAME,...] FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat file_info;
    if (fd < 0 || fstat(fd, &file_info) != 0) fail(0, "cannot open: %s", strerror(errno));
    file_size = (uint64_t)file_info.st_size;
    if (file_size < 16) fail(file_size, "the file ends inside the perf.data header");
    if (file_size >= 1ULL << 48) fail(0, "a file of 256 TiB or more");
    // Up to 1 GiB mapped in one pass (MAP_POPULATE), not a fault a page; a larger file as it is read.
    file = mmap(NULL, file_size, PROT_READ, MAP_PRIVATE | (file_size <= 1ULL << 30 ? MAP_POPULATE : 0), fd, 0);
    if (file == MAP_FAILED) fail(0, "cannot map the file: %s", strerror(errno));
    if (memcmp(file, "PERFILE2", 8) != 0) fail(0, "not a little-endian PERFILE2 perf.data header");
    uint64_t header_size = u64_at(8);
    tep = tep_alloc();
    if (!tep) fail(0, "out of memory");
    tep_set_loglevel(TEP_LOG_NONE);
    int have_formats = 0, compressed = 0;
    uint64_t attrs_offset = 16, data_offset = 16, data_size = file_size - 16;
    if (header_size == 16) {
        // Pipe mode (perf record -o -): everything is in the stream.
        uint64_t end = data_offset + data_size;
        have_formats = read_pipe_headers(tep, data_offset, &end, &compressed);
        data_size = end - data_offset;
    } else {
        have_formats = read_file_headers(tep, header_size, &attrs_offset, &data_offset, &data_size);
        // perf record -z writes the COMPRESSED feature: without it, no walk of the records for them.
        compressed = (u64_at(72 + (FEATURE_COMPRESSED / 64) * 8) >> (FEATURE_COMPRESSED % 64)) & 1;
    }
    if (attr_count == 0) fail(attrs_offset, "no event attributes");
    qsort(ids, id_count, sizeof *ids, compare_ids);
    first_type = attrs[0].sample_type;
    all_same = 1;
    for (uint64_t i = 1; i < attr_count; i++) all_same &= attrs[i].sample_type == first_type;
    if (!all_same && !(first_type & SAMPLE_IDENTIFIER) && !(first_type & SAMPLE_ID))
        fail(attrs_offset, "events with different sample layouts and no sample id to tell them apart");

    if (!have_formats)
        fail(72, "no tracing-data section, so no tracepoint formats (record tracepoints with perf record -e kmem:...)");
    refuse_sampled_tracepoints();
    // No plugins: perf script renders with the print formats alone (sched_switch as prev_comm=...).
    if (compressed) expand_compressed(&data_offset, &data_size);

    // Records in perf's order (ordered events, above), read once: each is delivered while the
    // round around it is still in the cache.
    trace_seq_init(&info);
    // perf's idle thread (machine__idle_thread, registered by perf script): tid 0 is "swapper".
    struct thread *idle = thread_of(0, 1);
    snprintf(idle->comm, sizeof idle->comm, "swapper");
    idle->comm_set = 1;
    start_delivery();
    for (uint64_t p = data_offset, seen = 0; p < data_offset + data_size; seen++) {
        if ((seen & 0xFFF) == 0xFFF) pz_progress(p - data_offset, data_size);  // every 4096 records
        uint32_t type;
        uint16_t size;
        record_header(p, data_offset + data_size, &type, &size);
        if (type == RECORD_COMPRESSED || type == RECORD_COMPRESSED2)
            fail(p, compressed ? "a compressed record inside compressed records"
                               : "a compressed record in a file whose header has no COMPRESSED feature (perf record -z writes one)");
        if (type == RECORD_FINISHED_ROUND) {
            finish_round();
        } else if (type == RECORD_SAMPLE || type == RECORD_LOST || type == RECORD_COMM || type == RECORD_FORK) {
            // The fields deliver() reads: COMM pid, tid, a comm; FORK pid, ppid, tid, ptid, time; LOST id, lost.
            uint16_t least = type == RECORD_COMM ? 17 : type == RECORD_FORK ? 32 : type == RECORD_LOST ? 24 : 8;
            if (size < least) fail(p, "a record of type %u of %u bytes (expected at least %u)", type, size, least);
            struct sample s;
            uint64_t attr_tag = 0;
            if (type == RECORD_SAMPLE) {
                struct attr *a = sample_attr(p + 8, p + size, first_type, all_same);
                if (!a) { p += size; continue; }  // an id no attribute names: not ours to print
                if (!parse_sample_of(a, p + 8, p + size, &s)) fail(p, "a sample shorter than its sample_type says");
                // Its attribute (index + 1) goes in the offset's top 16 bits, so delivery does
                // not look it up again (0: look it up; offsets are below 2^48, checked above).
                if (attr_count < 0xFFFF) attr_tag = (uint64_t)(a - attrs) + 1;
            } else {
                parse_record_trailer(p, size, first_type, &s);
            }
            uint64_t tagged = p | attr_tag << 48;
            if (s.time == 0 || s.time == UINT64_MAX) hand_over(tagged);  // no time: at once, as perf does
            else enqueue(s.time, tagged);
        } else if (type < RECORD_USER_TYPE_START) {
            // Another kernel record (EXIT, MMAP, ...): nothing to write, but perf queues it with its
            // time too, so it moves the next flush's limit as it does there (tagged 0: no record).
            struct sample s;
            parse_record_trailer(p, size, first_type, &s);
            if (s.time != 0 && s.time != UINT64_MAX) enqueue(s.time, 0);
        }
        p += record_span(p, data_offset + data_size, type, size);
    }
    flush_up_to(UINT64_MAX);
    finish_delivery();
    pz_progress(data_size, data_size);
    trace_seq_destroy(&info);
    if (pz_out_flush() != 0) {
        fprintf(stderr, "write error: %s\n", strerror(errno));
        return 3;
    }
    if (cut_at) {
        // Read, with a note: exit 5 (prezero keeps the events and reports this).
        if (cut_size) fprintf(stderr, "byte offset %llu: the stream ends inside its last record (%llu of its %llu bytes)",
                              (unsigned long long)cut_at, (unsigned long long)cut_present, (unsigned long long)cut_size);
        else fprintf(stderr, "byte offset %llu: the stream ends inside its last record's header (%llu of 8 bytes)",
                     (unsigned long long)cut_at, (unsigned long long)cut_present);
        fprintf(stderr, ": a pipe-mode capture cut short while writing; the records before it are read, as perf script reads them\n");
        return 5;
    }
    return 0;
}
