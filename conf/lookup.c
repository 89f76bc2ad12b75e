/* Lookups into a loaded config, and the names show output uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lib.h"
#include "conf_int.h"

int
conf_policy_usable(const struct conf_isakmp_policy *p)
{
	return p->enc != ALG_ENC_DES && p->auth == CONF_AUTH_PSK;
}

int
conf_psk_for_host(const struct config *cf, struct in_addr a)
{
	for (int i = 0; i < cf->npeers; i++)
		if (cf->peers[i].addr.s_addr == a.s_addr &&
		    cf->peers[i].password != NULL)
			return 1;
	for (int i = 0; i < cf->nkeys; i++)
		if (cf->keys[i].mask.s_addr == 0xffffffff &&
		    cf->keys[i].addr.s_addr == a.s_addr)
			return 1;
	return 0;
}

const struct conf_transform_set *
conf_tset_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->ntsets; i++)
		if (strcmp(cf->tsets[i].name, name) == 0)
			return &cf->tsets[i];
	return NULL;
}

const struct conf_acl *
conf_acl_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nacls; i++)
		if (strcmp(cf->acls[i].name, name) == 0)
			return &cf->acls[i];
	return NULL;
}

const struct conf_ikev2_proposal *
conf_v2proposal_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nv2proposals; i++)
		if (strcmp(cf->v2proposals[i].name, name) == 0)
			return &cf->v2proposals[i];
	return NULL;
}

const struct conf_ikev2_keyring *
conf_v2keyring_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nv2keyrings; i++)
		if (strcmp(cf->v2keyrings[i].name, name) == 0)
			return &cf->v2keyrings[i];
	return NULL;
}

const struct conf_ikev2_profile *
conf_v2profile_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nv2profiles; i++)
		if (strcmp(cf->v2profiles[i].name, name) == 0)
			return &cf->v2profiles[i];
	return NULL;
}

const struct conf_crypto_map *
conf_map_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nmaps; i++)
		if (strcmp(cf->maps[i].name, name) == 0)
			return &cf->maps[i];
	return NULL;
}

const struct conf_track *
conf_track_find(const struct config *cf, int id)
{
	for (int i = 0; i < cf->ntracks; i++)
		if (cf->tracks[i].id == id)
			return &cf->tracks[i];
	return NULL;
}

const struct conf_interface *
conf_iface_find(const struct config *cf, const char *name)
{
	for (int i = 0; i < cf->nifaces; i++)
		if (strcmp(cf->ifaces[i].name, name) == 0)
			return &cf->ifaces[i];
	return NULL;
}

const char *
conf_standby_name(const struct conf_interface *ifc,
    const struct conf_standby *sb, char *buf, size_t len)
{
	if (sb->name != NULL)
		return sb->name;
	snprintf(buf, len, "hsrp-%s-%d", ifc->name, sb->group);
	return buf;
}

const struct conf_standby *
conf_standby_by_name(const struct config *cf, const char *name,
    const struct conf_interface **ifcp)
{
	char	 buf[80];

	for (int i = 0; i < cf->nifaces; i++)
		for (int j = 0; j < cf->ifaces[i].nstandby; j++) {
			const struct conf_standby *sb =
			    &cf->ifaces[i].standby[j];

			if (strcmp(conf_standby_name(&cf->ifaces[i], sb, buf,
			    sizeof(buf)), name) == 0) {
				*ifcp = &cf->ifaces[i];
				return sb;
			}
		}
	return NULL;
}

void
conf_tset_words(const struct conf_transform_set *t, char *out, size_t len)
{
	const struct alg_cipher *c = alg_esp_enc(t->enc);
	char	 bits[8] = "";

	if (c != NULL && alg_cipher_varkey(c))
		snprintf(bits, sizeof(bits), " %d", t->keylen);
	snprintf(out, len, "%s%s%s%s", alg_esp_enc_word(t->enc), bits,
	    t->auth != ALG_ESP_AUTH_NONE ? " " : "",
	    alg_esp_auth_word(t->auth));
}

/*
 * A deep copy, made by printing and re-reading: what conf_print() prints
 * parses to an equal config (the round trip the tests and the fuzzer hold
 * it to), so the copy shares nothing with cf.
 */
struct config *
conf_dup(const struct config *cf)
{
	struct conf_diag d = { NULL, 0, 0 };
	struct config	*c;
	char		*text = conf_print_str(cf);

	c = conf_load_mem(cf->path != NULL ? cf->path : "copy", text,
	    strlen(text), &d);
	free(text);
	if (c != NULL && !conf_equal(c, cf)) {
		conf_free(c);
		c = NULL;
	}
	return c;
}
