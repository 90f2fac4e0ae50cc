#!/usr/bin/env python3
"""Reference values for the StateSpaces tests, computed independently of the Swift code.

Requires numpy, scipy and mpmath. Writes state_space_fixtures.json next to this script:

* hippo:          the HiPPO matrices (A, B) of every measure at N = 4 and 16, from the formulas of the HiPPO
                  paper / state-spaces/s4 `transition` (LegT with window theta = 2, LagT with beta = 1).
* discretization: (A_bar, B_bar) of every measure and rule at N = 4 and 16, dt = 0.1, from
                  scipy.signal.cont2discrete (euler, backward_diff, bilinear, zoh).
* spectral_radius: the spectral radius of A_bar for every measure, rule, N in {4, 16, 64} and
                  dt in {0.1, 5}: the eigenvalues of the continuous A in 40-digit arithmetic (mpmath.eig; for the
                  lower-triangular LegS and LagT the diagonal), mapped by each rule's exact spectral map
                  (1 + dt l, 1/(1 - dt l), (1 + dt l/2)/(1 - dt l/2), exp(dt l)).
* kernels:        S4 (LegS, bilinear), S4D (ZOH and bilinear) and RTF kernels by the naive power series
                  C A_bar^j B_bar, and for RTF by time-aliasing the impulse response from scipy.signal.lfilter.
* reconstruction: the HiPPO online-approximation MSE table of the reference note (LegS time-varying steps,
                  LegT theta = 1 time-invariant), with numpy.polynomial.legendre for the basis.

Run: python3 make_fixtures.py  (about three minutes, most of it mpmath.eig at N = 64).
"""
import json
import math
import os

import mpmath
import numpy as np
from numpy.polynomial import legendre
from scipy.linalg import expm
from scipy.signal import cont2discrete, lfilter

HERE = os.path.dirname(os.path.abspath(__file__))


