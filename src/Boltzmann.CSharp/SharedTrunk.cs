namespace RateLab.Boltzmann;

/// <summary>
/// The state flow of DB and SubTB reads the policy network's time and state encoders (the trunk: φ₀, the time MLP and
/// the state layer, θ[0, <see cref="Length"/>)), as in the authors' code, where the flow head is applied to the policy's
/// embeddings (gfn-diffusion: <c>flow_model(s_model(x), t_model(t))</c>) and the flow's loss trains those encoders at the
/// policy's learning rate. Only the heads are separate (docs/algorithms.md).
/// The two networks keep their own arrays: <see cref="Sync"/> copies the policy's trunk into the flow network after
/// every change, and <see cref="FoldGradient"/> adds the flow's trunk gradient to the policy's and clears it; together
/// they give the gradient of the shared parameters. The flow's optimiser group owns its head only (from
/// <see cref="Length"/> on).
/// </summary>
public sealed class SharedTrunk
{
    readonly TimeStateMlp policy, flow;

    /// <summary>Ties <paramref name="flow"/>'s trunk to <paramref name="policy"/>'s; both must have the same state
    /// dimension, width and harmonics.</summary>
    public SharedTrunk(TimeStateMlp policy, TimeStateMlp flow)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(flow);
        if (policy.d != flow.d || policy.w != flow.w || policy.hh != flow.hh)
            throw new ArgumentException(
                $"flow (d = {flow.d}, width = {flow.w}, harmonics = {flow.hh}) is out of range; allowed: the policy's trunk (d = {policy.d}, width = {policy.w}, harmonics = {policy.hh}).",
                nameof(flow));
        this.policy = policy; this.flow = flow;
    }

    /// <summary>Number of shared parameters (the trunk's entries come first in both layouts).</summary>
    public int Length => policy.TrunkLength;

    /// <summary>Copies the policy's trunk into the flow network.</summary>
    public void Sync() => Array.Copy(policy.Parameters, flow.Parameters, Length);

    /// <summary>Adds the flow network's trunk gradient to the policy's and clears it.</summary>
    public void FoldGradient()
    {
        var from = flow.Gradient; var to = policy.Gradient;
        for (int i = 0; i < Length; i++) to[i] += from[i];
        Array.Clear(from, 0, Length);
    }
}
