// SPDX-License-Identifier: GPL-2.0-only
/*
 * One request from claim to done: accept, check the fd, read the key
 * serials, run the handshake, report, clean up. Every path that claimed a
 * request sends exactly one done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <keyutils.h>
#include <systemd/sd-daemon.h>

#include "keys.h"
#include "linux/handshake.h"
#include "log.h"
#include "netlink.h"
#include "session.h"
#include "tls.h"

/* If the kernel gives no time limit, do not let a handshake hang forever. */
#define DEFAULT_TIMEOUT_MS 30000

/* STATUS= updates: at most one per second, however busy we are. */
#define STATUS_INTERVAL_USEC 1000000ULL

struct session {
	struct agent *agent;
	struct session *prev, *next;
	struct hsnl_accept acc;
	struct user_key keys[HSNL_MAX_PEER_IDS];
	struct tls_psk psk[HSNL_MAX_PEER_IDS];
	struct user_key cert, privkey;
	gnutls_datum_t cert_data, key_data;
	struct tls_params params;
	struct tls_hs *hs;
	int32_t peer_key;		/* a key we made for the peer's certificate */
	uint64_t start_usec;
	char peer[INET6_ADDRSTRLEN + 8];
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *role_name(uint32_t role)
{
	return role == HANDSHAKE_ROLE_CLIENT ? "client" :
	       role == HANDSHAKE_ROLE_SERVER ? "server" : "?";
}

static const char *auth_name(uint32_t auth)
{
	return auth == HANDSHAKE_AUTH_UNAUTH ? "unauth" :
	       auth == HANDSHAKE_AUTH_PSK ? "psk" :
	       auth == HANDSHAKE_AUTH_X509 ? "x509" : "?";
}

static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, len, "-");
	}
}

void sessions_status(struct agent *a)
{
	sd_notifyf(0, "STATUS=Serving: %u in flight, %llu done (%llu failed)",
		   a->active, a->done, a->failed);
	sd_event_now(a->event, CLOCK_MONOTONIC, &a->status_usec);
}

static int on_status_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	(void)src;
	(void)usec;
	sessions_status(userdata);
	return 0;
}

/* The counts changed: send them now, or arm the timer if we just did. */
static void status_changed(struct agent *a)
{
	uint64_t now, due = a->status_usec + STATUS_INTERVAL_USEC;
	int enabled = SD_EVENT_OFF;

	if (sd_event_now(a->event, CLOCK_MONOTONIC, &now) < 0 || now >= due) {
		sessions_status(a);
		return;
	}
	if (a->status_timer) {
		sd_event_source_get_enabled(a->status_timer, &enabled);
		if (enabled != SD_EVENT_OFF)
			return;		/* already due */
		if (sd_event_source_set_time(a->status_timer, due) >= 0 &&
		    sd_event_source_set_enabled(a->status_timer, SD_EVENT_ONESHOT) >= 0)
			return;
	} else if (sd_event_add_time(a->event, &a->status_timer, CLOCK_MONOTONIC,
				     due, 0, on_status_timer, a) >= 0) {
		return;
	}
	sessions_status(a);	/* no timer: better early than never */
}

static void session_free(struct session *s)
{
	struct agent *a = s->agent;

	if (s->prev || s->next || a->sessions == s) {
		if (s->prev)
			s->prev->next = s->next;
		else
			a->sessions = s->next;
		if (s->next)
			s->next->prev = s->prev;
		a->active--;
		/* Stopping once the last one in flight is over. */
		if (a->draining && !a->active)
			sd_event_exit(a->event, 0);
	}
	tls_hs_abort(s->hs);
	for (unsigned int i = 0; i < HSNL_MAX_PEER_IDS; i++)
		keys_free(&s->keys[i]);
	keys_free(&s->cert);
	keys_free(&s->privkey);
	/* Closing our fd leaves the socket to the kernel consumer. */
	hsnl_accept_clear(&s->acc);
	free(s);
}

