/// Invalid parameters are rejected with an ArgumentException naming the parameter, the value and the allowed range.
module RateLab.Properties.Core.Targets.ValidationTests

open System
open Expecto
open RateLab.Core.Randomness
open RateLab.Core.Targets
open RateLab.Properties.Expectations

let private case name fragments (f: unit -> 'a) = test name { rejects fragments f }

let private spd = array2D [ [ 2.0; 0.5 ]; [ 0.5; 1.0 ] ]

[<Tests>]
let tests =
    testList
        "Core.Targets.Validation"
        [ case "double well: d < 1" [ "d"; "0"; "≥ 1" ] (fun () -> DoubleWell(0))
          case "double well: NaN barrier" [ "a"; "NaN"; "(0, ∞)" ] (fun () -> DoubleWell(2, nan))
          case "double well: negative barrier" [ "a"; "-1"; "(0, ∞)" ] (fun () -> DoubleWell(2, -1.0))
          case "full Gaussian: d < 1" [ "d"; "0"; "≥ 1" ] (fun () -> FullGaussian([||], Array2D.zeroCreate 0 0))
          case "full Gaussian: NaN mean" [ "mean[1]"; "NaN"; "finite" ] (fun () -> FullGaussian([| 0.0; nan |], spd))
          case "full Gaussian: NaN covariance" [ "covariance[0,1]"; "NaN"; "finite" ] (fun () ->
              FullGaussian([| 0.0; 0.0 |], array2D [ [ 1.0; nan ]; [ nan; 1.0 ] ]))
          case "full Gaussian: wrong shape" [ "covariance"; "2 × 3"; "2 × 2" ] (fun () ->
              FullGaussian([| 0.0; 0.0 |], Array2D.zeroCreate 2 3))
          case "full Gaussian: indefinite" [ "covariance"; "-0.5"; "(0, ∞)" ] (fun () ->
              FullGaussian([| 0.0; 0.0 |], array2D [ [ 1.0; 0.0 ]; [ 0.0; -0.5 ] ]))
          case "full Gaussian: singular" [ "covariance"; "not positive definite"; "(0, ∞)" ] (fun () ->
              FullGaussian([| 0.0; 0.0 |], array2D [ [ 1.0; 0.0 ]; [ 0.0; 0.0 ] ]))
          case "full Gaussian: asymmetric" [ "covariance"; "not symmetric"; "0.25"; "[0, " ] (fun () ->
              FullGaussian([| 0.0; 0.0 |], array2D [ [ 1.0; 0.25 ]; [ 0.0; 1.0 ] ]))
          case "rotated Gaussian: non-positive eigenvalue" [ "eigenvalues[1]"; "0"; "(0, ∞)" ] (fun () ->
              FullGaussian.Rotated([| 0.0; 0.0 |], [| 1.0; 0.0 |], 1UL))
          case "mixture: no components" [ "components"; "0"; "≥ 1" ] (fun () ->
              GaussianMixture([||], [||], Array.empty<float>))
          case "mixture: d < 1" [ "d"; "0"; "≥ 1" ] (fun () -> GaussianMixture([| 1.0 |], [| [||] |], [| 1.0 |]))
          case "mixture: NaN mean" [ "means[0][1]"; "NaN"; "finite" ] (fun () ->
              GaussianMixture([| 1.0 |], [| [| 0.0; nan |] |], [| 1.0 |]))
          case "mixture: zero isotropic variance" [ "variances[1]"; "0"; "(0, ∞)" ] (fun () ->
              GaussianMixture([| 1.0; 1.0 |], [| [| 0.0 |]; [| 1.0 |] |], [| 1.0; 0.0 |]))
          case "mixture: negative diagonal variance" [ "variances[0][1]"; "-2"; "(0, ∞)" ] (fun () ->
              GaussianMixture([| 1.0 |], [| [| 0.0; 0.0 |] |], [| [| 1.0; -2.0 |] |]))
          case "mixture: NaN variance" [ "variances[0]"; "NaN"; "(0, ∞)" ] (fun () ->
              GaussianMixture([| 1.0 |], [| [| 0.0 |] |], [| nan |]))
          case "mixture: negative weight" [ "weights[1]"; "-1"; "[0, ∞)" ] (fun () ->
              GaussianMixture([| 2.0; -1.0 |], [| [| 0.0 |]; [| 1.0 |] |], [| 1.0; 1.0 |]))
          case "mixture: NaN weight" [ "weights[0]"; "NaN"; "[0, ∞)" ] (fun () ->
              GaussianMixture([| nan |], [| [| 0.0 |] |], [| 1.0 |]))
          case "mixture: weights summing to 0" [ "sum(weights)"; "0"; "(0, ∞)" ] (fun () ->
              GaussianMixture([| 0.0; 0.0 |], [| [| 0.0 |]; [| 1.0 |] |], [| 1.0; 1.0 |]))
          case "mixture: weights summing to ∞" [ "sum(weights)"; "Infinity"; "(0, ∞)" ] (fun () ->
              GaussianMixture([| 1e308; 1e308 |], [| [| 0.0 |]; [| 1.0 |] |], [| 1.0; 1.0 |]))
          case "mixture: mismatched means" [ "means[1]"; "length 2"; "exactly 1" ] (fun () ->
              GaussianMixture([| 1.0; 1.0 |], [| [| 0.0 |]; [| 1.0; 2.0 |] |], [| 1.0; 1.0 |]))
          case "random mixture: d < 1" [ "d"; "0"; "≥ 1" ] (fun () -> GaussianMixture.Random(0, 3, 1.0, 1.0))
          case "random mixture: NaN separation" [ "separation"; "NaN"; "[0, ∞)" ] (fun () ->
              GaussianMixture.Random(2, 3, nan, 1.0))
          case "random mixture: zero sigma" [ "sigma"; "0"; "(0, ∞)" ] (fun () ->
              GaussianMixture.Random(2, 3, 1.0, 0.0))
          case "random rotation: d < 1" [ "d"; "0"; "≥ 1" ] (fun () -> RandomRotation.Create(0, 1UL)) ]
