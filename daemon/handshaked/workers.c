// SPDX-License-Identifier: GPL-2.0-only
/*
 * Worker processes (workers = N > 1), for more cores than one event loop
 * uses. Each worker is a whole agent: its own event loop, its own command
 * socket (the claimant) and event socket in the "tls" group. Every worker
 * gets every request event and tries to claim it; the kernel's accept is
 * atomic, the losers get ENOENT. So nothing is shared and no request goes
 * through the parent, and a worker that dies loses only the handshakes it
 * had claimed (the kernel fails them at once as claimant-lost).
 *
 * The parent only supervises: it restarts a worker that dies (at most once
 * a second per worker) or hangs, forwards SIGTERM/SIGINT/SIGHUP, and
 * speaks for the workers to the service manager. The workers' own sd_notify() messages go
 * to the parent: NOTIFY_SOCKET in a worker names the parent's socket, so
 * the parent sends READY=1 when every worker is ready and a STATUS= with
 * the sums.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "privs.h"
#include "tls.h"
#include "workers.h"

/* A worker that dies is started again, but not more often than this. */
#define RESTART_INTERVAL_USEC 1000000ULL
/*
 * A worker's event loop sends WATCHDOG=1 to the parent as the agent's does
 * to the service manager, with the service's WatchdogSec= (else this): one
 * that falls silent that long is hung, and is killed and started again.
 */
#define WORKER_WATCHDOG_USEC (30 * 1000000ULL)

struct supervisor;

struct worker {
	struct supervisor *sv;
	unsigned int id;		/* 1..N, in log lines */
	pid_t pid;			/* 0: not running */
	sd_event_source *child, *restart;
	uint64_t started;		/* usec, for the restart rate limit */
	uint64_t last_ping;		/* usec of its last WATCHDOG=1 */
	bool ready, ever_ready;
	/* Its last STATUS=. */
	unsigned int active;
	unsigned long long done, failed;
};

struct supervisor {
	const struct opts *opts;
	const struct config *cfg;
	struct agent *agent;		/* credentials workers inherit */
	sd_event *event;
	pid_t pid;
	int event_fd;			/* socket activation's, for worker 1 */
	int notify_fd;
	uint64_t watchdog_usec;		/* the workers' */
	sd_event_source *watchdog;	/* checks them */
	char notify_name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct worker w[CONFIG_MAX_WORKERS];
	unsigned int n, running;
	bool stopping, ready_sent;
	int ret;
	/* The counts of workers gone, so the sums do not go backwards. */
	unsigned long long done, failed;
};

static void send_status(struct supervisor *sv)
{
	unsigned long long done = sv->done, failed = sv->failed;
	unsigned int active = 0;

	for (unsigned int i = 0; i < sv->n; i++) {
		active += sv->w[i].active;
		done += sv->w[i].done;
		failed += sv->w[i].failed;
	}
	sd_notifyf(0, "STATUS=Serving: %u in flight, %llu done (%llu failed), %u of %u workers",
		   active, done, failed, sv->running, sv->n);
}

/* READY=1 once every worker is: at start, and again after a reload. */
static void check_ready(struct supervisor *sv)
{
	if (sv->ready_sent || sv->stopping)
		return;
	for (unsigned int i = 0; i < sv->n; i++)
		if (!sv->w[i].ready)
			return;
	sv->ready_sent = true;
	log_info("ready: %u workers", sv->n);
	sd_notify(0, "READY=1");
	send_status(sv);
}

static void stop_all(struct supervisor *sv)
{
	sv->stopping = true;
	sd_notify(0, "STOPPING=1");
	for (unsigned int i = 0; i < sv->n; i++) {
		sv->w[i].restart = sd_event_source_disable_unref(sv->w[i].restart);
		if (sv->w[i].pid)
			kill(sv->w[i].pid, SIGTERM);
	}
	if (!sv->running)
		sd_event_exit(sv->event, 0);
}

static int on_worker_exit(sd_event_source *s, const siginfo_t *si, void *userdata);

