// SPDX-License-Identifier: GPL-2.0
/* Handshake upcall: where the tracepoints of trace.h are defined. */
#define CREATE_TRACE_POINTS
#include "trace.h"
