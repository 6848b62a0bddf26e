// SPDX-License-Identifier: GPL-2.0
/*
 * Handshake upcall: helpers for consumers of a kTLS socket.
 *
 * kTLS hands non-data records (alerts, TLS 1.3 session tickets) to the
 * reader with a control message giving the record type; a reader without a
 * control buffer gets -EIO on them. These helpers keep that detail in one
 * place.
 */
/*
 * The includes decide the modversions CRCs of tls_get_record_type() and
 * tls_alert_recv(): as in tls.c, these make them mainline's.
 */
#include <linux/types.h>
#include <linux/socket.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/inet.h>
#include <linux/tracepoint.h>
#include <net/sock.h>
#include <net/handshake.h>
#include <net/tls_prot.h>
#include <uapi/linux/tls.h>

#include "handshake.h"

/**
 * handshake_record_type - the TLS content type of a record kTLS returned
 * @cmsg: the control message kernel_recvmsg() filled in
 *
 * Return: the content type (e.g. %HANDSHAKE_RECORD_DATA), or 0 if @cmsg
 * is not kTLS's record-type message (or too short to hold one).
 */
u8 handshake_record_type(const struct cmsghdr *cmsg)
{
	if (cmsg->cmsg_len < CMSG_LEN(sizeof(u8)) ||
	    cmsg->cmsg_level != SOL_TLS ||
	    cmsg->cmsg_type != TLS_GET_RECORD_TYPE)
		return 0;
	return *(const u8 *)CMSG_DATA(cmsg);
}
EXPORT_SYMBOL_GPL(handshake_record_type);

/* TLS 1.3 handshake message type of a KeyUpdate (RFC 8446, 4). */
#define HANDSHAKE_MSG_KEY_UPDATE	24

/**
 * handshake_record_check - whether a consumer may go on after a record
 * @type: the record's type, from handshake_record_type()
 * @data: the start of the record's content
 * @len: how many bytes of it were read
 *
 * A TLS 1.3 peer may send KeyUpdate at any time. kTLS on 6.1 cannot take
 * new keys, so every record after it would fail to decrypt: the consumer
 * is told now, and should close the connection and connect again. Other
 * handshake records (NewSessionTicket) are to be skipped.
 *
 * Return: 0 to go on, or -EKEYEXPIRED after a KeyUpdate.
 */
int handshake_record_check(u8 type, const void *data, size_t len)
{
	if (type != HANDSHAKE_RECORD_HANDSHAKE || !len ||
	    *(const u8 *)data != HANDSHAKE_MSG_KEY_UPDATE)
		return 0;
	net_warn_ratelimited("handshake: the TLS peer sent KeyUpdate, which kTLS on this kernel cannot follow: reconnect\n");
	return -EKEYEXPIRED;
}
EXPORT_SYMBOL_GPL(handshake_record_check);

/**
 * handshake_send_alert - send a TLS alert record on a kTLS socket
 * @sock: socket with kTLS installed for transmit
 * @level: %HANDSHAKE_ALERT_LEVEL_WARNING or %HANDSHAKE_ALERT_LEVEL_FATAL
 * @description: alert description, e.g. %HANDSHAKE_ALERT_CLOSE_NOTIFY
 *
 * Context: process context; might sleep.
 * Return: 0 or a negative errno.
 */
int handshake_send_alert(struct socket *sock, u8 level, u8 description)
{
	union handshake_record_cmsg ctl = {};
	u8 alert[2] = { level, description };
	struct kvec iov = { .iov_base = alert, .iov_len = sizeof(alert) };
	struct msghdr msg = {
		.msg_control = &ctl,
		.msg_controllen = sizeof(ctl),
		.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
	};
	int ret;

	ctl.cmsg.cmsg_level = SOL_TLS;
	ctl.cmsg.cmsg_type = TLS_SET_RECORD_TYPE;
	ctl.cmsg.cmsg_len = CMSG_LEN(sizeof(u8));
	*(u8 *)CMSG_DATA(&ctl.cmsg) = HANDSHAKE_RECORD_ALERT;

	ret = kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
	if (ret < 0)
		return ret;
	return ret == sizeof(alert) ? 0 : -EIO;
}
EXPORT_SYMBOL_GPL(handshake_send_alert);

/**
 * handshake_send_close_notify - tell the TLS peer this side is closing
 * @sock: socket with kTLS installed for transmit
 *
 * Context: process context; might sleep.
 * Return: 0 or a negative errno.
 */
int handshake_send_close_notify(struct socket *sock)
{
	return handshake_send_alert(sock, HANDSHAKE_ALERT_LEVEL_WARNING,
				    HANDSHAKE_ALERT_CLOSE_NOTIFY);
}
EXPORT_SYMBOL_GPL(handshake_send_close_notify);

/**
 * tls_get_record_type - the TLS content type of a record kTLS returned
 * @sk: the socket it was read from
 * @cmsg: the control message kernel_recvmsg() filled in
 *
 * Return: the content type (e.g. %TLS_RECORD_TYPE_DATA), or 0 if @cmsg is
 * not kTLS's record-type message.
 */
u8 tls_get_record_type(const struct sock *sk, const struct cmsghdr *cmsg)
{
	return handshake_record_type(cmsg);
}
EXPORT_SYMBOL(tls_get_record_type);

/**
 * tls_alert_recv - read the level and description of a received alert
 * @sk: the socket it was read from
 * @msg: the message whose record type was %TLS_RECORD_TYPE_ALERT, read
 *	into one kvec
 * @level: set to the alert's level (%TLS_ALERT_LEVEL_WARNING, ...)
 * @description: set to its description (%TLS_ALERT_DESC_CLOSE_NOTIFY, ...)
 */
void tls_alert_recv(const struct sock *sk, const struct msghdr *msg,
		    u8 *level, u8 *description)
{
	const struct kvec *kv = msg->msg_iter.kvec;
	const u8 *data;

	/* A read that filled its one kvec has moved the iterator past it. */
	if (!msg->msg_iter.nr_segs)
		kv--;
	data = kv->iov_base;
	*level = data[0];
	*description = data[1];
}
EXPORT_SYMBOL(tls_alert_recv);
