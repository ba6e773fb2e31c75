#ifndef PREZERO_CZSTD_SHIM_H
#define PREZERO_CZSTD_SHIM_H
#include <zstd.h>
#endif
