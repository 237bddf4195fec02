/// The namespace dependency graph of RateLab.Core and RateLab.Boltzmann, read two ways: from the compiled assemblies
/// (every type named in a signature, a base type, an interface or a method body's IL) and from the sources' `using`
/// lines. The first sees what the code really uses, the second what a reader is told it uses; the tests ask both to be
/// acyclic. The assemblies' reference lists show which assembly uses which.
module RateLab.Properties.Architecture.NamespaceGraph

open System
open System.IO
open System.Reflection
open System.Reflection.Emit
open System.Text.RegularExpressions

/// A dependency from one namespace to another, with one place that causes it (for the failure message).
type Edge =
    { From: string
      To: string
      Because: string }

/// The assemblies whose namespaces the graph holds; each one's namespaces are its name and the names below it.
let roots = [ "RateLab.Core"; "RateLab.Boltzmann" ]

/// Whether a namespace belongs to the assembly `root` (its name, or a name below it).
let within (root: string) (ns: string) =
    ns = root || ns.StartsWith(root + ".", StringComparison.Ordinal)

/// Namespaces of RateLab.Core and RateLab.Boltzmann a type mentions: its own, its generic arguments' and its element
/// type's.
let rec private namespacesOf (t: Type | null) : string list =
    match t with
    | null -> []
    | t when t.HasElementType -> namespacesOf (t.GetElementType())
    | t ->
        let own =
            match t.Namespace with
            | null -> []
            | n -> [ n ]

        let args =
            if t.IsGenericType then
                t.GetGenericArguments() |> Seq.collect namespacesOf |> List.ofSeq
            else
                []

        (own @ args)
        |> List.filter (fun n -> roots |> List.exists (fun r -> within r n))

let private flags =
    BindingFlags.DeclaredOnly
    ||| BindingFlags.Public
    ||| BindingFlags.NonPublic
    ||| BindingFlags.Instance
    ||| BindingFlags.Static

/// Every IL opcode by its encoding (one byte, or 0xFE then one byte), so a body can be walked operand by operand.
let private opcodes =
    typeof<OpCodes>.GetFields(BindingFlags.Public ||| BindingFlags.Static)
    |> Array.map (fun f -> f.GetValue null :?> OpCode)
    |> Array.map (fun o -> uint16 o.Value, o)
    |> dict

/// The metadata tokens (types, methods, fields) a method body refers to.
let private tokens (body: byte[]) =
    let found = ResizeArray<int>()
    let mutable i = 0

    while i < body.Length do
        let code =
            if body.[i] = 0xFEuy then
                i <- i + 2
                0xFE00us ||| uint16 body.[i - 1]
            else
                i <- i + 1
                uint16 body.[i - 1]

        let op = opcodes.[code]

        match op.OperandType with
        | OperandType.InlineField
        | OperandType.InlineMethod
        | OperandType.InlineType
        | OperandType.InlineTok ->
            found.Add(BitConverter.ToInt32(body, i))
            i <- i + 4
        | OperandType.InlineNone -> ()
        | OperandType.ShortInlineBrTarget
        | OperandType.ShortInlineI
        | OperandType.ShortInlineVar -> i <- i + 1
        | OperandType.InlineVar -> i <- i + 2
        | OperandType.InlineI8
        | OperandType.InlineR -> i <- i + 8
        | OperandType.InlineSwitch -> i <- i + 4 + 4 * BitConverter.ToInt32(body, i)
        | _ -> i <- i + 4

    found

/// The types one method or constructor names: its signature and the members its body uses.
let private typesOf (m: MethodBase) : seq<Type | null> =
    seq {
        for p in m.GetParameters() do
            yield p.ParameterType

        match m with
        | :? MethodInfo as mi -> yield mi.ReturnType
        | _ -> ()

        match m.GetMethodBody() with
        | null -> ()
        | body ->
            // Generic contexts resolve tokens that name a type or method parameter (!0, !!0).
            let typeArgs =
                match m.DeclaringType with
                | null -> [||]
                | d -> if d.IsGenericType then d.GetGenericArguments() else [||]

            let methodArgs = if m.IsGenericMethod then m.GetGenericArguments() else [||]

            match body.GetILAsByteArray() with
            | null -> ()
            | il ->
                for token in tokens il do
                    match m.Module.ResolveMember(token, typeArgs, methodArgs) with
                    | :? Type as t -> yield t
                    | :? FieldInfo as f ->
                        yield f.DeclaringType
                        yield f.FieldType
                    | :? MethodBase as callee ->
                        yield callee.DeclaringType

                        if callee.IsGenericMethod then
                            for a in callee.GetGenericArguments() do
                                yield a
                    | _ -> ()
    }