/* In the child: become a worker, never return. */
static void worker_main(struct worker *w)
{
	struct supervisor *sv = w->sv;
	static char prefix[32];
	char num[32];
	int keep = w->id == 1 ? sv->event_fd : -1;

	/* Orphaned workers would go on claiming requests: end with the parent. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != sv->pid)
		_exit(EXIT_FAILURE);
	/* Nothing of the parent's loop: its epoll, signalfd, notify socket. */
	close_range(keep >= 0 ? (unsigned int)keep + 1 : 3, ~0U, 0);
	if (keep > 3)
		close_range(3, keep - 1, 0);
	setenv("NOTIFY_SOCKET", sv->notify_name, 1);
	/* The service manager's watchdog is the parent's; the worker's, ours. */
	snprintf(num, sizeof(num), "%llu", (unsigned long long)sv->watchdog_usec);
	setenv("WATCHDOG_USEC", num, 1);
	snprintf(num, sizeof(num), "%d", (int)getpid());
	setenv("WATCHDOG_PID", num, 1);
	snprintf(prefix, sizeof(prefix), "worker %u: ", w->id);
	log_set_prefix(prefix);
	exit(serve(sv->opts, sv->cfg, sv->agent, keep));
}

static int worker_start(struct worker *w)
{
	struct supervisor *sv = w->sv;
	pid_t pid;
	int r;

	sd_event_now(sv->event, CLOCK_MONOTONIC, &w->started);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		log_err("worker %u: fork: %s", w->id, strerror(-r));
		return r;
	}
	if (pid == 0)
		worker_main(w);
	w->pid = pid;
	w->ready = false;
	w->last_ping = w->started;
	sv->running++;
	w->child = sd_event_source_disable_unref(w->child);
	r = sd_event_add_child(sv->event, &w->child, pid, WEXITED, on_worker_exit, w);
	if (r < 0) {
		/* Cannot watch it: do not leave it unsupervised. */
		log_err("worker %u: cannot watch pid %d: %s", w->id, pid, strerror(-r));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		w->pid = 0;
		sv->running--;
		return r;
	}
	log_debug("worker %u: started, pid %d", w->id, pid);
	return 0;
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata);

static void schedule_restart(struct worker *w)
{
	struct supervisor *sv = w->sv;
	uint64_t when = w->started + RESTART_INTERVAL_USEC;
	int r;

	r = sd_event_add_time(sv->event, &w->restart, CLOCK_MONOTONIC, when, 0,
			      on_restart, w);
	if (r < 0) {
		log_err("worker %u: cannot schedule a restart: %s; stopping", w->id, strerror(-r));
		sv->ret = EXIT_FAILURE;
		stop_all(sv);
	}
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct worker *w = userdata;

	(void)s;
	(void)usec;
	w->restart = sd_event_source_disable_unref(w->restart);
	if (!w->sv->stopping && worker_start(w) < 0)
		schedule_restart(w);
	return 0;
}

static int on_worker_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
	struct worker *w = userdata;
	struct supervisor *sv = w->sv;
	bool clean = si->si_code == CLD_EXITED && si->si_status == 0;

	(void)s;	/* freed at the next start: sd-event reaps after this returns */
	if (si->si_code == CLD_EXITED)
		log_msg(clean ? LOG_INFO : LOG_ERR, "worker %u (pid %d) exited with status %d",
			w->id, (int)w->pid, si->si_status);
	else
		log_err("worker %u (pid %d) killed by signal %s%s", w->id, (int)w->pid,
			sigabbrev_np(si->si_status) ? sigabbrev_np(si->si_status) : "?",
			w->active ? "; the kernel fails its handshakes in flight" : "");
	/* Its handshakes in flight are lost: count them as failed. */
	sv->done += w->done + w->active;
	sv->failed += w->failed + w->active;
	w->done = w->failed = w->active = 0;
	w->pid = 0;
	w->ready = false;
	sv->running--;

	if (sv->stopping || (clean && sv->cfg->exit_idle_sec)) {
		/* Shutting down, or it was idle (exit-idle-timeout). */
		if (!sv->running) {
			if (!sv->stopping)
				log_info("every worker exited idle: exiting");
			sd_event_exit(sv->event, 0);
		}
	} else if (!w->ever_ready && si->si_code == CLD_EXITED) {
		/* It could not start (no module, no privilege): neither will the next. */
		log_err("worker %u failed to start: stopping", w->id);
		sv->ret = EXIT_FAILURE;
		stop_all(sv);
	} else {
		schedule_restart(w);
	}
	if (!sv->stopping)
		send_status(sv);
	return 0;
}

