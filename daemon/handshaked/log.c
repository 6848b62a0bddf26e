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

#include "log.h"

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

void log_set_level(int level)
{
	max_level = level;
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
