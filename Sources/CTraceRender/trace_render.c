#include "trace_render.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

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

void pz_out_bytes(const char *bytes, size_t count) {
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

void pz_out_str(const char *text) { pz_out_bytes(text, strlen(text)); }
void pz_out_char(char c) { pz_out_bytes(&c, 1); }

void pz_out_udec(unsigned long long value) {
    char digits[24];
    int n = 0;
    do { digits[sizeof digits - 1 - n++] = (char)('0' + value % 10); value /= 10; } while (value);
    pz_out_bytes(digits + sizeof digits - n, (size_t)n);
}

void pz_out_dec(long long value) {
    if (value < 0) {
        pz_out_char('-');
        pz_out_udec(0ULL - (unsigned long long)value);
    } else {
        pz_out_udec((unsigned long long)value);
    }
}

void pz_out_hex(unsigned long long value) {
    char digits[20];
    int n = 0;
    do { digits[sizeof digits - 1 - n++] = "0123456789abcdef"[value & 15]; value >>= 4; } while (value);
    digits[sizeof digits - 1 - n++] = 'x';
    digits[sizeof digits - 1 - n++] = '0';
    pz_out_bytes(digits + sizeof digits - n, (size_t)n);
}

void pz_out_time(unsigned long long ns) {
    pz_out_udec(ns / 1000000000ULL);
    char fraction[10];
    unsigned long long rest = ns % 1000000000ULL;
    fraction[0] = '.';
    for (int i = 9; i >= 1; i--) { fraction[i] = (char)('0' + rest % 10); rest /= 10; }
    pz_out_bytes(fraction, sizeof fraction);
}

// What an event id is to the fast path, decided at its first record.
enum kind { UNKNOWN = 0, OTHER, PAGE_ALLOC, PAGE_FREE, PAGE_FREE_BATCHED, FAULT };
struct event_fields {
    enum kind kind;
    struct tep_format_field *pfn, *order, *migratetype, *gfp, *address, *ip, *error_code;
};
#define MAX_IDS 65536
static struct event_fields fields_by_id[MAX_IDS];

// gfp_flags text by raw value: open addressing, rendered once per distinct value.
struct gfp_text { unsigned long long raw; char *text; };
static struct gfp_text *gfp_table;
static size_t gfp_capacity, gfp_count;

static struct event_fields *fields_of(struct tep_event *event) {
    if (event->id < 0 || event->id >= MAX_IDS) return NULL;
    struct event_fields *f = &fields_by_id[event->id];
    if (f->kind != UNKNOWN) return f;
    f->kind = OTHER;
    const char *name = event->name ? event->name : "";
    if (!strcmp(name, "mm_page_alloc")) {
        f->pfn = tep_find_field(event, "pfn");
        f->order = tep_find_field(event, "order");
        f->migratetype = tep_find_field(event, "migratetype");
        f->gfp = tep_find_field(event, "gfp_flags");
        if (f->pfn && f->order && f->migratetype && f->gfp) f->kind = PAGE_ALLOC;
    } else if (!strcmp(name, "mm_page_free")) {
        f->pfn = tep_find_field(event, "pfn");
        f->order = tep_find_field(event, "order");
        if (f->pfn && f->order) f->kind = PAGE_FREE;
    } else if (!strcmp(name, "mm_page_free_batched")) {
        f->pfn = tep_find_field(event, "pfn");
        if (f->pfn) f->kind = PAGE_FREE_BATCHED;
    } else if (!strcmp(name, "page_fault_user") || !strcmp(name, "page_fault_kernel")) {
        f->address = tep_find_field(event, "address");
        f->ip = tep_find_field(event, "ip");
        f->error_code = tep_find_field(event, "error_code");
        if (f->address && f->ip && f->error_code) f->kind = FAULT;
    }
    return f;
}

static unsigned long long number(struct tep_format_field *field, struct tep_record *record, int *ok) {
    unsigned long long value = 0;
    if (field->offset + field->size > record->size || tep_read_number_field(field, record->data, &value) != 0) *ok = 0;
    return value;
}

// The print format's rendering of gfp_flags for `raw`, taken from a full rendering of `record`.
static const char *gfp_text(struct tep_handle *tep, struct tep_record *record, unsigned long long raw) {
    if (gfp_count * 2 >= gfp_capacity) {
        size_t capacity = gfp_capacity ? gfp_capacity * 2 : 256;
        struct gfp_text *table = calloc(capacity, sizeof *table);
        if (!table) return NULL;
        for (size_t i = 0; i < gfp_capacity; i++) {
            if (!gfp_table[i].text) continue;
            size_t k = (size_t)(gfp_table[i].raw * 0x9E3779B97F4A7C15ULL >> 20) & (capacity - 1);
            while (table[k].text) k = (k + 1) & (capacity - 1);
            table[k] = gfp_table[i];
        }
        free(gfp_table);
        gfp_table = table;
        gfp_capacity = capacity;
    }
    size_t k = (size_t)(raw * 0x9E3779B97F4A7C15ULL >> 20) & (gfp_capacity - 1);
    while (gfp_table[k].text) {
        if (gfp_table[k].raw == raw) return gfp_table[k].text;
        k = (k + 1) & (gfp_capacity - 1);
    }
    struct trace_seq full;
    trace_seq_init(&full);
    tep_print_event(tep, &full, record, "%s", TEP_PRINT_INFO);
    trace_seq_terminate(&full);
    const char *at = full.buffer ? strstr(full.buffer, "gfp_flags=") : NULL;
    char *text = at ? strdup(at + 10) : NULL;
    trace_seq_destroy(&full);
    if (!text) return NULL;
    for (char *c = text; *c; c++)
        if (*c == ' ' || *c == '\n') { *c = 0; break; }  // the value only
    gfp_table[k].raw = raw;
    gfp_table[k].text = text;
    gfp_count++;
    return text;
}

void pz_out_fields(struct tep_handle *tep, struct tep_event *event, struct tep_record *record, struct trace_seq *scratch) {
    struct event_fields *f = fields_of(event);
    int ok = 1;
    if (f) switch (f->kind) {
    case PAGE_ALLOC: {
        unsigned long long pfn = number(f->pfn, record, &ok), order = number(f->order, record, &ok);
        long long migratetype = (int)number(f->migratetype, record, &ok);
        unsigned long long raw = number(f->gfp, record, &ok);
        // A failed allocation (pfn -1) and an empty mask print specially: the print format's way.
        if (!ok || pfn == (f->pfn->size == 8 ? ~0ULL : 0xFFFFFFFFULL) || raw == 0) break;
        const char *gfp = gfp_text(tep, record, raw);
        if (!gfp) break;
        pz_out_str("pfn=");
        pz_out_hex(pfn);
        pz_out_str(" order=");
        pz_out_udec(order);
        pz_out_str(" migratetype=");
        pz_out_dec(migratetype);
        pz_out_str(" gfp_flags=");
        pz_out_str(gfp);
        return;
    }
    case PAGE_FREE: {
        unsigned long long pfn = number(f->pfn, record, &ok), order = number(f->order, record, &ok);
        if (!ok) break;
        pz_out_str("pfn=");
        pz_out_hex(pfn);
        pz_out_str(" order=");
        pz_out_udec(order);
        return;
    }
    case PAGE_FREE_BATCHED: {
        unsigned long long pfn = number(f->pfn, record, &ok);
        if (!ok) break;
        pz_out_str("pfn=");
        pz_out_hex(pfn);
        pz_out_str(" order=0");
        return;
    }
    case FAULT: {
        unsigned long long address = number(f->address, record, &ok), ip = number(f->ip, record, &ok);
        unsigned long long code = number(f->error_code, record, &ok);
        // %ps prints a symbol when kallsyms names the address, and 0 its own way: leave those to
        // the print format.
        if (!ok || address == 0 || ip == 0 || tep_find_function(tep, address) || tep_find_function(tep, ip)) break;
        pz_out_str("address=");
        pz_out_hex(address);
        pz_out_str(" ip=");
        pz_out_hex(ip);
        pz_out_str(" error_code=");
        pz_out_hex(code);
        return;
    }
    default:
        break;
    }
    trace_seq_reset(scratch);
    tep_print_event(tep, scratch, record, "%s", TEP_PRINT_INFO);
    trace_seq_terminate(scratch);
    for (unsigned i = 0; scratch->buffer && i < scratch->len; i++)
        if (scratch->buffer[i] == '\n') scratch->buffer[i] = ' ';  // one record, one line
    if (scratch->buffer) pz_out_bytes(scratch->buffer, scratch->len);
}
