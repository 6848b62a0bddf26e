// SPDX-License-Identifier: GPL-2.0
/*
 * handshake_demo: reads a line written to the connect file (its syntax is
 * in main.c) into a struct demo_params.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/time64.h>
#include <linux/workqueue.h>

#include "demo.h"

#define DEMO_DEFAULT_TIMEOUT_MS	10000
#define DEMO_BATCH_MAX		1000000

static int demo_parse_addr(const char *host, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (in4_pton(host, -1, (u8 *)&sin->sin_addr, -1, NULL)) {
		sin->sin_family = AF_INET;
		return sizeof(*sin);
	}
	if (in6_pton(host, -1, (u8 *)&sin6->sin6_addr, -1, NULL)) {
		sin6->sin6_family = AF_INET6;
		return sizeof(*sin6);
	}
	return -EINVAL;
}

/**
 * demo_parse - reads a connect line
 * @line: the line, NUL-terminated; cut up in place, @p points into it
 * @p: zeroed by the caller; filled in, defaults included
 *
 * Return: 0, or -EINVAL (or a kstrto*() error) for a line that is not
 * one.
 */
int demo_parse(char *line, struct demo_params *p)
{
	char *tok, *val, *host = NULL;
	unsigned int port = 0;
	int err = 0;

	p->auth = HANDSHAKE_AUTH_X509;
	p->timeout_ms = DEMO_DEFAULT_TIMEOUT_MS;
	p->cancel_ms = -1;
	p->concurrency = 1;
	p->message = "hello";
	line = strim(line);
	while (!err && (tok = strsep(&line, " \t"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "message")) {
			/* The rest of the line, spaces included. */
			if (line)
				val[strlen(val)] = ' ';
			p->message = val;
			break;
		} else if (!strcmp(tok, "host")) {
			host = val;
		} else if (!strcmp(tok, "port")) {
			err = kstrtouint(val, 10, &port);
		} else if (!strcmp(tok, "peername")) {
			p->peername = val;
		} else if (!strcmp(tok, "auth")) {
			if (!strcmp(val, "x509"))
				p->auth = HANDSHAKE_AUTH_X509;
			else if (!strcmp(val, "psk"))
				p->auth = HANDSHAKE_AUTH_PSK;
			else if (!strcmp(val, "unauth"))
				p->auth = HANDSHAKE_AUTH_UNAUTH;
			else
				err = -EINVAL;
		} else if (!strcmp(tok, "psk")) {
			err = kstrtos32(val, 0, &p->psk);
		} else if (!strcmp(tok, "timeout")) {
			err = kstrtouint(val, 10, &p->timeout_ms);
		} else if (!strcmp(tok, "cancel") && !strcmp(val, "close")) {
			p->cancel_on_close = true;
		} else if (!strcmp(tok, "cancel")) {
			err = kstrtoint(val, 10, &p->cancel_ms);
			if (!err && p->cancel_ms < 0)
				err = -EINVAL;
		} else if (!strcmp(tok, "locked")) {
			err = kstrtobool(val, &p->locked);
		} else if (!strcmp(tok, "dup")) {
			err = kstrtobool(val, &p->dup);
		} else if (!strcmp(tok, "async")) {
			err = kstrtobool(val, &p->async);
		} else if (!strcmp(tok, "release")) {
			err = kstrtobool(val, &p->release);
		} else if (!strcmp(tok, "keyring")) {
			err = kstrtos32(val, 0, &p->keyring);
		} else if (!strcmp(tok, "count")) {
			err = kstrtouint(val, 10, &p->count);
		} else if (!strcmp(tok, "concurrency")) {
			err = kstrtouint(val, 10, &p->concurrency);
		} else if (!strcmp(tok, "pause")) {
			err = kstrtouint(val, 10, &p->pause_ms);
		} else {
			err = -EINVAL;
		}
	}
	if (err)
		return err;
	if (!host || !port || port > 65535 || !p->timeout_ms)
		return -EINVAL;
	if (p->auth == HANDSHAKE_AUTH_PSK && !p->psk)
		return -EINVAL;
	if (p->count > DEMO_BATCH_MAX || !p->concurrency ||
	    p->concurrency > WQ_MAX_ACTIVE)
		return -EINVAL;
	/* A batch only measures handshakes. */
	if (p->count && (p->dup || p->cancel_ms >= 0 || p->release))
		return -EINVAL;
	/* The consumer API checks, for one synchronous connect only. */
	if ((p->cancel_on_close || p->locked) &&
	    (p->count || p->async || p->dup || p->cancel_ms >= 0))
		return -EINVAL;
	if (p->pause_ms &&
	    (!p->count || p->async || p->pause_ms > MSEC_PER_SEC))
		return -EINVAL;
	if (strlen(p->message) + 2 > DEMO_LINE_MAX)
		return -EINVAL;
	p->addrlen = demo_parse_addr(host, &p->addr);
	if (p->addrlen < 0)
		return p->addrlen;
	/* sin_port and sin6_port are at the same place. */
	((struct sockaddr_in *)&p->addr)->sin_port = htons(port);
	return 0;
}