def hippo(measure, n):
    r = np.sqrt(2 * np.arange(n) + 1.0)
    if measure == "legs":
        a = -np.tril(np.outer(r, r), -1) - np.diag(np.arange(1, n + 1.0))
        b = r.copy()
    elif measure == "legt":  # window theta = 2 (state-spaces/s4 `legt`)
        i, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        sign = np.where(i >= k, 1.0, (-1.0) ** (i - k))
        a = -sign * np.outer(r, r) / 2
        b = r / 2
    elif measure == "legt1":  # window theta = 1 (unhalved)
        i, k = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        sign = np.where(i >= k, 1.0, (-1.0) ** (i - k))
        a = -sign * np.outer(r, r)
        b = r.copy()
    elif measure == "lagt":
        a = 0.5 * np.eye(n) - np.tril(np.ones((n, n)))
        b = np.ones(n)
    elif measure == "fout":
        b = np.array([1.0] + [0.0 if j % 2 == 1 else math.sqrt(2) for j in range(1, n)])
        freqs = np.arange(n // 2)
        d = np.stack([np.zeros(n // 2), freqs], axis=-1).reshape(-1)[1:]
        a = np.pi * (-np.diag(d, 1) + np.diag(d, -1)) - np.outer(b, b)
        a = a[:n, :n]
    else:
        raise ValueError(measure)
    return a, b


def mp_matrix(a):
    m = mpmath.matrix(a.shape[0], a.shape[1])
    for i in range(a.shape[0]):
        for k in range(a.shape[1]):
            m[i, k] = mpmath.mpf(float(a[i, k]))
    return m


def continuous_eigenvalues(measure, n):
    a, _ = hippo(measure, n)
    if measure in ("legs", "lagt"):
        return [mpmath.mpc(float(x)) for x in np.diag(a)]
    mpmath.mp.dps = 40
    return list(mpmath.eig(mp_matrix(a), left=False, right=False))


SPECTRAL_MAPS = {
    "euler": lambda l, dt: 1 + dt * l,
    "backward": lambda l, dt: 1 / (1 - dt * l),
    "bilinear": lambda l, dt: (1 + dt * l / 2) / (1 - dt * l / 2),
    "zoh": lambda l, dt: mpmath.exp(dt * l),
}
SCIPY_METHODS = {"euler": "euler", "backward": "backward_diff", "bilinear": "bilinear", "zoh": "zoh"}
MEASURES = ["legs", "legt", "lagt", "fout"]


def discretize(a, b, dt, method):
    n = a.shape[0]
    abar, bbar, _, _, _ = cont2discrete((a, b.reshape(n, 1), np.zeros((1, n)), np.zeros((1, 1))), dt,
                                        method=SCIPY_METHODS[method])
    return abar, bbar.reshape(-1)


def power_series(abar, bbar, c, length):
    state = bbar.copy()
    out = []
    for _ in range(length):
        out.append(float(c @ state))
        state = abar @ state
    return out


def s4d_kernel(a, b, c, dt, length, method):
    # 2 Re sum_n C_n Bbar_n Abar_n^l, elementwise rules.
    if method == "zoh":
        abar = np.exp(dt * a)
        bbar = b * (abar - 1) / a
    else:
        abar = (1 + dt * a / 2) / (1 - dt * a / 2)
        bbar = dt * b / (1 - dt * a / 2)
    powers = abar[None, :] ** np.arange(length)[:, None]
    return list(2 * np.real(powers @ (c * bbar)))


def rtf_kernel(a, b, h0, length, periods=200):
    # Aliased impulse response of H(z) = h0 + b(z)/a(z): sum_m h_{t + mL}, t = 0..L-1.
    impulse = np.zeros(length * periods)
    impulse[0] = 1
    h = lfilter(np.concatenate([[0.0], b]), np.concatenate([[1.0], a]), impulse)
    h[0] += h0
    return list(h.reshape(periods, length).sum(axis=0))


def legs_reconstruction_mse(signal, n, method):
    a, b = hippo("legs", n)
    x = np.zeros(n)
    x[0] = signal[0]
    eye = np.eye(n)
    for k in range(1, len(signal)):
        u = signal[k]
        ak, bk = a / k, b / k
        if method == "euler":
            x = x + ak @ x + bk * u
        elif method == "backward":
            x = np.linalg.solve(eye - ak, x + bk * u)
        elif method == "bilinear":
            x = np.linalg.solve(eye - ak / 2, (eye + ak / 2) @ x + bk * u)
        else:  # exact in tau = ln t
            e = expm(a * (math.log(k + 1) - math.log(k)))
            x = e @ x + np.linalg.solve(a, (e - eye) @ b) * u
    positions = np.arange(len(signal)) / (len(signal) - 1)
    basis = legendre.legvander(2 * positions - 1, n - 1) * np.sqrt(2 * np.arange(n) + 1.0)
    return float(np.mean((basis @ x - signal) ** 2))


def legt_reconstruction_mse(signal, n, method):
    a, b = hippo("legt1", n)
    dt = 1.0 / len(signal)
    abar, bbar = discretize(a, b, dt, method)
    c = np.zeros(n)
    for u in signal:
        c = abar @ c + bbar * u
    count = len(signal)
    lags = (count - 1 - np.arange(count)) * dt
    basis = legendre.legvander(1 - 2 * lags, n - 1) * np.sqrt(2 * np.arange(n) + 1.0)
    return float(np.mean((basis @ c - signal) ** 2))


def main():
    fixtures = {"hippo": [], "discretization": [], "spectral_radius": [], "kernels": [], "reconstruction": []}
    for measure in MEASURES:
        for n in (4, 16):
            a, b = hippo(measure, n)
            fixtures["hippo"].append({"measure": measure, "n": n, "a": a.reshape(-1).tolist(), "b": b.tolist()})
            for method in SPECTRAL_MAPS:
                abar, bbar = discretize(a, b, 0.1, method)
                fixtures["discretization"].append({
                    "measure": measure, "n": n, "dt": 0.1, "method": method,
                    "a": abar.reshape(-1).tolist(), "b": bbar.tolist()})
    for measure in MEASURES:
        for n in (4, 16, 64):
            eigenvalues = continuous_eigenvalues(measure, n)
            for dt in (0.1, 5.0):
                for method, spectral_map in SPECTRAL_MAPS.items():
                    mpmath.mp.dps = 40
                    radius = max(abs(spectral_map(l, mpmath.mpf(dt))) for l in eigenvalues)
                    fixtures["spectral_radius"].append(
                        {"measure": measure, "n": n, "dt": dt, "method": method, "radius": float(radius)})

    # S4: LegS N = 8, L = 64, dt = 1/64, bilinear, C = ones and a seeded random C.
    a, b = hippo("legs", 8)
    abar, bbar = discretize(a, b, 1 / 64, "bilinear")
    rng = np.random.default_rng(7)
    for name, c in (("ones", np.ones(8)), ("random", rng.standard_normal(8))):
        fixtures["kernels"].append({
            "kind": "s4", "name": name, "measure": "legs", "n": 8, "dt": 1 / 64, "length": 64, "c": c.tolist(),
            "kernel": power_series(abar, bbar, c, 64)})
    # S4D-Lin N/2 = 4, dt = 0.05, L = 32, B = C = 1, and seeded complex B, C.
    lin = -0.5 + 1j * np.pi * np.arange(4)
    bc = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    for name, b4, c4 in (("ones", np.ones(4, complex), np.ones(4, complex)), ("random", bc[:4], bc[4:])):
        for method in ("zoh", "bilinear"):
            fixtures["kernels"].append({
                "kind": "s4d", "name": name, "method": method, "dt": 0.05, "length": 32,
                "a": [[z.real, z.imag] for z in lin], "b": [[z.real, z.imag] for z in b4],
                "c": [[z.real, z.imag] for z in c4], "kernel": s4d_kernel(lin, b4, c4, 0.05, 32, method)})
    # RTF: poles 0.9 e^{±0.3i}, 0.5, -0.6 (the reference note's oracle, unrounded), numerator b, h0 = 0.7.
    poles = [0.9 * np.exp(0.3j), 0.9 * np.exp(-0.3j), 0.5, -0.6]
    rtf_a = np.real(np.poly(poles))[1:]
    rtf_b = np.array([1, -0.5, 0.25, 0.125])
    fixtures["kernels"].append({
        "kind": "rtf", "name": "oracle", "length": 64, "a": rtf_a.tolist(), "b": rtf_b.tolist(), "h0": 0.7,
        "kernel": rtf_kernel(rtf_a, rtf_b, 0.7, 64)})

    t = np.arange(1000) / 1000
    signal = np.sin(6 * np.pi * t) + 0.5 * np.cos(14 * np.pi * t) + t
    for n in (16, 32, 64):
        for method in ("euler", "backward", "bilinear", "zoh"):
            fixtures["reconstruction"].append(
                {"measure": "legs", "n": n, "method": method, "mse": legs_reconstruction_mse(signal, n, method)})
            fixtures["reconstruction"].append(
                {"measure": "legt1", "n": n, "method": method, "mse": legt_reconstruction_mse(signal, n, method)})

    with open(os.path.join(HERE, "state_space_fixtures.json"), "w") as f:
        json.dump(fixtures, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
