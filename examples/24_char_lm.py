"""A character-level language model trained end to end: an LSTM or a 2-layer Transformer.

The corpus is text every machine with Python already has: the source of some modules of the
Python standard library, read at run time (found through ``sysconfig``), never copied into the
repository. The model predicts the next character; training uses AdamW with
``param_groups_no_decay`` (no decay on biases, LayerNorm weights, embeddings' 1-D parts), a
cosine learning-rate schedule and gradient clipping — the recipe of nanoGPT and the dlsys
course, at toy size.

Claims (printed as ``claim holds``):

* it learns: the validation loss after training is below the corpus's unigram entropy (the best
  a model that ignores context can do), in bits per character;
* with ``--compare`` (PyTorch installed): the same script run under torch, in its own process,
  from the same initial weights and batches, gives the same loss curve (float32 round-off over
  the first steps) — the table puts minigrad's time per step beside torch's.

``--framework torch`` runs the same code with ``import torch`` instead of minigrad (that is how
``--compare`` runs it): one program, two frameworks, only the import differs.
"""
import importlib
import importlib.util
import json
import math
import os
import subprocess
import sys
import sysconfig
import time

import numpy as np

from _common import OUT_DIR, parse_args, print_table, save_plot, verdict

MODULES = ("textwrap", "string", "heapq", "bisect", "functools", "shlex", "fractions",
           "statistics", "calendar", "difflib", "argparse", "tokenize", "inspect", "typing")


def read_corpus(max_bytes):
    """The first ``max_bytes`` of some standard-library modules' source, as one string."""
    stdlib = sysconfig.get_paths()["stdlib"]
    parts = []
    for name in MODULES:
        path = os.path.join(stdlib, f"{name}.py")
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                parts.append(f.read())
        if sum(map(len, parts)) >= max_bytes:
            break
    text = "\n".join(parts)[:max_bytes]
    if len(text) < 10_000:
        raise SystemExit(f"char LM: found only {len(text)} characters of standard-library "
                         f"source under {stdlib}")
    return text


def build_model(lib, kind, vocab, width, layers, seq_len):
    nn = lib.nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, width)
            self.lstm = nn.LSTM(width, width, num_layers=layers, batch_first=True)
            self.head = nn.Linear(width, vocab)

        def forward(self, idx):
            h, _ = self.lstm(self.embed(idx))
            return self.head(h)

    class CharTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, width)
            self.position = nn.Embedding(seq_len, width)
            block = nn.TransformerEncoderLayer(width, nhead=4, dim_feedforward=4 * width,
                                               dropout=0.0, batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(block, num_layers=layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab)
            self.register_buffer("causal", lib.triu(lib.ones(seq_len, seq_len), diagonal=1).bool())

        def forward(self, idx):
            t = idx.shape[1]
            x = self.embed(idx) + self.position(lib.arange(t))
            x = self.blocks(x, mask=self.causal[:t, :t])
            return self.head(self.norm(x))

    return CharLSTM() if kind == "lstm" else CharTransformer()


def initialise(lib, model, seed):
    """The same initial weights in either framework: drawn in numpy, by parameter name."""
    rng = np.random.default_rng(seed)
    with lib.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:          # LayerNorm: ones and zeros, as both frameworks start
                continue
            bound = 1.0 / math.sqrt(p.shape[-1] if p.ndim >= 2 else p.shape[0])
            values = rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)
            p.copy_(lib.from_numpy(values))


