"""Shared fixtures; nbval options live in pyproject.toml (run pytest from the repo root)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # before any test module imports pyplot
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_utils.data import load_mnist  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread_and_seed():
    """Every test starts from the same seed with one thread, as the notebooks do."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def _close_figures():
    """No test leaves figures open for the next one."""
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def mnist():
    """The course's MNIST split: ((x_train, y_train), (x_test, y_test))."""
    return load_mnist()
