"""A small GPT (nanoGPT's model, shrunk) trained a few steps on a character string.

The nanoGPT idioms: token + position embeddings in an nn.ModuleDict, causal
self-attention written by hand (q, k, v from one Linear split with `split(n_embd,
dim=2)`, `masked_fill(bias == 0, float('-inf'))` with a registered `tril` buffer,
softmax, `transpose(1, 2).contiguous().view(B, T, C)`), LayerNorm, an MLP with GELU,
weight tying `wte.weight = lm_head.weight`, AdamW with decay / no-decay parameter groups
chosen by `p.dim() >= 2`, gradient clipping, and greedy generation with `torch.cat`.
Batches are drawn with a seeded numpy generator; weights from numpy, N(0, 0.02).
"""
import json
import math
import os
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

text = ("the quick brown fox jumps over the lazy dog. a stitch in time saves nine. "
        "all that glitters is not gold. the early bird catches the worm. ") * 4
chars = sorted(list(set(text)))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]
decode = lambda l: "".join([itos[i] for i in l])
data = torch.tensor(encode(text), dtype=torch.long)


@dataclass
class GPTConfig:
    block_size: int = 16
    vocab_size: int = len(chars)
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 32
    bias: bool = True


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.register_buffer("bias", torch.tril(torch.ones(config.block_size, config.block_size))
                             .view(1, 1, config.block_size, config.block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = att @ v                                                      # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, idx, targets=None):
        device = idx.device
        b, t = idx.size()
        assert t <= self.config.block_size
        pos = torch.arange(0, t, dtype=torch.long, device=device)
        tok_emb = self.transformer.wte(idx)
        pos_emb = self.transformer.wpe(pos)
        x = tok_emb + pos_emb
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1),
                                   ignore_index=-1)
        else:
            logits = self.lm_head(x[:, [-1], :])
            loss = None
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas):
        param_dict = {pn: p for pn, p in self.named_parameters()}
        param_dict = {pn: p for pn, p in param_dict.items() if p.requires_grad}
        # every 2-D parameter (matmul weights, embeddings) decays; biases and norms do not
        decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]
        nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]
        optim_groups = [
            {'params': decay_params, 'weight_decay': weight_decay},
            {'params': nodecay_params, 'weight_decay': 0.0},
        ]
        num_decay_params = sum(p.numel() for p in decay_params)
        num_nodecay_params = sum(p.numel() for p in nodecay_params)
        print(f"num decayed parameter tensors: {len(decay_params)}, "
              f"with {num_decay_params:,} parameters")
        print(f"num non-decayed parameter tensors: {len(nodecay_params)}, "
              f"with {num_nodecay_params:,} parameters")
        return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=betas)

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            block = self.config.block_size
            idx_cond = idx if idx.size(1) <= block else idx[:, -block:]
            logits, _ = self(idx_cond)
            probs = F.softmax(logits[:, -1, :], dim=-1)
            idx_next = torch.argmax(probs, dim=-1, keepdim=True)   # greedy: no sampling noise
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


config = GPTConfig()
model = GPT(config)
rng = np.random.default_rng(7)
with torch.no_grad():
    for pn, p in model.named_parameters():
        if pn.endswith('c_proj.weight'):   # GPT-2's scaled init of the residual projections
            std = 0.02 / math.sqrt(2 * config.n_layer)
            p.copy_(torch.from_numpy((rng.standard_normal(p.shape) * std).astype(np.float32)))
        elif p.dim() >= 2:
            p.copy_(torch.from_numpy((rng.standard_normal(p.shape) * 0.02).astype(np.float32)))
        elif pn.endswith(('ln_1.weight', 'ln_2.weight', 'ln_f.weight')):
            p.fill_(1.0)
        else:
            p.zero_()
n_params = sum(p.numel() for p in model.parameters())
print("number of parameters: %d" % n_params)

batch_size = 8


def get_batch():
    ix = rng.integers(0, len(data) - config.block_size, size=batch_size)
    x = torch.stack([data[i:i + config.block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + config.block_size] for i in ix])
    return x, y


optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.95))
losses, grad_norms = [], []
model.train()
for it in range(40):
    X, Y = get_batch()
    logits, loss = model(X, Y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    losses.append(loss.item())
    grad_norms.append(norm.item())
    if it % 10 == 0:
        print(f"iter {it}: loss {loss.item():.4f}")

model.eval()
start = torch.tensor([encode("the ")], dtype=torch.long)
generated = decode(model.generate(start, max_new_tokens=12)[0].tolist())
print(repr(generated))

results = {
    "losses": losses,
    "grad_norms": grad_norms,
    "n_params": n_params,
    "n_named_parameters": len(list(model.named_parameters())),
    "tied": model.transformer.wte.weight is model.lm_head.weight,
    "group_sizes": [len(g['params']) for g in optimizer.param_groups],
    "generated": generated,
    "wte_norm": model.transformer.wte.weight.norm().item(),
    "ln_f_weight": model.transformer.ln_f.weight[:8].tolist(),
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
