"""Trains a sampler with the authors' own code, as their train.py does, and prints its ΔlogZ: a peer run beside
RateLab's training study, to tell a difference in the code from one in the training randomness.

Usage: gfn_diffusion_train.py CHECKOUT ENERGY ITERATIONS SEED [T_SCALE] [STEPS] [--checkpoint FILE]
  CHECKOUT    a clone of github.com/GFNOrg/gfn-diffusion
  ENERGY      25gmm or hard_funnel (their names)
  ITERATIONS  training iterations (their --epochs; their loop runs ITERATIONS + 1)
  SEED        their set_seed
  T_SCALE     σ² (default: 5 for 25gmm, 1 for hard_funnel, as [S24])
  STEPS       uniform steps N of training and evaluation (default 100)
  FILE        resume from FILE when it exists and save to it every 100 iterations and at the end of training (the
              weights, Adam's state and every random generator's state, written atomically): a run at [S24]'s
              25,000 iterations takes 4.5 to 6 hours of one core, longer than one sitting, and an interrupted run
              resumed from FILE ends with the same bits as one that was never interrupted. FILE records the settings
              and is refused for other ones; ITERATIONS may grow between resumptions.

The README's TB command: --pis_architectures --zero_init --clipping --mode_fwd tb --lr_policy 1e-3 --lr_flow 1e-1,
batch 300, fixed variance, no exploration; in float32 on one CPU thread, as their code runs by default (on a GPU in
[S24]). What it leaves out of train.py: the periodic evaluations and plots every 100 iterations (they draw from the same
torch generator, so the training noise differs from a train.py run with the same seed; the law of the run does not)
and Weights & Biases logging (matplotlib, which their energy modules import for plots only, is stubbed when missing).
The final evaluation is theirs (evaluations.log_partition_function, 2000 samples).
Prints one JSON line: ΔlogZ = |log Z − ELBO|, ΔlogZ^RW and the wall seconds of training (summed over resumptions).
"""
import json
import os
import random
import sys
import time

import numpy

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gfn_diffusion_check import fail, import_their_code, their_energy  # noqa: E402


# Iterations between checkpoints: one to one and a half minutes of one core at [S24]'s setting (0.65–0.9 s each).
CHECKPOINT_EVERY = 100


def generator_states():
    """Every random generator their training may draw from, so a resumed run continues the same stream."""
    return {"torch": torch.get_rng_state(), "numpy": numpy.random.get_state(), "python": random.getstate()}


def save(path, settings, done, seconds, gfn, optimiser):
    """Writes the checkpoint to a temporary file beside `path`, then renames it: an interrupted write leaves the last
    complete checkpoint in place."""
    temporary = f"{path}.{os.getpid()}.tmp"
    torch.save({"settings": settings, "done": done, "seconds": seconds, "model": gfn.state_dict(),
                "optimiser": optimiser.state_dict(), "generators": generator_states()}, temporary)
    os.replace(temporary, path)


def resume(path, settings, total, gfn, optimiser):
    """The loop steps and training seconds a checkpoint at `path` holds, its state loaded into `gfn`, `optimiser` and
    the generators; (0, 0.0) when there is none. Refuses one written for other settings or for more steps than asked."""
    if path is None or not os.path.exists(path):
        return 0, 0.0
    try:
        state = torch.load(path)
    except Exception as e:  # a truncated or foreign file: say which, do not train over it
        fail(f"--checkpoint = {path}: unreadable ({type(e).__name__}); allowed: a checkpoint this script wrote")
    if state["settings"] != settings:
        fail(f"--checkpoint = {path}: written for {state['settings']}; allowed: one for {settings}")
    if state["done"] > total:
        fail(f"ITERATIONS = {total - 1}: below the {state['done'] - 1} the checkpoint has trained; allowed: "
             f"≥ {state['done'] - 1}")
    gfn.load_state_dict(state["model"])
    optimiser.load_state_dict(state["optimiser"])
    torch.set_rng_state(state["generators"]["torch"])
    numpy.random.set_state(state["generators"]["numpy"])
    random.setstate(state["generators"]["python"])
    return state["done"], state["seconds"]


def main():
    argv = list(sys.argv)
    checkpoint = None
    if "--checkpoint" in argv:
        k = argv.index("--checkpoint")
        if k + 1 >= len(argv):
            fail("--checkpoint: missing FILE; allowed: a path in a writable directory")
        checkpoint = argv[k + 1]
        del argv[k:k + 2]
        folder = os.path.dirname(os.path.abspath(checkpoint))
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            fail(f"--checkpoint = {checkpoint}: its directory is missing or not writable; allowed: a path in a "
                 "writable directory")
    sys.argv = argv
    if len(sys.argv) not in (5, 6, 7):
        fail("usage: gfn_diffusion_train.py CHECKOUT ENERGY ITERATIONS SEED [T_SCALE] [STEPS] [--checkpoint FILE]")
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
    settings = {"energy": energy_name, "seed": seed, "t_scale": t_scale, "steps": steps}
    total = iterations + 1
    done, seconds = resume(checkpoint, settings, total, gfn, optimiser)
    clock = time.time()
    gfn.train()
    for step in range(done, total):
        gfn.zero_grad()
        loss = get_gfn_forward_loss("tb", torch.zeros(300, d, device=device), gfn, energy.log_reward,
                                    coefficient_matrix)
        loss.backward()
        optimiser.step()
        if checkpoint is not None and (step + 1) % CHECKPOINT_EVERY == 0 and step + 1 < total:
            save(checkpoint, settings, step + 1, seconds + time.time() - clock, gfn, optimiser)
    seconds += time.time() - clock
    if checkpoint is not None:
        save(checkpoint, settings, total, seconds, gfn, optimiser)
    _, log_z_rw, log_z_lb, _ = evaluations.log_partition_function(torch.zeros(2000, d, device=device), gfn,
                                                                 energy.log_reward)
    truth = energy.gt_logz()
    print(json.dumps({"energy": energy_name, "iterations": iterations, "seed": seed, "t_scale": t_scale,
                      "steps": steps, "delta_log_z": abs(truth - log_z_lb.item()),
                      "delta_log_z_rw": abs(truth - log_z_rw.item()), "train_seconds": seconds}))


if __name__ == "__main__":
    main()
