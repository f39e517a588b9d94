"""Benchmark: CEvNS counts-vs-threshold curve (100 thresholds, all components) for a new lam.

Prints a table: time per new lam of (a) the CEvNS step alone (cached response matrices: matrix-vector
products for dsnb, boosted, total; backgrounds are lam-independent and cached), (b) Model.predict plus
(a), and (c) a slow obviously-correct reference (scipy.quad over recoil energy of scipy.quad over
neutrino energy of dsigma/dE_R times the flux read as a power law between its nodes, the reading
relicboost.physics.cevns approximates on 8 sub-intervals), timed on a few thresholds and scaled to
100; plus the largest relative difference between (a) and (c).  Target for (a): <= 5 ms.

Run:  python benchmarks/bench_cevns.py
"""
from __future__ import annotations

import time

import numpy as np
from scipy.integrate import quad

from relicboost import Model, cevns
from relicboost.physics.targets import natural_lead
from relicboost.physics.units import YEAR_S

THRESHOLDS = np.geomspace(0.1, 10.0, 100)


def curve(p):
    out = {c: cevns.counts(p, c, THRESHOLDS) for c in ("dsnb", "boosted", "total")}
    out["bkg"] = cevns.background_counts("solar+atmospheric", THRESHOLDS)
    return out


def reference_counts(energy, flux, threshold_keV):
    """N(>th) by nested scipy.quad (flux a power law between nodes, linear where a node is 0), events/(ton yr)."""
    t = natural_lead()

    def fl(ev: float) -> float:
        if not energy[0] <= ev <= energy[-1]:
            return 0.0
        i = min(int(np.searchsorted(energy, ev, side="right")) - 1, energy.size - 2)
        fa, fb, ea, eb = flux[i], flux[i + 1], energy[i], energy[i + 1]
        if fa > 0 and fb > 0:
            return float(fa * (fb / fa) ** (np.log(ev / ea) / np.log(eb / ea)))
        return float(fa + (fb - fa) * (ev - ea) / (eb - ea))
    total = 0.0
    for iso, n in zip(t.isotopes, t.nuclei_per_ton()):
        m = iso.nuclear_mass_MeV
        er_max = float(cevns.max_recoil_keV(energy[-1], m))
        if threshold_keV >= er_max:
            continue

        def spec(er, iso=iso, m=m):
            emin = float(cevns.min_neutrino_energy_MeV(er, m))
            pts = [x for x in energy if emin < x < energy[-1]]     # flux kinks at the grid nodes
            v, _ = quad(lambda ev: float(cevns.differential_cross_section(ev, er, iso)) * fl(ev),
                        emin, energy[-1], points=pts or None, limit=1000, epsrel=1e-8)
            return v

        # outer integral in ln E_R (the spectrum falls steeply)
        v, _ = quad(lambda u: spec(np.exp(u)) * np.exp(u), np.log(threshold_keV), np.log(er_max),
                    limit=200, epsrel=1e-6)
        total += n * v * YEAR_S
    return total


def main() -> None:
    m = Model(convention="paper")
    curve(m.predict(lam=1e-10))                   # build caches once (grid-keyed response matrices)
    lams = np.geomspace(1e-12, 1e-8, 40)
    ps = [m.predict(lam=x) for x in lams]
    t0 = time.perf_counter()
    for p in ps:
        curve(p)
    t_cevns = (time.perf_counter() - t0) / len(ps)
    t0 = time.perf_counter()
    for x in lams:
        curve(m.predict(lam=x * 1.01))
    t_full = (time.perf_counter() - t0) / len(lams)

    p = m.predict(lam=1e-9)
    flux = cevns.cevns_flux(p, "boosted")
    sub = THRESHOLDS[[50, 75, 99]]
    t0 = time.perf_counter()
    ref = np.array([reference_counts(p.energy, flux, th) for th in sub])
    t_ref = (time.perf_counter() - t0) / sub.size * THRESHOLDS.size
    fast = cevns.counts_from_flux(p.energy, flux, sub)
    err = np.max(np.abs(fast / ref - 1))

    print(f"{'method':58s} {'time per new lam':>18s}")
    print(f"{'CEvNS curve: 100 thresholds x (dsnb, boosted, total, bkg)':58s} {t_cevns * 1e3:15.3f} ms")
    print(f"{'Model.predict + CEvNS curve':58s} {t_full * 1e3:15.3f} ms")
    print(f"{'reference nested scipy.quad (boosted only, scaled to 100)':58s} {t_ref:16.2f} s")
    print(f"max |fast/reference - 1| at thresholds {np.round(sub, 3).tolist()} keV: {err:.2e}")
    print(f"target CEvNS curve <= 5 ms: {'OK' if t_cevns <= 5e-3 else 'MISSED'}")


if __name__ == "__main__":
    main()
