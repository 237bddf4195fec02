namespace RateLab.Boltzmann;

/// <summary>
/// Binary checkpoint of a <see cref="Trainer"/>: settings fingerprint, iteration (= RNG position of the counter-based
/// stream), log Z, Adam step count and, per parameter group, θ, m and v — everything a resumed run needs to continue
/// bit-identically. Written to a temporary file and renamed over the target, so a crash never leaves a torn checkpoint.
/// </summary>
public static class Checkpoint
{
    const string Magic = "RateLab.Boltzmann.Checkpoint/1";

    /// <summary>Atomically writes <paramref name="trainer"/>'s state to <paramref name="path"/>.</summary>
    public static void Save(Trainer trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new BinaryWriter(stream))
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
            w.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The settings fingerprint stored in <paramref name="path"/>, to rebuild its trainer
    /// (<see cref="TrainingSettings.FromFingerprint"/>) before <see cref="Load"/>.</summary>
    public static string ReadFingerprint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadString() != Magic) throw new InvalidDataException($"{path} is not a RateLab Boltzmann checkpoint.");
        return r.ReadString();
    }

    /// <summary>Restores the state in <paramref name="path"/> into <paramref name="trainer"/>, built with the same settings.</summary>
    public static void Load(Trainer trainer, string path)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var r = new BinaryReader(File.OpenRead(path));
        if (r.ReadString() != Magic) throw new InvalidDataException($"{path} is not a RateLab Boltzmann checkpoint.");
        string fp = r.ReadString();
        if (fp != trainer.Settings.Fingerprint())
            throw new ArgumentException($"checkpoint settings '{fp}' differ from the trainer's '{trainer.Settings.Fingerprint()}'.", nameof(trainer));
        trainer.Iteration = r.ReadInt64();
        trainer.LogZ = r.ReadDouble();
        var opt = trainer.Optimizer;
        opt.StepCount = r.ReadInt64();
        if (r.ReadInt32() != opt.Groups.Count) throw new InvalidDataException($"{path}: parameter group count differs.");
        for (int k = 0; k < opt.Groups.Count; k++)
            foreach (var a in new[] { opt.Groups[k].Parameters, opt.FirstMoments[k], opt.SecondMoments[k] })
            {
                if (r.ReadInt32() != a.Length) throw new InvalidDataException($"{path}: group {k} has a different size.");
                for (int i = 0; i < a.Length; i++) a[i] = r.ReadDouble();
            }
    }
}
