// SPDX-License-Identifier: GPL-2.0-only
/*
 * Logging: GnuTLS's own log comes through log_msg() at trace level, one
 * "debug: gnutls: " line per message, and not at all at other levels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "log.h"
#include "test.h"

static char out[65536];

/*
 * Load a trust file that does not exist, which makes GnuTLS log where it
 * failed (its ASSERT lines, level 3), with stderr going to a file. Returns
 * what was written there.
 */
static const char *gnutls_failure_output(FILE *f, int saved_stderr)
{
	gnutls_certificate_credentials_t cred;
	size_t n;

	fflush(stderr);
	if (ftruncate(fileno(f), 0) || dup2(fileno(f), STDERR_FILENO) < 0)
		return "(cannot redirect stderr)";
	rewind(f);
	if (gnutls_certificate_allocate_credentials(&cred) == 0) {
		CHECK(gnutls_certificate_set_x509_trust_file(cred, "/nonexistent/ca.pem",
							     GNUTLS_X509_FMT_PEM) < 0);
		gnutls_certificate_free_credentials(cred);
	}
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	return out;
}

int main(void)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	const char *s, *line, *nl;

	if (!f || saved < 0) {
		perror("tmpfile");
		return 1;
	}
	/* Plain "level: message" lines, whatever runs the test. */
	unsetenv("JOURNAL_STREAM");
	log_init();

	log_set_level(LOG_TRACE);
	s = gnutls_failure_output(f, saved);
	CHECK(*s != '\0');
	/* Every line is ours, and none is empty: GnuTLS's newline is gone. */
	for (line = s; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		CHECK(nl && strncmp(line, "debug: gnutls: ", 15) == 0 && nl > line + 15);
		if (!nl)
			break;
	}
	if (failures)
		fprintf(stderr, "at trace level, GnuTLS logged:\n%s", s);

	/* Our debug level leaves GnuTLS out: it is a flood. */
	log_set_level(LOG_DEBUG);
	s = gnutls_failure_output(f, saved);
	CHECK(*s == '\0');
	if (*s)
		fprintf(stderr, "at debug level, GnuTLS logged:\n%s", s);

	log_set_level(LOG_INFO);
	s = gnutls_failure_output(f, saved);
	CHECK(*s == '\0');
	if (*s)
		fprintf(stderr, "at info level, GnuTLS logged:\n%s", s);

	/* Back to trace and down again: each change takes effect. */
	log_set_level(LOG_TRACE);
	CHECK(*gnutls_failure_output(f, saved) != '\0');
	log_set_level(LOG_WARNING);
	CHECK(*gnutls_failure_output(f, saved) == '\0');

	fclose(f);
	if (!failures)
		printf("ok: GnuTLS logs through log_msg() at trace level only\n");
	return failures ? 1 : 0;
}
