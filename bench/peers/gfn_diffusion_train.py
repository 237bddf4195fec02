"""Trains a sampler with the authors' own code, as their train.py does, and prints its ΔlogZ: a peer run beside
RateLab's training study, to tell a difference in the code from one in the training randomness.

Usage: gfn_diffusion_train.py CHECKOUT ENERGY ITERATIONS SEED [T_SCALE] [STEPS]
  CHECKOUT    a clone of github.com/GFNOrg/gfn-diffusion
  ENERGY      25gmm or hard_funnel (their names)
  ITERATIONS  training iterations (their --epochs; their loop runs ITERATIONS + 1)
  SEED        their set_seed
  T_SCALE     σ² (default: 5 for 25gmm, 1 for hard_funnel, as [S24])
  STEPS       uniform steps N of training and evaluation (default 100)

The README's TB command: --pis_architectures --zero_init --clipping --mode_fwd tb --lr_policy 1e-3 --lr_flow 1e-1,
batch 300, fixed variance, no exploration; in float32 on one CPU thread, as their code runs by default (on a GPU in
[S24]). What it leaves out of train.py: the periodic evaluations and plots every 100 iterations (they draw from the same
torch generator, so the training noise differs from a train.py run with the same seed; the law of the run does not)
and Weights & Biases logging (matplotlib, which their energy modules import for plots only, is stubbed when missing).
The final evaluation is theirs (evaluations.log_partition_function, 2000 samples).
Prints one JSON line: ΔlogZ = |log Z − ELBO|, ΔlogZ^RW and the wall seconds.
"""
import json
import sys
import time

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gfn_diffusion_check import fail, import_their_code, their_energy  # noqa: E402


def main():
    if len(sys.argv) not in (5, 6, 7):
        fail("usage: gfn_diffusion_train.py CHECKOUT ENERGY ITERATIONS SEED [T_SCALE] [STEPS]")
    checkout, energy_name = sys.argv[1], sys.argv[2]
    defaults = {"25gmm": 5.0, "hard_funnel": 1.0}
    if energy_name not in defaults:
        fail(f"ENERGY = {energy_name} is out of range; allowed: 25gmm, hard_funnel")

    def number(i, name, kind, low):
        try:
            value = kind(sys.argv[i])
        except ValueError:
            value = None
        if value is None or value < low:
            fail(f"{name} = {sys.argv[i]} is out of range; allowed: {kind.__name__} ≥ {low}")
        return value

    iterations, seed = number(3, "ITERATIONS", int, 0), number(4, "SEED", int, 0)
    t_scale = number(5, "T_SCALE", float, 1e-300) if len(sys.argv) > 5 else defaults[energy_name]
    steps = number(6, "STEPS", int, 1) if len(sys.argv) > 6 else 100
    GFN, _, evaluations, utils, staggered = import_their_code(checkout)
    if staggered:
        fail(f"CHECKOUT = {checkout} is the stagger branch; this run follows main's train.py (git checkout main)")
    from utils import set_seed, get_gfn_optimizer, get_gfn_forward_loss

    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)  # their default
    device = torch.device("cpu")
    set_seed(seed)
    energy = their_energy(energy_name, device)
    d = energy.data_ndim
    gfn = GFN(d, 64, 64, 64, 64, trajectory_length=steps, clipping=True, lgv_clip=1e2, gfn_clip=1e4,
              langevin=False, learned_variance=False, partial_energy=False, log_var_range=4.0, pb_scale_range=1.0,
              t_scale=t_scale, langevin_scaling_per_dimension=False, conditional_flow_model=False, learn_pb=False,
              pis_architectures=True, lgv_layers=3, joint_layers=2, zero_init=True, device=device)
    optimiser = get_gfn_optimizer(gfn, 1e-3, 1e-1, 1e-3, False, False, False, 1e-7)
    coefficient_matrix = utils.cal_subtb_coef_matrix(2, steps)
    clock = time.time()
    gfn.train()
    for _ in range(iterations + 1):
        gfn.zero_grad()
        loss = get_gfn_forward_loss("tb", torch.zeros(300, d, device=device), gfn, energy.log_reward,
                                    coefficient_matrix)
        loss.backward()
        optimiser.step()
    seconds = time.time() - clock
    _, log_z_rw, log_z_lb, _ = evaluations.log_partition_function(torch.zeros(2000, d, device=device), gfn,
                                                                 energy.log_reward)
    truth = energy.gt_logz()
    print(json.dumps({"energy": energy_name, "iterations": iterations, "seed": seed, "t_scale": t_scale,
                      "steps": steps, "delta_log_z": abs(truth - log_z_lb.item()),
                      "delta_log_z_rw": abs(truth - log_z_rw.item()), "train_seconds": seconds}))


if __name__ == "__main__":
    main()
