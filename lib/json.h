/*
 * Adding facts to a json-c object, for the "data" of a control reply:
 * one line each at the call site.  A NULL string becomes JSON null.
 */
#ifndef HAVPN_JSON_H
#define HAVPN_JSON_H

#include <stdint.h>

#include <netinet/in.h>
#include <json-c/json.h>

#include "lib/lib.h"

static inline void
jadd_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static inline void
jadd_u64(json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static inline void
jadd_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v != NULL ? json_object_new_string(v) :
	    NULL);
}

static inline void
jadd_bool(json_object *o, const char *k, int v)
{
	json_object_object_add(o, k, json_object_new_boolean(v != 0));
}

static inline void
jadd_addr(json_object *o, const char *k, struct in_addr a)
{
	char	 b[INET_ADDRSTRLEN];

	jadd_str(o, k, addr_str(a, b));
}

#endif
