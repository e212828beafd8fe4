"""This computer's memory: RAM (psutil), GPU memory (NVIDIA through NVML, Apple
Silicon's Metal share of unified memory) and free disk on the models drive."""

from __future__ import annotations

import logging
import platform
import sys
from pathlib import Path

from clary_desktop.domain.disk_space import free_bytes_if_known
from clary_desktop.domain.memory_fit import GpuDevice, MachineInfo, apple_gpu_share

log = logging.getLogger(__name__)


def detect_machine(models_dir: Path) -> MachineInfo:
    """What this computer has now; a part that cannot be read is left unknown or empty."""
    total_ram = available_ram = None
    try:
        # psutil is loaded only when someone asks whether a model fits.
        import psutil

        memory = psutil.virtual_memory()
        total_ram, available_ram = int(memory.total), int(memory.available)
    except (ImportError, OSError, RuntimeError) as error:
        log.warning("cannot read this computer's RAM: %s", error)
    gpus = nvidia_gpus()
    unified = False
    if not gpus and total_ram and is_apple_silicon():
        unified = True
        gpus = [
            GpuDevice(name="Apple GPU (unified memory)", total_bytes=apple_gpu_share(total_ram))
        ]
    return MachineInfo(
        total_ram=total_ram,
        available_ram=available_ram,
        gpus=gpus,
        unified_memory=unified,
        free_disk=free_bytes_if_known(models_dir),
        models_dir=str(models_dir),
    )


def is_apple_silicon() -> bool:
    return sys.platform == "darwin" and platform.machine() == "arm64"


def nvidia_gpus() -> list[GpuDevice]:
    """NVIDIA GPUs through NVML, when nvidia-ml-py is installed and the driver's library
    loads; none otherwise."""
    try:
        # nvidia-ml-py loads the driver's libnvidia-ml only here, and only if present.
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded...: no NVIDIA GPU here
        return []
    try:
        devices = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            name = pynvml.nvmlDeviceGetName(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            devices.append(
                GpuDevice(
                    name=name.decode() if isinstance(name, bytes) else str(name),
                    total_bytes=int(memory.total),
                    free_bytes=int(memory.free),
                )
            )
        return devices
    except Exception as error:  # a GPU that fails to answer is left out, not fatal
        log.warning("cannot read the NVIDIA GPUs: %s", error)
        return []
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            log.debug("NVML shutdown failed", exc_info=True)
