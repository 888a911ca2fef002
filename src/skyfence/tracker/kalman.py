"""Constant-velocity Kalman filter over a batch of tracks, numpy batched matrices.

State ``[e, n, u, ve, vn, vu]`` in a local tangent plane (metres, m/s); position-only
measurements (``H = [I3 0]``). Process noise is continuous white-noise acceleration, per
axis ``q * [[dt^3/3, dt^2/2], [dt^2/2, dt]]`` (the same model as Stone Soup's
``ConstantVelocity``), with its own spectral density horizontally and vertically.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["mahalanobis2", "predict", "update"]

F64 = npt.NDArray[np.float64]


def _model(dt: F64, q_h: float, q_v: float) -> tuple[F64, F64]:
    """Transition matrices and process noises, (k, 6, 6) each, for (k,) time steps."""
    k = len(dt)
    f = np.broadcast_to(np.eye(6), (k, 6, 6)).copy()
    f[:, [0, 1, 2], [3, 4, 5]] = dt[:, None]
    q = np.zeros((k, 6, 6))
    for axis, qa in ((0, q_h), (1, q_h), (2, q_v)):
        q[:, axis, axis] = qa * dt**3 / 3
        q[:, axis, axis + 3] = q[:, axis + 3, axis] = qa * dt**2 / 2
        q[:, axis + 3, axis + 3] = qa * dt
    return f, q


@lru_cache(maxsize=64)
def _shared_model(dt: float, q_h: float, q_v: float) -> tuple[F64, F64, F64]:
    """One step shared by all tracks: F, F' and Q (scans come at a few fixed intervals)."""
    f, q = _model(np.array([dt]), q_h, q_v)
    return f[0], f[0].T.copy(), q[0]


def predict(x: F64, p: F64, dt: F64, q_h: float, q_v: float) -> tuple[F64, F64]:
    """Predict (k, 6) states and (k, 6, 6) covariances by (k,) seconds. Tracks that share
    one time (the usual case: every track is predicted to every scan) share one matrix."""
    if len(dt) and (dt == dt[0]).all():
        f1, ft1, q1 = _shared_model(float(dt[0]), q_h, q_v)
        return x @ ft1, f1 @ p @ ft1 + q1
    f, q = _model(dt, q_h, q_v)
    return np.einsum("kij,kj->ki", f, x), f @ p @ f.transpose(0, 2, 1) + q


def mahalanobis2(x: F64, p: F64, z: F64, r: F64) -> tuple[F64, F64]:
    """(k, m) squared Mahalanobis distances of (m, 3) plots with (m, 3, 3) noise from the
    predicted positions of (k,) tracks, and the log-determinants of the innovation
    covariances (``d2 + logdet`` is twice the negative log-likelihood, up to a constant)."""
    s = p[:, None, :3, :3] + r[None, :, :, :]
    nu = z[None, :, :] - x[:, None, :3]
    sol = np.linalg.solve(s, nu[..., None])[..., 0]
    d2 = np.asarray(np.einsum("kmi,kmi->km", nu, sol), dtype=np.float64)
    return d2, np.asarray(np.linalg.slogdet(s)[1], dtype=np.float64)


def update(x: F64, p: F64, z: F64, r: F64) -> tuple[F64, F64]:
    """Update (n, 6) states with their (n, 3) plots; Joseph form keeps P symmetric."""
    s = p[:, :3, :3] + r
    pht = p[:, :, :3]
    gain = np.linalg.solve(s, pht.transpose(0, 2, 1)).transpose(0, 2, 1)  # P H' S^-1
    nu = z - x[:, :3]
    x2 = x + np.einsum("nij,nj->ni", gain, nu)
    ikh = np.broadcast_to(np.eye(6), p.shape).copy()
    ikh[:, :, :3] -= gain
    p2 = ikh @ p @ ikh.transpose(0, 2, 1) + gain @ r @ gain.transpose(0, 2, 1)
    return x2, p2
