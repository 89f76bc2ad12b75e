/*
 * seqflow: a sequenced UDP flow through the gateway pair, for failover
 * tests, benchmarks and the demo.
 *
 *   seqflow echo PORT
 *	answer every packet: the reply carries the request's sequence number
 *	and send time, and the echo side's own reply counter.
 *   seqflow run ADDR PORT RATE SECONDS [DRAIN-MS]
 *	send RATE packets per second for SECONDS, keep listening DRAIN-MS
 *	(default 1000) afterwards, print one JSON line of results.
 *
 * Each reply numbers itself, so a missing request number that the echo
 * side never answered is a loss on the way there, and a gap in the reply
 * numbers is a loss on the way back.  The longest gap is the longest time
 * between two consecutive replies while the flow ran: what a failover
 * costs the traffic.
 *
 * Wire format (network order): magic "SQFL", seq u32, send time u64 (µs,
 * the sender's monotonic clock), echo counter u32 (0 in requests), run id
 * u32 (a new run restarts the echo counter), then padding to 64 bytes.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x5351464cu	/* "SQFL" */
#define PKT_LEN		64

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int
udp_socket(void)
{
	int	 fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd == -1) {
		perror("socket");
		exit(1);
	}
	return fd;
}

static int
do_echo(int port)
{
	struct sockaddr_in sin, from;
	socklen_t	 flen;
	uint8_t		 pkt[2048];
	uint32_t	 count = 0, run = 0;
	ssize_t		 n;
	int		 fd = udp_socket();

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("bind");
		return 1;
	}
	/* the tests wait for this line instead of sleeping */
	printf("seqflow: echo listening on %d\n", port);
	fflush(stdout);
	for (;;) {
		flen = sizeof(from);
		n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from,
		    &flen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("recvfrom");
			return 1;
		}
		if (n != PKT_LEN || get32(pkt) != MAGIC)
			continue;
		if (get32(pkt + 20) != run) {
			run = get32(pkt + 20);
			count = 0;
		}
		put32(pkt + 16, ++count);
		sendto(fd, pkt, PKT_LEN, 0, (struct sockaddr *)&from, flen);
	}
}

struct result {
	uint32_t	 sent;
	uint32_t	 replies;
	uint32_t	 duplicates;
	uint32_t	 reordered;
	uint32_t	 max_echo;	/* highest echo counter seen */
	uint64_t	 longest_gap_us;
	uint64_t	 gap_at_us;	/* when the longest gap began, from start */
	uint64_t	 rtt_sum_us;
	uint64_t	 rtt_max_us;
};

