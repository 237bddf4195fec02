/// The noise grid of a diffusion sampler as catalog parameters: its kind (uniform in log-SNR, Karras' ρ-grid, uniform
/// in OU time, or an explicit list of levels), its ends, and whether a last step goes to the clean level τ = 0. The
/// kinds are the grids practitioners use; the exact engine and the Monte Carlo runs see the same NoiseGrid.
module RateLab.Analysis.Studies.GridChoice

open System
open System.Globalization
open RateLab.Core.Diffusion
open RateLab.Analysis.Experiments.Spec
open RateLab.Analysis.Experiments.Parameters

/// How the levels between the ends are placed.
type GridKind =
    /// Uniform in log-SNR λ = log(ᾱ/τ) (cannot reach τ = 0, where λ = +∞).
    | LogSnr
    /// Karras et al.'s σ_i = (σ_max^{1/ρ} + i/(N−1)(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ in σ = √(τ/ᾱ).
    | Edm
    /// Uniform in OU time t = −½ log ᾱ (reaches τ = 0 at t = 0).
    | OuTime
    /// The levels listed by the user.
    | Explicit

let private kindNames =
    [ LogSnr, "log-snr"; Edm, "edm"; OuTime, "ou-time"; Explicit, "list" ]

let private gridParam =
    choice
        "grid"
        (List.map snd kindNames)
        "log-snr"
        "grid kind: uniform in log-SNR, EDM ρ-grid, uniform in OU time, or the explicit list `levels`"

let private tauMax =
    real "tau_max" (Some(Open 0.0)) (Some(Open 1.0)) (Some(1.0 - 1e-4)) "top noise level τ of the grid"

let private tauMin =
    real
        "tau_min"
        (Some(Closed 0.0))
        (Some(Open 1.0))
        (Some 1e-3)
        "end noise level δ (early stopping); 0 only with grid=ou-time"

let private rho = positive "rho" (Some 7.0) "EDM exponent ρ (grid=edm only)"

let private finalZero =
    boolean "final_zero" false "end with one step from tau_min to τ = 0 (n − 1 steps on the grid, then that one)"

let private levels =
    freeText
        "levels"
        "τ levels separated by commas, strictly decreasing, the first in (0, 1), the last ≥ 0"
        "grid=list only: the levels τ₀ > … > τ_n; steps must be their count − 1"

/// The grid parameters every grid-based diffusion sampler declares.
let schema = [ gridParam; tauMax; tauMin; rho; finalZero; levels ]

/// The grid kind a checked component asks for.
let kind (c: Component) =
    let name = Read.text schema c "grid"
    kindNames |> List.find (fun (_, n) -> n = name) |> fst

let private shown (x: float) = showParam (Number x)

/// The listed levels, or the first problem with them.
let private parseLevels (text: string) : Result<float[], string> =
    let parts = text.Split(',') |> Array.map (fun s -> s.Trim())

    let parsed =
        parts
        |> Array.map (fun s ->
            match Double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, v when Double.IsFinite v -> Some v
            | _ -> None)

    match Array.tryFindIndex Option.isNone parsed with
    | Some i -> Error $"expected a finite number at position {i + 1}, got \"{parts[i]}\""
    | None ->
        let xs = Array.choose id parsed

        if xs.Length < 2 then
            Error $"expected at least 2 levels, got {xs.Length}"
        elif not (xs[0] > 0.0 && xs[0] < 1.0) then
            Error $"expected the first level in (0, 1), got {shown xs[0]}"
        elif xs[xs.Length - 1] < 0.0 then
            Error $"expected the last level ≥ 0, got {shown xs[xs.Length - 1]}"
        else
            match Array.pairwise xs |> Array.tryFindIndex (fun (a, b) -> not (b < a)) with
            | Some i -> Error $"expected strictly decreasing levels, got {shown xs[i + 1]} after {shown xs[i]}"
            | None -> Ok xs

