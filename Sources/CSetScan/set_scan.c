// The definitions a debug build calls out of line (see set_scan.h); release builds inline the header.
#define PZ_SCAN_DEFINE
#include "set_scan.h"
