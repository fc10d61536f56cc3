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
SHINGLE = 4
# Below this many characters a body says too little to be compared by its text.
MIN_TEXT = 60
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text):
    """The text without spaces and punctuation: what the two copies have in common."""
    return _NOISE.sub("", text or "").lower()


def simhash(text):
    """The signed 64-bit SimHash of ``text`` (0 when it is too short to compare)."""
    clean = normalise(text)
    if len(clean) < MIN_TEXT:
        return 0
    weights = [0] * BITS
    for shingle in {clean[i : i + SHINGLE] for i in range(len(clean) - SHINGLE + 1)}:
        value = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(BITS):
            weights[bit] += 1 if value >> bit & 1 else -1
    value = sum(1 << bit for bit in range(BITS) if weights[bit] > 0)
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def shingles(text):
    clean = normalise(text)
    return {clean[i : i + SHINGLE] for i in range(len(clean) - SHINGLE + 1)}


def resemblance(a, b):
    """The Jaccard resemblance of two texts' shingle sets: 1.0 for the same text."""
    first, second = shingles(a), shingles(b)
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
