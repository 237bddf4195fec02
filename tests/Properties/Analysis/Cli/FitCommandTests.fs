/// `ratelab fit` end to end through Commands.execute with the real fit wiring: --window, --log-power, bad values,
/// and the 200 000-row file that once failed as "collinear".
module RateLab.Properties.Analysis.Cli.FitCommandTests

open System
open System.Globalization
open System.IO
open Expecto
open RateLab.Analysis.Cli
open RateLab.Analysis.Cli.Services
open RateLab.Properties.FakeServices
open RateLab.Properties.SyntheticCurves

let private services =
    { unwired with
        FitCsv = Wiring.fitInput }

let private exec argv =
    let ui, out, err = captured ()
    let code = Commands.execute services ui argv
    code, out.ToString(), err.ToString().TrimEnd()

let private writeCsv (dir: string) (costs: float[]) (errors: float[]) =
    let file = Path.Combine(dir, "points.csv")

    let rows =
        Array.map2
            (fun (c: float) (e: float) ->
                c.ToString("R", CultureInfo.InvariantCulture)
                + ","
                + e.ToString("R", CultureInfo.InvariantCulture))
            costs
            errors

    File.WriteAllLines(file, Array.append [| "cost,error" |] rows)
    file

/// The slope interval printed in the table row "slope on log(1/N)".
let private slopeInterval (out: string) =
    let row = out.Split('\n') |> Array.find (fun l -> l.Contains "slope on log(1/N)")

    let inside =
        row.Substring(row.IndexOf '[' + 1, row.IndexOf ']' - row.IndexOf '[' - 1).Split(',')

    Double.Parse(inside.[0], CultureInfo.InvariantCulture), Double.Parse(inside.[1], CultureInfo.InvariantCulture)

/// Whether the printed slope is within 5 standard errors of `p`, the standard error read off the printed 95 % interval
/// as its width over 2·1.96: a false failure has probability 5.7e-7 for a random seed (normal approximation), where
/// "p inside the 95 % interval" would fail one seed in twenty.
let private within5Se (out: string) (p: float) =
    let row = out.Split('\n') |> Array.find (fun l -> l.Contains "slope on log(1/N)")
    let cell = row.Split('|').[2].Trim()

    let estimate =
        Double.Parse(cell.Substring(0, cell.IndexOf ' '), CultureInfo.InvariantCulture)

    let lo, hi = slopeInterval out
    let se = (hi - lo) / (2.0 * 1.959964)
    Expect.isLessThanOrEqual (abs (estimate - p)) (5.0 * se) $"slope {estimate}, interval [{lo}, {hi}], p = {p}"

/// The user's case: cost = 1..n, error = cost^(−1.5)·(1 + 0.01·z).
let private userCase n seed =
    let c =
        { P = 1.5
          Noise = 0.01
          Uniform = false
          Count = n
          Spacing = Linear
          Seed = seed }

    let costs = costsOf c
    costs, Array.map2 (fun x z -> x ** -1.5 * z) costs (noiseOf c)

