# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for PyTorch, for testing the framework probe without a GPU.

Just enough of the API that src/selftest/framework_probe.py uses. Like the
seed's ROCm 5.7 + PyTorch 2.2 on gfx1010, the "GPU" convolution never
returns from FAKE_TORCH_HANG_FROM (feature-map size) on.
"""
import os
import time

__version__ = "0.0-fake"


class _Tensor:
    def __init__(self, size, value=1.0):
        self.size = size
        self.value = value

    def cuda(self):
        return _Tensor(self.size, self.value)

    def cpu(self):
        return self

    def __sub__(self, other):
        return _Tensor(self.size, self.value - other.value)

    def abs(self):
        return _Tensor(self.size, abs(self.value))

    def max(self):
        return self

    def item(self):
        return float(self.value)


def randn(n, c, h, w):
    return _Tensor(h)


def manual_seed(seed):
    pass


class _NoGrad:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def no_grad():
    return _NoGrad()


class _Cuda:
    @staticmethod
    def is_available():
        return os.environ.get("FAKE_TORCH_NO_GPU") != "1"

    @staticmethod
    def get_device_name(i):
        return "AMD Radeon RX 5600 XT (fake)"

    @staticmethod
    def synchronize():
        pass


cuda = _Cuda()


class _Conv2d:
    def __init__(self, cin, cout, k, padding=0):
        self.on_gpu = False

    def cuda(self):
        self.on_gpu = True
        return self

    def __call__(self, x):
        hang_from = int(os.environ.get("FAKE_TORCH_HANG_FROM", "0") or 0)
        if self.on_gpu and hang_from and x.size >= hang_from:
            time.sleep(3600)  # the GPU never answers
        return _Tensor(x.size, 1.0)


class _Nn:
    Conv2d = _Conv2d


nn = _Nn()
