#include "trace_render.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// A stream with a frame missing would be wrong: stop with the reason instead.
static void out_of_memory(void) {
    fprintf(stderr, "out of memory\n");
    exit(2);
}

static char out[1 << 20];
static size_t out_length;
static int out_failed;

void pz_progress(unsigned long long done, unsigned long long total) {
    static int channel = -1;  // -1 unknown, 0 none, 1 a pipe
    if (channel < 0) {
        struct stat info;
        channel = fstat(3, &info) == 0 && S_ISFIFO(info.st_mode);
    }
    if (!channel) return;
    unsigned long long pair[2] = {done, total};
    if (write(3, pair, sizeof pair) != (ssize_t)sizeof pair) channel = 0;
}

int pz_out_flush(void) {
    if (out_length > 0 && fwrite(out, 1, out_length, stdout) != out_length) out_failed = 1;
    out_length = 0;
    if (fflush(stdout) != 0) out_failed = 1;
    return out_failed ? -1 : 0;
}

static void out_bytes(const void *bytes, size_t count) {
    if (count > sizeof out - out_length) {
        if (out_length > 0 && fwrite(out, 1, out_length, stdout) != out_length) out_failed = 1;
        out_length = 0;
        if (count > sizeof out) {
            if (fwrite(bytes, 1, count, stdout) != count) out_failed = 1;
            return;
        }
    }
    memcpy(out + out_length, bytes, count);
    out_length += count;
}

void pz_out_event(struct pz_frame_event *frame) {
    frame->frame = PZ_FRAME_EVENT;
    // A fixed-size copy the compiler inlines: most frames are these.
    if (sizeof *frame > sizeof out - out_length) out_bytes(frame, sizeof *frame);
    else memcpy(out + out_length, frame, sizeof *frame), out_length += sizeof *frame;
}

// MARK: TEXT lines

static char *line;
static size_t line_length, line_capacity;

void pz_line_bytes(const char *bytes, size_t count) {
    if (count > line_capacity - line_length) {
        size_t capacity = line_capacity ? line_capacity : 4096;
        while (count > capacity - line_length) capacity *= 2;
        char *grown = realloc(line, capacity);
        if (!grown) out_of_memory();
        line = grown;
        line_capacity = capacity;
    }
    memcpy(line + line_length, bytes, count);
    line_length += count;
}

void pz_line_str(const char *text) { pz_line_bytes(text, strlen(text)); }
void pz_line_char(char c) { pz_line_bytes(&c, 1); }

void pz_line_udec(unsigned long long value) {
    char digits[24];
    int n = 0;
    do { digits[sizeof digits - 1 - n++] = (char)('0' + value % 10); value /= 10; } while (value);
    pz_line_bytes(digits + sizeof digits - n, (size_t)n);
}

void pz_line_dec(long long value) {
    if (value < 0) {
        pz_line_char('-');
        pz_line_udec(0ULL - (unsigned long long)value);
    } else {
        pz_line_udec((unsigned long long)value);
    }
}

void pz_line_time(unsigned long long ns) {
    pz_line_udec(ns / 1000000000ULL);
    char fraction[10];
    unsigned long long rest = ns % 1000000000ULL;
    fraction[0] = '.';
    for (int i = 9; i >= 1; i--) { fraction[i] = (char)('0' + rest % 10); rest /= 10; }
    pz_line_bytes(fraction, sizeof fraction);
}

void pz_end_line(void) {
    struct pz_frame_text header = {.frame = PZ_FRAME_TEXT, .length = (uint32_t)line_length};
    out_bytes(&header, sizeof header);
    out_bytes(line, line_length);
    line_length = 0;
}

uint64_t pz_handler_prints;

/// Prints `record` (of `event`) through its format, counting the prints a plugin's handler made.
static void print_info(struct tep_handle *tep, struct tep_event *event, struct trace_seq *seq, struct tep_record *record) {
    if (event->handler) pz_handler_prints++;
    tep_print_event(tep, seq, record, "%s", TEP_PRINT_INFO);
}