static void session_finish(struct session *s, int status,
			   const struct ktls_session *ks, int32_t peerid)
{
	struct agent *a = s->agent;
	char id[32] = "";
	int r;

	/* Mainline's kernel wants the socket back with kTLS on it. */
	if (!status && ks && hsnl_agent_installs(a->nl)) {
		r = ktls_install(s->acc.fd, ks);
		if (r < 0) {
			log_err("request %llu: cannot install kTLS on the socket: %s",
				(unsigned long long)s->acc.cookie, errno_name(-r));
			status = EIO;
			ks = NULL;
		}
	}
	r = hsnl_done(a->nl, &s->acc, status, ks, &peerid, !status && peerid > 0);
	if (!status && peerid > 0)
		snprintf(id, sizeof(id), " remote-auth=%d", peerid);
	/* Failed or refused: nobody will look at the certificate key. */
	if ((status || r) && s->peer_key > 0)
		keyctl_invalidate(s->peer_key);
	log_info("handshake cookie=%llu peer=%s role=%s auth=%s result=%s%s%s%s duration=%llums",
		 (unsigned long long)s->acc.cookie, s->peer,
		 role_name(s->acc.role), auth_name(s->acc.auth),
		 errno_name(status), r ? " done-failed=" : "", r ? errno_name(-r) : "",
		 id, (unsigned long long)(now_usec() - s->start_usec) / 1000);
	a->done++;
	if (status || r)
		a->failed++;
	session_free(s);
	status_changed(a);
}

/*
 * The key serial naming what the peer proved: the request's PSK it used,
 * or a new key holding its certificate. 0: it proved nothing; a negative
 * errno: the certificate key could not be made.
 */
static int32_t peer_serial(struct session *s, const struct tls_peer_id *peer)
{
	if (!peer)
		return 0;
	if (peer->psk >= 0 && (unsigned int)peer->psk < s->acc.n_peer_ids)
		return s->acc.peer_ids[peer->psk];
	if (peer->psk_key > 0)
		return peer->psk_key;
	if (peer->cert) {
		s->peer_key = keys_add_peer_cert(s->acc.cookie, peer->cert->data,
						 peer->cert->size, s->acc.keyring);
		return s->peer_key;
	}
	return 0;
}

static void on_tls_done(struct tls_hs *hs, int status,
			const struct ktls_session *ks,
			const struct tls_peer_id *peer, void *userdata)
{
	struct session *s = userdata;
	int32_t peerid = 0;

	(void)hs;
	s->hs = NULL;		/* the engine frees itself */
	if (!status) {
		peerid = peer_serial(s, peer);
		/* The consumer could not learn whom it talks to: fail. */
		if (peerid < 0) {
			status = EIO;
			ks = NULL;
		}
	}
	session_finish(s, status, ks, peerid);
}

/* Read the credentials the request names by key serial. */
static int load_keys(struct session *s)
{
	struct hsnl_accept *acc = &s->acc;

	if (acc->auth == HANDSHAKE_AUTH_PSK) {
		for (unsigned int i = 0; i < acc->n_peer_ids; i++) {
			if (keys_read_user(acc->peer_ids[i], "PSK", &s->keys[i]) < 0)
				return EIO;
			s->psk[i].identity = s->keys[i].desc;
			s->psk[i].key = s->keys[i].data;
			s->psk[i].key_len = s->keys[i].len;
		}
		s->params.psk = s->psk;
		s->params.n_psk = acc->n_peer_ids;
		return 0;
	}
	if (acc->auth != HANDSHAKE_AUTH_X509 || (!acc->x509_cert && !acc->x509_privkey))
		return 0;
	if (!acc->x509_cert || !acc->x509_privkey) {
		log_err("request %llu: x509 key serials need both a certificate and a key",
			(unsigned long long)acc->cookie);
		return EIO;
	}
	if (keys_read_user(acc->x509_cert, "certificate", &s->cert) < 0 ||
	    keys_read_user(acc->x509_privkey, "private", &s->privkey) < 0)
		return EIO;
	s->cert_data.data = s->cert.data;
	s->cert_data.size = s->cert.len;
	s->key_data.data = s->privkey.data;
	s->key_data.size = s->privkey.len;
	s->params.cert = &s->cert_data;
	s->params.key = &s->key_data;
	return 0;
}

