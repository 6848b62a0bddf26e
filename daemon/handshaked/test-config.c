// SPDX-License-Identifier: GPL-2.0-only
/* Configuration parsing: values, defaults and "FILE:LINE: message" errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "test.h"

static char path[] = "/tmp/handshaked-test-XXXXXX";
static char errbuf[4096];

/* Parse @text; the error output lands in errbuf. */
static int parse(struct config *cfg, const char *text)
{
	FILE *f = fopen(path, "w"), *err;
	int r;

	fputs(text, f);
	fclose(f);
	memset(errbuf, 0, sizeof(errbuf));
	err = fmemopen(errbuf, sizeof(errbuf) - 1, "w");
	config_init(cfg);
	r = config_load(cfg, path, err);
	fclose(err);
	return r;
}

/* The error output must contain "PATH:LINE: " followed by @what. */
static int has_error(int line, const char *what)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, what);
	if (strstr(errbuf, want))
		return 1;
	fprintf(stderr, "wanted \"%s\" in:\n%s", want, errbuf);
	return 0;
}

int main(void)
{
	struct config cfg;
	int fd = mkstemp(path);

	close(fd);

	CHECK(parse(&cfg,
		"# comment\n"
		"[global]\n"
		"log-level = debug\n"
		"[tls]\n"
		"ca-file = /etc/ssl/ca.pem\n"
		"crl-file = /etc/ssl/crl.pem\n"
		"min-version = 1.2\n"
		"priority = NORMAL:-VERS-TLS1.0\n"
		"[client]\n"
		"cert-file = /c.pem\n"
		"key-file = /c.key\n"
		"[server]\n"
		"cert-file = /s.pem\n"
		"key-file = /s.key\n"
		"client-auth = required\n") == 0);
	CHECK(cfg.log_level == LOG_DEBUG);
	CHECK(cfg.trust.ca_file && !strcmp(cfg.trust.ca_file, "/etc/ssl/ca.pem"));
	CHECK(cfg.trust.crl_file && !strcmp(cfg.trust.crl_file, "/etc/ssl/crl.pem"));
	CHECK(cfg.min_version == 0x303);
	CHECK(cfg.priority && !strcmp(cfg.priority, "NORMAL:-VERS-TLS1.0"));
	CHECK(cfg.client_cert && !strcmp(cfg.client_cert, "/c.pem"));
	CHECK(cfg.client_key && !strcmp(cfg.client_key, "/c.key"));
	CHECK(cfg.server_cert && !strcmp(cfg.server_cert, "/s.pem"));
	CHECK(cfg.server_key && !strcmp(cfg.server_key, "/s.key"));
	CHECK(cfg.client_auth == CLIENT_AUTH_REQUIRED);
	CHECK(errbuf[0] == 0);
	config_free(&cfg);

	/* Defaults. */
	CHECK(parse(&cfg, "") == 0);
	CHECK(cfg.log_level == LOG_INFO && cfg.min_version == 0x304);
	CHECK(!cfg.trust.ca_file && !cfg.priority && cfg.client_auth == CLIENT_AUTH_NONE);
	CHECK(cfg.workers == 1 && cfg.exit_idle_sec == 0);
	config_free(&cfg);

	/* Per-role trust: each file replaces [tls]'s for that role only. */
	CHECK(parse(&cfg, "[tls]\nca-file = /t.pem\n[client]\nca-file = /c-ca.pem\n"
		    "[server]\ncrl-file = /s-crl.pem\n") == 0);
	CHECK(cfg.trust.ca_file && !strcmp(cfg.trust.ca_file, "/t.pem") && !cfg.trust.crl_file);
	CHECK(cfg.client_trust.ca_file && !strcmp(cfg.client_trust.ca_file, "/c-ca.pem") &&
	      !cfg.client_trust.crl_file);
	CHECK(!cfg.server_trust.ca_file && cfg.server_trust.crl_file &&
	      !strcmp(cfg.server_trust.crl_file, "/s-crl.pem"));
	config_free(&cfg);
	CHECK(parse(&cfg, "[tls]\nkeyrings = .nvme, .nfs\n") == 0);
	CHECK(cfg.keyrings && !strcmp(cfg.keyrings, ".nvme, .nfs"));
	config_free(&cfg);
	CHECK(parse(&cfg, "[global]\nca-file = /x.pem\n") == -EINVAL);
	CHECK(has_error(2, "unknown key \"ca-file\" in [global]"));

	CHECK(parse(&cfg, "[tls]\nmin-version = 1.3\n[server]\nclient-auth = optional\n") == 0);
	CHECK(cfg.min_version == 0x304 && cfg.client_auth == CLIENT_AUTH_OPTIONAL);
	config_free(&cfg);

	CHECK(parse(&cfg, "[global]\nworkers = 4\nexit-idle-timeout = 30\n") == 0);
	CHECK(cfg.workers == 4 && cfg.exit_idle_sec == 30);
	config_free(&cfg);

	/* Errors, each with its line. */
	CHECK(parse(&cfg, "[global]\nworkers = 0\n") == -EINVAL);
	CHECK(has_error(2, "workers must be a number from 1 to 64, not \"0\""));
	CHECK(parse(&cfg, "[global]\nexit-idle-timeout = 5s\n") == -EINVAL);
	CHECK(has_error(2, "exit-idle-timeout must be a number"));
	CHECK(parse(&cfg, "[global]\nworkers = -1\n") == -EINVAL);

	CHECK(parse(&cfg, "[global]\n\nlog-level = loud\n") == -EINVAL);
	CHECK(has_error(3, "log-level must be"));
	config_free(&cfg);

	/* trace: debug and GnuTLS's own log. */
	CHECK(parse(&cfg, "[global]\nlog-level = trace\n") == 0);
	CHECK(cfg.log_level == LOG_TRACE);
	config_free(&cfg);

	CHECK(parse(&cfg, "[tls]\nca-file = /x\ncolour = blue\n") == -EINVAL);
	CHECK(has_error(3, "unknown key \"colour\" in [tls]"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[global]\nlog-level = info\n[extra]\nfoo = bar\n") == -EINVAL);
	CHECK(has_error(3, "unknown section [extra]"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[global]\n  [empty]  \n[tls]\n") == -EINVAL);
	CHECK(has_error(2, "unknown section [empty]"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[tls]\nmin-version = 1.1\n") == -EINVAL);
	CHECK(has_error(2, "min-version must be 1.2 or 1.3"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[tls]\npriority = NORMAL:+BOGUS-THING\n") == -EINVAL);
	CHECK(has_error(2, "invalid GnuTLS priority string"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[server]\nclient-auth = maybe\n") == -EINVAL);
	CHECK(has_error(2, "client-auth must be"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[client]\n\ncert-file = /c.pem\n") == -EINVAL);
	CHECK(has_error(3, "cert-file without key-file in [client]"));
	config_free(&cfg);

	CHECK(parse(&cfg, "log-level = info\n") == -EINVAL);
	CHECK(has_error(1, "key \"log-level\" outside of a section"));
	config_free(&cfg);

	CHECK(parse(&cfg, "[global]\nthis is not ini\n") == -EINVAL);
	CHECK(has_error(2, "syntax error"));
	config_free(&cfg);

	/* Two errors: both reported, each with its own line. */
	CHECK(parse(&cfg, "[tls]\nmin-version = 2\nfoo = 1\n") == -EINVAL);
	CHECK(has_error(2, "min-version") && has_error(3, "unknown key \"foo\""));
	config_free(&cfg);

	unlink(path);
	CHECK(parse(&cfg, "") == 0);	/* recreates it; remove and load directly */
	unlink(path);
	config_init(&cfg);
	CHECK(config_load(&cfg, path, stderr) == -ENOENT);
	config_free(&cfg);

	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	else
		printf("all checks passed\n");
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
