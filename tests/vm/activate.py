#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Starts $HANDSHAKED as systemd's handshaked.socket would
(ListenNetlink=generic 32768): a generic netlink socket bound to nlctrl's
notify group, passed as fd 3 with LISTEN_FDS=1 and LISTEN_PID.
Usage: tests/vm/activate.py [handshaked options...]; the agent is
$HANDSHAKED_REAL if set (so that HANDSHAKED can name this script), else
$HANDSHAKED."""
import os
import socket
import sys

s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)  # NETLINK_GENERIC
s.bind((0, 32768))
# As ReceiveBuffer= does (SO_RCVBUFFORCE), with a size of the test's own
# (RCVBUF, bytes) so that it can see the agent keep it.
if os.environ.get("RCVBUF"):
    s.setsockopt(socket.SOL_SOCKET, 33, int(os.environ["RCVBUF"]))  # SO_RCVBUFFORCE
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
agent = os.environ.get("HANDSHAKED_REAL") or os.environ["HANDSHAKED"]
os.execv(agent, ["handshaked"] + sys.argv[1:])
