/// The messages of the step protocol (docs/bridge.md): JSON lines between RateLab and bridge/python/ratelab_bridge.
/// RateLab sends a problem (target moments, noise grid, seed and replicate of the scalar draws) and receives the affine
/// map the sampler applies to it, with the NFE counted on the Python side.
module RateLab.Analysis.External.Protocol

open System
open System.Text.Json.Nodes

/// The protocol name and version both sides must agree on.
[<Literal>]
let Name = "ratelab-bridge"

[<Literal>]
let Version = 1

/// How the Python function is called.
type SamplerKind =
    /// sampler(model, x, sigmas, extra_args=None, callback=None, disable=None, ...), variance-exploding coordinates.
    | KDiffusion
    /// step(x, t, t_next, score, noise) per grid step, RateLab's variance-preserving coordinates.
    | Step

/// The arrays the sampler sees.
type Backend =
    | NumPy
    | Torch

let kindName k =
    match k with
    | KDiffusion -> "kdiffusion"
    | Step -> "step"

let backendName b =
    match b with
    | NumPy -> "numpy"
    | Torch -> "torch"

/// One probe request: a diagonal Gaussian problem on distinct coordinates and the grid τ₀ > … > τ_N.
type ProbeRequest =
    { Mean: float[]
      Variance: float[]
      Tau: float[]
      AlphaBar: float[]
      Seed: uint64
      Replicate: int }

/// The sampler's end state Y_N = a·Y₀ + c + Σₖ bₖ zₖ per coordinate, given the replicate's scalar draws.
type AffineMap =
    {
        A: float[]
        C: float[]
        /// Σₖ bₖ², the variance the noise adds.
        NoiseVariance: float[]
        NoiseDraws: int
        /// Model or score evaluations per chain, counted by the Python wrapper.
        Nfe: float
        /// The scalar draws uniform() returned, in order (empty for a sampler that takes none).
        Uniforms: float[]
        /// Rows of the batched call.
        Rows: int
        /// Python seconds for this replicate (both calls).
        Seconds: float
    }

/// Why the Python side refused a request.
type Failure =
    /// The request names something that does not exist or is out of range: a usage error.
    | Usage of string
    /// The sampler failed or broke a promise (affine, repeatable, finite).
    | SamplerFault of string
    /// The two sides disagree on the protocol.
    | ProtocolFault of string

let private numbers (xs: float[]) =
    JsonArray(xs |> Array.map (fun x -> JsonValue.Create x :> JsonNode))

let private request (op: string) =
    let o = JsonObject()
    o["version"] <- JsonValue.Create Version
    o["op"] <- JsonValue.Create op
    o

/// The load request: which function of which file, called how, on which arrays.
let load (script: string) (fn: string) (kind: SamplerKind) (backend: Backend) =
    let o = request "load"
    o["script"] <- JsonValue.Create script
    o["function"] <- JsonValue.Create fn
    o["kind"] <- JsonValue.Create(kindName kind)
    o["backend"] <- JsonValue.Create(backendName backend)
    o.ToJsonString()

/// The probe request of one replicate.
let probe (p: ProbeRequest) =
    let o = request "probe"
    o["mean"] <- numbers p.Mean
    o["variance"] <- numbers p.Variance
    o["tau"] <- numbers p.Tau
    o["alpha_bar"] <- numbers p.AlphaBar
    o["seed"] <- JsonValue.Create p.Seed
    o["replicate"] <- JsonValue.Create p.Replicate
    o.ToJsonString()

/// The request that ends the session.
let bye () = (request "bye").ToJsonString()

let private field (o: JsonObject) (name: string) =
    match o[name] with
    | null -> raise (InvalidOperationException $"bridge reply lacks \"{name}\": {o.ToJsonString()}")
    | n -> n

let private floats (o: JsonObject) name =
    (field o name).AsArray()
    |> Seq.map (fun n -> (nonNull n).GetValue<float>())
    |> Array.ofSeq

/// The handshake line: None when it is the expected protocol and version, else what is wrong.
let checkHello (line: string) =
    try
        let o = (nonNull (JsonNode.Parse line)).AsObject()

        let name, version =
            (field o "protocol").GetValue<string>(), (field o "version").GetValue<int>()

        if name <> Name || version <> Version then
            Some $"the bridge speaks {name} version {version}; allowed: {Name} version {Version}"
        else
            None
    with e ->
        Some $"the bridge's first line is not a handshake ({e.Message}): {line}"

/// A reply: Ok with the reply object, or the failure it reports.
let reply (line: string) : Result<JsonObject, Failure> =
    let o = (nonNull (JsonNode.Parse line)).AsObject()

    if (field o "ok").GetValue<bool>() then
        Ok o
    else
        let e = (field o "error").AsObject()
        let message = (field e "message").GetValue<string>()

        match (field e "kind").GetValue<string>() with
        | "usage" -> Error(Usage message)
        | "sampler" -> Error(SamplerFault message)
        | _ -> Error(ProtocolFault message)

/// The affine map of a probe reply.
let affine (o: JsonObject) =
    { A = floats o "a"
      C = floats o "c"
      NoiseVariance = floats o "b2"
      NoiseDraws = (field o "noise_draws").GetValue<int>()
      Nfe = (field o "nfe").GetValue<float>()
      Uniforms = floats o "uniforms"
      Rows = (field o "rows").GetValue<int>()
      Seconds = (field o "seconds").GetValue<float>() }
