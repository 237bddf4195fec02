"""RateLab's training cases recomputed by the authors' own code: gfn-diffusion (github.com/GFNOrg/gfn-diffusion, folder
energy_sampling/), the code of Sendera et al. 2024 (branch main, uniform grids) and of Berner et al. (branch stagger,
any per-trajectory grid), whose published numbers our training study reproduces.

Usage: gfn_diffusion_check.py CASE.json CHECKOUT
       gfn_diffusion_check.py train TRACE.json CHECKOUT
       gfn_diffusion_check.py energy TARGET.json CHECKOUT
  CASE.json   one step's case written by `RateLab.Bench nn-dump DIR`: DIR/nn-{tb,db,subtb,kl}-{uniform,random}-d*.json
  TRACE.json  a ten-iteration training trace of the same dump: DIR/nn-train-{objective}-{uniform,random}.json
  TARGET.json a benchmark target of the same dump: DIR/nn-energy-{25gmm,hard_funnel,many_well}.json
  CHECKOUT    a clone of gfn-diffusion; a random-grid file needs the stagger branch (exit 3 on main, which steps a
              uniform grid only)

A case: builds their GFN (PIS architecture, learned variance, t_scale = σ²; for DB and SubTB the conditional flow with
partial energy, i.e. the forward-looking flow, whose head reads the policy's time and state embeddings) with RateLab's
weights and log Z, and makes their own sampling loop retrace RateLab's trajectories: their torch.randn_like is served
the normals that reproduce RateLab's states under their drift. Then runs their loss (gflownet_losses.fwd_tb, db, subtb
or pis) with its backward pass and their evaluation (evaluations.log_partition_function, which gives ΔlogZ's and
ΔlogZ^RW's estimates). Their SubTB loss is a sum over the batch without the factor 1/2, so it and its gradients are
divided by 2B before the comparison. Prints one JSON line with the largest differences from RateLab: per-step log π→
and log π←, per-trajectory log weights, loss, θ-gradient (policy, trunk included), the flow head's gradient (DB, SubTB)
or log Z's (TB), the ELBO and the importance-weighted log Z.

`train` replays a short training run (any of the five objectives, fixed variance): from RateLab's initial parameters,
each iteration serves their loop the normals that retrace that iteration's RateLab trajectories under their current
parameters, then runs their loss (utils.get_gfn_forward_loss, and `pis` for KL), backward and their optimiser
(utils.get_gfn_optimizer: Adam, policy and flow / log Z learning rates). Prints one JSON line with the largest relative
differences of the final parameters from RateLab's.

`energy` recomputes a benchmark target with their energy of the same name (energies/: TwentyFiveGaussianMixture,
HardFunnel, ManyWell): log R at RateLab's points, its gradient by autograd, and their log Z (gt_logz). Prints one JSON
line with the largest relative differences from RateLab's log R and ∇ log R, and the difference of the log Z.

Their code runs in float64 here (the default dtype is set before it builds anything), so the differences measure the
two implementations, not two precisions. Modules their import chain names but the checked functions never call (PIL,
einops, ot) are stubbed when they are not installed.
"""
import inspect
import json
import math
import os
import sys
import types

import torch

UNSUPPORTED_GRID = 3


