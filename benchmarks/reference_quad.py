"""Slow, obviously-correct reference for the ``paper`` convention: nested ``scipy.integrate.quad``.

Implements Das, Perez-Gonzalez, Sen, arXiv:2204.11885, Eqs. III.6-III.9, IV.10 and
IV.11 *as printed*, with the ``paper`` preset of relicboost (docs/conventions.md):
sigma = lam E evaluated at the un-redshifted energy E_D inside the optical depth,
relic density with g = 2 degrees of freedom, the upscattered neutrino neither
redshifted nor diluted, only the relic partner counted, and the upscattered flux of
the six DSNB species shared democratically (each species gets 1/6 of the sum).

Nothing here uses the package's grids, quadrature or propagation code.  Every
formula is re-derived below in plain ``math`` (scalar) form; only physical
constants are imported from :mod:`relicboost.physics.units`.

Equations (natural units inside, c and (hbar c)^2 restore cm, s)::

    F_s(E)    = (E_tot/6) 120/(7 pi^4) E^2 / T_s^4 / (exp(E/T_s) + 1)           [MeV^-1]
    R(z)      = rho_*/(143 M_sun) [(1+z)^(a zeta) + ((1+z)/B)^(b zeta) + ((1+z)/C)^(c zeta)]^(1/zeta)
                B = (1+z1)^(1-a/b), C = (1+z1)^((b-a)/c) (1+z2)^(1-b/c)          [Mpc^-3 yr^-1]
    H(z)      = H0 sqrt(Omega_L + Omega_m (1+z)^3)
    n(z)      = (3/4) zeta(3)/pi^2 g T_nu^3 (1+z)^3,  T_nu = 1.95 K
    tau(z,z';E) = int_z^z' dz''/((1+z'')H(z'')) n(z'') lam E
                = lam E (hbar c)^2 (c/H0) n0 (2/(3 Omega_m)) [E(z') - E(z)]        (closed form; a quad
                  version, :meth:`QuadReference.tau_quad`, checks it)
    Phi_D(E,z)  = (1+z)^2 int_z^zmax dz'/H(z') R(z') F[E(1+z')] exp(-tau(z,z';E))  (III.8 / IV.10)
    psi(E_C)    = int_{E_C}^inf dE_D int_0^zmax dz/H(z) n(z) (sigma/E_D) Phi_D(E_D,z)  (IV.11, sigma/E_D = lam)

Run ``python benchmarks/reference_quad.py`` for a few sample values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate
from tqdm import tqdm

from relicboost.physics import units

ZETA3: float = 1.2020569031595942  # Apery's constant zeta(3)
SPECIES_MULT: dict[str, int] = {"nue": 1, "nuebar": 1, "nux": 4}
TABLE_I = dict(rho=0.02, a=3.4, b=-0.3, c=-2.5, z1=1.0, z2=4.0, zeta=-10.0)  # paper Table I
YUKSEL = dict(rho=0.0178, a=3.4, b=-0.3, c=-3.5, z1=1.0, z2=4.0, zeta=-10.0)  # Yuksel et al. 2008


@dataclass
class QuadReference:
    """Nested-quad evaluation of the paper-convention fluxes for one parameter point.

    Parameters
    ----------
    lam : float
        lam = G_X^2 m_nu, MeV^-3.
    T : dict
        Temperatures in MeV for "nue", "nuebar", "nux".
    E_tot : float
        Total neutrino energy per supernova, erg.
    sfr : {"paper", "yuksel2008"}
    z_max, H0, Omega_m, relic_dof, T_cnb_K :
        Highest supernova redshift, km/s/Mpc, matter density, relic g, CvB temperature in K.
    epsrel : float
        Relative tolerance of every quad call.
    """

    lam: float
    T: dict = field(default_factory=lambda: {"nue": 6.6, "nuebar": 7.0, "nux": 10.0})
    E_tot: float = 3e53
    sfr: str = "paper"
    z_max: float = 6.0
    H0: float = 67.0
    Omega_m: float = 0.32
    relic_dof: float = 2.0
    T_cnb_K: float = 1.95
    epsrel: float = 1e-9

    def __post_init__(self) -> None:
        p = TABLE_I if self.sfr == "paper" else YUKSEL
        self._p = p
        self._B = (1.0 + p["z1"]) ** (1.0 - p["a"] / p["b"])
        self._C = (1.0 + p["z1"]) ** ((p["b"] - p["a"]) / p["c"]) * (1.0 + p["z2"]) ** (1.0 - p["b"] / p["c"])
        self.H0_s = self.H0 * 1e5 / units.MPC_CM  # s^-1
        self.c_over_H0 = units.C_CM_S / self.H0_s  # cm
        t_cm = self.T_cnb_K * units.K_B_MEV_PER_K / units.HBARC_MEV_CM  # cm^-1
        self.n0 = 0.75 * ZETA3 / math.pi**2 * self.relic_dof * t_cm**3  # cm^-3
        self._fd_norm = self.E_tot * units.ERG_MEV / 6.0 * 120.0 / (7.0 * math.pi**4)
        # tau per unit E: lam (hbar c)^2 (c/H0) n0 (2/(3 Om)) [E(z') - E(z)]
        self._tau_coef = self.lam * units.HBARC2_MEV2_CM2 * self.c_over_H0 * self.n0 * 2.0 / (3.0 * self.Omega_m)

    # ---- single-source formulas (scalars) -------------------------------------------------
    def Ez(self, z: float) -> float:
        """H(z)/H0."""
        return math.sqrt(1.0 - self.Omega_m + self.Omega_m * (1.0 + z) ** 3)

    def rate(self, z: float) -> float:
        """Comoving CCSN rate, cm^-3 s^-1 (Eq. III.7 with (1+z2) in C)."""
        p, zp1 = self._p, 1.0 + z
        s = (zp1 ** (p["a"] * p["zeta"]) + (zp1 / self._B) ** (p["b"] * p["zeta"])
             + (zp1 / self._C) ** (p["c"] * p["zeta"]))
        per_mpc3_yr = p["rho"] / 143.0 * s ** (1.0 / p["zeta"])
        return per_mpc3_yr / (units.MPC_CM**3 * units.YEAR_S)

    def F(self, E: float, T: float) -> float:
        """Eq. III.6, MeV^-1."""
        x = E / T
        if x > 700.0:
            return 0.0
        return self._fd_norm * E * E / T**4 / (math.exp(x) + 1.0)

    def F_species(self, E: float, species: str) -> float:
        """Spectrum of one species, or ``"shared"`` = (1/6) sum_s mult_s F_s (democratic sharing), MeV^-1."""
        if species == "shared":
            return sum(m * self.F(E, self.T[s]) for s, m in SPECIES_MULT.items()) / 6.0
        return self.F(E, self.T[species])

    def n(self, z: float) -> float:
        """Relic number density, cm^-3."""
        return self.n0 * (1.0 + z) ** 3

    def tau(self, E: float, z: float, zp: float) -> float:
        """Optical depth from z' back to z for energy E (sigma at E, as printed), closed form."""
        return self._tau_coef * E * (self.Ez(zp) - self.Ez(z))

    def tau_quad(self, E: float, z: float, zp: float) -> float:
        """Same as :meth:`tau` by direct quadrature of dz''/((1+z'')H) n sigma."""
        f = lambda zz: self.n(zz) / ((1.0 + zz) * self.Ez(zz))  # noqa: E731
        val = integrate.quad(f, z, zp, epsabs=0.0, epsrel=1e-12)[0]
        return self.lam * E * units.HBARC2_MEV2_CM2 * self.c_over_H0 * val

    # ---- Eqs. III.8 / IV.10 / IV.11 ------------------------------------------------------
    def dsnb(self, E: float, z: float = 0.0, species: str = "nuebar", tau_by_quad: bool = False) -> float:
        """Attenuated DSNB at redshift z (Eq. IV.10; III.8 for lam = 0), cm^-2 s^-1 MeV^-1."""
        tau = self.tau_quad if tau_by_quad else self.tau

        def integrand(zp: float) -> float:
            return self.rate(zp) * self.F_species(E * (1.0 + zp), species) * math.exp(-tau(E, z, zp)) / self.Ez(zp)

        val = integrate.quad(integrand, z, self.z_max, epsabs=0.0, epsrel=self.epsrel, limit=200)[0]
        return (1.0 + z) ** 2 * self.c_over_H0 * val

    def scattering_density(self, E_D: float, species: str = "shared") -> float:
        """G(E_D) = int_0^zmax dz/H n(z) Phi_D(E_D, z), in cm^-4 s^-1 MeV^-1 x cm (c/H restores length)."""
        f = lambda z: self.n(z) / self.Ez(z) * self.dsnb(E_D, z, species)  # noqa: E731
        return self.c_over_H0 * integrate.quad(f, 0.0, self.z_max, epsabs=0.0, epsrel=self.epsrel, limit=200)[0]

    def boosted(self, energies, species: str = "shared", progress: bool = False) -> np.ndarray:
        """Upscattered relic partner flux (Eq. IV.11), cm^-2 s^-1 MeV^-1, at each energy (MeV).

        ``species="shared"`` gives what each detected species receives with democratic sharing.
        The E_D integral is split at the requested energies and accumulated from infinity down.
        """
        e = np.asarray(energies, dtype=float)
        order = np.argsort(e)[::-1]
        out = np.empty_like(e)
        upper, acc = math.inf, 0.0
        g = lambda ed: self.scattering_density(ed, species)  # noqa: E731
        for i in tqdm(order, desc=f"boosted lam={self.lam:g}", leave=False, disable=not progress):
            lo = float(e[i])
            if lo < upper:
                acc += integrate.quad(g, lo, upper, epsabs=0.0, epsrel=max(self.epsrel, 1e-10), limit=200)[0]
            upper = lo
            out[i] = acc
        return self.lam * units.HBARC2_MEV2_CM2 * out

    def spectrum(self, energies, species: str = "nuebar") -> dict[str, np.ndarray]:
        """DSNB (today) and boosted components for ``species`` in {"nue", "nuebar", "nux", "all"}."""
        e = np.asarray(energies, dtype=float)
        boost = self.boosted(e, "shared") if self.lam > 0 else np.zeros_like(e)
        if species == "all":
            dsnb = sum(m * np.array([self.dsnb(x, 0.0, s) for x in e]) for s, m in SPECIES_MULT.items())
            boost = 6.0 * boost
        else:
            dsnb = np.array([self.dsnb(x, 0.0, species) for x in e])
        return {"dsnb": dsnb, "boosted": boost}


if __name__ == "__main__":
    import time

    ref = QuadReference(lam=1e-10)
    t = time.perf_counter()
    print("nuebar DSNB at 20 MeV:", ref.dsnb(20.0), "cm^-2 s^-1 MeV^-1")
    print("boosted at 0.1, 10 MeV:", ref.boosted([0.1, 10.0]), "cm^-2 s^-1 MeV^-1")
    print(f"{time.perf_counter() - t:.1f} s")