/// The first broken rule across grid parameters, as (parameter to name, problem).
let rules (c: Component) : (string * string) option =
    let given name = c.Parameters.ContainsKey name

    match kind c with
    | Explicit ->
        match [ "tau_max"; "tau_min"; "rho"; "final_zero" ] |> List.tryFind given with
        | Some name -> Some(name, "not used with grid=list (the list gives every level); remove it")
        | None when not (given "levels") -> Some("levels", "required with grid=list")
        | None ->
            match parseLevels (Read.text schema c "levels") with
            | Error problem -> Some("levels", problem)
            | Ok _ -> None
    | k ->
        let p = Read.number schema c
        let hi, lo = p "tau_max", p "tau_min"

        if given "levels" then
            Some("levels", "only with grid=list")
        elif given "rho" && k <> Edm then
            Some("rho", "only with grid=edm")
        elif not (lo < hi) then
            Some("tau_min", $"expected less than tau_max = {shown hi}, got {shown lo}")
        elif lo = 0.0 && Read.flag schema c "final_zero" then
            Some("tau_min", "expected > 0 with final_zero=true (the final step already ends at τ = 0), got 0")
        elif lo = 0.0 && k = LogSnr then
            Some(
                "tau_min",
                "expected > 0 with grid=log-snr (λ = +∞ at τ = 0), got 0; "
                + "to end at 0 give final_zero=true or grid=ou-time"
            )
        elif lo = 0.0 && k = Edm then
            Some(
                "tau_min",
                "expected > 0 with grid=edm (the ρ formula needs σ_min > 0), got 0; "
                + "for Karras' last step to σ = 0 give final_zero=true"
            )
        else
            None

/// The grid of a checked component with n steps. A listed grid fixes n; another n is refused naming `steps`.
let build (c: Component) (n: int) : NoiseGrid =
    let p = Read.number schema c

    let withZero (grid: NoiseGrid) =
        let levels = Array.append (grid.Levels.ToArray()) [| NoiseLevel.Zero |]
        NoiseGrid(levels, grid.Name + ",then 0")

    match kind c with
    | Explicit ->
        let xs =
            match parseLevels (Read.text schema c "levels") with
            | Ok xs -> xs
            | Error e -> invalidOp e

        if xs.Length - 1 <> n then
            raise (
                ArgumentException(
                    $"steps = {n} is out of range; allowed: {xs.Length - 1} (the listed levels − 1)",
                    "steps"
                )
            )

        NoiseGrid(xs |> Array.map NoiseLevel.FromTau, $"list({n} steps)")
    | k ->
        let hi, lo = p "tau_max", p "tau_min"
        let sigma (tau: float) = NoiseLevel.FromTau(tau).Sigma

        let onGrid steps =
            match k with
            | LogSnr -> NoiseGrid.LogSnrUniform(hi, lo, steps)
            | OuTime -> NoiseGrid.OuTimeUniform(hi, lo, steps)
            | _ -> NoiseGrid.Edm(steps + 1, sigma lo, sigma hi, p "rho", false)

        match Read.flag schema c "final_zero", n with
        | false, _ -> onGrid n
        | true, 1 -> NoiseGrid([| NoiseLevel.FromTau hi; NoiseLevel.Zero |], $"one step tau={shown hi}..0")
        | true, _ when k = Edm -> NoiseGrid.Edm(n, sigma lo, sigma hi, p "rho", true)
        | true, _ -> withZero (onGrid (n - 1))

/// The grid at a step count the component admits (its list's, or 2), for what does not depend on n.
let private anyGrid (c: Component) =
    let n =
        match kind c with
        | Explicit ->
            match parseLevels (Read.text schema c "levels") with
            | Ok xs -> xs.Length - 1
            | Error e -> invalidOp e
        | _ -> 2

    build c n

/// The top level τ₀ of the component's grid (the same at every n), where the start law is placed.
let top (c: Component) = (anyGrid c).Top.Tau

/// The end level δ of the component's grid (the same at every n).
let bottom (c: Component) = (anyGrid c).End.Tau
