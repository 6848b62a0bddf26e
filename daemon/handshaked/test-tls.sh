#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Make a throw-away CA and certificates, then run the handshake engine
# against itself and against gnutls-serv, openssl s_server, gnutls-cli
# and openssl s_client on loopback.
set -eu

bin=$1
dir=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

cert() { # NAME ISSUER TEMPLATE-LINES...
	name=$1 issuer=$2
	shift 2
	printf '%s\n' "$@" "expiration_days = 2" >"$dir/$name.tmpl"
	certtool --generate-privkey --key-type=ecdsa --outfile "$dir/$name.key" 2>/dev/null
	if [ "$issuer" = self ]; then
		certtool --generate-self-signed --load-privkey "$dir/$name.key" \
			--template "$dir/$name.tmpl" --outfile "$dir/$name.pem" 2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$dir/$name.key" \
			--load-ca-certificate "$dir/$issuer.pem" \
			--load-ca-privkey "$dir/$issuer.key" \
			--template "$dir/$name.tmpl" --outfile "$dir/$name.pem" 2>/dev/null
	fi
}

cert ca self 'cn = "handshaked test CA"' ca cert_signing_key
cert other-ca self 'cn = "some other CA"' ca cert_signing_key
cert server ca 'cn = localhost' 'dns_name = localhost' 'ip_address = 127.0.0.1' \
	tls_www_server signing_key encryption_key
cert client ca 'cn = client' tls_www_client signing_key
# Names 127.0.0.1 as its CN and as a DNS name, but not as an IP address.
cert noip ca 'cn = 127.0.0.1' 'dns_name = localhost' 'dns_name = 127.0.0.1' \
	tls_www_server signing_key encryption_key

# What mainline's consumers put in their keys: DER.
certtool --certificate-info --infile "$dir/server.pem" --outder --outfile "$dir/server.der" 2>/dev/null
certtool --key-info --infile "$dir/server.key" --outder --outfile "$dir/server.key.der" 2>/dev/null

echo "== engine against itself"
"$bin" pair "$dir"

# A free port: let the kernel pick one for a moment.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }


listening() {
	for _ in $(seq 50); do
		ss -ltn "sport = :$1" | grep -q LISTEN && return 0
		sleep 0.1
	done
	echo "nothing listens on $1" >&2
	return 1
}

echo "== the default priority follows the system policy (GnuTLS's @SYSTEM)"
# policy FILE-CONTENT MIN-VERSION WANT: cipher numbers are kTLS's (51
# AES-128-GCM, 52 AES-256-GCM, 54 ChaCha20-Poly1305).
policy() {
	printf '%s\n' "$1" >"$dir/policy.conf"
	GNUTLS_SYSTEM_PRIORITY_FILE=$dir/policy.conf "$bin" policy "$dir" "$2" "$3"
}
GNUTLS_SYSTEM_PRIORITY_FILE=$dir/none "$bin" policy "$dir" 1.3 52
policy "[priorities]
SYSTEM = NORMAL:-AES-256-GCM:-CHACHA20-POLY1305" 1.3 51
policy "[priorities]
SYSTEM = NORMAL:-AES-256-GCM:-AES-128-GCM" 1.3 54
# The policy's TLS 1.2-only, min-version 1.2: TLS 1.2 with a kTLS cipher.
policy "[priorities]
SYSTEM = NORMAL:-VERS-TLS1.3" 1.2 52
policy "[priorities]
SYSTEM = NORMAL:-CIPHER-ALL:+AES-128-CBC" 1.3 EINVAL
policy "[priorities]
SYSTEM = NORMAL:-VERS-TLS1.3" 1.3 EINVAL

echo "== a client key on a PKCS#11 token (SoftHSM2)"
# A token of the test's own, the key made on it (sensitive, never
# extractable), a certificate for it signed by the test CA; the handshakes
# reach the key through p11-kit's SoftHSM2 module.
export SOFTHSM2_CONF="$dir/softhsm2.conf"
mkdir "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' "$dir" >"$SOFTHSM2_CONF"
softhsm2-util --init-token --free --label handshaked-test --pin 1234 --so-pin 123456 >/dev/null
GNUTLS_PIN=1234 p11tool --login --generate-privkey=ecdsa --label=client --id=01 \
	"pkcs11:token=handshaked-test" >/dev/null 2>&1
p11tool --login --set-pin=1234 --list-privkeys "pkcs11:token=handshaked-test" >"$dir/p11.out" 2>&1
grep -q 'CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE' "$dir/p11.out" ||
	{ cat "$dir/p11.out"; echo "the token's key is extractable" >&2; exit 1; }
