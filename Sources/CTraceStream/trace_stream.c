// The frames' sizes are part of the protocol: prezero reads them at these sizes.
#include <stddef.h>
#include "trace_stream.h"

_Static_assert(sizeof(struct pz_frame_text) == 8, "TEXT header is 8 bytes");
_Static_assert(sizeof(struct pz_frame_string) == 12, "STRING header is 12 bytes");
_Static_assert(sizeof(struct pz_frame_event) == 48, "EVENT is 48 bytes");
_Static_assert(offsetof(struct pz_frame_event, time_ns) == 16, "EVENT time at 16");