def no_decay_groups(lib, model, weight_decay):
    """minigrad's ``param_groups_no_decay``; the same rule written out for torch."""
    if hasattr(lib.optim, "param_groups_no_decay"):
        return lib.optim.param_groups_no_decay(model, weight_decay)
    decay, rest = [], []
    for name, p in model.named_parameters():
        (rest if p.ndim < 2 or "bias" in name or "norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


def train(args):
    lib = importlib.import_module(args.framework)
    F = lib.nn.functional
    text = read_corpus(args.corpus_bytes)
    chars = sorted(set(text))
    data = np.array([chars.index(c) for c in text], dtype=np.int64)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    model = build_model(lib, args.model, len(chars), args.width, args.layers, args.seq_len)
    initialise(lib, model, args.seed)
    optimizer = lib.optim.AdamW(no_decay_groups(lib, model, 0.1), lr=args.lr, betas=(0.9, 0.95))
    schedule = lib.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.steps)
    rng = np.random.default_rng(args.seed + 1)

    def batch(source):
        starts = rng.integers(0, len(source) - args.seq_len - 1, args.batch)
        x = np.stack([source[s:s + args.seq_len] for s in starts])
        y = np.stack([source[s + 1:s + args.seq_len + 1] for s in starts])
        return lib.from_numpy(x), lib.from_numpy(y)

    def loss_of(x, y):
        logits = model(x)
        return F.cross_entropy(logits.reshape(-1, len(chars)), y.reshape(-1))

    losses, seconds = [], []
    steps = range(args.steps)
    try:
        from tqdm import tqdm
        steps = tqdm(steps, desc=f"{args.framework} {args.model}", leave=False,
                     disable=args.quiet or not sys.stderr.isatty())
    except ImportError:
        pass
    for _ in steps:
        x, y = batch(train_data)
        start = time.perf_counter()
        loss = loss_of(x, y)
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        seconds.append(time.perf_counter() - start)
        losses.append(float(loss.item()))
    model.eval()
    with lib.no_grad():
        val = float(np.mean([loss_of(*batch(val_data)).item() for _ in range(args.val_batches)]))
        sample = generate(lib, model, chars, "def ", args.sample_chars, args.seq_len, rng)
    return dict(framework=args.framework, model=args.model, losses=losses, val=val,
                ms_per_step=1e3 * float(np.median(seconds[len(seconds) // 5:])), sample=sample,
                unigram_bits=unigram_entropy_bits(train_data, len(chars)))


def generate(lib, model, chars, prompt, n, seq_len, rng):
    idx = [chars.index(c) for c in prompt if c in chars]
    for _ in range(n):
        logits = model(lib.tensor([idx[-seq_len:]]))[0, -1]
        p = lib.softmax(logits.double(), dim=0).numpy()
        idx.append(int(rng.choice(len(chars), p=p / p.sum())))
    return "".join(chars[i] for i in idx)


def unigram_entropy_bits(data, vocab):
    counts = np.bincount(data, minlength=vocab).astype(np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def run_in_own_process(args, framework):
    """The script itself under another framework, in a fresh process; its JSON result."""
    out = os.path.join(OUT_DIR, f"char_lm_{framework}_{args.model}.json")
    os.makedirs(OUT_DIR, exist_ok=True)
    cmd = [sys.executable, os.path.abspath(__file__), "--framework", framework, "--json", out,
           "--model", args.model, "--steps", str(args.steps), "--seed", str(args.seed),
           "--no-plot", "--quiet"] + (["--quick"] if args.quick else [])
    subprocess.run(cmd, check=True)
    with open(out) as f:
        return json.load(f)


def extra_arguments(parser):
    parser.add_argument("--model", choices=("lstm", "transformer"), default="lstm")
    parser.add_argument("--steps", type=int, default=None, help="training steps")
    parser.add_argument("--compare", action="store_true",
                        help="also run the same script under torch (own process) and compare")
    parser.add_argument("--framework", default="minigrad", choices=("minigrad", "torch"),
                        help=argparse_hide())
    parser.add_argument("--json", help=argparse_hide())
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no table")


def argparse_hide():
    import argparse
    return argparse.SUPPRESS


def main():
    args = parse_args(__doc__.splitlines()[0], extra_arguments)
    quick = args.quick
    args.steps = args.steps or (150 if quick else 600)
    args.width, args.layers = (48, 1) if quick else (128, 2)
    args.seq_len, args.batch = (24, 16) if quick else (64, 32)
    args.lr, args.corpus_bytes = (1e-2, 60_000) if quick else (3e-3, 400_000)
    args.val_batches, args.sample_chars = (2, 40) if quick else (20, 160)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if args.compare and importlib.util.find_spec("torch") is None:
        print("(torch not installed: no comparison)")
        args.compare = False
    if args.compare:   # each framework in a fresh process of its own, as users run them
        results = [run_in_own_process(args, "minigrad"), run_in_own_process(args, "torch")]
    else:
        results = [train(args)]
    result = results[0]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)
        return
    bits = 1 / math.log(2)
    print(f"corpus: {args.corpus_bytes} characters of standard-library source; "
          f"unigram entropy {result['unigram_bits']:.3f} bits/char")
    print_table(["framework", "model", "steps", "first loss", "last loss", "val bits/char",
                 "ms/step"],
                [[r["framework"], r["model"], len(r["losses"]), r["losses"][0], r["losses"][-1],
                  r["val"] * bits, r["ms_per_step"]] for r in results])
    print(f"sample ({result['framework']}): {result['sample']!r}")
    save_plot(f"char_lm_{args.model}", lambda plt: (
        [plt.plot(r["losses"], label=f"{r['framework']} {r['model']}") for r in results],
        plt.xlabel("step"), plt.ylabel("train loss (nats/char)"), plt.legend()), args)
    learns = result["val"] * bits < result["unigram_bits"]
    detail = (f"val {result['val'] * bits:.3f} bits/char vs unigram "
              f"{result['unigram_bits']:.3f}")
    if len(results) == 2:
        first = min(10, len(result["losses"]))
        gap = max(abs(a - b) for a, b in zip(result["losses"][:first],
                                              results[1]["losses"][:first]))
        detail += f"; max |loss − torch's| over the first {first} steps {gap:.2e}"
        learns = learns and gap < 1e-3
    verdict(learns, detail)


if __name__ == "__main__":
    main()
