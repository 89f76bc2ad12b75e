/*
 * Two IKE engines in one process: each with the record-only data plane,
 * a virtual clock, and a queue between them instead of a network.  Tests
 * step messages one at a time (checking state in between), drop or
 * rewrite them, and move the clock to fire timers.
 */
#ifndef HAVPN_TEST_IKE_PAIR_H
#define HAVPN_TEST_IKE_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "esp/esp.h"
#include "ike/ike.h"

struct config;

struct pair_msg {
	int		 from;		/* 0: a, 1: b */
	struct sockaddr_in src;
	struct sockaddr_in dst;
	uint8_t		*data;
	size_t		 len;
};

struct pair_node {
	struct ike	*ike;
	struct esp_backend *be;
	struct config	*cf;
	struct in_addr	 addr;
	int		 sent;		/* datagrams sent */
};

struct pair {
	struct pair_node n[2];
	uint64_t	 now;
	struct pair_msg	 q[256];
	int		 nq;
	/* when set, called for each message before delivery; 0 drops it */
	int		(*filter)(struct pair *, struct pair_msg *);
	void		*filter_arg;
	/*
	 * When set, called for every datagram an engine sends, as it leaves
	 * (also those to addresses no node has, and those the full queue
	 * loses): what went out on the wire.
	 */
	void		(*wire)(struct pair *, const struct pair_msg *);
};

/* Config texts for a (10.0.0.11) and b (10.0.0.20).  NULL b: none. */
struct pair	*pair_new(const char *, const char *);
void		 pair_free(struct pair *);
/* Replace node i's engine with a fresh one (and data plane, if asked). */
void		 pair_restart(struct pair *, int, int);
struct config	*pair_conf(const char *);
/* Deliver the first queued message; 0 if none. */
int		 pair_step(struct pair *);
/* Deliver until the queue is empty (at most max); returns how many. */
int		 pair_run(struct pair *, int);
/* Move the clock by ms, firing due timers (both engines) as it goes. */
void		 pair_advance(struct pair *, uint64_t);
/* Drop everything queued. */
void		 pair_flush(struct pair *);
/* The one established ISAKMP SA of a node, as exported; 0 if found. */
int		 pair_isakmp(struct pair *, int, struct ike_isakmp_state *);
int		 pair_count_isakmp(struct pair *, int);
int		 pair_count_ipsec(struct pair *, int);
/* ike_test_acquire for the flow src -> dst on node i. */
int		 pair_acquire(struct pair *, int, const char *, const char *);
/* A datagram from nowhere into node i (as if from 10.0.0.99 or src). */
void		 pair_inject(struct pair *, int, const uint8_t *, size_t,
		    const char *, uint16_t, uint16_t);

/*
 * The log: quiet unless IKE_TRACE is set in the environment (then every
 * debug crypto isakmp line goes to stderr).  pair_log_has() looks for a
 * string in what was logged since pair_log_reset().
 */
void		 pair_log_init(void);
void		 pair_log_reset(void);
int		 pair_log_has(const char *);
/* What was logged since pair_log_reset(); NULL while tracing to stderr. */
const char	*pair_log_text(void);

/* The standard configurations: the design's addresses. */
extern const char pair_conf_a[];
extern const char pair_conf_b[];
/* conf with "FROM" replaced by "TO" (first occurrence), caller frees. */
char		*pair_edit(const char *, const char *, const char *);

#endif