/*
 * One message from a worker's sd_notify() (READY=1, STATUS= and WATCHDOG=1
 * are what matter here); returns > 0 while there may be more.
 */
static int notify_one(struct supervisor *sv, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	char buf[4096];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &control, .msg_controllen = sizeof(control),
	};
	struct ucred *cred = NULL;
	struct worker *w = NULL;
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EINTR;
	buf[n] = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			cred = (struct ucred *)CMSG_DATA(c);
	/* Anyone may send to the socket; only our workers count. */
	for (unsigned int i = 0; cred && i < sv->n; i++)
		if (sv->w[i].pid && sv->w[i].pid == cred->pid)
			w = &sv->w[i];
	if (!w)
		return 1;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strcmp(line, "WATCHDOG=1")) {
			sd_event_now(sv->event, CLOCK_MONOTONIC, &w->last_ping);
		} else if (!strcmp(line, "READY=1")) {
			w->ready = w->ever_ready = true;
			check_ready(sv);
		} else if (sscanf(line, "STATUS=Serving: %u in flight, %llu done (%llu failed)",
				  &w->active, &w->done, &w->failed) == 3 && sv->ready_sent) {
			send_status(sv);
		}
	}
	return 1;
}


static int on_notify(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	(void)s;
	(void)revents;
	/*
	 * Every queued message, before the watchdog check can run: after a
	 * stall of ours, the WATCHDOG=1s sent meanwhile must count first.
	 */
	while (notify_one(userdata, fd) > 0)
		;
	return 0;
}

/* An abstract socket with a name the kernel picks (autobind): no clashes. */
static int notify_open(struct supervisor *sv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0) {
		close(fd);
		return -errno;
	}
	len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path) + 1) {
		close(fd);
		return -EINVAL;
	}
	/* sd_notify() takes "@name" for the abstract name "\0name". */
	len -= offsetof(struct sockaddr_un, sun_path);
	sv->notify_name[0] = '@';
	memcpy(sv->notify_name + 1, sa.sun_path + 1, len - 1);
	sv->notify_name[len] = 0;
	sv->notify_fd = fd;
	return 0;
}

/*
 * Every half interval: kill a worker silent for a whole one. Only its
 * claimed handshakes are lost (claimant-lost); what it had not claimed,
 * the others take. on_worker_exit() starts the next.
 */
static int on_watchdog_check(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct supervisor *sv = userdata;
	uint64_t now;

	sd_event_now(sv->event, CLOCK_MONOTONIC, &now);
	for (unsigned int i = 0; i < sv->n; i++) {
		struct worker *w = &sv->w[i];

		/* Draining workers still answer: one that does not, hangs the stop. */
		if (!w->pid || now - w->last_ping < sv->watchdog_usec)
			continue;
		log_err("worker %u (pid %d) sent no WATCHDOG=1 for %llu s: killing it",
			w->id, (int)w->pid,
			(unsigned long long)((now - w->last_ping) / 1000000));
		kill(w->pid, SIGKILL);
		w->last_ping = now;	/* once: its exit comes next */
	}
	return sd_event_source_set_time(s, usec + sv->watchdog_usec / 2);
}

static int on_stop(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	(void)s;
	log_info("signal %d: stopping the workers", (int)si->ssi_signo);
	stop_all(userdata);
	return 0;
}