key="pkcs11:token=handshaked-test;object=client;type=private"
printf 'cn = "client on a token"\ntls_www_client\nsigning_key\nexpiration_days = 2\n' \
	>"$dir/p11-client.tmpl"
GNUTLS_PIN=1234 certtool --generate-certificate --load-privkey "$key" \
	--load-pubkey "pkcs11:token=handshaked-test;object=client;type=public" \
	--load-ca-certificate "$dir/ca.pem" --load-ca-privkey "$dir/ca.key" \
	--template "$dir/p11-client.tmpl" --outfile "$dir/p11-client.pem" 2>/dev/null
# The PIN from a file (alone, no newline), as handshaked.conf(5) advises.
printf 1234 >"$dir/pin"
"$bin" pkcs11 "$dir" "$key;pin-source=$dir/pin" "$key;pin-value=9999"
unset SOFTHSM2_CONF

echo "== our client against gnutls-serv"
p=$(port)
gnutls-serv --port "$p" --x509certfile "$dir/server.pem" --x509keyfile "$dir/server.key" \
	>/dev/null 2>&1 &
pids="$pids $!"
listening "$p"
"$bin" connect "$p" "$dir" localhost 0
"$bin" connect "$p" "$dir" wrong.example EACCES

echo "== our client against openssl s_server (TLS 1.3, then 1.2 only)"
p=$(port)
openssl s_server -quiet -accept "$p" -cert "$dir/server.pem" -key "$dir/server.key" \
	</dev/null >/dev/null 2>&1 &
pids="$pids $!"
listening "$p"
"$bin" connect "$p" "$dir" localhost 0
p=$(port)
openssl s_server -quiet -tls1_2 -accept "$p" -cert "$dir/server.pem" -key "$dir/server.key" \
	</dev/null >/dev/null 2>&1 &
pids="$pids $!"
listening "$p"
"$bin" connect "$p" "$dir" localhost EACCES
"$bin" connect "$p" "$dir" localhost 0 tls1.2

# serve WANT-STATUS CLIENT-SUCCESS-LINE SERVE-ARGS... -- CLIENT ARGS...: our server
# against another's client; the server must end with WANT-STATUS and the
# client's output hold the line (none: "").
serve() {
	want=$1 line=$2
	shift 2
	p=$(port)
	args=
	while [ "$1" != -- ]; do args="$args $1"; shift; done
	shift
	# shellcheck disable=SC2086 # the serve arguments are words
	"$bin" serve "$p" "$dir" $args >"$dir/serve.out" &
	srv=$!
	listening "$p"
	"$@" </dev/null >"$dir/cli.out" 2>&1 || true
	wait "$srv" || true
	cat "$dir/serve.out"
	grep -qx "serve: $want" "$dir/serve.out" || { cat "$dir/cli.out"; exit 1; }
	[ -z "$line" ] || grep -q "$line" "$dir/cli.out" || { cat "$dir/cli.out"; exit 1; }
}
# Clients for serve: they connect to $p, the port serve picked.
gnutls_client() { gnutls-cli -p "$p" "$@"; }
openssl_client() { openssl s_client -connect "127.0.0.1:$p" "$@"; }

echo "== gnutls-cli and openssl s_client against our server"
serve 0 "Handshake was completed" -- gnutls_client --x509cafile "$dir/ca.pem" localhost
serve 0 "Verify return code: 0" -- openssl_client -CAfile "$dir/ca.pem" -verify_return_error \
	-servername localhost

echo "== gnutls-cli against our PSK server"
key=0123456789abcdef0123456789abcdef
hex=$(printf %s "$key" | xxd -p -c 64)
serve 0 "Handshake was completed" psk host-a "$key" -- gnutls_client --pskusername host-a \
	--pskkey "$hex" --priority NORMAL:+ECDHE-PSK:+PSK localhost
# An unknown identity gets the unknown_psk_identity alert (115).
serve EKEYREJECTED "Received alert \[115\]" psk host-a "$key" -- gnutls_client --pskusername host-b \
	--pskkey "$hex" --priority NORMAL:+ECDHE-PSK:+PSK localhost
# An identity for SHA-384 (NVMe hash 02) is refused as such, not as a bad key.
serve EIO "" psk NVMe0R02 "$key" -- gnutls_client --pskusername NVMe0R02 \
	--pskkey "$hex" --priority NORMAL:+ECDHE-PSK:+PSK localhost
echo "all passed"
