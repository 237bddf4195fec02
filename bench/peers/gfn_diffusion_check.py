"""RateLab's training case recomputed by the authors' own code: gfn-diffusion (Sendera et al. 2024,
github.com/GFNOrg/gfn-diffusion, folder energy_sampling/), the code behind the published numbers our training study
reproduces.

Usage: gfn_diffusion_check.py CASE.json CHECKOUT
       gfn_diffusion_check.py train TRACE.json CHECKOUT
  CASE.json  a uniform-grid case written by `RateLab.Bench nn-dump DIR`: nn-uniform-d*.json (TB),
             nn-db-uniform-d*.json (DB) or nn-subtb-uniform-d*.json (SubTB), both with the forward-looking flow,
             or nn-kl-uniform-d*.json (KL, their `pis`: gradients through the simulated states)
  CHECKOUT   a clone of gfn-diffusion

Builds their GFN (PIS architecture, learned variance, t_scale = σ²; for DB and SubTB the conditional flow with partial
energy, i.e. the forward-looking flow, whose head reads the policy's time and state embeddings) with RateLab's weights
and log Z, and makes their own sampling loop retrace RateLab's trajectories: their torch.randn_like is served the normals
that reproduce RateLab's states under their drift. Then runs their loss (gflownet_losses.fwd_tb, db, subtb or pis) with its
backward pass and their evaluation (evaluations.log_partition_function, which gives ΔlogZ's and ΔlogZ^RW's estimates).
Their SubTB loss is a sum over the batch without the factor 1/2, so it and its gradients are divided by 2B before the
comparison. Prints one JSON line with the largest differences from RateLab: per-step log π→ and log π←,
per-trajectory log weights, loss, θ-gradient (policy, trunk included), the flow head's gradient (DB, SubTB) or log Z's
(TB), the ELBO and the importance-weighted log Z.

`train` replays a short training run (DIR/nn-train-*.json of `nn-dump`, any of the five objectives): from RateLab's
initial parameters, each iteration serves their loop the normals that retrace that iteration's RateLab trajectories
under their current parameters, then runs their loss (train.py's dispatch, and `pis` for KL), backward and their
optimiser (utils.get_gfn_optimizer: Adam, policy and flow / log Z learning rates). Prints one JSON line with the
largest relative differences of the final parameters from RateLab's.

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
    from utils import cal_subtb_coef_matrix
    return GFN, gflownet_losses, evaluations, cal_subtb_coef_matrix


def their_tensors(gfn):
    """Their parameters in RateLab's flat order: φ₀, then each linear layer's weight (out × in) and bias."""
    layers = [gfn.t_model.t_model[0], gfn.t_model.t_model[2], gfn.s_model.x_model,
              gfn.joint_model.model[1][0], gfn.joint_model.model[2][0], gfn.joint_model.model[3]]
    ts = [gfn.t_model.timestep_phase]
    for layer in layers:
        ts += [layer.weight, layer.bias]
    return ts


def their_flow_head(gfn):
    """Their flow head's parameters in RateLab's order (the entries of RateLab's flow network after its trunk)."""
    layers = [gfn.flow_model.model[1][0], gfn.flow_model.model[2][0], gfn.flow_model.model[3]]
    return [t for layer in layers for t in (layer.weight, layer.bias)]


def load(tensors, theta):
    i = 0
    with torch.no_grad():
        for p in tensors:
            n = p.numel()
            p.copy_(torch.tensor(theta[i:i + n]).view_as(p))
            i += n
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


def replay_normals(gfn, states):
    """The normals under which their step lands on each next state, with their current parameters."""
    normals = []
    with torch.no_grad():
        for i in range(states.shape[1] - 1):
            out, _ = gfn.predict_next_state(states[:, i], i * gfn.dt, None)
            mean, log_var = gfn.split_params(out)
            step = states[:, i + 1] - states[:, i] - gfn.dt * mean
            normals.append(step / (math.sqrt(gfn.dt) * (log_var / 2).exp()))
    return ReplayedNormals(normals)


def log_reward_fn(x):
    """The cases' target: log R(x) = −|x − 0.5|² / (2 · 1.5), RateLab's unnormalised N(0.5, 1.5 I)."""
    return (-(x - 0.5) ** 2 / (2 * 1.5)).sum(-1)


MODES = {"TrajectoryBalance": "tb", "VarGrad": "tb-avg", "DetailedBalance": "db", "SubTrajectoryBalance": "subtb"}


def train(trace_path, checkout):
    c = json.load(open(trace_path))
    GFN, losses, _, coefficients = import_their_code(checkout)
    from utils import get_gfn_optimizer, get_gfn_forward_loss
    d, B, N, K, sigma = c["d"], c["batch"], c["steps"], c["iterations"], c["sigma"]
    objective = c["objective"]
    local = objective in ("DetailedBalance", "SubTrajectoryBalance")
    gfn = GFN(d, c["width"], c["width"], c["harmonics"], c["width"], t_scale=sigma * sigma, learned_variance=False,
              trajectory_length=N, pis_architectures=True, joint_layers=2, zero_init=True, partial_energy=local,
              conditional_flow_model=local, device=torch.device("cpu"))
    load(their_tensors(gfn), c["initial_policy"])
    start = c["flow_start"]
    if local:
        load(their_flow_head(gfn), c["initial_second"][start:])
    elif objective == "TrajectoryBalance":
        with torch.no_grad():
            gfn.flow_model.fill_(c["initial_second"][0])
    optimiser = get_gfn_optimizer(gfn, c["policy_learning_rate"], c["flow_learning_rate"], 1e-3, False, local)
    coefficient_matrix = coefficients(c["sub_tb_lambda"], N)
    states = torch.tensor(c["states"]).view(K, B, N + 1, d)
    initial = torch.zeros(B, d)
    for k in range(K):
        replay = replay_normals(gfn, states[k])
        gfn.zero_grad()
        with replay:
            if objective == "KullbackLeibler":
                loss = losses.pis(initial, gfn, log_reward_fn)
            else:
                loss = get_gfn_forward_loss(MODES[objective], initial, gfn, log_reward_fn, coefficient_matrix)
                if objective == "SubTrajectoryBalance":
                    loss = loss / (2 * B)  # their SubTB is a batch sum without the 1/2
        loss.backward()
        optimiser.step()
    policy = torch.cat([p.detach().reshape(-1) for p in their_tensors(gfn)])
    result = {"objective": objective, "d": d, "batch": B, "steps": N, "iterations": K,
              "policy_moved": rel(policy, torch.tensor(c["initial_policy"])),
              "policy_max_relative_difference": rel(policy, torch.tensor(c["final_policy"]))}
    if local:
        head = torch.cat([p.detach().reshape(-1) for p in their_flow_head(gfn)])
        result["flow_head_max_relative_difference"] = rel(head, torch.tensor(c["final_second"][start:]))
    elif objective == "TrajectoryBalance":
        result["log_z_relative_difference"] = rel(gfn.flow_model.item(), c["final_second"][0])
    print(json.dumps(result))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "train":
        return train(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    c = json.load(open(sys.argv[1]))
    GFN, losses, evaluations, coefficients = import_their_code(sys.argv[2])
    d, B, N, sigma = c["d"], c["batch"], c["steps"], c["sigma"]
    objective = c.get("objective", "TrajectoryBalance")
    if c.get("grid") != "uniform":
        sys.exit(f"error: grid = {c.get('grid')} in {sys.argv[1]}; gfn-diffusion steps a uniform grid only")
    local = objective in ("DetailedBalance", "SubTrajectoryBalance")
    gfn = GFN(d, c["width"], c["width"], c["harmonics"], c["width"], log_var_range=4.0, t_scale=sigma * sigma,
              learned_variance=True, trajectory_length=N, pis_architectures=True, joint_layers=2, zero_init=False,
              partial_energy=local, conditional_flow_model=local, device=torch.device("cpu"))
    load(their_tensors(gfn), c["parameters"])
    if local:
        trunk = c["trunk_length"]
        if c["flow_parameters"][:trunk] != c["parameters"][:trunk]:
            sys.exit("error: the case's flow network does not share the policy's trunk")
        load(their_flow_head(gfn), c["flow_parameters"][trunk:])
    else:
        with torch.no_grad():
            gfn.flow_model.fill_(c["log_z"])

    times = torch.tensor(c["times"]).view(B, N + 1)
    grid_error = (times - torch.arange(N + 1) * gfn.dt).abs().max().item()
    states = torch.tensor(c["states"]).view(B, N + 1, d)
    log_reward = torch.tensor(c["log_reward"])

    replay = replay_normals(gfn, states)
    # The forward-looking flow asks for log R at every state; at the final states it must reproduce RateLab's log R.
    target_error = rel(log_reward_fn(states[:, -1]), log_reward)

    start = torch.zeros(B, d)
    with replay, torch.no_grad():
        their_states, log_pf, log_pb, _ = gfn.get_trajectory_fwd(start, None, log_reward_fn)
    log_weights = log_reward + log_pb.sum(1) - log_pf.sum(1)

    with replay:
        if objective == "TrajectoryBalance":
            loss = losses.fwd_tb(start, gfn, log_reward_fn)
        elif objective == "DetailedBalance":
            loss = losses.db(start, gfn, log_reward_fn)
        elif objective == "KullbackLeibler":
            loss = losses.pis(start, gfn, log_reward_fn)
        else:
            loss = losses.subtb(start, gfn, log_reward_fn, coefficients(2, N)) / (2 * B)
    loss.backward()
    gradient = torch.cat([p.grad.reshape(-1) for p in their_tensors(gfn)])
    if local:
        second = {"flow_head_gradient_max_relative_difference": rel(
            torch.cat([p.grad.reshape(-1) for p in their_flow_head(gfn)]),
            torch.tensor(c["flow_gradient"][c["trunk_length"]:]))}
    elif objective == "TrajectoryBalance":
        second = {"log_z_gradient_relative_difference": rel(gfn.flow_model.grad.item(), c["log_z_gradient"])}
    else:
        second = {}

    with replay:
        _, log_z_rw, log_z_lb, _ = evaluations.log_partition_function(start, gfn, log_reward_fn)

    print(json.dumps({
        "objective": objective, "d": d, "batch": B, "steps": N,
        "grid_max_abs_difference": grid_error,
        "states_max_relative_difference": rel(their_states, states),
        "log_reward_max_relative_difference": target_error,
        "log_forward_max_relative_difference": rel(log_pf, torch.tensor(c["log_forward"]).view(B, N)),
        "log_backward_max_relative_difference": rel(log_pb, torch.tensor(c["log_backward"]).view(B, N)),
        "log_weights_max_relative_difference": rel(log_weights, torch.tensor(c["log_weights"])),
        "loss_relative_difference": rel(loss.item(), c["loss"]),
        "gradient_max_relative_difference": rel(gradient, torch.tensor(c["gradient"])),
        **second,
        "elbo_difference": log_z_lb.item() - c["elbo"],
        "importance_weighted_difference": log_z_rw.item() - c["log_z_importance_weighted"],
    }))


if __name__ == "__main__":
    main()