/* Returns 0 when the handshake runs, else the status to report. */
static int session_start(struct session *s)
{
	struct hsnl_accept *acc = &s->acc;
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int r;

	/* The fd must be the socket the request is about. */
	if (getsockopt(acc->fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) < 0 ||
	    cookie != acc->cookie) {
		log_err("request %llu: the fd's socket has cookie %llu; refusing",
			(unsigned long long)acc->cookie, (unsigned long long)cookie);
		return EIO;
	}
	if ((acc->role != HANDSHAKE_ROLE_CLIENT && acc->role != HANDSHAKE_ROLE_SERVER) ||
	    acc->auth < HANDSHAKE_AUTH_UNAUTH || acc->auth > HANDSHAKE_AUTH_X509) {
		log_err("request %llu: role %u / auth %u not supported",
			(unsigned long long)acc->cookie, acc->role, acc->auth);
		return EINVAL;
	}
	if (!acc->has_timeout)
		acc->timeout_ms = DEFAULT_TIMEOUT_MS;
	else if (!acc->timeout_ms)
		return ETIMEDOUT;

	r = load_keys(s);
	if (r)
		return r;
	s->params.role = acc->role;
	s->params.auth = acc->auth;
	s->params.peername = acc->peername;
	/*
	 * A server looks up PSKs by identity in the request's keyring, or,
	 * on mainline kernels that do not name it, in what the kernel
	 * linked to our process keyring for the request (NVMe's .nvme).
	 * Ours always names it: never another consumer's keyring there.
	 */
	s->params.keyring = acc->keyring;
	if (!acc->keyring && hsnl_agent_installs(s->agent->nl))
		s->params.keyring = KEY_SPEC_PROCESS_KEYRING;
	s->params.timeout_usec = (uint64_t)acc->timeout_ms * 1000;
	r = tls_hs_start(s->agent->event, s->agent->creds, acc->fd, &s->params,
			 on_tls_done, s, &s->hs);
	return r < 0 ? -r : 0;
}

/* Claims a request and starts it. 0 if one was claimed, else -errno. */
static int session_claim(struct agent *a, uint64_t cookie)
{
	struct session *s;
	int r;

	/* A resync may offer what an event already brought. */
	for (s = a->sessions; cookie && s; s = s->next)
		if (s->acc.cookie == cookie)
			return -EALREADY;

	s = calloc(1, sizeof(*s));
	if (!s) {
		log_err("request %llu: out of memory", (unsigned long long)cookie);
		return -ENOMEM;
	}
	s->agent = a;
	s->start_usec = now_usec();
	r = hsnl_accept(a->nl, cookie, &s->acc);
	if (r < 0) {
		if (r == -ENOENT && !cookie)
			log_debug("no request pending");
		else if (r == -ENOENT)
			log_debug("request %llu: already taken or gone", (unsigned long long)cookie);
		else
			log_warn("request %llu: accept failed: %s",
				 (unsigned long long)cookie, errno_name(-r));
		s->acc.fd = -1;
		free(s);
		return r;
	}
	cookie = s->acc.cookie;

	if (s->acc.has_peer) {
		format_addr(&s->acc.peer, s->peer, sizeof(s->peer));
	} else {
		struct sockaddr_storage ss = { 0 };
		socklen_t len = sizeof(ss);

		getpeername(s->acc.fd, (struct sockaddr *)&ss, &len);
		format_addr(&ss, s->peer, sizeof(s->peer));
	}
	log_debug("request %llu: claimed, fd %d, peer %s, peername %s, %u ms left",
		  (unsigned long long)cookie, s->acc.fd, s->peer,
		  s->acc.peername ? s->acc.peername : "-",
		  s->acc.has_timeout ? s->acc.timeout_ms : DEFAULT_TIMEOUT_MS);

	s->next = a->sessions;
	if (a->sessions)
		a->sessions->prev = s;
	a->sessions = s;
	a->active++;
	status_changed(a);

	r = session_start(s);
	if (r)
		session_finish(s, r, NULL, 0);
	return 0;
}

void session_request(uint64_t cookie, void *userdata)
{
	struct agent *a = userdata;

	if (cookie) {
		session_claim(a, cookie);
		return;
	}
	/*
	 * Mainline's protocol: take the pending requests one by one, until
	 * none is left. An accept that failed after the kernel handed a
	 * request over (a malformed reply, no free fd) must not strand the
	 * ones behind it: mainline says "ready" again only on a submit.
	 */
	for (unsigned int failed = 0; failed < 16;) {
		int r = session_claim(a, 0);

		if (r == -ENOENT || r == -ENOMEM)
			break;
		if (r < 0)
			failed++;
	}
}

void sessions_abandon(struct agent *a)
{
	a->draining = false;	/* the loop is over: no more exits to ask for */
	if (a->active)
		log_info("abandoning %u handshakes in flight", a->active);
	while (a->sessions) {
		/*
		 * Mainline's kernel does not notice that we are gone: tell
		 * it, or each consumer waits for its own time limit. Ours
		 * fails them when our socket closes (claimant-lost).
		 */
		if (hsnl_agent_installs(a->nl))
			hsnl_done(a->nl, &a->sessions->acc, ESHUTDOWN, NULL, NULL, 0);
		session_free(a->sessions);
	}
	a->status_timer = sd_event_source_disable_unref(a->status_timer);
}
