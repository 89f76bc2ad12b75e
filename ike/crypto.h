/*
 * ike/crypto.h: the cryptography of IKEv1, internal to ike/.  OpenSSL 3
 * EVP only.
 *
 *   crypto.c	hashes, the prf (HMAC), the phase 1 ciphers, and the key
 *		derivations of RFC 2409 5 and Appendix B: SKEYID, SKEYID_d/a/e,
 *		the encryption key, the phase 1 and phase 2 IVs, HASH_I/HASH_R,
 *		the Quick Mode hashes and KEYMAT
 *   dh.c	the Diffie-Hellman groups 1, 2, 5, 14, 15, 16, 19, 20, 21, 24
 *
 * Every function is pure (no state beyond cached algorithm handles) so the
 * known-answer tests call it directly.  Key material in and out is caller
 * memory; callers wipe it.
 */
#ifndef HAVPN_IKE_CRYPTO_H
#define HAVPN_IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "alg/alg.h"

#define IKE_MAX_HASH	64	/* SHA-512 */
#define IKE_MAX_BLOCK	16
#define IKE_MAX_ENCKEY	32
#define IKE_MAX_DH	512	/* group 16: 4096 bits */

/* A piece of a prf or hash input. */
struct ike_iov {
	const void	*p;
	size_t		 len;
};

size_t		 ike_hash_len(enum alg_hash);
/* hash(iov...) into out (ike_hash_len bytes); 0 or -1. */
int		 ike_hash(enum alg_hash, const struct ike_iov *, int,
		    uint8_t *);
/* prf(key, iov...) = HMAC with the negotiated hash; 0 or -1. */
int		 ike_prf(enum alg_hash, const uint8_t *, size_t,
		    const struct ike_iov *, int, uint8_t *);

/* Phase 1 ciphers (CBC): block and key sizes in bytes. */
size_t		 ike_cipher_block(enum alg_enc);
size_t		 ike_cipher_keylen(enum alg_enc, int);
/*
 * Encrypt (enc 1) or decrypt in place len bytes (a multiple of the block)
 * with iv; iv becomes the last ciphertext block, the next message's IV.
 */
int		 ike_cipher(enum alg_enc, const uint8_t *, size_t, uint8_t *,
		    uint8_t *, size_t, int);

/* Phase 1 keys of RFC 2409 5 (pre-shared keys). */
struct ike_p1_keys {
	uint8_t		 skeyid[IKE_MAX_HASH];
	uint8_t		 d[IKE_MAX_HASH];
	uint8_t		 a[IKE_MAX_HASH];
	uint8_t		 e[IKE_MAX_HASH];
	size_t		 len;		/* the prf output length */
	uint8_t		 enc[IKE_MAX_ENCKEY];
	size_t		 enclen;
};

/*
 * SKEYID = prf(pre-shared-key, Ni_b | Nr_b)
 * SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 * SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 * SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 * and the cipher key from SKEYID_e (Appendix B: K1 = prf(SKEYID_e, 0),
 * K2 = prf(SKEYID_e, K1), ... when SKEYID_e is too short).
 */
int		 ike_kdf_phase1(enum alg_hash, enum alg_enc, int,
		    const void *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, const uint8_t *, struct ike_p1_keys *);

/* Phase 1 IV = hash(g^xi | g^xr), cut to the block size. */
int		 ike_iv_phase1(enum alg_hash, enum alg_enc, const uint8_t *,
		    size_t, const uint8_t *, size_t, uint8_t *);
/* Phase 2 / informational IV = hash(last phase 1 block | M-ID), cut. */
int		 ike_iv_phase2(enum alg_hash, enum alg_enc, const uint8_t *,
		    uint32_t, uint8_t *);

/*
 * HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 * HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 * Callers pass the values in the order of the hash they compute.
 */
int		 ike_hash_auth(enum alg_hash, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, const uint8_t *, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint8_t *);

/*
 * KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI |
 * Ni_b | Nr_b), Kn+1 = prf(SKEYID_d, Kn | [g(qm)^xy |] protocol | SPI |
 * Ni_b | Nr_b); spi in network order.
 */
int		 ike_keymat(enum alg_hash, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint8_t, uint32_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *, size_t);

/* ---- Diffie-Hellman (dh.c) ----------------------------------------------- */

struct ike_dh;

int		 ike_dh_supported(int);
/* The length of a public value (KE data) and of the shared secret. */
size_t		 ike_dh_publen(int);
size_t		 ike_dh_secretlen(int);
/* "modp2048", "ecp256", ... */
const char	*ike_dh_name(int);
/* A fresh key pair; NULL if the group is unknown or OpenSSL fails. */
struct ike_dh	*ike_dh_new(int);
/* A key pair from given private and public values (tests). */
struct ike_dh	*ike_dh_new_fixed(int, const uint8_t *, size_t,
		    const uint8_t *, size_t);
void		 ike_dh_free(struct ike_dh *);
int		 ike_dh_group(const struct ike_dh *);
/* The KE payload data: ike_dh_publen() bytes. */
const uint8_t	*ike_dh_pub(const struct ike_dh *);
/*
 * The shared secret with the peer's public value into out
 * (ike_dh_secretlen() bytes), after the RFC 6989 checks: 0, or -1 with a
 * reason in err.
 */
int		 ike_dh_derive(struct ike_dh *, const uint8_t *, size_t,
		    uint8_t *, const char **);

#endif