/// The namespace edges the compiled assembly shows (self-edges dropped).
let reflected (assembly: Assembly) : Edge list =
    [ for t in assembly.GetTypes() do
          match t.Namespace with
          | null -> () // compiler-generated helpers outside any namespace
          | from ->
              let named: seq<Type | null> =
                  seq {
                      yield t.BaseType

                      for i in t.GetInterfaces() do
                          yield i

                      for f in t.GetFields flags do
                          yield f.FieldType

                      for p in t.GetProperties flags do
                          yield p.PropertyType

                      for m in t.GetMethods flags do
                          yield! typesOf m

                      for c in t.GetConstructors flags do
                          yield! typesOf c
                  }

              for used in named do
                  for target in namespacesOf used do
                      if target <> from then
                          let name =
                              match used with
                              | null -> ""
                              | u -> u.Name

                          yield
                              { From = from
                                To = target
                                Because = $"{t.FullName} uses {name}" } ]

let private namespaceLine =
    Regex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)

let private usingLine =
    Regex(@"^using\s+(RateLab\.(?:Core|Boltzmann)\b[\w.]*)\s*;", RegexOptions.Multiline)

/// The namespace edges the `using` lines of the C# sources under `root` declare (self-edges dropped).
let declared (root: string) : Edge list =
    [ for file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories) do
          let sep = string Path.DirectorySeparatorChar

          if not (file.Contains(sep + "obj" + sep) || file.Contains(sep + "bin" + sep)) then
              let text = File.ReadAllText file
              let ns = namespaceLine.Match text

              if ns.Success then
                  for u in usingLine.Matches text do
                      let target = u.Groups.[1].Value

                      if target <> ns.Groups.[1].Value then
                          yield
                              { From = ns.Groups.[1].Value
                                To = target
                                Because = $"{Path.GetFileName file} has `using {target};`" } ]

/// The names of the assemblies `assembly` references, sorted: its metadata's assembly references, which the compiler
/// writes for exactly the assemblies whose types or members the code names.
let referencedAssemblies (assembly: Assembly) : string list =
    assembly.GetReferencedAssemblies()
    |> Array.choose (fun a -> Option.ofObj a.Name)
    |> Array.sort
    |> List.ofArray

/// The strongly connected components with more than one namespace (Tarjan), each sorted, in sorted order: the
/// namespace cycles. Empty exactly when the graph is acyclic.
let cycles (edges: Edge list) : string list list =
    let next =
        edges
        |> List.groupBy (fun e -> e.From)
        |> List.map (fun (k, es) -> k, es |> List.map (fun e -> e.To) |> List.distinct)
        |> Map.ofList

    let nodes =
        edges |> List.collect (fun e -> [ e.From; e.To ]) |> List.distinct |> List.sort

    let index = Collections.Generic.Dictionary<string, int>()
    let low = Collections.Generic.Dictionary<string, int>()
    let stack = Collections.Generic.Stack<string>()
    let onStack = Collections.Generic.HashSet<string>()
    let components = ResizeArray<string list>()

    let rec visit v =
        index.[v] <- index.Count
        low.[v] <- index.[v]
        stack.Push v
        onStack.Add v |> ignore

        for w in Map.tryFind v next |> Option.defaultValue [] do
            if not (index.ContainsKey w) then
                visit w
                low.[v] <- min low.[v] low.[w]
            elif onStack.Contains w then
                low.[v] <- min low.[v] index.[w]

        if low.[v] = index.[v] then
            let mutable members = []
            let mutable fin = false

            while not fin do
                let w = stack.Pop()
                onStack.Remove w |> ignore
                members <- w :: members
                fin <- (w = v)

            if members.Length > 1 then
                components.Add(List.sort members)

    for v in nodes do
        if not (index.ContainsKey v) then
            visit v

    components |> List.ofSeq |> List.sort

/// A cycle in words: each edge inside it with one cause, so the message says what to move.
let explain (edges: Edge list) (members: string list) =
    let inside = Set.ofList members

    edges
    |> List.filter (fun e -> inside.Contains e.From && inside.Contains e.To)
    |> List.distinctBy (fun e -> e.From, e.To)
    |> List.map (fun e -> $"{e.From} -> {e.To} ({e.Because})")
    |> String.concat "; "
