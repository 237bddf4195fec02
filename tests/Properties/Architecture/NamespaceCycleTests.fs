/// The layering of RateLab.Core (docs/library.md, "How RateLab.Core is layered"): no namespace cycles, and the kernel
/// contracts (RateLab.Core.Contracts) at the bottom, using no other namespace but the argument checks of
/// RateLab.Core.Validation, which use nothing. Read from the compiled assembly and from the sources' `using` lines;
/// the cycle finder is itself checked on planted graphs, so a finder that saw nothing could not pass.
module RateLab.Properties.Architecture.NamespaceCycleTests

open System.IO
open Expecto
open RateLab.Core.Contracts
open RateLab.Properties.RepoFiles
open RateLab.Properties.Architecture.NamespaceGraph

let private core = typeof<ISamplerKernel>.Assembly

let private sources =
    lazy (nonNull (Path.GetDirectoryName(repoFile "src/Core.CSharp/Core.CSharp.csproj")))

/// Both readings of the graph together.
let private graph = lazy (reflected core @ declared sources.Value)

let private edge a b =
    { From = a
      To = b
      Because = "planted" }

/// Namespaces that `from` depends on, with the causes, outside the allowed set.
let private outside (from: string) (allowed: string list) =
    graph.Value
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
          }

          test "RateLab.Core has no namespace cycles" {
              let found = cycles graph.Value
              let message = found |> List.map (explain graph.Value) |> String.concat "\n"
              Expect.equal found [] $"namespace cycles:\n{message}"
          }

          test "Contracts depend on nothing but Validation, and Validation on nothing" {
              let contracts = nonNull typeof<ISamplerKernel>.Namespace
              let validation = "RateLab.Core.Validation"
              Expect.equal (outside contracts [ validation ]) [] $"{contracts} must stay at the bottom"
              Expect.equal (outside validation []) [] $"{validation} must depend on nothing"
          } ]
