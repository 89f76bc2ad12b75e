/*
 * Test hooks into the channel core (declared in ipc_int.h), for the unit
 * tests and tests/tools/ipc_peer, which replay, forge and cut records.
 * The Makefile links module files named test_*.c into the tests, fuzzers,
 * test tools and benchmarks, never into havpnd.
 */
#include "lib/lib.h"
#include "ipc/ipc_int.h"

int
ipc_test_send_raw(struct ipc *ipc, int s, const void *p, size_t len)
{
	if (ipc->tp == NULL || ipc->state < IPC_S_HANDSHAKE)
		return -1;
	return ipc->ops->send(ipc->tp, s, p, len);
}

void
ipc_test_keep_last(struct ipc *ipc)
{
	ipc->keep_last = 1;
}

const uint8_t *
ipc_test_last_record(struct ipc *ipc, int s, size_t *len)
{
	if ((unsigned)s >= IPC_NSTREAMS || ipc->last[s] == NULL)
		return NULL;
	*len = ipc->lastlen[s];
	return ipc->last[s];
}

void
ipc_test_set_incarnation(struct ipc *ipc, uint64_t inc)
{
	ipc->incarnation = inc;
}

void
ipc_test_forge_lanes(struct ipc *ipc, enum ipc_test_lane how)
{
	ipc->test_forge_lanes = (int)how;
}
