/*
 * esp_static: the userspace engine alone, with static SAs and policies,
 * for tests and benchmarks until (and besides) IKE.
 *
 *   esp_static [-t TUN] [-T TABLE] [-u ADDR] [-s STATSFILE] [-dD] SPEC...
 *
 *   -u ADDR	bind a UDP socket to ADDR:4500 and attach it as IKE's
 *		encapsulation socket (IKE packets are counted, not answered)
 *   -s FILE	on SIGUSR1, write the show crypto ipsec sa facts (JSON,
 *		with "generation" and "events") to FILE, atomically
 *   -d		debug logging
 *   -D		start with outbound DROP, as a standby; SIGUSR2 sends
 *
 * Each SPEC is one SA or policy, words KEY=VALUE:
 *
 *   sa conn=1 dir=out spi=0x1001 reqid=1 local=A remote=B [encap]
 *      enc=3des|aes128|aes192|aes256|gcm128|gcm256
 *      [auth=md5|sha1|sha256|sha384|sha512] ekey=HEX [akey=HEX]
 *      src=NET/LEN dst=NET/LEN [proto=N] [transport] [esn] [window=N]
 *      [sync=N] [soft-secs=N] [hard-secs=N] [soft-bytes=N] [hard-bytes=N]
 *      [map=NAME] [seq=N] [ifname=IF] [pfs=GROUP]
 *   policy id=1 reqid=1 prio=N protect|bypass src=NET/LEN dst=NET/LEN
 *      [proto=N] [sport=N] [dport=N] local=A peer=B [rri] [map=NAME]
 *
 * SIGTERM or SIGINT: the engine removes everything and the tool exits 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <ev.h>
#include <json-c/json.h>

#include "lib/lib.h"
#include "esp/esp.h"

static struct esp_backend *be;
static const char *stats_path;
static uint64_t	 generation, n_ike, n_acquire, n_soft, n_hard, n_counter;
static json_object *events;

static void
usage(void)
{
	fprintf(stderr, "usage: esp_static [-dD] [-t TUN] [-T TABLE] "
	    "[-u ADDR] [-s STATSFILE] SPEC...\n");
	exit(2);
}

static int
prefix(const char *v, struct in_addr *a, struct in_addr *m)
{
	char	 buf[64], *slash;
	long	 len = 32;

	snprintf(buf, sizeof(buf), "%s", v);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash++ = '\0';
		len = strtol(slash, NULL, 10);
		if (len < 0 || len > 32)
			return -1;
	}
	if (addr_parse(buf, a) == -1)
		return -1;
	*m = addr_mask_from_len((int)len);
	a->s_addr &= m->s_addr;
	return 0;
}

static int
cipher(const char *v, struct esp_sa *sa)
{
	static const struct { const char *n; enum alg_esp_enc e; int b; }
	    t[] = {
		{ "3des", ALG_ESP_3DES, 192 }, { "aes128", ALG_ESP_AES, 128 },
		{ "aes192", ALG_ESP_AES, 192 }, { "aes256", ALG_ESP_AES, 256 },
		{ "gcm128", ALG_ESP_GCM, 128 }, { "gcm256", ALG_ESP_GCM, 256 },
	};

	for (size_t i = 0; i < nitems(t); i++)
		if (strcmp(v, t[i].n) == 0) {
			sa->enc = t[i].e;
			sa->enc_keybits = t[i].b;
			return 0;
		}
	return -1;
}

static int
integrity(const char *v, struct esp_sa *sa)
{
	static const struct { const char *n; enum alg_esp_auth a; } t[] = {
		{ "md5", ALG_ESP_AUTH_MD5 }, { "sha1", ALG_ESP_AUTH_SHA1 },
		{ "sha256", ALG_ESP_AUTH_SHA256 },
		{ "sha384", ALG_ESP_AUTH_SHA384 },
		{ "sha512", ALG_ESP_AUTH_SHA512 },
	};

	for (size_t i = 0; i < nitems(t); i++)
		if (strcmp(v, t[i].n) == 0) {
			sa->auth = t[i].a;
			return 0;
		}
	return -1;
}

static int
spec(char *line)
{
	struct esp_sa	 sa;
	struct esp_policy p;
	char		*w, *save = NULL;
	int		 is_sa, hex, rv;

	memset(&sa, 0, sizeof(sa));
	memset(&p, 0, sizeof(p));
	sa.tunnel = 1;
	sa.replay_window = 64;
	if ((w = strtok_r(line, " \t", &save)) == NULL)
		return -1;
	if (strcmp(w, "sa") == 0)
		is_sa = 1;
	else if (strcmp(w, "policy") == 0)
		is_sa = 0;
	else
		return -1;
	while ((w = strtok_r(NULL, " \t", &save)) != NULL) {
		char	*v = strchr(w, '=');
		unsigned long long n = 0;

		if (v != NULL) {
			*v++ = '\0';
			n = strtoull(v, NULL, 0);
		}
#define K(s)	(strcmp(w, (s)) == 0)
		if (K("conn"))
			sa.conn_id = (uint32_t)n;
		else if (K("dir"))
			sa.dir = v != NULL && strcmp(v, "in") == 0 ? ESP_IN :
			    ESP_OUT;
		else if (K("spi"))
			sa.spi = (uint32_t)n;
		else if (K("reqid"))
			sa.reqid = p.reqid = (uint32_t)n;
		else if (K("local")) {
			if (addr_parse(v, &sa.local) == -1)
				return -1;
			p.local = sa.local;
		} else if (K("remote") || K("peer")) {
			if (addr_parse(v, &sa.remote) == -1)
				return -1;
			p.peer = sa.remote;
		} else if (K("encap"))
			sa.local_port = sa.remote_port = 4500;
		else if (K("enc")) {
			if (cipher(v, &sa) == -1)
				return -1;
		} else if (K("auth")) {
			if (integrity(v, &sa) == -1)
				return -1;
		} else if (K("ekey")) {
			if ((hex = hex_decode(v, sa.enc_key,
			    sizeof(sa.enc_key))) < 0)
				return -1;
			sa.enc_key_len = (size_t)hex;
		} else if (K("akey")) {
			if ((hex = hex_decode(v, sa.auth_key,
			    sizeof(sa.auth_key))) < 0)
				return -1;
			sa.auth_key_len = (size_t)hex;
		} else if (K("src")) {
			if (prefix(v, &sa.sel.src, &sa.sel.src_mask) == -1)
				return -1;
		} else if (K("dst")) {
			if (prefix(v, &sa.sel.dst, &sa.sel.dst_mask) == -1)
				return -1;
		} else if (K("proto"))
			sa.sel.proto = (uint8_t)n;
		else if (K("sport"))
			sa.sel.sport = (uint16_t)n;
		else if (K("dport"))
			sa.sel.dport = (uint16_t)n;
		else if (K("transport"))
			sa.tunnel = 0;
		else if (K("esn"))
			sa.esn = 1;
		else if (K("window"))
			sa.replay_window = (int)n;
		else if (K("sync"))
			sa.sync_interval = (uint32_t)n;
		else if (K("soft-secs"))
			sa.soft_secs = (uint32_t)n;
		else if (K("hard-secs"))
			sa.hard_secs = (uint32_t)n;
		else if (K("soft-bytes"))
			sa.soft_bytes = n;
		else if (K("hard-bytes"))
			sa.hard_bytes = n;
		else if (K("map")) {
			snprintf(sa.map_name, sizeof(sa.map_name), "%s", v);
			snprintf(p.map_name, sizeof(p.map_name), "%s", v);
		} else if (K("seq"))
			sa.map_seq = p.map_seq = (int)n;
		else if (K("ifname")) {
			snprintf(sa.ifname, sizeof(sa.ifname), "%s", v);
			snprintf(p.ifname, sizeof(p.ifname), "%s", v);
		} else if (K("pfs"))
			sa.pfs_group = (int)n;
		else if (K("id"))
			p.id = (uint32_t)n;
		else if (K("prio"))
			p.priority = (uint32_t)n;
		else if (K("protect"))
			p.action = ESP_POLICY_PROTECT;
		else if (K("bypass"))
			p.action = ESP_POLICY_BYPASS;
		else if (K("rri"))
			p.reverse_route = 1;
		else {
			fprintf(stderr, "esp_static: unknown word %s\n", w);
			return -1;
		}
#undef K
	}
	if (is_sa) {
		rv = be->ops->add_sa(be, &sa);
	} else {
		p.sel = sa.sel;
		rv = be->ops->add_policy(be, &p);
	}
	explicit_bzero(&sa, sizeof(sa));
	return rv;
}

static void
event(const char *what, uint32_t id, int extra)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(what));
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "arg", json_object_new_int(extra));
	json_object_array_add(events, o);
	printf("event %s %u %d\n", what, id, extra);
	fflush(stdout);
}

static void
on_acquire(void *arg, uint32_t reqid, const struct esp_selector *f)
{
	(void)arg;
	(void)f;
	n_acquire++;
	event("acquire", reqid, f->proto);
}

static void
on_expire(void *arg, uint32_t conn_id, int hard)
{
	(void)arg;
	if (hard)
		n_hard++;
	else
		n_soft++;
	event("expire", conn_id, hard);
}

static void
on_counter(void *arg, uint32_t conn_id)
{
	(void)arg;
	n_counter++;
	(void)conn_id;
}

static void
on_ike(void *arg, const uint8_t *p, size_t len, const struct sockaddr_in *from,
    const struct sockaddr_in *to)
{
	(void)arg;
	(void)p;
	(void)from;
	(void)to;
	n_ike++;
	printf("ike %zu bytes\n", len);
	fflush(stdout);
}

static void
dump(void)
{
	json_object	*o;
	char		 tmp[4096];
	FILE		*f;

	if (stats_path == NULL)
		return;
	o = esp_show_facts(be, NULL, NULL, 0);
	/* the command whose facts these are, as havpnctl --json names it */
	json_object_object_add(o, "command",
	    json_object_new_string("show crypto ipsec sa"));
	json_object_object_add(o, "generation",
	    json_object_new_int64((int64_t)++generation));
	json_object_object_add(o, "ike_packets",
	    json_object_new_int64((int64_t)n_ike));
	json_object_object_add(o, "acquire_events",
	    json_object_new_int64((int64_t)n_acquire));
	json_object_object_add(o, "soft_expires",
	    json_object_new_int64((int64_t)n_soft));
	json_object_object_add(o, "hard_expires",
	    json_object_new_int64((int64_t)n_hard));
	json_object_object_add(o, "counter_updates",
	    json_object_new_int64((int64_t)n_counter));
	json_object_object_add(o, "tun",
	    json_object_new_string(esp_userspace_tun_name(be)));
	json_object_object_add(o, "events", json_object_get(events));
	snprintf(tmp, sizeof(tmp), "%s.tmp", stats_path);
	if ((f = fopen(tmp, "w")) != NULL) {
		fputs(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PRETTY), f);
		fclose(f);
		rename(tmp, stats_path);
	}
	json_object_put(o);
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	if (w->signum == SIGUSR1) {
		dump();
		return;
	}
	if (w->signum == SIGUSR2) {
		(void)be->ops->set_outbound(be, ESP_OUTBOUND_SEND);
		return;
	}
	ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	struct esp_userspace_opts o;
	struct esp_listener l;
	struct ev_loop	*loop = EV_DEFAULT;
	ev_signal	 sterm, sint, susr, susr2;
	const char	*udp = NULL;
	int		 ch, fd = -1, debug = 0, drop = 0;

	memset(&o, 0, sizeof(o));
	while ((ch = getopt(argc, argv, "dDt:T:u:s:")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			drop = 1;
			break;
		case 't':
			o.tun_name = optarg;
			break;
		case 'T':
			o.table = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'u':
			udp = optarg;
			break;
		case 's':
			stats_path = optarg;
			break;
		default:
			usage();
		}
	}
	log_init("esp_static", 1, debug);
	events = json_object_new_array();
	if ((be = esp_userspace_new(loop, &o)) == NULL)
		return 1;
	memset(&l, 0, sizeof(l));
	l.acquire = on_acquire;
	l.expire = on_expire;
	l.counter_update = on_counter;
	if (esp_add_listener(be, &l) == -1)
		return 1;
	if (drop)
		(void)be->ops->set_outbound(be, ESP_OUTBOUND_DROP);
	if (udp != NULL) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(4500);
		if (addr_parse(udp, &sin.sin_addr) == -1 ||
		    (fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			log_warn(LOG_ESP, "UDP 4500 on %s", udp);
			goto fail;
		}
		if (be->ops->attach_encap_socket(be, fd, on_ike, NULL) != 1)
			goto fail;
	}
	for (int i = optind; i < argc; i++) {
		char	*copy = xstrdup(argv[i]);

		if (spec(copy) == -1) {
			fprintf(stderr, "esp_static: bad spec: %s\n", argv[i]);
			free(copy);
			goto fail;
		}
		free(copy);
	}
	ev_signal_init(&sterm, on_signal, SIGTERM);
	ev_signal_init(&sint, on_signal, SIGINT);
	ev_signal_init(&susr, on_signal, SIGUSR1);
	ev_signal_init(&susr2, on_signal, SIGUSR2);
	ev_signal_start(loop, &sterm);
	ev_signal_start(loop, &sint);
	ev_signal_start(loop, &susr);
	ev_signal_start(loop, &susr2);
	printf("ready %s\n", esp_userspace_tun_name(be));
	fflush(stdout);
	dump();
	ev_run(loop, 0);
	be->ops->destroy(be);
	if (fd != -1)
		close(fd);
	json_object_put(events);
	printf("stopped\n");
	return 0;
 fail:
	be->ops->destroy(be);
	return 1;
}
