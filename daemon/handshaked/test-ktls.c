// SPDX-License-Identifier: GPL-2.0-only
/*
 * GnuTLS record state -> kTLS fields -> done message attributes, with
 * known inputs. No kernel, no network.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "ktls.h"
#include "linux/handshake.h"
#include "netlink.h"
#include "test.h"

static unsigned char K[32], IV[12], SEQ[8];

static void fill(void)
{
	for (int i = 0; i < 32; i++)
		K[i] = i;
	for (int i = 0; i < 12; i++)
		IV[i] = 0xa0 + i;
	for (int i = 0; i < 8; i++)
		SEQ[i] = 0x10 + i;
}

static int map(uint16_t v, gnutls_cipher_algorithm_t c, gnutls_mac_algorithm_t m,
	       unsigned int klen, unsigned int ivlen, struct ktls_crypto *out)
{
	gnutls_datum_t key = { K, klen }, iv = { IV, ivlen };

	return ktls_map(v, c, m, &key, &iv, SEQ, out);
}

static void test_tls13_aes_gcm(void)
{
	struct ktls_crypto o;

	CHECK(map(0x304, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 16, 12, &o) ==
	      HANDSHAKE_CIPHER_AES_GCM_128);
	CHECK(o.key_len == 16 && !memcmp(o.key, K, 16));
	CHECK(o.salt_len == 4 && !memcmp(o.salt, "\xa0\xa1\xa2\xa3", 4));
	CHECK(o.iv_len == 8 && !memcmp(o.iv, "\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab", 8));
	CHECK(!memcmp(o.rec_seq, SEQ, 8));

	CHECK(map(0x304, GNUTLS_CIPHER_AES_256_GCM, GNUTLS_MAC_AEAD, 32, 12, &o) ==
	      HANDSHAKE_CIPHER_AES_GCM_256);
	CHECK(o.key_len == 32 && !memcmp(o.key, K, 32));
	CHECK(o.salt_len == 4 && o.iv_len == 8 && o.iv[0] == 0xa4);
}

static void test_chacha(void)
{
	struct ktls_crypto o;

	for (uint16_t v = 0x303; v <= 0x304; v++) {
		CHECK(map(v, GNUTLS_CIPHER_CHACHA20_POLY1305, GNUTLS_MAC_AEAD, 32, 12, &o) ==
		      HANDSHAKE_CIPHER_CHACHA20_POLY1305);
		CHECK(o.key_len == 32 && o.salt_len == 0);
		CHECK(o.iv_len == 12 && !memcmp(o.iv, IV, 12));
		CHECK(!memcmp(o.rec_seq, SEQ, 8));
	}
}

static void test_tls12_aes_gcm(void)
{
	struct ktls_crypto o;

	CHECK(map(0x303, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 16, 4, &o) ==
	      HANDSHAKE_CIPHER_AES_GCM_128);
	CHECK(o.salt_len == 4 && !memcmp(o.salt, IV, 4));
	/* The explicit nonce continues from the sequence number. */
	CHECK(o.iv_len == 8 && !memcmp(o.iv, SEQ, 8));
	CHECK(!memcmp(o.rec_seq, SEQ, 8));
}

static void test_rejects(void)
{
	struct ktls_crypto o;

	CHECK(map(0x303, GNUTLS_CIPHER_AES_128_CBC, GNUTLS_MAC_SHA1, 16, 16, &o) == -EOPNOTSUPP);
	CHECK(map(0x304, GNUTLS_CIPHER_AES_128_CCM, GNUTLS_MAC_AEAD, 16, 12, &o) == -EOPNOTSUPP);
	CHECK(map(0x304, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_SHA256, 16, 12, &o) == -EOPNOTSUPP);
	CHECK(map(0x302, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 16, 12, &o) == -EOPNOTSUPP);
	CHECK(map(0x304, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 32, 12, &o) == -EINVAL);
	CHECK(map(0x304, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 16, 4, &o) == -EINVAL);
	CHECK(map(0x303, GNUTLS_CIPHER_AES_256_GCM, GNUTLS_MAC_AEAD, 32, 12, &o) == -EINVAL);
	CHECK(map(0x303, GNUTLS_CIPHER_CHACHA20_POLY1305, GNUTLS_MAC_AEAD, 16, 12, &o) == -EINVAL);
	CHECK(o.key_len == 0);	/* nothing left behind on failure */
	CHECK(ktls_version(GNUTLS_TLS1_1) == 0);
	CHECK(ktls_version(GNUTLS_TLS1_2) == 0x303);
	CHECK(ktls_version(GNUTLS_TLS1_3) == 0x304);
}

