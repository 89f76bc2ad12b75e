#!/usr/bin/python3
"""Known-answer ESP packets, computed independently of havpn's C code with
python3-cryptography (ciphers) and hashlib/hmac (integrity), written as the
C table tests/unit/esp/vectors.h that tests/unit/test_esp.c checks.

    python3 tests/unit/esp/gen_vectors.py > tests/unit/esp/vectors.h

Each vector: keys, SPI, sequence number (64-bit with ESN), IV, an inner
IPv4 packet, and the exact ESP packet (header .. ICV) RFC 4303 / RFC 4106
give for them, padding 1, 2, 3, ... as RFC 4303 2.4 says.
"""
import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES


def ipv4(src, dst, proto, payload):
    s = bytes(int(x) for x in src.split("."))
    d = bytes(int(x) for x in dst.split("."))
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x1234,
                      0, 64, proto, 0, s, d)
    csum = 0
    for i in range(0, 20, 2):
        csum += (hdr[i] << 8) | hdr[i + 1]
    while csum > 0xffff:
        csum = (csum & 0xffff) + (csum >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~csum & 0xffff) + hdr[12:]
    return hdr + payload


def key(n, seed):
    return bytes((seed * 7 + i * 13) & 0xff for i in range(n))


ICMP = bytes.fromhex("0800f7ff0001000a") + bytes(range(56))
UDP = struct.pack("!HHHH", 40000, 5001, 8 + 37, 0) + b"havpn known answer " * 2

AUTHS = {  # name: (hash, key bytes, icv bytes)
    "md5": (hashlib.md5, 16, 12),
    "sha1": (hashlib.sha1, 20, 12),
    "sha256": (hashlib.sha256, 32, 16),
    "sha384": (hashlib.sha384, 48, 24),
    "sha512": (hashlib.sha512, 64, 32),
}


def pad(plen, block, nh):
    n = (block - (plen + 2) % block) % block
    return bytes(range(1, n + 1)) + bytes([n, nh])


def cbc_vector(enc, bits, auth, spi, seq, esn, inner, tunnel, seed):
    ekey = key(bits // 8, seed)
    hname, alen, icvlen = AUTHS[auth]
    akey = key(alen, seed + 1)
    if enc == "3des":
        algo, block = TripleDES(ekey), 8
    else:
        algo, block = algorithms.AES(ekey), 16
    iv = key(block, seed + 2)
    if tunnel:
        payload, nh = inner, 4
    else:
        payload, nh = inner[20:], inner[9]
    pt = payload + pad(len(payload), block, nh)
    e = Cipher(algo, modes.CBC(iv)).encryptor()
    ct = e.update(pt) + e.finalize()
    hdr = struct.pack("!II", spi, seq & 0xffffffff)
    signed = hdr + iv + ct
    if esn:
        signed_extra = struct.pack("!I", seq >> 32)
    else:
        signed_extra = b""
    icv = hmac.new(akey, signed + signed_extra, hname).digest()[:icvlen]
    return dict(enc=enc, bits=bits, auth=auth, ekey=ekey, akey=akey, iv=iv,
                spi=spi, seq=seq, esn=esn, tunnel=tunnel, inner=inner,
                esp=signed + icv)


def gcm_vector(bits, spi, seq, esn, inner, tunnel, seed):
    k = key(bits // 8, seed)
    salt = key(4, seed + 3)
    iv = struct.pack("!Q", seq)     # havpn's IV: the 64-bit sequence number
    if tunnel:
        payload, nh = inner, 4
    else:
        payload, nh = inner[20:], inner[9]
    pt = payload + pad(len(payload), 4, nh)
    if esn:
        aad = struct.pack("!III", spi, seq >> 32, seq & 0xffffffff)
    else:
        aad = struct.pack("!II", spi, seq & 0xffffffff)
    ct_tag = AESGCM(k).encrypt(salt + iv, pt, aad)
    hdr = struct.pack("!II", spi, seq & 0xffffffff)
    return dict(enc="gcm", bits=bits, auth="none", ekey=k + salt, akey=b"",
                iv=iv, spi=spi, seq=seq, esn=esn, tunnel=tunnel, inner=inner,
                esp=hdr + iv + ct_tag)


def vectors():
    icmp = ipv4("192.168.20.25", "172.21.91.37", 1, ICMP)
    udp = ipv4("10.0.0.11", "10.0.0.20", 17, UDP)
    v = []
    seed = 1
    for enc, bits in (("3des", 192), ("aes", 128), ("aes", 192),
                      ("aes", 256)):
        for auth in AUTHS:
            v.append(cbc_vector(enc, bits, auth, 0x1000 + seed, seed,
                                False, icmp, True, seed))
            seed += 5
    for bits in (128, 256):
        v.append(gcm_vector(bits, 0x2000 + seed, seed, False, icmp, True,
                            seed))
        seed += 5
    # ESN: the high half is signed (CBC) or in the AAD (GCM)
    v.append(cbc_vector("aes", 256, "sha256", 0x3001, (7 << 32) | 42, True,
                        icmp, True, 90))
    v.append(gcm_vector(256, 0x3002, (3 << 32) | 5, True, icmp, True, 95))
    # transport mode: the upper layer is the payload
    v.append(cbc_vector("aes", 128, "sha1", 0x4001, 9, False, udp, False,
                        100))
    v.append(gcm_vector(128, 0x4002, 10, False, udp, False, 105))
    return v


ENC = {"3des": "ALG_ESP_3DES", "aes": "ALG_ESP_AES", "gcm": "ALG_ESP_GCM"}
AUTH = {"none": "ALG_ESP_AUTH_NONE", "md5": "ALG_ESP_AUTH_MD5",
        "sha1": "ALG_ESP_AUTH_SHA1", "sha256": "ALG_ESP_AUTH_SHA256",
        "sha384": "ALG_ESP_AUTH_SHA384", "sha512": "ALG_ESP_AUTH_SHA512"}


def c_hex(b):
    return '"' + b.hex() + '"'


def main():
    print("/* Generated by tests/unit/esp/gen_vectors.py: do not edit. */")
    print("static const struct esp_kat {")
    print("\tenum alg_esp_enc enc; int bits; enum alg_esp_auth auth;")
    print("\tconst char *ekey, *akey, *iv, *inner, *esp;")
    print("\tuint32_t spi; uint64_t seq; int esn; int tunnel;")
    print("} esp_kats[] = {")
    for x in vectors():
        print(f"\t{{ {ENC[x['enc']]}, {x['bits']}, {AUTH[x['auth']]},")
        for f in ("ekey", "akey", "iv", "inner", "esp"):
            print(f"\t    {c_hex(x[f])},")
        print(f"\t    0x{x['spi']:08x}, 0x{x['seq']:x}ULL, {int(x['esn'])}, "
              f"{int(x['tunnel'])} }},")
    print("};")


if __name__ == "__main__":
    main()