/* SIGHUP: reload here too, so workers started later get the new files. */
static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
	struct supervisor *sv = userdata;

	(void)s;
	(void)si;
	sd_notify(0, "RELOADING=1");
	/*
	 * Workers reload the same files: if they do not load here, they would
	 * not there either (and a wrong token PIN would be tried once per
	 * worker, which may lock the token).
	 */
	if (!agent_reload(sv->agent, sv->opts)) {
		sd_notify(0, "READY=1");
		return 0;
	}
	sv->ready_sent = false;
	for (unsigned int i = 0; i < sv->n; i++) {
		sv->w[i].ready = false;
		if (sv->w[i].pid)
			kill(sv->w[i].pid, SIGHUP);
	}
	/* Workers down now (a restart pending) are not waited for. */
	for (unsigned int i = 0; i < sv->n; i++)
		if (!sv->w[i].pid)
			sv->w[i].ready = true;
	check_ready(sv);
	return 0;
}

int supervise(const struct opts *o, const struct config *cfg, struct agent *a, int event_fd)
{
	struct supervisor sv = {
		.opts = o, .cfg = cfg, .agent = a, .pid = getpid(),
		.event_fd = event_fd, .notify_fd = -1, .n = cfg->workers,
		.ret = EXIT_SUCCESS,
	};
	sd_event_source *notify_src = NULL;
	int r;

	/* Workers are forked with no more than what they keep. */
	if (privs_drop() < 0)
		return EXIT_FAILURE;
	r = notify_open(&sv);
	if (r < 0) {
		log_err("notify socket: %s", strerror(-r));
		return EXIT_FAILURE;
	}
	r = sd_event_new(&sv.event);
	if (r >= 0)
		r = sd_event_add_signal(sv.event, NULL, SIGTERM, on_stop, &sv);
	if (r >= 0)
		r = sd_event_add_signal(sv.event, NULL, SIGINT, on_stop, &sv);
	if (r >= 0)
		r = sd_event_add_signal(sv.event, NULL, SIGHUP, on_hup, &sv);
	if (r >= 0)
		r = sd_event_add_io(sv.event, &notify_src, sv.notify_fd, EPOLLIN, on_notify, &sv);
	/* The workers' pings are read before the watchdog check judges them. */
	if (r >= 0)
		r = sd_event_source_set_priority(notify_src, SD_EVENT_PRIORITY_IMPORTANT);
	if (r >= 0)
		r = sd_event_set_watchdog(sv.event, true);
	if (r >= 0 && sd_watchdog_enabled(0, &sv.watchdog_usec) <= 0)
		sv.watchdog_usec = WORKER_WATCHDOG_USEC;
	if (r >= 0)
		r = sd_event_add_time_relative(sv.event, &sv.watchdog, CLOCK_MONOTONIC,
					       sv.watchdog_usec / 2, 0,
					       on_watchdog_check, &sv);
	if (r >= 0)
		r = sd_event_source_set_enabled(sv.watchdog, SD_EVENT_ON);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		sv.ret = EXIT_FAILURE;
		goto out;
	}

	log_info("starting %u workers", sv.n);
	for (unsigned int i = 0; i < sv.n; i++) {
		sv.w[i].sv = &sv;
		sv.w[i].id = i + 1;
	}
	for (unsigned int i = 0; i < sv.n && !sv.stopping; i++)
		if (worker_start(&sv.w[i]) < 0) {
			sv.ret = EXIT_FAILURE;
			stop_all(&sv);
		}

	r = sd_event_loop(sv.event);
	if (r < 0) {
		log_err("event loop: %s", strerror(-r));
		sv.ret = EXIT_FAILURE;
	}
out:
	/* Not after an event loop error: never leave workers behind. */
	for (unsigned int i = 0; i < sv.n; i++) {
		if (sv.w[i].pid) {
			kill(sv.w[i].pid, SIGTERM);
			waitpid(sv.w[i].pid, NULL, 0);
		}
		sd_event_source_disable_unref(sv.w[i].child);
		sd_event_source_disable_unref(sv.w[i].restart);
	}
	sd_event_source_disable_unref(notify_src);
	sd_event_source_disable_unref(sv.watchdog);
	sd_event_unref(sv.event);
	if (sv.notify_fd >= 0)
		close(sv.notify_fd);
	return sv.ret;
}
