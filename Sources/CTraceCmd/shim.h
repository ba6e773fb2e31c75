// libtracecmd and libtraceevent for the prezero-trace-dat helper (its main.c includes them).
#ifndef PREZERO_CTRACECMD_SHIM_H
#define PREZERO_CTRACECMD_SHIM_H
#include <trace-cmd.h>
#include <event-parse.h>
#include <trace-seq.h>
#endif
