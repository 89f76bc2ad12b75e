/*
 * linkem: a point-to-point Ethernet link with delay and loss, for a
 * kernel without sch_netem (this machine's).  Creates two TAP devices,
 * NAMEA and NAMEB, in the current network namespace (the caller moves
 * them where the link's ends belong: a TAP device keeps working in
 * another namespace), prints "ready", and forwards every frame from one
 * to the other DELAY_MS later, each lost with probability LOSS percent,
 * in order (a FIFO per direction, as netem with a fixed delay).
 *
 *   linkem NAMEA NAMEB [DELAY_MS [LOSS [SEED]]]
 *
 * A line "DELAY_MS LOSS" on standard input changes both (for the frames
 * read from then on).  Ends on SIGTERM or when its parent dies, printing
 * what it forwarded and lost on standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#define QLEN		8192
#define FRAME_MAX	2048

struct frame {
	uint64_t	 due_us;
	uint16_t	 len;
	uint8_t		 p[FRAME_MAX];
};

/* One direction: frames read from fd_in, written to fd_out when due. */
struct dir {
	int		 fd_in, fd_out;
	struct frame	*q;
	unsigned	 head, n;
	uint64_t	 fwd, lost, full;
};

static volatile sig_atomic_t stop;
static uint64_t	 delay_us;
static double	 loss;		/* 0..1 */

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
tap_open(const char *name)
{
	struct ifreq	 ifr;
	int		 fd;

	if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what fd_in has: each frame lost, or queued for its due time. */
static void
dir_read(struct dir *d, uint64_t now)
{
	for (;;) {
		struct frame	*f;
		ssize_t		 r;

		if (d->n == QLEN) {
			uint8_t	 junk[FRAME_MAX];

			if (read(d->fd_in, junk, sizeof(junk)) <= 0)
				return;
			d->full++;
			continue;
		}
		f = &d->q[(d->head + d->n) % QLEN];
		if ((r = read(d->fd_in, f->p, sizeof(f->p))) <= 0)
			return;
		if (loss > 0 && (double)random() / RAND_MAX < loss) {
			d->lost++;
			continue;
		}
		f->len = (uint16_t)r;
		f->due_us = now + delay_us;
		d->n++;
	}
}

/* Write the frames that are due; returns when the next one is (or 0). */
static uint64_t
dir_write(struct dir *d, uint64_t now)
{
	while (d->n > 0) {
		struct frame	*f = &d->q[d->head];

		if (f->due_us > now)
			return f->due_us;
		/* a full device queue loses the frame, as a wire would */
		if (write(d->fd_out, f->p, f->len) == -1)
			d->full++;
		else
			d->fwd++;
		d->head = (d->head + 1) % QLEN;
		d->n--;
	}
	return 0;
}

static void
read_params(void)
{
	char	 line[128];
	double	 ms, pct;

	if (fgets(line, sizeof(line), stdin) == NULL)
		return;
	if (sscanf(line, "%lf %lf", &ms, &pct) == 2 && ms >= 0 && pct >= 0 &&
	    pct <= 100) {
		delay_us = (uint64_t)(ms * 1000);
		loss = pct / 100;
	}
}

int
main(int argc, char **argv)
{
	struct dir	 d[2];
	struct pollfd	 pfd[3];
	int		 a, b, in_open = 1;

	if (argc < 3 || argc > 6) {
		fprintf(stderr, "usage: linkem NAMEA NAMEB [DELAY_MS [LOSS "
		    "[SEED]]]\n");
		return 2;
	}
	delay_us = argc > 3 ? (uint64_t)(atof(argv[3]) * 1000) : 0;
	loss = argc > 4 ? atof(argv[4]) / 100 : 0;
	srandom(argc > 5 ? (unsigned)atoi(argv[5]) : (unsigned)getpid());
	if ((a = tap_open(argv[1])) == -1 || (b = tap_open(argv[2])) == -1) {
		perror("linkem: TAP device");
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	memset(d, 0, sizeof(d));
	d[0].fd_in = d[1].fd_out = a;
	d[1].fd_in = d[0].fd_out = b;
	for (int i = 0; i < 2; i++)
		if ((d[i].q = calloc(QLEN, sizeof(struct frame))) == NULL)
			return 1;
	setvbuf(stdin, NULL, _IOLBF, 0);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		uint64_t now = now_us(), next = 0;
		int	 timeout = -1, n = 2;

		for (int i = 0; i < 2; i++) {
			uint64_t due = dir_write(&d[i], now);

			if (due != 0 && (next == 0 || due < next))
				next = due;
		}
		if (next != 0)
			timeout = (int)((next - now + 999) / 1000);
		pfd[0].fd = a;
		pfd[1].fd = b;
		pfd[0].events = pfd[1].events = POLLIN;
		if (in_open) {
			pfd[2].fd = STDIN_FILENO;
			pfd[2].events = POLLIN;
			n = 3;
		}
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			perror("linkem: poll");
			return 1;
		}
		now = now_us();
		if (pfd[0].revents & POLLIN)
			dir_read(&d[0], now);
		if (pfd[1].revents & POLLIN)
			dir_read(&d[1], now);
		if (n == 3 && pfd[2].revents & (POLLIN | POLLHUP)) {
			if (feof(stdin))
				in_open = 0;
			else
				read_params();
			if (feof(stdin))
				in_open = 0;
		}
	}
	fprintf(stderr, "linkem: %s->%s %llu forwarded, %llu lost, %llu over "
	    "the queue; %s->%s %llu forwarded, %llu lost, %llu over the "
	    "queue\n", argv[1], argv[2], (unsigned long long)d[0].fwd,
	    (unsigned long long)d[0].lost, (unsigned long long)d[0].full,
	    argv[2], argv[1], (unsigned long long)d[1].fwd,
	    (unsigned long long)d[1].lost, (unsigned long long)d[1].full);
	return 0;
}
