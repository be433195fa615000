/*
 * client: the engine of pktmon-client. One event loop drives the control
 * channel, the probe schedule, the probe sessions, renewals, history
 * writes, and a clean stop.
 */
#ifndef PM_CLIENT_H
#define PM_CLIENT_H

#include <stdint.h>
#include "net.h"
#include "output.h"
#include "policy.h"
#include "stamp_auth.h"

/* Exit codes, documented in --help and the README. */
enum {
	EXIT_ALL_ANSWERED = 0,	/* every slot answered */
	EXIT_LOSS = 1,
	EXIT_USAGE = 2,
	EXIT_CONNECT = 3,
	EXIT_STORAGE = 4,
};

struct client_opts {
	const char *cert, *key, *ca, *db, *keylog;
	const char *on_loss;		/* command for loss episodes, or NULL */
	int64_t hook_limit_ns;		/* --on-loss-timeout */
	int64_t status_ns;		/* periodic status line; 0 = off */
	const char *metrics;		/* HOST:PORT for /metrics, or NULL */
	char host[256];
	uint16_t port;
	const char *server;		/* as given, for messages and the history */
	int64_t interval_ns;
	int poisson;			/* exponential spacing around interval_ns */
	int realtime;			/* probe thread at SCHED_FIFO */
	int dscp;			/* -1: leave the default */
	int64_t timeout_ns;		/* loss timeout */
	int64_t deadline_ns;		/* -w; 0 = none */
	uint64_t count;			/* -c; 0 = until stopped */
	uint16_t size;
	int durability_full;
	enum out_mode out;
	int timestamps;			/* -D: each line starts with its UTC time */
	struct policy_cfg policy;
	int renew;			/* 0: never renew */
	int icmp;			/* --icmp HOST: host is the target */
	int plain;			/* --stamp HOST:PORT: any RFC 8762 reflector */
	int have_stamp_key;		/* --stamp-key-file: authenticated mode */
	struct stamp_key stamp_key;
	struct net_origin from;		/* -4/-6 */
};

/* Runs until done or stopped; returns the exit code. */
int client_run(const struct client_opts *o);

#endif
