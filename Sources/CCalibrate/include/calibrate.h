// Timing loops for `prezero calibrate`: each runs one repetition of one measurement on this
// machine and returns nanoseconds (negative when the operation could not be done, e.g. mmap
// failed). The Swift side repeats them, takes medians and writes the profile.
#ifndef PREZERO_CALIBRATE_H
#define PREZERO_CALIBRATE_H
#include <stddef.h>

/// Monotonic clock, ns.
double pz_now_ns(void);

/// Faults in a fresh anonymous mapping of `bytes`, one per `unit` bytes (4096, or 2 MiB with
/// `huge` set: MADV_HUGEPAGE, the mapping 2 MiB-aligned), by a 1-byte write (`write` 1) or read.
/// Each fault's latency goes to `samples` (up to `max_samples`). Returns the mean ns a fault.
double pz_faults(size_t bytes, size_t unit, int huge, int write, double *samples, size_t max_samples);

/// 4 KiB write faults, each after a store to every line of `sweep` bytes of `scratch` (already
/// faulted in), as a program's own work between two faults pushes the fault path's code, data and
/// TLB entries out of the caches. Returns the median ns a fault (negative when mmap failed).
double pz_cold_faults(void *scratch, size_t sweep, size_t faults);

/// Clears `extent` bytes of `buffer` in calls of `chunk` bytes each, with `rep stosb` (the
/// kernel's clear_page_erms) or, `nontemporal` set, non-temporal stores and one sfence per
/// chunk. Returns ns for the whole extent.
double pz_clear(void *buffer, size_t extent, size_t chunk, int nontemporal);

/// Reads (`mode` 0), writes zeros with rep stosb (1), writes zeros non-temporally (2) or writes
/// non-zero bytes with rep stosb (3) over `bytes` of `buffer` once. Returns ns. (Some machines
/// write zeros faster than data: this one ~90 against ~42 GB/s.)
double pz_stream(void *buffer, size_t bytes, int mode);

/// The same on `threads` threads at once, each on its own `bytes`-sized buffer. Returns the
/// wall ns of the slowest.
double pz_stream_threads(size_t bytes, int mode, int threads);

/// Touches every page of `buffer` (`bytes`, already faulted in, out of cache): one store per
/// page (`lines` 1) or a store to each of its lines (`lines` = lines a page). Returns ns.
double pz_touch_pages(void *buffer, size_t bytes, size_t page, size_t line, size_t lines);

/// Dependent loads over a random cycle of the lines of `buffer` (`bytes`): `loads` of them.
/// Returns ns a load.
double pz_chase(void *buffer, size_t bytes, size_t line, size_t loads);

/// Streams through `bytes` of `scratch` to push other data out of the caches.
void pz_evict(void *scratch, size_t bytes);

/// Re-reads a `working_set`-byte buffer (every line) once undisturbed and once after `faults`
/// fresh 4 KiB write faults (whose clears pass through the caches). Returns the extra ns a fault
/// (below 0 when the noise is larger than the effect; NaN when memory could not be mapped).
double pz_pollution(size_t working_set, size_t line, size_t faults);

#endif