void pz_line_fields(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct trace_seq *scratch) {
    trace_seq_reset(scratch);
    print_info(tep, event, scratch, record);
    trace_seq_terminate(scratch);
    for (unsigned i = 0; scratch->buffer && i < scratch->len; i++)
        if (scratch->buffer[i] == '\n') scratch->buffer[i] = ' ';  // one record, one line
    if (scratch->buffer) pz_line_bytes(scratch->buffer, scratch->len);
}

// MARK: STRING ids


// Open addressing over (hash, id); the strings themselves in one growing arena.
struct string_slot { uint64_t hash; uint32_t id, offset, length; };
static struct string_slot *strings;
static size_t string_capacity;
static uint32_t string_count;
static char *arena;
static size_t arena_length, arena_capacity;

static uint64_t hash_bytes(const char *text, size_t length) {
    uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
    for (size_t i = 0; i < length; i++) h = (h ^ (uint8_t)text[i]) * 0x100000001b3ULL;
    return h;
}

uint32_t pz_string(const char *text, size_t length) {
    if (length > UINT32_MAX / 2) length = UINT32_MAX / 2;
    if ((size_t)(string_count + 1) * 2 > string_capacity) {
        size_t capacity = string_capacity ? string_capacity * 2 : 1024;
        struct string_slot *table = calloc(capacity, sizeof *table);
        if (!table) out_of_memory();
        for (size_t i = 0; i < string_capacity; i++) {
            if (!strings[i].id) continue;
            size_t k = strings[i].hash & (capacity - 1);
            while (table[k].id) k = (k + 1) & (capacity - 1);
            table[k] = strings[i];
        }
        free(strings);
        strings = table;
        string_capacity = capacity;
    }
    uint64_t hash = hash_bytes(text, length);
    size_t k = hash & (string_capacity - 1);
    for (; strings[k].id; k = (k + 1) & (string_capacity - 1))
        if (strings[k].hash == hash && strings[k].length == length && memcmp(arena + strings[k].offset, text, length) == 0)
            return strings[k].id;
    if (length > arena_capacity - arena_length) {
        size_t capacity = arena_capacity ? arena_capacity : 1 << 16;
        while (length > capacity - arena_length) capacity *= 2;
        char *grown = capacity <= UINT32_MAX ? realloc(arena, capacity) : NULL;
        if (!grown) out_of_memory();
        arena = grown;
        arena_capacity = capacity;
    }
    memcpy(arena + arena_length, text, length);
    strings[k] = (struct string_slot){hash, ++string_count, (uint32_t)arena_length, (uint32_t)length};
    arena_length += length;
    struct pz_frame_string header = {.frame = PZ_FRAME_STRING, .id = string_count, .length = (uint32_t)length};
    out_bytes(&header, sizeof header);
    out_bytes(text, length);
    return string_count;
}

// MARK: EVENT frames

// What an event id is to the fast path, decided at its first record.
struct event_fields {
    int decided;  // 0 until the first record (the table starts as untouched zero pages: 7.9 MB)
    int kind;     // 0 none, else a pz_stream_event
    struct tep_format_field *pfn, *order, *migratetype, *gfp, *address, *ip, *error_code;
    struct tep_format_field *mm_id, *curr, *member, *size;
    // rss_stat, per member number: 0 not seen yet, -1 rendered as text, else the member its
    // printed name gives + 1.
    int8_t member_by_number[16];
    uint32_t other;  // pz_other_event: 0 undecided, 1 rendered by the caller, else the name's string id + 2
};
#define MAX_IDS 65536
static struct event_fields fields_by_id[MAX_IDS];

