/*
 * alg: the algorithms havpn knows, one table per family, one row per
 * algorithm.  Every module that maps an algorithm to a config word, a wire
 * ID, an OpenSSL name, a length or a display name reads it here.
 *
 *   IKE SA ciphers	crypto isakmp policy: encryption des | 3des | aes
 *   IKE SA hashes	crypto isakmp policy: hash md5 | sha | sha256 ...
 *   DH groups		crypto isakmp policy: group N; set pfs groupN
 *   ESP ciphers	crypto ipsec transform-set: esp-3des | esp-aes | esp-gcm
 *   ESP integrity	crypto ipsec transform-set: esp-md5-hmac ...
 *
 * Wire IDs: IKEv1 from RFC 2409 Appendix A (phase 1 attributes) and
 * RFC 2407 4.4.4 / 4.5 (ESP transform IDs, authentication attribute), with
 * the later RFCs that added rows to those registries (RFC 3602, RFC 4106,
 * RFC 4868); IKEv2 transform IDs from RFC 7296 3.3.2 and the same later
 * RFCs (RFC 5903 for the ECP groups).
 *
 * The enum values are kept by the sync channel's messages (hasync) and
 * must never be renumbered; a new algorithm takes the next number, before
 * the *_END sentinel (which sizes per-algorithm caches).
 *
 * Nothing here uses OpenSSL: the OpenSSL names are strings, fetched by the
 * modules that run the algorithms (ike/crypto.c, ike/dh.c, esp/xform.c).
 */
#ifndef HAVPN_ALG_H
#define HAVPN_ALG_H

#include <stddef.h>
#include <stdint.h>

/* IKE SA ciphers */
enum alg_enc {
	ALG_ENC_DES = 1,	/* accepted with a warning, never usable */
	ALG_ENC_3DES,
	ALG_ENC_AES,
	ALG_ENC_END		/* one past the last: not an algorithm */
};

/* IKE SA hashes (the prf is HMAC with the hash) */
enum alg_hash {
	ALG_HASH_MD5 = 1,
	ALG_HASH_SHA1,
	ALG_HASH_SHA256,
	ALG_HASH_SHA384,
	ALG_HASH_SHA512,
	ALG_HASH_END
};

/* ESP ciphers */
enum alg_esp_enc {
	ALG_ESP_3DES = 1,
	ALG_ESP_AES,		/* CBC */
	ALG_ESP_GCM,		/* RFC 4106, 16-byte ICV */
	ALG_ESP_END
};

/* ESP integrity */
enum alg_esp_auth {
	ALG_ESP_AUTH_NONE = 0,
	ALG_ESP_AUTH_MD5,	/* HMAC-MD5-96 */
	ALG_ESP_AUTH_SHA1,	/* HMAC-SHA1-96 */
	ALG_ESP_AUTH_SHA256,	/* RFC 4868: 128-bit ICV */
	ALG_ESP_AUTH_SHA384,	/* 192-bit ICV */
	ALG_ESP_AUTH_SHA512,	/* 256-bit ICV */
	ALG_ESP_AUTH_END
};

#define ALG_MAX_KEYSIZES	3

/*
 * A cipher (IKE SA or ESP).  Key sizes: bits[0] is the default, a 0 ends
 * the list; ossl[i] is the OpenSSL cipher for bits[i] (NULL: havpn never
 * runs it).  The display names are printf formats given the key bits;
 * the *_big one, when set, is used for a size other than the default.
 */
struct alg_cipher {
	int		 id;		/* enum alg_enc or enum alg_esp_enc */
	const char	*word;		/* in the configuration */
	uint16_t	 ikev1;		/* phase 1 attribute or ESP xform ID */
	uint16_t	 ikev2;		/* transform type 1 (ENCR_*) */
	int		 bits[ALG_MAX_KEYSIZES];
	const char	*ossl[ALG_MAX_KEYSIZES];
	size_t		 block;		/* padding: the payload is a multiple */
	size_t		 iv;		/* bytes on the wire */
	size_t		 salt;		/* key bytes past the cipher key */
	size_t		 icv;		/* AEAD ICV; 0: takes an integrity */
	const char	*ios;		/* show isakmp policy, ipsec sa */
	const char	*ios_big;
	const char	*engine;	/* show crypto engine connections */
	const char	*engine_big;
};

/* An IKE SA hash, or an ESP integrity algorithm (HMAC with ossl). */
struct alg_hmac {
	int		 id;		/* enum alg_hash or enum alg_esp_auth */
	const char	*word;		/* in the configuration */
	uint16_t	 ikev1;		/* phase 1 hash / ESP auth attribute */
	uint16_t	 ikev2_prf;	/* transform type 2 (PRF_*); ESP: 0 */
	uint16_t	 ikev2_integ;	/* transform type 3 (AUTH_*) */
	const char	*ossl;		/* OpenSSL digest */
	size_t		 len;		/* digest bytes; HMAC key bytes (ESP) */
	size_t		 icv;		/* truncated ICV (ESP, IKEv2) */
	const char	*ios;		/* show crypto isakmp policy / engine */
};

