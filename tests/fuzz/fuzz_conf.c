/*
 * libFuzzer: configuration text.  Whatever loads must print and re-parse
 * to an equal config; nothing may crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf/conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*a, *b;
	char		*text;

	a = conf_load_mem("fuzz", (const char *)data, len, &d);
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