static struct event_fields *fields_of(struct tep_event *event) {
    if (event->id < 0 || event->id >= MAX_IDS) return NULL;
    struct event_fields *f = &fields_by_id[event->id];
    if (f->decided) return f;
    f->decided = 1;
    f->kind = 0;
    const char *name = event->name ? event->name : "";
    int page = !strcmp(name, "mm_page_alloc") ? PZ_EVENT_PAGE_ALLOC
        : !strcmp(name, "mm_page_free") ? PZ_EVENT_PAGE_FREE
        : !strcmp(name, "mm_page_free_batched") ? PZ_EVENT_PAGE_FREE_BATCHED
        : !strcmp(name, "mm_page_alloc_zone_locked") ? PZ_EVENT_ALLOC_ZONE_LOCKED
        : !strcmp(name, "mm_page_pcpu_drain") ? PZ_EVENT_PCPU_DRAIN : 0;
    if (page) {
        f->pfn = tep_find_field(event, "pfn");
        f->order = tep_find_field(event, "order");
        f->migratetype = tep_find_field(event, "migratetype");
        f->gfp = tep_find_field(event, "gfp_flags");
        int complete = f->pfn && (page == PZ_EVENT_PAGE_FREE_BATCHED || f->order)
            && (page != PZ_EVENT_PAGE_ALLOC || f->gfp)
            && (page == PZ_EVENT_PAGE_FREE || page == PZ_EVENT_PAGE_FREE_BATCHED || f->migratetype);
        if (complete) f->kind = page;
    } else if (!strcmp(name, "page_fault_user") || !strcmp(name, "page_fault_kernel")) {
        f->address = tep_find_field(event, "address");
        f->ip = tep_find_field(event, "ip");
        f->error_code = tep_find_field(event, "error_code");
        if (f->address && f->ip && f->error_code) f->kind = name[11] == 'u' ? PZ_EVENT_FAULT_USER : PZ_EVENT_FAULT_KERNEL;
    } else if (!strcmp(name, "rss_stat")) {
        f->mm_id = tep_find_field(event, "mm_id");
        f->curr = tep_find_field(event, "curr");
        f->member = tep_find_field(event, "member");
        f->size = tep_find_field(event, "size");
        // The layout of include/trace/events/kmem.h since 6.2 (unsigned int mm_id and curr, int
        // member, long size); its print format is checked on the first record of each member.
        // A 4-byte long (a 32-bit kernel's) stays text: libtraceevent prints it zero-extended
        // (`(long)` of tep_read_number's value), which a later record's top bit would show.
        if (f->mm_id && f->mm_id->size == 4 && f->curr && f->curr->size == 4 && f->member && f->member->size == 4
            && f->size && f->size->size == 8)
            f->kind = PZ_EVENT_RSS_STAT;
    }
    return f;
}

// MARK: OTHER frames

static char *known_list;  // the names, each ended by a comma
static int known_set;

void pz_set_known_events(const char *names) {
    size_t n = strlen(names);
    known_list = malloc(n + 2);
    if (!known_list) out_of_memory();
    memcpy(known_list, names, n);
    known_list[n] = ',';
    known_list[n + 1] = 0;
    known_set = 1;
}

static int is_known(const char *name) {
    size_t n = strlen(name);
    for (const char *p = known_list; *p;) {
        const char *comma = strchr(p, ',');
        if (!comma) break;
        if ((size_t)(comma - p) == n && memcmp(p, name, n) == 0) return 1;
        p = comma + 1;
    }
    return 0;
}

int pz_is_known_event(const char *name) { return !known_set || is_known(name); }

int pz_other_event(struct tep_event *event, int with_system) {
    struct event_fields *f = known_set && event->name ? fields_of(event) : NULL;
    if (!f) return 0;
    uint32_t *slot = &f->other;
    if (*slot == 0) {
        // A sched event with a plugin handler is rendered all the same: plugin_sched_switch's
        // handlers of sched_wakeup and sched_wakeup_new register the comms they print, which
        // later records of that task are named by (kmem's, of kmalloc and the like, do not).
        int registers_comms = event->handler && event->system && strcmp(event->system, "sched") == 0;
        if (is_known(event->name) || registers_comms) {
            *slot = 1;
        } else {
            size_t system = with_system ? strlen(event->system ? event->system : "?") + 1 : 0;
            size_t length = system + strlen(event->name);
            char *printed = malloc(length + 1);
            if (!printed) out_of_memory();
            if (with_system) snprintf(printed, length + 1, "%s:%s", event->system ? event->system : "?", event->name);
            else memcpy(printed, event->name, length + 1);
            *slot = pz_string(printed, length) + 2;
            free(printed);
        }
    }
    if (*slot == 1) return 0;
    struct pz_frame_other frame = {.frame = PZ_FRAME_OTHER, .name = *slot - 2};
    out_bytes(&frame, sizeof frame);
    return 1;
}

