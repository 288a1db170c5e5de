"""A variational autoencoder on scikit-learn's digits (pytorch/examples "vae" idioms).

Encoder fc1 -> (fc21 = mu, fc22 = logvar), the reparameterisation z = mu + eps * std with
std = exp(logvar / 2), decoder fc3 -> fc4 -> sigmoid, loss = BCE(recon, x, sum) + KL,
Adam. The noise eps is drawn with numpy, one array per batch, and handed to the model,
because each framework's own randn_like draws different numbers.
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

LATENT = 4


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, LATENT)
        self.fc22 = nn.Linear(32, LATENT)
        self.fc3 = nn.Linear(LATENT, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction='sum')
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2), see Kingma and Welling, appendix B
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD, BCE, KLD


rng = np.random.default_rng(3)
digits = load_digits()
data = (digits.data / 16.0).astype(np.float32)
data = data[rng.permutation(len(data))]        # shuffled once, in numpy
dataset = TensorDataset(torch.from_numpy(data))
loader = DataLoader(dataset, batch_size=128, shuffle=False)

model = VAE()
with torch.no_grad():
    for name, p in model.named_parameters():
        fan_in = p.shape[1] if p.dim() == 2 else p.shape[0]
        p.copy_(torch.tensor(rng.uniform(-1, 1, size=tuple(p.shape)) / np.sqrt(fan_in),
                             dtype=torch.float32))
optimizer = optim.Adam(model.parameters(), lr=1e-2)

epochs = 3
noise = rng.standard_normal((epochs, len(loader), 128, LATENT)).astype(np.float32)
losses, bces, klds = [], [], []
for epoch in range(epochs):
    model.train()
    train_loss = 0
    for batch_idx, (x,) in enumerate(loader):
        eps = torch.from_numpy(noise[epoch, batch_idx, :len(x)])
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(x, eps)
        loss, bce, kld = loss_function(recon_batch, x, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(x))
        bces.append(bce.item() / len(x))
        klds.append(kld.item() / len(x))
    print(f"====> Epoch: {epoch} Average loss: {train_loss / len(loader.dataset):.4f}")

model.eval()
with torch.no_grad():
    all_x = torch.from_numpy(data)
    mu, logvar = model.encode(all_x)
    recon = model.decode(mu)                      # the mean code, no noise, at test time
    test_bce = F.binary_cross_entropy(recon, all_x, reduction='sum').item() / len(all_x)
    z = torch.from_numpy(rng.standard_normal((8, LATENT)).astype(np.float32))
    sample = model.decode(z).cpu()

results = {
    "losses": losses,
    "bce": bces,
    "kld": klds,
    "test_bce": test_bce,
    "mu_mean": mu.mean(0).tolist(),
    "logvar_mean": logvar.mean(0).tolist(),
    "sample_row0": sample.view(8, 8, 8)[0, 3].tolist(),
    "weight_norms": {name: p.norm().item() for name, p in model.named_parameters()},
}

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(results, f)
else:
    print(json.dumps(results, indent=1))