def fail(message):
    """Bad input: one line on stderr, exit 2, before any work."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def import_their_code(checkout):
    """Their GFN, losses, evaluations and utils modules, and whether they take a discretizer (branch stagger)."""
    root = os.path.join(checkout, "energy_sampling")
    if not os.path.isdir(root):
        fail(f"CHECKOUT = {checkout} has no energy_sampling/ folder; pass a clone of gfn-diffusion")
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
    import utils
    staggered = "discretizer" in inspect.signature(GFN.get_trajectory_fwd).parameters
    return GFN, gflownet_losses, evaluations, utils, staggered


ENERGIES = {"25gmm": "TwentyFiveGaussianMixture", "hard_funnel": "HardFunnel", "many_well": "ManyWell"}


def their_energy(name, device):
    """Their energy `name` (see ENERGIES), after import_their_code. Modules their energies package imports for plots
    (matplotlib) or for datasets these energies do not read (pandas, on stagger) are stubbed when not installed."""
    if name not in ENERGIES:
        fail(f"ENERGY = {name} is out of range; allowed: {', '.join(ENERGIES)}")
    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        plotting = types.ModuleType("matplotlib")
        plotting.pyplot = types.ModuleType("matplotlib.pyplot")
        sys.modules["matplotlib"], sys.modules["matplotlib.pyplot"] = plotting, plotting.pyplot
    try:
        import pandas  # noqa: F401
    except ImportError:
        sys.modules["pandas"] = types.ModuleType("pandas")
    import energies
    return getattr(energies, ENERGIES[name])(device=device)


class Their:
    """Their code on given per-trajectory grids, whichever branch: on main the grid is implicit (uniform, dt = 1/N),
    on stagger each call takes a discretizer, which here returns RateLab's times."""

    def __init__(self, checkout):
        self.GFN, self.losses, self.evaluations, self.utils, self.staggered = import_their_code(checkout)
        self.times = None

    def build(self, c, steps, learned_variance, local, zero_init):
        kwargs = dict(log_var_range=4.0, t_scale=c["sigma"] ** 2, learned_variance=learned_variance,
                      pis_architectures=True, joint_layers=2, zero_init=zero_init, partial_energy=local,
                      conditional_flow_model=local, device=torch.device("cpu"))
        if not self.staggered:
            kwargs["trajectory_length"] = steps
        return self.GFN(c["d"], c["width"], c["width"], c["harmonics"], c["width"], **kwargs)

    def use_grid(self, times, path):
        """Binds the B × (N + 1) times of the next calls; main accepts uniform grids only."""
        steps = times.shape[1] - 1
        if not self.staggered and (times - torch.arange(steps + 1) / steps).abs().max().item() > 1e-15:
            print(f"error: {path} has a non-uniform grid; this checkout (branch main) steps a uniform grid only, "
                  "the stagger branch any grid", file=sys.stderr)
            sys.exit(UNSUPPORTED_GRID)
        self.times = times

    def discretizer(self, batch):
        assert batch == self.times.shape[0]
        return self.times.clone()

    def grid_args(self):
        return (self.discretizer,) if self.staggered else ()

    def time(self, gfn, i):
        return self.times[:, i] if self.staggered else i * gfn.dt

    def step(self, gfn, i):
        return (self.times[:, i + 1] - self.times[:, i]).unsqueeze(1) if self.staggered else gfn.dt

    def replay(self, gfn, states):
        """The normals under which their step lands on each next state, with their current parameters."""
        normals = []
        with torch.no_grad():
            for i in range(states.shape[1] - 1):
                out, _ = gfn.predict_next_state(states[:, i], self.time(gfn, i), None)
                mean, log_var = gfn.split_params(out)
                dt = self.step(gfn, i)
                normals.append((states[:, i + 1] - states[:, i] - dt * mean) / (dt ** 0.5 * (log_var / 2).exp()))
        return ReplayedNormals(normals)

    def trajectory(self, gfn, start):
        if self.staggered:
            return gfn.get_trajectory_fwd(start, self.discretizer, None, log_reward_fn)
        return gfn.get_trajectory_fwd(start, None, log_reward_fn)

    def loss(self, objective, gfn, start, coefficients):
        """Their loss of one batch, SubTB divided by 2B (see above)."""
        if objective == "KullbackLeibler":
            return self.losses.pis(start, gfn, log_reward_fn, *self.grid_args())
        mode = {"TrajectoryBalance": "tb", "VarGrad": "tb-avg", "DetailedBalance": "db",
                "SubTrajectoryBalance": "subtb"}[objective]
        loss = self.utils.get_gfn_forward_loss(mode, start, gfn, log_reward_fn, coefficients, *self.grid_args())
        return loss / (2 * start.shape[0]) if objective == "SubTrajectoryBalance" else loss

    def log_partition(self, gfn, start):
        if self.staggered:
            return self.evaluations.log_partition_function(start, gfn, self.discretizer, log_reward_fn)
        return self.evaluations.log_partition_function(start, gfn, log_reward_fn)


def log_reward_fn(x):
    """The cases' target: log R(x) = −|x − 0.5|² / (2 · 1.5), RateLab's unnormalised N(0.5, 1.5 I)."""
    return (-(x - 0.5) ** 2 / (2 * 1.5)).sum(-1)


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
        fail(f"RateLab's case has {len(theta)} parameters, their network {i}")


def flat(tensors, grad=False):
    return torch.cat([(p.grad if grad else p.detach()).reshape(-1) for p in tensors])


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


def is_local(objective):
    return objective in ("DetailedBalance", "SubTrajectoryBalance")


def load_start(gfn, c, policy, second, local):
    load(their_tensors(gfn), policy)
    if local:
        trunk = c["trunk_length"]
        if second[:trunk] != policy[:trunk]:
            fail("the case's flow network does not share the policy's trunk")
        load(their_flow_head(gfn), second[trunk:])
    elif c["objective"] == "TrajectoryBalance":
        with torch.no_grad():
            gfn.flow_model.fill_(second[0])