// A numeric field, zero-extended (as tep_read_number_field gives it): read in place when the
// file has this machine's byte order, through libtraceevent otherwise.
static unsigned long long number(struct tep_format_field *field, struct tep_record *record, int *ok) {
    unsigned long long value = 0;
    if (field->offset < 0 || field->size <= 0 || (long long)field->offset + field->size > (long long)record->size) {
        *ok = 0;
        return 0;
    }
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    static int in_place = -1;
    if (in_place < 0) in_place = !tep_is_file_bigendian(field->event->tep);
    if (in_place) {
        // Fixed-size copies (inlined loads), not a memcpy call of a variable size.
        const char *at = (const char *)record->data + field->offset;
        switch (field->size) {
        case 8: memcpy(&value, at, 8); return value;
        case 4: { uint32_t v; memcpy(&v, at, 4); return v; }
        case 2: { uint16_t v; memcpy(&v, at, 2); return v; }
        case 1: return (unsigned char)*at;
        }
    }
#endif
    if (tep_read_number_field(field, record->data, &value) != 0) *ok = 0;
    return value;
}

// The print format's rendering of gfp_flags for `raw`, taken from a full rendering of `record`,
// as a string id; 0 when there is none. Rendered once per distinct value.
struct gfp_text { unsigned long long raw; uint32_t id; };
static struct gfp_text *gfp_table;
static size_t gfp_capacity, gfp_count;

static uint32_t gfp_string(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, unsigned long long raw) {
    if (gfp_count * 2 >= gfp_capacity) {
        size_t capacity = gfp_capacity ? gfp_capacity * 2 : 256;
        struct gfp_text *table = calloc(capacity, sizeof *table);
        if (!table) return 0;
        for (size_t i = 0; i < gfp_capacity; i++) {
            if (!gfp_table[i].id) continue;
            size_t k = (size_t)(gfp_table[i].raw * 0x9E3779B97F4A7C15ULL >> 20) & (capacity - 1);
            while (table[k].id) k = (k + 1) & (capacity - 1);
            table[k] = gfp_table[i];
        }
        free(gfp_table);
        gfp_table = table;
        gfp_capacity = capacity;
    }
    size_t k = (size_t)(raw * 0x9E3779B97F4A7C15ULL >> 20) & (gfp_capacity - 1);
    while (gfp_table[k].id) {
        if (gfp_table[k].raw == raw) return gfp_table[k].id;
        k = (k + 1) & (gfp_capacity - 1);
    }
    struct trace_seq full;
    trace_seq_init(&full);
    print_info(tep, event, &full, record);
    trace_seq_terminate(&full);
    const char *at = full.buffer ? strstr(full.buffer, "gfp_flags=") : NULL;
    uint32_t id = 0;
    if (at) {
        at += 10;
        size_t length = strcspn(at, " \n");  // the value only
        id = length > 0 ? pz_string(at, length) : 0;
    }
    trace_seq_destroy(&full);
    if (!id) return 0;
    gfp_table[k].raw = raw;
    gfp_table[k].id = id;
    gfp_count++;
    return id;
}

