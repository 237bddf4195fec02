namespace RateLab.Analysis.Experiments

open System
open System.IO
open System.Text.RegularExpressions
open System.Security.Cryptography
open System.Text
open System.Text.Json.Nodes

/// Writes that never leave a half-written file behind: a reader sees the old content or the new, nothing between.
module AtomicFile =
    /// The names of the temporaries writeAllBytes creates: ".<target name>.<32 hex digits>.tmp".
    let tempPattern = Regex(@"^\..+\.[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant)

    /// Writes bytes to path atomically: a temp file in the same directory (so the rename stays on one file system),
    /// flushed to disk, then moved over the target.
    let writeAllBytes (path: string) (content: byte[]) =
        let full = Path.GetFullPath path
        let dir = nonNull (Path.GetDirectoryName full)
        Directory.CreateDirectory dir |> ignore
        let tmp = Path.Combine(dir, $".{Path.GetFileName full}.{Guid.NewGuid():N}.tmp")

        try
            do
                use fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None)
                fs.Write(content, 0, content.Length)
                fs.Flush true

            File.Move(tmp, full, true)
        finally
            if File.Exists tmp then
                File.Delete tmp

    /// Writes UTF-8 text (no byte-order mark) to path atomically.
    let writeAllText (path: string) (content: string) =
        writeAllBytes path (UTF8Encoding(false).GetBytes content)

    /// How much older than `before` a temporary must be to count as abandoned: a live writer moves its temporary
    /// within milliseconds of its last write, so a minute leaves no race with a writer that started just before us.
    let StaleMargin = TimeSpan.FromMinutes 1.0

    /// Deletes the temporaries killed writers left under `root` (all its subdirectories): only names of the temp
    /// pattern, last written more than StaleMargin before `before` (the process start), and not held open by a live
    /// writer (which opens them exclusively). Returns how many were deleted.
    let sweepStale (root: string) (before: DateTime) : int =
        if not (Directory.Exists root) then
            0
        else
            let stale (file: string) =
                tempPattern.IsMatch(nonNull (Path.GetFileName file))
                && File.GetLastWriteTimeUtc file < before.ToUniversalTime() - StaleMargin

            let tryDelete (file: string) =
                try
                    do
                        use _ = new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None)
                        ()

                    File.Delete file
                    true
                with
                | :? IOException
                | :? UnauthorizedAccessException -> false

            Directory.EnumerateFiles(root, ".*.tmp", SearchOption.AllDirectories)
            |> Seq.filter stale
            |> Seq.filter tryDelete
            |> Seq.length

