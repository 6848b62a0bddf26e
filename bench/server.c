// SPDX-License-Identifier: GPL-2.0-only
/*
 * bench-server: the TLS server both benchmark paths connect to. One thread
 * per connection, so that the server is not what limits either path: each
 * runs a blocking GnuTLS handshake, then reads until the client closes.
 *
 *   bench-server --port N --priority STRING --cert PEM --key PEM
 *   bench-server --port N --stall
 *
 * --stall accepts connections and never answers them, so that handshakes
 * stay in flight for as long as the server runs. Prints "ready" on stdout
 * once it listens; SIGTERM ends it.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "bench.h"

static gnutls_certificate_credentials_t creds;
static gnutls_priority_t prio;

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	gnutls_session_t session;
	char buf[4096];
	int r;

	if (gnutls_init(&session, GNUTLS_SERVER) < 0)
		goto out;
	gnutls_priority_set(session, prio);
	gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, creds);
	gnutls_transport_set_int(session, fd);
	gnutls_handshake_set_timeout(session, 60 * 1000);
	do {
		r = gnutls_handshake(session);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	/* Until the client's close_notify, its close, or an error. */
	while (r >= 0 && (r = gnutls_record_recv(session, buf, sizeof(buf))) != 0)
		if (r < 0 && gnutls_error_is_fatal(r))
			break;
	gnutls_deinit(session);
out:
	close(fd);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench-server --port N --priority STRING --cert PEM --key PEM\n"
		   "       bench-server --port N --stall\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "priority", required_argument, NULL, 'P' },
		{ "stall", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *cert = NULL, *key = NULL, *priority = NULL;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	pthread_attr_t attr;
	int port = 0, stall = 0, lfd, fd, one = 1, o, r;
	pthread_t tid;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': port = bench_uint(optarg, "--port", 65535); break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'P': priority = optarg; break;
		case 's': stall = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!port || (!stall && (!cert || !key || !priority))) {
		usage(stderr);
		return 2;
	}
	bench_raise_nofile();
	signal(SIGPIPE, SIG_IGN);

	if (!stall) {
		const char *where = NULL;

		r = gnutls_certificate_allocate_credentials(&creds);
		if (r >= 0)
			r = gnutls_certificate_set_x509_key_file(creds, cert, key,
								 GNUTLS_X509_FMT_PEM);
		if (r < 0)
			bench_die("bench-server: %s / %s: %s", cert, key, gnutls_strerror(r));
		r = gnutls_priority_init(&prio, priority, &where);
		if (r < 0)
			bench_die("bench-server: priority invalid at \"%s\"", where ? where : "");
	}

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 4096))
		bench_die("bench-server: cannot listen on 127.0.0.1:%d: %s", port,
			  strerror(errno));
	printf("ready\n");
	fflush(stdout);

	/* Small stacks: a thousand connections must not cost 8 MiB each. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		fd = accept(lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			bench_die("bench-server: accept: %s", strerror(errno));
		}
		if (stall)
			continue;	/* held open until the server exits */
		r = pthread_create(&tid, &attr, serve, (void *)(intptr_t)fd);
		if (r) {
			fprintf(stderr, "bench-server: pthread_create: %s\n", strerror(r));
			close(fd);
		}
	}
}
