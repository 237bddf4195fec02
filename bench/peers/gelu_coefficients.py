"""Derives the constants of RateLab's vectorised GELU (src/Core.CSharp/Boltzmann/VectorGelu.cs).

erfc(x) = e^{-x²} erfcx(x) for x ≥ 0, and (1 + 2x) erfcx(x) is smooth on [0, ∞] (it tends to 2/√π), so in
t = (x − K)/(x + K) ∈ [−1, 1] it has a rapidly converging Chebyshev series. With K = 4, 26 terms reach 1e-17.
Coefficients are computed in 50-digit arithmetic by Chebyshev interpolation at 60 nodes.
Usage: /usr/bin/python3 gelu_coefficients.py  (needs python3-mpmath); prints C# literals.
"""
import mpmath as mp

mp.mp.dps = 50
K, TERMS, NODES = mp.mpf(4), 26, 60


def f(t):
    if t == 1:
        return 2 / mp.sqrt(mp.pi)
    x = K * (1 + t) / (1 - t)
    return (1 + 2 * x) * mp.erfc(x) * mp.exp(x * x)


theta = [(2 * j + 1) * mp.pi / (2 * NODES) for j in range(NODES)]
values = [f(mp.cos(a)) for a in theta]
c = [2 * mp.fsum(values[j] * mp.cos(k * theta[j]) for j in range(NODES)) / NODES for k in range(TERMS)]
c[0] /= 2
assert all(abs(v) < 1e-17 for v in
           [2 * mp.fsum(values[j] * mp.cos(k * theta[j]) for j in range(NODES)) / NODES for k in range(TERMS, NODES)])
print(",\n".join(repr(float(v)) for v in c))
