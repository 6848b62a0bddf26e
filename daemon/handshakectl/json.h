/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal streaming JSON writer for stdout. key is NULL inside arrays and
 * at the top level. A finished top-level value ends with a newline, so a
 * stream of them is one object per line (or per block when pretty).
 */
#ifndef HANDSHAKECTL_JSON_H
#define HANDSHAKECTL_JSON_H

#include <stdbool.h>
#include <stdint.h>

void json_set_pretty(bool pretty);
void json_object_begin(const char *key);
void json_object_end(void);
void json_array_begin(const char *key);
void json_array_end(void);
void json_string(const char *key, const char *value);
void json_uint(const char *key, uint64_t value);

#endif
