/*
 * libFuzzer: configuration text.  Whatever loads must print and re-parse
 * to an equal config; nothing may crash; every diagnostic has words (an
 * empty message ends in ": " before its newline).  The stricter checks of
 * havpnd -t run on every input too, with or without kernel SCTP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct conf_host host = { (int)(len & 1) };
	struct config	*a, *b, *s;
	char		*text, *out = NULL;
	size_t		 outlen = 0;

	if ((d.out = open_memstream(&out, &outlen)) == NULL)
		abort();
	a = conf_load_mem("fuzz", (const char *)data, len, &d);
	s = conf_load_mem_strict("fuzz", (const char *)data, len, &host, &d);
	fclose(d.out);
	if (memmem(out, outlen, ": \n", 3) != NULL)
		abort();
	free(out);
	/* -t is stricter, never looser */
	if (a == NULL && s != NULL)
		abort();
	conf_free(s);
	d.out = NULL;
	if (a == NULL)
		return 0;
	text = conf_print_str(a);
	b = conf_load_mem("printed", text, strlen(text), &d);
	if (b == NULL || !conf_equal(a, b))
		abort();
	free(text);
	conf_free(a);
	conf_free(b);
	return 0;
}
