"""Distributed training: one `compute_init()`, parallelism applied from outside the model.

The same entry point runs on one CPU, one GPU or many processes:

    tenku train dit --preset tiny --data world                          # one process
    torchrun --nproc_per_node=2 -m tenku.cli train dit ... --dist ddp   # data parallel
    torchrun --nproc_per_node=8 -m tenku.cli train dit ... --dist fsdp --sp 2

- `compute_init()` reads the torchrun environment (RANK, WORLD_SIZE, LOCAL_RANK); when present it
  initialises the process group: gloo on CPU, nccl on CUDA. `compute_cleanup()` puts a barrier
  before `destroy_process_group()` (without it a rank can abort at exit on gloo).
- `apply_ddp(model, info)` and `apply_fsdp(model, mesh)` wrap a plain model; the model file knows
  nothing about either. FSDP2 (`fully_shard`) shards each block of `model.blocks` (when the model
  has them) and then the root.
- `UlyssesAttention`: sequence-parallel self-attention with the signature of plain attention,
  `(q, k, v) -> out` on (B, heads, N_local, head_dim) tensors where every rank of the group holds
  one contiguous shard of the token sequence. An all-to-all turns sequence shards into head shards,
  full-sequence SDPA runs on H/P heads, and a second all-to-all turns it back. It is passed to the
  model at construction; it is never patched in at run time. `SequenceParallel(group)` is the
  DiT's matching `sequence=` object (shard the tokens, autograd-aware all-gather of the output);
  `data_parallel_coords(info, sp)` gives the batch shard a rank reads (the sp group shares one).
- `print0` / `log0`: print or log on rank 0 only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

logger = logging.getLogger("tenku")


@dataclass(frozen=True, kw_only=True)
class DistInfo:
    distributed: bool  # launched under torchrun with WORLD_SIZE > 1 (or explicitly initialised)
    rank: int  # global rank, 0 on a single process
    local_rank: int  # rank on this machine: selects the CUDA device
    world_size: int  # number of processes
    device: torch.device  # cpu or cuda:<local_rank>
    backend: str  # "gloo", "nccl" or "none"

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as e:
        raise ValueError(f"environment variable {name} must be an integer, got {value!r}") from e


def compute_init(*, device: str | None = None) -> DistInfo:
    """Detect torchrun, initialise the process group, and choose the device.

    device: "cpu", "cuda" or None (CUDA when available). Under torchrun the backend is nccl on
    CUDA and gloo on CPU; a single process initialises nothing.
    """
    if device not in (None, "cpu", "cuda"):
        raise ValueError(f"device must be 'cpu', 'cuda' or None, got {device!r}")
    use_cuda = torch.cuda.is_available() if device is None else device == "cuda"
    if use_cuda and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but CUDA is not available")
    world_size = _env_int("WORLD_SIZE", 1)
    rank = _env_int("RANK", 0)
    local_rank = _env_int("LOCAL_RANK", 0)
    distributed = "RANK" in os.environ and world_size > 1
    if use_cuda:
        torch.cuda.set_device(local_rank)
        dev = torch.device("cuda", local_rank)
    else:
        dev = torch.device("cpu")
    backend = "none"
    if distributed:
        backend = "nccl" if use_cuda else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend=backend, device_id=dev if use_cuda else None)
    return DistInfo(
        distributed=distributed,
        rank=rank if distributed else 0,
        local_rank=local_rank if distributed else 0,
        world_size=world_size if distributed else 1,
        device=dev,
        backend=backend,
    )


def compute_cleanup() -> None:
    """Barrier, then destroy the process group (no-op on a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def get_rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def get_world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def print0(*args, **kwargs) -> None:
    """print() on rank 0 only."""
    if get_rank() == 0:
        print(*args, **kwargs)


def log0(message: str, *args, level: int = logging.INFO) -> None:
    """Log on rank 0 only, through the `tenku` logger."""
    if get_rank() == 0:
        logger.log(level, message, *args)


def barrier() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def all_reduce_mean(value: float, device: torch.device | None = None) -> float:
    """Average a Python float over all ranks (identity on one process)."""
    if get_world_size() == 1:
        return float(value)
    t = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item()) / get_world_size()


def average_gradients(module: nn.Module) -> None:
    """Average the gradients of a module that no wrapper reduces (identity on one process)."""
    if get_world_size() == 1:
        return
    for p in module.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(get_world_size())