/* Walks one attribute and checks type, flags and payload bytes. */
static struct nlattr *expect(struct nlattr *a, int type, const void *data, int len)
{
	CHECK(a->nla_type == type);
	CHECK(nla_len(a) == len);
	if (data && nla_len(a) == len)
		CHECK(!memcmp(nla_data(a), data, len));
	return (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
}

static void test_done_message(void)
{
	struct ktls_session ks = { .version = 0x304 };
	struct nl_msg *msg = nlmsg_alloc();
	struct genlmsghdr *g;
	struct nlattr *a, *sess, *n, *end;
	uint64_t cookie = 0x0102030405060708ULL;
	uint32_t status = 0;
	uint16_t v;

	fill();
	ks.cipher = map(0x304, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 16, 12, &ks.tx);
	map(0x304, GNUTLS_CIPHER_AES_128_GCM, GNUTLS_MAC_AEAD, 16, 12, &ks.rx);
	ks.rx.key[0] = 0xff;

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0, HANDSHAKE_CMD_DONE,
		    HANDSHAKE_FAMILY_VERSION);
	CHECK(hsnl_put_done(msg, cookie, 0, &ks, NULL, 0) == 0);
	g = genlmsg_hdr(nlmsg_hdr(msg));
	CHECK(g->cmd == HANDSHAKE_CMD_DONE && g->version == 2);
	a = genlmsg_attrdata(g, 0);
	end = (struct nlattr *)((char *)a + genlmsg_attrlen(g, 0));

	a = expect(a, HANDSHAKE_A_COOKIE, &cookie, 8);
	a = expect(a, HANDSHAKE_A_STATUS, &status, 4);
	sess = a;
	a = expect(a, HANDSHAKE_A_SESSION | NLA_F_NESTED, NULL, nla_len(sess));
	CHECK(a == end);

	n = nla_data(sess);
	v = 0x304;
	n = expect(n, HANDSHAKE_A_SESSION_TLS_VERSION, &v, 2);
	v = HANDSHAKE_CIPHER_AES_GCM_128;
	n = expect(n, HANDSHAKE_A_SESSION_CIPHER, &v, 2);
	for (int dir = 0; dir < 2; dir++) {
		struct nlattr *c = nla_data(n);
		unsigned char key[16];

		memcpy(key, K, 16);
		if (dir)
			key[0] = 0xff;
		n = expect(n, (dir ? HANDSHAKE_A_SESSION_RX : HANDSHAKE_A_SESSION_TX) |
			   NLA_F_NESTED, NULL, nla_len(n));
		c = expect(c, HANDSHAKE_A_CRYPTO_KEY, key, 16);
		c = expect(c, HANDSHAKE_A_CRYPTO_IV, IV + 4, 8);
		c = expect(c, HANDSHAKE_A_CRYPTO_SALT, IV, 4);
		c = expect(c, HANDSHAKE_A_CRYPTO_REC_SEQ, SEQ, 8);
	}
	nlmsg_free(msg);

	/* ChaCha: no salt attribute at all. Failure: no session at all. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0, HANDSHAKE_CMD_DONE, 2);
	ks.cipher = map(0x304, GNUTLS_CIPHER_CHACHA20_POLY1305, GNUTLS_MAC_AEAD, 32, 12, &ks.tx);
	CHECK(hsnl_put_done(msg, cookie, 0, &ks, NULL, 0) == 0);
	g = genlmsg_hdr(nlmsg_hdr(msg));
	a = nla_find(genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), HANDSHAKE_A_SESSION);
	CHECK(a != NULL);
	if (a) {
		n = nla_find(nla_data(a), nla_len(a), HANDSHAKE_A_SESSION_TX);
		CHECK(n && nla_find(nla_data(n), nla_len(n), HANDSHAKE_A_CRYPTO_SALT) == NULL);
		CHECK(n && nla_len(nla_find(nla_data(n), nla_len(n), HANDSHAKE_A_CRYPTO_IV)) == 12);
	}
	nlmsg_free(msg);

	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0, HANDSHAKE_CMD_DONE, 2);
	/* The peer's identities: remote-auth after the session, one each. */
	{
		int32_t ids[2] = { 0x2345, 0x6789 };
		int i = 0;

		CHECK(hsnl_put_done(msg, cookie, 0, &ks, ids, 2) == 0);
		g = genlmsg_hdr(nlmsg_hdr(msg));
		a = genlmsg_attrdata(g, 0);
		end = (struct nlattr *)((char *)a + genlmsg_attrlen(g, 0));
		a = expect(a, HANDSHAKE_A_COOKIE, &cookie, 8);
		a = expect(a, HANDSHAKE_A_STATUS, &status, 4);
		a = expect(a, HANDSHAKE_A_SESSION | NLA_F_NESTED, NULL, nla_len(a));
		a = expect(a, HANDSHAKE_A_REMOTE_AUTH, &ids[i++], 4);
		a = expect(a, HANDSHAKE_A_REMOTE_AUTH, &ids[i++], 4);
		CHECK(a == end);
		nlmsg_free(msg);
	}

