using System.Security.Cryptography;

namespace RateLab.Boltzmann;

/// <summary>
/// Binary checkpoint of a <see cref="Trainer"/>: settings fingerprint, iteration (= RNG position of the counter-based
/// stream), log Z, Adam step count and, per parameter group, θ, m and v — everything a resumed run needs to continue
/// bit-identically — followed by the SHA-256 of all that. Written to a temporary file and renamed over the target, so
/// a crash never leaves a torn checkpoint; verified when read, so a damaged one is refused instead of resumed from.
/// </summary>
public static class Checkpoint
{
    // Format 2 added the SHA-256 trailer; a format-1 file is refused like any unreadable one (its run starts afresh).
    const string Magic = "RateLab.Boltzmann.Checkpoint/2";

    /// <summary>Atomically writes <paramref name="trainer"/>'s state to <paramref name="path"/>.</summary>
    public static void Save(Trainer trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var body = new MemoryStream();
        using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(trainer.Settings.Fingerprint());
            w.Write(trainer.Iteration);
            w.Write(trainer.LogZ);
            var opt = trainer.Optimizer;
            w.Write(opt.StepCount);
            w.Write(opt.Groups.Count);
            for (int k = 0; k < opt.Groups.Count; k++)
                foreach (var a in new[] { opt.Groups[k].Parameters, opt.FirstMoments[k], opt.SecondMoments[k] })
                {
                    w.Write(a.Length);
                    foreach (var v in a) w.Write(v);
                }
        }
        byte[] content = body.ToArray();
        byte[] hash = SHA256.HashData(content);
        // A unique temporary in the target's directory (same file system for the rename): concurrent writers of one
        // path never share it, and its name follows the dot-prefixed pattern the output sweeps recognise.
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Write(hash);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>The settings fingerprint stored in <paramref name="path"/>, to rebuild its trainer
    /// (<see cref="TrainingSettings.FromFingerprint"/>) before <see cref="Load"/>.</summary>
    public static string ReadFingerprint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var r = new BinaryReader(new MemoryStream(VerifiedContent(path)));
        r.ReadString();
        return r.ReadString();
    }

    /// <summary>Restores the state in <paramref name="path"/> into <paramref name="trainer"/>, built with the same
    /// settings. The file is verified and read whole before anything is assigned, so a refused checkpoint
    /// (<see cref="InvalidDataException"/> when damaged, <see cref="ArgumentException"/> for other settings) leaves
    /// the trainer as it was.</summary>
    public static void Load(Trainer trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var r = new BinaryReader(new MemoryStream(VerifiedContent(path)));
        r.ReadString();
        string fp = r.ReadString();
        if (fp != trainer.Settings.Fingerprint())
            throw new ArgumentException($"checkpoint settings '{fp}' differ from the trainer's '{trainer.Settings.Fingerprint()}'.", nameof(trainer));
        long iteration = r.ReadInt64();
        double logZ = r.ReadDouble();
        var opt = trainer.Optimizer;
        long steps = r.ReadInt64();
        if (r.ReadInt32() != opt.Groups.Count) throw new InvalidDataException($"{path}: parameter group count differs.");
        var arrays = new List<(double[] Into, double[] Read)>();
        for (int k = 0; k < opt.Groups.Count; k++)
            foreach (var a in new[] { opt.Groups[k].Parameters, opt.FirstMoments[k], opt.SecondMoments[k] })
            {
                if (r.ReadInt32() != a.Length) throw new InvalidDataException($"{path}: group {k} has a different size.");
                var read = new double[a.Length];
                for (int i = 0; i < read.Length; i++) read[i] = r.ReadDouble();
                arrays.Add((a, read));
            }
        if (r.BaseStream.Position != r.BaseStream.Length) throw new InvalidDataException($"{path}: trailing data.");
        trainer.Iteration = iteration;
        trainer.LogZ = logZ;
        opt.StepCount = steps;
        foreach (var (into, read) in arrays) read.CopyTo(into, 0);
    }

    /// <summary>The content of a checkpoint whose magic and SHA-256 trailer check out, or
    /// <see cref="InvalidDataException"/> naming the file.</summary>
    static byte[] VerifiedContent(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        int n = file.Length - SHA256.HashSizeInBytes;
        if (n <= 0) throw new InvalidDataException($"{path} is not a RateLab Boltzmann checkpoint (too short).");
        byte[] content = file[..n];
        string magic;
        try
        {
            using var r = new BinaryReader(new MemoryStream(content));
            magic = r.ReadString();
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            magic = "";
        }
        if (magic != Magic) throw new InvalidDataException($"{path} is not a RateLab Boltzmann checkpoint of format {Magic}.");
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(file.AsSpan(n)))
            throw new InvalidDataException($"{path}: its SHA-256 does not match its content (a damaged checkpoint).");
        return content;
    }
}
