"""Fixtures for bpcheck's fp8 formats (Tests/PrecisionTests/Float8ConversionTests.swift),
computed with ml_dtypes, the independent oracle.

Run from the repository root with a venv that has ml_dtypes and numpy (the fixtures committed
were made with ml_dtypes 0.7.0, numpy 2.4.6):

    python3 -m venv .venv-fp8 && .venv-fp8/bin/pip install ml_dtypes numpy
    .venv-fp8/bin/python Tests/PrecisionTests/Fixtures/fp8/make_fp8_fixtures.py

Writes, for FMT in e4m3 (ml_dtypes.float8_e4m3fn) and e5m2 (ml_dtypes.float8_e5m2):

- decode_FMT.npy   float64[256]: the value of every encoding 0x00…0xFF.
- edges_FMT.npy    float64[N]: the structured inputs: every finite encoding's value, every
                   midpoint between neighbours (and between the largest finite value and the
                   next grid point above it, the overflow threshold), each of these and ±1, ±2
                   ulps of double, both signs; ±0, ±inf, ±nan, ±1e300, ±5e-324.
- convert_FMT.npy  uint8[N + RANDOM]: ml_dtypes' `astype` of the edges then of RANDOM doubles
                   that the Swift test regenerates from the same formula (`random_doubles`).
- saturate_FMT.npy uint32[K, 2]: (index, encoding) for every input whose saturating conversion
                   differs from the non-saturating one.

ml_dtypes' `astype` is non-saturating and rounds the double once (checked: 1.0625 + 2^-40 goes to
1.125, while going through float32 first would give 1.0): overflow gives NaN for e4m3fn (sign
kept: 0x7F/0xFF) and ±inf for e5m2; NaN gives 0x7F/0xFF (e4m3fn) and 0x7E/0xFE (e5m2). ml_dtypes
offers no saturating cast in Python; the saturating oracle is ml_dtypes' cast of the input
clipped to ±max (NaN kept), which is saturation as the OFP8 spec and NVIDIA's `satfinite`
define it: |x| rounding above max and ±inf go to ±max. Clipping first and rounding after equals
rounding first and clamping after, because every value between max and the overflow threshold
rounds to max.
"""
import os
import sys

import ml_dtypes
import numpy as np

RANDOM = 1_000_000
HERE = os.path.dirname(os.path.abspath(__file__))
FORMATS = {
    # name: (dtype, p, emin, emax, seed)
    "e4m3": (ml_dtypes.float8_e4m3fn, 4, -6, 8, 0xE4E3),
    "e5m2": (ml_dtypes.float8_e5m2, 3, -14, 15, 0xE5E2),
}


def splitmix64(seed, n):
    """SplitMix64 (Steele, Lea & Flood 2014): word i is mix(seed + (i+1)·0x9E3779B97F4A7C15)."""
    i = np.arange(1, n + 1, dtype=np.uint64)
    z = np.uint64(seed) + i * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def random_doubles(seed, n, p, emin, emax):
    """Doubles with a random sign, a random 52-bit fraction and a uniform exponent from
    emin − p − 2 (below half the least subnormal) to emax + 2 (past the overflow threshold)."""
    z = splitmix64(seed, n)
    lo, hi = emin - p - 2, emax + 2
    e = (z >> np.uint64(52)) & np.uint64(0x7FF)
    e = np.uint64(lo + 1023) + e % np.uint64(hi - lo + 1)
    bits = (z & np.uint64(1 << 63)) | (e << np.uint64(52)) | (z & np.uint64((1 << 52) - 1))
    return bits.view(np.float64)


def edges(dtype, p, emax):
    values = np.arange(256, dtype=np.uint8).view(dtype).astype(np.float64)
    finite = np.unique(np.abs(values[np.isfinite(values)]))  # 0 … max, ascending
    top = float(finite[-1])
    above = top + 2.0 ** (emax - p + 1)  # the next grid point: the overflow threshold's other end
    grid = np.append(finite, above)
    mids = (grid[:-1] + grid[1:]) / 2
    base = np.concatenate([finite, mids, [above]])
    cases = [base]
    for k in (1, 2):
        up, down = base.copy(), base.copy()
        for _ in range(k):
            up = np.nextafter(up, np.inf)
            down = np.nextafter(down, -np.inf)
        cases += [up, down[down >= 0]]
    pos = np.concatenate(cases)
    special = np.array([0.0, np.inf, np.nan, 1e300, 5e-324])
    allpos = np.concatenate([pos, special])
    return np.concatenate([allpos, -allpos])


def main():
    print(f"ml_dtypes {ml_dtypes.__version__}, numpy {np.__version__}")
    for name, (dtype, p, emin, emax, seed) in FORMATS.items():
        decode = np.arange(256, dtype=np.uint8).view(dtype).astype(np.float64)
        e = edges(dtype, p, emax)
        x = np.concatenate([e, random_doubles(seed, RANDOM, p, emin, emax)])
        with np.errstate(over="ignore", invalid="ignore"):
            nonsat = x.astype(dtype).view(np.uint8)
            top = float(np.finfo(dtype).max)
            clipped = np.where(np.isnan(x), x, np.clip(x, -top, top))
            sat = clipped.astype(dtype).view(np.uint8)
        differ = np.nonzero(sat != nonsat)[0].astype(np.uint32)
        pairs = np.stack([differ, sat[differ].astype(np.uint32)], axis=1)
        np.save(os.path.join(HERE, f"decode_{name}.npy"), decode)
        np.save(os.path.join(HERE, f"edges_{name}.npy"), e)
        np.save(os.path.join(HERE, f"convert_{name}.npy"), nonsat)
        np.save(os.path.join(HERE, f"saturate_{name}.npy"), pairs)
        print(f"{name}: {len(e)} edge inputs + {RANDOM} random, {len(differ)} saturate differently; "
              f"first random {x[len(e)]!r}")


if __name__ == "__main__":
    sys.exit(main())
