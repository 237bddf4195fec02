/// Reference quadrature for tests that check a closed form or a numerical method against an independent integral.
module RateLab.Properties.Quadrature

open System
open MathNet.Numerics.Integration

/// ∫ f over [lo, hi] by Gauss–Legendre with `nodes` nodes on each of `panels` equal panels.
let composite (f: float -> float) (lo: float) (hi: float) (panels: int) (nodes: int) =
    let h = (hi - lo) / float panels

    Seq.sum (
        seq {
            for i in 0 .. panels - 1 ->
                GaussLegendreRule.Integrate(Func<float, float> f, lo + float i * h, lo + float (i + 1) * h, nodes)
        }
    )
