"""Near-duplicate documents: a 64-bit SimHash of a body's character shingles.

The same notice republished by a city, its district and a department differs
in the page around it and in a few characters (a date line, a "来源"), not in
its text. SimHash maps near-identical texts to fingerprints a few bits apart;
split into four 16-bit bands, two fingerprints within three bits share at
least one band exactly (pigeonhole), so candidates come from four indexed
equalities, not from a scan. Short notices move more bits for a line added, so
a candidate further apart — or one with the very same title — is confirmed by
the resemblance of the two shingle sets instead.
"""

import hashlib
import re

BITS = 64
MAX_DISTANCE = 3
# Shingle resemblance that makes two bodies one document when their fingerprints are further
# apart: a short notice with a line added by the republishing site moves several bits.
SAME_TEXT = 0.8
# Titles of one document's copies differ by a prefix or a site's suffix at most; two notices of
# one template with unlike titles ("…任职的通知" for different people) stay two policies.
SAME_TITLE = 0.5
SHINGLE = 4
# Below this many characters a body says too little to be compared by its text.
MIN_TEXT = 60
# _BIT[b] maps a byte to 1 when its bit b is set, else to 0 (for ``bytes.translate``).
_BIT = [bytes(byte >> bit & 1 for byte in range(256)) for bit in range(8)]
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text):
    """The text without spaces and punctuation: what the two copies have in common."""
    return _NOISE.sub("", text or "").lower()


def simhash(text):
    """The signed 64-bit SimHash of ``text`` (0 when it is too short to compare).

    Each distinct shingle votes on each bit by its hash. The votes are counted
    in C over all hashes at once — every eighth byte of the joined hashes,
    mapped to its bit and counted — not hash by hash in Python.
    """
    clean = normalise(text)
    if len(clean) < MIN_TEXT:
        return 0
    found = {clean[i : i + SHINGLE] for i in range(len(clean) - SHINGLE + 1)}
    blob = b"".join(hashlib.blake2b(item.encode(), digest_size=8).digest() for item in found)
    value = 0
    for position in range(8):  # byte 0 is the most significant
        column = blob[position::8]
        for bit in range(8):
            if column.translate(_BIT[bit]).count(1) * 2 > len(found):
                value |= 1 << ((7 - position) * 8 + bit)
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def shingles(text, size=SHINGLE):
    clean = normalise(text)
    return {clean[i : i + size] for i in range(len(clean) - size + 1)}


def resemblance(a, b, *, size=SHINGLE):
    """The Jaccard resemblance of two texts' shingle sets: 1.0 for the same text."""
    first, second = shingles(a, size), shingles(b, size)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def bands(fingerprint):
    """The four 16-bit bands of a fingerprint, lowest first."""
    value = fingerprint & ((1 << BITS) - 1)
    return [(value >> (16 * i)) & 0xFFFF for i in range(4)]


def distance(a, b):
    """How many bits two fingerprints differ in."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()
