/// The quadrature study's cache path: a point read back from the report cache is the computed point, bit for bit.
module RateLab.Properties.Analysis.Studies.PoissonMidpointQuadratureStudyTests

open System.Collections.Generic
open System.Text.Json.Nodes
open Expecto
open RateLab.Analysis.Studies.PoissonMidpointQuadratureStudy

[<Tests>]
let tests =
    testList
        "Analysis.Studies.PoissonMidpointQuadratureStudy"
        [ test "a cached point is computed once and reads back bit for bit" {
              // The double well from π, K = 2, on a narrow window (251 nodes): cheap, and the key's fields all differ
              // from those of the report's problems.
              let problem =
                  { (problems [] |> List.head) with
                      Lower = -2.5
                      Upper = 2.5
                      K = 2 }

              let store = Dictionary<string, JsonNode>()
              let computed = ref 0

              let cached key (compute: unit -> JsonNode) =
                  if not (store.ContainsKey key) then
                      computed.Value <- computed.Value + 1
                      // Through text, as the cache stores it.
                      store.[key] <- nonNull (JsonNode.Parse((compute ()).ToJsonString()))

                  store.[key]

              let direct = point problem 2.0 1.0 16
              let first = pointCached cached problem 2.0 1.0 16
              let again = pointCached cached problem 2.0 1.0 16
              Expect.equal first direct "the cached point is the computed one"
              Expect.equal again direct "and so is the one read back"
              Expect.equal computed.Value 1 "computed once"
              pointCached cached problem 2.0 1.5 16 |> ignore
              Expect.equal computed.Value 2 "another refinement is another entry"
              pointCached cached { problem with K = 3 } 2.0 1.0 16 |> ignore
              Expect.equal computed.Value 3 "another K is another entry"

              pointCached
                  cached
                  { problem with
                      Start = FromGaussian(3.0, 0.25) }
                  2.0
                  1.0
                  16
              |> ignore

              Expect.equal computed.Value 4 "another start is another entry"
          } ]