enum alg_dh_kind {
	ALG_DH_MODP,		/* safe prime */
	ALG_DH_MODP_SUBGROUP,	/* RFC 5114: prime with a small subgroup */
	ALG_DH_ECP,		/* RFC 5903: KE = x | y, secret = x */
	ALG_DH_ECX,		/* RFC 8031: KE and secret 32 bytes */
};

/* A DH group: its number is the IKEv1 group and the IKEv2 type 4 ID. */
struct alg_dh {
	int		 id;
	const char	*name;		/* in logs */
	enum alg_dh_kind kind;
	size_t		 bytes;		/* prime or field size */
	const char	*ossl;		/* OpenSSL group or curve; NULL: the
					   parameters are in ike/dh.c */
	const char	*ios;		/* show crypto isakmp policy */
	int		 ikev1;		/* usable with IKEv1 (31 is not:
					   RFC 8031 is IKEv2's) */
};

/* The tables, for iteration (tests, lists in error messages). */
extern const struct alg_cipher	 alg_enc_table[];
extern const size_t		 alg_enc_count;
extern const struct alg_hmac	 alg_hash_table[];
extern const size_t		 alg_hash_count;
extern const struct alg_cipher	 alg_esp_enc_table[];
extern const size_t		 alg_esp_enc_count;
extern const struct alg_hmac	 alg_esp_auth_table[];
extern const size_t		 alg_esp_auth_count;
extern const struct alg_dh	 alg_dh_table[];
extern const size_t		 alg_dh_count;

/* Lookups: NULL if unknown (and for ALG_ESP_AUTH_NONE).  Words: any case. */
const struct alg_cipher	*alg_enc(int);
const struct alg_cipher	*alg_enc_by_word(const char *);
const struct alg_cipher	*alg_enc_by_ikev1(unsigned int);
const struct alg_hmac	*alg_hash(int);
const struct alg_hmac	*alg_hash_by_word(const char *);
const struct alg_hmac	*alg_hash_by_ikev1(unsigned int);
const struct alg_cipher	*alg_esp_enc(int);
const struct alg_cipher	*alg_esp_enc_by_word(const char *);
const struct alg_cipher	*alg_esp_enc_by_ikev1(unsigned int);
const struct alg_hmac	*alg_esp_auth(int);
const struct alg_hmac	*alg_esp_auth_by_word(const char *);
const struct alg_hmac	*alg_esp_auth_by_ikev1(unsigned int);
const struct alg_dh	*alg_dh(int);
/* The same, NULL for a group IKEv1 does not use. */
const struct alg_dh	*alg_dh_ikev1(int);

/* Config words; "?" if unknown, "" for ALG_ESP_AUTH_NONE. */
const char	*alg_enc_word(int);
const char	*alg_hash_word(int);
const char	*alg_esp_enc_word(int);
const char	*alg_esp_auth_word(int);

/* Whether the cipher takes a key size (more than one is allowed). */
int		 alg_cipher_varkey(const struct alg_cipher *);
/* Index of bits in c->bits, -1 if that size is not allowed. */
int		 alg_cipher_size(const struct alg_cipher *, int);
/* Key bytes for bits, the salt included; 0 if that size is not allowed. */
size_t		 alg_cipher_keylen(const struct alg_cipher *, int);
/* The OpenSSL cipher for bits; NULL if not allowed or never run. */
const char	*alg_cipher_ossl(const struct alg_cipher *, int);

/*
 * ESP key lengths in bytes, from numbers off the wire or a sync message:
 * of a cipher and its key bits, the salt included, 0 if either is
 * unknown; of an integrity algorithm (ALG_ESP_AUTH_NONE: 0), -1 if
 * unknown.
 */
size_t		 alg_esp_enc_keylen(uint32_t, uint32_t);
int		 alg_esp_auth_keylen(uint32_t, size_t *);

/*
 * Display names (the IOS layouts of show): the cipher's ios or engine
 * format with its key bits; the transform of show crypto ipsec sa
 * ("esp-256-aes esp-sha-hmac", "unknown" if the cipher is unknown); the
 * algorithm of show crypto engine connections active ("AES256+SHA256").
 */
void		 alg_cipher_ios(const struct alg_cipher *, int, char *,
		    size_t);
void		 alg_esp_transform_ios(int, int, int, char *, size_t);
void		 alg_esp_engine_name(int, int, int, char *, size_t);

/*
 * The IKEv1 DH groups as a list for a message, each number after prefix and
 * the last after last instead of ", ": ("", " or ") gives "1, 2, ... 21
 * or 24"; ("group", ", ") gives "group1, group2, ... group24".
 */
void		 alg_dh_list(const char *, const char *, char *, size_t);
/* The same for the IKE SA hash words: "md5, sha, ... or sha512". */
void		 alg_hash_list(const char *, char *, size_t);

#endif
