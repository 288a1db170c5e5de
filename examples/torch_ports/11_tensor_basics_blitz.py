"""Tensor basics, as the 60-minute blitz and the "Tensors" tutorial teach them.

Creation with dtype=, shapes through .size() / .shape, indexing and slicing, torch.cat
and torch.stack, arithmetic (operators, torch.add, methods, in-place `add_`), `.view`,
`.item()`, the numpy bridge (`.numpy()` and `torch.from_numpy` share memory), and the
device idiom `torch.device("cuda" if torch.cuda.is_available() else "cpu")` with
`.to(device)`. The "random" tensors are drawn with numpy.
"""
import json
import os

import numpy as np
import torch

rng = np.random.default_rng(8)
out = {}

# --- creation -----------------------------------------------------------------------------
data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)
np_array = np.array(data)
x_np = torch.from_numpy(np_array)
x_ones = torch.ones_like(x_data)
x_rand = torch.rand_like(x_data, dtype=torch.float)      # values random: only its type is used
out["x_data"] = x_data.tolist()
out["x_np"] = x_np.tolist()
out["x_ones"] = x_ones.tolist()
out["x_rand_is_float"] = x_rand.dtype == torch.float32
out["x_data_is_long"] = x_data.dtype == torch.int64

shape = (2, 3,)
zeros_tensor = torch.zeros(shape)
ones_tensor = torch.ones(shape)
out["zeros"] = zeros_tensor.tolist()
out["ones"] = ones_tensor.tolist()

x = torch.empty(5, 3)
out["empty_size"] = list(x.size())
x = torch.zeros(5, 3, dtype=torch.long)
out["zeros_long"] = x.tolist()
x = torch.tensor([5.5, 3])
out["from_list"] = x.tolist()
x = x.new_ones(5, 3, dtype=torch.double)
out["new_ones_is_double"] = x.dtype == torch.float64
x = torch.tensor(rng.standard_normal((5, 3)), dtype=torch.float)
out["x"] = x.tolist()
out["size"] = list(x.size())
out["size_is_tuple"] = x.size() == (5, 3)
out["shape0"] = x.shape[0]

# --- attributes ---------------------------------------------------------------------------
tensor = torch.tensor(rng.standard_normal((3, 4)), dtype=torch.float32)
out["attributes"] = [list(tensor.shape), tensor.dtype == torch.float32, tensor.device.type]

# --- operations ---------------------------------------------------------------------------
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
tensor = tensor.to(device)
out["moved_device_type"] = tensor.device.type

tensor = torch.ones(4, 4)
out["first_row"] = tensor[0].tolist()
out["first_column"] = tensor[:, 0].tolist()
out["last_column"] = tensor[..., -1].tolist()
tensor[:, 1] = 0
out["column_zeroed"] = tensor.tolist()

t1 = torch.cat([tensor, tensor, tensor], dim=1)
out["cat_dim1_shape"] = list(t1.shape)
t2 = torch.stack([tensor, tensor], dim=0)
out["stack_shape"] = list(t2.shape)

y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(y1)
y3 = torch.matmul(tensor, tensor.T)
out["matmul"] = [y1.tolist(), torch.equal(y1, y2), torch.equal(y1, y3)]
z1 = tensor * tensor
z2 = tensor.mul(tensor)
out["mul"] = [z1.tolist(), torch.equal(z1, z2)]

agg = tensor.sum()
agg_item = agg.item()
out["agg_item"] = [agg_item, type(agg_item).__name__]

tensor.add_(5)
out["add_in_place"] = tensor.tolist()

x = torch.tensor(rng.standard_normal((5, 3)), dtype=torch.float)
y = torch.tensor(rng.standard_normal((5, 3)), dtype=torch.float)
s1 = x + y
s2 = torch.add(x, y)
y.add_(x)
out["add"] = [s1.tolist(), torch.allclose(s1, s2), torch.allclose(y, s1)]
out["x_col1"] = x[:, 1].tolist()

x = torch.tensor(rng.standard_normal((4, 4)), dtype=torch.float)
y = x.view(16)
z = x.view(-1, 8)
out["views"] = [list(x.size()), list(y.size()), list(z.size())]
x = torch.tensor([0.25])
out["item"] = x.item()

# --- the numpy bridge ----------------------------------------------------------------------
a = torch.ones(5)
b = a.numpy()
a.add_(1)
out["numpy_shares_memory"] = b.tolist()
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
out["from_numpy_shares_memory"] = b.tolist()
out["from_numpy_is_double"] = b.dtype == torch.float64

# --- CUDA tensors (the CPU here) ----------------------------------------------------------
x = torch.tensor(rng.standard_normal((2, 2)), dtype=torch.float)
y = torch.ones_like(x, device=device)
x = x.to(device)
z = x + y
z_cpu = z.to("cpu", torch.double)
out["device_add"] = [z_cpu.tolist(), z_cpu.dtype == torch.double, str(z_cpu.device)]

for key, value in out.items():
    print(f"{key}: {value}")

out_path = os.environ.get("TORCH_PORT_OUT")
if out_path:
    with open(out_path, "w") as f:
        json.dump(out, f)
