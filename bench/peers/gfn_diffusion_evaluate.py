"""RateLab's trained samplers evaluated by the authors' own code: their energy, their estimator, their randomness, in
their float32 and in float64. If their numbers for our models agree with ours, a difference between our trained
ΔlogZ and [S24]'s cannot come from the evaluation (energy, log Z, estimator, precision of the estimate); it lies in
training.

Usage: gfn_diffusion_evaluate.py [--cache DIR] CHECKOUT ENERGY DRAWS CHECKPOINT...
  --cache DIR a report cache (reports/full/.cache): prints beside theirs our own evaluation of the same run (its
              ΔlogZ with the ELBO's standard error, and ΔlogZ^RW: one batch of 2000 of RateLab's draws)
  CHECKOUT    a clone of github.com/GFNOrg/gfn-diffusion (branch main)
  ENERGY      25gmm, hard_funnel or many_well (their names; d = 2, 10, 32)
  DRAWS       evaluation batches per model and precision, each of 2000 trajectories (their eval batch), their
              set_seed(1), set_seed(2), …
  CHECKPOINT  a RateLab training checkpoint (the study leaves them in $TMPDIR/ratelab-checkpoints/boltzmann-training
              or under `report --checkpoints DIR`; format in src/Boltzmann.CSharp/Checkpoint.cs): its policy θ is
              loaded into their PIS network

Their GFN is built as their train.py builds it for [S24]'s TB rows (PIS architecture, width 64, 64 harmonics, fixed
or learned variance as the checkpoint says, t_scale = σ², clipping on) and evaluated on the uniform 100-step grid with
evaluations.log_partition_function. Prints one JSON line per checkpoint: the checkpoint's settings fingerprint and
iteration, and per precision the mean and standard error over DRAWS of ΔlogZ = |log Z − ELBO| and ΔlogZ^RW, and
the largest |network output| met (their clipping bounds it at 10⁴), and a summary of the law of all the log weights
drawn, less log Z (mean, standard deviation, largest, quantiles, counts above 2 … 5).
RateLab's own evaluation of the same checkpoints over as many draws: `RateLab.Bench checkpoint-eval ENERGY DRAWS
CHECKPOINT...`. The draws of one seed are shared by all checkpoints of a call (common random numbers), so compare the
two codes model by model; differences between models are correlated.
"""
import hashlib
import io
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from gfn_diffusion_check import ENERGIES, fail, import_their_code, load, their_energy, their_tensors  # noqa: E402

MAGIC = "RateLab.Boltzmann.Checkpoint/2"
BENCHMARKS = {"25gmm": "25GMM", "hard_funnel": "Funnel", "many_well": "Manywell"}


def read_string(f):
    """A .NET BinaryWriter string: 7-bit-encoded length, then UTF-8."""
    n, shift = 0, 0
    while True:
        b = f.read(1)[0]
        n |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return f.read(n).decode()


def read_checkpoint(path):
    """The fingerprint, iteration and policy θ (the optimiser's first parameter group) of a RateLab checkpoint."""
    with open(path, "rb") as whole:
        data = whole.read()
    # The last 32 bytes are the SHA-256 of everything before them.
    content, digest = data[:-32], data[-32:]
    if len(data) <= 32 or hashlib.sha256(content).digest() != digest:
        fail(f"CHECKPOINT = {path}: its SHA-256 does not match its content (damaged, or not a {MAGIC} file)")
    with io.BytesIO(content) as f:
        if read_string(f) != MAGIC:
            fail(f"CHECKPOINT = {path} is not a RateLab Boltzmann checkpoint of format {MAGIC}")
        fingerprint = read_string(f)
        iteration, = struct.unpack("<q", f.read(8))
        f.read(8 + 8)  # log Z, Adam's step count
        groups, = struct.unpack("<i", f.read(4))
        if groups < 1:
            fail(f"CHECKPOINT = {path} has no parameter group")
        n, = struct.unpack("<i", f.read(4))
        theta = list(struct.unpack(f"<{n}d", f.read(8 * n)))
    return fingerprint, iteration, theta


def summary(w):
    """The law of the log weights minus log Z, to set beside RateLab's (checkpoint-eval prints the same): mean,
    standard deviation, largest, quantiles and how many exceed 2, 3, 4, 5 (the upper tail that drives ΔlogZ^RW)."""
    q = torch.quantile(w, torch.tensor([0.001, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999], dtype=w.dtype))
    return {"count": w.numel(), "mean": w.mean().item(), "sd": w.std().item(), "max": w.max().item(),
            "quantiles": dict(zip(["0.001", "0.01", "0.1", "0.5", "0.9", "0.99", "0.999"], q.tolist())),
            "above": [int((w > k).sum().item()) for k in (2, 3, 4, 5)]}


