"""Fixtures for the ports of upstream tests: ``impl`` chooses the implementation.

``COURSE_UPSTREAM=real`` runs the same tests against torch / scikit-learn (every test must
pass: the port is faithful); unset, against course_utils (differences are strict xfails).
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from _upstream_impl import REAL
from _upstream_impl import impl as _impl

# One BLAS/OpenMP thread: the machine's 2 cores are shared, and oversubscribed native thread
# pools made some scikit-learn tests ~6x slower (threadpoolctl ships with scikit-learn).
from threadpoolctl import threadpool_limits

_THREAD_LIMITS = threadpool_limits(limits=1)


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "upstream: ports of torch's and scikit-learn's own tests, run against course_utils "
        "(default) or the real libraries (COURSE_UPSTREAM=real)",
    )


def pytest_report_header(config):
    return f"upstream ports against: {'real libraries' if REAL else 'course_utils'}"


@pytest.fixture(scope="session")
def impl():
    """The implementation under test (``impl.init``, ``impl.BatchNorm1d``, ...)."""
    return _impl


@pytest.fixture
def torch_seed():
    """What torch's TestCase.setUp does: seed torch, random and numpy with SEED=1234."""
    torch.manual_seed(1234)
    random.seed(1234)
    np.random.seed(1234)  # noqa: NPY002 (torch's set_rng_seed)
