"""Derives the constants of RateLab's vectorised GELU (src/Boltzmann.CSharp/VectorGelu.cs).

erfc(x) = e^{-x²} erfcx(x) for x ≥ 0, and (1 + 2x) erfcx(x) is smooth on [0, ∞] (it tends to 2/√π), so in
t = (x − K)/(x + K) ∈ [−1, 1] it has a rapidly converging Chebyshev series. With K = 4, 26 terms reach 1e-17.
Coefficients are computed in 50-digit arithmetic by Chebyshev interpolation at 60 nodes, then converted to powers
of t (Σ|aₖ| ≈ 1.8, so Horner in t² for the even and odd parts loses under 2 ulp; the script checks 3e-16 relative).
Usage: /usr/bin/python3 gelu_coefficients.py  (needs python3-mpmath); prints the C# literals a₀ … a₂₅.
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
# Chebyshev to powers of t: T₀ = 1, T₁ = t, Tₙ = 2t Tₙ₋₁ − Tₙ₋₂.
T = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
for n in range(2, TERMS):
    T.append([2 * (T[n - 1][i - 1] if i else 0) - (T[n - 2][i] if i < n - 1 else 0) for i in range(n + 1)])
a = [mp.fsum(c[n] * T[n][i] for n in range(i, TERMS)) for i in range(TERMS)]
a64 = [float(v) for v in a]


def horner(t):
    t2, even, odd = t * t, 0.0, 0.0
    for k in range(TERMS - 2, -1, -2):
        even = even * t2 + a64[k]
    for k in range(TERMS - 1, 0, -2):
        odd = odd * t2 + a64[k]
    return even + t * odd


worst = max(abs(horner(-1 + i / 1000) - f(mp.mpf(-1 + i / 1000))) / f(mp.mpf(-1 + i / 1000)) for i in range(2001))
assert worst < 3e-16, worst
print(",\n".join(repr(v) for v in a64))
