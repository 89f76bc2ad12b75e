/*
 * libFuzzer: the sync message decoder (hasync/msg.c) and what a standby
 * does with what it accepts.  Every input is decoded as a record; an
 * input that decodes is also applied, on the stream its length picks, to
 * a standby replication over an IKE engine and the record-only data plane
 * (imports, deletes, counters, bulk markers).  Nothing may crash, leak or
 * read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf/conf.h"
#include "hasync/ha_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char conf_text[] =
    "hostname s\n"
    "ipc zone default\n"
    " association 1\n"
    "  no shutdown\n"
    "  protocol sctp\n"
    "   local-port 5000\n"
    "    local-ip 192.168.255.2\n"
    "   remote-port 5000\n"
    "    remote-ip 192.168.255.1\n"
    "   encapsulation udp 9899\n"
    "redundancy inter-device\n"
    " scheme standby VPN-OUT\n"
    " security key 0123456789abcdef\n"
    "crypto isakmp policy 10\n"
    " encr aes 256\n"
    " hash sha256\n"
    " authentication pre-share\n"
    " group 14\n"
    "crypto isakmp key cisco123 address 10.0.0.20\n"
    "crypto ipsec transform-set TS esp-gcm 256\n"
    "crypto map vpn 10 ipsec-isakmp\n"
    " set peer 10.0.0.20\n"
    " set transform-set TS\n"
    " match address 110\n"
    "interface eth0\n"
    " ip address 10.0.0.12 255.255.255.0\n"
    " standby 1 ip 10.0.0.10\n"
    " standby 1 name VPN-OUT\n"
    " crypto map vpn redundancy VPN-OUT stateful\n"
    "access-list 110 permit ip 192.168.20.0 0.0.0.255 172.21.91.0 "
    "0.0.0.255\n";

static struct hasync *ha;
static int	 ndelivered;

static int
no_send(void *arg, const struct sockaddr_in *l, const struct sockaddr_in *r,
    const uint8_t *p, size_t len)
{
	(void)arg;
	(void)l;
	(void)r;
	(void)p;
	(void)len;
	return 0;
}

static int
no_xmit(void *arg, enum ipc_stream s, const uint8_t *p, size_t len)
{
	(void)arg;
	(void)s;
	(void)p;
	(void)len;
	return 0;
}

static void
count(void *arg, const struct ha_msg *m)
{
	(void)arg;
	if (m->type < HA_M_HELLO || m->type > HA_M_LAST)
		abort();
	ndelivered++;
}

/* A stopped clock; timers never fire (the input is one message). */
static uint64_t
io_now(void *arg)
{
	(void)arg;
	return 1000000;
}

static void
io_timer_set(void *arg, enum ha_timer id, uint64_t delay_ms)
{
	(void)arg;
	(void)id;
	(void)delay_ms;
}

static void
io_timer_stop(void *arg, enum ha_timer id)
{
	(void)arg;
	(void)id;
}

static int
io_election(void *arg)
{
	(void)arg;
	return -1;
}

static void
setup(void)
{
	static const struct hasync_io hio = {
		NULL, io_now, io_now, io_timer_set, io_timer_stop,
		io_election, io_election,
	};
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*cf = conf_load_mem("fuzz", conf_text,
	    strlen(conf_text), &d);
	struct esp_backend *be = esp_fake_new();
	struct ike_io	 io;
	struct ike	*ike;

	log_init("fuzz", 1, 0);
	log_set_stream(fopen("/dev/null", "w"));
	memset(&io, 0, sizeof(io));
	io.send = no_send;
	if (cf == NULL || (ike = ike_new(be, &io)) == NULL ||
	    ike_configure(ike, cf) == -1)
		abort();
	/* a standby, as havpnd starts one (daemon/mod_hasync.c) */
	if (hasync_configured(cf)) {
		ike_set_active(ike, 0);
		(void)be->ops->set_outbound(be, ESP_OUTBOUND_DROP);
	}
	ha = ha_create(&hio, cf, ike, be);
	ha->xmit = no_xmit;
	ha->started = 1;
	ha->chan_up = 1;
	ha->peer_hello = 1;
	ha->config_match = 1;
	ha->role = RF_ROLE_STANDBY;
	conf_free(cf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*err;
	int		 n;

	if (ha == NULL)
		setup();
	ndelivered = 0;
	n = ha_msg_decode(data, len, count, NULL, &err);
	if (n == -1) {
		if (err == NULL || ndelivered != 0)
			abort();
		return 0;
	}
	if (n != ndelivered || n < 1 || n > HA_BATCH_MAX)
		abort();
	/* a hello would reset the peer; keep the session as it is */
	ha_receive(ha, (enum ipc_stream)(len % 3), data, len);
	ha->peer_hello = 1;
	ha->config_match = 1;
	ha->role = RF_ROLE_STANDBY;
	return 0;
}
