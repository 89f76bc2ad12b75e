/*
 * ipc_peer: one end of the sync channel, run from a havpn configuration
 * file, for the integration tests (hasync is not there yet to use it).
 *
 *   ipc_peer -f FILE
 *
 * Commands, one per line on stdin; every answer and event is one JSON
 * line on stdout:
 *
 *   status			ipc_status() as {"status": {...}}
 *   send STREAM COUNT SIZE HEX	COUNT messages of SIZE bytes on STREAM
 *				(control|state|counters): a 4-byte number,
 *				then HEX repeated; waits for room
 *   burst BYTES SIZE MS DUR	BYTES on state in SIZE messages, and a
 *				timestamped counters message every MS ms
 *				for DUR ms
 *   stats			what arrived: per-stream messages and
 *				bytes, counters latency during the burst,
 *				state messages out of order (by their
 *				number: 0 starts a new series)
 *   inject KIND		a crafted record on the state stream,
 *				straight to SCTP: replay | forged |
 *				truncated | toolarge | version; or
 *				hello: a well-formed clear HELLO of a
 *				new incarnation on the control stream
 *   raw STREAM HEX		one message of exactly these bytes (a
 *				crafted sync message for hasync)
 *   role N			ipc_set_role(N)
 *   quit
 *
 * Events: {"event": "up", ...}, {"event": "down", "reason": ...}.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>
#include <json-c/json.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "ipc/ipc_int.h"

#define MAXLAT	200000

struct sender {
	int		 active;
	enum ipc_stream	 stream;
	uint64_t	 count;
	uint64_t	 done;
	size_t		 size;
	uint8_t		 pattern[64];
	size_t		 plen;
};

static struct ev_loop	*loop;
static struct ipc	*ipc;
static struct sender	 snd;
static ev_idle		 send_idle;
static ev_timer		 lat_timer;
static ev_io		 in_io;
static char		 line[4096];
static size_t		 linelen;
static uint64_t		 rx_msgs[IPC_NSTREAMS], rx_bytes[IPC_NSTREAMS];
static uint64_t		 state_first_us, state_last_us;
static uint64_t		 state_next, state_disorder;
static uint64_t		 lat_at[MAXLAT], lat_us[MAXLAT];
static size_t		 nlat;
static uint32_t		 lat_seq;
static uint64_t		 lat_until_ms;
static ev_timer		 bulk_timer;
static uint64_t		 burst_count;
static size_t		 burst_size;

static void
emit(json_object *o)
{
	printf("%s\n", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

static void
emit_kv(const char *k, const char *v)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, k, json_object_new_string(v));
	emit(o);
}

static void
on_up(void *arg, const struct ipc_peer *p)
{
	json_object *o = json_object_new_object();

	(void)arg;
	json_object_object_add(o, "event", json_object_new_string("up"));
	json_object_object_add(o, "peer", json_object_new_string(p->node_id));
	json_object_object_add(o, "incarnation",
	    json_object_new_int64((int64_t)p->incarnation));
	emit(o);
}

static void
on_down(void *arg, const char *reason)
{
	json_object *o = json_object_new_object();

	(void)arg;
	json_object_object_add(o, "event", json_object_new_string("down"));
	json_object_object_add(o, "reason", json_object_new_string(reason));
	emit(o);
	snd.active = 0;
}

static void
on_message(void *arg, enum ipc_stream s, const uint8_t *p, size_t len)
{
	uint64_t now = time_mono_us(), ts = 0;

	(void)arg;
	rx_msgs[s]++;
	rx_bytes[s] += len;
	if (s == IPC_STREAM_STATE) {
		uint64_t num = len >= 4 ? (uint64_t)p[0] << 24 |
		    (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3] : 0;

		if (state_first_us == 0)
			state_first_us = now;
		state_last_us = now;
		if (num != 0 && num != state_next)
			state_disorder++;
		state_next = num + 1;
	}
	if (s == IPC_STREAM_COUNTERS && len >= 16 && memcmp(p, "LAT:", 4) ==
	    0 && nlat < MAXLAT) {
		for (int i = 0; i < 8; i++)
			ts = ts << 8 | p[8 + i];
		lat_at[nlat] = now;
		lat_us[nlat++] = now - ts;
	}
}

static void
on_writable(void *arg, enum ipc_stream s)
{
	(void)arg;
	(void)s;
	if (snd.active)
		ev_idle_start(loop, &send_idle);
}

static const struct ipc_handlers handlers = {
	on_up, on_down, on_message, on_writable, NULL,
};

static void
send_more(struct ev_loop *l, ev_idle *w, int revents)
{
	static uint8_t	 msg[IPC_MSG_MAX];

	(void)revents;
	while (snd.active && snd.done < snd.count) {
		uint64_t i = snd.done;

		msg[0] = (uint8_t)(i >> 24);
		msg[1] = (uint8_t)(i >> 16);
		msg[2] = (uint8_t)(i >> 8);
		msg[3] = (uint8_t)i;
		for (size_t k = 4; k < snd.size; k++)
			msg[k] = snd.pattern[(k - 4) % snd.plen];
		if (ipc_send(ipc, snd.stream, msg, snd.size) == -1) {
			if (errno == ENOBUFS) {
				ev_idle_stop(l, w);	/* writable resumes */
				return;
			}
			snd.active = 0;
			break;
		}
		snd.done++;
	}
	ev_idle_stop(l, w);
	if (snd.active) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "queued",
		    json_object_new_int64((int64_t)snd.done));
		emit(o);
	} else {
		emit_kv("error", "the channel went down while sending");
	}
	snd.active = 0;
}