# ---------------------------------------------------------------------------------------------
# Data and fully sharded parallelism, applied from outside the model


def make_mesh(info: DistInfo, *, sp: int = 1):
    """A 2D DeviceMesh ("dp", "sp"): data parallel × sequence parallel. sp must divide the world."""
    from torch.distributed.device_mesh import init_device_mesh

    if sp < 1 or info.world_size % sp != 0:
        raise ValueError(f"--sp {sp} must be >= 1 and divide the number of processes {info.world_size}")
    return init_device_mesh(info.device.type, (info.world_size // sp, sp), mesh_dim_names=("dp", "sp"))


def apply_ddp(model: nn.Module, info: DistInfo, *, process_group=None) -> nn.Module:
    """Wrap in DistributedDataParallel (gradients averaged over the data-parallel group)."""
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [info.local_rank] if info.device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids, process_group=process_group)


def apply_fsdp(
    model: nn.Module,
    mesh,
    *,
    blocks: Iterable[nn.Module] | None = None,
    param_dtype: torch.dtype | None = None,
    reshard_after_forward: bool = True,
) -> nn.Module:
    """Shard with FSDP2: `fully_shard` on each block, then on the root. Returns the model.

    mesh: a 1D DeviceMesh over the data-parallel ranks (e.g. `make_mesh(info)["dp"]`).
    blocks: submodules to shard one by one (default: `model.blocks` if the model has it).
    param_dtype: compute dtype for parameters (e.g. torch.bfloat16); gradients reduce in fp32.
    """
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

    mp = MixedPrecisionPolicy(param_dtype=param_dtype, reduce_dtype=torch.float32)
    if blocks is None:
        blocks = getattr(model, "blocks", ())
    for block in blocks:
        fully_shard(block, mesh=mesh, mp_policy=mp, reshard_after_forward=reshard_after_forward)
    fully_shard(model, mesh=mesh, mp_policy=mp, reshard_after_forward=reshard_after_forward)
    return model


def full_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """A plain, unsharded CPU state dict of a DDP, FSDP2 or plain model (collective under FSDP)."""
    from torch.distributed.tensor import DTensor

    module = model.module if hasattr(model, "module") and isinstance(model.module, nn.Module) else model
    out = {}
    for name, value in module.state_dict().items():
        if isinstance(value, DTensor):
            value = value.full_tensor()
        out[name] = value.detach().to("cpu").clone()
    return out


# ---------------------------------------------------------------------------------------------
# Ulysses sequence-parallel attention


class _AllToAll(torch.autograd.Function):
    """all_to_all_single over dim 0 (P equal chunks); its gradient is the same exchange back."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, group) -> torch.Tensor:
        ctx.group = group
        x = x.contiguous()
        out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        dist.all_to_all_single(out, x, group=group)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous()
        out = torch.empty(grad.shape, dtype=grad.dtype, device=grad.device)
        dist.all_to_all_single(out, grad, group=ctx.group)
        return out, None


def seq_to_heads(x: torch.Tensor, group) -> torch.Tensor:
    """(B, H, N/P, D) sequence shard, all heads -> (B, H/P, N, D) all tokens, a head shard."""
    p = dist.get_world_size(group)
    b, h, n, d = x.shape
    if h % p != 0:
        raise ValueError(f"Ulysses attention needs heads ({h}) divisible by the sequence-parallel size ({p})")
    x = x.reshape(b, p, h // p, n, d).permute(1, 0, 2, 3, 4)  # (P, B, H/P, N/P, D): chunk p -> rank p
    x = _AllToAll.apply(x, group)  # (P, B, H/P, N/P, D): chunk p came from rank p = sequence shard p
    return x.permute(1, 2, 0, 3, 4).reshape(b, h // p, p * n, d)  # (B, H/P, N, D)


def heads_to_seq(x: torch.Tensor, group) -> torch.Tensor:
    """(B, H/P, N, D) head shard -> (B, H, N/P, D) sequence shard; inverse of `seq_to_heads`."""
    p = dist.get_world_size(group)
    b, hp, n, d = x.shape
    if n % p != 0:
        raise ValueError(f"sequence length {n} is not divisible by the sequence-parallel size {p}")
    x = x.reshape(b, hp, p, n // p, d).permute(2, 0, 1, 3, 4)  # (P, B, H/P, N/P, D): shard p -> rank p
    x = _AllToAll.apply(x, group)  # (P, B, H/P, N/P, D): chunk p holds head group p
    return x.permute(1, 0, 2, 3, 4).reshape(b, hp * p, n // p, d)  # (B, H, N/P, D)


class UlyssesAttention(nn.Module):
    """Sequence-parallel attention: same call as SDPA on the local token shard of each rank.

    q, k, v: (B, H, N_local, D), the rank's contiguous slice of the full sequence (rank r holds
    tokens [r*N_local, (r+1)*N_local)). Returns (B, H, N_local, D) equal to the matching slice of
    full-sequence attention. H must be divisible by the group size.
    """

    def __init__(self, group=None):
        super().__init__()
        self.group = group

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        if get_world_size() == 1 or dist.get_world_size(self.group) == 1:
            return F.scaled_dot_product_attention(q, k, v)
        q, k, v = (seq_to_heads(t, self.group) for t in (q, k, v))  # (B, H/P, N, D)
        out = F.scaled_dot_product_attention(q, k, v)  # (B, H/P, N, D)
        return heads_to_seq(out, self.group)  # (B, H, N/P, D)


def shard_sequence(x: torch.Tensor, group, *, dim: int = 1) -> torch.Tensor:
    """This rank's contiguous shard of `x` along `dim` (the length must divide evenly)."""
    p = dist.get_world_size(group)
    r = dist.get_rank(group)
    if x.shape[dim] % p != 0:
        raise ValueError(f"length {x.shape[dim]} along dim {dim} is not divisible by {p} ranks")
    return x.chunk(p, dim=dim)[r]


