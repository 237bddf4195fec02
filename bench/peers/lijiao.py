"""Li & Jiao's sequential sampler [LJ25] (docs/algorithms.md), written once for NumPy and PyTorch (`xp` is the array
module): the same schedule skeleton, per-chain level draws, K rounds of N score calls and injections as
src/Core.CSharp/Samplers/Diffusion/LiJiao.cs and LiJiaoSchedule.cs, vectorised over chains. Every chain draws its own
levels, so the score is called with a per-row τ (column vectors tau, alpha_bar of shape (n, 1))."""
import math


class Schedule:
    """Skeleton for t = T+1 … −N/2 with h = log T / T: α̂_{T+1} = T^{−c0}, β̂_{t−1} = β̂_t (1 − c1 α̂_t h),
    cell width β̂_t − β̂_{t−1} = c1 α̂_t β̂_t h (stored at slot t + N/2, as in LiJiaoSchedule)."""

    def __init__(self, T, K, c0, c1):
        if (2 * T) % K or (2 * T // K) % 2:
            raise ValueError(f"K = {K}: need K | 2T and N = 2T/K even")
        self.T, self.K, self.N = T, K, 2 * T // K
        h = math.log(T) / T
        count = T + self.N // 2 + 2
        self.alpha = [0.0] * count
        self.beta = [0.0] * count
        self.width = [0.0] * count
        top = count - 1
        self.alpha[top] = T ** (-c0)
        self.beta[top] = -math.expm1(-c0 * math.log(T))
        for j in range(top, 0, -1):
            self.width[j] = c1 * self.alpha[j] * self.beta[j] * h
            self.beta[j - 1] = self.beta[j] * (1 - c1 * self.alpha[j] * h)
            self.alpha[j - 1] = 1 - self.beta[j - 1] if self.beta[j - 1] < 0.5 else self.alpha[j] + self.width[j]
        self.draws = T + self.N // 2 + 1

    def slot(self, t):
        return t + self.N // 2

    def round_index(self, k, n):
        return self.T - k * (self.N // 2) - n + 1

    def level(self, xp, u, t):
        """Per-chain (τ_t, ᾱ_t) with τ_t = β̂_{t−1} + u_t (β̂_t − β̂_{t−1}); the smaller member is kept, the other derived."""
        j = self.slot(t)
        ut = u[:, j - 1:j]
        tau = self.beta[j - 1] + ut * self.width[j]
        alpha_bar = self.alpha[j] + (1 - ut) * self.width[j]
        small = tau < 0.5
        return xp.where(small, tau, 1 - alpha_bar), xp.where(small, 1 - tau, alpha_bar)

    def round_level(self, xp, u, k, n):
        return self.level(xp, u, self.round_index(k, n))

    def top_piece(self, u, k):
        j = self.slot(self.round_index(k, 0))
        return u[:, j - 1:j] * self.width[j]

    def cell(self, k, i):
        return self.width[self.slot(self.round_index(k, i))]

    def bottom_piece(self, u, k, n):
        j = self.slot(self.round_index(k, n))
        return (1 - u[:, j - 1:j]) * self.width[j]


def run(xp, w, score, randn, rand, rng):
    """Y_0 ~ N(0, I); round k: C = Y/√ᾱ_{k,0}; for i < N: s = score(Y, τ_{k,i}), g = s/(2 ᾱ_{k,i}^{3/2}),
    C += g·(closed piece), Y = √ᾱ_{k,i+1} (C + g·(open piece)); then Y ← √(ᾱ_{k+1,0}/ᾱ_{k,N}) Y + √((τ_{k+1,0} − τ_{k,N})/ᾱ_{k,N}) Z.
    `score(x, w, out, tau, alpha_bar)` is the exact noised GMM score with per-row levels."""
    n, d = w["chains"], w["d"]
    sched = Schedule(w["T"], w["K"], w["c0"], w["c1"])
    y = randn(rng, (n, d))
    u = rand(rng, (n, sched.draws))
    s = xp.empty_like(y)
    c = xp.empty_like(y)
    for k in range(sched.K):
        _, ab0 = sched.round_level(xp, u, k, 0)
        xp.multiply(y, 1 / xp.sqrt(ab0), out=c)
        for m in range(1, sched.N + 1):
            i = m - 1
            tau_i, ab_i = sched.round_level(xp, u, k, i)
            score(y, w, s, tau_i, ab_i)
            g = 1 / (2 * ab_i * xp.sqrt(ab_i))
            closed = g * (sched.top_piece(u, k) if i == 0 else sched.cell(k, i))
            opened = g * sched.bottom_piece(u, k, m)
            _, ab_next = sched.round_level(xp, u, k, m)
            c += closed * s
            xp.multiply(xp.sqrt(ab_next), c + opened * s, out=y)
        tau_a, ab_a = sched.round_level(xp, u, k, sched.N)
        tau_b, ab_b = sched.round_level(xp, u, k + 1, 0)
        gap = xp.where(tau_b < 0.5, tau_b - tau_a, ab_a - ab_b)
        y = xp.sqrt(ab_b / ab_a) * y + xp.sqrt(gap / ab_a) * randn(rng, (n, d))
    return y
