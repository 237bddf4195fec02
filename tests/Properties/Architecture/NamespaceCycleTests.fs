/// The layering of RateLab.Core and RateLab.Boltzmann (docs/library.md, "How RateLab.Core is layered"): no namespace
/// cycles, the kernel contracts (RateLab.Core.Contracts) at the bottom, using no other namespace but the argument
/// checks of RateLab.Core.Validation, which use nothing, RateLab.Boltzmann on Core's layers up to Targets only, and
/// RateLab.Core using nothing of RateLab.Boltzmann. Read from the compiled assemblies (their IL and their reference
/// lists) and from the sources' `using` lines; the cycle finder is itself checked on planted graphs and the readers on
/// dependencies known to exist, so a reader that saw nothing could not pass.
module RateLab.Properties.Architecture.NamespaceCycleTests

open System.IO
open Expecto
open RateLab.Core.Contracts
open RateLab.Boltzmann
open RateLab.Properties.RepoFiles
open RateLab.Properties.Architecture.NamespaceGraph

let private core = typeof<ISamplerKernel>.Assembly
let private boltzmann = typeof<Trainer>.Assembly

let private sourcesOf project =
    lazy (nonNull (Path.GetDirectoryName(repoFile project)))

let private sources = sourcesOf "src/Core.CSharp/Core.CSharp.csproj"

let private boltzmannSources =
    sourcesOf "src/Boltzmann.CSharp/Boltzmann.CSharp.csproj"

/// Both readings of the graph together: RateLab.Core's, and RateLab.Boltzmann's (edges from its namespaces into
/// its own and Core's).
let private graph = lazy (reflected core @ declared sources.Value)

let private boltzmannGraph =
    lazy (reflected boltzmann @ declared boltzmannSources.Value)

/// RateLab.Core's layers that RateLab.Boltzmann may use: those up to Targets (docs/library.md).
let private boltzmannMayUse =
    [ "Validation"
      "Numerics"
      "Contracts"
      "Randomness"
      "Targets"
      "Targets.Benchmarks" ]
    |> List.map (fun n -> "RateLab.Core." + n)

let private edge a b =
    { From = a
      To = b
      Because = "planted" }

/// Namespaces that `from` depends on in `edges`, with the causes, outside the allowed set.
let private outside (edges: Edge list) (from: string) (allowed: string list) =
    edges
    |> List.filter (fun e -> e.From = from && not (List.contains e.To allowed))
    |> List.distinctBy (fun e -> e.To)
    |> List.map (fun e -> $"{e.To} ({e.Because})")

[<Tests>]
let tests =
    testList
        "Architecture.Namespaces"
        [ test "the cycle finder reports a planted three-cycle and nothing on an acyclic graph" {
              let planted =
                  [ edge "A" "B"; edge "B" "C"; edge "C" "A"; edge "C" "D"; edge "D" "E" ]

              Expect.equal (cycles planted) [ [ "A"; "B"; "C" ] ] "the planted cycle A -> B -> C -> A"
              Expect.equal (cycles [ edge "A" "B"; edge "B" "C"; edge "A" "C" ]) [] "a diamond has no cycle"

              Expect.equal
                  (cycles [ edge "A" "B"; edge "B" "A"; edge "C" "D"; edge "D" "C" ])
                  [ [ "A"; "B" ]; [ "C"; "D" ] ]
                  "two separate two-cycles"
          }

          test "the assembly reading sees signature and method-body dependencies" {
              let edges = reflected core

              let has a b =
                  edges |> List.exists (fun e -> e.From = a && e.To = b)
              // Ula implements ISamplerKernel (a signature); Randomness calls Validation.Guard only inside method bodies
              // (IL, no signature names Guard): both kinds must be seen.
              Expect.isTrue (has "RateLab.Core.Samplers.Langevin" "RateLab.Core.Contracts") "Langevin -> Contracts"
              Expect.isTrue (has "RateLab.Core.Randomness" "RateLab.Core.Validation") "Randomness -> Validation (IL)"
              // Across assemblies: the trainer's signatures name Core's targets.
              Expect.isTrue
                  (reflected boltzmann
                   |> List.exists (fun e -> e.From = "RateLab.Boltzmann" && e.To = "RateLab.Core.Targets"))
                  "RateLab.Boltzmann -> RateLab.Core.Targets"
          }

          test "RateLab.Core has no namespace cycles" {
              let found = cycles graph.Value
              let message = found |> List.map (explain graph.Value) |> String.concat "\n"
              Expect.equal found [] $"namespace cycles:\n{message}"
          }

          test "Contracts depend on nothing but Validation, and Validation on nothing" {
              let contracts = nonNull typeof<ISamplerKernel>.Namespace
              let validation = "RateLab.Core.Validation"
              Expect.equal (outside graph.Value contracts [ validation ]) [] $"{contracts} must stay at the bottom"
              Expect.equal (outside graph.Value validation []) [] $"{validation} must depend on nothing"
          }

          test "RateLab.Boltzmann has no namespace cycles, with the RateLab.Core namespaces it uses" {
              let edges = graph.Value @ boltzmannGraph.Value
              let found = cycles edges
              let message = found |> List.map (explain edges) |> String.concat "\n"
              Expect.equal found [] $"namespace cycles:\n{message}"
          }

          test "RateLab.Boltzmann uses only RateLab.Core's layers up to Targets" {
              let own =
                  boltzmannGraph.Value
                  |> List.collect (fun e -> [ e.From; e.To ])
                  |> List.filter (within "RateLab.Boltzmann")
                  |> List.distinct

              Expect.isNonEmpty own "RateLab.Boltzmann's namespaces are read"

              for from in own do
                  Expect.equal
                      (outside boltzmannGraph.Value from (own @ boltzmannMayUse))
                      []
                      $"{from} must use only its own namespaces and {boltzmannMayUse}"
          }

          test "RateLab.Core references no RateLab.Boltzmann type" {
              // The reader sees the reference that does exist, the other way round, so an empty answer below is not
              // the answer of a blind reader.
              Expect.contains
                  (referencedAssemblies boltzmann)
                  "RateLab.Core"
                  "RateLab.Boltzmann references RateLab.Core"
              // No assembly reference (the compiler writes one for any type used), no namespace edge in the IL or in
              // a `using` line.
              let references = referencedAssemblies core
              let listed = String.concat ", " references

              Expect.isFalse
                  (List.contains "RateLab.Boltzmann" references)
                  $"RateLab.Core references RateLab.Boltzmann (its references: {listed})"

              let into =
                  graph.Value
                  |> List.filter (fun e -> within "RateLab.Boltzmann" e.To)
                  |> List.map (fun e -> $"{e.From} -> {e.To} ({e.Because})")

              Expect.equal into [] "RateLab.Core must not use RateLab.Boltzmann"
          } ]
