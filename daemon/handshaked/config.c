// SPDX-License-Identifier: GPL-2.0-only
/*
 * Configuration file: INI, parsed by libinih. Every key is known; anything
 * else is an error, so a typo never silently turns into a default.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <gnutls/gnutls.h>
#include <ini.h>

#include "config.h"
#include "log.h"

struct parser {
	struct config *cfg;
	const char *path;
	FILE *err;
	FILE *in;
	int line;		/* line the handler is looking at */
	int errors;
	int client_cert_line, client_key_line;
	int server_cert_line, server_key_line;
};

static void perr(struct parser *p, int line, const char *fmt, const char *arg)
{
	fprintf(p->err, "%s:%d: ", p->path, line);
	fprintf(p->err, fmt, arg);
	fputc('\n', p->err);
	p->errors++;
}

static bool known_section(const char *name, size_t len)
{
	static const char *const names[] = { "global", "tls", "client", "server" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && !strncmp(names[i], name, len))
			return true;
	return false;
}

/*
 * inih only calls the handler for keys, so an unknown section without keys
 * would pass unnoticed: check section headers as lines go by.
 */
static void check_section(struct parser *p, const char *line)
{
	const char *end;

	line += strspn(line, " \t");
	if (*line != '[')
		return;
	line++;
	end = strchr(line, ']');
	if (end && !known_section(line, end - line)) {
		fprintf(p->err, "%s:%d: unknown section [%.*s]\n", p->path, p->line,
			(int)(end - line), line);
		p->errors++;
	}
}

/*
 * inih does not tell the handler the line number, so count lines as they
 * are read. A line longer than inih's buffer arrives in pieces: refuse it
 * rather than misparse it.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t len;

	if (!fgets(str, num, p->in))
		return NULL;
	p->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(p->in)) {
		perr(p, p->line, "line too long", NULL);
		/* Skip the rest of the line; hand inih a comment. */
		while (fgets(str, num, p->in) && !strchr(str, '\n'))
			;
		strcpy(str, ";\n");
	}
	check_section(p, str);
	return str;
}

static int set_string(char **dst, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* A decimal number in [min, max], nothing else (no sign, no suffix). */
static void set_uint(struct parser *p, const char *name, const char *value,
		     unsigned int min, unsigned int max, unsigned int *dst)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end || errno || v < min || v > max) {
		fprintf(p->err, "%s:%d: %s must be a number from %u to %u, not \"%s\"\n",
			p->path, p->line, name, min, max, value);
		p->errors++;
		return;
	}
	*dst = v;
}

static int global_key(struct parser *p, const char *name, const char *value)
{
	static const struct { const char *n; int l; } levels[] = {
		{ "error", LOG_ERR }, { "warning", LOG_WARNING },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
		{ "trace", LOG_TRACE },
	};

	if (!strcmp(name, "workers")) {
		set_uint(p, name, value, 1, CONFIG_MAX_WORKERS, &p->cfg->workers);
		return 0;
	}
	if (!strcmp(name, "exit-idle-timeout")) {
		/* A day at most: more is "never", which is 0. */
		set_uint(p, name, value, 0, 86400, &p->cfg->exit_idle_sec);
		return 0;
	}
	if (strcmp(name, "log-level"))
		return -ENOENT;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (!strcmp(value, levels[i].n)) {
			p->cfg->log_level = levels[i].l;
			return 0;
		}
	}
	perr(p, p->line, "log-level must be error, warning, info, debug or trace, not \"%s\"", value);
	return 0;
}

static int trust_key(const char *name, const char *value,
		     struct trust_files *t)
{
	if (!strcmp(name, "ca-file"))
		return set_string(&t->ca_file, value);
	if (!strcmp(name, "crl-file"))
		return set_string(&t->crl_file, value);
	return -ENOENT;
}

static int tls_key(struct parser *p, const char *name, const char *value)
{
	int r = trust_key(name, value, &p->cfg->trust);

	if (r != -ENOENT)
		return r;
	if (!strcmp(name, "min-version")) {
		if (!strcmp(value, "1.2"))
			p->cfg->min_version = 0x303;
		else if (!strcmp(value, "1.3"))
			p->cfg->min_version = 0x304;
		else
			perr(p, p->line, "min-version must be 1.2 or 1.3, not \"%s\"", value);
		return 0;
	}
	if (!strcmp(name, "keyrings"))
		return set_string(&p->cfg->keyrings, value);
	if (!strcmp(name, "priority")) {
		gnutls_priority_t prio;
		const char *where = NULL;

		/* Check it now so a bad string fails at start, with a line. */
		if (gnutls_priority_init(&prio, value, &where) < 0) {
			perr(p, p->line, "invalid GnuTLS priority string at \"%s\"",
			     where ? where : value);
			return 0;
		}
		gnutls_priority_deinit(prio);
		return set_string(&p->cfg->priority, value);
	}
	return -ENOENT;
}