def check(path, checkout):
    c = json.load(open(path))
    their = Their(checkout)
    d, B, N = c["d"], c["batch"], c["steps"]
    objective, local = c["objective"], is_local(c["objective"])
    times = torch.tensor(c["times"]).view(B, N + 1)
    their.use_grid(times, path)
    gfn = their.build(c, N, learned_variance=True, local=local, zero_init=False)
    load_start(gfn, c, c["parameters"], c.get("flow_parameters", [c["log_z"]]), local)
    states = torch.tensor(c["states"]).view(B, N + 1, d)
    log_reward = torch.tensor(c["log_reward"])
    replay = their.replay(gfn, states)
    start = torch.zeros(B, d)
    with replay, torch.no_grad():
        their_states, log_pf, log_pb, _ = their.trajectory(gfn, start)
    log_weights = log_reward + log_pb.sum(1) - log_pf.sum(1)
    with replay:
        loss = their.loss(objective, gfn, start, their.utils.cal_subtb_coef_matrix(2, N))
    loss.backward()
    result = {"objective": objective, "grid": c["grid"], "d": d, "batch": B, "steps": N,
              "states_max_relative_difference": rel(their_states, states),
              "log_reward_max_relative_difference": rel(log_reward_fn(states[:, -1]), log_reward),
              "log_forward_max_relative_difference": rel(log_pf, torch.tensor(c["log_forward"]).view(B, N)),
              "log_backward_max_relative_difference": rel(log_pb, torch.tensor(c["log_backward"]).view(B, N)),
              "log_weights_max_relative_difference": rel(log_weights, torch.tensor(c["log_weights"])),
              "loss_relative_difference": rel(loss.item(), c["loss"]),
              "gradient_max_relative_difference": rel(flat(their_tensors(gfn), True), torch.tensor(c["gradient"]))}
    if local:
        result["flow_head_gradient_max_relative_difference"] = rel(
            flat(their_flow_head(gfn), True), torch.tensor(c["flow_gradient"][c["trunk_length"]:]))
    elif objective == "TrajectoryBalance":
        result["log_z_gradient_relative_difference"] = rel(gfn.flow_model.grad.item(), c["log_z_gradient"])
    with replay:
        _, log_z_rw, log_z_lb, _ = their.log_partition(gfn, start)
    result["elbo_difference"] = log_z_lb.item() - c["elbo"]
    result["importance_weighted_difference"] = log_z_rw.item() - c["log_z_importance_weighted"]
    print(json.dumps(result))


def train(path, checkout):
    c = json.load(open(path))
    their = Their(checkout)
    d, B, N, K = c["d"], c["batch"], c["steps"], c["iterations"]
    objective, local = c["objective"], is_local(c["objective"])
    times = torch.tensor(c["times"]).view(K, B, N + 1)
    states = torch.tensor(c["states"]).view(K, B, N + 1, d)
    their.use_grid(times[0], path)
    gfn = their.build(c, N, learned_variance=False, local=local, zero_init=True)
    load_start(gfn, c, c["initial_policy"], c["initial_second"], local)
    optimiser = their.utils.get_gfn_optimizer(gfn, c["policy_learning_rate"], c["flow_learning_rate"], 1e-3, False,
                                              local)
    coefficients = their.utils.cal_subtb_coef_matrix(c["sub_tb_lambda"], N)
    start = torch.zeros(B, d)
    for k in range(K):
        their.use_grid(times[k], path)
        replay = their.replay(gfn, states[k])
        gfn.zero_grad()
        with replay:
            loss = their.loss(objective, gfn, start, coefficients)
        loss.backward()
        optimiser.step()
    policy = flat(their_tensors(gfn))
    result = {"objective": objective, "grid": c["grid"], "d": d, "batch": B, "steps": N, "iterations": K,
              "policy_moved": rel(policy, torch.tensor(c["initial_policy"])),
              "policy_max_relative_difference": rel(policy, torch.tensor(c["final_policy"]))}
    if local:
        result["flow_head_max_relative_difference"] = rel(
            flat(their_flow_head(gfn)), torch.tensor(c["final_second"][c["trunk_length"]:]))
    elif objective == "TrajectoryBalance":
        result["log_z_relative_difference"] = rel(gfn.flow_model.item(), c["final_second"][0])
    print(json.dumps(result))


def energy(path, checkout):
    c = json.load(open(path))
    import_their_code(checkout)
    their = their_energy(c["energy"], torch.device("cpu"))
    d = c["d"]
    if their.data_ndim != d:
        fail(f"{path}: d = {d}, their {c['energy']} has d = {their.data_ndim}")
    x = torch.tensor(c["points"]).view(-1, d).requires_grad_(True)
    log_reward = their.log_reward(x)
    score, = torch.autograd.grad(log_reward.sum(), x)
    print(json.dumps({"energy": c["energy"], "target": c["target"], "d": d, "points": x.shape[0],
                      "log_reward_max_relative_difference": rel(log_reward.detach(), c["log_reward"]),
                      "score_max_relative_difference": rel(score, torch.tensor(c["score"]).view(-1, d)),
                      "log_z_difference": float(their.gt_logz()) - c["log_z"]}))


def main():
    torch.set_default_dtype(torch.float64)
    if len(sys.argv) == 4 and sys.argv[1] in ("train", "energy"):
        return (train if sys.argv[1] == "train" else energy)(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 3:
        fail("usage: gfn_diffusion_check.py CASE.json CHECKOUT | train TRACE.json CHECKOUT | energy TARGET.json CHECKOUT")
    check(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
