"""RateLab's trajectory-balance case recomputed by the authors' own code: gfn-diffusion (Sendera et al. 2024,
github.com/GFNOrg/gfn-diffusion, folder energy_sampling/), the code behind the published numbers our training study
reproduces.

Usage: gfn_diffusion_check.py CASE.json CHECKOUT
  CASE.json  a uniform-grid case written by `RateLab.Bench nn-dump DIR` (DIR/nn-uniform-d*.json)
  CHECKOUT   a clone of gfn-diffusion

Builds their GFN (PIS architecture, learned variance, t_scale = σ²) with RateLab's weights and log Z, and makes their
own sampling loop retrace RateLab's trajectories: their torch.randn_like is served the normals that reproduce RateLab's
states under their drift. Then runs their trajectory-balance loss (gflownet_losses.fwd_tb) with its backward pass and
their evaluation (evaluations.log_partition_function, which gives ΔlogZ's and ΔlogZ^RW's estimates). Prints one JSON
line with the largest differences from RateLab: per-step log π→ and log π←, per-trajectory log weights, loss,
θ-gradient, log Z gradient, the ELBO and the importance-weighted log Z.

Their code runs in float64 here (the default dtype is set before it builds anything), so the differences measure the
two implementations, not two precisions. Modules their import chain names but the checked functions never call (PIL,
einops, ot) are stubbed when they are not installed.
"""
import json
import math
import os
import sys
import types

import torch

torch.set_default_dtype(torch.float64)


def import_their_code(checkout):
    root = os.path.join(checkout, "energy_sampling")
    if not os.path.isdir(root):
        sys.exit(f"error: CHECKOUT = {checkout} has no energy_sampling/ folder; pass a clone of gfn-diffusion")
    for name in ("PIL", "einops", "ot"):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            if name == "einops":
                def rearrange(*_, **__):
                    raise RuntimeError("einops is stubbed: the PIS architecture should not call it")
                stub.rearrange = rearrange
            sys.modules[name] = stub
    sys.path.insert(0, root)
    from models.gfn import GFN
    import gflownet_losses
    import evaluations
    return GFN, gflownet_losses, evaluations


def their_tensors(gfn):
    """Their parameters in RateLab's flat order: φ₀, then each linear layer's weight (out × in) and bias."""
    layers = [gfn.t_model.t_model[0], gfn.t_model.t_model[2], gfn.s_model.x_model,
              gfn.joint_model.model[1][0], gfn.joint_model.model[2][0], gfn.joint_model.model[3]]
    ts = [gfn.t_model.timestep_phase]
    for layer in layers:
        ts += [layer.weight, layer.bias]
    return ts


def load_flat(gfn, theta, log_z):
    i = 0
    with torch.no_grad():
        for p in their_tensors(gfn):
            n = p.numel()
            p.copy_(torch.tensor(theta[i:i + n]).view_as(p))
            i += n
        gfn.flow_model.fill_(log_z)
    if i != len(theta):
        sys.exit(f"error: RateLab's case has {len(theta)} parameters, their network {i}")


class ReplayedNormals:
    """Serves, in call order, the normals that make their step x + Δ m + √Δ e^{ℓ/2} z land on RateLab's next state."""

    def __init__(self, normals):
        self.normals, self.next, self.original = normals, 0, torch.randn_like

    def __enter__(self):
        self.next = 0
        torch.randn_like = self.serve
        return self

    def serve(self, like, **_):
        z = self.normals[self.next]
        self.next += 1
        assert z.shape == like.shape
        return z.clone()

    def __exit__(self, *_):
        torch.randn_like = self.original
        assert self.next == len(self.normals), "their loop drew a different number of normals"


def rel(a, b):
    """Largest |a − b| relative to the largest |b|."""
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-300)).item()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    c = json.load(open(sys.argv[1]))
    GFN, losses, evaluations = import_their_code(sys.argv[2])
    d, B, N, sigma = c["d"], c["batch"], c["steps"], c["sigma"]
    if c.get("grid") != "uniform":
        sys.exit(f"error: grid = {c.get('grid')} in {sys.argv[1]}; gfn-diffusion steps a uniform grid only")
    gfn = GFN(d, c["width"], c["width"], c["harmonics"], c["width"], log_var_range=4.0, t_scale=sigma * sigma,
              learned_variance=True, trajectory_length=N, pis_architectures=True, joint_layers=2, zero_init=False,
              device=torch.device("cpu"))
    load_flat(gfn, c["parameters"], c["log_z"])

    times = torch.tensor(c["times"]).view(B, N + 1)
    grid_error = (times - torch.arange(N + 1) * gfn.dt).abs().max().item()
    states = torch.tensor(c["states"]).view(B, N + 1, d)
    log_reward = torch.tensor(c["log_reward"])

    normals = []
    with torch.no_grad():
        for i in range(N):
            out, _ = gfn.predict_next_state(states[:, i], i * gfn.dt, None)
            mean, log_var = gfn.split_params(out)
            step = states[:, i + 1] - states[:, i] - gfn.dt * mean
            normals.append(step / (math.sqrt(gfn.dt) * (log_var / 2).exp()))
    replay = ReplayedNormals(normals)

    final_state_error = [0.0]

    def log_reward_fn(x):
        final_state_error[0] = max(final_state_error[0], rel(x, states[:, -1]))
        return log_reward.clone()

    start = torch.zeros(B, d)
    with replay, torch.no_grad():
        their_states, log_pf, log_pb, _ = gfn.get_trajectory_fwd(start, None, log_reward_fn)
    log_weights = log_reward + log_pb.sum(1) - log_pf.sum(1)

    with replay:
        loss = losses.fwd_tb(start, gfn, log_reward_fn)
    loss.backward()
    gradient = torch.cat([p.grad.reshape(-1) for p in their_tensors(gfn)])

    with replay:
        _, log_z_rw, log_z_lb, _ = evaluations.log_partition_function(start, gfn, log_reward_fn)

    print(json.dumps({
        "d": d, "batch": B, "steps": N,
        "grid_max_abs_difference": grid_error,
        "states_max_relative_difference": rel(their_states, states),
        "final_states_max_relative_difference": final_state_error[0],
        "log_forward_max_relative_difference": rel(log_pf, torch.tensor(c["log_forward"]).view(B, N)),
        "log_backward_max_relative_difference": rel(log_pb, torch.tensor(c["log_backward"]).view(B, N)),
        "log_weights_max_relative_difference": rel(log_weights, torch.tensor(c["log_weights"])),
        "loss_relative_difference": rel(loss.item(), c["loss"]),
        "gradient_max_relative_difference": rel(gradient, torch.tensor(c["gradient"])),
        "log_z_gradient_relative_difference": rel(gfn.flow_model.grad.item(), c["log_z_gradient"]),
        "elbo_difference": log_z_lb.item() - c["elbo"],
        "importance_weighted_difference": log_z_rw.item() - c["log_z_importance_weighted"],
    }))


if __name__ == "__main__":
    main()