/* [client] and [server]: a certificate and key, and the role's trust. */
static int cert_key(struct parser *p, const char *name, const char *value,
		    char **cert, int *cert_line, char **key, int *key_line,
		    struct trust_files *trust)
{
	if (!strcmp(name, "cert-file")) {
		*cert_line = p->line;
		return set_string(cert, value);
	}
	if (!strcmp(name, "key-file")) {
		*key_line = p->line;
		return set_string(key, value);
	}
	return trust_key(name, value, trust);
}

static int server_key(struct parser *p, const char *name, const char *value)
{
	if (!strcmp(name, "client-auth")) {
		if (!strcmp(value, "none"))
			p->cfg->client_auth = CLIENT_AUTH_NONE;
		else if (!strcmp(value, "optional"))
			p->cfg->client_auth = CLIENT_AUTH_OPTIONAL;
		else if (!strcmp(value, "required"))
			p->cfg->client_auth = CLIENT_AUTH_REQUIRED;
		else
			perr(p, p->line, "client-auth must be none, optional or required, not \"%s\"", value);
		return 0;
	}
	return cert_key(p, name, value, &p->cfg->server_cert, &p->server_cert_line,
			&p->cfg->server_key, &p->server_key_line,
			&p->cfg->server_trust);
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parser *p = user;
	int r;

	if (!strcmp(section, "global"))
		r = global_key(p, name, value);
	else if (!strcmp(section, "tls"))
		r = tls_key(p, name, value);
	else if (!strcmp(section, "client"))
		r = cert_key(p, name, value, &p->cfg->client_cert, &p->client_cert_line,
			     &p->cfg->client_key, &p->client_key_line,
			     &p->cfg->client_trust);
	else if (!strcmp(section, "server"))
		r = server_key(p, name, value);
	else if (!*section) {
		perr(p, p->line, "key \"%s\" outside of a section", name);
		return 1;
	} else {
		return 1;	/* the reader reported the section */
	}

	if (r == -ENOENT) {
		fprintf(p->err, "%s:%d: unknown key \"%s\" in [%s]\n",
			p->path, p->line, name, section);
		p->errors++;
	} else if (r < 0) {
		perr(p, p->line, "%s", strerror(-r));
	}
	/* Our own errors are counted; keep inih going to report them all. */
	return 1;
}

/* A certificate without its key (or the reverse) cannot be used. */
static void check_pair(struct parser *p, const char *sect,
		       const char *cert, int cert_line,
		       const char *key, int key_line)
{
	if (cert && !key)
		perr(p, cert_line, "cert-file without key-file in [%s]", sect);
	if (key && !cert)
		perr(p, key_line, "key-file without cert-file in [%s]", sect);
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = LOG_INFO;
	cfg->min_version = 0x304;
	cfg->client_auth = CLIENT_AUTH_NONE;
	cfg->workers = 1;
}

/* A key file may be a PKCS#11 URL with its token's PIN. */
static void free_wiped(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void trust_files_free(struct trust_files *t)
{
	free(t->ca_file);
	free(t->crl_file);
}

void config_free(struct config *cfg)
{
	trust_files_free(&cfg->trust);
	trust_files_free(&cfg->client_trust);
	trust_files_free(&cfg->server_trust);
	free(cfg->priority);
	free(cfg->keyrings);
	free(cfg->client_cert);
	free_wiped(cfg->client_key);
	free(cfg->server_cert);
	free_wiped(cfg->server_key);
	config_init(cfg);
}

int config_load(struct config *cfg, const char *path, FILE *err)
{
	struct parser p = { .cfg = cfg, .path = path, .err = err };
	int r;

	p.in = fopen(path, "re");
	if (!p.in) {
		if (errno == ENOENT)
			return -ENOENT;
		fprintf(err, "%s: %s\n", path, strerror(errno));
		return -EINVAL;
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.in);
	/* inih's own errors are syntax errors; ours were printed already. */
	if (r > 0) {
		fprintf(err, "%s:%d: syntax error\n", path, r);
		p.errors++;
	} else if (r < 0) {
		fprintf(err, "%s: cannot parse: %s\n", path, strerror(ENOMEM));
		p.errors++;
	}
	check_pair(&p, "client", cfg->client_cert, p.client_cert_line,
		   cfg->client_key, p.client_key_line);
	check_pair(&p, "server", cfg->server_cert, p.server_cert_line,
		   cfg->server_key, p.server_key_line);
	return p.errors ? -EINVAL : 0;
}