static int
do_run(const char *addr, int port, int rate, double secs, int drain_ms)
{
	struct sockaddr_in to;
	struct result	 r;
	uint8_t		 pkt[PKT_LEN], in[2048];
	uint8_t		*seen_seq, *seen_echo;
	uint64_t	 start, next, end, last_reply = 0, interval, t;
	uint32_t	 total = (uint32_t)(rate * secs), last_seq = 0;
	uint32_t	 echo_cap, run_id;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 fd = udp_socket();

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "seqflow: bad address %s\n", addr);
		return 2;
	}
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1) {
		perror("connect");
		return 1;
	}
	memset(&r, 0, sizeof(r));
	echo_cap = total * 2 + 16;
	seen_seq = calloc(total + 1, 1);
	seen_echo = calloc(echo_cap + 1, 1);
	if (seen_seq == NULL || seen_echo == NULL) {
		perror("calloc");
		return 1;
	}
	interval = 1000000 / (uint64_t)rate;
	start = next = now_us();
	run_id = (uint32_t)(start ^ (uint64_t)getpid() << 16) | 1;
	end = start + (uint64_t)(secs * 1e6);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		t = now_us();
		if (r.sent < total && t >= next) {
			memset(pkt, 0, sizeof(pkt));
			put32(pkt, MAGIC);
			put32(pkt + 4, r.sent + 1);
			put64(pkt + 8, t);
			put32(pkt + 20, run_id);
			/* ECONNREFUSED and friends: the packet is simply lost */
			(void)send(fd, pkt, sizeof(pkt), 0);
			if (r.sent++ == 0)	/* for tests that wait on it */
				fprintf(stderr, "seqflow: running\n");
			next += interval;
			continue;
		}
		if (r.sent >= total && t >= end + (uint64_t)drain_ms * 1000)
			break;
		{
			int64_t wait = r.sent < total ? (int64_t)(next - t) :
			    (int64_t)(end + (uint64_t)drain_ms * 1000 - t);
			int	 ms = wait > 0 ? (int)((wait + 999) / 1000) : 0;

			if (poll(&pfd, 1, ms > 0 ? (ms > 1 ? ms - 1 : 1) : 0) <= 0)
				continue;
		}
		while ((n = recv(fd, in, sizeof(in), MSG_DONTWAIT)) > 0) {
			uint32_t seq, echo;
			uint64_t sent_at, rtt;

			if (n != PKT_LEN || get32(in) != MAGIC)
				continue;
			seq = get32(in + 4);
			sent_at = get64(in + 8);
			echo = get32(in + 16);
			if (seq == 0 || seq > total || echo == 0 ||
			    echo > echo_cap || get32(in + 20) != run_id)
				continue;
			t = now_us();
			if (seen_seq[seq]) {
				r.duplicates++;
				continue;
			}
			seen_seq[seq] = 1;
			seen_echo[echo] = 1;
			if (echo > r.max_echo)
				r.max_echo = echo;
			if (seq < last_seq)
				r.reordered++;
			else
				last_seq = seq;
			r.replies++;
			rtt = t - sent_at;
			r.rtt_sum_us += rtt;
			if (rtt > r.rtt_max_us)
				r.rtt_max_us = rtt;
			if (last_reply != 0 && t - last_reply > r.longest_gap_us) {
				r.longest_gap_us = t - last_reply;
				r.gap_at_us = last_reply - start;
			}
			last_reply = t;
		}
	}
	{
		/* replies the echo side numbered but that never arrived */
		uint32_t lost_back = 0, lost_there;

		for (uint32_t e = 1; e <= r.max_echo; e++)
			if (!seen_echo[e])
				lost_back++;
		lost_there = r.sent - r.replies - lost_back;
		printf("{\"sent\": %u, \"replies\": %u, \"lost_forward\": %u, "
		    "\"lost_reverse\": %u, \"lost\": %u, \"duplicates\": %u, "
		    "\"reordered\": %u, \"longest_gap_ms\": %.1f, "
		    "\"gap_at_ms\": %.1f, \"rtt_avg_ms\": %.3f, "
		    "\"rtt_max_ms\": %.3f, \"rate\": %d, \"seconds\": %.3f}\n",
		    r.sent, r.replies, lost_there, lost_back,
		    r.sent - r.replies, r.duplicates, r.reordered,
		    r.longest_gap_us / 1000.0, r.gap_at_us / 1000.0,
		    r.replies ? r.rtt_sum_us / 1000.0 / r.replies : 0.0,
		    r.rtt_max_us / 1000.0, rate, secs);
	}
	free(seen_seq);
	free(seen_echo);
	return 0;
}

int
main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "echo") == 0)
		return do_echo(atoi(argv[2]));
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "run") == 0 &&
	    atoi(argv[4]) > 0 && atoi(argv[4]) <= 100000 && atof(argv[5]) > 0)
		return do_run(argv[2], atoi(argv[3]), atoi(argv[4]),
		    atof(argv[5]), argc == 7 ? atoi(argv[6]) : 1000);
	fprintf(stderr, "usage: seqflow echo PORT\n"
	    "       seqflow run ADDR PORT RATE SECONDS [DRAIN-MS]\n");
	return 2;
}
