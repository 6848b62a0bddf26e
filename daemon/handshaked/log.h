/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef HANDSHAKED_LOG_H
#define HANDSHAKED_LOG_H

#include <syslog.h>

/* Levels are syslog priorities, so the journal prefix is the level itself. */
void log_init(void);
/*
 * A level above LOG_DEBUG, for log_set_level() only: our debug messages
 * and GnuTLS's own debug and audit logs ("gnutls: ", at LOG_DEBUG), which
 * are a hundred-odd lines per handshake.
 */
#define LOG_TRACE (LOG_DEBUG + 1)
void log_set_level(int level);
/* Put @prefix (kept, not copied) before every message: which worker says it. */
void log_set_prefix(const char *prefix);
int log_get_level(void);
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

/* "EACCES" for 13, "0" for 0: errno names are greppable, messages are not. */
const char *errno_name(int err);

#endif