def ours(cache, benchmark, fingerprint, iteration):
    """RateLab's own evaluation of the run in the report cache, or None when it is not cached."""
    key = f"boltzmann-train/1/{benchmark}"
    run = f"/{fingerprint}/iterations={iteration}/"
    for name in sorted(os.listdir(cache)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(cache, name)) as f:
            entry = json.load(f)
        config = entry.get("config", "")
        if key in config and run in config:
            e = entry["payload"]["eval100"]
            return {"delta_log_z": [e["dlogz"], e["elbo"]["se"]], "delta_log_z_rw": e["dlogz_rw"]}
    return None


def main():
    args = sys.argv[1:]
    cache = None
    if args[:1] == ["--cache"]:
        if len(args) < 2 or not os.path.isdir(args[1]):
            fail(f"--cache = {args[1] if len(args) > 1 else ''} is not a folder; pass a report cache")
        cache, args = args[1], args[2:]
    if len(args) < 4:
        fail("usage: gfn_diffusion_evaluate.py [--cache DIR] CHECKOUT ENERGY DRAWS CHECKPOINT...")
    checkout, energy_name = args[0], args[1]
    if energy_name not in ENERGIES:
        fail(f"ENERGY = {energy_name} is out of range; allowed: {', '.join(ENERGIES)}")
    try:
        draws = int(args[2])
    except ValueError:
        draws = 0
    if draws < 2:
        fail(f"DRAWS = {args[2]} is out of range; allowed: an integer ≥ 2")
    paths = args[3:]
    for path in paths:
        if not os.path.isfile(path):
            fail(f"CHECKPOINT = {path} is not a file")
    GFN, _, evaluations, _, staggered = import_their_code(checkout)
    if staggered:
        fail(f"CHECKOUT = {checkout} is the stagger branch; this evaluation follows main's train.py (git checkout main)")
    from utils import set_seed
    torch.set_num_threads(1)
    device = torch.device("cpu")
    checkpoints = [(path, *read_checkpoint(path)) for path in paths]
    for path, fingerprint, iteration, theta in checkpoints:
        fields = fingerprint.split("|")
        sigma, learned_variance = float(fields[1]), fields[7] == "True"
        width, harmonics = int(fields[13]), int(fields[14])
        result = {"checkpoint": os.path.basename(path), "fingerprint": fingerprint, "iteration": iteration,
                  "energy": energy_name, "draws": draws, "batch": 2000, "steps": 100}
        for dtype in (torch.float32, torch.float64):
            torch.set_default_dtype(dtype)
            energy = their_energy(energy_name, device)
            d = energy.data_ndim
            gfn = GFN(d, width, width, harmonics, width, trajectory_length=100, clipping=True, lgv_clip=1e2,
                      gfn_clip=1e4, langevin=False, learned_variance=learned_variance, partial_energy=False,
                      log_var_range=4.0, pb_scale_range=1.0, t_scale=sigma ** 2,
                      langevin_scaling_per_dimension=False, conditional_flow_model=False, learn_pb=False,
                      pis_architectures=True, lgv_layers=3, joint_layers=2, zero_init=False, device=device)
            load(their_tensors(gfn), theta)
            gfn.eval()
            # Their --clipping bounds the network output at ±10⁴ (gfn_clip); record how close our models come to it.
            largest = [0.0]
            hook = gfn.joint_model.register_forward_hook(
                lambda _, __, out: largest.__setitem__(0, max(largest[0], out.abs().max().item())))
            truth = energy.gt_logz()
            # Their estimator returns the two log Z estimates only; the trajectories it drew are kept to summarise
            # the log weights.
            drawn = []
            sample = gfn.get_trajectory_fwd
            gfn.get_trajectory_fwd = lambda *a, **k: drawn.append(sample(*a, **k)) or drawn[-1]
            gaps, gaps_rw, weights = [], [], []
            for r in range(1, draws + 1):
                set_seed(r)
                _, log_z_rw, log_z_lb, _ = evaluations.log_partition_function(
                    torch.zeros(2000, d, device=device), gfn, energy.log_reward)
                gaps.append(abs(truth - log_z_lb.item()))
                gaps_rw.append(abs(truth - log_z_rw.item()))
                states, log_pf, log_pb, _ = drawn.pop()
                with torch.no_grad():
                    log_weight = energy.log_reward(states[:, -1]) + log_pb.sum(-1) - log_pf.sum(-1)
                weights.append(log_weight.double() - truth)
            hook.remove()
            name = str(dtype).replace("torch.", "")
            result[f"largest_network_output_{name}"] = largest[0]
            result[f"log_weights_{name}"] = summary(torch.cat(weights))
            for key, xs in (("delta_log_z", gaps), ("delta_log_z_rw", gaps_rw)):
                mean = sum(xs) / len(xs)
                sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (len(xs) - 1))
                result[f"{key}_{name}"] = [mean, sd / math.sqrt(len(xs))]
        if cache is not None:
            result["ratelab"] = ours(cache, BENCHMARKS[energy_name], fingerprint, iteration)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