[<Tests>]
let tests =
    testList
        "Analysis.Cli.FitCommand"
        [ test "fit recovers 1.5 from cost = 1..1000 with 1 % noise and prints the rule and exclusions" {
              use dir = new TempDir()
              let costs, errors = userCase 1000 7UL
              let code, out, err = exec [| "fit"; writeCsv dir.Path costs errors |]
              Expect.equal code 0 err
              within5Se out 1.5
              Expect.stringContains out "quadratic in log cost" "rule text printed"
          }

          test "--window all fits every row and says so" {
              use dir = new TempDir()
              let costs, errors = userCase 50 8UL

              let code, out, err =
                  exec [| "fit"; writeCsv dir.Path costs errors; "--window"; "all" |]

              Expect.equal code 0 err
              Expect.stringContains out "Window: points 0–49 (--window all" "window note"
          }

          test "--window FROM:TO fits the rows in that cost range and lists the others as excluded" {
              use dir = new TempDir()
              let costs, errors = userCase 50 9UL

              let code, out, err =
                  exec [| "fit"; writeCsv dir.Path costs errors; "--window"; "10:20" |]

              Expect.equal code 0 err
              Expect.stringContains out "Window: points 9–19 " "window note"
              Expect.stringContains out "Not fitted: points 0–8, 20–49 (cost outside --window 10:20)" "exclusions"
          }

          testList
              "bad --window values"
              [ for bad in [ "some"; "5"; "0:10"; "20:10"; "1:x"; "1:2:3"; "-1:5" ] ->
                    test $"--window {bad} is a usage error naming the option" {
                        use dir = new TempDir()
                        let costs, errors = userCase 20 1UL
                        let code, _, err = exec [| "fit"; writeCsv dir.Path costs errors; "--window"; bad |]
                        Expect.equal code 2 "exit code"

                        Expect.equal
                            err
                            $"ratelab: --window: expected all, auto or FROM:TO with costs 0 < FROM ≤ TO, got \"{bad}\""
                            "message"
                    } ]

          test "--log-of without --log-power is a usage error" {
              use dir = new TempDir()
              let costs, errors = userCase 20 1UL

              let code, _, err =
                  exec [| "fit"; writeCsv dir.Path costs errors; "--log-of"; "cost" |]

              Expect.equal code 2 "exit code"
              Expect.stringContains err "--log-of" "names the option"
          }

          test "--log-power recovers the exponent of (ln N)^2·N^(-1)" {
              use dir = new TempDir()

              let c =
                  { P = 1.0
                    Noise = 0.01
                    Uniform = false
                    Count = 60
                    Spacing = LogSpaced 5.0
                    Seed = 3UL }

              let costs = costsOf c |> Array.map ((*) 2.0)
              let errors = Array.map2 (fun n z -> log n ** 2.0 / n * z) costs (noiseOf c)

              let code, out, err =
                  exec [| "fit"; writeCsv dir.Path costs errors; "--log-power"; "2" |]

              Expect.equal code 0 err
              within5Se out 1.0
              Expect.stringContains out "(ln N)^2" "model named"
          }

          test "200 000 rows fit (no false collinearity) and recover 1.5" {
              use dir = new TempDir()
              let costs, errors = userCase 200000 11UL
              let code, out, err = exec [| "fit"; writeCsv dir.Path costs errors |]
              Expect.equal code 0 err
              within5Se out 1.5
              Expect.isLessThan out.Length 20000 "the note prints index runs, not 200 000 indices"
          }

          test "a decay file's rows may come in any order: the fit equals the sorted file's" {
              use dir = new TempDir()
              let costs, errors = userCase 40 5UL
              let _, sorted, _ = exec [| "fit"; writeCsv dir.Path costs errors |]
              let order = Array.init costs.Length id |> Array.rev

              let file =
                  writeCsv dir.Path (Array.map (Array.get costs) order) (Array.map (Array.get errors) order)

              let code, shuffled, err = exec [| "fit"; file |]
              Expect.equal code 0 err
              Expect.equal shuffled sorted "same table and note"
          }

          test "repeated costs, too few rows and log options the file cannot take are refused in one line" {
              use dir = new TempDir()

              let refused (argv: string[]) (expected: string) =
                  let code, _, err = exec argv
                  Expect.equal code 2 $"{argv}: exit code ({err})"
                  Expect.isFalse (err.Contains '\n') "one line"
                  Expect.stringContains err expected "names the problem"

              let repeated = writeCsv dir.Path [| 1.0; 2.0; 2.0; 4.0 |] [| 1.0; 0.5; 0.5; 0.25 |]
              refused [| "fit"; repeated |] "line 4: cost 2 repeats an earlier row's"
              let two = writeCsv dir.Path [| 1.0; 2.0 |] [| 1.0; 0.5 |]
              refused [| "fit"; two |] "expected at least 3 data rows, got 2"
              let costs, errors = userCase 20 5UL
              let file = writeCsv dir.Path costs errors
              refused [| "fit"; file; "--log-power"; "1e308" |] "--log-power = 1E+308: allowed a number in [-10, 10]"
              refused [| "fit"; file; "--log-power"; "1"; "--log-of"; "d/eps" |] "--log-of: d/eps and 1/eps need"
          }

          test "fit --help states the automatic window rule" {
              let code, out, _ = exec [| "fit"; "--help" |]
              Expect.equal code 0 "exit code"
              // Argu wraps the usage text, so compare with whitespace runs collapsed.
              let flat = System.Text.RegularExpressions.Regex.Replace(out, @"\s+", " ")
              Expect.stringContains flat "within 2× of its noise floor" "floor factor in help"
              Expect.stringContains flat "quadratic in log cost" "curvature test in help"
          } ]