	/* Failure: neither a session nor identities. */
	msg = nlmsg_alloc();
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0, HANDSHAKE_CMD_DONE, 2);
	status = EACCES;
	CHECK(hsnl_put_done(msg, cookie, EACCES, &ks, (int32_t[]){ 7 }, 1) == 0);
	g = genlmsg_hdr(nlmsg_hdr(msg));
	a = genlmsg_attrdata(g, 0);
	end = (struct nlattr *)((char *)a + genlmsg_attrlen(g, 0));
	a = expect(a, HANDSHAKE_A_COOKIE, &cookie, 8);
	a = expect(a, HANDSHAKE_A_STATUS, &status, 4);
	CHECK(a == end);
	nlmsg_free(msg);
	ktls_session_wipe(&ks);
}

/* An accept reply as the kernel would build it. */
static void test_accept_parse(void)
{
	struct sockaddr_in6 peer = { .sin6_family = AF_INET6, .sin6_port = htons(4433) };
	struct nl_msg *msg = nlmsg_alloc();
	struct hsnl_accept acc;
	struct nlattr *n;

	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0, HANDSHAKE_CMD_ACCEPT, 2);
	nla_put_u64(msg, HANDSHAKE_A_COOKIE, 0x1122334455667788ULL);
	nla_put_u32(msg, HANDSHAKE_A_SOCKFD, 7);
	nla_put_u32(msg, HANDSHAKE_A_ROLE, HANDSHAKE_ROLE_SERVER);
	nla_put_u32(msg, HANDSHAKE_A_AUTH, HANDSHAKE_AUTH_PSK);
	nla_put_string(msg, HANDSHAKE_A_PEERNAME, "nvme.example");
	nla_put_u32(msg, HANDSHAKE_A_TIMEOUT_MS, 4500);
	nla_put_u32(msg, HANDSHAKE_A_KEYRING, 0x1234);
	n = nla_nest_start(msg, HANDSHAKE_A_X509 | NLA_F_NESTED);
	nla_put_u32(msg, HANDSHAKE_A_X509_CERT, 101);
	nla_put_u32(msg, HANDSHAKE_A_X509_PRIVKEY, 102);
	nla_nest_end(msg, n);
	nla_put_u32(msg, HANDSHAKE_A_PEER_IDENTITY, 201);
	nla_put_u32(msg, HANDSHAKE_A_PEER_IDENTITY, 202);
	nla_put(msg, HANDSHAKE_A_PEER_ADDR, sizeof(peer), &peer);
	nla_put_u16(msg, HANDSHAKE_A_STATE, 1);	/* too short for a u32: ignored */

	hsnl_parse_accept(msg, &acc);
	CHECK(acc.cookie == 0x1122334455667788ULL);
	CHECK(acc.fd == 7);
	CHECK(acc.role == HANDSHAKE_ROLE_SERVER && acc.auth == HANDSHAKE_AUTH_PSK);
	CHECK(acc.peername && !strcmp(acc.peername, "nvme.example"));
	CHECK(acc.has_timeout && acc.timeout_ms == 4500);
	CHECK(acc.keyring == 0x1234);
	CHECK(acc.x509_cert == 101 && acc.x509_privkey == 102);
	CHECK(acc.n_peer_ids == 2 && acc.peer_ids[0] == 201 && acc.peer_ids[1] == 202);
	CHECK(acc.has_peer && !acc.has_local && acc.peer.ss_family == AF_INET6);
	free(acc.peername);
	nlmsg_free(msg);
}

/* A second sockfd: the fd it names is closed, the reply is malformed. */
static void test_accept_repeated_fd(void)
{
	struct hsnl_accept acc;
	struct nl_msg *msg = nlmsg_alloc();
	int p[2];

	CHECK(msg && pipe(p) == 0);
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, 0x20, 0, 0, HANDSHAKE_CMD_ACCEPT, 2);
	nla_put_u64(msg, HANDSHAKE_A_COOKIE, 42);
	nla_put_u32(msg, HANDSHAKE_A_SOCKFD, p[0]);
	nla_put_u32(msg, HANDSHAKE_A_SOCKFD, p[1]);
	hsnl_parse_accept(msg, &acc);
	CHECK(acc.fd == p[0] && acc.malformed);
	CHECK(fcntl(p[1], F_GETFD) < 0 && errno == EBADF);
	CHECK(fcntl(p[0], F_GETFD) >= 0);
	close(p[0]);
	free(acc.peername);
	nlmsg_free(msg);
}

int main(void)
{
	fill();
	test_tls13_aes_gcm();
	test_chacha();
	test_tls12_aes_gcm();
	test_rejects();
	test_done_message();
	test_accept_parse();
	test_accept_repeated_fd();
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	else
		printf("all checks passed\n");
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