class _GatherSequence(torch.autograd.Function):
    """All-gather along `dim` in rank order; its gradient is the reduce-scatter (sum) of the chunks."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, dim: int, group) -> torch.Tensor:
        ctx.dim, ctx.group = dim, group
        p = dist.get_world_size(group)
        local = x.movedim(dim, 0).contiguous()  # (L, ...) the gathered dim first
        out = torch.empty((p * local.shape[0], *local.shape[1:]), dtype=x.dtype, device=x.device)
        dist.all_gather_into_tensor(out, local, group=group)  # (P*L, ...) rank r's slice at [r*L, (r+1)*L)
        return out.movedim(0, dim)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        p = dist.get_world_size(ctx.group)
        full = grad.movedim(ctx.dim, 0).contiguous()  # (P*L, ...)
        out = torch.empty((full.shape[0] // p, *full.shape[1:]), dtype=grad.dtype, device=grad.device)
        dist.reduce_scatter_tensor(out, full, op=dist.ReduceOp.SUM, group=ctx.group)  # (L, ...)
        return out.movedim(0, ctx.dim), None, None


class SequenceParallel:
    """The DiT's `sequence=` object over one sequence-parallel group (see `tenku.dit.DiT`).

    shard(x, dim): this rank's contiguous slice of x along dim. gather(x, dim): every rank's slice
    concatenated along dim in rank order. Every rank of the group computes the same loss from the
    gathered output; the gradients follow the sum of the group's losses (the gather's backward is a
    reduce-scatter), so averaging gradients over all ranks (DDP or FSDP over the whole world, as
    `tenku.train` does) gives the gradient of the data-parallel mean loss, as on one process.
    A group of one rank makes both calls the identity.
    """

    def __init__(self, group=None):
        self.group = group

    def _size(self) -> int:
        return dist.get_world_size(self.group) if dist.is_available() and dist.is_initialized() else 1

    def shard(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        if self._size() == 1:
            return x
        return shard_sequence(x, self.group, dim=dim)

    def gather(self, x: torch.Tensor, dim: int) -> torch.Tensor:
        if self._size() == 1:
            return x
        return _GatherSequence.apply(x, dim % x.ndim, self.group)


def data_parallel_coords(info: DistInfo, sp: int) -> tuple[int, int]:
    """(data-parallel rank, data-parallel size) of this process under `make_mesh(info, sp=sp)`.

    The mesh is (dp, sp) in row-major order, so ranks [k*sp, (k+1)*sp) form sequence group k and
    all see data-parallel shard k of the global batch.
    """
    if sp < 1 or info.world_size % sp != 0:
        raise ValueError(f"--sp {sp} must be >= 1 and divide the number of processes {info.world_size}")
    return info.rank // sp, info.world_size // sp