// The member an rss_stat record's `type=` names (0...3), or -1 to render it as text: decided by
// the first record of each member number, whose rendering must be exactly what the fast path
// assumes (`mm_id=%u curr=%d type=%s size=%ldB` with one of the four names), so a kernel that
// prints the event another way (5.5's `member=%d`, say) keeps the text path's reading.
static int counter_member(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct event_fields *f,
                          unsigned long long number_of_member, unsigned long long mm_id, unsigned long long curr, long long size) {
    if (number_of_member >= sizeof f->member_by_number) return -1;
    int8_t *decided = &f->member_by_number[number_of_member];
    if (*decided) return *decided > 0 ? *decided - 1 : -1;
    static const char *const names[] = {"MM_FILEPAGES", "MM_ANONPAGES", "MM_SWAPENTS", "MM_SHMEMPAGES"};
    struct trace_seq full;
    trace_seq_init(&full);
    print_info(tep, event, &full, record);
    trace_seq_terminate(&full);
    int member = -1;
    for (int i = 0; i < 4 && full.buffer && member < 0; i++) {
        char expected[160];
        snprintf(expected, sizeof expected, "mm_id=%u curr=%d type=%s size=%lldB", (unsigned)mm_id, (int)(uint32_t)curr, names[i], size);
        if (strcmp(full.buffer, expected) == 0) member = i;
    }
    trace_seq_destroy(&full);
    *decided = (int8_t)(member >= 0 ? member + 1 : -1);
    return member;
}

int pz_fast_event(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct pz_frame_event *frame) {
    struct event_fields *f = fields_of(event);
    if (!f || f->kind == 0) return 0;
    int ok = 1;
    frame->event = (uint8_t)f->kind;
    frame->b = frame->c = 0;
    if (f->kind == PZ_EVENT_RSS_STAT) {
        unsigned long long mm_id = number(f->mm_id, record, &ok), curr = number(f->curr, record, &ok);
        unsigned long long member_number = number(f->member, record, &ok);
        long long size = (long long)number(f->size, record, &ok);  // 8 bytes: as %ld prints it
        if (!ok) return 0;
        int member = counter_member(tep, event, record, f, member_number, mm_id, curr, size);
        if (member < 0) return 0;
        frame->order = 0;
        frame->migratetype = -1;
        frame->a = mm_id;
        frame->b = (unsigned long long)size;
        frame->c = (unsigned long long)member | (curr == 1 ? 0x100 : 0);
        return 1;
    }
    if (f->kind == PZ_EVENT_FAULT_USER || f->kind == PZ_EVENT_FAULT_KERNEL) {
        unsigned long long address = number(f->address, record, &ok), ip = number(f->ip, record, &ok);
        unsigned long long code = number(f->error_code, record, &ok);
        // %ps prints a symbol when kallsyms names the address, and 0 its own way: leave those to
        // the print format.
        if (!ok || address == 0 || ip == 0 || tep_find_function(tep, address) || tep_find_function(tep, ip)) return 0;
        frame->order = 0;
        frame->migratetype = -1;
        frame->a = address;
        frame->b = ip;
        frame->c = code;
        return 1;
    }
    unsigned long long pfn = number(f->pfn, record, &ok);
    unsigned long long order = f->kind == PZ_EVENT_PAGE_FREE_BATCHED ? 0 : number(f->order, record, &ok);
    long long migratetype = -1;
    if (f->kind != PZ_EVENT_PAGE_FREE && f->kind != PZ_EVENT_PAGE_FREE_BATCHED) migratetype = (int)number(f->migratetype, record, &ok);
    // 52 physical address bits over 4 KiB pages, as the text parser checks; a failed allocation
    // (pfn -1) prints as 0, so it is text too.
    int failed = pfn == (f->pfn->size == 8 ? ~0ULL : 0xFFFFFFFFULL);
    if (!ok || failed || pfn >= 1ULL << 40 || order >= 64 || migratetype < -1 || migratetype > 127) return 0;
    if (f->kind == PZ_EVENT_PAGE_ALLOC) {
        unsigned long long raw = number(f->gfp, record, &ok);
        if (!ok || raw == 0) return 0;  // an empty mask prints its own way
        frame->c = gfp_string(tep, event, record, raw);
        if (!frame->c) return 0;
    }
    frame->order = (uint8_t)order;
    frame->migratetype = (int8_t)migratetype;
    frame->a = pfn;
    return 1;
}