/// Results cached by configuration: OUT/.cache/<hash>.json, hash = SHA-256 of (code-version salt, canonical JSON of
/// the configuration). Each entry is written atomically as soon as it is computed, so an interrupted run resumes from
/// every finished entry and a crash never leaves a corrupt one.
module Cache =
    /// Bump when the record format changes, so entries of another format are never read.
    [<Literal>]
    let FormatSalt = "ratelab-cache-2"

    /// The version of the numbers: bump it with any change that alters a computed result, so a cache committed by
    /// one session (a long run resumed across sessions) is reused by later builds exactly while their numbers agree.
    /// The numerics canary test (tests/Properties/Analysis/Experiments/NumericsCanaryTests.fs) recomputes every
    /// catalog sampler's exact law and fails when they moved without a bump here.
    [<Literal>]
    let NumericsVersion = "numerics-1"

    /// Revisions of a single metric's numbers since NumericsVersion was last bumped. A change that moves one metric
    /// only gets an entry here instead of a bump: the cache keys of runs measuring that metric change, and every other
    /// entry of a committed cache stays valid. Bumping NumericsVersion empties this map. The canary records it too.
    /// tv_lower 2: the TV lower bound of a Gaussian law takes the farthest block's exact TV as well as H².
    /// tv_lower 3: a deterministic kernel's law also gets its whole-law TV by characteristic-function inversion.
    /// tv_lower 4: that inversion's panels adapt, so its error bound (subtracted from the value) is narrower.
    let MetricRevisions: Map<string, int> = Map.ofList [ "tv_lower", 4 ]

    /// What a run's cache key adds for the revision of its metric (by stable name): "" at the base version.
    let revisionSuffix (metricName: string) =
        match Map.tryFind metricName MetricRevisions with
        | Some r -> $"/revision:{metricName}-{r}"
        | None -> ""

    /// A cache rooted at OUT/.cache with a code-version salt.
    type Store = { Directory: string; Salt: string }

    /// The cache of an output directory.
    let under (outDir: string) (salt: string) =
        if String.IsNullOrWhiteSpace salt then
            raise (ArgumentException($"salt = \"{salt}\" is out of range; allowed: a non-empty string.", "salt"))

        { Directory = Path.Combine(outDir, ".cache")
          Salt = salt }

    /// The stable hash of a configuration under a salt: lower-case hex SHA-256.
    let key (salt: string) (canonicalJson: string) =
        // The salt is length-prefixed so no (salt, config) pair can collide with another by shifting characters.
        let bytes = Encoding.UTF8.GetBytes($"{salt.Length}:{salt}\n{canonicalJson}")
        Convert.ToHexStringLower(SHA256.HashData bytes)

    /// The file an entry lives in.
    let path (store: Store) (canonicalJson: string) =
        Path.Combine(store.Directory, key store.Salt canonicalJson + ".json")

    /// The SHA-256 an entry records over its salt, configuration and payload: an entry whose value was edited (or
    /// written by a different serializer) no longer matches and is recomputed rather than trusted.
    let contentHash (salt: string) (canonicalJson: string) (payload: JsonNode) =
        key salt (canonicalJson + "\n" + payload.ToJsonString())

    /// What a lookup found.
    type Lookup =
        | Hit of JsonNode
        | Absent
        /// An entry exists but cannot be trusted (unreadable, other salt or configuration, hash mismatch).
        | Rejected of reason: string

    /// An entry file's object, or what is wrong with it ("is not valid JSON", "repeats a field", ...).
    let private readEntry (file: string) : Result<JsonObject, string> =
        try
            match JsonNode.Parse(File.ReadAllText file) with
            | :? JsonObject as o ->
                // Indexing builds the field map, which refuses a repeated field.
                o["salt"] |> ignore
                Ok o
            | _ -> Error "is not a JSON object"
        with
        | :? System.Text.Json.JsonException -> Error "is not valid JSON"
        | :? ArgumentException -> Error "repeats a field"
        | :? IOException
        | :? UnauthorizedAccessException as ex -> Error $"cannot be read ({ex.Message})"

    /// A string field of an entry, None when absent or of another type.
    let private textField (o: JsonObject) (name: string) =
        match o[name] with
        | :? JsonValue as v when v.GetValueKind() = System.Text.Json.JsonValueKind.String -> Some(v.GetValue<string>())
        | _ -> None

    /// Looks a configuration up, checking the entry's salt, configuration and content hash.
    let lookup (store: Store) (canonicalJson: string) : Lookup =
        let file = path store canonicalJson

        if not (File.Exists file) then
            Absent
        else
            match readEntry file with
            | Error problem -> Rejected $"it {problem}"
            | Ok o when
                textField o "salt" = Some store.Salt
                && textField o "config" = Some canonicalJson
                ->
                match o["payload"] with
                | null -> Rejected "it has no payload"
                | payload when textField o "sha256" = Some(contentHash store.Salt canonicalJson payload) -> Hit payload
                | _ -> Rejected "its content hash does not match its value"
            | Ok _ -> Rejected "it records another salt or configuration"

    /// The cached payload of a configuration, if a valid entry exists.
    let tryLoad (store: Store) (canonicalJson: string) : JsonNode option =
        match lookup store canonicalJson with
        | Hit payload -> Some payload
        | Absent
        | Rejected _ -> None

    /// Stores a payload for a configuration with its content hash, atomically.
    let store (store: Store) (canonicalJson: string) (payload: JsonNode) =
        let o = JsonObject()
        o["salt"] <- nonNull (JsonValue.Create store.Salt)
        o["config"] <- nonNull (JsonValue.Create canonicalJson)
        o["sha256"] <- nonNull (JsonValue.Create(contentHash store.Salt canonicalJson payload))
        o["payload"] <- payload.DeepClone()
        AtomicFile.writeAllText (path store canonicalJson) (o.ToJsonString())

    /// The cached value of a configuration, computing and storing it first when absent. An entry that cannot be
    /// trusted, or whose payload no longer decodes (a record format changed without a salt bump), is recomputed
    /// with one warning line through `warn`: recomputing is always safe.
    let getOrComputeReporting
        (warn: string -> unit)
        (store': Store)
        (encode: 'T -> JsonNode)
        (decode: JsonNode -> 'T)
        (canonicalJson: string)
        (compute: unit -> 'T)
        : 'T =
        let file = path store' canonicalJson

        let decoded =
            match lookup store' canonicalJson with
            | Hit node ->
                // Decoding is pure: whatever it throws (a missing field, a null, a wrong type) means the payload
                // does not decode, and recomputing is the remedy.
                try
                    Some(decode node)
                with ex when not (ex :? OutOfMemoryException) ->
                    warn $"cache entry {file} does not decode; recomputing it"
                    None
            | Absent -> None
            | Rejected reason ->
                warn $"cache entry {file} is not trusted ({reason}); recomputing it"
                None

        match decoded with
        | Some value -> value
        | None ->
            let value = compute ()
            store store' canonicalJson (encode value)
            value

    /// getOrComputeReporting without warnings.
    let getOrCompute store' encode decode canonicalJson compute =
        getOrComputeReporting ignore store' encode decode canonicalJson compute

    /// The finished entries of a cache directory, sorted; temp files of interrupted writes (dot-prefixed) are not
    /// entries.
    let entries (directory: string) =
        if Directory.Exists directory then
            Directory.GetFiles(directory, "*.json")
            |> Array.filter (fun f -> not ((nonNull (Path.GetFileName f)).StartsWith "."))
            |> Array.sort
            |> List.ofArray
        else
            []

    /// Copies one entry file into a store, for merging the caches of several shards. The file must be a valid entry
    /// of the store's salt whose name is the hash of its configuration; when the store already holds that key, the
    /// payloads must agree. Ok true: copied; Ok false: an equal entry was there; Error: one line naming the key.
    let importEntry (target: Store) (file: string) : Result<bool, string> =
        let name = nonNull (Path.GetFileNameWithoutExtension file)

        match readEntry file with
        | Error problem -> Error $"cache entry {name} ({file}) {problem}"
        | Ok o ->
            match textField o "salt", textField o "config" with
            | Some s, _ when s <> target.Salt ->
                Error $"cache entry {name} ({file}) was written by another version (salt {s}, expected {target.Salt})"
            | Some _, Some config when
                key target.Salt config = name
                && (match o["payload"], textField o "sha256" with
                    | null, _ -> false
                    | payload, hash -> hash = Some(contentHash target.Salt config payload))
                ->
                let destination = path target config

                match tryLoad target config with
                | Some existing when JsonNode.DeepEquals(existing, o["payload"]) -> Ok false
                | Some _ ->
                    Error $"cache entry {name}: two shards computed different results for one configuration ({file})"
                | None ->
                    AtomicFile.writeAllBytes destination (File.ReadAllBytes file)
                    Ok true
            | _ ->
                Error
                    $"cache entry {name} ({file}) fails its content check: its name is not its configuration's hash, or its content hash does not match its value"
