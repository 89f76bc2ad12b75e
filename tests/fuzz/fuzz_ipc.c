/*
 * libFuzzer: the sync channel's record and handshake decoders.  Every
 * input goes through the record parser; a hello through the hello
 * decoder; a sealed record through open (under a fixed key, so a corpus
 * record sealed with it reaches the plaintext decoders) and the
 * heartbeat decoder; a lane record (ipc/lanes.c) through verify.
 * Nothing may crash or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "ipc/ipc_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct ipc_dirkey k;
	struct ipc_rec	 r;
	struct ipc_hello h;
	enum ipc_drop	 why;
	const char	*err;
	uint8_t		*pt;
	ssize_t		 n;
	uint64_t	 inc;
	uint8_t		 role, key[IPC_KEYLEN];
	char		 id[IPC_NODE_ID_MAX + 1];

	if (!k.set) {
		for (int i = 0; i < IPC_KEYLEN; i++)
			key[i] = (uint8_t)i;
		if (ipc_dirkey_set(&k, key) == -1)
			abort();
	}
	if (ipc_rec_parse(data, len, &r, &why, &err) == -1) {
		if (why >= IPC_NDROPS || err == NULL)
			abort();
		return 0;
	}
	if (r.type == IPC_REC_HELLO) {
		(void)ipc_hello_decode(r.body, r.bodylen, &h, &err);
		return 0;
	}
	pt = malloc(r.bodylen);
	memset(k.seq, 0, sizeof(k.seq));
	if (r.type == IPC_REC_LANE_OFFER) {
		free(pt);
		return 0;
	}
	if (r.type == IPC_REC_CONFIRM)
		n = ipc_rec_open_confirm(&k, &r, pt, &why);
	else if (r.type == IPC_REC_LANE)
		n = ipc_rec_verify(&k, &r, pt, &why);
	else
		n = ipc_rec_open(&k, &r, pt, &why);
	if (n >= 0)
		(void)ipc_hb_decode(pt, (size_t)n, &inc, &role, id, &err);
	free(pt);
	return 0;
}
