// SPDX-License-Identifier: GPL-2.0-only
/*
 * Logging: one line per message on stderr. Under systemd, stderr is a
 * journal stream (JOURNAL_STREAM names it); then each line carries a
 * "<N>" syslog prefix so the journal records the right priority and the
 * level word is left out.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "log.h"

/*
 * GnuTLS's debug level at our debug level: 2 is its general debug
 * messages, 3 adds the trail of internal errors (ASSERT lines) that shows
 * where a handshake failed, 4 adds the handshake messages and extensions
 * as they are sent and received. 5 and above log every record and the
 * raw I/O, which is more than anyone reads.
 */
#define GNUTLS_LEVEL_AT_DEBUG 4

static int max_level = LOG_INFO;
static bool journal;
static const char *prefix = "";	/* "worker N: " in a worker process */

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
	[LOG_ERR] = "error", [LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_init(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	/* Only trust the variable if stderr really is that stream. */
	if (e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    st.st_dev == dev && st.st_ino == ino)
		journal = true;
}

void log_set_prefix(const char *p)
{
	prefix = p;
}

/* GnuTLS ends its lines with a newline; log_msg() adds its own. */
static void log_gnutls_line(const char *what, const char *msg)
{
	size_t len = strlen(msg);

	while (len && msg[len - 1] == '\n')
		len--;
	log_msg(LOG_DEBUG, "gnutls: %s%.*s", what, (int)len, msg);
}

static void log_gnutls_debug(int level, const char *msg)
{
	(void)level;
	log_gnutls_line("", msg);
}

/*
 * Security-relevant events (a peer certificate's key usage violation, a
 * detected downgrade, a record of unknown type); GnuTLS reports them
 * whatever its log level.
 */
static void log_gnutls_audit(gnutls_session_t session, const char *msg)
{
	(void)session;
	log_gnutls_line("audit: ", msg);
}

void log_set_level(int level)
{
	bool debug = level >= LOG_TRACE;

	max_level = level;
	/*
	 * GnuTLS's own logs only at our trace level. Both functions are
	 * cleared otherwise: without an audit function GnuTLS hands audit
	 * messages to the debug function, whatever its log level.
	 */
	gnutls_global_set_log_level(debug ? GNUTLS_LEVEL_AT_DEBUG : 0);
	gnutls_global_set_log_function(debug ? log_gnutls_debug : NULL);
	gnutls_global_set_audit_log_function(debug ? log_gnutls_audit : NULL);
}

int log_get_level(void)
{
	return max_level;
}

void log_msg(int prio, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (prio > max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One fprintf per line keeps concurrent writers from interleaving. */
	if (journal)
		fprintf(stderr, "<%d>%s%s\n", prio, prefix, buf);
	else
		fprintf(stderr, "%s: %s%s\n", level_names[prio & 7], prefix, buf);
}

const char *errno_name(int err)
{
	const char *n;

	if (err == 0)
		return "0";
	n = strerrorname_np(err);
	return n ? n : "E?";
}