static void
lat_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	uint8_t	 m[16];
	uint64_t now = time_mono_us();

	(void)revents;
	if (time_mono_ms() > lat_until_ms || !ipc_is_up(ipc)) {
		ev_timer_stop(l, w);
		return;
	}
	memcpy(m, "LAT:", 4);
	m[4] = (uint8_t)(lat_seq >> 24);
	m[5] = (uint8_t)(lat_seq >> 16);
	m[6] = (uint8_t)(lat_seq >> 8);
	m[7] = (uint8_t)lat_seq;
	for (int i = 0; i < 8; i++)
		m[8 + i] = (uint8_t)(now >> (56 - 8 * i));
	if (ipc_send(ipc, IPC_STREAM_COUNTERS, m, sizeof(m)) == 0)
		lat_seq++;
}

static int
stream_parse(const char *s, enum ipc_stream *out)
{
	for (int i = 0; i < IPC_NSTREAMS; i++)
		if (strcmp(s, ipc_stream_name(i)) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static void
start_sender(enum ipc_stream s, uint64_t count, size_t size,
    const char *hex)
{
	int	 n;

	memset(&snd, 0, sizeof(snd));
	n = hex != NULL ? hex_decode(hex, snd.pattern, sizeof(snd.pattern)) :
	    -1;
	if (n <= 0) {
		snd.pattern[0] = 0x5a;
		n = 1;
	}
	snd.plen = (size_t)n;
	snd.stream = s;
	snd.count = count;
	snd.size = size < 4 ? 4 : size > IPC_MSG_MAX ? IPC_MSG_MAX : size;
	snd.active = 1;
	ev_idle_start(loop, &send_idle);
}

static void
bulk_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	start_sender(IPC_STREAM_STATE, burst_count, burst_size, NULL);
}

static void
cmd_stats(void)
{
	json_object	*o = json_object_new_object(), *a;
	uint64_t	 max = 0, sum = 0, n = 0, bmax = 0, bsum = 0, bn = 0;

	a = json_object_new_array();
	for (int s = 0; s < IPC_NSTREAMS; s++) {
		json_object *j = json_object_new_object();

		json_object_object_add(j, "msgs",
		    json_object_new_int64((int64_t)rx_msgs[s]));
		json_object_object_add(j, "bytes",
		    json_object_new_int64((int64_t)rx_bytes[s]));
		json_object_array_add(a, j);
	}
	json_object_object_add(o, "received", a);
	for (size_t i = 0; i < nlat; i++) {
		if (lat_at[i] < state_first_us) {
			bn++;
			bsum += lat_us[i];
			bmax = lat_us[i] > bmax ? lat_us[i] : bmax;
		}
		if (lat_at[i] < state_first_us || lat_at[i] > state_last_us)
			continue;
		n++;
		sum += lat_us[i];
		if (lat_us[i] > max)
			max = lat_us[i];
	}
	json_object_object_add(o, "state_out_of_order",
	    json_object_new_int64((int64_t)state_disorder));
	json_object_object_add(o, "state_window_us", json_object_new_int64(
	    (int64_t)(state_last_us - state_first_us)));
	json_object_object_add(o, "counters_in_window",
	    json_object_new_int64((int64_t)n));
	json_object_object_add(o, "counters_latency_max_us",
	    json_object_new_int64((int64_t)max));
	json_object_object_add(o, "counters_latency_avg_us",
	    json_object_new_int64(n ? (int64_t)(sum / n) : 0));
	json_object_object_add(o, "baseline_n",
	    json_object_new_int64((int64_t)bn));
	json_object_object_add(o, "baseline_latency_avg_us",
	    json_object_new_int64(bn ? (int64_t)(bsum / bn) : 0));
	json_object_object_add(o, "baseline_latency_max_us",
	    json_object_new_int64((int64_t)bmax));
	json_object_object_add(o, "counters_total",
	    json_object_new_int64((int64_t)nlat));
	emit(json_object_get(o));
	json_object_put(o);
}

static void
cmd_inject(const char *kind)
{
	const uint8_t	*last;
	uint8_t		*rec;
	size_t		 len, n;
	int		 rv;

	if (strcmp(kind, "hello") == 0) {
		struct ipc_hello h;
		uint8_t		 buf[IPC_REC_MAX];
		ssize_t		 hl;

		/* what anyone on the path can write: no key needed */
		memset(&h, 0, sizeof(h));
		h.suite = IPC_SUITE_HKDF_SHA256_AES256GCM;
		h.role = 8;
		snprintf(h.node_id, sizeof(h.node_id), "%s",
		    ipc_node_id(ipc));
		h.incarnation = 0x0123456789abcdefULL;
		memset(h.nonce, 0x5a, sizeof(h.nonce));
		if ((hl = ipc_hello_encode(&h, buf, sizeof(buf))) == -1) {
			emit_kv("error", "hello does not encode");
			return;
		}
		rv = ipc_test_send_raw(ipc, IPC_STREAM_CONTROL, buf,
		    (size_t)hl);
		emit_kv(rv == 0 ? "injected" : "error", kind);
		return;
	}
	if (strcmp(kind, "toolarge") == 0) {
		n = IPC_REC_MAX + 100;
		rec = xcalloc(1, n);
		rec[0] = IPC_REC_VERSION;
		rec[1] = IPC_REC_DATA;
		rec[2] = IPC_STREAM_STATE;
		rv = ipc_test_send_raw(ipc, IPC_STREAM_STATE, rec, n);
		free(rec);
		emit_kv(rv == 0 ? "injected" : "error", kind);
		return;
	}
	if ((last = ipc_test_last_record(ipc, IPC_STREAM_STATE, &len)) ==
	    NULL) {
		emit_kv("error", "send something on state first");
		return;
	}
	rec = xmalloc(len);
	memcpy(rec, last, len);
	n = len;
	if (strcmp(kind, "forged") == 0) {
		rec[15] ^= 0x40;	/* a fresh sequence number... */
		rec[len - 1] ^= 0x01;	/* ...and a tag that cannot match */
	} else if (strcmp(kind, "truncated") == 0) {
		n = len - 5;
	} else if (strcmp(kind, "version") == 0) {
		rec[0] = 7;
	} else if (strcmp(kind, "replay") != 0) {
		free(rec);
		emit_kv("error", "unknown injection");
		return;
	}
	rv = ipc_test_send_raw(ipc, IPC_STREAM_STATE, rec, n);
	free(rec);
	emit_kv(rv == 0 ? "injected" : "error", kind);
}

static void
command(char *l)
{
	char		*w[6];
	int		 n = 0;
	enum ipc_stream	 s;

	for (char *t = strtok(l, " \t"); t != NULL && n < 6;
	    t = strtok(NULL, " \t"))
		w[n++] = t;
	if (n == 0)
		return;
	if (strcmp(w[0], "status") == 0) {
		json_object *o = json_object_new_object(), *st;

		st = json_object_new_object();
		ipc_status(ipc, st);
		json_object_object_add(o, "status", st);
		emit(o);
	} else if (strcmp(w[0], "send") == 0 && n >= 4 &&
	    stream_parse(w[1], &s) == 0) {
		start_sender(s, strtoull(w[2], NULL, 10),
		    strtoul(w[3], NULL, 10), n > 4 ? w[4] : NULL);
	} else if (strcmp(w[0], "burst") == 0 && n == 5) {
		double ms = strtod(w[3], NULL);

		/* counters alone for 300 ms (the baseline), then the bulk */
		burst_size = strtoul(w[2], NULL, 10);
		burst_count = strtoull(w[1], NULL, 10) /
		    (burst_size ? burst_size : 1);
		lat_until_ms = time_mono_ms() + strtoull(w[4], NULL, 10);
		ev_timer_set(&lat_timer, ms / 1000.0, ms / 1000.0);
		ev_timer_start(loop, &lat_timer);
		ev_timer_set(&bulk_timer, 0.3, 0);
		ev_timer_start(loop, &bulk_timer);
	} else if (strcmp(w[0], "raw") == 0 && n == 3 &&
	    stream_parse(w[1], &s) == 0) {
		size_t	 len = strlen(w[2]) / 2;
		uint8_t	*b = xmalloc(len + 1);

		if (len == 0 || hex_decode(w[2], b, len) != (int)len)
			emit_kv("error", "bad hex");
		else
			emit_kv(ipc_send(ipc, s, b, len) == 0 ? "sent" :
			    "error", w[1]);
		free(b);
	} else if (strcmp(w[0], "stats") == 0) {
		cmd_stats();
	} else if (strcmp(w[0], "inject") == 0 && n == 2) {
		cmd_inject(w[1]);
	} else if (strcmp(w[0], "role") == 0 && n == 2) {
		ipc_set_role(ipc, (uint8_t)atoi(w[1]));
		emit_kv("role", w[1]);
	} else if (strcmp(w[0], "quit") == 0) {
		ev_break(loop, EVBREAK_ALL);
	} else {
		emit_kv("error", "unknown command");
	}
}

static void
stdin_cb(struct ev_loop *l, ev_io *w, int revents)
{
	ssize_t	 n;

	(void)revents;
	n = read(w->fd, line + linelen, sizeof(line) - 1 - linelen);
	if (n <= 0) {
		ev_break(l, EVBREAK_ALL);
		return;
	}
	linelen += (size_t)n;
	for (;;) {
		char *nl = memchr(line, '\n', linelen);
		size_t used;

		if (nl == NULL)
			break;
		*nl = '\0';
		used = (size_t)(nl - line) + 1;
		command(line);
		memmove(line, line + used, linelen - used);
		linelen -= used;
	}
	if (linelen == sizeof(line) - 1)
		linelen = 0;
}

static void
sig_cb(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(l, EVBREAK_ALL);
}

int
main(int argc, char *argv[])
{
	struct conf_diag d = { stderr, 0, 0 };
	struct config	*cf;
	const char	*path = NULL;
	char		 err[512];
	ev_signal	 sterm, sint;
	int		 ch;

	while ((ch = getopt(argc, argv, "f:v")) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 'v':
			log_set_debug(LOG_IPC, 1);
			break;
		default:
			fprintf(stderr, "usage: ipc_peer -f file\n");
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "usage: ipc_peer -f file\n");
		return 2;
	}
	log_init("ipc_peer", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	if ((cf = conf_load(path, &d)) == NULL)
		return 1;
	if (ipc_syscheck(cf, &d) == -1)
		return 1;
	loop = ev_default_loop(EVFLAG_AUTO);
	if ((ipc = ipc_new(loop, cf, &handlers, NULL, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	conf_free(cf);
	ipc_test_keep_last(ipc);
	ev_idle_init(&send_idle, send_more);
	ev_init(&lat_timer, lat_cb);
	ev_init(&bulk_timer, bulk_cb);
	(void)fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	ev_io_init(&in_io, stdin_cb, 0, EV_READ);
	ev_io_start(loop, &in_io);
	ev_signal_init(&sterm, sig_cb, SIGTERM);
	ev_signal_start(loop, &sterm);
	ev_signal_init(&sint, sig_cb, SIGINT);
	ev_signal_start(loop, &sint);
	emit_kv("event", "started");
	ev_run(loop, 0);
	ipc_free(ipc);
	return 0;
}
