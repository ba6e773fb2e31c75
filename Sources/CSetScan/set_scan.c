// The header holds the code (static inline, so Swift inlines it); SwiftPM needs a source file.
#include "set_scan.h"
