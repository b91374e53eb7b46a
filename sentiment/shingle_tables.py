"""The story fingerprint's tables (sentiment/stories.py ``fingerprint``, sentiment/sketches.py ``fingerprints``),
built once at import: the characters the title's noise drops and each BMP character's lower case, and the
CRC-32 of a shingle's window by table look-ups. Pure computation; no I/O.
"""
from __future__ import annotations

import binascii
from typing import Final

import numpy as np

SHINGLE: Final = 4  # characters a shingle (a window of 16 bytes as UTF-32)


def _crc_tables() -> tuple[int, list[np.ndarray], list[np.ndarray]]:
    """CRC-32 of a 4-character (16-byte UTF-32) window by table lookups. For messages of one length CRC-32 is
    affine over GF(2): crc(x) = crc(0…0) ^ L(x) with L linear, so L of a window is the XOR of L of each of its
    bytes alone. Per character position k of the window: a table over the character's low 16 bits (bytes 4k and
    4k+1) and one over its plane (byte 4k+2; byte 4k+3 of a code point is always 0)."""
    zero = binascii.crc32(bytes(16))

    def byte_alone(pos: int) -> np.ndarray:
        return np.array([binascii.crc32(bytes(pos) + bytes((b,)) + bytes(15 - pos)) ^ zero for b in range(256)],
                        dtype=np.uint32)

    low = [(byte_alone(4 * k + 1)[:, None] ^ byte_alone(4 * k)[None, :]).ravel() for k in range(SHINGLE)]
    return zero, low, [byte_alone(4 * k + 2) for k in range(SHINGLE)]


CRC_ZERO, CRC_LOW, CRC_PLANE = _crc_tables()
# The same per byte position of the window, as Python ints (4 x 256 x 4 entries: the window's
# bytes 4k, 4k+1 and 4k+2 at 256 * (4k + j) + byte; byte 4k+3 of a code point is always 0).
CRC_BYTES: Final = [int(binascii.crc32(bytes(pos) + bytes((b,)) + bytes(15 - pos)) ^ CRC_ZERO)
                    for pos in range(4 * SHINGLE) for b in range(256)]
# The characters _NOISE keeps (alphanumeric in Unicode's sense, as ``re``'s \w without "_"), for the BMP.
KEEP_BMP = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)
# str.lower() of each BMP character where it is one BMP character whatever its neighbours; IRREGULAR where it
# is not (İ lowers to two characters, Σ to σ or ς).
IRREGULAR: Final = 0xFFFFFFFF


def _lower_code(c: int) -> int:
    low = chr(c).lower()
    return ord(low) if len(low) == 1 and ord(low) < 0x10000 and c != 0x3A3 else IRREGULAR


# Both at once: 0 for a character _NOISE drops (NUL is one), else its lower case or IRREGULAR.
KEPT_LOWER = np.where(KEEP_BMP, np.array([_lower_code(c) for c in range(0x10000)], dtype=np.uint32), 0).astype(np.uint32)
EMPTY: Final = 1 << 32  # above every CRC-32: a bin no shingle fell into
# The same tables as strings, read natively by ``ord(table[i])`` (mypyc: no boxed ints, whose values
# above 2^30 cost a slow unboxing each): the lowered code of each BMP character (0: dropped, 0xFFFF:
# irregular, as IRREGULAR) and, at ``(2 * k + j) << 16 | code``, half j (16 bits) of CRC_LOW[k][code].
LOWER_CHARS: Final = np.where(KEPT_LOWER == IRREGULAR, 0xFFFF, KEPT_LOWER).astype("<u4").tobytes().decode("utf-32-le")
HALVES: Final = np.concatenate([(CRC_LOW[k] >> (16 * j)) & 0xFFFF for k in range(SHINGLE) for j in range(2)]) \
    .astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
# Below this many characters (or windows) numpy's fixed cost per call is more than the work it saves: short
# texts (headlines, posts) take the plain way.
NUMPY_FROM: Final = 128
